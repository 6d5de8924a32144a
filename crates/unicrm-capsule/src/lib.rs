#![doc = include_str!("../docs.md")]
#![forbid(unsafe_code)]

pub mod auth;
pub mod capabilities;
pub mod changes;
mod client;
pub mod config;
pub mod errors;
pub mod hooks;
pub mod mapping;
pub mod paging;
pub mod repeat;
pub mod resources;
pub mod wire;

pub use auth::{CapsuleOAuth, CapsuleTokenFields, CapsuleTokens, OAuthSettings};
pub use client::CapsuleClient;
pub use config::{CapsuleClientBuilder, DEFAULT_BASE_URL};
pub use hooks::{
    Delivery, DeliveryError, DeliveryParser, HookChange, HookEvent, NewRestHook, RestHook,
    parse_delivery,
};
pub use resources::parties::PartyRecord;
pub use unicrm_core::auth::{TokenSet, TokenSink};
pub use unicrm_core::http::RetryPolicy;
