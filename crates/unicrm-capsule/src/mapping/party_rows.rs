//! A party's nested rows (emails, phones, addresses, websites, tags), both directions, and the
//! row-level operations that turn "replace this list" into Capsule's merge semantics
//! (docs/vendors/capsule-v2.md §8.2): kept rows by `id`, removed rows as `{"id": N, "_delete": true}`, new rows
//! without `id`, all in one PUT.

use serde_json::{Map, Value, json};
use unicrm_core::{
    Address, AddressKind, Email, EmailKind, Phone, PhoneKind, RowId, Tag, TagId, Website,
    WebsiteKind,
};

use super::non_empty;
use crate::wire::{AddressRow, EmailRow, PhoneRow, TagRow, WebsiteRow};

fn row_id(id: Option<u64>) -> Option<RowId> {
    id.map(RowId::from)
}

/// `emailAddresses[]` → emails (the first one is marked primary: Capsule lists the main
/// address first and has no flag).
pub fn emails_from_wire(rows: &[EmailRow]) -> Vec<Email> {
    rows.iter()
        .filter_map(|r| {
            Some(Email {
                address: non_empty(&r.address)?,
                kind: non_empty(&r.kind).map(|k| EmailKind::parse(&k)),
                primary: false,
                row_id: row_id(r.id),
            })
        })
        .enumerate()
        .map(|(i, mut e)| {
            e.primary = i == 0;
            e
        })
        .collect()
}

/// `phoneNumbers[]` → phones (first one primary).
pub fn phones_from_wire(rows: &[PhoneRow]) -> Vec<Phone> {
    rows.iter()
        .filter_map(|r| {
            Some(Phone {
                number: non_empty(&r.number)?,
                kind: non_empty(&r.kind).map(|k| PhoneKind::parse(&k)),
                primary: false,
                row_id: row_id(r.id),
            })
        })
        .enumerate()
        .map(|(i, mut p)| {
            p.primary = i == 0;
            p
        })
        .collect()
}

fn address_kind_from_wire(k: &str) -> AddressKind {
    if k.trim().eq_ignore_ascii_case("office") {
        AddressKind::Work
    } else {
        AddressKind::parse(k)
    }
}

fn address_kind_to_wire(k: &AddressKind) -> Option<String> {
    Some(
        match k {
            AddressKind::Work => "Office",
            AddressKind::Home => "Home",
            AddressKind::Postal => "Postal",
            AddressKind::Billing => "Billing",
            AddressKind::Shipping => "Shipping",
            // Capsule has no "primary" address type.
            AddressKind::Primary => return None,
            other => other.as_str(),
        }
        .to_string(),
    )
}

/// `addresses[]` → addresses. A multi-line `street` is split at its first line break into
/// `street_1` / `street_2` (joined back with `\n` on write).
pub fn addresses_from_wire(rows: &[AddressRow]) -> Vec<Address> {
    rows.iter()
        .map(|r| {
            let street = non_empty(&r.street);
            let (s1, s2) = match street {
                Some(s) => match s.split_once('\n') {
                    Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
                    None => (Some(s), None),
                },
                None => (None, None),
            };
            Address {
                street_1: s1,
                street_2: s2,
                city: non_empty(&r.city),
                state: non_empty(&r.state),
                postal_code: non_empty(&r.zip),
                country: non_empty(&r.country),
                kind: non_empty(&r.kind).map(|k| address_kind_from_wire(&k)),
                row_id: row_id(r.id),
            }
        })
        .collect()
}

fn website_kind_from_service(s: &str) -> WebsiteKind {
    match s.trim().to_ascii_uppercase().as_str() {
        "URL" => WebsiteKind::Url,
        "LINKED_IN" | "LINKEDIN" => WebsiteKind::LinkedIn,
        "TWITTER" => WebsiteKind::Twitter,
        "FACEBOOK" => WebsiteKind::Facebook,
        "INSTAGRAM" => WebsiteKind::Instagram,
        "YOUTUBE" => WebsiteKind::YouTube,
        "GITHUB" => WebsiteKind::GitHub,
        "SKYPE" => WebsiteKind::Skype,
        _ => WebsiteKind::Other(s.to_string()),
    }
}

fn website_service(k: &WebsiteKind) -> String {
    match k {
        WebsiteKind::Url | WebsiteKind::Blog => "URL".into(),
        WebsiteKind::LinkedIn => "LINKED_IN".into(),
        WebsiteKind::Twitter => "TWITTER".into(),
        WebsiteKind::Facebook => "FACEBOOK".into(),
        WebsiteKind::Instagram => "INSTAGRAM".into(),
        WebsiteKind::YouTube => "YOUTUBE".into(),
        WebsiteKind::GitHub => "GITHUB".into(),
        WebsiteKind::Skype => "SKYPE".into(),
        other => other.as_str().to_string(),
    }
}

/// `websites[]` → websites: `url` is the `address` as entered (URL or handle), `kind` the
/// `service`; the label (`type`) and derived `url` stay in `raw`.
pub fn websites_from_wire(rows: &[WebsiteRow]) -> Vec<Website> {
    rows.iter()
        .filter_map(|r| {
            Some(Website {
                url: non_empty(&r.address).or_else(|| non_empty(&r.url))?,
                kind: Some(
                    non_empty(&r.service)
                        .map(|s| website_kind_from_service(&s))
                        .unwrap_or(WebsiteKind::Url),
                ),
                row_id: row_id(r.id),
            })
        })
        .collect()
}

/// `tags[]` → tags.
pub fn tags_from_wire(rows: &[TagRow]) -> Vec<Tag> {
    rows.iter()
        .filter_map(|r| {
            Some(Tag {
                id: r.id.map(TagId::from),
                name: non_empty(&r.name)?,
            })
        })
        .collect()
}

/// An email as a new wire row (no id).
pub fn email_to_wire(e: &Email) -> Value {
    let mut m = Map::new();
    m.insert(
        "type".into(),
        e.kind
            .as_ref()
            .map(|k| {
                Value::String(match k {
                    EmailKind::Work => "Work".into(),
                    EmailKind::Home => "Home".into(),
                    other => other.as_str().to_string(),
                })
            })
            .unwrap_or(Value::Null),
    );
    m.insert("address".into(), Value::String(e.address.clone()));
    Value::Object(m)
}

/// A phone as a new wire row.
pub fn phone_to_wire(p: &Phone) -> Value {
    let label = p.kind.as_ref().map(|k| match k {
        PhoneKind::Work => "Work".to_string(),
        PhoneKind::Mobile => "Mobile".into(),
        PhoneKind::Home => "Home".into(),
        PhoneKind::Fax => "Fax".into(),
        PhoneKind::Direct => "Direct".into(),
        PhoneKind::Assistant => "Assistant".into(),
        PhoneKind::Main => "Main".into(),
        other => other.as_str().to_string(),
    });
    json!({ "type": label, "number": p.number })
}

/// An address as a new wire row.
pub fn address_to_wire(a: &Address) -> Value {
    let street = match (&a.street_1, &a.street_2) {
        (Some(s1), Some(s2)) => Some(format!("{s1}\n{s2}")),
        (Some(s), None) | (None, Some(s)) => Some(s.clone()),
        (None, None) => None,
    };
    json!({
        "type": a.kind.as_ref().and_then(address_kind_to_wire),
        "street": street,
        "city": a.city,
        "state": a.state,
        "country": a.country,
        "zip": a.postal_code,
    })
}

/// A website as a new wire row.
pub fn website_to_wire(w: &Website) -> Value {
    json!({
        "service": website_service(w.kind.as_ref().unwrap_or(&WebsiteKind::Url)),
        "address": w.url,
    })
}

/// A tag to attach: by id when known, else by name (found or created, case-insensitively).
pub fn tag_to_wire(t: &Tag) -> Value {
    match t.id.as_ref().and_then(|id| id.as_u64()) {
        Some(id) => json!({ "id": id }),
        None => json!({ "name": t.name }),
    }
}

fn delete_row(id: u64) -> Value {
    json!({ "id": id, "_delete": true })
}

/// Row operations that turn the stored rows `current` (as read, with row ids) into `desired`:
/// a desired row whose `row_id` is stored is updated in place (and left out when unchanged),
/// other desired rows are added, stored rows not kept are deleted.
pub fn diff_rows<T>(
    current: &[T],
    desired: &[T],
    to_wire: fn(&T) -> Value,
    id_of: fn(&T) -> Option<u64>,
) -> Vec<Value> {
    let mut ops = Vec::new();
    let mut kept = std::collections::HashSet::new();
    for d in desired {
        let stored = id_of(d).and_then(|id| current.iter().find(|c| id_of(c) == Some(id)));
        match stored {
            Some(c) => {
                let id = id_of(c).unwrap_or_default();
                kept.insert(id);
                let want = to_wire(d);
                if to_wire(c) != want {
                    let mut row = want;
                    if let Value::Object(m) = &mut row {
                        m.insert("id".into(), Value::from(id));
                    }
                    ops.push(row);
                }
            }
            None => ops.push(to_wire(d)),
        }
    }
    for c in current {
        if let Some(id) = id_of(c) {
            if !kept.contains(&id) {
                ops.push(delete_row(id));
            }
        }
    }
    ops
}

/// Row id of an email.
pub fn email_row_id(e: &Email) -> Option<u64> {
    e.row_id.as_ref().and_then(RowId::as_u64)
}
/// Row id of a phone.
pub fn phone_row_id(p: &Phone) -> Option<u64> {
    p.row_id.as_ref().and_then(RowId::as_u64)
}
/// Row id of an address.
pub fn address_row_id(a: &Address) -> Option<u64> {
    a.row_id.as_ref().and_then(RowId::as_u64)
}
/// Row id of a website.
pub fn website_row_id(w: &Website) -> Option<u64> {
    w.row_id.as_ref().and_then(RowId::as_u64)
}

/// Tag operations: keep attached tags matched by id or (case-insensitive) name, attach the
/// others, detach stored tags not kept.
pub fn diff_tags(current: &[Tag], desired: &[Tag]) -> Vec<Value> {
    let mut ops = Vec::new();
    let mut kept = std::collections::HashSet::new();
    for d in desired {
        let found = current.iter().find(|c| {
            (d.id.is_some() && c.id == d.id) || c.name.trim().eq_ignore_ascii_case(d.name.trim())
        });
        match found {
            Some(c) => {
                if let Some(id) = c.id.as_ref().and_then(|i| i.as_u64()) {
                    kept.insert(id);
                }
            }
            None => ops.push(tag_to_wire(d)),
        }
    }
    for c in current {
        if let Some(id) = c.id.as_ref().and_then(|i| i.as_u64()) {
            if !kept.contains(&id) {
                ops.push(delete_row(id));
            }
        }
    }
    ops
}

/// The list fields of a contact or account patch.
#[derive(Debug, Clone, Copy)]
pub struct ListPatches<'a> {
    /// Emails.
    pub emails: &'a unicrm_core::Patch<Vec<Email>>,
    /// Phones.
    pub phones: &'a unicrm_core::Patch<Vec<Phone>>,
    /// Addresses.
    pub addresses: &'a unicrm_core::Patch<Vec<Address>>,
    /// Websites.
    pub websites: &'a unicrm_core::Patch<Vec<Website>>,
    /// Tags.
    pub tags: &'a unicrm_core::Patch<Vec<Tag>>,
    /// Custom fields.
    pub custom_fields: &'a unicrm_core::Patch<Vec<unicrm_core::CustomFieldValue>>,
}

impl ListPatches<'_> {
    /// Whether any list is touched (then the stored rows are needed to compute `_delete`s).
    pub fn any(&self) -> bool {
        !(self.emails.is_unchanged()
            && self.phones.is_unchanged()
            && self.addresses.is_unchanged()
            && self.websites.is_unchanged()
            && self.tags.is_unchanged()
            && self.custom_fields.is_unchanged())
    }
}

/// The stored rows of a contact or account.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoredLists<'a> {
    /// Emails.
    pub emails: &'a [Email],
    /// Phones.
    pub phones: &'a [Phone],
    /// Addresses.
    pub addresses: &'a [Address],
    /// Websites.
    pub websites: &'a [Website],
    /// Tags.
    pub tags: &'a [Tag],
    /// Custom fields.
    pub custom_fields: &'a [unicrm_core::CustomFieldValue],
}

fn target<T: Clone>(p: &unicrm_core::Patch<Vec<T>>) -> Option<Vec<T>> {
    match p {
        unicrm_core::Patch::Unchanged => None,
        unicrm_core::Patch::Set(v) => Some(v.clone()),
        unicrm_core::Patch::Clear => Some(Vec::new()),
    }
}

/// Writes the row operations of every touched list into `body`; lists whose operations are
/// empty are left out.
pub fn write_list_patches(
    body: &mut super::Body,
    patches: ListPatches<'_>,
    stored: StoredLists<'_>,
) -> unicrm_core::Result<()> {
    let put = |body: &mut super::Body, key: &str, ops: Vec<Value>| {
        if ops.is_empty() {
            Ok(())
        } else {
            body.set(key, &ops)
        }
    };
    if let Some(want) = target(patches.emails) {
        put(
            body,
            "emailAddresses",
            diff_rows(stored.emails, &want, email_to_wire, email_row_id),
        )?;
    }
    if let Some(want) = target(patches.phones) {
        put(
            body,
            "phoneNumbers",
            diff_rows(stored.phones, &want, phone_to_wire, phone_row_id),
        )?;
    }
    if let Some(want) = target(patches.addresses) {
        put(
            body,
            "addresses",
            diff_rows(stored.addresses, &want, address_to_wire, address_row_id),
        )?;
    }
    if let Some(want) = target(patches.websites) {
        put(
            body,
            "websites",
            diff_rows(stored.websites, &want, website_to_wire, website_row_id),
        )?;
    }
    if let Some(want) = target(patches.tags) {
        put(body, "tags", diff_tags(stored.tags, &want))?;
    }
    if let Some(want) = target(patches.custom_fields) {
        let rows = super::custom_fields::diff_values(stored.custom_fields, &want)?;
        if !rows.is_empty() {
            body.set("fields", &rows)?;
        }
    }
    Ok(())
}

/// Writes the lists of a new record (rows without ids; empty lists left out).
#[allow(clippy::too_many_arguments)]
pub fn write_new_lists(
    body: &mut super::Body,
    emails: &[Email],
    phones: &[Phone],
    addresses: &[Address],
    websites: &[Website],
    tags: &[Tag],
    custom_fields: &[unicrm_core::CustomFieldValue],
) -> unicrm_core::Result<()> {
    if !emails.is_empty() {
        body.set(
            "emailAddresses",
            &emails.iter().map(email_to_wire).collect::<Vec<_>>(),
        )?;
    }
    if !phones.is_empty() {
        body.set(
            "phoneNumbers",
            &phones.iter().map(phone_to_wire).collect::<Vec<_>>(),
        )?;
    }
    if !addresses.is_empty() {
        body.set(
            "addresses",
            &addresses.iter().map(address_to_wire).collect::<Vec<_>>(),
        )?;
    }
    if !websites.is_empty() {
        body.set(
            "websites",
            &websites.iter().map(website_to_wire).collect::<Vec<_>>(),
        )?;
    }
    if !tags.is_empty() {
        body.set("tags", &tags.iter().map(tag_to_wire).collect::<Vec<_>>())?;
    }
    let fields = super::custom_fields::values_to_wire(custom_fields)?;
    if !fields.is_empty() {
        body.set("fields", &fields)?;
    }
    Ok(())
}
