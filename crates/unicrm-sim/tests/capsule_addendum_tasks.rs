//! One test per item of docs/vendors/capsule-v2-addendum.md, "Simulator must reproduce",
//! for tracks, the tasks of projects and the task status rules (items 5, 8 — the task side
//! —, 9 — the tasks and tracks of a deleted project —, 28, 29 and 30), in raw HTTP.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SimClock};

struct Env {
    sim: CapsuleSimHandle,
    http: Client,
}

struct Reply {
    status: StatusCode,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn seeded() -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 12,
        },
        clock: SimClock::manual(
            chrono::DateTime::parse_from_rfc3339("2025-03-20T10:00:00Z")
                .expect("time")
                .with_timezone(&chrono::Utc),
        ),
        ..Default::default()
    })
    .await
    .expect("sim starts");
    Env {
        sim,
        http: Client::new(),
    }
}

impl Env {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}{}", self.sim.base_url, path);
        let mut req = self.http.request(method, url).bearer_auth(&self.sim.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        Reply {
            status: resp.status(),
            text: resp.text().await.expect("body"),
        }
    }
    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }
    async fn new_kase(&self) -> u64 {
        let r = self.get("parties?perPage=100").await.json();
        let party = r["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .find(|p| p["type"] == "organisation")
            .and_then(|p| p["id"].as_u64())
            .expect("a seeded organisation");
        let r = self
            .post(
                "kases",
                json!({"kase": {"name": "Probe", "party": {"id": party}, "owner": {"id": 1}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["kase"]["id"].as_u64().expect("id")
    }
    async fn new_task(&self, kase: u64, description: &str) -> u64 {
        let r = self
            .post(
                "tasks",
                json!({"task": {"description": description, "dueOn": "2025-04-01",
                                "kase": {"id": kase}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let t = r.json()["task"].clone();
        assert_eq!(t["kase"]["id"], kase, "the task reads its project");
        t["id"].as_u64().expect("id")
    }
    async fn task_status(&self, id: u64) -> Value {
        self.get(&format!("tasks/{id}")).await.json()["task"]["status"].clone()
    }
}

fn ids(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_u64()).collect())
        .unwrap_or_default()
}

// Item 8 (tasks): closing a project turns its OPEN tasks PENDING; reopening turns them OPEN;
// a completed task stays completed.
#[tokio::test]
async fn item_08_closing_a_project_makes_its_open_tasks_pending() {
    let env = seeded().await;
    let kase = env.new_kase().await;
    let open = env.new_task(kase, "Order fittings").await;
    let done = env.new_task(kase, "Measure up").await;
    let r = env
        .put(
            &format!("tasks/{done}"),
            json!({"task": {"status": "COMPLETED"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = env
        .put(
            &format!("kases/{kase}"),
            json!({"kase": {"status": "CLOSED"}}),
        )
        .await;
    assert_eq!(r.json()["kase"]["closedOn"], "2025-03-20");
    assert_eq!(env.task_status(open).await, "PENDING");
    assert_eq!(env.task_status(done).await, "COMPLETED");
    // A task added to the closed project reads PENDING at once.
    let late = env.new_task(kase, "Snag list").await;
    assert_eq!(env.task_status(late).await, "PENDING");
    env.put(
        &format!("kases/{kase}"),
        json!({"kase": {"status": "OPEN"}}),
    )
    .await;
    assert_eq!(env.task_status(open).await, "OPEN");
    assert_eq!(env.task_status(late).await, "OPEN");
    assert_eq!(env.task_status(done).await, "COMPLETED");
}

// Item 9 (tasks): deleting a project deletes its tasks; other tasks stay.
#[tokio::test]
async fn item_09_a_deleted_projects_tasks_are_gone() {
    let env = seeded().await;
    let kase = env.new_kase().await;
    let other = env.new_kase().await;
    let gone = env.new_task(kase, "Order fittings").await;
    let kept = env.new_task(other, "Order paint").await;
    let r = env
        .call(Method::DELETE, &format!("kases/{kase}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env.get(&format!("tasks/{gone}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get(&format!("tasks/{kept}")).await.status,
        StatusCode::OK
    );
    // A task cannot name a project that does not exist, nor two parents.
    let r = env
        .post(
            "tasks",
            json!({"task": {"description": "x", "dueOn": "2025-04-01", "kase": {"id": kase}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let party = env.get("parties?perPage=1").await.json()["parties"][0]["id"].clone();
    let r = env
        .post(
            "tasks",
            json!({"task": {"description": "x", "dueOn": "2025-04-01",
                            "kase": {"id": other}, "party": {"id": party}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// Item 30: `GET /tasks` → open only; `?status=pending` → only PENDING;
// `?status=open,completed,pending` → all; `PUT status: PENDING` → 422; no calendar routes.
#[tokio::test]
async fn item_30_task_status_filters_and_no_calendar() {
    let env = seeded().await;
    let kase = env.new_kase().await;
    let pending = env.new_task(kase, "Pending one").await;
    let open = env.new_task(env.new_kase().await, "Open one").await;
    env.put(
        &format!("kases/{kase}"),
        json!({"kase": {"status": "CLOSED"}}),
    )
    .await;
    let statuses = |v: &Value| -> Vec<String> {
        v["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .filter_map(|t| t["status"].as_str().map(str::to_string))
            .collect()
    };
    let plain = env.get("tasks?perPage=100").await.json();
    assert!(statuses(&plain).iter().all(|s| s == "OPEN"), "{plain}");
    assert!(ids(&plain, "tasks").contains(&open));
    assert!(!ids(&plain, "tasks").contains(&pending));
    let only = env.get("tasks?perPage=100&status=pending").await.json();
    assert!(statuses(&only).iter().all(|s| s == "PENDING"));
    assert!(ids(&only, "tasks").contains(&pending));
    let all = env
        .get("tasks?perPage=100&status=open,completed,pending")
        .await
        .json();
    let s = statuses(&all);
    assert!(
        s.contains(&"OPEN".into()) && s.contains(&"PENDING".into()),
        "{s:?}"
    );
    assert!(ids(&all, "tasks").contains(&pending) && ids(&all, "tasks").contains(&open));
    let r = env
        .put(
            &format!("tasks/{open}"),
            json!({"task": {"status": "PENDING"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for path in ["events", "calendar", "appointments"] {
        assert_eq!(env.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/capsule/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

// Item 28: `GET /trackdefinitions` → `{"trackDefinitions":[…]}` with `captureRule`,
// `direction`, `taskDefinitions` (the vendor's example); one by id.
#[tokio::test]
async fn item_28_track_definitions() {
    let env = seeded().await;
    let r = env.get("trackdefinitions").await;
    assert_eq!(r.status, StatusCode::OK);
    let got = r.json();
    assert_eq!(got, fixture("trackdefinitions.json"));
    for d in got["trackDefinitions"].as_array().expect("definitions") {
        assert!(d["captureRule"].is_string() && d["direction"].is_string());
        assert!(d["taskDefinitions"].is_array());
    }
    let one = env.get("trackdefinitions/3001").await.json();
    assert_eq!(one["trackDefinition"]["description"], "Fit-out checklist");
    assert_eq!(
        env.get("trackdefinitions/1").await.status,
        StatusCode::NOT_FOUND
    );
}

// Item 29: `POST /tracks` with `definition` + `kase` + `trackDateOn` → 201 (the fixture's
// shape), tasks with `hasTrack: true` due from the track date (days, workdays, weeks after
// the last task); `trackDefinition` instead of `definition` → 422 on `definition`; an
// OPPORTUNITY definition on a project → 422. Item 9: the track outlives its project.
#[tokio::test]
async fn item_29_applying_a_track_creates_its_tasks() {
    let env = seeded().await;
    let kase = env.new_kase().await;
    let r = env
        .post(
            "tracks",
            json!({"track": {"definition": {"id": 3001}, "kase": {"id": kase},
                             "trackDateOn": "2025-03-20"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let track = r.json()["track"].clone();
    let want =
        fixture("track-and-tasks.json")["POST /api/v2/tracks"]["responseBody"]["track"].clone();
    let mut got_keys: Vec<_> = track.as_object().expect("object").keys().cloned().collect();
    let mut want_keys: Vec<_> = want.as_object().expect("object").keys().cloned().collect();
    got_keys.sort();
    want_keys.sort();
    assert_eq!(got_keys, want_keys);
    assert_eq!(track["description"], "Fit-out checklist");
    assert_eq!(track["trackDateOn"], "2025-03-20");
    let task_ids: Vec<u64> = track["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    assert_eq!(task_ids.len(), 3);
    let mut dues = Vec::new();
    for id in &task_ids {
        let t = env.get(&format!("tasks/{id}")).await.json()["task"].clone();
        assert_eq!(t["hasTrack"], true);
        assert_eq!(t["kase"]["id"], kase);
        dues.push(t["dueOn"].as_str().expect("dueOn").to_string());
    }
    // 2025-03-20 is a Thursday: +0 days; +3 workdays (Tue 25th, as in the vendor's example);
    // the last task 2 weeks after the one before it.
    assert_eq!(dues, ["2025-03-20", "2025-03-25", "2025-04-08"]);
    let track_id = track["id"].as_u64().expect("id");
    let listed = env.get(&format!("kases/{kase}/tracks")).await.json();
    assert_eq!(listed["tracks"][0]["id"], track_id);

    let r = env
        .post(
            "tracks",
            json!({"track": {"trackDefinition": {"id": 3001}, "kase": {"id": kase}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("track definition is required"),
        "{}",
        r.text
    );
    assert!(r.text.contains("definition"));
    let r = env
        .post(
            "tracks",
            json!({"track": {"definition": {"id": 3002}, "kase": {"id": kase}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Item 9: the project's tasks go with it, its track instance still answers.
    env.call(Method::DELETE, &format!("kases/{kase}"), None)
        .await;
    assert_eq!(
        env.get(&format!("tasks/{}", task_ids[0])).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get(&format!("tracks/{track_id}")).await.status,
        StatusCode::OK
    );
}

// Item 5: `POST /kases` with `"tracks":[{"definition":{"id":3001}}]` → 201, and
// `GET /kases/{id}/tracks` lists one track whose tasks exist in `/tasks`.
#[tokio::test]
async fn item_05_a_new_project_with_a_track() {
    let env = seeded().await;
    let r = env.get("parties?perPage=100").await.json();
    let party = r["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["type"] == "organisation")
        .and_then(|p| p["id"].as_u64())
        .expect("an organisation");
    let r = env
        .post(
            "kases",
            json!({"kase": {"name": "Tracked", "party": {"id": party}, "owner": {"id": 1},
                            "tracks": [{"definition": {"id": 3001}}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let kase = r.json()["kase"]["id"].as_u64().expect("id");
    let tracks = env.get(&format!("kases/{kase}/tracks")).await.json();
    let list = tracks["tracks"].as_array().expect("tracks");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["trackDateOn"], "2025-03-20", "today");
    let open = env.get("tasks?perPage=100").await.json();
    for t in list[0]["tasks"].as_array().expect("tasks") {
        assert!(ids(&open, "tasks").contains(&t["id"].as_u64().expect("id")));
    }
    // An opportunity's definition cannot ride along a new project: nothing is created.
    let before = env.get("kases?perPage=100").await.json()["kases"]
        .as_array()
        .map_or(0, Vec::len);
    let r = env
        .post(
            "kases",
            json!({"kase": {"name": "Wrong", "party": {"id": party}, "owner": {"id": 1},
                            "tracks": [{"definition": {"id": 3002}}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after = env.get("kases?perPage=100").await.json()["kases"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before);
}
