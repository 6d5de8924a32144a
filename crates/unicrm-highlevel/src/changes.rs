//! The change feeds (docs/vendors/highlevel-v2.md, "Incremental reads and deletions"), as
//! change streams: one batch per vendor page, each with a checkpoint a stream can resume
//! from (`Resource::change_stream`); `changes_since` is the stream collected.
//!
//! - Contacts (`contacts`): `POST /contacts/search` with `dateUpdated >= checkpoint −
//!   overlap`, sorted by `dateUpdated` ascending and paged by `searchAfter`.
//! - Opportunities (`opportunities`): a full sweep of `GET /opportunities/search`, diffed
//!   against the ids of the previous sweep.
//!
//! **Mid-way checkpoints.** A batch's checkpoint keeps `at` at the window's start (the
//! checkpoint the stream began from) and puts what the listing has read so far in its state:
//! the next page's cursor and the `Date` of the listing's first and latest answers. A stream
//! started from it reads the next page of the same window with the same filter, and its last
//! batch's checkpoint is computed from the same first `Date` as an uninterrupted read (the
//! latest `Date` only grows, so a pause between batches moves the next window back, never
//! forward). The last batch's checkpoint comes from HighLevel's clock (core's
//! `change::next_checkpoint`), never from ours.
//!
//! **Forged or stale state.** A state this adapter did not write (another feed's, another
//! format, a cursor that is not HighLevel's) is an error (`Error::Config`, or
//! `Error::Paging` for the cursor), never a panic and never a silent restart.

pub(crate) mod contacts;
pub(crate) mod opportunities;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicrm_core::change::next_checkpoint;
use unicrm_core::page::Paged;
use unicrm_core::{Change, Checkpoint, Cursor, Error, Page, Record, Result};

pub use contacts::OVERLAP;

/// HighLevel's timestamp precision (milliseconds).
pub const PRECISION: chrono::Duration = chrono::Duration::milliseconds(1);

/// A page of a feed's listing with its answer's `Date`.
pub(crate) struct Dated<T> {
    pub(crate) page: Page<T>,
    pub(crate) date: Option<DateTime<Utc>>,
}

impl<T> Paged for Dated<T> {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.page.next.as_ref()
    }
    fn is_empty(&self) -> bool {
        self.page.items.is_empty()
    }
}

/// The `Date` of a listing's first and latest answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dates {
    #[serde(default)]
    pub(crate) first: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) last: Option<DateTime<Utc>>,
}

impl Dates {
    /// Adds the `Date` of the next answer.
    pub(crate) fn add(&mut self, date: Option<DateTime<Utc>>) {
        self.first = self.first.or(date);
        self.last = date.or(self.last);
    }

    /// The checkpoint a finished listing of the window starting at `prev` reaches.
    pub(crate) fn next_at(&self, prev: DateTime<Utc>) -> DateTime<Utc> {
        next_checkpoint(prev, self.first, self.last, false, PRECISION)
    }
}

/// The state of `cp`, typed: `None` without one; a state that is not a `T` is a config error
/// naming the feed (forged, or written by another feed).
pub(crate) fn state_of<T: DeserializeOwned>(cp: &Checkpoint, feed: &str) -> Result<Option<T>> {
    match &cp.state {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
            Error::config(format!(
                "highlevel {feed} feed: the checkpoint's state is not one this feed wrote ({e})"
            ))
        }),
    }
}

/// `state` as a checkpoint's JSON.
pub(crate) fn encode<T: Serialize>(state: &T) -> Option<Value> {
    serde_json::to_value(state).ok()
}

/// The records of one page as upserts, each id once (its first occurrence).
pub(crate) fn upserts<R: Record>(items: Vec<R>) -> Vec<Change<R, R::Id>> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|r| seen.insert(r.id().clone()))
        .map(|record| Change::Upserted { record })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_keep_the_first_and_the_latest() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0);
        let mut d = Dates::default();
        d.add(None);
        assert_eq!(d, Dates::default());
        d.add(t(5));
        d.add(None);
        d.add(t(9));
        assert_eq!((d.first, d.last), (t(5), t(9)));
        // 5 − (9 − 5) − 1 ms, never behind the window's start.
        let at = d.next_at(t(0).unwrap());
        assert_eq!(at, t(1).unwrap() - PRECISION);
        assert_eq!(d.next_at(t(3).unwrap()), t(3).unwrap());
    }

    #[test]
    fn a_state_of_another_shape_is_a_config_error() {
        let cp = |state| Checkpoint {
            at: DateTime::UNIX_EPOCH,
            state,
        };
        assert_eq!(state_of::<Dates>(&cp(None), "x").unwrap(), None);
        assert_eq!(
            state_of::<Dates>(&cp(Some(Value::Null)), "x").unwrap(),
            None
        );
        for bad in [json!(3), json!({"first": "yesterday"}), json!({"other": 1})] {
            let e = state_of::<Dates>(&cp(Some(bad.clone())), "x").unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e:?}");
        }
    }
}
