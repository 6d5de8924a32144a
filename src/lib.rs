//! # unicrm
//!
//! One typed, async API over many CRMs. This facade re-exports the unified core
//! ([`unicrm_core`]) and, by feature, the vendor adapters and the simulators:
//!
//! | feature | module |
//! | --- | --- |
//! | `capsule` (default) | [`capsule`]: Capsule CRM API v2 |
//! | `insightly` (default) | [`insightly`]: Insightly API v3.1 |
//! | `sim` | [`sim`]: in-process simulators of both APIs |
#![forbid(unsafe_code)]

pub use unicrm_core::*;

#[cfg(feature = "capsule")]
pub use unicrm_capsule as capsule;
#[cfg(feature = "insightly")]
pub use unicrm_insightly as insightly;
#[cfg(feature = "sim")]
pub use unicrm_sim as sim;

/// The README's library example, compiled as a doctest so that it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
