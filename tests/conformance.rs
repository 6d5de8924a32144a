//! A thin cross-vendor run through the facade. Each adapter runs the full unicrm-testkit suite
//! over its simulator in its own tests (`crates/unicrm-*/tests/conformance.rs`); this file
//! checks what only the facade can: both adapters, built through `unicrm`'s features and held
//! side by side as `Arc<dyn Crm>`, pass the same harness-free kit checks in one loop.

use std::sync::Arc;

use unicrm::sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions, SeedOptions};
use unicrm::{Account, Contact, Crm, CrmConfig, CrmExt};
use unicrm_testkit::Report;
use unicrm_testkit::checks::{paging, reads, writes};

async fn crms() -> Vec<Arc<dyn Crm>> {
    let seed = SeedOptions {
        seed: 5,
        records: 30,
    };
    let c = CapsuleSim::start(CapsuleSimOptions {
        seed,
        ..Default::default()
    })
    .await
    .unwrap();
    let i = InsightlySim::start(InsightlySimOptions {
        seed,
        ..Default::default()
    })
    .await
    .unwrap();
    // Built through the registry, as a caller would: a config per vendor → a guarded client.
    let capsule = unicrm::connect(
        &CrmConfig::new("capsule")
            .base_url(c.base_url.as_str())
            .token(c.token.clone()),
    )
    .unwrap();
    let insightly = unicrm::connect(
        &CrmConfig::new("insightly")
            .base_url(i.base_url.as_str())
            .api_key(i.api_key.clone()),
    )
    .unwrap();
    // The simulators live as long as the test's runtime.
    std::mem::forget(c);
    std::mem::forget(i);
    vec![capsule, insightly]
}

#[test]
fn the_facade_registers_its_adapters() {
    // The test needs Capsule and Insightly; HighLevel is registered when its feature is on.
    let mut expected = vec!["capsule", "insightly"];
    if cfg!(feature = "highlevel") {
        expected.insert(1, "highlevel");
    }
    assert_eq!(unicrm::vendors(), expected);
    let err = unicrm::connect(&CrmConfig::new("pipedrive")).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "unknown vendor `pipedrive` (registered: {})",
            expected.join(", ")
        )
    );
}

#[tokio::test]
async fn capsule_hooks_are_reached_from_an_arc_dyn_crm() {
    let crms = crms().await;
    let hooks = crms[0].extension::<unicrm::capsule::RestHooks>();
    assert!(hooks.is_some(), "Capsule offers its REST hooks");
    assert!(crms[1].extension::<unicrm::capsule::RestHooks>().is_none());
    assert!(crms[0].extension::<unicrm::Guarded>().is_some());
}

#[tokio::test]
async fn both_adapters_pass_the_harness_free_checks_through_the_facade() {
    for crm in crms().await {
        let crm = crm.as_ref();
        let mut report = Report::new(crm.vendor());
        report.record(reads::check_account_reads(crm).await);
        report.record(paging::check_paging::<Contact>(crm).await);
        report.record(paging::check_paging::<Account>(crm).await);
        report.record(writes::check_round_trip::<Contact>(crm, 1).await);
        report.record(writes::check_round_trip::<Account>(crm, 2).await);
        println!("{report}");
        report.assert_passed();
        assert_eq!(report.passed_count(), 5, "{report}");
    }
}
