//! Deterministic, vendor-neutral seed data shared by both simulators.
//!
//! [`generate`] turns a seed and a record count into a linked [`Dataset`]: users, organisations,
//! people working at them (several emails, phones and addresses, unicode names), tags, custom
//! fields of every type, pipelines with stages, opportunities in several pipelines and
//! currencies, tasks and notes. Each simulator converts it into its own wire records.
//! The same `(seed, records)` always yields the same dataset.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};

/// How much data to generate, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Random seed: the same seed gives the same dataset.
    pub seed: u64,
    /// Number of people (contacts) to generate. Organisations are about a third of that,
    /// opportunities about half, tasks and notes about half each.
    pub records: usize,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            records: 200,
        }
    }
}

/// The type of a custom field definition.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// Whole number.
    Number,
    /// Decimal number (kept as a string to stay exact).
    Decimal,
    /// Calendar date.
    Date,
    /// Date and time (UTC).
    DateTime,
    /// Yes / no.
    Boolean,
    /// One value among `options`.
    SingleChoice(Vec<String>),
    /// Several values among `options`.
    MultiChoice(Vec<String>),
    /// A URL.
    Url,
}

/// A custom field definition, applying to people, organisations or opportunities.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// 1-based id, unique across all definitions.
    pub id: u64,
    /// Display name, e.g. "Lead source".
    pub name: String,
    /// Type of the values.
    pub kind: FieldKind,
    /// Which records it applies to: "party" (people and organisations) or "opportunity".
    pub applies_to: &'static str,
}

/// A typed custom field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text or URL.
    Text(String),
    /// Whole number.
    Number(i64),
    /// Exact decimal as a string, e.g. "1234.50".
    Decimal(String),
    /// Calendar date.
    Date(NaiveDate),
    /// Date and time.
    DateTime(DateTime<Utc>),
    /// Boolean.
    Boolean(bool),
    /// One choice.
    Choice(String),
    /// Several choices.
    Choices(Vec<String>),
}

/// A user of the CRM (owner of records).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// 1-based id.
    pub id: u64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Login email.
    pub email: String,
    /// Whether the user is an administrator.
    pub admin: bool,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    /// "Work", "Home", "Postal", …
    pub kind: String,
    /// Street lines, newline separated.
    pub street: String,
    /// City.
    pub city: String,
    /// State or county.
    pub state: String,
    /// Postcode.
    pub zip: String,
    /// Country name as Capsule spells it (e.g. "United Kingdom").
    pub country: String,
}

/// An organisation (account).
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// 1-based id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Free-text description.
    pub about: Option<String>,
    /// Emails as (kind, address).
    pub emails: Vec<(String, String)>,
    /// Phones as (kind, number).
    pub phones: Vec<(String, String)>,
    /// Websites as (service, address), service "URL", "LINKED_IN", "TWITTER", …
    pub websites: Vec<(String, String)>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub fields: Vec<(u64, FieldValue)>,
    /// Owner user id.
    pub owner_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time (>= created_at).
    pub updated_at: DateTime<Utc>,
}

/// A person (contact), usually working at an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// 1-based id.
    pub id: u64,
    /// Title such as "Dr".
    pub title: Option<String>,
    /// First name (may contain non-ASCII letters).
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Job title.
    pub job_title: Option<String>,
    /// Organisation id.
    pub organisation_id: Option<u64>,
    /// Free-text background.
    pub about: Option<String>,
    /// Emails as (kind, address); kinds "Work", "Home".
    pub emails: Vec<(String, String)>,
    /// Phones as (kind, number); kinds "Work", "Mobile", "Home", …
    pub phones: Vec<(String, String)>,
    /// Websites as (service, address).
    pub websites: Vec<(String, String)>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub fields: Vec<(u64, FieldValue)>,
    /// Owner user id.
    pub owner_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

/// A pipeline stage (Capsule milestone, Insightly pipeline stage).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// 1-based id, unique across pipelines.
    pub id: u64,
    /// Name, e.g. "Proposal".
    pub name: String,
    /// Win probability in percent.
    pub probability: u8,
    /// Order within the pipeline, from 1.
    pub order: u32,
    /// Whether this stage closes the deal as won.
    pub won: bool,
    /// Whether this stage closes the deal as lost.
    pub lost: bool,
}

/// A sales pipeline with ordered stages.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// 1-based id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Stages, in order.
    pub stages: Vec<Stage>,
}

/// An opportunity (deal).
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    /// 1-based id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Main party: an organisation id or a person id (see `party_is_person`).
    pub party_id: u64,
    /// Whether `party_id` refers to a person (else an organisation).
    pub party_is_person: bool,
    /// Pipeline id.
    pub pipeline_id: u64,
    /// Stage id (belongs to the pipeline).
    pub stage_id: u64,
    /// Amount as an exact decimal string, e.g. "12000.50".
    pub amount: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Win probability in percent.
    pub probability: u8,
    /// Expected close date.
    pub expected_close_on: Option<NaiveDate>,
    /// Date it closed (won or lost stage).
    pub closed_on: Option<NaiveDate>,
    /// Reason it was lost, when lost.
    pub lost_reason: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub fields: Vec<(u64, FieldValue)>,
    /// Owner user id.
    pub owner_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

/// A task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// 1-based id.
    pub id: u64,
    /// Short description (title).
    pub description: String,
    /// Longer detail.
    pub detail: Option<String>,
    /// Due date.
    pub due_on: NaiveDate,
    /// Whether it is completed.
    pub completed: bool,
    /// Completion time, when completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Linked person id, if any.
    pub person_id: Option<u64>,
    /// Linked opportunity id, if any.
    pub opportunity_id: Option<u64>,
    /// Category name such as "Call", "Email", "Follow-up".
    pub category: Option<String>,
    /// Owner user id.
    pub owner_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

/// A note (Capsule entry of type note).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// 1-based id.
    pub id: u64,
    /// Title / subject (may be empty for Capsule, which has none).
    pub title: String,
    /// Body text.
    pub content: String,
    /// Linked person id, if any.
    pub person_id: Option<u64>,
    /// Linked organisation id, if any.
    pub organisation_id: Option<u64>,
    /// Linked opportunity id, if any (exactly one of the three links is set).
    pub opportunity_id: Option<u64>,
    /// Author user id.
    pub owner_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

/// Everything a simulator starts with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// Users (at least 3).
    pub users: Vec<User>,
    /// Custom field definitions, at least one of every [`FieldKind`].
    pub fields: Vec<FieldDef>,
    /// All tag names in use.
    pub tags: Vec<String>,
    /// Organisations.
    pub organisations: Vec<Organisation>,
    /// People.
    pub people: Vec<Person>,
    /// Pipelines (at least 2).
    pub pipelines: Vec<Pipeline>,
    /// Opportunities.
    pub opportunities: Vec<Opportunity>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Notes.
    pub notes: Vec<Note>,
}

/// The fixed "now" of generated data: every generated timestamp is at or before it.
pub const EPOCH: &str = "2025-01-01T00:00:00Z";

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

mod generate;
mod order;
mod words;

pub use generate::generate;
pub use order::{PartyRef, creation_order};
