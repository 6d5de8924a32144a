//! The HighLevel figures of issue #15: `mapping_cost.highlevel.<resource>` (page bytes →
//! unified models by the adapter's own page decoders, `unicrm_highlevel::pages`) and
//! `migration_throughput.capsule_to_highlevel` (a Capsule → HighLevel migration against both
//! simulators, HighLevel's limits on).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use unicrm_core::{Crm, Currency};
use unicrm_highlevel::HighLevelClient;
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions};

use crate::figures::s;
use crate::mapping::Decoder;

type R<T> = Result<T, String>;

/// The simulator's burst limit (docs/vendors/highlevel-v2.md, "Rate limits"): 100 requests
/// per 10 s.
const BURST: u32 = 100;
const WINDOW_SECS: f64 = 10.0;

async fn sim(records: usize, burst_max: u32) -> R<HighLevelSimHandle> {
    HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions { seed: 9, records },
        burst_max,
        ..Default::default()
    })
    .await
    .map_err(s)
}

async fn call(h: &HighLevelSimHandle, req: reqwest::RequestBuilder) -> R<Vec<u8>> {
    let resp = req
        .header("Authorization", format!("Bearer {}", h.token))
        .header("Version", "2021-07-28")
        .send()
        .await
        .map_err(s)?;
    if !resp.status().is_success() {
        return Err(format!("highlevel page fetch answered {}", resp.status()));
    }
    Ok(resp.bytes().await.map_err(s)?.to_vec())
}

fn count(bytes: &[u8], key: &str) -> R<usize> {
    let v: Value = serde_json::from_slice(bytes).map_err(s)?;
    Ok(v[key].as_array().map(Vec::len).unwrap_or(0))
}

/// The records of every contact's `GET /contacts/{id}/<sub>` answer, as served, gathered
/// into one `{<key>: [...]}` body (a contact holds only a few of each).
async fn sub_records(
    http: &reqwest::Client,
    h: &HighLevelSimHandle,
    contacts: &[String],
    sub: &str,
    key: &str,
) -> R<Vec<u8>> {
    let mut all = Vec::new();
    for c in contacts {
        let bytes = call(h, http.get(format!("{}contacts/{c}/{sub}", h.base_url))).await?;
        let v: Value = serde_json::from_slice(&bytes).map_err(s)?;
        if let Some(a) = v[key].as_array() {
            all.extend(a.iter().cloned());
        }
    }
    serde_json::to_vec(&json!({ key: all })).map_err(s)
}

/// One full page per HighLevel resource, each with the adapter's decoder for it.
pub async fn fetch_pages(
    http: &reqwest::Client,
) -> R<(HighLevelSimHandle, Vec<(String, Vec<u8>, usize, Decoder)>)> {
    // Limits off: the pages are fetched raw, as fast as possible.
    let h = sim(500, 0).await?;
    let mut out: Vec<(String, Vec<u8>, usize, Decoder)> = Vec::new();
    let contacts = call(
        &h,
        http.post(format!("{}contacts/search", h.base_url))
            .json(&json!({"locationId": h.location_id, "pageLimit": 500})),
    )
    .await?;
    let n = count(&contacts, "contacts")?;
    out.push((
        "highlevel.contacts".into(),
        contacts,
        n,
        Box::new(|b: &[u8]| Ok(keep(unicrm_highlevel::pages::contacts(b).map_err(s)?))),
    ));
    let businesses = call(
        &h,
        http.get(format!(
            "{}businesses/?locationId={}&limit=500",
            h.base_url, h.location_id
        )),
    )
    .await?;
    let n = count(&businesses, "businesses")?;
    out.push((
        "highlevel.accounts".into(),
        businesses,
        n,
        Box::new(|b: &[u8]| Ok(keep(unicrm_highlevel::pages::accounts(b).map_err(s)?))),
    ));
    let deals = call(
        &h,
        http.get(format!(
            "{}opportunities/search?location_id={}&limit=100&status=all",
            h.base_url, h.location_id
        )),
    )
    .await?;
    let n = count(&deals, "opportunities")?;
    let usd = Currency::new("USD").ok_or("USD")?;
    out.push((
        "highlevel.opportunities".into(),
        deals,
        n,
        Box::new(move |b: &[u8]| {
            Ok(keep(
                unicrm_highlevel::pages::opportunities(b, &usd).map_err(s)?,
            ))
        }),
    ));
    // The contacts that hold sub-records, in id order (the listing walks every contact).
    let mut holders: Vec<String> = h
        .notes()
        .iter()
        .chain(h.tasks().iter())
        .chain(h.appointments().iter())
        .filter_map(|r| {
            r.get("contactId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    holders.sort();
    holders.dedup();
    for (name, sub, key) in [
        ("highlevel.notes", "notes", "notes"),
        ("highlevel.tasks", "tasks", "tasks"),
        ("highlevel.engagements", "appointments", "events"),
    ] {
        let body = sub_records(http, &h, &holders, sub, key).await?;
        let n = count(&body, key)?;
        let decode: Decoder = match sub {
            "notes" => {
                Box::new(|b: &[u8]| Ok(keep(unicrm_highlevel::pages::notes(b, "c").map_err(s)?)))
            }
            "tasks" => {
                Box::new(|b: &[u8]| Ok(keep(unicrm_highlevel::pages::tasks(b, "c").map_err(s)?)))
            }
            _ => Box::new(|b: &[u8]| Ok(keep(unicrm_highlevel::pages::engagements(b).map_err(s)?))),
        };
        out.push((name.into(), body, n, decode));
    }
    Ok((h, out))
}

fn keep<T>(records: Vec<T>) -> usize {
    let n = records.len();
    std::hint::black_box(records);
    n
}

/// `migration_throughput.capsule_to_highlevel`: target requests per second during a
/// Capsule → HighLevel migration (HighLevel's simulator at 100 requests / 10 s, the client
/// at its default pace) ÷ that bound. Target ≥ 0.9.
pub async fn migration_throughput(people: usize) -> R<()> {
    let capsule = crate::figures::capsule_sim(people, 1_000_000, Duration::from_secs(3600)).await?;
    let highlevel = sim(0, BURST).await?;
    let source: Arc<dyn Crm> = Arc::new(crate::figures::capsule_client(&capsule, None)?);
    let target: Arc<dyn Crm> = Arc::new(
        HighLevelClient::builder()
            .base_url(highlevel.base_url.as_str())
            .location_id(highlevel.location_id.clone())
            .private_integration_token(highlevel.token.clone())
            .build()
            .map_err(s)?,
    );
    let dir = tempfile::tempdir().map_err(s)?;
    let state = unicrm_cli::migrate::state::State::open(&dir.path().join("m.sqlite"), false)
        .map_err(|e| e.message)?;
    highlevel.reset_stats();
    let t = Instant::now();
    let report = unicrm_cli::migrate::Migrator::new(
        source.as_ref(),
        target.as_ref(),
        state,
        unicrm_cli::migrate::Options {
            search_lag: vec![Duration::from_millis(50), Duration::from_millis(100)],
            ..Default::default()
        },
    )
    .run()
    .await
    .map_err(|e| e.message)?;
    let elapsed = t.elapsed().as_secs_f64();
    if report.failed() > 0 {
        return Err(format!("{} records failed to migrate", report.failed()));
    }
    let stats = highlevel.stats();
    let bound = BURST as f64 / WINDOW_SECS;
    crate::emit(
        "migration_throughput.capsule_to_highlevel",
        stats.requests as f64 / elapsed,
        "requests/s",
        bound,
        ">= 0.9",
    );
    crate::emit(
        "migration_throughput.capsule_to_highlevel.429s",
        stats.rate_limited as f64,
        "responses",
        0.0,
        "== 0",
    );
    let created: u64 = report
        .resources
        .values()
        .map(|r| r.created + r.recovered)
        .sum();
    crate::emit(
        "migration_throughput.capsule_to_highlevel.records",
        created as f64 / elapsed,
        "records/s",
        bound,
        "for information",
    );
    capsule.shutdown().await;
    highlevel.shutdown().await;
    Ok(())
}
