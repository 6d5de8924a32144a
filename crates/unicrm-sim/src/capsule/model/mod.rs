//! The simulator's in-memory tenant: Capsule-shaped records and the tenant state; their JSON
//! rendering ([`render`]), country names ([`countries`]) and the conversion of the
//! vendor-neutral seed [`Dataset`] ([`seeding`]).

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
    /// The project the task belongs to (docs/vendors/capsule-v2-addendum.md, Tracks, and
    /// task status).
    pub kase: Option<u64>,
    /// Created by a track (`hasTrack`; docs/vendors/capsule-v2-addendum.md, "Tasks created
    /// by tracks").
    pub has_track: bool,
    pub owner: Option<u64>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: u64,
    /// `note`, `email` or `task`.
    pub kind: &'static str,
    pub content: String,
    /// Emails only.
    pub subject: Option<String>,
    pub entry_at: DateTime<Utc>,
    pub creator: u64,
    pub activity_type: i64,
    pub party: Option<u64>,
    pub opportunity: Option<u64>,
    /// Emails only: everyone the email was filed against.
    pub parties: Vec<u64>,
    /// Emails only: sender and recipients.
    pub participants: Vec<Participant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A participant of an email entry: `{id, name, address, role}` (the shape is undocumented:
/// docs/vendors/capsule-v2-addendum.md, "Uncertain" #6).
#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub id: u64,
    pub name: String,
    pub address: String,
    /// `FROM`, `TO`, `CC`, `BCC`.
    pub role: &'static str,
}

/// An activity type (`/activitytypes`): built-ins have negative ids.
#[derive(Debug, Clone)]
pub(crate) struct ActivityType {
    pub id: i64,
    pub name: String,
    /// `NOTE`, `MEETING`, `PHONE`, …
    pub icon: String,
    pub update_last_contacted: bool,
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
    /// Activity types by id (built-ins -1..-3 and custom ones).
    pub activity_types: BTreeMap<i64, ActivityType>,
    /// Whether the tenant is on the Teams edition (activity types can be written).
    pub teams_edition: bool,
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
    /// Projects, boards, stages, teams, project tags and field definitions.
    pub kases: KaseStore,
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
}

mod activities;
mod countries;
mod kases;
mod records;
mod render;
mod seeding;

pub(crate) use countries::*;
pub(crate) use kases::*;
pub(crate) use records::*;
pub(crate) use render::*;
pub(crate) use seeding::*;
