//! Engagements and engagement types, vendor → unified and unified → vendor, on the fixtures
//! (`tests/fixtures/activitytypes.json`, `entry-meeting.json`, `entry-note.json`,
//! `entries-global.json`: docs/vendors/capsule-v2-addendum.md, "Example payloads").

use serde_json::Value;
use unicrm_capsule::mapping::Body;
use unicrm_capsule::mapping::engagement::{
    ActivityChoice, activity_choice, engagement_from_wire, engagement_patch_to_wire,
    new_engagement_to_wire,
};
use unicrm_capsule::mapping::engagement_type::{
    engagement_type_from_wire, engagement_type_patch_to_wire, kind_of_type,
    new_engagement_type_to_wire,
};
use unicrm_capsule::wire::{self, EntryClass, WireActivityType, WireEntry};
use unicrm_core::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn body(b: &Body, wrapper: &str) -> Value {
    serde_json::from_str(&b.wrap(wrapper).unwrap()).unwrap()
}

fn global_entries() -> Vec<wire::Decoded<WireEntry>> {
    let all: Value = serde_json::from_slice(&fixture("entries-global.json")).unwrap();
    let page = serde_json::to_vec(&all["GET /api/v2/entries?perPage=4"]["body"]).unwrap();
    wire::decode_list::<WireEntry>(&page, "entries").unwrap()
}

#[test]
fn activitytypes() {
    let types =
        wire::decode_list::<WireActivityType>(&fixture("activitytypes.json"), "activityTypes")
            .unwrap();
    let unified: Vec<EngagementType> = types.iter().map(engagement_type_from_wire).collect();
    insta::assert_yaml_snapshot!("activitytypes__unified", unified, { "[].raw" => "[raw]" });
    // Built-ins by id, custom types by icon (a rename changes nothing).
    let kinds: Vec<(String, String)> = unified
        .iter()
        .map(|t| (t.id.to_string(), t.kind.clone().unwrap().to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("-1", "note"),
            ("-2", "meeting"),
            ("-3", "call"),
            ("2", "call"),
            ("3", "note")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(unified[4].updates_last_contacted, Some(false));
    assert_eq!(unified[0].is_system, Some(true));
    assert_eq!(unified[3].is_system, Some(false));
    let new = NewEngagementType::from(&unified[3]);
    insta::assert_json_snapshot!(
        "activitytypes__create_body",
        body(&new_engagement_type_to_wire(&new).unwrap(), "activityType")
    );
    let patch = EngagementTypePatch {
        name: Patch::Set("Tele conference".into()),
        updates_last_contacted: Patch::Set(false),
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "activitytypes__update_body",
        body(
            &engagement_type_patch_to_wire(&patch).unwrap(),
            "activityType"
        )
    );
}

#[test]
fn renamed_built_ins_keep_their_kind() {
    assert_eq!(
        kind_of_type(-2, Some("NOTE"), "Termin"),
        EngagementKind::Meeting
    );
    assert_eq!(kind_of_type(-3, None, "Anruf"), EngagementKind::Call);
    assert_eq!(
        kind_of_type(9, Some("MEETING"), "Site visit"),
        EngagementKind::Meeting
    );
    assert_eq!(
        kind_of_type(-6, None, "Email received"),
        EngagementKind::Email
    );
    let bad = NewEngagementType {
        name: "Mail".into(),
        kind: Some(EngagementKind::Email),
        ..Default::default()
    };
    assert!(matches!(
        new_engagement_type_to_wire(&bad),
        Err(Error::Validation { .. })
    ));
}

#[test]
fn entry_meeting() {
    let d = wire::decode_one::<WireEntry>(&fixture("entry-meeting.json"), "entry").unwrap();
    assert_eq!(d.wire.class(), EntryClass::Activity);
    let e = engagement_from_wire(&d);
    insta::assert_yaml_snapshot!("entry_meeting__unified", e, { ".raw" => "[raw]" });
    assert_eq!(e.kind, EngagementKind::Meeting);
    assert_eq!(e.contact_id.as_ref().map(|c| c.as_str()), Some("900002"));
    assert_eq!(e.end_at, None);
    // Back-dated: entryAt three days before createdAt.
    assert!(e.start_at.unwrap() < e.created_at.unwrap());
    let new = NewEngagement::from(&e);
    let choice = activity_choice(&new.kind, new.engagement_type_id.as_ref()).unwrap();
    assert_eq!(choice, ActivityChoice::Id(-2));
    insta::assert_json_snapshot!(
        "entry_meeting__create_body",
        body(&new_engagement_to_wire(&new, -2).unwrap(), "entry")
    );
    let patch = EngagementPatch {
        body: Patch::Set("Rescheduled.".into()),
        start_at: Patch::Set(e.start_at.unwrap() + chrono::Duration::hours(2)),
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "entry_meeting__update_body",
        body(
            &engagement_patch_to_wire(&patch, Some(-3)).unwrap(),
            "entry"
        )
    );
}

/// `entry-note.json` carries activity type -2 (Meeting): by the addendum's model it is a
/// logged meeting, so it is an engagement and not a plain note.
#[test]
fn entry_note_is_a_meeting_engagement() {
    let d = wire::decode_one::<WireEntry>(&fixture("entry-note.json"), "entry").unwrap();
    assert!(!d.wire.is_note());
    assert!(d.wire.is_engagement());
    let e = engagement_from_wire(&d);
    insta::assert_yaml_snapshot!("entry_note__engagement_unified", e, { ".raw" => "[raw]" });
    let new = NewEngagement::from(&e);
    insta::assert_json_snapshot!(
        "entry_note__engagement_create_body",
        body(&new_engagement_to_wire(&new, -2).unwrap(), "entry")
    );
}

#[test]
fn entries_global() {
    let entries = global_entries();
    let classes: Vec<EntryClass> = entries.iter().map(|d| d.wire.class()).collect();
    assert_eq!(
        classes,
        [
            EntryClass::Activity,
            EntryClass::Email,
            EntryClass::Other,
            EntryClass::Activity
        ]
    );
    let engagements: Vec<Engagement> = entries
        .iter()
        .filter(|d| d.wire.is_engagement())
        .map(engagement_from_wire)
        .collect();
    insta::assert_yaml_snapshot!("entries_global__unified", engagements, { "[].raw" => "[raw]" });
    // The call on a project.
    assert_eq!(engagements[0].kind, EngagementKind::Call);
    assert_eq!(
        engagements[0].project_id.as_ref().map(|p| p.as_str()),
        Some("5200101")
    );
    // The received email: subject, participants, inbound.
    let email = &engagements[1];
    assert_eq!(email.kind, EngagementKind::Email);
    assert_eq!(
        email.subject.as_deref(),
        Some("Re: Angebot Mühle / grinder quote")
    );
    assert_eq!(email.direction, Some(Direction::Inbound));
    assert_eq!(email.participants.len(), 2);
    assert_eq!(email.participants[0].role, Some(ParticipantRole::From));
    assert_eq!(
        email.participants[1].email.as_deref(),
        Some("lena@northwind.example")
    );
    // Unified → vendor: the call (on a project) is written back; the email cannot be.
    let call = NewEngagement::from(&engagements[0]);
    insta::assert_json_snapshot!(
        "entries_global__create_body",
        body(&new_engagement_to_wire(&call, -3).unwrap(), "entry")
    );
    let mail = NewEngagement::from(email);
    assert!(matches!(
        activity_choice(&mail.kind, mail.engagement_type_id.as_ref()),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn a_new_engagement_links_exactly_one_record() {
    let base = NewEngagement {
        kind: EngagementKind::Call,
        body: Some("Called".into()),
        ..Default::default()
    };
    let fields = |r: Result<Body>| match r {
        Err(Error::Validation { fields, .. }) => fields
            .into_iter()
            .filter_map(|f| f.field)
            .collect::<Vec<_>>(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(
        fields(new_engagement_to_wire(&base, -3)),
        ["contact_id", "account_id", "opportunity_id", "project_id"]
    );
    let two = NewEngagement {
        contact_id: Some(ContactId::from(1u64)),
        project_id: Some(ProjectId::from("2")),
        ..base.clone()
    };
    assert_eq!(fields(new_engagement_to_wire(&two, -3)).len(), 4);
    let no_body = NewEngagement {
        contact_id: Some(ContactId::from(1u64)),
        body: None,
        ..base
    };
    assert_eq!(fields(new_engagement_to_wire(&no_body, -3)), ["body"]);
}

#[test]
fn kinds_choose_the_activity_type() {
    let c = |k: EngagementKind, t: Option<&str>| {
        activity_choice(&k, t.map(EngagementTypeId::from).as_ref())
    };
    assert_eq!(
        c(EngagementKind::Meeting, None).unwrap(),
        ActivityChoice::Id(-2)
    );
    assert_eq!(
        c(EngagementKind::Call, None).unwrap(),
        ActivityChoice::Id(-3)
    );
    assert_eq!(
        c(EngagementKind::Other("Video call".into()), None).unwrap(),
        ActivityChoice::Named("Video call".into())
    );
    assert_eq!(
        c(EngagementKind::Call, Some("2")).unwrap(),
        ActivityChoice::Id(2)
    );
    assert!(matches!(
        c(EngagementKind::Appointment, None),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        c(EngagementKind::Other("note".into()), None),
        Err(Error::Validation { .. })
    ));
    assert!(matches!(
        c(EngagementKind::Meeting, Some("-1")),
        Err(Error::Validation { .. })
    ));
    assert!(matches!(
        c(EngagementKind::Meeting, Some("x")),
        Err(Error::Validation { .. })
    ));
}
