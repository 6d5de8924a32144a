//! Parallel paging (`CapsuleClient::list_parties_ahead`) over HTTP against the Capsule
//! simulator with latency on every answer (the simulator's `latency_ms` knob): the records
//! come out as a page-by-page listing gives them, each once; the listing stops at the true
//! last page; requests stay within the hourly budget (no 429). Nothing here measures time:
//! requests are counted by the simulator.

use std::collections::HashSet;

use futures::TryStreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::ListParams;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SeedOptions};

async fn sim(records: usize, hourly_budget: u32) -> CapsuleSimHandle {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions { seed: 11, records },
        hourly_budget,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    h.set_faults(FaultConfig {
        latency_ms: 5,
        ..FaultConfig::default()
    });
    h
}

fn client(h: &CapsuleSimHandle) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap()
}

async fn sequential_ids(c: &CapsuleClient, params: &ListParams) -> Vec<String> {
    let mut params = params.clone();
    let mut ids = Vec::new();
    loop {
        let page = c.list_parties(&params).await.unwrap();
        ids.extend(page.items.iter().map(|p| p.id().to_string()));
        match page.next {
            Some(n) => params.cursor = Some(n),
            None => return ids,
        }
    }
}

fn list_requests(h: &CapsuleSimHandle) -> u64 {
    h.stats()
        .per_path
        .get("GET /api/v2/parties")
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn pages_ahead_give_every_party_once_in_the_page_by_page_order() {
    let h = sim(787, 4000).await; // 1,050 parties: 11 pages of 100, the last short
    let c = client(&h);
    let params = ListParams::new();
    let expected = sequential_ids(&c, &params).await;
    assert_eq!(expected.len(), 1050);
    h.reset_stats();
    let got: Vec<String> = c
        .list_parties_ahead(&params, 4)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, expected);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
    // 11 pages, plus at most 3 fetched beyond the last one while it was in flight.
    let sent = list_requests(&h);
    assert!((11..=14).contains(&sent), "{sent}");
    assert_eq!(h.stats().rate_limited, 0);
    h.shutdown().await;
}

#[tokio::test]
async fn a_full_last_page_without_next_ends_the_listing() {
    let h = sim(787, 4000).await;
    let c = client(&h);
    // 1,050 parties in exactly 21 pages of 50: the last one is full.
    let params = ListParams::new().page_size(50);
    c.list_parties(&params).await.unwrap(); // the field definitions, cached
    h.reset_stats();
    let expected = sequential_ids(&c, &params).await;
    // However the simulator ends it (no next on page 21, or an empty page 22), the
    // page-by-page listing reads to the true last page.
    let pages = list_requests(&h);
    assert!((21..=22).contains(&pages), "{pages}");
    h.reset_stats();
    // One page at a time is the page-by-page listing: no request beyond the last page.
    let one: Vec<String> = c
        .list_parties_ahead(&params, 1)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one, expected);
    assert_eq!(list_requests(&h), pages);
    // (Run last: requests dropped in flight may reach the simulator after the stream ends.)
    h.reset_stats();
    let got: Vec<String> = c
        .list_parties_ahead(&params, 6)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, expected);
    let sent = list_requests(&h);
    assert!((pages..=pages + 5).contains(&sent), "{sent}");

    h.shutdown().await;
}

#[tokio::test]
async fn the_pages_in_flight_never_exceed_the_hourly_budget_left() {
    // 12 requests an hour; a listing of 3 pages asked to run 16 ahead.
    let h = sim(200, 12).await; // 267 parties: 3 pages of 100
    let c = client(&h);
    let got: Vec<String> = c
        .list_parties_ahead(&ListParams::new(), 16)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 267);
    let stats = h.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    assert!(stats.requests <= 12, "{stats:?}");
    h.shutdown().await;
}

/// A `next` link that does not go by page number: the links are followed one by one from
/// there (nothing is fetched by number past page 1), and an error ends the listing.
#[tokio::test]
async fn links_that_do_not_go_by_page_number_are_followed_one_by_one() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let party = |id: u64| serde_json::json!({"id": id, "type": "person", "firstName": "P"});
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"parties": [party(1), party(2)]}))
                .insert_header(
                    "Link",
                    format!("<{}/api/v2/parties?cursor=abc>; rel=\"next\"", server.uri()).as_str(),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("cursor", "abc"))
        .respond_with(
            ResponseTemplate::new(200)
                // Party 2 again (it moved between pages): given once.
                .set_body_json(serde_json::json!({"parties": [party(2), party(3)]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = CapsuleClient::builder()
        .base_url(&format!("{}/api/v2/", server.uri()))
        .personal_access_token("t".to_string())
        .build()
        .unwrap();
    let got: Vec<String> = c
        .list_parties_ahead(&ListParams::new(), 8)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, ["1", "2", "3"]);
    server.verify().await;

    // A failing page ends the listing with its error.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(serde_json::json!({"message": "gone"})),
        )
        .mount(&server)
        .await;
    let all: Vec<_> =
        futures::StreamExt::collect(c.list_parties_ahead(&ListParams::new(), 8)).await;
    assert_eq!(all.len(), 1);
    assert!(all[0].as_ref().is_err_and(|e| e.is_not_found()), "{all:?}");
}
