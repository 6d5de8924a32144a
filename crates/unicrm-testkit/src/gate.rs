//! The one place the kit reads an adapter's capabilities.
//!
//! Every check asks this module, never `Capabilities` directly. The kit's [`Operation`] joins
//! core's typed operations and list filters into one list of things a resource may support.

use unicrm_core::{self as core, Capabilities, Crm, DeletionDetection, Filter, ResourceKind};

/// An operation or filter a resource may support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// One page of records.
    List,
    /// One record by id.
    Get,
    /// Create a record.
    Create,
    /// Patch a record.
    Update,
    /// Delete a record.
    Delete,
    /// The `search` filter of a listing.
    Search,
    /// The `updated_since` filter of a listing.
    UpdatedSince,
    /// The `of` filter of a listing (field definitions of one record type).
    Of,
    /// The change feed.
    Changes,
}

impl Operation {
    /// Every operation, in a fixed order.
    pub const ALL: [Operation; 9] = [
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Search,
        Operation::UpdatedSince,
        Operation::Of,
        Operation::Changes,
    ];

    /// A short name (`list`, `updated_since`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::List => "list",
            Operation::Get => "get",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Search => "search",
            Operation::UpdatedSince => "updated_since",
            Operation::Of => "of",
            Operation::Changes => "changes",
        }
    }
}

/// A kind of field a record may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FieldKind {
    /// Tags.
    Tags,
    /// Custom field values.
    CustomFields,
}

impl FieldKind {
    /// A short name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Tags => "tags",
            FieldKind::CustomFields => "custom_fields",
        }
    }
}

/// How the change feed of a resource finds deletions, as the kit sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deletions {
    /// Deletions are reported (natively or by an id scan).
    Reported,
    /// Deletions are not reported.
    NotReported,
}

/// What an adapter claims, asked one question at a time.
#[derive(Debug, Clone)]
pub struct Gate {
    caps: Capabilities,
}

impl Gate {
    /// The capabilities of `crm`.
    pub fn of(crm: &dyn Crm) -> Self {
        Gate {
            caps: crm.capabilities().clone(),
        }
    }

    /// Whether `kind` supports `op`.
    pub fn supports(&self, kind: &ResourceKind, op: Operation) -> bool {
        let r = self.caps.resource(kind);
        match op {
            Operation::List => r.supports(core::Operation::List),
            Operation::Get => r.supports(core::Operation::Get),
            Operation::Create => r.supports(core::Operation::Create),
            Operation::Update => r.supports(core::Operation::Update),
            Operation::Delete => r.supports(core::Operation::Delete),
            Operation::Changes => r.supports(core::Operation::Changes),
            Operation::Search => r.honours(Filter::Search),
            Operation::UpdatedSince => r.honours(Filter::UpdatedSince),
            Operation::Of => r.honours(Filter::Of),
        }
    }

    /// Whether records of `kind` carry `field`.
    pub fn carries(&self, kind: &ResourceKind, field: FieldKind) -> bool {
        self.caps.resource(kind).can_write(field.as_str())
    }

    /// Whether a write to `kind` may set the unified field `field` (tags and custom fields
    /// included).
    pub fn writes(&self, kind: &ResourceKind, field: &str) -> bool {
        self.caps.resource(kind).can_write(field)
    }

    /// Whether the change feed of `kind` reports deletions.
    pub fn deletions(&self, kind: &ResourceKind) -> Deletions {
        match self.caps.resource(kind).deletions {
            DeletionDetection::None => Deletions::NotReported,
            _ => Deletions::Reported,
        }
    }

    /// The vendor's largest page for `kind`, when the adapter states one.
    pub fn max_page_size(&self, kind: &ResourceKind) -> Option<u32> {
        match self.caps.resource(kind).max_page_size {
            0 => None,
            n => Some(n),
        }
    }

    /// Whether the adapter offers webhooks.
    pub fn webhooks(&self) -> bool {
        self.caps.webhooks
    }
}
