//! Tinycrm pages by id (`API.md`, Contacts): `after=ID` and `limit=N` (1–100), answered with
//! `next_after`. The core cursor holds that id as text; core runs the loop over pages and its
//! guards (a cursor that does not advance, an empty page claiming a next one).

use unicrm_core::http::Request;
use unicrm_core::{Cursor, Error, ListParams, Result};

/// The largest page.
pub(crate) const MAX_PAGE: u32 = 100;

/// Adds `limit` and `after` for `params` to `req`.
pub(crate) fn apply(req: Request, params: &ListParams) -> Result<Request> {
    let limit = params.page_size.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let mut req = req.query("limit", limit);
    if let Some(cursor) = &params.cursor {
        // Only an id can be a cursor, so it cannot point the client anywhere else.
        let after: u64 = cursor.as_str().parse().map_err(|_| Error::Paging {
            message: format!("invalid tinycrm cursor {:?}", cursor.as_str()),
        })?;
        req = req.query("after", after);
    }
    Ok(req)
}

/// The cursor of the next page.
pub(crate) fn next(next_after: Option<u64>) -> Option<Cursor> {
    next_after.map(|id| Cursor::new(id.to_string()))
}
