//! `skip` + `limit` paging (businesses, users search): the core cursor is `s:<skip>`, made
//! only here. A page shorter than asked, or the vendor's `count` reached, is the last.

use unicrm_core::{Cursor, Error, ListParams, Result};

/// The page size for `params`: 1–`max`, `max` by default.
pub(crate) fn limit(params: &ListParams, max: u32) -> u32 {
    params.page_size.unwrap_or(max).clamp(1, max)
}

/// The `skip` a cursor of ours carries (0 without one); another cursor is a paging error.
pub(crate) fn skip(params: &ListParams) -> Result<u64> {
    match &params.cursor {
        None => Ok(0),
        Some(c) => c
            .as_str()
            .strip_prefix("s:")
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| Error::Paging {
                message: format!("not a highlevel offset cursor: {:?}", c.as_str()),
            }),
    }
}

/// The next cursor after `hits` records from `skip`, asked `limit` at a time.
pub(crate) fn next(skip: u64, hits: usize, limit: u32, total: Option<u64>) -> Option<Cursor> {
    let seen = skip + hits as u64;
    (hits > 0 && hits >= limit as usize && total.is_none_or(|t| seen < t))
        .then(|| Cursor::new(format!("s:{seen}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_advance_and_stop() {
        assert_eq!(
            next(0, 2, 2, None).map(|c| c.as_str().to_string()),
            Some("s:2".into())
        );
        assert!(next(0, 1, 2, None).is_none(), "short page");
        assert!(next(0, 0, 2, None).is_none(), "empty page");
        assert!(next(2, 2, 2, Some(4)).is_none(), "count reached");
        assert_eq!(
            next(2, 2, 2, Some(5)).map(|c| c.as_str().to_string()),
            Some("s:4".into())
        );
        let p = ListParams::new().cursor(Some(Cursor::new("s:40")));
        assert_eq!(skip(&p).ok(), Some(40));
        for bad in ["40", "s:x", "o:1"] {
            let p = ListParams::new().cursor(Some(Cursor::new(bad)));
            assert!(matches!(skip(&p), Err(Error::Paging { .. })), "{bad}");
        }
        assert_eq!(limit(&ListParams::new(), 100), 100);
        assert_eq!(limit(&ListParams::new().page_size(0), 100), 1);
        assert_eq!(limit(&ListParams::new().page_size(500), 100), 100);
    }
}
