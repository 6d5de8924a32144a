//! `sync_backlog_peak_rss` (issue #16): the peak memory of `unicrm sync --once` (a child
//! process, built next to this one; a release build is meant) while it drains a backlog of
//! source changes, at two backlog sizes, and their ratio: memory bounded by a batch shows as
//! a ratio near 1, memory growing with the backlog as a ratio near the sizes' ratio (10).
//!
//! The backlog is a Capsule simulator seeded with N people (and the records the seed makes
//! with them) that the target has never seen: the first cycle mirrors every change the feed
//! yields. The target is an Insightly simulator with its limits off (no per-second limit, a
//! daily quota that cannot run out), and the child's client paces at a rate it never reaches,
//! so the run is bound by the machine, not by pacing. Both simulators run in this process;
//! only the child is measured: its `VmHWM` read from `/proc/<pid>/status` every
//! [`POLL`] while it runs (the peak is monotonic, so the last reading misses at most one
//! period's growth). The child's cycle line (stdout) says how many changes it applied; a
//! cycle that applied fewer than the source's people is an error, not a figure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use unicrm_sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions, SeedOptions};

use crate::emit;
use crate::figures::s;
use crate::rss::vm_hwm_kib;

type R<T> = Result<T, String>;

/// How often the child's peak is read.
const POLL: Duration = Duration::from_millis(20);
/// The longest one drain may take.
const CHILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Backlog sizes (people at the source) when `UNICRM_BENCH_BACKLOG` does not give them
/// (`UNICRM_BENCH_BACKLOG=10000,100000`: the smaller first, then the larger).
const DEFAULT_SIZES: [usize; 2] = [10_000, 100_000];

/// The two backlog sizes: `UNICRM_BENCH_BACKLOG` (two comma-separated counts) or the default.
fn sizes() -> R<[usize; 2]> {
    let Ok(text) = std::env::var("UNICRM_BENCH_BACKLOG") else {
        return Ok(DEFAULT_SIZES);
    };
    let parsed: Vec<usize> = text
        .split(',')
        .map(|n| n.trim().replace('_', "").parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("UNICRM_BENCH_BACKLOG={text:?}: {e}"))?;
    match parsed[..] {
        [a, b] if 0 < a && a < b => Ok([a, b]),
        _ => Err(format!(
            "UNICRM_BENCH_BACKLOG={text:?}: give two counts, the smaller first"
        )),
    }
}

/// One drain: what the child applied and its peak.
struct Drain {
    people: usize,
    upserted: u64,
    failed: u64,
    peak_kib: u64,
    secs: f64,
}

/// The `upserted` and `failed` counts of a cycle line.
fn cycle_counts(stdout: &str) -> R<(u64, u64)> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("the sync printed no cycle line: {stdout:?}"))?;
    let v: serde_json::Value = serde_json::from_str(line).map_err(s)?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    Ok((n("upserted"), n("failed")))
}

/// Runs `unicrm sync --once` from `source` to `target` and samples its peak until it exits.
fn run_child(exe: &Path, state: &Path, source: (&str, &str), target: (&str, &str)) -> R<Drain> {
    let t0 = Instant::now();
    let mut child = Command::new(exe)
        .args(["sync", "--from", "capsule", "--to", "insightly", "--once"])
        .arg("--state")
        .arg(state)
        .args(["--from-base-url", source.0, "--to-base-url", target.0])
        .env("CAPSULE_TOKEN", source.1)
        .env("INSIGHTLY_API_KEY", target.1)
        .env("INSIGHTLY_REQUESTS_PER_SECOND", "100000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().map_err(s)? {
            break status;
        }
        if t0.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the sync took longer than {CHILD_TIMEOUT:?}"));
        }
        std::thread::sleep(POLL);
    };
    let out = reader.join().map_err(|_| "the reader thread panicked")?;
    if !status.success() {
        return Err(format!("the sync exited with {status}: {out}"));
    }
    let (upserted, failed) = cycle_counts(&out)?;
    Ok(Drain {
        people: 0,
        upserted,
        failed,
        peak_kib: peak,
        secs: t0.elapsed().as_secs_f64(),
    })
}

async fn drain(exe: &Path, people: usize) -> R<Drain> {
    let capsule = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: people,
        },
        hourly_budget: u32::MAX,
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let insightly = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 0,
        },
        requests_per_second: 0,
        daily_quota: u32::MAX,
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let dir = tempfile::tempdir().map_err(s)?;
    let state = dir.path().join("sync.sqlite");
    let (exe, su, st, tu, tk) = (
        exe.to_path_buf(),
        capsule.base_url.to_string(),
        capsule.token.clone(),
        insightly.base_url.to_string(),
        insightly.api_key.clone(),
    );
    let result =
        tokio::task::spawn_blocking(move || run_child(&exe, &state, (&su, &st), (&tu, &tk)))
            .await
            .map_err(s)?;
    capsule.shutdown().await;
    insightly.shutdown().await;
    let d = result?;
    if d.failed > 0 || d.upserted < people as u64 {
        return Err(format!(
            "the sync of {people} people applied {} changes ({} failed): not a drained backlog",
            d.upserted, d.failed
        ));
    }
    Ok(Drain { people, ..d })
}

/// `sync_backlog_peak_rss`: the larger backlog's peak, bounded by the smaller one's.
pub async fn sync_backlog_peak_rss() -> R<()> {
    let exe = std::env::current_exe().map_err(s)?.with_file_name("unicrm");
    if !exe.exists() {
        return Err(format!(
            "{} not found: build it first (cargo build --release -p unicrm-cli)",
            exe.display()
        ));
    }
    let [small, large] = sizes()?;
    let a = drain(&exe, small).await?;
    let b = drain(&exe, large).await?;
    for d in [&a, &b] {
        eprintln!(
            "unicrm-bench: sync backlog of {} people: {} changes applied in {:.1} s, peak {} KiB",
            d.people, d.upserted, d.secs, d.peak_kib
        );
    }
    emit(
        format!("sync_backlog_peak_rss.{}", label(small)),
        a.peak_kib as f64 / 1024.0,
        "MiB",
        a.peak_kib as f64 / 1024.0,
        "(reference: the smaller backlog)",
    );
    emit(
        "sync_backlog_peak_rss",
        b.peak_kib as f64 / 1024.0,
        "MiB",
        a.peak_kib as f64 / 1024.0,
        &format!(
            "<= 1.2 (peak draining {} ÷ draining {})",
            label(large),
            label(small)
        ),
    );
    emit(
        "sync_backlog_peak_rss.changes",
        b.upserted as f64,
        "changes",
        a.upserted as f64,
        "(reference: changes applied, larger ÷ smaller backlog)",
    );
    Ok(())
}

/// `10k`, `100k`, `1m`, or the plain count.
fn label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_line_gives_the_counts() {
        let out = "{\"cycle\":1,\"upserted\":12,\"deleted\":0,\"failed\":2,\"lag_ms\":0}\n";
        assert_eq!(cycle_counts(out).unwrap(), (12, 2));
        assert!(cycle_counts("nothing").is_err());
    }

    #[test]
    fn labels_name_round_sizes() {
        assert_eq!(label(10_000), "10k");
        assert_eq!(label(1_000_000), "1m");
        assert_eq!(label(1_500), "1500");
    }
}
