//! Engagements (events and emails) end to end against the Insightly simulator: the combined
//! listing and its cursor, the id scheme (routing, forged ids), writes (and what is refused
//! before sending), 417 on delete, and the change feed.

use std::num::NonZeroU32;

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use unicrm_core::{
    Change, Checkpoint, Crm, CrmExt, Engagement, EngagementId, EngagementKind, EngagementPatch,
    Error, ListParams, NewEngagement, Patch, Record, RecordLink, ResourceExt, ResourceKind,
};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

async fn sim() -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 11,
            records: 40,
        },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn client(s: &InsightlySimHandle) -> InsightlyClient {
    InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        // Deletions on every call (the cadence is tested in `feed_cadence.rs`).
        .deletion_scan_every_call()
        .build()
        .unwrap()
}

fn meeting(contact: &str) -> NewEngagement {
    let start = Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
    NewEngagement {
        kind: EngagementKind::Meeting,
        subject: Some("Kick-off".into()),
        body: Some("Agenda".into()),
        location: Some("Room 4".into()),
        start_at: Some(start),
        end_at: Some(start + chrono::Duration::hours(1)),
        links: vec![RecordLink {
            kind: Some(ResourceKind::Contact),
            id: contact.into(),
            role: Some("Host".into()),
        }],
        ..NewEngagement::default()
    }
}

async fn first_contact(c: &InsightlyClient) -> String {
    c.contacts()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items[0]
        .id
        .to_string()
}

#[tokio::test]
async fn listing_is_events_then_emails_with_a_cursor_for_both() {
    let s = sim().await;
    let c = client(&s);
    let all: Vec<Engagement> = c
        .engagements()
        .stream_all(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    let kinds: Vec<&EngagementKind> = all.iter().map(|e| &e.kind).collect();
    let first_email = kinds
        .iter()
        .position(|k| **k == EngagementKind::Email)
        .expect("emails are listed");
    assert!(first_email >= 3, "at least three events first");
    assert!(
        kinds[..first_email]
            .iter()
            .all(|k| **k == EngagementKind::Meeting)
    );
    assert!(
        kinds[first_email..]
            .iter()
            .all(|k| **k == EngagementKind::Email)
    );
    assert!(all.len() - first_email >= 3);
    assert!(all[0].id.as_str().starts_with("event-"));
    assert!(all[first_email].id.as_str().starts_with("email-"));

    // Page by page, 5 at a time, with the cursor: the same records in the same order.
    let mut paged = Vec::new();
    let mut params = ListParams::new().page_size(5);
    let mut cursors = Vec::new();
    loop {
        let page = c.engagements().list(&params).await.unwrap();
        paged.extend(page.items);
        match page.next {
            Some(n) => {
                cursors.push(n.as_str().to_string());
                params.cursor = Some(n);
            }
            None => break,
        }
    }
    let ids = |v: &[Engagement]| v.iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&all));
    assert!(cursors.iter().any(|c| c.starts_with("events:")));
    assert!(cursors.iter().any(|c| c.starts_with("emails:")));
    // A cursor of another kind is a paging error, not a panic.
    let bad = ListParams {
        cursor: Some(unicrm_core::page::Cursor::new("contacts:5")),
        ..ListParams::new()
    };
    assert!(matches!(
        c.engagements().list(&bad).await,
        Err(Error::Paging { .. })
    ));
}

#[tokio::test]
async fn ids_route_to_their_object_and_forged_ids_are_typed_errors() {
    let s = sim().await;
    let c = client(&s);
    let all: Vec<Engagement> = c.list_all::<Engagement>(ListParams::new()).await.unwrap();
    let event = all
        .iter()
        .find(|e| e.kind == EngagementKind::Meeting)
        .unwrap();
    let email = all
        .iter()
        .find(|e| e.kind == EngagementKind::Email)
        .unwrap();
    assert_eq!(c.engagements().get(&event.id).await.unwrap().id, event.id);
    let got = c.engagements().get(&email.id).await.unwrap();
    assert_eq!(got.subject, email.subject);
    assert_eq!(
        got.participants[0].role,
        Some(unicrm_core::ParticipantRole::From)
    );

    let before = s.stats().requests;
    for forged in ["44000001", "contact-1", "", "event-", "Event-1"] {
        let r = c.engagements().get(&EngagementId::new(forged)).await;
        assert!(
            matches!(
                r,
                Err(Error::NotFound { .. }) | Err(Error::Validation { .. })
            ),
            "{forged}: {r:?}"
        );
    }
    assert!(matches!(
        c.engagements().get(&EngagementId::new("event-abc")).await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(s.stats().requests, before, "forged ids send nothing");
    // A well-formed id of a missing record is the vendor's 404.
    let missing = EngagementId::new("email-999999999");
    assert!(
        c.engagements()
            .get(&missing)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        c.engagements()
            .delete(&EngagementId::new("x-1"))
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_meeting_round_trips_as_an_event() {
    let s = sim().await;
    let c = client(&s);
    let contact = first_contact(&c).await;
    let created = c.engagements().create(&meeting(&contact)).await.unwrap();
    assert!(created.id.as_str().starts_with("event-"));
    assert_eq!(
        created.contact_id.as_ref().map(|x| x.to_string()),
        Some(contact.clone())
    );
    assert_eq!(created.links[0].role.as_deref(), Some("Host"));
    assert_eq!(created.location.as_deref(), Some("Room 4"));
    let got = c.engagements().get(&created.id).await.unwrap();
    assert_eq!(got.start_at, meeting(&contact).start_at);

    // A partial update keeps the rest; a link field goes through /Events/{id}/Links.
    let account = c
        .accounts()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    let patch = EngagementPatch {
        location: Patch::Set("Zoom".into()),
        account_id: Patch::Set(account.clone()),
        ..Default::default()
    };
    let updated = c.engagements().update(&created.id, &patch).await.unwrap();
    assert_eq!(updated.location.as_deref(), Some("Zoom"));
    assert_eq!(updated.body.as_deref(), Some("Agenda"));
    assert_eq!(updated.account_id, Some(account));
    assert_eq!(updated.contact_id, created.contact_id);

    // Appears under the contact's events in the raw API.
    let under = c
        .http()
        .send(c.http().get(&format!("Contacts/{contact}/Events")).unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&under.body).to_string();
    assert!(text.contains(created.id.as_str().trim_start_matches("event-")));

    c.engagements().delete(&created.id).await.unwrap();
    assert!(
        c.engagements()
            .get(&created.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn refused_writes_send_nothing() {
    let s = sim().await;
    let c = client(&s);
    let contact = first_contact(&c).await;
    let email = c
        .list_all::<Engagement>(ListParams::new())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EngagementKind::Email)
        .unwrap();
    let before = s.stats().requests;
    let no_end = NewEngagement {
        end_at: None,
        ..meeting(&contact)
    };
    assert!(matches!(
        c.engagements().create(&no_end).await,
        Err(Error::Validation { .. })
    ));
    for kind in [
        EngagementKind::Email,
        EngagementKind::Call,
        EngagementKind::Other("sms".into()),
    ] {
        let new = NewEngagement {
            kind,
            ..meeting(&contact)
        };
        assert!(
            c.engagements()
                .create(&new)
                .await
                .unwrap_err()
                .is_unsupported()
        );
    }
    let patch = EngagementPatch {
        subject: Patch::Set("x".into()),
        ..Default::default()
    };
    assert!(
        c.engagements()
            .update(&email.id, &patch)
            .await
            .unwrap_err()
            .is_unsupported()
    );
    assert_eq!(s.stats().requests, before, "nothing was sent");
    // Through the guard too (capabilities: no tags, email read-only by kind).
    let guarded = unicrm_core::guard::guard(std::sync::Arc::new(client(&s)));
    assert!(
        guarded
            .engagements()
            .create(&NewEngagement {
                kind: EngagementKind::Email,
                ..meeting(&contact)
            })
            .await
            .unwrap_err()
            .is_unsupported()
    );
    // Emails can be deleted.
    c.engagements().delete(&email.id).await.unwrap();
    assert!(
        c.engagements()
            .get(&email.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_delete_the_vendor_refuses_with_417_is_a_conflict() {
    let s = sim().await;
    let c = client(&s);
    let event = c
        .engagements()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items
        .remove(0);
    let n: u64 = event
        .id
        .as_str()
        .trim_start_matches("event-")
        .parse()
        .unwrap();
    assert!(s.fail_deletes_of("Events", n));
    match c.engagements().delete(&event.id).await {
        Err(Error::Conflict { message }) => assert!(message.contains("417"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(c.engagements().get(&event.id).await.is_ok());
}

fn upserted(changes: &[Change<Engagement, EngagementId>]) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Upserted { record } => Some(record.id().to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn change_feed_reports_updates_once_and_confirmed_deletions_of_both_objects() {
    let s = sim().await;
    let c = client(&s);
    let all: Vec<Engagement> = c.list_all::<Engagement>(ListParams::new()).await.unwrap();
    let base = c
        .engagements()
        .changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    assert_eq!(
        upserted(&base.changes).len(),
        all.len(),
        "baseline: every record once"
    );
    let state = base.next.state.clone().unwrap();
    assert!(state.get("events").is_some() && state.get("emails").is_some());

    let event = all
        .iter()
        .find(|e| e.kind == EngagementKind::Meeting)
        .unwrap();
    let email = all
        .iter()
        .find(|e| e.kind == EngagementKind::Email)
        .unwrap();
    let patch = EngagementPatch {
        body: Patch::Set("changed".into()),
        ..Default::default()
    };
    c.engagements().update(&event.id, &patch).await.unwrap();
    let set = c.engagements().changes_since(&base.next).await.unwrap();
    assert_eq!(upserted(&set.changes), [event.id.to_string()]);

    // Deletions of an event and an email, confirmed by a 404 re-read, after the upserts.
    let gone_event = all
        .iter()
        .filter(|e| e.kind == EngagementKind::Meeting)
        .nth(1)
        .unwrap();
    c.engagements().delete(&gone_event.id).await.unwrap();
    c.engagements().delete(&email.id).await.unwrap();
    let set2 = c.engagements().changes_since(&set.next).await.unwrap();
    let deleted: Vec<String> = set2
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Deleted { id, .. } => Some(id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, [gone_event.id.to_string(), email.id.to_string()]);
    assert!(upserted(&set2.changes).is_empty(), "{:?}", set2.changes);

    // Nothing new: nothing reported; a foreign state is a config error.
    let again = c.engagements().changes_since(&set2.next).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(matches!(
        c.engagements()
            .changes_since(&Checkpoint {
                at: chrono::DateTime::UNIX_EPOCH,
                state: Some(serde_json::json!({"events": 5})),
            })
            .await,
        Err(Error::Config { .. })
    ));
}

#[tokio::test]
async fn engagement_capabilities_say_what_works() {
    let s = sim().await;
    let c = client(&s);
    let caps = c.capabilities().resource(&ResourceKind::Engagement);
    assert!(!caps.tags, "events have no tags");
    assert!(caps.custom_fields);
    assert!(caps.operations.changes);
    assert!(!caps.filters.search);
    assert!(caps.filters.updated_since);
    // updated_since narrows both objects.
    let future = ListParams {
        updated_since: Some(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()),
        ..ListParams::new()
    };
    let none: Vec<Engagement> = c.list_all::<Engagement>(future).await.unwrap();
    assert!(none.is_empty());
}
