//! The search-lag knob on both simulators, on a manual clock: a write reaches the search
//! endpoints only `search_lag` after it was made; lists and reads by id see it at once.

use std::time::Duration;

use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{
    CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, InsightlySim, InsightlySimHandle,
    InsightlySimOptions, SimClock,
};

const LAG: Duration = Duration::from_secs(30);

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn tiny() -> SeedOptions {
    SeedOptions {
        seed: 9,
        records: 6,
    }
}

struct Ins {
    sim: InsightlySimHandle,
    c: Client,
    auth: String,
}

impl Ins {
    async fn start(clock: SimClock) -> Ins {
        let sim = InsightlySim::start(InsightlySimOptions {
            seed: tiny(),
            requests_per_second: 0,
            clock,
            search_lag: LAG,
            ..InsightlySimOptions::default()
        })
        .await
        .unwrap();
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.api_key))
        );
        Ins {
            sim,
            c: client(),
            auth,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, Option<String>) {
        let mut rb = self
            .c
            .request(method, format!("{}{path}", self.sim.base_url))
            .header("Authorization", &self.auth);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let total = r
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, v, total)
    }

    async fn ids(&self, path: &str) -> Vec<u64> {
        let (s, v, _) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(s, 200, "{path}: {v}");
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["CONTACT_ID"].as_u64().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn insightly_new_contact_reaches_search_only_after_the_lag() {
    let clock = SimClock::manual_default();
    let t = Ins::start(clock.clone()).await;
    let before = "2025-06-02T08:59:59Z";
    let (s, c, _) = t
        .send(
            reqwest::Method::POST,
            "Contacts",
            Some(json!({"FIRST_NAME": "Lagged", "LAST_NAME": "Search", "EMAIL_ADDRESS": "lag@example.com"})),
        )
        .await;
    assert_eq!(s, 200);
    let id = c["CONTACT_ID"].as_u64().unwrap();
    assert_eq!(
        t.send(
            reqwest::Method::POST,
            &format!("Contacts/{id}/Tags"),
            Some(json!({"TAG_NAME": "lagtag"}))
        )
        .await
        .0,
        200
    );
    let by_email = "Contacts/Search?field_name=EMAIL_ADDRESS&field_value=lag@example.com";
    let since = format!("Contacts/Search?updated_after_utc={before}&count_total=true");
    let by_tag = "Contacts/SearchByTag?tagName=lagtag";
    // Reads by id and plain lists see it at once; the search endpoints do not.
    assert_eq!(
        t.send(reqwest::Method::GET, &format!("Contacts/{id}"), None)
            .await
            .0,
        200
    );
    assert!(t.ids("Contacts?top=500").await.contains(&id));
    assert!(t.ids(by_email).await.is_empty());
    assert!(t.ids(&since).await.is_empty());
    assert!(t.ids(by_tag).await.is_empty());
    let (_, _, total) = t.send(reqwest::Method::GET, &since, None).await;
    assert_eq!(
        total.as_deref(),
        Some("0"),
        "the total agrees with the page"
    );
    // One millisecond before the lag has passed: still invisible.
    clock.advance(LAG - Duration::from_millis(1));
    assert!(t.ids(by_email).await.is_empty());
    clock.advance(Duration::from_millis(1));
    assert_eq!(t.ids(by_email).await, vec![id]);
    assert_eq!(t.ids(&since).await, vec![id]);
    assert_eq!(t.ids(by_tag).await, vec![id]);
    let (_, _, total) = t.send(reqwest::Method::GET, &since, None).await;
    assert_eq!(total.as_deref(), Some("1"));
}

#[tokio::test]
async fn insightly_update_shows_the_previous_version_until_the_lag_has_passed() {
    let clock = SimClock::manual_default();
    let t = Ins::start(clock.clone()).await;
    let (_, c, _) = t
        .send(
            reqwest::Method::POST,
            "Contacts",
            Some(json!({"FIRST_NAME": "Old", "LAST_NAME": "Name-ZZ"})),
        )
        .await;
    let id = c["CONTACT_ID"].as_u64().unwrap();
    let created = c["DATE_UPDATED_UTC"].as_str().unwrap().to_string();
    clock.advance(LAG + Duration::from_secs(5));
    let (s, u, _) = t
        .send(
            reqwest::Method::PUT,
            "Contacts",
            Some(json!({"CONTACT_ID": id, "LAST_NAME": "New-ZZ"})),
        )
        .await;
    assert_eq!(s, 200);
    let updated = u["DATE_UPDATED_UTC"].as_str().unwrap().to_string();
    assert!(updated > created);
    let old_q = "Contacts/Search?field_name=LAST_NAME&field_value=Name-ZZ";
    let new_q = "Contacts/Search?field_name=LAST_NAME&field_value=New-ZZ";
    let since_created = format!(
        "Contacts/Search?updated_after_utc={}",
        created.replace(' ', "%20")
    );
    // The index still holds the old version, with its old DATE_UPDATED_UTC.
    let (_, old, _) = t.send(reqwest::Method::GET, old_q, None).await;
    assert_eq!(old.as_array().unwrap().len(), 1);
    assert_eq!(old[0]["DATE_UPDATED_UTC"], json!(created));
    assert!(t.ids(new_q).await.is_empty());
    assert!(!t.ids(&since_created).await.contains(&id));
    // A second write during the lag pushes visibility back.
    clock.advance(Duration::from_secs(20));
    t.send(
        reqwest::Method::PUT,
        "Contacts",
        Some(json!({"CONTACT_ID": id, "TITLE": "Dr"})),
    )
    .await;
    clock.advance(Duration::from_secs(20));
    assert_eq!(
        t.ids(old_q).await,
        vec![id],
        "30 s after the first write, 20 s after the second"
    );
    clock.advance(Duration::from_secs(10));
    assert!(t.ids(old_q).await.is_empty());
    assert_eq!(t.ids(new_q).await, vec![id]);
    assert!(t.ids(&since_created).await.contains(&id));
    // Deletes are not delayed.
    assert_eq!(
        t.send(reqwest::Method::DELETE, &format!("Contacts/{id}"), None)
            .await
            .0,
        202
    );
    assert!(t.ids(new_q).await.is_empty());
}

async fn capsule(clock: SimClock) -> (CapsuleSimHandle, Client) {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: tiny(),
        clock,
        search_lag: LAG,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    (sim, client())
}

async fn capsule_names(sim: &CapsuleSimHandle, c: &Client, path: &str, key: &str) -> Vec<String> {
    let r = c
        .get(format!("{}{path}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["name"]
                .as_str()
                .map(str::to_string)
                .or_else(|| p["lastName"].as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn capsule_search_lags_behind_creates_and_updates() {
    let clock = SimClock::manual_default();
    let (sim, c) = capsule(clock.clone()).await;
    let r = c
        .post(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation", "name": "Laggard Holdings"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let id = v["party"]["id"].as_u64().unwrap();
    let search = "parties/search?q=laggard";
    assert!(capsule_names(&sim, &c, search, "parties").await.is_empty());
    // Show and the `since` list are immediate.
    let shown = c
        .get(format!("{}parties/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    let listed = capsule_names(&sim, &c, "parties?since=2025-06-01T00:00:00Z", "parties").await;
    assert_eq!(listed, vec!["Laggard Holdings"]);
    clock.advance(LAG);
    assert_eq!(
        capsule_names(&sim, &c, search, "parties").await,
        vec!["Laggard Holdings"]
    );
    // Rename: the old name stays searchable for the lag, the new one is not yet.
    let r = c
        .put(format!("{}parties/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"name": "Prompt Holdings"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        capsule_names(&sim, &c, search, "parties").await,
        vec!["Laggard Holdings"]
    );
    assert!(
        capsule_names(&sim, &c, "parties/search?q=prompt", "parties")
            .await
            .is_empty()
    );
    clock.advance(LAG);
    assert!(capsule_names(&sim, &c, search, "parties").await.is_empty());
    assert_eq!(
        capsule_names(&sim, &c, "parties/search?q=prompt", "parties").await,
        vec!["Prompt Holdings"]
    );
    // The knob can be turned off at run time: new writes are searchable at once.
    sim.set_search_lag(Duration::ZERO);
    let r = c
        .post(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "person", "lastName": "Immediato"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        capsule_names(&sim, &c, "parties/search?q=immediato", "parties").await,
        vec!["Immediato"]
    );
}

#[tokio::test]
async fn capsule_opportunity_search_lags_too() {
    let clock = SimClock::manual_default();
    let (sim, c) = capsule(clock.clone()).await;
    let get = |path: String| {
        let c = c.clone();
        let token = sim.token.clone();
        async move {
            let v: Value = c
                .get(path)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    let parties = get(format!("{}parties?perPage=1", sim.base_url)).await;
    let party = parties["parties"][0]["id"].as_u64().unwrap();
    let ms = get(format!("{}milestones", sim.base_url)).await;
    let milestone = ms["milestones"][0]["id"].as_u64().unwrap();
    let r = c
        .post(format!("{}opportunities", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"opportunity": {"name": "Slow index deal", "party": {"id": party}, "milestone": {"id": milestone}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let q = format!("{}opportunities/search?q=slow%20index", sim.base_url);
    assert_eq!(get(q.clone()).await["opportunities"], json!([]));
    clock.advance(LAG);
    assert_eq!(
        get(q).await["opportunities"][0]["name"],
        json!("Slow index deal")
    );
}
