//! `LINKS`: relations between records (contact ↔ organisation ↔ opportunity, …).
//!
//! Object names are singular (`Contact`, `Organisation`, `Opportunity`, `Lead`, `Project`,
//! `Task`, `Event`, `Note`, `Email`). Known ones map to [`ResourceKind`]s (`Organisation` →
//! [`ResourceKind::Account`]); others stay as [`ResourceKind::Other`] with the vendor's name.

use unicrm_core::{RecordLink, ResourceKind, Result};

use super::wire_id;
use crate::wire::LinkWire;

/// The unified kind for an Insightly object name (case-insensitive).
pub fn kind_of(object_name: &str) -> ResourceKind {
    match object_name.trim().to_ascii_lowercase().as_str() {
        "contact" => ResourceKind::Contact,
        "organisation" | "organization" => ResourceKind::Account,
        "opportunity" => ResourceKind::Opportunity,
        "lead" => ResourceKind::Lead,
        "task" => ResourceKind::Task,
        "note" => ResourceKind::Note,
        "project" => ResourceKind::Project,
        "user" => ResourceKind::User,
        _ => ResourceKind::Other(object_name.to_string()),
    }
}

/// The Insightly object name for a unified kind.
pub fn object_name(kind: &ResourceKind) -> String {
    match kind {
        ResourceKind::Contact => "Contact".into(),
        ResourceKind::Account => "Organisation".into(),
        ResourceKind::Opportunity => "Opportunity".into(),
        ResourceKind::Lead => "Lead".into(),
        ResourceKind::Task => "Task".into(),
        ResourceKind::Note => "Note".into(),
        ResourceKind::User => "User".into(),
        ResourceKind::Pipeline => "Pipeline".into(),
        ResourceKind::Project => "Project".into(),
        other => {
            // Unknown kinds keep the vendor's spelling; capitalise a lower-case one.
            let s = other.as_str();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        }
    }
}

/// Reads `LINKS`.
pub fn read(links: &Option<Vec<LinkWire>>) -> Vec<RecordLink> {
    links
        .iter()
        .flatten()
        .filter_map(|l| {
            let id = l.link_object_id?;
            Some(RecordLink {
                kind: l.link_object_name.as_deref().map(kind_of),
                id: id.to_string(),
                role: super::text(&l.role),
            })
        })
        .collect()
}

/// The id of the first link to a record of `kind`.
pub fn first_of(links: &[RecordLink], kind: &ResourceKind) -> Option<String> {
    links
        .iter()
        .find(|l| l.kind.as_ref() == Some(kind))
        .map(|l| l.id.clone())
}

/// The ids of every link to a record of `kind`.
pub fn all_of(links: &[RecordLink], kind: &ResourceKind) -> Vec<String> {
    links
        .iter()
        .filter(|l| l.kind.as_ref() == Some(kind))
        .map(|l| l.id.clone())
        .collect()
}

/// A new link (no `LINK_ID`) for a POST body or `POST /{Obj}/{id}/Links`.
pub fn to_wire(link: &RecordLink) -> Result<LinkWire> {
    let kind = link.kind.as_ref().ok_or_else(|| {
        unicrm_core::Error::validation(format!(
            "a link to {:?} needs the kind of the linked record",
            link.id
        ))
    })?;
    Ok(LinkWire {
        link_object_name: Some(object_name(kind)),
        link_object_id: Some(wire_id("LINK_OBJECT_ID", &link.id)?),
        role: link.role.clone(),
        ..LinkWire::default()
    })
}

/// A link to `kind` / `id` without a role.
pub fn link(kind: ResourceKind, id: &str) -> RecordLink {
    RecordLink {
        kind: Some(kind),
        id: id.to_string(),
        role: None,
    }
}

/// Same target (kind and id), ignoring the role.
pub fn same_target(a: &RecordLink, b: &RecordLink) -> bool {
    a.id == b.id
        && match (&a.kind, &b.kind) {
            (Some(x), Some(y)) => object_name(x).eq_ignore_ascii_case(&object_name(y)),
            (None, None) => true,
            _ => false,
        }
}

/// `links` without repeats of the same target (first wins).
pub fn dedup(links: Vec<RecordLink>) -> Vec<RecordLink> {
    let mut out: Vec<RecordLink> = Vec::new();
    for l in links {
        if !out.iter().any(|o| same_target(o, &l)) {
            out.push(l);
        }
    }
    out
}

/// `links` without those to `kind` / `id` (a link a foreign-key field such as
/// `ORGANISATION_ID` already makes).
pub fn without(links: Vec<RecordLink>, kind: &ResourceKind, id: Option<&str>) -> Vec<RecordLink> {
    match id {
        None => links,
        Some(id) => links
            .into_iter()
            .filter(|l| !(l.kind.as_ref() == Some(kind) && l.id == id))
            .collect(),
    }
}
