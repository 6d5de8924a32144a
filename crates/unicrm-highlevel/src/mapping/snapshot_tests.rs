//! Every fixture mapped (docs/vendors/highlevel-v2.md, "Example payloads"), both directions:
//! wire → unified, and the unified record back to the write body (create and patch). The
//! `raw` payload is left out of the unified snapshots (it is the fixture itself).

use serde_json::Value;
use unicrm_core::{Contact, ContactPatch, NewContact, Patch, ResourceKind};

use super::{contact, field, user};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn unified<T: serde::Serialize>(record: &T) -> Value {
    let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("raw");
    }
    v
}

/// The writable part of a read contact, as a create would send it back.
pub(super) fn as_new(c: &Contact) -> NewContact {
    let v = serde_json::to_value(c).unwrap_or(Value::Null);
    let new: NewContact = serde_json::from_value(v).unwrap_or_default();
    let caps = crate::capabilities::capabilities();
    let (mut new, _) = caps
        .resource(&ResourceKind::Contact)
        .writable_part::<Contact>(&new)
        .unwrap_or((new.clone(), vec![]));
    // HighLevel holds one email and one phone on write (the others are read-only).
    new.emails.truncate(1);
    new.phones.truncate(1);
    new
}

#[test]
fn contact_get_fixture_both_directions() {
    let body = fixture("contact.json");
    let c = contact::from_wire(body["contact"].clone()).expect("maps");
    insta::assert_json_snapshot!("contact__unified", unified(&c));
    let create = contact::to_create(&as_new(&c), "h8Qz3LmN5pRt7VwX2yBc").expect("create body");
    insta::assert_json_snapshot!("contact__create_body", create);
    let patch = ContactPatch {
        first_name: Patch::Set("Jürgen".into()),
        account_name: Patch::Clear,
        tags: Patch::Set(c.tags.clone()),
        custom_fields: Patch::Set(c.custom_fields[..2].to_vec()),
        ..Default::default()
    };
    let body = contact::to_patch(&patch).expect("patch body");
    let json = serde_json::to_value(&body).unwrap_or(Value::Null);
    assert!(
        json.get("locationId").is_none(),
        "a PUT never carries locationId"
    );
    insta::assert_json_snapshot!("contact__patch_body", body);
}

#[test]
fn contacts_search_page_fixture_both_directions() {
    let page = fixture("contacts-search-page.json");
    let hits = page["contacts"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 3);
    let contacts: Vec<Contact> = hits
        .into_iter()
        .map(|h| contact::from_wire(h).expect("maps"))
        .collect();
    let all: Vec<Value> = contacts.iter().map(unified).collect();
    insta::assert_json_snapshot!("contacts_search_page__unified", all);
    let bodies: Vec<_> = contacts
        .iter()
        .map(|c| contact::to_create(&as_new(c), "h8Qz3LmN5pRt7VwX2yBc").expect("body"))
        .collect();
    insta::assert_json_snapshot!("contacts_search_page__create_bodies", bodies);
}

#[test]
fn custom_fields_fixture() {
    let defs: Vec<Value> = fixture("custom-fields.json")["customFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|d| unified(&field::from_wire(d).expect("maps")))
        .collect();
    insta::assert_json_snapshot!("custom_fields__unified", defs);
}

/// Custom field values read as `{id, value}` and write as `{id, field_value}`
/// (docs/vendors/highlevel-v2.md, "Contact custom field values").
#[test]
fn custom_field_values_read_and_write_in_different_shapes() {
    let c = contact::from_wire(fixture("contact.json")["contact"].clone()).expect("maps");
    let written: Vec<Value> = c
        .custom_fields
        .iter()
        .map(|v| serde_json::to_value(super::fields::field_write(v)).unwrap_or(Value::Null))
        .collect();
    insta::assert_json_snapshot!("custom_field_values__write", written);
    assert!(
        written
            .iter()
            .all(|w| w.get("field_value").is_some() && w.get("value").is_none())
    );
}

#[test]
fn users_search_fixture() {
    let users: Vec<Value> = fixture("users-search.json")["users"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|u| unified(&user::from_wire(u).expect("maps")))
        .collect();
    insta::assert_json_snapshot!("users_search__unified", users);
}

/// "Uncertain" 5: `additionalEmails`/`additionalPhones` are objects live and strings in the
/// docs; both readings are read.
#[test]
fn additional_emails_and_phones_in_both_forms() {
    let objects = serde_json::json!({"id": "a", "additionalEmails": [{"email": "x@y.de"}],
        "additionalPhones": [{"phone": "+491", "phoneLabel": "Work"}]});
    let strings = serde_json::json!({"id": "a", "additionalEmails": ["x@y.de"],
        "additionalPhones": ["+491"]});
    let a = contact::from_wire(objects).expect("objects");
    let b = contact::from_wire(strings).expect("strings");
    assert_eq!(a.emails, b.emails);
    assert_eq!(a.phones, b.phones);
    assert_eq!(a.emails[0].address, "x@y.de");
    // "Uncertain" 6: no first or last name: the name (or the lower-case contactName).
    let named = contact::from_wire(serde_json::json!({"id": "a", "contactName": "hanako yamada"}))
        .expect("maps");
    assert_eq!(named.last_name.as_deref(), Some("hanako yamada"));
}
