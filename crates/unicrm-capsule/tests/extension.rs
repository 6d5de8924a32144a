//! Core's extension points, end to end over HTTP against the Capsule simulator: clients
//! sharing one connection pool and one rate limiter through `ClientOptions`, the Capsule error
//! parser plugged into the client (422 field names), and the listing through `Arc<dyn Crm>`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::StreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::http::{ClientOptions, ConnectionPool, RateLimiter};
use unicrm_core::{Account, Contact, Crm, CrmExt, Error, ListParams, NewAccount, ResourceExt};
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, SeedOptions};

/// Counts the requests it lets through.
#[derive(Debug, Default)]
struct Counting(AtomicUsize);

#[async_trait]
impl RateLimiter for Counting {
    async fn acquire(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn two_clients_share_one_pool_and_one_limiter() {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 12,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let pool = ConnectionPool::new().unwrap();
    let limiter = Arc::new(Counting::default());
    let opts = ClientOptions::new()
        .base_url(h.base_url.as_str())
        .connection_pool(pool.clone())
        .rate_limiter(limiter.clone());
    let build = || -> Arc<dyn Crm> {
        Arc::new(
            CapsuleClient::builder()
                .options(opts.clone())
                .personal_access_token(h.token.clone())
                .build()
                .unwrap(),
        )
    };
    let (a, b) = (build(), build());
    let concrete = CapsuleClient::builder()
        .options(opts.clone())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap();
    assert!(concrete.http().connection_pool().same_as(&pool));
    let own = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap();
    assert!(!own.http().connection_pool().same_as(&pool));
    // `pool`, `opts`, and the three clients built from `opts`.
    assert_eq!(pool.handles(), 5);

    let from_a: Vec<Contact> = a.list_all(ListParams::new()).await.unwrap();
    let from_b: Vec<Contact> = b.list_all(ListParams::new()).await.unwrap();
    assert!(!from_a.is_empty());
    let ids = |v: &[Contact]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_a), ids(&from_b));
    assert_eq!(
        ids(&from_a).into_iter().collect::<HashSet<_>>().len(),
        from_a.len()
    );
    // Every request of both clients passed the one limiter given in the options.
    let sent = h.stats().requests;
    assert_eq!(limiter.0.load(Ordering::SeqCst) as u64, sent);
    assert_eq!(a.stats().requests + b.stats().requests, sent);
    h.shutdown().await;
}

/// The plugged Capsule parser names the fields of a 422 on a real exchange.
#[tokio::test]
async fn a_422_from_the_simulator_names_its_field() {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 3,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap();
    let existing: Account = c
        .accounts()
        .stream_all(ListParams::new())
        .next()
        .await
        .expect("one account")
        .unwrap();
    let err = c
        .accounts()
        .create(&NewAccount {
            name: existing.name.clone(),
            ..NewAccount::default()
        })
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields, .. } => {
            assert!(
                fields.iter().any(|f| f.field.as_deref() == Some("name")),
                "{err}"
            );
        }
        other => panic!("{other:?}"),
    }
    h.shutdown().await;
}
