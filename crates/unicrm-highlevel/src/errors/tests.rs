//! The error bodies of `tests/fixtures/errors.json` (vendor facts) through the parser and
//! core's classification, and the rate-limit headers.

use chrono::TimeZone;
use serde_json::Value;
use unicrm_core::http::classify::classify_with;

use super::*;

fn fixture() -> serde_json::Map<String, Value> {
    let text = include_str!("../../tests/fixtures/errors.json");
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The error a scenario of the fixture becomes, after core and [`refine`].
fn error_of(scenario: &str) -> (Error, bool) {
    let map = fixture();
    let entry = &map[scenario];
    let status = entry["status"].as_u64().unwrap_or(0) as u16;
    let body = entry["body"].to_string();
    let h = HeaderMap::new();
    let e = classify_with(
        "highlevel",
        status,
        &h,
        body.as_bytes(),
        now(),
        &HighLevelErrors,
        &HighLevelRateLimits,
    );
    (
        refine(e),
        HighLevelErrors.refresh_may_help(status, &h, body.as_bytes()),
    )
}

#[test]
fn an_unknown_contact_id_answering_400_is_not_found() {
    let (e, _) = error_of("contact_not_found");
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("Ct0nOtThErE000000000"), "{e}");
}

#[test]
fn property_should_not_exist_is_a_validation_naming_the_property() {
    let (e, _) = error_of("unknown_property");
    match e {
        Error::Validation { fields, message } => {
            assert_eq!(fields.len(), 1, "{fields:?}");
            assert_eq!(fields[0].field.as_deref(), Some("locationId"));
            assert!(
                message.contains("property locationId should not exist"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A 422 lists every failure: each one a field error.
    let (e, _) = error_of("validation");
    match e {
        Error::Validation { fields, .. } => {
            let names: Vec<_> = fields.iter().filter_map(|f| f.field.as_deref()).collect();
            assert_eq!(names, ["email", "locationId"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_duplicate_contact_stays_a_validation() {
    let (e, _) = error_of("duplicate_contact");
    assert!(matches!(e, Error::Validation { .. }), "{e:?}");
}

/// The five kinds of refusal (docs/vendors/highlevel-v2.md, "Authentication failures") are
/// told apart, and only a bad or expired token is worth a refresh. "Uncertain" 1: the
/// expired-token text differs between reports (`Invalid token: …` and `Invalid JWT`); both,
/// and any 401 text not in the table, are taken as a bad token.
#[test]
fn the_five_refusals_are_told_apart_and_only_a_bad_token_refreshes() {
    let cases = [
        ("invalid_or_expired_token", Refusal::TokenInvalid, true),
        ("invalid_jwt_observed", Refusal::TokenInvalid, true),
        ("scope_missing", Refusal::ScopeMissing, false),
        (
            "agency_pit_on_location_endpoint",
            Refusal::UserTypeMismatch,
            false,
        ),
        (
            "company_oauth_token_on_location_scope",
            Refusal::AuthClass,
            false,
        ),
        ("wrong_location", Refusal::WrongLocation, false),
        ("missing_version_header", Refusal::VersionMissing, false),
    ];
    for (scenario, kind, refresh) in cases {
        let (e, may) = error_of(scenario);
        assert_eq!(refusal(&e), Some(kind), "{scenario}: {e:?}");
        assert_eq!(may, refresh, "{scenario}");
        let expected_unauthenticated = kind == Refusal::TokenInvalid;
        assert_eq!(
            matches!(e, Error::Unauthenticated { .. }),
            expected_unauthenticated,
            "{scenario}: {e:?}"
        );
    }
    assert_eq!(
        Refusal::of(401, "something new"),
        Some(Refusal::TokenInvalid)
    );
    assert_eq!(Refusal::of(500, "x"), None);
}

#[test]
fn the_token_endpoint_envelope_is_read() {
    let (e, _) = error_of("oauth_bad_code");
    assert!(
        e.to_string().contains("Authorization code not found"),
        "{e}"
    );
}

#[test]
fn a_429_without_retry_after_is_rate_limited_and_a_spent_day_is_quota_exhausted() {
    let (e, _) = error_of("rate_limited_assumed");
    assert!(
        matches!(e, Error::RateLimited { retry_after: None }),
        "{e:?}"
    );
    let mut h = HeaderMap::new();
    h.insert("x-ratelimit-daily-remaining", "0".parse().unwrap());
    h.insert("x-ratelimit-limit-daily", "200000".parse().unwrap());
    h.insert("x-ratelimit-remaining", "50".parse().unwrap());
    let e = classify_with(
        "highlevel",
        429,
        &h,
        b"{}",
        now(),
        &HighLevelErrors,
        &HighLevelRateLimits,
    );
    match e {
        Error::QuotaExhausted { limit, resets_at } => {
            assert_eq!(limit, Some(200_000));
            // No Daily-Reset header: the next UTC midnight.
            assert_eq!(
                resets_at.map(|t| t.to_rfc3339()),
                Some("2026-03-05T00:00:00+00:00".into())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_five_headers_are_read() {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("X-RateLimit-Limit-Daily", "200000"),
        ("X-RateLimit-Daily-Remaining", "199905"),
        ("X-RateLimit-Interval-Milliseconds", "10000"),
        ("X-RateLimit-Max", "100"),
        ("X-RateLimit-Remaining", "89"),
        // The proxy's headers are ignored.
        ("x-ratelimit-limit", "7"),
        ("x-ratelimit-reset", "1"),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    let r = HighLevelRateLimits.read(&h, now());
    assert_eq!((r.limit, r.remaining), (Some(100), Some(89)));
    assert_eq!(r.reset, Some(now() + chrono::Duration::seconds(10)));
    let (daily, _) = HighLevelRateLimits::both(&h, now());
    assert_eq!(
        (daily.limit, daily.remaining),
        (Some(200_000), Some(199_905))
    );
    // A spent day wins, with the undocumented reset in milliseconds.
    h.insert("X-RateLimit-Daily-Remaining", "0".parse().unwrap());
    h.insert("X-RateLimit-Daily-Reset", "83653000".parse().unwrap());
    let r = HighLevelRateLimits.read(&h, now());
    assert_eq!((r.limit, r.remaining), (Some(200_000), Some(0)));
    assert_eq!(
        r.reset,
        Some(now() + chrono::Duration::milliseconds(83_653_000))
    );
    // Garbage and absence never fail.
    let mut g = HeaderMap::new();
    g.insert("X-RateLimit-Remaining", "lots".parse().unwrap());
    assert!(HighLevelRateLimits.read(&g, now()).is_empty());
}

#[test]
fn the_parser_never_fails_on_garbage() {
    for body in [
        &b""[..],
        b"<html>",
        b"[1,2]",
        b"{\"message\":3}",
        b"{\"message\":[1,\"x\"]}",
    ] {
        let _ = HighLevelErrors.parse(422, &HeaderMap::new(), body);
        let _ = HighLevelErrors.refresh_may_help(401, &HeaderMap::new(), body);
    }
    assert_eq!(field_named("property  should not exist"), None);
    assert_eq!(
        field_named("property tags should not exist").as_deref(),
        Some("tags")
    );
}
