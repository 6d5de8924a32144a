//! Projects, boards as pipelines, and field definitions, end to end against the Capsule
//! simulator.

use futures::TryStreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::*;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

async fn sim() -> CapsuleSimHandle {
    CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 12,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap()
}

fn client(h: &CapsuleSimHandle) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap()
}

async fn an_account(c: &CapsuleClient) -> AccountId {
    c.accounts().list(&ListParams::new()).await.unwrap().items[0]
        .id
        .clone()
}

#[tokio::test]
async fn seeded_projects_list_with_board_pipelines_and_paging() {
    let h = sim().await;
    let c = client(&h);
    let page = c
        .projects()
        .list(&ListParams::new().page_size(2))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.next.is_some());
    let all: Vec<Project> = c.list_all(ListParams::new().page_size(2)).await.unwrap();
    assert_eq!(all.len(), 3);
    let first = &all[0];
    assert_eq!(first.name, "Altona café fit-out");
    assert_eq!(first.stage_id.as_ref().map(|s| s.as_str()), Some("271006"));
    assert_eq!(first.stage_name.as_deref(), Some("Planning"));
    assert_eq!(
        first.pipeline_id.as_ref().map(|p| p.as_str()),
        Some("board-13647")
    );
    assert_eq!(first.team_id.as_deref(), Some("7"));
    assert_eq!(first.status, Some(ProjectStatus::Open));
    assert!(first.tags.iter().any(|t| t.name == "Fit-out"));
    assert!(
        first
            .custom_fields
            .iter()
            .any(|f| f.value == Some(FieldValue::Decimal(3.into())))
    );
    assert_eq!(all[2].status, Some(ProjectStatus::Closed));
    assert!(all[2].pipeline_id.is_none() && all[2].stage_id.is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn project_round_trip_with_board_stage_owner_and_team() {
    let h = sim().await;
    let c = client(&h);
    let account = an_account(&c).await;
    // Neither owner nor team: the token's user becomes the owner.
    let created = c
        .projects()
        .create(&NewProject {
            name: "Install".into(),
            account_id: Some(account.clone()),
            pipeline_id: Some(PipelineId::from("board-13648")),
            expected_close_date: chrono::NaiveDate::from_ymd_opt(2031, 1, 2),
            tags: vec![Tag::named("Urgent")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.owner_id.as_ref().map(|u| u.as_str()), Some("1"));
    assert_eq!(
        created.stage_id.as_ref().map(|s| s.as_str()),
        Some("271101")
    );
    assert_eq!(created.account_id.as_ref(), Some(&account));
    assert_eq!(created.status, Some(ProjectStatus::Open));
    assert!(created.tags.iter().any(|t| t.name == "Urgent"));
    let id = created.id.clone();
    assert_eq!(c.projects().get(&id).await.unwrap(), created);

    // Join team 7 (user 1 is a member), then change the owner only: the team is kept.
    let with_team = c
        .projects()
        .update(
            &id,
            &ProjectPatch {
                team_id: Patch::Set("7".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(with_team.team_id.as_deref(), Some("7"));
    let moved = c
        .projects()
        .update(
            &id,
            &ProjectPatch {
                owner_id: Patch::Set(UserId::from(2u64)),
                stage_id: Patch::Set(StageId::from(271007u64)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.owner_id.as_ref().map(|u| u.as_str()), Some("2"));
    assert_eq!(
        moved.team_id.as_deref(),
        Some("7"),
        "the unified patch keeps the team"
    );
    assert_eq!(
        moved.pipeline_id.as_ref().map(|p| p.as_str()),
        Some("board-13647")
    );

    // Off every board, then closed.
    let off = c
        .projects()
        .update(
            &id,
            &ProjectPatch {
                stage_id: Patch::Clear,
                status: Patch::Set(ProjectStatus::Closed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(off.stage_id.is_none() && off.pipeline_id.is_none());
    assert_eq!(off.status, Some(ProjectStatus::Closed));
    assert!(off.closed_date.is_some());

    c.projects().delete(&id).await.unwrap();
    assert!(c.projects().get(&id).await.unwrap_err().is_not_found());
    h.shutdown().await;
}

#[tokio::test]
async fn a_project_without_party_is_refused_before_sending() {
    let h = sim().await;
    let c = client(&h);
    h.reset_stats();
    let err = c
        .projects()
        .create(&NewProject {
            name: "Orphan".into(),
            owner_id: Some(UserId::from(1u64)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    assert_eq!(h.stats().requests, 0);
    h.shutdown().await;
}

#[tokio::test]
async fn the_vendor_refuses_an_owner_outside_the_team() {
    let h = sim().await;
    let c = client(&h);
    let account = an_account(&c).await;
    let err = c
        .projects()
        .create(&NewProject {
            name: "Outsider".into(),
            account_id: Some(account),
            owner_id: Some(UserId::from(3u64)),
            team_id: Some("7".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("owner is not a member of the team"),
        "{err}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn the_project_feed_reports_upserts_and_confirmed_deletions() {
    let h = sim().await;
    let c = client(&h);
    let start = Checkpoint::at(chrono::Utc::now() - chrono::Duration::days(36500));
    let first = c.projects().changes_since(&start).await.unwrap();
    assert_eq!(first.changes.len(), 3);
    let account = an_account(&c).await;
    let p = c
        .projects()
        .create(&NewProject {
            name: "Feed".into(),
            account_id: Some(account),
            ..Default::default()
        })
        .await
        .unwrap();
    c.projects()
        .delete(&c.projects().list(&ListParams::new()).await.unwrap().items[0].id)
        .await
        .unwrap();
    let second = c.projects().changes_since(&first.next).await.unwrap();
    let upserted: Vec<&str> = second
        .changes
        .iter()
        .filter_map(|ch| match ch {
            Change::Upserted { record } => Some(record.id.as_str()),
            _ => None,
        })
        .collect();
    let deleted: Vec<&str> = second
        .changes
        .iter()
        .filter_map(|ch| match ch {
            Change::Deleted { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(upserted, vec![p.id.as_str()]);
    assert_eq!(deleted, vec!["5200101"]);
    assert!(second.next.at >= first.next.at);
    h.shutdown().await;
}

#[tokio::test]
async fn pipelines_list_opportunity_pipelines_then_boards_and_get_serves_both() {
    let h = sim().await;
    let c = client(&h);
    let all: Vec<Pipeline> = c
        .pipelines()
        .stream_all(ListParams::new().page_size(1))
        .try_collect()
        .await
        .unwrap();
    let boards: Vec<&Pipeline> = all
        .iter()
        .filter(|p| p.applies_to == Some(ResourceKind::Project))
        .collect();
    assert_eq!(
        boards.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        ["board-13647", "board-13648"],
        "active boards only"
    );
    assert!(
        all.iter()
            .any(|p| p.applies_to == Some(ResourceKind::Opportunity))
    );
    let ids: std::collections::HashSet<&str> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no id collides");
    let b = c
        .pipelines()
        .get(&PipelineId::from("board-13647"))
        .await
        .unwrap();
    let stages: Vec<&str> = b.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["Planning", "Installation", "Übergabe & Schulung"]);
    assert!(
        b.stages
            .iter()
            .all(|s| !s.is_won && !s.is_lost && s.probability.is_none())
    );
    let opp = all
        .iter()
        .find(|p| p.applies_to == Some(ResourceKind::Opportunity))
        .unwrap();
    assert_eq!(&c.pipelines().get(&opp.id).await.unwrap(), opp);
    h.shutdown().await;
}

#[tokio::test]
async fn field_definitions_list_all_entities_or_one_and_get_by_id() {
    let h = sim().await;
    let c = client(&h);
    let all: Vec<FieldDefinition> = c
        .field_definitions()
        .stream_all(ListParams::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: std::collections::HashSet<&str> = all.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
    assert!(all.iter().any(|d| d.id.as_str().starts_with("parties-")));
    let projects: Vec<FieldDefinition> = c
        .list_all(ListParams::new().of(ResourceKind::Project))
        .await
        .unwrap();
    let names: Vec<&str> = projects.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["Site access code", "Machines", "Opening day", "Phase"]
    );
    assert!(
        projects
            .iter()
            .all(|d| d.applies_to == [ResourceKind::Project])
    );
    let phase = &projects[3];
    assert_eq!(phase.kind, CustomFieldKind::SingleChoice);
    assert_eq!(phase.choices.len(), 3);
    assert_eq!(phase.key.as_deref(), Some("34"));
    assert_eq!(&c.field_definitions().get(&phase.id).await.unwrap(), phase);
    let tasks: Vec<FieldDefinition> = c
        .list_all(ListParams::new().of(ResourceKind::Task))
        .await
        .unwrap();
    assert!(tasks.is_empty());
    let contacts: Vec<FieldDefinition> = c
        .list_all(ListParams::new().of(ResourceKind::Contact))
        .await
        .unwrap();
    assert!(
        contacts
            .iter()
            .all(|d| d.applies_to.contains(&ResourceKind::Contact))
    );
    // The legacy per-kind listing agrees for projects.
    let legacy = c
        .custom_field_definitions(ResourceKind::Project)
        .await
        .unwrap();
    assert_eq!(legacy.len(), 4);
    let created = c
        .field_definitions()
        .create(&NewFieldDefinition {
            name: "Shoe size".into(),
            kind: CustomFieldKind::Decimal,
            applies_to: vec![ResourceKind::Contact],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("parties-"));
    assert_eq!(created.applies_to, [ResourceKind::Contact]);
    let err = c
        .field_definitions()
        .update(&created.id, &FieldDefinitionPatch::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    h.shutdown().await;
}

#[tokio::test]
async fn listing_people_posts_only_people_pages() {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 250,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client(&h);
    h.reset_stats();
    let people: Vec<Contact> = c.list_all(ListParams::new()).await.unwrap();
    assert_eq!(people.len(), 250);
    let stats = h.stats();
    let pages = people.len().div_ceil(100) as u64;
    assert_eq!(
        stats.per_path.get("POST /api/v2/parties/filters/results"),
        Some(&pages),
        "{stats:?}"
    );
    assert_eq!(stats.per_path.get("GET /api/v2/parties"), None, "{stats:?}");
    // The pages plus the custom-field definitions.
    assert_eq!(stats.requests, pages + 1, "{stats:?}");
    h.shutdown().await;
}

/// Capsule projects have no milestones (docs/vendors/capsule-v2-addendum.md, "Projects"): the
/// capabilities leave `milestones` out of the writable fields, so the guard answers
/// `Unsupported` for a create or an update that carries them, before anything is sent.
#[tokio::test]
async fn milestones_are_unsupported_through_the_capabilities() {
    let h = sim().await;
    let c = client(&h);
    let account = an_account(&c).await;
    let caps = c.capabilities();
    let (_, dropped) = caps
        .resource(&ResourceKind::Project)
        .writable_part::<Project>(&NewProject {
            name: "x".into(),
            milestones: vec![Milestone::default()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dropped, vec!["milestones"]);
    let crm = unicrm_core::guard(std::sync::Arc::new(c));
    h.reset_stats();
    let err = crm
        .projects()
        .create(&NewProject {
            name: "With milestones".into(),
            account_id: Some(account),
            milestones: vec![Milestone {
                title: "Sign-off".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let err = crm
        .projects()
        .update(
            &ProjectId::from("1"),
            &ProjectPatch {
                milestones: Patch::Clear,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(h.stats().requests, 0);
    h.shutdown().await;
}

/// docs/vendors/capsule-v2-addendum.md, "Simulator must reproduce" items 8 and 9, through the
/// adapter: a task linked to a project (a `links` entry of kind `kase`) reads `Pending`
/// while the project is closed and `Open` again when it reopens; deleting the project
/// deletes the task.
#[tokio::test]
async fn a_projects_tasks_follow_its_status_and_its_deletion() {
    let h = sim().await;
    let c = client(&h);
    let account = an_account(&c).await;
    let project = c
        .projects()
        .create(&NewProject {
            name: "Fit-out".into(),
            account_id: Some(account),
            ..Default::default()
        })
        .await
        .unwrap();
    let task = c
        .tasks()
        .create(&NewTask {
            title: "Order fittings".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2031, 1, 2),
            links: vec![RecordLink {
                kind: Some(unicrm_capsule::mapping::task::kase_kind()),
                id: project.id.as_str().into(),
                role: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        task.links.iter().any(|l| l.id == project.id.as_str()),
        "{:?}",
        task.links
    );
    let status = |s: ProjectStatus| ProjectPatch {
        status: Patch::Set(s),
        ..Default::default()
    };
    c.projects()
        .update(&project.id, &status(ProjectStatus::Closed))
        .await
        .unwrap();
    assert_eq!(
        c.tasks().get(&task.id).await.unwrap().status,
        Some(TaskStatus::Pending)
    );
    c.projects()
        .update(&project.id, &status(ProjectStatus::Open))
        .await
        .unwrap();
    assert_eq!(
        c.tasks().get(&task.id).await.unwrap().status,
        Some(TaskStatus::Open)
    );
    c.projects().delete(&project.id).await.unwrap();
    assert!(c.tasks().get(&task.id).await.unwrap_err().is_not_found());
    h.shutdown().await;
}
