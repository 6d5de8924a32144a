//! HighLevel authentication (docs/vendors/highlevel-v2.md, "Authentication").
//!
//! - A **private integration token** (`pit-…`) is a static Bearer token (core's
//!   `BearerToken`): never refreshed, so a 401 with one is final.
//! - **OAuth 2.0** (authorization code): [`HighLevelOAuth`] builds the consent URL, exchanges
//!   the code and refreshes at `POST /oauth/token` (a form, without `Version` or
//!   `Authorization`). As core's [`TokenRefresher`], refreshes run through core's
//!   `RefreshingTokenCache`: one at a time (across processes too, with a shared `TokenStore`),
//!   and the rotated pair goes to the `TokenStore` before the new access token is used — a HighLevel refresh token is single-use
//!   ("Reconciled points" 3).
//! - The **agency → location exchange**: [`HighLevelOAuth::location_token`] turns a Company
//!   token into a location token through `POST /oauth/locationToken`.
//!
//! Which 401s a refresh can cure is decided in `errors.rs` (only a bad or expired token).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use unicrm_core::auth::{TokenRefresher, TokenSet};
use unicrm_core::error::{BODY_CAP, Error, Result, TransportKind, truncate_utf8};
use unicrm_core::http::Url;

/// The consent page (docs/vendors/highlevel-v2.md, "OAuth 2.0 authorization-code flow").
pub const CONSENT_URL: &str = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation";

/// Whose token the code exchange asks for (`user_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UserType {
    /// A location (sub-account) token: what every CRM endpoint needs.
    #[default]
    Location,
    /// An agency token: only good for minting location tokens.
    Company,
}

impl UserType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Location => "Location",
            UserType::Company => "Company",
        }
    }
}

/// The Marketplace app and its token endpoint.
#[derive(Clone)]
pub struct OAuthSettings {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// `user_type` sent with every exchange and refresh (the SDK always sends it).
    pub user_type: UserType,
    /// The agency id, when known (users are searched by it).
    pub company_id: Option<String>,
    /// The token endpoint; by default `<base URL>/oauth/token`.
    pub token_url: Option<String>,
}

impl OAuthSettings {
    /// An app asking for location tokens at the client's base URL.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        OAuthSettings {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            user_type: UserType::Location,
            company_id: None,
            token_url: None,
        }
    }
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("user_type", &self.user_type)
            .field("company_id", &self.company_id)
            .field("token_url", &self.token_url)
            .finish()
    }
}

/// What a token response says besides the tokens.
#[derive(Clone)]
pub struct HighLevelTokens {
    /// Access token, refresh token, expiry (from `expires_in`).
    pub tokens: TokenSet,
    /// `userType`: `Location` or `Company` (an app installed from the agency view gets a
    /// Company token even when it targets locations: exchange it with
    /// [`HighLevelOAuth::location_token`]).
    pub user_type: Option<String>,
    /// `locationId` (location tokens only).
    pub location_id: Option<String>,
    /// `companyId`.
    pub company_id: Option<String>,
    /// The granted scopes (`scope` is one space-separated string).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for HighLevelTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HighLevelTokens")
            .field("tokens", &self.tokens)
            .field("user_type", &self.user_type)
            .field("location_id", &self.location_id)
            .field("company_id", &self.company_id)
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default, rename = "userType")]
    user_type: Option<String>,
    #[serde(default, rename = "locationId")]
    location_id: Option<String>,
    #[serde(default, rename = "companyId")]
    company_id: Option<String>,
}

impl WireToken {
    fn into_tokens(self) -> HighLevelTokens {
        HighLevelTokens {
            tokens: TokenSet {
                access_token: self.access_token.into(),
                refresh_token: self.refresh_token.map(Into::into),
                expires_at: self
                    .expires_in
                    .and_then(chrono::Duration::try_seconds)
                    .and_then(|d| Utc::now().checked_add_signed(d)),
            },
            user_type: self.user_type,
            location_id: self.location_id,
            company_id: self.company_id,
            scopes: self
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        }
    }
}

/// HighLevel's OAuth endpoints.
#[derive(Clone)]
pub struct HighLevelOAuth {
    settings: Arc<OAuthSettings>,
    token_url: Url,
    location_token_url: Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for HighLevelOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HighLevelOAuth")
            .field("settings", &self.settings)
            .field("token_url", &self.token_url.as_str())
            .finish()
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl HighLevelOAuth {
    /// The endpoints for `settings` under the API `base` URL.
    pub fn new(settings: OAuthSettings, base: &str) -> Result<Self> {
        let base = unicrm_core::http::parse_base_url(base)?;
        let join = |p: &str| {
            base.join(p)
                .map_err(|e| Error::config(format!("highlevel: bad OAuth URL: {e}")))
        };
        let token_url = match &settings.token_url {
            Some(u) => Url::parse(u)
                .map_err(|e| Error::config(format!("highlevel: bad token URL: {e}")))?,
            None => join("oauth/token")?,
        };
        for u in [&token_url, &base] {
            unicrm_core::http::check_transport_security(u, false)?;
        }
        unicrm_core::http::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Error::config(format!("highlevel: HTTP client: {e}")))?;
        Ok(HighLevelOAuth {
            location_token_url: join("oauth/locationToken")?,
            settings: Arc::new(settings),
            token_url,
            http,
        })
    }

    /// The consent URL to send the admin to (`state` is undocumented; the simulator echoes
    /// it).
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        scopes: &[&str],
        state: Option<&str>,
    ) -> String {
        let scope = scopes.join(" ");
        let mut pairs = vec![
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("client_id", self.settings.client_id.as_str()),
            ("scope", scope.as_str()),
        ];
        if let Some(s) = state {
            pairs.push(("state", s));
        }
        format!("{CONSENT_URL}?{}", form(&pairs))
    }

    /// Exchanges an authorization code for tokens.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<HighLevelTokens> {
        let s = &self.settings;
        let body = form(&[
            ("client_id", s.client_id.as_str()),
            ("client_secret", s.client_secret.expose_secret()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("user_type", s.user_type.as_str()),
            ("redirect_uri", redirect_uri),
        ]);
        self.post_form(self.token_url.clone(), body, None).await
    }

    /// Exchanges a refresh token for a new pair; the refresh token sent is dead afterwards.
    pub async fn refresh_tokens(&self, refresh_token: &SecretString) -> Result<HighLevelTokens> {
        let s = &self.settings;
        let body = form(&[
            ("client_id", s.client_id.as_str()),
            ("client_secret", s.client_secret.expose_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("user_type", s.user_type.as_str()),
        ]);
        self.post_form(self.token_url.clone(), body, None).await
    }

    /// Mints a location token from an agency (Company) token: `POST /oauth/locationToken`
    /// with `Version: 2021-07-28` (docs/vendors/highlevel-v2.md, "Location tokens from an
    /// agency token").
    pub async fn location_token(
        &self,
        company_token: &SecretString,
        company_id: &str,
        location_id: &str,
    ) -> Result<HighLevelTokens> {
        let body = form(&[("companyId", company_id), ("locationId", location_id)]);
        self.post_form(self.location_token_url.clone(), body, Some(company_token))
            .await
    }

    async fn post_form(
        &self,
        url: Url,
        body: String,
        bearer: Option<&SecretString>,
    ) -> Result<HighLevelTokens> {
        let mut req = self
            .http
            .post(url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body);
        if let Some(t) = bearer {
            let mut v = http::HeaderValue::from_str(&format!("Bearer {}", t.expose_secret()))
                .map_err(|_| Error::config("highlevel: token not valid in a header"))?;
            v.set_sensitive(true);
            req = req
                .header(http::header::AUTHORIZATION, v)
                .header("Version", crate::config::Versions::default().default);
        }
        let resp = req.send().await.map_err(|e| Error::Transport {
            kind: if e.is_timeout() {
                TransportKind::Timeout
            } else {
                TransportKind::Connect
            },
            message: format!("highlevel token endpoint: {e}"),
            source: None,
        })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| Error::Transport {
            kind: TransportKind::Interrupted,
            message: format!("highlevel token endpoint: {e}"),
            source: None,
        })?;
        if (200..300).contains(&status) {
            let w: WireToken = serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
                path: ".".into(),
                message: format!("highlevel token response: {e}"),
            })?;
            return Ok(w.into_tokens());
        }
        // The token endpoint's own envelope `{error, error_description}`; never echo tokens.
        let parsed = unicrm_core::http::classify::parse_error_body(&bytes);
        let message = parsed.message.unwrap_or_else(|| {
            truncate_utf8(&String::from_utf8_lossy(&bytes), BODY_CAP.min(200)).to_string()
        });
        Err(match status {
            400 | 401 => Error::Unauthenticated {
                message: format!("highlevel token endpoint: {message}"),
            },
            403 => Error::PermissionDenied { message },
            _ => Error::Vendor {
                vendor: crate::VENDOR.into(),
                status,
                code: parsed.code,
                message,
                body: String::new(),
            },
        })
    }
}

#[async_trait]
impl TokenRefresher for HighLevelOAuth {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet> {
        Ok(self.refresh_tokens(refresh_token).await?.tokens)
    }
}
