//! Capsule paging: `page`/`perPage` (1..100; 100 when listing everything), then the
//! `Link: rel="next"` URL followed verbatim. The cursor is that next URL.
//!
//! Where the adapter filters a page (people vs organisations from `/parties`, notes among
//! `/entries`), a page that filters down to nothing is not returned: the next one is fetched
//! at once, so a caller never sees an empty page that claims a successor.

pub(crate) mod parallel;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::HttpResponse;
use unicrm_core::page::{Paged, fill_page};
use unicrm_core::{Cursor, ListParams};

use crate::client::Api;
use crate::wire::{self, Decoded};

/// The page size to ask for: the caller's, clamped to `1..=max`, or `max`.
pub fn page_size(params: &ListParams, max: u32) -> u32 {
    params.page_size.map_or(max, |n| n.clamp(1, max))
}

/// The first request of a listing.
#[derive(Debug, Clone)]
pub struct FirstPage {
    /// Path under the base URL.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'static str, String)>,
}

/// One page: the records and the cursor of the next page.
pub(crate) async fn fetch_page<T: DeserializeOwned>(
    api: &Api,
    first: &FirstPage,
    params: &ListParams,
    wrapper: &str,
) -> Result<(Vec<Decoded<T>>, Option<Cursor>)> {
    fetch_filtered(api, first, params, wrapper, |_| true).await
}

/// The vendor's clock: a response's `Date` header (RFC 9110 HTTP-date, whole seconds).
pub fn response_date(resp: &HttpResponse) -> Option<DateTime<Utc>> {
    resp.date()
}

pub use unicrm_core::http::retry_after::parse_http_date;

/// One non-empty page of the records `keep` accepts (or the last page).
pub(crate) async fn fetch_filtered<T: DeserializeOwned>(
    api: &Api,
    first: &FirstPage,
    params: &ListParams,
    wrapper: &str,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<Decoded<T>>, Option<Cursor>)> {
    let p = fetch_dated(api, first, params, wrapper, keep, |_| 0).await?;
    Ok((p.items, p.next))
}

/// A page with the vendor's `Date` of its first response.
pub(crate) struct DatedPage<T> {
    /// The records `keep` accepted.
    pub items: Vec<Decoded<T>>,
    /// The ids of every record on the page(s) read, kept or not.
    pub all_ids: Vec<u64>,
    /// The next page.
    pub next: Option<Cursor>,
    /// The `Date` header of the first response read for this page.
    pub date: Option<DateTime<Utc>>,
}

impl<T> Paged for DatedPage<T> {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    /// Empty only when no record at all was read (filtered out or not).
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.all_ids.is_empty()
    }
}

/// One vendor response of a filtered page.
struct Response<T> {
    items: Vec<Decoded<T>>,
    ids: Vec<u64>,
    next: Option<Cursor>,
    date: Option<DateTime<Utc>>,
}

impl<T> Paged for Response<T> {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// [`fetch_filtered`] with the `Date` header and the ids of every record read. Responses that
/// `keep` filters down to nothing are read past by core's [`fill_page`] (with its cycle and
/// page-limit guards).
pub(crate) async fn fetch_dated<T: DeserializeOwned>(
    api: &Api,
    first: &FirstPage,
    params: &ListParams,
    wrapper: &str,
    keep: impl Fn(&T) -> bool,
    id_of: impl Fn(&T) -> u64,
) -> Result<DatedPage<T>> {
    let query: Vec<(&str, String)> = first.query.iter().map(|(k, v)| (*k, v.clone())).collect();
    let (query, keep, id_of) = (&query, &keep, &id_of);
    let responses = fill_page(
        format!("capsule {}", first.path),
        params.clone(),
        |p: ListParams| async move {
            let resp = match &p.cursor {
                Some(c) => api.get_url(api.http.cursor_url(c)?).await?,
                None => api.get_path(&first.path, query).await?,
            };
            let decoded = wire::decode_list::<T>(&resp.body, wrapper)?;
            let ids = decoded.iter().map(|d| id_of(&d.wire)).collect();
            let items = decoded.into_iter().filter(|d| keep(&d.wire)).collect();
            let next = resp.next_link();
            if let Some(n) = &next {
                if *n == resp.url {
                    return Err(Error::Paging {
                        message: format!(
                            "capsule {}: the next link repeats the page ({n})",
                            first.path
                        ),
                    });
                }
            }
            Ok(Response {
                items,
                ids,
                next: next.map(|u| Cursor::new(u.to_string())),
                date: resp.date(),
            })
        },
    )
    .await?;
    let date = responses.first().and_then(|r| r.date);
    let mut all_ids = Vec::new();
    let mut last = None;
    for r in responses {
        all_ids.extend_from_slice(&r.ids);
        last = Some(r);
    }
    let (items, next) = last.map_or((Vec::new(), None), |r| (r.items, r.next));
    Ok(DatedPage {
        items,
        all_ids,
        next,
        date,
    })
}
