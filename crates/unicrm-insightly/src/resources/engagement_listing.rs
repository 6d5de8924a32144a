//! The whole engagements listing: every event, then every email, with the emails fetched
//! ahead while the events are still being listed.
//!
//! Each object is listed by its own concurrent listing (`paging::stream_pages`: the first
//! page with `count_total=true`, then [`crate::paging::CONCURRENT_PAGES`] pages at a time).
//! [`events_then_emails`] polls both: what the events listing yields is passed on at once,
//! and the emails are read into a look-ahead buffer of at most [`AHEAD`] records (one full
//! page) so that their first requests overlap the events' last ones. Once the events are done the
//! buffer is drained and the emails listing passed on. Every request still goes through the
//! client's limiter, so the two listings together stay within the 10 requests a second
//! (docs/vendors/insightly-v3.1.md, "Rate limits"). The order is stable (events in ID order,
//! then emails in ID order, as [`Resource::list`](unicrm_core::Resource::list) pages them),
//! and each record comes once. An error of either listing is passed on in its place.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::BoxStream;
use unicrm_core::{Engagement, Result};

/// Emails read ahead while the events are listed, at most (one page of 500).
pub const AHEAD: usize = 500;

/// Every item of `events`, then every item of `emails`, the emails read up to [`AHEAD`]
/// items ahead while `events` is still going.
pub fn events_then_emails<'a>(
    events: BoxStream<'a, Result<Engagement>>,
    emails: BoxStream<'a, Result<Engagement>>,
) -> BoxStream<'a, Result<Engagement>> {
    Box::pin(Ahead {
        first: Some(events),
        second: Some(emails),
        buffer: VecDeque::new(),
    })
}

struct Ahead<'a> {
    /// `None` once finished.
    first: Option<BoxStream<'a, Result<Engagement>>>,
    /// `None` once finished.
    second: Option<BoxStream<'a, Result<Engagement>>>,
    /// What `second` yielded while `first` was still going.
    buffer: VecDeque<Result<Engagement>>,
}

impl Ahead<'_> {
    /// Reads `second` into the buffer while it has items ready and the buffer has room.
    fn read_ahead(&mut self, cx: &mut Context<'_>) {
        while self.buffer.len() < AHEAD {
            let Some(second) = self.second.as_mut() else {
                return;
            };
            match second.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => self.buffer.push_back(item),
                Poll::Ready(None) => self.second = None,
                Poll::Pending => return,
            }
        }
    }
}

impl Stream for Ahead<'_> {
    type Item = Result<Engagement>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(first) = this.first.as_mut() {
            match first.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    // Keep the emails moving (their waker is registered by this poll).
                    this.read_ahead(cx);
                    return Poll::Ready(Some(item));
                }
                Poll::Ready(None) => this.first = None,
                Poll::Pending => {
                    this.read_ahead(cx);
                    return Poll::Pending;
                }
            }
        }
        if let Some(item) = this.buffer.pop_front() {
            return Poll::Ready(Some(item));
        }
        match this.second.as_mut() {
            None => Poll::Ready(None),
            Some(second) => match second.as_mut().poll_next(cx) {
                Poll::Ready(None) => {
                    this.second = None;
                    Poll::Ready(None)
                }
                other => other,
            },
        }
    }
}
