//! Turns an HTTP error answer (status + headers + body) into an [`Error`].
//!
//! Core knows no vendor's body shapes: each adapter plugs an [`ErrorBodyParser`] into its
//! [`HttpClientBuilder`](super::HttpClientBuilder) (and a
//! [`RateLimitReader`] for its budget headers). Core keeps
//! the generic default, [`GenericErrorBody`] (a `message`, `detail`, `error_description` or
//! `error` text, see [`parse_error_body`]), and the one mapping from status to [`Error`]
//! ([`classify_with`]). A body no parser understands (an HTML page from a proxy) is kept as
//! text, capped at [`BODY_CAP`] bytes, and its start becomes the message.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::Value;

use super::retry_after::{RateLimitReader, StandardRateLimitHeaders, retry_after_header};
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

/// Reads a vendor's error bodies. One per adapter, plugged into the HTTP client builder
/// ([`HttpClientBuilder::error_parser`](super::HttpClientBuilder::error_parser)). Must never
/// fail or panic: a body it does not understand gives [`ErrorBody::default`], and core then
/// keeps the body's text.
pub trait ErrorBodyParser: Send + Sync + std::fmt::Debug {
    /// The message, code and field errors of an error answer.
    fn parse(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ErrorBody;

    /// Whether new credentials can cure this 401: core asks before refreshing a token. By
    /// default every 401 may; a vendor whose 401 also means "scope missing" or "header
    /// missing" (HighLevel) answers `false` for those, so they fail at once without spending a
    /// single-use refresh token.
    fn refresh_may_help(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> bool {
        let _ = (status, headers, body);
        true
    }
}

/// Core's default [`ErrorBodyParser`]: a JSON object's `message`, `detail` (RFC 9457 problem
/// details), `error_description` or `error` text (RFC 6749 token errors: `error` is then the
/// code). See [`parse_error_body`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericErrorBody;

impl ErrorBodyParser for GenericErrorBody {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        parse_error_body(body)
    }
}

/// The text of `key` in a JSON object, when it is a string.
pub fn text_field(map: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The generic error body: the first of `message`, `detail`, `error_description` as the
/// message; `error` is the message when none of those is there, else the code. Never fails.
pub fn parse_error_body(body: &[u8]) -> ErrorBody {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody::default();
    };
    parse_error_object(&map, &["message", "detail", "error_description"])
}

/// [`parse_error_body`] over an already parsed object, with the message keys to try in order
/// (an adapter's parser reuses it with its own keys).
pub fn parse_error_object(
    map: &serde_json::Map<String, Value>,
    message_keys: &[&str],
) -> ErrorBody {
    let mut out = ErrorBody {
        message: message_keys.iter().find_map(|k| text_field(map, k)),
        code: None,
        fields: Vec::new(),
    };
    match text_field(map, "error") {
        Some(e) if out.message.is_none() => out.message = Some(e),
        Some(e) => out.code = Some(e),
        None => {}
    }
    out
}

/// Classifies an error answer with core's defaults ([`GenericErrorBody`],
/// [`StandardRateLimitHeaders`]). `now` resolves HTTP-date `Retry-After` values.
pub fn classify(
    vendor: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Error {
    classify_with(
        vendor,
        status,
        headers,
        body,
        now,
        &GenericErrorBody,
        &StandardRateLimitHeaders,
    )
}

/// An adapter's error shapes, for classifying answers as its client would: what an adapter's
/// tests use to check its [`ErrorBodyParser`] and [`RateLimitReader`] against the vendor's
/// documented bodies, at a fixed instant.
#[derive(Clone, Copy)]
pub struct VendorErrors<'a> {
    /// Vendor name, for the errors.
    pub vendor: &'a str,
    /// Reads error bodies.
    pub parser: &'a dyn ErrorBodyParser,
    /// Reads budget headers.
    pub limits: &'a dyn RateLimitReader,
    /// The instant relative `Retry-After` values and resets are resolved against.
    pub now: DateTime<Utc>,
}

impl VendorErrors<'_> {
    /// [`classify_with`] with these shapes.
    pub fn classify(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        classify_with(
            self.vendor,
            status,
            headers,
            body,
            self.now,
            self.parser,
            self.limits,
        )
    }
}

/// Classifies an error answer: `parser` reads the body, `limits` the budget headers of a 429
/// (a spent budget, `remaining == 0`, is [`Error::QuotaExhausted`]; otherwise
/// [`Error::RateLimited`] with the `Retry-After` delay). `now` resolves HTTP-date
/// `Retry-After` values and relative reset times.
pub fn classify_with(
    vendor: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    parser: &dyn ErrorBodyParser,
    limits: &dyn RateLimitReader,
) -> Error {
    let parsed = parser.parse(status, headers, body);
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
            let rl = limits.read(headers, now);
            if rl.remaining == Some(0) {
                // The budget of the window is spent (an hourly or daily quota); the retry
                // policy waits for `resets_at` when it is near.
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
    fn generic_message_and_text_bodies() {
        let e = classify(
            "v",
            404,
            &HeaderMap::new(),
            br#"{"message":"No such thing"}"#,
            now(),
        );
        assert_eq!(e.to_string(), "not found: No such thing");
        let e = classify(
            "v",
            422,
            &HeaderMap::new(),
            br#"{"detail":"too long"}"#,
            now(),
        );
        assert_eq!(e.to_string(), "validation failed: too long");
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        match classify("v", 502, &HeaderMap::new(), html.as_bytes(), now()) {
            Error::Vendor {
                status,
                body,
                message,
                ..
            } => {
                assert_eq!(status, 502);
                assert_eq!(body.len(), BODY_CAP);
                assert!(message.starts_with("<html>x"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let e = classify("v", 503, &HeaderMap::new(), b"", now());
        assert_eq!(e.to_string(), "v answered 503: Service Unavailable");
    }

    /// A field list is a vendor's shape: the generic parser leaves it to the adapter.
    #[test]
    fn the_generic_parser_reads_no_field_list() {
        let b = parse_error_body(br#"{"message":"m","errors":[{"field":"f","message":"bad"}]}"#);
        assert_eq!(b.message.as_deref(), Some("m"));
        assert!(b.fields.is_empty());
    }

    /// A parser plugged in decides the message and the fields; core still maps the status.
    #[test]
    fn a_plugged_parser_is_used() {
        #[derive(Debug)]
        struct Fixed;
        impl ErrorBodyParser for Fixed {
            fn parse(&self, status: u16, _: &HeaderMap, body: &[u8]) -> ErrorBody {
                ErrorBody {
                    message: Some(format!("{status}:{}", body.len())),
                    code: Some("C".into()),
                    fields: vec![FieldError {
                        field: Some("f".into()),
                        resource: None,
                        message: "bad".into(),
                    }],
                }
            }
        }
        let e = classify_with(
            "v",
            422,
            &HeaderMap::new(),
            b"abc",
            now(),
            &Fixed,
            &StandardRateLimitHeaders,
        );
        assert_eq!(e.to_string(), "validation failed: 422:3 (f: bad)");
        match classify_with(
            "v",
            500,
            &HeaderMap::new(),
            b"abc",
            now(),
            &Fixed,
            &StandardRateLimitHeaders,
        ) {
            Error::Vendor {
                code,
                message,
                body,
                ..
            } => {
                assert_eq!(code.as_deref(), Some("C"));
                assert_eq!(message, "500:3");
                assert_eq!(body, "abc");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rate_limits() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        assert_eq!(
            classify("v", 429, &h, b"", now()).retry_after(),
            Some(std::time::Duration::from_secs(2))
        );
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-limit", "4000".parse().unwrap());
        h.insert("x-ratelimit-reset", "1735693200".parse().unwrap());
        match classify("v", 429, &h, br#"{"error":"slow down"}"#, now()) {
            Error::QuotaExhausted { resets_at, limit } => {
                assert_eq!(limit, Some(4000));
                assert_eq!(resets_at.unwrap().timestamp(), 1735693200);
            }
            other => panic!("{other:?}"),
        }
    }

    /// The reader plugged in decides whether a 429 is a spent budget.
    #[test]
    fn a_plugged_reader_decides_the_budget() {
        #[derive(Debug)]
        struct Spent;
        impl RateLimitReader for Spent {
            fn read(
                &self,
                _: &HeaderMap,
                _: DateTime<Utc>,
            ) -> super::super::retry_after::RateLimitHeaders {
                super::super::retry_after::RateLimitHeaders {
                    limit: Some(7),
                    remaining: Some(0),
                    reset: None,
                }
            }
        }
        let e = classify_with(
            "v",
            429,
            &HeaderMap::new(),
            b"",
            now(),
            &GenericErrorBody,
            &Spent,
        );
        assert!(
            matches!(
                e,
                Error::QuotaExhausted {
                    limit: Some(7),
                    resets_at: None
                }
            ),
            "{e:?}"
        );
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
        assert_eq!(parse_error_body(b"[1]"), ErrorBody::default());
        assert_eq!(parse_error_body(br#"{"message":5}"#), ErrorBody::default());
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
    fn message_keys_in_order() {
        let b = parse_error_body(br#"{"detail":"d","message":"m"}"#);
        assert_eq!(b.message.as_deref(), Some("m"));
        let b = parse_error_body(br#"{"error_description":"e","detail":"d"}"#);
        assert_eq!(b.message.as_deref(), Some("d"));
    }

    #[test]
    fn oauth_error() {
        let b = parse_error_body(br#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(b.message.as_deref(), Some("expired"));
        assert_eq!(b.code.as_deref(), Some("invalid_grant"));
    }
}
