//! Requests per full contact listing over the simulator: ceil(N / 500), with no extra empty
//! page when N is a multiple of 500 (the cursor counts hits against `total`). The figure
//! `request_economy.highlevel.contacts` is printed as a JSON line.

use std::num::NonZeroU32;

use unicrm_core::registry::CrmConfig;
use unicrm_core::{Contact, CrmExt, ListParams};
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions};

async fn requests_for(n: usize) -> (u64, usize) {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: n,
        },
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    unicrm_highlevel::register();
    let crm = unicrm_core::registry::connect(
        &CrmConfig::new("highlevel")
            .token(sim.token.clone())
            .location_id(sim.location_id.clone())
            .base_url(sim.base_url.as_str())
            .requests_per_second(NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN)),
    )
    .expect("client");
    sim.reset_stats();
    let all: Vec<Contact> = crm.list_all(ListParams::new()).await.expect("listing");
    let stats = sim.stats();
    let searches = stats
        .per_path
        .iter()
        .filter(|(k, _)| k.contains("/contacts/search"))
        .map(|(_, v)| *v)
        .sum::<u64>();
    assert_eq!(
        searches, stats.requests,
        "only searches: {:?}",
        stats.per_path
    );
    sim.shutdown().await;
    (searches, all.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_listing_costs_ceil_n_over_500_requests() {
    let mut worst: f64 = 0.0;
    for n in [1, 499, 500, 1000, 1201] {
        let (requests, listed) = requests_for(n).await;
        assert_eq!(listed, n);
        let bound = n.div_ceil(500) as u64;
        assert_eq!(requests, bound, "{n} contacts");
        worst = worst.max(requests as f64 / bound as f64);
    }
    println!("{{\"figure\":\"request_economy.highlevel.contacts\",\"value\":{worst:.3}}}");
}
