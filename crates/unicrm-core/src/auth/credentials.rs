//! Static credentials: Bearer tokens and HTTP Basic.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Supplies the `Authorization` header of each request.
#[async_trait]
pub trait CredentialProvider: Send + Sync + std::fmt::Debug {
    /// The header value to send, marked sensitive; `None` sends no header.
    async fn authorization(&self) -> Result<Option<HeaderValue>>;

    /// Called when the vendor answered 401 to a request sent with `rejected`. Returns `true` when
    /// new credentials are available and the request should be sent once more.
    async fn on_unauthorized(&self, rejected: Option<&HeaderValue>) -> Result<bool> {
        let _ = rejected;
        Ok(false)
    }
}

pub(crate) fn sensitive_header(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| Error::config("credential contains characters not allowed in a header"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// No credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCredentials;

#[async_trait]
impl CredentialProvider for NoCredentials {
    async fn authorization(&self) -> Result<Option<HeaderValue>> {
        Ok(None)
    }
}

/// A static Bearer token (Capsule personal access token).
#[derive(Clone)]
pub struct BearerToken {
    token: SecretString,
}

impl BearerToken {
    /// Wraps a token.
    pub fn new(token: impl Into<SecretString>) -> Self {
        BearerToken {
            token: token.into(),
        }
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([REDACTED])")
    }
}

#[async_trait]
impl CredentialProvider for BearerToken {
    async fn authorization(&self) -> Result<Option<HeaderValue>> {
        sensitive_header(&format!("Bearer {}", self.token.expose_secret())).map(Some)
    }
}

/// HTTP Basic credentials (Insightly: the API key as user name, blank password).
#[derive(Clone)]
pub struct BasicCredentials {
    username: SecretString,
    password: SecretString,
}

impl BasicCredentials {
    /// User name and password.
    pub fn new(username: impl Into<SecretString>, password: impl Into<SecretString>) -> Self {
        BasicCredentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The header value, `Basic base64(user:password)`.
    pub fn header_value(&self) -> Result<HeaderValue> {
        let raw = format!(
            "{}:{}",
            self.username.expose_secret(),
            self.password.expose_secret()
        );
        sensitive_header(&format!("Basic {}", STANDARD.encode(raw)))
    }
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BasicCredentials([REDACTED])")
    }
}

#[async_trait]
impl CredentialProvider for BasicCredentials {
    async fn authorization(&self) -> Result<Option<HeaderValue>> {
        self.header_value().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn basic_header_for_known_key() {
        let c = BasicCredentials::new(
            "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d".to_string(),
            String::new(),
        );
        let h = c.authorization().await.unwrap().unwrap();
        assert_eq!(
            h.to_str().unwrap(),
            "Basic M2YyYTljMWUtN2I0ZC00ZThhLTljMGYtNWQ2ZTdhOGI5YzBkOg=="
        );
        assert!(h.is_sensitive());
    }

    #[test]
    fn no_secret_in_debug() {
        let secret = "s3cr3t-value";
        let b = BearerToken::new(secret.to_string());
        let c = BasicCredentials::new(secret.to_string(), secret.to_string());
        for dbg in [
            format!("{b:?}"),
            format!("{c:?}"),
            format!("{:#?}", (b.clone(), c.clone())),
        ] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
    }
}
