//! The change feed: what was created, updated or deleted since a checkpoint.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One change to a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change<T, Id> {
    /// The record was created or updated; this is its current state.
    Upserted {
        /// The record.
        record: T,
    },
    /// The record was deleted.
    Deleted {
        /// Its id.
        id: Id,
        /// When, if the vendor says.
        deleted_at: Option<DateTime<Utc>>,
    },
}

/// Where a change feed stopped, to continue from next time. Serializable: store it between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Changes up to this instant (by the vendor's clock where known) have been reported.
    pub at: DateTime<Utc>,
    /// Adapter state needed to continue (for example the set of ids seen, where the vendor
    /// has no deleted-records feed). Opaque to callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

impl Checkpoint {
    /// A checkpoint at `at` with no adapter state.
    pub fn at(at: DateTime<Utc>) -> Self {
        Checkpoint { at, state: None }
    }
}

/// The changes since a checkpoint, and the checkpoint to use next time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet<T, Id> {
    /// Changes, upserts before deletions; a record is reported at most once.
    pub changes: Vec<Change<T, Id>>,
    /// Pass this to the next call.
    pub next: Checkpoint,
}

/// The next checkpoint of a feed read from the vendor's clock: `first` (the `Date` of the
/// listing's first answer) minus the listing's duration on that clock (`last` − `first`, the
/// `Date` of its last answer) minus the vendor's timestamp `precision`, never behind `prev`;
/// `prev` itself when the window must be held (`hold`: a deletion during the listing may have
/// hidden a record) or when the vendor sent no `Date`. A change made while the listing ran is
/// therefore always after the checkpoint.
pub fn next_checkpoint(
    prev: DateTime<Utc>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    hold: bool,
    precision: chrono::Duration,
) -> DateTime<Utc> {
    let Some(first) = first else {
        return prev;
    };
    if hold {
        return prev;
    }
    let duration = last.map_or(chrono::Duration::zero(), |l| {
        (l - first).max(chrono::Duration::zero())
    });
    (first - duration - precision).max(prev)
}

/// A stable fingerprint of a record's content, for change feeds that de-duplicate re-read
/// records by (id, updated time, content): FNV-1a (64 bit) of its JSON serialization (objects
/// are sorted maps, so the text is deterministic). Two versions of a record that differ in
/// any field get different fingerprints except by a 64-bit collision.
pub fn fingerprint<R: Serialize>(record: &R) -> u64 {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    fnv1a(&bytes)
}

/// FNV-1a, 64 bit.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod fingerprint_tests {
    use super::*;

    #[test]
    fn the_next_checkpoint_covers_the_listing_and_never_goes_back() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap();
        let p = chrono::Duration::seconds(1);
        // First answer at +100, last at +130: 100 - 30 - 1.
        assert_eq!(
            next_checkpoint(t(0), Some(t(100)), Some(t(130)), false, p),
            t(69)
        );
        // No last answer: only the precision.
        assert_eq!(next_checkpoint(t(0), Some(t(100)), None, false, p), t(99));
        // A last answer before the first (clock skew) counts as no duration.
        assert_eq!(
            next_checkpoint(t(0), Some(t(100)), Some(t(90)), false, p),
            t(99)
        );
        // Never behind the previous checkpoint.
        assert_eq!(
            next_checkpoint(t(80), Some(t(100)), Some(t(130)), false, p),
            t(80)
        );
        // Held, or without a Date: unchanged.
        assert_eq!(
            next_checkpoint(t(5), Some(t(100)), Some(t(130)), true, p),
            t(5)
        );
        assert_eq!(next_checkpoint(t(5), None, Some(t(130)), false, p), t(5));
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_change_in_any_field_changes_the_fingerprint() {
        let a = serde_json::json!({"id": "1", "name": "Ada", "tags": ["x"]});
        let b = serde_json::json!({"id": "1", "name": "Adb", "tags": ["x"]});
        let c = serde_json::json!({"id": "1", "name": "Ada", "tags": ["y"]});
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
