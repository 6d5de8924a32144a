//! Two clients with caches of their own (as two processes would be), sharing one tenant's
//! OAuth tokens only through a `RedisTokenStore` on a real `redis-server`, against the Capsule
//! simulator's `/oauth/token` (a refresh rotates the refresh token, and the old one and the
//! old access token die). Each round the simulator's clock passes the access token's expiry,
//! so both clients are refused at once and both want to refresh: across 1,000 rotations
//! there must be exactly one refresh per rotation and no lock-out (no failed request).

#[path = "../../unicrm-core/tests/support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use redis_server::{Redis, free_port};
use unicrm_capsule::{CapsuleClient, CapsuleOAuth, OAuthSettings, TokenSet, TokenStore};
use unicrm_core::Crm;
use unicrm_core::auth::RedisTokenStore;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

fn settings(h: &CapsuleSimHandle) -> OAuthSettings {
    OAuthSettings {
        client_id: h.client_id.clone(),
        client_secret: h.client_secret.clone().into(),
        token_url: h.oauth_token_url.to_string(),
        authorise_url: h.authorise_url.to_string(),
        revoke_url: h.revoke_url.to_string(),
    }
}

/// Tokens from the authorization-code grant (the simulator approves at once).
async fn first_tokens(h: &CapsuleSimHandle) -> TokenSet {
    let oauth = CapsuleOAuth::new(&settings(h)).unwrap();
    let redirect = "https://app.example/callback";
    let (url, _) = oauth.authorise_url(redirect, &["read", "write"]).unwrap();
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url.as_str())
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    oauth.exchange_code(&code, redirect).await.unwrap().tokens
}

fn client(h: &CapsuleSimHandle, tokens: &TokenSet, store: Arc<dyn TokenStore>) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .oauth(settings(h), tokens.clone())
        .token_store(store)
        .build()
        .unwrap()
}

#[tokio::test]
async fn two_clients_sharing_redis_rotate_one_token_1000_times_without_a_lock_out() {
    let redis = Redis::start_on(free_port());
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 3,
            records: 2,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let tokens = first_tokens(&h).await;
    let store = |_| -> Arc<dyn TokenStore> {
        Arc::new(RedisTokenStore::new(&redis.url(), "capsule", "tenant-1").unwrap())
    };
    let (a, b) = (client(&h, &tokens, store(0)), client(&h, &tokens, store(1)));
    a.current_user().await.unwrap();
    b.current_user().await.unwrap();
    h.reset_stats();
    let rounds = 1000;
    let mut lockouts = 0;
    for _ in 0..rounds {
        // Past the access token's expiry (7 days) on the vendor's clock.
        h.clock().advance(Duration::from_secs(8 * 24 * 3600));
        let (ra, rb) = tokio::join!(a.current_user(), b.current_user());
        lockouts += usize::from(ra.is_err()) + usize::from(rb.is_err());
    }
    assert_eq!(lockouts, 0);
    let stats = h.stats();
    assert_eq!(
        stats.per_path.get("POST /oauth/token").copied(),
        Some(rounds),
        "one refresh per rotation: {:?}",
        stats.per_path
    );
    // Both clients end on the stored pair.
    let stored = store(2).load().await.unwrap().unwrap();
    a.current_user().await.unwrap();
    b.current_user().await.unwrap();
    assert_eq!(
        h.stats().per_path.get("POST /oauth/token").copied(),
        Some(rounds)
    );
    assert!(stored.refresh_token.is_some());
    h.shutdown().await;
}
