//! One test per numbered exchange of `docs/vendors/insightly-v3.1.md`, "Simulator must reproduce" (a `§12.N` label below is item N of that list)
//! ("What the simulator must reproduce"), over raw HTTP.
//!
//! This file is longer than 600 lines on purpose: it is that checklist, one test per item in its order.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions, SimClock};

struct T {
    sim: InsightlySimHandle,
    http: reqwest::Client,
}

fn basic(raw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn opts(records: usize) -> InsightlySimOptions {
    InsightlySimOptions {
        seed: SeedOptions { seed: 42, records },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    }
}

impl T {
    async fn start(options: InsightlySimOptions) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = InsightlySim::start(options).await.expect("start simulator");
        let http = reqwest::Client::builder()
            .no_gzip()
            .build()
            .expect("client");
        T { sim, http }
    }

    async fn new() -> T {
        T::start(opts(150)).await
    }

    fn url(&self, path: &str) -> String {
        self.sim.base_url.join(path).expect("url").to_string()
    }

    fn auth(&self) -> String {
        basic(&format!("{}:", self.sim.api_key))
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        auth: Option<String>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(a) = auth {
            rb = rb.header("Authorization", a);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.expect("send")
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let r = self.raw(method, path, Some(self.auth()), body).await;
        let status = r.status();
        let text = r.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json body")
        };
        (status, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn first_contact(&self) -> Value {
        let (s, v) = self.get("Contacts?top=1").await;
        assert_eq!(s, 200);
        v[0].clone()
    }
}

fn ids(v: &Value, key: &str) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r[key].as_u64().expect("id"))
        .collect()
}

fn is_body_date(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok() && s.len() == 19
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

// §12 item 1: `GET /v3.1/Users/Me` with `Authorization: Basic base64("K:")` → 200, K's user.
#[tokio::test]
async fn s12_01_users_me_with_key_and_colon() {
    let t = T::new().await;
    let (s, me) = t.get("Users/Me").await;
    assert_eq!(s, 200);
    assert_eq!(me["USER_ID"].as_u64(), Some(t.sim.user_keys()[0].0));
    // Another user's key answers with that user.
    let (uid, key) = t.sim.user_keys()[1].clone();
    let r = t
        .raw(
            Method::GET,
            "Users/Me",
            Some(basic(&format!("{key}:"))),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["USER_ID"].as_u64(), Some(uid));
}

// §12 item 2: same with base64("K") (no colon) → 200; any password after the colon → 200.
#[tokio::test]
async fn s12_02_key_without_colon_or_with_password() {
    let t = T::new().await;
    let key = t.sim.api_key.clone();
    for raw in [key.clone(), format!("{key}:whatever-password")] {
        let r = t
            .raw(Method::GET, "Users/Me", Some(basic(&raw)), None)
            .await;
        assert_eq!(r.status(), 200, "{raw}");
    }
}

// §12 item 3: no Authorization header, or an unknown key → 401, JSON {"Message": ...}.
#[tokio::test]
async fn s12_03_missing_or_unknown_key_is_401() {
    let t = T::new().await;
    for auth in [
        None,
        Some(basic("00000000-0000-0000-0000-000000000000:")),
        Some("Basic !!!".to_string()),
        Some("Bearer x".into()),
    ] {
        let r = t.raw(Method::GET, "Users/Me", auth.clone(), None).await;
        assert_eq!(r.status(), 401, "{auth:?}");
        assert!(header(&r, "content-type").is_some_and(|c| c.starts_with("application/json")));
        let v: Value = r.json().await.expect("json");
        assert!(v["Message"].is_string());
    }
}

// §12 item 4: a key bound to pod eu1 sent to the na1 simulator → 401 (configurable to 404).
#[tokio::test]
async fn s12_04_wrong_pod_key() {
    let t = T::new().await;
    let other = basic(&format!("{}:", t.sim.other_pod_key()));
    assert_eq!(
        t.raw(Method::GET, "Users/Me", Some(other), None)
            .await
            .status(),
        401
    );
    let t404 = T::start(InsightlySimOptions {
        wrong_pod_status: 404,
        ..opts(10)
    })
    .await;
    let other = basic(&format!("{}:", t404.sim.other_pod_key()));
    assert_eq!(
        t404.raw(Method::GET, "Users/Me", Some(other), None)
            .await
            .status(),
        404
    );
    assert_eq!(t404.sim.pod, "na1");
}

// §12 item 5: every response (2xx, 4xx, 429) carries X-RateLimit-Limit and -Remaining;
// Remaining decreases by one per request.
#[tokio::test]
async fn s12_05_rate_limit_headers_on_every_response() {
    let t = T::start(InsightlySimOptions {
        daily_quota: 1000,
        clock: SimClock::manual_default(),
        ..opts(20)
    })
    .await;
    let mut last = None;
    for (path, auth) in [
        ("Users/Me", Some(t.auth())),
        ("Contacts/999999999", Some(t.auth())),
        ("Users/Me", None),
        ("Nope", Some(t.auth())),
        ("Contacts?top=3", Some(t.auth())),
    ] {
        let r = t.raw(Method::GET, path, auth, None).await;
        assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("1000"));
        let rem: u64 = header(&r, "x-ratelimit-remaining")
            .expect("remaining")
            .parse()
            .expect("number");
        if let Some(prev) = last {
            assert_eq!(rem + 1, prev, "{path}");
        }
        last = Some(rem);
    }
    t.sim.set_rate_limits(1, 1000);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = t.raw(Method::GET, "Users/Me", Some(t.auth()), None).await;
        assert!(
            header(&r, "x-ratelimit-limit").is_some()
                && header(&r, "x-ratelimit-remaining").is_some()
        );
        statuses.push(r.status().as_u16());
    }
    // The clock stands still: one accepted, then refused.
    assert_eq!(statuses, vec![200, 429, 429, 429, 429]);
}

// §12 item 6: an 11th request inside one second → 429 with Retry-After: 1 and Remaining > 0.
#[tokio::test]
async fn s12_06_eleventh_request_in_a_second_is_429() {
    let clock = SimClock::manual_default();
    let t = T::start(InsightlySimOptions {
        requests_per_second: 10,
        clock: clock.clone(),
        ..opts(20)
    })
    .await;
    let futs = (0..30).map(|_| t.raw(Method::GET, "Users/Me", Some(t.auth()), None));
    let responses = futures::future::join_all(futs).await;
    let ok = responses.iter().filter(|r| r.status() == 200).count();
    let limited: Vec<&reqwest::Response> = responses.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(
        (ok, limited.len()),
        (10, 20),
        "exactly ten pass in one instant"
    );
    // 999 ms later the window still holds ten; at one second it has room again.
    clock.advance(std::time::Duration::from_millis(999));
    let r = t.raw(Method::GET, "Users/Me", Some(t.auth()), None).await;
    assert_eq!(r.status(), 429);
    clock.advance(std::time::Duration::from_millis(1));
    let r = t.raw(Method::GET, "Users/Me", Some(t.auth()), None).await;
    assert_eq!(r.status(), 200);
    for r in limited {
        assert_eq!(header(r, "retry-after").as_deref(), Some("1"));
        let rem: u64 = header(r, "x-ratelimit-remaining")
            .expect("remaining")
            .parse()
            .expect("number");
        assert!(rem > 0);
    }
}

// §12 item 7: daily quota used up → 429 with X-RateLimit-Remaining: 0, and every later request is 429.
#[tokio::test]
async fn s12_07_daily_quota_exhausted() {
    let t = T::start(InsightlySimOptions {
        daily_quota: 5,
        clock: SimClock::manual_default(),
        ..opts(20)
    })
    .await;
    for i in 0..5 {
        let r = t.raw(Method::GET, "Users/Me", Some(t.auth()), None).await;
        assert_eq!(r.status(), 200, "request {i}");
    }
    for _ in 0..3 {
        let r = t.raw(Method::GET, "Users/Me", Some(t.auth()), None).await;
        assert_eq!(r.status(), 429);
        assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
        assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("5"));
        assert!(header(&r, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n > 1)));
        let v: Value = r.json().await.expect("json");
        assert!(v["Message"].is_string());
    }
}

// §12 item 8: GET /Contacts → bare array of at most 100 records, by CONTACT_ID ascending.
#[tokio::test]
async fn s12_08_list_is_bare_array_of_100_ascending() {
    let t = T::new().await;
    let (s, v) = t.get("Contacts").await;
    assert_eq!(s, 200);
    let got = ids(&v, "CONTACT_ID");
    assert_eq!(got.len(), 100);
    assert!(got.windows(2).all(|w| w[0] < w[1]));
}

// §12 item 9: top=500 returns up to 500; top=1000 returns at most 500.
#[tokio::test]
async fn s12_09_top_is_capped_at_500() {
    let t = T::start(opts(620)).await;
    let (_, v) = t.get("Contacts?top=500&skip=0").await;
    assert_eq!(v.as_array().map(Vec::len), Some(500));
    let (_, v) = t.get("Contacts?top=1000").await;
    assert_eq!(v.as_array().map(Vec::len), Some(500));
    let (_, v) = t.get("Contacts?top=7").await;
    assert_eq!(v.as_array().map(Vec::len), Some(7));
}

// §12 item 10: skip=2&top=2&count_total=true → 2 records and X-Total-Count; True behaves the same.
#[tokio::test]
async fn s12_10_count_total() {
    let t = T::new().await;
    let (_, all) = t.get("Contacts?top=500").await;
    let all = ids(&all, "CONTACT_ID");
    for flag in ["true", "True"] {
        let r = t
            .raw(
                Method::GET,
                &format!("Contacts?skip=2&top=2&count_total={flag}"),
                Some(t.auth()),
                None,
            )
            .await;
        assert_eq!(header(&r, "x-total-count"), Some(all.len().to_string()));
        let v: Value = r.json().await.expect("json");
        assert_eq!(ids(&v, "CONTACT_ID"), all[2..4].to_vec());
    }
    let r = t
        .raw(Method::GET, "Contacts?top=2", Some(t.auth()), None)
        .await;
    assert!(header(&r, "x-total-count").is_none());
}

// §12 item 11: brief=true → records without CUSTOMFIELDS, TAGS, DATES, LINKS keys.
#[tokio::test]
async fn s12_11_brief_drops_sub_collections() {
    let t = T::new().await;
    let (_, v) = t.get("Contacts?brief=true&top=20").await;
    for r in v.as_array().expect("array") {
        for key in ["CUSTOMFIELDS", "TAGS", "DATES", "LINKS"] {
            assert!(r.get(key).is_none(), "{key}");
        }
        assert!(r.get("CONTACT_ID").is_some() && r.get("LAST_NAME").is_some());
    }
    let (_, full) = t.get("Contacts?top=1").await;
    for key in ["CUSTOMFIELDS", "TAGS", "DATES", "LINKS"] {
        assert!(full[0][key].is_array(), "{key}");
    }
}

// §12 item 12: Search?field_name=EMAIL_ADDRESS&field_value=ada@example.com → only matches; [] when none.
#[tokio::test]
async fn s12_12_search_standard_field() {
    let t = T::new().await;
    let (s, created) = t.post("Contacts", json!({"FIRST_NAME": "Ada", "LAST_NAME": "Lovelace", "EMAIL_ADDRESS": "ada@example.com"})).await;
    assert_eq!(s, 200);
    let (s, v) = t
        .get("Contacts/Search?field_name=EMAIL_ADDRESS&field_value=ada@example.com")
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        ids(&v, "CONTACT_ID"),
        vec![created["CONTACT_ID"].as_u64().expect("id")]
    );
    let (s, v) = t
        .get("Contacts/Search?field_name=EMAIL_ADDRESS&field_value=nobody@nowhere.invalid")
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!([])));
    let (s, _) = t
        .get("Contacts/Search?field_name=NOT_A_FIELD&field_value=x")
        .await;
    assert_eq!(s, 400);
    let (s, _) = t.get("Contacts/Search?field_name=LAST_NAME").await;
    assert_eq!(s, 400);
}

// §12 item 13: Search?field_name=Region__c&field_value=EMEA matches on a custom field.
#[tokio::test]
async fn s12_13_search_custom_field() {
    let t = T::new().await;
    let (s, v) = t
        .get("Contacts/Search?field_name=Region__c&field_value=EMEA&top=500")
        .await;
    assert_eq!(s, 200);
    let rows = v.as_array().expect("array");
    assert!(!rows.is_empty());
    for r in rows {
        let region = r["CUSTOMFIELDS"]
            .as_array()
            .and_then(|c| c.iter().find(|f| f["FIELD_NAME"] == "Region__c"))
            .map(|f| f["FIELD_VALUE"].clone());
        assert_eq!(region, Some(json!("EMEA")));
    }
    let (s, _) = t
        .get("Contacts/Search?field_name=Nope__c&field_value=EMEA")
        .await;
    assert_eq!(s, 400);
}

// §12 item 14: updated_after_utc is strictly after, at one-second resolution; ISO `Z` and
// the space form give the same result.
#[tokio::test]
async fn s12_14_updated_after_is_exclusive() {
    let t = T::new().await;
    let c = t.first_contact().await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let updated = c["DATE_UPDATED_UTC"].as_str().expect("date").to_string();
    let at = chrono::NaiveDateTime::parse_from_str(&updated, "%Y-%m-%d %H:%M:%S").expect("parse");
    let before = at - chrono::Duration::seconds(1);
    let iso = |d: chrono::NaiveDateTime| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let space = |d: chrono::NaiveDateTime| d.format("%Y-%m-%d %H:%M:%S").to_string();
    let search = |cursor: String| {
        let url = t.url("Contacts/Search");
        let auth = t.auth();
        let http = t.http.clone();
        async move {
            let r = http
                .get(url)
                .header("Authorization", auth)
                .query(&[("updated_after_utc", cursor.as_str()), ("top", "500")])
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.expect("json");
            v
        }
    };
    for cursor in [iso(at), space(at)] {
        let v = search(cursor).await;
        assert!(!ids(&v, "CONTACT_ID").contains(&id));
        for r in v.as_array().expect("array") {
            assert!(r["DATE_UPDATED_UTC"].as_str().expect("date") > updated.as_str());
        }
    }
    for cursor in [iso(before), space(before)] {
        assert!(ids(&search(cursor).await, "CONTACT_ID").contains(&id));
    }
    let (s, _) = t.get("Contacts/Search?updated_after_utc=yesterday").await;
    assert_eq!(s, 400);
}

// §12 item 15: SearchByTag?tagName=vip → contacts carrying that tag.
#[tokio::test]
async fn s12_15_search_by_tag() {
    let t = T::new().await;
    let (s, v) = t.get("Contacts/SearchByTag?tagName=VIP&top=500").await;
    assert_eq!(s, 200);
    let rows = v.as_array().expect("array");
    assert!(!rows.is_empty());
    for r in rows {
        assert!(
            r["TAGS"]
                .as_array()
                .expect("tags")
                .iter()
                .any(|x| x["TAG_NAME"] == "VIP")
        );
    }
    let (_, lower) = t.get("Contacts/SearchByTag?tagName=vip&top=500").await;
    assert_eq!(lower.as_array().map(Vec::len), Some(rows.len()));
    let (s, _) = t.get("Contacts/SearchByTag").await;
    assert_eq!(s, 400);
}

// §12 item 16: POST /Contacts {"LAST_NAME": "Łukasiewicz"} → 200 (configurable 201), full object.
#[tokio::test]
async fn s12_16_create_contact() {
    let t = T::new().await;
    let (s, c) = t
        .post(
            "Contacts",
            json!({"LAST_NAME": "Łukasiewicz", "CONTACT_ID": 5}),
        )
        .await;
    assert_eq!(s, 200);
    let id = c["CONTACT_ID"].as_u64().expect("id");
    assert_ne!(id, 5, "an ID in the body is ignored");
    let created = c["DATE_CREATED_UTC"].as_str().expect("created");
    assert!(is_body_date(created));
    assert_eq!(c["DATE_UPDATED_UTC"], c["DATE_CREATED_UTC"]);
    assert_eq!(c["VISIBLE_TO"], "EVERYONE");
    let me = t.sim.user_keys()[0].0;
    assert_eq!(c["OWNER_USER_ID"].as_u64(), Some(me));
    assert_eq!(c["CREATED_USER_ID"].as_u64(), Some(me));
    for key in ["CUSTOMFIELDS", "TAGS", "DATES", "LINKS"] {
        assert_eq!(c[key], json!([]), "{key}");
    }
    let (_, back) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(back["LAST_NAME"], "Łukasiewicz");
    assert_eq!(back, c);

    let t201 = T::start(InsightlySimOptions {
        create_status: 201,
        ..opts(10)
    })
    .await;
    let (s, _) = t201.post("Contacts", json!({"FIRST_NAME": "山田"})).await;
    assert_eq!(s, 201);
}

// §12 item 17: POST /Contacts with neither FIRST_NAME nor LAST_NAME → 400 {"Message": ...}.
#[tokio::test]
async fn s12_17_create_contact_needs_a_name() {
    let t = T::new().await;
    for body in [
        json!({"EMAIL_ADDRESS": "x@example.com"}),
        json!({"FIRST_NAME": null, "LAST_NAME": "  "}),
    ] {
        let (s, v) = t.post("Contacts", body).await;
        assert_eq!(s, 400);
        assert!(v["Message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

// §12 item 18: POST /Organisations without ORGANISATION_NAME → 400; POST /Organizations → 404.
#[tokio::test]
async fn s12_18_organisation_name_and_spelling() {
    let t = T::new().await;
    let (s, _) = t.post("Organisations", json!({"PHONE": "+44 1"})).await;
    assert_eq!(s, 400);
    let (s, v) = t
        .post("Organizations", json!({"ORGANISATION_NAME": "Acme"}))
        .await;
    assert_eq!(s, 404);
    assert!(v["Message"].is_string());
    let (s, o) = t
        .post(
            "Organisations",
            json!({"ORGANISATION_NAME": "Ateliers Lumière"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(o["EMAILDOMAINS"], json!([]));
}

// §12 item 19: PUT /Contacts {"CONTACT_ID": id, "TITLE": "CEO"} → only TITLE changes, DATE_UPDATED_UTC advances.
#[tokio::test]
async fn s12_19_partial_put() {
    let t = T::new().await;
    let before = t.first_contact().await;
    let id = before["CONTACT_ID"].as_u64().expect("id");
    let (s, after) = t
        .put("Contacts", json!({"CONTACT_ID": id, "TITLE": "CEO"}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(after["TITLE"], "CEO");
    assert!(after["DATE_UPDATED_UTC"].as_str() > before["DATE_UPDATED_UTC"].as_str());
    for (k, v) in before.as_object().expect("object") {
        if k != "TITLE" && k != "DATE_UPDATED_UTC" {
            assert_eq!(&after[k], v, "{k} unchanged");
        }
    }
    let (_, back) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(back, after);
}

// §12 item 20: PUT with "PHONE": null clears it; without CONTACT_ID → 400; unknown ID → 404.
#[tokio::test]
async fn s12_20_put_null_clears_and_errors() {
    let t = T::new().await;
    let (_, c) = t
        .post(
            "Contacts",
            json!({"LAST_NAME": "Núñez", "PHONE": "+34 91 000 00 00"}),
        )
        .await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let (s, v) = t
        .put("Contacts", json!({"CONTACT_ID": id, "PHONE": null}))
        .await;
    assert_eq!(s, 200);
    assert!(v["PHONE"].is_null());
    assert_eq!(v["LAST_NAME"], "Núñez");
    let (s, v) = t.put("Contacts", json!({"TITLE": "CEO"})).await;
    assert_eq!(s, 400);
    assert!(v["Message"].is_string());
    let (s, _) = t
        .put(
            "Contacts",
            json!({"CONTACT_ID": 999_999_999u64, "TITLE": "CEO"}),
        )
        .await;
    assert_eq!(s, 404);
}

// §12 item 21: PUT /Contacts/{id} (ID in the path) → 405.
#[tokio::test]
async fn s12_21_put_with_id_in_path_is_405() {
    let t = T::new().await;
    let id = t.first_contact().await["CONTACT_ID"].as_u64().expect("id");
    let (s, v) = t
        .put(
            &format!("Contacts/{id}"),
            json!({"CONTACT_ID": id, "TITLE": "CEO"}),
        )
        .await;
    assert_eq!(s, 405);
    assert!(v["Message"].is_string());
}

// §12 item 22: DELETE /Contacts/{id} → 202 empty; then 404 and gone from lists and searches.
#[tokio::test]
async fn s12_22_delete() {
    let t = T::new().await;
    let (_, c) = t
        .post(
            "Contacts",
            json!({"LAST_NAME": "Gone", "EMAIL_ADDRESS": "gone@example.com"}),
        )
        .await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let r = t
        .raw(
            Method::DELETE,
            &format!("Contacts/{id}"),
            Some(t.auth()),
            None,
        )
        .await;
    assert_eq!(r.status(), 202);
    assert!(r.bytes().await.expect("body").is_empty());
    let (s, _) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(s, 404);
    let (_, all) = t.get("Contacts?top=500&brief=true").await;
    assert!(!ids(&all, "CONTACT_ID").contains(&id));
    let (_, found) = t
        .get("Contacts/Search?field_name=EMAIL_ADDRESS&field_value=gone@example.com")
        .await;
    assert_eq!(found, json!([]));
    let r = t
        .raw(
            Method::DELETE,
            &format!("Contacts/{id}"),
            Some(t.auth()),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
    let t204 = T::start(InsightlySimOptions {
        delete_status: 204,
        ..opts(10)
    })
    .await;
    let id = t204.first_contact().await["CONTACT_ID"]
        .as_u64()
        .expect("id");
    let r = t204
        .raw(
            Method::DELETE,
            &format!("Contacts/{id}"),
            Some(t204.auth()),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
}

// §12 item 23: GET /Contacts/999999999 → 404 {"Message": ...}.
#[tokio::test]
async fn s12_23_unknown_id_is_404() {
    let t = T::new().await;
    let (s, v) = t.get("Contacts/999999999").await;
    assert_eq!(s, 404);
    assert!(
        v["Message"]
            .as_str()
            .is_some_and(|m| m.contains("999999999"))
    );
}

// §12 item 24: POST /Contacts/{id}/Tags → 200; shows in TAGS and /Tags/Contacts; DELETE with same body → 202, gone.
#[tokio::test]
async fn s12_24_tags_sub_resource() {
    let t = T::new().await;
    let (_, c) = t.post("Contacts", json!({"LAST_NAME": "Tagged"})).await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let (s, v) = t
        .post(
            &format!("Contacts/{id}/Tags"),
            json!({"TAG_NAME": "brand-new-tag"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["TAG_NAME"], "brand-new-tag");
    let (_, c) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(c["TAGS"], json!([{"TAG_NAME": "brand-new-tag"}]));
    let (_, names) = t.get("Tags/Contacts").await;
    assert!(
        names
            .as_array()
            .expect("array")
            .iter()
            .any(|n| n["TAG_NAME"] == "brand-new-tag")
    );
    let (s, v) = t
        .call(
            Method::DELETE,
            &format!("Contacts/{id}/Tags"),
            Some(json!({"TAG_NAME": "brand-new-tag"})),
        )
        .await;
    assert_eq!((s, v), (StatusCode::ACCEPTED, Value::Null));
    let (_, c) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(c["TAGS"], json!([]));
    let (_, names) = t.get("Tags/Contacts").await;
    assert!(
        !names
            .as_array()
            .expect("array")
            .iter()
            .any(|n| n["TAG_NAME"] == "brand-new-tag")
    );
    // The query-string form of DELETE works too.
    t.post(&format!("Contacts/{id}/Tags"), json!({"TAG_NAME": "q"}))
        .await;
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("Contacts/{id}/Tags?tagName=q"),
            None,
        )
        .await;
    assert_eq!(s, 202);
    let (_, tags) = t.get(&format!("Contacts/{id}/Tags")).await;
    assert_eq!(tags, json!([]));
}

// §12 item 25: POST /Contacts/{id}/Links to an Organisation → 200 with LINK_ID; plural name or unknown id → 400.
#[tokio::test]
async fn s12_25_links() {
    let t = T::new().await;
    let (_, c) = t.post("Contacts", json!({"LAST_NAME": "Linked"})).await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let (_, orgs) = t.get("Organisations?top=1").await;
    let org = orgs[0]["ORGANISATION_ID"].as_u64().expect("org");
    let (s, link) = t
        .post(
            &format!("Contacts/{id}/Links"),
            json!({"LINK_OBJECT_NAME": "Organisation", "LINK_OBJECT_ID": org, "ROLE": "Buyer"}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(link["LINK_ID"].as_u64().is_some());
    assert_eq!(link["OBJECT_NAME"], "Contact");
    assert_eq!(link["LINK_OBJECT_ID"].as_u64(), Some(org));
    let (_, c) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(c["LINKS"].as_array().map(Vec::len), Some(1));
    // Seen from the organisation too, reversed.
    let (_, links) = t.get(&format!("Organisations/{org}/Links")).await;
    assert!(
        links
            .as_array()
            .expect("array")
            .iter()
            .any(|l| l["LINK_ID"] == link["LINK_ID"] && l["IS_FORWARD"] == false)
    );
    let (s, _) = t
        .post(
            &format!("Contacts/{id}/Links"),
            json!({"LINK_OBJECT_NAME": "Organisations", "LINK_OBJECT_ID": org}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .post(
            &format!("Contacts/{id}/Links"),
            json!({"LINK_OBJECT_NAME": "Organisation", "LINK_OBJECT_ID": 999_999_999u64}),
        )
        .await;
    assert_eq!(s, 400);
    let lid = link["LINK_ID"].as_u64().expect("id");
    let (s, _) = t
        .call(Method::DELETE, &format!("Contacts/{id}/Links/{lid}"), None)
        .await;
    assert_eq!(s, 202);
    let (_, links) = t.get(&format!("Contacts/{id}/Links")).await;
    assert_eq!(links, json!([]));
}

// §12 item 26: POST /Notes → 405; POST /Contacts/{id}/Notes → 200 Note linked to the contact.
#[tokio::test]
async fn s12_26_notes_only_via_parent() {
    let t = T::new().await;
    let (s, _) = t.post("Notes", json!({"TITLE": "Call", "BODY": "x"})).await;
    assert_eq!(s, 405);
    let id = t.first_contact().await["CONTACT_ID"].as_u64().expect("id");
    let (s, note) = t
        .post(
            &format!("Contacts/{id}/Notes"),
            json!({"TITLE": "Call", "BODY": "<p>hi</p>"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(note["BODY"], "<p>hi</p>");
    let links = note["LINKS"].as_array().expect("links");
    assert!(links.iter().any(|l| l["LINK_OBJECT_NAME"] == "Contact" && l["LINK_OBJECT_ID"].as_u64() == Some(id)));
    let nid = note["NOTE_ID"].as_u64().expect("id");
    let (_, notes) = t.get(&format!("Contacts/{id}/Notes")).await;
    assert!(ids(&notes, "NOTE_ID").contains(&nid));
    let (s, n) = t.get(&format!("Notes/{nid}")).await;
    assert_eq!((s, n["TITLE"].clone()), (StatusCode::OK, json!("Call")));
    let (s, _) = t
        .post(&format!("Contacts/{id}/Notes"), json!({"BODY": "no title"}))
        .await;
    assert_eq!(s, 400);
}

// §12 item 27: OPPORTUNITY_STATE "open" → OPEN; "Maybe" → 400; a STAGE_ID of another pipeline → 400.
#[tokio::test]
async fn s12_27_opportunity_state_and_stage() {
    let t = T::new().await;
    let (s, o) = t
        .post(
            "Opportunities",
            json!({"OPPORTUNITY_NAME": "Deal", "OPPORTUNITY_STATE": "open", "BID_AMOUNT": 12000.5}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(o["OPPORTUNITY_STATE"], "OPEN");
    assert_eq!(o["OPPORTUNITY_VALUE"], json!(12000.5));
    let (s, _) = t
        .post(
            "Opportunities",
            json!({"OPPORTUNITY_NAME": "Deal", "OPPORTUNITY_STATE": "Maybe"}),
        )
        .await;
    assert_eq!(s, 400);
    let (_, stages) = t.get("PipelineStages").await;
    let stages = stages.as_array().expect("array");
    let a = &stages[0];
    let b = stages
        .iter()
        .find(|s| s["PIPELINE_ID"] != a["PIPELINE_ID"])
        .expect("second pipeline");
    let (s, _) = t
        .post("Opportunities", json!({"OPPORTUNITY_NAME": "Deal", "PIPELINE_ID": a["PIPELINE_ID"], "STAGE_ID": b["STAGE_ID"]}))
        .await;
    assert_eq!(s, 400);
    let (s, ok) = t
        .post("Opportunities", json!({"OPPORTUNITY_NAME": "Deal", "PIPELINE_ID": a["PIPELINE_ID"], "STAGE_ID": a["STAGE_ID"]}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(ok["STAGE_ID"], a["STAGE_ID"]);
}

// §12 item 28: Task STATUS "In Progress" → IN PROGRESS; TAGS on a task are ignored.
#[tokio::test]
async fn s12_28_task_status_and_no_tags() {
    let t = T::new().await;
    let (s, task) = t
        .post(
            "Tasks",
            json!({"TITLE": "Call back", "STATUS": "In Progress", "TAGS": [{"TAG_NAME": "x"}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(task["STATUS"], "IN PROGRESS");
    assert_eq!(task["COMPLETED"], false);
    assert!(task.get("TAGS").is_none());
    let id = task["TASK_ID"].as_u64().expect("id");
    let (_, done) = t
        .put("Tasks", json!({"TASK_ID": id, "COMPLETED": true}))
        .await;
    assert_eq!(done["STATUS"], "COMPLETED");
    assert!(
        done["COMPLETED_DATE_UTC"]
            .as_str()
            .is_some_and(is_body_date)
    );
    let (_, undone) = t
        .put("Tasks", json!({"TASK_ID": id, "STATUS": "not started"}))
        .await;
    assert_eq!(undone["COMPLETED"], false);
    assert!(undone["COMPLETED_DATE_UTC"].is_null());
}

// §12 item 29: /Pipelines and /PipelineStages are flat arrays; stage PIPELINE_IDs exist;
// /CustomFields/Contacts returns the seeded definitions.
#[tokio::test]
async fn s12_29_pipelines_stages_custom_fields() {
    let t = T::new().await;
    let (_, pipelines) = t.get("Pipelines").await;
    let pids = ids(&pipelines, "PIPELINE_ID");
    assert!(pids.len() >= 2);
    assert!(pipelines[0].get("STAGES").is_none());
    let (_, stages) = t.get("PipelineStages").await;
    for s in stages.as_array().expect("array") {
        assert!(pids.contains(&s["PIPELINE_ID"].as_u64().expect("pipeline")));
        assert!(s["STAGE_ORDER"].as_u64().is_some_and(|o| o >= 1));
    }
    let (_, one) = t.get(&format!("Pipelines/{}", pids[0])).await;
    assert_eq!(one["PIPELINE_ID"].as_u64(), Some(pids[0]));
    let (_, defs) = t.get("CustomFields/Contacts").await;
    let defs = defs.as_array().expect("array");
    assert!(
        defs.iter()
            .any(|d| d["FIELD_NAME"] == "Region__c" && d["FIELD_TYPE"] == "DROPDOWN")
    );
    for d in defs {
        assert!(d["FIELD_NAME"].as_str().is_some_and(|n| n.ends_with("__c")));
        assert_eq!(d["FIELD_FOR"], "CONTACT");
    }
    let types: std::collections::HashSet<&str> = defs
        .iter()
        .filter_map(|d| d["FIELD_TYPE"].as_str())
        .collect();
    for ty in [
        "TEXT",
        "NUMERIC",
        "CURRENCY",
        "DATE",
        "DATETIME",
        "BIT",
        "DROPDOWN",
        "MULTISELECT",
        "URL",
    ] {
        assert!(types.contains(ty), "{ty}");
    }
}

// §12 item 30: Leads disabled → GET /Leads 403 while /Contacts 200; stale If-Match → 400;
// every 200 has an ETag; Accept-Encoding: gzip → Content-Encoding: gzip.
#[tokio::test]
async fn s12_30_leads_switch_if_match_etag_gzip() {
    let t = T::new().await;
    let (s, leads) = t.get("Leads").await;
    assert_eq!(s, 200);
    assert!(leads.as_array().is_some_and(|l| !l.is_empty()));
    t.sim.set_leads_enabled(false);
    let (s, v) = t.get("Leads").await;
    assert_eq!(s, 403);
    assert!(v["Message"].is_string());
    let (s, _) = t.get("Contacts").await;
    assert_eq!(s, 200);
    let t_off = T::start(InsightlySimOptions {
        leads_enabled: false,
        ..opts(10)
    })
    .await;
    assert_eq!(t_off.get("Leads").await.0, 403);

    let c = t.first_contact().await;
    let id = c["CONTACT_ID"].as_u64().expect("id");
    let r = t
        .raw(Method::GET, &format!("Contacts/{id}"), Some(t.auth()), None)
        .await;
    let etag = header(&r, "etag").expect("etag on 200");
    for path in ["Users/Me", "Contacts?top=2", "Pipelines"] {
        let r = t.raw(Method::GET, path, Some(t.auth()), None).await;
        assert!(header(&r, "etag").is_some(), "{path}");
    }
    let put = |tag: String, title: &'static str| {
        t.http
            .put(t.url("Contacts"))
            .header("Authorization", t.auth())
            .header("If-Match", tag)
            .json(&json!({"CONTACT_ID": id, "TITLE": title}))
            .send()
    };
    let r = put(etag.clone(), "CTO").await.expect("send");
    assert_eq!(r.status(), 200, "current ETag accepted");
    let r = put(etag, "CFO").await.expect("send");
    assert_eq!(r.status(), 400, "stale ETag refused");
    let v: Value = r.json().await.expect("json");
    assert!(
        v["Message"]
            .as_str()
            .is_some_and(|m| m.contains("If-Match"))
    );

    let r = t
        .http
        .get(t.url("Contacts?top=5"))
        .header("Authorization", t.auth())
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("send");
    assert_eq!(header(&r, "content-encoding").as_deref(), Some("gzip"));
    let bytes = r.bytes().await.expect("body");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .expect("gunzip");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(5));
}
