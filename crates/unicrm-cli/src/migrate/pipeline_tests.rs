//! Pipelines created by workers sharing one state: a missing pipeline is created once.
//!
//! No adapter can create pipelines yet (Capsule, Insightly and HighLevel list them read-only),
//! so the target here is a test double of a CRM that can: a pipeline store that counts its
//! creates and yields at every call (so two workers run interleaved). Time is paused: the
//! waits between lease attempts pass at once, and nothing depends on the wall clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use unicrm_core::crm::ClientStats;
use unicrm_core::{
    Capabilities, Crm, CustomFieldDefinition, ListParams, NewPipeline, Page, Pipeline, PipelineId,
    Resource, ResourceCapabilities, ResourceKind, Result, User,
};
use unicrm_state::sqlite::SqliteStore;

use super::state::{State, StateStore};
use super::{Migrator, Options};

struct Pipelines {
    stored: Mutex<Vec<Pipeline>>,
    creates: AtomicU32,
}

#[async_trait]
impl Resource<Pipeline> for Pipelines {
    fn vendor(&self) -> &str {
        "double"
    }

    async fn list(&self, _params: &ListParams) -> Result<Page<Pipeline>> {
        tokio::task::yield_now().await;
        let items = self.stored.lock().unwrap().clone();
        Ok(Page::last(items))
    }

    async fn create(&self, new: &NewPipeline) -> Result<Pipeline> {
        tokio::task::yield_now().await;
        let n = self.creates.fetch_add(1, Ordering::SeqCst) + 1;
        let p = Pipeline {
            id: PipelineId::from(format!("t{n}")),
            name: new.name.clone(),
            applies_to: new.applies_to.clone(),
            ..Default::default()
        };
        self.stored.lock().unwrap().push(p.clone());
        Ok(p)
    }
}

struct Double {
    caps: Capabilities,
    pipelines: Pipelines,
}

fn double(pipelines: Vec<Pipeline>) -> Double {
    Double {
        caps: Capabilities::new("double").with(
            ResourceKind::Pipeline,
            ResourceCapabilities::crud(100, ["name", "applies_to", "stages"]),
        ),
        pipelines: Pipelines {
            stored: Mutex::new(pipelines),
            creates: AtomicU32::new(0),
        },
    }
}

#[async_trait]
impl Crm for Double {
    fn vendor(&self) -> &str {
        "double"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.pipelines
    }
    async fn custom_field_definitions(
        &self,
        _kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        Ok(Vec::new())
    }
    async fn current_user(&self) -> Result<User> {
        Ok(User::default())
    }
    fn stats(&self) -> ClientStats {
        ClientStats::default()
    }
}

fn sales() -> Pipeline {
    Pipeline {
        id: PipelineId::from("7"),
        name: "Sales".into(),
        ..Default::default()
    }
}

fn store() -> (tempfile::TempDir, Arc<dyn StateStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite"), false).unwrap();
    (dir, Arc::new(store))
}

#[tokio::test(start_paused = true)]
async fn two_workers_create_a_missing_pipeline_once() {
    let source = double(vec![sales()]);
    let target = double(Vec::new());
    let (_dir, store) = store();
    let worker = || {
        Migrator::new(
            &source,
            &target,
            State::from_store(store.clone()),
            Options::default(),
        )
    };
    let (mut a, mut b) = (worker(), worker());
    let (ra, rb) = tokio::join!(a.match_pipelines(), b.match_pipelines());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(target.pipelines.creates.load(Ordering::SeqCst), 1);
    let id = PipelineId::from("7");
    assert_eq!(a.maps.pipelines.get(&id), Some(&PipelineId::from("t1")));
    assert_eq!(b.maps.pipelines.get(&id), Some(&PipelineId::from("t1")));
    let created = a.report.pipelines.created.len() + b.report.pipelines.created.len();
    let matched = a.report.pipelines.matched.len() + b.report.pipelines.matched.len();
    assert_eq!((created, matched), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_pipeline_another_worker_is_creating_is_left_to_it() {
    let source = double(vec![sales()]);
    let target = double(Vec::new());
    let (_dir, store) = store();
    // Another worker holds the pipeline's lease (and never gives it back here).
    let other = State::from_store(store.clone());
    assert!(other.lease("pipeline", "7").await.unwrap());
    let mut a = Migrator::new(
        &source,
        &target,
        State::from_store(store.clone()),
        Options::default(),
    );
    a.match_pipelines().await.unwrap();
    assert_eq!(target.pipelines.creates.load(Ordering::SeqCst), 0);
    assert!(a.maps.pipelines.is_empty());
    assert_eq!(a.report.pipelines.missing.len(), 1);
    assert!(
        a.report.pipelines.missing[0].contains("leased"),
        "{:?}",
        a.report.pipelines.missing
    );
    // Once it is given back, the next run creates it (nobody else did).
    other.release("pipeline", "7").await.unwrap();
    let mut b = Migrator::new(
        &source,
        &target,
        State::from_store(store),
        Options::default(),
    );
    b.match_pipelines().await.unwrap();
    assert_eq!(target.pipelines.creates.load(Ordering::SeqCst), 1);
    assert_eq!(b.report.pipelines.created, vec!["Sales".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn a_pipeline_created_meanwhile_is_found_under_the_lease() {
    let source = double(vec![sales()]);
    let target = double(Vec::new());
    let (_dir, store) = store();
    let mut a = Migrator::new(
        &source,
        &target,
        State::from_store(store),
        Options::default(),
    );
    let mut listed = Vec::new();
    // Another worker created it after this one's listing.
    target.pipelines.stored.lock().unwrap().push(Pipeline {
        id: PipelineId::from("t9"),
        name: " sales ".into(),
        ..Default::default()
    });
    let created = a.create_pipeline(&sales(), &mut listed).await.unwrap();
    assert!(
        matches!(&created, super::pipelines::PipelineCreate::Found(p) if p.id.as_str() == "t9"),
        "{created:?}"
    );
    assert_eq!(target.pipelines.creates.load(Ordering::SeqCst), 0);
    assert_eq!(listed.len(), 1, "the listing is read again");
}

#[tokio::test(start_paused = true)]
async fn pipelines_match_by_name_and_purpose() {
    let projects = Pipeline {
        id: PipelineId::from("8"),
        name: "Sales".into(),
        applies_to: Some(ResourceKind::Project),
        ..Default::default()
    };
    let other = Pipeline {
        id: PipelineId::from("9"),
        name: "Renewals".into(),
        ..Default::default()
    };
    let source = double(vec![sales(), projects, other]);
    // The target has the opportunity pipeline "Sales" (any case, spaces trimmed) only.
    let target = double(vec![Pipeline {
        id: PipelineId::from("t0"),
        name: " SALES ".into(),
        ..Default::default()
    }]);
    let (_dir, store) = store();
    let mut a = Migrator::new(
        &source,
        &target,
        State::from_store(store),
        Options::default(),
    );
    a.match_pipelines().await.unwrap();
    assert_eq!(target.pipelines.creates.load(Ordering::SeqCst), 2);
    assert_eq!(
        a.maps.pipelines.get(&PipelineId::from("7")),
        Some(&PipelineId::from("t0"))
    );
    let (p8, p9) = (
        a.maps.pipelines.get(&PipelineId::from("8")).cloned(),
        a.maps.pipelines.get(&PipelineId::from("9")).cloned(),
    );
    assert!(p8.is_some() && p9.is_some() && p8 != p9, "{p8:?} {p9:?}");
    assert_ne!(
        p8,
        Some(PipelineId::from("t0")),
        "a project pipeline of the same name is another"
    );
    assert_eq!(a.report.pipelines.matched, vec!["Sales".to_string()]);
}
