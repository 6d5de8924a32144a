//! The unicrm-testkit conformance suite over the HighLevel simulator, through the registry
//! (a guarded client), as the adapter template runs it.

mod support;

use unicrm_testkit::SuiteOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn highlevel_passes_the_conformance_suite() {
    let harness = support::HighLevelHarness::default();
    let report = unicrm_testkit::run(&harness, &SuiteOptions::default())
        .await
        .expect("the simulator starts");
    println!("{report}");
    report.assert_passed();
    // A HighLevel opportunity needs a contact and cannot link a business: the kit links its
    // sample deal to a contact, and finds its custom field value by definition (HighLevel
    // answers values without the definition's name).
    let text = report.to_string();
    let deal = text
        .lines()
        .find(|l| l.contains("opportunity / write round trip"))
        .unwrap_or_default();
    assert!(deal.contains("linked to contact"), "{deal}");
    assert!(deal.contains("the custom field is stored"), "{deal}");
    for check in [
        "write round trip",
        "paging",
        "Unsupported where a capability is false",
    ] {
        assert!(report.has_passed("contact", check), "{check}: {report}");
        assert!(
            report.has_passed("opportunity", check),
            "opportunity {check}: {report}"
        );
        assert!(
            report.has_passed("account", check),
            "account {check}: {report}"
        );
    }
    for kind in ["opportunity", "pipeline", "user", "field_definition"] {
        for check in ["reads", "paging", "404 → NotFound"] {
            assert!(report.has_passed(kind, check), "{kind} {check}: {report}");
        }
    }
    assert!(
        report.has_passed("crm", "current user and definitions"),
        "{report}"
    );
    for kind in ["note", "task", "engagement"] {
        for check in [
            "write round trip",
            "paging",
            "stream returns every seeded record",
        ] {
            assert!(report.has_passed(kind, check), "{kind} {check}: {report}");
        }
    }
    for check in ["401 → Unauthenticated", "429 honoured"] {
        assert!(report.has_passed("crm", check), "{check}: {report}");
    }
}
