//! Workers sharing one PostgreSQL state (`--state postgres://…`) against one simulator pair,
//! over a real PostgreSQL server the test starts (`unicrm_state::testing::PgServer`; CI
//! installs Debian's `postgresql`, and a missing server fails the test): two concurrent
//! `unicrm migrate` processes create every source record exactly once; a worker killed
//! mid-run leaves its records to the other, which finishes them after the lease expires,
//! looking in the target before any resend.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{SandboxOptions, Sandboxes};
use unicrm_capsule::CapsuleClient;
use unicrm_core::{
    Account, Contact, Crm, CrmExt, Engagement, ListParams, Note, Opportunity, Project, Record, Task,
};
use unicrm_insightly::InsightlyClient;
use unicrm_state::testing::PgServer;

fn worker(sb: &Sandboxes, state: &str, command: &[&str], out: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("unicrm"))
        .env_remove("RUST_LOG")
        .env_remove("INSIGHTLY_POD")
        .env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .args(command)
        .args(["--from", "capsule", "--to", "insightly", "--state", state])
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn migrate(sb: &Sandboxes, state: &str, out: &Path) -> Child {
    worker(sb, state, &["migrate", "--search-lag", "0.02,0.05"], out)
}

fn last_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(text.lines().last().unwrap_or("null")).unwrap()
}

fn sum(summary: &serde_json::Value, field: &str) -> u64 {
    summary["resources"]
        .as_object()
        .map(|m| m.values().filter_map(|r| r[field].as_u64()).sum())
        .unwrap_or(0)
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

fn count<R: Record>(sb: &Sandboxes, crm: &dyn Crm) -> usize {
    sb.runtime
        .block_on(crm.list_all::<R>(ListParams::new()))
        .unwrap()
        .len()
}

/// Every kind has as many records in the target as at the source (the target starts empty).
fn assert_mirrored_once(sb: &Sandboxes) -> usize {
    let (c, i) = clients(sb);
    let mut total = 0;
    macro_rules! same {
        ($($t:ty),*) => {$(
            let (src, dst) = (count::<$t>(sb, &c), count::<$t>(sb, &i));
            assert_eq!(src, dst, "{}: source {src}, target {dst}", stringify!($t));
            total += dst;
        )*};
    }
    same!(Account, Contact, Opportunity, Task);
    total
}

/// Records of every migrated kind in the target.
fn target_total(sb: &Sandboxes) -> u64 {
    let (_, i) = clients(sb);
    (count::<Account>(sb, &i)
        + count::<Contact>(sb, &i)
        + count::<Opportunity>(sb, &i)
        + count::<Project>(sb, &i)
        + count::<Task>(sb, &i)
        + count::<Note>(sb, &i)
        + count::<Engagement>(sb, &i)) as u64
}

fn pg() -> PgServer {
    PgServer::start()
        .expect("a PostgreSQL server for the tests (Debian: apt-get install postgresql)")
}

fn sandboxes(records: usize) -> Sandboxes {
    Sandboxes::start_opts(SandboxOptions {
        capsule_records: records,
        ..Default::default()
    })
}

/// Runs `sql` on the state database (what a test does in place of waiting for time to pass).
fn sql(sb: &Sandboxes, url: &str, sql: &str) {
    sb.runtime.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = task.await;
    });
}

#[test]
fn two_workers_on_one_postgres_state_create_every_record_once() {
    let pg = pg();
    let sb = sandboxes(150);
    let url = sb.runtime.block_on(pg.create_database("two")).unwrap();
    let before = target_total(&sb);
    let dir = tempfile::tempdir().unwrap();
    let outs = [dir.path().join("a.out"), dir.path().join("b.out")];
    let mut workers: Vec<Child> = outs.iter().map(|o| migrate(&sb, &url, o)).collect();
    for w in &mut workers {
        w.wait().unwrap();
    }
    let summaries: Vec<_> = outs.iter().map(|o| last_json(o)).collect();
    let brief = |v: &serde_json::Value| {
        format!("created {} leased {}", sum(v, "created"), sum(v, "leased"))
    };
    let created: u64 = summaries.iter().map(|s| sum(s, "created")).sum();
    let leased: u64 = summaries.iter().map(|s| sum(s, "leased")).sum();
    // Whatever one worker left to the other (leased) the other wrote: a third run on the
    // same state has nothing to create.
    let third = dir.path().join("c.out");
    let status = migrate(&sb, &url, &third).wait().unwrap();
    let last = last_json(&third);
    assert!(status.success(), "{last}");
    assert_eq!(sum(&last, "created"), 0, "{last}");
    assert_eq!(sum(&last, "recovered"), 0, "{last}");
    let total = assert_mirrored_once(&sb);
    assert!(total > 150, "{total}");
    // Each record was sent once: the creates the target received are the records created.
    let briefs: Vec<String> = summaries.iter().map(brief).collect();
    assert_eq!(created, creates_received(&sb), "{briefs:?}");
    assert_eq!(created, target_total(&sb) - before, "{briefs:?}");
    eprintln!(
        "{{\"workers\":2,\"records\":{total},\"created\":{created},\"leased_by_the_other\":{leased},\"creates_received\":{}}}",
        creates_received(&sb)
    );
}

#[test]
fn a_worker_killed_mid_run_leaves_its_records_to_the_other() {
    let pg = pg();
    let sb = sandboxes(150);
    let url = sb.runtime.block_on(pg.create_database("kill")).unwrap();
    let before = target_total(&sb);
    let dir = tempfile::tempdir().unwrap();
    let (a_out, b_out) = (dir.path().join("a.out"), dir.path().join("b.out"));
    let mut a = migrate(&sb, &url, &a_out);
    let mut b = migrate(&sb, &url, &b_out);
    // A is killed once the target has received some creates (counted, not timed).
    while creates_received(&sb) < 40 {
        if a.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    a.kill().unwrap();
    a.wait().unwrap();
    b.wait().unwrap();
    // The killed worker's leases stand until they expire; expiring them here stands for the
    // time passing. Its `pending` rows make the next run look in the target first.
    sql(
        &sb,
        &url,
        "UPDATE unicrm_leases SET expires_at = now() - interval '1 second'",
    );
    let c_out = dir.path().join("c.out");
    let status = migrate(&sb, &url, &c_out).wait().unwrap();
    let last = last_json(&c_out);
    assert!(status.success(), "{last}");
    assert_eq!(last["complete"], true, "{last}");
    assert_mirrored_once(&sb);
    // No create was sent twice: every create the target received is one record in it.
    assert_eq!(
        creates_received(&sb),
        target_total(&sb) - before,
        "{:?}",
        sb.insightly.stats().per_path
    );
    assert!(
        sum(&last, "recovered") + sum(&last, "created") + sum(&last_json(&b_out), "created") > 0,
        "the other worker finished the run: {last}"
    );
}

#[test]
fn two_sync_workers_on_one_postgres_state_mirror_every_record_once() {
    let pg = pg();
    let sb = sandboxes(60);
    let url = sb.runtime.block_on(pg.create_database("sync")).unwrap();
    let before = target_total(&sb);
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        (worker(&sb, &url, &["sync", "--once"], &out), out)
    };
    let mut workers = vec![run("a.out"), run("b.out")];
    for (w, _) in &mut workers {
        w.wait().unwrap();
    }
    // A cycle with records left to the other worker keeps its checkpoints: one more cycle
    // reads those changes again and finds them mirrored.
    let (mut again, out) = run("c.out");
    assert!(again.wait().unwrap().success());
    let cycle = last_json(&out);
    assert_eq!(cycle["failed"], 0, "{cycle}");
    assert_mirrored_once(&sb);
    assert_eq!(
        creates_received(&sb),
        target_total(&sb) - before,
        "{:?}",
        sb.insightly.stats().per_path
    );
}

fn updates_received(sb: &Sandboxes) -> u64 {
    sb.insightly
        .stats()
        .per_path
        .iter()
        .filter(|(k, _)| k.starts_with("PUT "))
        .map(|(_, n)| *n)
        .sum()
}

#[test]
fn two_sync_workers_on_one_postgres_state_send_each_update_once() {
    let pg = pg();
    let sb = sandboxes(20);
    let url = sb.runtime.block_on(pg.create_database("updates")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        (worker(&sb, &url, &["sync", "--once"], &out), out)
    };
    let once = |name: &str| {
        let (mut w, out) = run(name);
        let status = w.wait().unwrap();
        let cycle = last_json(&out);
        assert!(status.success(), "{cycle}");
        assert_eq!(cycle["failed"], 0, "{cycle}");
        cycle
    };
    // Everything mirrored, then a cycle with nothing new: the records it reads again are
    // the versions their images hold, so it sends no update.
    once("first.out");
    let settled = updates_received(&sb);
    let idle = once("idle.out");
    assert_eq!(
        updates_received(&sb),
        settled,
        "an idle cycle sends no update: {idle} {:?}",
        sb.insightly.stats().per_path
    );

    // Another user edits some people at the source.
    let (capsule, insightly) = clients(&sb);
    let people: Vec<Contact> = sb
        .runtime
        .block_on(capsule.list_all(ListParams::new()))
        .unwrap();
    let edited: Vec<&Contact> = people.iter().take(5).collect();
    sb.runtime.block_on(async {
        for (n, p) in edited.iter().enumerate() {
            let patch = unicrm_core::ContactPatch {
                job_title: unicrm_core::Patch::Set(format!("Mirror {n}")),
                ..Default::default()
            };
            capsule.contacts().update(&p.id, &patch).await.unwrap();
        }
    });
    let before = updates_received(&sb);
    // Two workers on the one state read the same changes; a third cycle reads again what
    // either left to the other (leased).
    let mut workers = vec![run("a.out"), run("b.out")];
    for (w, _) in &mut workers {
        assert!(w.wait().unwrap().success());
    }
    once("c.out");
    assert_eq!(
        updates_received(&sb) - before,
        edited.len() as u64,
        "each edit sent once: {:?} {:?}",
        workers
            .iter()
            .map(|(_, o)| last_json(o))
            .collect::<Vec<_>>(),
        sb.insightly.stats().per_path
    );
    let titles: Vec<Option<String>> = sb
        .runtime
        .block_on(insightly.list_all::<Contact>(ListParams::new()))
        .unwrap()
        .into_iter()
        .map(|c| c.job_title)
        .collect();
    for n in 0..edited.len() {
        let title = format!("Mirror {n}");
        assert_eq!(
            titles
                .iter()
                .filter(|t| t.as_deref() == Some(title.as_str()))
                .count(),
            1,
            "{title} mirrored"
        );
    }
}
