//! # unicrm
//!
//! One typed, async API over many CRMs. This facade re-exports the unified core
//! ([`unicrm_core`]) and, by feature, the vendor adapters and the simulators:
//!
//! | feature | module |
//! | --- | --- |
//! | `capsule` (default) | [`capsule`]: Capsule CRM API v2 |
//! | `insightly` (default) | [`insightly`]: Insightly API v3.1 |
//! | `highlevel` (default) | [`highlevel`]: HighLevel (LeadConnector) API v2 |
//! | `sim` | [`sim`]: in-process simulators of the three APIs |
//!
//! [`connect`] turns a [`CrmConfig`] into a guarded `Arc<dyn Crm>` through the registry
//! ([`registry`]), where each enabled adapter is registered; an adapter from another crate
//! registers itself with [`registry::register`] and is then reached the same way.
//!
//! ```no_run
//! # fn demo() -> unicrm::Result<()> {
//! let crm = unicrm::connect(&unicrm::CrmConfig::new("capsule").token("…".to_string()))?;
//! assert_eq!(crm.vendor(), "capsule");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

use std::sync::{Arc, Once};

pub use unicrm_core::*;

#[cfg(feature = "capsule")]
pub use unicrm_capsule as capsule;
#[cfg(feature = "highlevel")]
pub use unicrm_highlevel as highlevel;
#[cfg(feature = "insightly")]
pub use unicrm_insightly as insightly;
#[cfg(feature = "sim")]
pub use unicrm_sim as sim;

/// Registers the adapters of the enabled features in the process-wide registry (once; later
/// calls do nothing; an adapter already registered under a built-in's name is kept).
pub fn register_builtin() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let known = registry::global();
        let builtin: &[registry::Adapter] = &[
            #[cfg(feature = "capsule")]
            unicrm_capsule::ADAPTER,
            #[cfg(feature = "insightly")]
            unicrm_insightly::ADAPTER,
            #[cfg(feature = "highlevel")]
            unicrm_highlevel::ADAPTER,
        ];
        for adapter in builtin {
            if known.get(adapter.vendor).is_none() {
                registry::register(*adapter);
            }
        }
    });
}

/// A guarded client for `config` (see [`Registry::connect`]), the built-in adapters registered
/// first. An unknown vendor is [`Error::UnknownVendor`], listing the registered names.
pub fn connect(config: &CrmConfig) -> Result<Arc<dyn Crm>> {
    register_builtin();
    registry::connect(config)
}

/// The registered vendor names (built-in ones included), sorted.
pub fn vendors() -> Vec<&'static str> {
    register_builtin();
    registry::global().vendors()
}

/// The README's library example, compiled as a doctest so that it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
