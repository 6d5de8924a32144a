//! `unicrm migrate` end to end over both simulators: links intact, idempotent reruns, resumable
//! after a kill, nothing lost or duplicated under faults on the target.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use common::Sandboxes;
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Account, Contact, Crm, CrmExt, ListParams, Note, Opportunity, Record, Task};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::FaultConfig;

const PEOPLE: usize = 12;

fn migrate_cmd(sb: &Sandboxes, state: &Path) -> Command {
    Command::from_std(migrate_std(sb, state))
}

fn migrate_std(sb: &Sandboxes, state: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("unicrm"));
    c.env_remove("RUST_LOG")
        .env_remove("INSIGHTLY_POD")
        .env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .args([
            "migrate",
            "--from",
            "capsule",
            "--to",
            "insightly",
            "--search-lag",
            "0.05,0.1",
            "--state",
        ])
        .arg(state);
    c
}

fn summary(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let last = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output: {text}"));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

fn clients(sb: &Sandboxes) -> (CapsuleClient, InsightlyClient) {
    let c = CapsuleClient::builder()
        .base_url(&sb.capsule_url)
        .personal_access_token(sb.capsule_token.clone())
        .build()
        .unwrap();
    let i = InsightlyClient::builder()
        .base_url(&sb.insightly_url)
        .api_key(sb.insightly_key.clone())
        .build()
        .unwrap();
    (c, i)
}

fn all<R: Record>(sb: &Sandboxes, crm: &dyn Crm) -> Vec<R> {
    sb.runtime
        .block_on(crm.list_all::<R>(ListParams::new()))
        .unwrap()
}

/// Creates the target received so far for a path ending in `suffix` (the migration holds the
/// state file locked while it runs, so progress is read from the simulator).
fn posts_so_far(sb: &Sandboxes, suffix: &str) -> u64 {
    sb.insightly
        .stats()
        .per_path
        .iter()
        .filter(|(k, _)| k.starts_with("POST ") && k.ends_with(suffix))
        .map(|(_, n)| *n)
        .sum()
}

fn id_map(state: &Path, kind: &str) -> HashMap<String, String> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut stmt = conn
        .prepare("SELECT source_id, target_id FROM id_map WHERE kind = ?1 AND status = 'done'")
        .unwrap();
    stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Every source record of each kind has exactly one image in the target, and the target has no
/// other records of that kind (the Insightly sandbox starts empty).
fn assert_complete_without_duplicates(sb: &Sandboxes, state: &Path) {
    let (capsule, insightly) = clients(sb);
    macro_rules! check {
        ($ty:ty, $kind:literal, $skip:expr) => {{
            let src: Vec<$ty> = all(sb, &capsule);
            let dst: Vec<$ty> = all(sb, &insightly);
            let map = id_map(state, $kind);
            let expected = src.iter().filter(|r| !$skip(r)).count();
            assert_eq!(map.len(), expected, "{} mapped", $kind);
            assert_eq!(
                dst.len(),
                expected,
                "{} in target (duplicates or losses)",
                $kind
            );
            let mut targets: Vec<&String> = map.values().collect();
            targets.sort();
            targets.dedup();
            assert_eq!(
                targets.len(),
                map.len(),
                "{}: two sources share a target",
                $kind
            );
        }};
    }
    check!(Account, "account", |_: &Account| false);
    check!(Contact, "contact", |_: &Contact| false);
    check!(Opportunity, "opportunity", |_: &Opportunity| false);
    check!(Task, "task", |_: &Task| false);
    check!(Note, "note", |_: &Note| false);
}

#[test]
fn migrates_everything_with_links_and_reruns_create_nothing() {
    let sb = Sandboxes::start(PEOPLE, 0);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");

    // Dry run: a plan, nothing written.
    let out = migrate_cmd(&sb, &state).arg("--dry-run").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = summary(&out.stdout);
    assert_eq!(plan["dry_run"], true);
    assert!(plan["resources"]["contacts"]["planned"].as_u64().unwrap() >= PEOPLE as u64);
    assert!(!state.exists(), "dry run wrote the state file");
    assert!(sb.insightly.stats().requests > 0);

    let out = migrate_cmd(&sb, &state).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = summary(&out.stdout);
    assert_eq!(
        first["resources"]["contacts"]["created"], PEOPLE as u64,
        "{first}"
    );
    assert_eq!(
        first["users"]["unmatched"].as_array().unwrap().len(),
        0,
        "{first}"
    );
    assert_complete_without_duplicates(&sb, &state);

    // Spot-check fields and links of every resource.
    let (capsule, insightly) = clients(&sb);
    let rt = &sb.runtime;
    let accounts = id_map(&state, "account");
    let contacts = id_map(&state, "contact");
    let opps = id_map(&state, "opportunity");
    let src_contacts: Vec<Contact> = all(&sb, &capsule);
    for c in &src_contacts {
        let t = rt
            .block_on(
                insightly
                    .contacts()
                    .get(&contacts[c.id.as_str()].as_str().into()),
            )
            .unwrap();
        assert_eq!((&t.first_name, &t.last_name), (&c.first_name, &c.last_name));
        // Insightly contacts have one email field: the first address travels.
        assert_eq!(
            t.emails.first().map(|e| &e.address),
            c.emails.first().map(|e| &e.address),
            "email of contact {}",
            c.id
        );
        let mut tt: Vec<String> = t.tags.iter().map(|t| t.name.to_lowercase()).collect();
        let mut ct: Vec<String> = c.tags.iter().map(|t| t.name.to_lowercase()).collect();
        tt.sort();
        ct.sort();
        assert_eq!(tt, ct, "tags of contact {}", c.id);
        if let Some(a) = &c.account_id {
            assert_eq!(
                t.account_id.as_ref().map(|x| x.as_str()),
                Some(accounts[a.as_str()].as_str()),
                "account link of contact {}",
                c.id
            );
        }
    }
    let src_accounts: Vec<Account> = all(&sb, &capsule);
    for a in &src_accounts {
        let t = rt
            .block_on(
                insightly
                    .accounts()
                    .get(&accounts[a.id.as_str()].as_str().into()),
            )
            .unwrap();
        assert_eq!(t.name, a.name);
    }
    let src_opps: Vec<Opportunity> = all(&sb, &capsule);
    for o in &src_opps {
        let t = rt
            .block_on(
                insightly
                    .opportunities()
                    .get(&opps[o.id.as_str()].as_str().into()),
            )
            .unwrap();
        assert_eq!(t.name, o.name);
        assert_eq!(t.amount, o.amount, "amount of opportunity {}", o.id);
        if let Some(a) = &o.account_id {
            assert_eq!(
                t.account_id.as_ref().map(|x| x.as_str()),
                Some(accounts[a.as_str()].as_str())
            );
        }
        assert_eq!(t.status, o.status, "status of opportunity {}", o.id);
        let closed = matches!(
            o.status,
            Some(unicrm_core::OpportunityStatus::Won | unicrm_core::OpportunityStatus::Lost)
        );
        assert!(
            closed || t.stage_id.is_some(),
            "stage of open opportunity {} mapped",
            o.id
        );
        assert!(
            t.pipeline_id.is_some(),
            "pipeline of opportunity {} mapped",
            o.id
        );
    }
    let notes = id_map(&state, "note");
    let src_notes: Vec<Note> = all(&sb, &capsule);
    for n in &src_notes {
        let t = rt
            .block_on(insightly.notes().get(&notes[n.id.as_str()].as_str().into()))
            .unwrap();
        assert_eq!(t.content.trim(), n.content.trim());
        if let Some(c) = &n.contact_id {
            assert_eq!(
                t.contact_id.as_ref().map(|x| x.as_str()),
                Some(contacts[c.as_str()].as_str())
            );
        }
        if let Some(o) = &n.opportunity_id {
            assert_eq!(
                t.opportunity_id.as_ref().map(|x| x.as_str()),
                Some(opps[o.as_str()].as_str())
            );
        }
    }
    let tasks = id_map(&state, "task");
    let src_tasks: Vec<Task> = all(&sb, &capsule);
    for s in &src_tasks {
        let t = rt
            .block_on(insightly.tasks().get(&tasks[s.id.as_str()].as_str().into()))
            .unwrap();
        assert_eq!(t.title, s.title);
        assert_eq!(t.due_date, s.due_date);
    }

    // A rerun creates nothing.
    let out = migrate_cmd(&sb, &state).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = summary(&out.stdout);
    for (name, r) in second["resources"].as_object().unwrap() {
        assert_eq!(r["created"], 0, "{name} created on rerun: {second}");
        assert_eq!(r["recovered"], 0, "{name}");
        assert_eq!(
            r["skipped_existing"], first["resources"][name]["created"],
            "{name}: {second}"
        );
    }
    assert_complete_without_duplicates(&sb, &state);
}

#[test]
fn a_killed_run_resumes_to_the_same_state() {
    let sb = Sandboxes::start(PEOPLE, 0);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut child = migrate_std(&sb, &state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some contacts are in (4 creates received: the first 3 are answered and
    // recorded, the 4th may be in flight).
    let mut killed_midway = false;
    for _ in 0..400 {
        std::thread::sleep(Duration::from_millis(25));
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if posts_so_far(&sb, "/Contacts") >= 4 {
            child.kill().unwrap();
            killed_midway = true;
            break;
        }
    }
    let _ = child.wait();
    assert!(
        killed_midway,
        "the migration ended before it could be interrupted"
    );
    let out = migrate_cmd(&sb, &state).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out.stdout);
    assert!(
        s["resources"]["contacts"]["skipped_existing"]
            .as_u64()
            .unwrap()
            >= 3,
        "{s}"
    );
    assert_complete_without_duplicates(&sb, &state);
}

#[test]
fn faults_on_the_target_lose_and_duplicate_nothing() {
    let faults = FaultConfig {
        seed: 11,
        error_rate: 0.08,
        burst_429_rate: 0.04,
        burst_429_len: 2,
        drop_rate: 0.04,
        malformed_rate: 0.03,
        ..Default::default()
    };
    let sb = Sandboxes::start_with(PEOPLE, 0, faults);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut ok = false;
    for _ in 0..6 {
        let out = migrate_cmd(&sb, &state).output().unwrap();
        if out.status.success() {
            ok = true;
            break;
        }
    }
    assert!(ok, "the migration did not complete in 6 runs under faults");
    assert!(
        sb.insightly.stats().server_errors > 0,
        "no fault was injected"
    );
    sb.insightly.set_faults(FaultConfig::default());
    assert_complete_without_duplicates(&sb, &state);
}
