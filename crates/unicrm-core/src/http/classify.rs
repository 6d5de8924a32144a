//! Turns an HTTP error answer (status + headers + body) into an [`Error`].
//!
//! Body decoding follows the vendors' shapes and never fails: JSON with `errors` gives
//! per-field validation errors (Capsule); otherwise `message`, `Message` (Insightly),
//! `error_description` or `error` gives the text; a non-JSON body (an HTML page from a proxy)
//! is kept as text, capped at [`BODY_CAP`] bytes.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::Value;

use super::retry_after::{RateLimitHeaders, retry_after_header};
use crate::error::{BODY_CAP, Error, FieldError, truncate_utf8};

/// The message and field errors found in an error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// Summary text.
    pub message: Option<String>,
    /// Machine-readable code (`error` when `error_description` carries the text).
    pub code: Option<String>,
    /// Per-field problems.
    pub fields: Vec<FieldError>,
}

/// Reads the known error body shapes. Never fails.
pub fn parse_error_body(body: &[u8]) -> ErrorBody {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody::default();
    };
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = ErrorBody {
        message: text("message")
            .or_else(|| text("Message"))
            .or_else(|| text("error_description")),
        code: None,
        fields: Vec::new(),
    };
    match text("error") {
        Some(e) if out.message.is_none() => out.message = Some(e),
        Some(e) => out.code = Some(e),
        None => {}
    }
    if let Some(Value::Array(errors)) = map.get("errors") {
        for e in errors {
            match e {
                Value::Object(o) => {
                    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
                    out.fields.push(FieldError {
                        field: s("field"),
                        resource: s("resource"),
                        message: s("message").unwrap_or_else(|| e.to_string()),
                    });
                }
                Value::String(s) => out.fields.push(FieldError {
                    field: None,
                    resource: None,
                    message: s.clone(),
                }),
                _ => {}
            }
        }
    }
    out
}

/// Classifies an error answer. `now` resolves HTTP-date `Retry-After` values.
pub fn classify(
    vendor: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Error {
    let parsed = parse_error_body(body);
    let raw = String::from_utf8_lossy(body);
    let raw = truncate_utf8(raw.trim(), BODY_CAP).to_string();
    let message = parsed.message.clone().unwrap_or_else(|| {
        if raw.is_empty() {
            http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
                .to_string()
        } else {
            truncate_utf8(&raw, 200).to_string()
        }
    });
    match status {
        400 | 422 => Error::Validation {
            message,
            fields: parsed.fields,
        },
        401 => Error::Unauthenticated { message },
        403 => Error::PermissionDenied { message },
        404 | 410 => Error::NotFound { message },
        409 | 412 => Error::Conflict { message },
        429 => {
            let rl = RateLimitHeaders::from_headers(headers);
            if rl.remaining == Some(0) {
                // The budget of the window is spent (Capsule's hourly budget, Insightly's daily
                // quota); the retry policy waits for `resets_at` when it is near.
                Error::QuotaExhausted {
                    resets_at: rl.reset,
                    limit: rl.limit,
                }
            } else {
                Error::RateLimited {
                    retry_after: retry_after_header(headers, now),
                }
            }
        }
        _ => Error::Vendor {
            vendor: vendor.to_string(),
            status,
            code: parsed.code,
            message,
            body: raw,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn capsule_validation() {
        let body = br#"{"message":"Validation Failed","errors":[{"message":"dueOn is required","resource":"task","field":"dueOn"}]}"#;
        let e = classify("capsule", 422, &HeaderMap::new(), body, now());
        assert_eq!(
            e.to_string(),
            "validation failed: Validation Failed (dueOn: dueOn is required)"
        );
    }

    #[test]
    fn insightly_message_and_html() {
        let e = classify(
            "insightly",
            404,
            &HeaderMap::new(),
            br#"{"Message":"No contact"}"#,
            now(),
        );
        assert_eq!(e.to_string(), "not found: No contact");
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        match classify("capsule", 502, &HeaderMap::new(), html.as_bytes(), now()) {
            Error::Vendor { status, body, .. } => {
                assert_eq!(status, 502);
                assert_eq!(body.len(), BODY_CAP);
            }
            other => panic!("{other:?}"),
        }
        let e = classify("capsule", 503, &HeaderMap::new(), b"", now());
        assert_eq!(e.to_string(), "capsule answered 503: Service Unavailable");
    }

    #[test]
    fn rate_limits() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        assert_eq!(
            classify("insightly", 429, &h, b"", now()).retry_after(),
            Some(std::time::Duration::from_secs(2))
        );
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-limit", "4000".parse().unwrap());
        h.insert("x-ratelimit-reset", "1735693200".parse().unwrap());
        match classify(
            "capsule",
            429,
            &h,
            br#"{"error":"rate limit reached"}"#,
            now(),
        ) {
            Error::QuotaExhausted { resets_at, limit } => {
                assert_eq!(limit, Some(4000));
                assert_eq!(resets_at.unwrap().timestamp(), 1735693200);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Every status group to its variant.
    #[test]
    fn status_table() {
        let h = HeaderMap::new();
        let kind = |status: u16| {
            let e = classify("v", status, &h, br#"{"message":"m"}"#, now());
            let k = match &e {
                Error::Validation { .. } => "validation",
                Error::Unauthenticated { .. } => "unauthenticated",
                Error::PermissionDenied { .. } => "permission",
                Error::NotFound { .. } => "not_found",
                Error::Conflict { .. } => "conflict",
                Error::RateLimited { .. } => "rate_limited",
                Error::Vendor { .. } => "vendor",
                _ => "other",
            };
            assert!(e.to_string().contains('m'), "{e}");
            k
        };
        for (status, want) in [
            (400, "validation"),
            (422, "validation"),
            (401, "unauthenticated"),
            (403, "permission"),
            (404, "not_found"),
            (410, "not_found"),
            (409, "conflict"),
            (412, "conflict"),
            (429, "rate_limited"),
            (405, "vendor"),
            (500, "vendor"),
            (302, "vendor"),
        ] {
            assert_eq!(kind(status), want, "{status}");
        }
    }

    #[test]
    fn error_text_and_code() {
        let b = parse_error_body(br#"{"error":"only an error"}"#);
        assert_eq!(b.message.as_deref(), Some("only an error"));
        assert_eq!(b.code, None);
        let b = parse_error_body(
            br#"{"message":"m","errors":["plain",{"field":"f","message":"bad"},7]}"#,
        );
        assert_eq!(b.fields.len(), 2);
        assert_eq!(b.fields[0].message, "plain");
        assert_eq!(b.fields[1].field.as_deref(), Some("f"));
        assert_eq!(parse_error_body(b"[1]"), ErrorBody::default());
        match classify(
            "v",
            500,
            &HeaderMap::new(),
            br#"{"error":"E1","message":"boom"}"#,
            now(),
        ) {
            Error::Vendor { code, message, .. } => {
                assert_eq!(code.as_deref(), Some("E1"));
                assert_eq!(message, "boom");
            }
            other => panic!("{other:?}"),
        }
        // Plain text is kept, its start as the message.
        let long = "y".repeat(300);
        match classify("v", 500, &HeaderMap::new(), long.as_bytes(), now()) {
            Error::Vendor { message, body, .. } => {
                assert_eq!(message.len(), 200);
                assert_eq!(body.len(), 300);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oauth_error() {
        let b = parse_error_body(br#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(b.message.as_deref(), Some("expired"));
        assert_eq!(b.code.as_deref(), Some("invalid_grant"));
    }
}
