//! Engagement of kind `email` ← `/Emails` (docs/vendors/insightly-v3.1-addendum.md, "Emails"),
//! read-only: Insightly emails come only from its mail capture, and v3.1 has no body, no
//! recipient list and no direction.
//!
//! | unified | Insightly |
//! |---|---|
//! | `id` | `email-` + `EMAIL_ID` |
//! | `kind` | always `email` |
//! | `subject` | `SUBJECT` |
//! | `start_at` | `EMAIL_DATE_UTC` |
//! | `participants` | one `from` participant parsed from `EMAIL_FROM` (`Name <address>` or a bare address) |
//! | `owner_id` | `OWNER_USER_ID` |
//! | `contact_id`, `account_id`, `opportunity_id`, `project_id`, `lead_id`, `links` | as for events, from `LINKS` |
//! | `created_at` | `DATE_CREATED_UTC` |
//! | `updated_at` | `DATE_CREATED_UTC` too: an email has no update time, and its content never changes |
//!
//! `TAGS`, `FORMAT`, `SIZE`, `QUEUED_SEND_DATE_UTC` and `CREATED_USER_ID` stay in `raw`
//! (the unified engagement has no tags).

use serde_json::value::RawValue;
use unicrm_core::{Engagement, EngagementKind, Participant, ParticipantRole, ResourceKind, Result};

use super::{dates, id, links, text};
use crate::wire::EmailWire;

/// The prefix of an email's unified id.
pub const ID_PREFIX: &str = "email-";

/// The unified id of email `n`.
pub fn engagement_id(n: u64) -> unicrm_core::EngagementId {
    unicrm_core::EngagementId::new(format!("{ID_PREFIX}{n}"))
}

/// Reads an email from its JSON text.
pub fn from_json(text: &RawValue) -> Result<Engagement> {
    from_json_at(text, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(text: &RawValue, prefix: &str) -> Result<Engagement> {
    super::read_json(text, prefix, from_wire)
}

/// `Name <address>` → (name, address); a bare address → (None, address); text without an
/// `@` → (name, None).
pub fn parse_from(from: &str) -> (Option<String>, Option<String>) {
    let from = from.trim();
    if let (Some(open), true) = (from.rfind('<'), from.ends_with('>')) {
        let name = from[..open].trim().trim_matches('"').trim();
        let addr = from[open + 1..from.len() - 1].trim();
        return (
            (!name.is_empty()).then(|| name.to_string()),
            (!addr.is_empty()).then(|| addr.to_string()),
        );
    }
    if from.contains('@') {
        (None, Some(from.to_string()))
    } else {
        ((!from.is_empty()).then(|| from.to_string()), None)
    }
}

/// Maps a decoded email.
pub fn from_wire(w: EmailWire, raw: unicrm_core::RawPayload) -> Engagement {
    let all = links::read(&w.links);
    let first = |k: ResourceKind| links::first_of(&all, &k);
    let participants = text(&w.email_from)
        .map(|f| {
            let (name, email) = parse_from(&f);
            vec![Participant {
                name,
                email,
                role: Some(ParticipantRole::From),
                ..Participant::default()
            }]
        })
        .unwrap_or_default();
    let created = dates::datetime(w.date_created_utc.as_ref());
    Engagement {
        id: w.email_id.map(engagement_id).unwrap_or_default(),
        kind: EngagementKind::Email,
        subject: text(&w.subject),
        start_at: dates::datetime(w.email_date_utc.as_ref()),
        owner_id: id(w.owner_user_id),
        contact_id: first(ResourceKind::Contact).map(Into::into),
        account_id: first(ResourceKind::Account).map(Into::into),
        opportunity_id: first(ResourceKind::Opportunity).map(Into::into),
        project_id: first(ResourceKind::Project).map(Into::into),
        lead_id: first(ResourceKind::Lead).map(Into::into),
        participants,
        links: all,
        created_at: created,
        updated_at: created,
        raw: Some(raw),
        ..Engagement::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_forms() {
        assert_eq!(
            parse_from("Zoë Château-Müller <zoe.chateau@exemple.fr>"),
            (
                Some("Zoë Château-Müller".into()),
                Some("zoe.chateau@exemple.fr".into())
            )
        );
        assert_eq!(parse_from("a@b.c"), (None, Some("a@b.c".into())));
        assert_eq!(parse_from("Support"), (Some("Support".into()), None));
        assert_eq!(parse_from("<>"), (None, None));
        assert_eq!(parse_from(""), (None, None));
    }
}
