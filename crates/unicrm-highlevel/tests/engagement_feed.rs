//! The appointment change feed over the simulator (docs/vendors/highlevel-v2.md, "Incremental
//! reads and deletions": a time window per calendar, records with `dateUpdated`).

use unicrm_core::{
    Change, Checkpoint, Crm, CrmExt, EngagementKind, EngagementPatch, ListParams, NewEngagement,
    Patch,
};
use unicrm_highlevel::HighLevelClient;
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions, SimClock};

#[tokio::test]
async fn the_feed_reads_each_calendars_window_by_date_updated() {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 4,
        },
        clock: SimClock::manual_default(),
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let c = HighLevelClient::builder()
        .base_url(sim.base_url.as_str())
        .location_id(sim.location_id.clone())
        .private_integration_token(sim.token.clone())
        .build()
        .expect("client");
    let contacts: Vec<unicrm_core::Contact> = c.list_all(ListParams::new()).await.unwrap();
    let start = sim.clock().now() + chrono::Duration::days(2);
    let made = c
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Appointment,
            subject: Some("Feed".into()),
            start_at: Some(start),
            end_at: Some(start + chrono::Duration::minutes(30)),
            contact_id: Some(contacts[0].id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let from = Checkpoint::at(sim.clock().now() - chrono::Duration::minutes(5));
    let set = c.engagements().changes_since(&from).await.unwrap();
    let upserted: Vec<_> = set
        .changes
        .iter()
        .filter_map(|ch| match ch {
            Change::Upserted { record } => Some(record.id.to_string()),
            _ => None,
        })
        .collect();
    assert!(upserted.contains(&made.id.to_string()), "{upserted:?}");
    // A later checkpoint sees only what changed after it.
    sim.clock().advance(std::time::Duration::from_secs(600));
    let later = Checkpoint::at(sim.clock().now());
    sim.clock().advance(std::time::Duration::from_secs(1));
    c.engagements()
        .update(
            &made.id,
            &EngagementPatch {
                subject: Patch::Set("Feed, moved".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let set = c.engagements().changes_since(&later).await.unwrap();
    let ours: Vec<_> = set
        .changes
        .iter()
        .filter(|ch| matches!(ch, Change::Upserted { record } if record.id == made.id))
        .collect();
    assert_eq!(ours.len(), 1, "{:?}", set.changes);
    assert!(
        matches!(ours[0], Change::Upserted { record } if record.subject.as_deref() == Some("Feed, moved"))
    );
    // Everything reported changed at or after the checkpoint (less the one-minute overlap).
    let since = later.at - chrono::Duration::seconds(60);
    assert!(set.changes.iter().all(|ch| matches!(ch, Change::Upserted { record } if record.updated_at.is_some_and(|t| t >= since))));
    // A deletion is not listed by the window, so the feed reports none (webhooks carry it).
    c.engagements().delete(&made.id).await.unwrap();
    let set = c.engagements().changes_since(&later).await.unwrap();
    assert!(
        !set.changes.iter().any(|ch| match ch {
            Change::Upserted { record } => record.id == made.id,
            Change::Deleted { id, .. } => *id == made.id,
            _ => true,
        }),
        "{:?}",
        set.changes
    );
}
