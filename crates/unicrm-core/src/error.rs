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
    /// The client is misconfigured (bad URL, missing credential).
    #[error("configuration error: {message}")]
    Config {
        /// What to fix.
        message: String,
    },
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
    /// timeouts, 5xx). Whether a retry is *safe* also depends on the method: see
    /// [`crate::http::retry`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Transport { kind, .. } => {
                matches!(
                    kind,
                    TransportKind::Connect | TransportKind::Timeout | TransportKind::Interrupted
                )
            }
            Error::Vendor { status, .. } => *status >= 500,
            _ => false,
        }
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
