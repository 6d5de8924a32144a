//! Credentials: what goes into the `Authorization` header, and how it is refreshed.
//!
//! Every secret is a [`SecretString`]: its `Debug` prints `[REDACTED]`, and header values made
//! from it are marked sensitive so HTTP-level logging leaves them out.

mod credentials;
mod token_cache;
mod token_store;
#[cfg(feature = "redis")]
mod token_store_redis;
#[cfg(feature = "sqlite")]
mod token_store_sqlite;

pub use credentials::{BasicCredentials, BearerToken, CredentialProvider, NoCredentials};
pub use secrecy::{ExposeSecret, SecretString};
#[allow(deprecated)]
pub use token_cache::TokenSink;
pub use token_cache::{DEFAULT_REFRESH_LEASE, RefreshingTokenCache, TokenRefresher, TokenSet};
#[allow(deprecated)]
pub use token_store::SinkTokenStore;
pub use token_store::{MemoryTokenStore, RefreshLease, TokenStore, same_tokens};
#[cfg(feature = "redis")]
pub use token_store_redis::{RedisTokenStore, token_key};
#[cfg(feature = "sqlite")]
pub use token_store_sqlite::SqliteTokenStore;
