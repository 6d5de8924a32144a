//! `Retry-After` (seconds or HTTP-date) and rate-limit header parsing.
//!
//! A vendor's budget headers are read by a [`RateLimitReader`] plugged into the HTTP client
//! builder ([`HttpClientBuilder::rate_limit_reader`](super::HttpClientBuilder::rate_limit_reader));
//! core's default, [`StandardRateLimitHeaders`], reads the IETF `RateLimit-*` fields and the
//! common `X-RateLimit-*` ones.

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

/// Parses an HTTP-date (`Tue, 01 Dec 2026 08:53:02 GMT`, RFC 9110 §5.6.7, also the obsolete
/// forms); garbage gives `None`.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| httpdate::parse_http_date(s).ok().map(DateTime::<Utc>::from))
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
        let num = |name: &str| header_u64(headers, name);
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

/// Reads a vendor's rate-limit budget from the headers of a response (any status). One per
/// adapter, plugged into the HTTP client builder. Must never fail or panic: missing or
/// malformed values are `None`.
pub trait RateLimitReader: Send + Sync + std::fmt::Debug {
    /// The budget the headers announce; `now` resolves relative reset times.
    fn read(&self, headers: &HeaderMap, now: DateTime<Utc>) -> RateLimitHeaders;
}

/// Core's default [`RateLimitReader`]: the IETF `RateLimit-Limit` / `RateLimit-Remaining` /
/// `RateLimit-Reset` fields (draft-ietf-httpapi-ratelimit-headers; the reset is in seconds
/// from now) and, for what they leave out, `X-RateLimit-Limit` / `X-RateLimit-Remaining` /
/// `X-RateLimit-Reset` (the reset as UTC epoch seconds, [`RateLimitHeaders::from_headers`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardRateLimitHeaders;

impl RateLimitReader for StandardRateLimitHeaders {
    fn read(&self, headers: &HeaderMap, now: DateTime<Utc>) -> RateLimitHeaders {
        let x = RateLimitHeaders::from_headers(headers);
        let ietf_reset = header_u64(headers, "ratelimit-reset")
            .and_then(|s| i64::try_from(s).ok())
            .and_then(chrono::Duration::try_seconds)
            .and_then(|d| now.checked_add_signed(d));
        RateLimitHeaders {
            limit: header_u64(headers, "ratelimit-limit").or(x.limit),
            remaining: header_u64(headers, "ratelimit-remaining").or(x.remaining),
            reset: ietf_reset.or(x.reset),
        }
    }
}

/// A header holding a non-negative integer; missing or malformed gives `None`.
pub fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
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
    fn http_dates() {
        assert_eq!(
            parse_http_date(" Tue, 01 Dec 2026 08:53:02 GMT ").map(|t| t.timestamp()),
            Some(1_796_115_182)
        );
        // The obsolete asctime form.
        assert_eq!(
            parse_http_date("Tue Dec  1 08:53:02 2026").map(|t| t.timestamp()),
            Some(1_796_115_182)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
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

    #[test]
    fn standard_reader_prefers_the_ietf_fields() {
        let r = StandardRateLimitHeaders;
        assert!(r.read(&HeaderMap::new(), now()).is_empty());
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-Limit", "4000".parse().unwrap());
        h.insert("X-RateLimit-Remaining", "3".parse().unwrap());
        h.insert("X-RateLimit-Reset", "1735693200".parse().unwrap());
        let got = r.read(&h, now());
        assert_eq!(got, RateLimitHeaders::from_headers(&h));
        h.insert("RateLimit-Limit", "100".parse().unwrap());
        h.insert("RateLimit-Remaining", "0".parse().unwrap());
        h.insert("RateLimit-Reset", "30".parse().unwrap());
        let got = r.read(&h, now());
        assert_eq!(got.limit, Some(100));
        assert_eq!(got.remaining, Some(0));
        assert_eq!(got.reset, Some(now() + chrono::Duration::seconds(30)));
        // A malformed IETF field falls back to the X- one.
        h.insert("RateLimit-Remaining", "many".parse().unwrap());
        h.insert("RateLimit-Reset", "-1".parse().unwrap());
        let got = r.read(&h, now());
        assert_eq!(got.remaining, Some(3));
        assert_eq!(got.reset.map(|t| t.timestamp()), Some(1735693200));
        // An absurd reset is ignored rather than overflowing.
        h.insert("RateLimit-Reset", u64::MAX.to_string().parse().unwrap());
        h.remove("X-RateLimit-Reset");
        assert_eq!(r.read(&h, now()).reset, None);
    }
}
