//! What a run found: the checks that ran, those skipped and why, and the failures.

use std::fmt;

use serde::Serialize;

/// One check that failed, named by vendor, resource and check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("[{vendor}] {resource} / {check}: {message}")]
pub struct Failure {
    /// The adapter's vendor name.
    pub vendor: String,
    /// The resource kind (`contact`, …), or `crm` for checks of the whole client.
    pub resource: String,
    /// The check (`write round trip`, `paging`, …).
    pub check: String,
    /// What went wrong, with the values seen.
    pub message: String,
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The check ran and held.
    Passed {
        /// What was asserted.
        asserted: String,
    },
    /// The check did not run because a capability is false (or the harness cannot provide
    /// what it needs); `asserted` says what was checked instead, if anything.
    Skipped {
        /// Why it did not run.
        reason: String,
        /// What was asserted instead.
        asserted: String,
    },
    /// The check failed.
    Failed {
        /// The failure.
        failure: Failure,
    },
}

/// One line of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRecord {
    /// The resource kind, or `crm`.
    pub resource: String,
    /// The check.
    pub check: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// Everything a run of the suite (or of one check) found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The adapter's vendor name.
    pub vendor: String,
    /// One line per check, in the order they ran.
    pub checks: Vec<CheckRecord>,
}

impl Report {
    /// An empty report for `vendor`.
    pub fn new(vendor: impl Into<String>) -> Self {
        Report {
            vendor: vendor.into(),
            checks: Vec::new(),
        }
    }

    /// Records a passed check.
    pub fn passed(&mut self, resource: &str, check: &str, asserted: impl Into<String>) {
        self.push(
            resource,
            check,
            Outcome::Passed {
                asserted: asserted.into(),
            },
        );
    }

    /// Records a skipped check.
    pub fn skipped(
        &mut self,
        resource: &str,
        check: &str,
        reason: impl Into<String>,
        asserted: impl Into<String>,
    ) {
        self.push(
            resource,
            check,
            Outcome::Skipped {
                reason: reason.into(),
                asserted: asserted.into(),
            },
        );
    }

    /// Records a failed check.
    pub fn failed(&mut self, failure: Failure) {
        let (resource, check) = (failure.resource.clone(), failure.check.clone());
        self.push(&resource, &check, Outcome::Failed { failure });
    }

    /// Records the result of a check body.
    pub fn record(&mut self, result: Result<CheckRecord, Failure>) {
        match result {
            Ok(line) => self.checks.push(line),
            Err(f) => self.failed(f),
        }
    }

    fn push(&mut self, resource: &str, check: &str, outcome: Outcome) {
        self.checks.push(CheckRecord {
            resource: resource.to_string(),
            check: check.to_string(),
            outcome,
        });
    }

    /// Appends another report's lines.
    pub fn merge(&mut self, other: Report) {
        self.checks.extend(other.checks);
    }

    /// The failures.
    pub fn failures(&self) -> Vec<&Failure> {
        self.checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Failed { failure } => Some(failure),
                _ => None,
            })
            .collect()
    }

    /// Number of checks that passed.
    pub fn passed_count(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed { .. }))
    }

    /// Number of checks skipped.
    pub fn skipped_count(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped { .. }))
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| f(&c.outcome)).count()
    }

    /// Whether a check named `check` on `resource` passed.
    pub fn has_passed(&self, resource: &str, check: &str) -> bool {
        self.checks.iter().any(|c| {
            c.resource == resource
                && c.check == check
                && matches!(c.outcome, Outcome::Passed { .. })
        })
    }

    /// `Ok` when nothing failed; otherwise every failure, one per line.
    pub fn into_result(self) -> Result<Report, String> {
        if self.failures().is_empty() {
            Ok(self)
        } else {
            Err(self.to_string())
        }
    }

    /// Panics with every failure (one per line) when a check failed: for use in tests.
    #[track_caller]
    pub fn assert_passed(&self) {
        let failures = self.failures();
        if !failures.is_empty() {
            let lines: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
            panic!(
                "{} conformance: {} check(s) failed:\n{}",
                self.vendor,
                lines.len(),
                lines.join("\n")
            );
        }
    }
}

impl Report {
    /// Like [`assert_passed`](Report::assert_passed), but tolerates the failures of `known`
    /// `(resource, check)` pairs — bugs already reported and awaiting a fix — and panics when
    /// one of them no longer fails, so the list shrinks as the fixes land.
    #[track_caller]
    pub fn assert_passed_except(&self, known: &[(&str, &str)]) {
        let failures = self.failures();
        let unexpected: Vec<String> = failures
            .iter()
            .filter(|f| !known.iter().any(|(r, c)| f.resource == *r && f.check == *c))
            .map(|f| f.to_string())
            .collect();
        let fixed: Vec<String> = known
            .iter()
            .filter(|(r, c)| !failures.iter().any(|f| f.resource == *r && f.check == *c))
            .map(|(r, c)| format!("{r} / {c}"))
            .collect();
        if !unexpected.is_empty() || !fixed.is_empty() {
            panic!(
                "{} conformance: {} unexpected failure(s):\n{}\nknown failures that no longer fail (remove them from the list): {fixed:?}\n\n{self}",
                self.vendor,
                unexpected.len(),
                unexpected.join("\n"),
            );
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} conformance: {} passed, {} skipped, {} failed",
            self.vendor,
            self.passed_count(),
            self.skipped_count(),
            self.failures().len()
        )?;
        for c in &self.checks {
            match &c.outcome {
                Outcome::Passed { asserted } => {
                    writeln!(f, "  ok    {} / {}: {asserted}", c.resource, c.check)?
                }
                Outcome::Skipped { reason, asserted } => writeln!(
                    f,
                    "  skip  {} / {}: {reason}; asserted instead: {asserted}",
                    c.resource, c.check
                )?,
                Outcome::Failed { failure } => writeln!(f, "  FAIL  {failure}")?,
            }
        }
        Ok(())
    }
}

/// Builds [`Failure`]s for one vendor, resource and check.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub vendor: String,
    pub resource: String,
    pub check: &'static str,
}

impl Ctx {
    pub(crate) fn new(vendor: &str, resource: impl fmt::Display, check: &'static str) -> Self {
        Ctx {
            vendor: vendor.to_string(),
            resource: resource.to_string(),
            check,
        }
    }

    /// A failure of this check.
    pub(crate) fn fail(&self, message: impl Into<String>) -> Failure {
        Failure {
            vendor: self.vendor.clone(),
            resource: self.resource.clone(),
            check: self.check.to_string(),
            message: message.into(),
        }
    }

    /// Fails unless `cond`.
    pub(crate) fn ensure(
        &self,
        cond: bool,
        message: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if cond {
            Ok(())
        } else {
            Err(self.fail(message()))
        }
    }

    /// A passed line.
    pub(crate) fn pass(&self, asserted: impl Into<String>) -> CheckRecord {
        CheckRecord {
            resource: self.resource.clone(),
            check: self.check.to_string(),
            outcome: Outcome::Passed {
                asserted: asserted.into(),
            },
        }
    }

    /// A skipped line.
    pub(crate) fn skip(
        &self,
        reason: impl Into<String>,
        asserted: impl Into<String>,
    ) -> CheckRecord {
        CheckRecord {
            resource: self.resource.clone(),
            check: self.check.to_string(),
            outcome: Outcome::Skipped {
                reason: reason.into(),
                asserted: asserted.into(),
            },
        }
    }
}
