//! The Insightly simulator's routing, over HTTP: every route and its edge cases (path case,
//! trailing and doubled slashes, ids that are not numbers, extra segments, every method, the
//! Leads switch, authentication before routing) answer exactly what the golden file
//! `tests/fixtures/insightly_routes.txt` records: status, `X-Total-Count` and body.
//!
//! The golden file was recorded from the hand-dispatched router that preceded the `axum`
//! routes, so the move to routing is checked to change no answer. After a deliberate change,
//! rewrite it with `SIM_GOLDEN_WRITE=1 cargo test -p unicrm-sim --test insightly_routing` and
//! review the diff.

use base64::Engine;
use chrono::TimeZone;
use reqwest::{Client, Method};
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions, SimClock};

const GOLDEN: &str = "tests/fixtures/insightly_routes.txt";

/// Paths tried with every method, in order (writes are applied, so the order matters).
const PATHS: &[&str] = &[
    "/",
    "/v3.1",
    "/v3.1/",
    "/v3.0/Contacts",
    "/v3.1/Contacts",
    "/V3.1/contacts",
    "/v3.1/contacts/",
    "/v3.1//Contacts",
    "/v3.1/Contacts?top=abc",
    "/v3.1/Contacts?top=2&skip=1&count_total=true&brief=true",
    "/v3.1/CONTACTS/10000002",
    "/v3.1/Contacts/abc",
    "/v3.1/Contacts/%31",
    "/v3.1/Contacts/99",
    "/v3.1/Contacts/18446744073709551616",
    "/v3.1/Contacts/10000003/extra/x",
    "/v3.1/Contacts/Search",
    "/v3.1/contacts/search?field_name=LAST_NAME&field_value=x&count_total=true",
    "/v3.1/Contacts/Search?field_name=NOPE&field_value=x",
    "/v3.1/Contacts/Search/Tags",
    "/v3.1/Contacts/SearchByTag",
    "/v3.1/Contacts/searchbytag?tagName=vip",
    "/v3.1/Tasks/SearchByTag?tagName=vip",
    "/v3.1/Notes",
    "/v3.1/Notes/80000001",
    "/v3.1/Contacts/10000004/Tags",
    "/v3.1/Contacts/10000004/tags?tagName=x",
    "/v3.1/Tasks/50000001/Tags",
    "/v3.1/Contacts/abc/Tags",
    "/v3.1/Contacts/99/Tags",
    "/v3.1/Contacts/10000005/Links",
    "/v3.1/Contacts/abc/Links",
    "/v3.1/Contacts/10000005/Links/90000001",
    "/v3.1/Contacts/10000005/Links/abc",
    "/v3.1/Contacts/10000005/Links/1/2",
    "/v3.1/Contacts/10000006/Notes",
    "/v3.1/Contacts/abc/Notes",
    "/v3.1/Tasks/50000002/Notes",
    "/v3.1/Contacts/10000006/Tasks?count_total=true",
    "/v3.1/Contacts/abc/Tasks",
    "/v3.1/Contacts/99/Tasks",
    "/v3.1/Tasks/50000002/Tasks",
    "/v3.1/Notes/80000001/Tasks",
    "/v3.1/Opportunities/30000001/StateChange",
    "/v3.1/Opportunities/99/StateChange",
    "/v3.1/opportunities/30000001/pipeline",
    "/v3.1/Opportunities/30000002/PipelineStage",
    "/v3.1/Opportunities/abc/Pipeline",
    "/v3.1/Opportunities/30000002/Other",
    "/v3.1/Contacts/10000007/StateChange",
    "/v3.1/Users",
    "/v3.1/users/me",
    "/v3.1/Users/Me/Extra",
    "/v3.1/Users/Search?field_name=FIRST_NAME&field_value=x",
    "/v3.1/Users/Search?field_name=FIRST_NAME",
    "/v3.1/Users/501",
    "/v3.1/Users/99",
    "/v3.1/Users/abc",
    "/v3.1/Users/501/x/y",
    "/v3.1/CustomFields",
    "/v3.1/CustomFields/Contacts",
    "/v3.1/customfields/contacts/search?field_name=Region__c",
    "/v3.1/CustomFields/Contacts/Other",
    "/v3.1/CustomFields/Widgets",
    "/v3.1/CustomFields/Contacts/Search/x",
    "/v3.1/Tags",
    "/v3.1/Tags/Contacts",
    "/v3.1/tags/opportunities",
    "/v3.1/Tags/Tasks",
    "/v3.1/Tags/Contacts/x",
    "/v3.1/Instance",
    "/v3.1/instance/",
    "/v3.1/Instance/x",
    "/v3.1/Pipelines",
    "/v3.1/pipelines/21",
    "/v3.1/Pipelines/abc",
    "/v3.1/Pipelines/99",
    "/v3.1/Pipelines/21/x",
    "/v3.1/PipelineStages?top=2&count_total=true",
    "/v3.1/OpportunityCategories",
    "/v3.1/TaskCategories/16",
    "/v3.1/OpportunityStateReasons",
    "/v3.1/LeadStatuses",
    "/v3.1/LeadSources/71",
    "/v3.1/Currencies",
    "/v3.1/Countries?top=1",
    "/v3.1/Relationships",
    "/v3.1/Teams",
    "/v3.1/ProjectCategories",
    "/v3.1/Organizations",
    "/v3.1/Widgets/1",
    "/v3.1/Leads",
    "/v3.1/Leads/60000001",
    "/v3.1/Organisations/20000001/Notes",
    "/v3.1/Opportunities/30000003/Tags",
    "/v3.1/Tasks",
    "/v3.1/Tasks/50000003",
    "/v3.1/Organisations/20000002",
    "/v3.1/Organisations/20000002/Links",
    // Events and emails (docs/vendors/insightly-v3.1-addendum.md, "Events", "Emails").
    "/v3.1/Events?top=2",
    "/v3.1/Events/Search?top=1",
    "/v3.1/Events/44000002/Links",
    "/v3.1/Events/44000002/Tags",
    "/v3.1/Events/44000002",
    "/v3.1/Events/x",
    "/v3.1/Emails?top=2",
    "/v3.1/Emails/95000002/Links",
    "/v3.1/Emails/95000002/Tags",
    "/v3.1/Emails/95000002",
    "/v3.1/Contacts/10000003/Events",
    "/v3.1/Contacts/10000003/Emails",
    "/v3.1/Tasks/50000001/Events",
];

/// Paths tried with every method on an instance whose Leads module is off.
const LEADS_OFF_PATHS: &[&str] = &[
    "/v3.1/Leads",
    "/v3.1/leads/1/x",
    "/v3.1/LeadSources",
    "/v3.1/LeadStatuses/81",
    "/v3.1/CustomFields/Leads",
    "/v3.1/customfields/leads/x/y",
    "/v3.1/Tags/leads",
    "/v3.1/Tags/Leads/x",
    "/v3.1/Contacts/SearchByTag?tagName=x",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

async fn start(leads_enabled: bool) -> InsightlySimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let start = chrono::Utc
        .with_ymd_and_hms(2025, 6, 2, 9, 0, 0)
        .single()
        .expect("date");
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 11,
            records: 40,
        },
        requests_per_second: 0,
        clock: SimClock::manual(start),
        leads_enabled,
        ..InsightlySimOptions::default()
    })
    .await
    .expect("start simulator")
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

/// FNV-1a 64 of a body, to pin it without copying it into the golden file.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Sends one request and renders its answer as one line of the golden file.
async fn line(http: &Client, origin: &str, auth: Option<&str>, method: &str, path: &str) -> String {
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = http.request(m.clone(), format!("{origin}{path}"));
    if let Some(a) = auth {
        rb = rb.header("Authorization", a);
    }
    if m == Method::POST || m == Method::PUT || m == Method::PATCH {
        rb = rb.header("Content-Type", "application/json").body("{}");
    }
    let r = rb.send().await.expect("send");
    let status = r.status().as_u16();
    let total = r
        .headers()
        .get("X-Total-Count")
        .and_then(|v| v.to_str().ok())
        .map(|t| format!(" total={t}"))
        .unwrap_or_default();
    let body = r.bytes().await.expect("body");
    let text = String::from_utf8_lossy(&body);
    let head: String = text.chars().take(110).collect();
    format!(
        "{method} {path} -> {status}{total} len={} #{:016x} {head}",
        body.len(),
        fnv(&body)
    )
}

async fn run_matrix(sim: &InsightlySimHandle, paths: &[&str], auth: &str, out: &mut Vec<String>) {
    let http = Client::new();
    let origin = sim.base_url.origin().ascii_serialization();
    for path in paths {
        for method in METHODS {
            out.push(line(&http, &origin, Some(auth), method, path).await);
        }
    }
}

#[tokio::test]
async fn every_route_answers_as_recorded() {
    let mut out = Vec::new();
    let sim = start(true).await;
    out.push("# leads on".to_string());
    run_matrix(&sim, PATHS, &basic(&sim.api_key), &mut out).await;

    out.push("# authentication comes before routing".to_string());
    let http = Client::new();
    let origin = sim.base_url.origin().ascii_serialization();
    for path in ["/v3.1/Contacts", "/nowhere", "/v3.1/Widgets"] {
        out.push(line(&http, &origin, None, "GET", path).await);
        out.push(line(&http, &origin, Some("Bearer x"), "POST", path).await);
        let other = basic(&sim.other_pod_key());
        out.push(line(&http, &origin, Some(&other), "DELETE", path).await);
    }
    sim.shutdown().await;

    let sim = start(false).await;
    out.push("# leads off".to_string());
    run_matrix(&sim, LEADS_OFF_PATHS, &basic(&sim.api_key), &mut out).await;
    sim.shutdown().await;

    let got = out.join("\n") + "\n";
    if std::env::var_os("SIM_GOLDEN_WRITE").is_some() {
        std::fs::write(GOLDEN, &got).expect("write golden");
    }
    let want = std::fs::read_to_string(GOLDEN).expect("read golden");
    let mut first_diff = None;
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            first_diff = Some(format!("line {}:\n  got  {g}\n  want {w}", i + 1));
            break;
        }
    }
    assert!(
        first_diff.is_none() && got.lines().count() == want.lines().count(),
        "routing answers changed; {}",
        first_diff.unwrap_or_else(|| "line counts differ".into())
    );
}

/// Status and parsed JSON body (`Null` when empty) of one request with the instance's key.
async fn call(sim: &InsightlySimHandle, method: &str, path: &str) -> (u16, serde_json::Value) {
    let origin = sim.base_url.origin().ascii_serialization();
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let r = Client::new()
        .request(m, format!("{origin}{path}"))
        .header("Authorization", basic(&sim.api_key))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, value)
}

#[tokio::test]
async fn path_case_and_slashes_do_not_matter() {
    let sim = start(true).await;
    let canonical = call(&sim, "GET", "/v3.1/Contacts/10000001/Links").await;
    assert_eq!(canonical.0, 200);
    assert!(canonical.1.as_array().is_some_and(|a| !a.is_empty()));
    for variant in [
        "/V3.1/contacts/10000001/links",
        "/v3.1/CONTACTS/10000001/LINKS/",
        "/v3.1//Contacts//10000001/Links",
    ] {
        assert_eq!(call(&sim, "GET", variant).await, canonical, "{variant}");
    }
    let (s, v) = call(&sim, "GET", "/v3.1/pipelinestages/31").await;
    assert_eq!((s, v["STAGE_ID"].as_u64()), (200, Some(31)));
    let (s, v) = call(&sim, "GET", "/v3.1/users/ME").await;
    assert_eq!((s, v["USER_ID"].as_u64()), (200, Some(501)));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_the_vendor_shapes() {
    let sim = start(true).await;
    let no_route = |p: &str| {
        serde_json::json!({
            "Message": format!("No HTTP resource was found that matches the request URI '{p}'.")
        })
    };
    let not_allowed = |m: &str| {
        serde_json::json!({
            "Message": format!("The requested resource does not support http method '{m}'.")
        })
    };
    // The 404 quotes the path as sent, not as routed.
    for p in [
        "/v3.1/organizations",
        "/v3.1/Contacts/abc",
        "/v3.1/Contacts/%31",
        "/v3.1/tasks/50000001/tags",
        "/v3.0/Contacts",
        "/v3.1/",
    ] {
        assert_eq!(call(&sim, "GET", p).await, (404, no_route(p)), "{p}");
    }
    let missing_opportunity =
        serde_json::json!({"Message": "Opportunity with ID 99 was not found."});
    let cases = [
        // A non-numeric id is a 404 whatever the method; a numeric one a 405.
        (
            "PUT",
            "/v3.1/contacts/abc",
            404,
            no_route("/v3.1/contacts/abc"),
        ),
        ("PUT", "/v3.1/Contacts/10000001", 405, not_allowed("PUT")),
        ("POST", "/v3.1/Notes", 405, not_allowed("POST")),
        // HEAD is not an implicit GET (a HEAD answer has no body).
        ("HEAD", "/v3.1/Contacts", 405, serde_json::Value::Null),
        ("HEAD", "/v3.1/Contacts/abc", 404, serde_json::Value::Null),
        // Read-only families: 405 to any other method at any depth, 404 to GET below them.
        ("DELETE", "/v3.1/Users/Me/Extra", 405, not_allowed("DELETE")),
        (
            "GET",
            "/v3.1/Users/Me/Extra",
            404,
            no_route("/v3.1/Users/Me/Extra"),
        ),
        ("PATCH", "/v3.1/Pipelines/21/x", 405, not_allowed("PATCH")),
        // A missing opportunity is judged before the method of its operations.
        (
            "GET",
            "/v3.1/Opportunities/99/StateChange",
            404,
            missing_opportunity,
        ),
        (
            "GET",
            "/v3.1/Opportunities/30000001/StateChange",
            405,
            not_allowed("GET"),
        ),
    ];
    for (m, p, status, body) in cases {
        assert_eq!(call(&sim, m, p).await, (status, body), "{m} {p}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn leads_switch_closes_only_the_leads_paths() {
    let sim = start(false).await;
    let forbidden = serde_json::json!({
        "Message": "No Access to Data: Leads are not enabled for this user."
    });
    for p in [
        "/v3.1/leads",
        "/v3.1/LeadStatuses/81",
        "/v3.1/CustomFields/LEADS",
        "/v3.1/tags/Leads",
    ] {
        assert_eq!(call(&sim, "GET", p).await, (403, forbidden.clone()), "{p}");
    }
    // Custom fields and tag names of other objects, and a `leads` segment elsewhere, stay open.
    for (p, status) in [
        ("/v3.1/CustomFields/Contacts", 200),
        ("/v3.1/Tags/Contacts", 200),
        ("/v3.1/Contacts/leads", 404),
    ] {
        assert_eq!(call(&sim, "GET", p).await.0, status, "{p}");
    }
    sim.shutdown().await;
}
