//! Engagements and engagement types against the Capsule simulator, end to end over HTTP
//! (docs/vendors/capsule-v2-addendum.md, "Activity types", "Entries as engagements").

use std::collections::HashSet;
use std::sync::Arc;

use unicrm_capsule::CapsuleClient;
use unicrm_core::*;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

async fn sim_with(teams_edition: bool) -> CapsuleSimHandle {
    CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 20,
        },
        teams_edition,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap()
}

fn client(h: &CapsuleSimHandle, teams: bool) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .teams_edition(teams)
        .build()
        .unwrap()
}

async fn a_contact(c: &CapsuleClient) -> ContactId {
    c.contacts()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items
        .remove(0)
        .id
}

#[tokio::test]
async fn engagement_types_list_get_and_kinds() {
    let h = sim_with(true).await;
    let c = client(&h, false);
    let types: Vec<EngagementType> = c.list_all(ListParams::new()).await.unwrap();
    let by_id = |id: &str| types.iter().find(|t| t.id.as_str() == id).unwrap();
    assert_eq!(by_id("-1").kind, Some(EngagementKind::Other("note".into())));
    assert_eq!(by_id("-2").kind, Some(EngagementKind::Meeting));
    assert_eq!(by_id("-3").kind, Some(EngagementKind::Call));
    // The seeded custom type "Video call" has a phone icon.
    assert_eq!(by_id("2").kind, Some(EngagementKind::Call));
    assert_eq!(by_id("2").is_system, Some(false));
    let call = c
        .engagement_types()
        .get(&EngagementTypeId::from("-3"))
        .await
        .unwrap();
    assert_eq!(call.name, "Call");
    assert!(
        c.engagement_types()
            .get(&EngagementTypeId::from("-77"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Paged: one a page still lists every type once.
    let mut params = ListParams::new().page_size(1);
    let mut seen = Vec::new();
    loop {
        let page = c.engagement_types().list(&params).await.unwrap();
        seen.extend(page.items.into_iter().map(|t| t.id));
        match page.next {
            Some(n) => params.cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), types.len());
}

/// Without the Teams edition declared, writes are Unsupported before any request (through
/// the guard and without it); declared on a tenant without Teams, the vendor's 403 comes back.
#[tokio::test]
async fn engagement_type_writes_follow_the_edition() {
    let h = sim_with(true).await;
    let new = NewEngagementType {
        name: "Site visit".into(),
        kind: Some(EngagementKind::Meeting),
        updates_last_contacted: Some(false),
        ..Default::default()
    };
    let plain = client(&h, false);
    let guarded = unicrm_core::guard(Arc::new(plain.clone()));
    let before = plain.stats().requests;
    for r in [
        plain.engagement_types().create(&new).await,
        guarded.engagement_types().create(&new).await,
    ] {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    }
    assert_eq!(plain.stats().requests, before, "no request sent");
    assert!(matches!(
        plain
            .engagement_types()
            .delete(&EngagementTypeId::from("2"))
            .await,
        Err(Error::Unsupported { .. })
    ));

    let teams = client(&h, true);
    assert!(
        teams
            .capabilities()
            .resource(&ResourceKind::EngagementType)
            .supports(Operation::Create)
    );
    let t = teams.engagement_types().create(&new).await.unwrap();
    assert!(t.id.as_str().parse::<i64>().unwrap() > 0);
    assert_eq!(t.kind, Some(EngagementKind::Meeting));
    assert_eq!(t.updates_last_contacted, Some(false));
    let renamed = teams
        .engagement_types()
        .update(
            &t.id,
            &EngagementTypePatch {
                name: Patch::Set("Site walk".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Site walk");
    assert_eq!(renamed.kind, Some(EngagementKind::Meeting));

    h.set_teams_edition(false);
    let err = teams.engagement_types().create(&new).await.unwrap_err();
    assert!(!matches!(err, Error::Unsupported { .. }), "{err:?}");
}

#[tokio::test]
async fn notes_and_engagements_split_the_entries() {
    let h = sim_with(true).await;
    let c = client(&h, false);
    let notes: Vec<Note> = c.list_all(ListParams::new()).await.unwrap();
    let engagements: Vec<Engagement> = c.list_all(ListParams::new()).await.unwrap();
    assert!(notes.len() >= 3);
    let kinds: HashSet<String> = engagements.iter().map(|e| e.kind.to_string()).collect();
    for k in ["meeting", "call", "email", "Video call"] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    let note_ids: HashSet<&str> = notes.iter().map(|n| n.id.as_str()).collect();
    let eng_ids: HashSet<&str> = engagements.iter().map(|e| e.id.as_str()).collect();
    assert!(note_ids.is_disjoint(&eng_ids), "no entry in both");
    // Neither holds the completed-task record.
    let raw_total = notes.len() + engagements.len();
    unicrm_core::http::install_crypto_provider();
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!("{}entries?perPage=100", h.base_url))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = raw["entries"].as_array().unwrap().len();
    assert_eq!(raw_total + 1, all);
    // A note id read as an engagement, and the other way round, is NotFound.
    let note = &notes[0];
    let meeting = engagements
        .iter()
        .find(|e| e.kind == EngagementKind::Meeting)
        .unwrap();
    let as_eng = c
        .engagements()
        .get(&EngagementId::from(note.id.as_str()))
        .await;
    assert!(as_eng.unwrap_err().is_not_found());
    let as_note = c.notes().get(&NoteId::from(meeting.id.as_str())).await;
    assert!(as_note.unwrap_err().is_not_found());
    // Writes through the wrong resource change nothing.
    let patch = NotePatch {
        content: Patch::Set("overwritten".into()),
        ..Default::default()
    };
    let r = c
        .notes()
        .update(&NoteId::from(meeting.id.as_str()), &patch)
        .await;
    assert!(r.unwrap_err().is_not_found());
    assert!(
        c.notes()
            .delete(&NoteId::from(meeting.id.as_str()))
            .await
            .unwrap_err()
            .is_not_found()
    );
    let still = c.engagements().get(&meeting.id).await.unwrap();
    assert_eq!(still.body, meeting.body);
    // The email: participants and subject; read-only.
    let email = engagements
        .iter()
        .find(|e| e.kind == EngagementKind::Email)
        .unwrap();
    assert!(email.subject.is_some());
    assert_eq!(email.participants.len(), 2);
    assert_eq!(email.direction, Some(Direction::Inbound));
    let r = c
        .engagements()
        .update(
            &email.id,
            &EngagementPatch {
                body: Patch::Set("x".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
}

#[tokio::test]
async fn engagement_round_trip() {
    let h = sim_with(true).await;
    let c = client(&h, false);
    let contact = a_contact(&c).await;
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-14T13:00:00Z")
        .unwrap()
        .to_utc();
    let created = c
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Meeting,
            body: Some("On-site meeting".into()),
            start_at: Some(start),
            contact_id: Some(contact.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.kind, EngagementKind::Meeting);
    assert_eq!(created.engagement_type_id.as_ref().unwrap().as_str(), "-2");
    assert_eq!(created.start_at, Some(start));
    assert_eq!(created.contact_id.as_ref(), Some(&contact));
    let got = c.engagements().get(&created.id).await.unwrap();
    assert_eq!(got, created);
    // Edit body, entryAt and kind.
    let later = start + chrono::Duration::hours(3);
    let updated = c
        .engagements()
        .update(
            &created.id,
            &EngagementPatch {
                body: Patch::Set("Phoned instead".into()),
                start_at: Patch::Set(later),
                kind: Patch::Set(EngagementKind::Call),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.kind, EngagementKind::Call);
    assert_eq!(updated.body.as_deref(), Some("Phoned instead"));
    assert_eq!(updated.start_at, Some(later));
    // A custom kind by name.
    let video = c
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Other("video call".into()),
            body: Some("Video".into()),
            contact_id: Some(contact.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(video.kind, EngagementKind::Other("Video call".into()));
    assert_eq!(video.engagement_type_id.as_ref().unwrap().as_str(), "2");
    // Delete, then NotFound.
    c.engagements().delete(&created.id).await.unwrap();
    assert!(
        c.engagements()
            .get(&created.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// Refusals that need no request: an email, no related record, two related records.
#[tokio::test]
async fn refused_creates_send_nothing() {
    let h = sim_with(true).await;
    let c = client(&h, false);
    let contact = a_contact(&c).await;
    let before = c.stats().requests;
    let email = NewEngagement {
        kind: EngagementKind::Email,
        subject: Some("Hi".into()),
        body: Some("Hi".into()),
        contact_id: Some(contact.clone()),
        ..Default::default()
    };
    assert!(matches!(
        c.engagements().create(&email).await,
        Err(Error::Unsupported { .. })
    ));
    let none = NewEngagement {
        kind: EngagementKind::Call,
        body: Some("x".into()),
        ..Default::default()
    };
    assert!(matches!(
        c.engagements().create(&none).await,
        Err(Error::Validation { .. })
    ));
    let two = NewEngagement {
        account_id: Some(AccountId::from("1")),
        contact_id: Some(contact),
        ..none.clone()
    };
    let Err(Error::Validation { fields, .. }) = c.engagements().create(&two).await else {
        panic!("expected a validation error");
    };
    assert!(
        fields
            .iter()
            .any(|f| f.field.as_deref() == Some("project_id"))
    );
    assert_eq!(c.stats().requests, before);
}
