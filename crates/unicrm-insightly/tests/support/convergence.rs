//! The Insightly side of the testkit's change-feed soak (`unicrm_testkit::soak`), shared by
//! the `feed_convergence` test and the `<vendor>_feed_soak` example: a fresh simulator per run, contacts
//! and tasks written through the raw v3.1 API by other users (one API key each).
//!
//! One normalisation: deleting a record removes the `LINKS` that other records had to it
//! without moving their `DATE_UPDATED_UTC` (so the simulator; the vendor documents nothing
//! either way). No `updated_after_utc` feed can see that, and a replica learns of the deletion
//! itself, so links to records deleted during the run are left out of the comparison.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use unicrm_core::{Crm, ResourceKind};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{FaultConfig, InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};
use unicrm_testkit::HarnessError;
use unicrm_testkit::soak::{RawApi, RawAuth, SoakConfig, SoakVendor};

/// Insightly's largest page (`top`), for the raw listings.
const TOP: usize = 500;

/// The Insightly simulator, driven by the soak.
pub struct Insightly {
    sim: InsightlySimHandle,
    raw: RawApi,
}

/// The v3.1 object path and id field of a kind.
fn object(kind: &ResourceKind) -> (&'static str, &'static str) {
    match kind {
        ResourceKind::Task => ("Tasks", "TASK_ID"),
        _ => ("Contacts", "CONTACT_ID"),
    }
}

#[async_trait]
impl SoakVendor for Insightly {
    async fn start(config: &SoakConfig) -> Result<Self, HarnessError> {
        let mut options = InsightlySimOptions {
            // The per-second limit is not what this test is about.
            requests_per_second: 0,
            ..InsightlySimOptions::default()
        };
        options.seed = SeedOptions {
            seed: config.seed,
            records: config.records,
        };
        options.faults = FaultConfig {
            jitter_ms: config.jitter_ms,
            latency_ms: config.latency_ms,
            seed: config.seed,
            ..FaultConfig::default()
        };
        let sim = InsightlySim::start(options)
            .await
            .map_err(|e| HarnessError::new(e.to_string()))?;
        // Writer w acts as user w + 1 (the simulator's key is user 0's).
        let keys = sim.user_keys();
        let writers = (1..=config.writers)
            .filter_map(|w| keys.get(w % keys.len().max(1)))
            .map(|(_, k)| RawAuth::Basic(k.clone(), String::new()))
            .collect();
        Ok(Insightly {
            raw: RawApi::new(sim.base_url.as_str(), writers),
            sim,
        })
    }

    fn client(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let client = InsightlyClient::builder()
            .api_key(self.sim.api_key.clone())
            .base_url(self.sim.base_url.as_str())
            .requests_per_second(NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN))
            // Deletions on every call (the cadence is tested in `feed_cadence.rs`).
            .deletion_scan_every_call()
            .build()
            .map_err(|e| HarnessError::new(e.to_string()))?;
        Ok(Arc::new(client))
    }

    /// Every record (`skip`/`top`, no concurrent writers by then).
    async fn records(&self, kind: &ResourceKind) -> Result<Vec<Value>, HarnessError> {
        let (path, _) = object(kind);
        let mut out = Vec::new();
        loop {
            let url = self
                .raw
                .url(&format!("{path}?skip={}&top={TOP}", out.len()));
            let resp = self
                .raw
                .http()
                .get(url)
                .basic_auth(&self.sim.api_key, Some(""));
            let resp = resp
                .send()
                .await
                .map_err(|e| HarnessError::new(e.to_string()))?;
            let page: Vec<Value> = resp
                .json()
                .await
                .map_err(|e| HarnessError::new(e.to_string()))?;
            let n = page.len();
            out.extend(page);
            if n < TOP {
                return Ok(out);
            }
        }
    }

    fn id_of(&self, kind: &ResourceKind, record: &Value) -> String {
        record[object(kind).1].as_u64().unwrap_or(0).to_string()
    }

    async fn create(&self, w: usize, kind: &ResourceKind, tag: &str) -> Option<String> {
        let body = if *kind == ResourceKind::Task {
            json!({"TITLE": tag})
        } else {
            json!({"FIRST_NAME": "W", "LAST_NAME": tag})
        };
        let v = self
            .raw
            .write(w, Method::POST, object(kind).0, Some(body))
            .await?;
        Some(self.id_of(kind, &v))
    }

    /// Insightly updates with a PUT of the object carrying its id.
    async fn update(&self, w: usize, kind: &ResourceKind, id: &str, tag: &str) -> bool {
        let (path, key) = object(kind);
        let field = if *kind == ResourceKind::Task {
            "TITLE"
        } else {
            "BACKGROUND"
        };
        let Ok(id) = id.parse::<u64>() else {
            return false;
        };
        let body = json!({ key: id, field: tag });
        self.raw
            .write(w, Method::PUT, path, Some(body))
            .await
            .is_some()
    }

    async fn delete(&self, w: usize, kind: &ResourceKind, id: &str) -> bool {
        let path = format!("{}/{id}", object(kind).0);
        self.raw
            .write(w, Method::DELETE, &path, None)
            .await
            .is_some()
    }

    /// Drops the links to records deleted during the run (see the module docs).
    fn normalize(
        &self,
        _kind: &ResourceKind,
        mut replica: Value,
        deleted: &BTreeSet<String>,
    ) -> Value {
        if let Some(links) = replica.get_mut("LINKS").and_then(Value::as_array_mut) {
            links.retain(|l| {
                !l["LINK_OBJECT_ID"]
                    .as_u64()
                    .is_some_and(|id| deleted.contains(&id.to_string()))
            });
        }
        replica
    }

    async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}
