//! The testkit harness over the HighLevel simulator: a fresh simulator per reset, the
//! adapter connected through the registry (so the client is guarded), and "the other user"
//! writing through the simulator's handle as someone in the web app would.

mod records;

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use unicrm_core::registry::CrmConfig;
use unicrm_core::{Crm, ResourceKind};
use unicrm_sim::{FaultConfig, HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions};
use unicrm_testkit::{Harness, HarnessError, InvalidWrite, VendorRecord};

/// Contacts seeded: more than 2 pages at the kit's page sizes.
pub const RECORDS: usize = 12;

/// The change feeds' page size: the seeded contacts span 3 batches.
pub const FEED_PAGE: u32 = 5;

fn herr(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::new(e.to_string())
}

/// The harness.
#[derive(Default)]
pub struct HighLevelHarness {
    sim: Mutex<Option<Arc<HighLevelSimHandle>>>,
    faults: Mutex<FaultConfig>,
}

impl HighLevelHarness {
    /// The running simulator.
    pub fn sim(&self) -> Result<Arc<HighLevelSimHandle>, HarnessError> {
        self.sim
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| HarnessError::new("reset first"))
    }

    fn apply_faults(&self, f: impl FnOnce(&mut FaultConfig)) -> Result<(), HarnessError> {
        let mut faults = self.faults.lock().unwrap();
        f(&mut faults);
        self.sim()?.set_faults(faults.clone());
        Ok(())
    }

    fn client(&self, token: &str) -> Result<Arc<dyn Crm>, HarnessError> {
        let sim = self.sim()?;
        unicrm_highlevel::register();
        // The simulator's own limits are off here (the limits have their own tests): pace
        // fast, and let the kit's 429 check use injected bursts.
        let mut config = CrmConfig::new("highlevel")
            .token(token.to_string())
            .location_id(sim.location_id.clone())
            .base_url(sim.base_url.as_str())
            .requests_per_second(NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN));
        // The kit's sample deals are in euros; users are listed by the agency's search.
        let other = &mut config.options.other;
        other.insert("currency".into(), json!("EUR"));
        other.insert("company_id".into(), json!(sim.company_id));
        // Change streams of several batches over the seeded records (the kit's resume check).
        other.insert("feed_page_size".into(), json!(FEED_PAGE));
        unicrm_core::registry::connect(&config).map_err(herr)
    }
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[async_trait]
impl Harness for HighLevelHarness {
    fn vendor(&self) -> &str {
        "highlevel"
    }

    async fn reset(&self) -> Result<(), HarnessError> {
        let old = self.sim.lock().unwrap().take();
        if let Some(old) = old.and_then(|o| Arc::try_unwrap(o).ok()) {
            old.shutdown().await;
        }
        *self.faults.lock().unwrap() = FaultConfig::default();
        let sim = HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions {
                seed: 42,
                records: RECORDS,
            },
            burst_max: 0,
            ..HighLevelSimOptions::default()
        })
        .await
        .map_err(herr)?;
        *self.sim.lock().unwrap() = Some(Arc::new(sim));
        Ok(())
    }

    async fn connect(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let token = self.sim()?.token.clone();
        self.client(&token)
    }

    async fn connect_with_bad_credentials(&self) -> Result<Option<Arc<dyn Crm>>, HarnessError> {
        self.client("pit-not-a-token").map(Some)
    }

    async fn vendor_records(
        &self,
        kind: &ResourceKind,
    ) -> Result<Option<Vec<VendorRecord>>, HarnessError> {
        if let Some(records) = records::vendor_records(&*self.sim()?, kind) {
            return Ok(Some(records));
        }
        let sim = self.sim()?;
        let ids = |records: Vec<Map<String, Value>>| {
            records
                .into_iter()
                .map(|r| VendorRecord {
                    id: r["id"].as_str().unwrap_or_default().to_string(),
                    marker: None,
                })
                .collect::<Vec<_>>()
        };
        match kind {
            ResourceKind::Contact => {}
            // Businesses and opportunities have no description field, the kit's marker.
            ResourceKind::Account => return Ok(Some(ids(sim.businesses()))),
            ResourceKind::Opportunity => return Ok(Some(ids(sim.opportunities()))),
            ResourceKind::Pipeline => return Ok(Some(ids(sim.pipelines()))),
            ResourceKind::User => return Ok(Some(ids(sim.users()))),
            ResourceKind::FieldDefinition => {
                return Ok(Some(ids(sim.custom_field_definitions())));
            }
            _ => return Ok(None),
        }
        // HighLevel contacts have no job title, the kit's contact marker: no marker.
        Ok(Some(
            self.sim()?
                .contacts()
                .into_iter()
                .map(|c| VendorRecord {
                    id: c["id"].as_str().unwrap_or_default().to_string(),
                    marker: None,
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
        Ok(self.sim()?.insert_contact(object(
            json!({"firstName": "Other", "lastName": "User", "source": marker}),
        )))
    }

    async fn other_user_update(
        &self,
        _kind: &ResourceKind,
        id: &str,
        marker: &str,
    ) -> Result<(), HarnessError> {
        // The marker goes where HighLevel can hold it: the contact's `source`.
        if self
            .sim()?
            .touch_contact(id, object(json!({"source": marker})))
        {
            Ok(())
        } else {
            Err(HarnessError::new(format!("no contact {id}")))
        }
    }

    async fn other_user_delete(&self, _kind: &ResourceKind, id: &str) -> Result<(), HarnessError> {
        if self.sim()?.remove_contact(id) {
            Ok(())
        } else {
            Err(HarnessError::new(format!("no contact {id}")))
        }
    }

    async fn set_latency(&self, latency: Duration) -> Result<(), HarnessError> {
        self.apply_faults(|f| f.latency_ms = latency.as_millis() as u64)
    }

    async fn set_rate_limiting(&self, on: bool) -> Result<bool, HarnessError> {
        self.apply_faults(|f| {
            f.burst_429_rate = if on { 0.3 } else { 0.0 };
            f.burst_429_len = 1;
        })?;
        Ok(true)
    }

    fn invalid_write(&self) -> Option<InvalidWrite> {
        Some(InvalidWrite {
            kind: ResourceKind::Contact,
            new: json!({"first_name": "Bad", "emails": [{"address": "not-an-email"}]}),
            fields: vec!["email".into(), "emails".into()],
        })
    }

    fn missing_id(&self, kind: &ResourceKind) -> String {
        records::missing_id(kind).unwrap_or_else(|| "Ct0nOtThErE000000000".into())
    }
}
