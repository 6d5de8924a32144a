//! Mapping snapshots: every fixture read into the unified model, and written back as the body
//! a create (and an update) would send. The `raw` payload is redacted in the read snapshots
//! (it is the fixture itself) and asserted separately.

use serde_json::value::RawValue;
use unicrm_core::http::HeaderMap;
use unicrm_core::http::classify::classify_with;
use unicrm_core::{
    AccountPatch, ContactPatch, CustomFieldId, CustomFieldValue, FieldValue, NewAccount,
    NewContact, NewLead, NewNote, NewOpportunity, NewTask, OpportunityPatch, OpportunityStatus,
    Patch, ResourceKind, Tag, TaskPatch, TaskStatus,
};
use unicrm_insightly::mapping::{self, Definitions, Mode};
use unicrm_insightly::wire::CustomFieldDefinitionWire;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn raw(text: &str) -> Box<RawValue> {
    serde_json::from_str(text).unwrap()
}

fn items(text: &str) -> Vec<Box<RawValue>> {
    serde_json::from_str(text).unwrap()
}

fn contact_defs() -> Definitions {
    let wire: Vec<CustomFieldDefinitionWire> =
        serde_json::from_str(&fixture("custom-fields-contacts.json")).unwrap();
    Definitions::from_wire(wire, &ResourceKind::Contact)
}

#[test]
fn contact() {
    let c = mapping::contact::from_json(&raw(&fixture("contact.json")), &contact_defs()).unwrap();
    let r = c.raw.as_ref().unwrap().to_value();
    assert_eq!(r["SCORE_INTERNAL_X"], 17, "unknown keys are kept in raw");
    assert_eq!(r["DATES"][0]["OCCASION_NAME"], "Work anniversary");
    insta::assert_json_snapshot!("contact_read", c, {".raw" => "[raw]"});
    let body = mapping::contact::create_body(&NewContact::from(&c), &contact_defs()).unwrap();
    insta::assert_snapshot!("contact_create_body", body.to_json_pretty());
}

#[test]
fn contact_untyped_custom_fields() {
    // Without definitions, values are typed from their JSON alone.
    let c =
        mapping::contact::from_json(&raw(&fixture("contact.json")), &Definitions::empty()).unwrap();
    insta::assert_json_snapshot!("contact_custom_fields_untyped", c.custom_fields);
}

#[test]
fn contact_patch_sends_only_touched_fields() {
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        description: Patch::Clear,
        tags: Patch::Set(vec![
            Tag::named("vip"),
            Tag::named("VIP"),
            Tag::named("new"),
        ]),
        custom_fields: Patch::Set(vec![
            CustomFieldValue {
                definition_id: CustomFieldId::new("Annual_Spend__c"),
                name: None,
                value: Some(FieldValue::Decimal(
                    "12345678901234567890.10".parse().unwrap(),
                )),
                row_id: None,
            },
            CustomFieldValue {
                definition_id: CustomFieldId::new("Region__c"),
                name: None,
                value: None,
                row_id: None,
            },
        ]),
        ..ContactPatch::default()
    };
    let body = mapping::contact::patch_body(&patch, &contact_defs(), Mode::Update).unwrap();
    insta::assert_snapshot!("contact_patch_body", body.to_json_pretty());
    let cleared = ContactPatch {
        phones: Patch::Clear,
        custom_fields: Patch::Clear,
        ..ContactPatch::default()
    };
    let body = mapping::contact::patch_body(&cleared, &contact_defs(), Mode::Update).unwrap();
    insta::assert_snapshot!("contact_patch_clear_body", body.to_json_pretty());
    let empty =
        mapping::contact::patch_body(&ContactPatch::default(), &contact_defs(), Mode::Update)
            .unwrap();
    assert!(empty.is_empty());
}

#[test]
fn contacts_list_brief() {
    let list: Vec<_> = items(&fixture("contacts-list.json"))
        .iter()
        .map(|r| mapping::contact::from_json(r, &Definitions::empty()).unwrap())
        .collect();
    insta::assert_json_snapshot!("contacts_list_read", list, {"[].raw" => "[raw]"});
    let bodies: Vec<String> = list
        .iter()
        .map(|c| {
            mapping::contact::create_body(&NewContact::from(c), &Definitions::empty())
                .unwrap()
                .to_json_pretty()
        })
        .collect();
    insta::assert_snapshot!("contacts_list_create_bodies", bodies.join("\n"));
}

#[test]
fn organisation() {
    let a = mapping::account::from_json(&raw(&fixture("organisation.json")), &Definitions::empty())
        .unwrap();
    assert_eq!(
        a.raw.as_ref().unwrap().to_value()["EMAILDOMAINS"][0]["EMAIL_DOMAIN"],
        "lumiere.example.fr"
    );
    insta::assert_json_snapshot!("organisation_read", a, {".raw" => "[raw]"});
    let body = mapping::account::create_body(&NewAccount::from(&a), &Definitions::empty()).unwrap();
    insta::assert_snapshot!("organisation_create_body", body.to_json_pretty());
    let patch = AccountPatch {
        name: Patch::Set("Ateliers Lumière SAS".into()),
        ..AccountPatch::default()
    };
    let body = mapping::account::patch_body(&patch, &Definitions::empty(), Mode::Update).unwrap();
    assert_eq!(
        body.to_json(),
        r#"{"ORGANISATION_NAME":"Ateliers Lumière SAS"}"#
    );
}

#[test]
fn opportunity() {
    let o =
        mapping::opportunity::from_json(&raw(&fixture("opportunity.json")), &Definitions::empty())
            .unwrap();
    let amount = o.amount.as_ref().unwrap();
    assert_eq!(amount.amount.to_string(), "1500.0");
    assert_eq!(amount.currency.as_str(), "EUR");
    insta::assert_json_snapshot!("opportunity_read", o, {".raw" => "[raw]"});
    let body = mapping::opportunity::create_body(&NewOpportunity::from(&o), &Definitions::empty())
        .unwrap();
    insta::assert_snapshot!("opportunity_create_body", body.to_json_pretty());
}

#[test]
fn opportunity_money_is_exact_both_ways() {
    let text = r#"{"OPPORTUNITY_ID":1,"OPPORTUNITY_NAME":"Big","BID_AMOUNT":12345678901234567890.12,
        "BID_CURRENCY":"usd","BID_TYPE":"fixed bid","OPPORTUNITY_STATE":"won","PROBABILITY":99.6}"#;
    let o = mapping::opportunity::from_json(&raw(text), &Definitions::empty()).unwrap();
    let m = o.amount.clone().unwrap();
    assert_eq!(m.amount.to_string(), "12345678901234567890.12");
    assert_eq!(m.currency.as_str(), "USD");
    assert_eq!(o.status, Some(OpportunityStatus::Won));
    let patch = OpportunityPatch {
        amount: Patch::Set(m),
        status: Patch::Set(OpportunityStatus::Lost),
        probability: o.probability.map_or(Patch::Unchanged, Patch::Set),
        bid_type: o.bid_type.clone().map_or(Patch::Unchanged, Patch::Set),
        ..OpportunityPatch::default()
    };
    let body =
        mapping::opportunity::patch_body(&patch, &Definitions::empty(), Mode::Update).unwrap();
    assert_eq!(
        body.to_json(),
        r#"{"BID_AMOUNT":12345678901234567890.12,"BID_CURRENCY":"USD","BID_TYPE":"Fixed Bid","OPPORTUNITY_STATE":"LOST","PROBABILITY":100}"#
    );
}

#[test]
fn lead() {
    let lists = mapping::lead::LeadPicklists::empty();
    let l = mapping::lead::from_json(&raw(&fixture("lead.json")), &Definitions::empty(), &lists)
        .unwrap();
    assert_eq!(
        l.raw.as_ref().unwrap().to_value()["LAST_ACTIVITY_DATE_UTC"],
        ""
    );
    insta::assert_json_snapshot!("lead_read", l, {".raw" => "[raw]"});
    let body =
        mapping::lead::create_body(&NewLead::from(&l), &Definitions::empty(), &lists).unwrap();
    insta::assert_snapshot!("lead_create_body", body.to_json_pretty());
    let err =
        mapping::lead::create_body(&NewLead::default(), &Definitions::empty(), &lists).unwrap_err();
    insta::assert_snapshot!("lead_without_last_name", err.to_string());
}

fn lead_lists() -> mapping::lead::LeadPicklists {
    mapping::lead::LeadPicklists::new(
        [
            (81, "Not Contacted".to_string()),
            (84, "Qualified".to_string()),
        ],
        [(71, "Web".to_string())],
    )
}

#[test]
fn lead_status_and_source_labels() {
    let lists = lead_lists();
    let l = mapping::lead::from_json(&raw(&fixture("lead.json")), &Definitions::empty(), &lists)
        .unwrap();
    assert_eq!(l.status_id.as_deref(), Some("81"));
    assert_eq!(l.status.as_deref(), Some("Not Contacted"));
    assert_eq!(l.lead_source_id.as_deref(), Some("71"));
    assert_eq!(l.lead_source.as_deref(), Some("Web"));

    // A label alone is resolved case-insensitively.
    let new = NewLead {
        last_name: Some("Núñez".into()),
        status: Some("  qualified ".into()),
        lead_source: Some("WEB".into()),
        ..NewLead::default()
    };
    let body = mapping::lead::create_body(&new, &Definitions::empty(), &lists).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body.to_json()).unwrap();
    assert_eq!(v["LEAD_STATUS_ID"], 84);
    assert_eq!(v["LEAD_SOURCE_ID"], 71);

    // The id wins over the label.
    let new = NewLead {
        status: Some("Qualified".into()),
        status_id: Some("81".into()),
        ..new
    };
    let body = mapping::lead::create_body(&new, &Definitions::empty(), &lists).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body.to_json()).unwrap();
    assert_eq!(v["LEAD_STATUS_ID"], 81);

    // An unknown label is a validation error naming the field.
    let patch = unicrm_core::LeadPatch {
        status: Patch::Set("Hot".into()),
        ..Default::default()
    };
    let err =
        mapping::lead::patch_body(&patch, &Definitions::empty(), &lists, Mode::Update).unwrap_err();
    match &err {
        unicrm_core::Error::Validation { fields, message } => {
            assert_eq!(fields[0].field.as_deref(), Some("status"));
            assert!(message.contains("Qualified"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let patch = unicrm_core::LeadPatch {
        lead_source: Patch::Set("Radio".into()),
        ..Default::default()
    };
    let err =
        mapping::lead::patch_body(&patch, &Definitions::empty(), &lists, Mode::Update).unwrap_err();
    assert!(
        matches!(&err, unicrm_core::Error::Validation { fields, .. } if fields[0].field.as_deref() == Some("lead_source")),
        "{err:?}"
    );

    // Clearing the label alone clears the id.
    let patch = unicrm_core::LeadPatch {
        status: Patch::Clear,
        ..Default::default()
    };
    let body =
        mapping::lead::patch_body(&patch, &Definitions::empty(), &lists, Mode::Update).unwrap();
    assert_eq!(body.to_json(), r#"{"LEAD_STATUS_ID":null}"#);
}

#[test]
fn task() {
    let t = mapping::task::from_json(&raw(&fixture("task.json"))).unwrap();
    assert_eq!(t.status, Some(TaskStatus::InProgress));
    insta::assert_json_snapshot!("task_read", t, {".raw" => "[raw]"});
    let body = mapping::task::create_body(&NewTask::from(&t)).unwrap();
    insta::assert_snapshot!("task_create_body", body.to_json_pretty());
    let patch = TaskPatch {
        status: Patch::Set(TaskStatus::Completed),
        ..TaskPatch::default()
    };
    let body = mapping::task::patch_body(&patch, Mode::Update).unwrap();
    assert_eq!(body.to_json(), r#"{"STATUS":"COMPLETED"}"#);
}

#[test]
fn note() {
    let n = mapping::note::from_json(&raw(&fixture("note.json"))).unwrap();
    insta::assert_json_snapshot!("note_read", n, {".raw" => "[raw]"});
    let new = NewNote::from(&n);
    assert_eq!(mapping::note::parent(&new).unwrap(), ("Contacts", 1001));
    let body = mapping::note::create_body(&new).unwrap();
    insta::assert_snapshot!("note_create_body", body.to_json_pretty());
    let untitled = NewNote { title: None, ..new };
    let body = mapping::note::create_body(&untitled).unwrap();
    assert!(
        body.to_json()
            .contains(r#""TITLE":"Discussed phase 2 &mdash; budget approved in Q2 ."#),
        "{}",
        body.to_json()
    );
    assert!(mapping::note::parent(&NewNote::default()).is_err());
}

#[test]
fn users() {
    let users: Vec<_> = items(&fixture("users-list.json"))
        .iter()
        .map(|r| mapping::user::from_json(r).unwrap())
        .collect();
    insta::assert_json_snapshot!("users_read", users, {"[].raw" => "[raw]"});
}

#[test]
fn pipelines_and_stages() {
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fixture("pipelines-and-stages.json")).unwrap();
    let stages = items(&all["GET /PipelineStages"].to_string());
    let stages = mapping::pipeline::stages_from_json(&stages).unwrap();
    let pipelines: Vec<_> = items(&all["GET /Pipelines"].to_string())
        .iter()
        .map(|r| mapping::pipeline::from_json(r, &stages).unwrap())
        .collect();
    insta::assert_json_snapshot!("pipelines_read", pipelines, {"[].raw" => "[raw]"});
}

#[test]
fn custom_field_definitions() {
    let wire: Vec<CustomFieldDefinitionWire> =
        serde_json::from_str(&fixture("custom-fields-contacts.json")).unwrap();
    let defs: Vec<_> = wire
        .into_iter()
        .filter_map(|d| mapping::custom_fields::definition(d, &ResourceKind::Contact))
        .collect();
    insta::assert_json_snapshot!("custom_field_definitions", defs, {"[].raw" => "[raw]"});
}

#[test]
fn error_bodies() {
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fixture("errors.json")).unwrap();
    let mut lines = Vec::new();
    for (key, body) in &all {
        let status: u16 = key[..3].parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "12".parse().unwrap());
        let err = classify_with(
            "insightly",
            status,
            &headers,
            body.to_string().as_bytes(),
            chrono::DateTime::UNIX_EPOCH,
            &unicrm_insightly::errors::InsightlyErrors,
            &unicrm_insightly::errors::InsightlyRateLimits,
        );
        lines.push(format!("{key} => {err}"));
    }
    insta::assert_snapshot!("error_bodies", lines.join("\n"));
}

#[test]
fn hostile_input_never_panics() {
    let defs = contact_defs();
    for text in [
        "{}",
        r#"{"CONTACT_ID":null,"CUSTOMFIELDS":null,"TAGS":[{}],"LINKS":[{"LINK_OBJECT_ID":null}]}"#,
        r#"{"DATE_OF_BIRTH":"0000-00-00 00:00:00","DATE_UPDATED_UTC":"yesterday"}"#,
        r#"{"CUSTOMFIELDS":[{"FIELD_NAME":"Annual_Spend__c","FIELD_VALUE":"lots"},{"FIELD_NAME":"Is_Partner__c","FIELD_VALUE":[1]},{"FIELD_VALUE":3}]}"#,
    ] {
        let c = mapping::contact::from_json(&raw(text), &defs).unwrap();
        let _ = mapping::contact::create_body(&NewContact::from(&c), &defs).unwrap();
    }
    let err = mapping::contact::from_json(&raw(r#"{"CONTACT_ID":"x"}"#), &defs).unwrap_err();
    assert!(
        matches!(err, unicrm_core::Error::Decode { ref path, .. } if path == "CONTACT_ID"),
        "{err:?}"
    );
    let o = mapping::opportunity::from_json(
        &raw(r#"{"BID_AMOUNT":1e400,"BID_CURRENCY":"EUR"}"#),
        &Definitions::empty(),
    );
    assert!(o.is_ok() || o.is_err());
}
