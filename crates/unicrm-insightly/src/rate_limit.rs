//! Client-side pacing under Insightly's limits (vendor doc §3).
//!
//! - **Burst: 10 requests/second per instance.** A `governor` GCRA limiter (core's
//!   [`GovernorRateLimiter`]) at 10/s with a burst of 1 — requests evenly spaced 100 ms apart,
//!   so jitter in delivery cannot make several arrive inside the server's one-second bucket.
//!   Core's `HttpClient` applies it before *every* attempt, retries included.
//! - **Shared**: the vendor counts per instance, not per key or per connection, so one limiter
//!   is shared by every clone of a client and, through a process-wide registry, by every
//!   client built for the same API key and base URL (the key is stored only as a hash). Two
//!   different keys of the same instance cannot be recognised as such: give them one limiter
//!   explicitly with `InsightlyClientBuilder::rate_limiter`, which also accepts a networked
//!   limiter shared by many processes.
//! - **Daily quota** (1,000 to 100,000 requests per rolling 24 h by plan): read from
//!   `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every response
//!   ([`crate::InsightlyClient::rate_limit_status`]); a 429 with `Remaining: 0` is
//!   [`unicrm_core::Error::QuotaExhausted`] and is not retried (nothing succeeds until the window
//!   rolls). Any other 429 (another process using the same instance) is retried after
//!   `Retry-After`, else after the back-off.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use secrecy::{ExposeSecret, SecretString};
use unicrm_core::http::{GovernorRateLimiter, RateLimiter, Url};

type Key = (String, u64, u32);

fn registry() -> &'static Mutex<HashMap<Key, Weak<GovernorRateLimiter>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, Weak<GovernorRateLimiter>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key_hash(api_key: &SecretString) -> u64 {
    let mut h = DefaultHasher::new();
    api_key.expose_secret().hash(&mut h);
    h.finish()
}

/// A new limiter: `per_second` requests per second, evenly spaced (burst 1).
pub fn limiter(per_second: NonZeroU32) -> Arc<GovernorRateLimiter> {
    Arc::new(GovernorRateLimiter::per_second(per_second, NonZeroU32::MIN))
}

/// The process-wide limiter for `api_key` at `base_url` pacing at `per_second`: the same
/// `Arc` for every caller while any client holds it.
pub fn shared_limiter(
    base_url: &Url,
    api_key: &SecretString,
    per_second: NonZeroU32,
) -> Arc<dyn RateLimiter> {
    let key = (
        base_url.as_str().to_string(),
        key_hash(api_key),
        per_second.get(),
    );
    let mut map = match registry().lock() {
        Ok(m) => m,
        // A panic elsewhere while holding the lock: fall back to a private limiter.
        Err(_) => return limiter(per_second),
    };
    if let Some(l) = map.get(&key).and_then(Weak::upgrade) {
        return l;
    }
    map.retain(|_, w| w.strong_count() > 0);
    let l = limiter(per_second);
    map.insert(key, Arc::downgrade(&l));
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_limiter() {
        let url = Url::parse("http://127.0.0.1:1/v3.1/").unwrap();
        let rps = NonZeroU32::new(10).unwrap();
        let a = shared_limiter(&url, &SecretString::from("k1".to_string()), rps);
        let b = shared_limiter(&url, &SecretString::from("k1".to_string()), rps);
        let c = shared_limiter(&url, &SecretString::from("k2".to_string()), rps);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
