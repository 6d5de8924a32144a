//! Errors specific to Tinycrm. Core classifies the answers by status (`401` →
//! `Unauthenticated`, `404` → `NotFound`, `422` → `Validation`, `429` + `Retry-After` →
//! `RateLimited`) but knows no vendor's body: [`TinycrmErrors`], plugged into the HTTP client
//! by the builder, reads Tinycrm's `{"message": …, "errors": [{"field": …, "message": …}]}`
//! (API.md, Errors) so that a `Validation` names its fields. Also here: refusing, before any
//! request, a write Tinycrm cannot hold, for a client used without core's guard.

use serde_json::Value;
use unicrm_core::http::classify::parse_error_object;
use unicrm_core::http::{ErrorBody, ErrorBodyParser, HeaderMap};
use unicrm_core::{Error, FieldError, Result};

/// Reads Tinycrm's error bodies (see the module docs). Never fails: a body it does not
/// understand gives `ErrorBody::default()`, and core keeps the body's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct TinycrmErrors;

impl ErrorBodyParser for TinycrmErrors {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return ErrorBody::default();
        };
        let mut out = parse_error_object(&map, &["message"]);
        if let Some(Value::Array(errors)) = map.get("errors") {
            for e in errors {
                let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
                out.fields.push(FieldError {
                    field: s("field"),
                    resource: None,
                    message: s("message").unwrap_or_else(|| e.to_string()),
                });
            }
        }
        out
    }
}

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
