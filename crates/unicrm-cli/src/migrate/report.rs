//! The migration summary, printed as the last stdout line.

use std::collections::BTreeMap;

use serde::Serialize;

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
    /// Could not be migrated: nothing was created, or the create's outcome is still unknown
    /// (then the row stays `pending` and the next run looks in the target first).
    pub failed: Vec<Failure>,
    /// Of `failed`: records whose create outcome is still unknown (row `pending`).
    pub pending: u64,
    /// Of `failed`: records not written because a record they link to is still `pending`.
    pub waiting: u64,
    /// Refused by `--strict` (the target cannot hold all of them); not written.
    pub refused: u64,
    /// Creates whose answer was lost (timeout, dropped connection, 5xx, unreadable answer).
    pub ambiguous: u64,
    /// Look-ups in the target before a create was sent again (search-lag re-looks included).
    pub lookups: u64,
    /// What the target could not hold, per unified field: list items (emails, phones,
    /// addresses, websites, tags, custom fields) beyond what it keeps, or values of fields it
    /// has no place for. Also stored per record in the state (`id_map.losses`).
    pub lost: BTreeMap<String, u64>,
    /// Links written after their record (the linked record was migrated later).
    pub links_filled: u64,
    /// Links still waiting for their linked record (stored in the state, filled by a later run).
    pub links_pending: u64,
    /// Source records the target has no place for (it cannot create this kind of record, or
    /// this kind of engagement, such as emails): counted, never sent, never silently dropped.
    pub unsupported: u64,
    /// Why, once per distinct reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported_reasons: Vec<String>,
    /// Records left alone because another worker sharing the state held their lease (also
    /// listed in `failed`: a later run checks them).
    #[serde(skip_serializing_if = "is_zero")]
    pub leased: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Whether everything is migrated: nothing failed, pending, waiting or refused, and no
    /// link is left to fill. A rerun of a complete migration creates nothing.
    pub complete: bool,
    /// Why the run stopped early, if it did (a spent request budget, a failed read of the
    /// source): a rerun resumes where it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl Report {
    /// Total failures.
    pub fn failed(&self) -> usize {
        self.resources.values().map(|r| r.failed.len()).sum()
    }

    /// Whether nothing is left to do (see [`Report::complete`]).
    pub fn is_complete(&self) -> bool {
        self.resources
            .values()
            .all(|r| r.failed.is_empty() && r.refused == 0 && r.links_pending == 0)
    }
}
