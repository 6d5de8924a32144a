//! Project milestone writes against the Insightly simulator, over HTTP
//! (docs/vendors/insightly-v3.1-addendum.md, "Projects" and "Simulator must reproduce" item
//! 14): created with the project, replaced as a whole list on update (kept ones `PUT`, new
//! ones `POST`, left-out ones deleted), cleared; refused with a pipeline or without a due date
//! before anything is sent.

use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::NaiveDate;
use unicrm_core::{
    Crm, CrmExt, Error, ListParams, Milestone, NewProject, Patch, Pipeline, Project, ProjectPatch,
    ResourceKind,
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
        .build()
        .unwrap();
    unicrm_core::guard(Arc::new(c))
}

/// The milestones the vendor holds for project `id` (raw), as `(title, completed, due)`.
async fn held(s: &InsightlySimHandle, id: &str) -> Vec<(String, bool, String)> {
    unicrm_core::http::install_crypto_provider();
    let v: serde_json::Value = reqwest::Client::new()
        .get(
            s.base_url
                .join(&format!("Projects/{id}/Milestones"))
                .unwrap(),
        )
        .basic_auth(&s.api_key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["TITLE"].as_str().unwrap_or_default().to_string(),
                m["COMPLETED"].as_bool().unwrap_or_default(),
                m["DUE_DATE"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn milestone(title: &str, day: u32, completed: bool) -> Milestone {
    Milestone {
        title: title.into(),
        completed,
        due_date: NaiveDate::from_ymd_opt(2026, 4, day),
        ..Milestone::default()
    }
}

#[tokio::test]
async fn milestones_are_created_replaced_and_cleared() {
    let s = sim().await;
    let crm = crm(&s);
    assert!(
        crm.capabilities()
            .resource(&ResourceKind::Project)
            .writable_part::<Project>(&NewProject {
                name: "x".into(),
                milestones: vec![milestone("a", 1, false)],
                ..NewProject::default()
            })
            .unwrap()
            .1
            .is_empty(),
        "the capabilities declare milestones writable"
    );
    let created = crm
        .projects()
        .create(&NewProject {
            name: "Fit-out".into(),
            milestones: vec![
                milestone("Design sign-off", 10, true),
                milestone("Handover", 30, false),
            ],
            ..NewProject::default()
        })
        .await
        .unwrap();
    assert_eq!(created.milestones.len(), 2, "{:?}", created.milestones);
    assert!(created.milestones.iter().all(|m| m.id.is_some()));
    let id = created.id.as_str().to_string();
    assert_eq!(
        held(&s, &id).await,
        vec![
            ("Design sign-off".into(), true, "2026-04-10 00:00:00".into()),
            ("Handover".into(), false, "2026-04-30 00:00:00".into()),
        ]
    );
    // `get` answers what `create` answered.
    assert_eq!(crm.projects().get(&created.id).await.unwrap(), created);

    // Keep the first (renamed), drop the second, add a third.
    let mut kept = created
        .milestones
        .iter()
        .find(|m| m.title == "Design sign-off")
        .unwrap()
        .clone();
    kept.title = "Design signed off".into();
    let updated = crm
        .projects()
        .update(
            &created.id,
            &ProjectPatch {
                milestones: Patch::Set(vec![kept.clone(), milestone("Snagging", 20, false)]),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        held(&s, &id).await,
        vec![
            (
                "Design signed off".into(),
                true,
                "2026-04-10 00:00:00".into()
            ),
            ("Snagging".into(), false, "2026-04-20 00:00:00".into()),
        ]
    );
    assert!(updated.milestones.iter().any(|m| m.id == kept.id));
    assert_eq!(updated.milestones.len(), 2);
    assert_eq!(crm.projects().get(&created.id).await.unwrap(), updated);

    let cleared = crm
        .projects()
        .update(
            &created.id,
            &ProjectPatch {
                milestones: Patch::Clear,
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(cleared.milestones.is_empty());
    assert!(held(&s, &id).await.is_empty());
}

#[tokio::test]
async fn milestone_writes_that_cannot_be_held_send_nothing() {
    let s = sim().await;
    let crm = crm(&s);
    let before = crm
        .list_all::<Project>(ListParams::new())
        .await
        .unwrap()
        .len();
    let pipeline = crm
        .list_all::<Pipeline>(ListParams::new())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.applies_to == Some(ResourceKind::Project))
        .expect("a project pipeline");
    let with_pipeline = crm
        .projects()
        .create(&NewProject {
            name: "Both".into(),
            pipeline_id: Some(pipeline.id.clone()),
            milestones: vec![milestone("a", 1, false)],
            ..NewProject::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(with_pipeline, Error::Validation { .. }),
        "{with_pipeline}"
    );
    let no_due = crm
        .projects()
        .create(&NewProject {
            name: "No due date".into(),
            milestones: vec![Milestone {
                title: "Someday".into(),
                ..Milestone::default()
            }],
            ..NewProject::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(no_due, Error::Validation { .. }), "{no_due}");
    let after = crm
        .list_all::<Project>(ListParams::new())
        .await
        .unwrap()
        .len();
    assert_eq!(after, before, "no project was created");

    // An id that is not one of the project's milestones.
    let p = crm
        .projects()
        .create(&NewProject {
            name: "Plain".into(),
            ..NewProject::default()
        })
        .await
        .unwrap();
    let err = crm
        .projects()
        .update(
            &p.id,
            &ProjectPatch {
                milestones: Patch::Set(vec![Milestone {
                    id: Some("987654".into()),
                    ..milestone("ghost", 2, false)
                }]),
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    assert!(held(&s, p.id.as_str()).await.is_empty());
}
