//! What the client sends ([`Request`]) and what it hands back ([`HttpResponse`]).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::link_header;
use super::retry::Repeatable;
use crate::error::{Error, Result, decode_json};

/// Header names whose values are never shown by `Debug`, whatever their sensitivity flag.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
];

/// Formats headers with secret values replaced.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (name, value) in self.0 {
            if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
                m.entry(&name.as_str(), &"[REDACTED]");
            } else {
                m.entry(&name.as_str(), &value);
            }
        }
        m.finish()
    }
}

/// One request to send.
///
/// Whether the client may send it again after an unknown outcome (a timeout, a broken
/// connection, a 5xx, an unreadable answer) is decided by what it does, not by its verb: set
/// [`Request::repeatable`] when the method's default ([`Repeatable::by_method`]: GET, HEAD,
/// OPTIONS, PUT and DELETE yes; POST and PATCH no) is wrong — a PUT that appends rows without
/// ids is `repeatable(false)`.
#[derive(Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL (see [`super::HttpClient::url`]); it must be on the client's origin.
    pub url: Url,
    /// Query parameters appended to the URL.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Bytes>,
    /// Extra headers.
    pub headers: HeaderMap,
    /// Overrides the method's repeatability for retry decisions; prefer
    /// [`Request::repeatable`].
    pub idempotent: Option<bool>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("query", &self.query)
            .field("body_bytes", &self.body.as_ref().map(Bytes::len))
            .field("headers", &RedactedHeaders(&self.headers))
            .field("repeatable", &self.repeatability())
            .finish()
    }
}

impl Request {
    /// A request without query or body.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            query: Vec::new(),
            body: None,
            headers: HeaderMap::new(),
            idempotent: None,
        }
    }

    /// Says whether sending this request twice has the same effect as sending it once, which
    /// decides whether it is retried after an unknown outcome.
    pub fn repeatable(mut self, repeatable: bool) -> Self {
        self.idempotent = Some(repeatable);
        self
    }

    /// Whether this request is retried after an unknown outcome: its own setting, else its
    /// method's default.
    pub fn repeatability(&self) -> Repeatable {
        match self.idempotent {
            Some(b) => Repeatable::from(b),
            None => Repeatable::by_method(&self.method),
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::config(format!("cannot serialize the request body: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The URL with the query parameters applied.
    pub fn full_url(&self) -> Url {
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        url
    }
}

/// A successful answer.
#[derive(Clone)]
pub struct HttpResponse {
    /// Status (2xx).
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// The URL that was requested.
    pub url: Url,
    /// `true` when this success was inferred rather than received: a DELETE whose earlier
    /// attempt had an unknown outcome (a timeout, a 5xx) and whose retry was answered 404 —
    /// the earlier attempt deleted the record. The status is then 204 and the body empty.
    pub already_applied: bool,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("url", &self.url.as_str())
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body_bytes", &self.body.len())
            .field("already_applied", &self.already_applied)
            .finish()
    }
}

impl HttpResponse {
    /// Decodes the body; a bad value gives [`Error::Decode`] with its JSON path.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body)
    }

    /// The `rel="next"` target of the `Link` header, resolved against the request URL. The
    /// client refuses to fetch it unless it is on the client's origin.
    pub fn next_link(&self) -> Option<Url> {
        link_header::find_rel(
            self.headers
                .get_all(http::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok()),
            "next",
            &self.url,
        )
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The vendor's clock: the `Date` header (an HTTP-date, whole seconds), when readable.
    pub fn date(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        super::retry_after::parse_http_date(self.header("date")?)
    }
}
