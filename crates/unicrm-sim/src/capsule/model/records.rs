//! Constructors and lookups that the writes share with the seeding: an empty party, tag
//! definitions found or created by name, named lists (teams, categories, lost reasons).

use super::*;

/// A party with nothing but its id, kind and timestamps (`updated` no earlier than `created`).
pub(crate) fn blank_party(
    id: u64,
    kind: PartyKind,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Party {
    Party {
        id,
        kind,
        first_name: None,
        last_name: None,
        title: None,
        job_title: None,
        organisation: None,
        name: None,
        about: None,
        owner: None,
        emails: Vec::new(),
        phones: Vec::new(),
        addresses: Vec::new(),
        websites: Vec::new(),
        tags: Vec::new(),
        fields: Vec::new(),
        created_at: created,
        updated_at: updated.max(created),
        last_contacted_at: None,
    }
}

/// Which tag namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagScope {
    Party,
    Opportunity,
    Kase,
}

/// Finds a tag definition by name (case-insensitive) or creates it; returns its id.
pub(crate) fn tag_by_name(db: &mut Db, scope: TagScope, name: &str) -> u64 {
    let lower = name.to_lowercase();
    let defs = match scope {
        TagScope::Party => &db.party_tags,
        TagScope::Opportunity => &db.opp_tags,
        TagScope::Kase => &db.kases.tags,
    };
    if let Some(t) = defs.values().find(|t| t.name.to_lowercase() == lower) {
        return t.id;
    }
    let id = db.small_id();
    let def = TagDef {
        id,
        name: name.to_string(),
        description: None,
        data_tag: false,
    };
    match scope {
        TagScope::Party => db.party_tags.insert(id, def),
        TagScope::Opportunity => db.opp_tags.insert(id, def),
        TagScope::Kase => db.kases.tags.insert(id, def),
    };
    id
}

/// The id of the entry called `name` (ASCII case ignored), created with the next id if absent.
pub(crate) fn named(map: &mut BTreeMap<u64, Named>, name: &str) -> u64 {
    if let Some(n) = map.values().find(|n| n.name.eq_ignore_ascii_case(name)) {
        return n.id;
    }
    let id = map.keys().next_back().copied().unwrap_or(0) + 1;
    map.insert(
        id,
        Named {
            id,
            name: name.to_string(),
        },
    );
    id
}
