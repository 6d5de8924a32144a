//! Mirror convergence: another user keeps editing the source (Capsule) while `unicrm sync`
//! cycles run against it; once the edits stop, two more cycles leave the target (Insightly)
//! equal to the source on every mirrored field and link: each person's names, job title and
//! organisation, each organisation's name, nobody the source deleted, nobody twice.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::Sandboxes;
use unicrm_capsule::CapsuleClient;
use unicrm_core::{
    Account, AccountPatch, Contact, ContactPatch, Crm, CrmExt, ListParams, NewContact, Patch,
    Record,
};
use unicrm_insightly::InsightlyClient;

fn sync_once(sb: &Sandboxes, state: &Path) -> serde_json::Value {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("unicrm"))
        .env_remove("RUST_LOG")
        .env_remove("INSIGHTLY_POD")
        .env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .args(["sync", "--from", "capsule", "--to", "insightly", "--once"])
        .arg("--state")
        .arg(state)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "sync failed: {stderr}\n{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    let line: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    if line["failed"] != 0 {
        eprintln!("cycle with failures: {line}\n{stderr}");
    }
    line
}

fn clients(sb: &Sandboxes) -> (Arc<CapsuleClient>, InsightlyClient) {
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
    (Arc::new(c), i)
}

fn all<R: Record>(sb: &Sandboxes, crm: &dyn Crm) -> Vec<R> {
    sb.runtime
        .block_on(crm.list_all::<R>(ListParams::new()))
        .unwrap()
}

/// The id map, `(kind, source id) → target id`, for rows that are done.
fn id_map(state: &Path) -> HashMap<(String, String), String> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, source_id, target_id FROM id_map WHERE status = 'done'")
        .unwrap();
    stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// The id map's rows that are not done, with their errors (for failure messages).
fn not_done(state: &Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, source_id, status, error FROM id_map WHERE status != 'done'")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// One edit by "another user" of the source, chosen by `n`: a new job title, a new last
/// name, a move to another organisation, a renamed organisation, a new person in an
/// organisation, or a deletion. Returns whether it was applied (a person deleted in between
/// answers NotFound, which a user would see too).
async fn edit(capsule: &CapsuleClient, n: u64) -> bool {
    let people: Vec<Contact> = capsule
        .list_all::<Contact>(ListParams::new())
        .await
        .unwrap_or_default();
    let orgs: Vec<Account> = capsule
        .list_all::<Account>(ListParams::new())
        .await
        .unwrap_or_default();
    if people.len() < 3 || orgs.is_empty() {
        return false;
    }
    let person = &people[(n as usize * 7) % people.len()];
    let org = &orgs[(n as usize * 3) % orgs.len()];
    let result = match n % 6 {
        0 => {
            let patch = ContactPatch {
                job_title: Patch::Set(format!("Title {n}")),
                ..Default::default()
            };
            capsule
                .contacts()
                .update(&person.id, &patch)
                .await
                .map(drop)
        }
        1 => {
            let patch = ContactPatch {
                last_name: Patch::Set(format!("Renamed{n}")),
                ..Default::default()
            };
            capsule
                .contacts()
                .update(&person.id, &patch)
                .await
                .map(drop)
        }
        2 => {
            let patch = ContactPatch {
                account_id: Patch::Set(org.id.clone()),
                ..Default::default()
            };
            capsule
                .contacts()
                .update(&person.id, &patch)
                .await
                .map(drop)
        }
        3 => {
            let patch = AccountPatch {
                name: Patch::Set(format!("Org {n}")),
                ..Default::default()
            };
            capsule.accounts().update(&org.id, &patch).await.map(drop)
        }
        4 => {
            let new = NewContact {
                first_name: Some(format!("New{n}")),
                last_name: Some("Person".into()),
                account_id: Some(org.id.clone()),
                ..Default::default()
            };
            capsule.contacts().create(&new).await.map(drop)
        }
        _ => capsule.contacts().delete(&person.id).await,
    };
    result.is_ok()
}

#[test]
fn a_mirror_converges_on_every_field_and_link_while_the_source_is_edited() {
    let sb = Sandboxes::start(24, 0);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sync.sqlite");
    let (capsule, insightly) = clients(&sb);

    // The other user edits the source without pause while cycles run.
    let stop = Arc::new(AtomicBool::new(false));
    let applied = Arc::new(AtomicU64::new(0));
    let writer = {
        let (capsule, stop, applied) = (capsule.clone(), stop.clone(), applied.clone());
        sb.runtime.spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                if edit(&capsule, n).await {
                    applied.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let mut during = Vec::new();
    for _ in 0..4 {
        during.push(sync_once(&sb, &state));
    }
    stop.store(true, Ordering::SeqCst);
    sb.runtime.block_on(writer).unwrap();
    let edits = applied.load(Ordering::SeqCst);
    assert!(
        edits >= 6,
        "the writer must have edited the source during the cycles ({edits} edits)"
    );

    // Two quiet cycles: the first catches the last edits, the second proves it is settled.
    let settle = sync_once(&sb, &state);
    let settled = sync_once(&sb, &state);
    // A cycle that runs while the source changes may fail a change (a note on a person deleted
    // a moment later, say); its checkpoint then stays and a later cycle applies it. Once the
    // edits stop, nothing fails.
    for line in [&settle, &settled] {
        assert_eq!(
            line["failed"],
            0,
            "{line} (during the edits: {during:?}); not done: {:?}",
            not_done(&state)
        );
    }
    assert_eq!(settled["deleted"], 0, "{settled}");

    let map = id_map(&state);
    let target_of = |kind: &str, id: &str| map.get(&(kind.to_string(), id.to_string())).cloned();
    let people: Vec<Contact> = all(&sb, capsule.as_ref());
    let orgs: Vec<Account> = all(&sb, capsule.as_ref());
    let images: Vec<Contact> = all(&sb, &insightly);
    let org_images: Vec<Account> = all(&sb, &insightly);
    let by_id: HashMap<&str, &Contact> = images.iter().map(|c| (c.id.as_str(), c)).collect();
    let org_by_id: HashMap<&str, &Account> =
        org_images.iter().map(|a| (a.id.as_str(), a)).collect();

    assert_eq!(
        images.len(),
        people.len(),
        "as many people in the target as in the source (none twice, none the source deleted)"
    );
    assert_eq!(org_images.len(), orgs.len());
    for org in &orgs {
        let tid = target_of("account", org.id.as_str())
            .unwrap_or_else(|| panic!("organisation {} is not mirrored", org.id));
        let image = org_by_id
            .get(tid.as_str())
            .unwrap_or_else(|| panic!("organisation {} has no image {tid}", org.id));
        assert_eq!(image.name, org.name, "organisation {}", org.id);
    }
    for person in &people {
        let tid = target_of("contact", person.id.as_str())
            .unwrap_or_else(|| panic!("person {} is not mirrored", person.id));
        let image = by_id
            .get(tid.as_str())
            .unwrap_or_else(|| panic!("person {} has no image {tid}", person.id));
        assert_eq!(image.first_name, person.first_name, "person {}", person.id);
        assert_eq!(image.last_name, person.last_name, "person {}", person.id);
        assert_eq!(image.job_title, person.job_title, "person {}", person.id);
        let wanted = person
            .account_id
            .as_ref()
            .map(|a| target_of("account", a.as_str()).expect("its organisation is mirrored"));
        assert_eq!(
            image.account_id.as_ref().map(|a| a.as_str().to_string()),
            wanted,
            "person {}'s organisation link",
            person.id
        );
    }
}
