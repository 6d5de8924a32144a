//! One test per numbered exchange of `docs/vendors/capsule-v2.md`, "Simulator must reproduce" (a `§13.N` label below is item N of that list), in raw HTTP.
//!
//! This file is longer than 600 lines on purpose: it is that checklist, one test per item in its order.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SimClock};

struct Env {
    sim: CapsuleSimHandle,
    http: Client,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn start_with(options: CapsuleSimOptions) -> Env {
    let sim = CapsuleSim::start(options).await.expect("sim starts");
    Env {
        sim,
        http: client(),
    }
}

/// A sim with no seeded records (users, pipelines and lost reasons still exist).
async fn empty() -> Env {
    start_with(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 0,
        },
        ..CapsuleSimOptions::default()
    })
    .await
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url, path)
    }

    async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("body read"),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let token = self.sim.token.clone();
        self.call_as(Some(&token), method, path, body).await
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

    async fn person(&self, first: &str, last: &str) -> Value {
        let r = self
            .post(
                "parties",
                json!({"party": {"type": "person", "firstName": first, "lastName": last}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["party"].clone()
    }

    async fn organisation(&self, name: &str) -> Value {
        let r = self
            .post(
                "parties",
                json!({"party": {"type": "organisation", "name": name}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["party"].clone()
    }

    async fn definition(&self, entity: &str, name: &str, kind: &str) -> u64 {
        let r = self
            .post(
                &format!("{entity}/fields/definitions"),
                json!({"definition": {"name": name, "type": kind}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["definition"]["id"].as_u64().expect("id")
    }

    /// (open milestone, lost milestone, won milestone) of the first pipeline.
    async fn milestones(&self) -> (Value, Value, Value) {
        let pipelines = self.get("pipelines").await.json();
        let pid = pipelines["pipelines"][0]["id"].as_u64().expect("pipeline");
        let ms = self
            .get(&format!("pipelines/{pid}/milestones?perPage=100"))
            .await
            .json();
        let ms = ms["milestones"].as_array().expect("milestones").clone();
        let open = ms
            .iter()
            .find(|m| m["complete"] == false)
            .expect("open")
            .clone();
        let lost = ms
            .iter()
            .find(|m| m["complete"] == true && m["probability"] == 0)
            .expect("lost")
            .clone();
        let won = ms
            .iter()
            .find(|m| m["complete"] == true && m["probability"] == 100)
            .expect("won")
            .clone();
        (open, lost, won)
    }
}

fn id(v: &Value) -> u64 {
    v["id"].as_u64().expect("id")
}

fn ids(v: &Value, key: &str) -> Vec<u64> {
    v[key].as_array().expect("array").iter().map(id).collect()
}

// §13.1 `GET /parties` without `Authorization` → 401 with a `WWW-Authenticate` header and a JSON `message`.
#[tokio::test]
async fn s13_01_missing_token_is_401() {
    let env = empty().await;
    let r = env.call_as(None, Method::GET, "parties", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    assert_eq!(r.json()["message"], "Unauthorized");
    let r = env
        .call_as(Some("not-a-token"), Method::GET, "parties", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

// §13.2 `GET /parties` with a valid token → 200, `{"parties":[…]}`, headers `X-RateLimit-Limit`, `-Remaining`, `-Reset`.
#[tokio::test]
async fn s13_02_list_with_rate_limit_headers() {
    let env = empty().await;
    env.person("Ada", "Lovelace").await;
    let r = env.get("parties").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["parties"].is_array());
    assert_eq!(r.header("x-ratelimit-limit"), Some("4000"));
    let remaining: u32 = r.header("x-ratelimit-remaining").unwrap().parse().unwrap();
    assert_eq!(remaining, 4000 - 2);
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > 1_700_000_000);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

// §13.3 With the hourly budget exhausted → 429, `X-RateLimit-Remaining: 0`, no `Retry-After`, body `{"error":"rate limit reached"}`.
#[tokio::test]
async fn s13_03_budget_exhausted_is_429() {
    let env = start_with(CapsuleSimOptions {
        hourly_budget: 3,
        seed: SeedOptions {
            seed: 1,
            records: 0,
        },
        ..CapsuleSimOptions::default()
    })
    .await;
    for expected in [2, 1, 0] {
        let r = env.get("users/current").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(expected.to_string().as_str())
        );
    }
    let r = env.get("parties").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    assert!(r.header("x-ratelimit-reset").is_some());
    assert!(r.header("retry-after").is_none());
    assert_eq!(r.json(), json!({"error": "rate limit reached"}));
    // The budget is per user: another user's token still works.
    let other = env.sim.mint_pat(2);
    let r = env.call_as(Some(&other), Method::GET, "site", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(env.sim.stats().rate_limited, 1);
}

// §13.4 `GET /parties?perPage=2` with 5 records → 2 records and `Link: <…/parties?perPage=2&page=2>; rel="next"` (absolute URL).
#[tokio::test]
async fn s13_04_first_page_has_next_link() {
    let env = empty().await;
    for i in 0..5 {
        env.person("P", &format!("N{i}")).await;
    }
    let r = env.get("parties?perPage=2").await;
    assert_eq!(r.json()["parties"].as_array().unwrap().len(), 2);
    assert_eq!(
        r.header("link").unwrap(),
        format!("<{}>; rel=\"next\"", env.url("parties?perPage=2&page=2"))
    );
}

// §13.5 `GET /parties?perPage=2&page=3` (last page) → 1 record, `Link` with `rel="prev"` only; `page=99` → 200 `{"parties":[]}`; neither has `rel="next"`.
#[tokio::test]
async fn s13_05_last_page_and_past_the_end() {
    let env = empty().await;
    for i in 0..5 {
        env.person("P", &format!("N{i}")).await;
    }
    let r = env.get("parties?perPage=2&page=3").await;
    assert_eq!(r.json()["parties"].as_array().unwrap().len(), 1);
    assert_eq!(
        r.header("link").unwrap(),
        format!("<{}>; rel=\"prev\"", env.url("parties?perPage=2&page=2"))
    );
    let r = env.get("parties?perPage=2&page=99").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"parties": []}));
    assert!(!r.header("link").unwrap_or("").contains("next"));
    // Middle page: next before prev.
    let r = env.get("parties?perPage=2&page=2").await;
    let link = r.header("link").unwrap();
    assert!(link.find("rel=\"next\"").unwrap() < link.find("rel=\"prev\"").unwrap());
    // perPage outside 1..100 → 422.
    assert_eq!(
        env.get("parties?perPage=101").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        env.get("parties?perPage=0").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

// §13.6 `GET /parties?embed=tags,fields&perPage=1` → the `next` link keeps `embed=tags,fields` (raw comma) and `perPage=1`.
#[tokio::test]
async fn s13_06_next_link_keeps_parameters() {
    let env = empty().await;
    env.person("A", "One").await;
    env.person("B", "Two").await;
    let r = env.get("parties?embed=tags,fields&perPage=1").await;
    let link = r.header("link").unwrap();
    assert_eq!(
        link,
        format!(
            "<{}>; rel=\"next\"",
            env.url("parties?embed=tags,fields&perPage=1&page=2")
        )
    );
}

// §13.7 `GET /parties` with no `embed` → no `tags`/`fields` keys; with `embed=tags,fields` both present (maybe `[]`); `embed=bogus` → 200, default shape.
#[tokio::test]
async fn s13_07_embed_controls_tags_and_fields() {
    let env = empty().await;
    env.person("A", "One").await;
    let plain = env.get("parties").await.json();
    let p = &plain["parties"][0];
    assert!(p.get("tags").is_none() && p.get("fields").is_none());
    assert!(p["emailAddresses"].is_array());
    assert!(p.get("name").is_none(), "persons have no name key");
    assert_eq!(p["organisation"], Value::Null);
    let full = env.get("parties?embed=tags,fields").await.json();
    assert_eq!(full["parties"][0]["tags"], json!([]));
    assert_eq!(full["parties"][0]["fields"], json!([]));
    let bogus = env.get("parties?embed=bogus").await;
    assert_eq!(bogus.status, StatusCode::OK);
    assert_eq!(bogus.json(), plain);
}

// §13.8 `GET /parties/{id}` unknown → 404 `{"message":"Could not find resource"}`.
#[tokio::test]
async fn s13_08_unknown_party_is_404() {
    let env = empty().await;
    for path in [
        "parties/99999999",
        "parties/184467440737095516150",
        "parties/abc",
    ] {
        let r = env.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json(), json!({"message": "Could not find resource"}));
    }
}

// §13.9 `GET /parties/1,2,3` → 200 `{"parties":[3 records]}`; with one unknown id → 404; with 11 ids → rejected (400).
#[tokio::test]
async fn s13_09_multi_show() {
    let env = empty().await;
    let mut made = Vec::new();
    for i in 0..3 {
        made.push(id(&env.person("M", &format!("S{i}")).await));
    }
    let list = made
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let r = env.get(&format!("parties/{list}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&r.json(), "parties"), made);
    let r = env.get(&format!("parties/{list},99999999")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let eleven = (1..=11)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let r = env.get(&format!("parties/{eleven}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].is_string());
}

// §13.10 `POST /parties` person → 201, `Location: <base>/parties/{id}`, body `{"party":{…}}` with server `id`, `createdAt == updatedAt`, row ids assigned, `pictureURL` set.
#[tokio::test]
async fn s13_10_create_person() {
    let env = empty().await;
    let r = env
        .post(
            "parties?embed=tags,fields",
            json!({"party": {
                "type": "person", "firstName": "Ada", "lastName": "Byron", "jobTitle": "CTO",
                "id": 5, "createdAt": "2000-01-01T00:00:00Z",
                "emailAddresses": [{"type": "Work", "address": "ada@example.com"}],
                "phoneNumbers": [{"type": "Mobile", "number": "+44 7700 900123"}],
                "addresses": [{"type": "Office", "street": "1 Dock Road", "city": "Leeds", "country": "United Kingdom", "zip": "LS1 1AA"}],
                "websites": [{"service": "LINKED_IN", "address": "ada-byron"}],
                "tags": [{"name": "Prospect"}],
                "organisation": {"name": "Analytical Engines Ltd"}
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = r.json()["party"].clone();
    let pid = id(&p);
    assert_ne!(pid, 5);
    assert_eq!(
        r.header("location").unwrap(),
        env.url(&format!("parties/{pid}"))
    );
    assert_eq!(p["createdAt"], p["updatedAt"]);
    assert!(p["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(p["pictureURL"].as_str().unwrap().starts_with("https://"));
    for key in ["emailAddresses", "phoneNumbers", "addresses", "websites"] {
        assert!(p[key][0]["id"].as_u64().is_some(), "{key}");
    }
    assert_eq!(
        p["websites"][0]["url"],
        "https://www.linkedin.com/in/ada-byron"
    );
    assert_eq!(p["tags"][0]["name"], "Prospect");
    assert_eq!(p["organisation"]["name"], "Analytical Engines Ltd");
    assert_eq!(p["owner"]["id"], 1);
    // The organisation was created too.
    let org = env
        .get(&format!("parties/{}", p["organisation"]["id"]))
        .await;
    assert_eq!(org.json()["party"]["type"], "organisation");
}

// §13.11 `POST /parties` organisation with an existing organisation's name → 422 `Validation Failed`, `errors[0]` = `{message: "name must be unique", resource: "party", field: "name"}`.
#[tokio::test]
async fn s13_11_duplicate_organisation_name() {
    let env = empty().await;
    env.organisation("Northwind").await;
    let r = env
        .post(
            "parties",
            json!({"party": {"type": "organisation", "name": "Northwind"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let b = r.json();
    assert_eq!(b["message"], "Validation Failed");
    assert_eq!(
        b["errors"][0],
        json!({"message": "name must be unique", "resource": "party", "field": "name"})
    );
}

// §13.12 `POST /parties` without a body wrapper key (`{"firstName":"x"}`) → 400 `{"message":…}`.
#[tokio::test]
async fn s13_12_missing_wrapper_is_400() {
    let env = empty().await;
    let r = env.post("parties", json!({"firstName": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].is_string());
    // Not JSON at all.
    let resp = env
        .http
        .post(env.url("parties"))
        .bearer_auth(&env.sim.token)
        .header("content-type", "application/json")
        .body("{\"party\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let r = env.post("parties", json!([1, 2])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env
        .post("parties", json!({"party": {"type": "robot"}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn party_with_rows(env: &Env) -> Value {
    let r = env
        .post(
            "parties",
            json!({"party": {
                "type": "person", "firstName": "Row", "lastName": "Owner",
                "emailAddresses": [{"type": "Work", "address": "a@example.com"}, {"type": "Home", "address": "b@example.com"}],
                "phoneNumbers": [{"type": "Work", "number": "111"}, {"type": "Mobile", "number": "222"}]
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.json()["party"].clone()
}

// §13.13 `PUT /parties/{id}` with `phoneNumbers: [{"id":X,"_delete":true}]` → 200, that phone gone, other rows untouched, `updatedAt` advanced.
#[tokio::test]
async fn s13_13_nested_delete() {
    let clock = SimClock::manual_default();
    let env = start_with(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 0,
        },
        clock: clock.clone(),
        ..CapsuleSimOptions::default()
    })
    .await;
    let p = party_with_rows(&env).await;
    // A second later (updatedAt has whole-second precision).
    clock.advance(Duration::from_secs(1));
    let gone = id(&p["phoneNumbers"][0]);
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"phoneNumbers": [{"id": gone, "_delete": true}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = r.json()["party"].clone();
    assert_eq!(after["phoneNumbers"].as_array().unwrap().len(), 1);
    assert_eq!(after["phoneNumbers"][0], p["phoneNumbers"][1]);
    assert_eq!(after["emailAddresses"], p["emailAddresses"]);
    assert!(after["updatedAt"].as_str().unwrap() > p["updatedAt"].as_str().unwrap());
    // Unknown row id → 404; `_destroy` is ignored.
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"phoneNumbers": [{"id": 1, "_delete": true}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let keep = id(&p["phoneNumbers"][1]);
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"phoneNumbers": [{"id": keep, "_destroy": true}]}}),
        )
        .await;
    assert_eq!(
        r.json()["party"]["phoneNumbers"].as_array().unwrap().len(),
        1
    );
}

// §13.14 `PUT /parties/{id}` with `emailAddresses: []` → 200, addresses unchanged.
#[tokio::test]
async fn s13_14_empty_array_is_noop() {
    let env = empty().await;
    let p = party_with_rows(&env).await;
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"emailAddresses": [], "phoneNumbers": [{"type": "Fax", "number": "333"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = r.json()["party"].clone();
    assert_eq!(after["emailAddresses"], p["emailAddresses"]);
    assert_eq!(after["phoneNumbers"].as_array().unwrap().len(), 3);
}

// §13.15 `PUT /parties/{id}` with `tags:[{"name":"vip"}]` when tag `VIP` exists → attached as the existing tag (same id); a new name creates a tag definition.
#[tokio::test]
async fn s13_15_tags_by_name() {
    let env = empty().await;
    let a = env.person("A", "A").await;
    let b = env.person("B", "B").await;
    let r = env
        .put(
            &format!("parties/{}?embed=tags", id(&a)),
            json!({"party": {"tags": [{"name": "VIP"}]}}),
        )
        .await;
    let vip = id(&r.json()["party"]["tags"][0]);
    let r = env
        .put(
            &format!("parties/{}?embed=tags", id(&b)),
            json!({"party": {"tags": [{"name": "vip"}, {"name": "Brand New"}]}}),
        )
        .await;
    let tags = r.json()["party"]["tags"].clone();
    assert_eq!(id(&tags[0]), vip);
    assert_eq!(tags[0]["name"], "VIP");
    let defs = env.get("parties/tags").await.json();
    let names: Vec<&str> = defs["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"Brand New") && names.contains(&"VIP"));
    // Detaching a tag that is not attached → 422.
    let r = env
        .put(
            &format!("parties/{}", id(&a)),
            json!({"party": {"tags": [{"id": id(&tags[1]), "_delete": true}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["message"], "tag not found to delete");
}

// §13.16 `PUT /parties/{id}` with `fields:[{"definition":{"id":B},"value":null}]` for a boolean definition → 422 `invalid type for field`.
#[tokio::test]
async fn s13_16_boolean_field_null_is_422() {
    let env = empty().await;
    let b = env.definition("parties", "Opt-in", "boolean").await;
    let p = env.person("F", "F").await;
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"fields": [{"definition": {"id": b}, "value": null}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["message"], "invalid type for field");
}

// §13.17 `GET /parties/{id}?embed=fields` after writing a number field as `42` → value returned as the string `"42"`.
#[tokio::test]
async fn s13_17_number_field_is_a_string() {
    let env = empty().await;
    let n = env.definition("parties", "Budget", "number").await;
    let p = env.person("F", "F").await;
    let r = env
        .put(
            &format!("parties/{}", id(&p)),
            json!({"party": {"fields": [{"definition": {"id": n}, "value": 42}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = env
        .get(&format!("parties/{}?embed=fields", id(&p)))
        .await
        .json();
    let f = &got["party"]["fields"][0];
    assert_eq!(f["value"], "42");
    assert_eq!(f["definition"]["id"], n);
    assert_eq!(f["definition"]["name"], "Budget");
}

// §13.18 `DELETE /parties/{id}` → 204 empty body; then `GET /parties/{id}` → 404; `GET /parties/deleted?since=<before>` lists `{id, deletedAt}`; its notes and tasks are gone; people of a deleted organisation remain with `organisation: null`.
#[tokio::test]
async fn s13_18_delete_cascades() {
    let env = empty().await;
    let org = env.organisation("Doomed Ltd").await;
    let oid = id(&org);
    let r = env
        .post(
            "parties",
            json!({"party": {"type": "person", "lastName": "Worker", "organisation": {"id": oid}}}),
        )
        .await;
    let worker = id(&r.json()["party"]);
    let note = env
        .post(
            "entries",
            json!({"entry": {"type": "note", "content": "hello", "party": {"id": oid}}}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED);
    let note_id = id(&note.json()["entry"]);
    let task = env
        .post(
            "tasks",
            json!({"task": {"description": "call", "dueOn": "2030-01-01", "party": {"id": oid}}}),
        )
        .await;
    let task_id = id(&task.json()["task"]);
    let before = "2000-01-01T00:00:00Z";
    let r = env
        .call(Method::DELETE, &format!("parties/{oid}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_eq!(
        env.get(&format!("parties/{oid}")).await.status,
        StatusCode::NOT_FOUND
    );
    let del = env
        .get(&format!("parties/deleted?since={before}"))
        .await
        .json();
    let row = &del["parties"][0];
    assert_eq!(row["id"], oid);
    assert!(row["deletedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        env.get(&format!("entries/{note_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get(&format!("tasks/{task_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let w = env.get(&format!("parties/{worker}")).await;
    assert_eq!(w.status, StatusCode::OK);
    assert_eq!(w.json()["party"]["organisation"], Value::Null);
}

// §13.19 `DELETE /parties/{id}` with the deferred-delete fault enabled → 202 + `Location: <base>/jobs/{uuid}`; `GET /jobs/{uuid}` ends at `status: completed`.
#[tokio::test]
async fn s13_19_deferred_delete() {
    let env = start_with(CapsuleSimOptions {
        deferred_delete: true,
        seed: SeedOptions {
            seed: 3,
            records: 0,
        },
        ..CapsuleSimOptions::default()
    })
    .await;
    let p = id(&env.person("Slow", "Delete").await);
    let r = env
        .call(Method::DELETE, &format!("parties/{p}"), None)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let location = r.header("location").unwrap().to_string();
    let prefix = env.url("jobs/");
    assert!(location.starts_with(&prefix), "{location}");
    let job_path = location.trim_start_matches(env.sim.base_url.as_str());
    let mut status = String::new();
    for _ in 0..5 {
        let j = env.get(job_path).await.json();
        status = j["job"]["status"].as_str().unwrap().to_string();
        if status == "completed" {
            break;
        }
    }
    assert_eq!(status, "completed");
    assert_eq!(
        env.get(&format!("parties/{p}")).await.status,
        StatusCode::NOT_FOUND
    );
}

// §13.20 `GET /parties/deleted` without `since` → 422 `since is required`.
#[tokio::test]
async fn s13_20_deleted_requires_since() {
    let env = empty().await;
    let r = env.get("parties/deleted").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["message"], "since is required");
    let r = env.get("parties/deleted?since=yesterday").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// §13.21 `GET /parties?since=T` → only parties with `updatedAt > T`.
#[tokio::test]
async fn s13_21_since_filters_by_updated_at() {
    let clock = SimClock::manual_default();
    let env = start_with(CapsuleSimOptions {
        clock: clock.clone(),
        ..CapsuleSimOptions::default()
    })
    .await;
    let a = env.person("Since", "A").await;
    let t = a["updatedAt"].as_str().unwrap().to_string();
    // Written in the same second as `a`: same `updatedAt`, so `since=t` excludes it too
    // (second precision, strict `>`), as on the real service.
    let same_second = env.person("Since", "Same").await;
    assert_eq!(same_second["updatedAt"], a["updatedAt"]);
    clock.advance(Duration::from_secs(1));
    let b = env.person("Since", "B").await;
    let r = env
        .put(
            &format!("parties/{}", id(&b)),
            json!({"party": {"about": "touched"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let got = env
        .get(&format!("parties?since={t}&perPage=100"))
        .await
        .json();
    let list = got["parties"].as_array().unwrap();
    assert!(
        list.iter()
            .all(|p| p["updatedAt"].as_str().unwrap() > t.as_str())
    );
    assert!(list.iter().any(|p| id(p) == id(&b)));
    assert!(!list.iter().any(|p| id(p) == id(&a)));
    assert!(!list.iter().any(|p| id(p) == id(&same_second)));
    assert_eq!(
        env.get("parties?since=garbage").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

// §13.22 `GET /parties/search?q=spacey` → case-insensitive matches on name, email, phone, postcode; paged with `q` kept in `Link`.
#[tokio::test]
async fn s13_22_search() {
    let env = empty().await;
    let r = env
        .post(
            "parties",
            json!({"party": {"type": "person", "firstName": "Kevin", "lastName": "Spacey",
                "emailAddresses": [{"address": "kevin@house.example"}],
                "phoneNumbers": [{"number": "+1 555 0199"}],
                "addresses": [{"zip": "SW1A 1AA", "country": "UK"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.json()["party"]["addresses"][0]["country"],
        "United Kingdom"
    );
    let kevin = id(&r.json()["party"]);
    env.post(
        "parties",
        json!({"party": {"type": "organisation", "name": "SPACEY Holdings"}}),
    )
    .await;
    env.person("Other", "Person").await;
    for q in ["spacey", "HOUSE.example", "555 0199", "sw1a"] {
        let got = env.get(&format!("parties/search?q={q}")).await.json();
        assert!(ids(&got, "parties").contains(&kevin), "{q}");
    }
    let r = env.get("parties/search?q=spacey&perPage=1").await;
    assert_eq!(r.json()["parties"].as_array().unwrap().len(), 1);
    assert_eq!(
        r.header("link").unwrap(),
        format!(
            "<{}>; rel=\"next\"",
            env.url("parties/search?q=spacey&perPage=1&page=2")
        )
    );
    let empty_q = env.get("parties/search?q=").await.json();
    assert_eq!(empty_q, json!({"parties": []}));
}

// §13.23 `POST /opportunities` without `party` → 422 `party is required`; with `value.amount` but no currency → 422.
#[tokio::test]
async fn s13_23_opportunity_validation() {
    let env = empty().await;
    let (open, _, _) = env.milestones().await;
    let r = env
        .post(
            "opportunities",
            json!({"opportunity": {"name": "Deal", "milestone": {"id": id(&open)}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["errors"][0],
        json!({"message": "party is required", "resource": "opportunity", "field": "party"})
    );
    let p = env.organisation("Buyer").await;
    let r = env
        .post(
            "opportunities",
            json!({"opportunity": {"name": "Deal", "party": {"id": id(&p)}, "milestone": {"id": id(&open)}, "value": {"amount": 100}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = env
        .post(
            "opportunities",
            json!({"opportunity": {"name": "Deal", "party": {"id": id(&p)}, "milestone": id(&open), "value": {"amount": 18450.75, "currency": "EUR"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = r.json()["opportunity"].clone();
    assert_eq!(o["value"]["amount"].to_string(), "18450.75");
    assert_eq!(o["value"]["currency"], "EUR");
    assert_eq!(o["probability"], open["probability"]);
    assert_eq!(o["owner"]["id"], 1);
}

// §13.24 `PUT /opportunities/{id}` to the lost milestone with a `lostReason` → 200, `closedOn` = today, `probability` 0, `lastOpenMilestone` = previous; adding `probability` in the same PUT → 422.
#[tokio::test]
async fn s13_24_close_as_lost() {
    let env = empty().await;
    let (open, lost, _) = env.milestones().await;
    let reasons = env.get("lostreasons").await;
    assert!(reasons.header("link").is_none());
    let reason = id(&reasons.json()["lostReasons"][0]);
    let p = env.organisation("Buyer").await;
    let make = || {
        env.post(
            "opportunities",
            json!({"opportunity": {"name": "Deal", "party": {"id": id(&p)}, "milestone": {"id": id(&open)}}}),
        )
    };
    let o = id(&make().await.json()["opportunity"]);
    let r = env
        .put(
            &format!("opportunities/{o}"),
            json!({"opportunity": {"milestone": {"id": id(&lost)}, "lostReason": {"id": reason}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = r.json()["opportunity"].clone();
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(got["closedOn"], today);
    assert_eq!(got["probability"], 0);
    assert_eq!(id(&got["lastOpenMilestone"]), id(&open));
    assert_eq!(id(&got["lostReason"]), reason);
    assert_eq!(id(&got["milestone"]), id(&lost));

    let o2 = id(&make().await.json()["opportunity"]);
    let r = env
        .put(
            &format!("opportunities/{o2}"),
            json!({"opportunity": {"milestone": {"id": id(&lost)}, "probability": 10}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "probability can be updated only for open opportunity"
    );
}

// §13.25 `POST /tasks` without `dueOn` → 422 `dueOn is required`; `GET /tasks` after completing one → the completed task is not listed unless `status=completed` (or `open,completed`) is sent.
#[tokio::test]
async fn s13_25_tasks_default_to_open() {
    let env = empty().await;
    let r = env
        .post("tasks", json!({"task": {"description": "No date"}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["errors"][0],
        json!({"message": "dueOn is required", "resource": "task", "field": "dueOn"})
    );
    let mut made = Vec::new();
    for d in ["one", "two"] {
        let r = env
            .post(
                "tasks",
                json!({"task": {"description": d, "dueOn": "2030-05-01", "dueTime": "09:30"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.json()["task"]["dueTime"], "09:30:00");
        made.push(id(&r.json()["task"]));
    }
    let r = env
        .put(
            &format!("tasks/{}", made[0]),
            json!({"task": {"status": "COMPLETED"}}),
        )
        .await;
    assert_eq!(r.json()["task"]["status"], "COMPLETED");
    assert!(r.json()["task"]["completedAt"].is_string());
    let open = ids(&env.get("tasks").await.json(), "tasks");
    assert!(!open.contains(&made[0]) && open.contains(&made[1]));
    let done = ids(&env.get("tasks?status=completed").await.json(), "tasks");
    assert!(done.contains(&made[0]) && !done.contains(&made[1]));
    let all = ids(
        &env.get("tasks?status=open,completed").await.json(),
        "tasks",
    );
    assert!(all.contains(&made[0]) && all.contains(&made[1]));
    let r = env
        .put(
            &format!("tasks/{}", made[1]),
            json!({"task": {"status": "PENDING"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// §13.26 `POST /entries` with `type: "email"` → 422; a note with both `party` and `opportunity` → 422; a valid note → 201 with `creator` = token user and `activityType` `{id:-1,name:"Note"}`.
#[tokio::test]
async fn s13_26_entries() {
    let env = empty().await;
    let p = env.person("Note", "Taker").await;
    let (open, _, _) = env.milestones().await;
    let o = env
        .post(
            "opportunities",
            json!({"opportunity": {"name": "D", "party": {"id": id(&p)}, "milestone": {"id": id(&open)}}}),
        )
        .await
        .json()["opportunity"]
        .clone();
    let r = env
        .post(
            "entries",
            json!({"entry": {"type": "email", "content": "x", "party": {"id": id(&p)}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = env
        .post(
            "entries",
            json!({"entry": {"type": "note", "content": "x", "party": {"id": id(&p)}, "opportunity": {"id": id(&o)}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = env
        .post(
            "entries",
            json!({"entry": {"type": "note", "content": "Met **Zoë**", "party": {"id": id(&p)}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let e = r.json()["entry"].clone();
    assert_eq!(e["creator"]["id"], 1);
    assert_eq!(e["activityType"], json!({"id": -1, "name": "Note"}));
    assert_eq!(e["type"], "note");
    assert_eq!(e["opportunity"], Value::Null);
    let feed = env.get(&format!("parties/{}/entries", id(&p))).await.json();
    assert_eq!(ids(&feed, "entries"), vec![id(&e)]);
    assert_eq!(
        env.get(&format!("parties/{}/entries?perPage=51", id(&p)))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        env.get(&format!("entries/{},{}", id(&e), id(&e)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

// §13.27 `GET /users/current` → 200 `{"user":…}`; `GET /users/me` → 404; `GET /users` has no `Link` header.
#[tokio::test]
async fn s13_27_users() {
    let env = empty().await;
    let r = env.get("users/current").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["id"], 1);
    assert!(r.json()["user"].get("email").is_none());
    assert_eq!(env.get("users/me").await.status, StatusCode::NOT_FOUND);
    let r = env.get("users").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("link").is_none());
    assert!(!r.json()["users"].as_array().unwrap().is_empty());
    let site = env.get("site").await.json();
    assert_eq!(site["site"]["subdomain"], "sandbox");
}

// §13.28 `POST /resthooks` with a PAT → 403; via an OAuth app as admin → 201; the 21st → 422; a party update then POSTs `{"event":"party/updated","payload":[{…}]}` to the target.
#[tokio::test]
async fn s13_28_rest_hooks() {
    use axum::routing::post;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let receiver = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });

    let env = empty().await;
    let hook = |event: &str, url: &str| json!({"restHook": {"event": event, "targetUrl": url, "embed": "tags"}});
    let r = env.post("resthooks", hook("party/updated", &target)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let oauth = env.sim.mint_oauth_token(1);
    let r = env
        .call_as(
            Some(&oauth),
            Method::POST,
            "resthooks",
            Some(hook("party/updated", &target)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hook_id = id(&r.json()["restHook"]);
    assert_eq!(
        r.header("location").unwrap(),
        env.url(&format!("resthooks/{hook_id}"))
    );
    let r = env
        .call_as(
            Some(&oauth),
            Method::POST,
            "resthooks",
            Some(hook("party/exploded", &target)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for _ in 1..20 {
        let r = env
            .call_as(
                Some(&oauth),
                Method::POST,
                "resthooks",
                Some(hook("task/created", "http://127.0.0.1:9/unused")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = env
        .call_as(
            Some(&oauth),
            Method::POST,
            "resthooks",
            Some(hook("party/created", &target)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "maximum number of REST hooks reached"
    );
    let listed = env
        .call_as(Some(&oauth), Method::GET, "resthooks", None)
        .await;
    assert_eq!(listed.json()["restHooks"].as_array().unwrap().len(), 20);

    let p = env.person("Hooked", "Person").await;
    env.put(
        &format!("parties/{}", id(&p)),
        json!({"party": {"jobTitle": "Head of Hooks", "tags": [{"name": "VIP"}]}}),
    )
    .await;
    let body = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("delivery arrives")
        .expect("channel open");
    let delivery: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(delivery["event"], "party/updated");
    let payload = delivery["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 1);
    assert_eq!(id(&payload[0]), id(&p));
    assert_eq!(payload[0]["jobTitle"], "Head of Hooks");
    assert_eq!(payload[0]["tags"][0]["name"], "VIP");
    assert!(payload[0].get("fields").is_none());

    let r = env
        .call_as(
            Some(&oauth),
            Method::DELETE,
            &format!("resthooks/{hook_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn token_call(env: &Env, pairs: &[(&str, &str)]) -> Reply {
    let resp = env
        .http
        .post(env.sim.oauth_token_url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap();
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

// §13.29 `POST /oauth/token` `grant_type=authorization_code` with a valid code → 200 token JSON (`token_type: "bearer"`, `expires_in`, `refresh_token`, `subdomain`); the same code again → 400 `invalid_grant`; `grant_type=refresh_token` → new access token (and rotated refresh token); the old access token then 401s.
#[tokio::test]
async fn s13_29_oauth_code_and_refresh() {
    let env = empty().await;
    let sim = &env.sim;
    let redirect = "https://app.example/cb";
    let mut authorise = sim.authorise_url.clone();
    authorise
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &sim.client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "xyz 1");
    let resp = env.http.get(authorise).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz 1");
    let code = q["code"].clone();

    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("client_id", sim.client_id.as_str()),
        ("client_secret", sim.client_secret.as_str()),
    ];
    let r = token_call(&env, &exchange).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tok = r.json();
    assert_eq!(tok["token_type"], "bearer");
    assert_eq!(tok["expires_in"], 604_799);
    assert_eq!(tok["subdomain"], "sandbox");
    assert_eq!(tok["scope"], "read write");
    let access = tok["access_token"].as_str().unwrap().to_string();
    let refresh = tok["refresh_token"].as_str().unwrap().to_string();
    let me = env
        .call_as(Some(&access), Method::GET, "users/current", None)
        .await;
    assert_eq!(me.status, StatusCode::OK);

    let again = token_call(&env, &exchange).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["error"], "invalid_grant");

    let bad_client = token_call(
        &env,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", sim.client_id.as_str()),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(bad_client.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_client.json()["error"], "invalid_client");

    // Refresh with HTTP Basic client authentication.
    let resp = env
        .http
        .post(sim.oauth_token_url.clone())
        .basic_auth(&sim.client_id, Some(&sim.client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tok2: Value = resp.json().await.unwrap();
    let access2 = tok2["access_token"].as_str().unwrap().to_string();
    let refresh2 = tok2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    let old = env
        .call_as(Some(&access), Method::GET, "users/current", None)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = env
        .call_as(Some(&access2), Method::GET, "users/current", None)
        .await;
    assert_eq!(new.status, StatusCode::OK);
    let reuse = token_call(
        &env,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", sim.client_id.as_str()),
            ("client_secret", sim.client_secret.as_str()),
        ],
    )
    .await;
    assert_eq!(reuse.json()["error"], "invalid_grant");
    let unsupported = token_call(
        &env,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", sim.client_id.as_str()),
            ("client_secret", sim.client_secret.as_str()),
        ],
    )
    .await;
    assert_eq!(unsupported.json()["error"], "unsupported_grant_type");

    // Revocation (both paths), idempotent.
    let resp = env
        .http
        .post(sim.revoke_url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("token", access2.as_str()),
            ("client_id", sim.client_id.as_str()),
            ("client_secret", sim.client_secret.as_str()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let gone = env
        .call_as(Some(&access2), Method::GET, "users/current", None)
        .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    let alt = sim.oauth_token_url.join("revoke").unwrap();
    let resp = env
        .http
        .post(alt)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", "unknown")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

// §13.30 `GET /tracks` → 405 `{"message":"Method not allowed"}` (any wrong verb on a known path gives 405).
#[tokio::test]
async fn s13_30_wrong_verb_is_405() {
    let env = empty().await;
    let r = env.get("tracks").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json(), json!({"message": "Method not allowed"}));
    let r = env.call(Method::PATCH, "parties", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = env.call(Method::DELETE, "users/current", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = env.get("no/such/path").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
