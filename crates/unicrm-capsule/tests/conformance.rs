//! The unicrm-testkit conformance suite, run against the Capsule simulator through
//! `Arc<dyn Crm>`. The harness below resets the simulator (a fresh one per reset) and acts as
//! another Capsule user writing through the raw v2 API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use unicrm_capsule::{CapsuleClient, CapsuleOAuth, HookEvent, NewRestHook, OAuthSettings};
use unicrm_core::{Crm, ResourceKind};
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SeedOptions};
use unicrm_testkit::{
    ConvergenceOptions, Harness, HarnessError, InvalidWrite, SuiteOptions, VendorRecord,
};

/// People seeded: enough that the feed's listings (100 parties a page) span several pages.
const RECORDS: usize = 240;

struct Sim {
    handle: CapsuleSimHandle,
    /// A personal access token of another user (user 2), for the raw writes.
    other_token: String,
    /// The other user's HTTP client.
    http: reqwest::Client,
}

struct CapsuleHarness {
    sim: Mutex<Option<Arc<Sim>>>,
    faults: Mutex<FaultConfig>,
}

fn herr(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::new(e.to_string())
}

impl CapsuleHarness {
    fn new() -> Self {
        CapsuleHarness {
            sim: Mutex::new(None),
            faults: Mutex::new(FaultConfig::default()),
        }
    }

    fn sim(&self) -> Result<Arc<Sim>, HarnessError> {
        self.sim
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| HarnessError::new("reset first"))
    }

    fn apply_faults(&self, f: impl FnOnce(&mut FaultConfig)) -> Result<(), HarnessError> {
        let mut faults = self.faults.lock().unwrap();
        f(&mut faults);
        self.sim()?.handle.set_faults(faults.clone());
        Ok(())
    }

    fn client(&self, token: &str) -> Result<Arc<dyn Crm>, HarnessError> {
        let sim = self.sim()?;
        let c = CapsuleClient::builder()
            .base_url(sim.handle.base_url.as_str())
            .personal_access_token(token.to_string())
            // The simulator is on the Teams edition: activity types can be written.
            .teams_edition(true)
            // Every engagement/note feed call walks every entry (the partial walks are
            // proven in tests/entry_feed.rs on a manual clock).
            .entry_full_walk_interval(Duration::ZERO)
            .build()
            .map_err(herr)?;
        Ok(unicrm_core::guard(Arc::new(c)))
    }

    /// One raw request as the other user; the JSON answer (Null for an empty body).
    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, HarnessError> {
        let sim = self.sim()?;
        let url = sim.handle.base_url.join(path).map_err(herr)?;
        let mut req = sim
            .http
            .request(method.clone(), url)
            .bearer_auth(&sim.other_token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        // The other user retries 429s and 5xx of its own reads (faults may be on).
        let resp = req.send().await.map_err(herr)?;
        let status = resp.status();
        let text = resp.text().await.map_err(herr)?;
        if !status.is_success() {
            return Err(HarnessError::new(format!(
                "{method} {path}: {status} {text}"
            )));
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(herr)
    }

    /// Every item of a raw listing, page by page.
    async fn raw_all(
        &self,
        path: &str,
        key: &str,
        query: &str,
    ) -> Result<Vec<Value>, HarnessError> {
        let mut out = Vec::new();
        for page in 1.. {
            let v = self
                .raw(
                    reqwest::Method::GET,
                    &format!("{path}?perPage=100&page={page}{query}"),
                    None,
                )
                .await?;
            let items = v[key].as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }
}

impl CapsuleHarness {
    async fn subscribe_a_hook(&self) -> Result<(), unicrm_core::Error> {
        let sim = self
            .sim()
            .map_err(|e| unicrm_core::Error::config(e.message))?;
        let h = &sim.handle;
        let settings = OAuthSettings {
            client_id: h.client_id.clone(),
            client_secret: h.client_secret.clone().into(),
            token_url: h.oauth_token_url.to_string(),
            authorise_url: h.authorise_url.to_string(),
            revoke_url: h.revoke_url.to_string(),
        };
        let oauth = CapsuleOAuth::new(&settings)?;
        let redirect = "https://app.example/callback";
        let (url, _state) = oauth.authorise_url(redirect, &["read", "write"])?;
        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| unicrm_core::Error::config(e.to_string()))?;
        let resp = no_redirect
            .get(url.as_str())
            .send()
            .await
            .map_err(|e| unicrm_core::Error::config(e.to_string()))?;
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url::Url::parse(l).ok())
            .ok_or_else(|| unicrm_core::Error::config("the authorisation answered no redirect"))?;
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| unicrm_core::Error::config("the redirect carries no code"))?;
        let tokens = oauth.exchange_code(&code, redirect).await?.tokens;
        let client = CapsuleClient::builder()
            .base_url(h.base_url.as_str())
            .oauth(settings, tokens)
            .build()?;
        let hook = client
            .subscribe_hook(&NewRestHook {
                event: HookEvent::PartyUpdated,
                target_url: "https://hooks.example/unicrm-kit".into(),
                description: Some("unicrm-testkit".into()),
                embed: None,
            })
            .await?;
        client.unsubscribe_hook(hook.id).await
    }
}

fn record(v: &Value, marker: &str) -> VendorRecord {
    VendorRecord {
        id: v["id"].as_u64().map(|i| i.to_string()).unwrap_or_default(),
        marker: v[marker]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    }
}

#[async_trait]
impl Harness for CapsuleHarness {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn reset(&self) -> Result<(), HarnessError> {
        let old = self.sim.lock().unwrap().take();
        if let Some(old) = old.and_then(Arc::into_inner) {
            old.handle.shutdown().await;
        }
        let handle = CapsuleSim::start(CapsuleSimOptions {
            seed: SeedOptions {
                seed: 13,
                records: RECORDS,
            },
            ..CapsuleSimOptions::default()
        })
        .await
        .map_err(herr)?;
        let other_token = handle.mint_pat(2);
        *self.faults.lock().unwrap() = FaultConfig::default();
        *self.sim.lock().unwrap() = Some(Arc::new(Sim {
            handle,
            other_token,
            http: {
                unicrm_core::http::install_crypto_provider();
                reqwest::Client::new()
            },
        }));
        Ok(())
    }

    async fn connect(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        let token = self.sim()?.handle.token.clone();
        self.client(&token)
    }

    async fn connect_with_bad_credentials(&self) -> Result<Option<Arc<dyn Crm>>, HarnessError> {
        self.client("not-a-valid-token").map(Some)
    }

    async fn vendor_records(
        &self,
        kind: &ResourceKind,
    ) -> Result<Option<Vec<VendorRecord>>, HarnessError> {
        let parties = |ty: &'static str, marker: &'static str| async move {
            let all = self.raw_all("parties", "parties", "").await?;
            Ok::<_, HarnessError>(
                all.iter()
                    .filter(|p| p["type"] == ty)
                    .map(|p| record(p, marker))
                    .collect(),
            )
        };
        let out: Vec<VendorRecord> = match kind {
            ResourceKind::Contact => parties("person", "jobTitle").await?,
            ResourceKind::Account => parties("organisation", "about").await?,
            ResourceKind::Opportunity => self
                .raw_all("opportunities", "opportunities", "")
                .await?
                .iter()
                .map(|v| record(v, "description"))
                .collect(),
            ResourceKind::Task => self
                .raw_all("tasks", "tasks", "&status=open,completed,pending")
                .await?
                .iter()
                .map(|v| record(v, "description"))
                .collect(),
            // Plain notes: type note with activity type Note (-1).
            ResourceKind::Note => self
                .raw_all("entries", "entries", "")
                .await?
                .iter()
                .filter(|e| e["type"] == "note" && e["activityType"]["id"] == -1)
                .map(|v| record(v, "content"))
                .collect(),
            // Engagements: logged activities (type note, another activity type) and emails.
            ResourceKind::Engagement => self
                .raw_all("entries", "entries", "")
                .await?
                .iter()
                .filter(|e| {
                    (e["type"] == "note" && e["activityType"]["id"] != -1) || e["type"] == "email"
                })
                .map(|v| record(v, "content"))
                .collect(),
            // Activity types: ids are negative for built-ins.
            ResourceKind::EngagementType => self
                .raw_all("activitytypes", "activityTypes", "")
                .await?
                .iter()
                .map(|v| VendorRecord {
                    id: v["id"].as_i64().map(|i| i.to_string()).unwrap_or_default(),
                    marker: v["name"].as_str().map(str::to_string),
                })
                .collect(),
            ResourceKind::User => self
                .raw_all("users", "users", "")
                .await?
                .iter()
                .map(|v| record(v, "name"))
                .collect(),
            // Opportunity pipelines by their ids, then the active boards as `board-<id>`.
            ResourceKind::Pipeline => {
                let mut out: Vec<VendorRecord> = self
                    .raw_all("pipelines", "pipelines", "")
                    .await?
                    .iter()
                    .map(|v| record(v, "description"))
                    .collect();
                for b in self.raw_all("boards", "boards", "").await? {
                    let mut r = record(&b, "description");
                    r.id = format!("board-{}", r.id);
                    out.push(r);
                }
                out
            }
            ResourceKind::Project => self
                .raw_all("kases", "kases", "")
                .await?
                .iter()
                .map(|v| record(v, "description"))
                .collect(),
            // Definitions of parties, opportunities and kases, as `<entity>-<id>`.
            ResourceKind::FieldDefinition => {
                let mut out = Vec::new();
                for entity in ["parties", "opportunities", "kases"] {
                    let path = format!("{entity}/fields/definitions");
                    for d in self.raw_all(&path, "definitions", "").await? {
                        let mut r = record(&d, "description");
                        r.id = format!("{entity}-{}", r.id);
                        out.push(r);
                    }
                }
                out
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    fn other_user_kinds(&self) -> Vec<ResourceKind> {
        vec![
            ResourceKind::Contact,
            ResourceKind::Account,
            ResourceKind::Task,
            ResourceKind::Engagement,
        ]
    }

    async fn other_user_create(
        &self,
        kind: &ResourceKind,
        marker: &str,
    ) -> Result<String, HarnessError> {
        let (path, key, body) = match kind {
            ResourceKind::Contact => (
                "parties",
                "party",
                json!({"party": {"type": "person", "firstName": "Other", "lastName": "User", "jobTitle": marker}}),
            ),
            ResourceKind::Account => (
                "parties",
                "party",
                json!({"party": {"type": "organisation", "name": format!("Other Org {marker}"), "about": marker}}),
            ),
            ResourceKind::Task => (
                "tasks",
                "task",
                json!({"task": {"description": marker, "dueOn": "2031-01-02"}}),
            ),
            ResourceKind::Engagement => {
                let party = self
                    .raw_all("parties", "parties", "")
                    .await?
                    .iter()
                    .find_map(|p| p["id"].as_u64())
                    .ok_or_else(|| HarnessError::new("no party to log a call on"))?;
                (
                    "entries",
                    "entry",
                    json!({"entry": {"type": "note", "party": {"id": party}, "activityType": {"id": -3}, "content": marker}}),
                )
            }
            _ => return Err(HarnessError::unsupported("other_user_create")),
        };
        let v = self.raw(reqwest::Method::POST, path, Some(body)).await?;
        v[key]["id"]
            .as_u64()
            .map(|i| i.to_string())
            .ok_or_else(|| HarnessError::new(format!("create answered {v}")))
    }

    async fn other_user_update(
        &self,
        kind: &ResourceKind,
        id: &str,
        marker: &str,
    ) -> Result<(), HarnessError> {
        let (path, body) = match kind {
            ResourceKind::Contact => ("parties", json!({"party": {"jobTitle": marker}})),
            ResourceKind::Account => ("parties", json!({"party": {"about": marker}})),
            ResourceKind::Task => ("tasks", json!({"task": {"description": marker}})),
            ResourceKind::Engagement => ("entries", json!({"entry": {"content": marker}})),
            _ => return Err(HarnessError::unsupported("other_user_update")),
        };
        self.raw(reqwest::Method::PUT, &format!("{path}/{id}"), Some(body))
            .await
            .map(drop)
    }

    async fn other_user_delete(&self, kind: &ResourceKind, id: &str) -> Result<(), HarnessError> {
        let path = match kind {
            ResourceKind::Contact | ResourceKind::Account => "parties",
            ResourceKind::Task => "tasks",
            ResourceKind::Engagement => "entries",
            _ => return Err(HarnessError::unsupported("other_user_delete")),
        };
        self.raw(reqwest::Method::DELETE, &format!("{path}/{id}"), None)
            .await
            .map(drop)
    }

    async fn set_latency(&self, latency: Duration) -> Result<(), HarnessError> {
        self.apply_faults(|f| f.latency_ms = latency.as_millis() as u64)
    }

    async fn set_rate_limiting(&self, on: bool) -> Result<bool, HarnessError> {
        self.apply_faults(|f| {
            f.seed = 3;
            f.burst_429_rate = if on { 0.5 } else { 0.0 };
            f.burst_429_len = 1;
        })?;
        Ok(true)
    }

    /// Capsule hooks need an OAuth application: the harness runs the authorisation-code flow
    /// against the simulator, subscribes a hook with the adapter's hook API, and removes it.
    async fn try_webhook(&self) -> Option<Result<(), unicrm_core::Error>> {
        Some(self.subscribe_a_hook().await)
    }

    fn invalid_write(&self) -> Option<InvalidWrite> {
        Some(InvalidWrite {
            kind: ResourceKind::Account,
            new: json!({"name": ""}),
            fields: vec!["name".into()],
        })
    }
}

#[tokio::test]
async fn capsule_passes_the_conformance_suite() {
    let harness = CapsuleHarness::new();
    // Convergence runs in its own test below.
    let options = SuiteOptions {
        convergence: false,
        ..SuiteOptions::default()
    };
    let report = unicrm_testkit::run(&harness, &options)
        .await
        .expect("the simulator starts");
    println!("{report}");
    report.assert_passed();
    assert!(report.has_passed("contact", "write round trip"), "{report}");
    assert!(report.has_passed("contact", "paging"), "{report}");
    // The issue #14 resources run, not skip.
    for kind in ["project", "field_definition"] {
        assert!(report.has_passed(kind, "reads"), "{kind}: {report}");
        assert!(report.has_passed(kind, "paging"), "{kind}: {report}");
        assert!(
            report.has_passed(kind, "write round trip"),
            "{kind}: {report}"
        );
    }
    assert!(
        report.has_passed("project", "stream returns every seeded record"),
        "{report}"
    );

    for (kind, check) in [
        ("engagement", "reads"),
        ("engagement", "paging"),
        ("engagement", "stream returns every seeded record"),
        ("engagement_type", "reads"),
        ("engagement_type", "paging"),
        ("engagement_type", "write round trip"),
    ] {
        assert!(report.has_passed(kind, check), "{kind} {check}: {report}");
    }
}

/// The kit's change-feed convergence check: other users create, update and delete contacts,
/// accounts and tasks through the raw API while the feed is polled over multi-page listings;
/// the replica built only from the feed must equal the vendor's state (0 stale, 0 missing,
/// 0 ghosts, 0 invented deletions).
#[tokio::test]
async fn capsule_change_feed_convergence() {
    let harness = CapsuleHarness::new();
    let options = ConvergenceOptions::default();
    let report = unicrm_testkit::run_convergence(&harness, &options)
        .await
        .expect("the simulator starts");
    println!("{report}");
    report.assert_passed();
    for kind in ["contact", "account", "task", "engagement"] {
        assert!(
            report.has_passed(kind, "change-feed convergence"),
            "{kind}: {report}"
        );
    }
}
