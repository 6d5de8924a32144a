//! `Resource<Engagement>` over HighLevel's appointments (docs/vendors/highlevel-v2.md,
//! "Calendars and appointments"; mapping in `mapping/engagement.rs`).
//!
//! - **Listing:** `GET /calendars/events` needs a time window and a calendar, user or group,
//!   so a complete listing instead walks the contacts (`contact_walk.rs`, with its cost)
//!   and reads each one's `GET /contacts/{id}/appointments`: no window, each appointment once.
//! - **Read:** `GET /calendars/events/appointments/{id}` (`{"appointment"}` live, `{"event"}`
//!   in the spec, or bare). A deleted appointment reads back with `deleted: true`: that is
//!   `NotFound` here.
//! - **Create:** `POST /calendars/events/appointments`; without a `calendar_id` the location's
//!   first calendar (`GET /calendars/`) is used. A taken slot is refused by HighLevel (400)
//!   unless `vendor_fields` carries `ignoreFreeSlotValidation: true`.
//! - **Delete:** `DELETE /calendars/events/{id}` with `{}`.
//! - **Changes** ("Incremental reads and deletions": a time window per calendar, records with
//!   `dateUpdated`): every calendar's events from [`FEED_PAST`] ago to [`FEED_AHEAD`] ahead,
//!   kept when `dateUpdated` ≥ checkpoint − one minute. Appointments outside the window are
//!   not seen by the feed. A deletion is reported only when HighLevel confirms it: an event
//!   listed with `deleted: true`; otherwise deletions come from `AppointmentDelete` webhooks
//!   (confirmed by reading the appointment back, `hook_events.rs`).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use futures::stream::BoxStream;
use serde_json::{Value, json};
use unicrm_core::change::next_checkpoint;
use unicrm_core::http::Method;
use unicrm_core::{
    Change, ChangeSet, Checkpoint, Engagement, EngagementId, EngagementPatch, Error, ListParams,
    NewEngagement, Page, Resource, Result,
};

use super::contact_walk::{self, Fetch};
use crate::VENDOR;
use crate::client::{Api, check_id};
use crate::mapping::engagement as map;

/// How far back the change feed's window reaches.
pub const FEED_PAST: chrono::Duration = chrono::Duration::days(90);
/// How far ahead the change feed's window reaches.
pub const FEED_AHEAD: chrono::Duration = chrono::Duration::days(365);
/// Search lag and clock skew covered by each feed read.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);

/// HighLevel's appointments.
#[derive(Debug, Clone)]
pub(crate) struct Engagements {
    pub(crate) api: Api,
}

/// The appointment inside an answer: `appointment`, `event`, or the body itself.
fn inner(v: Value) -> Value {
    match v {
        Value::Object(mut m) => match m.remove("appointment").or_else(|| m.remove("event")) {
            Some(inner @ Value::Object(_)) => inner,
            _ => Value::Object(m),
        },
        other => other,
    }
}

async fn of_contact(api: Api, contact: String) -> Result<Vec<Engagement>> {
    check_id("contact", &contact)?;
    let req = api
        .request(Method::GET, &format!("contacts/{contact}/appointments"))?
        .repeatable(true);
    crate::pages::engagements(&api.send(req).await?.body)
}

impl Engagements {
    fn fetch(&self) -> Fetch<Engagement> {
        let api = self.api.clone();
        Arc::new(move |contact| of_contact(api.clone(), contact).boxed())
    }

    async fn calendars(&self) -> Result<Vec<String>> {
        Ok(self.calendars_dated().await?.0)
    }

    /// The calendars' ids and the answer's `Date` (the vendor's clock).
    async fn calendars_dated(
        &self,
    ) -> Result<(Vec<String>, Option<chrono::DateTime<chrono::Utc>>)> {
        let (calendars, date) = super::engagement_types::all_dated(&self.api).await?;
        Ok((
            calendars.into_iter().map(|c| c.id.to_string()).collect(),
            date,
        ))
    }

    async fn one(&self, req: unicrm_core::http::Request) -> Result<Engagement> {
        let v = inner(self.api.send(req).await?.json()?);
        if map::is_deleted(&v) {
            return Err(Error::NotFound {
                message: format!(
                    "{VENDOR} appointment {} is deleted",
                    v.get("id").and_then(Value::as_str).unwrap_or_default()
                ),
            });
        }
        map::from_wire(v)
    }
}

#[async_trait]
impl Resource<Engagement> for Engagements {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Engagement>> {
        contact_walk::list_page(&self.api, &self.fetch(), params).await
    }

    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Engagement>> {
        if params.cursor.is_some() || params.max_pages.is_some() {
            return unicrm_core::crm::default_listing(self, params);
        }
        contact_walk::stream_all(self.api.clone(), self.fetch(), |e: &Engagement| {
            e.id.to_string()
        })
    }

    async fn get(&self, id: &EngagementId) -> Result<Engagement> {
        let req = self
            .api
            .request_id(Method::GET, "calendars/events/appointments", id.as_str())?;
        self.one(req).await
    }

    async fn create(&self, new: &NewEngagement) -> Result<Engagement> {
        let calendar = match &new.calendar_id {
            Some(c) => c.clone(),
            None => self.calendars().await?.into_iter().next().ok_or_else(|| {
                Error::validation("the HighLevel location has no calendar for an appointment")
            })?,
        };
        check_id("calendar", &calendar)?;
        let body = map::to_create(new, &self.api.location_id, &calendar)?;
        // Not repeatable: an appointment create whose outcome is unknown is not sent again.
        let req = self
            .api
            .request(Method::POST, "calendars/events/appointments")?
            .json(&body)?;
        self.one(req).await
    }

    async fn update(&self, id: &EngagementId, patch: &EngagementPatch) -> Result<Engagement> {
        let body = map::to_patch(patch)?;
        let req = self
            .api
            .request_id(Method::PUT, "calendars/events/appointments", id.as_str())?
            .json(&body)?
            .repeatable(true);
        self.one(req).await
    }

    async fn delete(&self, id: &EngagementId) -> Result<()> {
        let req = self
            .api
            .request_id(Method::DELETE, "calendars/events", id.as_str())?
            .json(&json!({}))?;
        self.api.send(req).await.map(drop)
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Engagement, EngagementId>> {
        let since = checkpoint.at - OVERLAP;
        let (calendars, date) = self.calendars_dated().await?;
        let (mut first, mut last) = (date, date);
        let mut seen = HashSet::new();
        let mut changes = Vec::new();
        // The window is placed on the vendor's clock (its `Date`), else on ours.
        let now = date.unwrap_or_else(chrono::Utc::now);
        let (start, end) = (
            (now - FEED_PAST).timestamp_millis(),
            (now + FEED_AHEAD).timestamp_millis(),
        );
        for calendar in calendars {
            check_id("calendar", &calendar)?;
            let req = self
                .api
                .request(Method::GET, "calendars/events")?
                .query("locationId", &*self.api.location_id)
                .query("calendarId", &calendar)
                .query("startTime", start.to_string())
                .query("endTime", end.to_string())
                .repeatable(true);
            let resp = self.api.send(req).await?;
            let date = resp.date();
            first = first.or(date);
            last = date.or(last);
            for (e, deleted) in crate::pages::events(&resp.body)? {
                if e.updated_at.is_some_and(|t| t < since) || !seen.insert(e.id.clone()) {
                    continue;
                }
                changes.push(if deleted {
                    Change::Deleted {
                        id: e.id,
                        deleted_at: e.updated_at,
                    }
                } else {
                    Change::Upserted { record: e }
                });
            }
        }
        Ok(ChangeSet {
            changes,
            next: Checkpoint::at(next_checkpoint(
                checkpoint.at,
                first,
                last,
                false,
                chrono::Duration::milliseconds(1),
            )),
        })
    }
}
