//! The one error type of unicrm, grouped by what a caller can do about it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Result alias used throughout unicrm.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A validation problem with one field, as reported by the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field (vendor's name), when the vendor names one.
    pub field: Option<String>,
    /// The vendor's resource name for the field's record (`party`, `phoneNumber`, …), if given.
    pub resource: Option<String>,
    /// Human-readable message.
    pub message: String,
}

/// How a transport-level failure happened, which decides whether a retry is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be made: the request was never sent, so a retry is always safe.
    Connect,
    /// The request timed out: the vendor may have processed it.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Interrupted,
    /// Anything else (TLS, redirect loop, invalid request).
    Other,
}

/// Everything that can go wrong talking to a CRM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record or path does not exist (or is not visible to this user).
    #[error("not found: {message}")]
    NotFound {
        /// Vendor's message.
        message: String,
    },
    /// The credentials are missing, wrong, expired or revoked.
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// What to check.
        message: String,
    },
    /// The credentials are valid but not allowed to do this.
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// Vendor's message.
        message: String,
    },
    /// The vendor rejected the data.
    #[error("validation failed: {message}{}", format_fields(fields))]
    Validation {
        /// Vendor's summary message.
        message: String,
        /// Per-field problems, when the vendor lists them.
        fields: Vec<FieldError>,
    },
    /// The write conflicts with the stored state (duplicate, stale version).
    #[error("conflict: {message}")]
    Conflict {
        /// Vendor's message.
        message: String,
    },
    /// Too many requests for now; retry after the given delay.
    #[error("rate limited{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// How long the vendor asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The request budget of the period is spent; nothing succeeds before `resets_at`.
    #[error("request quota exhausted{}{}", limit.map(|l| format!(" (limit {l})")).unwrap_or_default(), resets_at.map(|t| format!(", resets at {}", t.to_rfc3339())).unwrap_or_default())]
    QuotaExhausted {
        /// When the budget is renewed, when known.
        resets_at: Option<DateTime<Utc>>,
        /// The size of the budget, when known.
        limit: Option<u64>,
    },
    /// This adapter cannot do this operation.
    #[error("{operation} is not supported by {vendor}")]
    Unsupported {
        /// The operation, e.g. `leads.delete`.
        operation: String,
        /// The vendor.
        vendor: String,
    },
    /// Any other error answer from the vendor.
    #[error("{vendor} answered {status}: {message}")]
    Vendor {
        /// Vendor name.
        vendor: String,
        /// HTTP status.
        status: u16,
        /// Vendor error code, when it sends one.
        code: Option<String>,
        /// Vendor's message, or the start of the body.
        message: String,
        /// The response body, capped at [`BODY_CAP`] bytes.
        body: String,
    },
    /// The request did not complete.
    #[error("transport error ({kind:?}): {message}")]
    Transport {
        /// How it failed.
        kind: TransportKind,
        /// Description.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The vendor's answer could not be understood.
    #[error("could not decode the vendor's answer at `{path}`: {message}")]
    Decode {
        /// JSON path of the offending value (`parties[3].id`), `.` for the root.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// Paging went wrong: a cursor that does not advance, an empty page that claims more.
    #[error("paging error: {message}")]
    Paging {
        /// What happened.
        message: String,
    },
    /// A URL the client refuses to fetch: a cursor or `Link: next` target outside the adapter's
    /// origin, or plain `http` to a host that is not loopback without the caller's consent.
    #[error("refused URL {url}: {reason}")]
    UnsafeUrl {
        /// The URL (scheme, host, port and path; the query is left out).
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The client is misconfigured (bad URL, missing credential).
    #[error("configuration error: {message}")]
    Config {
        /// What to fix.
        message: String,
    },
    /// No adapter is registered under this vendor name (`crate::registry`).
    #[error(
        "unknown vendor `{vendor}` (registered: {})",
        registered_list(registered)
    )]
    UnknownVendor {
        /// The name asked for.
        vendor: String,
        /// The names that are registered, sorted.
        registered: Vec<String>,
    },
}

fn registered_list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Error bodies kept in [`Error::Vendor`] are cut to this many bytes.
pub const BODY_CAP: usize = 4096;

fn format_fields(fields: &[FieldError]) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = fields
        .iter()
        .map(|f| match &f.field {
            // A field the summary message names, with no message of its own.
            Some(name) if f.message.is_empty() => name.clone(),
            Some(name) => format!("{name}: {}", f.message),
            None => f.message.clone(),
        })
        .collect();
    format!(" ({})", parts.join("; "))
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Error {
    /// Whether retrying the same request later may succeed (rate limits, connection failures,
    /// timeouts, 5xx, unreadable answers), for a request that is repeatable. Whether a retry is
    /// *safe* depends on what the request does: see [`Error::outcome_unknown`] and
    /// [`crate::http::retry`], whose [`classify`](crate::http::retry::classify) this delegates to.
    pub fn is_retryable(&self) -> bool {
        self.retry_class().is_retryable()
    }

    /// What this error says about the effect of the failed request (the one retry
    /// classification, shared by the HTTP client and the migration).
    pub fn retry_class(&self) -> crate::http::retry::RetryClass {
        crate::http::retry::classify(self)
    }

    /// Whether the failed request may have been applied by the vendor (a timeout, a broken
    /// connection, a 5xx, an unreadable answer): a create that failed so must be looked up
    /// before it is sent again.
    pub fn outcome_unknown(&self) -> bool {
        self.retry_class().outcome_unknown()
    }

    /// The delay the vendor asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status this error came from, when it came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::NotFound { .. } => Some(404),
            Error::Unauthenticated { .. } => Some(401),
            Error::PermissionDenied { .. } => Some(403),
            Error::RateLimited { .. } | Error::QuotaExhausted { .. } => Some(429),
            Error::Vendor { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `true` for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// `true` for [`Error::Unsupported`].
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported { .. })
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(operation: impl Into<String>, vendor: impl Into<String>) -> Self {
        Error::Unsupported {
            operation: operation.into(),
            vendor: vendor.into(),
        }
    }

    /// Shorthand for [`Error::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Decode`].
    pub fn decode(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Decode {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a [`Error::Validation`] without per-field details.
    pub fn validation(message: impl Into<String>) -> Self {
        Error::Validation {
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

/// Decodes JSON bytes into `T`, reporting the JSON path of the first bad value.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::Decode {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// Decodes JSON text into `T`, naming the path of the first bad value after `prefix` — lazily:
/// the fast path decodes without tracking the path (which costs a string per object key); only
/// when that fails is the text decoded again with path tracking, to name where, and only then
/// is the prefix built. Decoding is deterministic, so the second pass meets the same error.
///
/// The path joins as `prefix.field`, `prefix[3]`, or `prefix` for an error at the root; an
/// empty prefix gives the inner path alone (`.` for the root).
pub fn decode_lazy<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    prefix: impl FnOnce() -> String,
) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let fast_err = match T::deserialize(&mut *de).and_then(|v| de.end().map(|()| v)) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let prefix = prefix();
    let de = &mut serde_json::Deserializer::from_str(text);
    let (inner, message) = match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Err(e) => (e.path().to_string(), e.into_inner().to_string()),
        // The value decoded but trailing text follows, or (not expected) the second pass
        // succeeded: report the first error at the root.
        Ok(_) => (".".to_string(), fast_err.to_string()),
    };
    let path = match (prefix.is_empty(), inner.as_str()) {
        (true, _) => inner,
        (false, ".") => prefix,
        (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
        (false, p) => format!("{prefix}.{p}"),
    };
    Err(Error::Decode { path, message })
}

/// Converts a JSON value into `T`, reporting the JSON path of the first bad value.
pub fn decode_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Error::Decode {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reports_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Row {
            id: u64,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Body {
            parties: Vec<Row>,
        }
        let err = decode_json::<Body>(br#"{"parties":[{"id":1},{"id":"x"}]}"#).unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "parties[1].id"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn lazy_decode_joins_the_prefix() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Row {
            id: u64,
        }
        let path = |r: Result<Row>| match r {
            Err(Error::Decode { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            path(decode_lazy(r#"{"id":"x"}"#, || "party".into())),
            "party.id"
        );
        assert_eq!(path(decode_lazy(r#"{"id":"x"}"#, String::new)), "id");
        assert_eq!(path(decode_lazy("[]", || "party".into())), "party");
        assert_eq!(path(decode_lazy(r#"{"id":1} x"#, String::new)), ".");
        assert_eq!(
            decode_lazy::<Row>(r#"{"id":7}"#, || unreachable!())
                .unwrap()
                .id,
            7
        );
        match decode_lazy::<Vec<Row>>(r#"[{"id":1},{"id":"x"}]"#, || "parties".into()) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "parties[1].id"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn predicates() {
        assert!(Error::RateLimited { retry_after: None }.is_retryable());
        assert!(!Error::validation("x").is_retryable());
        assert_eq!(Error::validation("x").status(), None);
        assert_eq!(
            Error::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
            .retry_after(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(truncate_utf8("Zoë", 3), "Zo");
    }
}
