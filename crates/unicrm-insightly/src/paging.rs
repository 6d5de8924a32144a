//! Insightly paging: `skip` / `top` offsets over bare JSON arrays (vendor doc §4).
//!
//! - Pages are requested at the largest size, `top=500`, unless the caller asks for fewer.
//! - The [`Cursor`] is the `skip` of the next page, as decimal text (`"500"`).
//! - A page that reaches `X-Total-Count` is the last. A shorter page than `top` is the last
//!   only when no total was given or the total agrees (the server may cap `top` below what
//!   was asked: then the next page is asked for at `skip + len`); an empty page always is.
//! - A whole listing (`fetch_all`) asks for `count_total=true` on the first page; once
//!   `X-Total-Count` is known the remaining pages are fetched concurrently (still paced by
//!   the client's rate limiter, which every request passes) and kept in order. Listing 1,234
//!   records costs exactly 3 requests.
//! - No sort parameter exists (order is by id in practice); offset paging over data that
//!   changes underneath can skip or repeat a record, so callers de-duplicate by id.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::value::RawValue;
use unicrm_core::http::Method;
use unicrm_core::http::Request;
use unicrm_core::{Cursor, Error, Result};

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
}

/// Parses an HTTP-date (`Tue, 01 Dec 2026 08:53:02 GMT`).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

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
    let date = resp.header("date").and_then(parse_http_date);
    Ok(RawPage {
        items: decode_array(&resp.body)?,
        total,
        date,
    })
}

/// Every record of a listing, in order: first page with the total, then the rest
/// concurrently, then (a server that capped `top`, or no total) page by page until the
/// listing ends ([`listing_ends`]).
pub(crate) async fn fetch_all(shared: &Shared, listing: &Listing) -> Result<Vec<Box<RawValue>>> {
    let top = MAX_PAGE_SIZE;
    let first = fetch_page(shared, listing, 0, top, true).await?;
    let mut last_len = first.items.len();
    let mut skip = last_len as u64;
    let mut total = first.total;
    let mut items = first.items;
    if listing_ends(last_len, top, skip, total) {
        return Ok(items);
    }
    if let Some(t) = total.filter(|_| last_len == top as usize) {
        let starts = (0u64..)
            .map(move |i| skip.saturating_add(i.saturating_mul(u64::from(top))))
            .take_while(move |s| *s < t);
        let pages: Vec<RawPage> = stream::iter(starts)
            .map(|s| fetch_page(shared, listing, s, top, false))
            .buffered(CONCURRENT_PAGES)
            .try_collect()
            .await?;
        for p in pages {
            items.extend(p.items);
        }
        // The total was reached: stop here (records added since are for the next listing;
        // records shifted out of a page by a concurrent delete are the caller's to confirm).
        return Ok(items);
    }
    loop {
        let page = fetch_page(shared, listing, skip, top, true).await?;
        last_len = page.items.len();
        skip = skip.saturating_add(last_len as u64);
        total = page.total.or(total);
        items.extend(page.items);
        if listing_ends(last_len, top, skip, total) {
            return Ok(items);
        }
    }
}

/// A listing read page after page (never concurrently), each page with its total and
/// `Date`: the change feed's upserts, where the order of the reads matters.
pub(crate) async fn fetch_sequential(
    shared: &Shared,
    listing: &Listing,
    top: u32,
) -> Result<Vec<RawPage>> {
    let mut pages = Vec::new();
    let mut skip = 0u64;
    loop {
        let page = fetch_page(shared, listing, skip, top, true).await?;
        let len = page.items.len();
        skip = skip.saturating_add(len as u64);
        let total = page.total;
        pages.push(page);
        if listing_ends(len, top, skip, total) {
            return Ok(pages);
        }
    }
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
