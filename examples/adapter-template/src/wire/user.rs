//! `GET me` (`API.md`, Other calls).

use serde::Deserialize;

/// The user a token belongs to.
#[derive(Debug, Deserialize)]
pub(crate) struct WireUser {
    pub id: u64,
    pub name: Option<String>,
    pub email: Option<String>,
}
