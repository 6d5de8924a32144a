//! Model-based concurrency test of the Capsule change feeds (`unicrm_testkit::soak`, vendor
//! side in `support/convergence.rs`): under concurrent raw-HTTP writers, the replica built from
//! the contact and task feeds equals the vendor's state, payload for payload.

#[path = "support/convergence.rs"]
mod convergence;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_from_the_feeds_converges_under_concurrent_writers() {
    unicrm_testkit::soak::assert_converges::<convergence::Capsule>(1..=3).await;
}
