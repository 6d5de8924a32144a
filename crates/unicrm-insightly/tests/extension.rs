//! Core's extension points, end to end over HTTP against the Insightly simulator: the
//! concurrent full listing taken through `Arc<dyn Crm>` (`Resource::stream_listing`), and
//! clients sharing one connection pool (`ClientOptions`).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::TryStreamExt;
use unicrm_core::http::{ClientOptions, ConnectionPool, RateLimiter};
use unicrm_core::{Contact, Crm, CrmExt, Error, ListParams, ResourceKind};
use unicrm_insightly::InsightlyClient;
use unicrm_insightly::paging::CONCURRENT_PAGES;
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

/// A "rate limiter" that lets everything through and records how many requests were waiting
/// for it at once. Each caller yields once inside `acquire`, so requests started together (a
/// concurrent listing's pages) are all inside at the same time, deterministically; requests
/// sent one after the other never are.
#[derive(Debug, Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    calls: AtomicUsize,
}

impl InFlight {
    fn take_max(&self) -> usize {
        self.max.swap(0, Ordering::SeqCst)
    }
}

#[async_trait]
impl RateLimiter for InFlight {
    async fn acquire(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn sim(records: usize) -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions { seed: 7, records },
        // No server-side burst limit: the counting limiter does not pace.
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn ids(records: &[Contact]) -> Vec<u64> {
    records
        .iter()
        .map(|c| c.id.as_str().parse().unwrap())
        .collect()
}

/// 2,100 contacts are five pages of 500: the first with the total, then four at once. The
/// listing is asked for through `Arc<dyn Crm>` only.
#[tokio::test]
async fn a_listing_through_dyn_crm_takes_the_concurrent_path() {
    let s = sim(2100).await;
    let limiter = Arc::new(InFlight::default());
    let crm: Arc<dyn Crm> = Arc::new(
        InsightlyClient::builder()
            .api_key(s.api_key.clone())
            .base_url(s.base_url.as_str())
            .rate_limiter(limiter.clone())
            .build()
            .unwrap(),
    );
    // Warm the custom field definitions cache (one request, cached).
    crm.custom_field_definitions(ResourceKind::Contact)
        .await
        .unwrap();
    limiter.take_max();
    s.reset_stats();

    let all: Vec<Contact> = crm.list_all(ListParams::new()).await.unwrap();
    let got = ids(&all);
    assert_eq!(got.len(), 2100);
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        2100,
        "a record twice"
    );
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "not in the vendor's order"
    );
    assert_eq!(limiter.take_max(), CONCURRENT_PAGES);
    let stats = s.stats();
    assert_eq!(
        stats.per_path.get("GET /v3.1/Contacts").copied(),
        Some(5),
        "{stats:?}"
    );
    assert_eq!(stats.requests, 5, "{stats:?}");

    // `stream_all` is the same stream.
    let streamed: Vec<Contact> = crm
        .stream_all::<Contact>(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&streamed), got);
    assert_eq!(limiter.take_max(), CONCURRENT_PAGES);

    // A page size asks for core's page loop over `list`: one page at a time, same records.
    s.reset_stats();
    let paged: Vec<Contact> = crm
        .list_all(ListParams::new().page_size(500))
        .await
        .unwrap();
    assert_eq!(ids(&paged), got);
    assert_eq!(limiter.take_max(), 1);
    assert_eq!(
        s.stats().per_path.get("GET /v3.1/Contacts").copied(),
        Some(5)
    );
}

#[tokio::test]
async fn the_concurrent_path_honours_max_pages() {
    let s = sim(1100).await;
    let crm: Arc<dyn Crm> = Arc::new(
        InsightlyClient::builder()
            .api_key(s.api_key.clone())
            .base_url(s.base_url.as_str())
            .rate_limiter(Arc::new(InFlight::default()))
            .build()
            .unwrap(),
    );
    // Three pages of 500: a limit of two fails loudly instead of truncating.
    let err = crm
        .list_all::<Contact>(ListParams::new().max_pages(2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    let all = crm
        .list_all::<Contact>(ListParams::new().max_pages(3))
        .await
        .unwrap();
    assert_eq!(all.len(), 1100);
}

/// Two tenants' clients built from one `ClientOptions` send through the same pool, and both
/// work; a client built without it has its own.
#[tokio::test]
async fn two_clients_share_one_connection_pool() {
    let s = sim(3).await;
    let pool = ConnectionPool::new().unwrap();
    let opts = ClientOptions::new()
        .connection_pool(pool.clone())
        .base_url(s.base_url.as_str());
    let keys = s.user_keys();
    assert!(keys.len() >= 2, "{keys:?}");
    let build = |key: &str| {
        InsightlyClient::builder()
            .options(opts.clone())
            .api_key(key.to_string())
            .rate_limiter(Arc::new(InFlight::default()))
            .build()
            .unwrap()
    };
    let a = build(&keys[0].1);
    let b = build(&keys[1].1);
    assert!(a.http().connection_pool().same_as(&pool));
    assert!(
        b.http()
            .connection_pool()
            .same_as(a.http().connection_pool())
    );
    let own = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .build()
        .unwrap();
    assert!(!own.http().connection_pool().same_as(&pool));
    let me_a = a.current_user().await.unwrap();
    let me_b = b.current_user().await.unwrap();
    assert_ne!(me_a.id, me_b.id);
    assert_eq!(me_a.id.as_str(), keys[0].0.to_string());
    assert_eq!(me_b.id.as_str(), keys[1].0.to_string());
    let listed: Vec<Contact> = a.list_all(ListParams::new()).await.unwrap();
    assert_eq!(
        listed.len(),
        b.list_all::<Contact>(ListParams::new())
            .await
            .unwrap()
            .len()
    );
    assert_eq!(s.stats().rate_limited, 0);
}
