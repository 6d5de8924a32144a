//! tmp
use base64::Engine;
#[tokio::test]
async fn dump() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = unicrm_sim::InsightlySim::start(unicrm_sim::InsightlySimOptions{requests_per_second:0, ..Default::default()}).await.unwrap();
    let http = reqwest::Client::new();
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.api_key)));
    for p in ["Contacts/10000001", "Organisations/20000001", "Opportunities/30000001", "Tasks/50000001", "Notes/80000002", "Leads?top=1", "Users/Me", "CustomFields/Opportunities", "PipelineStages", "Tags/Contacts"] {
        let r = http.get(sim.base_url.join(p).unwrap()).header("Authorization", &auth).send().await.unwrap();
        println!("=== {p} {}\n{}", r.status(), r.text().await.unwrap());
    }
    let t = std::time::Instant::now();
    let d = unicrm_sim::seed::generate(unicrm_sim::SeedOptions{seed:1, records:100_000}); println!("seed {:?} {}", t.elapsed(), d.people.len());
    let t = std::time::Instant::now();
    let big = unicrm_sim::InsightlySim::start(unicrm_sim::InsightlySimOptions{requests_per_second:0, seed: unicrm_sim::SeedOptions{seed:1, records:100_000}, ..Default::default()}).await.unwrap();
    println!("start 100k {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut skip = 0; let mut n = 0;
    loop { let r = http.get(big.base_url.join(&format!("Contacts?skip={skip}&top=500")).unwrap()).header("Authorization", format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:", big.api_key)))).send().await.unwrap();
      let v: serde_json::Value = r.json().await.unwrap(); let len = v.as_array().unwrap().len(); n += len; skip += len; if len < 500 {break;} }
    println!("paged {n} in {:?}", t.elapsed());
}
