//! Seed data in a real account's creation order: organisations interleaved with their people,
//! ids and `createdAt` increasing together — in the dataset, and over HTTP on both simulators.
//! Also Capsule's PENDING tasks (tasks of closed opportunities) and the `/tasks` status filter.

use std::collections::HashMap;

use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::{self, PartyRef, SeedOptions};
use unicrm_sim::{
    CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, InsightlySim, InsightlySimOptions,
};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

const OPTS: SeedOptions = SeedOptions {
    seed: 21,
    records: 300,
};

#[test]
fn dataset_interleaves_organisations_and_people_in_creation_order() {
    let d = seed::generate(OPTS);
    let order = seed::creation_order(&d);
    assert_eq!(order.len(), d.organisations.len() + d.people.len());
    let created = |r: &PartyRef| match *r {
        PartyRef::Organisation(id) => d.organisations[(id - 1) as usize].created_at,
        PartyRef::Person(id) => d.people[(id - 1) as usize].created_at,
    };
    // createdAt strictly increases along the order; ids of each type too.
    for w in order.windows(2) {
        assert!(created(&w[0]) < created(&w[1]), "{w:?}");
    }
    let orgs: Vec<u64> = order
        .iter()
        .filter_map(|r| match r {
            PartyRef::Organisation(id) => Some(*id),
            PartyRef::Person(_) => None,
        })
        .collect();
    assert!(orgs.windows(2).all(|w| w[0] < w[1]));
    // Interleaved: the organisations are spread over the whole sequence, not all first.
    let first_person = order
        .iter()
        .position(|r| matches!(r, PartyRef::Person(_)))
        .unwrap();
    let last_org = order
        .iter()
        .rposition(|r| matches!(r, PartyRef::Organisation(_)))
        .unwrap();
    assert!(first_person < 3, "people start at once: {first_person}");
    assert!(
        last_org > order.len() / 2,
        "organisations keep coming: {last_org}"
    );
    // Every person's organisation was created before them.
    for p in &d.people {
        assert!(p.updated_at >= p.created_at);
        if let Some(o) = p.organisation_id {
            assert!(d.organisations[(o - 1) as usize].created_at < p.created_at);
        }
    }
    // Other records: createdAt increases with the id.
    assert!(
        d.opportunities
            .windows(2)
            .all(|w| w[0].created_at < w[1].created_at)
    );
    assert!(
        d.tasks
            .windows(2)
            .all(|w| w[0].created_at < w[1].created_at)
    );
    assert!(
        d.notes
            .windows(2)
            .all(|w| w[0].created_at < w[1].created_at)
    );
    // Deterministic.
    assert_eq!(seed::creation_order(&seed::generate(OPTS)), order);
}

async fn capsule_all(sim: &CapsuleSimHandle, c: &Client, path: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = c
            .get(format!(
                "{}{path}{sep}perPage=100&page={page}",
                sim.base_url
            ))
            .bearer_auth(&sim.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let more = r
            .headers()
            .get("link")
            .is_some_and(|l| l.to_str().unwrap_or("").contains("rel=\"next\""));
        let v: Value = r.json().await.unwrap();
        out.extend(v[key].as_array().unwrap().iter().cloned());
        if !more {
            return out;
        }
        page += 1;
    }
}

#[tokio::test]
async fn capsule_ids_follow_creation_order_across_types() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: OPTS,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let parties = capsule_all(&sim, &c, "parties", "parties").await;
    let mut stamped: Vec<(u64, String, String)> = parties
        .iter()
        .map(|p| {
            (
                p["id"].as_u64().unwrap(),
                p["createdAt"].as_str().unwrap().to_string(),
                p["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    stamped.sort();
    assert!(
        stamped.windows(2).all(|w| w[0].1 < w[1].1),
        "createdAt increases with id"
    );
    let first_ten: Vec<&str> = stamped.iter().take(10).map(|s| s.2.as_str()).collect();
    assert!(
        first_ten.contains(&"person") && first_ten.contains(&"organisation"),
        "{first_ten:?}"
    );
    // A person's organisation has a smaller id (created before).
    let mut with_org = 0;
    for p in &parties {
        if let Some(org) = p["organisation"]["id"].as_u64() {
            assert!(org < p["id"].as_u64().unwrap());
            with_org += 1;
        }
    }
    assert!(with_org > parties.len() / 2);
    // One tenant-wide counter: opportunities and tasks interleave with parties in id order.
    let opps = capsule_all(&sim, &c, "opportunities", "opportunities").await;
    let tasks = capsule_all(&sim, &c, "tasks?status=open,completed,pending", "tasks").await;
    let mut all: Vec<(u64, String)> = parties
        .iter()
        .chain(&opps)
        .chain(&tasks)
        .map(|r| {
            (
                r["id"].as_u64().unwrap(),
                r["createdAt"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    assert!(
        all.windows(2).all(|w| w[0].1 <= w[1].1),
        "createdAt never decreases with id"
    );
    let max_party = stamped.last().unwrap().0;
    let min_opp = opps
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        min_opp < max_party,
        "opportunities are not all after the parties"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn insightly_ids_follow_creation_order_and_organisations_precede_their_contacts() {
    let sim = InsightlySim::start(InsightlySimOptions {
        seed: OPTS,
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.api_key))
    );
    let get = |path: &str| {
        let url = format!("{}{path}", sim.base_url);
        let c = c.clone();
        let auth = auth.clone();
        async move {
            let v: Value = c
                .get(url)
                .header("Authorization", auth)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array().unwrap().clone()
        }
    };
    let orgs = get("Organisations?top=500&brief=true").await;
    let contacts = get("Contacts?top=500&brief=true").await;
    assert_eq!(contacts.len(), 300);
    let created = |r: &Value| r["DATE_CREATED_UTC"].as_str().unwrap().to_string();
    assert!(contacts.windows(2).all(|w| created(&w[0]) < created(&w[1])));
    assert!(orgs.windows(2).all(|w| created(&w[0]) < created(&w[1])));
    let org_created: HashMap<u64, String> = orgs
        .iter()
        .map(|o| (o["ORGANISATION_ID"].as_u64().unwrap(), created(o)))
        .collect();
    for ct in &contacts {
        if let Some(o) = ct["ORGANISATION_ID"].as_u64() {
            assert!(org_created[&o] < created(ct));
        }
    }
    // Interleaved in time: the last organisation is younger than the first contacts.
    assert!(created(orgs.last().unwrap()) > created(&contacts[10]));
    sim.shutdown().await;
}

#[tokio::test]
async fn capsule_tasks_of_closed_opportunities_are_pending_and_listed_on_request() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: OPTS,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let default = capsule_all(&sim, &c, "tasks", "tasks").await;
    let pending = capsule_all(&sim, &c, "tasks?status=pending", "tasks").await;
    let completed = capsule_all(&sim, &c, "tasks?status=completed", "tasks").await;
    let all = capsule_all(&sim, &c, "tasks?status=open,completed,pending", "tasks").await;
    let upper = capsule_all(&sim, &c, "tasks?status=OPEN,PENDING", "tasks").await;
    assert!(
        default.iter().all(|t| t["status"] == "OPEN"),
        "default: open only"
    );
    assert!(
        !pending.is_empty(),
        "the seed has tasks of closed opportunities"
    );
    assert!(
        pending
            .iter()
            .all(|t| t["status"] == "PENDING" && t["active"] == false)
    );
    assert_eq!(all.len(), default.len() + pending.len() + completed.len());
    assert_eq!(upper.len(), default.len() + pending.len());
    // Every PENDING task belongs to a closed opportunity.
    let opps = capsule_all(&sim, &c, "opportunities", "opportunities").await;
    let closed: HashMap<u64, bool> = opps
        .iter()
        .map(|o| (o["id"].as_u64().unwrap(), !o["closedOn"].is_null()))
        .collect();
    for t in &pending {
        assert_eq!(
            closed.get(&t["opportunity"]["id"].as_u64().unwrap()),
            Some(&true)
        );
    }

    // Closing an opportunity turns its open tasks PENDING; reopening turns them OPEN.
    let open_task = default
        .iter()
        .find(|t| t["opportunity"]["id"].is_u64())
        .expect("an open task of an open opportunity");
    let opp = open_task["opportunity"]["id"].as_u64().unwrap();
    let task = open_task["id"].as_u64().unwrap();
    let opp_now: Value = c
        .get(format!("{}opportunities/{opp}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let open_ms = opp_now["opportunity"]["milestone"]["id"].as_u64().unwrap();
    let pipeline_ms: Value = c
        .get(format!("{}milestones/{open_ms}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pipeline = pipeline_ms["milestone"]["pipeline"]["id"].as_u64().unwrap();
    let ms: Value = c
        .get(format!("{}pipelines/{pipeline}/milestones", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let won = ms["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["complete"] == true)
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let status_of = |c: Client, url: String, token: String| async move {
        let v: Value = c
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["task"]["status"].as_str().unwrap().to_string()
    };
    let task_url = format!("{}tasks/{task}", sim.base_url);
    for (milestone, expected) in [(won, "PENDING"), (open_ms, "OPEN")] {
        let r = c
            .put(format!("{}opportunities/{opp}", sim.base_url))
            .bearer_auth(&sim.token)
            .json(&json!({"opportunity": {"milestone": {"id": milestone}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            status_of(c.clone(), task_url.clone(), sim.token.clone()).await,
            expected
        );
    }
    // PENDING cannot be set by a client.
    let r = c
        .put(&task_url)
        .bearer_auth(&sim.token)
        .json(&json!({"task": {"status": "PENDING"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sim.shutdown().await;
}
