//! The per-object specifications of the generic resource: paths, id keys, mappings, search
//! fields and link handling for Contacts, Organisations, Opportunities, Leads, Tasks, Notes.

use serde_json::value::RawValue;
use unicrm_core::{
    Account, Contact, Lead, Note, Opportunity, Patch, Record, ResourceKind, Result, Task,
};

use super::{LinkScope, ObjectSpec};
use crate::mapping::lead::LeadPicklists;
use crate::mapping::{self, Definitions, Mode, links};
use crate::wire::Body;

/// `/Contacts`.
#[derive(Debug)]
pub struct ContactSpec;
/// `/Organisations`.
#[derive(Debug)]
pub struct AccountSpec;
/// `/Opportunities`.
#[derive(Debug)]
pub struct OpportunitySpec;
/// `/Leads`.
#[derive(Debug)]
pub struct LeadSpec;
/// `/Tasks`.
#[derive(Debug)]
pub struct TaskSpec;
/// `/Notes`.
#[derive(Debug)]
pub struct NoteSpec;

fn email_or(q: &str, email: &'static str, other: &'static str) -> &'static str {
    if q.contains('@') { email } else { other }
}

impl ObjectSpec for ContactSpec {
    type R = Contact;
    const PATH: &'static str = "Contacts";
    const ID_KEY: &'static str = "CONTACT_ID";
    const CUSTOM_FIELDS: bool = true;

    fn default_search_field(q: &str) -> &'static str {
        email_or(q, "EMAIL_ADDRESS", "LAST_NAME")
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Contact> {
        mapping::contact::from_json_at(raw, defs, prefix)
    }
    fn create_body(
        new: &<Contact as Record>::New,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::contact::create_body(new, defs)
    }
    fn patch_body(
        patch: &<Contact as Record>::Patch,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::contact::patch_body(patch, defs, Mode::Update)
    }
    fn link_scopes(patch: &<Contact as Record>::Patch) -> Vec<LinkScope> {
        LinkScope::all(&patch.links).into_iter().collect()
    }
    /// `ORGANISATION_ID` also appears as a link (docs/vendors/insightly-v3.1.md, "Contact").
    fn implied_link_keys() -> Vec<(&'static str, ResourceKind)> {
        vec![("ORGANISATION_ID", ResourceKind::Account)]
    }
    fn make_id(id: u64) -> <Contact as Record>::Id {
        id.into()
    }
}

impl ObjectSpec for AccountSpec {
    type R = Account;
    const PATH: &'static str = "Organisations";
    const ID_KEY: &'static str = "ORGANISATION_ID";
    const CUSTOM_FIELDS: bool = true;

    fn default_search_field(_q: &str) -> &'static str {
        "ORGANISATION_NAME"
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Account> {
        mapping::account::from_json_at(raw, defs, prefix)
    }
    fn create_body(
        new: &<Account as Record>::New,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::account::create_body(new, defs)
    }
    fn patch_body(
        patch: &<Account as Record>::Patch,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::account::patch_body(patch, defs, Mode::Update)
    }
    fn link_scopes(patch: &<Account as Record>::Patch) -> Vec<LinkScope> {
        LinkScope::all(&patch.links).into_iter().collect()
    }
    fn make_id(id: u64) -> <Account as Record>::Id {
        id.into()
    }
}

impl ObjectSpec for OpportunitySpec {
    type R = Opportunity;
    const PATH: &'static str = "Opportunities";
    const ID_KEY: &'static str = "OPPORTUNITY_ID";
    const CUSTOM_FIELDS: bool = true;

    fn default_search_field(_q: &str) -> &'static str {
        "OPPORTUNITY_NAME"
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Opportunity> {
        mapping::opportunity::from_json_at(raw, defs, prefix)
    }
    fn create_body(
        new: &<Opportunity as Record>::New,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::opportunity::create_body(new, defs)
    }
    fn patch_body(
        patch: &<Opportunity as Record>::Patch,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::opportunity::patch_body(patch, defs, Mode::Update)
    }
    /// `links` replaces every link; `contact_id` / `contact_ids` manage the `Contact` links:
    /// when both are set (or cleared) the contact links become exactly those, when only one
    /// is, its contacts are added and no contact link is removed.
    fn link_scopes(patch: &<Opportunity as Record>::Patch) -> Vec<LinkScope> {
        let mut out: Vec<LinkScope> = LinkScope::all(&patch.links).into_iter().collect();
        if patch.contact_id.is_unchanged() && patch.contact_ids.is_unchanged() {
            return out;
        }
        let mut desired = Vec::new();
        if let Patch::Set(c) = &patch.contact_id {
            desired.push(links::link(ResourceKind::Contact, c.as_str()));
        }
        if let Patch::Set(list) = &patch.contact_ids {
            desired.extend(
                list.iter()
                    .map(|c| links::link(ResourceKind::Contact, c.as_str())),
            );
        }
        out.push(LinkScope {
            kind: Some(ResourceKind::Contact),
            desired: links::dedup(desired),
            prune: !patch.contact_id.is_unchanged() && !patch.contact_ids.is_unchanged(),
        });
        out
    }
    /// `ORGANISATION_ID`, as for contacts (the create path leaves its link out of `LINKS`).
    fn implied_link_keys() -> Vec<(&'static str, ResourceKind)> {
        vec![("ORGANISATION_ID", ResourceKind::Account)]
    }
    fn make_id(id: u64) -> <Opportunity as Record>::Id {
        id.into()
    }
}

impl ObjectSpec for LeadSpec {
    type R = Lead;
    const PATH: &'static str = "Leads";
    const ID_KEY: &'static str = "LEAD_ID";
    const CUSTOM_FIELDS: bool = true;
    const LEAD_PICKLISTS: bool = true;

    fn default_search_field(q: &str) -> &'static str {
        email_or(q, "EMAIL", "LAST_NAME")
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Lead> {
        mapping::lead::from_json_at(raw, defs, lists, prefix)
    }
    fn create_body(
        new: &<Lead as Record>::New,
        defs: &Definitions,
        lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::lead::create_body(new, defs, lists)
    }
    fn patch_body(
        patch: &<Lead as Record>::Patch,
        defs: &Definitions,
        lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::lead::patch_body(patch, defs, lists, Mode::Update)
    }
    fn link_scopes(patch: &<Lead as Record>::Patch) -> Vec<LinkScope> {
        LinkScope::all(&patch.links).into_iter().collect()
    }
    fn make_id(id: u64) -> <Lead as Record>::Id {
        id.into()
    }
}

impl ObjectSpec for TaskSpec {
    type R = Task;
    const PATH: &'static str = "Tasks";
    const ID_KEY: &'static str = "TASK_ID";
    const CUSTOM_FIELDS: bool = false;

    fn default_search_field(_q: &str) -> &'static str {
        "TITLE"
    }
    fn read(
        raw: &RawValue,
        _defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Task> {
        mapping::task::from_json_at(raw, prefix)
    }
    fn create_body(
        new: &<Task as Record>::New,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::task::create_body(new)
    }
    fn patch_body(
        patch: &<Task as Record>::Patch,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::task::patch_body(patch, Mode::Update)
    }
    fn link_scopes(patch: &<Task as Record>::Patch) -> Vec<LinkScope> {
        [
            LinkScope::all(&patch.links),
            LinkScope::single(ResourceKind::Contact, &patch.contact_id),
            LinkScope::single(ResourceKind::Account, &patch.account_id),
            LinkScope::single(ResourceKind::Lead, &patch.lead_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    /// `OPPORTUNITY_ID` (the create path leaves its link out of `LINKS`).
    fn implied_link_keys() -> Vec<(&'static str, ResourceKind)> {
        vec![("OPPORTUNITY_ID", ResourceKind::Opportunity)]
    }
    fn make_id(id: u64) -> <Task as Record>::Id {
        id.into()
    }
}

impl ObjectSpec for NoteSpec {
    type R = Note;
    const PATH: &'static str = "Notes";
    const ID_KEY: &'static str = "NOTE_ID";
    const CUSTOM_FIELDS: bool = false;

    fn default_search_field(_q: &str) -> &'static str {
        "TITLE"
    }
    fn read(
        raw: &RawValue,
        _defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Note> {
        mapping::note::from_json_at(raw, prefix)
    }
    fn create_body(
        new: &<Note as Record>::New,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::note::create_body(new)
    }
    /// Notes are created under their parent: `POST /{Parent}/{id}/Notes`.
    fn create_path(new: &<Note as Record>::New) -> Result<String> {
        let (parent, id) = mapping::note::parent(new)?;
        Ok(format!("{parent}/{id}/Notes"))
    }
    fn patch_body(
        patch: &<Note as Record>::Patch,
        _defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::note::update_body(patch)
    }
    fn link_scopes(patch: &<Note as Record>::Patch) -> Vec<LinkScope> {
        [
            LinkScope::all(&patch.links),
            LinkScope::single(ResourceKind::Contact, &patch.contact_id),
            LinkScope::single(ResourceKind::Account, &patch.account_id),
            LinkScope::single(ResourceKind::Opportunity, &patch.opportunity_id),
            LinkScope::single(ResourceKind::Lead, &patch.lead_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    fn make_id(id: u64) -> <Note as Record>::Id {
        id.into()
    }
}
