//! Behaviour against the Capsule simulator (`unicrm-sim`).

use std::collections::HashSet;
use std::sync::Arc;

use futures::TryStreamExt;
use secrecy::ExposeSecret;
use unicrm_capsule::{
    CapsuleClient, CapsuleOAuth, NewRestHook, OAuthSettings, TokenSet, TokenStore,
};
use unicrm_core::*;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

async fn sim(records: usize) -> CapsuleSimHandle {
    CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions { seed: 7, records },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap()
}

fn client(h: &CapsuleSimHandle) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap()
}

fn settings(h: &CapsuleSimHandle) -> OAuthSettings {
    OAuthSettings {
        client_id: h.client_id.clone(),
        client_secret: h.client_secret.clone().into(),
        token_url: h.oauth_token_url.to_string(),
        authorise_url: h.authorise_url.to_string(),
        revoke_url: h.revoke_url.to_string(),
    }
}

#[tokio::test]
async fn listing_1050_parties_takes_11_requests() {
    let h = sim(787).await; // 787 people + 263 organisations
    let c = client(&h);
    // Warm the custom field definition cache, then count.
    c.list_parties(&ListParams::new().page_size(1))
        .await
        .unwrap();
    h.reset_stats();
    let mut params = ListParams::new();
    let mut ids = Vec::new();
    loop {
        let page = c.list_parties(&params).await.unwrap();
        ids.extend(page.items.iter().map(|p| p.id().to_string()));
        match page.next {
            Some(n) => params.cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(ids.len(), 1050);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        1050,
        "each party once"
    );
    let stats = h.stats();
    assert_eq!(stats.requests, 11, "{stats:?}");
    assert_eq!(stats.per_path.get("GET /api/v2/parties"), Some(&11));
    h.shutdown().await;
}

#[tokio::test]
async fn contact_and_account_round_trip() {
    let h = sim(12).await;
    let c = client(&h);
    let account = c
        .accounts()
        .create(&NewAccount {
            name: "Round Trip Ltd".into(),
            emails: vec![Email {
                address: "hello@roundtrip.example".into(),
                kind: Some(EmailKind::Work),
                ..Default::default()
            }],
            tags: vec![Tag::named("VIP")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(account.name, "Round Trip Ltd");
    assert_eq!(account.tags.len(), 1);
    let contact = c
        .contacts()
        .create(&NewContact {
            first_name: Some("Ada".into()),
            last_name: Some("Byron".into()),
            account_id: Some(account.id.clone()),
            emails: vec![
                Email {
                    address: "ada@roundtrip.example".into(),
                    kind: Some(EmailKind::Work),
                    ..Default::default()
                },
                Email {
                    address: "ada@home.example".into(),
                    kind: Some(EmailKind::Home),
                    ..Default::default()
                },
            ],
            phones: vec![Phone {
                number: "+44 7700 900123".into(),
                kind: Some(PhoneKind::Mobile),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(contact.account_id.as_ref(), Some(&account.id));
    assert_eq!(contact.emails.len(), 2);
    assert!(contact.emails.iter().all(|e| e.row_id.is_some()));

    // Replace the emails: keep the first, drop the second, add one; touch nothing else.
    let mut emails = vec![contact.emails[0].clone()];
    emails.push(Email {
        address: "ada@new.example".into(),
        ..Default::default()
    });
    let updated = c
        .contacts()
        .update(
            &contact.id,
            &ContactPatch {
                job_title: Patch::Set("CTO".into()),
                emails: Patch::Set(emails),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let addresses: Vec<_> = updated.emails.iter().map(|e| e.address.as_str()).collect();
    assert_eq!(addresses, ["ada@roundtrip.example", "ada@new.example"]);
    assert_eq!(updated.emails[0].row_id, contact.emails[0].row_id);
    assert_eq!(updated.phones, contact.phones, "untouched list unchanged");
    assert_eq!(updated.job_title.as_deref(), Some("CTO"));
    assert_eq!(updated.first_name.as_deref(), Some("Ada"));

    let got = c.contacts().get(&contact.id).await.unwrap();
    assert_eq!(got.emails, updated.emails);
    assert!(
        c.accounts()
            .get(&AccountId::new(contact.id.as_str()))
            .await
            .unwrap_err()
            .is_not_found()
    );

    let found: Vec<Contact> = c
        .contacts()
        .stream_all(ListParams::new().search("roundtrip"))
        .try_collect()
        .await
        .unwrap();
    assert!(found.iter().any(|f| f.id == contact.id));

    c.contacts().delete(&contact.id).await.unwrap();
    assert!(
        c.contacts()
            .get(&contact.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    c.accounts().delete(&account.id).await.unwrap();
    assert!(
        c.accounts()
            .get(&account.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn opportunity_task_note_round_trip() {
    let h = sim(12).await;
    let c = client(&h);
    let pipelines: Vec<Pipeline> = c.list_all(ListParams::new()).await.unwrap();
    let pipeline = &pipelines[0];
    assert!(pipeline.stages.iter().any(|s| s.is_won) && pipeline.stages.iter().any(|s| s.is_lost));
    assert_eq!(
        c.pipelines().get(&pipeline.id).await.unwrap().stages,
        pipeline.stages
    );
    let accounts = c
        .accounts()
        .list(&ListParams::new().page_size(5))
        .await
        .unwrap();
    let account = &accounts.items[0];

    let opp = c
        .opportunities()
        .create(&NewOpportunity {
            name: "Unicrm deal".into(),
            account_id: Some(account.id.clone()),
            pipeline_id: Some(pipeline.id.clone()),
            amount: Some(Money::parse("12345.67", "GBP").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(opp.amount.as_ref().unwrap().amount.to_string(), "12345.67");
    assert_eq!(opp.pipeline_id.as_ref(), Some(&pipeline.id));
    assert_eq!(opp.status, Some(OpportunityStatus::Open));
    let won = c
        .opportunities()
        .update(
            &opp.id,
            &OpportunityPatch {
                status: Patch::Set(OpportunityStatus::Won),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(won.status, Some(OpportunityStatus::Won));
    assert!(won.closed_date.is_some());
    assert_eq!(won.amount, opp.amount);

    let task = c
        .tasks()
        .create(&NewTask {
            title: "Call back".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2030, 1, 2),
            opportunity_id: Some(opp.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(task.opportunity_id.as_ref(), Some(&opp.id));
    let done = c
        .tasks()
        .update(
            &task.id,
            &TaskPatch {
                status: Patch::Set(TaskStatus::Completed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.status, Some(TaskStatus::Completed));
    let all_tasks: Vec<Task> = c.list_all(ListParams::new()).await.unwrap();
    assert!(
        all_tasks.iter().any(|t| t.id == task.id),
        "completed tasks are listed"
    );
    c.tasks().delete(&task.id).await.unwrap();
    assert!(c.tasks().get(&task.id).await.unwrap_err().is_not_found());

    let note = c
        .notes()
        .create(&NewNote {
            content: "Met at the fair".into(),
            account_id: Some(account.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(note.account_id.as_ref(), Some(&account.id));
    let edited = c
        .notes()
        .update(
            &note.id,
            &NotePatch {
                content: Patch::Set("Met at the fair, twice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.content, "Met at the fair, twice");
    let notes: Vec<Note> = c.list_all(ListParams::new()).await.unwrap();
    assert!(notes.iter().any(|n| n.id == note.id));
    c.notes().delete(&note.id).await.unwrap();
    c.opportunities().delete(&opp.id).await.unwrap();
    assert!(
        c.opportunities()
            .get(&opp.id)
            .await
            .unwrap_err()
            .is_not_found()
    );

    let users: Vec<User> = c.list_all(ListParams::new()).await.unwrap();
    let me = c.current_user().await.unwrap();
    assert!(users.iter().any(|u| u.id == me.id));
    assert_eq!(c.users().get(&me.id).await.unwrap().id, me.id);
    let defs = c
        .custom_field_definitions(ResourceKind::Contact)
        .await
        .unwrap();
    assert!(!defs.is_empty());
    assert!(
        c.leads()
            .get(&LeadId::new("1"))
            .await
            .unwrap_err()
            .is_unsupported()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn changes_since_reports_update_and_deletion() {
    let h = sim(30).await;
    let c = client(&h);
    let contacts = c
        .contacts()
        .list(&ListParams::new().page_size(10))
        .await
        .unwrap()
        .items;
    let (a, b) = (&contacts[0], &contacts[1]);
    let cp = Checkpoint::at(chrono::Utc::now() - chrono::Duration::seconds(1));
    let first = c.changes_since::<Contact>(&cp).await.unwrap();
    let before = first.changes.len();
    c.contacts()
        .update(
            &a.id,
            &ContactPatch {
                job_title: Patch::Set("Changed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    c.contacts().delete(&b.id).await.unwrap();
    let set = c.changes_since::<Contact>(&cp).await.unwrap();
    assert_eq!(set.changes.len(), before + 2, "{:#?}", set.changes);
    assert!(set.changes.iter().any(|ch| matches!(ch,
        Change::Upserted { record } if record.id == a.id && record.job_title.as_deref() == Some("Changed"))));
    assert!(
        set.changes
            .iter()
            .any(|ch| matches!(ch, Change::Deleted { id, .. } if *id == b.id))
    );
    assert!(set.next.at >= cp.at);
    // Resuming from the new checkpoint: at most the overlap second is reported again.
    let again = c.changes_since::<Contact>(&set.next).await.unwrap();
    for ch in &again.changes {
        match ch {
            Change::Upserted { record } => {
                assert!(record.updated_at >= Some(set.next.at - chrono::Duration::seconds(1)))
            }
            Change::Deleted { deleted_at, .. } => {
                assert!(*deleted_at >= Some(set.next.at - chrono::Duration::seconds(1)))
            }
            _ => {}
        }
    }

    // Tasks: id scan kept in the checkpoint state.
    let t0 = c
        .changes_since::<Task>(&Checkpoint::at(chrono::Utc::now()))
        .await
        .unwrap();
    assert!(t0.next.state.is_some());
    let tasks: Vec<Task> = c.list_all(ListParams::new()).await.unwrap();
    c.tasks().delete(&tasks[0].id).await.unwrap();
    let t1 = c.changes_since::<Task>(&t0.next).await.unwrap();
    assert_eq!(t1.changes.len(), 1, "{:#?}", t1.changes);
    assert!(matches!(&t1.changes[0], Change::Deleted { id, .. } if *id == tasks[0].id));
    h.shutdown().await;
}

#[tokio::test]
async fn oauth_code_token_refresh_revoke() {
    let h = sim(5).await;
    let oauth = CapsuleOAuth::new(&settings(&h)).unwrap();
    let redirect = "https://app.example/callback";
    let (url, state) = oauth.authorise_url(redirect, &["read", "write"]).unwrap();
    assert!(url.path().ends_with("/oauth/authorise"));
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url.as_str())
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], state);
    let t1 = oauth.exchange_code(&q["code"], redirect).await.unwrap();
    assert_eq!(t1.subdomain.as_deref(), Some("sandbox"));
    assert!(t1.tokens.expires_at.is_some());
    assert!(
        oauth
            .exchange_code(&q["code"], redirect)
            .await
            .unwrap_err()
            .to_string()
            .contains("invalid_grant")
    );

    let c1 = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .oauth(settings(&h), t1.tokens.clone())
        .build()
        .unwrap();
    c1.current_user().await.unwrap();

    // Refresh out of band: the first access token dies, the refresh token rotates.
    let t2 = oauth
        .refresh_tokens(t1.tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    let store = Arc::new(unicrm_capsule::MemoryTokenStore::new());
    let c2 = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .oauth(
            settings(&h),
            TokenSet {
                access_token: t1.tokens.access_token.clone(),
                refresh_token: t2.tokens.refresh_token.clone(),
                expires_at: None,
            },
        )
        .token_store(store.clone())
        .build()
        .unwrap();
    // 401 with the dead access token → one refresh → retried.
    c2.current_user().await.unwrap();
    let latest = store.load().await.unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(
        latest.expose_secret(),
        t2.tokens.refresh_token.as_ref().unwrap().expose_secret(),
        "the rotated refresh token is stored"
    );

    // Hooks need an OAuth app; a PAT is refused.
    let hook = c2
        .subscribe_hook(&NewRestHook {
            event: unicrm_capsule::HookEvent::PartyUpdated,
            target_url: "https://hooks.example/capsule/s3cr3t".into(),
            description: Some("unicrm test".into()),
            embed: Some("tags,fields".into()),
        })
        .await
        .unwrap();
    assert!(
        c2.list_hooks()
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == hook.id)
    );
    c2.unsubscribe_hook(hook.id).await.unwrap();
    assert!(
        c2.list_hooks()
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != hook.id)
    );
    let pat = client(&h);
    let err = pat
        .subscribe_hook(&NewRestHook {
            event: unicrm_capsule::HookEvent::PartyUpdated,
            target_url: "https://hooks.example/x".into(),
            description: None,
            embed: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");

    // Revoke the newest refresh token: its access token dies and cannot be refreshed.
    oauth.revoke(&latest, true).await.unwrap();
    let err = c2.current_user().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn hourly_budget_is_honoured_before_it_is_spent() {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 3,
        },
        hourly_budget: 3,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client(&h);
    for _ in 0..3 {
        c.current_user().await.unwrap();
    }
    // The last answer said Remaining: 0 with a reset an hour away: the client stops itself.
    match c.current_user().await.unwrap_err() {
        Error::QuotaExhausted { resets_at, limit } => {
            assert!(resets_at.is_some());
            assert_eq!(limit, Some(3));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.stats().requests, 3, "no request sent over budget");
    // A fresh client (no budget seen yet) draws Capsule's 429 and reports the same error.
    let err = client(&h).current_user().await.unwrap_err();
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    assert_eq!(h.stats().rate_limited, 1);
    h.shutdown().await;
}
