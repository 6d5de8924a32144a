//! Capsule authentication: personal access tokens and OAuth 2.0.
//!
//! A personal access token is a static Bearer token (core's [`BearerToken`](unicrm_core::auth::BearerToken)); a 401 with a
//! PAT is final ([`Error::Unauthenticated`]).
//!
//! OAuth 2.0 (authorization-code grant) goes through the `oauth2` crate, driven by our own
//! reqwest client ([`CapsuleOAuth`]): the consent URL (`/oauth/authorise`, British spelling),
//! the code exchange, refreshes (as core's [`TokenRefresher`], so core's
//! [`RefreshingTokenCache`](unicrm_core::auth::RefreshingTokenCache) makes them single-flight
//! and refreshes once on a 401) and revocation (`/oauth/token/revoke`, RFC 7009). Client
//! credentials go in the form body, as in Capsule's examples. Capsule's token response carries
//! an extra `subdomain` key, kept in [`CapsuleTokens::subdomain`].
//!
//! `oauth2` refuses a revocation endpoint that is not HTTPS (RFC 7009 requires it). An `http`
//! revocation URL is accepted only on a loopback host (a local simulator): `oauth2` is given
//! its `https` form and the transport sends the request to the configured `http` URL.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl,
    Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use unicrm_core::auth::{TokenRefresher, TokenSet};
use unicrm_core::error::{BODY_CAP, Error, Result, TransportKind, truncate_utf8};
use url::Url;

/// Capsule's OAuth base.
pub const DEFAULT_OAUTH_BASE: &str = "https://api.capsulecrm.com/oauth/";

/// The OAuth application and endpoints.
#[derive(Clone)]
pub struct OAuthSettings {
    /// Client id of the registered application.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
    /// Token endpoint (`…/oauth/token`).
    pub token_url: String,
    /// Consent page (`…/oauth/authorise`).
    pub authorise_url: String,
    /// Revocation endpoint (`…/oauth/token/revoke`).
    pub revoke_url: String,
}

impl OAuthSettings {
    /// Capsule's production endpoints for this application.
    pub fn capsule(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        OAuthSettings {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_url: format!("{DEFAULT_OAUTH_BASE}token"),
            authorise_url: format!("{DEFAULT_OAUTH_BASE}authorise"),
            revoke_url: format!("{DEFAULT_OAUTH_BASE}token/revoke"),
        }
    }
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("token_url", &self.token_url)
            .field("authorise_url", &self.authorise_url)
            .field("revoke_url", &self.revoke_url)
            .finish()
    }
}

/// Capsule's extra token-response keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapsuleTokenFields {
    /// The tenant's subdomain (`northwind` in `northwind.capsulecrm.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain: Option<String>,
}

impl ExtraTokenFields for CapsuleTokenFields {}

type CapsuleTokenResponse = StandardTokenResponse<CapsuleTokenFields, BasicTokenType>;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    CapsuleTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

/// Tokens from the token endpoint.
#[derive(Clone)]
pub struct CapsuleTokens {
    /// Access token, refresh token, expiry (from `expires_in`).
    pub tokens: TokenSet,
    /// Capsule's `subdomain`.
    pub subdomain: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for CapsuleTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapsuleTokens")
            .field("tokens", &self.tokens)
            .field("subdomain", &self.subdomain)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The transport error handed to `oauth2`.
#[derive(Debug, thiserror::Error)]
enum OAuthHttpError {
    #[error("{0}")]
    Transport(String, TransportKind),
    #[error("the token endpoint answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("invalid request: {0}")]
    Request(String),
}

/// Capsule's OAuth 2.0 endpoints, driven through `oauth2` over reqwest.
#[derive(Clone)]
pub struct CapsuleOAuth {
    client: Arc<OAuthClient>,
    http: reqwest::Client,
    /// `(https form given to oauth2, configured http URL)` for a loopback revocation endpoint.
    revoke_downgrade: Option<(Url, Url)>,
}

impl std::fmt::Debug for CapsuleOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapsuleOAuth")
            .field("client_id", self.client.client_id())
            .field("token_url", &self.client.token_uri().as_str())
            .finish_non_exhaustive()
    }
}

fn parse_url(s: &str, what: &str) -> Result<Url> {
    let u =
        Url::parse(s.trim()).map_err(|e| Error::config(format!("invalid {what} {s:?}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(Error::config(format!("{what} {s:?} must be http or https")));
    }
    Ok(u)
}

impl CapsuleOAuth {
    /// Sets up the endpoints (no request is sent).
    pub fn new(settings: &OAuthSettings) -> Result<Self> {
        unicrm_core::http::install_crypto_provider();
        let token = parse_url(&settings.token_url, "OAuth token URL")?;
        let authorise = parse_url(&settings.authorise_url, "OAuth authorise URL")?;
        let revoke = parse_url(&settings.revoke_url, "OAuth revoke URL")?;
        let (revoke_for_oauth2, revoke_downgrade) = if revoke.scheme() == "https" {
            (revoke, None)
        } else if unicrm_core::http::is_loopback(&revoke) {
            let mut https = revoke.clone();
            https
                .set_scheme("https")
                .map_err(|_| Error::config("cannot use the revoke URL"))?;
            (https.clone(), Some((https, revoke)))
        } else {
            return Err(Error::config(
                "the OAuth revoke URL must be https (http only on a loopback host)",
            ));
        };
        let client = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_string(),
            ))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(authorise))
            .set_token_uri(TokenUrl::from_url(token))
            .set_revocation_url(RevocationUrl::from_url(revoke_for_oauth2));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("unicrm-capsule/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config(format!("cannot build the OAuth HTTP client: {e}")))?;
        Ok(CapsuleOAuth {
            client: Arc::new(client),
            http,
            revoke_downgrade,
        })
    }

    /// The consent page URL to send the user to, and the `state` to check on the redirect.
    /// Scopes: `read`, `write`, `user_preference` (Capsule defaults to `read write`).
    pub fn authorise_url(&self, redirect_uri: &str, scopes: &[&str]) -> Result<(Url, String)> {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| Error::config(format!("invalid redirect URI: {e}")))?;
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_string())))
            .set_redirect_uri(Cow::Owned(redirect))
            .url();
        Ok((url, state.secret().clone()))
    }

    /// Exchanges the code from the redirect for tokens.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<CapsuleTokens> {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| Error::config(format!("invalid redirect URI: {e}")))?;
        let http = self.transport();
        let resp = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&http)
            .await
            .map_err(map_token_error)?;
        Ok(tokens_from(resp))
    }

    /// Exchanges a refresh token for new tokens (Capsule may rotate the refresh token).
    pub async fn refresh_tokens(&self, refresh_token: &SecretString) -> Result<CapsuleTokens> {
        let http = self.transport();
        let rt = RefreshToken::new(refresh_token.expose_secret().to_string());
        let resp = self
            .client
            .exchange_refresh_token(&rt)
            .request_async(&http)
            .await
            .map_err(map_token_error)?;
        Ok(tokens_from(resp))
    }

    /// Revokes an access or refresh token (revoking a refresh token also ends its access
    /// token). Unknown tokens succeed (RFC 7009).
    pub async fn revoke(&self, token: &SecretString, is_refresh_token: bool) -> Result<()> {
        let http = self.transport();
        let secret = token.expose_secret().to_string();
        let t = if is_refresh_token {
            StandardRevocableToken::RefreshToken(RefreshToken::new(secret))
        } else {
            StandardRevocableToken::AccessToken(oauth2::AccessToken::new(secret))
        };
        self.client
            .revoke_token(t)
            .map_err(|e| Error::config(format!("cannot revoke: {e}")))?
            .request_async(&http)
            .await
            .map_err(map_token_error)
    }

    /// The transport `oauth2` sends through: our reqwest client.
    fn transport(
        &self,
    ) -> impl Fn(
        oauth2::HttpRequest,
    ) -> futures::future::BoxFuture<
        'static,
        std::result::Result<oauth2::HttpResponse, OAuthHttpError>,
    > + use<> {
        let http = self.http.clone();
        let downgrade = self.revoke_downgrade.clone();
        move |req: oauth2::HttpRequest| {
            let http = http.clone();
            let downgrade = downgrade.clone();
            Box::pin(async move { send(&http, downgrade.as_ref(), req).await })
        }
    }
}

async fn send(
    http: &reqwest::Client,
    downgrade: Option<&(Url, Url)>,
    req: oauth2::HttpRequest,
) -> std::result::Result<oauth2::HttpResponse, OAuthHttpError> {
    let (parts, body) = req.into_parts();
    let mut url =
        Url::parse(&parts.uri.to_string()).map_err(|e| OAuthHttpError::Request(e.to_string()))?;
    if let Some((https, http_url)) = downgrade {
        if url == *https {
            url = http_url.clone();
        }
    }
    let resp = http
        .request(parts.method, url)
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            let kind = if e.is_connect() {
                TransportKind::Connect
            } else if e.is_timeout() {
                TransportKind::Timeout
            } else {
                TransportKind::Other
            };
            OAuthHttpError::Transport(e.to_string(), kind)
        })?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| OAuthHttpError::Transport(e.to_string(), TransportKind::Interrupted))?;
    if status.is_server_error() || status.as_u16() == 429 {
        let text = String::from_utf8_lossy(&bytes);
        return Err(OAuthHttpError::Status {
            status: status.as_u16(),
            body: truncate_utf8(&text, BODY_CAP).to_string(),
        });
    }
    let mut out = http::Response::builder().status(status);
    if let Some(h) = out.headers_mut() {
        *h = headers;
    }
    out.body(bytes.to_vec())
        .map_err(|e| OAuthHttpError::Request(e.to_string()))
}

fn tokens_from(resp: CapsuleTokenResponse) -> CapsuleTokens {
    let expires_at = resp
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| Utc::now() + d);
    CapsuleTokens {
        tokens: TokenSet {
            access_token: SecretString::from(resp.access_token().secret().to_string()),
            refresh_token: resp
                .refresh_token()
                .map(|r| SecretString::from(r.secret().to_string())),
            expires_at,
        },
        subdomain: resp.extra_fields().subdomain.clone(),
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

fn map_token_error<TE: oauth2::ErrorResponse + std::fmt::Display>(
    e: RequestTokenError<OAuthHttpError, TE>,
) -> Error {
    match e {
        // Vendor doc §14.3: any 400/401 from the token endpoint means the grant is unusable.
        RequestTokenError::ServerResponse(err) => Error::Unauthenticated {
            message: format!("the OAuth token endpoint refused the request: {err}"),
        },
        RequestTokenError::Request(OAuthHttpError::Status { status, body }) => {
            if status == 429 {
                Error::RateLimited { retry_after: None }
            } else {
                Error::Vendor {
                    vendor: "capsule".into(),
                    status,
                    code: None,
                    message: "the OAuth token endpoint failed".into(),
                    body,
                }
            }
        }
        RequestTokenError::Request(OAuthHttpError::Transport(message, kind)) => Error::Transport {
            kind,
            message,
            source: None,
        },
        RequestTokenError::Request(OAuthHttpError::Request(m)) => Error::config(m),
        RequestTokenError::Parse(err, _body) => Error::Decode {
            path: err.path().to_string(),
            message: format!("OAuth token response: {}", err.inner()),
        },
        RequestTokenError::Other(m) => Error::Unauthenticated {
            message: format!("the OAuth token endpoint refused the request: {m}"),
        },
    }
}

#[async_trait]
impl TokenRefresher for CapsuleOAuth {
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet> {
        self.refresh_tokens(refresh_token).await.map(|t| t.tokens)
    }
}
