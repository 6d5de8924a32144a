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

/// First names as (display, ascii slug for email addresses).
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Ada", "ada"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Søren", "soren"),
    ("太郎", "taro"),
    ("Grace", "grace"),
    ("Łucja", "lucja"),
    ("François", "francois"),
    ("Amélie", "amelie"),
    ("Björn", "bjorn"),
    ("Chloé", "chloe"),
    ("Diego", "diego"),
    ("Émile", "emile"),
    ("Fatima", "fatima"),
    ("Günter", "gunter"),
    ("Hana", "hana"),
    ("Ingrid", "ingrid"),
    ("Jürgen", "jurgen"),
    ("Kateřina", "katerina"),
    ("Linnea", "linnea"),
    ("María", "maria"),
    ("Nikolai", "nikolai"),
    ("Oluwaseun", "oluwaseun"),
    ("Priya", "priya"),
    ("Raphaël", "raphael"),
    ("Siobhán", "siobhan"),
    ("Tomás", "tomas"),
    ("Ulrike", "ulrike"),
    ("Wei", "wei"),
    ("Yusuf", "yusuf"),
    ("花子", "hanako"),
    ("Alan", "alan"),
    ("Margaret", "margaret"),
    ("Linus", "linus"),
];

/// Last names as (display, ascii slug).
const LAST_NAMES: &[(&str, &str)] = &[
    ("Łukasiewicz", "lukasiewicz"),
    ("山田", "yamada"),
    ("Núñez", "nunez"),
    ("Château-Müller", "chateau-muller"),
    ("Kierkegaard", "kierkegaard"),
    ("Byron", "byron"),
    ("Hopper", "hopper"),
    ("Øyvindsen", "oyvindsen"),
    ("O'Brien", "obrien"),
    ("Dvořák", "dvorak"),
    ("Smith", "smith"),
    ("García", "garcia"),
    ("Müller", "muller"),
    ("Nakamura", "nakamura"),
    ("Kowalski", "kowalski"),
    ("Ångström", "angstrom"),
    ("Rossi", "rossi"),
    ("Papadopoulos", "papadopoulos"),
    ("Okafor", "okafor"),
    ("Sharma", "sharma"),
    ("Lefèvre", "lefevre"),
    ("van der Berg", "vanderberg"),
    ("Ng", "ng"),
    ("Turing", "turing"),
    ("Hamilton", "hamilton"),
    ("Torvalds", "torvalds"),
    ("Ibáñez", "ibanez"),
    ("Zieliński", "zielinski"),
    ("佐藤", "sato"),
    ("Jensen", "jensen"),
];

const ORG_FIRST: &[&str] = &[
    "Ateliers",
    "Nordlicht",
    "Iluminación",
    "Acme",
    "Blue Harbour",
    "Cedar",
    "Dunmore",
    "Éclat",
    "Fjord",
    "Granite",
    "Helios",
    "Ironbridge",
    "Juniper",
    "Kestrel",
    "Lumière",
    "Meridian",
    "Northwind",
    "Orchard",
    "Pinnacle",
    "Quayside",
    "Riverside",
    "Sakura",
    "Tundra",
    "Umbra",
    "Vértice",
    "Westbrook",
    "Żuraw",
    "富士",
];

const ORG_SECOND: &[&str] = &[
    "Systems",
    "Analytics",
    "Logistics",
    "Foods",
    "Lighting",
    "Consulting",
    "Robotics",
    "Textiles",
    "Energy",
    "Software",
    "Design",
    "Holdings",
    "Labs",
    "Medical",
    "Partners",
];

const ORG_SUFFIX: &[&str] = &[
    "Ltd",
    "SARL",
    "GmbH",
    "S.L.",
    "Inc.",
    "AB",
    "株式会社",
    "Sp. z o.o.",
    "LLC",
    "plc",
];

const JOB_TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "Head of Procurement",
    "Directrice technique",
    "Sales Manager",
    "Office Manager",
    "Jefe de compras",
    "Engineer",
    "Finance Director",
    "Operations Lead",
];

const TITLES: &[&str] = &["Dr", "Mr", "Ms", "Mrs", "Prof", "Mme", "Sr."];

/// Address templates: (street, city, state, zip, country).
const PLACES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "12 rue de la République\nBâtiment B",
        "Lyon",
        "Auvergne-Rhône-Alpes",
        "69002",
        "France",
    ),
    ("1-2-3 Shibuya", "東京", "Tokyo", "150-0002", "Japan"),
    ("Calle de Alcalá 1", "Madrid", "Madrid", "28014", "Spain"),
    (
        "221B Baker Street",
        "London",
        "Greater London",
        "NW1 6XE",
        "United Kingdom",
    ),
    ("Karl Johans gate 22", "Oslo", "Oslo", "0159", "Norway"),
    (
        "1600 Amphitheatre Pkwy",
        "Mountain View",
        "CA",
        "94043",
        "United States",
    ),
    (
        "ul. Marszałkowska 10",
        "Warszawa",
        "Mazowieckie",
        "00-590",
        "Poland",
    ),
    ("Unter den Linden 5", "Berlin", "Berlin", "10117", "Germany"),
    ("Nyhavn 17", "København", "Hovedstaden", "1051", "Denmark"),
    ("Via del Corso 101", "Roma", "Lazio", "00186", "Italy"),
    ("42 Wallaby Way", "Sydney", "NSW", "2000", "Australia"),
    (
        "Drottninggatan 3",
        "Stockholm",
        "Stockholm",
        "111 51",
        "Sweden",
    ),
];

const TAGS: &[&str] = &[
    "VIP",
    "Prospect",
    "Customer",
    "Partner",
    "Newsletter",
    "événement-2024",
    "Churn risk",
    "Reseller",
];

const CURRENCIES: &[&str] = &["GBP", "USD", "EUR"];

const LOST_REASONS: &[&str] = &[
    "Price",
    "Went with competitor",
    "No budget",
    "Timing",
    "No decision",
];

const TASK_TITLES: &[&str] = &[
    "Send proposal",
    "Follow up call",
    "Book demo",
    "Prepare contract",
    "Check in after onboarding",
    "Send invoice",
    "Réunion de suivi",
];

const TASK_CATEGORIES: &[&str] = &["Call", "Email", "Follow-up", "Meeting"];

const NOTE_TITLES: &[&str] = &[
    "Call",
    "Meeting notes",
    "Intro",
    "Budget discussion",
    "Site visit",
    "Notes de réunion",
];

const NOTE_BODIES: &[&str] = &[
    "Discussed phase 2 — budget approved in Q2.",
    "Prefers email.\nCall back next week.",
    "Met at the Lyon trade fair.",
    "Asked for a quote via the web form.",
    "予算は第2四半期に承認されました。",
    "Wants a discount of 5% for a 2-year term.",
];

const OPP_NOUNS: &[&str] = &[
    "Warehouse lighting retrofit",
    "CRM rollout",
    "Annual support renewal",
    "Fleet telematics",
    "Office fit-out",
    "Éclairage entrepôt",
    "Data migration",
    "Security audit",
];

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A random timestamp between two years and one month before [`EPOCH`], with an update time
/// between the creation time and [`EPOCH`].
fn stamps(rng: &mut SmallRng) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = epoch();
    let created = now - Duration::seconds(rng.random_range(30 * 86_400..730 * 86_400));
    let span = (now - created).num_seconds();
    let updated = if rng.random_bool(0.3) {
        created
    } else {
        created + Duration::seconds(rng.random_range(0..=span))
    };
    (created, updated)
}

fn date_near(rng: &mut SmallRng, base: DateTime<Utc>, min_days: i64, max_days: i64) -> NaiveDate {
    (base + Duration::days(rng.random_range(min_days..=max_days))).date_naive()
}

fn choose_tags(rng: &mut SmallRng) -> Vec<String> {
    let n = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=7 => 1,
        8 => 2,
        _ => 3,
    };
    let mut out: Vec<String> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = *pick(rng, TAGS);
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    out
}

fn address(rng: &mut SmallRng, kind: &str) -> Address {
    let (street, city, state, zip, country) = *pick(rng, PLACES);
    Address {
        kind: kind.to_string(),
        street: street.to_string(),
        city: city.to_string(),
        state: state.to_string(),
        zip: zip.to_string(),
        country: country.to_string(),
    }
}

fn phone(rng: &mut SmallRng) -> String {
    match rng.random_range(0..4) {
        0 => format!(
            "+44 20 7{:03} {:04}",
            rng.random_range(0..1000),
            rng.random_range(0..10_000)
        ),
        1 => format!(
            "+33 4 72 {:02} {:02} {:02}",
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        2 => format!("+1 (415) 555-{:04}", rng.random_range(0..10_000)),
        _ => format!(
            "+81 90-{:04}-{:04}",
            rng.random_range(0..10_000),
            rng.random_range(0..10_000)
        ),
    }
}

fn decimal(rng: &mut SmallRng, max_units: u64) -> String {
    let units = rng.random_range(1..=max_units);
    let cents = match rng.random_range(0..4) {
        0 => 0,
        1 => 50,
        _ => rng.random_range(0..100),
    };
    format!("{units}.{cents:02}")
}

/// A value of the right type for `def`.
fn field_value(rng: &mut SmallRng, def: &FieldDef, now: DateTime<Utc>) -> FieldValue {
    match &def.kind {
        FieldKind::Text => FieldValue::Text(pick(rng, NOTE_BODIES).to_string()),
        FieldKind::Number => FieldValue::Number(rng.random_range(1..5_000)),
        FieldKind::Decimal => FieldValue::Decimal(decimal(rng, 250_000)),
        FieldKind::Date => FieldValue::Date(date_near(rng, now, -900, -1)),
        FieldKind::DateTime => {
            FieldValue::DateTime(now - Duration::seconds(rng.random_range(3_600..900 * 86_400)))
        }
        FieldKind::Boolean => FieldValue::Boolean(rng.random_bool(0.5)),
        FieldKind::SingleChoice(options) => FieldValue::Choice(pick(rng, options).clone()),
        FieldKind::MultiChoice(options) => {
            let mut chosen: Vec<String> = options
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .cloned()
                .collect();
            if chosen.is_empty() {
                chosen.push(options[0].clone());
            }
            FieldValue::Choices(chosen)
        }
        FieldKind::Url => FieldValue::Text(format!(
            "https://portal.example.com/c/{}",
            rng.random_range(1000..100_000)
        )),
    }
}

/// Values for the definitions in `defs`: every field when `all`, else a random subset.
fn field_values(
    rng: &mut SmallRng,
    defs: &[&FieldDef],
    all: bool,
    now: DateTime<Utc>,
) -> Vec<(u64, FieldValue)> {
    let mut out = Vec::new();
    for d in defs {
        if all || rng.random_bool(0.45) {
            out.push((d.id, field_value(rng, d, now)));
        }
    }
    out
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn field_defs() -> Vec<FieldDef> {
    let party = "party";
    let opp = "opportunity";
    let defs: Vec<(&str, FieldKind, &'static str)> = vec![
        (
            "Region",
            FieldKind::SingleChoice(strings(&["EMEA", "Americas", "APAC"])),
            party,
        ),
        ("Long notes", FieldKind::Text, party),
        ("Employees", FieldKind::Number, party),
        ("Annual spend", FieldKind::Decimal, party),
        ("Contract start", FieldKind::Date, party),
        ("Last audit at", FieldKind::DateTime, party),
        ("Is partner", FieldKind::Boolean, party),
        (
            "Languages",
            FieldKind::MultiChoice(strings(&["English", "French", "Japanese", "Spanish"])),
            party,
        ),
        ("Portal URL", FieldKind::Url, party),
        (
            "Lead source",
            FieldKind::SingleChoice(strings(&["Web", "Referral", "Trade fair", "Cold call"])),
            party,
        ),
        ("Competitor", FieldKind::Text, opp),
        ("Seats", FieldKind::Number, opp),
        ("Discount", FieldKind::Decimal, opp),
        ("Signed on", FieldKind::Date, opp),
        ("Kick-off at", FieldKind::DateTime, opp),
        ("Renewal", FieldKind::Boolean, opp),
        (
            "Deal size",
            FieldKind::SingleChoice(strings(&["Small", "Medium", "Large"])),
            opp,
        ),
        (
            "Products",
            FieldKind::MultiChoice(strings(&["Hardware", "Software", "Support", "Training"])),
            opp,
        ),
        ("Proposal URL", FieldKind::Url, opp),
    ];
    defs.into_iter()
        .enumerate()
        .map(|(i, (name, kind, applies_to))| FieldDef {
            id: i as u64 + 1,
            name: name.to_string(),
            kind,
            applies_to,
        })
        .collect()
}

fn users() -> Vec<User> {
    let raw = [
        ("Ada", "Byron", "ada@example.com", true),
        ("Søren", "Kierkegaard", "soren@example.com", false),
        ("Grace", "Hopper", "grace@example.com", false),
        ("Chloé", "Lefèvre", "chloe@example.com", false),
    ];
    raw.iter()
        .enumerate()
        .map(|(i, (f, l, e, admin))| User {
            id: i as u64 + 1,
            first_name: f.to_string(),
            last_name: l.to_string(),
            email: e.to_string(),
            admin: *admin,
        })
        .collect()
}

fn pipelines() -> Vec<Pipeline> {
    let raw: [(&str, &[(&str, u8)]); 3] = [
        (
            "New business",
            &[
                ("Qualify", 10),
                ("Propose", 40),
                ("Negotiate", 70),
                ("Won", 100),
                ("Lost", 0),
            ],
        ),
        (
            "Renewals",
            &[
                ("Review", 50),
                ("Quote", 75),
                ("Renewed", 100),
                ("Churned", 0),
            ],
        ),
        (
            "Partnerships",
            &[
                ("Introduction", 20),
                ("Pilot", 50),
                ("Contract", 80),
                ("Signed", 100),
                ("Declined", 0),
            ],
        ),
    ];
    let mut stage_id = 0;
    raw.iter()
        .enumerate()
        .map(|(i, (name, stages))| {
            let n = stages.len();
            Pipeline {
                id: i as u64 + 1,
                name: name.to_string(),
                stages: stages
                    .iter()
                    .enumerate()
                    .map(|(j, (sname, prob))| {
                        stage_id += 1;
                        Stage {
                            id: stage_id,
                            name: sname.to_string(),
                            probability: *prob,
                            order: j as u32 + 1,
                            won: j + 2 == n,
                            lost: j + 1 == n,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Generates the dataset for `options`. Deterministic: same options, same dataset.
///
/// Ids of every record type start at 1 and are dense. Timestamps lie in the two years
/// before [`EPOCH`] (2025-01-01), with `updated_at >= created_at`.
pub fn generate(options: SeedOptions) -> Dataset {
    let mut rng = SmallRng::seed_from_u64(options.seed);
    let now = epoch();
    let n_people = options.records;
    let n_orgs = if n_people == 0 {
        0
    } else {
        n_people.div_ceil(3)
    };
    let n_opps = n_people / 2;
    let n_tasks = n_people / 2;
    let n_notes = n_people / 2;

    let users = users();
    let n_users = users.len() as u64;
    let fields = field_defs();
    let party_defs: Vec<&FieldDef> = fields.iter().filter(|f| f.applies_to == "party").collect();
    let opp_defs: Vec<&FieldDef> = fields
        .iter()
        .filter(|f| f.applies_to == "opportunity")
        .collect();
    let pipelines = pipelines();

    // Organisations, with unique names.
    let mut names: HashSet<String> = HashSet::with_capacity(n_orgs);
    let mut base_counts: HashMap<String, usize> = HashMap::new();
    let mut organisations = Vec::with_capacity(n_orgs);
    for i in 0..n_orgs {
        let id = i as u64 + 1;
        let base = format!(
            "{} {} {}",
            pick(&mut rng, ORG_FIRST),
            pick(&mut rng, ORG_SECOND),
            pick(&mut rng, ORG_SUFFIX)
        );
        let seen = base_counts.entry(base.clone()).or_insert(0);
        *seen += 1;
        let mut k = *seen;
        let mut name = if k == 1 {
            base.clone()
        } else {
            format!("{base} {k}")
        };
        while names.contains(&name) {
            k += 1;
            name = format!("{base} {k}");
        }
        *seen = k;
        names.insert(name.clone());
        let domain = format!("org{id}.example.com");
        let (created_at, updated_at) = stamps(&mut rng);
        let mut emails = vec![("Work".to_string(), format!("info@{domain}"))];
        if rng.random_bool(0.5) {
            emails.push(("Work".to_string(), format!("sales@{domain}")));
        }
        let mut phones = vec![("Work".to_string(), phone(&mut rng))];
        if rng.random_bool(0.3) {
            phones.push(("Fax".to_string(), phone(&mut rng)));
        }
        let mut websites = vec![("URL".to_string(), format!("https://{domain}"))];
        if rng.random_bool(0.3) {
            websites.push((
                "LINKED_IN".to_string(),
                format!("https://www.linkedin.com/company/org{id}"),
            ));
        }
        let mut addresses = vec![address(&mut rng, "Billing")];
        if rng.random_bool(0.4) {
            addresses.push(address(&mut rng, "Shipping"));
        }
        organisations.push(Organisation {
            id,
            name,
            about: rng.random_bool(0.5).then(|| {
                format!(
                    "{} customer since {}.",
                    pick(&mut rng, ORG_SECOND),
                    created_at.format("%Y")
                )
            }),
            emails,
            phones,
            websites,
            addresses,
            tags: choose_tags(&mut rng),
            fields: field_values(&mut rng, &party_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // People. Organisations come into use in id order, each just before its first person
    // (the account's creation order, see `creation_order`); later people also join
    // organisations created earlier.
    let mut people = Vec::with_capacity(n_people);
    let mut orgs_in_use: u64 = 0;
    for i in 0..n_people {
        let id = i as u64 + 1;
        let (first, first_slug) = *pick(&mut rng, FIRST_NAMES);
        let (last, last_slug) = *pick(&mut rng, LAST_NAMES);
        let organisation_id = (n_orgs > 0 && (i < 3 || rng.random_bool(0.9))).then(|| {
            let left_orgs = n_orgs as u64 - orgs_in_use;
            let left_people = (n_people - i) as u64;
            let new_org =
                orgs_in_use == 0 || (left_orgs > 0 && rng.random_range(0..left_people) < left_orgs);
            if new_org {
                orgs_in_use += 1;
                orgs_in_use
            } else {
                rng.random_range(1..=orgs_in_use)
            }
        });
        let (created_at, updated_at) = stamps(&mut rng);
        let mut emails = vec![(
            "Work".to_string(),
            format!("{first_slug}.{last_slug}.{id}@example.com"),
        )];
        if i < 3 || rng.random_bool(0.4) {
            emails.push((
                "Home".to_string(),
                format!("{first_slug}{id}@mail.example.org"),
            ));
        }
        let mut phones = vec![("Work".to_string(), phone(&mut rng))];
        if i < 3 || rng.random_bool(0.5) {
            phones.push(("Mobile".to_string(), phone(&mut rng)));
        }
        if rng.random_bool(0.15) {
            phones.push(("Home".to_string(), phone(&mut rng)));
        }
        let mut websites = Vec::new();
        if rng.random_bool(0.4) {
            websites.push((
                "LINKED_IN".to_string(),
                format!("https://www.linkedin.com/in/{first_slug}-{last_slug}-{id}"),
            ));
        }
        if rng.random_bool(0.2) {
            websites.push(("TWITTER".to_string(), format!("@{first_slug}{id}")));
        }
        let mut addresses = Vec::new();
        if i < 3 || rng.random_bool(0.7) {
            addresses.push(address(&mut rng, "Work"));
        }
        if i < 3 || rng.random_bool(0.2) {
            addresses.push(address(&mut rng, "Home"));
        }
        let mut tags = choose_tags(&mut rng);
        if i == 0 && !tags.iter().any(|t| t == "VIP") {
            tags.push("VIP".to_string());
        }
        people.push(Person {
            id,
            title: rng
                .random_bool(0.3)
                .then(|| pick(&mut rng, TITLES).to_string()),
            first_name: first.to_string(),
            last_name: last.to_string(),
            job_title: rng
                .random_bool(0.7)
                .then(|| pick(&mut rng, JOB_TITLES).to_string()),
            organisation_id,
            about: rng
                .random_bool(0.3)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            emails,
            phones,
            websites,
            addresses,
            tags,
            fields: field_values(&mut rng, &party_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Opportunities.
    let mut opportunities = Vec::with_capacity(n_opps);
    for i in 0..n_opps {
        let id = i as u64 + 1;
        let pipeline = &pipelines[i % pipelines.len()];
        // The first few cycle through a won and a lost stage so both always exist.
        let stage = match i {
            0 => &pipeline.stages[pipeline.stages.len() - 2],
            1 => &pipeline.stages[pipeline.stages.len() - 1],
            _ => pick(&mut rng, &pipeline.stages),
        };
        let party_is_person = n_orgs == 0 || rng.random_bool(0.3);
        let party_id = if party_is_person {
            rng.random_range(1..=n_people as u64)
        } else {
            rng.random_range(1..=n_orgs as u64)
        };
        let (created_at, updated_at) = stamps(&mut rng);
        let closed = stage.won || stage.lost;
        let closed_on = closed.then(|| updated_at.date_naive());
        let expected_close_on = if closed {
            closed_on
        } else {
            rng.random_bool(0.8)
                .then(|| date_near(&mut rng, now, 7, 240))
        };
        opportunities.push(Opportunity {
            id,
            name: format!("{} — {}", pick(&mut rng, OPP_NOUNS), id),
            description: rng
                .random_bool(0.5)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            party_id,
            party_is_person,
            pipeline_id: pipeline.id,
            stage_id: stage.id,
            amount: if i == 0 {
                "12000.50".to_string()
            } else {
                decimal(&mut rng, 150_000)
            },
            currency: CURRENCIES[i % CURRENCIES.len()].to_string(),
            probability: stage.probability,
            expected_close_on,
            closed_on,
            lost_reason: stage.lost.then(|| pick(&mut rng, LOST_REASONS).to_string()),
            tags: choose_tags(&mut rng),
            fields: field_values(&mut rng, &opp_defs, i == 0, now),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Tasks.
    let mut tasks = Vec::with_capacity(n_tasks);
    for i in 0..n_tasks {
        let id = i as u64 + 1;
        let (created_at, updated_at) = stamps(&mut rng);
        let completed = i == 0 || (i != 1 && rng.random_bool(0.35));
        let person_id =
            (n_people > 0 && rng.random_bool(0.7)).then(|| rng.random_range(1..=n_people as u64));
        let opportunity_id = (n_opps > 0 && (person_id.is_none() || rng.random_bool(0.3)))
            .then(|| rng.random_range(1..=n_opps as u64));
        tasks.push(Task {
            id,
            description: pick(&mut rng, TASK_TITLES).to_string(),
            detail: rng
                .random_bool(0.5)
                .then(|| pick(&mut rng, NOTE_BODIES).to_string()),
            due_on: date_near(&mut rng, created_at, 1, 60),
            completed,
            completed_at: completed.then_some(updated_at),
            person_id,
            opportunity_id,
            category: rng
                .random_bool(0.6)
                .then(|| pick(&mut rng, TASK_CATEGORIES).to_string()),
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    // Notes: exactly one link each.
    let mut notes = Vec::with_capacity(n_notes);
    for i in 0..n_notes {
        let id = i as u64 + 1;
        let (created_at, updated_at) = stamps(&mut rng);
        let (mut person_id, mut organisation_id, mut opportunity_id) = (None, None, None);
        match (i % 3, n_orgs > 0, n_opps > 0) {
            (1, true, _) => organisation_id = Some(rng.random_range(1..=n_orgs as u64)),
            (2, _, true) => opportunity_id = Some(rng.random_range(1..=n_opps as u64)),
            _ => person_id = Some(rng.random_range(1..=n_people as u64)),
        }
        notes.push(Note {
            id,
            title: pick(&mut rng, NOTE_TITLES).to_string(),
            content: pick(&mut rng, NOTE_BODIES).to_string(),
            person_id,
            organisation_id,
            opportunity_id,
            owner_id: rng.random_range(1..=n_users),
            created_at,
            updated_at,
        });
    }

    let mut data = Dataset {
        users,
        fields,
        tags: TAGS.iter().map(|t| t.to_string()).collect(),
        organisations,
        people,
        pipelines,
        opportunities,
        tasks,
        notes,
    };
    restamp(&mut data, options.seed);
    data
}

/// Which party a step of [`creation_order`] creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRef {
    /// The organisation with this dataset id.
    Organisation(u64),
    /// The person with this dataset id.
    Person(u64),
}

/// The order in which the account's organisations and people were created, as in a real
/// account: each organisation just before its first person, people interleaved with the
/// organisations they join (and some with none). Ids of each type increase along it, and so
/// do `created_at` across both types (strictly: one second at least between two creations).
pub fn creation_order(data: &Dataset) -> Vec<PartyRef> {
    let mut out = Vec::with_capacity(data.organisations.len() + data.people.len());
    let mut next_org = 1u64;
    for p in &data.people {
        if let Some(o) = p.organisation_id {
            while next_org <= o {
                out.push(PartyRef::Organisation(next_org));
                next_org += 1;
            }
        }
        out.push(PartyRef::Person(p.id));
    }
    while next_org <= data.organisations.len() as u64 {
        out.push(PartyRef::Organisation(next_org));
        next_org += 1;
    }
    out
}

/// A random update time for a record created at `created`: never updated (30 %), or at a
/// random time between `created` and the epoch.
fn updated_after(rng: &mut SmallRng, created: DateTime<Utc>) -> DateTime<Utc> {
    let span = (epoch() - created).num_seconds().max(0);
    if rng.random_bool(0.3) {
        created
    } else {
        created + Duration::seconds(rng.random_range(0..=span))
    }
}

/// Increasing creation times for `n` records between two years and one month before the
/// epoch, at least one second apart.
fn increasing_times(rng: &mut SmallRng, n: usize) -> Vec<DateTime<Utc>> {
    let start = epoch() - Duration::days(730);
    let span = 700 * 86_400_i64;
    let n_i = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let mean_gap = (span / n_i).max(1);
    let mut t = start;
    (0..n)
        .map(|_| {
            t += Duration::seconds(1 + rng.random_range(0..2 * mean_gap));
            t
        })
        .collect()
}

/// Gives every record a creation time that increases with its id: parties in
/// [`creation_order`] (organisations interleaved with their people), and opportunities, tasks
/// and notes each in id order. Update times are at or after creation.
fn restamp(data: &mut Dataset, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5EED_0DE7_C0DE_0002);
    let order = creation_order(data);
    let times = increasing_times(&mut rng, order.len());
    for (step, created) in order.iter().zip(times) {
        let updated = updated_after(&mut rng, created);
        let (c, u) = match *step {
            PartyRef::Organisation(id) => {
                let o = &mut data.organisations[(id - 1) as usize];
                (&mut o.created_at, &mut o.updated_at)
            }
            PartyRef::Person(id) => {
                let p = &mut data.people[(id - 1) as usize];
                (&mut p.created_at, &mut p.updated_at)
            }
        };
        *c = created;
        *u = updated;
    }
    let times = increasing_times(&mut rng, data.opportunities.len());
    for (o, created) in data.opportunities.iter_mut().zip(times) {
        o.created_at = created;
        o.updated_at = updated_after(&mut rng, created);
        if o.closed_on.is_some() {
            o.closed_on = Some(o.updated_at.date_naive());
            o.expected_close_on = o.closed_on;
        }
    }
    let times = increasing_times(&mut rng, data.tasks.len());
    for (t, created) in data.tasks.iter_mut().zip(times) {
        t.created_at = created;
        t.updated_at = updated_after(&mut rng, created);
        t.due_on = (created + Duration::days(rng.random_range(1..=60))).date_naive();
        if t.completed {
            t.completed_at = Some(t.updated_at);
        }
    }
    let times = increasing_times(&mut rng, data.notes.len());
    for (n, created) in data.notes.iter_mut().zip(times) {
        n.created_at = created;
        n.updated_at = updated_after(&mut rng, created);
    }
}
