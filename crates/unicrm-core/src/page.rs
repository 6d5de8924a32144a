//! List parameters, pages and cursors, and core's guarded paging loop.
//!
//! Adapters fill one page; core loops. [`guarded_pages`] (a stream) and [`collect_pages`]
//! (collected) drive an adapter's "fetch one page for these parameters" function from page to
//! page, and stop loudly on the loop bugs of other connectors: a cursor that does not advance
//! or comes back (a cycle), an empty page that claims a next one, or a chain of next pages
//! longer than [`ListParams::max_pages`]. [`crate::ResourceExt::stream_pages`] is this loop over
//! [`crate::Resource::list`]; adapters use it for their own listings too (change feeds, caches
//! of users, pipelines and custom fields), so no adapter writes an all-pages loop.

use std::collections::HashSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An opaque position in a listing. Adapters decide what is inside (a next URL, an offset);
/// callers store it (it is serializable) to resume a long listing later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps an adapter's cursor text. Adapters only.
    pub fn new(raw: impl Into<String>) -> Self {
        Cursor(raw.into())
    }

    /// The adapter's cursor text. Adapters only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListParams {
    /// Records per page; the adapter clamps it to what the vendor allows and uses the vendor's
    /// maximum when unset.
    pub page_size: Option<u32>,
    /// Where to continue; `None` starts at the beginning.
    pub cursor: Option<Cursor>,
    /// Only records updated after this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Vendor search text (its syntax is the adapter's: see the adapter docs).
    pub search: Option<String>,
    /// Field definitions only: the record type whose definitions to list (all when unset).
    /// Other resources refuse it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<crate::ResourceKind>,
    /// The most pages a full listing follows before it stops with [`crate::Error::Paging`]
    /// (an endless chain of next links); [`DEFAULT_MAX_PAGES`] when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
}

/// The most pages a full listing follows unless [`ListParams::max_pages`] says otherwise.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

impl ListParams {
    /// Default parameters: everything, vendor's largest page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the page size.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n);
        self
    }

    /// Sets the updated-since filter.
    pub fn updated_since(mut self, t: DateTime<Utc>) -> Self {
        self.updated_since = Some(t);
        self
    }

    /// Sets the search text.
    pub fn search(mut self, q: impl Into<String>) -> Self {
        self.search = Some(q.into());
        self
    }

    /// Lists only the field definitions of `kind`.
    pub fn of(mut self, kind: crate::ResourceKind) -> Self {
        self.of = Some(kind);
        self
    }

    /// Sets the cursor.
    pub fn cursor(mut self, c: Option<Cursor>) -> Self {
        self.cursor = c;
        self
    }

    /// Sets the most pages a full listing follows.
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = Some(n);
        self
    }
}

/// One page of records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The records, in the vendor's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// Total number of matching records, when the vendor says.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page with no successor.
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next: None,
            total: None,
        }
    }

    /// One page of a listing the vendor answers whole (an unpaged endpoint): at most
    /// `params.page_size` records (all when unset) from the offset in `params.cursor`, which
    /// only this function makes (`o:<offset>`); another cursor is [`crate::Error::Paging`].
    pub fn slice(all: Vec<T>, params: &ListParams) -> crate::Result<Page<T>> {
        let start = match &params.cursor {
            None => 0,
            Some(c) => c
                .as_str()
                .strip_prefix("o:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| crate::Error::Paging {
                    message: format!("not a cursor of this listing: {:?}", c.as_str()),
                })?,
        };
        let total = all.len();
        let size = params.page_size.map_or(total, |n| n.max(1) as usize);
        let items: Vec<T> = all.into_iter().skip(start).take(size).collect();
        let end = start.saturating_add(items.len());
        Ok(Page {
            next: (end < total).then(|| Cursor::new(format!("o:{end}"))),
            items,
            total: Some(total as u64),
        })
    }

    /// Maps every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }
}

/// What core's paging loop needs to know of a page: where the next one starts, and whether it
/// holds anything.
pub trait Paged {
    /// The next page's cursor; `None` on the last page.
    fn next_cursor(&self) -> Option<&Cursor>;
    /// Whether the page holds no record.
    fn is_empty(&self) -> bool;
}

impl<T> Paged for Page<T> {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The guards of one listing: the cursors seen, the pages read, the limit.
struct PageGuard {
    what: String,
    /// Whether an empty page with a next cursor is expected ([`fill_page`]).
    allow_empty: bool,
    seen: HashSet<Cursor>,
    pages: u64,
    max_pages: u64,
}

impl PageGuard {
    fn new(what: String, params: &ListParams) -> Self {
        let mut seen = HashSet::new();
        if let Some(c) = &params.cursor {
            seen.insert(c.clone());
        }
        PageGuard {
            what,
            allow_empty: false,
            seen,
            pages: 0,
            max_pages: params.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
        }
    }

    /// After a page: the cursor to continue from, `None` when the listing is complete, or the
    /// [`Error::Paging`] of a broken chain.
    fn advance(&mut self, page: &impl Paged) -> Result<Option<Cursor>> {
        self.pages += 1;
        let Some(next) = page.next_cursor() else {
            return Ok(None);
        };
        let fail = |what: String| Error::Paging {
            message: format!("{} listing {what}", self.what),
        };
        if page.is_empty() && !self.allow_empty {
            return Err(fail("returned an empty page with a next cursor".into()));
        }
        if self.pages >= self.max_pages {
            return Err(fail(format!(
                "still claims a next page after {} pages (the limit)",
                self.pages
            )));
        }
        if !self.seen.insert(next.clone()) {
            return Err(fail(format!(
                "came back to a cursor seen before ({})",
                next.as_str()
            )));
        }
        Ok(Some(next.clone()))
    }
}

/// Every page of a listing, as a stream: `fetch` is called with `params` (from
/// `params.cursor` on), then with `params` whose cursor is the previous page's next one,
/// until a page has no next cursor. Ends with an [`Error::Paging`] (naming `what`, e.g.
/// `"acme contact"`) if a cursor does not advance or comes back to one seen before, if an
/// empty page claims a next one, or after [`ListParams::max_pages`] pages that still claim a
/// next one; ends after the first error.
pub fn guarded_pages<'a, P, F, Fut>(
    what: impl Into<String>,
    params: ListParams,
    fetch: F,
) -> BoxStream<'a, Result<P>>
where
    P: Paged + Send + 'a,
    F: FnMut(ListParams) -> Fut + Send + 'a,
    Fut: Future<Output = Result<P>> + Send + 'a,
{
    struct State<F> {
        guard: PageGuard,
        params: ListParams,
        fetch: F,
        done: bool,
    }
    let state = State {
        guard: PageGuard::new(what.into(), &params),
        params,
        fetch,
        done: false,
    };
    stream::try_unfold(state, |mut st| async move {
        if st.done {
            return Ok(None);
        }
        let page = (st.fetch)(st.params.clone()).await?;
        match st.guard.advance(&page)? {
            Some(next) => st.params.cursor = Some(next),
            None => st.done = true,
        }
        Ok(Some((page, st)))
    })
    .boxed()
}

/// Every page of a listing, collected, with the guards of [`guarded_pages`] (for futures that
/// need not be `Send`).
pub async fn collect_pages<P, F, Fut>(
    what: impl Into<String>,
    mut params: ListParams,
    mut fetch: F,
) -> Result<Vec<P>>
where
    P: Paged,
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<P>>,
{
    let mut guard = PageGuard::new(what.into(), &params);
    let mut pages = Vec::new();
    loop {
        let page = fetch(params.clone()).await?;
        let next = guard.advance(&page)?;
        pages.push(page);
        match next {
            Some(n) => params.cursor = Some(n),
            None => return Ok(pages),
        }
    }
}

/// The vendor pages that make up one page of an adapter that filters: from `params.cursor`
/// on, a page that holds nothing (after the adapter's filter) but claims a next one is read
/// past, until a page holds something or is the last. Returns every page read, in order (the
/// last one is the filled page; the others are empty). The guards of [`guarded_pages`] apply
/// (no cursor twice, at most [`ListParams::max_pages`] pages), except that empty pages with a
/// next cursor are expected here.
pub async fn fill_page<P, F, Fut>(
    what: impl Into<String>,
    mut params: ListParams,
    mut fetch: F,
) -> Result<Vec<P>>
where
    P: Paged,
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<P>>,
{
    let mut guard = PageGuard::new(what.into(), &params);
    guard.allow_empty = true;
    let mut pages = Vec::new();
    loop {
        let page = fetch(params.clone()).await?;
        let next = guard.advance(&page)?;
        let filled = !page.is_empty();
        pages.push(page);
        match next {
            Some(n) if !filled => params.cursor = Some(n),
            _ => return Ok(pages),
        }
    }
}

/// Every item of every page of a listing, collected in order (see [`collect_pages`]).
pub async fn collect_items<T, F, Fut>(
    what: impl Into<String>,
    params: ListParams,
    fetch: F,
) -> Result<Vec<T>>
where
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let pages = collect_pages(what, params, fetch).await?;
    Ok(pages.into_iter().flat_map(|p| p.items).collect())
}

#[cfg(test)]
mod tests;
