//! `Resource<Account>` over `/businesses/*` (docs/vendors/highlevel-v2.md, "Businesses"):
//! `GET /businesses/?locationId&limit&skip` (no total: a short page ends the listing),
//! `GET /businesses/{id}` → `{business}`, create and update → `{"success":true,"buiseness":{…}}`
//! (sic; every spelling and a bare object accepted), `DELETE` → `{success}`.

use async_trait::async_trait;
use serde_json::Value;
use unicrm_core::http::{Method, Request};
use unicrm_core::{
    Account, AccountId, AccountPatch, ListParams, NewAccount, Page, Resource, Result,
};

use super::offset;
use crate::VENDOR;
use crate::client::Api;
use crate::mapping::account as map;
use crate::wire::business::one;

/// The largest page asked for (the vendor's documented default).
pub const MAX_PAGE: u32 = 100;

/// HighLevel's businesses.
#[derive(Debug, Clone)]
pub(crate) struct Accounts {
    pub(crate) api: Api,
}

impl Accounts {
    async fn one(&self, req: Request) -> Result<Account> {
        let v: Value = self.api.send(req).await?.json()?;
        map::from_wire(one(v))
    }
}

#[async_trait]
impl Resource<Account> for Accounts {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Account>> {
        let skip = offset::skip(params)?;
        let limit = offset::limit(params, MAX_PAGE);
        let req = self
            .api
            .request(Method::GET, "businesses/")?
            .query("locationId", &*self.api.location_id)
            .query("limit", limit.to_string())
            .query("skip", skip.to_string());
        let items = crate::pages::accounts(&self.api.send(req).await?.body)?;
        let hits = items.len();
        Ok(Page {
            items,
            next: offset::next(skip, hits, limit, None),
            total: None,
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Account> {
        let req = self
            .api
            .request_id(Method::GET, "businesses", id.as_str())?;
        self.one(req).await
    }

    async fn create(&self, new: &NewAccount) -> Result<Account> {
        let body = map::to_create(new, &self.api.location_id)?;
        let req = self.api.request(Method::POST, "businesses/")?.json(&body)?;
        self.one(req).await
    }

    async fn update(&self, id: &AccountId, patch: &AccountPatch) -> Result<Account> {
        let body = map::to_patch(patch)?;
        let req = self
            .api
            .request_id(Method::PUT, "businesses", id.as_str())?
            .json(&body)?
            .repeatable(true);
        self.one(req).await
    }

    async fn delete(&self, id: &AccountId) -> Result<()> {
        let req = self
            .api
            .request_id(Method::DELETE, "businesses", id.as_str())?;
        self.api.send(req).await.map(drop)
    }
}
