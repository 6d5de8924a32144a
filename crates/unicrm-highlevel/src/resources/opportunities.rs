//! `Resource<Opportunity>` over `/opportunities/*` (docs/vendors/highlevel-v2.md,
//! "Opportunities and pipelines", "Opportunity GET search"): listing through `GET /opportunities/search`
//! with the snake_case `location_id` (camelCase is a 422 there), `limit` ≤ 100, paged by the
//! `meta.startAfter` / `meta.startAfterId` cursor the vendor gives (never `page`, which stops
//! at 10,000 records); `POST /opportunities/` → 201 `{opportunity}`; `PUT` → `{opportunity}`;
//! `DELETE` → `{succeded}`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicrm_core::http::{Method, Request};
use unicrm_core::{
    ChangeSet, Checkpoint, Cursor, Error, ListParams, NewOpportunity, Opportunity, OpportunityId,
    OpportunityPatch, Page, Resource, Result,
};

use crate::VENDOR;
use crate::client::Api;
use crate::mapping::opportunity as map;
use crate::wire::opportunity::one;

/// The largest `limit` the search accepts.
pub const MAX_PAGE: u32 = 100;

/// HighLevel's opportunities.
#[derive(Debug, Clone)]
pub(crate) struct Opportunities {
    pub(crate) api: Api,
}

/// The core cursor: the vendor's `startAfter` / `startAfterId`, copied, and the count so far.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct SearchCursor {
    n: u64,
    after: Value,
    id: String,
}

fn cursor(params: &ListParams) -> Result<Option<SearchCursor>> {
    let Some(c) = &params.cursor else {
        return Ok(None);
    };
    let bad = || Error::Paging {
        message: "invalid highlevel opportunity cursor".into(),
    };
    let parsed: SearchCursor = serde_json::from_str(c.as_str()).map_err(|_| bad())?;
    if parsed.id.is_empty() || !(parsed.after.is_number() || parsed.after.is_string()) {
        return Err(bad());
    }
    Ok(Some(parsed))
}

fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Opportunities {
    async fn one(&self, req: Request) -> Result<Opportunity> {
        let v: Value = self.api.send(req).await?.json()?;
        map::from_wire(one(v), &self.api.currency)
    }

    /// One search page, with the vendor's `Date`.
    pub(crate) async fn search(
        &self,
        params: &ListParams,
    ) -> Result<(Page<Opportunity>, Option<chrono::DateTime<chrono::Utc>>)> {
        let limit = params.page_size.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
        let at = cursor(params)?;
        let mut req = self
            .api
            .request(Method::GET, "opportunities/search")?
            .query("location_id", &*self.api.location_id)
            .query("limit", limit)
            .query("status", "all");
        if let Some(c) = &at {
            req = req
                .query("startAfter", query_text(&c.after))
                .query("startAfterId", &c.id);
        }
        let resp = self.api.send(req).await?;
        let date = resp.date();
        let (items, meta) = crate::pages::opportunity_page(&resp.body, &self.api.currency)?;
        let hits = items.len();
        let seen = at.map_or(0, |c| c.n) + hits as u64;
        let total = meta.as_ref().and_then(|m| m.total);
        let next = match meta {
            Some(m) if hits >= limit as usize && total.is_none_or(|t| seen < t) => {
                match (m.start_after, m.start_after_id) {
                    (Some(after), Some(id)) if !after.is_null() && !id.is_empty() => {
                        serde_json::to_string(&SearchCursor { n: seen, after, id })
                            .ok()
                            .map(Cursor::new)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        Ok((Page { items, next, total }, date))
    }
}

#[async_trait]
impl Resource<Opportunity> for Opportunities {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Opportunity>> {
        Ok(self.search(params).await?.0)
    }

    async fn get(&self, id: &OpportunityId) -> Result<Opportunity> {
        let req = self
            .api
            .request_id(Method::GET, "opportunities", id.as_str())?;
        self.one(req).await
    }

    async fn create(&self, new: &NewOpportunity) -> Result<Opportunity> {
        let body = map::to_create(new, &self.api.location_id, &self.api.currency)?;
        let req = self
            .api
            .request(Method::POST, "opportunities/")?
            .json(&body)?;
        self.one(req).await
    }

    async fn update(&self, id: &OpportunityId, patch: &OpportunityPatch) -> Result<Opportunity> {
        let body = map::to_patch(patch, &self.api.currency)?;
        let req = self
            .api
            .request_id(Method::PUT, "opportunities", id.as_str())?
            .json(&body)?
            .repeatable(true);
        self.one(req).await
    }

    async fn delete(&self, id: &OpportunityId) -> Result<()> {
        let req = self
            .api
            .request_id(Method::DELETE, "opportunities", id.as_str())?;
        self.api.send(req).await.map(drop)
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Opportunity> {
        crate::changes::opportunities::stream(self, checkpoint)
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Opportunity, OpportunityId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in [
            "3",
            "{\"n\":1,\"after\":null,\"id\":\"a\"}",
            "{\"n\":1,\"after\":1,\"id\":\"\"}",
        ] {
            let p = ListParams::new().cursor(Some(Cursor::new(bad)));
            assert!(matches!(cursor(&p), Err(Error::Paging { .. })), "{bad}");
        }
        let p =
            ListParams::new().cursor(Some(Cursor::new("{\"n\":2,\"after\":17,\"id\":\"Op1\"}")));
        let c = cursor(&p).ok().flatten();
        assert_eq!(c.map(|c| (c.n, c.id)), Some((2, "Op1".to_string())));
    }
}
