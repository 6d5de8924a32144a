//! Peak resident memory of a child process, read from `/proc/<pid>/status` (`VmHWM`) while it
//! runs. The last reading before the process exits is kept; the child streams to `/dev/null`,
//! so its memory at the end of the listing is its steady state.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The peak resident memory (`VmHWM`) of process `pid`, in KiB.
pub(crate) fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Runs `unicrm --vendor capsule contacts list --format jsonl` against `base_url`, counts the
/// lines it prints, and returns (peak RSS in KiB, lines).
pub fn run_and_measure(exe: &Path, base_url: &str, token: &str) -> Result<(u64, usize), String> {
    let mut child = Command::new(exe)
        .args([
            "--vendor", "capsule", "contacts", "list", "--format", "jsonl",
        ])
        .env("CAPSULE_TOKEN", token)
        .env("CAPSULE_BASE_URL", base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let counter = std::thread::spawn(move || BufReader::new(stdout).lines().count());
    let mut peak = 0u64;
    loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let lines = counter.join().map_err(|_| "counter thread panicked")?;
    Ok((peak, lines))
}
