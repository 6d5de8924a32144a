//! `unicrm --vendor highlevel …` end to end against the HighLevel simulator, configured only
//! by `HIGHLEVEL_TOKEN`, `HIGHLEVEL_LOCATION_ID` and `HIGHLEVEL_BASE_URL` (and
//! `HIGHLEVEL_COMPANY_ID` for the users search): the default table of every resource the
//! adapter lists, JSON lines that count what the simulator holds, a get by id, and a resource
//! the adapter does not offer failing with one "not supported" line.

use assert_cmd::Command;
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions};

struct Sim {
    sim: HighLevelSimHandle,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions {
                seed: 7,
                records: 8,
            },
            ..Default::default()
        }))
        .unwrap();
    Sim {
        sim,
        _runtime: runtime,
    }
}

fn unicrm(s: &Sim) -> Command {
    let mut c = Command::cargo_bin("unicrm").unwrap();
    for v in ["RUST_LOG", "COLUMNS", "HIGHLEVEL_COMPANY_ID"] {
        c.env_remove(v);
    }
    c.env("HIGHLEVEL_TOKEN", &s.sim.token)
        .env("HIGHLEVEL_LOCATION_ID", &s.sim.location_id)
        .env("HIGHLEVEL_BASE_URL", s.sim.base_url.as_str())
        .args(["--vendor", "highlevel"]);
    c
}

fn ok(mut c: Command) -> String {
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

const RESOURCES: [&str; 5] = [
    "contacts",
    "accounts",
    "opportunities",
    "users",
    "pipelines",
];

#[test]
fn every_listed_resource_as_a_table_and_as_json_lines() {
    let s = start();
    for resource in RESOURCES {
        let mut c = unicrm(&s);
        c.env("COLUMNS", "100")
            .args([resource, "list", "--format", "table", "--limit", "5"]);
        let table = ok(c);
        assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
        insta::assert_snapshot!(format!("highlevel_table_{resource}"), table);
    }
    let held = [
        ("contacts", s.sim.contacts().len()),
        ("accounts", s.sim.businesses().len()),
        ("opportunities", s.sim.opportunities().len()),
        ("users", s.sim.users().len()),
        ("pipelines", s.sim.pipelines().len()),
    ];
    for (resource, n) in held {
        assert!(n >= 3, "{resource}: the seed holds {n}");
        let mut c = unicrm(&s);
        c.args([resource, "list", "--format", "jsonl"]);
        let out = ok(c);
        let rows: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), n, "{resource}: {out}");
    }
    // The users search with the agency id lists the same users.
    let mut c = unicrm(&s);
    c.env("HIGHLEVEL_COMPANY_ID", &s.sim.company_id)
        .args(["users", "list", "--format", "jsonl"]);
    assert_eq!(ok(c).lines().count(), s.sim.users().len());
}

#[test]
fn get_by_id_and_an_unsupported_resource() {
    let s = start();
    let id = s.sim.businesses()[0]["id"].as_str().unwrap().to_string();
    let mut c = unicrm(&s);
    c.args(["accounts", "get", &id, "--format", "jsonl"]);
    let out = ok(c);
    let one: serde_json::Value = serde_json::from_str(out.lines().next().unwrap_or("")).unwrap();
    assert_eq!(one["id"], id.as_str());
    let mut c = unicrm(&s);
    c.args(["leads", "list"]);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not supported by highlevel"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `engagement-types` lists the location's calendars (the adapter's engagement types), and
/// reads one by id.
#[test]
fn engagement_types_are_the_locations_calendars() {
    let s = start();
    let calendars = s.sim.calendars();
    assert!(calendars.len() >= 2, "the seed holds calendars");
    let mut c = unicrm(&s);
    c.args(["engagement-types", "list", "--format", "jsonl"]);
    let out = ok(c);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let want: Vec<(&str, &str)> = calendars
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(got, want, "{out}");
    assert!(rows.iter().all(|r| r["kind"] == "appointment"), "{out}");
    let mut c = unicrm(&s);
    c.args(["engagement-types", "get", want[1].0, "--format", "jsonl"]);
    let one: serde_json::Value = serde_json::from_str(ok(c).trim()).unwrap();
    assert_eq!(one["name"], want[1].1);
}
