//! In-process simulators of the Capsule CRM v2, Insightly v3.1 and HighLevel v2 HTTP APIs.
//!
//! Each simulator is an `axum` server on a free local port, seeded with deterministic,
//! realistic data ([`seed`]), mutated by writes, and able to inject faults ([`faults`]).
//! The simulators are built from the vendor references in `docs/vendors/` (our restatement of the vendors' documentation), with
//! their own wire types: this crate never imports an adapter crate, so an adapter and a
//! simulator can only agree by both following the vendor's documented wire format.
#![forbid(unsafe_code)]

pub mod capsule;
pub mod clock;
pub mod faults;
pub mod highlevel;
pub mod insightly;
pub mod seed;
mod web;

pub use capsule::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions};
pub use clock::SimClock;
pub use faults::FaultConfig;
pub use highlevel::{HighLevelSandboxLine, HighLevelSim, HighLevelSimHandle, HighLevelSimOptions};
pub use insightly::{InsightlySim, InsightlySimHandle, InsightlySimOptions};
pub use seed::{Dataset, SeedOptions};
