//! The Capsule adapter behind core's guard and registry, against the Capsule simulator: what
//! the capabilities deny is refused before any request, and the vendor extras (REST hooks, the
//! OAuth handle) are reached from an `Arc<dyn Crm>`.

use std::sync::Arc;

use unicrm_capsule::{
    CapsuleClient, CapsuleOAuth, HookEvent, NewRestHook, OAuthSettings, RestHooks, TokenSet,
};
use unicrm_core::*;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

async fn sim(records: usize) -> CapsuleSimHandle {
    CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions { seed: 11, records },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap()
}

/// Through the registry, as `unicrm::connect` does it.
fn connect(h: &CapsuleSimHandle) -> Arc<dyn Crm> {
    Registry::new()
        .with(unicrm_capsule::ADAPTER)
        .connect(
            &CrmConfig::new("capsule")
                .base_url(h.base_url.as_str())
                .token(h.token.clone()),
        )
        .unwrap()
}

#[tokio::test]
async fn refusals_send_nothing_and_name_what_is_refused() {
    let h = sim(20).await;
    let crm = connect(&h);
    assert!(crm.extension::<Guarded>().is_some());
    let before = crm.stats().requests;
    let err = crm
        .tasks()
        .list(&ListParams::new().search("call"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "task.list with search is not supported by capsule"
    );
    let err = crm
        .notes()
        .list(&ListParams::new().updated_since(chrono::DateTime::UNIX_EPOCH))
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let err = crm
        .contacts()
        .create(&NewContact {
            last_name: Some("Lovelace".into()),
            department: Some("Analytical Engines".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "contact.create setting department is not supported by capsule"
    );
    let err = crm
        .pipelines()
        .create(&NewPipeline::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pipeline.create is not supported by capsule"
    );
    let err = crm.leads().get(&LeadId::new("1")).await.unwrap_err();
    assert_eq!(err.to_string(), "lead.get is not supported by capsule");
    assert_eq!(crm.stats().requests, before, "no request was sent");

    // What the capabilities allow goes through: the same contact without the department.
    let created = crm
        .contacts()
        .create(&NewContact {
            last_name: Some("Lovelace".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.last_name.as_deref(), Some("Lovelace"));
    h.shutdown().await;
}

#[tokio::test]
async fn a_page_size_above_the_vendor_page_is_clamped() {
    let h = sim(150).await; // 150 people + about 50 organisations: more than one page
    let crm = connect(&h);
    let page = crm
        .contacts()
        .list(&ListParams::new().page_size(1000))
        .await
        .unwrap();
    // Capsule lists people from pages of 100 parties: the page asked at 1000 is the page of 100.
    let at_max = crm
        .contacts()
        .list(&ListParams::new().page_size(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), at_max.items.len());
    assert!(page.items.len() < 150, "not every person in one page");
    assert!(page.next.is_some());
    h.shutdown().await;
}

fn settings(h: &CapsuleSimHandle) -> OAuthSettings {
    OAuthSettings {
        client_id: h.client_id.clone(),
        client_secret: h.client_secret.clone().into(),
        token_url: h.oauth_token_url.to_string(),
        authorise_url: h.authorise_url.to_string(),
        revoke_url: h.revoke_url.to_string(),
    }
}

/// OAuth tokens from the simulator's consent stand-in.
async fn tokens(h: &CapsuleSimHandle) -> TokenSet {
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
        .unwrap()
        .1
        .into_owned();
    oauth.exchange_code(&code, redirect).await.unwrap().tokens
}

#[tokio::test]
async fn hooks_and_oauth_are_reached_from_an_arc_dyn_crm() {
    let h = sim(3).await;
    let client = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .oauth(settings(&h), tokens(&h).await)
        .build()
        .unwrap();
    let crm: Arc<dyn Crm> = guard(Arc::new(client));
    assert!(crm.extension::<CapsuleOAuth>().is_some());
    assert!(crm.extension::<CapsuleClient>().is_some());
    let hooks = crm
        .extension::<RestHooks>()
        .expect("Capsule offers REST hooks");
    let hook = hooks
        .subscribe(&NewRestHook {
            event: HookEvent::PartyCreated,
            target_url: "https://hooks.example/capsule/s3cr3t".into(),
            description: Some("from dyn Crm".into()),
            embed: None,
        })
        .await
        .unwrap();
    assert!(hooks.list().await.unwrap().iter().any(|x| x.id == hook.id));
    hooks.unsubscribe(hook.id).await.unwrap();
    assert!(hooks.list().await.unwrap().iter().all(|x| x.id != hook.id));

    // A personal access token has no OAuth handle; the hooks are still there (Capsule answers
    // 403 to a token when they are used).
    let pat = connect(&h);
    assert!(pat.extension::<CapsuleOAuth>().is_none());
    assert!(pat.extension::<RestHooks>().is_some());
    assert!(pat.extension::<String>().is_none());
    h.shutdown().await;
}
