//! A throwaway PostgreSQL server for tests (feature `postgres`): `initdb` in a temporary
//! directory, `postgres` on a free loopback port, stopped (and its files removed) on drop.
//!
//! The server binaries come from `UNICRM_PG_BIN`, else the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql` package), else `PATH`. PostgreSQL
//! refuses to run as root: as root, every server command runs as the `postgres` user (through
//! `runuser`). A missing server is an error, never a silent skip.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running test server; stopped on drop.
#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn bin_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("UNICRM_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).unwrap_or_default()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` user when we are root.
fn pg_command(bin: &Path, program: &str) -> Command {
    let path = if bin.as_os_str().is_empty() {
        PathBuf::from(program)
    } else {
        bin.join(program)
    };
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c.output().map_err(|e| {
        format!("{what}: cannot run ({e}); install PostgreSQL (Debian: apt-get install postgresql)")
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl PgServer {
    /// Initialises and starts a server; an error says what is missing.
    pub fn start() -> Result<PgServer, String> {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("unicrm-pg")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres").arg(dir.path());
                    c
                },
                "chown",
            )?;
        }
        let data = dir.path().join("data");
        let mut init = pg_command(&bin, "initdb");
        init.arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .arg("--locale=C");
        run(init, "initdb")?;
        // A free port now; another process could take it before the server does, so a few
        // tries.
        let mut last = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            let mut start = pg_command(&bin, "pg_ctl");
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("log"))
                .arg("-o")
                .arg(format!(
                    "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=50",
                    dir.path().display()
                ))
                .args(["-w", "-t", "60", "start"]);
            match run(start, "pg_ctl start") {
                Ok(()) => return Ok(PgServer { dir, bin, port }),
                Err(e) => last = e,
            }
        }
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        Err(format!("{last}\n{log}"))
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` (the `postgres` superuser, no password).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `db` and returns its URL.
    pub async fn create_database(&self, db: &str) -> Result<String, String> {
        let (client, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let task = tokio::spawn(conn);
        let made = client
            .batch_execute(&format!("CREATE DATABASE \"{db}\""))
            .await
            .map_err(|e| e.to_string());
        drop(client);
        let _ = task.await;
        made.map(|()| self.url(db))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = pg_command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = run(stop, "pg_ctl stop");
    }
}
