//! Custom field definitions as a resource (`/CustomFields/{Object}`;
//! docs/vendors/insightly-v3.1-addendum.md, "Custom field definitions"): read-only, since
//! the vendor has no API to create, change or delete custom fields (only the web app can).
//!
//! A listing with `ListParams::of(kind)` asks one object; without it every object with custom
//! fields is asked in turn. An unknown object name answers **every** definition of the
//! instance, so answers are always filtered by `FIELD_FOR`. `get` asks
//! `/CustomFields/{Object}/Search?fieldName=` for one definition. Pages are cut from the
//! whole (small) listing: the cursor is an offset, the page size is honoured.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::{
    CustomFieldId, Error, FieldDefinition, ListParams, Page, Resource, ResourceKind, Result,
};

use crate::client::{Shared, VENDOR};
use crate::mapping::field_definition::{from_wire, kind_of_object};
use crate::wire::{CustomFieldDefinitionWire, decode_array, decode_at, decode_object};

/// The record types with custom fields, and their `/CustomFields/{Object}` names, in listing
/// order.
pub const OBJECTS: [(ResourceKind, &str); 7] = [
    (ResourceKind::Contact, "Contacts"),
    (ResourceKind::Account, "Organisations"),
    (ResourceKind::Opportunity, "Opportunities"),
    (ResourceKind::Lead, "Leads"),
    (ResourceKind::Project, "Projects"),
    (ResourceKind::Task, "Tasks"),
    (ResourceKind::Engagement, "Events"),
];

/// The `/CustomFields/{Object}` name of a record type.
pub fn object_of(kind: &ResourceKind) -> Option<&'static str> {
    OBJECTS.iter().find(|(k, _)| k == kind).map(|(_, o)| *o)
}

/// The definitions of every record type with custom fields, read-only.
pub struct FieldDefinitionsResource {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FieldDefinitionsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldDefinitionsResource")
    }
}

fn decode_many(bytes: &[u8]) -> Result<Vec<CustomFieldDefinitionWire>> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Ok(Vec::new()),
        Some(b'[') => decode_array(bytes)?
            .iter()
            .enumerate()
            .map(|(i, r)| decode_at(r.get(), &format!("[{i}]")))
            .collect(),
        Some(_) => Ok(vec![decode_at(decode_object(bytes)?.get(), "")?]),
    }
}

impl FieldDefinitionsResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        FieldDefinitionsResource { shared }
    }

    /// The definitions of one record type (filtered by `FIELD_FOR`).
    async fn of(&self, kind: &ResourceKind, object: &str) -> Result<Vec<FieldDefinition>> {
        let path = format!("CustomFields/{object}");
        let wire = match self.shared.send(self.shared.http.get(&path)?).await {
            Ok(resp) => decode_many(&resp.body)?,
            // No access to custom fields (plan, permission): none to show.
            Err(Error::PermissionDenied { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(wire
            .into_iter()
            .filter(|d| {
                d.field_for
                    .as_deref()
                    .is_none_or(|f| &kind_of_object(f) == kind)
            })
            .filter_map(|d| from_wire(d, kind))
            .collect())
    }

    /// Every definition `params` asks for (`of`: one record type).
    async fn all(&self, params: &ListParams) -> Result<Vec<FieldDefinition>> {
        let objects: Vec<(ResourceKind, &str)> = match &params.of {
            Some(kind) => {
                let o = object_of(kind).ok_or_else(|| {
                    Error::unsupported(format!("field_definition.list (of {kind})"), VENDOR)
                })?;
                vec![(kind.clone(), o)]
            }
            None => OBJECTS.to_vec(),
        };
        let mut out = Vec::new();
        for (kind, object) in objects {
            out.extend(self.of(&kind, object).await?);
        }
        Ok(out)
    }
}

#[async_trait]
impl Resource<FieldDefinition> for FieldDefinitionsResource {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// `GET /CustomFields/{Object}` for the record type of `params.of`, or for each in turn;
    /// cut into pages of the size asked for.
    async fn list(&self, params: &ListParams) -> Result<Page<FieldDefinition>> {
        Page::slice(self.all(params).await?, params)
    }

    /// `GET /CustomFields/{Object}/Search?fieldName=` for an id `kind.FIELD_NAME`; a bare
    /// `FIELD_NAME` is looked for in each record type in turn.
    async fn get(&self, id: &CustomFieldId) -> Result<FieldDefinition> {
        let id = id.as_str().trim();
        let candidates: Vec<(ResourceKind, &str, &str)> = match id.split_once('.') {
            Some((k, name)) => {
                let kind = ResourceKind::parse(k);
                let object = object_of(&kind).ok_or_else(|| Error::NotFound {
                    message: format!("field definition {id}"),
                })?;
                vec![(kind, object, name)]
            }
            None => OBJECTS.iter().map(|(k, o)| (k.clone(), *o, id)).collect(),
        };
        for (kind, object, name) in candidates {
            if name.is_empty() {
                continue;
            }
            let req = self
                .shared
                .http
                .get(&format!("CustomFields/{object}/Search"))?
                .query("fieldName", name);
            let wire = match self.shared.send(req).await {
                Ok(resp) => decode_many(&resp.body)?,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let found = wire
                .into_iter()
                .filter(|d| {
                    d.field_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                        && d.field_for
                            .as_deref()
                            .is_none_or(|f| kind_of_object(f) == kind)
                })
                .find_map(|d| from_wire(d, &kind));
            if let Some(def) = found {
                return Ok(def);
            }
        }
        Err(Error::NotFound {
            message: format!("field definition {id}"),
        })
    }
}
