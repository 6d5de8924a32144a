//! Capsule listings with pages fetched ahead, in parallel, by the vendor's `page` parameter
//! (docs/vendors/capsule-v2.md, Paging: `page` starts at 1; the last page has no
//! `rel="next"`; a page beyond the last is an empty `200`).
//!
//! Page 1 goes alone (its answer gives the budget reading); then up to `ahead` pages are in
//! flight at once, never more than the last `X-RateLimit-Remaining` allows (an in-flight
//! request is counted as spent), and every request still goes through the client's rate
//! limiter and budget check. Pages come out in page order, each record once (an id already
//! given is skipped: records may shift between pages while the listing runs). The listing
//! ends at the first page without `rel="next"`: the pages fetched beyond it are dropped
//! unread (at most `ahead - 1` requests). When a `next` link does not name the following page
//! number, the pages in flight are dropped and the links are followed one by one from there.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, Stream, StreamExt};
use serde::de::DeserializeOwned;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::{HttpResponse, Url};
use unicrm_core::{Cursor, ListParams};

use super::FirstPage;
use crate::client::{Api, CapsuleClient};
use crate::resources::parties::{PartyRecord, first_page, to_record};
use crate::wire::{self, Decoded, Party};

/// Aborts the task when dropped (a no-op once it finished).
struct Abort<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Abort<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One page read.
struct Fetched<T> {
    page: Option<u32>,
    items: Vec<Decoded<T>>,
    next: Option<Url>,
}

fn page_of(url: &Url) -> Option<u32> {
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

fn read<T: DeserializeOwned>(
    resp: Result<HttpResponse>,
    wrapper: &str,
    page: Option<u32>,
) -> Result<Fetched<T>> {
    let resp = resp?;
    Ok(Fetched {
        page,
        items: wire::decode_list::<T>(&resp.body, wrapper)?,
        next: resp.next_link(),
    })
}

struct Ahead<T> {
    api: Arc<Api>,
    first: FirstPage,
    wrapper: &'static str,
    ahead: usize,
    next_page: u32,
    in_flight: FuturesOrdered<BoxFuture<'static, Result<Fetched<T>>>>,
    /// Set once the first page answered (the budget reading exists from then on).
    opened: bool,
    /// Following `next` links one by one (the vendor's links do not go by page number).
    follow: Option<Url>,
    done: bool,
    seen: HashSet<u64>,
    id_of: fn(&T) -> u64,
}

impl<T: DeserializeOwned + Send + 'static> Ahead<T> {
    /// How many requests may be in flight now.
    fn window(&self) -> usize {
        if !self.opened {
            return 1;
        }
        let remaining = self.api.http.quota_tracker().last().remaining;
        remaining.map_or(self.ahead, |r| {
            usize::try_from(r)
                .unwrap_or(usize::MAX)
                .clamp(1, self.ahead)
        })
    }

    fn launch(&mut self) {
        while self.in_flight.len() < self.window() {
            let page = self.next_page;
            self.next_page = page.saturating_add(1);
            let api = self.api.clone();
            let mut query = self.first.query.clone();
            query.push(("page", page.to_string()));
            let path = self.first.path.clone();
            let wrapper = self.wrapper;
            // Its own task: the pages in flight are decoded on every worker thread. Dropping
            // the future (a page beyond the last) aborts the task.
            let task = Abort(tokio::spawn(async move {
                read(api.get_path(&path, &query).await, wrapper, Some(page))
            }));
            self.in_flight.push_back(Box::pin(async move {
                let mut task = task;
                (&mut task.0)
                    .await
                    .unwrap_or_else(|e| Err(Error::config(format!("a page task failed: {e}"))))
            }));
        }
    }

    async fn step(&mut self) -> Option<Result<Vec<Decoded<T>>>> {
        if self.done {
            return None;
        }
        let fetched = if let Some(url) = self.follow.take() {
            let resp = match self.api.http.cursor_url(&Cursor::new(url.to_string())) {
                Ok(u) => self.api.get_url(u).await,
                Err(e) => Err(e),
            };
            read(resp, self.wrapper, None)
        } else {
            self.launch();
            match self.in_flight.next().await {
                Some(f) => f,
                None => {
                    self.done = true;
                    return None;
                }
            }
        };
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => {
                self.done = true;
                self.in_flight.clear();
                return Some(Err(e));
            }
        };
        self.opened = true;
        match &fetched.next {
            // The true last page: whatever was fetched beyond it is dropped.
            None => {
                self.done = true;
                self.in_flight.clear();
            }
            Some(next) => {
                let in_step = fetched
                    .page
                    .is_some_and(|p| page_of(next) == p.checked_add(1));
                if !in_step {
                    self.in_flight.clear();
                    self.follow = Some(next.clone());
                }
            }
        }
        let id_of = self.id_of;
        let seen = &mut self.seen;
        Some(Ok(fetched
            .items
            .into_iter()
            .filter(|d| seen.insert(id_of(&d.wire)))
            .collect()))
    }
}

/// The pages of the listing `first`, `ahead` requests at most in flight (at least 1), in
/// order, each record once. See the module docs.
pub(crate) fn pages_ahead<T: DeserializeOwned + Send + 'static>(
    api: Arc<Api>,
    first: FirstPage,
    wrapper: &'static str,
    ahead: usize,
    id_of: fn(&T) -> u64,
) -> impl Stream<Item = Result<Vec<Decoded<T>>>> + Send + 'static {
    let state = Ahead {
        api,
        first,
        wrapper,
        ahead: ahead.max(1),
        next_page: 1,
        in_flight: FuturesOrdered::new(),
        opened: false,
        follow: None,
        done: false,
        seen: HashSet::new(),
        id_of,
    };
    futures::stream::unfold(state, |mut st| async move {
        st.step().await.map(|page| (page, st))
    })
}

impl CapsuleClient {
    /// Every party of a listing (`params`: page size, `updated_since`, `search`; no cursor),
    /// with up to `ahead` pages fetched in parallel within the hourly budget: the records in
    /// the order and number a page-by-page listing gives, each once. Faster at high latency;
    /// costs at most `ahead - 1` extra requests at the end. See `paging/parallel.rs`.
    pub fn list_parties_ahead(
        &self,
        params: &ListParams,
        ahead: usize,
    ) -> impl Stream<Item = Result<PartyRecord>> + Send + 'static {
        let api = self.api.clone();
        let pages =
            pages_ahead::<Party>(api.clone(), first_page(params), "parties", ahead, |p| p.id);
        pages
            .then(move |page| {
                let api = api.clone();
                async move {
                    let items = page?;
                    let defs = api.party_defs_for(&items).await?;
                    Ok::<_, unicrm_core::Error>(
                        items
                            .iter()
                            .map(|d| to_record(d, &defs))
                            .collect::<VecDeque<_>>(),
                    )
                }
            })
            .flat_map(|page| match page {
                Ok(records) => futures::stream::iter(records.into_iter().map(Ok)).left_stream(),
                Err(e) => futures::stream::iter([Err(e)]).right_stream(),
            })
    }
}
