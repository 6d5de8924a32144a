//! Opportunities, pipelines and businesses end to end over the simulator: the write round
//! trip the kit cannot run (a HighLevel opportunity needs a contact), stages in position
//! order, and the opportunity change feed (sweep, diff, deletions confirmed by `NotFound`).

use serde_json::json;
use unicrm_core::{
    Change, Checkpoint, Crm, CrmExt, ListParams, Money, NewOpportunity, Opportunity,
    OpportunityPatch, OpportunityStatus, Patch, Pipeline,
};
use unicrm_highlevel::HighLevelClient;
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions};

async fn start() -> (HighLevelSimHandle, HighLevelClient) {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 12,
        },
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let crm = HighLevelClient::builder()
        .base_url(sim.base_url.as_str())
        .location_id(sim.location_id.clone())
        .company_id(sim.company_id.clone())
        .private_integration_token(sim.token.clone())
        .currency(unicrm_core::Currency::new("EUR").expect("code"))
        .build()
        .expect("client");
    (sim, crm)
}

#[tokio::test]
async fn an_opportunity_round_trips_with_its_contact_and_stage() {
    let (sim, crm) = start().await;
    let pipelines: Vec<Pipeline> = crm.list_all(ListParams::new()).await.expect("pipelines");
    let p = &pipelines[0];
    assert!(p.stages.windows(2).all(|w| w[0].order < w[1].order));
    let contact = crm
        .contacts()
        .list(&ListParams::new().page_size(1))
        .await
        .expect("contacts")
        .items
        .remove(0);
    let defs = crm
        .custom_field_definitions(unicrm_core::ResourceKind::Opportunity)
        .await
        .expect("defs");
    let new = NewOpportunity {
        name: "Round trip".into(),
        amount: Money::parse("1234.56", "EUR"),
        pipeline_id: Some(p.id.clone()),
        stage_id: Some(p.stages[0].id.clone()),
        contact_id: Some(contact.id.clone()),
        custom_fields: vec![unicrm_core::CustomFieldValue {
            definition_id: defs[0].id.clone(),
            name: None,
            value: Some(unicrm_core::FieldValue::Text("fair".into())),
            row_id: None,
        }],
        ..Default::default()
    };
    let created = crm.opportunities().create(&new).await.expect("created");
    assert_eq!(created.status, Some(OpportunityStatus::Open));
    assert_eq!(created.amount, new.amount);
    assert_eq!(created.contact_id.as_ref(), Some(&contact.id));
    assert_eq!(created.custom_fields[0].value, new.custom_fields[0].value);
    let got = crm.opportunities().get(&created.id).await.expect("get");
    assert_eq!(got.stage_id, created.stage_id);
    let patch = OpportunityPatch {
        status: Patch::Set(OpportunityStatus::Won),
        stage_id: Patch::Set(p.stages[1].id.clone()),
        ..Default::default()
    };
    let updated = crm
        .opportunities()
        .update(&created.id, &patch)
        .await
        .expect("updated");
    assert_eq!(updated.status, Some(OpportunityStatus::Won));
    assert_eq!(updated.stage_id.as_ref(), Some(&p.stages[1].id));
    assert_eq!(updated.amount, created.amount, "untouched");
    assert!(updated.stage_changed_at >= created.stage_changed_at);
    crm.opportunities()
        .delete(&created.id)
        .await
        .expect("deleted");
    let e = crm
        .opportunities()
        .get(&created.id)
        .await
        .expect_err("gone");
    assert!(e.is_not_found(), "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_opportunity_feed_sweeps_and_confirms_deletions() {
    let (sim, crm) = start().await;
    let all: Vec<Opportunity> = crm.list_all(ListParams::new()).await.expect("all");
    // The first sweep: every seeded deal is older than the checkpoint; none is reported.
    let cp = Checkpoint::at(chrono::Utc::now());
    let first = crm.opportunities().changes_since(&cp).await.expect("first");
    assert!(first.changes.is_empty(), "{:?}", first.changes.len());
    let touched = all[0].id.as_str().to_string();
    let removed = all[1].id.as_str().to_string();
    assert!(
        sim.touch_opportunity(
            &touched,
            json!({"name": "Renamed"})
                .as_object()
                .cloned()
                .unwrap_or_default()
        )
    );
    assert!(sim.remove_opportunity(&removed));
    let second = crm
        .opportunities()
        .changes_since(&first.next)
        .await
        .expect("second");
    let mut upserts = Vec::new();
    let mut deletions = Vec::new();
    for c in &second.changes {
        match c {
            Change::Upserted { record } => upserts.push(record.id.as_str().to_string()),
            Change::Deleted { id, .. } => deletions.push(id.as_str().to_string()),
            _ => {}
        }
    }
    assert_eq!(upserts, [touched]);
    assert_eq!(deletions, [removed]);
    // Reported once: the next read has nothing new.
    let third = crm
        .opportunities()
        .changes_since(&second.next)
        .await
        .expect("third");
    assert!(
        third
            .changes
            .iter()
            .all(|c| !matches!(c, Change::Deleted { .. })),
        "a deletion is reported once"
    );
    sim.shutdown().await;
}
