//! What an adapter can do, as typed data, so callers adapt instead of catching errors.
//!
//! An adapter states, per [`ResourceKind`], which [`Operation`]s work, which list [`Filter`]s
//! are honoured, which unified fields a write may set, how deletions are found and the
//! vendor's largest page. [`crate::guard`](mod@crate::guard) enforces these before any call reaches the adapter,
//! so an unsupported call is always [`crate::Error::Unsupported`], never a silent ignore.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ResourceKind;

/// How an adapter finds deleted records for the change feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeletionDetection {
    /// The vendor has a deleted-records feed.
    Native,
    /// By comparing the set of ids with the one stored in the checkpoint (costs a listing).
    IdScan,
    /// Deletions are not reported.
    None,
}

/// An operation of a [`crate::Resource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// The change feed (`changes_since`).
    Changes,
}

impl Operation {
    /// Every operation, in a fixed order.
    pub const ALL: [Operation; 6] = [
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Changes,
    ];

    /// The method name (`list`, `get`, …, `changes_since`), as in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::List => "list",
            Operation::Get => "get",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Changes => "changes_since",
        }
    }
}

/// A filter of [`crate::ListParams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Filter {
    /// [`crate::ListParams::search`].
    Search,
    /// [`crate::ListParams::updated_since`].
    UpdatedSince,
    /// [`crate::ListParams::of`]: only the field definitions of one record type.
    Of,
}

impl Filter {
    /// Every filter, in a fixed order.
    pub const ALL: [Filter; 3] = [Filter::Search, Filter::UpdatedSince, Filter::Of];

    /// The parameter name (`search`, `updated_since`, `of`).
    pub fn as_str(self) -> &'static str {
        match self {
            Filter::Search => "search",
            Filter::UpdatedSince => "updated_since",
            Filter::Of => "of",
        }
    }
}

/// Which operations of a resource work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operations {
    /// `list` works.
    pub list: bool,
    /// `get` works.
    pub get: bool,
    /// `create` works.
    pub create: bool,
    /// `update` works.
    pub update: bool,
    /// `delete` works.
    pub delete: bool,
    /// `changes_since` reports upserts.
    pub changes: bool,
}

impl Operations {
    /// Whether `op` works.
    pub fn supports(&self, op: Operation) -> bool {
        match op {
            Operation::List => self.list,
            Operation::Get => self.get,
            Operation::Create => self.create,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
            Operation::Changes => self.changes,
        }
    }
}

/// Which list filters a resource honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// `ListParams::search` is honoured.
    pub search: bool,
    /// `ListParams::updated_since` is honoured.
    pub updated_since: bool,
    /// `ListParams::of` is honoured (field definitions of one record type).
    #[serde(default)]
    pub of: bool,
}

impl Filters {
    /// Whether `filter` is honoured.
    pub fn supports(&self, filter: Filter) -> bool {
        match filter {
            Filter::Search => self.search,
            Filter::UpdatedSince => self.updated_since,
            Filter::Of => self.of,
        }
    }
}

/// What one resource supports.
///
/// `tags` and `custom_fields` say whether records carry them (read and written); `writable`
/// names every other unified field (snake_case, as in the record's JSON) a create or an update
/// may set. `vendor_fields` (the escape hatch) are always passed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCapabilities {
    /// The operations that work.
    pub operations: Operations,
    /// The list filters honoured.
    pub filters: Filters,
    /// How deletions are found by the change feed.
    pub deletions: DeletionDetection,
    /// Records carry tags.
    pub tags: bool,
    /// Records carry custom fields.
    pub custom_fields: bool,
    /// Unified fields a write may set, besides `tags` and `custom_fields`.
    pub writable: BTreeSet<String>,
    /// The vendor's largest page (0: unknown). The guard clamps larger page sizes to it.
    pub max_page_size: u32,
}

/// What an unknown resource supports: nothing.
static NONE: ResourceCapabilities = ResourceCapabilities::none();

impl ResourceCapabilities {
    /// Nothing supported.
    pub const fn none() -> Self {
        ResourceCapabilities {
            operations: Operations {
                list: false,
                get: false,
                create: false,
                update: false,
                delete: false,
                changes: false,
            },
            filters: Filters {
                search: false,
                updated_since: false,
                of: false,
            },
            deletions: DeletionDetection::None,
            tags: false,
            custom_fields: false,
            writable: BTreeSet::new(),
            max_page_size: 0,
        }
    }

    /// Read-only: list and get.
    pub fn read_only(max_page_size: u32) -> Self {
        let mut r = Self::none();
        r.operations.list = true;
        r.operations.get = true;
        r.max_page_size = max_page_size;
        r
    }

    /// List, get, create, update and delete, writing `fields` (see [`Self::writable`]).
    pub fn crud<'a>(max_page_size: u32, fields: impl IntoIterator<Item = &'a str>) -> Self {
        let mut r = Self::read_only(max_page_size);
        r.operations.create = true;
        r.operations.update = true;
        r.operations.delete = true;
        r.writable = fields
            .into_iter()
            .filter(|f| !matches!(*f, "tags" | "custom_fields"))
            .map(str::to_string)
            .collect();
        r
    }

    /// Whether `op` works.
    pub fn supports(&self, op: Operation) -> bool {
        self.operations.supports(op)
    }

    /// Whether `filter` is honoured.
    pub fn honours(&self, filter: Filter) -> bool {
        self.filters.supports(filter)
    }

    /// Whether a write may set the unified field `field` (`tags` and `custom_fields` by their
    /// flags, any other by [`Self::writable`]).
    pub fn can_write(&self, field: &str) -> bool {
        match field {
            "tags" => self.tags,
            "custom_fields" => self.custom_fields,
            f => self.writable.contains(f),
        }
    }
}

impl ResourceCapabilities {
    /// `new` without the fields this resource cannot write, and their names: what a caller
    /// that reports losses (a migration) sends instead of having the guard refuse the write.
    pub fn writable_part<R: crate::Record>(
        &self,
        new: &R::New,
    ) -> crate::Result<(R::New, Vec<&'static str>)> {
        let dropped: Vec<&'static str> = R::new_fields(new)
            .into_iter()
            .filter(|f| !self.can_write(f))
            .collect();
        if dropped.is_empty() {
            return Ok((new.clone(), dropped));
        }
        let fail = |e: serde_json::Error| {
            crate::Error::config(format!("cannot drop unwritable {} fields: {e}", R::KIND))
        };
        let mut value = serde_json::to_value(new).map_err(fail)?;
        if let Some(map) = value.as_object_mut() {
            for f in &dropped {
                map.remove(*f);
            }
        }
        Ok((serde_json::from_value(value).map_err(fail)?, dropped))
    }
}

/// Everything an adapter supports, per resource kind.
///
/// Serialized as `{"vendor": …, "resources": {"contact": {…}, …}, "webhooks": …}`, the
/// resources in name order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Vendor name.
    pub vendor: String,
    /// Per resource kind, keyed by [`ResourceKind::as_str`]; reach it through
    /// [`Capabilities::resource`] and [`Capabilities::set`].
    resources: BTreeMap<String, ResourceCapabilities>,
    /// Webhooks (push notifications of changes) are available.
    pub webhooks: bool,
}

impl Capabilities {
    /// Nothing supported yet, for `vendor`.
    pub fn new(vendor: impl Into<String>) -> Self {
        Capabilities {
            vendor: vendor.into(),
            resources: BTreeMap::new(),
            webhooks: false,
        }
    }

    /// Sets what `kind` supports.
    pub fn set(&mut self, kind: ResourceKind, caps: ResourceCapabilities) -> &mut Self {
        self.resources.insert(kind.as_str().to_string(), caps);
        self
    }

    /// With what `kind` supports (builder style).
    pub fn with(mut self, kind: ResourceKind, caps: ResourceCapabilities) -> Self {
        self.set(kind, caps);
        self
    }

    /// With webhooks available or not.
    pub fn with_webhooks(mut self, webhooks: bool) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// What `kind` supports; [`ResourceCapabilities::none`] when the adapter does not say.
    pub fn resource(&self, kind: &ResourceKind) -> &ResourceCapabilities {
        self.resources.get(kind.as_str()).unwrap_or(&NONE)
    }

    /// What records of type `R` support.
    pub fn of<R: crate::Record>(&self) -> &ResourceCapabilities {
        self.resource(&R::KIND)
    }

    /// Every kind the adapter states, in name order.
    pub fn kinds(&self) -> impl Iterator<Item = (ResourceKind, &ResourceCapabilities)> {
        self.resources
            .iter()
            .map(|(k, v)| (ResourceKind::parse(k), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Contact, Lead};

    #[test]
    fn typed_lookup_and_defaults() {
        let caps = Capabilities::new("x")
            .with(
                ResourceKind::Contact,
                ResourceCapabilities {
                    tags: true,
                    ..ResourceCapabilities::crud(50, ["first_name", "tags"])
                },
            )
            .with_webhooks(true);
        let c = caps.of::<Contact>();
        assert!(c.supports(Operation::Create) && !c.supports(Operation::Changes));
        assert!(c.can_write("first_name") && c.can_write("tags"));
        assert!(!c.can_write("last_name") && !c.can_write("custom_fields"));
        assert!(!c.writable.contains("tags"), "tags are a flag, not a name");
        assert_eq!(caps.of::<Lead>(), &ResourceCapabilities::none());
        assert!(caps.webhooks);
        assert_eq!(
            caps.kinds().map(|(k, _)| k).collect::<Vec<_>>(),
            [ResourceKind::Contact]
        );
    }

    #[test]
    fn every_operation_and_filter_maps_to_its_flag() {
        for op in Operation::ALL {
            let mut r = ResourceCapabilities::none();
            assert!(!r.supports(op));
            match op {
                Operation::List => r.operations.list = true,
                Operation::Get => r.operations.get = true,
                Operation::Create => r.operations.create = true,
                Operation::Update => r.operations.update = true,
                Operation::Delete => r.operations.delete = true,
                Operation::Changes => r.operations.changes = true,
            }
            for other in Operation::ALL {
                assert_eq!(r.supports(other), other == op, "{op:?} vs {other:?}");
            }
        }
        for f in Filter::ALL {
            let mut r = ResourceCapabilities::none();
            match f {
                Filter::Search => r.filters.search = true,
                Filter::UpdatedSince => r.filters.updated_since = true,
                Filter::Of => r.filters.of = true,
            }
            for other in Filter::ALL {
                assert_eq!(r.honours(other), other == f);
            }
        }
        let names: Vec<_> = Operation::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(
            names,
            ["list", "get", "create", "update", "delete", "changes_since"]
        );
        assert_eq!(Filter::UpdatedSince.as_str(), "updated_since");
        assert_eq!(Filter::Search.as_str(), "search");
    }

    #[test]
    fn the_writable_part_drops_exactly_the_unwritable_fields() {
        let caps = ResourceCapabilities::crud(10, ["first_name", "emails"]);
        let new = crate::NewContact {
            first_name: Some("Ada".into()),
            department: Some("R&D".into()),
            tags: vec![crate::Tag::named("t")],
            ..Default::default()
        };
        let (kept, dropped) = caps.writable_part::<Contact>(&new).unwrap();
        assert_eq!(dropped, ["department", "tags"]);
        assert_eq!(kept.first_name.as_deref(), Some("Ada"));
        assert!(kept.department.is_none() && kept.tags.is_empty());
        let (same, none) = caps
            .writable_part::<Contact>(&crate::NewContact {
                first_name: Some("B".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(same.first_name.as_deref(), Some("B"));
    }

    #[test]
    fn serialises_stably() {
        let caps = Capabilities::new("x").with(
            ResourceKind::Task,
            ResourceCapabilities::crud(10, ["title", "due_date"]),
        );
        let json = serde_json::to_value(&caps).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "vendor": "x",
                "resources": {"task": {
                    "operations": {"list": true, "get": true, "create": true, "update": true,
                                   "delete": true, "changes": false},
                    "filters": {"search": false, "updated_since": false, "of": false},
                    "deletions": "none",
                    "tags": false,
                    "custom_fields": false,
                    "writable": ["due_date", "title"],
                    "max_page_size": 10
                }},
                "webhooks": false
            })
        );
        let back: Capabilities = serde_json::from_value(json).unwrap();
        assert_eq!(back, caps);
    }
}
