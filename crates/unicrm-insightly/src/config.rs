//! Where the API lives: pods and base URLs (vendor doc §1).
//!
//! An Insightly instance lives on one *pod* (`na1` North America — the default — or `eu1`
//! Europe; others such as `au1` are plausible). Its API is at
//! `https://api.{pod}.insightly.com/v3.1/`; the user finds the full URL under their API key in
//! *User Settings → API*. A base URL (the simulator, a proxy, an unknown pod) overrides the
//! pod.

use unicrm_core::http::Url;
use unicrm_core::{Error, Result};

/// The pod used when none is given.
pub const DEFAULT_POD: &str = "na1";

/// Insightly's largest page (`top`).
pub const MAX_PAGE_SIZE: u32 = 500;

/// The vendor's burst limit: requests per second per instance.
pub const VENDOR_REQUESTS_PER_SECOND: u32 = 10;

/// The default client-side pace: one request per 105 ms (about 9.5 per second), under the
/// vendor's 10 with headroom for jitter (see [`crate::rate_limit`]).
pub const REQUEST_INTERVAL: std::time::Duration = std::time::Duration::from_millis(105);

/// The API base URL of `pod`: `https://api.{pod}.insightly.com/v3.1/`.
///
/// A pod is letters and digits (`na1`, `eu1`); it is lower-cased.
pub fn pod_base_url(pod: &str) -> Result<Url> {
    let pod = normalise_pod(pod)?;
    parse_base_url(&format!("https://api.{pod}.insightly.com/v3.1/"))
}

/// Parses a base URL (http or https) and makes sure it ends with `/` (core's
/// [`unicrm_core::http::parse_base_url`]).
pub use unicrm_core::http::parse_base_url;

/// Validates and lower-cases a pod name.
pub fn normalise_pod(pod: &str) -> Result<String> {
    let p = pod.trim().to_ascii_lowercase();
    if p.is_empty() || p.len() > 16 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::config(format!(
            "invalid Insightly pod {pod:?}: expected letters and digits such as \"na1\" or \"eu1\" \
             (shown in the API URL under your key in User Settings → API)"
        )));
    }
    Ok(p)
}

/// The pod of an `https://api.{pod}.insightly.com/…` URL.
pub fn pod_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let rest = host.strip_prefix("api.")?;
    let pod = rest.strip_suffix(".insightly.com")?;
    (!pod.is_empty() && !pod.contains('.')).then(|| pod.to_string())
}

/// Resolves the base URL from an optional pod and an optional base URL (which wins). A pod
/// given as a whole URL is taken as the base URL.
pub fn resolve(pod: Option<&str>, base_url: Option<&str>) -> Result<(Url, Option<String>)> {
    if let Some(b) = base_url.filter(|b| !b.trim().is_empty()) {
        let url = parse_base_url(b)?;
        let pod = pod_of(&url);
        return Ok((url, pod));
    }
    match pod.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p.contains("://") => resolve(None, Some(p)),
        Some(p) => Ok((pod_base_url(p)?, Some(normalise_pod(p)?))),
        None => Ok((pod_base_url(DEFAULT_POD)?, Some(DEFAULT_POD.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods() {
        assert_eq!(
            pod_base_url("na1").unwrap().as_str(),
            "https://api.na1.insightly.com/v3.1/"
        );
        assert_eq!(
            pod_base_url("EU1").unwrap().as_str(),
            "https://api.eu1.insightly.com/v3.1/"
        );
        assert!(pod_base_url("na1.evil.com/x").is_err());
        assert!(pod_base_url("").is_err());
        let (u, p) = resolve(None, None).unwrap();
        assert_eq!(u.as_str(), "https://api.na1.insightly.com/v3.1/");
        assert_eq!(p.as_deref(), Some("na1"));
        let (u, p) = resolve(Some("au1"), Some("http://127.0.0.1:9/v3.1")).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v3.1/");
        assert_eq!(p, None);
        let (u, p) = resolve(Some("https://api.eu1.insightly.com/v3.1/"), None).unwrap();
        assert_eq!(u.as_str(), "https://api.eu1.insightly.com/v3.1/");
        assert_eq!(p.as_deref(), Some("eu1"));
    }
}
