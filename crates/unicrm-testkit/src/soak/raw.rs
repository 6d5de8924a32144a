//! The vendor's raw API as the soak's writers use it: plain HTTP (never the adapter under
//! test), one set of credentials per writer.

use reqwest::Method;
use serde_json::Value;

/// How a writer authenticates to the vendor's raw API.
#[derive(Clone)]
#[non_exhaustive]
pub enum RawAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// HTTP Basic with a user name and password (an API key as the user name, say).
    Basic(String, String),
}

impl std::fmt::Debug for RawAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RawAuth::Bearer(_) => "Bearer([redacted])",
            RawAuth::Basic(..) => "Basic([redacted])",
        })
    }
}

/// A vendor's raw API under a base URL, with one [`RawAuth`] per writer.
#[derive(Debug, Clone)]
pub struct RawApi {
    http: reqwest::Client,
    base: String,
    writers: Vec<RawAuth>,
}

impl RawApi {
    /// The API under `base_url` (with or without a trailing `/`), writer `w` using
    /// `writers[w % writers.len()]`.
    pub fn new(base_url: &str, writers: Vec<RawAuth>) -> Self {
        unicrm_core::http::install_crypto_provider();
        RawApi {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_string(),
            writers,
        }
    }

    /// The HTTP client, for the reads.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `path` (no leading `/`, query allowed) under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// Writer `writer` sends `method path` with `body` as JSON. The JSON answer (`Null` when
    /// empty or not JSON), or `None` when the vendor refused it or it could not be sent — what
    /// [`SoakVendor`](super::SoakVendor)'s writer methods answer.
    pub async fn write(
        &self,
        writer: usize,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        let auth = self.writers.get(writer % self.writers.len().max(1))?;
        let req = self.http.request(method, self.url(path));
        let req = match auth {
            RawAuth::Bearer(t) => req.bearer_auth(t),
            RawAuth::Basic(u, p) => req.basic_auth(u, Some(p)),
        };
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        match req.send().await {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.ok().or(Some(Value::Null)),
            _ => None,
        }
    }
}
