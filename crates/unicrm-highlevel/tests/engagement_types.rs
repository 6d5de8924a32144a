//! Calendars as engagement types (docs/vendors/highlevel-v2.md, "Calendars and
//! appointments"): end to end over the simulator through the registry (so the capability
//! table is enforced), and the exact request (wiremock).

use std::num::NonZeroU32;

use serde_json::{Value, json};
use unicrm_core::registry::CrmConfig;
use unicrm_core::{
    Crm, CrmExt, EngagementKind, EngagementType, EngagementTypeId, Error, ListParams,
    NewEngagementType, ResourceKind,
};
use unicrm_highlevel::HighLevelClient;
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_locations_calendars_list_page_and_read_as_engagement_types() {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 3,
        },
        burst_max: 0,
        ..Default::default()
    })
    .await
    .expect("sim");
    unicrm_highlevel::register();
    let config = CrmConfig::new("highlevel")
        .token(sim.token.clone())
        .location_id(sim.location_id.clone())
        .base_url(sim.base_url.as_str())
        .requests_per_second(NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN));
    let crm = unicrm_core::registry::connect(&config).expect("connect");
    let caps = crm.capabilities().resource(&ResourceKind::EngagementType);
    assert!(caps.operations.list && caps.operations.get);
    assert!(!caps.operations.create && !caps.operations.update && !caps.operations.delete);

    let seeded = sim.calendars();
    assert!(seeded.len() >= 3, "the seed has calendars");
    let all: Vec<EngagementType> = crm.list_all(ListParams::new()).await.expect("list");
    let text = |m: &serde_json::Map<String, Value>, k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let want: Vec<(String, String)> = seeded
        .iter()
        .map(|c| (text(c, "id"), text(c, "name")))
        .collect();
    let got: Vec<(String, String)> = all
        .iter()
        .map(|t| (t.id.to_string(), t.name.clone()))
        .collect();
    assert_eq!(got, want);
    for (t, c) in all.iter().zip(&seeded) {
        assert_eq!(t.kind, Some(EngagementKind::Appointment));
        assert_eq!(t.is_active, c.get("isActive").and_then(Value::as_bool));
        assert_eq!(t.is_system, Some(false));
        let raw = t.raw.as_ref().map(|r| r.to_value()).unwrap_or_default();
        assert_eq!(
            raw["locationId"],
            json!(sim.location_id),
            "raw is the calendar"
        );
    }

    // One at a time: the whole list sliced, each calendar once.
    let first = crm
        .engagement_types()
        .list(&ListParams::new().page_size(1))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 1);
    let next = first.next.clone().expect("a second page");
    let second = crm
        .engagement_types()
        .list(&ListParams::new().page_size(1).cursor(Some(next)))
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_ne!(first.items[0].id, second.items[0].id);

    let one = crm
        .engagement_types()
        .get(&all[1].id)
        .await
        .expect("get by id");
    assert_eq!(one.name, all[1].name);
    assert_eq!(one.raw, all[1].raw);
    let missing = crm
        .engagement_types()
        .get(&EngagementTypeId::new("Ca000000000000000000"))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");

    // Read-only: the guard refuses a write before any request.
    let before = sim.stats().requests;
    let err = crm
        .engagement_types()
        .create(&NewEngagementType {
            name: "Sprechstunde".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(sim.stats().requests, before, "nothing sent");
    sim.shutdown().await;
}

/// `GET /calendars/?locationId=…` with the calendars family's `Version: 2021-04-15`; an
/// answer without calendars (`null`) is an empty list.
#[tokio::test]
async fn the_listing_sends_the_calendars_version_and_the_location() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .and(query_param("locationId", "h8Qz3LmN5pRt7VwX2yBc"))
        .and(header("version", "2021-04-15"))
        .and(header("authorization", "Bearer pit-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"calendars": null, "traceId": "t"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let crm = HighLevelClient::builder()
        .base_url(server.uri())
        .location_id("h8Qz3LmN5pRt7VwX2yBc")
        .private_integration_token("pit-1")
        .build()
        .expect("client");
    let page = crm
        .engagement_types()
        .list(&ListParams::new())
        .await
        .expect("list");
    assert!(page.items.is_empty() && page.next.is_none());
}
