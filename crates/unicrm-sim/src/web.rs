//! Web plumbing shared by the simulators: serving a router behind the fault layer on a local
//! port (with graceful shutdown and the request counters), the `Authorization` header, query
//! strings, and the vendor-clock durations. What differs between vendors (error shapes, auth
//! schemes, limits) stays in each simulator's own `web.rs`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use http::{HeaderMap, header};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::faults::{self, Faults};

/// Binds `127.0.0.1:port` (0 picks a free port).
pub(crate) async fn bind(port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// A simulator being served: its fault injector (which counts every request) and the task
/// serving it until [`Served::shutdown`].
#[derive(Debug)]
pub(crate) struct Served {
    pub(crate) faults: Faults,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Served {
    /// Serves `router` on `listener` behind the fault layer of `faults` (the outermost layer:
    /// it sees every request and sets every answer's `Date`). Sending `true` on `stop` (or
    /// [`shutdown`](Self::shutdown)) stops accepting connections and lets in-flight requests
    /// finish.
    pub(crate) fn start(
        vendor: &'static str,
        listener: TcpListener,
        router: Router,
        faults: Faults,
        stop: watch::Sender<bool>,
    ) -> Self {
        let app = faults::layer(router, faults.clone());
        let mut stopped = stop.subscribe();
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!("{vendor} simulator stopped: {e}");
            }
        });
        Self { faults, stop, task }
    }

    /// Stops the server and waits for it to finish.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The request counters and fault controls every simulator handle offers, delegated to its
/// `served: Served` field (one definition for both handles' public methods).
macro_rules! fault_controls {
    () => {
        /// Request counters since start or the last [`reset_stats`](Self::reset_stats) (kept
        /// by the fault layer, which sees every request).
        pub fn stats(&self) -> $crate::faults::SimStats {
            self.served.faults.stats()
        }

        /// Sets the request counters back to zero.
        pub fn reset_stats(&self) {
            self.served.faults.reset_stats();
        }

        /// Replaces the fault configuration (and reseeds the fault generator).
        pub fn set_faults(&self, config: $crate::faults::FaultConfig) {
            self.served.faults.set_config(config);
        }
    };
}
pub(crate) use fault_controls;

/// A `std` duration on the vendor's clock (saturating).
pub(crate) fn lag(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The credentials of an `Authorization: <scheme> <credentials>` header when the scheme is
/// `scheme` (compared without regard to case); `None` when the header is missing, not text,
/// of another scheme, or has empty credentials.
pub(crate) fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    (given.eq_ignore_ascii_case(scheme) && !credentials.is_empty()).then_some(credentials)
}

/// A parsed query string that keeps the raw text (for `Link` URLs) and the decoded pairs in
/// order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) raw: Option<String>,
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw (still percent-encoded) query string.
    pub(crate) fn parse(raw: Option<String>) -> Self {
        let pairs = raw
            .as_deref()
            .map(|r| {
                url::form_urlencoded::parse(r.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { raw, pairs }
    }

    /// The first value of `key` (names compared exactly).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The last value of `key`, names compared without regard to case (`key` in lower case).
    pub(crate) fn get_ignore_case(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k.to_lowercase() == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)` pair, in order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn authorization_scheme_and_credentials() {
        let mut h = HeaderMap::new();
        assert_eq!(authorization(&h, "Bearer"), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  tok "),
        );
        assert_eq!(authorization(&h, "Bearer"), Some("tok"));
        assert_eq!(authorization(&h, "Basic"), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(authorization(&h, "Bearer"), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(authorization(&h, "Bearer"), None);
    }

    #[test]
    fn query_lookups() {
        let q = Query::parse(Some("Top=1&top=2&a=x%20y&a=z".into()));
        assert_eq!(q.get("a"), Some("x y"));
        assert_eq!(q.get("top"), Some("2"));
        assert_eq!(q.get("TOP"), None);
        assert_eq!(q.get_ignore_case("top"), Some("2"));
        assert_eq!(q.get_ignore_case("a"), Some("z"));
        assert_eq!(q.pairs().count(), 4);
        assert_eq!(Query::parse(None).get("a"), None);
    }
}
