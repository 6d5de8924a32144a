//! Credentials: what goes into the `Authorization` header, and how it is refreshed.
//!
//! Every secret is a [`SecretString`]: its `Debug` prints `[REDACTED]`, and header values made
//! from it are marked sensitive so HTTP-level logging leaves them out.

mod credentials;
mod token_cache;

pub use credentials::{BasicCredentials, BearerToken, CredentialProvider, NoCredentials};
pub use secrecy::{ExposeSecret, SecretString};
pub use token_cache::{RefreshingTokenCache, TokenRefresher, TokenSet, TokenSink};
