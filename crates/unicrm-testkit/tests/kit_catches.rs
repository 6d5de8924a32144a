//! The kit's checks can fail: each runs against a small in-memory CRM (a test double of a
//! *vendor plus adapter*, for testing the kit itself, never an adapter) with one bug switched
//! on, and must name it. With no bug on, the same checks pass.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use unicrm_core::crm::{ClientStats, UnsupportedResource};
use unicrm_core::*;
use unicrm_testkit::checks::{errors, feed, paging, reads, stream, unsupported, writes};
use unicrm_testkit::{
    CheckRecord, ConvergenceOptions, Failure, Harness, HarnessError, Outcome, VendorRecord,
};

#[derive(Debug, Clone, Copy, Default)]
struct Bugs {
    ignore_page_size: bool,
    stream_drops_last: bool,
    update_clobbers_first_name: bool,
    delete_does_nothing: bool,
    create_despite_capability: bool,
    feed_invents_deletion: bool,
    feed_loses_updates: bool,
    wrong_not_found: bool,
    feed_reports_unknown_deletion: bool,
    feed_never_reports_deletions: bool,
    caps_say_no_deletions: bool,
    stream_resume_skips_a_page: bool,
    stream_invents_deletion: bool,
}

/// A mid-way checkpoint of the double's change stream (the window's start version, the ids
/// it knows, the version when the window began, the last id listed).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Mid {
    v: u64,
    ids: BTreeSet<u64>,
    top: u64,
    after: u64,
}

/// Rows per batch of the double's change stream.
const STREAM_PAGE: usize = 4;

#[derive(Default)]
struct Store {
    rows: BTreeMap<u64, Contact>,
    next: u64,
    /// Version counter, bumped on every write; `versions` holds each row's last one.
    version: u64,
    versions: BTreeMap<u64, u64>,
}

impl Store {
    fn bump(&mut self, id: u64) {
        self.version += 1;
        self.versions.insert(id, self.version);
    }
}

struct Mem {
    store: Mutex<Store>,
    bugs: Bugs,
    caps: Capabilities,
    none: UnsupportedResource,
    requests: AtomicU64,
}

fn mem(bugs: Bugs, records: u64) -> Arc<Mem> {
    let mut store = Store {
        next: 1,
        ..Store::default()
    };
    for _ in 0..records {
        let id = store.next;
        store.next += 1;
        store.bump(id);
        store.rows.insert(
            id,
            Contact {
                id: id.into(),
                first_name: Some(format!("P{id}")),
                job_title: Some("seed".into()),
                ..Default::default()
            },
        );
    }
    let mut contact = ResourceCapabilities {
        deletions: if bugs.caps_say_no_deletions {
            DeletionDetection::None
        } else {
            DeletionDetection::IdScan
        },
        ..ResourceCapabilities::crud(100, NewContact::FIELDS.iter().copied())
    };
    contact.operations.changes = true;
    contact.operations.create = !bugs.create_despite_capability;
    Arc::new(Mem {
        store: Mutex::new(store),
        bugs,
        caps: Capabilities::new("mem").with(ResourceKind::Contact, contact),
        none: UnsupportedResource::new("mem"),
        requests: AtomicU64::new(0),
    })
}

fn nf(id: &ContactId) -> Error {
    Error::NotFound {
        message: format!("contact {id}"),
    }
}

#[async_trait]
impl Resource<Contact> for Mem {
    fn vendor(&self) -> &str {
        "mem"
    }
    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        if params.search.is_some() || params.updated_since.is_some() || params.of.is_some() {
            return Err(Error::unsupported("contact.list filters", "mem"));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let st = self.store.lock().unwrap();
        let mut all: Vec<Contact> = st.rows.values().cloned().collect();
        if self.bugs.stream_drops_last {
            all.pop();
        }
        let size = if self.bugs.ignore_page_size {
            100
        } else {
            params.page_size.unwrap_or(100).min(100) as usize
        };
        let start: usize = params
            .cursor
            .as_ref()
            .map_or(0, |c| c.as_str().parse().unwrap_or(0));
        let items: Vec<Contact> = all.iter().skip(start).take(size).cloned().collect();
        let end = start + items.len();
        let next = (end < all.len()).then(|| Cursor::new(end.to_string()));
        Ok(Page {
            items,
            next,
            total: None,
        })
    }
    async fn get(&self, id: &ContactId) -> Result<Contact> {
        let st = self.store.lock().unwrap();
        match st.rows.get(&id.as_u64().unwrap_or(0)) {
            Some(c) => Ok(c.clone()),
            None if self.bugs.wrong_not_found => Err(Error::validation("no such contact")),
            None => Err(nf(id)),
        }
    }
    async fn create(&self, new: &NewContact) -> Result<Contact> {
        if !new.tags.is_empty() || !new.custom_fields.is_empty() {
            return Err(Error::unsupported("contact tags and custom fields", "mem"));
        }
        let mut st = self.store.lock().unwrap();
        let id = st.next;
        st.next += 1;
        st.bump(id);
        let mut c = Contact {
            id: id.into(),
            ..Default::default()
        };
        ContactPatch::from(new.clone()).apply(&mut c);
        st.rows.insert(id, c.clone());
        Ok(c)
    }
    async fn update(&self, id: &ContactId, patch: &ContactPatch) -> Result<Contact> {
        if !patch.tags.is_unchanged() || !patch.custom_fields.is_unchanged() {
            return Err(Error::unsupported("contact tags and custom fields", "mem"));
        }
        let mut st = self.store.lock().unwrap();
        let key = id.as_u64().unwrap_or(0);
        let c = st.rows.get_mut(&key).ok_or_else(|| nf(id))?;
        patch.clone().apply(c);
        if self.bugs.update_clobbers_first_name {
            c.first_name = None;
        }
        let c = c.clone();
        st.bump(key);
        Ok(c)
    }
    async fn delete(&self, id: &ContactId) -> Result<()> {
        if self.bugs.delete_does_nothing {
            return Ok(());
        }
        let mut st = self.store.lock().unwrap();
        st.rows
            .remove(&id.as_u64().unwrap_or(0))
            .map(drop)
            .ok_or_else(|| nf(id))
    }
    /// The checkpoint state is the last version seen and the ids seen: upserts are rows with
    /// a newer version, deletions the seen ids that are gone.
    /// A batch per [`STREAM_PAGE`] rows changed since the window's start version, in id order;
    /// deletions (ids known and gone) with the last page.
    fn change_stream(&self, cp: Checkpoint) -> ChangeStream<'_, Contact> {
        let mid = cp
            .state
            .clone()
            .and_then(|s| serde_json::from_value::<Mid>(s).ok())
            .unwrap_or_else(|| {
                let (v, ids): (u64, BTreeSet<u64>) = cp
                    .state
                    .clone()
                    .and_then(|s| serde_json::from_value(s).ok())
                    .unwrap_or_default();
                let top = self.store.lock().unwrap().version;
                Mid {
                    v,
                    ids,
                    top,
                    after: 0,
                }
            });
        let at = cp.at;
        futures::stream::unfold(Some(mid), move |state| async move {
            let mut mid = state?;
            let st = self.store.lock().unwrap();
            let changed: Vec<&Contact> = st
                .rows
                .range(mid.after + 1..)
                .filter(|(id, _)| st.versions[*id] > mid.v)
                .map(|(_, c)| c)
                .collect();
            let page: Vec<&Contact> = changed.iter().take(STREAM_PAGE).copied().collect();
            let mut changes: Vec<Change<Contact, ContactId>> = page
                .iter()
                .map(|c| Change::Upserted {
                    record: (*c).clone(),
                })
                .collect();
            mid.ids.extend(page.iter().filter_map(|c| c.id.as_u64()));
            if changed.len() > STREAM_PAGE {
                let id_at = |n: usize| changed.get(n - 1).and_then(|c| c.id.as_u64());
                if self.bugs.stream_invents_deletion && mid.after > 0 {
                    if let Some(id) = st.rows.keys().next() {
                        changes.push(Change::Deleted {
                            id: (*id).into(),
                            deleted_at: None,
                        });
                    }
                }
                mid.after = id_at(STREAM_PAGE).unwrap_or(u64::MAX);
                let mut saved = Mid {
                    ids: mid.ids.clone(),
                    ..mid
                };
                // The bug: the saved cursor lands a page too far (the stream itself reads on
                // correctly; only a resume skips).
                if self.bugs.stream_resume_skips_a_page {
                    saved.after = id_at(2 * STREAM_PAGE).unwrap_or(mid.after);
                }
                let next = Checkpoint {
                    at,
                    state: Some(serde_json::to_value(&saved).unwrap()),
                };
                return Some((Ok(ChangeSet { changes, next }), Some(mid)));
            }
            for id in &mid.ids {
                if !st.rows.contains_key(id) {
                    changes.push(Change::Deleted {
                        id: (*id).into(),
                        deleted_at: None,
                    });
                }
            }
            let ids: BTreeSet<u64> = st.rows.keys().copied().collect();
            let next = Checkpoint {
                at,
                state: Some(serde_json::to_value((mid.top, ids)).unwrap()),
            };
            Some((Ok(ChangeSet { changes, next }), None))
        })
        .boxed()
    }

    async fn changes_since(&self, cp: &Checkpoint) -> Result<ChangeSet<Contact, ContactId>> {
        let st = self.store.lock().unwrap();
        let (seen_v, seen_ids): (u64, BTreeSet<u64>) = match &cp.state {
            Some(s) => serde_json::from_value(s.clone()).unwrap_or_default(),
            None => (0, BTreeSet::new()),
        };
        let mut changes = Vec::new();
        for (id, c) in &st.rows {
            let v = st.versions[id];
            // Loses every third update of a record the feed already reported.
            let lost = self.bugs.feed_loses_updates && seen_ids.contains(id) && v % 3 == 0;
            if v > seen_v && !lost {
                changes.push(Change::Upserted { record: c.clone() });
            }
        }
        for id in &seen_ids {
            if !st.rows.contains_key(id) && !self.bugs.feed_never_reports_deletions {
                changes.push(Change::Deleted {
                    id: (*id).into(),
                    deleted_at: None,
                });
            }
        }
        if self.bugs.feed_invents_deletion && seen_v > 0 {
            if let Some(id) = st.rows.keys().next() {
                changes.push(Change::Deleted {
                    id: (*id).into(),
                    deleted_at: None,
                });
            }
        }
        if self.bugs.feed_reports_unknown_deletion {
            changes.push(Change::Deleted {
                id: 999_999u64.into(),
                deleted_at: None,
            });
        }
        let ids: BTreeSet<u64> = st.rows.keys().copied().collect();
        Ok(ChangeSet {
            changes,
            next: Checkpoint {
                at: cp.at,
                state: Some(serde_json::to_value((st.version, ids)).unwrap()),
            },
        })
    }
}

#[async_trait]
impl Crm for Mem {
    fn vendor(&self) -> &str {
        "mem"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
    fn contacts(&self) -> &dyn Resource<Contact> {
        self
    }
    fn accounts(&self) -> &dyn Resource<Account> {
        &self.none
    }
    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        &self.none
    }
    fn tasks(&self) -> &dyn Resource<Task> {
        &self.none
    }
    fn notes(&self) -> &dyn Resource<Note> {
        &self.none
    }
    fn users(&self) -> &dyn Resource<User> {
        &self.none
    }
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.none
    }
    fn leads(&self) -> &dyn Resource<Lead> {
        &self.none
    }
    async fn custom_field_definitions(
        &self,
        _: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        Ok(Vec::new())
    }
    async fn current_user(&self) -> Result<User> {
        Ok(User::default())
    }
    fn stats(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.load(Ordering::Relaxed),
            ..ClientStats::default()
        }
    }
}

/// The harness: the store is the vendor's truth; the other user writes straight into it.
struct MemHarness(Arc<Mem>);

#[async_trait]
impl Harness for MemHarness {
    fn vendor(&self) -> &str {
        "mem"
    }
    async fn reset(&self) -> Result<(), HarnessError> {
        Ok(())
    }
    async fn connect(&self) -> Result<Arc<dyn Crm>, HarnessError> {
        Ok(self.0.clone())
    }
    async fn vendor_records(
        &self,
        kind: &ResourceKind,
    ) -> Result<Option<Vec<VendorRecord>>, HarnessError> {
        if *kind != ResourceKind::Contact {
            return Ok(None);
        }
        let st = self.0.store.lock().unwrap();
        Ok(Some(
            st.rows
                .values()
                .map(|c| VendorRecord {
                    id: c.id.to_string(),
                    marker: c.job_title.clone(),
                })
                .collect(),
        ))
    }
    fn other_user_kinds(&self) -> Vec<ResourceKind> {
        vec![ResourceKind::Contact]
    }
    async fn other_user_create(
        &self,
        _: &ResourceKind,
        marker: &str,
    ) -> Result<String, HarnessError> {
        let mut st = self.0.store.lock().unwrap();
        let id = st.next;
        st.next += 1;
        st.bump(id);
        st.rows.insert(
            id,
            Contact {
                id: id.into(),
                job_title: Some(marker.into()),
                ..Default::default()
            },
        );
        Ok(id.to_string())
    }
    async fn other_user_update(
        &self,
        _: &ResourceKind,
        id: &str,
        marker: &str,
    ) -> Result<(), HarnessError> {
        let mut st = self.0.store.lock().unwrap();
        let key: u64 = id.parse().unwrap_or(0);
        if let Some(c) = st.rows.get_mut(&key) {
            c.job_title = Some(marker.into());
        }
        st.bump(key);
        Ok(())
    }
    async fn other_user_delete(&self, _: &ResourceKind, id: &str) -> Result<(), HarnessError> {
        let mut st = self.0.store.lock().unwrap();
        st.rows.remove(&id.parse().unwrap_or(0));
        Ok(())
    }
}

#[track_caller]
fn fails_with(r: Result<CheckRecord, Failure>, words: &str) {
    match r {
        Err(f) => {
            let text = f.to_string();
            assert!(text.starts_with("[mem] contact / "), "{text}");
            assert!(text.contains(words), "expected {words:?} in: {text}");
        }
        Ok(line) => panic!("the check passed, but the bug should fail it: {line:?}"),
    }
}

#[track_caller]
fn passes(r: Result<CheckRecord, Failure>) {
    match r {
        Ok(line) => assert!(matches!(line.outcome, Outcome::Passed { .. }), "{line:?}"),
        Err(f) => panic!("{f}"),
    }
}

fn quick() -> ConvergenceOptions {
    ConvergenceOptions {
        writes: 40,
        latency: std::time::Duration::ZERO,
        write_pause: std::time::Duration::from_millis(1),
        ..ConvergenceOptions::default()
    }
}

fn with(f: impl FnOnce(&mut Bugs)) -> Bugs {
    let mut b = Bugs::default();
    f(&mut b);
    b
}

#[tokio::test]
async fn a_correct_crm_passes_every_check() {
    let m = mem(Bugs::default(), 10);
    let h = MemHarness(m.clone());
    passes(reads::check_reads::<Contact>(m.as_ref(), &h).await);
    passes(paging::check_paging::<Contact>(m.as_ref()).await);
    passes(paging::check_stream::<Contact>(m.as_ref(), &h).await);
    passes(writes::check_round_trip::<Contact>(m.as_ref(), 1).await);
    passes(errors::check_not_found::<Contact>(m.as_ref(), &h).await);
    passes(feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await);
    // Accounts are all false: every probe answers Unsupported without a request.
    passes(unsupported::check_unsupported::<Account>(m.as_ref(), &h).await);
    let options = unicrm_testkit::SuiteOptions {
        convergence_options: quick(),
        ..Default::default()
    };
    let report = unicrm_testkit::run(&h, &options).await.unwrap();
    report.assert_passed();
    assert!(
        report.has_passed("contact", "change-feed convergence"),
        "{report}"
    );
}

#[tokio::test]
async fn an_ignored_page_size_fails_paging_and_reads() {
    let m = mem(with(|b| b.ignore_page_size = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        paging::check_paging::<Contact>(m.as_ref()).await,
        "page size is not honoured",
    );
    fails_with(
        reads::check_reads::<Contact>(m.as_ref(), &h).await,
        "page size is ignored",
    );
}

#[tokio::test]
async fn a_stream_missing_a_seeded_record_fails() {
    let m = mem(with(|b| b.stream_drops_last = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        paging::check_stream::<Contact>(m.as_ref(), &h).await,
        "missing [\"10\"]",
    );
}

#[tokio::test]
async fn a_patch_that_touches_another_field_fails() {
    let m = mem(with(|b| b.update_clobbers_first_name = true), 3);
    fails_with(
        writes::check_round_trip::<Contact>(m.as_ref(), 1).await,
        "changed other fields",
    );
}

#[tokio::test]
async fn a_delete_that_leaves_the_record_fails() {
    let m = mem(with(|b| b.delete_does_nothing = true), 3);
    fails_with(
        writes::check_round_trip::<Contact>(m.as_ref(), 1).await,
        "must answer NotFound",
    );
}

#[tokio::test]
async fn a_write_the_capabilities_deny_fails() {
    let m = mem(with(|b| b.create_despite_capability = true), 3);
    let h = MemHarness(m.clone());
    fails_with(
        unsupported::check_unsupported::<Contact>(m.as_ref(), &h).await,
        "create (empty): the capability is false",
    );
}

#[tokio::test]
async fn a_wrong_404_kind_fails() {
    let m = mem(with(|b| b.wrong_not_found = true), 3);
    let h = MemHarness(m.clone());
    fails_with(
        errors::check_not_found::<Contact>(m.as_ref(), &h).await,
        "must answer NotFound",
    );
}

#[tokio::test]
async fn an_invented_deletion_fails_convergence() {
    let m = mem(with(|b| b.feed_invents_deletion = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await,
        "invented deletions [\"",
    );
}

#[tokio::test]
async fn lost_updates_fail_convergence() {
    let m = mem(with(|b| b.feed_loses_updates = true), 10);
    let h = MemHarness(m.clone());
    let f = feed::converge::<Contact>(m.as_ref(), &h, &quick())
        .await
        .unwrap();
    assert!(!f.converged(), "{}", f.summary());
    assert!(!f.stale.is_empty(), "{}", f.summary());
    // The judged check, on a fresh store (the same writes, so the same losses).
    let m = mem(with(|b| b.feed_loses_updates = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await,
        "stale (id, replica, vendor) [(\"",
    );
}

#[tokio::test]
async fn unreported_deletions_leave_ghosts_and_fail() {
    let m = mem(with(|b| b.feed_never_reports_deletions = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await,
        "ghosts [\"",
    );
}

#[tokio::test]
async fn ghosts_are_allowed_when_the_capabilities_say_deletions_are_not_reported() {
    let m = mem(
        with(|b| {
            b.feed_never_reports_deletions = true;
            b.caps_say_no_deletions = true;
        }),
        10,
    );
    let h = MemHarness(m.clone());
    let f = feed::converge::<Contact>(m.as_ref(), &h, &quick())
        .await
        .unwrap();
    assert!(!f.ghosts.is_empty() && f.converged(), "{}", f.summary());
    passes(feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await);
}

#[tokio::test]
async fn a_reported_deletion_the_capabilities_deny_fails() {
    let m = mem(with(|b| b.caps_say_no_deletions = true), 10);
    let h = MemHarness(m.clone());
    fails_with(
        feed::check_convergence::<Contact>(m.as_ref(), &h, &quick()).await,
        "deletions are not reported, yet the feed reported",
    );
}

#[tokio::test]
async fn the_figures_count_every_write_and_poll() {
    let m = mem(Bugs::default(), 10);
    let h = MemHarness(m.clone());
    let options = quick();
    let f = feed::converge::<Contact>(m.as_ref(), &h, &options)
        .await
        .unwrap();
    assert!(f.converged(), "{}", f.summary());
    assert_eq!(f.creates + f.updates + f.deletes, options.writes, "{f:?}");
    assert!(f.creates > 0 && f.updates > 0 && f.deletes > 0, "{f:?}");
    assert_eq!(f.reported_deletions, f.deletes, "{f:?}");
    assert!(f.polls >= 2, "{f:?}");
    assert_eq!(f.vendor_records, 10 + f.creates - f.deletes, "{f:?}");
    let line = f.summary();
    assert!(line.contains(&format!("{} creates", f.creates)), "{line}");
}

#[tokio::test]
async fn paging_over_exactly_three_records_passes() {
    let m = mem(Bugs::default(), 3);
    passes(paging::check_paging::<Contact>(m.as_ref()).await);
    let m = mem(Bugs::default(), 2);
    fails_with(
        paging::check_paging::<Contact>(m.as_ref()).await,
        "only 2 record(s) listed",
    );
}

#[tokio::test]
async fn a_deletion_of_an_id_the_run_never_knew_is_counted_not_failed() {
    let m = mem(with(|b| b.feed_reports_unknown_deletion = true), 10);
    let h = MemHarness(m.clone());
    let f = feed::converge::<Contact>(m.as_ref(), &h, &quick())
        .await
        .unwrap();
    assert!(f.converged(), "{}", f.summary());
    assert!(f.unknown_deletions >= 1, "{}", f.summary());
    assert!(f.invented_deletions.is_empty(), "{}", f.summary());
}

fn quick_resume() -> stream::ResumeOptions {
    stream::ResumeOptions {
        max_created: 20,
        ..stream::ResumeOptions::default()
    }
}

#[tokio::test]
async fn a_stream_resumed_after_every_batch_passes() {
    let m = mem(Bugs::default(), 10);
    let h = MemHarness(m.clone());
    let f = stream::resume::<Contact>(m.as_ref(), &h, &quick_resume())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // 10 rows, 4 a batch: 3 batches, and nothing created to get there.
    assert_eq!((f.batches, f.filled), (3, 0), "{}", f.summary());
    assert_eq!(f.quiet_resumes, 3, "{}", f.summary());
    assert!(f.writing_resumes >= 3, "{}", f.summary());
    let (c, u, d) = f.writes;
    assert_eq!(c + u + d, 2 * (f.writing_resumes - 1), "{}", f.summary());
    passes(stream::check_resume::<Contact>(m.as_ref(), &h, &quick_resume()).await);
}

#[tokio::test]
async fn the_resume_check_creates_records_until_the_stream_spans_several_batches() {
    let m = mem(Bugs::default(), 3);
    let h = MemHarness(m.clone());
    let f = stream::resume::<Contact>(m.as_ref(), &h, &quick_resume())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // 3 rows are one batch; 20 more (the cap) make 23 rows: 6 batches.
    assert_eq!((f.batches, f.filled), (6, 20), "{}", f.summary());
}

#[tokio::test]
async fn a_checkpoint_that_skips_a_page_fails_the_resume_check() {
    let m = mem(with(|b| b.stream_resume_skips_a_page = true), 20);
    let h = MemHarness(m.clone());
    fails_with(
        stream::check_resume::<Contact>(m.as_ref(), &h, &quick_resume()).await,
        "resuming after every batch gives another replica than the uninterrupted read",
    );
}

#[tokio::test]
async fn a_stream_inventing_a_deletion_fails_the_resume_check() {
    let m = mem(with(|b| b.stream_invents_deletion = true), 20);
    let h = MemHarness(m.clone());
    fails_with(
        stream::check_resume::<Contact>(m.as_ref(), &h, &quick_resume()).await,
        "deleted, but it is alive",
    );
}
