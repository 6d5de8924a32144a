//! Errors specific to Tinycrm. Core classifies the answers (`401` → `Unauthenticated`, `404`
//! → `NotFound`, `422` with `errors[].field` → `Validation`, `429` + `Retry-After` →
//! `RateLimited`); what is left here is refusing, before any request, a write Tinycrm cannot
//! hold, so that nothing is dropped in silence.

use serde_json::Value;
use unicrm_core::{Error, Result};

/// Fails with `Error::Unsupported` (`contact.<field>`) when `write` (a unified new record or
/// patch, as JSON) sets a field outside `held`. `null`, `[]` and `{}` count as not set.
pub(crate) fn refuse_unheld(kind: &str, write: &Value, held: &[&str]) -> Result<()> {
    let Value::Object(map) = write else {
        return Ok(());
    };
    let set = |v: &Value| match v {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    };
    match map
        .iter()
        .find(|(k, v)| !held.contains(&k.as_str()) && set(v))
    {
        Some((field, _)) => Err(Error::unsupported(format!("{kind}.{field}"), crate::VENDOR)),
        None => Ok(()),
    }
}
