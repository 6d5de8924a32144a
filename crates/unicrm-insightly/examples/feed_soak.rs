//! Soak run of the change-feed convergence test over many seeds.
//!
//! `cargo run -p unicrm-insightly --example feed_soak -- --seeds 20 [--first 1] [--latency-ms 300]
//! [--ops 150]` prints one JSON line per seed, then a JSON summary (writes, polls, stale,
//! missing, ghost records summed over the seeds); exits 1 if any seed did not converge.

#[path = "../tests/support/convergence.rs"]
mod convergence;

use convergence::{Config, run};

fn arg(args: &[String], name: &str) -> Option<u64> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds = arg(&args, "--seeds").unwrap_or(10);
    let first = arg(&args, "--first").unwrap_or(1);
    let mut total = serde_json::json!({"seeds": seeds, "writes": 0, "polls": 0,
        "stale": 0, "missing": 0, "ghost": 0, "records_compared": 0, "failed_seeds": []});
    for seed in first..first + seeds {
        let mut cfg = Config::ci(seed);
        if let Some(l) = arg(&args, "--latency-ms") {
            cfg.latency_ms = l;
        }
        if let Some(o) = arg(&args, "--ops") {
            cfg.ops_per_writer = usize::try_from(o).unwrap_or(cfg.ops_per_writer);
        }
        let f = run(cfg).await;
        println!("{}", serde_json::to_string(&f).unwrap_or_default());
        let add = |t: &mut serde_json::Value, k: &str, n: u64| {
            t[k] = (t[k].as_u64().unwrap_or(0) + n).into();
        };
        add(&mut total, "writes", f.writes);
        add(&mut total, "polls", f.polls);
        for d in [&f.contacts, &f.tasks] {
            add(&mut total, "stale", d.stale as u64);
            add(&mut total, "missing", d.missing as u64);
            add(&mut total, "ghost", d.ghost as u64);
            add(&mut total, "records_compared", d.vendor as u64);
        }
        if !f.converged() {
            if let Some(a) = total["failed_seeds"].as_array_mut() {
                a.push(seed.into());
            }
        }
    }
    println!("{}", serde_json::json!({ "summary": total }));
    if total["failed_seeds"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        std::process::exit(1);
    }
}
