//! Engagement mapping on the vendor's documented payloads
//! (docs/vendors/insightly-v3.1-addendum.md, "Example payloads"): `event.json`,
//! `events-list-brief.json` both directions, `email.json` wire → unified only (emails are
//! read-only). `raw` is redacted in the read snapshots and asserted separately.

use chrono::{TimeZone, Utc};
use serde_json::value::RawValue;
use unicrm_core::{
    EngagementKind, EngagementPatch, Error, NewEngagement, ParticipantRole, Patch, ResourceKind,
};
use unicrm_insightly::mapping::{self, Definitions, Mode};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn raw(text: &str) -> Box<RawValue> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn event() {
    let e = mapping::event::from_json(&raw(&fixture("event.json")), &Definitions::empty()).unwrap();
    assert_eq!(e.id.as_str(), "event-7001");
    assert_eq!(e.kind, EngagementKind::Meeting);
    assert_eq!(e.contact_id.as_ref().map(|c| c.as_str()), Some("1001"));
    assert_eq!(e.opportunity_id.as_ref().map(|c| c.as_str()), Some("4001"));
    assert_eq!(e.participants.len(), 1);
    assert_eq!(e.participants[0].role, Some(ParticipantRole::Organizer));
    assert_eq!(e.links[0].role.as_deref(), Some("Host"));
    assert_eq!(
        e.start_at,
        Some(Utc.with_ymd_and_hms(2024, 3, 12, 8, 30, 0).unwrap())
    );
    let r = e.raw.as_ref().unwrap().to_value();
    assert_eq!(
        r["REMINDER_SENT"], false,
        "the whole payload is kept in raw"
    );
    insta::assert_json_snapshot!("event_read", e, {".raw" => "[raw]"});
    let body =
        mapping::event::create_body(&NewEngagement::from(&e), &Definitions::empty()).unwrap();
    insta::assert_snapshot!("event_create_body", body.to_json_pretty());
}

#[test]
fn events_list_brief() {
    let items: Vec<Box<RawValue>> =
        serde_json::from_str(&fixture("events-list-brief.json")).unwrap();
    let events: Vec<_> = items
        .iter()
        .map(|r| mapping::event::from_json(r, &Definitions::empty()).unwrap())
        .collect();
    assert_eq!(events[1].all_day, Some(true));
    assert_eq!(events[1].location, None);
    assert!(events.iter().all(|e| e.links.is_empty()));
    insta::assert_json_snapshot!("events_list_brief_read", events, {"[].raw" => "[raw]"});
    let bodies: Vec<String> = events
        .iter()
        .map(|e| {
            mapping::event::create_body(&NewEngagement::from(e), &Definitions::empty())
                .unwrap()
                .to_json()
        })
        .collect();
    insta::assert_json_snapshot!("events_list_brief_create_bodies", bodies);
}

#[test]
fn email_is_read_only_metadata() {
    let e = mapping::email::from_json(&raw(&fixture("email.json"))).unwrap();
    assert_eq!(e.id.as_str(), "email-9501");
    assert_eq!(e.kind, EngagementKind::Email);
    assert_eq!(e.body, None, "v3.1 emails carry no body");
    assert_eq!(e.participants[0].role, Some(ParticipantRole::From));
    assert_eq!(
        e.participants[0].email.as_deref(),
        Some("zoe.chateau@exemple.fr")
    );
    assert_eq!(e.updated_at, e.created_at);
    let r = e.raw.as_ref().unwrap().to_value();
    assert_eq!(r["TAGS"][0]["TAG_NAME"], "Devis", "tags stay in raw");
    insta::assert_json_snapshot!("email_read", e, {".raw" => "[raw]"});
}

#[test]
fn an_event_needs_start_and_end_before_anything_is_sent() {
    let start = Utc.with_ymd_and_hms(2024, 3, 12, 8, 30, 0).unwrap();
    let new = NewEngagement {
        kind: EngagementKind::Meeting,
        subject: Some("x".into()),
        start_at: Some(start),
        ..Default::default()
    };
    match mapping::event::create_body(&new, &Definitions::empty()) {
        Err(Error::Validation { fields, .. }) => {
            assert_eq!(fields[0].field.as_deref(), Some("end_at"))
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let no_start = NewEngagement {
        start_at: None,
        end_at: Some(start),
        ..new.clone()
    };
    match mapping::event::create_body(&no_start, &Definitions::empty()) {
        Err(Error::Validation { fields, .. }) => {
            assert_eq!(fields[0].field.as_deref(), Some("start_at"))
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let backwards = NewEngagement {
        end_at: Some(start - chrono::Duration::minutes(1)),
        ..new.clone()
    };
    assert!(matches!(
        mapping::event::create_body(&backwards, &Definitions::empty()),
        Err(Error::Validation { .. })
    ));
    let clear = EngagementPatch {
        end_at: Patch::Clear,
        ..Default::default()
    };
    assert!(matches!(
        mapping::event::patch_body(&clear, &Definitions::empty(), Mode::Update),
        Err(Error::Validation { .. })
    ));
}

#[test]
fn only_meetings_are_events() {
    let t = Utc.with_ymd_and_hms(2024, 3, 12, 8, 30, 0).unwrap();
    for kind in [
        EngagementKind::Email,
        EngagementKind::Call,
        EngagementKind::Other("video".into()),
    ] {
        let new = NewEngagement {
            kind,
            start_at: Some(t),
            end_at: Some(t),
            ..Default::default()
        };
        assert!(
            mapping::event::create_body(&new, &Definitions::empty())
                .unwrap_err()
                .is_unsupported()
        );
    }
}

#[test]
fn an_event_patch_sends_only_touched_fields() {
    let p = EngagementPatch {
        location: Patch::Set("Zoom".into()),
        body: Patch::Clear,
        all_day: Patch::Set(true),
        ..Default::default()
    };
    let body = mapping::event::patch_body(&p, &Definitions::empty(), Mode::Update).unwrap();
    assert_eq!(
        body.to_json(),
        r#"{"ALL_DAY":true,"DETAILS":null,"LOCATION":"Zoom"}"#
    );
}

#[test]
fn links_of_every_kind_travel_in_the_create_body() {
    let t = Utc.with_ymd_and_hms(2024, 3, 12, 8, 30, 0).unwrap();
    let new = NewEngagement {
        kind: EngagementKind::Meeting,
        start_at: Some(t),
        end_at: Some(t),
        contact_id: Some("1001".into()),
        account_id: Some("2001".into()),
        opportunity_id: Some("4001".into()),
        project_id: Some("3001".into()),
        lead_id: Some("6001".into()),
        links: vec![unicrm_core::RecordLink {
            kind: Some(ResourceKind::Contact),
            id: "1001".into(),
            role: Some("Host".into()),
        }],
        ..Default::default()
    };
    let body = mapping::event::create_body(&new, &Definitions::empty()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body.to_json()).unwrap();
    let names: Vec<(&str, u64)> = v["LINKS"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["LINK_OBJECT_NAME"].as_str().unwrap(),
                l["LINK_OBJECT_ID"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Contact", 1001),
            ("Organisation", 2001),
            ("Opportunity", 4001),
            ("Project", 3001),
            ("Lead", 6001)
        ]
    );
    assert_eq!(v["LINKS"][0]["ROLE"], "Host");
}

#[test]
fn hostile_event_and_email_input_never_panics() {
    for text in [
        "{}",
        r#"{"EVENT_ID":null,"START_DATE_UTC":"garbage","LINKS":[{"LINK_OBJECT_ID":null}]}"#,
        r#"{"EMAIL_ID":1,"EMAIL_FROM":"<<>>","SIZE":null}"#,
        r#"{"EMAIL_FROM":">"}"#,
    ] {
        let _ = mapping::event::from_json(&raw(text), &Definitions::empty());
        let _ = mapping::email::from_json(&raw(text));
    }
    assert!(mapping::event::from_json(&raw(r#"{"EVENT_ID":"x"}"#), &Definitions::empty()).is_err());
}
