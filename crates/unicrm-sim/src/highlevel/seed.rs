//! Seeding a location from the vendor-neutral dataset ([`crate::seed`]): the same seed gives
//! the same location. People become contacts (with HighLevel-style 20-character ids, lower
//! case name fields, tags, custom field values), users keep their names, and a fixed set of
//! custom field definitions of the common `dataType`s is added.

use serde_json::{Map, Value, json};

use super::store::{Db, StoredContact, id20, iso};
use crate::seed::Dataset;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The custom field definitions every seeded location has.
pub(crate) const FIELDS: &[(&str, &str, &str)] = &[
    ("Lead Priority", "SINGLE_OPTIONS", "contact"),
    ("Interests", "MULTIPLE_OPTIONS", "contact"),
    ("Number of outlets", "NUMERICAL", "contact"),
    ("Contract renewal", "DATE", "contact"),
    ("Delivery notes", "LARGE_TEXT", "contact"),
    ("Deal source", "TEXT", "opportunity"),
];

/// The location's data from `data`.
pub(crate) fn location(data: &Dataset, location: &str) -> Db {
    let mut db = Db::default();
    for (i, u) in data.users.iter().enumerate() {
        db.users.push(obj(json!({
            "id": id20("Us", 1000 + u.id),
            "name": format!("{} {}", u.first_name, u.last_name),
            "firstName": u.first_name,
            "lastName": u.last_name,
            "email": u.email,
            "roles": {"type": "account", "role": if u.admin || i == 0 {"admin"} else {"user"},
                      "locationIds": [location]},
            "deleted": false,
            "scopes": [],
        })));
    }
    for (i, (name, data_type, model)) in FIELDS.iter().enumerate() {
        let key = name.to_lowercase().replace(' ', "_");
        let mut f = obj(json!({
            "id": id20("Fd", 5000 + i as u64),
            "name": name,
            "model": model,
            "fieldKey": format!("{model}.{key}"),
            "placeholder": "",
            "dataType": data_type,
            "position": 50 * (i + 1),
            "locationId": location,
            "standard": false,
        }));
        if data_type.ends_with("_OPTIONS") {
            f.insert("picklistOptions".into(), json!(["Low", "Medium", "High"]));
        }
        db.custom_fields.push(f);
    }
    let user_ids: Vec<String> = db
        .users
        .iter()
        .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    for p in &data.people {
        let id = id20("Ct", p.id);
        let full = format!("{} {}", p.first_name, p.last_name);
        let mut c = obj(json!({
            "id": id,
            "locationId": location,
            "type": "lead",
            "firstName": p.first_name,
            "firstNameLowerCase": p.first_name.to_lowercase(),
            "lastName": p.last_name,
            "lastNameLowerCase": p.last_name.to_lowercase(),
            "fullNameLowerCase": full.to_lowercase(),
            "tags": p.tags.iter().map(|t| t.to_lowercase()).collect::<Vec<_>>(),
            "customFields": [],
            "dateAdded": iso(p.created_at),
            "dateUpdated": iso(p.updated_at),
            "source": "public api",
            "dnd": false,
        }));
        if let Some((_, e)) = p.emails.first() {
            c.insert("email".into(), json!(e));
            c.insert("emailLowerCase".into(), json!(e.to_lowercase()));
        }
        if let Some((_, ph)) = p.phones.first() {
            c.insert("phone".into(), json!(ph));
        }
        if let Some(a) = p.addresses.first() {
            c.insert("address1".into(), json!(a.street));
            c.insert("city".into(), json!(a.city));
            c.insert("postalCode".into(), json!(a.zip));
        }
        if !user_ids.is_empty() {
            let owner = &user_ids[(p.owner_id as usize) % user_ids.len()];
            c.insert("assignedTo".into(), json!(owner));
        }
        for t in &p.tags {
            db.ensure_tag(&t.to_lowercase(), location);
        }
        db.contacts.insert(
            id,
            StoredContact {
                record: c,
                search_view: None,
                visible_at: p.updated_at,
            },
        );
    }
    super::seed_deals::businesses_and_deals(data, location, &mut db);
    super::seed_records::add(data, &mut db, location);
    db
}
