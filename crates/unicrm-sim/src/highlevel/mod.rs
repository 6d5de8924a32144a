//! HighLevel (LeadConnector API v2) simulator.
//!
//! An `axum` server on a local port serving the vendor's paths at the root of its base URL,
//! seeded from the vendor-neutral [`crate::seed`] dataset as one location, mutated by writes,
//! with bearer tokens (a location PIT by default, OAuth tokens through `/oauth/token`), the
//! `Version` header, HighLevel's burst and daily limits with their five headers, search lag,
//! and the fault-injection layer of [`crate::faults`]. Behaviour follows
//! docs/vendors/highlevel-v2.md ("Simulator must reproduce"); what is and is not served is
//! listed in docs/simulators-highlevel.md.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use unicrm_sim::{HighLevelSim, HighLevelSimOptions};
//! let sim = HighLevelSim::start(HighLevelSimOptions::default()).await?;
//! println!("{} {}", sim.base_url, sim.token);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod gate;
mod handle_records;
mod handlers;
mod limits;
mod records;
mod seed;
mod seed_deals;
mod seed_records;
mod store;
mod web;
pub mod webhooks;

pub use store::{TokenInfo, TokenKind};
pub use webhooks::{LEGACY_WEBHOOK_RSA_SPKI, WebhookSignatures};

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::clock::SimClock;
use crate::faults::{FaultConfig, Faults, Flavor};
use crate::seed::SeedOptions;
use crate::web::{Served, fault_controls, lag};

/// Options for starting the HighLevel simulator.
#[derive(Debug, Clone)]
pub struct HighLevelSimOptions {
    /// Seed data to load (default: seed 42, 200 records).
    pub seed: SeedOptions,
    /// Faults to inject (default: none).
    pub faults: FaultConfig,
    /// Local port; 0 picks a free one (default).
    pub port: u16,
    /// Requests per 10-second window per token (default 100; a sandbox location has 25; 0
    /// disables the limits).
    pub burst_max: u32,
    /// Requests per day per token (default 200,000; sandbox 10,000).
    pub daily_max: u32,
    /// How long a write takes to reach `POST /contacts/search` (item 23; default 0).
    pub search_delay: Duration,
    /// The 401 text of a bad or expired token (item 4; "Uncertain" 1 — `Invalid JWT` is
    /// also reported).
    pub invalid_token_message: String,
    /// The vendor's clock (default: the system clock).
    pub clock: SimClock,
    /// The signature headers webhook deliveries carry (item 38; default: `x-ghl-signature`
    /// only, the legacy `x-wh-signature` being optional and announced as retired).
    pub webhook_signatures: webhooks::WebhookSignatures,
}

impl Default for HighLevelSimOptions {
    fn default() -> Self {
        HighLevelSimOptions {
            seed: SeedOptions::default(),
            faults: FaultConfig::default(),
            port: 0,
            burst_max: 100,
            daily_max: 200_000,
            search_delay: Duration::ZERO,
            invalid_token_message: "Invalid token: access token is invalid".into(),
            clock: SimClock::system(),
            webhook_signatures: webhooks::WebhookSignatures::Current,
        }
    }
}

/// The HighLevel simulator.
#[derive(Debug)]
pub struct HighLevelSim;

/// A running HighLevel simulator.
#[derive(Debug)]
pub struct HighLevelSimHandle {
    /// Base URL, `http://127.0.0.1:R/` (ends in `/`).
    pub base_url: url::Url,
    /// A sub-account private integration token of [`Self::location_id`], with every scope.
    pub token: String,
    /// The location (20 characters).
    pub location_id: String,
    /// The agency.
    pub company_id: String,
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// The public half of the webhook signing key, SPKI base64 (the form HighLevel publishes).
    pub webhook_public_key: String,
    signer: Arc<ring::signature::Ed25519KeyPair>,
    signatures: webhooks::WebhookSignatures,
    sim: Arc<handlers::Sim>,
    served: Served,
}

/// The line `unicrm sandbox` prints for this simulator (keys in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HighLevelSandboxLine {
    /// Always `highlevel`.
    pub vendor: &'static str,
    /// Base URL ending in `/`.
    pub base_url: String,
    /// A location token (sub-account PIT) of `location_id`.
    pub token: String,
    /// The location.
    pub location_id: String,
    /// The agency.
    pub company_id: String,
    /// `<base_url>oauth/token`.
    pub oauth_token_url: String,
    /// The consent page's stand-in: redirects at once with `?code=`.
    pub authorize_url: String,
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// Verifies the simulator's signed deliveries (Ed25519, SPKI base64).
    pub webhook_public_key: String,
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl HighLevelSim {
    /// Seeds the location and starts serving on `127.0.0.1:port`.
    pub async fn start(options: HighLevelSimOptions) -> std::io::Result<HighLevelSimHandle> {
        let s = options.seed.seed;
        let location_id = store::id20("Lc", s.wrapping_add(1));
        let company_id = store::id20("Cm", s.wrapping_add(2));
        let dataset = crate::seed::generate(options.seed);
        let mut db = seed::location(&dataset, &location_id);
        drop(dataset);
        let token = format!(
            "pit-{}",
            store::id20("Pt", s.wrapping_add(3)).to_lowercase()
        );
        db.tokens.insert(
            token.clone(),
            TokenInfo {
                kind: TokenKind::Location(location_id.clone()),
                scopes: handlers::oauth::ALL_SCOPES
                    .iter()
                    .map(|x| x.to_string())
                    .collect(),
                expires_at: None,
            },
        );
        let client_id = format!("{}-{}", store::id20("Ap", s.wrapping_add(4)), "mkt");
        let client_secret = store::id20("Sc", s.wrapping_add(5));
        let sim = Arc::new(handlers::Sim {
            location_id: location_id.clone(),
            company_id: company_id.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            invalid_token_message: options.invalid_token_message.clone(),
            db: RwLock::new(db),
            limits: Mutex::new(limits::Limits::new(options.burst_max, options.daily_max)),
            clock: options.clock.clone(),
            search_delay: RwLock::new(lag(options.search_delay)),
            traces: AtomicU64::new(0),
            seed: s,
            hooks: webhooks::Hooks::default(),
        });
        let faults = Faults::with_clock(
            options.faults.clone(),
            Flavor::HighLevel,
            options.clock.clone(),
        );
        faults.set_rate_limit_hint(options.burst_max);
        let (listener, addr) = crate::web::bind(options.port).await?;
        let (stop, _) = watch::channel(false);
        let served = Served::start(
            "highlevel",
            listener,
            web::router(sim.clone()),
            faults,
            stop,
        );
        // The webhook key pair, from the seed (deterministic).
        let mut key_seed = [0u8; 32];
        for (i, b) in key_seed.iter_mut().enumerate() {
            *b = (s.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(i as u32) & 0xff) as u8
                ^ i as u8;
        }
        let signer = ring::signature::Ed25519KeyPair::from_seed_unchecked(&key_seed)
            .map_err(|e| std::io::Error::other(format!("webhook key: {e}")))?;
        let mut spki = ED25519_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(ring::signature::KeyPair::public_key(&signer).as_ref());
        let webhook_public_key =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, spki);
        let base_url = url::Url::parse(&format!("http://{addr}/"))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(HighLevelSimHandle {
            base_url,
            token,
            location_id,
            company_id,
            client_id,
            client_secret,
            webhook_public_key,
            signer: Arc::new(signer),
            signatures: options.webhook_signatures,
            sim,
            served,
        })
    }
}

impl HighLevelSimHandle {
    /// Base URL, `http://127.0.0.1:R/`.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// `<base URL>oauth/token`.
    pub fn oauth_token_url(&self) -> String {
        format!("{}oauth/token", self.base_url)
    }

    /// The consent page's stand-in, `<base URL>oauth/chooselocation`.
    pub fn authorize_url(&self) -> String {
        format!("{}oauth/chooselocation", self.base_url)
    }

    /// The sandbox line as a struct.
    pub fn sandbox(&self) -> HighLevelSandboxLine {
        HighLevelSandboxLine {
            vendor: "highlevel",
            base_url: self.base_url.to_string(),
            token: self.token.clone(),
            location_id: self.location_id.clone(),
            company_id: self.company_id.clone(),
            oauth_token_url: self.oauth_token_url(),
            authorize_url: self.authorize_url(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            webhook_public_key: self.webhook_public_key.clone(),
        }
    }

    /// The sandbox line as one line of JSON, keys in the documented order.
    pub fn sandbox_line_json(&self) -> String {
        serde_json::to_string(&self.sandbox()).unwrap_or_default()
    }

    /// The `x-ghl-signature` of `body` (base64 Ed25519 over the exact bytes, item 38).
    pub fn sign(&self, body: &[u8]) -> String {
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            self.signer.sign(body).as_ref(),
        )
    }

    /// The legacy `x-wh-signature` of `body` (base64 RSA PKCS#1 v1.5 SHA-256 over the exact
    /// bytes, with the key [`webhooks::LEGACY_WEBHOOK_RSA_SPKI`] verifies; item 38), whatever
    /// [`HighLevelSimOptions::webhook_signatures`] says. `None` only if the checked-in key
    /// cannot be read.
    pub fn sign_legacy(&self, body: &[u8]) -> Option<String> {
        webhooks::legacy_signature(body)
    }

    /// A delivery of `event` (`type`, the record's fields) as the simulator would send it:
    /// with `locationId`, a fresh `webhookId` and the current `timestamp` added, the exact
    /// bytes and their `x-ghl-signature` (item 38; what the emitter would POST).
    pub fn signed_delivery(&self, event: Map<String, Value>) -> (Vec<u8>, String) {
        let mut body = event;
        body.insert("locationId".into(), Value::String(self.location_id.clone()));
        body.insert(
            "timestamp".into(),
            Value::String(store::iso(self.sim.clock.now())),
        );
        body.insert("webhookId".into(), Value::String(self.sim.trace_id()));
        let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let sig = self.sign(&bytes);
        (bytes, sig)
    }

    fault_controls!();

    /// The instance's clock (a clone: advancing it moves the simulator's time).
    pub fn clock(&self) -> SimClock {
        self.sim.clock.clone()
    }

    /// Accepts `token` as `info` from now on (tests: expired, scoped, Company, agency PIT).
    pub fn add_token(&self, token: impl Into<String>, info: TokenInfo) {
        self.sim.write().tokens.insert(token.into(), info);
    }

    /// An authorization code to exchange at `/oauth/token` for a token of `kind` (as the
    /// consent page's redirect would carry it).
    pub fn authorization_code(&self, kind: TokenKind) -> String {
        let mut db = self.sim.write();
        let code = db.new_id("Cd");
        db.codes.insert(code.clone(), kind);
        code
    }

    /// Changes the search delay (item 23).
    pub fn set_search_delay(&self, delay: Duration) {
        *self
            .sim
            .search_delay
            .write()
            .unwrap_or_else(|e| e.into_inner()) = lag(delay);
    }

    /// Changes the limits (and forgets what was counted).
    pub fn set_limits(&self, burst_max: u32, daily_max: u32) {
        *self.sim.limits() = limits::Limits::new(burst_max, daily_max);
    }

    /// Every contact as stored (GET form, empty fields included), sorted by id.
    pub fn contacts(&self) -> Vec<Map<String, Value>> {
        self.sim
            .read()
            .contacts
            .values()
            .map(|c| c.record.clone())
            .collect()
    }

    /// A write made by someone else (another user in the web app): merges `fields` into the
    /// contact and moves `dateUpdated`; `false` when there is no such contact.
    pub fn touch_contact(&self, id: &str, fields: Map<String, Value>) -> bool {
        let now = self.sim.clock.now();
        let mut db = self.sim.write();
        let Some(c) = db.contacts.get_mut(id) else {
            return false;
        };
        let prev = c.record.clone();
        c.record.extend(fields);
        c.record
            .insert("dateUpdated".into(), Value::String(store::iso(now)));
        c.search_view = Some(prev);
        c.visible_at = now;
        true
    }

    /// A contact created by someone else (in the web app) with `fields`; its id.
    pub fn insert_contact(&self, fields: Map<String, Value>) -> String {
        let now = self.sim.clock.now();
        let mut db = self.sim.write();
        let id = db.new_id("Ct");
        let mut record = Map::new();
        record.insert("id".into(), Value::String(id.clone()));
        record.insert("locationId".into(), Value::String(self.location_id.clone()));
        record.insert("type".into(), Value::String("lead".into()));
        record.insert("dateAdded".into(), Value::String(store::iso(now)));
        record.insert("dateUpdated".into(), Value::String(store::iso(now)));
        record.extend(fields);
        db.contacts.insert(
            id.clone(),
            store::StoredContact {
                record,
                search_view: None,
                visible_at: now,
            },
        );
        id
    }

    /// Deletes a contact as someone else would; `false` when there is none.
    pub fn remove_contact(&self, id: &str) -> bool {
        let mut db = self.sim.write();
        db.notes
            .retain(|_, n| n.get("contactId").and_then(Value::as_str) != Some(id));
        db.tasks
            .retain(|_, t| t.get("contactId").and_then(Value::as_str) != Some(id));
        db.contacts.remove(id).is_some()
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
