//! What the adapter supports, as data: contacts only (full CRUD, `updated_since`, a change
//! feed with Tinycrm's own deleted-records list), no tags, no custom fields, no webhooks.

use std::collections::BTreeMap;

use unicrm_core::{Capabilities, DeletionDetection, ResourceCapabilities, ResourceKind};

/// The adapter's capabilities.
pub fn capabilities() -> Capabilities {
    let contacts = ResourceCapabilities {
        updated_since: true,
        changes: true,
        deletions: DeletionDetection::Native,
        ..ResourceCapabilities::crud(crate::paging::MAX_PAGE)
    };
    Capabilities {
        vendor: crate::VENDOR.into(),
        resources: BTreeMap::from([(ResourceKind::Contact.as_str().to_string(), contacts)]),
        webhooks: false,
    }
}
