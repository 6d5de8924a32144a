//! Vendor → unified and unified → vendor, one snapshot per fixture (`tests/fixtures/`).

use chrono::{TimeZone, Utc};
use serde_json::Value;
use unicrm_capsule::changes::{Listing, assemble};
use unicrm_capsule::mapping::account::{
    account_from_wire, account_patch_to_wire, new_account_to_wire,
};
use unicrm_capsule::mapping::contact::{
    contact_from_wire, contact_patch_to_wire, new_contact_to_wire,
};
use unicrm_capsule::mapping::custom_fields::{FieldEntity, definition_from_wire};
use unicrm_capsule::mapping::note::{new_note_to_wire, note_from_wire};
use unicrm_capsule::mapping::opportunity::{
    ResolvedRefs, new_opportunity_to_wire, opportunity_from_wire, opportunity_patch_to_wire,
};
use unicrm_capsule::mapping::pipeline::{StageIndex, pipeline_from_wire};
use unicrm_capsule::mapping::task::{new_task_to_wire, task_from_wire, task_patch_to_wire};
use unicrm_capsule::mapping::user::user_from_wire;
use unicrm_capsule::mapping::{Body, FieldDefs};
use unicrm_capsule::resources::parties::to_record;
use unicrm_capsule::wire::{self, *};
use unicrm_core::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn party_defs() -> FieldDefs {
    let defs = wire::decode_list::<wire::FieldDefinition>(
        &fixture("party-field-definitions.json"),
        "definitions",
    )
    .unwrap();
    FieldDefs::new(
        defs.iter()
            .map(|d| definition_from_wire(d, FieldEntity::Parties)),
    )
}

fn pipelines() -> Vec<Pipeline> {
    let all: Value = serde_json::from_slice(&fixture("pipelines-and-milestones.json")).unwrap();
    let pipes = serde_json::to_vec(&all["GET /api/v2/pipelines"]).unwrap();
    let ms = serde_json::to_vec(&all["GET /api/v2/pipelines/310/milestones"]).unwrap();
    let pipes = wire::decode_list::<WirePipeline>(&pipes, "pipelines").unwrap();
    let ms = wire::decode_list::<WireMilestone>(&ms, "milestones").unwrap();
    pipes
        .iter()
        .map(|p| pipeline_from_wire(p, if p.wire.id == 310 { &ms } else { &[] }))
        .collect()
}

/// The request body as pretty JSON (parsed back for the snapshot).
fn body(b: &Body, wrapper: &str) -> Value {
    serde_json::from_str(&b.wrap(wrapper).unwrap()).unwrap()
}

#[test]
fn party_person() {
    let d = wire::decode_one::<Party>(&fixture("party-person.json"), "party").unwrap();
    let contact = contact_from_wire(&d, &party_defs());
    insta::assert_yaml_snapshot!("party_person__unified", contact);

    let new = NewContact::from(&contact);
    insta::assert_json_snapshot!(
        "party_person__create_body",
        body(&new_contact_to_wire(&new).unwrap(), "party")
    );

    // Replace the lists: keep the first email with a new label, add one, drop the second;
    // keep one tag and add one; change one custom field, clear another, drop the rest.
    let mut emails = contact.emails.clone();
    emails.truncate(1);
    emails[0].kind = Some(EmailKind::Home);
    emails.push(Email {
        address: "ops@northwind.example".into(),
        kind: Some(EmailKind::Work),
        ..Default::default()
    });
    let patch = ContactPatch {
        job_title: Patch::Set("CPO".into()),
        description: Patch::Clear,
        emails: Patch::Set(emails),
        phones: Patch::Set(contact.phones.clone()),
        tags: Patch::Set(vec![Tag::named("prospect"), Tag::named("VIP")]),
        custom_fields: Patch::Set(vec![
            CustomFieldValue {
                definition_id: "47".into(),
                name: None,
                value: Some(FieldValue::Decimal("250000.75".parse().unwrap())),
                row_id: None,
            },
            CustomFieldValue {
                definition_id: "45".into(),
                name: None,
                value: None,
                row_id: None,
            },
            contact.custom_fields[3].clone(),
        ]),
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "party_person__update_body",
        body(
            &contact_patch_to_wire(&patch, Some(&contact)).unwrap(),
            "party"
        )
    );
}

#[test]
fn party_organisation() {
    let d = wire::decode_one::<Party>(&fixture("party-organisation.json"), "party").unwrap();
    let account = account_from_wire(&d, &party_defs());
    insta::assert_yaml_snapshot!("party_organisation__unified", account, { ".raw" => "[raw]" });
    let new = NewAccount::from(&account);
    insta::assert_json_snapshot!(
        "party_organisation__create_body",
        body(&new_account_to_wire(&new).unwrap(), "party")
    );
    let patch = AccountPatch {
        name: Patch::Set("Nordlicht Kaffee GmbH".into()),
        addresses: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "party_organisation__update_body",
        body(
            &account_patch_to_wire(&patch, Some(&account)).unwrap(),
            "party"
        )
    );
}

#[test]
fn parties_list() {
    let items = wire::decode_list::<Party>(&fixture("parties-list.json"), "parties").unwrap();
    let records: Vec<_> = items
        .iter()
        .map(|d| to_record(d, &FieldDefs::default()))
        .collect();
    insta::assert_yaml_snapshot!("parties_list__unified", records, { "[].raw" => "[raw]" });
}

#[test]
fn opportunity() {
    let d =
        wire::decode_one::<WireOpportunity>(&fixture("opportunity.json"), "opportunity").unwrap();
    let opp = opportunity_from_wire(&d, &FieldDefs::default(), &StageIndex::new(&pipelines()));
    assert_eq!(opp.amount.as_ref().unwrap().amount.to_string(), "18450.75");
    insta::assert_yaml_snapshot!("opportunity__unified", opp, { ".raw" => "[raw]" });
    let new = NewOpportunity::from(&opp);
    let refs = ResolvedRefs {
        milestone: Some(3104),
        lost_reason: Some(Some(103)),
    };
    insta::assert_json_snapshot!(
        "opportunity__create_body",
        body(&new_opportunity_to_wire(&new, refs).unwrap(), "opportunity")
    );
    let patch = OpportunityPatch {
        amount: Patch::Set(Money::parse("12345678901234567890.12", "eur").unwrap()),
        expected_close_date: Patch::Clear,
        ..Default::default()
    };
    let text = opportunity_patch_to_wire(&patch, ResolvedRefs::default(), Some(&opp))
        .unwrap()
        .wrap("opportunity")
        .unwrap();
    // Digit for digit: no float on the way.
    assert_eq!(
        text,
        r#"{"opportunity":{"expectedCloseOn":null,"value":{"amount":12345678901234567890.12,"currency":"EUR"}}}"#
    );
}

#[test]
fn opportunity_value_is_exact() {
    let body = br#"{"opportunity":{"id":1,"value":{"amount":12345678901234567890.123,"currency":"GBP"},"probability":12.5}}"#;
    let d = wire::decode_one::<WireOpportunity>(body, "opportunity").unwrap();
    let opp = opportunity_from_wire(&d, &FieldDefs::default(), &StageIndex::default());
    assert_eq!(
        opp.amount.unwrap().amount.to_string(),
        "12345678901234567890.123"
    );
    assert_eq!(opp.probability.unwrap().to_string(), "12.5");
}

#[test]
fn pipelines_and_milestones() {
    insta::assert_yaml_snapshot!("pipelines__unified", pipelines(), { "[].raw" => "[raw]" });
}

#[test]
fn task() {
    let d = wire::decode_one::<WireTask>(&fixture("task.json"), "task").unwrap();
    let task = task_from_wire(&d);
    insta::assert_yaml_snapshot!("task__unified", task, { ".raw" => "[raw]" });
    let new = NewTask::from(&task);
    insta::assert_json_snapshot!(
        "task__create_body",
        body(&new_task_to_wire(&new, Some(3)).unwrap(), "task")
    );
    let patch = TaskPatch {
        status: Patch::Set(TaskStatus::Completed),
        due_time: Patch::Clear,
        opportunity_id: Patch::Set("83948362".into()),
        contact_id: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "task__update_body",
        body(
            &task_patch_to_wire(&patch, Patch::Unchanged).unwrap(),
            "task"
        )
    );
}

#[test]
fn entry_note() {
    let d = wire::decode_one::<WireEntry>(&fixture("entry-note.json"), "entry").unwrap();
    let note = note_from_wire(&d);
    insta::assert_yaml_snapshot!("entry_note__unified", note, { ".raw" => "[raw]" });
    let new = NewNote::from(&note);
    insta::assert_json_snapshot!(
        "entry_note__create_body",
        body(&new_note_to_wire(&new).unwrap(), "entry")
    );
}

#[test]
fn users_list() {
    let items = wire::decode_list::<WireUser>(&fixture("users-list.json"), "users").unwrap();
    let users: Vec<User> = items.iter().map(user_from_wire).collect();
    insta::assert_yaml_snapshot!("users__unified", users, { "[].raw" => "[raw]" });
}

#[test]
fn party_field_definitions() {
    let defs = wire::decode_list::<wire::FieldDefinition>(
        &fixture("party-field-definitions.json"),
        "definitions",
    )
    .unwrap();
    let defs: Vec<_> = defs
        .iter()
        .map(|d| definition_from_wire(d, FieldEntity::Parties))
        .collect();
    insta::assert_yaml_snapshot!("party_field_definitions__unified", defs, { "[].raw" => "[raw]" });
}

#[test]
fn parties_deleted() {
    let deleted: Vec<DeletedRecord> =
        wire::decode_list::<DeletedRecord>(&fixture("parties-deleted.json"), "parties")
            .unwrap()
            .into_iter()
            .map(|d| d.wire)
            .collect();
    let checkpoint = Checkpoint::at(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap());
    // The vendor's `Date` on the (empty) listing.
    let vendor_time = Utc.with_ymd_and_hms(2025, 3, 4, 0, 0, 0).unwrap();
    let listing = Listing {
        first_date: Some(vendor_time),
        last_date: Some(vendor_time),
        ..Listing::default()
    };
    let set = assemble::<Contact>(listing, deleted, ContactId::from, &checkpoint);
    insta::assert_yaml_snapshot!("parties_deleted__changes", set);
}

#[test]
fn error_422_validation() {
    let body = fixture("error-422-validation.json");
    let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let err = unicrm_core::http::classify::classify_with(
        "capsule",
        422,
        &Default::default(),
        &body,
        now,
        &unicrm_capsule::errors::CapsuleErrors,
        &unicrm_capsule::errors::CapsuleRateLimits,
    );
    insta::assert_snapshot!("error_422_validation__display", err.to_string());
    match err {
        Error::Validation { fields, .. } => {
            insta::assert_yaml_snapshot!("error_422_validation__fields", fields)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn resthook_delivery_party_updated() {
    let defs = party_defs();
    let parser = unicrm_capsule::DeliveryParser::new().party_fields(
        wire::decode_list::<wire::FieldDefinition>(
            &fixture("party-field-definitions.json"),
            "definitions",
        )
        .unwrap()
        .iter()
        .map(|d| definition_from_wire(d, FieldEntity::Parties))
        .collect(),
    );
    let _ = defs;
    let delivery = parser
        .parse(&fixture("resthook-delivery-party-updated.json"))
        .unwrap();
    insta::assert_yaml_snapshot!("resthook_delivery__unified", delivery, { ".changes[].record.raw" => "[raw]" });
}

#[test]
fn delivery_parser_is_tolerant() {
    use unicrm_capsule::{DeliveryError, HookChange, HookEvent, parse_delivery};
    // Unknown event, unknown keys, an element that does not decode, a deleted party without a type.
    let d = parse_delivery(br#"{"event":"invoice/paid","payload":[{"id":7,"x":1}],"extra":true}"#)
        .unwrap();
    assert_eq!(d.event, HookEvent::Other("invoice/paid".into()));
    assert!(matches!(
        &d.changes[0],
        HookChange::Other { id: Some(7), .. }
    ));
    let d = parse_delivery(br#"{"event":"party/updated","payload":[{"id":"x"},{"id":5,"type":"person","lastName":"Ng"}]}"#).unwrap();
    assert_eq!(d.skipped.len(), 1);
    assert!(
        d.skipped[0].error.contains("payload[0].id"),
        "{:?}",
        d.skipped
    );
    assert_eq!(d.changes.len(), 1);
    let d = parse_delivery(br#"{"event":"party/deleted","payload":[{"id":9}]}"#).unwrap();
    assert_eq!(d.changes.len(), 2);
    for bad in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"payload\":[]}",
        b"{\"event\":\"party/updated\"}",
        b"\xff\xfe",
        b"{\"event\":1,\"payload\":[]}",
    ] {
        assert!(
            matches!(parse_delivery(bad), Err(DeliveryError::Malformed { .. })),
            "{bad:?}"
        );
    }
    let big = vec![b' '; 2048];
    assert!(matches!(
        unicrm_capsule::DeliveryParser::new()
            .max_bytes(1024)
            .parse(&big),
        Err(DeliveryError::TooLarge {
            size: 2048,
            limit: 1024
        })
    ));
}

#[test]
fn odd_party_payloads_map_without_panics() {
    // Nulls for lists, unknown enum labels, number custom field as a number, empty strings.
    let body = br#"{"party":{"id":1,"type":"person","firstName":"","lastName":"Ng","emailAddresses":null,
        "phoneNumbers":[{"id":2,"type":"Pager","number":"1"},{"id":3,"number":""}],
        "addresses":[{"id":4,"type":"Office","street":null}],
        "websites":[{"id":5,"service":"BLUESKY","address":"ng.bsky.social"}],
        "fields":[{"id":6,"definition":{"id":47},"value":42},{"id":7,"definition":{"id":48},"value":null},{"id":8}],
        "tags":null,"future":{"a":[1]}}}"#;
    let d = wire::decode_one::<Party>(body, "party").unwrap();
    let c = contact_from_wire(&d, &party_defs());
    assert_eq!(c.first_name, None);
    assert_eq!(c.phones.len(), 1);
    assert_eq!(c.phones[0].kind, Some(PhoneKind::Other("Pager".into())));
    assert_eq!(c.addresses[0].kind, Some(AddressKind::Work));
    assert_eq!(
        c.websites[0].kind,
        Some(WebsiteKind::Other("BLUESKY".into()))
    );
    assert_eq!(
        c.custom_fields[0].value,
        Some(FieldValue::Decimal(42.into()))
    );
    assert_eq!(c.custom_fields[1].value, None);
    assert_eq!(c.custom_fields.len(), 2);
    // A bad value is a Decode error with its full path.
    let err = wire::decode_list::<Party>(
        br#"{"parties":[{"id":1},{"id":2,"createdAt":"yesterday"}]}"#,
        "parties",
    )
    .unwrap_err();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "parties[1].createdAt"),
        other => panic!("{other:?}"),
    }
}
