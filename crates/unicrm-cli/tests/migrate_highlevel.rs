//! `unicrm migrate --from capsule --to highlevel` end to end: under faults on the HighLevel
//! simulator the migration completes within a few runs with nothing duplicated, a rerun
//! creates nothing, and what HighLevel cannot hold (notes, tasks and engagements until the
//! adapter has them; opportunities on an organisation without people, see
//! tests/migrate_highlevel_deals.rs) is reported, never silently dropped.

use assert_cmd::Command;
use unicrm_sim::{
    CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, HighLevelSim, HighLevelSimHandle,
    HighLevelSimOptions, SeedOptions,
};

const PEOPLE: usize = 12;

struct Sims {
    capsule: CapsuleSimHandle,
    highlevel: HighLevelSimHandle,
    _runtime: tokio::runtime::Runtime,
}

fn start(faults: FaultConfig) -> Sims {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (capsule, highlevel) = runtime.block_on(async {
        let c = CapsuleSim::start(CapsuleSimOptions {
            seed: SeedOptions {
                seed: 7,
                records: PEOPLE,
            },
            ..Default::default()
        })
        .await
        .unwrap();
        let h = HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions {
                seed: 7,
                records: 0,
            },
            faults,
            ..Default::default()
        })
        .await
        .unwrap();
        (c, h)
    });
    Sims {
        capsule,
        highlevel,
        _runtime: runtime,
    }
}

fn migrate(s: &Sims, state: &std::path::Path) -> std::process::Output {
    Command::cargo_bin("unicrm")
        .unwrap()
        .env_remove("RUST_LOG")
        .env("CAPSULE_TOKEN", &s.capsule.token)
        .env("CAPSULE_BASE_URL", s.capsule.base_url.as_str())
        .env("HIGHLEVEL_TOKEN", &s.highlevel.token)
        .env("HIGHLEVEL_LOCATION_ID", &s.highlevel.location_id)
        .env("HIGHLEVEL_BASE_URL", s.highlevel.base_url.as_str())
        .args([
            "migrate",
            "--from",
            "capsule",
            "--to",
            "highlevel",
            "--search-lag",
            "0.05,0.1",
            "--state",
        ])
        .arg(state)
        .output()
        .unwrap()
}

fn summary(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let last = text.lines().last().unwrap_or_default().to_string();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn capsule_to_highlevel_under_faults_then_a_rerun_creates_nothing() {
    let s = start(FaultConfig {
        seed: 11,
        error_rate: 0.06,
        burst_429_rate: 0.04,
        burst_429_len: 2,
        drop_rate: 0.03,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut done = None;
    let mut last = String::new();
    for _ in 0..6 {
        let out = migrate(&s, &state);
        if out.status.success() {
            done = Some(out);
            break;
        }
        last = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = done.unwrap_or_else(|| {
        panic!("the migration did not complete in 6 runs under faults; the last run:\n{last}")
    });
    assert!(
        s.highlevel.stats().server_errors > 0,
        "no fault was injected"
    );
    let first = summary(&out.stdout);
    s.highlevel.set_faults(FaultConfig::default());

    // Every contact and business once: no duplicate from a retried or dropped create.
    let names = |records: Vec<serde_json::Map<String, serde_json::Value>>, key: &str| {
        let mut v: Vec<String> = records
            .iter()
            .map(|r| r.get(key).map(|x| x.to_string()).unwrap_or_default())
            .collect();
        v.sort();
        v
    };
    let contacts = s.highlevel.contacts();
    assert_eq!(contacts.len(), PEOPLE, "{first}");
    let emails = names(contacts, "email");
    let mut unique = emails.clone();
    unique.dedup();
    assert_eq!(unique, emails, "a contact was created twice");
    let businesses = names(s.highlevel.businesses(), "name");
    let mut unique = businesses.clone();
    unique.dedup();
    assert_eq!(unique, businesses, "a business was created twice");
    assert!(!businesses.is_empty());

    // What HighLevel cannot hold is reported, not dropped.
    let notes = &first["resources"]["notes"];
    assert!(notes["unsupported"].as_u64().unwrap_or(0) > 0, "{first}");

    // A rerun without faults creates nothing.
    let out = migrate(&s, &state);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = summary(&out.stdout);
    for (name, r) in second["resources"].as_object().unwrap() {
        assert_eq!(r["created"], 0, "{name} created on rerun: {second}");
    }
    assert_eq!(s.highlevel.contacts().len(), PEOPLE);
}
