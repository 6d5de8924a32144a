//! The exact requests for businesses, opportunities, pipelines, users and field definitions,
//! checked with wiremock (docs/vendors/highlevel-v2.md, "Businesses", "Opportunities and
//! pipelines", "Users", "Location metadata", "Errors"): the `Version` header, the location in
//! the spelling each endpoint wants (`location_id` on the opportunity search, `locationId`
//! elsewhere), the paging parameters, the write bodies, and the errors of §12 typed.

use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::{
    AccountId, Crm, CrmExt, Error, FieldDefinition, ListParams, NewAccount, NewOpportunity,
    OpportunityId, OpportunityPatch, OpportunityStatus, Patch, Pipeline, ResourceKind, User,
};
use unicrm_highlevel::HighLevelClient;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";
const COMPANY: &str = "Cm4Kp9Rs2Tv6Xy8Za1Bd";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn client(server: &MockServer, company: bool) -> HighLevelClient {
    let mut b = HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-0c5f5c1e-1111-2222-3333-444455556666")
        .currency(unicrm_core::Currency::new("EUR").expect("code"))
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        });
    if company {
        b = b.company_id(COMPANY);
    }
    b.build().expect("client")
}

fn business(id: &str) -> Value {
    json!({"id": id, "name": format!("Business {id}"), "locationId": LOCATION,
           "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z"})
}

#[tokio::test]
async fn businesses_page_by_skip_and_limit_with_location_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/businesses/"))
        .and(header("version", "2021-07-28"))
        .and(query_param("locationId", LOCATION))
        .and(query_param("limit", "2"))
        .and(query_param("skip", "0"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"businesses": [business("aa"), business("bb")], "traceId": "t"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/businesses/"))
        .and(query_param("skip", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"businesses": [business("cc")]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let first = crm
        .accounts()
        .list(&ListParams::new().page_size(2))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let second = crm
        .accounts()
        .list(&ListParams::new().page_size(2).cursor(first.next))
        .await
        .expect("page 2");
    assert_eq!(second.items[0].id.as_str(), "cc");
    assert!(second.next.is_none(), "a short page is the last");
}

#[tokio::test]
async fn a_business_create_sends_location_and_reads_the_misspelt_envelope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/businesses/"))
        .and(header("version", "2021-07-28"))
        .and(body_json(
            json!({"locationId": LOCATION, "name": "Acme", "description": "d"}),
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"success": true, "buiseness": business("dd")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/businesses/dd"))
        .and(body_json(json!({"name": "Acme 2"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true, "buiseness": business("dd")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let new = NewAccount {
        name: "Acme".into(),
        description: Some("d".into()),
        ..Default::default()
    };
    let a = crm.accounts().create(&new).await.expect("created");
    assert_eq!(a.id.as_str(), "dd");
    let patch = unicrm_core::AccountPatch {
        name: Patch::Set("Acme 2".into()),
        ..Default::default()
    };
    crm.accounts()
        .update(&AccountId::from("dd"), &patch)
        .await
        .expect("updated");
}

/// The GET search takes snake_case `location_id` (camelCase is a 422) and pages by the
/// `meta.startAfter` / `startAfterId` the vendor gave.
#[tokio::test]
async fn the_opportunity_search_sends_location_id_and_the_vendor_cursor() {
    let server = MockServer::start().await;
    let opp = fixture("opportunity.json")["opportunity"].clone();
    let mut second = opp.clone();
    second["id"] = json!("Op0000000000000000b2");
    Mock::given(method("GET"))
        .and(path("/opportunities/search"))
        .and(header("version", "2021-07-28"))
        .and(query_param("location_id", LOCATION))
        .and(query_param_is_missing("locationId"))
        .and(query_param("limit", "1"))
        .and(query_param_is_missing("startAfter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "opportunities": [opp], "aggregations": {},
            "meta": {"total": 2, "startAfter": 1739279144900_i64,
                     "startAfterId": "Op2kM4nP6qR8sT0uV2wX", "currentPage": 1, "nextPage": 2}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/opportunities/search"))
        .and(query_param("location_id", LOCATION))
        .and(query_param("startAfter", "1739279144900"))
        .and(query_param("startAfterId", "Op2kM4nP6qR8sT0uV2wX"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "opportunities": [second], "aggregations": {},
            "meta": {"total": 2, "startAfter": 1739279144901_i64, "startAfterId": "Op0000000000000000b2"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let all: Vec<unicrm_core::Opportunity> = crm
        .list_all(ListParams::new().page_size(1))
        .await
        .expect("listed");
    assert_eq!(
        all.len(),
        2,
        "two pages, and no third request once total is seen"
    );
    assert_eq!(
        all[0].amount.as_ref().map(|m| m.currency.as_str()),
        Some("EUR")
    );
}

#[tokio::test]
async fn an_opportunity_create_and_update_send_their_bodies() {
    let server = MockServer::start().await;
    let opp = fixture("opportunity.json");
    Mock::given(method("POST"))
        .and(path("/opportunities/"))
        .and(header("version", "2021-07-28"))
        .and(body_json(json!({
            "locationId": LOCATION, "pipelineId": "Pl4nW8xY2zA6bC0dE3fG", "name": "Deal",
            "status": "open", "contactId": "Ct9fK2hL4mP6rT8vX0zB", "monetaryValue": 10.5,
            "customFields": [{"id": "Fd3Op5Co7Mp9Et1It3Or", "field_value": "x"}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(&opp))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/opportunities/Op2kM4nP6qR8sT0uV2wX"))
        .and(body_json(
            json!({"status": "won", "pipelineStageId": "5b0c6a8e-2f41-4d7a-9e33-1c9f0a7d2b64"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(&opp))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let new = NewOpportunity {
        name: "Deal".into(),
        pipeline_id: Some("Pl4nW8xY2zA6bC0dE3fG".into()),
        contact_id: Some("Ct9fK2hL4mP6rT8vX0zB".into()),
        amount: unicrm_core::Money::parse("10.50", "EUR"),
        custom_fields: vec![unicrm_core::CustomFieldValue {
            definition_id: "Fd3Op5Co7Mp9Et1It3Or".into(),
            name: None,
            value: Some(unicrm_core::FieldValue::Text("x".into())),
            row_id: None,
        }],
        ..Default::default()
    };
    let o = crm.opportunities().create(&new).await.expect("created");
    assert_eq!(o.id.as_str(), "Op2kM4nP6qR8sT0uV2wX");
    let patch = OpportunityPatch {
        status: Patch::Set(OpportunityStatus::Won),
        stage_id: Patch::Set("5b0c6a8e-2f41-4d7a-9e33-1c9f0a7d2b64".into()),
        ..Default::default()
    };
    crm.opportunities()
        .update(&OpportunityId::from("Op2kM4nP6qR8sT0uV2wX"), &patch)
        .await
        .expect("updated");
}

#[tokio::test]
async fn pipelines_take_camel_case_location_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/opportunities/pipelines"))
        .and(header("version", "2021-07-28"))
        .and(query_param("locationId", LOCATION))
        .and(query_param_is_missing("location_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("pipelines.json")))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let all: Vec<Pipeline> = crm.list_all(ListParams::new()).await.expect("listed");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].stages[1].order, Some(2));
}

#[tokio::test]
async fn users_are_searched_with_the_company_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/search"))
        .and(header("version", "2021-07-28"))
        .and(query_param("companyId", COMPANY))
        .and(query_param("locationId", LOCATION))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users-search.json")))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, true);
    let users: Vec<User> = crm.list_all(ListParams::new()).await.expect("listed");
    assert_eq!(users.len(), 2);
}

#[tokio::test]
async fn without_a_company_id_users_come_from_the_location_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/"))
        .and(query_param("locationId", LOCATION))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users-search.json")))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let page = crm
        .users()
        .list(&ListParams::new().page_size(1))
        .await
        .expect("listed");
    assert_eq!(page.items.len(), 1);
    assert!(page.next.is_some());
}

#[tokio::test]
async fn field_definitions_of_a_kind_ask_for_its_model() {
    let server = MockServer::start().await;
    let all = fixture("custom-fields.json");
    Mock::given(method("GET"))
        .and(path(format!("/locations/{LOCATION}/customFields")))
        .and(header("version", "2021-07-28"))
        .and(query_param("model", "opportunity"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&all))
        .expect(1)
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let defs: Vec<FieldDefinition> = crm
        .list_all(ListParams::new().of(ResourceKind::Opportunity))
        .await
        .expect("listed");
    // The vendor's answer held every model: only the opportunity's are kept.
    assert!(!defs.is_empty());
    assert!(
        defs.iter()
            .all(|d| d.applies_to == [ResourceKind::Opportunity])
    );
    // A kind without custom fields here lists nothing, without a request.
    let none: Vec<FieldDefinition> = crm
        .list_all(ListParams::new().of(ResourceKind::Task))
        .await
        .expect("listed");
    assert!(none.is_empty());
}

/// docs/vendors/highlevel-v2.md, "Errors": a 404 `NotFoundDTO` and a 400 "… not found" are
/// `NotFound`; "property X should not exist" is `Validation` naming X.
#[tokio::test]
async fn errors_of_the_new_endpoints_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/businesses/nobusiness"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "statusCode": 404, "message": "Not Found", "error": "The requested resource was not found"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/opportunities/noopportunity"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "statusCode": 400, "message": "Opportunity with id noopportunity not found"})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/businesses/bb"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(fixture("errors.json")["unknown_property"]["body"].clone()),
        )
        .mount(&server)
        .await;
    let crm = client(&server, false);
    let e = crm
        .accounts()
        .get(&AccountId::from("nobusiness"))
        .await
        .expect_err("404");
    assert!(e.is_not_found(), "{e}");
    let e = crm
        .opportunities()
        .get(&OpportunityId::from("noopportunity"))
        .await
        .expect_err("400");
    assert!(e.is_not_found(), "{e}");
    let patch = unicrm_core::AccountPatch {
        name: Patch::Set("x".into()),
        ..Default::default()
    };
    match crm.accounts().update(&AccountId::from("bb"), &patch).await {
        Err(Error::Validation { fields, .. }) => {
            assert_eq!(fields[0].field.as_deref(), Some("locationId"));
        }
        other => panic!("expected Validation, got {other:?}"),
    }
}
