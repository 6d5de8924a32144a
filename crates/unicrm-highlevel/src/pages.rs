//! Page bodies → unified records, without a client: the steps each listing takes with one
//! answer (decode the envelope, then map each record as `list` does), for callers that hold
//! the bytes already, such as the mapping-cost benchmark.
//!
//! Each function mirrors its resource file: `resources/contacts.rs` (`POST /contacts/search`),
//! `resources/accounts.rs` (`GET /businesses/`), `resources/opportunities.rs`
//! (`GET /opportunities/search`), and the per-contact sub-resources of `resources/notes.rs`,
//! `resources/tasks.rs` and `resources/engagements.rs` (`GET /contacts/{id}/notes`, `/tasks`,
//! `/appointments`).

use unicrm_core::error::{decode_json, decode_value};
use unicrm_core::{Account, Contact, Currency, Engagement, Note, Opportunity, Result, Task};

use crate::mapping;
use crate::wire::appointment::WireEvents;
use crate::wire::business::WireBusinesses;
use crate::wire::contact::{WireContact, WireSearchPage};
use crate::wire::note::WireNotes;
use crate::wire::opportunity::WireOpportunityPage;
use crate::wire::task::WireTasks;

/// A `POST /contacts/search` answer's contacts.
pub fn contacts(body: &[u8]) -> Result<Vec<Contact>> {
    let page: WireSearchPage = decode_json(body)?;
    page.contacts
        .into_iter()
        .map(|v| {
            let w: WireContact = decode_value(v.clone())?;
            Ok(mapping::contact::from_parsed(w, &v))
        })
        .collect()
}

/// A `GET /businesses/` answer's businesses, as accounts.
pub fn accounts(body: &[u8]) -> Result<Vec<Account>> {
    let page: WireBusinesses = decode_json(body)?;
    page.businesses
        .into_iter()
        .map(mapping::account::from_wire)
        .collect()
}

/// A `GET /opportunities/search` answer's opportunities; bare amounts are in `currency` (the
/// location's).
pub fn opportunities(body: &[u8], currency: &Currency) -> Result<Vec<Opportunity>> {
    let page: WireOpportunityPage = decode_json(body)?;
    page.opportunities
        .into_iter()
        .map(|v| mapping::opportunity::from_wire(v, currency))
        .collect()
}

/// A `GET /contacts/{contact}/notes` answer's notes.
pub fn notes(body: &[u8], contact: &str) -> Result<Vec<Note>> {
    let page: WireNotes = decode_json(body)?;
    page.notes
        .into_iter()
        .map(|n| mapping::note::from_wire(n, Some(contact)))
        .collect()
}

/// A `GET /contacts/{contact}/tasks` answer's tasks.
pub fn tasks(body: &[u8], contact: &str) -> Result<Vec<Task>> {
    let page: WireTasks = decode_json(body)?;
    page.tasks
        .into_iter()
        .map(|t| mapping::task::from_wire(t, Some(contact)))
        .collect()
}

/// A `GET /contacts/{contact}/appointments` answer's appointments (deleted ones left out), as
/// engagements.
pub fn engagements(body: &[u8]) -> Result<Vec<Engagement>> {
    let page: WireEvents = decode_json(body)?;
    page.events
        .into_iter()
        .filter(|e| !mapping::engagement::is_deleted(e))
        .map(mapping::engagement::from_wire)
        .collect()
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
