//! [`ClientOptions`]: what every adapter builder accepts (base URL, user agent, timeouts, rate
//! limiter, retries, time, a shared [`ConnectionPool`]), so many tenants' clients can share one
//! pool and one configuration.

use std::sync::Arc;
use std::time::Duration;

use super::rate_limit::RateLimiter;
use super::retry::RetryPolicy;
use crate::error::{Error, Result};
use crate::time::{Clock, Sleeper};

/// The connect timeout of a pool built by core.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection pool (a `reqwest` client: TLS sessions, keep-alive connections per host) that
/// many [`HttpClient`](super::HttpClient)s can share: thousands of tenants in one process need
/// one pool, not thousands. Cheap to clone (clones are the same pool).
///
/// Built by core only, so every client keeps core's transport rules: redirects are never
/// followed (a `Location` elsewhere would otherwise take the request off the configured
/// origin), bodies may be gzip-compressed. Timeouts and the user agent are set per request by
/// each client, so clients sharing a pool can differ in them.
#[derive(Clone)]
pub struct ConnectionPool {
    client: Arc<reqwest::Client>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("id", &Arc::as_ptr(&self.client))
            .finish()
    }
}

impl ConnectionPool {
    /// A new pool with the default connect timeout (10 s).
    pub fn new() -> Result<Self> {
        Self::with_connect_timeout(DEFAULT_CONNECT_TIMEOUT)
    }

    /// A new pool whose connections give up connecting after `connect_timeout`.
    pub fn with_connect_timeout(connect_timeout: Duration) -> Result<Self> {
        super::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ConnectionPool {
            client: Arc::new(client),
        })
    }

    /// Whether `self` and `other` are the same pool (not merely alike).
    pub fn same_as(&self, other: &ConnectionPool) -> bool {
        Arc::ptr_eq(&self.client, &other.client)
    }

    /// How many handles to this pool exist (clients built with it, plus clones held
    /// elsewhere).
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.client)
    }

    pub(super) fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Options every adapter builder accepts (`SomeClient::builder().options(opts)`), all
/// optional: what is unset keeps the adapter's default. Clone one value into
/// many builders to give many tenants the same pool, limiter and time.
///
/// ```
/// # fn demo() -> unicrm_core::Result<()> {
/// use unicrm_core::http::{ClientOptions, ConnectionPool};
/// let pool = ConnectionPool::new()?;
/// let opts = ClientOptions::new()
///     .connection_pool(pool.clone())
///     .user_agent("my-integration/1.0")
///     .timeout(std::time::Duration::from_secs(30));
/// // Every tenant's builder gets `opts.clone()`; all of them send through `pool`.
/// # let _ = opts; Ok(()) }
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The API base URL (a simulator's, a proxy's); the vendor's own by default.
    pub base_url: Option<String>,
    /// The user agent.
    pub user_agent: Option<String>,
    /// The whole-request timeout.
    pub timeout: Option<Duration>,
    /// The connect timeout (for a pool the client builds itself; a shared pool has its own).
    pub connect_timeout: Option<Duration>,
    /// A rate limiter passed before every attempt (in-process or networked).
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    /// The retry policy.
    pub retry: Option<RetryPolicy>,
    /// A connection pool shared with other clients.
    pub connection_pool: Option<ConnectionPool>,
    /// The sleeper for back-off and rate-limit waits (tests record them).
    pub sleeper: Option<Arc<dyn Sleeper>>,
    /// The clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// The tenant label of spans and metrics.
    pub tenant: Option<String>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("rate_limiter", &self.rate_limiter)
            .field("retry", &self.retry)
            .field("connection_pool", &self.connection_pool)
            .field("sleeper", &self.sleeper.as_ref().map(|_| "set"))
            .field("clock", &self.clock.as_ref().map(|_| "set"))
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl ClientOptions {
    /// No option set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Labels spans and metrics with a tenant (a customer, an account: never a secret).
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the user agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// Sets the whole-request timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self
    }

    /// Sets the rate limiter.
    pub fn rate_limiter(mut self, l: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(l);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = Some(r);
        self
    }

    /// Shares a connection pool.
    pub fn connection_pool(mut self, p: ConnectionPool) -> Self {
        self.connection_pool = Some(p);
        self
    }

    /// Sets the sleeper.
    pub fn sleeper(mut self, s: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(s);
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = Some(c);
        self
    }

    /// `self`, with every option `over` sets taking precedence.
    pub fn merged_with(self, over: ClientOptions) -> ClientOptions {
        ClientOptions {
            base_url: over.base_url.or(self.base_url),
            user_agent: over.user_agent.or(self.user_agent),
            timeout: over.timeout.or(self.timeout),
            connect_timeout: over.connect_timeout.or(self.connect_timeout),
            rate_limiter: over.rate_limiter.or(self.rate_limiter),
            retry: over.retry.or(self.retry),
            connection_pool: over.connection_pool.or(self.connection_pool),
            sleeper: over.sleeper.or(self.sleeper),
            clock: over.clock.or(self.clock),
            tenant: over.tenant.or(self.tenant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_compared_by_identity() {
        let a = ConnectionPool::new().unwrap();
        let b = ConnectionPool::new().unwrap();
        assert!(a.same_as(&a.clone()));
        assert!(!a.same_as(&b));
        let before = a.handles();
        let c = a.clone();
        assert_eq!(a.handles(), before + 1);
        drop(c);
        assert_eq!(a.handles(), before);
    }

    #[test]
    fn merging_keeps_what_is_not_overridden() {
        let base = ClientOptions::new()
            .base_url("http://a/")
            .user_agent("ua")
            .timeout(Duration::from_secs(1));
        let m = base.merged_with(ClientOptions::new().timeout(Duration::from_secs(2)));
        assert_eq!(m.base_url.as_deref(), Some("http://a/"));
        assert_eq!(m.user_agent.as_deref(), Some("ua"));
        assert_eq!(m.timeout, Some(Duration::from_secs(2)));
        assert!(m.connection_pool.is_none());
        let dbg = format!("{m:?}");
        assert!(dbg.contains("http://a/"), "{dbg}");
    }
}
