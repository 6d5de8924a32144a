//! Quick start: one typed API over two CRMs, run against the embedded simulators.
//!
//! ```sh
//! cargo run --example quickstart --features sim
//! ```
//!
//! Against the real vendors, build the clients with a real token / API key and leave the base
//! URL at its default (Capsule) or give the pod (Insightly).

use std::sync::Arc;

use futures::TryStreamExt;
use unicrm::capsule::CapsuleClient;
use unicrm::insightly::InsightlyClient;
use unicrm::sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions};
use unicrm::{Checkpoint, Contact, ContactPatch, Crm, CrmExt, ListParams, NewContact, Patch, Tag};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let capsule_sim = CapsuleSim::start(CapsuleSimOptions::default()).await?;
    let insightly_sim = InsightlySim::start(InsightlySimOptions::default()).await?;

    let crms: Vec<Arc<dyn Crm>> = vec![
        Arc::new(
            CapsuleClient::builder()
                .base_url(capsule_sim.base_url.as_str())
                .personal_access_token(capsule_sim.token.clone())
                .build()?,
        ),
        Arc::new(
            InsightlyClient::builder()
                .base_url(insightly_sim.base_url.as_str())
                .api_key(insightly_sim.api_key.clone())
                .build()?,
        ),
    ];

    for crm in &crms {
        let since = Checkpoint::at(chrono::Utc::now() - chrono::Duration::seconds(5));

        // Every page, as one stream.
        let n = crm
            .stream_all::<Contact>(ListParams::new())
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await?;

        // Create, then patch one field: nothing else is touched.
        let created = crm
            .contacts()
            .create(&NewContact {
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                tags: vec![Tag::named("VIP")],
                ..Default::default()
            })
            .await?;
        let patch = ContactPatch {
            job_title: Patch::Set("Analyst".into()),
            ..Default::default()
        };
        let updated = crm.contacts().update(&created.id, &patch).await?;

        // The change feed sees it.
        let changes = crm.changes_since::<Contact>(&since).await?;
        println!(
            "{:<10} {n} contacts; created {} ({:?} {:?}, {:?}); {} change(s) since the checkpoint",
            crm.vendor(),
            updated.id,
            updated.first_name.as_deref().unwrap_or(""),
            updated.last_name.as_deref().unwrap_or(""),
            updated.job_title.as_deref().unwrap_or(""),
            changes.changes.len(),
        );
    }
    capsule_sim.shutdown().await;
    insightly_sim.shutdown().await;
    Ok(())
}
