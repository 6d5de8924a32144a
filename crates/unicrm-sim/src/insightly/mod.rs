//! Insightly simulator. Filled by the simulator work item.

/// Options for starting the Insightly simulator.
#[derive(Debug, Clone, Default)]
pub struct InsightlySimOptions {}

/// The Insightly simulator.
#[derive(Debug)]
pub struct InsightlySim;

/// A running Insightly simulator.
#[derive(Debug)]
pub struct InsightlySimHandle;
