//! # unicrm-testkit
//!
//! The conformance suite every unicrm adapter runs: public async functions over
//! `&dyn unicrm_core::Crm`, plus a small [`Harness`] trait through which the adapter resets
//! and seeds its vendor (usually a simulator) and acts as "another user" writing through the
//! vendor's raw API.
//!
//! The checks ([`checks`]) are gated by the adapter's capabilities (read in one place,
//! [`gate`]): an operation the capabilities claim is exercised and its answer checked; one
//! they deny must answer `Error::Unsupported` without a request. Every check ends in a line of
//! the [`Report`]: passed (with what was asserted), skipped (with why, and what was asserted
//! instead) or failed (with a message naming the vendor, resource and check).
//!
//! - every read: list and get for each resource ([`checks::reads`]);
//! - every write round trip: create → get → patch one field, the others untouched → delete →
//!   get answers `NotFound` ([`checks::writes`]);
//! - paging over more than 2 pages, each record once, the page size honoured; `stream_all`
//!   returns every record the vendor holds ([`checks::paging`]);
//! - change-feed convergence under concurrent writers ([`checks::feed`]);
//! - change streams resumed after every batch, while a writer edits between batches, give the
//!   same replica as an uninterrupted read and as `changes_since` ([`checks::stream`]);
//! - the error taxonomy: 401, 404, 422 with field names, 429 waited out ([`checks::errors`]);
//! - `Unsupported` wherever a capability is false ([`checks::unsupported`]).
//!
//! Beside the suite, [`soak`] is a stricter, longer change-feed test (several writers, whole
//! payloads compared) an adapter runs from its own test and soak example.
//!
//! ```no_run
//! # async fn demo(harness: &dyn unicrm_testkit::Harness) {
//! let report = unicrm_testkit::run(harness, &unicrm_testkit::SuiteOptions::default())
//!     .await
//!     .expect("the harness works");
//! report.assert_passed();
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod checks;
pub mod gate;
pub mod harness;
pub mod report;
pub mod samples;
pub mod soak;

use unicrm_core::ResourceKind;

pub use checks::feed::{Convergence, ConvergenceOptions};
pub use checks::stream::{Resume, ResumeOptions};
pub use harness::{Harness, HarnessError, InvalidWrite, VendorRecord};
pub use report::{CheckRecord, Failure, Outcome, Report};
pub use samples::{Sample, marker_field};

/// Every resource kind the kit checks, in the order it checks them.
pub const KINDS: [ResourceKind; 12] = [
    ResourceKind::Contact,
    ResourceKind::Account,
    ResourceKind::Opportunity,
    ResourceKind::Task,
    ResourceKind::Note,
    ResourceKind::User,
    ResourceKind::Pipeline,
    ResourceKind::Lead,
    ResourceKind::Project,
    ResourceKind::Engagement,
    ResourceKind::EngagementType,
    ResourceKind::FieldDefinition,
];

/// Runs `$body` with `$r` bound to the record type of `$kind`; an unknown kind fails.
#[doc(hidden)]
#[macro_export]
macro_rules! with_kind {
    ($kind:expr, $r:ident => $body:expr) => {
        match $kind {
            ::unicrm_core::ResourceKind::Contact => {
                type $r = ::unicrm_core::Contact;
                $body
            }
            ::unicrm_core::ResourceKind::Account => {
                type $r = ::unicrm_core::Account;
                $body
            }
            ::unicrm_core::ResourceKind::Opportunity => {
                type $r = ::unicrm_core::Opportunity;
                $body
            }
            ::unicrm_core::ResourceKind::Task => {
                type $r = ::unicrm_core::Task;
                $body
            }
            ::unicrm_core::ResourceKind::Note => {
                type $r = ::unicrm_core::Note;
                $body
            }
            ::unicrm_core::ResourceKind::User => {
                type $r = ::unicrm_core::User;
                $body
            }
            ::unicrm_core::ResourceKind::Pipeline => {
                type $r = ::unicrm_core::Pipeline;
                $body
            }
            ::unicrm_core::ResourceKind::Lead => {
                type $r = ::unicrm_core::Lead;
                $body
            }
            ::unicrm_core::ResourceKind::Project => {
                type $r = ::unicrm_core::Project;
                $body
            }
            ::unicrm_core::ResourceKind::Engagement => {
                type $r = ::unicrm_core::Engagement;
                $body
            }
            ::unicrm_core::ResourceKind::EngagementType => {
                type $r = ::unicrm_core::EngagementType;
                $body
            }
            ::unicrm_core::ResourceKind::FieldDefinition => {
                type $r = ::unicrm_core::FieldDefinition;
                $body
            }
            other => Err($crate::report::Failure {
                vendor: String::new(),
                resource: other.to_string(),
                check: "kit".into(),
                message: format!("unicrm-testkit does not know the resource kind {other}"),
            }),
        }
    };
}

/// What [`run`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteOptions {
    /// Run the change-feed convergence check (for the kinds the harness's other user writes).
    pub convergence: bool,
    /// How hard the convergence check pushes.
    pub convergence_options: ConvergenceOptions,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            convergence: true,
            convergence_options: ConvergenceOptions::default(),
        }
    }
}

/// Every read-side check of one kind: reads, paging, stream, 404, Unsupported.
pub async fn check_kind_reads(
    crm: &dyn unicrm_core::Crm,
    harness: &dyn Harness,
    kind: &ResourceKind,
) -> Report {
    let mut report = Report::new(crm.vendor());
    report
        .record(with_kind!(kind.clone(), R => checks::reads::check_reads::<R>(crm, harness).await));
    report.record(with_kind!(kind.clone(), R => checks::paging::check_paging::<R>(crm).await));
    report.record(
        with_kind!(kind.clone(), R => checks::paging::check_stream::<R>(crm, harness).await),
    );
    report.record(
        with_kind!(kind.clone(), R => checks::errors::check_not_found::<R>(crm, harness).await),
    );
    report.record(with_kind!(kind.clone(), R => checks::unsupported::check_unsupported::<R>(crm, harness).await));
    report
}

/// The whole suite: resets the vendor, then every read, paging, stream, error and
/// Unsupported check on every kind, the webhooks check, every write round trip, and (after a
/// second reset) the convergence check of every kind the other user writes.
///
/// Fails only when the harness itself fails (the vendor did not start); a failing check is a
/// failed line of the report.
pub async fn run(harness: &dyn Harness, options: &SuiteOptions) -> Result<Report, HarnessError> {
    harness.reset().await?;
    let crm = harness.connect().await?;
    let crm = crm.as_ref();
    let mut report = Report::new(crm.vendor());
    if crm.vendor() != harness.vendor() {
        report.failed(Failure {
            vendor: crm.vendor().into(),
            resource: "crm".into(),
            check: "vendor name".into(),
            message: format!(
                "the client says {:?}, the harness {:?}",
                crm.vendor(),
                harness.vendor()
            ),
        });
    }
    report.record(checks::reads::check_account_reads(crm).await);
    for kind in &KINDS {
        report.merge(check_kind_reads(crm, harness, kind).await);
    }
    report.record(checks::errors::check_unauthenticated(crm, harness).await);
    report.record(checks::errors::check_validation(crm, harness).await);
    report.record(checks::errors::check_rate_limited(crm, harness).await);
    report.record(checks::unsupported::check_webhooks(crm, harness).await);
    for (n, kind) in KINDS.iter().enumerate() {
        report.record(with_kind!(kind.clone(), R => checks::writes::check_round_trip::<R>(crm, n as u32).await));
    }
    if options.convergence {
        report.merge(run_convergence(harness, &options.convergence_options).await?);
    }
    Ok(report)
}

/// The convergence check alone, on a freshly reset vendor, for every kind the harness's
/// other user writes; then (unless [`ConvergenceOptions::resume`] is `None`) the
/// change-stream resume check of the same kinds.
pub async fn run_convergence(
    harness: &dyn Harness,
    options: &ConvergenceOptions,
) -> Result<Report, HarnessError> {
    harness.reset().await?;
    let crm = harness.connect().await?;
    let crm = crm.as_ref();
    let mut report = Report::new(crm.vendor());
    for kind in harness.other_user_kinds() {
        report.record(with_kind!(kind.clone(), R => checks::feed::check_convergence::<R>(crm, harness, options).await));
    }
    if let Some(resume) = &options.resume {
        for kind in harness.other_user_kinds() {
            report.record(with_kind!(kind.clone(), R => checks::stream::check_resume::<R>(crm, harness, resume).await));
        }
    }
    if report.checks.is_empty() {
        report.skipped(
            "crm",
            "change-feed convergence",
            "the harness's other user writes no kind",
            "nothing",
        );
    }
    Ok(report)
}
