//! The Insightly adapter behind core's guard and registry, against the Insightly simulator:
//! what the capabilities deny is refused before any request; page sizes are clamped.

use std::sync::Arc;

use unicrm_core::*;
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

async fn sim(records: usize) -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions { seed: 3, records },
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn connect(s: &InsightlySimHandle) -> Arc<dyn Crm> {
    Registry::new()
        .with(unicrm_insightly::ADAPTER)
        .connect(
            &CrmConfig::new("insightly")
                .base_url(s.base_url.as_str())
                .api_key(s.api_key.clone()),
        )
        .unwrap()
}

#[tokio::test]
async fn refusals_send_nothing_and_name_what_is_refused() {
    let s = sim(5).await;
    let crm = connect(&s);
    let before = crm.stats().requests;
    let err = crm
        .users()
        .list(&ListParams::new().search("a"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "user.list with search is not supported by insightly"
    );
    let err = crm
        .pipelines()
        .list(&ListParams::new().updated_since(chrono::DateTime::UNIX_EPOCH))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pipeline.list with updated_since is not supported by insightly"
    );
    // No organisation email at Insightly.
    let err = crm
        .accounts()
        .create(&NewAccount {
            name: "Acme".into(),
            emails: vec![Email {
                address: "info@acme.example".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "account.create setting emails is not supported by insightly"
    );
    let err = crm.users().delete(&UserId::new("1")).await.unwrap_err();
    assert_eq!(err.to_string(), "user.delete is not supported by insightly");
    assert_eq!(crm.stats().requests, before, "no request was sent");
    // The extra: the concrete client, from the `Arc<dyn Crm>`.
    assert!(crm.extension::<InsightlyClient>().is_some());
    s.shutdown().await;
}

#[tokio::test]
async fn a_page_size_above_the_vendor_page_is_clamped() {
    let s = sim(5).await;
    let crm = connect(&s);
    let page = crm
        .contacts()
        .list(&ListParams::new().page_size(100_000))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    s.shutdown().await;
}
