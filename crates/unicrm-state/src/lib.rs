//! State stores for unicrm migrations and syncs, behind [`unicrm_core::sync::StateStore`]:
//!
//! - [`sqlite::SqliteStore`] (feature `sqlite`, default): one embedded file, nothing to
//!   install, one process at a time;
//! - [`postgres::PostgresStore`] (feature `postgres`): a PostgreSQL database shared by workers
//!   spread over machines, with per-record leases on the server's clock.
//!
//! Both keep the same rules, checked by the same contract tests (`tests/contract.rs`).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use unicrm_core::sync::{Applied, Entry, StateError};

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "postgres")]
pub mod testing;

pub use unicrm_core::sync::{Mark, PendingLink, StateStore};

/// An entry from a row's columns (the same in every backend).
pub(crate) fn entry_of(
    status: &str,
    target: Option<String>,
    error: Option<String>,
    sent_after: Option<String>,
) -> Entry {
    let error = error.unwrap_or_default();
    match (status, target) {
        ("done", Some(t)) => Entry::Done(t),
        ("pending", _) => Entry::Pending {
            sent_after: sent_after
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc)),
        },
        ("waiting", _) => Entry::Waiting(error),
        ("refused", _) => Entry::Refused(error),
        ("deleted", t) => Entry::Deleted(t.unwrap_or_default()),
        _ => Entry::Failed(error),
    }
}

/// Losses as stored (`None` when there are none).
pub(crate) fn losses_text(losses: &BTreeMap<String, u64>) -> Result<Option<String>, StateError> {
    (!losses.is_empty())
        .then(|| serde_json::to_string(losses))
        .transpose()
        .map_err(|e| StateError::Store(format!("migration state database: {e}")))
}

/// Losses read back (unreadable text counts as none).
pub(crate) fn parse_losses(text: Option<String>) -> BTreeMap<String, u64> {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// An applied version as stored: the fingerprint in 16 hexadecimal digits, then, when known,
/// a space and the change time in RFC 3339 (a state written before the time was kept holds
/// the fingerprint alone, and reads back without one).
pub(crate) fn applied_text(version: &Applied) -> String {
    match version.updated_at {
        Some(t) => format!(
            "{:016x} {}",
            version.fingerprint,
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
        None => format!("{:016x}", version.fingerprint),
    }
}

/// An applied version read back (unreadable text counts as none: the update is sent again; an
/// unreadable time counts as unknown).
pub(crate) fn parse_applied(text: Option<String>) -> Option<Applied> {
    let text = text?;
    let (fp, at) = match text.split_once(' ') {
        Some((fp, at)) => (fp, Some(at)),
        None => (text.as_str(), None),
    };
    Some(Applied {
        fingerprint: u64::from_str_radix(fp, 16).ok()?,
        updated_at: at
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
    })
}
