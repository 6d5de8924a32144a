//! HighLevel's error bodies, refusals and rate-limit headers (docs/vendors/highlevel-v2.md,
//! "Errors", "Authentication failures", "Rate limits").
//!
//! - [`HighLevelErrors`] reads the NestJS envelope `{statusCode, message: string | string[],
//!   error?}` (and the token endpoint's `{error, error_description}`); each
//!   `"property X should not exist"` becomes a field error naming `X`. It also tells core which
//!   401s a token refresh can cure: only a bad or expired token ([`Refusal::TokenInvalid`]).
//! - [`refine`] sorts what core classified by status: a 400 whose text matches `/not found/i`
//!   is `NotFound` (an unknown contact id answers 400, "Uncertain" 4); the 401s that are not
//!   about the token (scope, token class, agency PIT) are `PermissionDenied`; a missing
//!   `Version` header is a configuration error.
//! - [`HighLevelRateLimits`] reads the five `X-RateLimit-*` headers.

use chrono::{DateTime, Utc};
use serde_json::Value;
use unicrm_core::http::classify::parse_error_object;
use unicrm_core::http::retry_after::header_u64;
use unicrm_core::http::{ErrorBody, ErrorBodyParser, HeaderMap, RateLimitHeaders, RateLimitReader};
use unicrm_core::{Error, FieldError};

/// The kinds of refusal HighLevel answers with 401 or 403 (docs/vendors/highlevel-v2.md,
/// "Authentication failures"). Only [`Refusal::TokenInvalid`] is cured by a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `Invalid token: access token is invalid` (or `Invalid JWT`, or a 401 text not known):
    /// a bad or expired token. One refresh, then give up ("Uncertain" 1).
    TokenInvalid,
    /// `The token is not authorized for this scope.`
    ScopeMissing,
    /// `Token's user type mismatch!`: an agency PIT on a location endpoint.
    UserTypeMismatch,
    /// `This authClass type is not allowed …`: a Company OAuth token on a location scope.
    AuthClass,
    /// 403 `The token does not have access to this location.`
    WrongLocation,
    /// `version header was not found.`: the client forgot the `Version` header.
    VersionMissing,
}

impl Refusal {
    /// The refusal a 401/403 with `message` is; `None` for other statuses.
    pub fn of(status: u16, message: &str) -> Option<Refusal> {
        let m = message.to_ascii_lowercase();
        match status {
            403 => Some(Refusal::WrongLocation),
            401 if m.contains("version header") => Some(Refusal::VersionMissing),
            401 if m.contains("not authorized for this scope") => Some(Refusal::ScopeMissing),
            401 if m.contains("user type mismatch") => Some(Refusal::UserTypeMismatch),
            401 if m.contains("authclass") => Some(Refusal::AuthClass),
            401 => Some(Refusal::TokenInvalid),
            _ => None,
        }
    }
}

fn message_of(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => match map.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; "),
            _ => map
                .get("error_description")
                .or_else(|| map.get("error"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        },
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

/// Reads HighLevel's error bodies (see the module docs). Never fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct HighLevelErrors;

impl ErrorBodyParser for HighLevelErrors {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return ErrorBody::default();
        };
        let mut out = parse_error_object(&map, &["message", "error_description"]);
        if let Some(Value::Array(messages)) = map.get("message") {
            let texts: Vec<&str> = messages.iter().filter_map(Value::as_str).collect();
            out.message = Some(texts.join("; "));
            for t in texts {
                out.fields.push(FieldError {
                    field: field_named(t),
                    resource: None,
                    message: t.to_string(),
                });
            }
        }
        out
    }

    fn refresh_may_help(&self, status: u16, _headers: &HeaderMap, body: &[u8]) -> bool {
        Refusal::of(status, &message_of(body)) == Some(Refusal::TokenInvalid)
    }
}

/// The property a validation message is about: `X` in `property X should not exist`, else
/// the first word of messages such as `email must be an email`.
fn field_named(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("property ") {
        return rest
            .strip_suffix(" should not exist")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
    }
    message
        .split_whitespace()
        .next()
        .filter(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .map(str::to_string)
}

/// Sorts an error core classified by status into HighLevel's meanings (see the module docs).
pub fn refine(err: Error) -> Error {
    match err {
        Error::Validation { message, fields }
            if message.to_ascii_lowercase().contains("not found") =>
        {
            let _ = fields;
            Error::NotFound { message }
        }
        Error::Unauthenticated { message } => match Refusal::of(401, &message) {
            Some(Refusal::VersionMissing) => Error::config(format!(
                "highlevel: the Version header was refused ({message}); check the Versions table"
            )),
            Some(Refusal::ScopeMissing | Refusal::UserTypeMismatch | Refusal::AuthClass) => {
                Error::PermissionDenied { message }
            }
            _ => Error::Unauthenticated { message },
        },
        other => other,
    }
}

/// The refusal behind an error returned by the client, when it is one.
pub fn refusal(err: &Error) -> Option<Refusal> {
    match err {
        Error::Unauthenticated { message } => Refusal::of(401, message),
        Error::PermissionDenied { message } => Refusal::of(401, message)
            .filter(|r| *r != Refusal::TokenInvalid)
            .or(Some(Refusal::WrongLocation)),
        Error::Config { message, .. } if message.contains("Version header") => {
            Some(Refusal::VersionMissing)
        }
        _ => None,
    }
}

/// Reads HighLevel's five rate-limit headers (docs/vendors/highlevel-v2.md, "Rate limits"):
/// `X-RateLimit-Max` / `X-RateLimit-Remaining` per `X-RateLimit-Interval-Milliseconds`
/// window, `X-RateLimit-Limit-Daily` / `X-RateLimit-Daily-Remaining` per day.
///
/// The burst window is reported unless the day is spent: then the daily quota, with its reset
/// from the undocumented `X-RateLimit-Daily-Reset` (milliseconds until the reset; low confidence) or
/// else the next UTC midnight, so core stops with `QuotaExhausted` instead of waiting. A spent
/// burst resets one interval from now (the window's start is not sent; waiting a whole
/// interval is safe for a fixed or a sliding window). The proxy's `x-ratelimit-limit` /
/// `x-ratelimit-reset` are ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct HighLevelRateLimits;

impl HighLevelRateLimits {
    /// The daily and the burst readings, as (daily, burst).
    pub fn both(headers: &HeaderMap, now: DateTime<Utc>) -> (RateLimitHeaders, RateLimitHeaders) {
        let n = |name: &str| header_u64(headers, name);
        let ms = |v: u64| chrono::Duration::try_milliseconds(i64::try_from(v).ok()?);
        let interval = n("x-ratelimit-interval-milliseconds").unwrap_or(10_000);
        let daily_reset = n("x-ratelimit-daily-reset")
            .and_then(ms)
            .and_then(|d| now.checked_add_signed(d))
            .or_else(|| {
                let tomorrow = now.date_naive().succ_opt()?;
                Some(tomorrow.and_hms_opt(0, 0, 0)?.and_utc())
            });
        let daily = RateLimitHeaders {
            limit: n("x-ratelimit-limit-daily"),
            remaining: n("x-ratelimit-daily-remaining"),
            reset: daily_reset.filter(|_| n("x-ratelimit-daily-remaining").is_some()),
        };
        let remaining = n("x-ratelimit-remaining");
        let burst = RateLimitHeaders {
            limit: n("x-ratelimit-max"),
            remaining,
            reset: remaining
                .and_then(|_| ms(interval))
                .and_then(|d| now.checked_add_signed(d)),
        };
        (daily, burst)
    }
}

impl RateLimitReader for HighLevelRateLimits {
    fn read(&self, headers: &HeaderMap, now: DateTime<Utc>) -> RateLimitHeaders {
        let (daily, burst) = Self::both(headers, now);
        if daily.remaining == Some(0) {
            daily
        } else {
            burst
        }
    }
}

#[cfg(test)]
mod tests;
