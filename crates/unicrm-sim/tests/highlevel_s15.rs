//! One test per numbered behaviour of `docs/vendors/highlevel-v2.md`, "Simulator must
//! reproduce" (`item_N` is item N of that list), over raw HTTP, plus the wire shapes of the
//! fixtures (vendor facts in `tests/fixtures/highlevel/`). Items not served yet are listed in
//! docs/simulators-highlevel.md.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::highlevel::{TokenInfo, TokenKind};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

struct T {
    sim: HighLevelSimHandle,
    http: reqwest::Client,
}

fn opts(records: usize) -> HighLevelSimOptions {
    HighLevelSimOptions {
        seed: SeedOptions { seed: 42, records },
        clock: SimClock::manual_default(),
        ..HighLevelSimOptions::default()
    }
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl T {
    async fn start(o: HighLevelSimOptions) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = HighLevelSim::start(o).await.expect("start");
        T {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        version: Option<&str>,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut r = self.http.request(
            method,
            format!("{}{}", self.sim.base_url, path.trim_start_matches('/')),
        );
        if let Some(v) = version {
            r = r.header("Version", v);
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(
            Method::GET,
            path,
            Some("2021-07-28"),
            Some(&self.sim.token.clone()),
            None,
        )
        .await
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Answer {
        self.call(
            method,
            path,
            Some("2021-07-28"),
            Some(&self.sim.token.clone()),
            Some(body),
        )
        .await
    }

    async fn search(&self, body: Value) -> Answer {
        self.send(Method::POST, "contacts/search", body).await
    }

    fn loc(&self) -> String {
        self.sim.location_id.clone()
    }
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/highlevel/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

#[tokio::test]
async fn item_1_paths_with_and_without_the_trailing_slash() {
    let t = T::start(opts(3)).await;
    let a = t.get(&format!("users/?locationId={}", t.loc())).await;
    let b = t.get(&format!("users?locationId={}", t.loc())).await;
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    let none = t.get("nowhere/at/all").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(none.body["message"], "Cannot GET /nowhere/at/all");
}

#[tokio::test]
async fn item_2_no_version_is_a_401() {
    let t = T::start(opts(1)).await;
    let a = t
        .call(
            Method::GET,
            &format!("users/?locationId={}", t.loc()),
            None,
            Some(&t.sim.token),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.body,
        json!({"statusCode": 401, "message": "version header was not found."})
    );
}

#[tokio::test]
async fn item_3_the_four_versions_are_accepted_and_others_are_a_400() {
    let t = T::start(opts(1)).await;
    for v in ["2021-04-15", "2021-07-28", "2023-02-21", "v3"] {
        let a = t
            .call(
                Method::GET,
                &format!("users/?locationId={}", t.loc()),
                Some(v),
                Some(&t.sim.token),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{v}");
    }
    let a = t
        .call(
            Method::GET,
            "users/",
            Some("bogus-version"),
            Some(&t.sim.token),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body["message"],
        "Invalid API version segment 'bogus-version' at position 0"
    );
}

#[tokio::test]
async fn item_4_missing_unknown_or_expired_bearer_is_invalid_token() {
    let t = T::start(opts(1)).await;
    let expect = json!({"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"});
    let path = format!("users/?locationId={}", t.loc());
    assert_eq!(
        t.call(Method::GET, &path, Some("2021-07-28"), None, None)
            .await
            .body,
        expect
    );
    assert_eq!(
        t.call(Method::GET, &path, Some("2021-07-28"), Some("nope"), None)
            .await
            .body,
        expect
    );
    let now = t.sim.clock().now();
    t.sim.add_token(
        "old",
        TokenInfo {
            kind: TokenKind::Location(t.loc()),
            scopes: vec!["users.readonly".into()],
            expires_at: Some(now),
        },
    );
    let a = t
        .call(Method::GET, &path, Some("2021-07-28"), Some("old"), None)
        .await;
    assert_eq!((a.status, a.body), (StatusCode::UNAUTHORIZED, expect));
}

#[tokio::test]
async fn item_5_a_missing_scope_is_a_401() {
    let t = T::start(opts(1)).await;
    t.sim.add_token(
        "narrow",
        TokenInfo {
            kind: TokenKind::Location(t.loc()),
            scopes: vec!["users.readonly".into()],
            expires_at: None,
        },
    );
    let a = t
        .call(
            Method::POST,
            "contacts/search",
            Some("2021-07-28"),
            Some("narrow"),
            Some(json!({"locationId": t.loc(), "pageLimit": 1})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.body["message"],
        "The token is not authorized for this scope."
    );
}

#[tokio::test]
async fn item_6_company_token_and_agency_pit_on_a_location_endpoint() {
    let t = T::start(opts(1)).await;
    t.sim.add_token(
        "company",
        TokenInfo {
            kind: TokenKind::Company,
            scopes: vec![],
            expires_at: None,
        },
    );
    t.sim.add_token(
        "agency-pit",
        TokenInfo {
            kind: TokenKind::AgencyPit,
            scopes: vec![],
            expires_at: None,
        },
    );
    let path = format!("users/?locationId={}", t.loc());
    let a = t
        .call(
            Method::GET,
            &path,
            Some("2021-07-28"),
            Some("company"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        a.body["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("This authClass type is not allowed"),
        "{}",
        a.body
    );
    let a = t
        .call(
            Method::GET,
            &path,
            Some("2021-07-28"),
            Some("agency-pit"),
            None,
        )
        .await;
    assert_eq!(a.body["message"], "Token's user type mismatch!");
}

#[tokio::test]
async fn item_7_another_location_is_a_403() {
    let t = T::start(opts(1)).await;
    let a = t
        .search(json!({"locationId": "Lc000000000000000000", "pageLimit": 1}))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.body,
        json!({"statusCode": 403, "message": "The token does not have access to this location."})
    );
}

#[tokio::test]
async fn item_8_every_answer_carries_the_five_rate_limit_headers() {
    let t = T::start(opts(1)).await;
    for a in [
        t.get(&format!("users/?locationId={}", t.loc())).await,
        t.get("contacts/nope").await,
    ] {
        for h in [
            "x-ratelimit-limit-daily",
            "x-ratelimit-daily-remaining",
            "x-ratelimit-interval-milliseconds",
            "x-ratelimit-max",
            "x-ratelimit-remaining",
        ] {
            assert!(a.headers.contains_key(h), "{h}");
        }
        assert_eq!(a.headers["x-ratelimit-interval-milliseconds"], "10000");
        assert_eq!(a.headers["x-ratelimit-max"], "100");
    }
}

#[tokio::test]
async fn item_9_the_101st_call_in_10_s_and_a_spent_day_are_429s() {
    let t = T::start(opts(1)).await;
    let path = format!("users/?locationId={}", t.loc());
    for i in 0..100 {
        let a = t.get(&path).await;
        assert_eq!(a.status, StatusCode::OK, "call {i}");
    }
    let a = t.get(&path).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers["x-ratelimit-remaining"], "0");
    assert!(!a.headers.contains_key("retry-after"));
    assert_eq!(
        a.body,
        json!({"statusCode": 429, "message": "Too Many Requests"})
    );
    // The fixed window restarts 10 s after it opened.
    t.sim.clock().advance(Duration::from_secs(10));
    assert_eq!(t.get(&path).await.status, StatusCode::OK);
    // Sandbox limits, and the day.
    t.sim.set_limits(25, 3);
    for _ in 0..3 {
        assert_eq!(t.get(&path).await.status, StatusCode::OK);
    }
    let a = t.get(&path).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers["x-ratelimit-daily-remaining"], "0");
}

#[tokio::test]
async fn item_10_every_success_has_a_fresh_trace_id() {
    let t = T::start(opts(1)).await;
    let path = format!("users/?locationId={}", t.loc());
    let a = t.get(&path).await.body["traceId"].clone();
    let b = t.get(&path).await.body["traceId"].clone();
    assert!(a.is_string() && b.is_string() && a != b, "{a} {b}");
}

#[tokio::test]
async fn item_11_get_leaves_empty_fields_out_and_search_spells_nulls() {
    let t = T::start(opts(5)).await;
    let c = t
        .sim
        .contacts()
        .into_iter()
        .find(|c| !c.contains_key("email") || !c.contains_key("phone"));
    let id = match c {
        Some(c) => c["id"].as_str().unwrap_or_default().to_string(),
        None => t.sim.contacts()[0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let got = t.get(&format!("contacts/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    let obj = got.body["contact"].as_object().cloned().unwrap_or_default();
    assert!(obj.values().all(|v| !v.is_null()), "{obj:?}");
    assert!(got.body["traceId"].is_string());
    let hits = t
        .search(json!({"locationId": t.loc(), "pageLimit": 5}))
        .await
        .body;
    let hit = &hits["contacts"][0];
    for k in [
        "email",
        "phone",
        "address",
        "website",
        "businessName",
        "contactName",
    ] {
        assert!(hit.as_object().is_some_and(|h| h.contains_key(k)), "{k}");
    }
    assert!(hit.get("address1").is_none());
}

#[tokio::test]
async fn item_12_an_unknown_contact_is_a_400_not_found() {
    let t = T::start(opts(1)).await;
    let expect =
        json!({"statusCode": 400, "message": "Contact with id Ct0nOtThErE000000000 not found"});
    assert_eq!(t.get("contacts/Ct0nOtThErE000000000").await.body, expect);
    let a = t
        .send(
            Method::PUT,
            "contacts/Ct0nOtThErE000000000",
            json!({"firstName": "X"}),
        )
        .await;
    assert_eq!(
        (a.status, a.body),
        (StatusCode::BAD_REQUEST, expect.clone())
    );
    let a = t
        .call(
            Method::DELETE,
            "contacts/Ct0nOtThErE000000000",
            Some("2021-07-28"),
            Some(&t.sim.token),
            None,
        )
        .await;
    assert_eq!(a.body, expect);
}

#[tokio::test]
async fn item_13_create_needs_a_location_and_answers_201() {
    let t = T::start(opts(0)).await;
    let a = t
        .send(Method::POST, "contacts/", json!({"firstName": "Ada"}))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body["message"].is_array());
    let a = t
        .send(
            Method::POST,
            "contacts/",
            json!({"firstName": "Ada", "locationId": t.loc()}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let c = &a.body["contact"];
    assert_eq!(c["dateAdded"], c["dateUpdated"]);
    assert_eq!(
        (
            c["type"].clone(),
            c["tags"].clone(),
            c["customFields"].clone()
        ),
        (json!("lead"), json!([]), json!([]))
    );
}

#[tokio::test]
async fn item_14_a_duplicate_email_is_refused_with_meta() {
    let t = T::start(opts(0)).await;
    let body = json!({"firstName": "Ada", "email": "ada@example.com", "locationId": t.loc()});
    let first = t.send(Method::POST, "contacts/", body.clone()).await;
    let a = t.send(Method::POST, "contacts/", body).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body["message"],
        "This location does not allow duplicated contacts."
    );
    assert_eq!(a.body["meta"]["contactId"], first.body["contact"]["id"]);
    assert_eq!(a.body["meta"]["matchingField"], "email");
}

#[tokio::test]
async fn item_15_unknown_properties_are_a_422_naming_them() {
    let t = T::start(opts(1)).await;
    let id = t.sim.contacts()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let a = t
        .send(
            Method::PUT,
            &format!("contacts/{id}"),
            json!({"locationId": t.loc(), "firstName": "X"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.body,
        json!({"statusCode": 422, "message": ["property locationId should not exist"], "error": "Unprocessable Entity"})
    );
    let a = t
        .send(
            Method::POST,
            &format!("contacts/{id}/tags"),
            json!({"tags": ["a"], "locationId": t.loc()}),
        )
        .await;
    assert_eq!(
        a.body["message"],
        json!(["property locationId should not exist"])
    );
}

#[tokio::test]
async fn item_16_put_merges_replaces_tags_and_moves_date_updated() {
    let t = T::start(opts(1)).await;
    let before = t.sim.contacts()[0].clone();
    let id = before["id"].as_str().unwrap_or_default().to_string();
    let a = t
        .send(
            Method::PUT,
            &format!("contacts/{id}"),
            json!({"city": "Stuttgart", "tags": ["vip"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["succeded"], true);
    let c = &a.body["contact"];
    assert_eq!(c["city"], "Stuttgart");
    assert_eq!(c["tags"], json!(["vip"]));
    assert_eq!(c["firstName"], before["firstName"]);
    assert!(c["dateUpdated"].as_str() > before["dateUpdated"].as_str());
}

#[tokio::test]
async fn item_18_delete_then_get_is_not_found() {
    let t = T::start(opts(1)).await;
    let id = t.sim.contacts()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let a = t
        .call(
            Method::DELETE,
            &format!("contacts/{id}"),
            Some("2021-07-28"),
            Some(&t.sim.token),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        (a.body["succeded"].clone(), a.body["succeeded"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        t.get(&format!("contacts/{id}")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn item_19_search_requires_location_and_page_limit_and_total_is_constant() {
    let t = T::start(opts(7)).await;
    assert_eq!(
        t.search(json!({"pageLimit": 2})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        t.search(json!({"locationId": t.loc()})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        t.search(json!({"locationId": t.loc(), "pageLimit": 501}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let sort = json!([{"field": "dateUpdated", "direction": "asc"}]);
    let mut body = json!({"locationId": t.loc(), "pageLimit": 3, "sort": sort});
    let mut seen = 0;
    loop {
        let a = t.search(body.clone()).await.body;
        assert_eq!(a["total"], 7);
        let hits = a["contacts"].as_array().cloned().unwrap_or_default();
        seen += hits.len();
        let Some(last) = hits.last() else { break };
        body["searchAfter"] = last["searchAfter"].clone();
    }
    assert_eq!(seen, 7);
}

async fn count(t: &T, filters: Value) -> u64 {
    let body = json!({"locationId": t.loc(), "pageLimit": 10, "filters": filters});
    t.search(body).await.body["total"].as_u64().unwrap_or(99)
}

#[tokio::test]
async fn item_20_filters_groups_and_operators() {
    let t = T::start(opts(0)).await;
    for (f, e, tag) in [
        ("ada", "ada@x.io", "vip"),
        ("bob", "bob@x.io", "cold"),
        ("cy", "cy@y.io", "vip"),
    ] {
        t.send(
            Method::POST,
            "contacts/",
            json!({"firstName": f, "email": e, "tags": [tag], "locationId": t.loc()}),
        )
        .await;
    }
    assert_eq!(
        count(
            &t,
            json!([{"field": "tags", "operator": "eq", "value": "vip"}])
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &t,
            json!([{"field": "firstNameLowerCase", "operator": "contains", "value": "b"}])
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            json!([{"group": "OR", "filters": [
        {"field": "email", "operator": "eq", "value": "ada@x.io"},
        {"field": "email", "operator": "eq", "value": "bob@x.io"}]}])
        )
        .await,
        2
    );
    assert_eq!(
        count(&t, json!([{"field": "phone", "operator": "not_exists"}])).await,
        3
    );
    assert_eq!(count(&t, json!([{"field": "dateUpdated", "operator": "range", "value": {"gte": "2000-01-01T00:00:00.000Z"}}])).await, 3);
    assert_eq!(count(&t, json!([{"field": "dateUpdated", "operator": "range", "value": {"gte": "2999-01-01T00:00:00.000Z"}}])).await, 0);
}

#[tokio::test]
async fn item_21_search_after_is_strictly_after_sorted_by_date_and_id() {
    let t = T::start(opts(6)).await;
    let body = json!({"locationId": t.loc(), "pageLimit": 6, "sort": [{"field": "dateUpdated", "direction": "asc"}]});
    let all = t.search(body.clone()).await.body["contacts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let keys: Vec<(i64, String)> = all
        .iter()
        .map(|h| {
            (
                h["searchAfter"][0].as_i64().unwrap_or(0),
                h["searchAfter"][1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let mut b = body;
    b["searchAfter"] = all[2]["searchAfter"].clone();
    let rest = t.search(b).await.body["contacts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        rest.first().map(|h| h["id"].clone()),
        all.get(3).map(|h| h["id"].clone())
    );
}

#[tokio::test]
async fn item_22_deep_pages_and_page_with_search_after_are_400s() {
    let t = T::start(opts(1)).await;
    assert_eq!(
        t.search(json!({"locationId": t.loc(), "pageLimit": 500, "page": 21}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.search(
            json!({"locationId": t.loc(), "pageLimit": 5, "page": 1, "searchAfter": [1, "a"]})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn item_23_search_lags_writes_but_get_does_not() {
    let t = T::start(opts(0)).await;
    t.sim.set_search_delay(Duration::from_secs(5));
    let c = t
        .send(
            Method::POST,
            "contacts/",
            json!({"firstName": "Late", "locationId": t.loc()}),
        )
        .await
        .body;
    let id = c["contact"]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        t.get(&format!("contacts/{id}")).await.status,
        StatusCode::OK
    );
    let body = json!({"locationId": t.loc(), "pageLimit": 5});
    assert_eq!(t.search(body.clone()).await.body["total"], 0);
    t.sim.clock().advance(Duration::from_secs(5));
    assert_eq!(t.search(body).await.body["total"], 1);
}

#[tokio::test]
async fn item_24_the_deprecated_list_pages_by_start_after() {
    let t = T::start(opts(5)).await;
    assert_eq!(
        t.get(&format!("contacts/?locationId={}&limit=101", t.loc()))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let a = t
        .get(&format!("contacts/?locationId={}&limit=3", t.loc()))
        .await
        .body;
    assert_eq!(a["contacts"].as_array().map(Vec::len), Some(3));
    let (sa, sid) = (
        a["meta"]["startAfter"].clone(),
        a["meta"]["startAfterId"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let b = t
        .get(&format!(
            "contacts/?locationId={}&limit=3&startAfter={sa}&startAfterId={sid}",
            t.loc()
        ))
        .await
        .body;
    assert_eq!(b["contacts"].as_array().map(Vec::len), Some(2));
    assert_eq!(b["meta"]["total"], 5);
}

#[tokio::test]
async fn item_25_tags_add_and_remove() {
    let t = T::start(opts(1)).await;
    let id = t.sim.contacts()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let a = t
        .send(
            Method::POST,
            &format!("contacts/{id}/tags"),
            json!({"tags": ["Brand-New"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert!(
        a.body["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("brand-new")))
    );
    let a = t
        .send(
            Method::DELETE,
            &format!("contacts/{id}/tags"),
            json!({"tags": ["brand-new"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        !a.body["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("brand-new")))
    );
    // Item 37: a new tag name on a contact creates the location tag.
    let tags = t.get(&format!("locations/{}/tags", t.loc())).await.body;
    assert!(
        tags["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["name"] == "brand-new"))
    );
}

#[tokio::test]
async fn item_35_users_search_requires_a_company_and_a_user_reads_bare() {
    let t = T::start(opts(3)).await;
    assert_eq!(
        t.get("users/search").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let a = t
        .get(&format!("users/search?companyId={}", t.sim.company_id))
        .await
        .body;
    let id = a["users"][0]["id"].as_str().unwrap_or_default().to_string();
    assert!(a["count"].as_u64().unwrap_or(0) >= 1);
    let u = t.get(&format!("users/{id}")).await.body;
    assert_eq!(u["id"], json!(id));
    assert!(u["traceId"].is_string());
}

#[tokio::test]
async fn item_37_custom_fields_filter_by_model() {
    let t = T::start(opts(1)).await;
    let all = t
        .get(&format!("locations/{}/customFields", t.loc()))
        .await
        .body;
    let contact = t
        .get(&format!("locations/{}/customFields?model=contact", t.loc()))
        .await
        .body;
    let n = |v: &Value| v["customFields"].as_array().map(Vec::len).unwrap_or(0);
    assert!(n(&all) > n(&contact) && n(&contact) > 0);
    assert!(
        contact["customFields"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["model"] == "contact"))
    );
}

async fn form(t: &T, path: &str, pairs: &[(&str, &str)], bearer: Option<&str>) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut r = t
        .http
        .post(format!("{}{path}", t.sim.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(b) = bearer {
        r = r.bearer_auth(b).header("Version", "2021-07-28");
    }
    let resp = r.send().await.expect("send");
    let status = resp.status();
    let headers = resp.headers().clone();
    Answer {
        status,
        headers,
        body: resp.json().await.unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn item_39_code_and_refresh_grants_rotate_the_refresh_token() {
    let t = T::start(opts(1)).await;
    let (id, secret) = (t.sim.client_id.clone(), t.sim.client_secret.clone());
    let bad = form(
        &t,
        "oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.body,
        json!({"error": "UnAuthorized!", "error_description": "Authorization code not found"})
    );
    let code = t.sim.authorization_code(TokenKind::Location(t.loc()));
    let a = form(
        &t,
        "oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("user_type", "Location"),
        ],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["expires_in"], 86399);
    assert_eq!(a.body["userType"], "Location");
    let rt = a.body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = form(
        &t,
        "oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.body["refresh_token"].as_str(), Some(rt.as_str()));
    let again = form(
        &t,
        "oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "the used refresh token is dead"
    );
    // The new access token works.
    let at = r.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let u = t
        .call(
            Method::GET,
            &format!("users/?locationId={}", t.loc()),
            Some("2021-07-28"),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(u.status, StatusCode::OK);
}

#[tokio::test]
async fn item_40_a_company_token_mints_a_location_token() {
    let t = T::start(opts(1)).await;
    t.sim.add_token(
        "company",
        TokenInfo {
            kind: TokenKind::Company,
            scopes: vec![],
            expires_at: None,
        },
    );
    let (c, l) = (t.sim.company_id.clone(), t.loc());
    let a = form(
        &t,
        "oauth/locationToken",
        &[("companyId", &c), ("locationId", &l)],
        Some("company"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let scope = a.body["scope"].as_str().unwrap_or_default();
    assert!(
        scope.contains("oauth.readonly") && scope.contains("oauth.write"),
        "{scope}"
    );
    assert_eq!(a.body["locationId"], json!(l));
    // A location PIT cannot mint.
    let pit = t.sim.token.clone();
    let a = form(
        &t,
        "oauth/locationToken",
        &[("companyId", &c), ("locationId", &l)],
        Some(&pit),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

/// The simulator's search hits and GET bodies use the key names and types of the fixtures
/// (docs/vendors/highlevel-v2.md, "Example payloads"): each key the simulator sends appears in
/// the fixture with the same JSON type (or `null` on either side).
#[tokio::test]
async fn the_wire_shapes_match_the_fixtures() {
    let t = T::start(opts(5)).await;
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let check = |ours: &Value, theirs: &Value, what: &str| {
        let theirs = theirs.as_object().cloned().unwrap_or_default();
        for (k, v) in ours.as_object().cloned().unwrap_or_default() {
            if ["fullNameLowerCase", "emailLowerCase"].contains(&k.as_str())
                && !theirs.contains_key(&k)
            {
                continue; // derived keys, in the reference's contact object
            }
            let f = theirs
                .get(&k)
                .unwrap_or_else(|| panic!("{what}: `{k}` is not in the fixture"));
            assert!(
                v.is_null() || f.is_null() || kind(&v) == kind(f),
                "{what}: `{k}` is {} here, {} in the fixture",
                kind(&v),
                kind(f)
            );
        }
    };
    let page = t.search(json!({"locationId": t.loc(), "pageLimit": 5, "sort": [{"field": "dateUpdated", "direction": "asc"}]})).await.body;
    let fx = fixture("contacts-search-page.json");
    check(&page["contacts"][0], &fx["contacts"][0], "search hit");
    assert_eq!(
        page["contacts"][0]["searchAfter"][0].is_number(),
        fx["contacts"][0]["searchAfter"][0].is_number()
    );
    let id = page["contacts"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let one = t.get(&format!("contacts/{id}")).await.body;
    check(
        &one["contact"],
        &fixture("contact.json")["contact"],
        "GET contact",
    );
    let fields = t
        .get(&format!("locations/{}/customFields", t.loc()))
        .await
        .body;
    check(
        &fields["customFields"][0],
        &fixture("custom-fields.json")["customFields"][0],
        "custom field",
    );
    let users = t
        .get(&format!("users/search?companyId={}", t.sim.company_id))
        .await
        .body;
    check(
        &users["users"][0],
        &fixture("users-search.json")["users"][0],
        "user",
    );
    // The error bodies are the fixture's.
    let e = t.get("contacts/Ct0nOtThErE000000000").await.body;
    assert_eq!(e, fixture("errors.json")["contact_not_found"]["body"]);
}

/// Item 38 (the signing part): a delivery carries a fresh `webhookId`, the current
/// `timestamp`, and an Ed25519 `x-ghl-signature` over its exact bytes that the published
/// `webhook_public_key` verifies. (The emitter that POSTs deliveries is not built.)
#[tokio::test]
async fn item_38_deliveries_are_signed_with_the_simulators_key() {
    use base64::Engine as _;
    let t = T::start(opts(1)).await;
    let event = json!({"type": "ContactUpdate", "id": "Ct1", "firstName": "Ada"});
    let (a, sig_a) = t
        .sim
        .signed_delivery(event.as_object().cloned().unwrap_or_default());
    let (b, _) = t
        .sim
        .signed_delivery(event.as_object().cloned().unwrap_or_default());
    let (va, vb): (Value, Value) = (
        serde_json::from_slice(&a).unwrap(),
        serde_json::from_slice(&b).unwrap(),
    );
    assert_ne!(va["webhookId"], vb["webhookId"]);
    assert_eq!(va["locationId"], json!(t.loc()));
    assert!(va["timestamp"].is_string());
    let spki = base64::engine::general_purpose::STANDARD
        .decode(&t.sim.webhook_public_key)
        .unwrap();
    assert_eq!(spki.len(), 44);
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &spki[12..]);
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&sig_a)
        .unwrap();
    assert!(key.verify(&a, &sig).is_ok());
    assert!(
        key.verify(&b, &sig).is_err(),
        "a signature is for its exact bytes"
    );
}

/// The consent page's stand-in redirects at once with a code (and the state echoed) that
/// `/oauth/token` exchanges; the sandbox line has the documented keys in order.
#[tokio::test]
async fn the_consent_stand_in_redirects_with_a_code_and_the_sandbox_line_is_exact() {
    let t = T::start(opts(1)).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!(
        "{}?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1",
        t.sim.authorize_url(),
        t.sim.client_id
    );
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let to = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(to.host_str(), Some("app.example"));
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("s1"));
    let (id, secret) = (t.sim.client_id.clone(), t.sim.client_secret.clone());
    let a = form(
        &t,
        "oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let line = t.sim.sandbox_line_json();
    let keys: Vec<String> = line
        .trim_matches(|c| c == '{' || c == '}')
        .split(",\"")
        .map(|kv| {
            kv.trim_start_matches('"')
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        keys,
        [
            "vendor",
            "base_url",
            "token",
            "location_id",
            "company_id",
            "oauth_token_url",
            "authorize_url",
            "client_id",
            "client_secret",
            "webhook_public_key"
        ]
    );
    assert!(line.starts_with(&format!(
        "{{\"vendor\":\"highlevel\",\"base_url\":\"{}\"",
        t.sim.base_url
    )));
}
