//! The simulator's in-memory tenant: Capsule-shaped records, their JSON rendering, and the
//! conversion of the vendor-neutral seed [`Dataset`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::numbers::number_value;
use super::web::{Embed, date_value, dt_value, fmt_date, fmt_dt};
use crate::clock::SimClock;
use crate::seed::{self, Dataset, FieldKind, FieldValue};

pub(crate) const PERSON_AVATAR: &str =
    "https://capsulecrm.com/theme/default/images/person_avatar_70.png";
pub(crate) const ORG_AVATAR: &str = "https://capsulecrm.com/theme/default/images/org_avatar_70.png";

/// The `updatedAt` of a write at `n` (the current time, whole seconds) to a record last
/// updated at `prev`: `n`, never earlier than `prev`. Two writes within one second get the
/// same `updatedAt`, as on the real service (second precision on the wire).
pub(crate) fn bump(prev: DateTime<Utc>, n: DateTime<Utc>) -> DateTime<Utc> {
    n.max(prev)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyKind {
    Person,
    Organisation,
}

impl PartyKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Organisation => "organisation",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct EmailRow {
    pub id: u64,
    pub kind: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PhoneRow {
    pub id: u64,
    pub kind: Option<String>,
    pub number: String,
}

#[derive(Debug, Clone)]
pub(crate) struct AddressRow {
    pub id: u64,
    pub kind: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub zip: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct WebsiteRow {
    pub id: u64,
    pub kind: Option<String>,
    pub address: String,
    pub service: String,
}

/// A custom-field value row. `value` is already in wire form (number fields as strings).
#[derive(Debug, Clone)]
pub(crate) struct FieldRow {
    pub id: u64,
    pub definition: u64,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct Party {
    pub id: u64,
    pub kind: PartyKind,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub job_title: Option<String>,
    pub organisation: Option<u64>,
    pub name: Option<String>,
    pub about: Option<String>,
    pub owner: Option<u64>,
    pub emails: Vec<EmailRow>,
    pub phones: Vec<PhoneRow>,
    pub addresses: Vec<AddressRow>,
    pub websites: Vec<WebsiteRow>,
    pub tags: Vec<u64>,
    pub fields: Vec<FieldRow>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Opportunity {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub party: u64,
    pub milestone: u64,
    pub last_open_milestone: Option<u64>,
    pub lost_reason: Option<u64>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub expected_close_on: Option<NaiveDate>,
    pub probability: u8,
    pub duration_basis: String,
    pub duration: Option<i64>,
    pub closed_on: Option<NaiveDate>,
    pub owner: Option<u64>,
    pub tags: Vec<u64>,
    pub fields: Vec<FieldRow>,
    pub additional_parties: Vec<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_stage_changed_at: Option<DateTime<Utc>>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub id: u64,
    pub description: String,
    pub detail: Option<String>,
    pub due_on: NaiveDate,
    pub due_time: Option<String>,
    pub status: &'static str,
    pub category: Option<u64>,
    pub party: Option<u64>,
    pub opportunity: Option<u64>,
    pub owner: Option<u64>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: u64,
    pub content: String,
    pub entry_at: DateTime<Utc>,
    pub creator: u64,
    pub activity_type: i64,
    pub party: Option<u64>,
    pub opportunity: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: u64,
    pub username: String,
    pub name: String,
    pub admin: bool,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct TagDef {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub data_tag: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub id: u64,
    pub name: String,
    pub kind: &'static str,
    pub description: Option<String>,
    pub options: Vec<String>,
    pub capture_rule: Option<&'static str>,
    pub important: bool,
    pub display_order: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Milestone {
    pub id: u64,
    pub name: String,
    pub pipeline: u64,
    pub probability: u8,
    pub complete: bool,
    pub display_order: u32,
    pub days_until_stale: Option<u32>,
}

impl Milestone {
    pub(crate) fn is_lost(&self) -> bool {
        self.complete && self.probability == 0
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub id: u64,
    pub event: String,
    pub target_url: String,
    pub description: Option<String>,
    pub embed: Option<String>,
    pub user: u64,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub action: &'static str,
    pub polls: u32,
    pub party: u64,
    pub done: bool,
}

/// How a bearer token was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Pat,
    OAuth { client_id: String },
}

#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub user: u64,
    pub kind: TokenKind,
    pub scope: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub user: u64,
    pub redirect_uri: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshInfo {
    pub user: u64,
    pub scope: String,
    pub client_id: String,
    pub access: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: DateTime<Utc>,
    pub used: u32,
}

/// The whole tenant.
#[derive(Debug)]
pub(crate) struct Db {
    pub next_id: u64,
    pub next_row: u64,
    pub next_small: u64,
    pub rng: SmallRng,
    pub users: BTreeMap<u64, User>,
    pub parties: BTreeMap<u64, Party>,
    /// Lower-cased organisation name → party id.
    pub org_names: HashMap<String, u64>,
    pub opportunities: BTreeMap<u64, Opportunity>,
    pub tasks: BTreeMap<u64, Task>,
    pub entries: BTreeMap<u64, Entry>,
    pub deleted_parties: Vec<(u64, DateTime<Utc>)>,
    pub deleted_opportunities: Vec<(u64, DateTime<Utc>)>,
    pub party_tags: BTreeMap<u64, TagDef>,
    pub opp_tags: BTreeMap<u64, TagDef>,
    pub party_fields: BTreeMap<u64, FieldDef>,
    pub opp_fields: BTreeMap<u64, FieldDef>,
    pub pipelines: BTreeMap<u64, Pipeline>,
    pub milestones: BTreeMap<u64, Milestone>,
    pub lost_reasons: BTreeMap<u64, Named>,
    pub categories: BTreeMap<u64, Named>,
    pub hooks: BTreeMap<u64, Hook>,
    pub jobs: HashMap<String, Job>,
    pub tokens: HashMap<String, TokenInfo>,
    pub codes: HashMap<String, AuthCode>,
    pub refresh_tokens: HashMap<String, RefreshInfo>,
    pub windows: HashMap<u64, Window>,
    pub budget: u32,
    pub window: Duration,
    pub client_id: String,
    pub client_secret: String,
    pub seeded_at: DateTime<Utc>,
    /// The tenant's clock (timestamps, rate-limit windows, token expiry, search lag).
    pub clock: SimClock,
    /// How long after a write a party or opportunity shows in the `/…/search` endpoints.
    pub search_lag: chrono::Duration,
    /// Parties whose last write `/parties/search` has not caught up with: when it becomes
    /// searchable, and the version the index still holds (`None`: created since).
    pub party_pending: HashMap<u64, (DateTime<Utc>, Option<Party>)>,
    /// The same for opportunities and `/opportunities/search`.
    pub opp_pending: HashMap<u64, (DateTime<Utc>, Option<Opportunity>)>,
}

/// Records a write of `id` in a pending-index map (see [`Db::party_pending`]): the index keeps
/// `old` until `lag` has passed since the latest write.
fn note_write<T>(
    pending: &mut HashMap<u64, (DateTime<Utc>, Option<T>)>,
    id: u64,
    old: Option<T>,
    now: DateTime<Utc>,
    lag: chrono::Duration,
) {
    if lag <= chrono::Duration::zero() {
        return;
    }
    let visible_at = now + lag;
    match pending.get_mut(&id) {
        Some(entry) if entry.0 > now => entry.0 = visible_at,
        _ => {
            pending.insert(id, (visible_at, old));
        }
    }
}

/// What the search index holds for `id` at `now`: the current record, the previous
/// version, or nothing.
fn search_view<'a, T>(
    pending: &'a HashMap<u64, (DateTime<Utc>, Option<T>)>,
    id: u64,
    current: &'a T,
    now: DateTime<Utc>,
) -> Option<&'a T> {
    match pending.get(&id) {
        Some((visible_at, old)) if *visible_at > now => old.as_ref(),
        _ => Some(current),
    }
}

impl Db {
    /// The current time in whole seconds (Capsule's timestamp precision).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now_secs()
    }

    /// Stores party `p`, keeping the search index's view of it (search lag).
    pub(crate) fn put_party(&mut self, p: Party) {
        let id = p.id;
        let old = self.parties.insert(id, p);
        let now = self.clock.now();
        note_write(&mut self.party_pending, id, old, now, self.search_lag);
    }

    /// Stores opportunity `o`, keeping the search index's view of it (search lag).
    pub(crate) fn put_opportunity(&mut self, o: Opportunity) {
        let id = o.id;
        let old = self.opportunities.insert(id, o);
        let now = self.clock.now();
        note_write(&mut self.opp_pending, id, old, now, self.search_lag);
    }

    /// The version of party `p` that `/parties/search` sees now.
    pub(crate) fn party_in_search<'a>(&'a self, p: &'a Party) -> Option<&'a Party> {
        search_view(&self.party_pending, p.id, p, self.clock.now())
    }

    /// The version of opportunity `o` that `/opportunities/search` sees now.
    pub(crate) fn opportunity_in_search<'a>(
        &'a self,
        o: &'a Opportunity,
    ) -> Option<&'a Opportunity> {
        search_view(&self.opp_pending, o.id, o, self.clock.now())
    }

    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn row_id(&mut self) -> u64 {
        self.next_row += 1;
        self.next_row
    }

    pub(crate) fn small_id(&mut self) -> u64 {
        self.next_small += 1;
        self.next_small
    }

    /// A random opaque token of `len` alphanumeric characters (seeded, so replayable).
    pub(crate) fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
            .collect()
    }

    pub(crate) fn uuid(&mut self) -> String {
        let a: u128 = self.rng.random();
        let a = (a & !(0xF000 << 64) | (0x4000 << 64)) & !(0xC000 << 48) | (0x8000 << 48);
        let h = format!("{a:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// A personal access token acting as `user`.
    pub(crate) fn mint_pat(&mut self, user: u64) -> String {
        let t = self.token(48);
        self.tokens.insert(
            t.clone(),
            TokenInfo {
                user,
                kind: TokenKind::Pat,
                scope: "read write".into(),
                expires_at: None,
                refresh: None,
            },
        );
        t
    }

    /// An OAuth access + refresh token pair for `user` through the registered client.
    pub(crate) fn mint_oauth(&mut self, user: u64, scope: &str) -> (String, String) {
        let access = self.token(64);
        let refresh = self.token(64);
        let client_id = self.client_id.clone();
        self.tokens.insert(
            access.clone(),
            TokenInfo {
                user,
                kind: TokenKind::OAuth {
                    client_id: client_id.clone(),
                },
                scope: scope.to_string(),
                expires_at: Some(self.now() + chrono::Duration::seconds(604_799)),
                refresh: Some(refresh.clone()),
            },
        );
        self.refresh_tokens.insert(
            refresh.clone(),
            RefreshInfo {
                user,
                scope: scope.to_string(),
                client_id,
                access: access.clone(),
            },
        );
        (access, refresh)
    }

    // ------------------------------------------------------------ nested renderings

    pub(crate) fn user_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.users.get(&id)) {
            Some(u) => json!({
                "id": u.id, "username": u.username, "name": u.name,
                "pictureURL": PERSON_AVATAR, "deleted": false
            }),
            None => Value::Null,
        }
    }

    pub(crate) fn party_ref(&self, id: Option<u64>) -> Value {
        let Some(p) = id.and_then(|id| self.parties.get(&id)) else {
            return Value::Null;
        };
        match p.kind {
            PartyKind::Person => json!({
                "id": p.id, "type": "person", "firstName": p.first_name,
                "lastName": p.last_name, "pictureURL": PERSON_AVATAR
            }),
            PartyKind::Organisation => json!({
                "id": p.id, "type": "organisation", "name": p.name, "pictureURL": ORG_AVATAR
            }),
        }
    }

    pub(crate) fn milestone_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.milestones.get(&id)) {
            Some(m) => json!({"id": m.id, "name": m.name}),
            None => Value::Null,
        }
    }

    pub(crate) fn opportunity_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.opportunities.get(&id)) {
            Some(o) => json!({"id": o.id, "name": o.name}),
            None => Value::Null,
        }
    }

    fn tags_value(defs: &BTreeMap<u64, TagDef>, ids: &[u64]) -> Value {
        Value::Array(
            ids.iter()
                .filter_map(|id| defs.get(id))
                .map(|t| json!({"id": t.id, "name": t.name, "dataTag": t.data_tag}))
                .collect(),
        )
    }

    fn fields_value(defs: &BTreeMap<u64, FieldDef>, rows: &[FieldRow]) -> Value {
        Value::Array(
            rows.iter()
                .map(|r| {
                    let name = defs.get(&r.definition).map(|d| d.name.clone());
                    json!({"id": r.id, "definition": {"id": r.definition, "name": name}, "value": r.value})
                })
                .collect(),
        )
    }

    fn missing_important(defs: &BTreeMap<u64, FieldDef>, rows: &[FieldRow]) -> bool {
        defs.values()
            .filter(|d| d.important)
            .any(|d| !rows.iter().any(|r| r.definition == d.id))
    }

    // ------------------------------------------------------------ records

    pub(crate) fn render_party(&self, p: &Party, embed: Embed) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(p.id));
        o.insert("type".into(), json!(p.kind.as_str()));
        match p.kind {
            PartyKind::Person => {
                o.insert("title".into(), json!(p.title));
                o.insert("firstName".into(), json!(p.first_name));
                o.insert("lastName".into(), json!(p.last_name));
                o.insert("jobTitle".into(), json!(p.job_title));
                o.insert("organisation".into(), self.party_ref(p.organisation));
            }
            PartyKind::Organisation => {
                o.insert("name".into(), json!(p.name));
            }
        }
        o.insert("about".into(), json!(p.about));
        o.insert("owner".into(), self.user_ref(p.owner));
        o.insert("team".into(), Value::Null);
        o.insert("createdAt".into(), json!(fmt_dt(&p.created_at)));
        o.insert("updatedAt".into(), json!(fmt_dt(&p.updated_at)));
        o.insert("lastContactedAt".into(), dt_value(&p.last_contacted_at));
        o.insert(
            "pictureURL".into(),
            json!(match p.kind {
                PartyKind::Person => PERSON_AVATAR,
                PartyKind::Organisation => ORG_AVATAR,
            }),
        );
        o.insert("enrichment".into(), Value::Null);
        o.insert(
            "emailAddresses".into(),
            Value::Array(
                p.emails
                    .iter()
                    .map(|e| json!({"id": e.id, "type": e.kind, "address": e.address}))
                    .collect(),
            ),
        );
        o.insert(
            "phoneNumbers".into(),
            Value::Array(
                p.phones
                    .iter()
                    .map(|e| json!({"id": e.id, "type": e.kind, "number": e.number}))
                    .collect(),
            ),
        );
        o.insert(
            "addresses".into(),
            Value::Array(
                p.addresses
                    .iter()
                    .map(|a| {
                        json!({"id": a.id, "type": a.kind, "street": a.street, "city": a.city,
                               "state": a.state, "country": a.country, "zip": a.zip})
                    })
                    .collect(),
            ),
        );
        o.insert(
            "websites".into(),
            Value::Array(
                p.websites
                    .iter()
                    .map(|w| {
                        json!({"id": w.id, "type": w.kind, "address": w.address,
                               "service": w.service, "url": website_url(&w.service, &w.address)})
                    })
                    .collect(),
            ),
        );
        if embed.tags {
            o.insert("tags".into(), Self::tags_value(&self.party_tags, &p.tags));
        }
        if embed.fields {
            o.insert(
                "fields".into(),
                Self::fields_value(&self.party_fields, &p.fields),
            );
        }
        if embed.missing {
            o.insert(
                "missingImportantFields".into(),
                json!(Self::missing_important(&self.party_fields, &p.fields)),
            );
        }
        Value::Object(o)
    }

    pub(crate) fn render_opportunity(&self, op: &Opportunity, embed: Embed) -> Value {
        let value = op.amount.as_ref().map_or(
            Value::Null,
            |a| json!({"amount": number_value(a), "currency": op.currency}),
        );
        let lost_reason = op
            .lost_reason
            .and_then(|id| self.lost_reasons.get(&id))
            .map_or(Value::Null, |r| json!({"id": r.id, "name": r.name}));
        let mut o = json!({
            "id": op.id,
            "name": op.name,
            "description": op.description,
            "owner": self.user_ref(op.owner),
            "team": null,
            "party": self.party_ref(Some(op.party)),
            "milestone": self.milestone_ref(Some(op.milestone)),
            "lastOpenMilestone": self.milestone_ref(op.last_open_milestone),
            "lostReason": lost_reason,
            "value": value,
            "expectedCloseOn": date_value(&op.expected_close_on),
            "probability": op.probability,
            "durationBasis": op.duration_basis,
            "duration": op.duration,
            "closedOn": date_value(&op.closed_on),
            "lastContactedAt": dt_value(&op.last_contacted_at),
            "lastStageChangedAt": dt_value(&op.last_stage_changed_at),
            "createdAt": fmt_dt(&op.created_at),
            "updatedAt": fmt_dt(&op.updated_at),
        });
        if let Value::Object(map) = &mut o {
            if embed.tags {
                map.insert("tags".into(), Self::tags_value(&self.opp_tags, &op.tags));
            }
            if embed.fields {
                map.insert(
                    "fields".into(),
                    Self::fields_value(&self.opp_fields, &op.fields),
                );
            }
            if embed.missing {
                map.insert(
                    "missingImportantFields".into(),
                    json!(Self::missing_important(&self.opp_fields, &op.fields)),
                );
            }
        }
        o
    }

    pub(crate) fn render_task(&self, t: &Task) -> Value {
        let category = t.category.and_then(|id| self.categories.get(&id)).map_or(
            Value::Null,
            |c| json!({"id": c.id, "name": c.name, "colour": category_colour(&c.name)}),
        );
        let completed_by = t
            .completed_by
            .and_then(|u| self.users.get(&u))
            .map(|u| u.username.clone());
        json!({
            "id": t.id,
            "description": t.description,
            "detail": t.detail,
            "category": category,
            "dueOn": fmt_date(&t.due_on),
            "dueTime": t.due_time,
            "status": t.status,
            "party": self.party_ref(t.party),
            "opportunity": self.opportunity_ref(t.opportunity),
            "kase": null,
            "owner": self.user_ref(t.owner),
            "completedAt": dt_value(&t.completed_at),
            "completedBy": completed_by,
            "createdAt": fmt_dt(&t.created_at),
            "updatedAt": fmt_dt(&t.updated_at),
            "hasTrack": false,
            "daysAfter": null,
            "taskDelayRule": null,
            "taskDayDelayRule": null,
            "nextTask": null,
            "repeat": null,
            "active": t.status != "PENDING",
            "overrideToCurrentUser": null,
        })
    }

    pub(crate) fn render_entry(&self, e: &Entry) -> Value {
        json!({
            "id": e.id,
            "type": "note",
            "content": e.content,
            "entryAt": fmt_dt(&e.entry_at),
            "createdAt": fmt_dt(&e.created_at),
            "updatedAt": fmt_dt(&e.updated_at),
            "creator": self.user_ref(Some(e.creator)),
            "activityType": {"id": e.activity_type, "name": activity_name(e.activity_type)},
            "party": self.party_ref(e.party),
            "opportunity": self.opportunity_ref(e.opportunity),
            "kase": null,
            "attachments": [],
        })
    }

    pub(crate) fn render_user(&self, u: &User) -> Value {
        json!({
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "locale": "en_GB",
            "currency": u.currency,
            "timezone": "Europe/London",
            "status": "ACTIVE",
            "lastLoginAt": fmt_dt(&u.created_at),
            "taskReminder": true,
            "deleted": false,
            "pictureURL": PERSON_AVATAR,
            "party": null,
        })
    }

    pub(crate) fn render_tag(t: &TagDef) -> Value {
        let mut v = json!({"id": t.id, "name": t.name, "dataTag": t.data_tag});
        if let (Some(d), Value::Object(m)) = (&t.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_definition(d: &FieldDef) -> Value {
        let mut v = json!({
            "id": d.id, "name": d.name, "type": d.kind, "description": d.description,
            "important": d.important, "displayOrder": d.display_order, "tag": null,
            "captureRule": d.capture_rule,
        });
        if d.kind == "list" {
            if let Value::Object(m) = &mut v {
                m.insert("options".into(), json!(d.options));
            }
        }
        v
    }

    pub(crate) fn render_pipeline(&self, p: &Pipeline) -> Value {
        let mut v = json!({
            "id": p.id, "name": p.name,
            "createdAt": fmt_dt(&p.created_at), "updatedAt": fmt_dt(&p.created_at),
        });
        if let (Some(d), Value::Object(m)) = (&p.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_milestone(&self, m: &Milestone) -> Value {
        let pipeline = self
            .pipelines
            .get(&m.pipeline)
            .map_or(Value::Null, |p| json!({"id": p.id, "name": p.name}));
        let mut v = json!({
            "id": m.id, "name": m.name, "probability": m.probability, "complete": m.complete,
            "pipeline": pipeline, "displayOrder": m.display_order,
            "createdAt": fmt_dt(&self.seeded_at), "updatedAt": fmt_dt(&self.seeded_at),
        });
        if let (Some(d), Value::Object(map)) = (m.days_until_stale, &mut v) {
            map.insert("daysUntilStale".into(), json!(d));
        }
        v
    }

    pub(crate) fn render_hook(&self, h: &Hook) -> Value {
        json!({
            "id": h.id, "event": h.event, "targetUrl": h.target_url,
            "description": h.description, "embed": h.embed, "batched": false,
            "user": self.user_ref(Some(h.user)), "clientId": h.client_id,
            "createdAt": fmt_dt(&h.created_at), "updatedAt": fmt_dt(&h.created_at),
        })
    }

    /// Milestones of a pipeline in display order.
    pub(crate) fn pipeline_milestones(&self, pipeline: u64) -> Vec<&Milestone> {
        let mut ms: Vec<&Milestone> = self
            .milestones
            .values()
            .filter(|m| m.pipeline == pipeline)
            .collect();
        ms.sort_by_key(|m| (m.display_order, m.id));
        ms
    }

    /// Case-insensitive substring search over a party's names, emails, phones, addresses.
    pub(crate) fn party_matches(p: &Party, needle: &str) -> bool {
        let hit = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|s| s.to_lowercase().contains(needle))
        };
        let full = format!(
            "{} {}",
            p.first_name.as_deref().unwrap_or(""),
            p.last_name.as_deref().unwrap_or("")
        );
        full.to_lowercase().contains(needle)
            || hit(&p.name)
            || hit(&p.job_title)
            || p.emails
                .iter()
                .any(|e| e.address.to_lowercase().contains(needle))
            || p.phones
                .iter()
                .any(|e| e.number.to_lowercase().contains(needle))
            || p.addresses
                .iter()
                .any(|a| hit(&a.zip) || hit(&a.city) || hit(&a.street))
    }
}

pub(crate) fn activity_name(id: i64) -> &'static str {
    match id {
        -2 => "Meeting",
        -3 => "Call",
        -4 => "Task completed",
        _ => "Note",
    }
}

fn category_colour(name: &str) -> &'static str {
    match name {
        "Call" => "#2E8B57",
        "Email" => "#4169E1",
        "Meeting" => "#DAA520",
        _ => "#708090",
    }
}

pub(crate) const WEBSITE_SERVICES: &[&str] = &[
    "URL",
    "SKYPE",
    "TWITTER",
    "LINKED_IN",
    "FACEBOOK",
    "XING",
    "FEED",
    "GOOGLE_PLUS",
    "FLICKR",
    "GITHUB",
    "YOUTUBE",
    "INSTAGRAM",
    "PINTEREST",
    "TIKTOK",
    "THREADS",
    "BLUESKY",
    "SNAPCHAT",
];

/// The read-only derived `url` of a website row.
pub(crate) fn website_url(service: &str, address: &str) -> Value {
    if address.starts_with("http://") || address.starts_with("https://") {
        return json!(address);
    }
    let handle = address.trim_start_matches('@');
    let url = match service {
        "URL" | "FEED" => format!("http://{address}"),
        "TWITTER" => format!("https://twitter.com/{handle}"),
        "LINKED_IN" => format!("https://www.linkedin.com/in/{handle}"),
        "FACEBOOK" => format!("https://www.facebook.com/{handle}"),
        "GITHUB" => format!("https://github.com/{handle}"),
        "INSTAGRAM" => format!("https://instagram.com/{handle}"),
        "YOUTUBE" => format!("https://www.youtube.com/{handle}"),
        "XING" => format!("https://www.xing.com/profile/{handle}"),
        "TIKTOK" => format!("https://www.tiktok.com/@{handle}"),
        _ => return Value::Null,
    };
    json!(url)
}

/// Country names the simulator accepts (matched case-insensitively), plus aliases.
pub(crate) fn canonical_country(name: &str) -> Option<&'static str> {
    const COUNTRIES: &[&str] = &[
        "Afghanistan",
        "Albania",
        "Algeria",
        "Andorra",
        "Angola",
        "Argentina",
        "Armenia",
        "Australia",
        "Austria",
        "Azerbaijan",
        "Bahamas",
        "Bahrain",
        "Bangladesh",
        "Barbados",
        "Belarus",
        "Belgium",
        "Belize",
        "Benin",
        "Bermuda",
        "Bhutan",
        "Bolivia",
        "Bosnia and Herzegovina",
        "Botswana",
        "Brazil",
        "Brunei",
        "Bulgaria",
        "Cambodia",
        "Cameroon",
        "Canada",
        "Chile",
        "China",
        "Colombia",
        "Costa Rica",
        "Croatia",
        "Cuba",
        "Cyprus",
        "Czech Republic",
        "Denmark",
        "Dominican Republic",
        "Ecuador",
        "Egypt",
        "El Salvador",
        "Estonia",
        "Ethiopia",
        "Fiji",
        "Finland",
        "France",
        "Georgia",
        "Germany",
        "Ghana",
        "Gibraltar",
        "Greece",
        "Greenland",
        "Guatemala",
        "Honduras",
        "Hong Kong",
        "Hungary",
        "Iceland",
        "India",
        "Indonesia",
        "Iran",
        "Iraq",
        "Ireland",
        "Isle of Man",
        "Israel",
        "Italy",
        "Jamaica",
        "Japan",
        "Jersey",
        "Jordan",
        "Kazakhstan",
        "Kenya",
        "Kuwait",
        "Latvia",
        "Lebanon",
        "Liechtenstein",
        "Lithuania",
        "Luxembourg",
        "Macao",
        "Malaysia",
        "Malta",
        "Mauritius",
        "Mexico",
        "Moldova",
        "Monaco",
        "Mongolia",
        "Montenegro",
        "Morocco",
        "Mozambique",
        "Namibia",
        "Nepal",
        "Netherlands",
        "New Zealand",
        "Nicaragua",
        "Nigeria",
        "North Macedonia",
        "Norway",
        "Oman",
        "Pakistan",
        "Panama",
        "Paraguay",
        "Peru",
        "Philippines",
        "Poland",
        "Portugal",
        "Puerto Rico",
        "Qatar",
        "Romania",
        "Russia",
        "Rwanda",
        "San Marino",
        "Saudi Arabia",
        "Senegal",
        "Serbia",
        "Singapore",
        "Slovakia",
        "Slovenia",
        "South Africa",
        "South Korea",
        "Spain",
        "Sri Lanka",
        "Sweden",
        "Switzerland",
        "Taiwan",
        "Tanzania",
        "Thailand",
        "Tunisia",
        "Turkey",
        "Uganda",
        "Ukraine",
        "United Arab Emirates",
        "United Kingdom",
        "United States",
        "Uruguay",
        "Uzbekistan",
        "Venezuela",
        "Vietnam",
        "Zambia",
        "Zimbabwe",
    ];
    const ALIASES: &[(&str, &str)] = &[
        ("usa", "United States"),
        ("us", "United States"),
        ("united states of america", "United States"),
        ("uk", "United Kingdom"),
        ("great britain", "United Kingdom"),
        ("england", "United Kingdom"),
        ("deutschland", "Germany"),
        ("the netherlands", "Netherlands"),
        ("czechia", "Czech Republic"),
        ("türkiye", "Turkey"),
        ("korea, republic of", "South Korea"),
    ];
    let lower = name.trim().to_lowercase();
    COUNTRIES
        .iter()
        .find(|c| c.to_lowercase() == lower)
        .copied()
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, c)| *c))
}

// ---------------------------------------------------------------- seeding

fn field_kind(kind: &FieldKind) -> (&'static str, Vec<String>) {
    match kind {
        FieldKind::Text | FieldKind::DateTime | FieldKind::MultiChoice(_) => ("text", vec![]),
        FieldKind::Number | FieldKind::Decimal => ("number", vec![]),
        FieldKind::Date => ("date", vec![]),
        FieldKind::Boolean => ("boolean", vec![]),
        FieldKind::SingleChoice(o) => ("list", o.clone()),
        FieldKind::Url => ("link", vec![]),
    }
}

fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) | FieldValue::Decimal(s) | FieldValue::Choice(s) => json!(s),
        FieldValue::Number(n) => json!(n.to_string()),
        FieldValue::Date(d) => json!(fmt_date(d)),
        FieldValue::DateTime(t) => json!(fmt_dt(t)),
        FieldValue::Boolean(b) => json!(b),
        FieldValue::Choices(c) => json!(c.join(", ")),
    }
}

/// Seed records of every type in the order they were created (ties: parties, then
/// opportunities, tasks, notes, by dataset id), as `(type, dataset id)`; type 0 = organisation,
/// 1 = person, 2 = opportunity, 3 = task, 4 = note.
fn creation_sequence(data: &Dataset) -> Vec<(u8, u64)> {
    let mut all: Vec<(DateTime<Utc>, u8, u64)> = Vec::new();
    all.extend(data.organisations.iter().map(|o| (o.created_at, 0, o.id)));
    all.extend(data.people.iter().map(|p| (p.created_at, 1, p.id)));
    all.extend(data.opportunities.iter().map(|o| (o.created_at, 2, o.id)));
    all.extend(data.tasks.iter().map(|t| (t.created_at, 3, t.id)));
    all.extend(data.notes.iter().map(|n| (n.created_at, 4, n.id)));
    all.sort_by_key(|(t, kind, id)| (*t, u8::from(*kind >= 2), *kind, *id));
    all.into_iter().map(|(_, k, id)| (k, id)).collect()
}

/// Builds the tenant from the dataset. Every record gets its id from one tenant-wide counter
/// in creation order (`createdAt`), as on the real service: organisations interleaved with
/// their people, opportunities, tasks and notes between them.
pub(crate) fn build(
    data: &Dataset,
    seed: u64,
    budget: u32,
    window: Duration,
    clock: SimClock,
) -> Db {
    // Fixed, so metadata timestamps (pipelines, milestones, users) are deterministic too.
    let seeded_at = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut db = Db {
        next_id: 10_000,
        next_row: 5_000_000,
        next_small: 0,
        rng: SmallRng::seed_from_u64(seed ^ 0xC0FF_EE00_CAB5_0001),
        users: BTreeMap::new(),
        parties: BTreeMap::new(),
        org_names: HashMap::new(),
        opportunities: BTreeMap::new(),
        tasks: BTreeMap::new(),
        entries: BTreeMap::new(),
        deleted_parties: Vec::new(),
        deleted_opportunities: Vec::new(),
        party_tags: BTreeMap::new(),
        opp_tags: BTreeMap::new(),
        party_fields: BTreeMap::new(),
        opp_fields: BTreeMap::new(),
        pipelines: BTreeMap::new(),
        milestones: BTreeMap::new(),
        lost_reasons: BTreeMap::new(),
        categories: BTreeMap::new(),
        hooks: BTreeMap::new(),
        jobs: HashMap::new(),
        tokens: HashMap::new(),
        codes: HashMap::new(),
        refresh_tokens: HashMap::new(),
        windows: HashMap::new(),
        budget,
        window,
        client_id: String::new(),
        client_secret: String::new(),
        seeded_at,
        clock,
        search_lag: chrono::Duration::zero(),
        party_pending: HashMap::new(),
        opp_pending: HashMap::new(),
    };
    db.client_id = format!("sim-{}", db.token(24));
    db.client_secret = db.token(40);

    // Users: user 1 always exists and is an administrator.
    for u in &data.users {
        let username = u
            .email
            .split('@')
            .next()
            .filter(|s| !s.is_empty())
            .map_or_else(|| format!("user{}", u.id), str::to_string);
        db.users.insert(
            u.id,
            User {
                id: u.id,
                username,
                name: format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_string(),
                admin: u.admin || u.id == 1,
                currency: "GBP".into(),
                created_at: seeded_at,
            },
        );
    }
    db.users.entry(1).or_insert_with(|| User {
        id: 1,
        username: "admin".into(),
        name: "Sam Admin".into(),
        admin: true,
        currency: "GBP".into(),
        created_at: seeded_at,
    });
    let known_user = |db: &Db, id: u64| {
        if db.users.contains_key(&id) {
            Some(id)
        } else {
            Some(1)
        }
    };

    // Custom field definitions, split by entity; ids kept from the dataset.
    let mut order_p = 0;
    let mut order_o = 0;
    for f in &data.fields {
        let (kind, options) = field_kind(&f.kind);
        let (map, order) = if f.applies_to == "opportunity" {
            (&mut db.opp_fields, &mut order_o)
        } else {
            (&mut db.party_fields, &mut order_p)
        };
        *order += 1;
        map.insert(
            f.id,
            FieldDef {
                id: f.id,
                name: f.name.clone(),
                kind,
                description: None,
                options,
                capture_rule: None,
                important: false,
                display_order: *order,
            },
        );
    }

    // Tags.
    for name in &data.tags {
        tag_by_name(&mut db, TagScope::Party, name);
    }

    // Pipelines and milestones (each pipeline gets a won and a lost milestone).
    let mut pipelines = data.pipelines.clone();
    if pipelines.is_empty() {
        pipelines.push(default_pipeline());
    }
    let mut next_stage = pipelines
        .iter()
        .flat_map(|p| p.stages.iter().map(|s| s.id))
        .max()
        .unwrap_or(0);
    for p in &pipelines {
        db.pipelines.insert(
            p.id,
            Pipeline {
                id: p.id,
                name: p.name.clone(),
                description: None,
                created_at: seeded_at,
            },
        );
        let mut order = 0;
        for s in &p.stages {
            order = order.max(s.order);
            let complete = s.won || s.lost;
            db.milestones.insert(
                s.id,
                Milestone {
                    id: s.id,
                    name: s.name.clone(),
                    pipeline: p.id,
                    probability: if s.won {
                        100
                    } else if s.lost {
                        0
                    } else {
                        s.probability.min(99)
                    },
                    complete,
                    display_order: s.order,
                    days_until_stale: if complete { None } else { Some(14) },
                },
            );
        }
        for (won, name) in [(true, "Won"), (false, "Lost")] {
            let has = p.stages.iter().any(|s| if won { s.won } else { s.lost });
            if !has {
                next_stage += 1;
                order += 1;
                db.milestones.insert(
                    next_stage,
                    Milestone {
                        id: next_stage,
                        name: name.into(),
                        pipeline: p.id,
                        probability: if won { 100 } else { 0 },
                        complete: true,
                        display_order: order,
                        days_until_stale: None,
                    },
                );
            }
        }
    }

    // Lost reasons and categories.
    for name in ["Price", "Went with competitor", "No budget", "Timing"] {
        named(&mut db.lost_reasons, name);
    }
    for name in ["Call", "Email", "Follow-up", "Meeting"] {
        named(&mut db.categories, name);
    }

    // Ids in creation order.
    let mut assigned: [HashMap<u64, u64>; 5] = Default::default();
    for (kind, id) in creation_sequence(data) {
        let new = db.id();
        assigned[usize::from(kind)].insert(id, new);
    }
    let [org_ids, person_ids, opp_seq, task_seq, note_seq] = assigned;
    let tenant_id = |map: &HashMap<u64, u64>, id: u64| map.get(&id).copied().unwrap_or(0);

    // Parties.
    for o in &data.organisations {
        let id = tenant_id(&org_ids, o.id);
        let mut party = blank_party(id, PartyKind::Organisation, o.created_at, o.updated_at);
        party.name = Some(o.name.clone());
        party.about = o.about.clone();
        party.owner = known_user(&db, o.owner_id);
        fill_rows(
            &mut db,
            &mut party,
            (&o.emails, &o.phones, &o.websites, &o.addresses),
        );
        party.tags = o
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Party, t))
            .collect();
        party.fields = seed_fields(&mut db, &o.fields);
        db.org_names.insert(o.name.to_lowercase(), id);
        db.parties.insert(id, party);
    }
    for p in &data.people {
        let id = tenant_id(&person_ids, p.id);
        let mut party = blank_party(id, PartyKind::Person, p.created_at, p.updated_at);
        party.title = p.title.clone();
        party.first_name = Some(p.first_name.clone()).filter(|s| !s.is_empty());
        party.last_name = Some(p.last_name.clone()).filter(|s| !s.is_empty());
        party.job_title = p.job_title.clone();
        party.organisation = p.organisation_id.and_then(|o| org_ids.get(&o).copied());
        party.about = p.about.clone();
        party.owner = known_user(&db, p.owner_id);
        fill_rows(
            &mut db,
            &mut party,
            (&p.emails, &p.phones, &p.websites, &p.addresses),
        );
        party.tags = p
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Party, t))
            .collect();
        party.fields = seed_fields(&mut db, &p.fields);
        db.parties.insert(id, party);
    }

    // Opportunities.
    let mut opp_ids: HashMap<u64, u64> = HashMap::new();
    for o in &data.opportunities {
        let party = if o.party_is_person {
            person_ids.get(&o.party_id)
        } else {
            org_ids.get(&o.party_id)
        };
        let (Some(&party), Some(ms)) = (party, db.milestones.get(&o.stage_id).cloned()) else {
            continue;
        };
        let id = tenant_id(&opp_seq, o.id);
        opp_ids.insert(o.id, id);
        let lost_reason = if ms.is_lost() {
            o.lost_reason
                .as_deref()
                .map(|r| named(&mut db.lost_reasons, r))
        } else {
            None
        };
        let last_open = if ms.complete {
            db.pipeline_milestones(ms.pipeline)
                .into_iter()
                .rev()
                .find(|m| !m.complete)
                .map(|m| m.id)
        } else {
            None
        };
        let tags = o
            .tags
            .iter()
            .map(|t| tag_by_name(&mut db, TagScope::Opportunity, t))
            .collect();
        let fields = seed_fields(&mut db, &o.fields);
        db.opportunities.insert(
            id,
            Opportunity {
                id,
                name: o.name.clone(),
                description: o.description.clone(),
                party,
                milestone: ms.id,
                last_open_milestone: last_open,
                lost_reason,
                amount: Some(o.amount.clone()),
                currency: Some(o.currency.clone()),
                expected_close_on: o.expected_close_on,
                probability: if ms.complete {
                    ms.probability
                } else {
                    o.probability.min(100)
                },
                duration_basis: "FIXED".into(),
                duration: None,
                closed_on: if ms.complete {
                    o.closed_on.or(Some(o.updated_at.date_naive()))
                } else {
                    None
                },
                owner: known_user(&db, o.owner_id),
                tags,
                fields,
                additional_parties: Vec::new(),
                created_at: o.created_at,
                updated_at: o.updated_at,
                last_stage_changed_at: Some(o.updated_at),
                last_contacted_at: None,
            },
        );
    }

    // Tasks.
    for t in &data.tasks {
        let id = tenant_id(&task_seq, t.id);
        let category = t.category.as_deref().map(|c| named(&mut db.categories, c));
        let party = t.person_id.and_then(|p| person_ids.get(&p).copied());
        let opportunity = if party.is_none() {
            t.opportunity_id.and_then(|o| opp_ids.get(&o).copied())
        } else {
            None
        };
        let owner = known_user(&db, t.owner_id);
        // An open task of a closed opportunity reads as PENDING.
        let closed = opportunity
            .and_then(|o| db.opportunities.get(&o))
            .and_then(|o| db.milestones.get(&o.milestone))
            .is_some_and(|m| m.complete);
        let status = match (t.completed, closed) {
            (true, _) => "COMPLETED",
            (false, true) => "PENDING",
            (false, false) => "OPEN",
        };
        db.tasks.insert(
            id,
            Task {
                id,
                description: t.description.clone(),
                detail: t.detail.clone(),
                due_on: t.due_on,
                due_time: None,
                status,
                category,
                party,
                opportunity,
                owner,
                completed_at: if t.completed {
                    t.completed_at.or(Some(t.updated_at))
                } else {
                    None
                },
                completed_by: if t.completed { owner } else { None },
                created_at: t.created_at,
                updated_at: t.updated_at,
            },
        );
    }

    // Notes: exactly one link; a person beats an organisation beats an opportunity.
    for n in &data.notes {
        let party = n
            .person_id
            .and_then(|p| person_ids.get(&p).copied())
            .or_else(|| n.organisation_id.and_then(|o| org_ids.get(&o).copied()));
        let opportunity = if party.is_none() {
            n.opportunity_id.and_then(|o| opp_ids.get(&o).copied())
        } else {
            None
        };
        if party.is_none() && opportunity.is_none() {
            continue;
        }
        let id = tenant_id(&note_seq, n.id);
        let content = if n.title.is_empty() {
            n.content.clone()
        } else {
            format!("{}\n\n{}", n.title, n.content)
        };
        let creator = known_user(&db, n.owner_id).unwrap_or(1);
        db.entries.insert(
            id,
            Entry {
                id,
                content,
                entry_at: n.created_at,
                creator,
                activity_type: -1,
                party,
                opportunity,
                created_at: n.created_at,
                updated_at: n.updated_at,
            },
        );
        if let Some(p) = party.and_then(|p| db.parties.get_mut(&p)) {
            if p.last_contacted_at.is_none_or(|t| t < n.created_at) {
                p.last_contacted_at = Some(n.created_at);
            }
        }
    }
    db
}

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

type SeedRows<'a> = (
    &'a [(String, String)],
    &'a [(String, String)],
    &'a [(String, String)],
    &'a [seed::Address],
);

fn fill_rows(db: &mut Db, party: &mut Party, (emails, phones, websites, addresses): SeedRows<'_>) {
    for (kind, address) in emails {
        let id = db.row_id();
        party.emails.push(EmailRow {
            id,
            kind: Some(kind.clone()),
            address: address.clone(),
        });
    }
    for (kind, number) in phones {
        let id = db.row_id();
        party.phones.push(PhoneRow {
            id,
            kind: Some(kind.clone()),
            number: number.clone(),
        });
    }
    for (service, address) in websites {
        let id = db.row_id();
        let service = if WEBSITE_SERVICES.contains(&service.as_str()) {
            service.clone()
        } else {
            "URL".to_string()
        };
        party.websites.push(WebsiteRow {
            id,
            kind: None,
            address: address.clone(),
            service,
        });
    }
    for a in addresses {
        let id = db.row_id();
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        party.addresses.push(AddressRow {
            id,
            kind: opt(&a.kind),
            street: opt(&a.street),
            city: opt(&a.city),
            state: opt(&a.state),
            country: opt(&a.country),
            zip: opt(&a.zip),
        });
    }
}

fn seed_fields(db: &mut Db, values: &[(u64, FieldValue)]) -> Vec<FieldRow> {
    values
        .iter()
        .map(|(def, v)| FieldRow {
            id: db.row_id(),
            definition: *def,
            value: field_value(v),
        })
        .collect()
}

/// Which tag namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagScope {
    Party,
    Opportunity,
}

/// Finds a tag definition by name (case-insensitive) or creates it; returns its id.
pub(crate) fn tag_by_name(db: &mut Db, scope: TagScope, name: &str) -> u64 {
    let lower = name.to_lowercase();
    let defs = match scope {
        TagScope::Party => &db.party_tags,
        TagScope::Opportunity => &db.opp_tags,
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
    };
    id
}

fn named(map: &mut BTreeMap<u64, Named>, name: &str) -> u64 {
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

fn default_pipeline() -> seed::Pipeline {
    let stage = |id, name: &str, probability, order, won, lost| seed::Stage {
        id,
        name: name.to_string(),
        probability,
        order,
        won,
        lost,
    };
    seed::Pipeline {
        id: 1,
        name: "Sales".into(),
        stages: vec![
            stage(1, "Lead", 10, 1, false, false),
            stage(2, "Qualified", 25, 2, false, false),
            stage(3, "Proposal", 50, 3, false, false),
            stage(4, "Negotiation", 75, 4, false, false),
            stage(5, "Won", 100, 5, true, false),
            stage(6, "Lost", 0, 6, false, true),
        ],
    }
}
