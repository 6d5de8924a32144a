//! The unicrm-testkit conformance suite, run against the in-test Tinycrm server through the
//! testkit's `Harness`, exactly as an adapter in another repository runs it.

mod support;

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use support::server::{TOKEN, Tinycrm};
use unicrm_core::registry::CrmConfig;
use unicrm_core::{Crm, ResourceKind};
use unicrm_testkit::{Harness, HarnessError, InvalidWrite, SuiteOptions, VendorRecord};

/// Seeded contacts: more than 2 pages at the kit's page size of 2.
const SEEDED: u64 = 7;

#[derive(Default)]
struct TinyHarness {
    server: Tinycrm,
    base_url: Mutex<Option<String>>,
}

fn herr(e: impl std::fmt::Debug) -> HarnessError {
    HarnessError::new(format!("{e:?}"))
}

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

impl TinyHarness {
    fn client(&self, token: &str) -> Result<Arc<dyn Crm>, HarnessError> {
        let base = self
            .base_url
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| HarnessError::new("reset first"))?;
        // Through the registry, as an application would connect: the client comes back
        // guarded, so the suite also checks the guard's refusals. The in-test server has no
        // rate limit of its own (429s come from its knob): pace fast.
        unicrm_tinycrm::register();
        let config = CrmConfig::new("tinycrm")
            .token(token.to_string())
            .base_url(base)
            .requests_per_second(NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN));
        unicrm_core::registry::connect(&config).map_err(herr)
    }

    fn id(id: &str) -> Result<u64, HarnessError> {
        id.parse().map_err(herr)
    }
}

#[async_trait]
impl Harness for TinyHarness {
    fn vendor(&self) -> &str {
        "tinycrm"
    }

    async fn reset(&self) -> Result<(), HarnessError> {
        self.server.reset(SEEDED);
        let started = self.base_url.lock().unwrap().is_some();
        if !started {
            let url = self.server.serve().await;
            *self.base_url.lock().unwrap() = Some(url);
        }
        Ok(())
    }

    async fn connect(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        self.client(TOKEN)
    }

    async fn connect_with_bad_credentials(&self) -> Result<Option<Arc<dyn Crm>>, HarnessError> {
        self.client("not-the-token").map(Some)
    }

    async fn vendor_records(
        &self,
        kind: &ResourceKind,
    ) -> Result<Option<Vec<VendorRecord>>, HarnessError> {
        if *kind != ResourceKind::Contact {
            return Ok(None);
        }
        let records = self.server.contacts().into_iter();
        Ok(Some(
            records
                .map(|c| VendorRecord {
                    id: c.id.to_string(),
                    marker: c.title,
                })
                .collect(),
        ))
    }

    fn other_user_kinds(&self) -> Vec<ResourceKind> {
        vec![ResourceKind::Contact]
    }

    async fn other_user_create(
        &self,
        _kind: &ResourceKind,
        marker: &str,
    ) -> Result<String, HarnessError> {
        let c = self
            .server
            .create(body(json!({"last_name": "Other", "title": marker})))
            .map_err(herr)?;
        Ok(c.id.to_string())
    }

    async fn other_user_update(
        &self,
        _kind: &ResourceKind,
        id: &str,
        marker: &str,
    ) -> Result<(), HarnessError> {
        self.server
            .update(Self::id(id)?, body(json!({"title": marker})))
            .map(drop)
            .map_err(herr)
    }

    async fn other_user_delete(&self, _kind: &ResourceKind, id: &str) -> Result<(), HarnessError> {
        self.server.delete(Self::id(id)?).map_err(herr)
    }

    async fn set_latency(&self, latency: Duration) -> Result<(), HarnessError> {
        self.server.set_latency(latency);
        Ok(())
    }

    async fn set_rate_limiting(&self, on: bool) -> Result<bool, HarnessError> {
        self.server.set_rate_limited(on);
        Ok(true)
    }

    fn invalid_write(&self) -> Option<InvalidWrite> {
        Some(InvalidWrite {
            kind: ResourceKind::Contact,
            new: json!({"first_name": "No last name"}),
            fields: vec!["last_name".into()],
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tinycrm_passes_the_conformance_suite() {
    let harness = TinyHarness::default();
    let report = unicrm_testkit::run(&harness, &SuiteOptions::default())
        .await
        .expect("the server starts");
    println!("{report}");
    report.assert_passed();
    for check in [
        "write round trip",
        "paging",
        "change-feed convergence",
        "Unsupported where a capability is false",
    ] {
        assert!(report.has_passed("contact", check), "{check}: {report}");
    }
    for check in ["401 → Unauthenticated", "429 honoured"] {
        assert!(report.has_passed("crm", check), "{check}: {report}");
    }
}

/// The registry hands out a guarded client: a field Tinycrm cannot hold is refused by core
/// before any request (the in-test server sees none), and an unknown vendor names the
/// registered ones.
#[tokio::test]
async fn the_registry_connects_a_guarded_client() {
    use unicrm_core::{CrmExt, NewContact};
    let server = Tinycrm::default();
    server.reset(0);
    let base = server.serve().await;
    unicrm_tinycrm::register();
    let crm =
        unicrm_core::registry::connect(&CrmConfig::new("tinycrm").token(TOKEN).base_url(base))
            .expect("registered");
    assert_eq!(crm.vendor(), "tinycrm");
    let before = crm.stats().requests;
    let err = crm
        .resource::<unicrm_core::Contact>()
        .create(&NewContact {
            last_name: Some("Lovelace".into()),
            department: Some("Engines".into()),
            ..Default::default()
        })
        .await
        .expect_err("department is not writable");
    assert!(err.to_string().contains("department"), "{err}");
    assert_eq!(crm.stats().requests, before, "refused before any request");
    let unknown = unicrm_core::registry::connect(&CrmConfig::new("nope"))
        .map(|_| ())
        .unwrap_err();
    assert!(unknown.to_string().contains("tinycrm"), "{unknown}");
}
