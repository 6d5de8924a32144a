//! Page bodies → unified records, without a client: the steps each listing takes with one
//! answer (decode the envelope, then map each record as `list` does), for callers that hold
//! the bytes already, such as the mapping-cost benchmark.
//!
//! Each function mirrors its resource file: `resources/contacts.rs` (`POST /contacts/search`),
//! `resources/accounts.rs` (`GET /businesses/`), `resources/opportunities.rs`
//! (`GET /opportunities/search`), and the per-contact sub-resources of `resources/notes.rs`,
//! `resources/tasks.rs` and `resources/engagements.rs` (`GET /contacts/{id}/notes`, `/tasks`,
//! `/appointments`), and `resources/engagement_types.rs` (`GET /calendars/`).
//!
//! Each page is parsed once: the envelope keeps its records as borrowed JSON text
//! (`serde_json::value::RawValue`), and each record is decoded from that text straight into
//! its wire type, the same text becoming the record's raw payload (`crate::wire::record`).

use serde_json::Value;
use unicrm_core::{
    Account, Contact, Currency, Engagement, EngagementType, Note, Opportunity, Result, Task,
};

use crate::mapping;
use crate::wire::appointment::{WireAppointment, WireEvents};
use crate::wire::business::WireBusinesses;
use crate::wire::calendar::{WireCalendarOne, WireCalendars};
use crate::wire::contact::{WireContact, WireSearchPage};
use crate::wire::note::WireNotes;
use crate::wire::opportunity::{WireMeta, WireOpportunityPage};
use crate::wire::task::WireTasks;
use crate::wire::{envelope, record};

/// A contact search answer: its hits, the `searchAfter` of the last one, and `total`.
pub(crate) struct SearchHits {
    pub(crate) contacts: Vec<Contact>,
    pub(crate) last_after: Option<Vec<Value>>,
    pub(crate) total: Option<u64>,
}

/// A `POST /contacts/search` answer, decoded.
pub(crate) fn search_hits(body: &[u8]) -> Result<SearchHits> {
    let page: WireSearchPage = envelope(body)?;
    let mut last_after = None;
    let mut contacts = Vec::with_capacity(page.contacts.len());
    for (i, text) in page.contacts.iter().enumerate() {
        let (w, raw) = record::<WireContact>(text, "contacts", i)?;
        last_after = w.search_after.clone();
        contacts.push(mapping::contact::from_parsed(w, raw));
    }
    Ok(SearchHits {
        contacts,
        last_after,
        total: page.total,
    })
}

/// A `POST /contacts/search` answer's contacts.
pub fn contacts(body: &[u8]) -> Result<Vec<Contact>> {
    Ok(search_hits(body)?.contacts)
}

/// A `GET /businesses/` answer's businesses, as accounts.
pub fn accounts(body: &[u8]) -> Result<Vec<Account>> {
    let page: WireBusinesses = envelope(body)?;
    page.businesses
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record(text, "businesses", i)?;
            Ok(mapping::account::from_parsed(w, raw))
        })
        .collect()
}

/// A `GET /opportunities/search` answer: its opportunities and its `meta`.
pub(crate) fn opportunity_page(
    body: &[u8],
    currency: &Currency,
) -> Result<(Vec<Opportunity>, Option<WireMeta>)> {
    let page: WireOpportunityPage = envelope(body)?;
    let items = page
        .opportunities
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record(text, "opportunities", i)?;
            Ok(mapping::opportunity::from_parsed(w, raw, currency))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((items, page.meta))
}

/// A `GET /opportunities/search` answer's opportunities; bare amounts are in `currency` (the
/// location's).
pub fn opportunities(body: &[u8], currency: &Currency) -> Result<Vec<Opportunity>> {
    Ok(opportunity_page(body, currency)?.0)
}

/// A `GET /contacts/{contact}/notes` answer's notes.
pub fn notes(body: &[u8], contact: &str) -> Result<Vec<Note>> {
    let page: WireNotes = envelope(body)?;
    page.notes
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record(text, "notes", i)?;
            Ok(mapping::note::from_parsed(w, raw, Some(contact)))
        })
        .collect()
}

/// A `GET /contacts/{contact}/tasks` answer's tasks.
pub fn tasks(body: &[u8], contact: &str) -> Result<Vec<Task>> {
    let page: WireTasks = envelope(body)?;
    page.tasks
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record(text, "tasks", i)?;
            Ok(mapping::task::from_parsed(w, raw, Some(contact)))
        })
        .collect()
}

/// An `{events}` answer (`GET /contacts/{id}/appointments`, `GET /calendars/events`): each
/// appointment with whether it is deleted (`deleted: true`).
pub(crate) fn events(body: &[u8]) -> Result<Vec<(Engagement, bool)>> {
    let page: WireEvents = envelope(body)?;
    page.events
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record::<WireAppointment>(text, "events", i)?;
            let deleted = w.deleted == Some(Value::Bool(true));
            Ok((mapping::engagement::from_parsed(w, raw), deleted))
        })
        .collect()
}

/// A `GET /contacts/{contact}/appointments` answer's appointments (deleted ones left out), as
/// engagements.
pub fn engagements(body: &[u8]) -> Result<Vec<Engagement>> {
    Ok(events(body)?
        .into_iter()
        .filter_map(|(e, deleted)| (!deleted).then_some(e))
        .collect())
}

/// A `GET /calendars/` answer's calendars, as engagement types.
pub fn calendars(body: &[u8]) -> Result<Vec<EngagementType>> {
    let page: WireCalendars = envelope(body)?;
    page.calendars
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (w, raw) = record(text, "calendars", i)?;
            Ok(mapping::engagement_type::from_parsed(w, raw))
        })
        .collect()
}

/// A `GET /calendars/{id}` answer (`{calendar}`), as an engagement type.
pub(crate) fn calendar(body: &[u8]) -> Result<EngagementType> {
    let one: WireCalendarOne = envelope(body)?;
    let (w, raw) = crate::wire::record_at(one.calendar, || "calendar".into())?;
    Ok(mapping::engagement_type::from_parsed(w, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_maps_its_records() {
        let usd = Currency::new("USD").unwrap();
        let c = contacts(br#"{"contacts":[{"id":"c1","firstName":"Ann"}],"total":1}"#).unwrap();
        assert_eq!(c[0].first_name.as_deref(), Some("Ann"));
        let a = accounts(br#"{"businesses":[{"id":"b1","name":"Acme"}]}"#).unwrap();
        assert_eq!(a[0].name, "Acme");
        let o = opportunities(
            br#"{"opportunities":[{"id":"o1","name":"Deal","monetaryValue":5}],"meta":{}}"#,
            &usd,
        )
        .unwrap();
        assert_eq!(o[0].name, "Deal");
        let n = notes(br#"{"notes":[{"id":"n1","body":"hi"}]}"#, "c1").unwrap();
        assert_eq!(n[0].contact_id.as_ref().map(|c| c.as_str()), Some("c1"));
        let t = tasks(br#"{"tasks":[{"id":"t1","title":"Call"}]}"#, "c1").unwrap();
        assert_eq!(t[0].title, "Call");
        let e = engagements(
            br#"{"events":[{"id":"e1","title":"Meet","deleted":true},{"id":"e2","title":"Lunch"}]}"#,
        )
        .unwrap();
        assert_eq!(e.len(), 1, "the deleted appointment is left out");
        assert!(contacts(b"{").is_err());
    }
}
