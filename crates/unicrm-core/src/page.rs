//! List parameters, pages and cursors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// Vendor search text (Capsule `q`; Insightly field search, see the adapter docs).
    pub search: Option<String>,
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

    /// Maps every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }
}
