//! `Retry-After` (seconds or HTTP-date) and `X-RateLimit-*` header parsing.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use http::HeaderMap;

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date, relative to `now`.
/// Dates in the past give zero; garbage gives `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly large values saturate; the retry policy clamps them anyway.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at: SystemTime = httpdate::parse_http_date(v).ok()?;
    let at: DateTime<Utc> = at.into();
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The `X-RateLimit-*` headers of a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `X-RateLimit-Limit`: size of the budget.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the window resets (UTC epoch seconds on the wire).
    pub reset: Option<DateTime<Utc>>,
}

impl RateLimitHeaders {
    /// Reads the headers; missing or malformed values are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        RateLimitHeaders {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset: num("x-ratelimit-reset")
                .and_then(|s| i64::try_from(s).ok())
                .and_then(|s| Utc.timestamp_opt(s, 0).single()),
        }
    }

    /// `true` when no header was present.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

/// The `Retry-After` header of a response, relative to `now`.
pub fn retry_after_header(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap()
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_retry_after("2", now()), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now()),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn http_date() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        // In the past: no wait.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage() {
        for g in ["", "soon", "-1", "1.5", "Wed, 99 Foo", "\u{1F600}"] {
            assert_eq!(parse_retry_after(g, now()), None, "{g:?}");
        }
    }

    #[test]
    fn rate_limit_headers() {
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-Limit", "4000".parse().unwrap());
        h.insert("X-RateLimit-Remaining", "0".parse().unwrap());
        h.insert("X-RateLimit-Reset", "1735693200".parse().unwrap());
        let r = RateLimitHeaders::from_headers(&h);
        assert_eq!(r.limit, Some(4000));
        assert_eq!(r.remaining, Some(0));
        assert_eq!(r.reset.unwrap().to_rfc3339(), "2025-01-01T01:00:00+00:00");
        h.insert("X-RateLimit-Remaining", "lots".parse().unwrap());
        assert_eq!(RateLimitHeaders::from_headers(&h).remaining, None);
        assert!(RateLimitHeaders::from_headers(&HeaderMap::new()).is_empty());
    }
}
