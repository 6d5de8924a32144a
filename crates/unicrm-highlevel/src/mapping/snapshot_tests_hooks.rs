//! The `webhook-contact-update.json` fixture (a `ContactUpdate` delivery, docs/vendors/
//! highlevel-v2.md, "Webhooks") both directions: the delivery parsed as `parse_delivery` does
//! into its unified contact, and that contact back to the create and patch bodies. `raw` is
//! left out of the unified snapshot; it is checked to be the delivery itself.

use serde_json::Value;
use unicrm_core::{Change, ContactPatch, Patch};

use super::contact;
use crate::hooks::{HookEvent, parse_delivery};

#[test]
fn webhook_contact_update_fixture_both_directions() {
    let path = format!(
        "{}/tests/fixtures/webhook-contact-update.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_default();
    let delivery = parse_delivery(&bytes).expect("parses");
    assert_eq!(delivery.event_type, "ContactUpdate");
    let HookEvent::Contact(change) = delivery.event else {
        panic!("a contact event, got {:?}", delivery.event);
    };
    let Change::Upserted { record: c } = *change else {
        panic!("an upsert, got {change:?}");
    };
    let sent: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(c.raw.as_ref().map(|r| r.to_value()), Some(sent));
    let mut unified = serde_json::to_value(&c).unwrap_or(Value::Null);
    if let Some(m) = unified.as_object_mut() {
        m.remove("raw");
    }
    insta::assert_json_snapshot!("webhook_contact_update__unified", unified);
    let create = contact::to_create(&super::snapshot_tests::as_new(&c), "h8Qz3LmN5pRt7VwX2yBc")
        .expect("create body");
    insta::assert_json_snapshot!("webhook_contact_update__create_body", create);
    // What the delivery changed, written back as an update: tags and custom fields replace
    // the whole list, the owner moves.
    let patch = ContactPatch {
        tags: Patch::Set(c.tags.clone()),
        custom_fields: Patch::Set(c.custom_fields.clone()),
        owner_id: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "webhook_contact_update__patch_body",
        contact::to_patch(&patch).expect("patch body")
    );
}
