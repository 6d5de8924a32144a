//! The OAuth authorization-code exchange (docs/vendors/highlevel-v2.md, "OAuth 2.0
//! authorization-code flow", "Token refresh and rotation"): the exact form sent (wiremock),
//! and, over the simulator, a code becoming tokens that go through the token store and then
//! rotate through it.

use std::sync::Arc;

use serde_json::json;
use unicrm_core::auth::{ExposeSecret, MemoryTokenStore, TokenStore, same_tokens};
use unicrm_core::{Crm, Error, ListParams};
use unicrm_highlevel::{HighLevelClient, HighLevelOAuth, OAuthSettings, UserType};
use unicrm_sim::clock::SimClock;
use unicrm_sim::highlevel::TokenKind;
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";
const REDIRECT: &str = "https://app.example/cb?x=1";

/// The code grant is one form with every field in order, `redirect_uri` and `user_type`
/// included, and nothing else: no `Version`, no `Authorization`.
#[tokio::test]
async fn the_code_exchange_sends_exactly_the_documented_form() {
    let server = MockServer::start().await;
    let form = "client_id=client-1&client_secret=s%26cret&grant_type=authorization_code\
                &code=c%2F1+2&user_type=Company&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1";
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
        .and(body_string(form))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "agency-at", "token_type": "Bearer", "expires_in": 86399,
            "refresh_token": "agency-rt", "scope": "oauth.readonly oauth.write",
            "userType": "Company", "companyId": "Cm4Kp9Rs2Tv6Xy8Za1Bd",
            "approvedLocations": [LOCATION], "traceId": "t-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut settings = OAuthSettings::new("client-1", "s&cret".to_string());
    settings.user_type = UserType::Company;
    let oauth = HighLevelOAuth::new(settings, &server.uri()).unwrap();
    let t = oauth
        .exchange_code("c/1 2", REDIRECT)
        .await
        .expect("exchanged");
    assert_eq!(t.tokens.access_token.expose_secret(), "agency-at");
    assert_eq!(
        t.tokens.refresh_token.as_ref().map(|r| r.expose_secret()),
        Some("agency-rt")
    );
    assert!(t.tokens.expires_at.is_some(), "expires_in gives an expiry");
    assert_eq!(t.user_type.as_deref(), Some("Company"));
    assert_eq!(t.company_id.as_deref(), Some("Cm4Kp9Rs2Tv6Xy8Za1Bd"));
    assert_eq!(t.location_id, None);
    assert_eq!(t.scopes, ["oauth.readonly", "oauth.write"]);
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].headers.get("version").is_none());
    assert!(sent[0].headers.get("authorization").is_none());
}

/// A code from the consent page becomes a location token pair; the client built on it writes
/// the pair to an empty token store on first use; when the access token expires, the one
/// refresh rotates the pair through the store, and the old refresh token is dead. A code is
/// single-use.
#[tokio::test]
async fn a_code_becomes_stored_tokens_that_rotate_through_the_store() {
    let clock = SimClock::manual_default();
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 3,
            records: 3,
        },
        clock: clock.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let settings = || OAuthSettings::new(sim.client_id.clone(), sim.client_secret.clone());
    let oauth = HighLevelOAuth::new(settings(), sim.base_url.as_str()).unwrap();
    let code = sim.authorization_code(TokenKind::Location(sim.location_id.clone()));
    let t = oauth
        .exchange_code(&code, REDIRECT)
        .await
        .expect("exchanged");
    assert_eq!(t.location_id.as_deref(), Some(sim.location_id.as_str()));
    assert_eq!(t.user_type.as_deref(), Some("Location"));
    assert_eq!(t.company_id.as_deref(), Some(sim.company_id.as_str()));
    assert!(t.scopes.iter().any(|s| s == "contacts.readonly"));
    let first_refresh = t.tokens.refresh_token.clone().expect("a refresh token");
    // The code is spent.
    let again = oauth.exchange_code(&code, REDIRECT).await.unwrap_err();
    assert!(matches!(again, Error::Unauthenticated { .. }), "{again:?}");

    let store = Arc::new(MemoryTokenStore::new());
    let crm = HighLevelClient::builder()
        .base_url(sim.base_url.as_str())
        .location_id(sim.location_id.clone())
        .oauth(settings(), t.tokens.clone())
        .token_store(store.clone())
        .build()
        .unwrap();
    assert!(store.load().await.unwrap().is_none(), "nothing before use");
    let page = crm
        .contacts()
        .list(&ListParams::new().page_size(2))
        .await
        .expect("read with the exchanged token");
    assert_eq!(page.items.len(), 2);
    let stored = store.load().await.unwrap().expect("written on first use");
    assert!(same_tokens(&stored, &t.tokens), "the exchanged pair, as is");

    // A day on, the access token has expired at the vendor: one refresh, the new pair stored.
    clock.advance(std::time::Duration::from_secs(86_400));
    crm.contacts()
        .list(&ListParams::new().page_size(2))
        .await
        .expect("read after the refresh");
    let rotated = store.load().await.unwrap().expect("still stored");
    assert!(!same_tokens(&rotated, &t.tokens), "rotated");
    let new_refresh = rotated.refresh_token.clone().expect("a new refresh token");
    assert_ne!(new_refresh.expose_secret(), first_refresh.expose_secret());
    // The refresh token that was spent is dead; the stored one works (once).
    let dead = oauth.refresh_tokens(&first_refresh).await.unwrap_err();
    assert!(matches!(dead, Error::Unauthenticated { .. }), "{dead:?}");
    let next = oauth
        .refresh_tokens(&new_refresh)
        .await
        .expect("stored pair works");
    assert!(next.tokens.refresh_token.is_some());
    sim.shutdown().await;
}
