//! Behaviour against the Insightly simulator: CRUD round trips, pacing under the 10 req/s
//! limit, paging cost, and the change feed. Record counts are small so the limiter keeps the
//! tests quick.

use std::num::NonZeroU32;

use futures::TryStreamExt;
use unicrm_core::{
    AccountPatch, Change, Checkpoint, ContactPatch, Crm, CrmExt, Error, LeadPatch, ListParams,
    NewAccount, NewContact, NewLead, NewNote, NewOpportunity, NewTask, NotePatch, OpportunityPatch,
    OpportunityStatus, Patch, ResourceKind, Tag, TaskPatch, TaskStatus,
};
use unicrm_core::{Contact, Money, Record, ResourceExt};
use unicrm_insightly::{FetchAll, InsightlyClient};
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

async fn sim(records: usize) -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions { seed: 7, records },
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn client(s: &InsightlySimHandle) -> InsightlyClient {
    InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .build()
        .unwrap()
}

#[tokio::test]
async fn contacts_crud_round_trip() {
    let s = sim(5).await;
    let c = client(&s);
    let new = NewContact {
        first_name: Some("Zoë".into()),
        last_name: Some("Łukasiewicz".into()),
        job_title: Some("CTO".into()),
        emails: vec![unicrm_core::Email {
            address: "zoe@example.com".into(),
            ..Default::default()
        }],
        tags: vec![Tag::named("vip")],
        ..NewContact::default()
    };
    let created = c.contacts().create(&new).await.unwrap();
    assert_eq!(created.last_name.as_deref(), Some("Łukasiewicz"));
    assert_eq!(created.tags, vec![Tag::named("vip")]);
    let got = c.contacts().get(&created.id).await.unwrap();
    assert_eq!(got.emails[0].address, "zoe@example.com");
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        ..ContactPatch::default()
    };
    let updated = c.contacts().update(&created.id, &patch).await.unwrap();
    assert_eq!(updated.job_title.as_deref(), Some("CEO"));
    // Untouched fields survive the PUT.
    assert_eq!(updated.first_name.as_deref(), Some("Zoë"));
    assert_eq!(updated.emails[0].address, "zoe@example.com");
    assert_eq!(updated.tags, vec![Tag::named("vip")]);
    c.contacts().delete(&created.id).await.unwrap();
    let err = c.contacts().get(&created.id).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(s.stats().rate_limited, 0);
}

#[tokio::test]
async fn accounts_opportunities_and_links_round_trip() {
    let s = sim(5).await;
    let c = client(&s);
    let acc = c
        .accounts()
        .create(&NewAccount {
            name: "Ateliers Lumière".into(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let acc = c
        .accounts()
        .update(
            &acc.id,
            &AccountPatch {
                description: Patch::Set("Lighting".into()),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(acc.name, "Ateliers Lumière");
    assert_eq!(acc.description.as_deref(), Some("Lighting"));
    let contact = c
        .contacts()
        .create(&NewContact {
            last_name: Some("Núñez".into()),
            ..NewContact::default()
        })
        .await
        .unwrap();
    let opp = c
        .opportunities()
        .create(&NewOpportunity {
            name: "Retrofit".into(),
            amount: Money::parse("1500.25", "EUR"),
            status: Some(OpportunityStatus::Open),
            account_id: Some(acc.id.clone()),
            contact_id: Some(contact.id.clone()),
            ..NewOpportunity::default()
        })
        .await
        .unwrap();
    assert_eq!(opp.amount.as_ref().unwrap().amount.to_string(), "1500.25");
    assert_eq!(opp.account_id.as_ref(), Some(&acc.id));
    assert_eq!(opp.contact_id.as_ref(), Some(&contact.id));
    let won = c
        .opportunities()
        .update(
            &opp.id,
            &OpportunityPatch {
                status: Patch::Set(OpportunityStatus::Won),
                ..OpportunityPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(won.status, Some(OpportunityStatus::Won));
    assert_eq!(won.amount, opp.amount, "untouched amount kept");
    assert_eq!(won.contact_id.as_ref(), Some(&contact.id));
    c.opportunities().delete(&opp.id).await.unwrap();
    c.accounts().delete(&acc.id).await.unwrap();
    assert!(c.accounts().get(&acc.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn lead_status_labels_are_resolved() {
    let s = sim(30).await;
    let c = client(&s);
    let page = c.leads().list(&ListParams::new()).await.unwrap();
    assert!(!page.items.is_empty(), "the simulator seeds leads");
    for l in &page.items {
        assert!(l.status_id.is_some(), "{l:?}");
        assert!(
            l.status.as_deref().is_some_and(|s| !s.is_empty()),
            "a listed lead has its status label: {l:?}"
        );
        assert!(l.lead_source.is_some(), "and its source label: {l:?}");
    }

    // A label alone is resolved to its id (case-insensitively) on create and update.
    let lead = c
        .leads()
        .create(&NewLead {
            last_name: Some("Núñez".into()),
            status: Some("qualified".into()),
            lead_source: Some("Referral".into()),
            ..NewLead::default()
        })
        .await
        .unwrap();
    assert_eq!(lead.status_id.as_deref(), Some("84"));
    assert_eq!(lead.status.as_deref(), Some("Qualified"));
    assert_eq!(lead.lead_source_id.as_deref(), Some("72"));
    assert_eq!(lead.lead_source.as_deref(), Some("Referral"));
    let raw = lead.raw.as_ref().unwrap().to_value();
    assert_eq!(raw["LEAD_STATUS_ID"], 84);
    let got = c.leads().get(&lead.id).await.unwrap();
    assert_eq!(got.status.as_deref(), Some("Qualified"));
    let updated = c
        .leads()
        .update(
            &lead.id,
            &LeadPatch {
                status: Patch::Set("Disqualified".into()),
                ..LeadPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.status_id.as_deref(), Some("85"));
    assert_eq!(updated.status.as_deref(), Some("Disqualified"));

    // An unknown label is refused before anything is sent.
    let err = c
        .leads()
        .update(
            &lead.id,
            &LeadPatch {
                status: Patch::Set("Hot".into()),
                ..LeadPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields[0].field.as_deref() == Some("status")),
        "{err:?}"
    );
}

#[tokio::test]
async fn leads_tasks_and_notes_round_trip() {
    let s = sim(5).await;
    let c = client(&s);
    let lead = c
        .leads()
        .create(&NewLead {
            first_name: Some("José".into()),
            last_name: Some("Núñez".into()),
            company_name: Some("Iluminación".into()),
            ..NewLead::default()
        })
        .await
        .unwrap();
    let lead = c
        .leads()
        .update(
            &lead.id,
            &LeadPatch {
                industry: Patch::Set("Retail".into()),
                ..LeadPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(lead.company_name.as_deref(), Some("Iluminación"));
    assert_eq!(lead.industry.as_deref(), Some("Retail"));
    c.leads().delete(&lead.id).await.unwrap();

    let task = c
        .tasks()
        .create(&NewTask {
            title: "Send proposal".into(),
            status: Some(TaskStatus::InProgress),
            ..NewTask::default()
        })
        .await
        .unwrap();
    assert_eq!(task.status, Some(TaskStatus::InProgress));
    let done = c
        .tasks()
        .update(
            &task.id,
            &TaskPatch {
                status: Patch::Set(TaskStatus::Completed),
                ..TaskPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    assert_eq!(done.title, "Send proposal");
    c.tasks().delete(&task.id).await.unwrap();

    let contact = c
        .contacts()
        .create(&NewContact {
            last_name: Some("Parent".into()),
            ..NewContact::default()
        })
        .await
        .unwrap();
    let note = c
        .notes()
        .create(&NewNote {
            title: Some("Call".into()),
            content: "<p>hi</p>".into(),
            contact_id: Some(contact.id.clone()),
            ..NewNote::default()
        })
        .await
        .unwrap();
    assert_eq!(note.contact_id.as_ref(), Some(&contact.id));
    let note = c
        .notes()
        .update(
            &note.id,
            &NotePatch {
                content: Patch::Set("<p>bye</p>".into()),
                ..NotePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(note.title.as_deref(), Some("Call"));
    assert_eq!(note.content, "<p>bye</p>");

    // Insightly requires a title: clearing it sets the one derived from the content (as a
    // create does; a mirror clears a title its source has not), and without content in the
    // same update the clear is refused before anything is sent.
    let note = c
        .notes()
        .update(
            &note.id,
            &NotePatch {
                title: Patch::Clear,
                content: Patch::Set("<p>Follow-up call</p>\n<p>later</p>".into()),
                ..NotePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(note.title.as_deref(), Some("Follow-up call"));
    let before = c.stats().requests;
    let refused = c
        .notes()
        .update(
            &note.id,
            &NotePatch {
                title: Patch::Clear,
                ..NotePatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Validation { .. }), "{refused:?}");
    assert_eq!(c.stats().requests, before, "nothing sent");
    assert_eq!(
        c.notes().get(&note.id).await.unwrap().title.as_deref(),
        Some("Follow-up call")
    );
    c.notes().delete(&note.id).await.unwrap();
    assert!(c.notes().get(&note.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn users_pipelines_and_definitions() {
    let s = sim(5).await;
    let c = client(&s);
    let me = c.current_user().await.unwrap();
    let users = c.users().list(&ListParams::new()).await.unwrap();
    assert!(users.items.iter().any(|u| u.id == me.id));
    assert_eq!(c.users().get(&me.id).await.unwrap().id, me.id);
    let pipelines = c.pipelines().list(&ListParams::new()).await.unwrap();
    assert!(!pipelines.items.is_empty());
    for p in &pipelines.items {
        let orders: Vec<_> = p.stages.iter().map(|s| s.order).collect();
        let mut sorted = orders.clone();
        sorted.sort();
        assert_eq!(orders, sorted);
    }
    let first = &pipelines.items[0];
    assert_eq!(
        c.pipelines().get(&first.id).await.unwrap().stages,
        first.stages
    );
    let defs = c
        .custom_field_definitions(ResourceKind::Contact)
        .await
        .unwrap();
    assert!(!defs.is_empty());
    let err = c.users().delete(&me.id).await.unwrap_err();
    assert!(err.is_unsupported());
}

#[tokio::test]
async fn twelve_concurrent_listings_draw_no_429() {
    let s = sim(30).await;
    let c = client(&s);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(
                async move { FetchAll::<Contact>::fetch_all(&c, &ListParams::new()).await },
            )
        })
        .collect();
    let mut lens = Vec::new();
    for t in tasks {
        lens.push(t.await.unwrap().unwrap().len());
    }
    assert!(lens.iter().all(|n| *n == lens[0] && *n > 0), "{lens:?}");
    let stats = s.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    assert_eq!(c.stats().rate_limited, 0);
}

#[tokio::test]
async fn listing_1234_contacts_costs_three_page_requests() {
    let s = sim(1234).await;
    let c = client(&s);
    // Warm the custom field definitions cache (one request, cached).
    c.custom_field_definitions(ResourceKind::Contact)
        .await
        .unwrap();
    let _ = c
        .contacts()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap();
    s.reset_stats();
    let all: Vec<Contact> = c.fetch_all(&ListParams::new()).await.unwrap();
    assert_eq!(all.len(), 1234);
    let stats = s.stats();
    assert_eq!(
        stats.per_path.get("GET /v3.1/Contacts").copied(),
        Some(3),
        "{stats:?}"
    );
    assert_eq!(stats.requests, 3, "{stats:?}");
    // The stream over `list` pages gives the same records.
    let streamed: Vec<Contact> = futures_collect(&c).await;
    assert_eq!(streamed.len(), 1234);
}

async fn futures_collect(c: &InsightlyClient) -> Vec<Contact> {
    c.list_all::<Contact>(ListParams::new()).await.unwrap()
}

#[tokio::test]
async fn change_feed_reports_updates_once_and_deletions() {
    // No server-side burst limit here and a fast client, so several writes land in one second.
    let s = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 8,
        },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let c = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .deletion_scan_every_call()
        .build()
        .unwrap();
    let all: Vec<Contact> = c
        .contacts()
        .stream_all(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = all.into_iter().map(|c| c.id).collect();
    assert!(ids.len() >= 3);

    // Baseline: everything since the epoch, and the id set.
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    assert_eq!(base.changes.len(), ids.len());

    // Two updates, each seen by the next poll (the same-second case is pinned down exactly
    // in `feed_exchange.rs`, without depending on when the updates land).
    let mut cp = base.next;
    for (n, id) in ids.iter().take(2).enumerate() {
        let patch = ContactPatch {
            job_title: Patch::Set(format!("t{n}")),
            ..ContactPatch::default()
        };
        c.contacts().update(id, &patch).await.unwrap();
        let set = c.contacts().changes_since(&cp).await.unwrap();
        let upserted: Vec<_> = upserts(&set.changes);
        assert!(upserted.contains(id), "update of {id} lost: {upserted:?}");
        if n == 1 {
            assert!(
                !upserted.contains(&ids[0]),
                "{} repeated: {upserted:?}",
                ids[0]
            );
        }
        cp = set.next;
    }

    // A deletion shows up as such.
    let gone = ids[2].clone();
    c.contacts().delete(&gone).await.unwrap();
    let set = c.contacts().changes_since(&cp).await.unwrap();
    assert!(
        set.changes
            .iter()
            .any(|ch| matches!(ch, Change::Deleted { id, .. } if *id == gone)),
        "{:?}",
        set.changes
    );
    // Nothing new: nothing reported.
    let again = c.contacts().changes_since(&set.next).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(matches!(
        c.contacts()
            .changes_since(&Checkpoint {
                at: chrono::DateTime::UNIX_EPOCH,
                state: Some(serde_json::json!({"bogus": true})),
            })
            .await,
        Err(Error::Config { .. })
    ));
}

fn upserts(changes: &[Change<Contact, unicrm_core::ContactId>]) -> Vec<unicrm_core::ContactId> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Upserted { record } => Some(record.id().clone()),
            _ => None,
        })
        .collect()
}

/// docs/vendors/insightly-v3.1-addendum.md, "Simulator must reproduce" item 23: the converted
/// status is listed only with `include_converted=true`; the adapter asks for it, so a lead on
/// that status has its label, and the label resolves to its id on write.
#[tokio::test]
async fn a_lead_on_the_converted_status_has_its_label() {
    let s = sim(5).await;
    let c = client(&s);
    let lead = c
        .leads()
        .create(&NewLead {
            last_name: Some("Converted".into()),
            status: Some("converted".into()),
            ..NewLead::default()
        })
        .await
        .unwrap();
    assert_eq!(lead.status_id.as_deref(), Some("86"));
    let got = c.leads().get(&lead.id).await.unwrap();
    assert_eq!(got.status.as_deref(), Some("Converted"));
    // The vendor's own flag stays false: the status is not a conversion (item 22).
    assert_ne!(got.converted, Some(true));
}
