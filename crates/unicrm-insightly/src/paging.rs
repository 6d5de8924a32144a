//! Insightly paging: `skip` / `top` offsets over bare JSON arrays (docs/vendors/insightly-v3.1.md §4).
//!
//! - Pages are requested at the largest size, `top=500`, unless the caller asks for fewer.
//! - The [`Cursor`] is the `skip` of the next page, as decimal text (`"500"`).
//! - A page that reaches `X-Total-Count` is the last. A shorter page than `top` is the last
//!   only when no total was given or the total agrees (the server may cap `top` below what
//!   was asked: then the next page is asked for at `skip + len`); an empty page always is.
//! - A whole listing (`stream_pages`, `fetch_all`) asks for `count_total=true` on the
//!   first page; once `X-Total-Count` is known the remaining pages are fetched concurrently
//!   (still paced by the client's rate limiter, which every request passes) and kept in order.
//!   Listing 1,234 records costs exactly 3 requests. Without a total (or when the server
//!   capped `top`), the rest is read page after page through core's guarded page loop
//!   ([`unicrm_core::page::guarded_pages`]); the change feed reads its upsert listings
//!   page by page itself (`fetch_page`, one batch per page). This is what `stream_all` / `list_all` use, through
//!   `Resource::stream_listing`, also on an `Arc<dyn Crm>`.
//! - No sort parameter exists (order is by id in practice); offset paging over data that
//!   changes underneath can skip or repeat a record, so callers de-duplicate by id.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::value::RawValue;
use unicrm_core::http::Method;
use unicrm_core::http::Request;
use unicrm_core::page::{DEFAULT_MAX_PAGES, Paged, guarded_pages};
use unicrm_core::{Cursor, Error, ListParams, Result};

use crate::client::Shared;
use crate::config::MAX_PAGE_SIZE;
use crate::wire::decode_array;

/// Pages fetched at once by a whole listing once the total is known.
pub const CONCURRENT_PAGES: usize = 4;

/// The cursor for a page starting at `skip`.
pub fn encode_cursor(skip: u64) -> Cursor {
    Cursor::new(skip.to_string())
}

/// The `skip` a cursor stands for.
pub fn decode_cursor(c: &Cursor) -> Result<u64> {
    c.as_str().trim().parse::<u64>().map_err(|_| Error::Paging {
        message: format!(
            "{:?} is not an Insightly cursor (expected the number of records to skip)",
            c.as_str()
        ),
    })
}

/// The `top` for a requested page size: 1..=500, 500 when unset.
pub fn page_size(requested: Option<u32>) -> u32 {
    requested.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

/// One page as raw records, with the total when asked for.
#[derive(Debug)]
pub struct RawPage {
    /// The records, in the vendor's order.
    pub items: Vec<Box<RawValue>>,
    /// `X-Total-Count`, when sent.
    pub total: Option<u64>,
    /// The response's `Date` header: the vendor's clock, whole seconds.
    pub date: Option<DateTime<Utc>>,
    /// The next page's cursor, unless this page ends the listing ([`listing_ends`]).
    pub next: Option<Cursor>,
}

impl Paged for RawPage {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

pub use unicrm_core::http::retry_after::parse_http_date;

/// Whether a listing is complete after a page of `len` records ending at `end` (= skip + len):
/// an empty page ends it; with a total, reaching it does; without one, a short page does.
pub fn listing_ends(len: usize, top: u32, end: u64, total: Option<u64>) -> bool {
    len == 0
        || match total {
            Some(t) => end >= t,
            None => len < top as usize,
        }
}

/// What to list: a path (`Contacts`, `Contacts/Search`) and its filter parameters.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Path under the base URL.
    pub path: String,
    /// Filter parameters (`field_name`, `updated_after_utc`, …).
    pub query: Vec<(String, String)>,
    /// `brief=true`: top-level scalars only (cheapest; ids for deletion scans).
    pub brief: bool,
}

impl Listing {
    /// A plain listing of `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Listing {
            path: path.into(),
            query: Vec::new(),
            brief: false,
        }
    }
}

/// Fetches one page.
pub(crate) async fn fetch_page(
    shared: &Shared,
    listing: &Listing,
    skip: u64,
    top: u32,
    count_total: bool,
) -> Result<RawPage> {
    let mut req = Request::new(Method::GET, shared.http.url(&listing.path)?);
    for (k, v) in &listing.query {
        req = req.query(k, v);
    }
    req = req.query("skip", skip).query("top", top);
    if listing.brief {
        req = req.query("brief", "true");
    }
    if count_total {
        req = req.query("count_total", "true");
    }
    let resp = shared.send(req).await?;
    let total = resp
        .header("x-total-count")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let items = decode_array(&resp.body)?;
    let end = skip.saturating_add(items.len() as u64);
    let next = (!listing_ends(items.len(), top, end, total)).then(|| encode_cursor(end));
    Ok(RawPage {
        items,
        total,
        date: resp.date(),
        next,
    })
}

/// The page function of a listing read page after page: the cursor is the `skip`.
fn sequential<'a>(
    shared: &'a Shared,
    listing: Arc<Listing>,
    top: u32,
) -> impl FnMut(ListParams) -> futures::future::BoxFuture<'a, Result<RawPage>> + Send + 'a {
    move |p: ListParams| {
        let listing = listing.clone();
        Box::pin(async move {
            let skip = p
                .cursor
                .as_ref()
                .map(decode_cursor)
                .transpose()?
                .unwrap_or(0);
            fetch_page(shared, &listing, skip, top, true).await
        })
    }
}

fn what(listing: &Listing) -> String {
    format!("insightly {}", listing.path)
}

/// Every page of a listing, in order, as a stream: the first page with the total, then the
/// rest concurrently ([`CONCURRENT_PAGES`] at a time) when the total is known and the first
/// page was full, else page by page through core's guarded loop until the listing ends
/// ([`listing_ends`]). `params.max_pages` bounds the pages (an [`Error::Paging`] beyond it);
/// its cursor and page size are not used (see `Resource::stream_listing`).
pub(crate) fn stream_pages<'a>(
    shared: &'a Shared,
    listing: Arc<Listing>,
    params: &ListParams,
) -> BoxStream<'a, Result<RawPage>> {
    let top = MAX_PAGE_SIZE;
    let max_pages = params.max_pages.unwrap_or(DEFAULT_MAX_PAGES);
    let first_listing = listing.clone();
    stream::once(async move { fetch_page(shared, &first_listing, 0, top, true).await })
        .map_ok(move |first| -> BoxStream<'a, Result<RawPage>> {
            let Some(next) = first.next.clone() else {
                return stream::iter([Ok(first)]).boxed();
            };
            let too_many = || Error::Paging {
                message: format!(
                    "{} listing needs more than {max_pages} pages (the limit)",
                    what(&listing)
                ),
            };
            let len = first.items.len();
            if let Some(t) = first.total.filter(|_| len == top as usize) {
                let skip = len as u64;
                let starts: Vec<u64> = (0u64..)
                    .map(|i| skip.saturating_add(i.saturating_mul(u64::from(top))))
                    .take_while(|s| *s < t)
                    .take(usize::try_from(max_pages).unwrap_or(usize::MAX))
                    .collect();
                let pages = 1 + starts.len() as u64;
                if pages > max_pages {
                    return stream::iter([Err(too_many())]).boxed();
                }
                let l = listing.clone();
                // The total was reached after these: records added since are for the next
                // listing; records shifted out of a page by a concurrent delete are the
                // caller's to confirm.
                let rest = stream::iter(starts)
                    .map(move |s| {
                        let l = l.clone();
                        async move { fetch_page(shared, &l, s, top, false).await }
                    })
                    .buffered(CONCURRENT_PAGES);
                return stream::iter([Ok(first)]).chain(rest).boxed();
            }
            if max_pages <= 1 {
                return stream::iter([Err(too_many())]).boxed();
            }
            let tail_params = ListParams::new()
                .cursor(Some(next))
                .max_pages(max_pages - 1);
            let tail = guarded_pages(
                what(&listing),
                tail_params,
                sequential(shared, listing.clone(), top),
            );
            stream::iter([Ok(first)]).chain(tail).boxed()
        })
        .try_flatten()
        .boxed()
}

/// Every record of a listing, in order ([`stream_pages`], collected).
pub(crate) async fn fetch_all(shared: &Shared, listing: &Listing) -> Result<Vec<Box<RawValue>>> {
    let pages: Vec<RawPage> = stream_pages(shared, Arc::new(listing.clone()), &ListParams::new())
        .try_collect()
        .await?;
    Ok(pages.into_iter().flat_map(|p| p.items).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors() {
        assert_eq!(decode_cursor(&encode_cursor(500)).unwrap(), 500);
        assert!(decode_cursor(&Cursor::new("abc")).is_err());
        assert_eq!(page_size(None), 500);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(10_000)), 500);
    }

    #[test]
    fn ends() {
        // A short page ends a listing without a total…
        assert!(listing_ends(3, 10, 3, None));
        assert!(!listing_ends(10, 10, 10, None));
        // …but not when the total says more is there (a server capping `top`).
        assert!(!listing_ends(3, 10, 3, Some(7)));
        assert!(listing_ends(3, 10, 7, Some(7)));
        assert!(listing_ends(10, 10, 12, Some(7)));
        assert!(listing_ends(0, 10, 3, Some(7)));
        assert!(listing_ends(0, 10, 0, None));
        assert_eq!(
            parse_http_date("Tue, 01 Dec 2026 08:53:02 GMT").map(|t| t.timestamp()),
            Some(1_796_115_182)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
