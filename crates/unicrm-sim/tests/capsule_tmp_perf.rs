use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimOptions};
#[tokio::test(flavor = "multi_thread")]
async fn perf() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let t = std::time::Instant::now();
    let sim = CapsuleSim::start(CapsuleSimOptions { seed: SeedOptions { seed: 1, records: 100_000 }, hourly_budget: 1_000_000, ..Default::default() }).await.unwrap();
    eprintln!("start {:?}", t.elapsed());
    let c = reqwest::Client::new();
    let t = std::time::Instant::now();
    let mut n = 0;
    for page in [1u32, 500, 1300] {
        let r = c.get(format!("{}parties?perPage=100&page={page}&embed=tags,fields", sim.base_url)).bearer_auth(&sim.token).send().await.unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        n += v["parties"].as_array().unwrap().len();
    }
    eprintln!("3 pages {:?} {n}", t.elapsed());
}
