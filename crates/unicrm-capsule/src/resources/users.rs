//! Users over `/users` (unpaged, read-only).

use async_trait::async_trait;
use unicrm_core::error::Result;
use unicrm_core::{ListParams, Page, Resource, User, UserId};

use super::path_id;
use crate::client::Api;
use crate::mapping::user::user_from_wire;
use crate::wire::{self, WireUser};

/// The unified users resource.
#[derive(Clone)]
pub struct UsersResource {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for UsersResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersResource").finish_non_exhaustive()
    }
}

#[async_trait]
impl Resource<User> for UsersResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    /// Every user in one page (`/users` is unpaged; page size and cursor are ignored).
    /// `/users` is unpaged at the vendor (docs/vendors/capsule-v2.md, Pagination): the whole
    /// list is read and cut into pages of the size asked for.
    async fn list(&self, params: &ListParams) -> Result<Page<User>> {
        let resp = self.api.get_path("users", &[]).await?;
        let items = wire::decode_list::<WireUser>(&resp.body, "users")?;
        Page::slice(items.iter().map(user_from_wire).collect(), params)
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        let resp = self
            .api
            .get_path(&format!("users/{}", path_id("user", id.as_str())?), &[])
            .await?;
        Ok(user_from_wire(&wire::decode_one::<WireUser>(
            &resp.body, "user",
        )?))
    }
}
