//! Capsule's error bodies and budget headers, plugged into core's HTTP client
//! ([`CapsuleErrors`], [`CapsuleRateLimits`]).
//!
//! Bodies (docs/vendors/capsule-v2.md, "Errors"): a 422 is
//! `{"message":"Validation Failed","errors":[{"message":…,"resource":…,"field":…}]}`, whose
//! items become per-field errors (an item may also be plain text); other errors carry
//! `message`, or `error` (the 429 body `{"error":"rate limit reached"}`); the OAuth token
//! endpoint answers `{"error":"invalid_grant","error_description":…}`. Anything else (a
//! proxy's HTML page) is left to core, which keeps the body's text.
//!
//! Budget (docs/vendors/capsule-v2.md, "Rate limits"): `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (UTC epoch seconds) on each answer; no
//! `Retry-After` (core honours one should it appear).

use chrono::{DateTime, Utc};
use serde_json::Value;
use unicrm_core::FieldError;
use unicrm_core::http::classify::parse_error_object;
use unicrm_core::http::{ErrorBody, ErrorBodyParser, HeaderMap, RateLimitHeaders, RateLimitReader};

/// Reads Capsule's error bodies (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct CapsuleErrors;

impl ErrorBodyParser for CapsuleErrors {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        parse_capsule_error(body)
    }
}

/// Capsule's error body: `message` (else `error_description`, else `error`) as the message,
/// `error` as the code when a message is there too, and each `errors[]` item as a field error.
/// Never fails.
pub fn parse_capsule_error(body: &[u8]) -> ErrorBody {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody::default();
    };
    let mut out = parse_error_object(&map, &["message", "error_description"]);
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

/// Reads Capsule's `X-RateLimit-*` headers (the reset in UTC epoch seconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct CapsuleRateLimits;

impl RateLimitReader for CapsuleRateLimits {
    fn read(&self, headers: &HeaderMap, _now: DateTime<Utc>) -> RateLimitHeaders {
        RateLimitHeaders::from_headers(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use unicrm_core::Error;
    use unicrm_core::error::BODY_CAP;
    use unicrm_core::http::classify::VendorErrors;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    }

    fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        let (parser, limits) = (&CapsuleErrors, &CapsuleRateLimits);
        VendorErrors {
            vendor: "capsule",
            parser,
            limits,
            now: now(),
        }
        .classify(status, headers, body)
    }

    #[test]
    fn validation_names_the_fields() {
        let body = br#"{"message":"Validation Failed","errors":[{"message":"dueOn is required","resource":"task","field":"dueOn"}]}"#;
        let e = classify(422, &HeaderMap::new(), body);
        assert_eq!(
            e.to_string(),
            "validation failed: Validation Failed (dueOn: dueOn is required)"
        );
        match e {
            Error::Validation { fields, .. } => {
                assert_eq!(fields[0].resource.as_deref(), Some("task"));
                assert_eq!(fields[0].field.as_deref(), Some("dueOn"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_items_of_every_shape() {
        let b = parse_capsule_error(
            br#"{"message":"m","errors":["plain",{"field":"f","message":"bad"},7,{"field":"g"}]}"#,
        );
        assert_eq!(b.message.as_deref(), Some("m"));
        assert_eq!(b.fields.len(), 3);
        assert_eq!(b.fields[0].message, "plain");
        assert_eq!(b.fields[0].field, None);
        assert_eq!(b.fields[1].field.as_deref(), Some("f"));
        assert_eq!(b.fields[1].message, "bad");
        // An item without a message keeps its JSON as the message.
        assert_eq!(b.fields[2].message, r#"{"field":"g"}"#);
        assert_eq!(parse_capsule_error(b"[1]"), ErrorBody::default());
        assert_eq!(parse_capsule_error(b"<html>"), ErrorBody::default());
        assert!(
            parse_capsule_error(br#"{"message":"m","errors":"x"}"#)
                .fields
                .is_empty()
        );
    }

    #[test]
    fn error_text_code_and_oauth() {
        let b = parse_capsule_error(br#"{"error":"rate limit reached"}"#);
        assert_eq!(b.message.as_deref(), Some("rate limit reached"));
        assert_eq!(b.code, None);
        let b = parse_capsule_error(br#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(b.message.as_deref(), Some("expired"));
        assert_eq!(b.code.as_deref(), Some("invalid_grant"));
        // Insightly's capitalised key is not Capsule's.
        assert_eq!(parse_capsule_error(br#"{"Message":"x"}"#).message, None);
    }

    #[test]
    fn html_and_empty_bodies_are_core_text() {
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        match classify(502, &HeaderMap::new(), html.as_bytes()) {
            Error::Vendor { status, body, .. } => {
                assert_eq!(status, 502);
                assert_eq!(body.len(), BODY_CAP);
            }
            other => panic!("{other:?}"),
        }
        let e = classify(503, &HeaderMap::new(), b"");
        assert_eq!(e.to_string(), "capsule answered 503: Service Unavailable");
    }

    #[test]
    fn a_spent_hourly_budget_is_quota_exhausted() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(
            classify(429, &h, b"").retry_after(),
            Some(std::time::Duration::from_secs(2))
        );
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-limit", "4000".parse().unwrap());
        h.insert("x-ratelimit-reset", "1735693200".parse().unwrap());
        match classify(429, &h, br#"{"error":"rate limit reached"}"#) {
            Error::QuotaExhausted { resets_at, limit } => {
                assert_eq!(limit, Some(4000));
                assert_eq!(resets_at.unwrap().timestamp(), 1735693200);
            }
            other => panic!("{other:?}"),
        }
        let r = CapsuleRateLimits.read(&h, now());
        assert_eq!(r.remaining, Some(0));
        assert_eq!(r.limit, Some(4000));
    }
}
