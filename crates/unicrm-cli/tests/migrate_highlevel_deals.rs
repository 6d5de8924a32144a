//! Capsule → HighLevel: an opportunity whose party is an organisation. A HighLevel
//! opportunity needs a contact and cannot link a business, so the migration attaches it to the
//! organisation's person with the lowest Capsule id that HighLevel holds; an opportunity on an
//! organisation with no people is reported as what HighLevel cannot hold, with that reason,
//! on every run, and nothing is sent for it.

use std::sync::Arc;
use std::time::Duration;

use unicrm_core::{
    Crm, CrmExt, Email, ListParams, NewAccount, NewContact, NewOpportunity, Pipeline,
};
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, HighLevelSim, HighLevelSimOptions, SeedOptions};

fn options() -> unicrm_cli::migrate::Options {
    unicrm_cli::migrate::Options {
        search_lag: vec![Duration::from_millis(10)],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opportunity_on_an_organisation_goes_to_its_lowest_held_person() {
    unicrm_core::http::install_crypto_provider();
    let seed = SeedOptions {
        seed: 3,
        records: 0,
    };
    let capsule = CapsuleSim::start(CapsuleSimOptions {
        seed,
        ..Default::default()
    })
    .await
    .unwrap();
    let highlevel = HighLevelSim::start(HighLevelSimOptions {
        seed,
        burst_max: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    let source: Arc<dyn Crm> = Arc::new(
        unicrm_capsule::CapsuleClient::builder()
            .base_url(capsule.base_url.as_str())
            .personal_access_token(capsule.token.clone())
            .build()
            .unwrap(),
    );
    let target: Arc<dyn Crm> = Arc::new(
        unicrm_highlevel::HighLevelClient::builder()
            .base_url(highlevel.base_url.as_str())
            .location_id(highlevel.location_id.clone())
            .private_integration_token(highlevel.token.clone())
            .build()
            .unwrap(),
    );

    // Acme has two people (Ann created first: the lower id); Lonely Ltd has none.
    let org = |name: &str| NewAccount {
        name: name.into(),
        ..Default::default()
    };
    let acme = source.accounts().create(&org("Acme Deals")).await.unwrap();
    let lonely = source.accounts().create(&org("Lonely Ltd")).await.unwrap();
    let person = |first: &str, email: &str| NewContact {
        first_name: Some(first.into()),
        last_name: Some("Tester".into()),
        emails: vec![Email {
            address: email.into(),
            kind: None,
            primary: true,
            row_id: None,
        }],
        account_id: Some(acme.id.clone()),
        ..Default::default()
    };
    let ann = source
        .contacts()
        .create(&person("Ann", "ann@acme.test"))
        .await
        .unwrap();
    let bob = source
        .contacts()
        .create(&person("Bob", "bob@acme.test"))
        .await
        .unwrap();
    assert!(
        ann.id.as_str().parse::<u64>().unwrap() < bob.id.as_str().parse::<u64>().unwrap(),
        "Ann has the lower Capsule id"
    );
    let pipeline = source
        .list_all::<Pipeline>(ListParams::new())
        .await
        .unwrap()
        .into_iter()
        .next()
        .map(|p| p.id);
    let deal = |name: &str, account| NewOpportunity {
        name: name.into(),
        account_id: Some(account),
        pipeline_id: pipeline.clone(),
        ..Default::default()
    };
    source
        .opportunities()
        .create(&deal("Acme renewal", acme.id.clone()))
        .await
        .unwrap();
    source
        .opportunities()
        .create(&deal("Lonely pitch", lonely.id.clone()))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    let run = || async {
        let state = unicrm_cli::migrate::state::State::open(&path, false).unwrap();
        unicrm_cli::migrate::Migrator::new(source.as_ref(), target.as_ref(), state, options())
            .run()
            .await
            .unwrap()
    };
    let first = run().await;
    let deals = &first.resources["opportunities"];
    assert_eq!(deals.created, 1, "{first:?}");
    assert_eq!(deals.unsupported, 1, "{first:?}");
    assert!(
        deals
            .unsupported_reasons
            .iter()
            .any(|r| r.contains(&format!("organisation {}", lonely.id)) && r.contains("no people")),
        "{:?}",
        deals.unsupported_reasons
    );
    // The Acme deal went to Ann (the lowest id), in HighLevel.
    let contacts = highlevel.contacts();
    let ann_target = contacts
        .iter()
        .find(|c| c.get("email").and_then(|e| e.as_str()) == Some("ann@acme.test"))
        .and_then(|c| c.get("id").and_then(|i| i.as_str()))
        .expect("Ann is in HighLevel")
        .to_string();
    let opportunities = highlevel.opportunities();
    assert_eq!(opportunities.len(), 1, "{opportunities:?}");
    assert_eq!(
        opportunities[0].get("name").and_then(|n| n.as_str()),
        Some("Acme renewal")
    );
    assert_eq!(
        opportunities[0].get("contactId").and_then(|c| c.as_str()),
        Some(ann_target.as_str())
    );

    // A rerun creates nothing and reports the lonely deal again.
    let second = run().await;
    let deals = &second.resources["opportunities"];
    assert_eq!((deals.created, deals.unsupported), (0, 1), "{second:?}");
    assert_eq!(highlevel.opportunities().len(), 1);
    capsule.shutdown().await;
    highlevel.shutdown().await;
}
