//! Soak run of the Insightly change-feed convergence test over many seeds
//! (`unicrm_testkit::soak::main`).
//!
//! `cargo run -p unicrm-insightly --example insightly_feed_soak -- --seeds 20 [--first 1] [--latency-ms 300]
//! [--ops 150]` prints one JSON line per seed, then a JSON summary (writes, polls, stale,
//! missing, ghost records summed over the seeds); exits 1 if any seed did not converge.

#[path = "../tests/support/convergence.rs"]
mod convergence;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(unicrm_testkit::soak::main::<convergence::Insightly>(&args).await);
}
