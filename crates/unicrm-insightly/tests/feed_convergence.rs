//! Model-based concurrency test of the change feeds (see `support/convergence.rs`): under
//! concurrent raw-HTTP writers, the replica built from the feeds equals the vendor's state.

#[path = "support/convergence.rs"]
mod convergence;

use convergence::{Config, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_from_the_feeds_converges_under_concurrent_writers() {
    for seed in 1..=3 {
        let figures = run(Config::ci(seed)).await;
        println!("{}", serde_json::to_string(&figures).unwrap());
        // The run must have exercised the feeds under writes and deletes.
        assert!(figures.writes > 100, "{figures:?}");
        assert!(figures.polls >= 6, "{figures:?}");
        assert!(
            figures.contacts.vendor > 0 && figures.tasks.vendor > 0,
            "{figures:?}"
        );
        assert!(figures.converged(), "{figures:?}");
    }
}
