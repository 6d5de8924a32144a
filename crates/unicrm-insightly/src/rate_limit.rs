//! Client-side pacing under Insightly's limits (docs/vendors/insightly-v3.1.md, "Rate limits").
//!
//! - **Burst: 10 requests/second per instance.** A `governor` GCRA limiter (core's
//!   [`GovernorRateLimiter`]) with a burst of 1 — requests evenly spaced. The default pace is
//!   [`crate::config::REQUEST_INTERVAL`] (one request per 105 ms, about 9.5/s): the vendor
//!   advises pacing under its limit, and 5 % of headroom keeps jitter in delivery from putting
//!   an eleventh request into any one-second window (11 requests paced at 105 ms span 1.05 s,
//!   so up to 50 ms of jitter still fits). Configurable with
//!   `InsightlyClientBuilder::requests_per_second` or `request_interval`. Core's `HttpClient` applies the limiter
//!   before *every* attempt, retries and resends after a 401 included.
//! - **Keyed by the instance it protects**: the vendor counts per instance (account), shared by
//!   every key and integration on it. One limiter is shared by every clone of a client and,
//!   through a process-wide registry, by every client built for the same instance: the
//!   instance name given with `InsightlyClientBuilder::instance` (so that several keys of one
//!   account share one budget), else the API key (stored only as a hash), at the same base
//!   URL. The configured rate is *not* part of the key: a second client of the same instance
//!   with another rate shares the first one's limiter (one budget cannot be paced twice).
//!   `InsightlyClientBuilder::rate_limiter` replaces the registry entirely (for example with a
//!   networked limiter shared by many processes).
//! - **Daily quota** (1,000 to 100,000 requests per rolling 24 h by plan): read from
//!   `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every response
//!   ([`crate::InsightlyClient::rate_limit_status`]); a 429 with `Remaining: 0` is
//!   [`unicrm_core::Error::QuotaExhausted`] and is not retried (nothing succeeds until the window
//!   rolls). Any other 429 (a per-second refusal, e.g. another integration on the instance) is
//!   retried by core after `Retry-After`, else after the back-off.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use unicrm_core::http::{GovernorRateLimiter, RateLimiter, Url};

/// What a limiter protects: one Insightly instance.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Instance {
    /// An instance named by the caller (shared by every key given that name).
    Named(String),
    /// The instance of an API key (known only by the key's hash).
    ApiKey(u64),
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Instance::Named(n) => f.debug_tuple("Named").field(n).finish(),
            Instance::ApiKey(_) => f.write_str("ApiKey([REDACTED])"),
        }
    }
}

impl Instance {
    /// The instance an API key belongs to, when no name is given.
    pub fn of_key(api_key: &SecretString) -> Self {
        let mut h = DefaultHasher::new();
        api_key.expose_secret().hash(&mut h);
        Instance::ApiKey(h.finish())
    }

    /// A named instance (case-insensitive, trimmed).
    pub fn named(name: &str) -> Self {
        Instance::Named(name.trim().to_lowercase())
    }
}

type Key = (String, Instance);

fn registry() -> &'static Mutex<HashMap<Key, Weak<GovernorRateLimiter>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<GovernorRateLimiter>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A new limiter: one request per `interval`, evenly spaced (burst 1).
pub fn limiter(interval: Duration) -> Arc<GovernorRateLimiter> {
    Arc::new(GovernorRateLimiter::every(interval, NonZeroU32::MIN))
}

/// The process-wide limiter of `instance` at `base_url`: the same `Arc` for every caller
/// while any client holds it. `interval` paces a limiter created by this call; an existing
/// one keeps its pace.
pub fn shared_limiter(
    base_url: &Url,
    instance: &Instance,
    interval: Duration,
) -> Arc<dyn RateLimiter> {
    let key = (base_url.as_str().to_string(), instance.clone());
    let mut map = match registry().lock() {
        Ok(m) => m,
        // A panic elsewhere while holding the lock: fall back to a private limiter.
        Err(_) => return limiter(interval),
    };
    if let Some(l) = map.get(&key).and_then(Weak::upgrade) {
        return l;
    }
    map.retain(|_, w| w.strong_count() > 0);
    let l = limiter(interval);
    map.insert(key, Arc::downgrade(&l));
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Instance {
        Instance::of_key(&SecretString::from(s.to_string()))
    }

    #[test]
    fn keyed_by_instance_not_by_rate() {
        let url = Url::parse("http://127.0.0.1:1/v3.1/").unwrap();
        let other = Url::parse("http://127.0.0.1:2/v3.1/").unwrap();
        let rps = Duration::from_millis(105);
        let slow = Duration::from_millis(500);
        let a = shared_limiter(&url, &key("k1"), rps);
        let b = shared_limiter(&url, &key("k1"), rps);
        let c = shared_limiter(&url, &key("k2"), rps);
        let d = shared_limiter(&url, &key("k1"), slow);
        let e = shared_limiter(&other, &key("k1"), rps);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(
            Arc::ptr_eq(&a, &d),
            "another rate, same instance: one limiter"
        );
        assert!(!Arc::ptr_eq(&a, &e));
        let n1 = shared_limiter(&url, &Instance::named("Acme"), rps);
        let n2 = shared_limiter(&url, &Instance::named(" acme "), slow);
        assert!(Arc::ptr_eq(&n1, &n2));
        assert!(!Arc::ptr_eq(&n1, &a));
        assert_eq!(key("k1"), key("k1"));
        assert_ne!(key("k1"), key("k2"));
        assert!(!format!("{:?}", key("k1")).contains("k1"));
        assert_eq!(format!("{:?}", Instance::named("Acme")), r#"Named("acme")"#);
    }
}
