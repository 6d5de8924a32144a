//! Capsule CRM v2 simulator.
//!
//! An `axum` server on a local port that speaks the wire format described in
//! `docs/vendors/capsule-v2.md`: `/api/v2/…` resources behind bearer tokens with a
//! per-user hourly budget, `/oauth/…` endpoints, REST-hook deliveries, and the seeded
//! fault injection of [`crate::faults`]. See `docs/simulators-capsule.md` for coverage and
//! known deviations.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use unicrm_sim::{CapsuleSim, CapsuleSimOptions};
//! let sim = CapsuleSim::start(CapsuleSimOptions::default()).await?;
//! println!("{}", sim.sandbox_line());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod handlers;
mod hooks;
mod model;
mod numbers;
mod web;
mod writes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use serde::Serialize;
use tokio::sync::watch;

use crate::clock::SimClock;
use crate::faults::{FaultConfig, Faults, Flavor};
use crate::seed::{self, SeedOptions};
use crate::web::{Served, fault_controls, lag};
use model::Db;

/// Options for starting the Capsule simulator.
#[derive(Debug, Clone)]
pub struct CapsuleSimOptions {
    /// Seed data to generate (seed and record count).
    pub seed: SeedOptions,
    /// Faults to inject (none by default).
    pub faults: FaultConfig,
    /// Requests per user per budget window (Capsule: 4000 per hour).
    pub hourly_budget: u32,
    /// Length of the fixed rate-limit window (default one hour).
    pub budget_window: Duration,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// Answer party deletes with `202 Accepted` + a job instead of `204` (§13.19).
    pub deferred_delete: bool,
    /// The vendor's clock: record timestamps, the `Date` header, rate-limit windows, token
    /// expiry and search lag. Default: the system clock; [`SimClock::manual`] for tests.
    /// (Deferred-delete jobs and REST-hook retries still use timers.)
    pub clock: SimClock,
    /// How long after a create or update a party or opportunity becomes visible to
    /// `/parties/search` and `/opportunities/search`, measured on [`clock`](Self::clock).
    /// Until then search returns the previous version (or nothing, for a new record).
    /// Lists (`since` included) and reads by id are never late. Default 0.
    pub search_lag: Duration,
    /// The tenant is on the Teams edition: `POST`/`PUT /activitytypes` work (otherwise 403;
    /// docs/vendors/capsule-v2-addendum.md, Simulator must reproduce, item 15). Default true.
    pub teams_edition: bool,
}

impl Default for CapsuleSimOptions {
    fn default() -> Self {
        Self {
            seed: SeedOptions::default(),
            faults: FaultConfig::default(),
            hourly_budget: 4000,
            budget_window: Duration::from_secs(3600),
            port: 0,
            deferred_delete: false,
            clock: SimClock::system(),
            search_lag: Duration::ZERO,
            teams_edition: true,
        }
    }
}

/// The Capsule simulator; see [`CapsuleSim::start`].
#[derive(Debug)]
pub struct CapsuleSim;

/// Shared server state.
#[derive(Debug)]
pub(crate) struct App {
    db: Mutex<Db>,
    /// `http://127.0.0.1:P` (no trailing slash).
    origin: String,
    deferred_delete: AtomicBool,
    http: reqwest::Client,
    shutdown: watch::Receiver<bool>,
}

pub(crate) type Shared = Arc<App>;

impl App {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:P/api/v2`.
    pub(crate) fn api_base(&self) -> String {
        format!("{}/api/v2", self.origin)
    }
}

/// A running Capsule simulator. Dropping it leaves the server running until the runtime
/// ends; call [`CapsuleSimHandle::shutdown`] to stop it gracefully.
#[derive(Debug)]
pub struct CapsuleSimHandle {
    /// API base URL, `http://127.0.0.1:P/api/v2/` (ends with `/`).
    pub base_url: url::Url,
    /// A personal access token of user 1 (an administrator).
    pub token: String,
    /// OAuth token endpoint, `http://127.0.0.1:P/oauth/token`.
    pub oauth_token_url: url::Url,
    /// OAuth authorisation endpoint (auto-approving stand-in), `…/oauth/authorise`.
    pub authorise_url: url::Url,
    /// OAuth revocation endpoint, `…/oauth/token/revoke`.
    pub revoke_url: url::Url,
    /// Client id of the registered OAuth application.
    pub client_id: String,
    /// Client secret of the registered OAuth application.
    pub client_secret: String,
    app: Shared,
    served: Served,
}

#[derive(Serialize)]
struct SandboxLine<'a> {
    vendor: &'static str,
    base_url: &'a str,
    token: &'a str,
    oauth_token_url: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

impl CapsuleSim {
    /// Generates the seed data, binds `127.0.0.1:port` and serves until
    /// [`CapsuleSimHandle::shutdown`].
    pub async fn start(options: CapsuleSimOptions) -> std::io::Result<CapsuleSimHandle> {
        let (listener, addr) = crate::web::bind(options.port).await?;
        let origin = format!("http://{addr}");
        let parse = |s: String| url::Url::parse(&s).map_err(std::io::Error::other);

        let dataset = seed::generate(options.seed);
        let mut db = model::build(
            &dataset,
            options.seed.seed,
            options.hourly_budget.max(1),
            options.budget_window.max(Duration::from_millis(1)),
            options.clock.clone(),
        );
        db.search_lag = lag(options.search_lag);
        db.teams_edition = options.teams_edition;
        let token = db.mint_pat(1);
        let client_id = db.client_id.clone();
        let client_secret = db.client_secret.clone();

        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(std::io::Error::other)?;
        let (stop, shutdown) = watch::channel(false);
        let app = Arc::new(App {
            db: Mutex::new(db),
            origin: origin.clone(),
            deferred_delete: AtomicBool::new(options.deferred_delete),
            http,
            shutdown,
        });
        let faults = Faults::with_clock(
            options.faults.clone(),
            Flavor::Capsule,
            options.clock.clone(),
        );
        faults.set_rate_limit_hint(options.hourly_budget);
        let served = Served::start("capsule", listener, router(app.clone()), faults, stop);

        Ok(CapsuleSimHandle {
            base_url: parse(format!("{origin}/api/v2/"))?,
            token,
            oauth_token_url: parse(format!("{origin}/oauth/token"))?,
            authorise_url: parse(format!("{origin}/oauth/authorise"))?,
            revoke_url: parse(format!("{origin}/oauth/token/revoke"))?,
            client_id,
            client_secret,
            app,
            served,
        })
    }
}

impl CapsuleSimHandle {
    /// The `unicrm sandbox` line (the sandbox contract in `docs/simulators.md`), keys in this order:
    /// `vendor, base_url, token, oauth_token_url, client_id, client_secret`.
    pub fn sandbox_line(&self) -> serde_json::Value {
        serde_json::to_value(self.sandbox_line_struct()).unwrap_or_default()
    }

    /// The sandbox line as compact JSON text with the keys in the documented order
    /// (independent of `serde_json`'s map ordering).
    pub fn sandbox_line_string(&self) -> String {
        serde_json::to_string(&self.sandbox_line_struct()).unwrap_or_default()
    }

    /// Same as [`sandbox_line_string`](Self::sandbox_line_string) (name shared with the
    /// Insightly simulator's handle).
    pub fn sandbox_line_json(&self) -> String {
        self.sandbox_line_string()
    }

    fn sandbox_line_struct(&self) -> SandboxLine<'_> {
        SandboxLine {
            vendor: "capsule",
            base_url: self.base_url.as_str(),
            token: &self.token,
            oauth_token_url: self.oauth_token_url.as_str(),
            client_id: &self.client_id,
            client_secret: &self.client_secret,
        }
    }

    fault_controls!();

    /// The tenant's clock (a clone: advancing it moves the simulator's time).
    pub fn clock(&self) -> SimClock {
        self.app.lock().clock.clone()
    }

    /// Changes the search lag (see [`CapsuleSimOptions::search_lag`]); writes already made
    /// keep the lag they were made with.
    pub fn set_search_lag(&self, lag_by: Duration) {
        self.app.lock().search_lag = lag(lag_by);
    }

    /// Makes `POST /{entity}/filters/results` honour `orderBy` (default off: accepted and
    /// ignored, results by ascending id; docs/vendors/capsule-v2-addendum.md, "AND, OR and
    /// ordering").
    pub fn set_filter_order_by(&self, on: bool) {
        self.app.lock().kases.honour_order_by = on;
    }

    /// Switches the tenant's Teams edition on or off (activity type writes; item 15).
    pub fn set_teams_edition(&self, on: bool) {
        self.app.lock().teams_edition = on;
    }

    /// Turns the deferred-delete behaviour of `DELETE /parties/{id}` on or off (§13.19).
    pub fn set_deferred_delete(&self, on: bool) {
        self.app.deferred_delete.store(on, Ordering::Relaxed);
    }

    /// Changes the per-user budget; every user's window starts afresh.
    pub fn set_hourly_budget(&self, budget: u32) {
        let mut db = self.app.lock();
        db.budget = budget.max(1);
        db.windows.clear();
        self.served.faults.set_rate_limit_hint(budget);
    }

    /// Creates a personal access token acting as `user_id` (which need not exist: an unknown
    /// user's token authenticates but owns nothing).
    pub fn mint_pat(&self, user_id: u64) -> String {
        self.app.lock().mint_pat(user_id)
    }

    /// Creates an OAuth access token (through the registered application, scope
    /// `read write`) acting as `user_id`, without going through `/oauth/authorise`.
    pub fn mint_oauth_token(&self, user_id: u64) -> String {
        self.app.lock().mint_oauth(user_id, "read write").0
    }

    /// Ids of the users (user 1 is the administrator the [`token`](Self::token) acts as).
    pub fn user_ids(&self) -> Vec<u64> {
        self.app.lock().users.keys().copied().collect()
    }

    /// Stops accepting connections, lets in-flight requests finish, stops hook retries.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}

/// All routes, under `/api/v2` (authenticated, rate limited) and `/oauth`.
fn router(app: Shared) -> Router {
    use handlers::*;
    let p = |s: &str| format!("/api/v2{s}");
    let api = Router::new()
        .route(&p("/parties"), get(list_parties).post(create_party))
        .route(&p("/parties/search"), get(search_parties))
        .route(&p("/parties/deleted"), get(deleted_parties))
        .route(&p("/parties/tags"), get(party_tags))
        .route(&p("/parties/tags/{id}"), get(party_tag))
        .route(
            &p("/parties/fields/definitions"),
            get(party_definitions).post(create_party_definition),
        )
        .route(
            &p("/parties/fields/definitions/{id}"),
            get(party_definition),
        )
        .route(
            &p("/parties/{ids}"),
            get(show_parties).put(update_party).delete(delete_party),
        )
        .route(&p("/parties/filters/results"), post(party_filter_results))
        .route(&p("/parties/{id}/kases"), get(party_kases))
        .route(&p("/parties/{id}/people"), get(party_people))
        .route(&p("/parties/{id}/opportunities"), get(party_opportunities))
        .route(&p("/parties/{id}/entries"), get(party_entries))
        .route(
            &p("/opportunities"),
            get(list_opportunities).post(create_opportunity),
        )
        .route(&p("/opportunities/search"), get(search_opportunities))
        .route(&p("/opportunities/deleted"), get(deleted_opportunities))
        .route(&p("/opportunities/tags"), get(opportunity_tags))
        .route(&p("/opportunities/tags/{id}"), get(opportunity_tag))
        .route(
            &p("/opportunities/fields/definitions"),
            get(opportunity_definitions).post(create_opportunity_definition),
        )
        .route(
            &p("/opportunities/fields/definitions/{id}"),
            get(opportunity_definition),
        )
        .route(
            &p("/opportunities/{ids}"),
            get(show_opportunities)
                .put(update_opportunity)
                .delete(delete_opportunity),
        )
        .route(
            &p("/opportunities/filters/results"),
            post(opportunity_filter_results),
        )
        .route(&p("/opportunities/{id}/kases"), get(opportunity_kases))
        .route(&p("/opportunities/{id}/entries"), get(opportunity_entries))
        .route(&p("/opportunities/{id}/parties"), get(opportunity_parties))
        .route(
            &p("/opportunities/{id}/parties/{party}"),
            post(link_party).delete(unlink_party),
        )
        .route(&p("/kases"), get(list_kases).post(create_kase))
        .route(&p("/kases/search"), get(search_kases))
        .route(&p("/kases/deleted"), get(deleted_kases))
        .route(&p("/kases/tags"), get(kase_tags))
        .route(&p("/kases/fields/definitions"), get(kase_definitions))
        .route(&p("/kases/fields/definitions/{id}"), get(kase_definition))
        .route(&p("/kases/filters/results"), post(kase_filter_results))
        .route(
            &p("/kases/{ids}"),
            get(show_kases).put(update_kase).delete(delete_kase),
        )
        .route(&p("/kases/{id}/parties"), get(kase_parties))
        .route(&p("/kases/{id}/tracks"), get(kase_tracks))
        .route(&p("/opportunities/{id}/tracks"), get(opportunity_tracks))
        .route(
            &p("/kases/{id}/parties/{party}"),
            post(link_kase_party).delete(unlink_kase_party),
        )
        .route(&p("/boards"), get(list_boards))
        .route(&p("/boards/{id}"), get(show_board))
        .route(&p("/boards/{id}/stages"), get(board_stages))
        .route(&p("/stages"), get(list_stages).post(create_stage))
        .route(&p("/stages/{id}"), get(show_stage).put(update_stage))
        .route(&p("/pipelines"), get(list_pipelines))
        .route(&p("/pipelines/{ids}"), get(show_pipelines))
        .route(&p("/pipelines/{id}/milestones"), get(pipeline_milestones))
        .route(&p("/milestones"), get(legacy_milestones))
        .route(&p("/milestones/{id}"), get(show_milestone))
        .route(&p("/lostreasons"), get(lost_reasons))
        .route(&p("/categories"), get(categories))
        .route(&p("/teams"), get(teams))
        .route(&p("/tasks"), get(list_tasks).post(create_task))
        .route(
            &p("/tasks/{ids}"),
            get(show_tasks).put(update_task).delete(delete_task),
        )
        .route(
            &p("/activitytypes"),
            get(list_activity_types).post(create_activity_type),
        )
        .route(
            &p("/activitytypes/{id}"),
            get(show_activity_type).put(update_activity_type),
        )
        .route(&p("/entries"), get(list_entries).post(create_entry))
        .route(
            &p("/entries/{id}"),
            get(show_entry).put(update_entry).delete(delete_entry),
        )
        .route(&p("/users"), get(list_users))
        .route(&p("/users/current"), get(current_user))
        .route(&p("/users/{id}"), get(show_user))
        .route(&p("/site"), get(site))
        .route(&p("/jobs/{id}"), get(show_job))
        .route(&p("/tracks"), post(create_track))
        .route(&p("/tracks/{id}"), get(show_track))
        .route(&p("/trackdefinitions"), get(list_track_definitions))
        .route(&p("/trackdefinitions/{id}"), get(show_track_definition))
        .route(&p("/resthooks"), get(list_hooks).post(create_hook))
        .route(&p("/resthooks/{id}"), get(show_hook).delete(delete_hook))
        .route(&p("/"), get(not_found))
        .route(&p("/{*rest}"), axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            auth::api_middleware,
        ));
    let oauth = Router::new()
        .route("/oauth/authorise", get(auth::authorise))
        .route("/oauth/token", post(auth::token))
        .route("/oauth/token/revoke", post(auth::revoke))
        .route("/oauth/revoke", post(auth::revoke))
        .method_not_allowed_fallback(method_not_allowed);
    api.merge(oauth).fallback(not_found).with_state(app)
}
