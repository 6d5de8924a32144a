//! The Capsule side of the testkit's change-feed soak (`unicrm_testkit::soak`), shared by the
//! `feed_convergence` test and the `<vendor>_feed_soak` example: a fresh simulator per run, people and
//! tasks written through the raw v2 API by other users (one personal access token each).

#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Crm, ResourceKind};
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SeedOptions};
use unicrm_testkit::HarnessError;
use unicrm_testkit::soak::{RawApi, RawAuth, SoakConfig, SoakVendor};

/// The Capsule simulator, driven by the soak.
pub struct Capsule {
    sim: CapsuleSimHandle,
    page_size: u32,
    raw: RawApi,
}

/// The v2 collection, wrapper key and full-listing query of a kind.
fn entity(kind: &ResourceKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ResourceKind::Task => ("tasks", "task", "perPage=100&status=open,completed,pending"),
        _ => ("parties", "party", "perPage=100&embed=tags,fields"),
    }
}

#[async_trait]
impl SoakVendor for Capsule {
    async fn start(config: &SoakConfig) -> Result<Self, HarnessError> {
        let options = CapsuleSimOptions {
            hourly_budget: 10_000_000,
            seed: SeedOptions {
                seed: config.seed,
                records: config.records,
            },
            ..CapsuleSimOptions::default()
        };
        let faults = FaultConfig {
            latency_ms: config.latency_ms,
            jitter_ms: config.jitter_ms,
            seed: config.seed,
            ..FaultConfig::default()
        };
        let sim = CapsuleSim::start(CapsuleSimOptions { faults, ..options })
            .await
            .map_err(|e| HarnessError::new(e.to_string()))?;
        // Writer w acts as user w + 1 (the simulator's token is user 0's).
        let users = sim.user_ids();
        let writers = (1..=config.writers)
            .filter_map(|w| users.get(w % users.len().max(1)))
            .map(|u| RawAuth::Bearer(sim.mint_pat(*u)))
            .collect();
        Ok(Capsule {
            raw: RawApi::new(sim.base_url.as_str(), writers),
            sim,
            page_size: config.page_size,
        })
    }

    fn client(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let client = CapsuleClient::builder()
            .base_url(self.sim.base_url.as_str())
            .personal_access_token(self.sim.token.clone())
            .change_page_size(self.page_size)
            .build()
            .map_err(|e| HarnessError::new(e.to_string()))?;
        Ok(Arc::new(client))
    }

    /// Every record, following `Link: next`; parties are people only.
    async fn records(&self, kind: &ResourceKind) -> Result<Vec<Value>, HarnessError> {
        let (collection, _, query) = entity(kind);
        let mut out = Vec::new();
        let mut next = Some(self.raw.url(&format!("{collection}?{query}")));
        while let Some(u) = next.take() {
            let resp = self.raw.http().get(&u).bearer_auth(&self.sim.token).send();
            let resp = resp.await.map_err(|e| HarnessError::new(e.to_string()))?;
            let link = resp
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body: Value = resp
                .json()
                .await
                .map_err(|e| HarnessError::new(e.to_string()))?;
            out.extend(body[collection].as_array().cloned().unwrap_or_default());
            next = link.and_then(|l| {
                l.split(',')
                    .find(|p| p.contains("rel=\"next\""))
                    .and_then(|p| Some(p[p.find('<')? + 1..p.find('>')?].to_string()))
            });
        }
        out.retain(|p| *kind == ResourceKind::Task || p["type"] == "person");
        Ok(out)
    }

    fn id_of(&self, _kind: &ResourceKind, record: &Value) -> String {
        record["id"].as_u64().unwrap_or(0).to_string()
    }

    async fn create(&self, w: usize, kind: &ResourceKind, tag: &str) -> Option<String> {
        let (collection, wrapper, _) = entity(kind);
        let body = if *kind == ResourceKind::Task {
            json!({"task": {"description": tag, "dueOn": "2026-01-01"}})
        } else {
            json!({"party": {"type": "person", "firstName": "W", "lastName": tag}})
        };
        let v = self
            .raw
            .write(w, Method::POST, collection, Some(body))
            .await?;
        Some(self.id_of(kind, &v[wrapper]))
    }

    async fn update(&self, w: usize, kind: &ResourceKind, id: &str, tag: &str) -> bool {
        let (collection, _, _) = entity(kind);
        let body = if *kind == ResourceKind::Task {
            json!({"task": {"description": tag}})
        } else {
            json!({"party": {"about": tag}})
        };
        let path = format!("{collection}/{id}");
        self.raw
            .write(w, Method::PUT, &path, Some(body))
            .await
            .is_some()
    }

    async fn delete(&self, w: usize, kind: &ResourceKind, id: &str) -> bool {
        let path = format!("{}/{id}", entity(kind).0);
        self.raw
            .write(w, Method::DELETE, &path, None)
            .await
            .is_some()
    }

    async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}
