//! Contacts search paging by `searchAfter` (docs/vendors/highlevel-v2.md, "Contacts search
//! and searchAfter").
//!
//! The core cursor holds `{"n": <hits so far>, "after": <the last hit's searchAfter>}` as JSON
//! text: the cursor HighLevel gave, copied verbatim and never assembled ("Reconciled points"
//! 7), and the count, so the listing stops when it has seen `total` hits or a short page —
//! without the extra empty request a page-by-page walk would end with. A full listing of N
//! contacts thus costs ceil(N / 500) requests.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicrm_core::{Cursor, Error, ListParams, Result};

/// The largest `pageLimit` search accepts.
pub const MAX_PAGE: u32 = 500;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct SearchCursor {
    pub n: u64,
    pub after: Vec<Value>,
}

/// The page size for `params` (1–500, 500 by default).
pub(crate) fn page_limit(params: &ListParams) -> u32 {
    params.page_size.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

/// The cursor `params` carries, if any; a cursor that is not one of ours is a paging error.
pub(crate) fn cursor(params: &ListParams) -> Result<Option<SearchCursor>> {
    let Some(c) = &params.cursor else {
        return Ok(None);
    };
    let parsed: SearchCursor = serde_json::from_str(c.as_str()).map_err(|_| Error::Paging {
        message: "invalid highlevel search cursor".into(),
    })?;
    // A searchAfter holds sort values and the id: numbers and strings only.
    if parsed.after.is_empty() || !parsed.after.iter().all(|v| v.is_number() || v.is_string()) {
        return Err(Error::Paging {
            message: "invalid highlevel search cursor".into(),
        });
    }
    Ok(Some(parsed))
}

/// The next page's cursor: none after a short page, an empty one, or once `total` is seen.
pub(crate) fn next(
    seen_before: u64,
    hits: usize,
    limit: u32,
    total: Option<u64>,
    last_after: Option<Vec<Value>>,
) -> Option<Cursor> {
    let seen = seen_before + hits as u64;
    if hits == 0 || hits < limit as usize || total.is_some_and(|t| seen >= t) {
        return None;
    }
    let after = last_after?;
    serde_json::to_string(&SearchCursor { n: seen, after })
        .ok()
        .map(Cursor::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stops_at_total_short_or_empty_pages() {
        let after = Some(vec![json!(1), json!("a")]);
        assert!(next(0, 500, 500, Some(500), after.clone()).is_none());
        assert!(next(0, 10, 500, None, after.clone()).is_none());
        assert!(next(0, 0, 500, Some(9), after.clone()).is_none());
        let c = next(500, 500, 500, Some(1200), after).unwrap();
        let p = ListParams::new().cursor(Some(c));
        assert_eq!(
            cursor(&p).unwrap().unwrap(),
            SearchCursor {
                n: 1000,
                after: vec![json!(1), json!("a")]
            }
        );
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in [
            "3",
            "{\"n\":1,\"after\":[]}",
            "{\"n\":1,\"after\":[{\"x\":1}]}",
            "http://x",
        ] {
            let p = ListParams::new().cursor(Some(Cursor::new(bad)));
            assert!(matches!(cursor(&p), Err(Error::Paging { .. })), "{bad}");
        }
    }
}
