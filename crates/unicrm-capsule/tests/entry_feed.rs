//! The entry feeds (engagements, notes) under concurrent writers, against the Capsule
//! simulator on a manual clock (`changes/entries.rs`; docs/vendors/capsule-v2-addendum.md,
//! "Listing entries": no `since`, ordered by `entryAt`, back-dating and edits do not move an
//! entry).
//!
//! The replica is built only from `changes_since`; the vendor's state is read through the
//! raw API. Asserted: a partial walk finds new entries, including one back-dated inside the
//! overlap; an entry back-dated past the overlap, an edit of an old entry and deletions are
//! found by the next full walk; no deletion is reported that the vendor does not confirm; in
//! the end the replica equals the vendor's engagements (id, `updatedAt`, body, kind).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use unicrm_capsule::CapsuleClient;
use unicrm_core::*;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions, SimClock};

struct Env {
    sim: CapsuleSimHandle,
    clock: SimClock,
    http: reqwest::Client,
    writers: Vec<String>,
    client: CapsuleClient,
}

async fn env() -> Env {
    let clock = SimClock::manual_default();
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 21,
            records: 30,
        },
        clock: clock.clone(),
        hourly_budget: 1_000_000,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    unicrm_core::http::install_crypto_provider();
    let writers = sim
        .user_ids()
        .iter()
        .skip(1)
        .take(2)
        .map(|u| sim.mint_pat(*u))
        .collect();
    let client = CapsuleClient::builder()
        .base_url(sim.base_url.as_str())
        .personal_access_token(sim.token.clone())
        .change_page_size(5)
        .entry_feed_overlap(Duration::from_secs(7 * 86_400))
        .entry_full_walk_interval(Duration::from_secs(86_400))
        .build()
        .unwrap();
    Env {
        sim,
        clock,
        http: reqwest::Client::new(),
        writers,
        client,
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Env {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn raw(&self, w: usize, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.sim.base_url))
            .bearer_auth(&self.writers[w % self.writers.len()]);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        assert!(
            resp.status().is_success(),
            "{method} {path}: {}",
            resp.status()
        );
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn person(&self) -> u64 {
        let v = self.raw(0, Method::GET, "parties?perPage=100", None).await;
        v["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == "person")
            .and_then(|p| p["id"].as_u64())
            .unwrap()
    }

    /// Logs a call at `at` on `party`; its id.
    async fn log(&self, w: usize, party: u64, at: DateTime<Utc>, content: &str) -> u64 {
        let body = json!({"entry": {"type": "note", "party": {"id": party}, "activityType": {"id": -3}, "entryAt": ts(at), "content": content}});
        let v = self.raw(w, Method::POST, "entries", Some(body)).await;
        v["entry"]["id"].as_u64().unwrap()
    }

    async fn edit(&self, w: usize, id: u64, content: &str) {
        let body = json!({"entry": {"content": content}});
        self.raw(w, Method::PUT, &format!("entries/{id}"), Some(body))
            .await;
    }

    async fn delete(&self, w: usize, id: u64) {
        self.raw(w, Method::DELETE, &format!("entries/{id}"), None)
            .await;
    }

    /// The vendor's engagements: id → (updatedAt, content, activity type id).
    async fn vendor(&self) -> BTreeMap<String, (String, String, i64)> {
        let mut out = BTreeMap::new();
        for page in 1.. {
            let v = self
                .raw(
                    0,
                    Method::GET,
                    &format!("entries?perPage=100&page={page}"),
                    None,
                )
                .await;
            let items = v["entries"].as_array().cloned().unwrap_or_default();
            for e in &items {
                let activity = e["activityType"]["id"].as_i64().unwrap_or(-1);
                let engagement = (e["type"] == "note" && activity != -1) || e["type"] == "email";
                if engagement {
                    out.insert(
                        e["id"].as_u64().unwrap().to_string(),
                        (
                            e["updatedAt"].as_str().unwrap_or_default().to_string(),
                            e["content"].as_str().unwrap_or_default().to_string(),
                            activity,
                        ),
                    );
                }
            }
            if items.len() < 100 {
                break;
            }
        }
        out
    }
}

#[derive(Default)]
struct Replica {
    records: BTreeMap<String, Engagement>,
    checkpoint: Option<Checkpoint>,
    deletions: Vec<String>,
}

impl Replica {
    async fn poll(&mut self, env: &Env) -> usize {
        let cp = self
            .checkpoint
            .clone()
            .unwrap_or_else(|| Checkpoint::at(DateTime::UNIX_EPOCH));
        let before = env.client.stats().requests;
        let set = env.client.engagements().changes_since(&cp).await.unwrap();
        for c in set.changes {
            match c {
                Change::Upserted { record } => {
                    self.records.insert(record.id.to_string(), record);
                }
                Change::Deleted { id, .. } => {
                    // Confirmed: the vendor no longer holds it as an engagement.
                    let r = env.client.engagements().get(&id).await;
                    assert!(r.unwrap_err().is_not_found(), "invented deletion of {id}");
                    self.records.remove(id.as_str());
                    self.deletions.push(id.to_string());
                }
                _ => {}
            }
        }
        self.checkpoint = Some(set.next);
        (env.client.stats().requests - before) as usize
    }

    fn view(&self) -> BTreeMap<String, (String, String, i64)> {
        self.records
            .iter()
            .map(|(id, e)| {
                (
                    id.clone(),
                    (
                        e.updated_at.map(ts).unwrap_or_default(),
                        e.body.clone().unwrap_or_default(),
                        e.engagement_type_id
                            .as_ref()
                            .and_then(|t| t.as_str().parse().ok())
                            .unwrap_or(-1),
                    ),
                )
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_feed_converges_under_concurrent_writers() {
    let env = env().await;
    let party = env.person().await;
    let day = chrono::Duration::days(1);
    // Old entries, logged long ago (their entryAt is outside the overlap): three fillers at
    // 15 days, then the three the test edits, deletes and turns into a note at 20 days. With
    // five entries a page, a partial walk stops on the page of the fillers.
    env.clock.set(env.now() - day * 20);
    for i in 0..3 {
        env.log(i, party, env.now() + day * 5, &format!("filler {i}"))
            .await;
    }
    let old_a = env.log(0, party, env.now(), "old call A").await;
    let old_b = env.log(1, party, env.now(), "old call B").await;
    let old_c = env.log(0, party, env.now(), "old call C").await;
    env.clock.set(env.now() + day * 20);

    let mut replica = Replica::default();
    let full_cost = replica.poll(&env).await;
    assert_eq!(replica.view(), env.vendor().await, "first (full) walk");

    // Round 1: writers and the feed at the same time.
    env.clock.advance(Duration::from_secs(3600));
    let now = env.now();
    let writers = async {
        let mut ids = Vec::new();
        for i in 0..6u32 {
            ids.push(
                env.log(i as usize, party, now, &format!("round 1 call {i}"))
                    .await,
            );
        }
        ids
    };
    let (ids, _) = tokio::join!(writers, replica.poll(&env));
    env.clock.advance(Duration::from_secs(60));
    // Quiet: a back-dated entry inside the overlap, one past it, an edit of an old entry, a
    // deletion, and a meeting turned into a plain note (it leaves the engagements).
    let inside = env
        .log(0, party, env.now() - day * 3, "back-dated 3 days")
        .await;
    let outside = env
        .log(1, party, env.now() - day * 50, "back-dated 50 days")
        .await;
    env.edit(0, old_a, "old call A, edited").await;
    env.delete(1, old_b).await;
    env.raw(
        0,
        Method::PUT,
        &format!("entries/{old_c}"),
        Some(json!({"entry": {"activityType": {"id": -1}}})),
    )
    .await;
    env.edit(1, ids[2], "round 1 call 2, edited").await;

    env.clock.advance(Duration::from_secs(3600));
    let partial_cost = replica.poll(&env).await;
    assert!(
        partial_cost < full_cost,
        "a partial walk ({partial_cost} requests) reads less than a full one ({full_cost})"
    );
    println!("entry feed: full walk {full_cost} requests, partial walk {partial_cost} requests");
    let view = replica.view();
    for id in &ids {
        assert!(view.contains_key(&id.to_string()), "new entry {id}");
    }
    assert_eq!(view[&ids[2].to_string()].1, "round 1 call 2, edited");
    assert!(
        view.contains_key(&inside.to_string()),
        "back-dated inside the overlap"
    );
    // What only a full walk finds is not found yet, and nothing is guessed deleted.
    assert!(!view.contains_key(&outside.to_string()));
    assert_eq!(view[&old_a.to_string()].1, "old call A");
    assert!(view.contains_key(&old_b.to_string()));
    assert!(replica.deletions.is_empty());

    // Past the full-walk interval: everything converges.
    env.clock.advance(Duration::from_secs(25 * 3600));
    let converge_cost = replica.poll(&env).await;
    println!(
        "entry feed: full walk with read-backs {converge_cost} requests, {} deletions confirmed",
        replica.deletions.len()
    );
    let vendor = env.vendor().await;
    assert_eq!(replica.view(), vendor, "after the full walk");
    assert_eq!(
        replica.deletions,
        vec![old_b.to_string(), old_c.to_string()],
        "the deleted entry and the one turned into a note"
    );
    // Quiet polls report nothing more.
    env.clock.advance(Duration::from_secs(3600));
    let cp = replica.checkpoint.clone().unwrap();
    let again = env.client.engagements().changes_since(&cp).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

#[tokio::test]
async fn note_feed_reports_only_plain_notes_and_confirms_deletions() {
    let env = env().await;
    let party = env.person().await;
    let client = CapsuleClient::builder()
        .base_url(env.sim.base_url.as_str())
        .personal_access_token(env.sim.token.clone())
        .entry_full_walk_interval(Duration::ZERO)
        .build()
        .unwrap();
    let first = client
        .notes()
        .changes_since(&Checkpoint::at(DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let notes: Vec<Note> = client.list_all(ListParams::new()).await.unwrap();
    assert_eq!(first.changes.len(), notes.len());
    let body = json!({"entry": {"type": "note", "party": {"id": party}, "content": "plain note"}});
    let v = env.raw(0, Method::POST, "entries", Some(body)).await;
    let note = v["entry"]["id"].as_u64().unwrap();
    env.log(0, party, env.now(), "a call, not a note").await;
    env.clock.advance(Duration::from_secs(60));
    let second = client.notes().changes_since(&first.next).await.unwrap();
    let ids: Vec<String> = second
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Upserted { record } => Some(record.id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec![note.to_string()]);
    // Turned into a call, the note leaves the note feed (confirmed by a re-read).
    env.raw(
        0,
        Method::PUT,
        &format!("entries/{note}"),
        Some(json!({"entry": {"activityType": {"id": -3}}})),
    )
    .await;
    env.clock.advance(Duration::from_secs(60));
    let third = client.notes().changes_since(&second.next).await.unwrap();
    assert!(
        matches!(
            third.changes.as_slice(),
            [Change::Deleted { id, .. }] if id.as_str() == note.to_string()
        ),
        "{:?}",
        third.changes
    );
}
