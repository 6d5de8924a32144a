//! What the Insightly adapter supports, as data (the checklist is in the crate docs).

use std::collections::BTreeMap;

use unicrm_core::{Capabilities, DeletionDetection, ResourceCapabilities};

use crate::client::VENDOR;
use crate::config::MAX_PAGE_SIZE;

/// Full CRUD, search, updated-since, change feed with id-scan deletions.
fn record(tags: bool, custom_fields: bool) -> ResourceCapabilities {
    ResourceCapabilities {
        search: true,
        updated_since: true,
        changes: true,
        deletions: DeletionDetection::IdScan,
        tags,
        custom_fields,
        ..ResourceCapabilities::crud(MAX_PAGE_SIZE)
    }
}

/// The adapter's capabilities.
pub fn capabilities() -> Capabilities {
    let mut r = BTreeMap::new();
    r.insert("contact".to_string(), record(true, true));
    r.insert("account".to_string(), record(true, true));
    r.insert("opportunity".to_string(), record(true, true));
    r.insert("lead".to_string(), record(true, true));
    // Tasks have CUSTOMFIELDS at Insightly but the unified task has no home for them (raw
    // only); neither tasks nor notes have tags.
    r.insert("task".to_string(), record(false, false));
    r.insert("note".to_string(), record(false, false));
    r.insert(
        "user".to_string(),
        ResourceCapabilities::read_only(MAX_PAGE_SIZE),
    );
    r.insert(
        "pipeline".to_string(),
        ResourceCapabilities::read_only(MAX_PAGE_SIZE),
    );
    Capabilities {
        vendor: VENDOR.to_string(),
        resources: r,
        webhooks: false,
    }
}
