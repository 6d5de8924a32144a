//! The word lists names, places and texts are picked from.

/// First names as (display, ascii slug for email addresses).
pub(super) const FIRST_NAMES: &[(&str, &str)] = &[
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
pub(super) const LAST_NAMES: &[(&str, &str)] = &[
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

pub(super) const ORG_FIRST: &[&str] = &[
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

pub(super) const ORG_SECOND: &[&str] = &[
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

pub(super) const ORG_SUFFIX: &[&str] = &[
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

pub(super) const JOB_TITLES: &[&str] = &[
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

pub(super) const TITLES: &[&str] = &["Dr", "Mr", "Ms", "Mrs", "Prof", "Mme", "Sr."];

/// Address templates: (street, city, state, zip, country).
pub(super) const PLACES: &[(&str, &str, &str, &str, &str)] = &[
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

pub(super) const TAGS: &[&str] = &[
    "VIP",
    "Prospect",
    "Customer",
    "Partner",
    "Newsletter",
    "événement-2024",
    "Churn risk",
    "Reseller",
];

pub(super) const CURRENCIES: &[&str] = &["GBP", "USD", "EUR"];

pub(super) const LOST_REASONS: &[&str] = &[
    "Price",
    "Went with competitor",
    "No budget",
    "Timing",
    "No decision",
];

pub(super) const TASK_TITLES: &[&str] = &[
    "Send proposal",
    "Follow up call",
    "Book demo",
    "Prepare contract",
    "Check in after onboarding",
    "Send invoice",
    "Réunion de suivi",
];

pub(super) const TASK_CATEGORIES: &[&str] = &["Call", "Email", "Follow-up", "Meeting"];

pub(super) const NOTE_TITLES: &[&str] = &[
    "Call",
    "Meeting notes",
    "Intro",
    "Budget discussion",
    "Site visit",
    "Notes de réunion",
];

pub(super) const NOTE_BODIES: &[&str] = &[
    "Discussed phase 2 — budget approved in Q2.",
    "Prefers email.\nCall back next week.",
    "Met at the Lyon trade fair.",
    "Asked for a quote via the web form.",
    "予算は第2四半期に承認されました。",
    "Wants a discount of 5% for a 2-year term.",
];

pub(super) const OPP_NOUNS: &[&str] = &[
    "Warehouse lighting retrofit",
    "CRM rollout",
    "Annual support renewal",
    "Fleet telematics",
    "Office fit-out",
    "Éclairage entrepôt",
    "Data migration",
    "Security audit",
];
