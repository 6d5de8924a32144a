//! Sync building blocks shared by every backend and runner: the state store trait (the id
//! map, row states, links, checkpoints and leases of a migration or a mirror).

pub mod state;

pub use state::{Applied, Entry, Mark, PendingLink, StateError, StateStore};
