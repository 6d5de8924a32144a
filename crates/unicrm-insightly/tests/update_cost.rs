//! What an update sends: the exact requests (against `wiremock`) and their count against the
//! simulator. A field update is one PUT (v3.1 PUT is partial: no read first, and its answer
//! is the whole record); links are written only where they differ from the `LINKS` that
//! answer shows; a link the record's `ORGANISATION_ID` makes is never deleted.

use std::num::NonZeroU32;
use std::sync::Arc;

use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{
    AccountId, ContactPatch, Crm, NewAccount, NewContact, NewOpportunity, Patch, RecordLink,
    ResourceKind,
};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimOptions, SeedOptions};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_response(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(body.to_string())
}

/// `contact.json` (contact 1001 of organisation 2001, its organisation link 9001) with a second
/// link, 9002, to opportunity 3001.
fn contact_with_two_links() -> Value {
    let mut c: Value = serde_json::from_str(&fixture("contact.json")).unwrap();
    let links = c["LINKS"].as_array_mut().unwrap();
    links.push(json!({
        "LINK_ID": 9002, "OBJECT_NAME": "Contact", "OBJECT_ID": 1001,
        "LINK_OBJECT_NAME": "Opportunity", "LINK_OBJECT_ID": 3001,
        "ROLE": null, "DETAILS": null, "RELATIONSHIP_ID": null, "IS_FORWARD": true
    }));
    c
}

fn link(kind: ResourceKind, id: &str) -> RecordLink {
    RecordLink {
        kind: Some(kind),
        id: id.to_string(),
        role: None,
    }
}

/// A mock server answering the custom field definitions, a PUT of contact 1001 and a GET of it
/// with `record`, and a DELETE of any of its links.
async fn server(record: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/CustomFields/Contacts"))
        .respond_with(json_response(
            &serde_json::from_str(&fixture("custom-fields-contacts.json")).unwrap(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v3.1/Contacts"))
        .respond_with(json_response(record))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/1001"))
        .respond_with(json_response(record))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(wiremock::matchers::path_regex(
            r"^/v3\.1/Contacts/1001/Links/\d+$",
        ))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> InsightlyClient {
    InsightlyClient::builder()
        .api_key(KEY)
        .base_url(format!("{}/v3.1", server.uri()))
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .unwrap()
}

/// The requests the server received after the definitions, as `METHOD /path`.
async fn sent(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .filter(|r| !r.ends_with("/CustomFields/Contacts"))
        .collect()
}

#[tokio::test]
async fn a_field_update_is_one_put_and_its_answer() {
    let server = server(&contact_with_two_links()).await;
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        ..ContactPatch::default()
    };
    let updated = client(&server)
        .contacts()
        .update(&1001u64.into(), &patch)
        .await
        .unwrap();
    assert_eq!(sent(&server).await, ["PUT /v3.1/Contacts"]);
    assert_eq!(updated.links.len(), 2, "the record is the PUT's answer");
}

#[tokio::test]
async fn links_equal_to_those_the_put_answer_shows_send_nothing_more() {
    let server = server(&contact_with_two_links()).await;
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        account_id: Patch::Set(AccountId::from(2001u64)),
        links: Patch::Set(vec![
            link(ResourceKind::Opportunity, "3001"),
            link(ResourceKind::Account, "2001"),
        ]),
        ..ContactPatch::default()
    };
    client(&server)
        .contacts()
        .update(&1001u64.into(), &patch)
        .await
        .unwrap();
    // No `GET …/Links`: the PUT's answer carries `LINKS` with their ids.
    assert_eq!(sent(&server).await, ["PUT /v3.1/Contacts"]);
    let received = server.received_requests().await.unwrap();
    let put = received
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&put.body).unwrap(),
        json!({"CONTACT_ID": 1001, "TITLE": "CEO", "ORGANISATION_ID": 2001}),
        "links are not sent in the PUT body"
    );
}

#[tokio::test]
async fn cleared_links_delete_the_extra_and_keep_the_one_organisation_id_makes() {
    let server = server(&contact_with_two_links()).await;
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        account_id: Patch::Set(AccountId::from(2001u64)),
        links: Patch::Clear,
        ..ContactPatch::default()
    };
    client(&server)
        .contacts()
        .update(&1001u64.into(), &patch)
        .await
        .unwrap();
    assert_eq!(
        sent(&server).await,
        [
            "PUT /v3.1/Contacts",
            "DELETE /v3.1/Contacts/1001/Links/9002",
            // A link was written: the record is read again, once.
            "GET /v3.1/Contacts/1001",
        ]
    );
}

#[tokio::test]
async fn a_links_only_update_reads_the_record_once_and_writes_only_what_is_missing() {
    let server = server(&contact_with_two_links()).await;
    Mock::given(method("POST"))
        .and(path("/v3.1/Contacts/1001/Links"))
        .and(body_json(
            json!({"LINK_OBJECT_NAME": "Lead", "LINK_OBJECT_ID": 5}),
        ))
        .respond_with(json_response(&json!({
            "LINK_ID": 9003, "OBJECT_NAME": "Contact", "OBJECT_ID": 1001,
            "LINK_OBJECT_NAME": "Lead", "LINK_OBJECT_ID": 5
        })))
        .expect(1)
        .mount(&server)
        .await;
    let patch = ContactPatch {
        links: Patch::Set(vec![
            link(ResourceKind::Opportunity, "3001"),
            link(ResourceKind::Lead, "5"),
        ]),
        ..ContactPatch::default()
    };
    client(&server)
        .contacts()
        .update(&1001u64.into(), &patch)
        .await
        .unwrap();
    assert_eq!(
        sent(&server).await,
        [
            "GET /v3.1/Contacts/1001",
            "POST /v3.1/Contacts/1001/Links",
            "GET /v3.1/Contacts/1001",
        ],
        "the organisation link stays (ORGANISATION_ID 2001), the opportunity link is held"
    );
}

#[tokio::test]
async fn a_put_answer_without_links_reads_them() {
    let mut record = contact_with_two_links();
    record.as_object_mut().unwrap().remove("LINKS");
    let server = server(&record).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/1001/Links"))
        .respond_with(json_response(&contact_with_two_links()["LINKS"]))
        .expect(1)
        .mount(&server)
        .await;
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        links: Patch::Set(vec![link(ResourceKind::Opportunity, "3001")]),
        ..ContactPatch::default()
    };
    client(&server)
        .contacts()
        .update(&1001u64.into(), &patch)
        .await
        .unwrap();
    assert_eq!(
        sent(&server).await,
        ["PUT /v3.1/Contacts", "GET /v3.1/Contacts/1001/Links"]
    );
}

/// Against the simulator (which, like the vendor, shows a contact's `ORGANISATION_ID` as a
/// link and answers a PUT with `LINKS`): a mirror's update of a contact whose source holds no
/// links (`links` cleared, the organisation set) used to delete the organisation link on
/// every update, and the next PUT made it again.
#[tokio::test]
async fn a_mirrored_update_keeps_the_organisation_link_and_costs_one_request() {
    let s = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 3,
            records: 0,
        },
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let c = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .build()
        .unwrap();
    let acc = c
        .accounts()
        .create(&NewAccount {
            name: "Ateliers Lumière".into(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let contact = c
        .contacts()
        .create(&NewContact {
            last_name: Some("Núñez".into()),
            account_id: Some(acc.id.clone()),
            ..NewContact::default()
        })
        .await
        .unwrap();
    let org_link = |links: &[RecordLink]| {
        links
            .iter()
            .any(|l| l.kind == Some(ResourceKind::Account) && l.id == acc.id.as_str())
    };
    assert!(org_link(&contact.links), "{:?}", contact.links);
    for title in ["CEO", "CTO"] {
        let before = s.stats().requests;
        let patch = ContactPatch {
            job_title: Patch::Set(title.into()),
            account_id: Patch::Set(acc.id.clone()),
            links: Patch::Clear,
            ..ContactPatch::default()
        };
        let updated = c.contacts().update(&contact.id, &patch).await.unwrap();
        assert_eq!(s.stats().requests - before, 1, "one PUT");
        assert!(org_link(&updated.links), "{:?}", updated.links);
        let read = c.contacts().get(&contact.id).await.unwrap();
        assert_eq!(read.job_title.as_deref(), Some(title));
        assert_eq!(read.account_id.as_ref(), Some(&acc.id));
        assert!(org_link(&read.links), "kept: {:?}", read.links);
    }
    // A link the contact should not keep under a cleared `links` still goes (here, the
    // opportunity's contact link), and only then is the record read again.
    c.opportunities()
        .create(&NewOpportunity {
            name: "Retrofit".into(),
            contact_id: Some(contact.id.clone()),
            ..NewOpportunity::default()
        })
        .await
        .unwrap();
    let before = s.stats().requests;
    let patch = ContactPatch {
        account_id: Patch::Set(acc.id.clone()),
        links: Patch::Clear,
        ..ContactPatch::default()
    };
    let updated = c.contacts().update(&contact.id, &patch).await.unwrap();
    assert_eq!(
        s.stats().requests - before,
        3,
        "PUT, DELETE of the link, GET"
    );
    assert_eq!(updated.links.len(), 1, "{:?}", updated.links);
    assert!(org_link(&updated.links));
    s.shutdown().await;
}
