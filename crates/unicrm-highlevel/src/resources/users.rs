//! `Resource<User>` (docs/vendors/highlevel-v2.md, "Users"): `GET /users/search?companyId=…`
//! (the agency id is required there) paged by `skip` + `limit` with the vendor's `count`,
//! when the company id is known (configured, or from the OAuth token); else the deprecated
//! `GET /users/?locationId=…`, which answers the whole list (core's `Page::slice` pages it).
//! `GET /users/{id}` answers the bare user. Users are read-only through the API.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use unicrm_core::http::Method;
use unicrm_core::{ListParams, Page, Resource, Result, User, UserId};

use super::offset;
use crate::VENDOR;
use crate::client::Api;
use crate::mapping::user as map;
use crate::wire::user::WireUsers;

/// The largest page asked of the search.
pub const MAX_PAGE: u32 = 100;

/// HighLevel's users.
#[derive(Debug, Clone)]
pub(crate) struct Users {
    pub(crate) api: Api,
}

/// `GET /users/search` → `{users, count}`.
#[derive(Debug, Deserialize)]
struct WireUserSearch {
    #[serde(default, deserialize_with = "crate::wire::contact::nullable_vec")]
    users: Vec<Value>,
    count: Option<u64>,
}

#[async_trait]
impl Resource<User> for Users {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<User>> {
        let Some(company) = self.api.company_id.as_deref() else {
            // Offset cursors are not this listing's: `Page::slice` refuses them.
            let req = self
                .api
                .request(Method::GET, "users/")?
                .query("locationId", &*self.api.location_id);
            let all: WireUsers = self.api.send(req).await?.json()?;
            let users = all
                .users
                .into_iter()
                .map(map::from_wire)
                .collect::<Result<Vec<_>>>()?;
            return Page::slice(users, params);
        };
        let skip = offset::skip(params)?;
        let limit = offset::limit(params, MAX_PAGE);
        let req = self
            .api
            .request(Method::GET, "users/search")?
            .query("companyId", company)
            .query("locationId", &*self.api.location_id)
            .query("skip", skip)
            .query("limit", limit);
        let page: WireUserSearch = self.api.send(req).await?.json()?;
        let hits = page.users.len();
        let items = page
            .users
            .into_iter()
            .map(map::from_wire)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next: offset::next(skip, hits, limit, page.count),
            total: page.count,
        })
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        let req = self.api.request_id(Method::GET, "users", id.as_str())?;
        let v: Value = self.api.send(req).await?.json()?;
        map::from_wire(v)
    }
}
