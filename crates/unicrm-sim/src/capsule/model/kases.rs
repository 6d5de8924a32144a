//! Projects (`kases`), boards, stages, teams, project tags and project field definitions
//! (docs/vendors/capsule-v2-addendum.md, "Projects"), kept in one [`KaseStore`] of the tenant,
//! with their seeds and JSON rendering.

use super::*;

/// A project.
#[derive(Debug, Clone)]
pub(crate) struct Kase {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    /// `OPEN` or `CLOSED`.
    pub status: &'static str,
    pub party: u64,
    pub opportunity: Option<u64>,
    pub owner: Option<u64>,
    pub team: Option<u64>,
    pub stage: Option<u64>,
    pub expected_close_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub tags: Vec<u64>,
    pub fields: Vec<FieldRow>,
    pub additional_parties: Vec<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

/// A board.
#[derive(Debug, Clone)]
pub(crate) struct Board {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stage of a board.
#[derive(Debug, Clone)]
pub(crate) struct BoardStage {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub board: u64,
    pub display_order: u32,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A team and its members.
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: u64,
    pub name: String,
    pub members: Vec<u64>,
}

/// Everything about projects.
#[derive(Debug, Clone, Default)]
pub(crate) struct KaseStore {
    pub kases: BTreeMap<u64, Kase>,
    pub deleted: Vec<(u64, DateTime<Utc>)>,
    pub boards: BTreeMap<u64, Board>,
    pub stages: BTreeMap<u64, BoardStage>,
    pub teams: BTreeMap<u64, Team>,
    pub tags: BTreeMap<u64, TagDef>,
    pub fields: BTreeMap<u64, FieldDef>,
    /// The next project id.
    pub next_id: u64,
    /// The next stage id.
    pub next_stage: u64,
    /// Filters: honour `orderBy` (default: accepted and ignored, results by ascending id).
    pub honour_order_by: bool,
    /// Track definitions (`/trackdefinitions`), the vendor's example.
    pub track_definitions: Vec<serde_json::Value>,
    /// Track instances (`/tracks/{id}`), by id; they outlive their project (item 9).
    pub tracks: BTreeMap<u64, Track>,
}

/// A track applied to a project or an opportunity (docs/vendors/capsule-v2-addendum.md,
/// "Track instances").
#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub id: u64,
    pub description: String,
    pub direction: String,
    pub track_date_on: chrono::NaiveDate,
    pub kase: Option<u64>,
    pub opportunity: Option<u64>,
    /// The tasks it created, in order.
    pub tasks: Vec<u64>,
}

impl KaseStore {
    /// A new project id.
    pub(crate) fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn at(days: i64, base: DateTime<Utc>) -> DateTime<Utc> {
    base + chrono::Duration::days(days)
}

/// A fixed UTC time (the documented example payloads' timestamps).
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .unwrap_or_default()
}

/// Seeds boards 13647 (Projects: Planning, Installation, Übergabe & Schulung) and 13648
/// (Design: Concept), an archived board 13649 (Archive: Done), team 7 (users 1 and 2),
/// project field definitions 31–33, the tag "Fit-out", and — when the tenant has parties —
/// three projects 5200101–5200103 (one closed, one on no board).
pub(crate) fn seed_kases(db: &mut Db) {
    let t0 = db.seeded_at;
    let mut s = KaseStore {
        next_id: 5_200_100,
        next_stage: 271_300,
        ..Default::default()
    };
    let (june, sept) = (utc(2024, 6, 10, 14, 39, 14), utc(2024, 9, 2, 16, 26, 46));
    for (id, name, description, archived, created, updated) in [
        (
            13647,
            "Projects",
            Some("Track your project's progress from the initial outline through to completion"),
            false,
            june,
            june,
        ),
        (13648, "Design", None, false, sept, utc(2025, 1, 8, 9, 0, 0)),
        (13649, "Archive", None, true, t0, t0),
    ] {
        s.boards.insert(
            id,
            Board {
                id,
                name: name.into(),
                description: description.map(str::to_string),
                archived,
                created_at: created,
                updated_at: updated,
            },
        );
    }
    for (id, name, description, board, order, created, updated) in [
        (
            271006,
            "Planning",
            Some("Survey, quote, schedule"),
            13647,
            1,
            june,
            june,
        ),
        (271007, "Installation", None, 13647, 2, june, june),
        (
            271008,
            "Übergabe & Schulung",
            Some("Handover and training"),
            13647,
            3,
            june,
            utc(2025, 2, 1, 11, 20, 0),
        ),
        (271101, "Concept", None, 13648, 1, sept, sept),
        (271200, "Done", None, 13649, 1, t0, t0),
    ] {
        s.stages.insert(
            id,
            BoardStage {
                id,
                name: name.into(),
                description: description.map(str::to_string),
                board,
                display_order: order,
                archived: false,
                created_at: created,
                updated_at: updated,
            },
        );
    }
    let members = db.users.keys().copied().filter(|u| *u <= 2).collect();
    s.teams.insert(
        7,
        Team {
            id: 7,
            name: "DACH Sales".into(),
            members,
        },
    );
    for (id, name, kind, options) in [
        (31, "Site access code", "text", vec![]),
        (32, "Machines", "number", vec![]),
        (33, "Opening day", "date", vec![]),
        (
            34,
            "Phase",
            "list",
            vec!["Survey".to_string(), "Build".into(), "Handover".into()],
        ),
    ] {
        s.fields.insert(
            id,
            FieldDef {
                id,
                name: name.into(),
                kind,
                description: None,
                options,
                capture_rule: None,
                important: false,
                display_order: u32::try_from(id - 30).unwrap_or(0),
            },
        );
    }
    s.tags.insert(
        2301,
        TagDef {
            id: 2301,
            name: "Fit-out".into(),
            description: None,
            data_tag: false,
        },
    );
    let org = db
        .parties
        .values()
        .find(|p| p.kind == PartyKind::Organisation)
        .map(|p| p.id);
    let person = db
        .parties
        .values()
        .find(|p| p.kind == PartyKind::Person)
        .map(|p| p.id);
    let opportunity = db.opportunities.keys().next().copied();
    if let Some(main) = org.or(person) {
        let seeds = [
            (
                "Altona café fit-out",
                "OPEN",
                main,
                Some(271006),
                Some(7),
                opportunity,
            ),
            (
                "Barista training",
                "OPEN",
                person.unwrap_or(main),
                Some(271101),
                None,
                None,
            ),
            ("Machine recall 2023", "CLOSED", main, None, Some(7), None),
        ];
        for (i, (name, status, party, stage, team, opp)) in seeds.into_iter().enumerate() {
            let id = s.new_id();
            let created = at(i64::try_from(i).unwrap_or(0) + 10, t0);
            let fields = if i == 0 {
                vec![
                    FieldRow {
                        id: 9_791_001,
                        definition: 31,
                        value: json!("B-17 / Hof links"),
                    },
                    FieldRow {
                        id: 9_791_002,
                        definition: 32,
                        value: json!("3"),
                    },
                ]
            } else {
                Vec::new()
            };
            s.kases.insert(
                id,
                Kase {
                    id,
                    name: name.into(),
                    description: Some(format!("Seeded project {}", i + 1)),
                    status,
                    party,
                    opportunity: opp,
                    owner: Some(1),
                    team,
                    stage,
                    expected_close_on: NaiveDate::from_ymd_opt(2025, 5, 30),
                    closed_on: (status == "CLOSED").then(|| created.date_naive()),
                    tags: if i == 0 { vec![2301] } else { Vec::new() },
                    fields,
                    additional_parties: Vec::new(),
                    created_at: created,
                    updated_at: created,
                    last_contacted_at: None,
                },
            );
        }
    }
    s.track_definitions =
        serde_json::from_str::<serde_json::Value>(include_str!("trackdefinitions.json"))
            .ok()
            .and_then(|v| {
                v.get("trackDefinitions")
                    .and_then(|d| d.as_array())
                    .cloned()
            })
            .unwrap_or_default();
    db.kases = s;
}

impl Db {
    /// `{id, name}` of a stage, or null.
    pub(crate) fn stage_ref(&self, id: Option<u64>) -> Value {
        match id.and_then(|id| self.kases.stages.get(&id)) {
            Some(s) => json!({"id": s.id, "name": s.name}),
            None => Value::Null,
        }
    }

    /// A project in the wire shape: no `board` key; `tags`/`fields` only when embedded.
    pub(crate) fn render_kase(&self, k: &Kase, embed: Embed) -> Value {
        let team = k
            .team
            .and_then(|t| self.kases.teams.get(&t))
            .map_or(Value::Null, |t| json!({"id": t.id, "name": t.name}));
        let mut o = json!({
            "id": k.id,
            "name": k.name,
            "description": k.description,
            "status": k.status,
            "party": self.party_ref(Some(k.party)),
            "opportunity": self.opportunity_ref(k.opportunity),
            "owner": self.user_ref(k.owner),
            "team": team,
            "stage": self.stage_ref(k.stage),
            "expectedCloseOn": date_value(&k.expected_close_on),
            "closedOn": date_value(&k.closed_on),
            "startOn": null,
            "lastContactedAt": dt_value(&k.last_contacted_at),
            "createdAt": fmt_dt(&k.created_at),
            "updatedAt": fmt_dt(&k.updated_at),
        });
        if let Value::Object(map) = &mut o {
            if embed.tags {
                map.insert("tags".into(), Self::tags_value(&self.kases.tags, &k.tags));
            }
            if embed.fields {
                map.insert(
                    "fields".into(),
                    Self::fields_value(&self.kases.fields, &k.fields),
                );
            }
            if embed.missing {
                map.insert(
                    "missingImportantFields".into(),
                    json!(Self::missing_important(&self.kases.fields, &k.fields)),
                );
            }
        }
        o
    }

    /// A board; `description` left out when it has none.
    pub(crate) fn render_board(b: &Board) -> Value {
        let mut v = json!({
            "id": b.id, "name": b.name,
            "createdAt": fmt_dt(&b.created_at), "updatedAt": fmt_dt(&b.updated_at),
        });
        if let (Some(d), Value::Object(m)) = (&b.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }

    /// A stage with its board `{id, name}`; `description` left out when it has none.
    pub(crate) fn render_stage(&self, s: &BoardStage) -> Value {
        let board = self
            .kases
            .boards
            .get(&s.board)
            .map_or(Value::Null, |b| json!({"id": b.id, "name": b.name}));
        let mut v = json!({
            "id": s.id, "name": s.name, "board": board, "displayOrder": s.display_order,
            "createdAt": fmt_dt(&s.created_at), "updatedAt": fmt_dt(&s.updated_at),
        });
        if let (Some(d), Value::Object(m)) = (&s.description, &mut v) {
            m.insert("description".into(), json!(d));
        }
        v
    }
}
