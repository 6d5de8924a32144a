//! The Filters API for people-only and organisations-only listings
//! (docs/vendors/capsule-v2-addendum.md, "Filters API", "Listing only people").
//!
//! `POST /parties/filters/results?perPage=100&embed=tags,fields` with
//! `{"filter":{"conditions":[{"field":"type","operator":"is","value":"person"}]}}` answers
//! only people, in the list's shape, paged by `Link`. The next link points at the **POST**
//! URL: the same body is POSTed to it again (the documentation implies it, a wire-verified
//! client does it: confidence M). The cursor is that URL; a cursor on
//! `/parties/filters/results` is continued by POST, any other by GET.
//!
//! Where the documentation is unsure, both readings are handled:
//! - the first page answering 404 or 405 (a tenant, proxy or API version without the
//!   endpoint) falls back to walking `GET /parties` and dropping the other type, as before;
//! - every page is still filtered by `type` client-side, so a server that ignored the
//!   condition yields the same records (only more requests).
//!
//! The filter reads are repeatable (safe to retry; the vendor counts them as reads).
//! `updated_since` listings keep `GET /parties?since=` (second precision; the filter's
//! `updatedOn` is day-granular), and `search` keeps `/parties/search`.

use serde_json::json;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::{Method, Request};
use unicrm_core::page::{Paged, fill_page};
use unicrm_core::{Cursor, ListParams};

use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::paging::{fetch_filtered, page_size};
use crate::wire::{self, Decoded, Party};

/// The path of the party filter endpoint.
pub const PARTY_FILTER_PATH: &str = "parties/filters/results";

/// The body selecting one party type (`person` or `organisation`).
pub fn type_filter_body(kind: &str) -> String {
    json!({"filter": {"conditions": [{"field": "type", "operator": "is", "value": kind}]}})
        .to_string()
}

/// Whether a cursor continues a filter listing (POST) rather than a GET listing.
pub fn is_filter_cursor(c: &Cursor) -> bool {
    url::Url::parse(c.as_str())
        .map(|u| u.path().trim_end_matches('/').ends_with("/filters/results"))
        .unwrap_or(false)
}

/// Whether the filter endpoint is missing (the fallback reading).
fn endpoint_missing(e: &Error) -> bool {
    e.is_not_found()
        || matches!(
            e,
            Error::Vendor {
                status: 405 | 501,
                ..
            }
        )
}

struct FilterResponse {
    items: Vec<Decoded<Party>>,
    next: Option<Cursor>,
}

impl Paged for FilterResponse {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Api {
    async fn post_filter(
        &self,
        cursor: Option<&Cursor>,
        params: &ListParams,
        body: &str,
    ) -> Result<unicrm_core::http::HttpResponse> {
        let mut req = match cursor {
            Some(c) => Request::new(Method::POST, self.http.cursor_url(c)?),
            None => self.request(
                Method::POST,
                PARTY_FILTER_PATH,
                &[
                    ("perPage", page_size(params, MAX_PAGE_SIZE).to_string()),
                    ("embed", crate::resources::EMBED.to_string()),
                ],
            )?,
        };
        req.body = Some(body.to_string().into_bytes().into());
        self.http.send(req.repeatable(true)).await
    }

    /// One non-empty page of the parties of one type (`person` / `organisation`), through the
    /// Filters API, or through the `GET /parties` walk when the endpoint is missing or the
    /// cursor is a walk's.
    pub(crate) async fn typed_party_page(
        &self,
        params: &ListParams,
        kind: &'static str,
    ) -> Result<(Vec<Decoded<Party>>, Option<Cursor>)> {
        let keep = move |p: &Party| p.is_organisation() == (kind == "organisation");
        let walk = |params: ListParams| async move {
            fetch_filtered(
                self,
                &crate::resources::parties::first_page(&params),
                &params,
                "parties",
                keep,
            )
            .await
        };
        if params.cursor.as_ref().is_some_and(|c| !is_filter_cursor(c)) {
            return walk(params.clone()).await;
        }
        let body = type_filter_body(kind);
        let body = &body;
        let first = fill_page(
            "capsule parties/filters/results".to_string(),
            params.clone(),
            |p: ListParams| async move {
                let resp = self.post_filter(p.cursor.as_ref(), &p, body).await?;
                let items = wire::decode_list::<Party>(&resp.body, "parties")?
                    .into_iter()
                    .filter(|d| keep(&d.wire))
                    .collect();
                let next = resp.next_link();
                if let Some(n) = &next {
                    if *n == resp.url {
                        return Err(Error::Paging {
                            message: format!(
                                "capsule {PARTY_FILTER_PATH}: the next link repeats the page ({n})"
                            ),
                        });
                    }
                }
                Ok(FilterResponse {
                    items,
                    next: next.map(|u| Cursor::new(u.to_string())),
                })
            },
        )
        .await;
        match first {
            Ok(responses) => {
                let last = responses.into_iter().last();
                Ok(last.map_or((Vec::new(), None), |r| (r.items, r.next)))
            }
            Err(e) if params.cursor.is_none() && endpoint_missing(&e) => {
                tracing::debug!("capsule: the filters endpoint is missing ({e}); walking /parties");
                walk(params.clone()).await
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_body_is_the_documented_one() {
        assert_eq!(
            type_filter_body("person"),
            r#"{"filter":{"conditions":[{"field":"type","operator":"is","value":"person"}]}}"#
        );
    }

    #[test]
    fn only_filter_urls_are_posted() {
        assert!(is_filter_cursor(&Cursor::new(
            "https://api.capsulecrm.com/api/v2/parties/filters/results?page=2"
        )));
        assert!(!is_filter_cursor(&Cursor::new(
            "https://api.capsulecrm.com/api/v2/parties?page=2"
        )));
        assert!(!is_filter_cursor(&Cursor::new("not a url")));
    }
}
