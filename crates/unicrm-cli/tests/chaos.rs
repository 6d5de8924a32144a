//! The migration under chaos: a Capsule → Insightly migration of `UNICRM_CHAOS_RECORDS`
//! records (10,000 by default: contacts, accounts, opportunities, tasks and notes, with their
//! links) through the `unicrm` binary, with faults on the target — after-commit 5xx and dropped
//! connections (the create is applied, its answer lost), 429 bursts, 5xx and drops before the
//! handler, garbled bodies — and the process killed with SIGKILL at random points (a seeded
//! number of creates into each run), rerun until its summary says `complete`.
//!
//! At the end: nothing lost, nothing duplicated, every field checked and every link pointing
//! at the image of the linked record; after-commit faults did hit creates and the lookup before
//! a resend did recover records; the summary and the state agree with the simulators' counts.
//!
//! `UNICRM_CHAOS_SEED` changes the faults and the kill points. Figures go to stderr as one
//! JSON line (see docs/reliability.md, Migration).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{SandboxOptions, Sandboxes};
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Account, Contact, Crm, CrmExt, ListParams, Note, Opportunity, Record, Task};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::FaultConfig;

/// Kills per chaos run (each at a random number of creates into a run).
const KILLS: u32 = 6;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator for the kill points (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn spawn(sb: &Sandboxes, state: &Path, out: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("unicrm"))
        .env_remove("RUST_LOG")
        .env_remove("INSIGHTLY_POD")
        .env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .env("INSIGHTLY_REQUESTS_PER_SECOND", "100000")
        .args([
            "migrate",
            "--from",
            "capsule",
            "--to",
            "insightly",
            "--search-lag",
            "0.02,0.05",
            "--state",
        ])
        .arg(state)
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn creates_received(sb: &Sandboxes) -> u64 {
    sb.insightly
        .stats()
        .per_path
        .iter()
        .filter(|(k, _)| k.starts_with("POST "))
        .map(|(_, n)| *n)
        .sum()
}

fn last_json_line(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(text.lines().last()?).ok()
}

fn all<R: Record>(sb: &Sandboxes, crm: &dyn Crm) -> Vec<R> {
    sb.runtime
        .block_on(crm.list_all::<R>(ListParams::new()))
        .unwrap()
}

fn rows(state: &Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, source_id, status, target_id FROM id_map")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Source id → target id of one kind, asserting that no two sources share a target.
fn id_map(
    rows: &[(String, String, String, Option<String>)],
    kind: &str,
) -> HashMap<String, String> {
    let map: HashMap<String, String> = rows
        .iter()
        .filter(|r| r.0 == kind && r.2 == "done")
        .map(|r| (r.1.clone(), r.3.clone().unwrap()))
        .collect();
    let targets: HashSet<&String> = map.values().collect();
    assert_eq!(
        targets.len(),
        map.len(),
        "{kind}: two sources share a target"
    );
    map
}

/// Totals over the summaries of the runs that printed one.
#[derive(Debug, Default)]
struct Totals {
    ambiguous: u64,
    recovered: u64,
    lookups: u64,
}

/// Kills and reruns the migration until it completes, then checks that every source record
/// has exactly one image in the target.
#[test]
fn chaos_migration_loses_and_duplicates_nothing() {
    let records = env_num("UNICRM_CHAOS_RECORDS", 10_000);
    let seed = env_num("UNICRM_CHAOS_SEED", 12);
    // The seed makes about 2.83 records per person (a third as many organisations, half as
    // many opportunities, tasks and notes).
    let people = (records * 100).div_ceil(283) as usize;
    let target_faults = FaultConfig {
        seed,
        after_commit_error_rate: 0.01,
        after_commit_drop_rate: 0.01,
        error_rate: 0.003,
        drop_rate: 0.003,
        burst_429_rate: 0.0005,
        burst_429_len: 2,
        malformed_rate: 0.002,
        ..Default::default()
    };
    let source_faults = FaultConfig {
        seed: seed + 1,
        error_rate: 0.01,
        drop_rate: 0.01,
        burst_429_rate: 0.005,
        burst_429_len: 1,
        ..Default::default()
    };
    let sb = Sandboxes::start_opts(SandboxOptions {
        capsule_records: people,
        insightly_records: 0,
        capsule_faults: source_faults,
        insightly_faults: target_faults,
        insightly_rps: 0,
    });
    // The state lives in memory-backed storage when there is some: a SIGKILL leaves the page
    // cache intact, so the fsync of every `pending` row (7 ms each on the CI disk, 70 s for
    // 10,000 records) proves nothing here; it is what keeps rows through a power cut.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let state = dir.path().join("state.sqlite");
    let out = dir.path().join("out.jsonl");
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut kills, mut runs) = (0u32, 0u32);
    let mut totals = Totals::default();
    let final_summary = loop {
        runs += 1;
        assert!(runs <= KILLS + 12, "not complete after {runs} runs");
        let start = creates_received(&sb);
        let mut child = spawn(&sb, &state, &out);
        if kills < KILLS {
            // Kill after a random number of creates into this run: up to an eighth of the
            // records, so the kills spread over most of the migration and all of them land
            // before it can finish (6 × 1/8 < 1).
            let at = start + 1 + rng.below(records / 8);
            let killed = loop {
                if child.try_wait().unwrap().is_some() {
                    break false;
                }
                if creates_received(&sb) >= at {
                    child.kill().unwrap(); // SIGKILL
                    break true;
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            let _ = child.wait();
            eprintln!(
                "chaos run {runs}: {} after {} creates",
                if killed { "killed" } else { "ended" },
                creates_received(&sb) - start
            );
            if killed {
                kills += 1;
                continue;
            }
        } else {
            let _ = child.wait();
        }
        let Some(s) = last_json_line(&out) else {
            continue;
        };
        for r in s["resources"].as_object().unwrap().values() {
            totals.ambiguous += r["ambiguous"].as_u64().unwrap();
            totals.recovered += r["recovered"].as_u64().unwrap();
            totals.lookups += r["lookups"].as_u64().unwrap();
        }
        if s["complete"] == true {
            break s;
        }
    };
    let target_stats = sb.insightly.stats();
    let source_stats = sb.capsule.stats();
    sb.insightly.set_faults(FaultConfig::default());
    sb.capsule.set_faults(FaultConfig::default());

    let capsule = CapsuleClient::builder()
        .base_url(&sb.capsule_url)
        .personal_access_token(sb.capsule_token.clone())
        .build()
        .unwrap();
    let insightly = InsightlyClient::builder()
        .base_url(&sb.insightly_url)
        .api_key(sb.insightly_key.clone())
        .requests_per_second(std::num::NonZeroU32::new(100_000).unwrap())
        .build()
        .unwrap();
    // The kinds this test seeds at scale and checks record by record (the fixed handful of
    // projects and engagements the simulator also seeds are migrated too, and not counted here).
    let checked = ["account", "contact", "opportunity", "task", "note"];
    let rows: Vec<_> = rows(&state)
        .into_iter()
        .filter(|r| checked.contains(&r.0.as_str()))
        .collect();
    let accounts = id_map(&rows, "account");
    let contacts = id_map(&rows, "contact");
    let opps = id_map(&rows, "opportunity");
    let tasks = id_map(&rows, "task");
    let notes = id_map(&rows, "note");

    let mut lost = 0usize;
    let mut duplicated = 0usize;
    let mut source_total = 0usize;
    let mut counts = BTreeMap::new();
    macro_rules! pair {
        ($ty:ty, $map:expr, $label:literal) => {{
            let src: Vec<$ty> = all(&sb, &capsule);
            let dst: Vec<$ty> = all(&sb, &insightly);
            lost += src
                .iter()
                .filter(|r| !$map.contains_key(r.id.as_str()))
                .count();
            duplicated += dst.len().saturating_sub(src.len());
            source_total += src.len();
            counts.insert($label, (src.len(), dst.len(), $map.len()));
            let by_id: HashMap<String, $ty> =
                dst.into_iter().map(|r| (r.id.to_string(), r)).collect();
            (src, by_id)
        }};
    }
    let link = |map: &HashMap<String, String>, id: Option<&str>| id.map(|i| map[i].clone());
    let (src, dst) = pair!(Account, accounts, "accounts");
    for a in &src {
        let t = &dst[&accounts[a.id.as_str()]];
        assert_eq!(t.name, a.name, "account {}", a.id);
    }
    let (src, dst) = pair!(Contact, contacts, "contacts");
    for c in &src {
        let t = &dst[&contacts[c.id.as_str()]];
        assert_eq!(
            (&t.first_name, &t.last_name),
            (&c.first_name, &c.last_name),
            "contact {}",
            c.id
        );
        assert_eq!(
            t.emails.first().map(|e| &e.address),
            c.emails.first().map(|e| &e.address),
            "email of contact {}",
            c.id
        );
        assert_eq!(
            t.account_id.as_ref().map(|x| x.to_string()),
            link(&accounts, c.account_id.as_ref().map(|x| x.as_str())),
            "account link of contact {}",
            c.id
        );
    }
    let (src, dst) = pair!(Opportunity, opps, "opportunities");
    for o in &src {
        let t = &dst[&opps[o.id.as_str()]];
        assert_eq!(
            (&t.name, &t.amount, &t.status),
            (&o.name, &o.amount, &o.status),
            "opportunity {}",
            o.id
        );
        assert_eq!(
            t.account_id.as_ref().map(|x| x.to_string()),
            link(&accounts, o.account_id.as_ref().map(|x| x.as_str())),
            "account link of opportunity {}",
            o.id
        );
        assert_eq!(
            t.contact_id.as_ref().map(|x| x.to_string()),
            link(&contacts, o.contact_id.as_ref().map(|x| x.as_str())),
            "contact link of opportunity {}",
            o.id
        );
    }
    let (src, dst) = pair!(Task, tasks, "tasks");
    for s in &src {
        let t = &dst[&tasks[s.id.as_str()]];
        assert_eq!(
            (&t.title, &t.due_date),
            (&s.title, &s.due_date),
            "task {}",
            s.id
        );
        assert_eq!(
            (
                t.contact_id.as_ref().map(|x| x.to_string()),
                t.account_id.as_ref().map(|x| x.to_string()),
                t.opportunity_id.as_ref().map(|x| x.to_string()),
            ),
            (
                link(&contacts, s.contact_id.as_ref().map(|x| x.as_str())),
                link(&accounts, s.account_id.as_ref().map(|x| x.as_str())),
                link(&opps, s.opportunity_id.as_ref().map(|x| x.as_str())),
            ),
            "links of task {}",
            s.id
        );
    }
    let (src, dst) = pair!(Note, notes, "notes");
    for n in &src {
        let t = &dst[&notes[n.id.as_str()]];
        assert_eq!(t.content.trim(), n.content.trim(), "note {}", n.id);
        assert_eq!(
            (
                t.contact_id.as_ref().map(|x| x.to_string()),
                t.account_id.as_ref().map(|x| x.to_string()),
                t.opportunity_id.as_ref().map(|x| x.to_string()),
            ),
            (
                link(&contacts, n.contact_id.as_ref().map(|x| x.as_str())),
                link(&accounts, n.account_id.as_ref().map(|x| x.as_str())),
                link(&opps, n.opportunity_id.as_ref().map(|x| x.as_str())),
            ),
            "links of note {}",
            n.id
        );
    }

    let after_commit_creates = target_stats
        .after_commit_per_method
        .get("POST")
        .copied()
        .unwrap_or(0);
    eprintln!(
        "{}",
        serde_json::json!({
            "chaos": "migration", "seed": seed, "records": source_total, "runs": runs, "kills": kills,
            "lost": lost, "duplicated": duplicated,
            "after_commit_faults_on_creates": after_commit_creates,
            "target_after_commit_errors": target_stats.after_commit_errors,
            "target_after_commit_drops": target_stats.after_commit_drops,
            "target_5xx": target_stats.server_errors, "target_dropped": target_stats.dropped,
            "target_429": target_stats.rate_limited, "source_5xx": source_stats.server_errors,
            "source_dropped": source_stats.dropped, "source_429": source_stats.rate_limited,
            "ambiguous_creates": totals.ambiguous, "recovered": totals.recovered,
            "lookups": totals.lookups, "target_requests": target_stats.requests,
            "per_resource_source_target_mapped": counts,
        })
    );
    assert!(
        source_total as u64 >= records,
        "{source_total} records seeded"
    );
    assert_eq!((lost, duplicated), (0, 0), "{counts:?}");
    for (label, (src, dst, mapped)) in &counts {
        assert_eq!((dst, mapped), (src, src), "{label}");
    }
    assert_eq!(kills, KILLS, "every planned kill hit a running migration");
    assert!(
        after_commit_creates > 0,
        "no after-commit fault hit a create: {target_stats:?}"
    );
    assert!(
        totals.ambiguous > 0 && totals.lookups > 0 && totals.recovered > 0,
        "the lookup before a resend never recovered a record: {totals:?}"
    );

    // Same-record stability: the last summary and the state agree with the simulators.
    for (label, (src, _, _)) in &counts {
        let r = &final_summary["resources"][*label];
        let seen = r["created"].as_u64().unwrap()
            + r["recovered"].as_u64().unwrap()
            + r["skipped_existing"].as_u64().unwrap();
        assert_eq!(seen, *src as u64, "{label}: {r}");
        assert_eq!(r["failed"].as_array().unwrap().len(), 0, "{label}: {r}");
    }
    let statuses: HashSet<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(statuses, HashSet::from(["done"]), "every row is done");
    assert_eq!(rows.len(), source_total, "one state row per source record");
}
