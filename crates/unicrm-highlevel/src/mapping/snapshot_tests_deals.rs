//! The opportunity, pipeline and business payloads mapped, both directions where the API
//! writes them (pipelines are read-only in v2): wire → unified, and the unified record back to
//! the create and patch bodies. `raw` is left out of the unified snapshots.

use serde_json::{Value, json};
use unicrm_core::{
    Account, AccountPatch, Currency, NewAccount, NewOpportunity, Opportunity, OpportunityPatch,
    OpportunityStatus, Patch,
};

use super::{account, opportunity, pipeline};

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

fn eur() -> Currency {
    Currency::new("EUR").expect("a code")
}

/// A unified record's writable part as a `New…` of the same type (serde round trip).
fn as_new<T: serde::Serialize, N: serde::de::DeserializeOwned + Default>(r: &T) -> N {
    serde_json::from_value(serde_json::to_value(r).unwrap_or(Value::Null)).unwrap_or_default()
}

#[test]
fn opportunity_fixture_both_directions() {
    let body = fixture("opportunity.json");
    let o: Opportunity = opportunity::from_wire(body["opportunity"].clone(), &eur()).expect("maps");
    // The live custom field form `{id, type, fieldValueString}` is read.
    assert_eq!(o.custom_fields.len(), 1);
    assert_eq!(
        o.amount.as_ref().map(|m| m.amount.to_string()),
        Some("12500.5".into())
    );
    insta::assert_json_snapshot!("opportunity__unified", unified(&o));
    let new: NewOpportunity = as_new(&o);
    let create = opportunity::to_create(&new, "h8Qz3LmN5pRt7VwX2yBc", &eur()).expect("create");
    insta::assert_json_snapshot!("opportunity__create_body", create);
    let patch = OpportunityPatch {
        status: Patch::Set(OpportunityStatus::Won),
        stage_id: Patch::Set("9f2e7d6c-5b4a-4392-8170-6e5d4c3b2a19".into()),
        owner_id: Patch::Clear,
        custom_fields: Patch::Set(o.custom_fields.clone()),
        ..Default::default()
    };
    let body = opportunity::to_patch(&patch, &eur()).expect("patch");
    let json = serde_json::to_value(&body).unwrap_or(Value::Null);
    assert!(json.get("locationId").is_none() && json.get("contactId").is_none());
    insta::assert_json_snapshot!("opportunity__patch_body", body);
}

/// "Uncertain": opportunity custom fields come as `fieldValue` (spec), `fieldValueString`
/// (live) or `value`, under `customFields` or `custom_fields`; all are read.
#[test]
fn opportunity_custom_fields_in_every_spelling() {
    let spellings = [
        json!({"id": "o1", "customFields": [{"id": "f", "fieldValue": "x"}]}),
        json!({"id": "o1", "customFields": [{"id": "f", "type": "string", "fieldValueString": "x"}]}),
        json!({"id": "o1", "custom_fields": [{"id": "f", "fieldValueString": "x"}]}),
        json!({"id": "o1", "customFields": [{"id": "f", "value": "x"}]}),
    ];
    for s in spellings {
        let o = opportunity::from_wire(s.clone(), &eur()).expect("maps");
        assert_eq!(o.custom_fields.len(), 1, "{s}");
        assert_eq!(o.custom_fields[0].definition_id.as_str(), "f");
        assert_eq!(
            o.custom_fields[0].value,
            Some(unicrm_core::FieldValue::Text("x".into())),
            "{s}"
        );
    }
    // `fieldValue` wins over the others.
    let both = json!({"id": "o1", "customFields": [{"id": "f", "fieldValueString": "b", "fieldValue": "a"}]});
    let o = opportunity::from_wire(both, &eur()).expect("maps");
    assert_eq!(
        o.custom_fields[0].value,
        Some(unicrm_core::FieldValue::Text("a".into()))
    );
}

#[test]
fn opportunity_writes_refuse_what_highlevel_cannot_hold() {
    let usd = NewOpportunity {
        name: "x".into(),
        contact_id: Some("c".into()),
        pipeline_id: Some("p".into()),
        amount: unicrm_core::Money::parse("1", "USD"),
        ..Default::default()
    };
    let e = opportunity::to_create(&usd, "L", &eur()).expect_err("another currency");
    assert!(matches!(e, unicrm_core::Error::Unsupported { .. }), "{e}");
    let no_contact = NewOpportunity {
        name: "x".into(),
        pipeline_id: Some("p".into()),
        ..Default::default()
    };
    let e = opportunity::to_create(&no_contact, "L", &eur()).expect_err("no contact");
    assert!(matches!(e, unicrm_core::Error::Unsupported { .. }), "{e}");
    let no_pipeline = NewOpportunity {
        name: "x".into(),
        contact_id: Some("c".into()),
        ..Default::default()
    };
    match opportunity::to_create(&no_pipeline, "L", &eur()) {
        Err(unicrm_core::Error::Validation { fields, .. }) => {
            assert_eq!(fields[0].field.as_deref(), Some("pipeline_id"));
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let move_contact = OpportunityPatch {
        contact_id: Patch::Set("c2".into()),
        ..Default::default()
    };
    assert!(opportunity::to_patch(&move_contact, &eur()).is_err());
}

#[test]
fn pipelines_fixture_stages_in_position_order() {
    let mut body = fixture("pipelines.json");
    // Shuffle the first pipeline's stages: the order comes from `position`, not the array.
    if let Some(stages) = body["pipelines"][0]["stages"].as_array_mut() {
        stages.reverse();
    }
    let all: Vec<_> = body["pipelines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|p| pipeline::from_wire(p).expect("maps"))
        .collect();
    let names: Vec<&str> = all[0].stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "New inquiry",
            "Tasting booked",
            "Proposal sent",
            "Negotiation"
        ]
    );
    let snap: Vec<Value> = all.iter().map(unified).collect();
    insta::assert_json_snapshot!("pipelines__unified", snap);
}

/// A business as `GET /businesses/{id}` answers it (docs/vendors/highlevel-v2.md,
/// "Businesses"; no fixture file ships one).
fn business() -> Value {
    json!({"business": {
        "id": "66f1c2d3e4a5b6c7d8e9f0a1", "name": "Bäckerei Müller GmbH",
        "phone": "+4930123456", "email": "info@baeckerei-mueller.de",
        "website": "https://baeckerei-mueller.de", "address": "Hauptstraße 5",
        "city": "Berlin", "postalCode": "10115", "state": "", "country": "DE",
        "description": "Wholesale bakery", "locationId": "h8Qz3LmN5pRt7VwX2yBc",
        "createdBy": {"source": "WEB_USER"}, "createdAt": "2025-06-02T08:00:00.000Z",
        "updatedAt": "2026-01-15T09:12:31.004Z", "traceId": "x"}})
}

#[test]
fn business_both_directions_and_every_envelope() {
    let body = business();
    let a: Account = account::from_wire(crate::wire::business::one(body.clone())).expect("maps");
    insta::assert_json_snapshot!("business__unified", unified(&a));
    // `{"success":true,"buiseness":{…}}` (sic), `{business}` and the bare object are one.
    let record = body["business"].clone();
    for env in [
        json!({"success": true, "buiseness": record.clone()}),
        json!({"business": record.clone()}),
        record.clone(),
    ] {
        let b = account::from_wire(crate::wire::business::one(env)).expect("maps");
        assert_eq!(unified(&b), unified(&a));
    }
    let new: NewAccount = as_new(&a);
    let create = account::to_create(&new, "h8Qz3LmN5pRt7VwX2yBc").expect("create");
    insta::assert_json_snapshot!("business__create_body", create);
    let patch = AccountPatch {
        description: Patch::Clear,
        websites: Patch::Clear,
        ..Default::default()
    };
    let body = account::to_patch(&patch).expect("patch");
    let json = serde_json::to_value(&body).unwrap_or(Value::Null);
    assert!(json.get("locationId").is_none());
    insta::assert_json_snapshot!("business__patch_body", body);
}
