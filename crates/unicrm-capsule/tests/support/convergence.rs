//! The Capsule side of the testkit's change-feed soak (`unicrm_testkit::soak`), shared by the
//! `feed_convergence` test and the `feed_soak` example: a fresh simulator per run, people and
//! tasks written through the raw v2 API by other users (one personal access token each).

#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Crm, ResourceKind};
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SeedOptions};
use unicrm_testkit::HarnessError;
use unicrm_testkit::soak::{SoakConfig, SoakVendor};

/// The Capsule simulator, driven by the soak.
pub struct Capsule {
    sim: CapsuleSimHandle,
    config: SoakConfig,
    http: reqwest::Client,
    base: String,
    /// One token per writer, of different users.
    tokens: Vec<String>,
}

fn herr(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::new(e.to_string())
}

/// The v2 collection, wrapper key and full-listing query of a kind.
fn entity(kind: &ResourceKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ResourceKind::Task => ("tasks", "task", "perPage=100&status=open,completed,pending"),
        _ => ("parties", "party", "perPage=100&embed=tags,fields"),
    }
}

impl Capsule {
    /// A write as writer `w`; the JSON answer, `None` if refused.
    async fn send(
        &self,
        w: usize,
        req: reqwest::RequestBuilder,
        body: Option<Value>,
    ) -> Option<Value> {
        let token = self.tokens.get(w % self.tokens.len().max(1))?;
        let req = req.bearer_auth(token);
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
impl SoakVendor for Capsule {
    async fn start(config: &SoakConfig) -> Result<Self, HarnessError> {
        let sim = CapsuleSim::start(CapsuleSimOptions {
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
            hourly_budget: 10_000_000,
            ..CapsuleSimOptions::default()
        })
        .await
        .map_err(herr)?;
        let users = sim.user_ids();
        let tokens = (0..config.writers)
            .filter_map(|w| users.get((w + 1) % users.len().max(1)))
            .map(|u| sim.mint_pat(*u))
            .collect();
        unicrm_core::http::install_crypto_provider();
        Ok(Capsule {
            base: sim.base_url.as_str().trim_end_matches('/').to_string(),
            sim,
            config: *config,
            http: reqwest::Client::new(),
            tokens,
        })
    }

    fn client(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let client = CapsuleClient::builder()
            .base_url(self.sim.base_url.as_str())
            .personal_access_token(self.sim.token.clone())
            .change_page_size(self.config.page_size)
            .build()
            .map_err(herr)?;
        Ok(Arc::new(client))
    }

    /// Every record, following `Link: next`; parties are people only.
    async fn records(&self, kind: &ResourceKind) -> Result<Vec<Value>, HarnessError> {
        let (collection, _, query) = entity(kind);
        let mut out = Vec::new();
        let mut next = Some(format!("{}/{collection}?{query}", self.base));
        while let Some(u) = next.take() {
            let resp = self
                .http
                .get(&u)
                .bearer_auth(&self.sim.token)
                .send()
                .await
                .map_err(herr)?;
            let link = resp
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body: Value = resp.json().await.map_err(herr)?;
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
        let url = format!("{}/{collection}", self.base);
        let v = self.send(w, self.http.post(url), Some(body)).await?;
        Some(self.id_of(kind, &v[wrapper]))
    }

    async fn update(&self, w: usize, kind: &ResourceKind, id: &str, tag: &str) -> bool {
        let (collection, _, _) = entity(kind);
        let body = if *kind == ResourceKind::Task {
            json!({"task": {"description": tag}})
        } else {
            json!({"party": {"about": tag}})
        };
        let url = format!("{}/{collection}/{id}", self.base);
        self.send(w, self.http.put(url), Some(body)).await.is_some()
    }

    async fn delete(&self, w: usize, kind: &ResourceKind, id: &str) -> bool {
        let (collection, _, _) = entity(kind);
        let url = format!("{}/{collection}/{id}", self.base);
        self.send(w, self.http.delete(url), None).await.is_some()
    }

    async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}
