//! Capsule paging: `page`/`perPage` (1..100; 100 when listing everything), then the
//! `Link: rel="next"` URL followed verbatim. The cursor is that next URL.
//!
//! Where the adapter filters a page (people vs organisations from `/parties`, notes among
//! `/entries`), a page that filters down to nothing is not returned: the next one is fetched
//! at once, so a caller never sees an empty page that claims a successor.

use serde::de::DeserializeOwned;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Url;
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

/// Parses a cursor back into the next URL.
pub fn cursor_url(c: &Cursor) -> Result<Url> {
    Url::parse(c.as_str()).map_err(|e| Error::Paging {
        message: format!("invalid capsule cursor {:?}: {e}", c.as_str()),
    })
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

/// One non-empty page of the records `keep` accepts (or the last page).
pub(crate) async fn fetch_filtered<T: DeserializeOwned>(
    api: &Api,
    first: &FirstPage,
    params: &ListParams,
    wrapper: &str,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<Decoded<T>>, Option<Cursor>)> {
    let query: Vec<(&str, String)> = first.query.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut resp = match &params.cursor {
        Some(c) => api.get_url(cursor_url(c)?).await?,
        None => api.get_path(&first.path, &query).await?,
    };
    loop {
        let items: Vec<Decoded<T>> = wire::decode_list::<T>(&resp.body, wrapper)?
            .into_iter()
            .filter(|d| keep(&d.wire))
            .collect();
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
        match next {
            Some(n) if items.is_empty() => resp = api.get_url(n).await?,
            next => return Ok((items, next.map(|u| Cursor::new(u.to_string())))),
        }
    }
}
