//! The HighLevel simulator's data: one location's contacts (kept as the JSON HighLevel would
//! send from a GET, with the version search sees), users, custom field definitions, location
//! tags, tokens and OAuth codes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// What a bearer token is (docs/vendors/highlevel-v2.md, "Token kinds").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A location OAuth token or a sub-account PIT for `location`.
    Location(String),
    /// A Company (agency) OAuth token.
    Company,
    /// An agency-level private integration token.
    AgencyPit,
}

/// A bearer token the simulator accepts.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// What it is.
    pub kind: TokenKind,
    /// Its scopes (`contacts.readonly`, …).
    pub scopes: Vec<String>,
    /// When it stops working (`None`: never, as a PIT).
    pub expires_at: Option<DateTime<Utc>>,
}

/// One contact: the stored record and what search sees (search lags behind writes).
#[derive(Debug, Clone)]
pub(crate) struct StoredContact {
    pub record: Map<String, Value>,
    /// The version search returns, and from when the current record replaces it.
    pub search_view: Option<Map<String, Value>>,
    pub visible_at: DateTime<Utc>,
}

impl StoredContact {
    /// The version search sees at `now` (`None`: not yet searchable).
    pub(crate) fn searchable(&self, now: DateTime<Utc>) -> Option<&Map<String, Value>> {
        if now >= self.visible_at {
            Some(&self.record)
        } else {
            self.search_view.as_ref()
        }
    }
}

/// The location's data.
#[derive(Debug, Default)]
pub(crate) struct Db {
    pub contacts: BTreeMap<String, StoredContact>,
    pub users: Vec<Map<String, Value>>,
    pub custom_fields: Vec<Map<String, Value>>,
    pub tags: Vec<Map<String, Value>>,
    /// Businesses by id (item 36).
    pub businesses: BTreeMap<String, Map<String, Value>>,
    /// Opportunities by id (items 28–31).
    pub opportunities: BTreeMap<String, Map<String, Value>>,
    /// Pipelines with their stages (item 29).
    pub pipelines: Vec<Map<String, Value>>,
    /// Notes and tasks by id, each naming its `contactId` (records.rs).
    pub notes: BTreeMap<String, Map<String, Value>>,
    pub tasks: BTreeMap<String, Map<String, Value>>,
    /// Calendars, and appointments by id (deleted ones kept with `deleted: true`).
    pub calendars: Vec<Map<String, Value>>,
    pub appointments: BTreeMap<String, Map<String, Value>>,
    pub tokens: HashMap<String, TokenInfo>,
    /// Live refresh tokens → the access token kind they renew.
    pub refresh_tokens: HashMap<String, TokenKind>,
    /// Unused authorization codes → the kind of token they are exchanged for.
    pub codes: HashMap<String, TokenKind>,
    pub next_id: u64,
}

impl Db {
    /// A fresh 20-character id (letters and digits), deterministic.
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        // Far from the seeded records' numbers, so a new id never repeats a seeded one.
        id20(prefix, 1 << 40 | self.next_id)
    }

    /// Adds the tag `name` to the location's tags unless it is there (names compared without
    /// regard to case).
    pub(crate) fn ensure_tag(&mut self, name: &str, location: &str) {
        if self.tags.iter().any(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            return;
        }
        let id = self.new_id("Tg");
        let mut t = Map::new();
        t.insert("id".into(), Value::String(id));
        t.insert("name".into(), Value::String(name.to_string()));
        t.insert("locationId".into(), Value::String(location.to_string()));
        self.tags.push(t);
    }
}

/// A 20-character id `prefix` + base-62 digits of `n` mixed (letters and digits only).
pub(crate) fn id20(prefix: &str, n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut out = String::from(prefix);
    while out.len() < 20 {
        out.push(ALPHABET[(x % 62) as usize] as char);
        x = x.rotate_right(7).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ n;
    }
    out
}

/// The ISO form of record times: milliseconds and `Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
