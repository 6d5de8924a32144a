//! The `unicrm` binary against in-process simulators: every resource command on both vendors,
//! output formats, exit codes.

mod common;

use assert_cmd::Command;
use common::Sandboxes;

fn unicrm() -> Command {
    let mut c = Command::cargo_bin("unicrm").unwrap();
    for v in [
        "CAPSULE_TOKEN",
        "CAPSULE_BASE_URL",
        "INSIGHTLY_API_KEY",
        "INSIGHTLY_POD",
        "INSIGHTLY_BASE_URL",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn usage_error_exits_2() {
    let out = unicrm().args(["contacts", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = unicrm().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = unicrm()
        .args(["--vendor", "capsule", "contacts", "list", "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_credential_exits_1_naming_the_variable() {
    for (vendor, var) in [
        ("capsule", "CAPSULE_TOKEN"),
        ("insightly", "INSIGHTLY_API_KEY"),
    ] {
        let out = unicrm()
            .args(["--vendor", vendor, "contacts", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(var), "{err}");
    }
}

fn with_env(sb: &Sandboxes, vendor: &str) -> Command {
    let mut c = unicrm();
    c.env("CAPSULE_TOKEN", &sb.capsule_token)
        .env("CAPSULE_BASE_URL", &sb.capsule_url)
        .env("INSIGHTLY_API_KEY", &sb.insightly_key)
        .env("INSIGHTLY_BASE_URL", &sb.insightly_url)
        .args(["--vendor", vendor]);
    c
}

fn jsonl(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn list_every_resource_on_both_vendors() {
    let sb = Sandboxes::start(12, 12);
    for vendor in ["capsule", "insightly"] {
        for resource in [
            "contacts",
            "accounts",
            "opportunities",
            "tasks",
            "notes",
            "users",
            "pipelines",
        ] {
            let out = with_env(&sb, vendor)
                .args([resource, "list", "--format", "jsonl"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{vendor} {resource}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let rows = jsonl(&out.stdout);
            assert!(!rows.is_empty(), "{vendor} {resource} listed nothing");
            assert!(rows.iter().all(|r| r["id"].is_string()));
            assert!(rows.iter().all(|r| r.get("raw").is_none()));
        }
        // Leads: Insightly has them, Capsule says unsupported.
        let out = with_env(&sb, vendor)
            .args(["leads", "list"])
            .output()
            .unwrap();
        if vendor == "capsule" {
            assert_eq!(out.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&out.stderr).contains("not supported"));
        } else {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn limit_csv_and_json_parse_back() {
    let sb = Sandboxes::start(12, 12);
    for vendor in ["capsule", "insightly"] {
        let out = with_env(&sb, vendor)
            .args(["contacts", "list", "--limit", "5", "--format", "csv"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
        let headers = rdr.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "first_name"), "{headers:?}");
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 5);

        let out = with_env(&sb, vendor)
            .args(["accounts", "list", "--format", "json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!v.as_array().unwrap().is_empty());
    }
}

#[test]
fn crud_round_trip_on_both_vendors() {
    let sb = Sandboxes::start(6, 6);
    for vendor in ["capsule", "insightly"] {
        let new = r#"{"first_name":"Ada","last_name":"Lovelace","job_title":"Analyst","emails":[{"address":"ada@example.com","kind":"work"}],"tags":[{"name":"VIP"}]}"#;
        let out = with_env(&sb, vendor)
            .args(["contacts", "create", "--json", "-", "--format", "json"])
            .write_stdin(new)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{vendor}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A single record in `json` is the object itself.
        let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(created.is_object(), "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        assert_eq!(created["last_name"], "Lovelace");
        assert_eq!(created["emails"][0]["address"], "ada@example.com");

        let out = with_env(&sb, vendor)
            .args([
                "contacts", "update", &id, "--json", "-", "--format", "jsonl",
            ])
            .write_stdin(r#"{"job_title":"Countess"}"#)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{vendor}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let updated = &jsonl(&out.stdout)[0];
        assert_eq!(updated["job_title"], "Countess");
        assert_eq!(
            updated["first_name"], "Ada",
            "{vendor}: untouched field kept"
        );
        assert_eq!(updated["emails"][0]["address"], "ada@example.com");

        let out = with_env(&sb, vendor)
            .args(["contacts", "get", &id, "--format", "jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(jsonl(&out.stdout)[0]["job_title"], "Countess");

        let out = with_env(&sb, vendor)
            .args(["contacts", "delete", &id])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = with_env(&sb, vendor)
            .args(["contacts", "get", &id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not found"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
}

/// Create → update (a patch) → get → delete for accounts, tasks and notes on both vendors.
#[test]
fn crud_other_resources_on_both_vendors() {
    let sb = Sandboxes::start(6, 6);
    for vendor in ["capsule", "insightly"] {
        let run = |args: &[&str], stdin: Option<&str>| {
            let mut c = with_env(&sb, vendor);
            c.args(args);
            if let Some(s) = stdin {
                c.write_stdin(s.to_string());
            }
            let out = c.output().unwrap();
            assert!(
                out.status.success(),
                "{vendor} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        // A contact to hang the note on.
        let contact = jsonl(&run(
            &["contacts", "create", "--json", "-", "--format", "jsonl"],
            Some(r#"{"last_name":"Łukasiewicz"}"#),
        ))[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let cases = [
            (
                "accounts",
                r#"{"name":"Zoë Widgets Ltd","description":"first"}"#.to_string(),
                r#"{"description":"second"}"#,
                "description",
                "second",
            ),
            (
                "tasks",
                r#"{"title":"Call back","due_date":"2026-12-01"}"#.to_string(),
                r#"{"title":"Call back later"}"#,
                "title",
                "Call back later",
            ),
            (
                "notes",
                // Capsule keeps no title on a note: writing one is refused (checked below).
                if vendor == "capsule" {
                    format!(r#"{{"content":"Spoke about renewal","contact_id":"{contact}"}}"#)
                } else {
                    format!(
                        r#"{{"title":"Call","content":"Spoke about renewal","contact_id":"{contact}"}}"#
                    )
                },
                r#"{"content":"Spoke about the renewal again"}"#,
                "content",
                "Spoke about the renewal again",
            ),
        ];
        if vendor == "capsule" {
            // A field the resource cannot write: exit 1, one line naming it, nothing created.
            let out = with_env(&sb, vendor)
                .args(["notes", "create", "--json", "-"])
                .write_stdin(format!(
                    r#"{{"title":"Call","content":"x","contact_id":"{contact}"}}"#
                ))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.contains("not supported") && err.contains("title"),
                "{err}"
            );
        }
        for (resource, new, patch, field, want) in &cases {
            let created = &jsonl(&run(
                &[resource, "create", "--json", "-", "--format", "jsonl"],
                Some(new),
            ))[0];
            let id = created["id"].as_str().unwrap().to_string();
            let updated = &jsonl(&run(
                &[resource, "update", &id, "--json", "-", "--format", "jsonl"],
                Some(patch),
            ))[0];
            assert_eq!(updated[*field], *want, "{vendor} {resource}: {updated}");
            let got = &jsonl(&run(&[resource, "get", &id, "--format", "jsonl"], None))[0];
            assert_eq!(got[*field], *want, "{vendor} {resource}");
            if *resource == "notes" {
                assert_eq!(
                    got["contact_id"],
                    contact.as_str(),
                    "{vendor} note link kept"
                );
            }
            run(&[resource, "delete", &id], None);
            let out = with_env(&sb, vendor)
                .args([resource, "get", &id])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{vendor} {resource} still there"
            );
        }
    }
}

#[test]
fn verbose_logs_never_contain_secrets() {
    let sb = Sandboxes::start(3, 3);
    for (vendor, secret) in [
        ("capsule", &sb.capsule_token),
        ("insightly", &sb.insightly_key),
    ] {
        let out = with_env(&sb, vendor)
            .args([
                "-vv", "contacts", "list", "--limit", "2", "--format", "jsonl",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("response"),
            "{vendor}: expected request logs, got {err}"
        );
        assert!(
            !err.contains(secret.as_str()),
            "{vendor}: the secret is in the logs"
        );
        // Nor its Basic / Bearer encodings.
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{secret}:"));
        assert!(
            !err.contains(&basic),
            "{vendor}: the encoded secret is in the logs"
        );
    }
}

#[test]
fn bad_input_json_is_a_one_line_error() {
    let sb = Sandboxes::start(3, 3);
    let out = with_env(&sb, "capsule")
        .args(["contacts", "create", "--json", "-"])
        .write_stdin(r#"{"first_name": 5}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("first_name"), "{err}");
}

#[test]
fn changes_feed_prints_jsonl_and_a_checkpoint() {
    let sb = Sandboxes::start(6, 6);
    for vendor in ["capsule", "insightly"] {
        let out = with_env(&sb, vendor)
            .args([
                "changes",
                "--resource",
                "contacts",
                "--since",
                "2000-01-01T00:00:00Z",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{vendor}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = jsonl(&out.stdout);
        let last = rows.last().unwrap();
        assert!(last["checkpoint"]["at"].is_string(), "{last}");
        assert!(rows.len() > 1);
        assert_eq!(rows[0]["change"], "upserted");
    }
}

/// A raw HTTP/1.1 GET, as a third-party client would send it.
fn raw_get(url: &str, auth: &str) -> (u16, String) {
    raw_get_with(url, auth, &[])
}

fn raw_get_with(url: &str, auth: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nAccept: application/json\r\n{}Connection: close\r\n\r\n",
        u.host_str().unwrap(),
        headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect::<String>()
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf[9..12].parse().unwrap();
    (status, buf)
}

#[test]
fn sandbox_prints_the_contract_lines_and_serves() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("unicrm"))
        .args(["sandbox", "--records", "5", "--seed", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let capsule_line = lines.next().unwrap().unwrap();
    let insightly_line = lines.next().unwrap().unwrap();
    let highlevel_line = lines.next().unwrap().unwrap();
    let keys = |line: &str| -> Vec<String> {
        // Key order matters to the tools that read these lines: check it on the raw text.
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut keys: Vec<(usize, String)> = v
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (line.find(&format!("\"{k}\":")).unwrap(), k.clone()))
            .collect();
        keys.sort();
        keys.into_iter().map(|(_, k)| k).collect()
    };
    assert_eq!(
        keys(&capsule_line),
        [
            "vendor",
            "base_url",
            "token",
            "oauth_token_url",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(keys(&insightly_line), ["vendor", "base_url", "api_key"]);
    assert_eq!(
        keys(&highlevel_line),
        [
            "vendor",
            "base_url",
            "token",
            "location_id",
            "company_id",
            "oauth_token_url",
            "authorize_url",
            "client_id",
            "client_secret",
            "webhook_public_key"
        ]
    );
    let c: serde_json::Value = serde_json::from_str(&capsule_line).unwrap();
    let i: serde_json::Value = serde_json::from_str(&insightly_line).unwrap();
    assert_eq!(c["vendor"], "capsule");
    assert!(c["base_url"].as_str().unwrap().ends_with("/api/v2/"));
    assert!(i["base_url"].as_str().unwrap().ends_with("/v3.1/"));

    let (status, body) = raw_get(
        &format!("{}parties?perPage=2", c["base_url"].as_str().unwrap()),
        &format!("Bearer {}", c["token"].as_str().unwrap()),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"parties\""));
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:", i["api_key"].as_str().unwrap()));
    let (status, body) = raw_get(
        &format!("{}Contacts?top=2", i["base_url"].as_str().unwrap()),
        &format!("Basic {basic}"),
    );
    assert_eq!(status, 200, "{body}");
    let h: serde_json::Value = serde_json::from_str(&highlevel_line).unwrap();
    assert_eq!(h["vendor"], "highlevel");
    let (status, body) = raw_get_with(
        &format!(
            "{}users/?locationId={}",
            h["base_url"].as_str().unwrap(),
            h["location_id"].as_str().unwrap()
        ),
        &format!("Bearer {}", h["token"].as_str().unwrap()),
        &[("Version", "2021-07-28")],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"users\""));
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn projects_engagements_and_fields_on_both_vendors() {
    let sb = Sandboxes::start(12, 12);
    for vendor in ["capsule", "insightly"] {
        for resource in ["projects", "engagements", "fields"] {
            let out = with_env(&sb, vendor)
                .args([resource, "list", "--format", "jsonl"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{vendor} {resource}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let rows = jsonl(&out.stdout);
            assert!(!rows.is_empty(), "{vendor} {resource} listed nothing");
            assert!(rows.iter().all(|r| r["id"].is_string()));
        }
        // The definitions of one record type only.
        let out = with_env(&sb, vendor)
            .args(["fields", "list", "--of", "contacts", "--format", "jsonl"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = jsonl(&out.stdout);
        assert!(!rows.is_empty(), "{vendor}: no contact fields");
        assert!(
            rows.iter().all(|r| r["applies_to"]
                .as_array()
                .is_some_and(|a| a.iter().any(|k| k == "contact"))),
            "{vendor}: a field listed --of contacts does not apply to contacts"
        );
        // --of belongs to `fields list`.
        let out = with_env(&sb, vendor)
            .args(["contacts", "list", "--of", "accounts"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{vendor}");
        // The table shows the chosen columns.
        let out = with_env(&sb, vendor)
            .args(["engagements", "list", "--format", "table", "--limit", "3"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        // The header is the first line with text (a border may come first).
        let header = text
            .lines()
            .find(|l| l.chars().any(char::is_alphabetic))
            .unwrap_or_default()
            .to_lowercase();
        assert!(
            header.contains("kind") && header.contains("subject"),
            "{vendor}: {header}"
        );
    }
    // Capsule has activity types; Insightly has no engagement types: one `unsupported` line.
    let out = with_env(&sb, "capsule")
        .args(["engagement-types", "list", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(jsonl(&out.stdout).len() >= 3, "the built-in activity types");
    let out = with_env(&sb, "insightly")
        .args(["engagement-types", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not supported"), "{err}");
}
