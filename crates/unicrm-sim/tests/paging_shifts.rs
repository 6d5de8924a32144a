//! Offset paging over data that changes underneath behaves like the real vendors: a record
//! deleted from an earlier page shifts every later record one place up, so a client reading
//! page by page skips one record it never sees — which is not deleted. Totals
//! (`X-Total-Count`, Insightly) are always the true current count.

use std::collections::BTreeSet;

use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

const OPTS: SeedOptions = SeedOptions {
    seed: 13,
    records: 120,
};

#[tokio::test]
async fn insightly_skip_top_shifts_after_a_delete_and_the_total_is_true() {
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
    let page = |skip: usize, path: &'static str| {
        let url = format!(
            "{}{path}?skip={skip}&top=50&brief=true&count_total=true",
            sim.base_url
        );
        let c = c.clone();
        let auth = auth.clone();
        async move {
            let r = c
                .get(url)
                .header("Authorization", auth)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let total: usize = r.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let v: Value = r.json().await.unwrap();
            let ids: Vec<u64> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["CONTACT_ID"].as_u64().unwrap())
                .collect();
            (ids, total)
        }
    };
    for path in ["Contacts", "Contacts/Search"] {
        let before: BTreeSet<u64> = {
            let (a, _) = page(0, "Contacts").await;
            let (b, _) = page(50, "Contacts").await;
            let (c2, _) = page(100, "Contacts").await;
            a.into_iter().chain(b).chain(c2).collect()
        };
        let (first, total) = page(0, path).await;
        assert_eq!(total, before.len());
        // Another user deletes a record of the first page while we read.
        let victim = first[7];
        let r = c
            .delete(format!("{}Contacts/{victim}", sim.base_url))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let (second, total_after) = page(50, path).await;
        assert_eq!(
            total_after,
            before.len() - 1,
            "the total is the current count"
        );
        let (third, _) = page(100, path).await;
        let seen: BTreeSet<u64> = first.iter().chain(&second).chain(&third).copied().collect();
        let missed: Vec<u64> = before
            .iter()
            .filter(|id| **id != victim && !seen.contains(id))
            .copied()
            .collect();
        // Exactly one survivor was skipped at the page boundary: the record that moved from
        // offset 50 to 49.
        let ordered: Vec<u64> = before.iter().copied().collect();
        assert_eq!(missed, vec![ordered[50]], "{path}");
        let r = c
            .get(format!("{}Contacts/{}", sim.base_url, ordered[50]))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "the skipped record still exists"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn capsule_page_numbers_shift_after_a_delete() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: OPTS,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let page = |n: usize| {
        let url = format!("{}parties?perPage=50&page={n}", sim.base_url);
        let c = c.clone();
        let token = sim.token.clone();
        async move {
            let r = c.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let v: Value = r.json().await.unwrap();
            v["parties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_u64().unwrap())
                .collect::<Vec<u64>>()
        }
    };
    let mut before = Vec::new();
    for n in 1..=4 {
        before.extend(page(n).await);
    }
    let first = page(1).await;
    // A party of page 1 (an organisation's people stay, with the link cleared).
    let victim = first[3];
    let r = c
        .delete(format!("{}parties/{victim}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut seen: BTreeSet<u64> = first.into_iter().collect();
    for n in 2..=4 {
        seen.extend(page(n).await);
    }
    let missed: Vec<u64> = before
        .iter()
        .filter(|id| **id != victim && !seen.contains(id))
        .copied()
        .collect();
    assert_eq!(missed, vec![before[50]]);
    sim.shutdown().await;
}
