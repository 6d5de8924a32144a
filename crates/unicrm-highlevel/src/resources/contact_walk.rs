//! Listing a contact's sub-records (notes, tasks) location-wide by walking the contacts
//! (docs/vendors/highlevel-v2.md, "Notes", "Tasks": `GET /contacts/{id}/notes|tasks`, no
//! paging, and no location-wide listing this adapter can rely on).
//!
//! **Cost.** A full listing of N contacts' notes (or tasks) costs ceil(N / 500) contact
//! searches plus N list requests: at HighLevel's 100 requests per 10 s (the client paces at
//! 98) that is about 17 minutes and 10,000 requests — 5 % of the 200,000 daily quota — for
//! 10,000 contacts. The walk sorts contacts by `dateAdded` then id, which no edit changes,
//! so a contact updated during the walk is not met twice and each record comes once; a
//! contact deleted during the walk (its list answers "not found") contributes nothing.
//!
//! **Concurrency.** Up to [`CONCURRENCY`] per-contact requests are in flight at once; every
//! request still passes the client's one rate limiter, so the walk runs at the location's
//! budget (not past it) and hides each request's latency behind the others.
//!
//! **Pages.** `Resource::list` pages hold at most the page size (≤ [`MAX_PAGE`]) records.
//! The cursor is `{"after": <the searchAfter of the last contact fully listed>, "skip": n}`:
//! a page walks a batch of page-size contacts; when their records exceed the page, the next
//! page lists the same batch again and skips what was returned (extra requests only for
//! contacts with more records than a page). `stream_listing` walks 500 contacts per search
//! and never lists a contact twice: prefer it for full listings.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use unicrm_core::http::Method;
use unicrm_core::{Cursor, Error, ListParams, Page, Result};

use crate::client::Api;

/// Per-contact requests in flight at once.
pub const CONCURRENCY: usize = 8;
/// The largest page of sub-records (and of contacts per batch).
pub const MAX_PAGE: u32 = 100;
/// Contacts per search when streaming (search's largest page).
const STREAM_BATCH: u32 = 500;

/// Lists one contact's records.
pub(crate) type Fetch<T> = Arc<dyn Fn(String) -> BoxFuture<'static, Result<Vec<T>>> + Send + Sync>;

#[derive(Debug, Default, Serialize, Deserialize)]
struct WalkCursor {
    #[serde(default)]
    after: Option<Vec<Value>>,
    #[serde(default)]
    skip: usize,
}

#[derive(Debug, Deserialize)]
struct Hit {
    id: String,
    #[serde(rename = "searchAfter", default)]
    search_after: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
struct Hits {
    #[serde(default)]
    contacts: Vec<Hit>,
}

/// One batch of contact ids in (`dateAdded`, id) order after `after`; whether it was full.
async fn contact_batch(api: &Api, after: Option<&[Value]>, limit: u32) -> Result<(Vec<Hit>, bool)> {
    let mut body = json!({
        "locationId": &*api.location_id,
        "pageLimit": limit,
        "sort": [{"field": "dateAdded", "direction": "asc"}],
    });
    if let Some(a) = after {
        body["searchAfter"] = Value::Array(a.to_vec());
    }
    let req = api
        .request(Method::POST, "contacts/search")?
        .json(&body)?
        .repeatable(true);
    let hits: Hits = api.send(req).await?.json()?;
    let full = hits.contacts.len() >= limit as usize;
    Ok((hits.contacts, full))
}

/// A contact's records; a contact gone since the search has none.
async fn of_contact<T>(fetch: Fetch<T>, contact: String) -> Result<Vec<T>> {
    match fetch(contact).await {
        Err(Error::NotFound { .. }) => Ok(vec![]),
        other => other,
    }
}

fn bad_cursor() -> Error {
    Error::Paging {
        message: "invalid highlevel contact-walk cursor".into(),
    }
}

/// One page of the walk (see the module docs).
pub(crate) async fn list_page<T: Send + 'static>(
    api: &Api,
    fetch: &Fetch<T>,
    params: &ListParams,
) -> Result<Page<T>> {
    let size = params.page_size.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut cur: WalkCursor = match &params.cursor {
        Some(c) => serde_json::from_str(c.as_str()).map_err(|_| bad_cursor())?,
        None => WalkCursor::default(),
    };
    if cur
        .after
        .as_ref()
        .is_some_and(|a| a.is_empty() || !a.iter().all(|v| v.is_number() || v.is_string()))
    {
        return Err(bad_cursor());
    }
    let encode = |c: &WalkCursor| serde_json::to_string(c).ok().map(Cursor::new);
    loop {
        let (hits, full) = contact_batch(api, cur.after.as_deref(), size).await?;
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let lists: Vec<Vec<T>> =
            stream::iter(ids.into_iter().map(|id| of_contact(fetch.clone(), id)))
                .buffered(CONCURRENCY)
                .try_collect()
                .await?;
        let mut rest: Vec<T> = lists.into_iter().flatten().skip(cur.skip).collect();
        if rest.len() > size as usize {
            rest.truncate(size as usize);
            let next = WalkCursor {
                after: cur.after.clone(),
                skip: cur.skip + size as usize,
            };
            return Ok(Page {
                items: rest,
                next: encode(&next),
                total: None,
            });
        }
        let after = hits.last().and_then(|h| h.search_after.clone());
        let next = match (full, after) {
            (true, Some(after)) => Some(WalkCursor {
                after: Some(after),
                skip: 0,
            }),
            _ => None,
        };
        match next {
            // Nothing in this batch: walk on rather than answer an empty page with a next.
            Some(n) if rest.is_empty() => cur = n,
            n => {
                return Ok(Page {
                    items: rest,
                    next: n.as_ref().and_then(encode),
                    total: None,
                });
            }
        }
    }
}

/// Every record of every contact, each once (by `id_of`), contacts walked 500 per search
/// with [`CONCURRENCY`] per-contact requests in flight.
pub(crate) fn stream_all<T: Send + 'static>(
    api: Api,
    fetch: Fetch<T>,
    id_of: fn(&T) -> String,
) -> BoxStream<'static, Result<T>> {
    // The contact ids, page by page.
    let ids = stream::try_unfold(Some(None::<Vec<Value>>), move |state| {
        let api = api.clone();
        async move {
            let Some(after) = state else {
                return Ok(None);
            };
            let (hits, full) = contact_batch(&api, after.as_deref(), STREAM_BATCH).await?;
            let next = hits.last().and_then(|h| h.search_after.clone());
            let state = match (full, next) {
                (true, Some(a)) => Some(Some(a)),
                _ => None,
            };
            let ids: Vec<Result<String>> = hits.into_iter().map(|h| Ok(h.id)).collect();
            Ok(Some((stream::iter(ids), state)))
        }
    })
    .try_flatten();
    let mut seen = HashSet::new();
    ids.map_ok(move |id| {
        let fetch = fetch.clone();
        of_contact(fetch, id)
    })
    .try_buffered(CONCURRENCY)
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .try_filter(move |r| std::future::ready(seen.insert(id_of(r))))
    .boxed()
}
