//! What an adapter can do, as data, so callers adapt instead of catching errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// What one resource supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCapabilities {
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
    /// `ListParams::search` is honoured.
    pub search: bool,
    /// `ListParams::updated_since` is honoured.
    pub updated_since: bool,
    /// The change feed reports upserts.
    pub changes: bool,
    /// How deletions are found.
    pub deletions: DeletionDetection,
    /// Records carry tags.
    pub tags: bool,
    /// Records carry custom fields.
    pub custom_fields: bool,
    /// The vendor's largest page.
    pub max_page_size: u32,
}

impl ResourceCapabilities {
    /// Nothing supported.
    pub fn none() -> Self {
        ResourceCapabilities {
            list: false,
            get: false,
            create: false,
            update: false,
            delete: false,
            search: false,
            updated_since: false,
            changes: false,
            deletions: DeletionDetection::None,
            tags: false,
            custom_fields: false,
            max_page_size: 0,
        }
    }

    /// Read-only: list and get.
    pub fn read_only(max_page_size: u32) -> Self {
        ResourceCapabilities {
            list: true,
            get: true,
            max_page_size,
            ..Self::none()
        }
    }

    /// List, get, create, update, delete.
    pub fn crud(max_page_size: u32) -> Self {
        ResourceCapabilities {
            create: true,
            update: true,
            delete: true,
            ..Self::read_only(max_page_size)
        }
    }

    /// Whether `operation` (`list`, `get`, `create`, `update`, `delete`, `search`,
    /// `updated_since`, `changes`) is supported.
    pub fn supports(&self, operation: &str) -> bool {
        match operation {
            "list" => self.list,
            "get" => self.get,
            "create" => self.create,
            "update" => self.update,
            "delete" => self.delete,
            "search" => self.search,
            "updated_since" => self.updated_since,
            "changes" => self.changes,
            _ => false,
        }
    }
}

/// Everything an adapter supports, per resource (`contact`, `account`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Vendor name.
    pub vendor: String,
    /// Per resource kind (snake_case name of [`crate::ResourceKind`]).
    pub resources: BTreeMap<String, ResourceCapabilities>,
    /// Webhooks (push notifications of changes) are available.
    pub webhooks: bool,
}

impl Capabilities {
    /// What `kind` supports; everything false when the adapter does not list it.
    pub fn resource(&self, kind: &crate::ResourceKind) -> ResourceCapabilities {
        self.resources
            .get(kind.as_str())
            .cloned()
            .unwrap_or_else(ResourceCapabilities::none)
    }
}
