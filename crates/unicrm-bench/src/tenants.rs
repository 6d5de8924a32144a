//! The single-process figures of issue #17: `capsule_parallel_listing`,
//! `tenants_rss_per_idle_client` and `tenants_aggregate_rate`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::http::{ClientOptions, ConnectionPool, GovernorRateLimiter};
use unicrm_core::{Crm, ListParams};
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, FaultConfig, SeedOptions};

use crate::emit;
use crate::figures::s;

type R<T> = Result<T, String>;

/// `capsule_parallel_listing`: a full listing of 6,700 parties (67 pages of 100) with 50 ms
/// latency on every answer: time with 8 pages in flight ÷ time page by page, same run
/// (target ≤ 0.5), the 429 count (target 0), and whether each record came once and in order.
pub async fn capsule_parallel_listing() -> R<()> {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 5025, // 5,025 people + 1,675 organisations
        },
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let c = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .map_err(s)?;
    c.list_parties(&ListParams::new().page_size(1))
        .await
        .map_err(s)?; // field definitions cached for both runs
    h.set_faults(FaultConfig {
        latency_ms: 50,
        ..Default::default()
    });
    h.reset_stats();
    let t = Instant::now();
    let mut params = ListParams::new();
    let mut sequential = Vec::new();
    loop {
        let page = c.list_parties(&params).await.map_err(s)?;
        sequential.extend(page.items.iter().map(|p| p.id().to_string()));
        match page.next {
            Some(n) => params.cursor = Some(n),
            None => break,
        }
    }
    let t_seq = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let parallel: Vec<String> = c
        .list_parties_ahead(&ListParams::new(), 8)
        .map_ok(|p| p.id().to_string())
        .try_collect()
        .await
        .map_err(s)?;
    let t_par = t.elapsed().as_secs_f64();
    if parallel != sequential || sequential.len() != 6700 {
        return Err(format!(
            "parallel listing differs: {} vs {} records",
            parallel.len(),
            sequential.len()
        ));
    }
    emit("capsule_parallel_listing", t_par, "s", t_seq, "<= 0.5");
    emit(
        "capsule_parallel_listing.429s",
        h.stats().rate_limited as f64,
        "responses",
        0.0,
        "== 0",
    );
    h.shutdown().await;
    Ok(())
}

fn vm_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|st| {
            st.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `--child tenants N shared|own`: builds N idle Capsule clients (one connection pool for
/// all, or one each) and prints the growth of the peak RSS in KiB.
pub fn tenants_child(n: usize, shared: bool) -> R<()> {
    let pool = ConnectionPool::new().map_err(s)?;
    let before = vm_kib("VmHWM:");
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let mut options = ClientOptions::default();
        options.tenant = Some(format!("tenant-{i}"));
        if shared {
            options.connection_pool = Some(pool.clone());
        }
        clients.push(
            CapsuleClient::builder()
                .options(options)
                .base_url("http://127.0.0.1:9/api/v2/")
                .personal_access_token(format!("token-{i}"))
                .build()
                .map_err(s)?,
        );
    }
    let after = vm_kib("VmHWM:");
    println!("{}", after.saturating_sub(before));
    std::hint::black_box(&clients);
    Ok(())
}

fn run_tenants_child(n: usize, mode: &str) -> R<f64> {
    let out = std::process::Command::new(std::env::current_exe().map_err(s)?)
        .args(["--child", "tenants", &n.to_string(), mode])
        .output()
        .map_err(s)?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .map_err(|e| format!("tenants child: {e}"))
}

/// `tenants_rss_per_idle_client`: peak RSS growth of a fresh process building 1,000 idle
/// Capsule clients sharing one connection pool, ÷ 1,000, in KiB (target ≤ 64); beside it the
/// same with a pool per client (100 clients).
pub async fn tenants_rss_per_idle_client() -> R<()> {
    const N: usize = 1000;
    let shared = run_tenants_child(N, "shared")? / N as f64;
    emit("tenants_rss_per_idle_client", shared, "KiB", 64.0, "<= 1");
    // (100 are enough for the reference: a pool each costs the same every time.)
    let own = run_tenants_child(100, "own")? / 100.0;
    emit(
        "tenants_rss_per_idle_client.own_pool",
        own,
        "KiB",
        64.0,
        "(reference)",
    );
    Ok(())
}

/// `tenants_aggregate_rate`: 1,000 tenants' clients in one process sharing one connection
/// pool, each paced at Capsule's per-tenant bound (4,000 requests an hour, one per 900 ms),
/// all listing for 10 s against one simulator: combined requests/s ÷ the sum of the
/// per-tenant bounds (target ≥ 0.9). Beside it the simulator's own ceiling on this machine
/// (one unpaced client, 64 requests in flight).
pub async fn tenants_aggregate_rate() -> R<()> {
    const N: usize = 1000;
    const PER_TENANT: Duration = Duration::from_millis(900);
    const RUN: Duration = Duration::from_secs(10);
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 10,
        },
        hourly_budget: 100_000_000,
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let pool = ConnectionPool::new().map_err(s)?;
    let client = |limiter: Option<Arc<GovernorRateLimiter>>| {
        let mut options = ClientOptions::default();
        options.connection_pool = Some(pool.clone());
        let mut b = CapsuleClient::builder()
            .options(options)
            .base_url(h.base_url.as_str())
            .personal_access_token(h.token.clone());
        if let Some(l) = limiter {
            b = b.rate_limiter(l);
        }
        b.build().map_err(s)
    };
    // The simulator's ceiling: one client, no pace, 64 at once.
    let one = Arc::new(client(None)?);
    one.current_user().await.map_err(s)?;
    h.reset_stats();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = one.clone();
        tasks.push(tokio::spawn(async move {
            while t.elapsed() < Duration::from_secs(3) {
                let _ = c.current_user().await;
            }
        }));
    }
    for task in tasks {
        task.await.map_err(s)?;
    }
    let ceiling = h.stats().requests as f64 / t.elapsed().as_secs_f64();
    // 1,000 tenants at their own bound.
    let mut clients = Vec::with_capacity(N);
    for _ in 0..N {
        let limiter = Arc::new(GovernorRateLimiter::every(PER_TENANT, NonZeroU32::MIN));
        clients.push(Arc::new(client(Some(limiter))?));
    }
    h.reset_stats();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in &clients {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut failed = 0u64;
            while t.elapsed() < RUN {
                failed += u64::from(c.current_user().await.is_err());
            }
            failed
        }));
    }
    let mut failed = 0;
    for task in tasks {
        failed += task.await.map_err(s)?;
    }
    let achieved = h.stats().requests as f64 / t.elapsed().as_secs_f64();
    let bound = N as f64 / PER_TENANT.as_secs_f64();
    emit(
        "tenants_aggregate_rate",
        achieved,
        "requests/s",
        bound,
        ">= 0.9",
    );
    emit(
        "tenants_aggregate_rate.sim_ceiling",
        ceiling,
        "requests/s",
        bound,
        "(reference)",
    );
    emit(
        "tenants_aggregate_rate.of_sim_ceiling",
        achieved,
        "requests/s",
        ceiling,
        "(reference: what the simulator can serve here)",
    );
    emit(
        "tenants_aggregate_rate.failed",
        failed as f64,
        "requests",
        0.0,
        "== 0",
    );
    h.shutdown().await;
    Ok(())
}
