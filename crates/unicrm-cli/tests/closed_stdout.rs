//! A closed stdout (`unicrm … | head -1`) ends every streaming command quietly with exit 0:
//! the binary is spawned with a pipe that the test closes after the first line (or before any
//! line, for commands that write only at the end or before they serve).

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::Sandboxes;

fn unicrm(sb: &Sandboxes) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("unicrm"));
    c.env_remove("RUST_LOG")
        .env_remove("INSIGHTLY_POD")
        .env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Waits for the child (killing it and failing after a generous bound, so a command that keeps
/// running on a closed stdout fails the test instead of hanging it); returns its exit code and
/// stderr.
fn finish(mut child: Child, what: &str) -> (Option<i32>, String) {
    for _ in 0..6000 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("{what}: still running after its stdout was closed");
}

/// Reads one line, then closes the pipe.
fn after_first_line(mut child: Child, what: &str) -> (Option<i32>, String) {
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{what}: {first}");
    finish(child, what)
}

/// Closes the pipe before reading anything.
fn closed_at_once(mut child: Child, what: &str) -> (Option<i32>, String) {
    drop(child.stdout.take());
    finish(child, what)
}

#[test]
fn streaming_commands_end_quietly_on_a_closed_stdout() {
    // Enough records that the listings write far more than a pipe holds after the first line.
    let sb = Sandboxes::start(400, 300);
    for vendor in ["capsule", "insightly"] {
        let child = unicrm(&sb)
            .args(["--vendor", vendor, "contacts", "list", "--format", "jsonl"])
            .spawn()
            .unwrap();
        let (code, err) = after_first_line(child, "list");
        assert_eq!((code, err.as_str()), (Some(0), ""), "{vendor} list");
        let child = unicrm(&sb)
            .args([
                "--vendor",
                vendor,
                "changes",
                "--resource",
                "contacts",
                "--since",
                "2000-01-01T00:00:00Z",
            ])
            .spawn()
            .unwrap();
        let (code, err) = after_first_line(child, "changes");
        assert_eq!((code, err.as_str()), (Some(0), ""), "{vendor} changes");
    }
    let dir = tempfile::tempdir().unwrap();
    let child = unicrm(&sb)
        .args([
            "migrate",
            "--from",
            "capsule",
            "--to",
            "insightly",
            "--dry-run",
            "--state",
        ])
        .arg(dir.path().join("s.sqlite"))
        .spawn()
        .unwrap();
    let (code, err) = closed_at_once(child, "migrate");
    assert_eq!((code, err.as_str()), (Some(0), ""), "migrate --dry-run");
    let child = unicrm(&sb)
        .args(["sandbox", "--vendor", "all", "--records", "3"])
        .spawn()
        .unwrap();
    let (code, err) = closed_at_once(child, "sandbox");
    assert_eq!((code, err.as_str()), (Some(0), ""), "sandbox");
}
