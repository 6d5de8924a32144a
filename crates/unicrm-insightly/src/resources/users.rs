//! Users (`/Users`, `/Users/{id}`): read-only.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::{ListParams, Page, Resource, Result, User, UserId};

use crate::client::{Shared, VENDOR};
use crate::mapping::{user, wire_id};
use crate::paging::{self, Listing, decode_cursor, encode_cursor};

/// The users of the instance.
#[derive(Clone)]
pub struct UsersResource {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for UsersResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsersResource")
    }
}

impl UsersResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        UsersResource { shared }
    }
}

#[async_trait]
impl Resource<User> for UsersResource {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// One page of `GET /Users` (`search` and `updated_since` are not supported for users: the
    /// guard refuses them before this is called).
    async fn list(&self, params: &ListParams) -> Result<Page<User>> {
        let top = paging::page_size(params.page_size);
        let skip = params
            .cursor
            .as_ref()
            .map(decode_cursor)
            .transpose()?
            .unwrap_or(0);
        let page =
            paging::fetch_page(&self.shared, &Listing::new("Users"), skip, top, true).await?;
        let len = page.items.len() as u64;
        let items = page
            .items
            .iter()
            .enumerate()
            .map(|(i, r)| user::from_json_at(r, &format!("[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let end = skip.saturating_add(len);
        let last = len < u64::from(top) || page.total.is_some_and(|t| end >= t);
        Ok(Page {
            items,
            next: (!last).then(|| encode_cursor(end)),
            total: page.total,
        })
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        let n = wire_id("USER_ID", id.as_str())?;
        let raw = self.shared.get_object(&format!("Users/{n}")).await?;
        user::from_json(&raw)
    }
}
