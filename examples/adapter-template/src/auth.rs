//! Tinycrm authenticates with a bearer token (`API.md`, Base URL and authentication). Core's
//! `BearerToken` keeps it secret (never in `Debug` or logs) and the HTTP client sends it only
//! to the configured origin.

use std::sync::Arc;

use unicrm_core::auth::{BearerToken, CredentialProvider};

/// The token as core credentials.
pub(crate) fn credentials(token: String) -> Arc<dyn CredentialProvider> {
    Arc::new(BearerToken::new(token))
}
