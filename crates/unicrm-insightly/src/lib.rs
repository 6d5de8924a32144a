#![doc = include_str!("../docs.md")]
#![forbid(unsafe_code)]

pub mod auth;
mod capabilities;
pub mod changes;
mod client;
pub mod config;
pub mod errors;
pub mod mapping;
pub mod paging;
pub mod rate_limit;
pub mod resources;
pub mod wire;

pub use capabilities::capabilities;
pub use client::{InsightlyClient, InsightlyClientBuilder, VENDOR};
pub use resources::FetchAll;
