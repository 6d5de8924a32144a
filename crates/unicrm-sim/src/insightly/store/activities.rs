//! Seeded events and emails (docs/vendors/insightly-v3.1-addendum.md, "Events", "Emails"),
//! derived from the dataset's people and opportunities so every seed is deterministic:
//! one event per person among the first [`EVENTS`] (linked to the contact with a `ROLE`,
//! to its organisation, and every third to an opportunity; every fourth is all-day), and
//! one email per person among the first [`EMAILS`] (from the person, linked to the contact,
//! every other one tagged). Event custom field `Meeting_Type__c` (DROPDOWN) is defined and
//! set on some events.

use super::*;
use crate::seed::Dataset;

/// Events seeded (at most; fewer for a dataset with fewer people).
pub(crate) const EVENTS: usize = 12;
/// Emails seeded (at most).
pub(crate) const EMAILS: usize = 8;

/// The custom field definitions of events.
fn event_defs(db: &mut Db) {
    db.custom_defs.entry(Kind::Event).or_default().push(CfDef {
        name: "Meeting_Type__c".into(),
        label: "Meeting Type".into(),
        ty: "DROPDOWN",
        options: vec![(1, "On site".into()), (2, "Remote".into())],
        order: 1,
        extra: None,
    });
}

/// Seeds the events and emails.
pub(super) fn seed_activities(db: &mut Db, d: &Dataset) {
    event_defs(db);
    let owner = |uid: u64| super::reference::USER_BASE + uid;
    for (i, p) in d.people.iter().take(EVENTS).enumerate() {
        let k = Kind::Event;
        let id = k.id_base() + i as u64 + 1;
        let mut r = Rec::new(k);
        let all_day = i % 4 == 3;
        let start = p.created_at + chrono::Duration::days(3) + chrono::Duration::hours(i as i64);
        let (start_s, end_s) = if all_day {
            let day = start.date_naive();
            (fmt_date(day), fmt_date(day + chrono::Duration::days(1)))
        } else {
            (
                fmt_dt(start),
                fmt_dt(start + chrono::Duration::minutes(30 + 15 * (i as i64 % 3))),
            )
        };
        r.set(
            k,
            "TITLE",
            format!("Meeting with {} {}", p.first_name, p.last_name),
        );
        r.set_opt(
            k,
            "LOCATION",
            (!all_day && i % 2 == 0).then(|| format!("Room {}", i + 1)),
        );
        r.set(k, "START_DATE_UTC", start_s);
        r.set(k, "END_DATE_UTC", end_s);
        r.set(k, "ALL_DAY", all_day);
        r.set_opt(
            k,
            "DETAILS",
            (i % 3 != 1).then(|| format!("Agenda item {}", i + 1)),
        );
        r.set(k, "REMINDER_SENT", false);
        r.set(k, "OWNER_USER_ID", owner(p.owner_id));
        r.set(k, "DATE_CREATED_UTC", fmt_dt(p.created_at));
        r.set(k, "DATE_UPDATED_UTC", fmt_dt(p.updated_at));
        if i % 2 == 0 {
            let v = if i % 4 == 0 { "On site" } else { "Remote" };
            r.custom = vec![("Meeting_Type__c".into(), v.into())];
        }
        db.insert(k, id, r);
        let role = if i == 0 { "Host" } else { "Attendee" };
        db.add_link(
            (k, id),
            (Kind::Contact, Kind::Contact.id_base() + p.id),
            Some(role.into()),
            None,
        );
        if let Some(org) = p.organisation_id {
            db.add_link(
                (k, id),
                (Kind::Organisation, Kind::Organisation.id_base() + org),
                None,
                None,
            );
        }
        if i % 3 == 0 {
            if let Some(o) = d.opportunities.get(i / 3) {
                db.add_link(
                    (k, id),
                    (Kind::Opportunity, Kind::Opportunity.id_base() + o.id),
                    None,
                    None,
                );
            }
        }
    }
    for (i, p) in d.people.iter().take(EMAILS).enumerate() {
        let k = Kind::Email;
        let id = k.id_base() + i as u64 + 1;
        let mut r = Rec::new(k);
        let sent = p.created_at + chrono::Duration::days(1) + chrono::Duration::minutes(i as i64);
        let from = match p.emails.first() {
            Some((_, e)) => format!("{} {} <{e}>", p.first_name, p.last_name),
            None => format!("{} {}", p.first_name, p.last_name),
        };
        r.set(k, "EMAIL_FROM", from);
        r.set(k, "SUBJECT", format!("RE: Quote {}", i + 1));
        r.set(k, "EMAIL_DATE_UTC", fmt_dt(sent));
        r.set(k, "FORMAT", if i % 2 == 0 { "html" } else { "text" });
        r.set(k, "SIZE", 1_000 + 137 * i as u64);
        r.set(k, "OWNER_USER_ID", owner(p.owner_id));
        r.set(
            k,
            "DATE_CREATED_UTC",
            fmt_dt(sent + chrono::Duration::minutes(3)),
        );
        r.set(k, "QUEUED_SEND_DATE_UTC", Value::Null);
        r.set(k, "CREATED_USER_ID", owner(p.owner_id));
        if i % 2 == 0 {
            r.tags = vec!["Quote".into()];
        }
        db.insert(k, id, r);
        db.add_link(
            (k, id),
            (Kind::Contact, Kind::Contact.id_base() + p.id),
            None,
            None,
        );
    }
}
