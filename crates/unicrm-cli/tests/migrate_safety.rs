//! The migration's safety rules, over the simulators: a create with an unknown outcome stays
//! `pending` and is looked up (again after the search lag) before any resend; the state file is
//! locked; what the target cannot hold is counted, stored and refused under `--strict`; a link
//! to a record migrated later is filled by a later run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::Sandboxes;
use unicrm_capsule::CapsuleClient;
use unicrm_cli::migrate::state::{Entry, State};
use unicrm_cli::migrate::{Migrator, Options, Report};
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{
    Account, Contact, Crm, CrmExt, Email, ListParams, NewAccount, NewContact, Record,
};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::FaultConfig;

fn clients(sb: &Sandboxes) -> (CapsuleClient, InsightlyClient) {
    let c = CapsuleClient::builder()
        .base_url(&sb.capsule_url)
        .personal_access_token(sb.capsule_token.clone())
        .build()
        .unwrap();
    // The client's own retry back-offs are recorded, not slept (a separate sleeper from the
    // migration's, whose delays the tests check).
    let i = InsightlyClient::builder()
        .base_url(&sb.insightly_url)
        .api_key(sb.insightly_key.clone())
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .unwrap();
    (c, i)
}

fn try_run(sb: &Sandboxes, state: &Path, opts: Options) -> Result<Report, String> {
    let (c, i) = clients(sb);
    let st = State::open(state, opts.dry_run).unwrap();
    sb.runtime
        .block_on(Migrator::new(&c, &i, st, opts).run())
        .map_err(|e| e.message)
}

fn run(sb: &Sandboxes, state: &Path, opts: Options) -> Report {
    try_run(sb, state, opts).unwrap()
}

fn cmd(sb: &Sandboxes, state: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("unicrm").unwrap();
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
            "--state",
        ])
        .arg(state);
    c
}

fn summary(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

fn all<R: Record>(sb: &Sandboxes, crm: &dyn Crm) -> Vec<R> {
    sb.runtime
        .block_on(crm.list_all::<R>(ListParams::new()))
        .unwrap()
}

fn sum(report: &Report, f: impl Fn(&unicrm_cli::migrate::ResourceReport) -> u64) -> u64 {
    report.resources.values().map(f).sum()
}

/// Runs to completion under heavy faults: creates whose outcome stays unknown keep their row
/// `pending` (after three attempts, or after a failed lookup), the next run looks them up
/// before it sends anything, the search lag is waited through the injected sleeper (recorded,
/// not slept), and nothing is duplicated.
#[test]
fn unknown_outcomes_stay_pending_and_are_looked_up_before_any_resend() {
    let faults = FaultConfig {
        seed: 5,
        error_rate: 0.25,
        after_commit_error_rate: 0.2,
        after_commit_drop_rate: 0.05,
        ..Default::default()
    };
    let sb = Sandboxes::start_with(10, 0, faults);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    let sleeper = RecordingSleeper::new();
    let lag = vec![Duration::from_secs(2), Duration::from_secs(5)];
    let opts = || Options {
        search_lag: lag.clone(),
        sleeper: Arc::new(sleeper.clone()),
        ..Default::default()
    };
    let mut pending_seen = 0u64;
    let mut looked_up_pending = false;
    let mut recovered = 0u64;
    let mut complete = None;
    for _ in 0..20 {
        // Rows left pending by the previous run.
        let pending_before: Vec<(String, String)> = if state.exists() {
            let c = rusqlite::Connection::open(&state).unwrap();
            let mut s = c
                .prepare("SELECT kind, source_id FROM id_map WHERE status = 'pending'")
                .unwrap();
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        } else {
            Vec::new()
        };
        // Under these faults a run can also stop early (a read that failed every retry).
        let Ok(report) = try_run(&sb, &state, opts()) else {
            continue;
        };
        pending_seen += sum(&report, |r| r.pending);
        recovered += sum(&report, |r| r.recovered);
        if !pending_before.is_empty() {
            // Every pending row was looked up before its create was sent again.
            assert!(
                sum(&report, |r| r.lookups) >= pending_before.len() as u64,
                "{report:?}"
            );
            looked_up_pending = true;
        }
        if report.complete {
            complete = Some(report);
            break;
        }
    }
    let report = complete.expect("complete within 20 runs");
    assert!(
        pending_seen > 0,
        "no create was left with an unknown outcome"
    );
    assert!(
        looked_up_pending,
        "no later run had a pending row to look up"
    );
    assert!(recovered > 0, "no applied create was found by a lookup");
    assert!(report.failed() == 0);
    // The search lag was waited through the sleeper, each delay in order: a 5 s wait only
    // after a 2 s one that found nothing.
    let delays = sleeper.delays();
    assert!(
        !delays.is_empty(),
        "no look was repeated after the search lag"
    );
    for (i, d) in delays.iter().enumerate() {
        assert!(lag.contains(d), "{d:?}");
        if *d == lag[1] {
            assert_eq!(delays[i - 1], lag[0], "{delays:?}");
        }
    }
    // Nothing duplicated, nothing lost.
    sb.insightly.set_faults(FaultConfig::default());
    let (c, i) = clients(&sb);
    let src: Vec<Contact> = all(&sb, &c);
    let dst: Vec<Contact> = all(&sb, &i);
    assert_eq!(src.len(), dst.len());
    let src: Vec<Account> = all(&sb, &c);
    let dst: Vec<Account> = all(&sb, &i);
    assert_eq!(src.len(), dst.len());
    let st = State::open(&state, false).unwrap();
    for s in &src {
        assert!(matches!(
            sb.runtime
                .block_on(st.get("account", s.id.as_str()))
                .unwrap(),
            Some(Entry::Done(_))
        ));
    }
    // Lookups run on the target's clock: the bound kept between runs is the newest timestamp
    // the target put on a record, not the local time.
    let newest = [
        dst.iter().filter_map(|r| r.updated_at).max(),
        all::<Contact>(&sb, &i)
            .iter()
            .filter_map(|r| r.updated_at)
            .max(),
        all::<unicrm_core::Opportunity>(&sb, &i)
            .iter()
            .filter_map(|r| r.updated_at)
            .max(),
        all::<unicrm_core::Task>(&sb, &i)
            .iter()
            .filter_map(|r| r.updated_at)
            .max(),
        all::<unicrm_core::Note>(&sb, &i)
            .iter()
            .filter_map(|r| r.updated_at)
            .max(),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap();
    let clock = sb
        .runtime
        .block_on(st.meta("target_clock"))
        .unwrap()
        .unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&clock).unwrap(),
        newest,
        "target clock {clock}"
    );
}

#[test]
fn a_second_run_on_the_same_state_refuses_to_start() {
    let sb = Sandboxes::start(2, 0);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    let held = State::open(&state, false).unwrap();
    let out = cmd(&sb, &state).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("is in use by another migration (locked)"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        sb.insightly
            .stats()
            .per_path
            .keys()
            .filter(|k| k.starts_with("POST"))
            .count(),
        0
    );
    drop(held);
    cmd(&sb, &state).assert().success();
}

/// Losses are counted per resource in the summary and stored per record; `--strict` refuses
/// what the target cannot hold and writes nothing of it.
#[test]
fn losses_are_counted_and_strict_refuses_them() {
    let sb = Sandboxes::start(12, 0);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    let out = cmd(&sb, &state).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out.stdout);
    // Insightly keeps one email per contact and none on an organisation.
    let (c, _) = clients(&sb);
    let contacts: Vec<Contact> = all(&sb, &c);
    let extra_emails: u64 = contacts
        .iter()
        .map(|c| c.emails.len().saturating_sub(1) as u64)
        .sum();
    assert!(
        extra_emails > 0,
        "the seed has contacts with several emails"
    );
    assert_eq!(
        s["resources"]["contacts"]["lost"]["emails"], extra_emails,
        "{s}"
    );
    let accounts: Vec<Account> = all(&sb, &c);
    let account_emails: u64 = accounts.iter().map(|a| a.emails.len() as u64).sum();
    assert_eq!(
        s["resources"]["accounts"]["lost"]["emails"]
            .as_u64()
            .unwrap_or(0),
        account_emails,
        "{s}"
    );
    // The per-record losses in the state add up to the summary's.
    let conn = rusqlite::Connection::open(&state).unwrap();
    let mut per_kind: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT kind, losses FROM id_map WHERE losses IS NOT NULL")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (kind, text) = row.unwrap();
        let l: BTreeMap<String, u64> = serde_json::from_str(&text).unwrap();
        for (f, n) in l {
            *per_kind
                .entry(kind.clone())
                .or_default()
                .entry(f)
                .or_default() += n;
        }
    }
    for (label, kind) in [
        ("accounts", "account"),
        ("contacts", "contact"),
        ("notes", "note"),
    ] {
        let summed: BTreeMap<String, u64> = per_kind.get(kind).cloned().unwrap_or_default();
        let reported: BTreeMap<String, u64> =
            serde_json::from_value(s["resources"][label]["lost"].clone()).unwrap();
        assert_eq!(summed, reported, "{label}");
    }

    // --strict on a fresh target: contacts with several emails are refused, not written.
    let sb2 = Sandboxes::start(12, 0);
    let state2 = dir.path().join("strict.sqlite");
    let out = cmd(&sb2, &state2).arg("--strict").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "not complete: records refused");
    let s = summary(&out.stdout);
    let refused = s["resources"]["contacts"]["refused"].as_u64().unwrap();
    let (_, i2) = clients(&sb2);
    let written: Vec<Contact> = all(&sb2, &i2);
    let several = contacts.iter().filter(|c| c.emails.len() > 1).count() as u64;
    assert!(refused >= several, "{s}");
    assert_eq!(written.len() as u64 + refused, contacts.len() as u64, "{s}");
    let st = State::open(&state2, true).unwrap();
    for c in contacts.iter().filter(|c| c.emails.len() > 1) {
        assert!(
            matches!(
                sb.runtime
                    .block_on(st.get("contact", c.id.as_str()))
                    .unwrap(),
                Some(Entry::Refused(_))
            ),
            "contact {} with {} emails",
            c.id,
            c.emails.len()
        );
    }
    assert!(written.iter().all(|c| c.emails.len() <= 1));
}

/// A contact whose account is not migrated when the contact is written gets its account link
/// from a later run.
#[test]
fn a_link_to_a_record_migrated_later_is_filled_by_a_later_run() {
    let sb = Sandboxes::start(0, 0);
    let (c, i) = clients(&sb);
    let rt = &sb.runtime;
    // An organisation with an email (Insightly holds none: refused under --strict) and a
    // person at it with nothing Insightly cannot hold.
    let acme = rt
        .block_on(c.accounts().create(&NewAccount {
            name: "Acme Widgets".into(),
            emails: vec![Email {
                address: "hello@acme.example".into(),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .unwrap();
    let ann = rt
        .block_on(c.contacts().create(&NewContact {
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            account_id: Some(acme.id.clone()),
            ..Default::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    let first = run(
        &sb,
        &state,
        Options {
            strict: true,
            ..Default::default()
        },
    );
    assert_eq!(first.resources["accounts"].refused, 1, "{first:?}");
    assert_eq!(first.resources["contacts"].created, 1, "{first:?}");
    assert_eq!(first.resources["contacts"].links_pending, 1, "{first:?}");
    assert!(!first.complete);
    let written: Vec<Contact> = all(&sb, &i);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].account_id, None);

    let second = run(&sb, &state, Options::default());
    assert_eq!(second.resources["accounts"].created, 1, "{second:?}");
    assert_eq!(second.resources["contacts"].skipped_existing, 1);
    assert_eq!(second.resources["contacts"].links_filled, 1, "{second:?}");
    assert_eq!(second.resources["contacts"].links_pending, 0);
    assert!(second.complete, "{second:?}");
    let st = State::open(&state, true).unwrap();
    let acme_t = sb
        .runtime
        .block_on(st.target_id("account", acme.id.as_str()))
        .unwrap()
        .unwrap();
    let ann_t = sb
        .runtime
        .block_on(st.target_id("contact", ann.id.as_str()))
        .unwrap()
        .unwrap();
    let t = rt
        .block_on(i.contacts().get(&ann_t.as_str().into()))
        .unwrap();
    assert_eq!(t.account_id.map(|a| a.to_string()), Some(acme_t));
}

#[test]
fn bad_pacing_and_search_lag_are_usage_errors() {
    let sb = Sandboxes::start(1, 0);
    let dir = tempfile::tempdir().unwrap();
    for lag in ["-1", "nan", "5000", "x"] {
        let out = cmd(&sb, &dir.path().join("s.sqlite"))
            .arg(format!("--search-lag={lag}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--search-lag {lag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("search-lag") || err.contains("search_lag"),
            "{err}"
        );
    }
    for rate in ["0", "fast", "-3"] {
        let out = cmd(&sb, &dir.path().join("s.sqlite"))
            .env("INSIGHTLY_REQUESTS_PER_SECOND", rate)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "INSIGHTLY_REQUESTS_PER_SECOND={rate}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("INSIGHTLY_REQUESTS_PER_SECOND"), "{err}");
    }
    assert!(!dir.path().join("s.sqlite").exists(), "nothing was opened");
}

/// A `pending` row left by an earlier run whose create was applied (the process died before
/// it recorded the answer) is found in the target, not created again; under `--strict`, a
/// pending record that is not in the target and would lose data is refused and stays
/// `pending`.
#[test]
fn a_pending_row_from_an_earlier_run_is_looked_up_not_resent() {
    let sb = Sandboxes::start(12, 0);
    let (c, i) = clients(&sb);
    let rt = &sb.runtime;
    let contacts: Vec<Contact> = all(&sb, &c);
    let applied = contacts.iter().find(|c| !c.emails.is_empty()).unwrap();
    let lossy = contacts
        .iter()
        .find(|c| c.emails.len() > 1 && c.id != applied.id)
        .expect("a contact with several emails");
    // The earlier run's create of `applied` reached the target.
    let image = rt
        .block_on(
            i.contacts().create(&NewContact {
                first_name: applied.first_name.clone(),
                last_name: applied.last_name.clone(),
                emails: applied
                    .emails
                    .iter()
                    .take(1)
                    .cloned()
                    .map(|mut e| {
                        e.row_id = None;
                        e
                    })
                    .collect(),
                ..Default::default()
            }),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    {
        let st = State::open(&state, false).unwrap();
        sb.runtime
            .block_on(st.mark_pending("contact", applied.id.as_str(), None))
            .unwrap();
        sb.runtime
            .block_on(st.mark_pending("contact", lossy.id.as_str(), None))
            .unwrap();
    }
    let report = run(
        &sb,
        &state,
        Options {
            strict: true,
            search_lag: vec![Duration::from_secs(1)],
            sleeper: Arc::new(RecordingSleeper::new()),
            ..Default::default()
        },
    );
    let st = State::open(&state, true).unwrap();
    assert_eq!(
        sb.runtime
            .block_on(st.get("contact", applied.id.as_str()))
            .unwrap(),
        Some(Entry::Done(image.id.to_string())),
        "{report:?}"
    );
    assert!(report.resources["contacts"].recovered >= 1, "{report:?}");
    assert!(matches!(
        sb.runtime
            .block_on(st.get("contact", lossy.id.as_str()))
            .unwrap(),
        Some(Entry::Pending { .. })
    ));
    let written: Vec<Contact> = all(&sb, &i);
    let same_name =
        |w: &&Contact| w.first_name == applied.first_name && w.last_name == applied.last_name;
    assert_eq!(written.iter().filter(same_name).count(), 1, "created twice");
    assert!(
        !written
            .iter()
            .any(|w| w.first_name == lossy.first_name && w.last_name == lossy.last_name),
        "--strict wrote a record that loses emails"
    );
}

/// A create the target refuses (a 422, so nothing was written) leaves the row `failed`, not
/// `pending`, although the row was marked `pending` before the request left: only an unknown
/// outcome keeps a row `pending`. A later run sends it again (it fails again, alone).
#[test]
fn a_refused_create_is_failed_not_pending() {
    let sb = Sandboxes::start(3, 0);
    let (c, i) = clients(&sb);
    let long_name = "N".repeat(300);
    let too_long = sb
        .runtime
        .block_on(c.accounts().create(&NewAccount {
            name: long_name.clone(),
            ..Default::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    for run_no in 1..=2 {
        let report = run(&sb, &state, Options::default());
        let accounts = &report.resources["accounts"];
        assert_eq!(accounts.failed.len(), 1, "run {run_no}: {report:?}");
        assert_eq!(accounts.failed[0].source_id, too_long.id.as_str());
        assert!(
            accounts.failed[0].reason.contains("255"),
            "{:?}",
            accounts.failed[0]
        );
        assert_eq!(accounts.pending, 0, "run {run_no}: {report:?}");
        assert_eq!(accounts.ambiguous, 0, "run {run_no}: {report:?}");
        let st = State::open(&state, true).unwrap();
        assert!(
            matches!(
                sb.runtime
                    .block_on(st.get("account", too_long.id.as_str()))
                    .unwrap(),
                Some(Entry::Failed(_))
            ),
            "run {run_no}: {:?}",
            sb.runtime.block_on(st.get("account", too_long.id.as_str()))
        );
    }
    let written: Vec<Account> = all(&sb, &i);
    assert!(!written.iter().any(|a| a.name == long_name));
}
