//! One test per numbered item of docs/vendors/capsule-v2-addendum.md, "Simulator must
//! reproduce", for activity types and entries (items 14 to 20), in raw HTTP; plus the seeds
//! and the fixtures' shapes (`tests/fixtures/capsule/`).

use std::collections::BTreeSet;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig};

struct Env {
    sim: CapsuleSimHandle,
    http: Client,
}

async fn start(options: CapsuleSimOptions) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Env {
        sim: CapsuleSim::start(options).await.expect("sim starts"),
        http: Client::new(),
    }
}

async fn seeded() -> Env {
    start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 20,
        },
        ..CapsuleSimOptions::default()
    })
    .await
}

impl Env {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url))
            .bearer_auth(&self.sim.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// A person's id.
    async fn person(&self) -> u64 {
        let (_, v) = self.get("parties?perPage=100").await;
        v["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == "person")
            .and_then(|p| p["id"].as_u64())
            .expect("a seeded person")
    }

    async fn all_entries(&self) -> Vec<Value> {
        let (s, v) = self.get("entries?perPage=100").await;
        assert_eq!(s, StatusCode::OK);
        v["entries"].as_array().cloned().unwrap_or_default()
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/capsule/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Item 14: `/activitytypes` lists -1 Note, -2 Meeting, -3 Call with `icon` and
/// `updateLastContacted`; `/activitytypes/-3` shows Call.
#[tokio::test]
async fn addendum_14_activity_types_list_and_show() {
    let env = seeded().await;
    let (s, v) = env.get("activitytypes").await;
    assert_eq!(s, StatusCode::OK);
    let types = v["activityTypes"].as_array().unwrap();
    for (id, name) in [(-1, "Note"), (-2, "Meeting"), (-3, "Call")] {
        let t = types.iter().find(|t| t["id"] == id).expect("built-in");
        assert_eq!(t["name"], name);
        assert!(t["icon"]["id"].is_string() && t["updateLastContacted"].is_boolean());
    }
    assert!(
        types.iter().any(|t| t["id"].as_i64() > Some(0)),
        "a custom type"
    );
    // The fixture's shape: the same keys, on the type and its icon.
    let fx = fixture("activitytypes.json");
    let fx_call = &fx["activityTypes"][2];
    let call = types.iter().find(|t| t["id"] == -3).unwrap();
    assert_eq!(keys(call), keys(fx_call));
    assert_eq!(keys(&call["icon"]), keys(&fx_call["icon"]));
    assert_eq!(call["icon"]["id"], "PHONE");
    let (s, v) = env.get("activitytypes/-3").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["activityType"]["name"], "Call");
    assert_eq!(env.get("activitytypes/-99").await.0, StatusCode::NOT_FOUND);
    // Paged like every list.
    let (s, v) = env.get("activitytypes?perPage=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["activityTypes"].as_array().unwrap().len(), 2);
}

/// Item 15: `POST /activitytypes` without the Teams edition → 403; on Teams → 201 with a
/// positive id.
#[tokio::test]
async fn addendum_15_activity_type_writes_need_the_teams_edition() {
    let env = start(CapsuleSimOptions {
        teams_edition: false,
        ..CapsuleSimOptions::default()
    })
    .await;
    let body = json!({"activityType": {"name": "Site visit", "icon": {"id": "MEETING"}, "updateLastContacted": false}});
    let (s, _) = env.post("activitytypes", body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = env
        .call(
            Method::PUT,
            "activitytypes/-2",
            Some(json!({"activityType": {"name": "Termin"}})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    env.sim.set_teams_edition(true);
    let (s, v) = env.post("activitytypes", body).await;
    assert_eq!(s, StatusCode::CREATED);
    let t = &v["activityType"];
    assert!(t["id"].as_i64().unwrap() > 0);
    assert_eq!(t["icon"]["id"], "MEETING");
    assert_eq!(t["updateLastContacted"], false);
    let (s, v) = env
        .call(
            Method::PUT,
            &format!("activitytypes/{}", t["id"]),
            Some(json!({"activityType": {"name": "Site walk"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["activityType"]["name"], "Site walk");
    assert_eq!(v["activityType"]["icon"]["id"], "MEETING");
}

/// Item 16: a note without `activityType` → Note (-1); with -2 → Meeting; with 999 → 422.
#[tokio::test]
async fn addendum_16_entry_activity_type_defaults_and_checks() {
    let env = seeded().await;
    let p = env.person().await;
    let (s, v) = env
        .post(
            "entries",
            json!({"entry": {"type": "note", "party": {"id": p}, "content": "plain"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        v["entry"]["activityType"],
        json!({"id": -1, "name": "Note"})
    );
    let (s, v) = env
        .post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "content": "met", "activityType": {"id": -2}}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["entry"]["activityType"]["name"], "Meeting");
    let (s, _) = env
        .post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "content": "x", "activityType": {"id": 999}}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // PUT changes the type (and checks it the same way).
    let id = v["entry"]["id"].as_u64().unwrap();
    let (s, v) = env
        .call(
            Method::PUT,
            &format!("entries/{id}"),
            Some(json!({"entry": {"activityType": {"id": -3}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["entry"]["activityType"]["name"], "Call");
    let (s, _) = env
        .call(
            Method::PUT,
            &format!("entries/{id}"),
            Some(json!({"entry": {"activityType": {"id": 999}}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Item 17: a call logged on a party moves its `lastContactedAt` to the entry's `entryAt`
/// when that is later; a type with `updateLastContacted: false` does not move it.
#[tokio::test]
async fn addendum_17_a_call_moves_last_contacted() {
    let env = seeded().await;
    let p = env.person().await;
    let at = "2031-05-06T07:08:09Z";
    let (s, _) = env
        .post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "content": "call", "activityType": {"id": -3}, "entryAt": at}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = env.get(&format!("parties/{p}")).await;
    assert_eq!(v["party"]["lastContactedAt"], at);
    // An earlier entry leaves it alone.
    env.post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "content": "old call", "activityType": {"id": -3}, "entryAt": "2020-01-01T00:00:00Z"}}))
        .await;
    let (_, v) = env.get(&format!("parties/{p}")).await;
    assert_eq!(v["party"]["lastContactedAt"], at);
    // A type that does not update it.
    let (_, t) = env
        .post(
            "activitytypes",
            json!({"activityType": {"name": "Internal", "updateLastContacted": false}}),
        )
        .await;
    let tid = t["activityType"]["id"].as_i64().unwrap();
    env.post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "content": "internal", "activityType": {"id": tid}, "entryAt": "2032-01-01T00:00:00Z"}}))
        .await;
    let (_, v) = env.get(&format!("parties/{p}")).await;
    assert_eq!(v["party"]["lastContactedAt"], at);
}

/// Item 18: both `party` and `kase` → 422 with the documented message; `type: email` → 422.
#[tokio::test]
async fn addendum_18_one_record_and_no_emails() {
    let env = seeded().await;
    let p = env.person().await;
    let (s, v) = env
        .post("entries", json!({"entry": {"type": "note", "party": {"id": p}, "kase": {"id": 5}, "content": "x"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v.to_string()
            .contains("entry must be linked to either a party, opportunity or kase"),
        "{v}"
    );
    let (s, _) = env
        .post(
            "entries",
            json!({"entry": {"type": "note", "content": "x"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = env
        .post(
            "entries",
            json!({"entry": {"type": "email", "party": {"id": p}, "content": "x", "subject": "s"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Item 19: `/entries?perPage=2` → the account's entries newest `entryAt` first with `Link`
/// paging; `perPage=101` → 422.
#[tokio::test]
async fn addendum_19_global_feed_newest_first() {
    let env = seeded().await;
    let resp = env
        .http
        .get(format!("{}entries?perPage=2", env.sim.base_url))
        .bearer_auth(&env.sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let link = resp.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=2"),
        "{link}"
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    let all = env.all_entries().await;
    let ats: Vec<&str> = all.iter().map(|e| e["entryAt"].as_str().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ats, sorted, "newest entryAt first");
    let parties: BTreeSet<u64> = all
        .iter()
        .filter_map(|e| e["party"]["id"].as_u64())
        .collect();
    assert!(parties.len() > 1, "across records");
    assert_eq!(
        env.get("entries?perPage=101").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Item 20 (the part on entries; `/kases/{id}/entries` belongs to the project simulator):
/// `since` on `/entries` is ignored, the full feed comes back.
#[tokio::test]
async fn addendum_20_entries_ignore_since() {
    let env = seeded().await;
    let all = env.all_entries().await;
    let (s, v) = env
        .get("entries?perPage=100&since=2099-01-01T00:00:00Z")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["entries"].as_array().unwrap().len(), all.len());
}

/// Seeds: at least three engagements of several kinds, three plain notes, a filed email with
/// participants and a completed-task record, in the fixtures' shapes.
#[tokio::test]
async fn seeds_hold_engagements_notes_and_an_email() {
    let env = start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 13,
            records: 12,
        },
        ..CapsuleSimOptions::default()
    })
    .await;
    let all = env.all_entries().await;
    let of = |ty: &str, activity: i64| {
        all.iter()
            .filter(|e| e["type"] == ty && e["activityType"]["id"] == activity)
            .count()
    };
    assert!(of("note", -1) >= 3, "plain notes");
    assert_eq!(of("note", -2), 1);
    assert_eq!(of("note", -3), 1);
    assert_eq!(of("note", 2), 1, "a custom activity");
    assert_eq!(of("task", -4), 1);
    let email = all.iter().find(|e| e["type"] == "email").expect("an email");
    let fx = fixture("entries-global.json");
    let fx_email = &fx["GET /api/v2/entries?perPage=4"]["body"]["entries"][1];
    for key in [
        "subject",
        "parties",
        "participants",
        "activityType",
        "entryAt",
    ] {
        assert!(email.get(key).is_some(), "email lacks {key}");
    }
    assert_eq!(
        keys(&email["participants"][0]),
        keys(&fx_email["participants"][0])
    );
    assert_eq!(email["participants"][0]["role"], "FROM");
    assert_eq!(email["activityType"]["id"], -6);
    // A note entry has the fixture's keys (plus nothing it lacks).
    let meeting = all.iter().find(|e| e["activityType"]["id"] == -2).unwrap();
    let fx_meeting = &fixture("entry-meeting.json")["entry"];
    assert_eq!(keys(meeting), keys(fx_meeting));
    assert!(
        meeting["entryAt"].as_str() < meeting["createdAt"].as_str(),
        "back-dated"
    );
}

/// Faults reach the new routes like every other (a 5xx burst on `/activitytypes`).
#[tokio::test]
async fn faults_apply_to_activity_types_and_entries() {
    let env = start(CapsuleSimOptions {
        faults: FaultConfig {
            seed: 1,
            error_rate: 1.0,
            ..FaultConfig::default()
        },
        ..CapsuleSimOptions::default()
    })
    .await;
    let (s, _) = env.get("activitytypes").await;
    assert!(s.is_server_error(), "{s}");
    let (s, _) = env.get("entries").await;
    assert!(s.is_server_error(), "{s}");
    env.sim.set_faults(FaultConfig::default());
    assert_eq!(env.get("activitytypes").await.0, StatusCode::OK);
}
