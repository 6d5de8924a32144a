//! Reference data of the seeded instance: users, custom-field definitions, pipelines and
//! stages, categories, lead statuses and sources, currencies, countries.

use super::*;

pub(super) const USER_BASE: u64 = 500;
pub(super) const PIPELINE_BASE: u64 = 20;
pub(super) const STAGE_BASE: u64 = 30;
pub(super) const OPTION_BASE: u64 = 100;

pub(super) const OPP_CATEGORIES: &[(u64, &str, &str)] = &[
    (11, "Hardware", "1E88E5"),
    (12, "Software", "43A047"),
    (13, "Services", "FB8C00"),
];
pub(super) const TASK_CATEGORIES: &[(u64, &str, &str)] = &[
    (16, "Call", "8E24AA"),
    (17, "Email", "00ACC1"),
    (18, "Follow-up", "F4511E"),
    (19, "Meeting", "6D4C41"),
];
pub(super) const LEAD_SOURCES: &[(u64, &str)] = &[
    (71, "Web"),
    (72, "Referral"),
    (73, "Trade fair"),
    (74, "Cold call"),
    (75, "Partner"),
];
pub(super) const LEAD_STATUSES: &[(u64, &str, u8)] = &[
    (81, "Not Contacted", 1),
    (82, "Attempted Contact", 1),
    (83, "Contacted", 1),
    (84, "Qualified", 1),
    (85, "Disqualified", 2),
];
/// The converted status: set only by the web app's Convert action, hidden from
/// `GET /LeadStatuses` unless `include_converted=true` (docs/vendors/insightly-v3.1-addendum.md,
/// "Leads"). Its `STATUS_TYPE` code is undocumented; the simulator uses 3.
pub(crate) const CONVERTED_LEAD_STATUS: (u64, &str, u8) = (86, "Converted", 3);
pub(super) const INDUSTRIES: &[&str] = &[
    "Retail",
    "Manufacturing",
    "Software",
    "Healthcare",
    "Logistics",
    "Education",
];
pub(super) const CURRENCIES: &[(&str, &str)] = &[
    ("GBP", "£"),
    ("USD", "$"),
    ("EUR", "€"),
    ("JPY", "¥"),
    ("NOK", "kr"),
];
pub(super) const COUNTRIES: &[&str] = &[
    "Australia",
    "Denmark",
    "France",
    "Germany",
    "Italy",
    "Japan",
    "Norway",
    "Poland",
    "Spain",
    "Sweden",
    "United Kingdom",
    "United States",
];

/// What converting the records needs from the reference data.
pub(super) struct SeedRefs {
    /// Custom-field definitions by seed definition id.
    pub(super) by_seed_id: HashMap<u64, CfDef>,
    /// Seed stage → (pipeline, stage).
    pub(super) stage_map: HashMap<u64, (u64, u64)>,
    /// Seed stage → (won, lost).
    pub(super) stage_flags: HashMap<u64, (bool, bool)>,
}

/// Users, custom-field definitions, pipelines and stages, reference lists.
pub(super) fn seed_reference(db: &mut Db, d: &Dataset, base_time: &str) -> SeedRefs {
    // Users.
    let tz = [
        "GMT Standard Time",
        "Romance Standard Time",
        "Pacific Standard Time",
        "Tokyo Standard Time",
    ];
    let cur = ["GBP", "EUR", "USD", "JPY"];
    for (i, u) in d.users.iter().enumerate() {
        let id = USER_BASE + u.id;
        db.user_ids.insert(id);
        db.users.push(Ordered(vec![
            ("USER_ID", id.into()),
            ("FIRST_NAME", u.first_name.clone().into()),
            ("LAST_NAME", u.last_name.clone().into()),
            ("EMAIL_ADDRESS", u.email.clone().into()),
            ("ACTIVE", (i < 3).into()),
            ("ADMINISTRATOR", u.admin.into()),
            ("ACCOUNT_OWNER", (i == 0).into()),
            ("TIMEZONE_ID", tz[i % tz.len()].into()),
            ("USER_CURRENCY", cur[i % cur.len()].into()),
            ("CONTACT_ID", Value::Null),
            ("CONTACT_DISPLAY", "FirstLast".into()),
            ("CONTACT_ORDER", "LastFirst".into()),
            (
                "EMAIL_DROPBOX_ADDRESS",
                format!("dropbox-{}@mailbox.example.com", 123_456 + id).into(),
            ),
            (
                "EMAIL_DROPBOX_IDENTIFIER",
                (123_456 + id).to_string().into(),
            ),
            ("INSTANCE_ID", 880_001.into()),
            ("PROFILE_ID", (if u.admin { 1 } else { 2 }).into()),
            ("ROLE_ID", Value::Null),
            ("TASK_WEEK_START", 1.into()),
            ("DATE_CREATED_UTC", base_time.into()),
            ("DATE_UPDATED_UTC", base_time.into()),
        ]));
    }
    let admin = USER_BASE + d.users.first().map_or(1, |u| u.id);

    // Custom field definitions: party fields on contacts and organisations.
    let mut option_id = OPTION_BASE;
    let mut by_seed_id: HashMap<u64, CfDef> = HashMap::new();
    for (order, f) in d.fields.iter().enumerate() {
        let (ty, options) = match &f.kind {
            FieldKind::Text => ("TEXT", vec![]),
            FieldKind::Number => ("NUMERIC", vec![]),
            FieldKind::Decimal => ("CURRENCY", vec![]),
            FieldKind::Date => ("DATE", vec![]),
            FieldKind::DateTime => ("DATETIME", vec![]),
            FieldKind::Boolean => ("BIT", vec![]),
            FieldKind::SingleChoice(o) => ("DROPDOWN", o.clone()),
            FieldKind::MultiChoice(o) => ("MULTISELECT", o.clone()),
            FieldKind::Url => ("URL", vec![]),
        };
        let options = options
            .into_iter()
            .map(|o| {
                option_id += 1;
                (option_id, o)
            })
            .collect();
        let def = CfDef {
            name: api_field_name(&f.name),
            label: f.name.clone(),
            ty,
            options,
            order: order as u32 + 1,
            extra: None,
        };
        let kinds: &[Kind] = if f.applies_to == "party" {
            &[Kind::Contact, Kind::Organisation]
        } else {
            &[Kind::Opportunity]
        };
        for k in kinds {
            let list = db.custom_defs.entry(*k).or_default();
            let mut d2 = def.clone();
            d2.order = list.len() as u32 + 1;
            list.push(d2);
        }
        by_seed_id.insert(f.id, def);
    }

    // Pipelines and their open stages (Insightly has no won/lost stages).
    let mut pipelines = Vec::new();
    let mut stages = Vec::new();
    let mut stage_map: HashMap<u64, (u64, u64)> = HashMap::new(); // seed stage → (pipeline, stage)
    for p in &d.pipelines {
        let pid = PIPELINE_BASE + p.id;
        pipelines.push(Ordered(vec![
            ("PIPELINE_ID", pid.into()),
            ("PIPELINE_NAME", p.name.clone().into()),
            ("FOR_OPPORTUNITIES", true.into()),
            ("FOR_PROJECTS", false.into()),
            ("OWNER_USER_ID", admin.into()),
        ]));
        let mut order = 0u32;
        let mut last_open = None;
        for s in &p.stages {
            if s.won || s.lost {
                continue;
            }
            order += 1;
            let sid = STAGE_BASE + s.id;
            last_open = Some(sid);
            db.stage_pipeline.insert(sid, pid);
            stage_map.insert(s.id, (pid, sid));
            stages.push(Ordered(vec![
                ("STAGE_ID", sid.into()),
                ("PIPELINE_ID", pid.into()),
                ("STAGE_NAME", s.name.clone().into()),
                ("STAGE_ORDER", order.into()),
                ("ACTIVITYSET_ID", Value::Null),
                ("OWNER_USER_ID", admin.into()),
            ]));
        }
        for s in &p.stages {
            if s.won || s.lost {
                if let Some(sid) = last_open {
                    stage_map.insert(s.id, (pid, sid));
                }
            }
        }
    }
    let stage_flags: HashMap<u64, (bool, bool)> = d
        .pipelines
        .iter()
        .flat_map(|p| p.stages.iter().map(|s| (s.id, (s.won, s.lost))))
        .collect();

    let mut reasons: Vec<Ordered> = vec![Ordered(vec![
        ("STATE_REASON_ID", 61.into()),
        ("STATE_REASON", "Best fit".into()),
        ("FOR_OPPORTUNITY_STATE", "Won".into()),
    ])];
    let mut reason_names: Vec<String> = d
        .opportunities
        .iter()
        .filter_map(|o| o.lost_reason.clone())
        .collect();
    reason_names.sort();
    reason_names.dedup();
    for (i, r) in reason_names.iter().enumerate() {
        reasons.push(Ordered(vec![
            ("STATE_REASON_ID", (62 + i as u64).into()),
            ("STATE_REASON", r.clone().into()),
            ("FOR_OPPORTUNITY_STATE", "Lost".into()),
        ]));
    }
    let category = |(id, name, color): &(u64, &str, &str)| {
        Ordered(vec![
            ("CATEGORY_ID", (*id).into()),
            ("CATEGORY_NAME", (*name).into()),
            ("ACTIVE", true.into()),
            ("BACKGROUND_COLOR", (*color).into()),
        ])
    };
    db.refs = vec![
        RefTable {
            path: "Pipelines",
            id_key: "PIPELINE_ID",
            rows: pipelines,
        },
        RefTable {
            path: "PipelineStages",
            id_key: "STAGE_ID",
            rows: stages,
        },
        RefTable {
            path: "OpportunityCategories",
            id_key: "CATEGORY_ID",
            rows: OPP_CATEGORIES.iter().map(category).collect(),
        },
        RefTable {
            path: "TaskCategories",
            id_key: "CATEGORY_ID",
            rows: TASK_CATEGORIES.iter().map(category).collect(),
        },
        RefTable {
            path: "ProjectCategories",
            id_key: "CATEGORY_ID",
            rows: vec![],
        },
        RefTable {
            path: "OpportunityStateReasons",
            id_key: "STATE_REASON_ID",
            rows: reasons,
        },
        RefTable {
            path: "LeadStatuses",
            id_key: "LEAD_STATUS_ID",
            rows: LEAD_STATUSES
                .iter()
                .chain([&CONVERTED_LEAD_STATUS])
                .enumerate()
                .map(|(i, (id, name, ty))| {
                    Ordered(vec![
                        ("LEAD_STATUS_ID", (*id).into()),
                        ("LEAD_STATUS", (*name).into()),
                        ("DEFAULT_STATUS", (i == 0).into()),
                        ("STATUS_TYPE", (*ty).into()),
                        ("FIELD_ORDER", (i as u64 + 1).into()),
                    ])
                })
                .collect(),
        },
        RefTable {
            path: "LeadSources",
            id_key: "LEAD_SOURCE_ID",
            rows: LEAD_SOURCES
                .iter()
                .enumerate()
                .map(|(i, (id, name))| {
                    Ordered(vec![
                        ("LEAD_SOURCE_ID", (*id).into()),
                        ("LEAD_SOURCE", (*name).into()),
                        ("DEFAULT_VALUE", (i == 0).into()),
                        ("FIELD_ORDER", (i as u64 + 1).into()),
                    ])
                })
                .collect(),
        },
        RefTable {
            path: "Currencies",
            id_key: "CURRENCY_CODE",
            rows: CURRENCIES
                .iter()
                .map(|(c, s)| {
                    Ordered(vec![
                        ("CURRENCY_CODE", (*c).into()),
                        ("CURRENCY_SYMBOL", (*s).into()),
                    ])
                })
                .collect(),
        },
        RefTable {
            path: "Countries",
            id_key: "COUNTRY_NAME",
            rows: COUNTRIES
                .iter()
                .map(|c| Ordered(vec![("COUNTRY_NAME", (*c).into())]))
                .collect(),
        },
        RefTable {
            path: "Relationships",
            id_key: "RELATIONSHIP_ID",
            rows: vec![],
        },
        RefTable {
            path: "Teams",
            id_key: "TEAM_ID",
            rows: vec![],
        },
    ];

    SeedRefs {
        by_seed_id,
        stage_map,
        stage_flags,
    }
}
