//! The soak over many seeds, as an adapter's `<vendor>_feed_soak` example runs it.

use serde_json::json;

use super::{SoakConfig, SoakVendor, run};

fn arg(args: &[String], name: &str) -> Option<u64> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// The body of an adapter's `<vendor>_feed_soak` example: `--seeds N` (10) runs from `--first S` (1)
/// on, with [`SoakConfig::ci`] and optional `--latency-ms MS` and `--ops N` (writes per
/// writer). Prints one JSON line of [`Figures`](super::Figures) per seed, then a JSON summary
/// (writes, polls, stale, missing and ghost records summed over the seeds, and the seeds that
/// failed). Returns the process exit code: 0 when every seed converged, 1 otherwise.
///
/// ```no_run
/// // examples/myvendor_feed_soak.rs, with `MyVendor: SoakVendor` from the adapter's test support:
/// // #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// // async fn main() { soak::<MyVendor>().await }
/// async fn soak<V: unicrm_testkit::soak::SoakVendor>() {
///     let args: Vec<String> = std::env::args().collect();
///     std::process::exit(unicrm_testkit::soak::main::<V>(&args).await);
/// }
/// ```
pub async fn main<V: SoakVendor>(args: &[String]) -> i32 {
    let seeds = arg(args, "--seeds").unwrap_or(10);
    let first = arg(args, "--first").unwrap_or(1);
    let (mut writes, mut polls, mut stale, mut missing, mut ghost, mut compared) =
        (0u64, 0u64, 0usize, 0usize, 0usize, 0usize);
    let mut failed_seeds = Vec::new();
    for seed in first..first.saturating_add(seeds) {
        let mut cfg = SoakConfig::ci(seed);
        if let Some(l) = arg(args, "--latency-ms") {
            cfg.latency_ms = l;
        }
        if let Some(o) = arg(args, "--ops") {
            cfg.ops_per_writer = usize::try_from(o).unwrap_or(cfg.ops_per_writer);
        }
        let f = match run::<V>(cfg).await {
            Ok(f) => f,
            Err(e) => {
                println!("{}", json!({"seed": seed, "error": e.to_string()}));
                failed_seeds.push(seed);
                continue;
            }
        };
        println!("{}", serde_json::to_string(&f).unwrap_or_default());
        writes += f.writes;
        polls += f.polls;
        for d in [&f.contacts, &f.tasks] {
            stale += d.stale;
            missing += d.missing;
            ghost += d.ghost;
            compared += d.vendor;
        }
        if !f.converged() {
            failed_seeds.push(seed);
        }
    }
    let summary = json!({"seeds": seeds, "writes": writes, "polls": polls, "stale": stale,
        "missing": missing, "ghost": ghost, "records_compared": compared,
        "failed_seeds": failed_seeds});
    println!("{}", json!({ "summary": summary }));
    i32::from(!failed_seeds.is_empty())
}
