//! `Resource<Contact>` over `/contacts/*` (docs/vendors/highlevel-v2.md, "Contact endpoints",
//! "Contacts search and searchAfter"): listing through `POST /contacts/search`, sorted by
//! (`dateUpdated`, id) ascending and paged by `searchAfter`; `updated_since` as a
//! `dateUpdated` range.

use async_trait::async_trait;
use serde_json::{Value, json};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, Contact, ContactId, ContactPatch, ListParams, NewContact, Page,
    Resource, Result,
};

use crate::client::Api;
use crate::mapping::{contact as map, fields};
use crate::wire::contact::WireOne;
use crate::{VENDOR, paging};

/// HighLevel's contacts.
#[derive(Debug, Clone)]
pub(crate) struct Contacts {
    pub(crate) api: Api,
}

/// The search body for `params` (docs/vendors/highlevel-v2.md, "Contacts search and
/// searchAfter"): always sorted explicitly, `page` never sent (`searchAfter` only).
pub(crate) fn search_body(location_id: &str, params: &ListParams) -> Result<Value> {
    let limit = paging::page_limit(params);
    let mut body = json!({
        "locationId": location_id,
        "pageLimit": limit,
        "sort": [{"field": "dateUpdated", "direction": "asc"}],
    });
    if let Some(t) = params.updated_since {
        body["filters"] = json!([{
            "field": "dateUpdated",
            "operator": "range",
            "value": {"gte": fields::iso(t)},
        }]);
    }
    if let Some(q) = &params.search {
        // `query` is at most 75 characters.
        body["query"] = Value::String(q.chars().take(75).collect());
    }
    if let Some(c) = paging::cursor(params)? {
        body["searchAfter"] = Value::Array(c.after);
    }
    Ok(body)
}

/// Whether a create body has what upsert matches on (an email or a phone).
fn has_match_key(body: &crate::wire::contact::WireContactWrite) -> bool {
    [&body.email, &body.phone].into_iter().any(|v| {
        v.as_ref()
            .and_then(Option::as_deref)
            .is_some_and(|v| !v.is_empty())
    })
}

impl Contacts {
    /// One search page, with the vendor's `Date`.
    pub(crate) async fn search(
        &self,
        params: &ListParams,
    ) -> Result<(Page<Contact>, Option<chrono::DateTime<chrono::Utc>>)> {
        let body = search_body(&self.api.location_id, params)?;
        let seen = paging::cursor(params)?.map_or(0, |c| c.n);
        // A search reads: repeating it is harmless.
        let req = self
            .api
            .request(Method::POST, "contacts/search")?
            .json(&body)?
            .repeatable(true);
        let resp = self.api.send(req).await?;
        let date = resp.date();
        let page = crate::pages::search_hits(&resp.body)?;
        let limit = paging::page_limit(params);
        let hits = page.contacts.len();
        Ok((
            Page {
                items: page.contacts,
                next: paging::next(seen, hits, limit, page.total, page.last_after),
                total: page.total,
            },
            date,
        ))
    }

    async fn one(&self, req: unicrm_core::http::Request) -> Result<Contact> {
        let v: Value = self.api.send(req).await?.json()?;
        // `{contact}` (GET, create, update), or the record itself.
        let contact = match serde_json::from_value::<WireOne>(v.clone()) {
            Ok(one) => one.contact,
            Err(_) => v,
        };
        map::from_wire(contact)
    }
}

#[async_trait]
impl Resource<Contact> for Contacts {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        Ok(self.search(params).await?.0)
    }

    async fn get(&self, id: &ContactId) -> Result<Contact> {
        let req = self.api.request_id(Method::GET, "contacts", id.as_str())?;
        self.one(req).await
    }

    async fn create(&self, new: &NewContact) -> Result<Contact> {
        let body = map::to_create(new, &self.api.location_id)?;
        // Not repeatable: a create whose outcome is unknown is not sent again as a create.
        let req = self.api.request(Method::POST, "contacts/")?.json(&body)?;
        match self.one(req).await {
            Err(e) if e.outcome_unknown() && has_match_key(&body) => {
                // docs/vendors/highlevel-v2.md, "Duplicates and upsert": upsert updates the
                // first contact with this email (then phone), so sending the contact again
                // through it updates the one the first attempt may have made instead of
                // making a second. Without an email or phone nothing can match: the unknown
                // outcome is returned as it is.
                tracing::info!(error = %e, "highlevel: contact create outcome unknown; upserting by email/phone");
                let req = self
                    .api
                    .request(Method::POST, "contacts/upsert")?
                    .json(&body)?
                    .repeatable(true);
                self.one(req).await
            }
            other => other,
        }
    }

    async fn update(&self, id: &ContactId, patch: &ContactPatch) -> Result<Contact> {
        let body = map::to_patch(patch)?;
        // Setting fields to values is harmless to repeat.
        let req = self
            .api
            .request_id(Method::PUT, "contacts", id.as_str())?
            .json(&body)?
            .repeatable(true);
        self.one(req).await
    }

    async fn delete(&self, id: &ContactId) -> Result<()> {
        let req = self
            .api
            .request_id(Method::DELETE, "contacts", id.as_str())?;
        self.api.send(req).await.map(drop)
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Contact> {
        crate::changes::contacts::stream(self, checkpoint)
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }
}
