//! `unicrm migrate`: copies a whole CRM into another through the unified API.
//!
//! Written generically over two `&dyn Crm`. Order: users are matched by email (to map owners),
//! pipelines and stages by name, custom field definitions by name and type; then accounts,
//! contacts (with their account), opportunities (with account, contact, pipeline and stage),
//! tasks and notes (linked to the migrated records).
//!
//! Idempotent and resumable through the SQLite id map in [`state`]: a rerun skips what is done.
//! A create whose outcome is unknown (a timeout, a dropped connection, a 5xx or an unreadable
//! answer after the request was sent) is never simply sent again: the target is searched for the
//! record first (records updated since the run started, matched on a natural key), and only
//! when it is not there is the create repeated.

pub mod state;
mod transform;

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use unicrm_core::{
    Crm, CrmExt, CustomFieldDefinition, CustomFieldKind, Error, ListParams, Pipeline, PipelineId,
    ResourceKind, StageId, User, UserId,
};

use crate::exit::CliError;
use state::{Entry, State};
pub use transform::Migratable;

/// One record that could not be migrated.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// Source id.
    pub source_id: String,
    /// Why.
    pub reason: String,
}

/// Outcome for one resource.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ResourceReport {
    /// Created in the target by this run.
    pub created: u64,
    /// Already migrated by an earlier run.
    pub skipped_existing: u64,
    /// Found in the target after an interrupted or ambiguous create (not created twice).
    pub recovered: u64,
    /// Would be created (dry run).
    pub planned: u64,
    /// Could not be migrated.
    pub failed: Vec<Failure>,
}

/// How users were matched.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct UsersReport {
    /// Source users matched to a target user by email (or, without emails, a unique full name).
    pub matched: u64,
    /// Emails of source users with no target user (their records get the target's default owner).
    pub unmatched: Vec<String>,
}

/// How pipelines and stages were matched.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PipelinesReport {
    /// Pipelines matched by name.
    pub matched: Vec<String>,
    /// Pipelines created in the target.
    pub created: Vec<String>,
    /// Pipelines missing in the target that it cannot create.
    pub missing: Vec<String>,
    /// `pipeline / stage` pairs with no stage of that name in the target.
    pub missing_stages: Vec<String>,
}

/// A custom field that could not be matched.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldMismatch {
    /// Record kind.
    pub resource: String,
    /// Field name.
    pub name: String,
    /// Type in the source.
    pub source_kind: String,
    /// Type of the same-named field in the target, if there is one.
    pub target_kind: Option<String>,
}

/// How custom fields were matched.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FieldsReport {
    /// `resource/name` of matched fields.
    pub matched: Vec<String>,
    /// Fields whose values are not copied.
    pub mismatched: Vec<FieldMismatch>,
}

/// Requests made.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Requests {
    /// To the source.
    pub source: u64,
    /// To the target.
    pub target: u64,
}

/// The summary printed as the final JSON line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Source vendor.
    pub from: String,
    /// Target vendor.
    pub to: String,
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Per resource, in migration order.
    pub resources: BTreeMap<&'static str, ResourceReport>,
    /// Users.
    pub users: UsersReport,
    /// Pipelines.
    pub pipelines: PipelinesReport,
    /// Custom fields.
    pub custom_fields: FieldsReport,
    /// Requests made.
    pub requests: Requests,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: u64,
}

impl Report {
    /// Total failures.
    pub fn failed(&self) -> usize {
        self.resources.values().map(|r| r.failed.len()).sum()
    }
}

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
}

/// Migration options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Change nothing; count what would be created.
    pub dry_run: bool,
    /// Show progress bars on stderr.
    pub progress: bool,
}

/// Runs a migration.
pub struct Migrator<'a> {
    source: &'a dyn Crm,
    target: &'a dyn Crm,
    state: State,
    opts: Options,
    started: DateTime<Utc>,
    maps: Maps,
    report: Report,
    bars: MultiProgress,
}

/// How many times one record's create is sent, each after checking the target for it.
pub const CREATE_ATTEMPTS: u32 = 3;

/// Whether the outcome of a create that failed with `e` is unknown (it may have been stored).
fn ambiguous(e: &Error) -> bool {
    match e {
        Error::Transport { kind, .. } => {
            !matches!(kind, unicrm_core::error::TransportKind::Connect)
        }
        Error::Vendor { status, .. } => *status >= 500,
        Error::Decode { .. } => true,
        _ => false,
    }
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
            opts,
            started: Utc::now(),
            maps: Maps::default(),
            report: Report {
                from: source.vendor().to_string(),
                to: target.vendor().to_string(),
                dry_run: opts.dry_run,
                resources: BTreeMap::new(),
                users: UsersReport::default(),
                pipelines: PipelinesReport::default(),
                custom_fields: FieldsReport::default(),
                requests: Requests::default(),
                elapsed_ms: 0,
            },
            bars,
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
        if !self.opts.dry_run {
            self.state.set_meta("from", self.source.vendor())?;
            self.state.set_meta("to", self.target.vendor())?;
            if self.state.meta("started_at")?.is_none() {
                self.state
                    .set_meta("started_at", &self.started.to_rfc3339())?;
            }
        }
        self.match_users().await?;
        self.match_pipelines().await?;
        for kind in [
            ResourceKind::Contact,
            ResourceKind::Account,
            ResourceKind::Opportunity,
        ] {
            self.match_fields(kind).await?;
        }
        self.migrate_kind::<unicrm_core::Account>("accounts")
            .await?;
        self.migrate_kind::<unicrm_core::Contact>("contacts")
            .await?;
        self.migrate_kind::<unicrm_core::Opportunity>("opportunities")
            .await?;
        self.migrate_kind::<unicrm_core::Task>("tasks").await?;
        self.migrate_kind::<unicrm_core::Note>("notes").await?;
        self.report.requests = Requests {
            source: self.source.stats().requests - s0,
            target: self.target.stats().requests - g0,
        };
        self.report.elapsed_ms = t0.elapsed().as_millis() as u64;
        Ok(self.report)
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
            .create;
        for p in &source {
            let key = p.name.trim().to_lowercase();
            let mut found = target
                .iter()
                .find(|t| t.name.trim().to_lowercase() == key)
                .cloned();
            if found.is_none() && can_create && !self.opts.dry_run {
                let new: unicrm_core::NewPipeline = p.into();
                match self.target.pipelines().create(&new).await {
                    Ok(created) => {
                        self.report.pipelines.created.push(p.name.clone());
                        target.push(created.clone());
                        found = Some(created);
                    }
                    Err(e) => self
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

    async fn migrate_kind<R: Migratable>(&mut self, label: &'static str) -> Result<(), CliError> {
        let kind = R::KIND.to_string();
        let pb = self.bar(label);
        let mut report = ResourceReport::default();
        let source = self.source;
        let mut stream = source.stream_all::<R>(ListParams::new());
        while let Some(item) = stream.next().await {
            // A failed read of the source stops the run; the id map makes the rerun resume.
            let record = item?;
            pb.inc(1);
            let sid = record.id().to_string();
            let entry = self.state.get(&kind, &sid)?;
            if let Some(Entry::Done(_)) = entry {
                report.skipped_existing += 1;
                continue;
            }
            let new = match record.to_new(&self.maps, &self.state) {
                Ok(n) => n,
                Err(reason) => {
                    if !self.opts.dry_run {
                        self.state.mark_failed(&kind, &sid, &reason)?;
                    }
                    report.failed.push(Failure {
                        source_id: sid,
                        reason,
                    });
                    continue;
                }
            };
            if self.opts.dry_run {
                self.state.mark_planned(&kind, &sid);
                report.planned += 1;
                continue;
            }
            if entry == Some(Entry::Pending) {
                // An earlier run sent this create and stopped before recording the answer.
                if let Some(tid) = self.find_in_target::<R>(&new).await? {
                    self.state.mark_done(&kind, &sid, &tid)?;
                    report.recovered += 1;
                    continue;
                }
            }
            self.state.mark_pending(&kind, &sid)?;
            match self.create::<R>(&new).await {
                Ok((tid, recovered)) => {
                    self.state.mark_done(&kind, &sid, &tid)?;
                    if recovered {
                        report.recovered += 1;
                    } else {
                        report.created += 1;
                    }
                }
                Err(e) => {
                    let reason = e.to_string();
                    self.state.mark_failed(&kind, &sid, &reason)?;
                    report.failed.push(Failure {
                        source_id: sid,
                        reason,
                    });
                }
            }
            pb.set_message(format!("{} created", report.created + report.recovered));
        }
        pb.finish_with_message(format!(
            "{} created, {} already there, {} failed",
            report.created + report.recovered,
            report.skipped_existing,
            report.failed.len()
        ));
        self.report.resources.insert(label, report);
        Ok(())
    }

    /// Creates `new` in the target; returns its id and whether it was found rather than created.
    ///
    /// When the outcome of a create is unknown, the target is searched before the create is
    /// sent again, at most [`CREATE_ATTEMPTS`] times in all.
    async fn create<R: Migratable>(&self, new: &R::New) -> Result<(String, bool), CliError> {
        let resource = self.target.resource::<R>();
        let mut attempt = 1;
        loop {
            match resource.create(new).await {
                Ok(r) => return Ok((r.id().to_string(), false)),
                Err(e) if ambiguous(&e) && attempt < CREATE_ATTEMPTS => {
                    tracing::info!(error = %e, kind = %R::KIND, attempt, "create outcome unknown; looking for the record before sending it again");
                    if let Some(id) = self.find_in_target::<R>(new).await? {
                        return Ok((id, true));
                    }
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Finds a target record created by this migration that matches `new` and is not yet the
    /// image of another source record.
    async fn find_in_target<R: Migratable>(
        &self,
        new: &R::New,
    ) -> Result<Option<String>, CliError> {
        let key = R::new_key(new);
        let kind = R::KIND.to_string();
        let started = self
            .state
            .meta("started_at")?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(self.started);
        let mut params = ListParams::new();
        if self.target.capabilities().resource(&R::KIND).updated_since {
            params.updated_since = Some(started - chrono::Duration::seconds(5));
        }
        let mut stream = self.target.stream_all::<R>(params);
        while let Some(item) = stream.next().await {
            let r = item?;
            if r.record_key() == key {
                let id = r.id().to_string();
                if !self.state.target_used(&kind, &id)? {
                    return Ok(Some(id));
                }
            }
        }
        Ok(None)
    }
}
