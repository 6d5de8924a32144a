//! `unicrm-bench`: measures how close unicrm runs to each vendor's limits, and what it costs.
//!
//! Every figure is one JSON line on stdout:
//! `{"bench": …, "value": …, "unit": …, "bound": …, "ratio": …, "target": …}`; `ratio` is
//! `value / bound` measured within one run (absolute times on shared machines are noise), and
//! `target` is the goal the ratio is judged against (`>= x` or `<= x`).
//!
//! Run: `cargo build --release -p unicrm-cli -p unicrm-bench && ./target/release/unicrm-bench`
//! (`--only NAME` runs the figures whose name contains NAME). See `docs/benchmarks.md`.
#![forbid(unsafe_code)]

mod figures;
mod highlevel;
mod mapping;
mod mapping_projects;
mod rss;
mod scale;
mod sync;
mod sync_backlog;
mod sync_idle;
mod tenants;

use std::time::Instant;

/// Capsule records seeded for `migration_throughput.capsule_to_highlevel` (about a minute and
/// a half at HighLevel's 10 requests/s).
const HIGHLEVEL_MIGRATION_PEOPLE: usize = 300;

/// One measured figure.
#[derive(Debug, serde::Serialize)]
pub struct Figure {
    bench: String,
    value: f64,
    unit: &'static str,
    bound: f64,
    ratio: f64,
    target: String,
}

/// Prints a figure as one JSON line.
pub fn emit(bench: impl Into<String>, value: f64, unit: &'static str, bound: f64, target: &str) {
    let ratio = if bound == 0.0 {
        if value == 0.0 { 1.0 } else { f64::INFINITY }
    } else {
        value / bound
    };
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let f = Figure {
        bench: bench.into(),
        value: round(value),
        unit,
        bound: round(bound),
        ratio: round(ratio),
        target: target.to_string(),
    };
    println!("{}", serde_json::to_string(&f).unwrap_or_default());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A worker process of a multi-process figure (`scale.rs`, `tenants.rs`).
    if args.first().is_some_and(|a| a == "--child") {
        std::process::exit(run_child(&args[1..]));
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("unicrm-bench: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    unicrm_core::http::install_crypto_provider();
    let t0 = Instant::now();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let result = rt.block_on(async {
        if wanted("mapping_cost") {
            figures::mapping_cost().await?;
        }
        if wanted("mapping_cost.highlevel") {
            figures::mapping_cost_highlevel().await?;
        }
        if wanted("request_economy") {
            figures::request_economy().await?;
        }
        if wanted("insightly_rate_efficiency") {
            figures::insightly_rate_efficiency().await?;
        }
        if wanted("capsule_budget") {
            figures::capsule_budget().await?;
        }
        if wanted("streaming_memory") {
            figures::streaming_memory().await?;
        }
        if wanted("migration_throughput") {
            figures::migration_throughput().await?;
        }
        if wanted("sync_idle_poll_requests") {
            sync_idle::sync_idle_poll_requests().await?;
        }
        if wanted("migration_throughput.capsule_to_highlevel") {
            highlevel::migration_throughput(HIGHLEVEL_MIGRATION_PEOPLE).await?;
        }
        if wanted("sync_lag") || wanted("sync_requests_per_change") {
            sync::sync_lag().await?;
        }
        if wanted("sync_backlog_peak_rss") {
            sync_backlog::sync_backlog_peak_rss().await?;
        }
        if wanted("token_rotation_lockouts") {
            scale::token_rotation_lockouts().await?;
        }
        if wanted("redis_shared_rate") {
            scale::redis_shared_rate().await?;
        }
        if wanted("capsule_parallel_listing") {
            tenants::capsule_parallel_listing().await?;
        }
        if wanted("tenants_rss_per_idle_client") {
            tenants::tenants_rss_per_idle_client().await?;
        }
        if wanted("tenants_aggregate_rate") {
            tenants::tenants_aggregate_rate().await?;
        }
        Ok::<(), String>(())
    });
    eprintln!("unicrm-bench: done in {:.1} s", t0.elapsed().as_secs_f64());
    if let Err(e) = result {
        eprintln!("unicrm-bench: error: {e}");
        std::process::exit(1);
    }
}

/// Runs a worker: `--child rotate|insightly-rate` (configuration on stdin) or
/// `--child tenants N shared|own`. Returns the exit code.
fn run_child(args: &[String]) -> i32 {
    unicrm_core::http::install_crypto_provider();
    let result = match args.first().map(String::as_str) {
        Some("tenants") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
            tenants::tenants_child(n, args.get(2).is_none_or(|m| m == "shared"))
        }
        Some(kind) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(scale::child(kind)),
            Err(e) => Err(e.to_string()),
        },
        None => Err("--child needs a kind".to_string()),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("unicrm-bench worker: {e}");
            1
        }
    }
}
