//! Insightly paging: `skip` / `top` offsets over bare JSON arrays (vendor doc §4).
//!
//! - Pages are requested at the largest size, `top=500`, unless the caller asks for fewer.
//! - The [`Cursor`] is the `skip` of the next page, as decimal text (`"500"`).
//! - A page shorter than `top` is the last; so is one that reaches `X-Total-Count`.
//! - A whole listing ([`fetch_all`]) asks for `count_total=true` on the first page; once
//!   `X-Total-Count` is known the remaining pages are fetched concurrently (still paced by
//!   the client's rate limiter, which every request passes) and kept in order. Listing 1,234
//!   records costs exactly 3 requests.
//! - No sort parameter exists (order is by id in practice); offset paging over data that
//!   changes underneath can skip or repeat a record, so callers de-duplicate by id.

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
    Ok(RawPage {
        items: decode_array(&resp.body)?,
        total,
    })
}

/// Every record of a listing, in order: first page with the total, then the rest
/// concurrently, then (without a total) page by page until a short page.
pub(crate) async fn fetch_all(shared: &Shared, listing: &Listing) -> Result<Vec<Box<RawValue>>> {
    let top = MAX_PAGE_SIZE;
    let first = fetch_page(shared, listing, 0, top, true).await?;
    let mut last_len = first.items.len();
    let mut skip = last_len as u64;
    let mut items = first.items;
    if last_len < top as usize {
        return Ok(items);
    }
    if let Some(total) = first.total {
        if skip >= total {
            return Ok(items);
        }
        let starts = (0u64..)
            .map(move |i| skip.saturating_add(i.saturating_mul(u64::from(top))))
            .take_while(move |s| *s < total);
        let pages: Vec<RawPage> = stream::iter(starts)
            .map(|s| fetch_page(shared, listing, s, top, false))
            .buffered(CONCURRENT_PAGES)
            .try_collect()
            .await?;
        for p in pages {
            items.extend(p.items);
        }
        // The total was reached: stop here (records added since are for the next listing).
        return Ok(items);
    }
    while last_len >= top as usize {
        let page = fetch_page(shared, listing, skip, top, false).await?;
        last_len = page.items.len();
        skip = skip.saturating_add(last_len as u64);
        items.extend(page.items);
    }
    Ok(items)
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
}
