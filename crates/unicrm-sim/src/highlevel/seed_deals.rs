//! Seeding a location's businesses, pipelines and opportunities from the vendor-neutral
//! dataset ([`crate::seed`]): organisations become businesses (24-hex ids) and their people's
//! contacts are linked to them (`businessId`, and `companyName` as the free text; a GET carries
//! no `businessName`, a search-only key); pipelines keep their open stages (HighLevel has no won/lost
//! stages: that is the opportunity `status`), with UUID stage ids and integer positions;
//! opportunities hang on a contact (the organisation's first person where the party is an
//! organisation).

use serde_json::{Map, Value, json};

use super::handlers::businesses::hex24;
use super::store::{Db, id20, iso};
use crate::seed::Dataset;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A UUID-looking stage id, deterministic.
pub(crate) fn uuid(n: u64) -> String {
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
    let y = x.rotate_left(31).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ n;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0x0fff,
        0x8000 | ((y >> 48) & 0x3fff),
        y & 0xffff_ffff_ffff
    )
}

/// Adds the dataset's businesses, pipelines and opportunities to `db`.
pub(crate) fn businesses_and_deals(data: &Dataset, location: &str, db: &mut Db) {
    for o in &data.organisations {
        let id = hex24(o.id);
        let mut b = obj(json!({
            "id": id,
            "locationId": location,
            "name": o.name,
            "createdBy": {"source": "WEB_USER"},
            "createdAt": iso(o.created_at),
            "updatedAt": iso(o.updated_at),
        }));
        if let Some(d) = &o.about {
            b.insert("description".into(), json!(d));
        }
        if let Some((_, e)) = o.emails.first() {
            b.insert("email".into(), json!(e));
        }
        if let Some((_, p)) = o.phones.first() {
            b.insert("phone".into(), json!(p));
        }
        if let Some((_, w)) = o.websites.first() {
            b.insert("website".into(), json!(w));
        }
        if let Some(a) = o.addresses.first() {
            b.insert("address".into(), json!(a.street));
            b.insert("city".into(), json!(a.city));
            b.insert("postalCode".into(), json!(a.zip));
        }
        db.businesses.insert(id, b);
    }
    for p in &data.people {
        let Some(org) = p.organisation_id else {
            continue;
        };
        let Some(o) = data.organisations.iter().find(|o| o.id == org) else {
            continue;
        };
        if let Some(c) = db.contacts.get_mut(&id20("Ct", p.id)) {
            c.record.insert("businessId".into(), json!(hex24(o.id)));
            c.record.insert("companyName".into(), json!(o.name));
        }
    }
    for (i, pl) in data.pipelines.iter().enumerate() {
        let stages: Vec<Value> = pl
            .stages
            .iter()
            .filter(|s| !s.won && !s.lost)
            .enumerate()
            .map(|(pos, s)| {
                json!({"id": uuid(s.id), "name": s.name, "position": pos,
                       "showInFunnel": true, "showInPieChart": true,
                       "stageWinProbability": s.probability})
            })
            .collect();
        db.pipelines.push(obj(json!({
            "id": id20("Pl", pl.id),
            "name": pl.name,
            "stages": stages,
            "showInFunnel": true,
            "showInPieChart": true,
            "useOpportunityProbability": false,
            "dateAdded": "2023-01-02T09:00:00.000Z",
            "dateUpdated": "2023-01-02T09:00:00.000Z",
            "locationId": location,
            // A rank string, as the vendor's.
            "position": format!("Z{}", (b'a' + i as u8) as char),
        })));
    }
    let users: Vec<String> = db
        .users
        .iter()
        .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    for o in &data.opportunities {
        let person = if o.party_is_person {
            Some(o.party_id)
        } else {
            data.people
                .iter()
                .find(|p| p.organisation_id == Some(o.party_id))
                .or(data.people.first())
                .map(|p| p.id)
        };
        let Some(person) = person else { continue };
        let Some(pl) = data.pipelines.iter().find(|p| p.id == o.pipeline_id) else {
            continue;
        };
        let stage = pl.stages.iter().find(|s| s.id == o.stage_id);
        let status = match stage {
            Some(s) if s.won => "won",
            Some(s) if s.lost => "lost",
            _ => "open",
        };
        // A closed deal stays in its pipeline's last open stage.
        let open_stage = stage
            .filter(|s| !s.won && !s.lost)
            .or_else(|| pl.stages.iter().rfind(|s| !s.won && !s.lost))
            .map(|s| uuid(s.id));
        let id = id20("Op", o.id);
        let mut r = obj(json!({
            "id": id,
            "name": o.name,
            "monetaryValue": o.amount.parse::<f64>().unwrap_or(0.0),
            "pipelineId": id20("Pl", pl.id),
            "pipelineStageId": open_stage,
            "status": status,
            "source": "seed",
            "createdAt": iso(o.created_at),
            "updatedAt": iso(o.updated_at),
            "lastStatusChangeAt": iso(o.created_at),
            "lastStageChangeAt": iso(o.updated_at),
            "contactId": id20("Ct", person),
            "locationId": location,
            "customFields": [],
            "followers": [],
        }));
        if !users.is_empty() {
            r.insert(
                "assignedTo".into(),
                json!(users[(o.owner_id as usize) % users.len()]),
            );
        }
        db.opportunities.insert(id, r);
    }
}
