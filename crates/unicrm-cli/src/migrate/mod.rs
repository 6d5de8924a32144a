//! `unicrm migrate`: copies a whole CRM into another through the unified API.
//!
//! Written generically over two `&dyn Crm`. Order: users are matched by email (to map owners),
//! pipelines and stages by name, custom field definitions by name and type; then accounts,
//! contacts (with their account), opportunities (with account, contact, pipeline and stage),
//! tasks and notes (linked to the migrated records).
//!
//! Idempotent and resumable through the SQLite id map in [`state`]: a rerun skips what is done.
//! **A create is never sent twice.** Its row is written `pending` before it is sent; when its
//! outcome is unknown (a timeout, a dropped connection, a 5xx or an unreadable answer: see
//! [`outcome_unknown`]) the row stays `pending` whatever happens next, and before the create
//! is sent again — in this run or any later one — the target is searched for the record:
//! records the target changed since its own clock read `sent_after` (the newest target
//! timestamp seen before the first send, kept in the row), matched on a natural key and not
//! already the image of another source record. A search that finds nothing is repeated after
//! the delays of [`Options::search_lag`] (listings lag behind writes), waited through the
//! injected [`Sleeper`]. A lookup that fails leaves the row `pending` for the next run.
//!
//! A link to a record that is not migrated yet either waits (the linked record is `pending`:
//! the record is written by a later run, with its link) or is stored in the state and filled
//! by an update once the linked record exists. What the target cannot hold is measured on every
//! write (see `losses.rs`); `--strict` refuses records that would lose something.

mod losses;
pub mod mirror;
#[cfg(test)]
mod mirror_tests;
#[cfg(test)]
mod pipeline_tests;
mod pipelines;
mod records;
pub mod report;
pub mod state;
mod transform;
mod transform_links;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use unicrm_core::http::retry::{Decision, RetryPolicy, decide};
use unicrm_core::time::{Sleeper, TokioSleeper};
use unicrm_core::{
    Crm, CrmExt, CustomFieldDefinition, CustomFieldKind, Error, ListParams, Pipeline, PipelineId,
    ResourceKind, StageId, User, UserId,
};

use crate::exit::CliError;
pub use report::*;
use state::State;
pub use transform::Migratable;

/// The id maps built before records are copied.
#[derive(Debug, Default)]
pub struct Maps {
    users: HashMap<UserId, UserId>,
    /// Source stage id → target pipeline and stage.
    stages: HashMap<StageId, (PipelineId, StageId)>,
    /// Source pipeline id → target pipeline.
    pipelines: HashMap<PipelineId, PipelineId>,
    /// (kind, source definition id) → target definition.
    fields: HashMap<(String, String), CustomFieldDefinition>,
    /// The source account's default currency, for amounts stored without one.
    default_currency: Option<unicrm_core::Currency>,
    /// The people of each source organisation (filled as the source's contacts stream by).
    people: transform::People,
    /// The target's opportunities need a contact and cannot link an account (HighLevel): an
    /// opportunity on an organisation is attached to one of its people.
    deals_need_a_contact: bool,
}

/// Migration options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Change nothing; count what would be created.
    pub dry_run: bool,
    /// Show progress bars on stderr.
    pub progress: bool,
    /// Refuse to write a record the target cannot hold entirely (it is reported instead).
    pub strict: bool,
    /// Delays before looking again for a record whose create had an unknown outcome, when the
    /// first look did not find it (the target's listings may lag behind its writes).
    pub search_lag: Vec<Duration>,
    /// How lookups wait for the search lag (tests record the delays instead of waiting).
    pub sleeper: Arc<dyn Sleeper>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            progress: false,
            strict: false,
            search_lag: DEFAULT_SEARCH_LAG.to_vec(),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

/// Default delays before the second and third looks for a record (see [`Options::search_lag`]).
pub const DEFAULT_SEARCH_LAG: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(5)];

/// How many times one record's create is sent in one run, each after checking the target for
/// it. After the last one the row stays `pending`: the next run looks first.
pub const CREATE_ATTEMPTS: u32 = 3;

/// How far before `sent_after` a lookup starts: the vendor's timestamps have whole seconds and
/// its servers' clocks may differ a little.
pub const LOOKUP_MARGIN: Duration = Duration::from_secs(5);

/// Whether a create (a request that is not idempotent) that failed with `e` may still have
/// been applied: core's retry rules would repeat the same failure for an idempotent request but
/// not for a create (a timeout, a broken connection, a 5xx, a 2xx body that could not be read).
/// A connection never made and a 429 are retried by core for every request: nothing was done.
pub fn outcome_unknown(e: &Error) -> bool {
    let policy = RetryPolicy::default();
    let now = DateTime::<Utc>::UNIX_EPOCH;
    decide(&policy, true, e, now) != Decision::GiveUp
        && decide(&policy, false, e, now) == Decision::GiveUp
}

/// Whether `e` means the target accepts no more requests for now (the run stops, resumably).
fn budget_spent(e: &Error) -> bool {
    matches!(e, Error::QuotaExhausted { .. } | Error::RateLimited { .. })
}

fn same_kind(a: &CustomFieldKind, b: &CustomFieldKind) -> bool {
    use CustomFieldKind::*;
    let norm = |k: &CustomFieldKind| match k {
        LongText => Text,
        Decimal => Number,
        other => other.clone(),
    };
    norm(a) == norm(b)
}

/// Runs a migration.
pub struct Migrator<'a> {
    source: &'a dyn Crm,
    target: &'a dyn Crm,
    state: State,
    opts: Options,
    maps: Maps,
    report: Report,
    bars: MultiProgress,
    /// The newest timestamp the target put on a record we saw: a lower bound of its clock.
    target_clock: Option<DateTime<Utc>>,
    /// What the target holds at most (for `--strict`).
    capacity: losses::Capacity,
    /// Records the target refused in this run as something it cannot hold (kind, source
    /// id): links to them are reported lost, never left pending.
    unheld: std::collections::HashSet<(String, String)>,
}

impl<'a> Migrator<'a> {
    /// A migration from `source` to `target` with the id map in `state`.
    pub fn new(source: &'a dyn Crm, target: &'a dyn Crm, state: State, opts: Options) -> Self {
        let bars = MultiProgress::with_draw_target(if opts.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Migrator {
            source,
            target,
            state,
            maps: Maps::default(),
            report: Report {
                from: source.vendor().to_string(),
                to: target.vendor().to_string(),
                dry_run: opts.dry_run,
                resources: Default::default(),
                users: UsersReport::default(),
                pipelines: PipelinesReport::default(),
                custom_fields: FieldsReport::default(),
                requests: Requests::default(),
                elapsed_ms: 0,
                complete: false,
                stopped: None,
            },
            bars,
            target_clock: None,
            capacity: losses::known_capacity(target.vendor()),
            unheld: Default::default(),
            opts,
        }
    }

    /// Whether progress bars should be drawn by default (stderr is a terminal).
    pub fn stderr_is_terminal() -> bool {
        std::io::stderr().is_terminal()
    }

    /// Runs every step and returns the report.
    pub async fn run(mut self) -> Result<Report, CliError> {
        let t0 = Instant::now();
        let s0 = self.source.stats().requests;
        let g0 = self.target.stats().requests;
        self.prepare().await?;
        let result = self.migrate_all().await;
        self.save_clock().await?;
        if let Err(e) = result {
            self.report.stopped = Some(e.message);
        }
        self.report.requests = Requests {
            source: self.source.stats().requests - s0,
            target: self.target.stats().requests - g0,
        };
        self.report.elapsed_ms = t0.elapsed().as_millis() as u64;
        self.report.complete =
            !self.opts.dry_run && self.report.stopped.is_none() && self.report.is_complete();
        Ok(self.report)
    }

    /// What every run does first: the target's clock and capacities from the state, then
    /// users, pipelines, the default currency and custom fields matched.
    async fn prepare(&mut self) -> Result<(), CliError> {
        if !self.opts.dry_run {
            self.state.set_meta("from", self.source.vendor()).await?;
            self.state.set_meta("to", self.target.vendor()).await?;
        }
        self.target_clock = self
            .state
            .meta("target_clock")
            .await?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc));
        if let Some(text) = self.state.meta("target_capacity").await? {
            self.capacity.merge_text(&text);
        }
        self.match_users().await?;
        self.match_pipelines().await?;
        self.maps.default_currency = self.default_currency().await;
        let deals = self
            .target
            .capabilities()
            .resource(&ResourceKind::Opportunity)
            .clone();
        self.maps.deals_need_a_contact =
            deals.can_write("contact_id") && !deals.can_write("account_id");
        for kind in [
            ResourceKind::Contact,
            ResourceKind::Account,
            ResourceKind::Opportunity,
            ResourceKind::Project,
            ResourceKind::Engagement,
        ] {
            self.match_fields(kind).await?;
        }
        Ok(())
    }

    async fn migrate_all(&mut self) -> Result<(), CliError> {
        self.migrate_kind::<unicrm_core::Account>("accounts")
            .await?;
        self.migrate_kind::<unicrm_core::Contact>("contacts")
            .await?;
        self.migrate_kind::<unicrm_core::Opportunity>("opportunities")
            .await?;
        self.migrate_kind::<unicrm_core::Project>("projects")
            .await?;
        self.migrate_kind::<unicrm_core::Task>("tasks").await?;
        self.migrate_kind::<unicrm_core::Note>("notes").await?;
        self.migrate_kind::<unicrm_core::Engagement>("engagements")
            .await?;
        // Links to records that were migrated after the records holding them.
        self.fill_links::<unicrm_core::Contact>("contacts").await?;
        self.fill_links::<unicrm_core::Opportunity>("opportunities")
            .await?;
        self.fill_links::<unicrm_core::Project>("projects").await?;
        self.fill_links::<unicrm_core::Task>("tasks").await?;
        self.fill_links::<unicrm_core::Note>("notes").await?;
        self.fill_links::<unicrm_core::Engagement>("engagements")
            .await?;
        Ok(())
    }

    /// Keeps the target's clock and capacities for the next run.
    async fn save_clock(&self) -> Result<(), CliError> {
        if self.opts.dry_run {
            return Ok(());
        }
        if let Some(t) = self.target_clock {
            self.state.set_meta("target_clock", &t.to_rfc3339()).await?;
        }
        self.state
            .set_meta("target_capacity", &self.capacity.to_text())
            .await?;
        self.state.sync().await
    }

    /// The source account's default currency (the current user's), else the target's.
    async fn default_currency(&self) -> Option<unicrm_core::Currency> {
        for crm in [self.source, self.target] {
            if let Ok(u) = crm.current_user().await {
                if let Some(c) = u.currency {
                    return Some(c);
                }
            }
        }
        None
    }

    async fn match_users(&mut self) -> Result<(), CliError> {
        let source: Vec<User> = self.source.list_all(ListParams::new()).await?;
        let target: Vec<User> = self.target.list_all(ListParams::new()).await?;
        let email = |u: &User| {
            u.email
                .as_deref()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
        };
        // Some vendors keep no email on the user (Capsule keeps it on the user's person), so a
        // unique full name is the fallback.
        let full_name = |u: &User| {
            let n = match (&u.first_name, &u.last_name) {
                (Some(f), Some(l)) => format!("{f} {l}"),
                _ => u.name.clone().unwrap_or_default(),
            };
            let n = n
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            (!n.is_empty()).then_some(n)
        };
        let by_email: HashMap<String, &User> = target
            .iter()
            .filter_map(|u| email(u).map(|e| (e, u)))
            .collect();
        let mut by_name: HashMap<String, Vec<&User>> = HashMap::new();
        for u in &target {
            if let Some(n) = full_name(u) {
                by_name.entry(n).or_default().push(u);
            }
        }
        for u in &source {
            let found = email(u)
                .and_then(|e| by_email.get(&e).copied())
                .or_else(|| {
                    full_name(u)
                        .and_then(|n| by_name.get(&n))
                        .filter(|v| v.len() == 1)
                        .map(|v| v[0])
                });
            match found {
                Some(t) => {
                    self.maps.users.insert(u.id.clone(), t.id.clone());
                    self.report.users.matched += 1;
                }
                None => self.report.users.unmatched.push(
                    email(u)
                        .or_else(|| full_name(u))
                        .unwrap_or_else(|| format!("user {}", u.id)),
                ),
            }
        }
        Ok(())
    }

    async fn match_pipelines(&mut self) -> Result<(), CliError> {
        let source: Vec<Pipeline> = self.source.list_all(ListParams::new()).await?;
        let mut target: Vec<Pipeline> = self.target.list_all(ListParams::new()).await?;
        let can_create = self
            .target
            .capabilities()
            .resource(&ResourceKind::Pipeline)
            .operations
            .create;
        for p in &source {
            let mut found = target
                .iter()
                .find(|t| pipelines::same_pipeline(t, p))
                .cloned();
            if found.is_none() && can_create && !self.opts.dry_run {
                match self.create_pipeline(p, &mut target).await? {
                    pipelines::PipelineCreate::Created(created) => {
                        self.report.pipelines.created.push(p.name.clone());
                        found = Some(created);
                    }
                    pipelines::PipelineCreate::Found(t) => {
                        self.report.pipelines.matched.push(p.name.clone());
                        found = Some(t);
                    }
                    pipelines::PipelineCreate::Failed(e) => self
                        .report
                        .pipelines
                        .missing
                        .push(format!("{} ({e})", p.name)),
                }
            } else if found.is_none() {
                self.report.pipelines.missing.push(p.name.clone());
            } else {
                self.report.pipelines.matched.push(p.name.clone());
            }
            let Some(t) = found else { continue };
            self.maps.pipelines.insert(p.id.clone(), t.id.clone());
            for s in &p.stages {
                let sk = s.name.trim().to_lowercase();
                match t
                    .stages
                    .iter()
                    .find(|ts| ts.name.trim().to_lowercase() == sk)
                {
                    Some(ts) => {
                        self.maps
                            .stages
                            .insert(s.id.clone(), (t.id.clone(), ts.id.clone()));
                    }
                    // A closing stage (won / lost) the target does not model as a stage: the
                    // outcome travels in the opportunity's status.
                    None if s.is_won || s.is_lost => {}
                    None => self
                        .report
                        .pipelines
                        .missing_stages
                        .push(format!("{} / {}", p.name, s.name)),
                }
            }
        }
        Ok(())
    }

    async fn match_fields(&mut self, kind: ResourceKind) -> Result<(), CliError> {
        let fetch = |crm: &'a dyn Crm| {
            let kind = kind.clone();
            async move {
                match crm.custom_field_definitions(kind).await {
                    Ok(d) => Ok(d),
                    Err(e) if e.is_unsupported() => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            }
        };
        let source = fetch(self.source).await?;
        let target = fetch(self.target).await?;
        for d in &source {
            let same_name = target
                .iter()
                .find(|t| t.name.trim().eq_ignore_ascii_case(d.name.trim()));
            match same_name {
                Some(t) if same_kind(&d.kind, &t.kind) => {
                    self.maps
                        .fields
                        .insert((kind.to_string(), d.id.to_string()), t.clone());
                    self.report
                        .custom_fields
                        .matched
                        .push(format!("{kind}/{}", d.name));
                }
                other => self.report.custom_fields.mismatched.push(FieldMismatch {
                    resource: kind.to_string(),
                    name: d.name.clone(),
                    source_kind: d.kind.to_string(),
                    target_kind: other.map(|t| t.kind.to_string()),
                }),
            }
        }
        Ok(())
    }

    fn bar(&self, label: &'static str) -> ProgressBar {
        let pb = self.bars.add(ProgressBar::new_spinner());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>14} {pos} records  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_prefix(label);
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(status: u16) -> Error {
        Error::Vendor {
            vendor: "t".into(),
            status,
            code: None,
            message: String::new(),
            body: String::new(),
        }
    }

    fn transport(kind: unicrm_core::error::TransportKind) -> Error {
        Error::Transport {
            kind,
            message: "x".into(),
            source: None,
        }
    }

    #[test]
    fn unknown_outcomes_follow_cores_retry_rules() {
        use unicrm_core::error::TransportKind::*;
        let cases: Vec<(Error, bool)> = vec![
            (transport(Timeout), true),
            (transport(Interrupted), true),
            (vendor(500), true),
            (vendor(503), true),
            (Error::decode(".", "cut body"), true),
            // Nothing was sent or done.
            (transport(Connect), false),
            (Error::RateLimited { retry_after: None }, false),
            (
                Error::QuotaExhausted {
                    resets_at: None,
                    limit: None,
                },
                false,
            ),
            (Error::validation("bad"), false),
            (vendor(404), false),
            (vendor(409), false),
            (transport(Other), false),
        ];
        for (e, want) in cases {
            assert_eq!(outcome_unknown(&e), want, "{e:?}");
        }
        assert!(budget_spent(&Error::RateLimited { retry_after: None }));
        assert!(!budget_spent(&vendor(500)));
    }
}
