//! The checks, one module per property. Every check is a public async function over
//! `&dyn Crm` (plus the [`Harness`](crate::Harness) where it needs the vendor's side).

pub mod errors;
pub mod feed;
pub mod paging;
pub mod reads;
pub mod stream;
pub mod unsupported;
pub mod writes;

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use unicrm_core::{Crm, CrmExt, Error, ListParams, Record, Resource, ResourceKind};

use crate::report::{Ctx, Failure};

/// Fields a vendor sets on its own on every write; the write checks ignore them.
pub const VOLATILE_FIELDS: &[&str] = &["raw", "updated_at", "last_activity_at"];

/// The record as a JSON object without [`VOLATILE_FIELDS`].
pub(crate) fn normalized<T: serde::Serialize>(record: &T) -> Map<String, Value> {
    let mut map = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
        Err(e) => {
            let mut m = Map::new();
            m.insert("unserializable".into(), Value::String(e.to_string()));
            m
        }
    };
    for f in VOLATILE_FIELDS {
        map.remove(*f);
    }
    map
}

/// The fields whose values differ between `a` and `b`, as `field: a → b` lines.
pub(crate) fn differences(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
            );
            (x != y).then(|| format!("{k}: {x} → {y}"))
        })
        .collect()
}

/// `R::Id` from the vendor's id text.
pub(crate) fn id_from<R: Record>(text: &str) -> Option<R::Id> {
    serde_json::from_value(Value::String(text.to_string())).ok()
}

/// The resource of `R` on `crm`.
pub(crate) fn res<R: Record>(crm: &dyn Crm) -> &dyn Resource<R> {
    crm.resource::<R>()
}

/// Every record of `R`, through `stream_all`, failing the check on an error.
pub(crate) async fn stream_all<R: Record>(crm: &dyn Crm, ctx: &Ctx) -> Result<Vec<R>, Failure> {
    crm.list_all::<R>(ListParams::new())
        .await
        .map_err(|e| ctx.fail(format!("stream_all failed: {e}")))
}

/// Fails unless `r` is `Error::Unsupported`.
pub(crate) fn expect_unsupported<T: std::fmt::Debug>(
    ctx: &Ctx,
    what: &str,
    r: Result<T, Error>,
) -> Result<(), Failure> {
    match r {
        Err(Error::Unsupported { .. }) => Ok(()),
        Err(other) => Err(ctx.fail(format!(
            "{what}: the capability is false, so it must answer Unsupported; got the error {other}"
        ))),
        Ok(v) => Err(ctx.fail(format!(
            "{what}: the capability is false, so it must answer Unsupported; it succeeded with {}",
            short(&format!("{v:?}"))
        ))),
    }
}

/// The kind's name for reports.
pub(crate) fn kind_name(kind: &ResourceKind) -> String {
    kind.to_string()
}

/// At most 300 characters of `text` (cut on a character boundary), for failure messages.
pub(crate) fn short(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
