//! Custom-field definitions as a resource over `/parties/fields/definitions`,
//! `/opportunities/fields/definitions` and `/kases/fields/definitions` (ids and mapping in
//! [`crate::mapping::field_definition`]).
//!
//! The listing walks the three entities in that order, each by its `Link` pages; the last
//! page of one entity continues with the next entity's first page (the cursor is its URL).
//! [`ListParams::of`] narrows it: contact/account → parties (the definitions whose capture
//! rule fits), opportunity → opportunities, project → kases; kinds without custom fields
//! list nothing. `create` posts to the entity that `applies_to` names; update and delete are
//! `Unsupported` (not confirmed by the vendor).

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    Cursor, CustomFieldId, FieldDefinition, ListParams, NewFieldDefinition, Page, Resource,
    ResourceKind,
};

use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::custom_fields::FieldEntity;
use crate::mapping::field_definition::{
    entities_of, field_definition_from_wire, new_definition_to_wire, parse_definition_id,
};
use crate::paging::{FirstPage, fetch_filtered, page_size};
use crate::wire::{self, FieldDefinition as WireDefinition};

/// The unified field-definitions resource.
#[derive(Clone)]
pub struct FieldDefinitionsResource {
    pub(crate) api: Arc<Api>,
}

impl std::fmt::Debug for FieldDefinitionsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldDefinitionsResource")
            .finish_non_exhaustive()
    }
}

fn first_page(entity: FieldEntity, params: &ListParams) -> FirstPage {
    FirstPage {
        path: format!("{}/fields/definitions", entity.path()),
        query: vec![("perPage", page_size(params, MAX_PAGE_SIZE).to_string())],
    }
}

/// The entity a cursor URL lists.
fn entity_of_cursor(c: &Cursor) -> Option<FieldEntity> {
    let url = url::Url::parse(c.as_str()).ok()?;
    let path = url.path().trim_end_matches('/');
    let entity = path
        .strip_suffix("/fields/definitions")?
        .rsplit('/')
        .next()?;
    parse_definition_id(&format!("{entity}-0")).map(|(e, _)| e)
}

impl Api {
    fn first_url(&self, entity: FieldEntity, params: &ListParams) -> Result<Cursor> {
        let first = first_page(entity, params);
        let mut url = self.http.url(&first.path)?;
        for (k, v) in &first.query {
            url.query_pairs_mut().append_pair(k, v);
        }
        Ok(Cursor::new(url.to_string()))
    }
}

#[async_trait]
impl Resource<FieldDefinition> for FieldDefinitionsResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<FieldDefinition>> {
        let api = &*self.api;
        let entities = entities_of(params.of.as_ref());
        let Some(start) = (match &params.cursor {
            None => entities.first().copied(),
            Some(c) => entity_of_cursor(c).filter(|e| entities.contains(e)),
        }) else {
            if params.cursor.is_some() {
                return Err(Error::Paging {
                    message: "capsule field definitions: the cursor is not a definitions page"
                        .into(),
                });
            }
            return Ok(Page {
                items: Vec::new(),
                next: None,
                total: None,
            });
        };
        let of = params.of.clone();
        let keep = move |d: &WireDefinition| match &of {
            Some(k @ (ResourceKind::Contact | ResourceKind::Account)) => {
                let rule = d.capture_rule.as_deref().map(str::to_ascii_lowercase);
                !matches!(
                    (k, rule.as_deref()),
                    (ResourceKind::Contact, Some("organisation" | "organization"))
                        | (ResourceKind::Account, Some("person"))
                )
            }
            _ => true,
        };
        let mut entity = start;
        let mut p = params.clone();
        loop {
            let (rows, next) =
                fetch_filtered(api, &first_page(entity, &p), &p, "definitions", &keep).await?;
            let following = entities
                .iter()
                .skip_while(|e| **e != entity)
                .nth(1)
                .copied();
            let next = match (next, following) {
                (Some(n), _) => Some(n),
                (None, Some(f)) => Some(api.first_url(f, params)?),
                (None, None) => None,
            };
            if rows.is_empty() {
                if let (Some(n), Some(e)) = (&next, next.as_ref().and_then(entity_of_cursor)) {
                    if e != entity {
                        entity = e;
                        p.cursor = Some(n.clone());
                        continue;
                    }
                }
            }
            let items = rows
                .iter()
                .map(|d| field_definition_from_wire(d, entity))
                .collect();
            return Ok(Page {
                items,
                next,
                total: None,
            });
        }
    }

    async fn get(&self, id: &CustomFieldId) -> Result<FieldDefinition> {
        let (entity, num) = parse_definition_id(id.as_str()).ok_or_else(|| Error::NotFound {
            message: format!(
                "capsule field definition ids are parties-N, opportunities-N or kases-N; {id} cannot exist"
            ),
        })?;
        let resp = self
            .api
            .get_path(&format!("{}/fields/definitions/{num}", entity.path()), &[])
            .await?;
        let d = wire::decode_one::<WireDefinition>(&resp.body, "definition")?;
        Ok(field_definition_from_wire(&d, entity))
    }

    async fn create(&self, new: &NewFieldDefinition) -> Result<FieldDefinition> {
        let (entity, body) = new_definition_to_wire(new)?;
        let resp = self
            .api
            .write(
                Method::POST,
                &format!("{}/fields/definitions", entity.path()),
                &[],
                body.wrap("definition")?,
            )
            .await?;
        let d = wire::decode_one::<WireDefinition>(&resp.body, "definition")?;
        Ok(field_definition_from_wire(&d, entity))
    }
}
