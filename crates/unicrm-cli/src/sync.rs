//! `unicrm sync`: keeps a copy in step, one JSON line per cycle (see
//! [`crate::migrate::mirror`] for what a cycle does).
//!
//! SIGINT and SIGTERM finish the change in flight, save the state and exit 0; the next run
//! continues from the saved checkpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cli::{DeletesArg, SyncArgs};
use crate::connect;
use crate::exit::CliError;
use crate::migrate::mirror::Deletes;
use crate::migrate::{Migrator, Options, state::State};
use crate::output::Stdout;

/// The default time between the starts of two cycles.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Sets `stop` on SIGINT or SIGTERM, and wakes `wake`.
fn on_signal(stop: Arc<AtomicBool>, wake: Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the sync cleanly");
                    let _ = tokio::signal::ctrl_c().await;
                    stop.store(true, Ordering::SeqCst);
                    wake.notify_one();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        stop.store(true, Ordering::SeqCst);
        wake.notify_one();
    });
}

/// Runs `sync`.
pub async fn run(args: SyncArgs) -> Result<(), CliError> {
    if args.from == args.to {
        return Err(CliError::usage("--from and --to must be different CRMs"));
    }
    let interval = match args.interval {
        None => DEFAULT_INTERVAL,
        Some(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Duration::from_secs_f64(s),
        Some(s) => {
            return Err(CliError::usage(format!(
                "--interval takes seconds between 0 and 86400, got {s}"
            )));
        }
    };
    let deletes = match args.deletes {
        DeletesArg::Propagate => Deletes::Propagate,
        DeletesArg::Ignore => Deletes::Ignore,
    };
    let source = connect::connect(&args.from, args.from_base_url.as_deref())?;
    let target = connect::connect(&args.to, args.to_base_url.as_deref())?;
    let state = State::connect(&args.state, false).await?;
    let mut migrator = Migrator::new(source.as_ref(), target.as_ref(), state, Options::default());
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    on_signal(stop.clone(), wake.clone());
    let mut out = Stdout::new();
    let mut n = 0u64;
    loop {
        n += 1;
        let started = tokio::time::Instant::now();
        match migrator.sync_cycle(n, deletes, &stop).await {
            Ok(cycle) => out.line(&serde_json::to_string(&cycle)?)?,
            // One failed cycle (the source unreachable, a spent budget) is reported; a
            // long-running sync tries again at the next cycle, a single one fails.
            Err(e) if !args.once && !stop.load(Ordering::SeqCst) => {
                eprintln!(
                    "unicrm: sync cycle {n} failed: {}; trying again at the next cycle",
                    e.message
                );
            }
            Err(e) => return Err(e),
        }
        if args.once || stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let next = started + interval;
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = wake.notified() => {}
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
}
