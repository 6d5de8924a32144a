//! One test per item of docs/vendors/capsule-v2-addendum.md, "Simulator must reproduce",
//! for projects, boards and stages, project field definitions and the Filters API (items
//! 1–4, 6, 7, 9–13, 21–27), in raw HTTP; plus the fixtures' shapes and the shared faults.

use reqwest::{Client, Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SimClock};

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
    fn link(&self) -> Option<String> {
        self.headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
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
}

impl Env {
    async fn call_as(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.sim.base_url, path)
        };
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("body"),
        }
    }
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let t = self.sim.token.clone();
        self.call_as(&t, method, path, body).await
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
    async fn first_party(&self, kind: &str) -> u64 {
        let r = self.get("parties?perPage=100").await.json();
        r["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .find(|p| p["type"] == kind)
            .and_then(|p| p["id"].as_u64())
            .expect("a seeded party")
    }
    async fn new_kase(&self, extra: Value) -> Value {
        let party = self.first_party("organisation").await;
        let mut k = json!({"name": "Probe", "party": {"id": party}, "owner": {"id": 1}});
        if let (Some(k), Some(e)) = (k.as_object_mut(), extra.as_object()) {
            for (key, v) in e {
                k.insert(key.clone(), v.clone());
            }
        }
        let r = self.post("kases", json!({ "kase": k })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["kase"].clone()
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/capsule/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test]
async fn item_01_kases_paged_without_embeds_and_without_board() {
    let env = seeded().await;
    let r = env.get("kases?perPage=2").await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.json()["kases"].as_array().expect("kases").clone();
    assert_eq!(items.len(), 2);
    assert!(r.link().expect("link").contains("rel=\"next\""));
    for k in &items {
        assert!(k.get("tags").is_none() && k.get("fields").is_none());
        assert!(k.get("board").is_none());
        assert!(
            k["stage"].is_null() || (k["stage"]["id"].is_u64() && k["stage"]["name"].is_string())
        );
    }
    let next = r.link().expect("link");
    let url = next
        .trim_start_matches('<')
        .split('>')
        .next()
        .expect("url")
        .to_string();
    let page2 = env.get(&url).await.json();
    assert_eq!(page2["kases"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn item_01_sim_kase_has_the_fixture_shape() {
    let env = seeded().await;
    let r = env
        .get("kases/5200101?embed=tags,fields,missingImportantFields")
        .await
        .json();
    let fx = fixture("kase.json");
    assert_eq!(keys(&r["kase"]), keys(&fx["kase"]));
    assert_eq!(keys(&r["kase"]["stage"]), keys(&fx["kase"]["stage"]));
    assert_eq!(keys(&r["kase"]["team"]), keys(&fx["kase"]["team"]));
    assert_eq!(r["kase"]["stage"], fx["kase"]["stage"]);
}

#[tokio::test]
async fn item_02_since_returns_only_later_updates() {
    let env = seeded().await;
    let all = env.get("kases").await.json()["kases"]
        .as_array()
        .expect("kases")
        .len();
    assert!(all >= 3);
    let k = env.new_kase(json!({})).await;
    let since = k["updatedAt"].as_str().expect("updatedAt");
    let before =
        chrono::DateTime::parse_from_rfc3339(since).expect("t") - chrono::Duration::seconds(1);
    let r = env
        .get(&format!(
            "kases?since={}",
            before.format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .await
        .json();
    let ids: Vec<u64> = r["kases"]
        .as_array()
        .expect("kases")
        .iter()
        .filter_map(|k| k["id"].as_u64())
        .collect();
    assert_eq!(ids, vec![k["id"].as_u64().expect("id")]);
}

#[tokio::test]
async fn item_03_party_owner_and_team_rules() {
    let env = seeded().await;
    let party = env.first_party("organisation").await;
    let r = env
        .post("kases", json!({"kase": {"name": "x", "owner": {"id": 1}}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("party is required"), "{}", r.text);
    let r = env
        .post(
            "kases",
            json!({"kase": {"name": "x", "party": {"id": party}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("owner or team is required"), "{}", r.text);
    let outsider = env
        .sim
        .user_ids()
        .into_iter()
        .find(|u| *u > 2)
        .expect("user 3");
    let r = env
        .post(
            "kases",
            json!({"kase": {"name": "x", "party": {"id": party}, "owner": {"id": outsider}, "team": {"id": 7}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("owner is not a member of the team"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn item_04_stage_as_integer_or_object() {
    let env = seeded().await;
    for stage in [json!(271006), json!({"id": 271006})] {
        let party = env.first_party("organisation").await;
        let r = env
            .post(
                "kases",
                json!({"kase": {"name": "s", "party": {"id": party}, "team": {"id": 7}, "stage": stage}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(r.headers.get("location").is_some());
        let k = r.json()["kase"].clone();
        assert_eq!(k["stage"], json!({"id": 271006, "name": "Planning"}));
        assert_eq!(k["status"], "OPEN");
        assert!(k["closedOn"].is_null());
    }
}

#[tokio::test]
async fn item_06_owner_without_team_clears_the_team() {
    let env = seeded().await;
    let k = env.new_kase(json!({"team": {"id": 7}})).await;
    let id = k["id"].as_u64().expect("id");
    assert_eq!(k["team"]["id"], 7);
    let r = env
        .put(
            &format!("kases/{id}"),
            json!({"kase": {"owner": {"id": 2}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["kase"]["team"].is_null());
    let r = env
        .put(&format!("kases/{id}"), json!({"kase": {"team": {"id": 7}}}))
        .await;
    assert_eq!(r.json()["kase"]["owner"]["id"], 2);
    assert_eq!(r.json()["kase"]["team"]["id"], 7);
}

#[tokio::test]
async fn item_07_a_stage_of_another_board_moves_the_project() {
    let env = seeded().await;
    let k = env.new_kase(json!({"stage": 271006})).await;
    let id = k["id"].as_u64().expect("id");
    let r = env
        .put(
            &format!("kases/{id}"),
            json!({"kase": {"stage": {"id": 271101}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["kase"]["stage"]["id"], 271101);
    let stage = env.get("stages/271101").await.json();
    assert_eq!(stage["stage"]["board"]["id"], 13648);
    let r = env
        .put(&format!("kases/{id}"), json!({"kase": {"stage": null}}))
        .await;
    assert!(r.json()["kase"]["stage"].is_null());
}

#[tokio::test]
async fn item_08_closing_sets_closed_on_today_and_reopening_clears_it() {
    let env = seeded().await;
    let k = env.new_kase(json!({})).await;
    let id = k["id"].as_u64().expect("id");
    let r = env
        .put(
            &format!("kases/{id}"),
            json!({"kase": {"status": "CLOSED"}}),
        )
        .await;
    assert_eq!(r.json()["kase"]["closedOn"], "2025-03-20");
    let r = env
        .put(&format!("kases/{id}"), json!({"kase": {"status": "OPEN"}}))
        .await;
    assert!(r.json()["kase"]["closedOn"].is_null());
}

#[tokio::test]
async fn item_09_delete_then_404_and_the_deleted_feed() {
    let env = seeded().await;
    let k = env.new_kase(json!({})).await;
    let id = k["id"].as_u64().expect("id");
    let r = env.call(Method::DELETE, &format!("kases/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_eq!(
        env.get(&format!("kases/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = env
        .get("kases/deleted?since=2025-03-01T00:00:00Z")
        .await
        .json();
    let ids: Vec<u64> = r["kases"]
        .as_array()
        .expect("kases")
        .iter()
        .filter_map(|d| d["id"].as_u64())
        .collect();
    assert_eq!(ids, vec![id]);
    assert!(r["kases"][0]["deletedAt"].is_string());
    let r = env.get("kases/deleted").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("since is required"));
}

#[tokio::test]
async fn item_09_deleted_feed_has_the_fixture_shape() {
    let fx = fixture("kases-deleted.json");
    let env = seeded().await;
    let k = env.new_kase(json!({})).await;
    let id = k["id"].as_u64().expect("id");
    env.call(Method::DELETE, &format!("kases/{id}"), None).await;
    let r = env
        .get("kases/deleted?since=2025-03-01T00:00:00Z")
        .await
        .json();
    assert_eq!(keys(&r["kases"][0]), keys(&fx["kases"][0]));
}

#[tokio::test]
async fn item_10_related_projects_of_a_party_and_an_opportunity() {
    let env = seeded().await;
    let k = env.get("kases/5200101").await.json()["kase"].clone();
    let party = k["party"]["id"].as_u64().expect("party");
    let r = env.get(&format!("parties/{party}/kases?perPage=1")).await;
    assert_eq!(r.status, StatusCode::OK);
    let first = r.json()["kases"][0]["id"].as_u64();
    assert_eq!(first, Some(5200101));
    assert!(
        r.link().is_some_and(|l| l.contains("next")),
        "two seeded projects share the party"
    );
    let opp = k["opportunity"]["id"].as_u64().expect("opportunity");
    let r = env.get(&format!("opportunities/{opp}/kases")).await.json();
    assert_eq!(r["kases"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn item_11_additional_parties() {
    let env = seeded().await;
    let person = env.first_party("person").await;
    let path = format!("kases/5200101/parties/{person}");
    let r = env.post(&path, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_eq!(
        env.post(&path, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let listed = env.get("kases/5200101/parties").await.json();
    assert_eq!(listed["parties"][0]["id"].as_u64(), Some(person));
    assert_eq!(
        env.call(Method::DELETE, &path, None).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn item_12_boards_and_stages_by_status() {
    let env = seeded().await;
    let ids = |v: &Value, key: &str| -> Vec<u64> {
        v[key]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|b| b["id"].as_u64())
            .collect()
    };
    assert_eq!(
        ids(&env.get("boards").await.json(), "boards"),
        vec![13647, 13648]
    );
    assert_eq!(
        ids(&env.get("boards?status=all").await.json(), "boards"),
        vec![13647, 13648, 13649]
    );
    assert_eq!(
        ids(&env.get("boards/13647/stages").await.json(), "stages"),
        vec![271006, 271007, 271008]
    );
    assert_eq!(ids(&env.get("stages").await.json(), "stages").len(), 4);
    assert_eq!(
        ids(
            &env.get("stages?includeOnDeletedBoard=true").await.json(),
            "stages"
        )
        .len(),
        5
    );
}

#[tokio::test]
async fn item_12_boards_and_stages_have_the_fixture_shape() {
    let fx = fixture("boards-and-stages.json");
    let env = seeded().await;
    let boards = env.get("boards").await.json();
    assert_eq!(boards["boards"], fx["GET /api/v2/boards"]["boards"]);
    let stages = env.get("stages").await.json();
    assert_eq!(stages["stages"], fx["GET /api/v2/stages"]["stages"]);
    let b = env.get("boards/13648/stages").await.json();
    assert_eq!(b["stages"], fx["GET /api/v2/boards/13648/stages"]["stages"]);
}

#[tokio::test]
async fn item_13_stage_writes_need_an_administrator() {
    let env = seeded().await;
    let body = json!({"stage": {"name": "Review", "board": 13648, "displayOrder": 2}});
    let plain = env.sim.mint_pat(2);
    let r = env
        .call_as(&plain, Method::POST, "stages", Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env.post("stages", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.headers.get("location").is_some());
    assert_eq!(r.json()["stage"]["board"]["id"], 13648);
}

#[tokio::test]
async fn project_field_definitions_are_listed() {
    let env = seeded().await;
    let r = env.get("kases/fields/definitions").await.json();
    let names: Vec<&str> = r["definitions"]
        .as_array()
        .expect("defs")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Site access code", "Machines", "Opening day", "Phase"]
    );
    assert_eq!(
        env.get("kases/fields/definitions/34").await.json()["definition"]["options"][1],
        "Build"
    );
}

fn people_filter() -> Value {
    json!({"filter": {"conditions": [{"field": "type", "operator": "is", "value": "person"}]}})
}

#[tokio::test]
async fn item_21_people_only_with_link_to_the_same_post_url() {
    let env = seeded().await;
    let r = env
        .post("parties/filters/results?perPage=2", people_filter())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page1 = r.json()["parties"].as_array().expect("parties").clone();
    assert_eq!(page1.len(), 2);
    assert!(page1.iter().all(|p| p["type"] == "person"));
    let link = r.link().expect("link");
    assert!(
        link.contains("/parties/filters/results?perPage=2&page=2>; rel=\"next\""),
        "{link}"
    );
    let url = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .expect("url")
        .to_string();
    let r2 = env.call(Method::POST, &url, Some(people_filter())).await;
    let page2 = r2.json()["parties"].as_array().expect("parties").clone();
    assert!(!page2.is_empty() && page2.iter().all(|p| p["type"] == "person"));
    assert!(
        page2[0]["id"].as_u64() > page1[1]["id"].as_u64(),
        "ascending id order"
    );
}

#[tokio::test]
async fn item_21_filter_results_have_the_fixture_shape() {
    let fx = fixture("filters-results.json");
    let ex = &fx["POST /api/v2/parties/filters/results?perPage=2&embed=tags"];
    let env = seeded().await;
    let r = env
        .post(
            "parties/filters/results?perPage=2&embed=tags",
            ex["requestBody"].clone(),
        )
        .await;
    assert_eq!(
        r.status.as_u16(),
        ex["responseStatus"].as_u64().expect("status") as u16
    );
    assert_eq!(keys(&r.json()), keys(&ex["responseBody"]));
    let mine = &r.json()["parties"][0];
    let theirs = &ex["responseBody"]["parties"][0];
    for k in [
        "id",
        "type",
        "firstName",
        "lastName",
        "tags",
        "emailAddresses",
        "createdAt",
        "updatedAt",
    ] {
        assert!(mine.get(k).is_some() && theirs.get(k).is_some(), "{k}");
    }
}

#[tokio::test]
async fn item_22_conditions_are_anded_and_date_times_cut_to_dates() {
    let env = seeded().await;
    let body = |value: &str| {
        json!({"filter": {"conditions": [
            {"field": "type", "operator": "is", "value": "person"},
            {"field": "updatedOn", "operator": "is after", "value": value}
        ]}})
    };
    // Seeded parties predate 2025-03-20; a person updated now is after 2025-03-19.
    let pid = env.first_party("person").await;
    env.put(
        &format!("parties/{pid}"),
        json!({"party": {"jobTitle": "Touched"}}),
    )
    .await;
    let oid = env.first_party("organisation").await;
    env.put(
        &format!("parties/{oid}"),
        json!({"party": {"about": "Touched"}}),
    )
    .await;
    for value in ["2025-03-19", "2025-03-19T09:15:00Z"] {
        let r = env
            .post("parties/filters/results", body(value))
            .await
            .json();
        let ids: Vec<u64> = r["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .filter_map(|p| p["id"].as_u64())
            .collect();
        assert_eq!(ids, vec![pid], "{value}");
    }
}

#[tokio::test]
async fn item_23_response_side_field_name_is_422() {
    let fx = fixture("filters-results.json");
    let ex = &fx["POST /api/v2/parties/filters/results (response-side field name)"];
    let env = seeded().await;
    let r = env
        .post("parties/filters/results", ex["requestBody"].clone())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json(),
        json!({"message":"Validation Failed","errors":[{"message":"invalid field name","resource":"filter","field":"field"}]})
    );
    assert_eq!(
        r.json()["errors"][0]["message"],
        ex["responseBody"]["errors"][0]["message"]
    );
}

#[tokio::test]
async fn item_24_unsuitable_or_unknown_operators_are_422() {
    let env = seeded().await;
    for op in ["contains", "is roughly"] {
        let r = env
            .post(
                "parties/filters/results",
                json!({"filter": {"conditions": [{"field": "updatedOn", "operator": op, "value": "2025"}]}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{op}");
    }
}

#[tokio::test]
async fn item_25_body_without_filter_wrapper_is_400() {
    let env = seeded().await;
    let r = env
        .post(
            "parties/filters/results",
            json!({"conditions": [{"field": "type", "operator": "is", "value": "person"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].is_string());
}

#[tokio::test]
async fn item_26_kase_and_opportunity_filters() {
    let env = seeded().await;
    let r = env
        .post("kases/filters/results", json!({"filter": {"conditions": [{"field": "stage", "operator": "is", "value": 271006}]}}))
        .await
        .json();
    let ids: Vec<u64> = r["kases"]
        .as_array()
        .expect("kases")
        .iter()
        .filter_map(|k| k["id"].as_u64())
        .collect();
    assert_eq!(ids, vec![5200101]);
    let r = env
        .post("kases/filters/results", json!({"filter": {"conditions": [{"field": "isOpen", "operator": "is", "value": true}]}}))
        .await
        .json();
    assert_eq!(r["kases"].as_array().map(Vec::len), Some(2));
    let r = env
        .post("opportunities/filters/results", json!({"filter": {"conditions": [{"field": "isOpen", "operator": "is", "value": true}]}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let opps = r.json()["opportunities"]
        .as_array()
        .expect("opportunities")
        .clone();
    assert!(opps.iter().all(|o| o["closedOn"].is_null()));
}

#[tokio::test]
async fn item_27_order_by_accepted_ignored_then_honoured() {
    let env = seeded().await;
    let body = json!({"filter": {"conditions": [], "orderBy": [{"field": "id", "direction": "descending"}]}});
    let ids = |v: Value| -> Vec<u64> {
        v["kases"]
            .as_array()
            .expect("kases")
            .iter()
            .filter_map(|k| k["id"].as_u64())
            .collect()
    };
    let r = env.post("kases/filters/results", body.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(r.json()), vec![5200101, 5200102, 5200103]);
    env.sim.set_filter_order_by(true);
    let r = env.post("kases/filters/results", body).await.json();
    assert_eq!(ids(r), vec![5200103, 5200102, 5200101]);
}

#[tokio::test]
async fn shared_faults_reach_the_project_routes() {
    let env = seeded().await;
    env.sim.set_faults(FaultConfig {
        seed: 1,
        burst_429_rate: 1.0,
        burst_429_len: 1,
        ..FaultConfig::default()
    });
    assert_eq!(env.get("kases").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        env.post("parties/filters/results", people_filter())
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    env.sim.set_faults(FaultConfig::default());
    assert_eq!(env.get("boards").await.status, StatusCode::OK);
}
