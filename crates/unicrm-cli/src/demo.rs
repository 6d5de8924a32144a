//! `unicrm demo`: the three simulators in-process, listings through `Arc<dyn Crm>`, Capsule →
//! Insightly and Capsule → HighLevel migrations into temporary state files, and a readable
//! summary.

/// `println!` that ends the demo quietly on a closed stdout instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)?;
    }};
}

use std::sync::Arc;
use std::time::Instant;

use futures::TryStreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Account, Contact, Crm, CrmExt, ListParams, Opportunity};
use unicrm_highlevel::HighLevelClient;
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{
    CapsuleSim, CapsuleSimOptions, HighLevelSim, HighLevelSimOptions, InsightlySim,
    InsightlySimOptions, SeedOptions,
};

use crate::cli::DemoArgs;
use crate::exit::CliError;
use crate::migrate::{Migrator, Options, state::State};

async fn count<R: unicrm_core::Record>(crm: &dyn Crm) -> Result<usize, CliError> {
    let n = crm
        .stream_all::<R>(ListParams::new())
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    Ok(n)
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> Result<(), CliError> {
    let t0 = Instant::now();
    say!("unicrm demo — three simulated CRMs, one API\n");
    let capsule_sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: args.seed,
            records: args.records,
        },
        ..Default::default()
    })
    .await
    .map_err(|e| CliError::runtime(format!("cannot start the Capsule simulator: {e}")))?;
    // The target starts empty but for its users, pipelines and custom fields.
    let insightly_sim = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: args.seed,
            records: 0,
        },
        ..Default::default()
    })
    .await
    .map_err(|e| CliError::runtime(format!("cannot start the Insightly simulator: {e}")))?;
    // HighLevel likewise: an empty location but for its users, pipelines and custom fields.
    let highlevel_sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: args.seed,
            records: 0,
        },
        ..Default::default()
    })
    .await
    .map_err(|e| CliError::runtime(format!("cannot start the HighLevel simulator: {e}")))?;
    say!("Capsule CRM simulator   {}", capsule_sim.base_url);
    say!(
        "Insightly simulator     {}  (10 requests/second, enforced)",
        insightly_sim.base_url
    );
    say!(
        "HighLevel simulator     {}  (100 requests/10 s, enforced)\n",
        highlevel_sim.base_url
    );

    let capsule: Arc<dyn Crm> = Arc::new(
        CapsuleClient::builder()
            .base_url(capsule_sim.base_url.as_str())
            .personal_access_token(capsule_sim.token.clone())
            .build()?,
    );
    let insightly: Arc<dyn Crm> = Arc::new(
        InsightlyClient::builder()
            .base_url(insightly_sim.base_url.as_str())
            .api_key(insightly_sim.api_key.clone())
            .build()?,
    );
    let highlevel: Arc<dyn Crm> = Arc::new(
        HighLevelClient::builder()
            .base_url(highlevel_sim.base_url.as_str())
            .location_id(highlevel_sim.location_id.clone())
            .company_id(highlevel_sim.company_id.clone())
            .private_integration_token(highlevel_sim.token.clone())
            .build()?,
    );

    say!(
        "{:<12} {:>9} {:>9} {:>14}",
        "vendor",
        "contacts",
        "accounts",
        "opportunities"
    );
    for crm in [&capsule, &insightly, &highlevel] {
        let c = count::<Contact>(crm.as_ref()).await?;
        let a = count::<Account>(crm.as_ref()).await?;
        let o = count::<Opportunity>(crm.as_ref()).await?;
        say!("{:<12} {c:>9} {a:>9} {o:>14}", crm.vendor());
    }

    let dir = tempfile::tempdir()?;
    let mut failed = migrate(capsule.as_ref(), insightly.as_ref(), &dir, "Insightly").await?;
    failed += migrate(capsule.as_ref(), highlevel.as_ref(), &dir, "HighLevel").await?;

    say!(
        "\n{:<12} {:>9} {:>9} {:>14}",
        "after",
        "contacts",
        "accounts",
        "opportunities"
    );
    for crm in [&capsule, &insightly, &highlevel] {
        let c = count::<Contact>(crm.as_ref()).await?;
        let a = count::<Account>(crm.as_ref()).await?;
        let o = count::<Opportunity>(crm.as_ref()).await?;
        say!("{:<12} {c:>9} {a:>9} {o:>14}", crm.vendor());
    }
    for crm in [&capsule, &insightly, &highlevel] {
        let st = crm.stats();
        say!(
            "requests: {:<10} {:>6} ({} retried, {} answered 429)",
            crm.vendor(),
            st.requests,
            st.retries,
            st.rate_limited
        );
    }
    say!(
        "simulators saw: capsule {} requests, insightly {} ({} rate-limited), highlevel {} ({} rate-limited)",
        capsule_sim.stats().requests,
        insightly_sim.stats().requests,
        insightly_sim.stats().rate_limited,
        highlevel_sim.stats().requests,
        highlevel_sim.stats().rate_limited
    );
    say!("time taken: {:.1} s", t0.elapsed().as_secs_f64());
    capsule_sim.shutdown().await;
    insightly_sim.shutdown().await;
    highlevel_sim.shutdown().await;
    if failed > 0 {
        return Err(CliError::runtime(format!(
            "{failed} record(s) failed to migrate"
        )));
    }
    Ok(())
}

/// Migrates `source` into `target` (named `name`) with its state file in `dir`, and prints
/// the outcome; the number of records that failed.
async fn migrate(
    source: &dyn Crm,
    target: &dyn Crm,
    dir: &tempfile::TempDir,
    name: &str,
) -> Result<usize, CliError> {
    let state_path = dir
        .path()
        .join(format!("migration-{}.sqlite", target.vendor()));
    say!(
        "\nMigrating Capsule → {name} (state in {}) …",
        state_path.display()
    );
    let state = State::open(&state_path, false)?;
    let report = Migrator::new(
        source,
        target,
        state,
        Options {
            dry_run: false,
            progress: Migrator::stderr_is_terminal(),
            ..Default::default()
        },
    )
    .run()
    .await?;
    say!(
        "\n{:<14} {:>8} {:>8} {:>8} {:>12}",
        "resource",
        "created",
        "skipped",
        "failed",
        "cannot hold"
    );
    for name in ["accounts", "contacts", "opportunities", "tasks", "notes"] {
        let Some(r) = report.resources.get(name) else {
            continue;
        };
        say!(
            "{name:<14} {:>8} {:>8} {:>8} {:>12}",
            r.created + r.recovered,
            r.skipped_existing,
            r.failed.len(),
            r.unsupported
        );
    }
    // Why, once per resource: what the target cannot hold, and the first failure.
    for (name, r) in &report.resources {
        if let Some(why) = r.unsupported_reasons.first() {
            say!("  {name}: cannot hold: {why}");
        }
        if let Some(f) = r.failed.first() {
            say!("  {name}: failed: {}", f.reason);
        }
    }
    say!(
        "users matched: {}; pipelines matched: {}; custom fields matched: {}, not copied: {}",
        report.users.matched,
        report.pipelines.matched.len(),
        report.custom_fields.matched.len(),
        report.custom_fields.mismatched.len()
    );

    Ok(report.failed())
}
