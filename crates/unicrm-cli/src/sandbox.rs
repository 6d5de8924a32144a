//! `unicrm sandbox`: simulators on free local ports, one JSON line per vendor, serve until
//! interrupted (the contract is in `docs/simulators.md`).

use std::io::Write;

use unicrm_sim::{
    CapsuleSim, CapsuleSimOptions, FaultConfig, HighLevelSim, HighLevelSimOptions, InsightlySim,
    InsightlySimOptions, SeedOptions,
};

use crate::cli::{SandboxArgs, SandboxVendor};
use crate::exit::CliError;

fn faults(a: &SandboxArgs) -> Result<FaultConfig, CliError> {
    for (name, v) in [
        ("--error-rate", a.error_rate),
        ("--burst-429-rate", a.burst_429_rate),
        ("--drop-rate", a.drop_rate),
        ("--malformed-rate", a.malformed_rate),
        ("--truncate-rate", a.truncate_rate),
        ("--after-commit-error-rate", a.after_commit_error_rate),
        ("--after-commit-drop-rate", a.after_commit_drop_rate),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(CliError::usage(format!(
                "{name} must be a probability between 0 and 1, got {v}"
            )));
        }
    }
    Ok(FaultConfig {
        seed: a.seed,
        latency_ms: a.latency_ms,
        jitter_ms: a.jitter_ms,
        error_rate: a.error_rate,
        burst_429_rate: a.burst_429_rate,
        burst_429_len: a.burst_429_len,
        drop_rate: a.drop_rate,
        malformed_rate: a.malformed_rate,
        truncate_rate: a.truncate_rate,
        slow_body_ms: a.slow_body_ms,
        after_commit_error_rate: a.after_commit_error_rate,
        after_commit_drop_rate: a.after_commit_drop_rate,
    })
}

/// Runs the sandbox until Ctrl-C (or SIGTERM).
pub async fn run(args: SandboxArgs) -> Result<(), CliError> {
    let faults = faults(&args)?;
    let seed = SeedOptions {
        seed: args.seed,
        records: args.records,
    };
    let mut capsule = None;
    let mut insightly = None;
    let mut out = std::io::stdout().lock();
    if matches!(args.vendor, SandboxVendor::Capsule | SandboxVendor::All) {
        let h = CapsuleSim::start(CapsuleSimOptions {
            seed,
            faults: faults.clone(),
            hourly_budget: args.capsule_hourly_budget,
            ..Default::default()
        })
        .await
        .map_err(|e| CliError::runtime(format!("cannot start the Capsule simulator: {e}")))?;
        writeln!(out, "{}", h.sandbox_line_string())?;
        capsule = Some(h);
    }
    if matches!(args.vendor, SandboxVendor::Insightly | SandboxVendor::All) {
        let h = InsightlySim::start(InsightlySimOptions {
            seed,
            faults: faults.clone(),
            requests_per_second: args.insightly_rps,
            daily_quota: args.insightly_daily_quota,
            ..Default::default()
        })
        .await
        .map_err(|e| CliError::runtime(format!("cannot start the Insightly simulator: {e}")))?;
        writeln!(out, "{}", h.sandbox_line_json())?;
        insightly = Some(h);
    }
    let mut highlevel = None;
    if matches!(args.vendor, SandboxVendor::HighLevel | SandboxVendor::All) {
        let h = HighLevelSim::start(HighLevelSimOptions {
            seed,
            faults: faults.clone(),
            ..Default::default()
        })
        .await
        .map_err(|e| CliError::runtime(format!("cannot start the HighLevel simulator: {e}")))?;
        writeln!(out, "{}", h.sandbox_line_json())?;
        highlevel = Some(h);
    }
    out.flush()?;
    drop(out);
    wait_for_interrupt().await;
    if let Some(h) = capsule {
        h.shutdown().await;
    }
    if let Some(h) = insightly {
        h.shutdown().await;
    }
    if let Some(h) = highlevel {
        h.shutdown().await;
    }
    Ok(())
}

async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
