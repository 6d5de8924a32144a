//! Simulators for CLI tests, kept running on their own runtime while the test drives the binary.

#![allow(dead_code)]

use unicrm_sim::{
    CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, InsightlySim, InsightlySimHandle,
    InsightlySimOptions, SeedOptions,
};

/// Both simulators, on a background runtime.
pub struct Sandboxes {
    pub capsule_url: String,
    pub capsule_token: String,
    pub insightly_url: String,
    pub insightly_key: String,
    pub capsule: CapsuleSimHandle,
    pub insightly: InsightlySimHandle,
    pub runtime: tokio::runtime::Runtime,
}

impl Sandboxes {
    /// Capsule with `capsule_records` people, Insightly with `insightly_records`.
    pub fn start(capsule_records: usize, insightly_records: usize) -> Self {
        Self::start_with(capsule_records, insightly_records, FaultConfig::default())
    }

    /// Same, with faults injected into the Insightly simulator.
    pub fn start_with(
        capsule_records: usize,
        insightly_records: usize,
        insightly_faults: FaultConfig,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (capsule, insightly) = runtime.block_on(async {
            let c = CapsuleSim::start(CapsuleSimOptions {
                seed: SeedOptions {
                    seed: 7,
                    records: capsule_records,
                },
                ..Default::default()
            })
            .await
            .unwrap();
            let i = InsightlySim::start(InsightlySimOptions {
                seed: SeedOptions {
                    seed: 7,
                    records: insightly_records,
                },
                faults: insightly_faults,
                ..Default::default()
            })
            .await
            .unwrap();
            (c, i)
        });
        Sandboxes {
            capsule_url: capsule.base_url.to_string(),
            capsule_token: capsule.token.clone(),
            insightly_url: insightly.base_url.to_string(),
            insightly_key: insightly.api_key.clone(),
            capsule,
            insightly,
            runtime,
        }
    }
}

/// How to start the two simulators.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// People seeded into Capsule (the source).
    pub capsule_records: usize,
    /// People seeded into Insightly.
    pub insightly_records: usize,
    /// Faults of the Capsule simulator.
    pub capsule_faults: FaultConfig,
    /// Faults of the Insightly simulator.
    pub insightly_faults: FaultConfig,
    /// Insightly's per-second limit (0 = off).
    pub insightly_rps: u32,
}

impl Sandboxes {
    /// Both simulators with every knob given; budgets large enough for big migrations.
    pub fn start_opts(o: SandboxOptions) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (capsule, insightly) = runtime.block_on(async {
            let c = CapsuleSim::start(CapsuleSimOptions {
                seed: SeedOptions {
                    seed: 7,
                    records: o.capsule_records,
                },
                faults: o.capsule_faults.clone(),
                hourly_budget: 10_000_000,
                ..Default::default()
            })
            .await
            .unwrap();
            let i = InsightlySim::start(InsightlySimOptions {
                seed: SeedOptions {
                    seed: 7,
                    records: o.insightly_records,
                },
                faults: o.insightly_faults.clone(),
                requests_per_second: o.insightly_rps,
                daily_quota: 10_000_000,
                ..Default::default()
            })
            .await
            .unwrap();
            (c, i)
        });
        Sandboxes {
            capsule_url: capsule.base_url.to_string(),
            capsule_token: capsule.token.clone(),
            insightly_url: insightly.base_url.to_string(),
            insightly_key: insightly.api_key.clone(),
            capsule,
            insightly,
            runtime,
        }
    }
}
