//! Projects, field definitions and project pipelines end to end against the Insightly
//! simulator (docs/vendors/insightly-v3.1-addendum.md, "Projects", "Custom field
//! definitions"), through the guarded `dyn Crm`.

use std::num::NonZeroU32;
use std::sync::Arc;

use unicrm_core::{
    Change, Checkpoint, Crm, CrmExt, CustomFieldId, CustomFieldValue, Error, FieldDefinition,
    ListParams, NewFieldDefinition, NewProject, Patch, Pipeline, Project, ProjectPatch,
    ProjectStatus, Record, ResourceKind, Tag,
};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

async fn sim() -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 8,
        },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn crm(s: &InsightlySimHandle) -> Arc<dyn Crm> {
    let c = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        // Deletions on every call (the cadence is tested in `feed_cadence.rs`).
        .deletion_scan_every_call()
        .build()
        .unwrap();
    unicrm_core::guard(Arc::new(c))
}

/// A raw GET as the same user, for checking what the vendor holds.
async fn raw_get(s: &InsightlySimHandle, path: &str) -> serde_json::Value {
    unicrm_core::http::install_crypto_provider();
    reqwest::Client::new()
        .get(s.base_url.join(path).unwrap())
        .basic_auth(&s.api_key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn project_pipeline(crm: &dyn Crm) -> Pipeline {
    crm.list_all::<Pipeline>(ListParams::new())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.applies_to == Some(ResourceKind::Project))
        .expect("a project pipeline")
}

#[tokio::test]
async fn project_pipelines_apply_to_projects() {
    let s = sim().await;
    let crm = crm(&s);
    let all = crm.list_all::<Pipeline>(ListParams::new()).await.unwrap();
    let p = project_pipeline(crm.as_ref()).await;
    assert!(p.stages.len() >= 2);
    assert!(
        all.iter()
            .any(|p| p.applies_to == Some(ResourceKind::Opportunity))
    );
}

#[tokio::test]
async fn projects_list_get_with_milestones_and_links() {
    let s = sim().await;
    let crm = crm(&s);
    let all = crm.list_all::<Project>(ListParams::new()).await.unwrap();
    assert!(all.len() >= 3);
    assert!(
        all.iter().all(|p| p.milestones.is_empty()),
        "not on listings"
    );
    let off = all
        .iter()
        .find(|p| p.pipeline_id.is_none() && p.status == Some(ProjectStatus::NotStarted))
        .expect("the seeded project with milestones");
    let got = crm.projects().get(&off.id).await.unwrap();
    assert_eq!(got.milestones.len(), 2);
    assert!(got.milestones[0].completed && got.milestones[0].completed_at.is_some());
    assert!(got.account_id.is_some(), "the Organisation link");
    let on = all.iter().find(|p| p.pipeline_id.is_some()).unwrap();
    let got = crm.projects().get(&on.id).await.unwrap();
    assert!(got.milestones.is_empty());
    assert!(got.stage_id.is_some());
    assert!(got.contact_id.is_some());
    // Search by name and by tag.
    let page = crm
        .projects()
        .list(&ListParams::new().search(on.name.clone()))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let page = crm
        .projects()
        .list(&ListParams::new().search("tag:Phase 2"))
        .await
        .unwrap();
    assert!(page.items.iter().any(|p| p.id == on.id));
}

#[tokio::test]
async fn project_crud_with_pipeline_stage_links_tags_and_custom_fields() {
    let s = sim().await;
    let crm = crm(&s);
    let pipeline = project_pipeline(crm.as_ref()).await;
    let account = crm
        .accounts()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    let opp = crm
        .opportunities()
        .list(&ListParams::new().page_size(1))
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    let new = NewProject {
        name: "Kit refit".into(),
        description: Some("two floors".into()),
        status: Some(ProjectStatus::parse("in progress")),
        pipeline_id: Some(pipeline.id.clone()),
        stage_id: Some(pipeline.stages[0].id.clone()),
        category_id: Some("12".into()),
        account_id: Some(account.clone()),
        opportunity_id: Some(opp.clone()),
        start_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 6),
        tags: vec![Tag::named("Kit")],
        custom_fields: vec![CustomFieldValue {
            definition_id: CustomFieldId::new("Project_Notes__c"),
            name: None,
            value: Some(unicrm_core::FieldValue::Text("hello".into())),
            row_id: None,
        }],
        ..NewProject::default()
    };
    let p = crm.projects().create(&new).await.unwrap();
    assert_eq!(p.status, Some(ProjectStatus::InProgress));
    assert_eq!(p.stage_id, Some(pipeline.stages[0].id.clone()));
    assert_eq!(p.account_id, Some(account));
    assert_eq!(p.opportunity_id, Some(opp), "through the Opportunity link");
    assert_eq!(p.category_id.as_deref(), Some("12"));
    assert_eq!(p.tags, vec![Tag::named("Kit")]);
    assert!(
        p.custom_fields
            .iter()
            .any(|f| f.definition_id.as_str() == "Project_Notes__c")
    );
    let raw = raw_get(&s, &format!("Projects/{}", p.id)).await;
    assert!(raw["OPPORTUNITY_ID"].is_null(), "read-only at the vendor");

    // A stage change goes through /PipelineStage; the other fields through the PUT.
    let patch = ProjectPatch {
        stage_id: Patch::Set(pipeline.stages[1].id.clone()),
        status: Patch::Set(ProjectStatus::Deferred),
        ..ProjectPatch::default()
    };
    let u = crm.projects().update(&p.id, &patch).await.unwrap();
    assert_eq!(u.stage_id, Some(pipeline.stages[1].id.clone()));
    assert_eq!(u.status, Some(ProjectStatus::Deferred));
    assert_eq!(u.description.as_deref(), Some("two floors"), "untouched");

    // Off the pipeline: both cleared; then milestones can be read (none yet).
    let u = crm
        .projects()
        .update(
            &p.id,
            &ProjectPatch {
                pipeline_id: Patch::Clear,
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(u.pipeline_id.is_none() && u.stage_id.is_none());
    assert!(u.milestones.is_empty());
    // Back on it, at a given stage.
    let u = crm
        .projects()
        .update(
            &p.id,
            &ProjectPatch {
                pipeline_id: Patch::Set(pipeline.id.clone()),
                stage_id: Patch::Set(pipeline.stages[2].id.clone()),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.stage_id, Some(pipeline.stages[2].id.clone()));
    // A stage without a pipeline is refused before any request.
    let err = crm
        .projects()
        .update(
            &p.id,
            &ProjectPatch {
                pipeline_id: Patch::Clear,
                stage_id: Patch::Set(pipeline.stages[0].id.clone()),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    // An unknown status is kept as the vendor refuses it.
    let err = crm
        .projects()
        .update(
            &p.id,
            &ProjectPatch {
                status: Patch::Set(ProjectStatus::parse("Paused")),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation { .. } | Error::Vendor { .. }),
        "{err}"
    );

    crm.projects().delete(&p.id).await.unwrap();
    assert!(matches!(
        crm.projects().get(&p.id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn project_change_feed_reports_updates_and_confirmed_deletions() {
    let s = sim().await;
    let crm = crm(&s);
    let base = crm
        .projects()
        .changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let ids: Vec<_> = base
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Upserted { record } => Some(record.id().clone()),
            _ => None,
        })
        .collect();
    assert!(ids.len() >= 3);
    crm.projects()
        .update(
            &ids[0],
            &ProjectPatch {
                description: Patch::Set("changed".into()),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    crm.projects().delete(&ids[1]).await.unwrap();
    let set = crm.projects().changes_since(&base.next).await.unwrap();
    assert!(set.changes.iter().any(
        |c| matches!(c, Change::Upserted { record } if record.id == ids[0] && record.description.as_deref() == Some("changed"))
    ));
    assert!(
        set.changes
            .iter()
            .any(|c| matches!(c, Change::Deleted { id, .. } if *id == ids[1])),
        "{:?}",
        set.changes
    );
    assert!(
        !set.changes
            .iter()
            .any(|c| matches!(c, Change::Deleted { id, .. } if *id == ids[2]))
    );
}

#[tokio::test]
async fn field_definitions_list_of_one_kind_or_all_get_by_id_read_only() {
    let s = sim().await;
    let crm = crm(&s);
    let projects: Vec<FieldDefinition> = crm
        .list_all(ListParams::new().of(ResourceKind::Project))
        .await
        .unwrap();
    assert!(projects.len() >= 7);
    assert!(
        projects
            .iter()
            .all(|d| d.applies_to == [ResourceKind::Project])
    );
    let site = projects
        .iter()
        .find(|d| d.key.as_deref() == Some("Site_Type__c"))
        .unwrap();
    assert_eq!(site.choices.len(), 3);
    assert!(site.choices[0].is_default && site.choices[0].id.is_some());
    let job = projects
        .iter()
        .find(|d| d.key.as_deref() == Some("Job_Number__c"))
        .unwrap();
    assert_eq!(job.editable, Some(false));

    let contacts: Vec<FieldDefinition> = crm
        .list_all(ListParams::new().of(ResourceKind::Contact))
        .await
        .unwrap();
    assert!(!contacts.is_empty());
    assert!(
        contacts
            .iter()
            .all(|d| d.applies_to == [ResourceKind::Contact]),
        "filtered by FIELD_FOR"
    );
    let all: Vec<FieldDefinition> = crm.list_all(ListParams::new()).await.unwrap();
    assert!(all.len() >= projects.len() + contacts.len());
    // Pages are honoured.
    let page = crm
        .field_definitions()
        .list(&ListParams::new().of(ResourceKind::Project).page_size(3))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(page.next.is_some());

    let got = crm.field_definitions().get(&site.id).await.unwrap();
    assert_eq!(got.id, site.id);
    assert_eq!(got.choices, site.choices);
    let bare = crm
        .field_definitions()
        .get(&CustomFieldId::new("Go_Live__c"))
        .await
        .unwrap();
    assert_eq!(bare.id.as_str(), "project.Go_Live__c");
    assert!(matches!(
        crm.field_definitions()
            .get(&CustomFieldId::new("project.Nope__c"))
            .await,
        Err(Error::NotFound { .. })
    ));
    let err = crm
        .field_definitions()
        .create(&NewFieldDefinition {
            name: "x".into(),
            kind: unicrm_core::CustomFieldKind::Text,
            ..NewFieldDefinition::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    let err = crm
        .field_definitions()
        .list(&ListParams::new().of(ResourceKind::User))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    // The legacy call knows projects too.
    let legacy = crm
        .custom_field_definitions(ResourceKind::Project)
        .await
        .unwrap();
    assert_eq!(legacy.len(), projects.len());
    let _ = Project::KIND;
}
