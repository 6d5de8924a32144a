//! Insightly API v3.1 simulator.
//!
//! An `axum` server on a local port serving the vendor's paths under `/v3.1/`, seeded from the
//! vendor-neutral [`crate::seed`] dataset, mutated by writes, with HTTP Basic API-key auth,
//! pods, the per-second and daily rate limits and their headers, ETags, gzip, and the
//! fault-injection layer of [`crate::faults`]. Behaviour follows
//! `docs/vendors/insightly-v3.1.md` ("Simulator must reproduce", and "Uncertain" for the defaults); the
//! deviations are listed in `docs/simulators-insightly.md`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use unicrm_sim::{InsightlySim, InsightlySimOptions};
//! let sim = InsightlySim::start(InsightlySimOptions::default()).await?;
//! println!("{}", sim.sandbox_line_json());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod activity_sets;
mod coerce;
mod gate;
mod handlers;
mod limits;
mod projects;
mod schema;
mod store;
mod web;

pub use limits::PerSecondWindow;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use http::StatusCode;
use serde::Serialize;
use tokio::sync::watch;

use crate::clock::SimClock;
use crate::faults::{FaultConfig, Faults, Flavor};
use crate::seed::{self, SeedOptions};
use crate::web::{Served, fault_controls, lag};

/// Options for starting the Insightly simulator.
#[derive(Debug, Clone)]
pub struct InsightlySimOptions {
    /// Seed data to load (default: seed 42, 200 records).
    pub seed: SeedOptions,
    /// Faults to inject (default: none).
    pub faults: FaultConfig,
    /// Pod this instance pretends to be (default `na1`); keys of other pods get
    /// [`wrong_pod_status`](Self::wrong_pod_status).
    pub pod: String,
    /// API key of the instance's first user (an administrator). `None` derives a
    /// GUID-looking key from the seed.
    pub api_key: Option<String>,
    /// Per-second limit per instance: at most this many accepted requests in any second
    /// (see [`per_second_window`](Self::per_second_window)); no tolerance. 0 disables it.
    /// Default 10.
    pub requests_per_second: u32,
    /// Which second the per-second limit counts in (default: sliding `(t − 1 s, t]`).
    pub per_second_window: PerSecondWindow,
    /// Requests per rolling 24 hours (default 100,000, the Enterprise plan).
    pub daily_quota: u32,
    /// Local port to listen on; 0 picks a free one (default).
    pub port: u16,
    /// Whether the Leads module is enabled; when not, every `/Leads` path answers 403.
    pub leads_enabled: bool,
    /// Status of a successful `POST` (default 200; 201 is the other documented possibility).
    pub create_status: u16,
    /// Status of a successful `DELETE` (default 202, empty body; 200 or 204 also possible).
    pub delete_status: u16,
    /// Status for a key of another pod (default 401; 404 is also reported).
    pub wrong_pod_status: u16,
    /// An undocumented `(key, value)` added to every record of the six record types, to
    /// exercise readers that must ignore unknown keys (§13 item 19). Default `None`.
    pub extra_field: Option<(String, serde_json::Value)>,
    /// The vendor's clock: record timestamps, the `Date` header, rate-limit windows and
    /// search lag. Default: the system clock; [`SimClock::manual`] for tests.
    pub clock: SimClock,
    /// How long after a create or update the record becomes visible to `/{Obj}/Search`
    /// (field filters and `updated_after_utc`) and `/{Obj}/SearchByTag`, measured on
    /// [`clock`](Self::clock). Until then those endpoints return the previous version (or
    /// nothing, for a new record). Plain lists and reads by id are never late. Default 0.
    pub search_lag: Duration,
}

impl Default for InsightlySimOptions {
    fn default() -> Self {
        Self {
            seed: SeedOptions::default(),
            faults: FaultConfig::default(),
            pod: "na1".to_string(),
            api_key: None,
            requests_per_second: 10,
            per_second_window: PerSecondWindow::Sliding,
            daily_quota: 100_000,
            port: 0,
            leads_enabled: true,
            create_status: 200,
            delete_status: 202,
            wrong_pod_status: 401,
            extra_field: None,
            clock: SimClock::system(),
            search_lag: Duration::ZERO,
        }
    }
}

/// The Insightly simulator.
#[derive(Debug)]
pub struct InsightlySim;

/// A running Insightly simulator. Dropping it without [`shutdown`](Self::shutdown) leaves
/// the server running until the runtime stops.
#[derive(Debug)]
pub struct InsightlySimHandle {
    /// Base URL, `http://127.0.0.1:Q/v3.1/` (ends in `/`).
    pub base_url: url::Url,
    /// API key of the first user (an administrator) on this pod.
    pub api_key: String,
    /// Pod of this instance, e.g. `na1`.
    pub pod: String,
    other_pod_key: String,
    user_keys: Vec<(u64, String)>,
    sim: Arc<handlers::Sim>,
    served: Served,
}

/// The line `unicrm sandbox` prints for this simulator (keys in this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InsightlySandboxLine {
    /// Always `insightly`.
    pub vendor: &'static str,
    /// Base URL ending in `/v3.1/`.
    pub base_url: String,
    /// API key to send as the Basic user name.
    pub api_key: String,
}

/// A GUID-looking key derived from `seed` and a salt (deterministic).
fn derive_key(seed: u64, salt: u64) -> String {
    let mut x = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        // splitmix64
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = next();
    let b = next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn status(code: u16, default: StatusCode) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(default)
}

impl InsightlySim {
    /// Seeds the data and starts serving on `127.0.0.1:port`.
    pub async fn start(options: InsightlySimOptions) -> std::io::Result<InsightlySimHandle> {
        let dataset = seed::generate(options.seed);
        let mut db = store::Db::from_dataset(&dataset);
        drop(dataset);
        db.extra_field = options.extra_field.clone();
        db.clock = options.clock.clone();
        db.search_lag = lag(options.search_lag);
        let api_key = options
            .api_key
            .clone()
            .unwrap_or_else(|| derive_key(options.seed.seed, 1));
        let other_pod = if options.pod.eq_ignore_ascii_case("eu1") {
            "na1"
        } else {
            "eu1"
        };
        let other_pod_key = derive_key(options.seed.seed, 2);
        let mut keys = HashMap::new();
        let first_user = db.user_ids.iter().next().copied().unwrap_or(501);
        keys.insert(api_key.clone(), (first_user, options.pod.clone()));
        keys.insert(other_pod_key.clone(), (first_user, other_pod.to_string()));
        let mut user_keys = vec![(first_user, api_key.clone())];
        for (i, uid) in db.user_ids.iter().enumerate().skip(1) {
            let k = derive_key(options.seed.seed, 100 + i as u64);
            keys.insert(k.clone(), (*uid, options.pod.clone()));
            user_keys.push((*uid, k));
        }
        let sim = Arc::new(handlers::Sim {
            pod: options.pod.clone(),
            keys,
            create_status: status(options.create_status, StatusCode::OK),
            delete_status: status(options.delete_status, StatusCode::ACCEPTED),
            wrong_pod_status: status(options.wrong_pod_status, StatusCode::UNAUTHORIZED),
            leads_enabled: AtomicBool::new(options.leads_enabled),
            db: RwLock::new(db),
            limiter: Mutex::new(limits::Limiter::new(
                options.requests_per_second,
                options.daily_quota,
                options.per_second_window,
            )),
            clock: options.clock.clone(),
        });
        let faults = Faults::with_clock(
            options.faults.clone(),
            Flavor::Insightly,
            options.clock.clone(),
        );
        let lists: Vec<&'static str> = sim.read().refs.iter().map(|r| r.path).collect();
        let (listener, addr) = crate::web::bind(options.port).await?;
        let (stop, _) = watch::channel(false);
        let served = Served::start(
            "insightly",
            listener,
            web::router(sim.clone(), &lists),
            faults,
            stop,
        );
        let base_url = url::Url::parse(&format!("http://{addr}/v3.1/"))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(InsightlySimHandle {
            base_url,
            api_key,
            pod: options.pod,
            other_pod_key,
            user_keys,
            sim,
            served,
        })
    }
}

impl InsightlySimHandle {
    /// Base URL, `http://127.0.0.1:Q/v3.1/`.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// API key of the first user.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The sandbox line as a struct (serializes as
    /// `{"vendor":"insightly","base_url":…,"api_key":…}` in that order).
    pub fn sandbox(&self) -> InsightlySandboxLine {
        InsightlySandboxLine {
            vendor: "insightly",
            base_url: self.base_url.to_string(),
            api_key: self.api_key.clone(),
        }
    }

    /// The sandbox line as JSON. Note: a [`serde_json::Value`] keeps key order only with
    /// serde_json's `preserve_order` feature; print [`sandbox_line_json`](Self::sandbox_line_json)
    /// to get the documented order.
    pub fn sandbox_line(&self) -> serde_json::Value {
        serde_json::to_value(self.sandbox()).unwrap_or(serde_json::Value::Null)
    }

    /// The sandbox line as one line of JSON text with keys in the documented order.
    pub fn sandbox_line_json(&self) -> String {
        serde_json::to_string(&self.sandbox()).unwrap_or_default()
    }

    /// A valid key of the same account bound to another pod (`eu1`, or `na1` when this
    /// instance is `eu1`): this instance answers it with the wrong-pod status.
    pub fn other_pod_key(&self) -> String {
        self.other_pod_key.clone()
    }

    /// API keys of every user on this pod, as `(USER_ID, key)`; the first is [`Self::api_key`].
    pub fn user_keys(&self) -> Vec<(u64, String)> {
        self.user_keys.clone()
    }

    fault_controls!();

    /// The instance's clock (a clone: advancing it moves the simulator's time).
    pub fn clock(&self) -> SimClock {
        self.sim.clock.clone()
    }

    /// Changes the search lag (see [`InsightlySimOptions::search_lag`]); writes already
    /// made keep the lag they were made with.
    pub fn set_search_lag(&self, lag_by: Duration) {
        self.sim.write().search_lag = lag(lag_by);
    }

    /// Changes the rate limits; forgets the requests counted in both windows.
    pub fn set_rate_limits(&self, requests_per_second: u32, daily_quota: u32) {
        self.sim
            .limiter()
            .reconfigure(requests_per_second, daily_quota);
    }

    /// Makes `DELETE /{object}/{id}` answer 417 "Delete failed" from now on (`object` is a
    /// path such as `Events`; docs/vendors/insightly-v3.1-addendum.md, "Corrections", C2).
    /// `false` when the object is not a record object.
    pub fn fail_deletes_of(&self, object: &str, id: u64) -> bool {
        match schema::Kind::from_path(object) {
            Some(kind) => {
                self.sim.write().undeletable.insert((kind, id));
                true
            }
            None => false,
        }
    }

    /// Enables or disables the Leads module (403 on `/Leads` when disabled).
    pub fn set_leads_enabled(&self, enabled: bool) {
        self.sim.leads_enabled.store(enabled, Ordering::Relaxed);
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
