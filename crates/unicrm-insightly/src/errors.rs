//! Insightly's error bodies and budget headers, plugged into core's HTTP client
//! ([`InsightlyErrors`], [`InsightlyRateLimits`]).
//!
//! Bodies (docs/vendors/insightly-v3.1.md, "Errors"): a JSON object `{"Message": "..."}`
//! (sometimes with `Name`), whatever the status; the key is capitalised. A body that is not a
//! JSON object (an HTML page for an unknown path, a proxy's page, an empty body) is left to
//! core, which keeps its text (capped) and uses its start, or the status reason, as the
//! message. A lower-case `message` is read too, should a proxy in front answer in that shape.
//!
//! Budget (docs/vendors/insightly-v3.1.md, "Rate limits"): `X-RateLimit-Limit` (the daily
//! quota) and `X-RateLimit-Remaining` on every answer; no reset header exists (a rolling
//! window), so none is read: a 429 with `Remaining: 0` is a spent daily quota with no known
//! reset, any other 429 a burst to wait out per `Retry-After` (read by core).

use chrono::{DateTime, Utc};
use serde_json::Value;
use unicrm_core::http::classify::parse_error_object;
use unicrm_core::http::retry_after::header_u64;
use unicrm_core::http::{ErrorBody, ErrorBodyParser, HeaderMap, RateLimitHeaders, RateLimitReader};

/// Reads Insightly's error bodies (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct InsightlyErrors;

impl ErrorBodyParser for InsightlyErrors {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        parse_insightly_error(body)
    }
}

/// Insightly's error body: `Message` (else `message`) as the message. Never fails.
///
/// Insightly names the fields of a refused write only in its message ("Validation failed:
/// ORGANISATION_NAME is required.", "FIRST_NAME or LAST_NAME is required"): every word of
/// the message that is a field name (upper case with an underscore, or a custom field's
/// `…__c`) becomes a field error, so a validation error says which fields.
pub fn parse_insightly_error(body: &[u8]) -> ErrorBody {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody::default();
    };
    let mut parsed = parse_error_object(&map, &["Message", "message"]);
    if parsed.fields.is_empty() {
        if let Some(message) = parsed.message.clone() {
            parsed.fields = field_names(&message)
                .into_iter()
                .map(|f| unicrm_core::error::FieldError {
                    field: Some(f),
                    resource: None,
                    // The summary message says it; not repeated per field.
                    message: String::new(),
                })
                .collect();
        }
    }
    parsed
}

/// The field names a message mentions, in order, each once.
fn field_names(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let custom = word.len() > 3
            && word.ends_with("__c")
            && word.starts_with(|c: char| c.is_ascii_alphabetic());
        let standard = word.contains('_')
            && word.starts_with(|c: char| c.is_ascii_uppercase())
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !word.ends_with('_');
        if (custom || standard) && !out.iter().any(|w| w == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// Reads `X-RateLimit-Limit` and `X-RateLimit-Remaining` (no reset: see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct InsightlyRateLimits;

impl RateLimitReader for InsightlyRateLimits {
    fn read(&self, headers: &HeaderMap, _now: DateTime<Utc>) -> RateLimitHeaders {
        RateLimitHeaders {
            limit: header_u64(headers, "x-ratelimit-limit"),
            remaining: header_u64(headers, "x-ratelimit-remaining"),
            reset: None,
        }
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
        let (parser, limits) = (&InsightlyErrors, &InsightlyRateLimits);
        VendorErrors {
            vendor: "insightly",
            parser,
            limits,
            now: now(),
        }
        .classify(status, headers, body)
    }

    #[test]
    fn validation_messages_name_their_fields() {
        let fields = |body: &[u8]| -> Vec<String> {
            // (each field error is only its name: the message says the rest)
            match classify(400, &HeaderMap::new(), body) {
                Error::Validation { fields, .. } => {
                    fields.into_iter().filter_map(|f| f.field).collect()
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            fields(br#"{"Message":"Validation failed: ORGANISATION_NAME is required."}"#),
            ["ORGANISATION_NAME"]
        );
        assert_eq!(
            fields(br#"{"Message":"FIRST_NAME or LAST_NAME is required"}"#),
            ["FIRST_NAME", "LAST_NAME"]
        );
        assert_eq!(
            fields(br#"{"Message":"Invalid value for Region__c; Region__c must be a choice"}"#),
            ["Region__c"]
        );
        // Ordinary words, a lone upper-case word and a trailing underscore are not fields.
        assert!(fields(br#"{"Message":"Bad Request: JSON is INVALID here _X_"}"#).is_empty());
        assert!(fields(br#"{"Message":""}"#).is_empty());
    }

    #[test]
    fn message_and_html() {
        let e = classify(404, &HeaderMap::new(), br#"{"Message":"No contact"}"#);
        assert_eq!(e.to_string(), "not found: No contact");
        let e = classify(
            400,
            &HeaderMap::new(),
            br#"{"Name":"x","Message":"FIRST_NAME or LAST_NAME is required"}"#,
        );
        assert_eq!(
            e.to_string(),
            "validation failed: FIRST_NAME or LAST_NAME is required (FIRST_NAME; LAST_NAME)"
        );
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        match classify(404, &HeaderMap::new(), html.as_bytes()) {
            Error::NotFound { message } => assert!(message.starts_with("<html>x"), "{message}"),
            other => panic!("{other:?}"),
        }
        match classify(502, &HeaderMap::new(), html.as_bytes()) {
            Error::Vendor { status, body, .. } => {
                assert_eq!(status, 502);
                assert_eq!(body.len(), BODY_CAP);
            }
            other => panic!("{other:?}"),
        }
        let e = classify(503, &HeaderMap::new(), b"");
        assert_eq!(e.to_string(), "insightly answered 503: Service Unavailable");
    }

    #[test]
    fn keys_in_order() {
        let b = parse_insightly_error(br#"{"message":"low","Message":"High"}"#);
        assert_eq!(b.message.as_deref(), Some("High"));
        let b = parse_insightly_error(br#"{"message":"low"}"#);
        assert_eq!(b.message.as_deref(), Some("low"));
        assert_eq!(
            parse_insightly_error(br#"{"Message":3}"#),
            ErrorBody::default()
        );
        assert_eq!(parse_insightly_error(b"[\"x\"]"), ErrorBody::default());
        // Capsule's field list is not Insightly's.
        assert!(
            parse_insightly_error(br#"{"Message":"m","errors":[{"field":"f"}]}"#)
                .fields
                .is_empty()
        );
    }

    #[test]
    fn a_burst_429_waits_and_a_spent_daily_quota_does_not() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        assert_eq!(
            classify(429, &h, b"").retry_after(),
            Some(std::time::Duration::from_secs(2))
        );
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-limit", "100000".parse().unwrap());
        // A reset header, should one appear, is not Insightly's: it is not read.
        h.insert("x-ratelimit-reset", "1735693200".parse().unwrap());
        match classify(429, &h, br#"{"Message":"API rate limit exceeded."}"#) {
            Error::QuotaExhausted { resets_at, limit } => {
                assert_eq!(limit, Some(100000));
                assert_eq!(resets_at, None);
            }
            other => panic!("{other:?}"),
        }
        let r = InsightlyRateLimits.read(&h, now());
        assert_eq!(
            (r.limit, r.remaining, r.reset),
            (Some(100000), Some(0), None)
        );
        assert!(
            InsightlyRateLimits
                .read(&HeaderMap::new(), now())
                .is_empty()
        );
    }
}
