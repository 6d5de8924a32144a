//! The mirror's checkpoint per batch, Capsule → Insightly over both simulators in process.
//!
//! Capsule's change pages are made small (5 records), so one feed is several batches of its
//! change stream; Insightly runs without its rate limits. A cycle saves a resource's
//! checkpoint after each batch it applied in full: a failed change keeps the checkpoint
//! before its batch, and a read failing part-way keeps the checkpoints of the batches before
//! it, so the next cycle reads again only what was not applied.
//!
//! The read failure is injected by a decorator around the real Capsule client (every call goes
//! over HTTP to the simulator; the decorator only ends the contacts' change stream with an
//! error after a set number of batches).

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::crm::ClientStats;
use unicrm_core::error::TransportKind;
use unicrm_core::{
    Account, Capabilities, ChangeSet, ChangeStream, Checkpoint, Contact, ContactId, ContactPatch,
    Crm, CrmExt, CustomFieldDefinition, Engagement, EngagementType, FieldDefinition, Lead,
    ListParams, NewContact, Note, Opportunity, Page, Patch, Pipeline, Project, Resource,
    ResourceKind, Result, Task, User,
};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{
    CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, InsightlySim, InsightlySimHandle,
    InsightlySimOptions, SeedOptions,
};
use unicrm_state::sqlite::SqliteStore;

use super::mirror::{Cycle, Deletes};
use super::state::{State, StateStore};
use super::{Migrator, Options};

const KEY: &str = "sync_checkpoint:contact";

/// Capsule's contacts, whose change stream ends with an error after `batches` batches while
/// `batches` is set (`usize::MAX`: never), and starts with `prefix` when one is set (a batch
/// the feed reports before its own, taken once).
struct FlakyContacts {
    inner: Arc<CapsuleClient>,
    batches: Arc<AtomicUsize>,
    prefix: Arc<Mutex<Option<ChangeSet<Contact, ContactId>>>>,
}

#[async_trait]
impl Resource<Contact> for FlakyContacts {
    fn vendor(&self) -> &str {
        self.inner.contacts().vendor()
    }
    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        self.inner.contacts().list(params).await
    }
    async fn get(&self, id: &ContactId) -> Result<Contact> {
        self.inner.contacts().get(id).await
    }
    async fn create(&self, new: &NewContact) -> Result<Contact> {
        self.inner.contacts().create(new).await
    }
    async fn update(&self, id: &ContactId, patch: &ContactPatch) -> Result<Contact> {
        self.inner.contacts().update(id, patch).await
    }
    async fn delete(&self, id: &ContactId) -> Result<()> {
        self.inner.contacts().delete(id).await
    }
    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        self.inner.contacts().changes_since(checkpoint).await
    }
    fn change_stream(&self, checkpoint: Checkpoint) -> ChangeStream<'_, Contact> {
        let allowed = self.batches.load(Ordering::SeqCst);
        let inner = self.inner.contacts().change_stream(checkpoint);
        let failure = futures::stream::once(async {
            Err(unicrm_core::Error::Transport {
                kind: TransportKind::Connect,
                message: "the injected failure after the allowed batches".into(),
                source: None,
            })
        });
        let inner = if allowed == usize::MAX {
            inner
        } else {
            inner.take(allowed).chain(failure).boxed()
        };
        match self.prefix.lock().unwrap().take() {
            Some(first) => futures::stream::once(async { Ok(first) })
                .chain(inner)
                .boxed(),
            None => inner,
        }
    }
}

/// The Capsule client with [`FlakyContacts`] in place of its contacts.
struct Flaky {
    inner: Arc<CapsuleClient>,
    contacts: FlakyContacts,
}

#[async_trait]
impl Crm for Flaky {
    fn vendor(&self) -> &str {
        self.inner.vendor()
    }
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }
    fn contacts(&self) -> &dyn Resource<Contact> {
        &self.contacts
    }
    fn accounts(&self) -> &dyn Resource<Account> {
        self.inner.accounts()
    }
    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        self.inner.opportunities()
    }
    fn tasks(&self) -> &dyn Resource<Task> {
        self.inner.tasks()
    }
    fn notes(&self) -> &dyn Resource<Note> {
        self.inner.notes()
    }
    fn users(&self) -> &dyn Resource<User> {
        self.inner.users()
    }
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        self.inner.pipelines()
    }
    fn leads(&self) -> &dyn Resource<Lead> {
        self.inner.leads()
    }
    fn projects(&self) -> &dyn Resource<Project> {
        self.inner.projects()
    }
    fn engagements(&self) -> &dyn Resource<Engagement> {
        self.inner.engagements()
    }
    fn engagement_types(&self) -> &dyn Resource<EngagementType> {
        self.inner.engagement_types()
    }
    fn field_definitions(&self) -> &dyn Resource<FieldDefinition> {
        self.inner.field_definitions()
    }
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        self.inner.custom_field_definitions(kind).await
    }
    async fn current_user(&self) -> Result<User> {
        self.inner.current_user().await
    }
    fn stats(&self) -> ClientStats {
        self.inner.stats()
    }
    fn base_url(&self) -> Option<&url::Url> {
        self.inner.base_url()
    }
    fn extension_of(&self, type_id: TypeId) -> Option<&(dyn std::any::Any + Send + Sync)> {
        self.inner.extension_of(type_id)
    }
}

struct Setup {
    capsule_sim: CapsuleSimHandle,
    insightly_sim: InsightlySimHandle,
    source: Flaky,
    batches: Arc<AtomicUsize>,
    prefix: Arc<Mutex<Option<ChangeSet<Contact, ContactId>>>>,
    target: InsightlyClient,
    store: Arc<dyn StateStore>,
    _dir: tempfile::TempDir,
}

async fn setup(people: usize) -> Setup {
    let capsule_sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 11,
            records: people,
        },
        hourly_budget: 1_000_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let insightly_sim = InsightlySim::start(InsightlySimOptions {
        requests_per_second: 0,
        daily_quota: 1_000_000,
        seed: SeedOptions {
            seed: 11,
            records: 0,
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let capsule = CapsuleClient::builder()
        .base_url(capsule_sim.base_url.as_str())
        .personal_access_token(capsule_sim.token.clone())
        .change_page_size(5)
        .build()
        .unwrap();
    let target = InsightlyClient::builder()
        .base_url(insightly_sim.base_url.as_str())
        .api_key(insightly_sim.api_key.clone())
        .build()
        .unwrap();
    let batches = Arc::new(AtomicUsize::new(usize::MAX));
    let prefix = Arc::new(Mutex::new(None));
    let inner = Arc::new(capsule);
    let source = Flaky {
        inner: inner.clone(),
        contacts: FlakyContacts {
            inner,
            batches: batches.clone(),
            prefix: prefix.clone(),
        },
    };
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn StateStore> =
        Arc::new(SqliteStore::open(&dir.path().join("sync.sqlite"), false).unwrap());
    Setup {
        capsule_sim,
        insightly_sim,
        source,
        batches,
        prefix,
        target,
        store,
        _dir: dir,
    }
}

impl Setup {
    /// Cycle `n` of a fresh worker on the shared state.
    async fn cycle(&self, n: u64) -> std::result::Result<Cycle, crate::exit::CliError> {
        let mut m = Migrator::new(
            &self.source,
            &self.target,
            State::from_store(self.store.clone()),
            Options::default(),
        );
        m.sync_cycle(n, Deletes::Propagate, &AtomicBool::new(false))
            .await
    }

    async fn checkpoint(&self) -> Option<String> {
        self.store.meta(KEY).await.unwrap()
    }

    async fn people(&self) -> Vec<Contact> {
        self.source
            .inner
            .list_all::<Contact>(ListParams::new())
            .await
            .unwrap()
    }

    async fn mirrored(&self) -> Vec<Contact> {
        self.target
            .list_all::<Contact>(ListParams::new())
            .await
            .unwrap()
    }

    /// Another user edits the first twelve people (three batches of upserts) and deletes the
    /// twentieth, whose image the target refuses to delete: the people before the edits,
    /// and that image's id.
    async fn edit_twelve_and_delete_one_the_target_keeps(&self) -> (Vec<Contact>, String) {
        let people = self.people().await;
        for p in &people[..12] {
            let patch = ContactPatch {
                job_title: Patch::Set(format!("Edited {}", p.id)),
                ..Default::default()
            };
            let contacts = self.source.inner.contacts();
            contacts.update(&p.id, &patch).await.unwrap();
        }
        let gone = &people[19];
        let state = State::from_store(self.store.clone());
        let Some(super::state::Entry::Done(kept)) =
            state.get("contact", gone.id.as_str()).await.unwrap()
        else {
            panic!("{} was mirrored", gone.id);
        };
        assert!(
            self.insightly_sim
                .fail_deletes_of("Contacts", kept.parse().unwrap())
        );
        self.source.inner.contacts().delete(&gone.id).await.unwrap();
        (people, kept)
    }
}

fn names(contacts: &[Contact]) -> Vec<String> {
    let mut out: Vec<String> = contacts
        .iter()
        .map(|c| format!("{:?} {:?}", c.first_name, c.last_name))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_read_failing_part_way_keeps_the_batches_applied_and_the_next_cycle_reads_only_the_rest()
{
    let s = setup(3).await;
    let first = s.cycle(1).await.unwrap();
    assert_eq!(first.failed, 0, "{first:?}");
    let clean = s
        .checkpoint()
        .await
        .expect("a clean cycle saves the checkpoint");

    // Another user adds 20 people: with pages of 5, four batches of upserts.
    for i in 0..20 {
        let new = NewContact {
            first_name: Some(format!("Batch{i:02}")),
            last_name: Some("Person".into()),
            ..Default::default()
        };
        s.source.inner.contacts().create(&new).await.unwrap();
    }
    // The contacts' read fails after its second batch.
    s.batches.store(2, Ordering::SeqCst);
    let failed = s.cycle(2).await;
    assert!(
        failed.is_err(),
        "the failed read ends the cycle: {failed:?}"
    );
    let part = s.checkpoint().await.unwrap();
    assert_ne!(part, clean, "the batches applied moved the checkpoint");
    let mirrored = s.mirrored().await;
    assert_eq!(
        mirrored.len(),
        3 + 10,
        "two batches of five applied before the failure: {:?}",
        names(&mirrored)
    );

    // The next cycle resumes after those two batches: the ten applied are not read again.
    s.batches.store(usize::MAX, Ordering::SeqCst);
    let next = s.cycle(3).await.unwrap();
    assert_eq!(next.failed, 0, "{next:?}");
    assert_eq!(next.upserted, 10, "only the unread half: {next:?}");
    assert_eq!(next.unchanged, 0, "nothing read twice: {next:?}");
    let mirrored = s.mirrored().await;
    assert_eq!(
        names(&mirrored),
        names(&s.people().await),
        "the target ends equal to the source, nobody twice"
    );
    // And a quiet cycle writes nothing.
    let quiet = s.cycle(4).await.unwrap();
    assert_eq!((quiet.upserted, quiet.failed), (0, 0), "{quiet:?}");
    let _ = (&s.capsule_sim, &s.insightly_sim);
}

#[tokio::test]
async fn a_failed_change_keeps_the_checkpoint_before_its_batch_and_later_batches_still_apply() {
    let s = setup(20).await;
    let first = s.cycle(1).await.unwrap();
    assert_eq!(first.failed, 0, "{first:?}");
    let clean = s.checkpoint().await.unwrap();

    // Twelve edits (three batches of upserts), then a deletion the target refuses (the
    // deletions are the feed's last batch).
    let (people, kept) = s.edit_twelve_and_delete_one_the_target_keeps().await;
    let state = State::from_store(s.store.clone());

    let second = s.cycle(2).await.unwrap();
    assert_eq!((second.upserted, second.failed), (12, 1), "{second:?}");
    let after_edits = s.checkpoint().await.unwrap();
    assert_ne!(
        after_edits, clean,
        "the batches of edits moved the checkpoint"
    );

    // The next cycle reads only the batch that failed: no edit again, the deletion again.
    let third = s.cycle(3).await.unwrap();
    assert_eq!(
        (third.upserted, third.unchanged, third.failed, third.deleted),
        (0, 0, 1, 0),
        "{third:?}"
    );
    assert_eq!(
        s.checkpoint().await.unwrap(),
        after_edits,
        "a failing batch never moves the checkpoint"
    );
    let mirrored = s.mirrored().await;
    assert!(mirrored.iter().any(|c| c.id.as_str() == kept));
    for p in &people[..12] {
        let Some(super::state::Entry::Done(t)) = state.get("contact", p.id.as_str()).await.unwrap()
        else {
            panic!("{} is mirrored", p.id);
        };
        let image = mirrored.iter().find(|c| c.id.as_str() == t).unwrap();
        assert_eq!(
            image.job_title.as_deref(),
            Some(format!("Edited {}", p.id).as_str())
        );
    }
    let _ = &s.capsule_sim;
}

/// The rule across batches: once a change failed, no later batch's checkpoint is saved (it
/// would pass the failed change), though the later batches are still applied. The feed here
/// reports a deletion the target refuses in a batch of its own before the edits.
#[tokio::test]
async fn after_a_failed_batch_later_batches_apply_but_their_checkpoints_are_not_saved() {
    let s = setup(20).await;
    assert_eq!(s.cycle(1).await.unwrap().failed, 0);
    let clean = s.checkpoint().await.unwrap();

    let (people, _) = s.edit_twelve_and_delete_one_the_target_keeps().await;
    let gone = &people[19];
    let from: Checkpoint = serde_json::from_str(&clean).unwrap();
    *s.prefix.lock().unwrap() = Some(ChangeSet {
        changes: vec![unicrm_core::Change::Deleted {
            id: gone.id.clone(),
            deleted_at: None,
        }],
        next: from,
    });

    let second = s.cycle(2).await.unwrap();
    // The deletion fails twice: in the first batch and in the feed's own last one.
    assert_eq!((second.upserted, second.failed), (12, 2), "{second:?}");
    assert_eq!(
        s.checkpoint().await.unwrap(),
        clean,
        "no checkpoint after the failed first batch was saved"
    );
    // The edits were applied all the same; the next cycle reads them again and sends nothing.
    let third = s.cycle(3).await.unwrap();
    assert_eq!(
        (third.upserted, third.unchanged, third.failed),
        (0, 12, 1),
        "{third:?}"
    );
}

/// Two workers on one state: one read a record before the other applied a later edit of it,
/// and reaches the record last. Its older version is not sent (it would overwrite the later
/// edit, and the shared checkpoint has passed that edit, so no feed would bring it back).
#[tokio::test]
async fn an_older_version_never_overwrites_a_newer_one_another_worker_applied() {
    let s = setup(3).await;
    assert_eq!(s.cycle(1).await.unwrap().failed, 0);
    let older = s.people().await.remove(0);
    s.capsule_sim
        .clock()
        .advance(std::time::Duration::from_secs(5));
    let patch = ContactPatch {
        job_title: Patch::Set("Newer".into()),
        ..Default::default()
    };
    let newer = s
        .source
        .inner
        .contacts()
        .update(&older.id, &patch)
        .await
        .unwrap();
    assert!(newer.updated_at > older.updated_at, "the edit is later");
    let second = s.cycle(2).await.unwrap();
    assert_eq!(second.upserted, 1, "{second:?}");

    // The slow worker applies the version it read before the edit.
    let mut slow = Migrator::new(
        &s.source,
        &s.target,
        State::from_store(s.store.clone()),
        Options::default(),
    );
    let mut cycle = Cycle::default();
    let wrote = slow
        .upsert::<Contact>("contacts", &older, &mut cycle)
        .await
        .unwrap();
    assert!(!wrote, "nothing sent");
    assert_eq!(cycle.unchanged, 1, "{cycle:?}");
    let state = State::from_store(s.store.clone());
    let Some(super::state::Entry::Done(t)) = state.get("contact", older.id.as_str()).await.unwrap()
    else {
        panic!("mirrored");
    };
    let image = s
        .target
        .contacts()
        .get(&ContactId::from(t.as_str()))
        .await
        .unwrap();
    assert_eq!(
        image.job_title.as_deref(),
        Some("Newer"),
        "the later edit holds"
    );

    // A version as new as the held one but different (an edit within the vendor clock's
    // second) is still sent.
    let same_second = Contact {
        job_title: Some("Same second".into()),
        ..newer.clone()
    };
    let mut cycle = Cycle::default();
    assert!(
        slow.upsert::<Contact>("contacts", &same_second, &mut cycle)
            .await
            .unwrap()
    );
    let image = s
        .target
        .contacts()
        .get(&ContactId::from(t.as_str()))
        .await
        .unwrap();
    assert_eq!(image.job_title.as_deref(), Some("Same second"));
}

/// A mirrored update leaves alone what the source does not keep: Capsule keeps no links on a
/// person, and the links that mirrored opportunities, tasks and notes made to the Insightly
/// contact stay after the person is edited.
#[tokio::test]
async fn an_update_keeps_the_links_other_mirrored_records_made_to_the_image() {
    let s = setup(6).await;
    assert_eq!(s.cycle(1).await.unwrap().failed, 0);
    let links_of = |cs: &[Contact]| {
        let mut out: Vec<(String, Vec<String>)> = cs
            .iter()
            .map(|c| {
                let mut l: Vec<String> = c.links.iter().map(|l| format!("{l:?}")).collect();
                l.sort();
                (c.id.to_string(), l)
            })
            .collect();
        out.sort();
        out
    };
    let before = links_of(&s.mirrored().await);
    assert!(
        before.iter().any(|(_, l)| !l.is_empty()),
        "the seed links records to people: {before:?}"
    );
    for p in s.people().await {
        let patch = ContactPatch {
            job_title: Patch::Set(format!("Edited {}", p.id)),
            ..Default::default()
        };
        s.source
            .inner
            .contacts()
            .update(&p.id, &patch)
            .await
            .unwrap();
    }
    let second = s.cycle(2).await.unwrap();
    assert_eq!((second.upserted, second.failed), (6, 0), "{second:?}");
    let after = s.mirrored().await;
    assert!(after.iter().all(|c| c.job_title.is_some()));
    assert_eq!(links_of(&after), before, "no link was removed");
}
