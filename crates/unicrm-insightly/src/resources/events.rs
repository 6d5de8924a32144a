//! The specifications of `/Events` (engagements of kind `meeting`) and `/Emails` (read-only
//! engagements of kind `email`) for the generic [`ObjectResource`](super::ObjectResource);
//! [`super::engagements`] combines them into one resource.
//!
//! Both answer to the generic pattern: bare-array lists with `skip`/`top`, `/Search` with
//! `updated_after_utc`, `GET /{Obj}/{id}`, `DELETE /{Obj}/{id}` (202; 417 "Delete failed"),
//! links through `/{Obj}/{id}/Links` (GET, POST, DELETE: neither has `PUT …/Links`,
//! docs/vendors/insightly-v3.1-addendum.md, "Corrections", C5). Emails have no POST or PUT.

use serde_json::value::RawValue;
use unicrm_core::{Engagement, Error, Record, ResourceKind, Result};

use super::{LinkScope, ObjectSpec};
use crate::mapping::lead::LeadPicklists;
use crate::mapping::{self, Definitions, Mode, wire_id};
use crate::wire::Body;

/// `/Events`.
#[derive(Debug)]
pub struct EventSpec;
/// `/Emails`.
#[derive(Debug)]
pub struct EmailSpec;

/// The number of a prefixed id (`event-7001` → 7001), or a typed error: `NotFound` for an
/// id of another kind (it cannot exist here), `Validation` for text after the prefix that is
/// not a number.
pub fn prefixed_id(prefix: &str, key: &str, id: &str) -> Result<u64> {
    match id.trim().strip_prefix(prefix) {
        Some(n) => wire_id(key, n),
        None => Err(Error::NotFound {
            message: format!(
                "{id:?} is not an Insightly {} id (expected {prefix}<number>)",
                prefix.trim_end_matches('-')
            ),
        }),
    }
}

impl ObjectSpec for EventSpec {
    type R = Engagement;
    const PATH: &'static str = "Events";
    const ID_KEY: &'static str = "EVENT_ID";
    const CUSTOM_FIELDS: bool = true;

    fn default_search_field(_q: &str) -> &'static str {
        "TITLE"
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Engagement> {
        mapping::event::from_json_at(raw, defs, prefix)
    }
    fn create_body(
        new: &<Engagement as Record>::New,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::event::create_body(new, defs)
    }
    fn patch_body(
        patch: &<Engagement as Record>::Patch,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::event::patch_body(patch, defs, Mode::Update)
    }
    fn link_scopes(patch: &<Engagement as Record>::Patch) -> Vec<LinkScope> {
        [
            LinkScope::all(&patch.links),
            LinkScope::single(ResourceKind::Contact, &patch.contact_id),
            LinkScope::single(ResourceKind::Account, &patch.account_id),
            LinkScope::single(ResourceKind::Opportunity, &patch.opportunity_id),
            LinkScope::single(ResourceKind::Project, &patch.project_id),
            LinkScope::single(ResourceKind::Lead, &patch.lead_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    fn make_id(id: u64) -> <Engagement as Record>::Id {
        mapping::event::engagement_id(id)
    }
    fn parse_id(id: &str) -> Result<u64> {
        prefixed_id(mapping::event::ID_PREFIX, Self::ID_KEY, id)
    }
}

fn read_only() -> Error {
    Error::unsupported(
        "engagements.create/update (kind email: Insightly emails are read-only)",
        crate::VENDOR,
    )
}

impl ObjectSpec for EmailSpec {
    type R = Engagement;
    const PATH: &'static str = "Emails";
    const ID_KEY: &'static str = "EMAIL_ID";
    const CUSTOM_FIELDS: bool = false;

    fn default_search_field(_q: &str) -> &'static str {
        "SUBJECT"
    }
    fn read(
        raw: &RawValue,
        _defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Engagement> {
        mapping::email::from_json_at(raw, prefix)
    }
    /// `POST /Emails` does not exist: refused, nothing sent.
    fn create_body(
        _new: &<Engagement as Record>::New,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        Err(read_only())
    }
    /// `PUT /Emails` does not exist: refused, nothing sent.
    fn patch_body(
        _patch: &<Engagement as Record>::Patch,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        Err(read_only())
    }
    fn link_scopes(_patch: &<Engagement as Record>::Patch) -> Vec<LinkScope> {
        Vec::new()
    }
    fn make_id(id: u64) -> <Engagement as Record>::Id {
        mapping::email::engagement_id(id)
    }
    fn parse_id(id: &str) -> Result<u64> {
        prefixed_id(mapping::email::ID_PREFIX, Self::ID_KEY, id)
    }
}
