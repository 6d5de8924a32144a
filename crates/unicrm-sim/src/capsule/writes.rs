//! Write rules shared by several resources: nested-row merging (§8.2), tags (§10.3) and
//! custom-field values (§10.2).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::{
    AddressRow, Db, EmailRow, FieldDef, FieldRow, PhoneRow, TagScope, WEBSITE_SERVICES, WebsiteRow,
    canonical_country, tag_by_name,
};
use super::numbers::{Seg, number_at, plain_decimal};
use super::web::{
    ApiError, ApiResult, Patch, decimal_string, invalid, parse_date, patch_str, ref_id,
};

fn is_delete(item: &Map<String, Value>) -> bool {
    item.get("_delete")
        .is_some_and(|v| v == &Value::Bool(true) || v == "true")
}

/// The array under `key`, if the key is present and not null.
fn items<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    resource: &'static str,
) -> ApiResult<Option<Vec<&'a Map<String, Value>>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_object()
                    .ok_or_else(|| invalid(format!("{key} items must be objects"), resource, key))
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(invalid(format!("{key} must be an array"), resource, key)),
    }
}

/// Merges `input` into `rows`: no `id` appends, `id` updates, `id` + `_delete` removes;
/// unknown row ids are 404 (§8.2).
fn merge<R>(
    db: &mut Db,
    rows: &mut Vec<R>,
    input: Option<Vec<&Map<String, Value>>>,
    row_id: fn(&R) -> u64,
    mut create: impl FnMut(&Map<String, Value>, u64) -> ApiResult<R>,
    mut update: impl FnMut(&mut R, &Map<String, Value>) -> ApiResult<()>,
) -> ApiResult<()> {
    for item in input.unwrap_or_default() {
        match item.get("id").filter(|v| !v.is_null()) {
            Some(idv) => {
                let id = ref_id(idv).ok_or(ApiError::NotFound)?;
                let pos = rows
                    .iter()
                    .position(|r| row_id(r) == id)
                    .ok_or(ApiError::NotFound)?;
                if is_delete(item) {
                    rows.remove(pos);
                } else {
                    update(&mut rows[pos], item)?;
                }
            }
            None => {
                if is_delete(item) {
                    continue;
                }
                let id = db.row_id();
                rows.push(create(item, id)?);
            }
        }
    }
    Ok(())
}

fn opt(p: Patch<String>, slot: &mut Option<String>) {
    p.apply(slot);
}

pub(crate) fn merge_emails(
    db: &mut Db,
    rows: &mut Vec<EmailRow>,
    obj: &Map<String, Value>,
) -> ApiResult<()> {
    let input = items(obj, "emailAddresses", "party")?;
    merge(
        db,
        rows,
        input,
        |r| r.id,
        |item, id| {
            let Patch::Set(address) = patch_str(item, "address", "emailAddress")? else {
                return Err(invalid("address is required", "emailAddress", "address"));
            };
            let mut kind = None;
            opt(patch_str(item, "type", "emailAddress")?, &mut kind);
            Ok(EmailRow { id, kind, address })
        },
        |row, item| {
            match patch_str(item, "address", "emailAddress")? {
                Patch::Null => {
                    return Err(invalid("address is required", "emailAddress", "address"));
                }
                Patch::Set(a) => row.address = a,
                Patch::Absent => {}
            }
            opt(patch_str(item, "type", "emailAddress")?, &mut row.kind);
            Ok(())
        },
    )
}

pub(crate) fn merge_phones(
    db: &mut Db,
    rows: &mut Vec<PhoneRow>,
    obj: &Map<String, Value>,
) -> ApiResult<()> {
    let input = items(obj, "phoneNumbers", "party")?;
    merge(
        db,
        rows,
        input,
        |r| r.id,
        |item, id| {
            let Patch::Set(number) = patch_str(item, "number", "phoneNumber")? else {
                return Err(invalid("number is required", "phoneNumber", "number"));
            };
            let mut kind = None;
            opt(patch_str(item, "type", "phoneNumber")?, &mut kind);
            Ok(PhoneRow { id, kind, number })
        },
        |row, item| {
            match patch_str(item, "number", "phoneNumber")? {
                Patch::Null => return Err(invalid("number is required", "phoneNumber", "number")),
                Patch::Set(n) => row.number = n,
                Patch::Absent => {}
            }
            opt(patch_str(item, "type", "phoneNumber")?, &mut row.kind);
            Ok(())
        },
    )
}

fn address_attrs(row: &mut AddressRow, item: &Map<String, Value>) -> ApiResult<()> {
    opt(patch_str(item, "type", "address")?, &mut row.kind);
    opt(patch_str(item, "street", "address")?, &mut row.street);
    opt(patch_str(item, "city", "address")?, &mut row.city);
    opt(patch_str(item, "state", "address")?, &mut row.state);
    opt(patch_str(item, "zip", "address")?, &mut row.zip);
    match patch_str(item, "country", "address")? {
        Patch::Absent => {}
        Patch::Null => row.country = None,
        Patch::Set(c) => {
            let c = canonical_country(&c)
                .ok_or_else(|| invalid("unknown country", "address", "country"))?;
            row.country = Some(c.to_string());
        }
    }
    Ok(())
}

pub(crate) fn merge_addresses(
    db: &mut Db,
    rows: &mut Vec<AddressRow>,
    obj: &Map<String, Value>,
) -> ApiResult<()> {
    let input = items(obj, "addresses", "party")?;
    merge(
        db,
        rows,
        input,
        |r| r.id,
        |item, id| {
            let mut row = AddressRow {
                id,
                kind: None,
                street: None,
                city: None,
                state: None,
                country: None,
                zip: None,
            };
            address_attrs(&mut row, item)?;
            Ok(row)
        },
        address_attrs,
    )
}

fn service(item: &Map<String, Value>) -> ApiResult<Option<String>> {
    match patch_str(item, "service", "website")? {
        Patch::Absent | Patch::Null => Ok(None),
        Patch::Set(s) => {
            let up = s.to_uppercase();
            if WEBSITE_SERVICES.contains(&up.as_str()) {
                Ok(Some(up))
            } else {
                Err(invalid("service is invalid", "website", "service"))
            }
        }
    }
}

pub(crate) fn merge_websites(
    db: &mut Db,
    rows: &mut Vec<WebsiteRow>,
    obj: &Map<String, Value>,
) -> ApiResult<()> {
    let input = items(obj, "websites", "party")?;
    merge(
        db,
        rows,
        input,
        |r| r.id,
        |item, id| {
            let Patch::Set(address) = patch_str(item, "address", "website")? else {
                return Err(invalid("address is required", "website", "address"));
            };
            let mut kind = None;
            opt(patch_str(item, "type", "website")?, &mut kind);
            Ok(WebsiteRow {
                id,
                kind,
                address,
                service: service(item)?.unwrap_or_else(|| "URL".into()),
            })
        },
        |row, item| {
            match patch_str(item, "address", "website")? {
                Patch::Null => return Err(invalid("address is required", "website", "address")),
                Patch::Set(a) => row.address = a,
                Patch::Absent => {}
            }
            opt(patch_str(item, "type", "website")?, &mut row.kind);
            if let Some(s) = service(item)? {
                row.service = s;
            }
            Ok(())
        },
    )
}

/// Attaches/detaches tags: `{"name"}` finds or creates (case-insensitive), `{"id"}` attaches
/// an existing definition, `_delete` detaches (422 when not attached).
pub(crate) fn merge_tags(
    db: &mut Db,
    scope: TagScope,
    tags: &mut Vec<u64>,
    obj: &Map<String, Value>,
    resource: &'static str,
) -> ApiResult<()> {
    for item in items(obj, "tags", resource)?.unwrap_or_default() {
        let defs = match scope {
            TagScope::Party => &db.party_tags,
            TagScope::Opportunity => &db.opp_tags,
            TagScope::Kase => &db.kases.tags,
        };
        let by_id = item.get("id").filter(|v| !v.is_null());
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let existing = match (by_id, name) {
            (Some(v), _) => Some(
                ref_id(v)
                    .filter(|id| defs.contains_key(id))
                    .ok_or_else(|| invalid("tag not found", "tag", "id"))?,
            ),
            (None, Some(n)) => {
                let lower = n.to_lowercase();
                defs.values()
                    .find(|t| t.name.to_lowercase() == lower)
                    .map(|t| t.id)
            }
            (None, None) => return Err(invalid("name is required", "tag", "name")),
        };
        if is_delete(item) {
            let pos = existing
                .and_then(|id| tags.iter().position(|t| *t == id))
                .ok_or_else(|| invalid("tag not found to delete", "tag", "id"))?;
            tags.remove(pos);
            continue;
        }
        let id = match (existing, name) {
            (Some(id), _) => id,
            (None, Some(n)) => tag_by_name(db, scope, n),
            (None, None) => continue,
        };
        if !tags.contains(&id) {
            tags.push(id);
        }
    }
    Ok(())
}

/// Checks a custom-field value against its definition. `Ok(None)` clears the field.
fn field_value(def: &FieldDef, value: &Value, raw: Option<String>) -> ApiResult<Option<Value>> {
    let bad_type = || invalid("invalid type for field", "field", "value");
    let empty = matches!(value, Value::Null) || value.as_str().is_some_and(str::is_empty);
    match def.kind {
        "boolean" => match value {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            Value::String(s) if s == "true" || s == "false" => Ok(Some(Value::Bool(s == "true"))),
            _ => Err(bad_type()),
        },
        _ if empty => Ok(None),
        "number" => raw
            .and_then(|r| plain_decimal(&r))
            .or_else(|| decimal_string(value))
            .map(|s| Some(Value::String(s)))
            .ok_or_else(bad_type),
        "date" => value
            .as_str()
            .and_then(parse_date)
            .map(|d| Some(Value::String(d.format("%Y-%m-%d").to_string())))
            .ok_or_else(bad_type),
        "list" => {
            let s = value.as_str().ok_or_else(bad_type)?;
            if def.options.iter().any(|o| o == s) {
                Ok(Some(Value::String(s.to_string())))
            } else {
                Err(invalid("invalid value for field", "field", "value"))
            }
        }
        _ => match value {
            Value::String(s) => Ok(Some(Value::String(s.clone()))),
            Value::Number(n) => Ok(Some(Value::String(n.to_string()))),
            Value::Bool(b) => Ok(Some(Value::String(b.to_string()))),
            _ => Err(bad_type()),
        },
    }
}

/// Writes custom-field values (§10.2): by definition (create or update that definition's
/// row), by row id (update), or `_delete`; `null` clears (except booleans: 422).
pub(crate) fn merge_fields(
    db: &mut Db,
    defs_of: fn(&Db) -> &BTreeMap<u64, FieldDef>,
    rows: &mut Vec<FieldRow>,
    obj: &Map<String, Value>,
    body: &[u8],
    resource: &'static str,
) -> ApiResult<()> {
    let fields = items(obj, "fields", resource)?.unwrap_or_default();
    for (index, item) in fields.into_iter().enumerate() {
        let row_pos = match item.get("id").filter(|v| !v.is_null()) {
            Some(v) => {
                let id = ref_id(v).ok_or(ApiError::NotFound)?;
                Some(
                    rows.iter()
                        .position(|r| r.id == id)
                        .ok_or(ApiError::NotFound)?,
                )
            }
            None => None,
        };
        if is_delete(item) {
            if let Some(pos) = row_pos {
                rows.remove(pos);
            }
            continue;
        }
        let def_id = match (row_pos, item.get("definition")) {
            (Some(pos), _) => rows[pos].definition,
            (None, Some(d)) => {
                ref_id(d).ok_or_else(|| invalid("definition is required", "field", "definition"))?
            }
            (None, None) => return Err(invalid("definition is required", "field", "definition")),
        };
        let def = defs_of(db)
            .get(&def_id)
            .cloned()
            .ok_or_else(|| invalid("unknown field definition", "field", "definition"))?;
        let Some(value) = item.get("value") else {
            continue;
        };
        // A JSON number keeps its exact text (§4.2).
        let raw = matches!(value, Value::Number(_))
            .then(|| {
                let path = [
                    Seg::Key(resource),
                    Seg::Key("fields"),
                    Seg::Index(index),
                    Seg::Key("value"),
                ];
                number_at(body, &path)
            })
            .flatten();
        let value = field_value(&def, value, raw)?;
        let pos = row_pos.or_else(|| rows.iter().position(|r| r.definition == def_id));
        match (pos, value) {
            (Some(pos), Some(v)) => rows[pos].value = v,
            (Some(pos), None) => {
                rows.remove(pos);
            }
            (None, Some(v)) => {
                let id = db.row_id();
                rows.push(FieldRow {
                    id,
                    definition: def_id,
                    value: v,
                });
            }
            (None, None) => {}
        }
    }
    Ok(())
}
