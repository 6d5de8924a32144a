//! What the Capsule adapter supports, as data.

use std::collections::BTreeMap;

use unicrm_core::{Capabilities, DeletionDetection, ResourceCapabilities};

/// Capsule's largest page.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The entry feeds' largest page.
pub const MAX_ENTRY_PAGE_SIZE: u32 = 50;

/// The capability table (see the crate docs for the reasons).
pub fn capsule_capabilities() -> Capabilities {
    let party = ResourceCapabilities {
        search: true,
        updated_since: true,
        changes: true,
        deletions: DeletionDetection::Native,
        tags: true,
        custom_fields: true,
        ..ResourceCapabilities::crud(MAX_PAGE_SIZE)
    };
    let scanned = |max| ResourceCapabilities {
        changes: true,
        deletions: DeletionDetection::IdScan,
        ..ResourceCapabilities::crud(max)
    };
    let mut resources = BTreeMap::new();
    resources.insert("contact".to_string(), party.clone());
    resources.insert("account".to_string(), party.clone());
    resources.insert("opportunity".to_string(), party);
    resources.insert("task".to_string(), scanned(MAX_PAGE_SIZE));
    resources.insert("note".to_string(), scanned(MAX_ENTRY_PAGE_SIZE));
    resources.insert(
        "user".to_string(),
        ResourceCapabilities::read_only(MAX_PAGE_SIZE),
    );
    resources.insert(
        "pipeline".to_string(),
        ResourceCapabilities::read_only(MAX_PAGE_SIZE),
    );
    resources.insert("lead".to_string(), ResourceCapabilities::none());
    Capabilities {
        vendor: "capsule".into(),
        resources,
        webhooks: true,
    }
}
