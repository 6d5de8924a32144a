//! The Insightly side of the testkit's change-feed soak (`unicrm_testkit::soak`), shared by
//! the `feed_convergence` test and the `feed_soak` example: a fresh simulator per run, contacts
//! and tasks written through the raw v3.1 API by other users (one API key each).
//!
//! One normalisation: deleting a record removes the `LINKS` that other records had to it
//! without moving their `DATE_UPDATED_UTC` (so the simulator; the vendor documents nothing
//! either way). No `updated_after_utc` feed can see that, and a replica learns of the deletion
//! itself, so links to records deleted during the run are left out of the comparison.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use unicrm_core::{Crm, ResourceKind};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{FaultConfig, InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};
use unicrm_testkit::HarnessError;
use unicrm_testkit::soak::{SoakConfig, SoakVendor};

/// The Insightly simulator, driven by the soak.
pub struct Insightly {
    sim: InsightlySimHandle,
    http: reqwest::Client,
    base: String,
    /// One API key per writer, of different users.
    keys: Vec<String>,
}

fn herr(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::new(e.to_string())
}

/// The v3.1 object path and id field of a kind.
fn object(kind: &ResourceKind) -> (&'static str, &'static str) {
    match kind {
        ResourceKind::Task => ("Tasks", "TASK_ID"),
        _ => ("Contacts", "CONTACT_ID"),
    }
}

impl Insightly {
    /// A write as writer `w`; the JSON answer, `None` if refused.
    async fn send(
        &self,
        w: usize,
        req: reqwest::RequestBuilder,
        body: Option<Value>,
    ) -> Option<Value> {
        let key = self.keys.get(w % self.keys.len().max(1))?;
        let req = req.basic_auth(key, Some(""));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        match req.send().await {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.ok().or(Some(Value::Null)),
            _ => None,
        }
    }
}

#[async_trait]
impl SoakVendor for Insightly {
    async fn start(config: &SoakConfig) -> Result<Self, HarnessError> {
        let sim = InsightlySim::start(InsightlySimOptions {
            seed: SeedOptions {
                seed: config.seed,
                records: config.records,
            },
            faults: FaultConfig {
                seed: config.seed,
                latency_ms: config.latency_ms,
                jitter_ms: config.jitter_ms,
                ..FaultConfig::default()
            },
            // The per-second limit is not what this test is about.
            requests_per_second: 0,
            ..InsightlySimOptions::default()
        })
        .await
        .map_err(herr)?;
        let all: Vec<String> = sim.user_keys().into_iter().map(|(_, k)| k).collect();
        let keys = (0..config.writers)
            .filter_map(|w| all.get((w + 1) % all.len().max(1)).cloned())
            .collect();
        unicrm_core::http::install_crypto_provider();
        Ok(Insightly {
            base: sim.base_url.as_str().trim_end_matches('/').to_string(),
            sim,
            http: reqwest::Client::new(),
            keys,
        })
    }

    fn client(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let client = InsightlyClient::builder()
            .api_key(self.sim.api_key.clone())
            .base_url(self.sim.base_url.as_str())
            .requests_per_second(
                std::num::NonZeroU32::new(1000).unwrap_or(std::num::NonZeroU32::MIN),
            )
            .build()
            .map_err(herr)?;
        Ok(Arc::new(client))
    }

    /// Every record (`skip`/`top`, no concurrent writers by then).
    async fn records(&self, kind: &ResourceKind) -> Result<Vec<Value>, HarnessError> {
        let (path, _) = object(kind);
        let mut out = Vec::new();
        loop {
            let resp = self
                .http
                .get(format!("{}/{path}?skip={}&top=500", self.base, out.len()))
                .basic_auth(&self.sim.api_key, Some(""))
                .send()
                .await
                .map_err(herr)?;
            let page: Vec<Value> = resp.json().await.map_err(herr)?;
            let n = page.len();
            out.extend(page);
            if n < 500 {
                return Ok(out);
            }
        }
    }

    fn id_of(&self, kind: &ResourceKind, record: &Value) -> String {
        record[object(kind).1].as_u64().unwrap_or(0).to_string()
    }

    async fn create(&self, w: usize, kind: &ResourceKind, tag: &str) -> Option<String> {
        let (path, _) = object(kind);
        let body = if *kind == ResourceKind::Task {
            json!({"TITLE": tag})
        } else {
            json!({"FIRST_NAME": "W", "LAST_NAME": tag})
        };
        let url = format!("{}/{path}", self.base);
        let v = self.send(w, self.http.post(url), Some(body)).await?;
        Some(self.id_of(kind, &v))
    }

    async fn update(&self, w: usize, kind: &ResourceKind, id: &str, tag: &str) -> bool {
        let (path, key) = object(kind);
        let Ok(id) = id.parse::<u64>() else {
            return false;
        };
        let body = if *kind == ResourceKind::Task {
            json!({ key: id, "TITLE": tag })
        } else {
            json!({ key: id, "BACKGROUND": tag })
        };
        let url = format!("{}/{path}", self.base);
        self.send(w, self.http.put(url), Some(body)).await.is_some()
    }

    async fn delete(&self, w: usize, kind: &ResourceKind, id: &str) -> bool {
        let (path, _) = object(kind);
        let url = format!("{}/{path}/{id}", self.base);
        self.send(w, self.http.delete(url), None).await.is_some()
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
