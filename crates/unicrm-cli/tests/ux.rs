//! The CLI as people use it, end to end against the simulators: default table columns per
//! resource at a fixed width, `--columns`, spreadsheet-ready CSV, error lines that say what and
//! where, and `whoami`.

mod common;

use assert_cmd::Command;
use common::Sandboxes;
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions, SeedOptions};

fn unicrm() -> Command {
    let mut c = Command::cargo_bin("unicrm").unwrap();
    for v in [
        "CAPSULE_TOKEN",
        "CAPSULE_BASE_URL",
        "INSIGHTLY_API_KEY",
        "INSIGHTLY_POD",
        "INSIGHTLY_BASE_URL",
        "RUST_LOG",
        "COLUMNS",
    ] {
        c.env_remove(v);
    }
    c
}

fn env(capsule: (&str, &str), insightly: (&str, &str), vendor: &str) -> Command {
    let mut c = unicrm();
    c.env("CAPSULE_BASE_URL", capsule.0)
        .env("CAPSULE_TOKEN", capsule.1)
        .env("INSIGHTLY_BASE_URL", insightly.0)
        .env("INSIGHTLY_API_KEY", insightly.1)
        .args(["--vendor", vendor]);
    c
}

fn with_env(sb: &Sandboxes, vendor: &str) -> Command {
    env(
        (&sb.capsule_url, &sb.capsule_token),
        (&sb.insightly_url, &sb.insightly_key),
        vendor,
    )
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code(),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn ok(c: Command) -> String {
    let o = run(c);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    o.stdout
}

fn width(s: &str) -> usize {
    // Every character of these tables is one column wide but CJK text, which the seeds put in
    // notes only; count CJK as two.
    s.chars()
        .map(|c| {
            if ('\u{3000}'..='\u{9fff}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

fn jsonl(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `port` → `PORT` and RFC 3339 instants → `<time>`, for snapshots of live values.
fn redact(s: &str, urls: &[&str]) -> String {
    let mut s = s.to_string();
    for u in urls {
        if let Ok(url) = url::Url::parse(u) {
            if let Some(p) = url.port() {
                s = s.replace(&format!(":{p}/"), ":PORT/");
            }
        }
    }
    // YYYY-MM-DDTHH:MM:SSZ
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let is_stamp = i + 20 <= b.len()
            && b[i..i + 20].iter().enumerate().all(|(k, c)| match k {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        if is_stamp {
            out.push_str("<time>");
            i += 20;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

const RESOURCES: [&str; 7] = [
    "contacts",
    "accounts",
    "opportunities",
    "tasks",
    "notes",
    "users",
    "pipelines",
];

/// The default table of every resource on both vendors, at a fixed width (COLUMNS=100).
#[test]
fn default_tables_of_every_resource_at_a_fixed_width() {
    let sb = Sandboxes::start(8, 8);
    for vendor in ["capsule", "insightly"] {
        let mut resources = RESOURCES.to_vec();
        if vendor == "insightly" {
            resources.push("leads");
        }
        for resource in resources {
            let mut c = with_env(&sb, vendor);
            c.env("COLUMNS", "100")
                .args([resource, "list", "--format", "table", "--limit", "5"]);
            let table = ok(c);
            for line in table.lines() {
                assert!(width(line) <= 100, "{vendor} {resource}: {line}");
            }
            insta::assert_snapshot!(format!("table_{vendor}_{resource}"), table);
        }
    }
}

/// A table written to a pipe without COLUMNS keeps every cell whole; with COLUMNS it fits.
#[test]
fn tables_fit_columns_and_keep_whole_cells_on_a_pipe() {
    let sb = Sandboxes::start(8, 8);
    let all = jsonl(&ok({
        let mut c = with_env(&sb, "capsule");
        c.args(["contacts", "list", "--format", "jsonl"]);
        c
    }));
    let longest = all
        .iter()
        .filter_map(|r| r["emails"][0]["address"].as_str())
        .max_by_key(|e| e.len())
        .unwrap()
        .to_string();
    let mut c = with_env(&sb, "capsule");
    c.args(["contacts", "list", "--format", "table"]);
    let whole = ok(c);
    assert!(whole.contains(&longest), "{whole}");
    assert!(!whole.contains('…'));
    assert!(whole.ends_with(&format!("{} record(s)\n", all.len())));
    for cols in ["40", "60", "80"] {
        let mut c = with_env(&sb, "capsule");
        c.env("COLUMNS", cols)
            .args(["contacts", "list", "--format", "table"]);
        let t = ok(c);
        assert!(t.contains('…'), "{t}");
        let n: usize = cols.parse().unwrap();
        // 40 is narrower than the headers and ids need: as narrow as they allow.
        let limit = n.max(52);
        assert!(t.lines().all(|l| width(l) <= limit), "{cols}: {t}");
        for r in &all {
            assert!(t.contains(r["id"].as_str().unwrap()), "ids stay whole");
        }
    }
}

/// `--columns` picks fields by unified name, alias, nested path and custom field name; `all`
/// gives every field.
#[test]
fn columns_pick_fields_by_their_unified_names() {
    let sb = Sandboxes::start(8, 8);
    for vendor in ["capsule", "insightly"] {
        let records = jsonl(&ok({
            let mut c = with_env(&sb, vendor);
            c.args(["contacts", "list", "--format", "jsonl"]);
            c
        }));
        // A custom field some record has a text value for.
        let (cf_id, name) = records
            .iter()
            .flat_map(|r| r["custom_fields"].as_array().unwrap().clone())
            .find(|cf| cf["value"]["value"].is_string() && cf["name"].is_string())
            .map(|cf| {
                (
                    cf["definition_id"].as_str().unwrap().to_string(),
                    cf["name"].as_str().unwrap().to_string(),
                )
            })
            .unwrap();
        let spec = format!("id,name,emails.0.address,cf:{name},custom_fields.{name},tags");
        let mut c = with_env(&sb, vendor);
        c.args(["contacts", "list", "--format", "csv", "--columns", &spec]);
        let csv_text = ok(c);
        let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            headers,
            [
                "id".to_string(),
                "name".into(),
                "emails.0.address".into(),
                format!("cf:{name}"),
                format!("custom_fields.{name}"),
                "tags".into()
            ]
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), records.len());
        for (row, rec) in rows.iter().zip(&records) {
            assert_eq!(&row[0], rec["id"].as_str().unwrap());
            assert_eq!(&row[2], rec["emails"][0]["address"].as_str().unwrap_or(""));
            let value = rec["custom_fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|cf| cf["definition_id"] == cf_id.as_str())
                .and_then(|cf| cf["value"]["value"].as_str())
                .unwrap_or("");
            assert_eq!(&row[3], value, "{vendor} cf:{name}");
            assert_eq!(&row[4], value);
            let tags: Vec<&str> = rec["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap())
                .collect();
            assert_eq!(&row[5], tags.join("; "));
        }
        // `all` in a table: every column the CSV export has.
        let mut c = with_env(&sb, vendor);
        c.args(["contacts", "list", "--format", "csv", "--limit", "1"]);
        let csv_header = ok(c).lines().next().unwrap().to_string();
        let mut c = with_env(&sb, vendor);
        c.args([
            "contacts",
            "get",
            records[0]["id"].as_str().unwrap(),
            "--format",
            "table",
            "--columns",
            "all",
        ]);
        let table = ok(c);
        let header_line = table.lines().nth(1).unwrap();
        let n_table = header_line
            .split("   ")
            .filter(|h| !h.trim_matches(['│', ' ']).is_empty())
            .count();
        assert_eq!(
            n_table,
            csv::Reader::from_reader(csv_header.as_bytes())
                .headers()
                .unwrap()
                .len(),
            "{header_line}"
        );
    }
}

#[test]
fn unknown_columns_are_usage_errors() {
    let sb = Sandboxes::start(3, 3);
    for (vendor, args, want) in [
        (
            "capsule",
            vec![
                "contacts",
                "list",
                "--columns",
                "id,bogus",
                "--format",
                "table",
            ],
            "unknown column `bogus` for contacts; valid columns: id, prefix, first_name",
        ),
        (
            "insightly",
            vec![
                "opportunities",
                "list",
                "--columns",
                "amount,emails",
                "--format",
                "csv",
            ],
            "unknown column `emails` for opportunities",
        ),
        (
            "capsule",
            vec![
                "contacts",
                "list",
                "--columns",
                "cf:Nope",
                "--format",
                "csv",
            ],
            "unknown custom field `Nope` for contacts; defined: ",
        ),
        (
            "insightly",
            vec![
                "contacts",
                "list",
                "--columns",
                "emails.first.address",
                "--format",
                "csv",
            ],
            "`first` is not a list index",
        ),
        (
            "capsule",
            vec!["contacts", "list", "--columns", "name", "--format", "jsonl"],
            "--columns applies to --format table and csv",
        ),
    ] {
        let mut c = with_env(&sb, vendor);
        c.args(&args);
        let o = run(c);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
        assert!(
            o.stdout.is_empty(),
            "nothing printed before the error: {}",
            o.stdout
        );
    }
}

/// CSV for spreadsheets: it parses back, nested values are flattened into their own columns,
/// amounts can be summed, the header is the same for the whole listing and for a part of it.
#[test]
fn csv_parses_back_flattened_and_sums() {
    let sb = Sandboxes::start(12, 12);
    for vendor in ["capsule", "insightly"] {
        let records = jsonl(&ok({
            let mut c = with_env(&sb, vendor);
            c.args(["opportunities", "list", "--format", "jsonl"]);
            c
        }));
        let mut c = with_env(&sb, vendor);
        c.args(["opportunities", "list", "--format", "csv"]);
        let text = ok(c);
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().unwrap().clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{vendor}: no {name} in {headers:?}"))
        };
        let (amount, currency, tags, updated) = (
            col("amount"),
            col("currency"),
            col("tags"),
            col("updated_at"),
        );
        assert!(headers.iter().any(|h| h.starts_with("cf:")), "{headers:?}");
        assert!(!headers.iter().any(|h| h == "custom_fields" || h == "raw"));
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), records.len());
        // No JSON in any cell.
        for row in &rows {
            for cell in row {
                assert!(
                    !cell.starts_with('{') && !cell.starts_with("[{"),
                    "{vendor}: {cell}"
                );
            }
        }
        // The amounts sum as in the lossless JSON.
        let sum_csv: f64 = rows
            .iter()
            .filter(|r| !r[amount].is_empty())
            .map(|r| r[amount].parse::<f64>().unwrap())
            .sum();
        let sum_json: f64 = records
            .iter()
            .filter_map(|r| r["amount"]["amount"].as_str())
            .map(|a| a.parse::<f64>().unwrap())
            .sum();
        assert!(sum_csv > 0.0);
        assert_eq!(sum_csv, sum_json, "{vendor}");
        for (row, rec) in rows.iter().zip(&records) {
            assert_eq!(
                &row[currency],
                rec["amount"]["currency"].as_str().unwrap_or("")
            );
            assert_eq!(&row[updated], rec["updated_at"].as_str().unwrap_or(""));
            let n = rec["tags"].as_array().unwrap().len();
            if n > 1 {
                assert_eq!(row[tags].matches("; ").count(), n - 1);
            }
        }
        // One header for a listing, whatever part of it is printed.
        let mut c = with_env(&sb, vendor);
        c.args(["opportunities", "list", "--format", "csv", "--limit", "1"]);
        assert_eq!(ok(c).lines().next(), text.lines().next());

        // Contacts: the first email and phone get their own columns.
        let contacts = jsonl(&ok({
            let mut c = with_env(&sb, vendor);
            c.args(["contacts", "list", "--format", "jsonl"]);
            c
        }));
        let mut c = with_env(&sb, vendor);
        c.args(["contacts", "list", "--format", "csv"]);
        let text = ok(c);
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().unwrap().clone();
        let email = headers.iter().position(|h| h == "email").unwrap();
        let phone = headers.iter().position(|h| h == "phone").unwrap();
        for (row, rec) in rdr.records().map(|r| r.unwrap()).zip(&contacts) {
            assert_eq!(
                &row[email],
                rec["emails"][0]["address"].as_str().unwrap_or("")
            );
            assert_eq!(
                &row[phone],
                rec["phones"][0]["number"].as_str().unwrap_or("")
            );
        }
    }
}

/// Error lines name the vendor, the resource, the operation and the id, with a hint; one
/// line; exit 1; never a secret.
#[test]
fn error_lines_say_what_and_where() {
    let sb = Sandboxes::start(3, 3);
    let rt = &sb.runtime;
    // A Capsule with a tiny hourly budget, for the quota line.
    let tight = rt
        .block_on(CapsuleSim::start(CapsuleSimOptions {
            seed: SeedOptions {
                seed: 7,
                records: 3,
            },
            hourly_budget: 1,
            ..Default::default()
        }))
        .unwrap();
    let tight_url = tight.base_url.to_string();
    let insightly_spent = rt
        .block_on(InsightlySim::start(InsightlySimOptions {
            seed: SeedOptions {
                seed: 7,
                records: 3,
            },
            daily_quota: 1,
            ..Default::default()
        }))
        .unwrap();
    let spent_url = insightly_spent.base_url.to_string();
    let caps = (sb.capsule_url.as_str(), sb.capsule_token.as_str());
    let ins = (sb.insightly_url.as_str(), sb.insightly_key.as_str());
    let bad_token = "not-the-token-0123456789";
    // A port nobody listens on: bound, then let go.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/api/v2/",
            l.local_addr().unwrap().port()
        )
    };
    let cases: Vec<(&str, Command, Option<&str>)> = vec![
        (
            "capsule get missing",
            {
                let mut c = env(caps, ins, "capsule");
                c.args(["contacts", "get", "999999"]);
                c
            },
            None,
        ),
        (
            "insightly get missing",
            {
                let mut c = env(caps, ins, "insightly");
                c.args(["opportunities", "get", "999999"]);
                c
            },
            None,
        ),
        (
            "capsule delete missing",
            {
                let mut c = env(caps, ins, "capsule");
                c.args(["tasks", "delete", "999999"]);
                c
            },
            None,
        ),
        (
            "capsule wrong token",
            {
                let mut c = env((caps.0, bad_token), ins, "capsule");
                c.args(["contacts", "list"]);
                c
            },
            None,
        ),
        (
            "insightly wrong key",
            {
                let mut c = env(caps, (ins.0, bad_token), "insightly");
                c.args(["accounts", "list"]);
                c
            },
            None,
        ),
        (
            "capsule unsupported",
            {
                let mut c = env(caps, ins, "capsule");
                c.args(["leads", "list"]);
                c
            },
            None,
        ),
        (
            "capsule validation",
            {
                let mut c = env(caps, ins, "capsule");
                c.args(["contacts", "create", "--json", "-"])
                    .write_stdin("{}");
                c
            },
            None,
        ),
        (
            "insightly validation",
            {
                let mut c = env(caps, ins, "insightly");
                c.args(["accounts", "create", "--json", "-"])
                    .write_stdin(r#"{"name":""}"#);
                c
            },
            None,
        ),
        (
            "capsule quota",
            {
                let mut c = env((&tight_url, &tight.token), ins, "capsule");
                // The first listing spends the budget of one; the second meets the quota.
                c.args(["contacts", "list", "--limit", "1"]);
                c
            },
            Some("first"),
        ),
        (
            "insightly quota",
            {
                let mut c = env(caps, (&spent_url, &insightly_spent.api_key), "insightly");
                c.args(["contacts", "list", "--limit", "1"]);
                c
            },
            Some("first"),
        ),
        (
            "capsule unreachable",
            {
                let mut c = env((&closed, caps.1), ins, "capsule");
                c.args(["users", "list"]);
                c
            },
            None,
        ),
    ];
    let mut report = String::new();
    for (name, mut cmd, twice) in cases {
        if twice.is_some() {
            // Spend the budget first (same arguments, same environment).
            let _ = cmd.output().unwrap();
        }
        let o = run(cmd);
        assert_eq!(o.code, Some(1), "{name}: {}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{name}: {}", o.stderr);
        for secret in [
            bad_token,
            &sb.capsule_token,
            &sb.insightly_key,
            &tight.token,
        ] {
            assert!(
                !o.stderr.contains(secret),
                "{name}: a secret in {}",
                o.stderr
            );
        }
        report.push_str(&format!("{name}:\n  {}", o.stderr));
    }
    let report = redact(
        &report,
        &[
            &sb.capsule_url,
            &sb.insightly_url,
            &tight_url,
            &spent_url,
            &closed,
        ],
    );
    insta::assert_snapshot!("error_lines_end_to_end", report);
}

/// `whoami` checks the credentials and prints the vendor, the account, the user and the rate
/// budget, as a table and as JSON.
#[test]
fn whoami_prints_vendor_account_user_and_budget() {
    let sb = Sandboxes::start(3, 3);
    let mut report = String::new();
    for vendor in ["capsule", "insightly"] {
        let mut c = with_env(&sb, vendor);
        c.args(["whoami", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&ok(c)).unwrap();
        assert_eq!(v["vendor"], vendor);
        assert!(
            v["user"]["id"].is_string() && v["user"]["name"].is_string(),
            "{v}"
        );
        let budget = &v["rate_budget"];
        let (limit, remaining) = (
            budget["limit"].as_u64().unwrap(),
            budget["remaining"].as_u64().unwrap(),
        );
        assert!(remaining < limit, "{v}");
        let mut c = with_env(&sb, vendor);
        c.arg("whoami");
        let table = ok(c);
        assert!(
            table.contains(&format!("{remaining}"))
                || table.contains(&format!("{}", remaining - 1)),
            "{table}"
        );
        report.push_str(&format!(
            "{vendor} json:\n{}\n{vendor} table:\n{table}",
            serde_json::to_string_pretty(&v).unwrap()
        ));
        // Wrong credentials: one line naming the variable to check.
        let mut c = with_env(&sb, vendor);
        c.env("CAPSULE_TOKEN", "wrong-token-abcdef")
            .env("INSIGHTLY_API_KEY", "wrong-key-abcdef")
            .arg("whoami");
        let o = run(c);
        assert_eq!(o.code, Some(1));
        assert!(
            o.stderr
                .starts_with(&format!("unicrm: error: {vendor} whoami: unauthenticated")),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains(if vendor == "capsule" {
            "CAPSULE_TOKEN"
        } else {
            "INSIGHTLY_API_KEY"
        }));
        assert!(!o.stderr.contains("wrong-token-abcdef") && !o.stderr.contains("wrong-key-abcdef"));
    }
    insta::assert_snapshot!(
        "whoami",
        redact(&report, &[&sb.capsule_url, &sb.insightly_url])
    );
}

/// `completions` prints a script per shell that knows the commands and the new flags.
#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let mut c = unicrm();
        c.args(["completions", shell]);
        let script = ok(c);
        for word in ["whoami", "columns", "contacts", "completions"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            // The script is valid bash.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("unicrm.bash");
            std::fs::write(&path, &script).unwrap();
            if let Ok(o) = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .output()
            {
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            }
        }
    }
    let mut c = unicrm();
    c.args(["completions", "tcsh"]);
    assert_eq!(run(c).code, Some(2));
}
