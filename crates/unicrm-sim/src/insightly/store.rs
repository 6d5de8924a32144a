//! In-memory state of the Insightly simulator and its conversion from the seed [`Dataset`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::schema::{DT_FORMAT, KINDS, Kind};
use crate::clock::SimClock;
use crate::seed::{Dataset, FieldKind, FieldValue};

/// An object serialized with its keys in a fixed order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ordered(pub(crate) Vec<(&'static str, Value)>);

impl Ordered {
    /// Value of a key (case-insensitive), if present.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Integer value of a key.
    pub(crate) fn id(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One stored record: scalar values in schema order plus its sub-collections.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rec {
    pub(crate) vals: Vec<Value>,
    pub(crate) tags: Vec<String>,
    pub(crate) custom: Vec<(String, Value)>,
    pub(crate) dates: Vec<Value>,
    pub(crate) domains: Vec<Value>,
}

impl Rec {
    /// An empty record of `kind`.
    pub(crate) fn new(kind: Kind) -> Rec {
        Rec {
            vals: vec![Value::Null; kind.schema().fields.len()],
            ..Rec::default()
        }
    }

    /// Value of a field.
    pub(crate) fn get(&self, kind: Kind, name: &str) -> &Value {
        match kind.schema().index(name) {
            Some(i) => &self.vals[i],
            None => &Value::Null,
        }
    }

    /// Integer value of a field.
    pub(crate) fn int(&self, kind: Kind, name: &str) -> Option<u64> {
        self.get(kind, name).as_u64()
    }

    /// String value of a field.
    pub(crate) fn str(&self, kind: Kind, name: &str) -> Option<&str> {
        self.get(kind, name)
            .as_str()
            .filter(|s| !s.trim().is_empty())
    }

    /// Sets a field (ignored for unknown names).
    pub(crate) fn set(&mut self, kind: Kind, name: &str, v: impl Into<Value>) {
        if let Some(i) = kind.schema().index(name) {
            self.vals[i] = v.into();
        }
    }

    /// Sets a field to a string or null.
    pub(crate) fn set_opt(&mut self, kind: Kind, name: &str, v: Option<impl Into<Value>>) {
        self.set(kind, name, v.map_or(Value::Null, Into::into));
    }

    /// Whether the record carries `tag` (case-insensitive).
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        let t = tag.to_lowercase();
        self.tags.iter().any(|x| x.to_lowercase() == t)
    }
}

/// A link between two records; stored once, shown from both ends.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) id: u64,
    pub(crate) obj: Kind,
    pub(crate) obj_id: u64,
    pub(crate) target: Kind,
    pub(crate) target_id: u64,
    pub(crate) role: Option<String>,
    pub(crate) details: Option<String>,
}

/// A link seen from one of its ends.
pub(crate) struct LinkView<'a> {
    pub(crate) link: &'a Link,
    pub(crate) from: (Kind, u64),
}

impl Serialize for LinkView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.link;
        let forward = (l.obj, l.obj_id) == self.from;
        let (o, oid, t, tid) = if forward {
            (l.obj, l.obj_id, l.target, l.target_id)
        } else {
            (l.target, l.target_id, l.obj, l.obj_id)
        };
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("LINK_ID", &l.id)?;
        m.serialize_entry("OBJECT_NAME", o.singular())?;
        m.serialize_entry("OBJECT_ID", &oid)?;
        m.serialize_entry("LINK_OBJECT_NAME", t.singular())?;
        m.serialize_entry("LINK_OBJECT_ID", &tid)?;
        m.serialize_entry("ROLE", &l.role)?;
        m.serialize_entry("DETAILS", &l.details)?;
        m.serialize_entry("RELATIONSHIP_ID", &Value::Null)?;
        m.serialize_entry("IS_FORWARD", &forward)?;
        m.end()
    }
}

/// A custom field definition.
#[derive(Debug, Clone)]
pub(crate) struct CfDef {
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) ty: &'static str,
    pub(crate) options: Vec<(u64, String)>,
    pub(crate) order: u32,
}

impl CfDef {
    /// The definition as served by `/CustomFields/{Object}`.
    pub(crate) fn to_json(&self, kind: Kind) -> Ordered {
        let options: Vec<Value> = self
            .options
            .iter()
            .enumerate()
            .map(|(i, (id, v))| json!({"OPTION_ID": id, "OPTION_VALUE": v, "OPTION_DEFAULT": i == 0 && self.ty == "DROPDOWN"}))
            .collect();
        Ordered(vec![
            ("FIELD_NAME", self.name.clone().into()),
            ("FIELD_LABEL", self.label.clone().into()),
            ("FIELD_FOR", kind.field_for().into()),
            ("FIELD_TYPE", self.ty.into()),
            ("FIELD_ORDER", self.order.into()),
            ("FIELD_HELP_TEXT", Value::Null),
            ("DEFAULT_VALUE", Value::Null),
            ("EDITABLE", true.into()),
            ("VISIBLE", true.into()),
            ("JOIN_OBJECT", Value::Null),
            ("CUSTOM_FIELD_OPTIONS", Value::Array(options)),
            ("DEPENDENCY", Value::Null),
        ])
    }
}

/// A read-only reference list such as `/Pipelines`.
#[derive(Debug, Clone)]
pub(crate) struct RefTable {
    pub(crate) path: &'static str,
    pub(crate) id_key: &'static str,
    pub(crate) rows: Vec<Ordered>,
}

/// Rows of one writable object, by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) rows: BTreeMap<u64, Rec>,
    pub(crate) next_id: u64,
    /// Records whose last write the search index has not caught up with yet: the instant
    /// the write becomes searchable, and the version the index still holds (`None` for a
    /// record created since).
    pub(crate) pending: HashMap<u64, (DateTime<Utc>, Option<Rec>)>,
}

/// The whole simulated instance.
#[derive(Debug, Default)]
pub(crate) struct Db {
    pub(crate) tables: Vec<Table>,
    pub(crate) links: BTreeMap<u64, Link>,
    pub(crate) link_index: HashMap<(Kind, u64), Vec<u64>>,
    pub(crate) next_link_id: u64,
    pub(crate) next_sub_id: u64,
    pub(crate) users: Vec<Ordered>,
    pub(crate) user_ids: BTreeSet<u64>,
    pub(crate) refs: Vec<RefTable>,
    pub(crate) stage_pipeline: HashMap<u64, u64>,
    pub(crate) custom_defs: HashMap<Kind, Vec<CfDef>>,
    /// An undocumented key added to every record (exercises readers' unknown-key handling).
    pub(crate) extra_field: Option<(String, Value)>,
    /// The instance's clock (record timestamps, search lag).
    pub(crate) clock: SimClock,
    /// How long after a write the record shows in `/Search` and `/SearchByTag`.
    pub(crate) search_lag: chrono::Duration,
}

/// A full record with its sub-collections (or only its scalars when `brief`).
pub(crate) struct RecView<'a> {
    pub(crate) db: &'a Db,
    pub(crate) kind: Kind,
    pub(crate) id: u64,
    pub(crate) rec: &'a Rec,
    pub(crate) brief: bool,
}

struct TagsView<'a>(&'a [String]);

impl Serialize for TagsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for t in self.0 {
            seq.serialize_element(&json!({ "TAG_NAME": t }))?;
        }
        seq.end()
    }
}

struct CustomView<'a>(&'a [(String, Value)]);

impl Serialize for CustomView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (k, v) in self.0 {
            seq.serialize_element(&Ordered(vec![
                ("FIELD_NAME", k.clone().into()),
                ("FIELD_VALUE", v.clone()),
            ]))?;
        }
        seq.end()
    }
}

struct LinksView<'a> {
    db: &'a Db,
    from: (Kind, u64),
}

impl Serialize for LinksView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.db
                .links_of(self.from.0, self.from.1)
                .map(|link| LinkView {
                    link,
                    from: self.from,
                }),
        )
    }
}

impl Serialize for RecView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let schema = self.kind.schema();
        let mut m = s.serialize_map(None)?;
        for (f, v) in schema.fields.iter().zip(&self.rec.vals) {
            if f.name == schema.id_key {
                m.serialize_entry(f.name, &self.id)?;
            } else {
                m.serialize_entry(f.name, v)?;
            }
        }
        if !self.brief {
            if schema.custom {
                m.serialize_entry("CUSTOMFIELDS", &CustomView(&self.rec.custom))?;
            }
            if schema.tags {
                m.serialize_entry("TAGS", &TagsView(&self.rec.tags))?;
            }
            if schema.dates {
                m.serialize_entry("DATES", &self.rec.dates)?;
            }
            if schema.domains {
                m.serialize_entry("EMAILDOMAINS", &self.rec.domains)?;
            }
            m.serialize_entry(
                "LINKS",
                &LinksView {
                    db: self.db,
                    from: (self.kind, self.id),
                },
            )?;
        }
        if let Some((key, value)) = &self.db.extra_field {
            m.serialize_entry(key, value)?;
        }
        m.end()
    }
}

/// Formats a time in the body form.
pub(crate) fn fmt_dt(t: DateTime<Utc>) -> String {
    t.format(DT_FORMAT).to_string()
}

fn fmt_date(d: NaiveDate) -> String {
    format!("{} 00:00:00", d.format("%Y-%m-%d"))
}

/// `Long notes` → `Long_notes__c`.
pub(crate) fn api_field_name(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let trimmed = out.trim_end_matches('_');
    format!("{trimmed}__c")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', "<br/>")
}

const USER_BASE: u64 = 500;
const PIPELINE_BASE: u64 = 20;
const STAGE_BASE: u64 = 30;
const OPTION_BASE: u64 = 100;

const OPP_CATEGORIES: &[(u64, &str, &str)] = &[
    (11, "Hardware", "1E88E5"),
    (12, "Software", "43A047"),
    (13, "Services", "FB8C00"),
];
const TASK_CATEGORIES: &[(u64, &str, &str)] = &[
    (16, "Call", "8E24AA"),
    (17, "Email", "00ACC1"),
    (18, "Follow-up", "F4511E"),
    (19, "Meeting", "6D4C41"),
];
const LEAD_SOURCES: &[(u64, &str)] = &[
    (71, "Web"),
    (72, "Referral"),
    (73, "Trade fair"),
    (74, "Cold call"),
    (75, "Partner"),
];
const LEAD_STATUSES: &[(u64, &str, u8)] = &[
    (81, "Not Contacted", 1),
    (82, "Attempted Contact", 1),
    (83, "Contacted", 1),
    (84, "Qualified", 1),
    (85, "Disqualified", 2),
];
const INDUSTRIES: &[&str] = &[
    "Retail",
    "Manufacturing",
    "Software",
    "Healthcare",
    "Logistics",
    "Education",
];
const CURRENCIES: &[(&str, &str)] = &[
    ("GBP", "£"),
    ("USD", "$"),
    ("EUR", "€"),
    ("JPY", "¥"),
    ("NOK", "kr"),
];
const COUNTRIES: &[&str] = &[
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

fn field_json(def: &CfDef, v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) | FieldValue::Choice(s) => Value::String(s.clone()),
        FieldValue::Number(n) => Value::from(*n),
        FieldValue::Decimal(d) => {
            serde_json::from_str::<Value>(d).unwrap_or_else(|_| Value::String(d.clone()))
        }
        FieldValue::Date(d) => Value::String(fmt_date(*d)),
        FieldValue::DateTime(t) => Value::String(fmt_dt(*t)),
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::Choices(c) => {
            let _ = def;
            Value::String(c.join(";"))
        }
    }
}

impl Db {
    /// The table of `kind`.
    pub(crate) fn table(&self, kind: Kind) -> &Table {
        &self.tables[kind.index()]
    }

    /// The mutable table of `kind`.
    pub(crate) fn table_mut(&mut self, kind: Kind) -> &mut Table {
        &mut self.tables[kind.index()]
    }

    /// Whether a record exists.
    pub(crate) fn exists(&self, kind: Kind, id: u64) -> bool {
        self.table(kind).rows.contains_key(&id)
    }

    /// Links touching a record, by link id.
    pub(crate) fn links_of(&self, kind: Kind, id: u64) -> impl Iterator<Item = &Link> {
        self.link_index
            .get(&(kind, id))
            .into_iter()
            .flatten()
            .filter_map(|l| self.links.get(l))
    }

    /// Adds a link and returns its id.
    pub(crate) fn add_link(
        &mut self,
        obj: (Kind, u64),
        target: (Kind, u64),
        role: Option<String>,
        details: Option<String>,
    ) -> u64 {
        self.next_link_id += 1;
        let id = self.next_link_id;
        self.links.insert(
            id,
            Link {
                id,
                obj: obj.0,
                obj_id: obj.1,
                target: target.0,
                target_id: target.1,
                role,
                details,
            },
        );
        self.link_index.entry(obj).or_default().push(id);
        if target != obj {
            self.link_index.entry(target).or_default().push(id);
        }
        id
    }

    /// Removes a link.
    pub(crate) fn remove_link(&mut self, id: u64) {
        if let Some(l) = self.links.remove(&id) {
            for end in [(l.obj, l.obj_id), (l.target, l.target_id)] {
                if let Some(v) = self.link_index.get_mut(&end) {
                    v.retain(|x| *x != id);
                    if v.is_empty() {
                        self.link_index.remove(&end);
                    }
                }
            }
        }
    }

    /// Removes every link touching a record.
    pub(crate) fn remove_links_of(&mut self, kind: Kind, id: u64) {
        let ids: Vec<u64> = self
            .link_index
            .get(&(kind, id))
            .cloned()
            .unwrap_or_default();
        for l in ids {
            self.remove_link(l);
        }
    }

    /// Ids of records of `other` linked to `(kind, id)`.
    pub(crate) fn linked(&self, kind: Kind, id: u64, other: Kind) -> BTreeSet<u64> {
        self.links_of(kind, id)
            .filter_map(|l| {
                if (l.obj, l.obj_id) == (kind, id) && l.target == other {
                    Some(l.target_id)
                } else if (l.target, l.target_id) == (kind, id) && l.obj == other {
                    Some(l.obj_id)
                } else {
                    None
                }
            })
            .collect()
    }

    /// A reference table by path (case-insensitive).
    pub(crate) fn reference(&self, path: &str) -> Option<&RefTable> {
        self.refs.iter().find(|r| r.path.eq_ignore_ascii_case(path))
    }

    /// Whether a reference row exists.
    pub(crate) fn ref_exists(&self, path: &str, id: u64) -> bool {
        self.reference(path)
            .is_some_and(|r| r.rows.iter().any(|row| row.id(r.id_key) == Some(id)))
    }

    /// Allocates an id for a `DATES` / `EMAILDOMAINS` item.
    pub(crate) fn next_sub(&mut self) -> u64 {
        self.next_sub_id += 1;
        self.next_sub_id
    }

    /// Custom field definitions of a kind.
    pub(crate) fn defs(&self, kind: Kind) -> &[CfDef] {
        self.custom_defs
            .get(&kind)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The current time in the body form `yyyy-MM-dd HH:mm:ss` (whole seconds).
    pub(crate) fn now_str(&self) -> String {
        fmt_dt(self.clock.now())
    }

    /// Today (UTC) at `00:00:00` in the body form.
    pub(crate) fn today_str(&self) -> String {
        format!("{} 00:00:00", self.clock.now().format("%Y-%m-%d"))
    }

    /// Records that `kind`/`id` is about to be written (created, updated, tagged, linked):
    /// with a search lag, the search index keeps the current version (or nothing, for a
    /// new record) until the lag has passed since the latest write.
    pub(crate) fn note_write(&mut self, kind: Kind, id: u64) {
        if self.search_lag <= chrono::Duration::zero() {
            return;
        }
        let now = self.clock.now();
        let visible_at = now + self.search_lag;
        let t = self.table_mut(kind);
        match t.pending.get_mut(&id) {
            Some(entry) if entry.0 > now => entry.0 = visible_at,
            _ => {
                let old = t.rows.get(&id).cloned();
                t.pending.insert(id, (visible_at, old));
            }
        }
    }

    /// Forgets the search-index state of a deleted record (deletions are not delayed).
    pub(crate) fn forget_pending(&mut self, kind: Kind, id: u64) {
        self.table_mut(kind).pending.remove(&id);
    }

    /// The version of `rec` (record `id` of `kind`) the search endpoints see now: the
    /// record itself once its latest write is searchable, the previous version before
    /// that, `None` for a record created too recently.
    pub(crate) fn search_view<'a>(&'a self, kind: Kind, id: u64, rec: &'a Rec) -> Option<&'a Rec> {
        match self.table(kind).pending.get(&id) {
            Some((visible_at, old)) if *visible_at > self.clock.now() => old.as_ref(),
            _ => Some(rec),
        }
    }

    /// Inserts a record with a given id (keeps `next_id` ahead).
    pub(crate) fn insert(&mut self, kind: Kind, id: u64, mut rec: Rec) {
        self.note_write(kind, id);
        let key = kind.schema().id_key;
        rec.set(kind, key, id);
        let t = self.table_mut(kind);
        t.next_id = t.next_id.max(id + 1);
        t.rows.insert(id, rec);
    }

    /// Builds the instance from the vendor-neutral dataset.
    pub(crate) fn from_dataset(d: &Dataset) -> Db {
        let mut db = Db {
            tables: KINDS
                .iter()
                .map(|k| Table {
                    rows: BTreeMap::new(),
                    next_id: k.id_base() + 1,
                    pending: HashMap::new(),
                })
                .collect(),
            next_link_id: 90_000_000,
            next_sub_id: 70_000_000,
            ..Db::default()
        };
        let epoch = DateTime::parse_from_rfc3339(crate::seed::EPOCH)
            .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
        let base_time = fmt_dt(epoch - chrono::Duration::days(800));

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
                ("DATE_CREATED_UTC", base_time.clone().into()),
                ("DATE_UPDATED_UTC", base_time.clone().into()),
            ]));
        }
        let owner = |uid: u64| USER_BASE + uid;
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
        let custom = |fields: &[(u64, FieldValue)]| -> Vec<(String, Value)> {
            fields
                .iter()
                .filter_map(|(id, v)| {
                    by_seed_id
                        .get(id)
                        .map(|def| (def.name.clone(), field_json(def, v)))
                })
                .collect()
        };

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

        // Organisations.
        let org_names: HashMap<u64, String> = d
            .organisations
            .iter()
            .map(|o| (o.id, o.name.clone()))
            .collect();
        for o in &d.organisations {
            let k = Kind::Organisation;
            let id = k.id_base() + o.id;
            let mut r = Rec::new(k);
            r.set(k, "ORGANISATION_NAME", o.name.clone());
            r.set_opt(k, "BACKGROUND", o.about.clone());
            let phone = |kind: &str| {
                o.phones
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map(|(_, n)| n.clone())
            };
            r.set_opt(k, "PHONE", phone("Work"));
            r.set_opt(k, "PHONE_FAX", phone("Fax"));
            let site = |kind: &str| {
                o.websites
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map(|(_, n)| n.clone())
            };
            r.set_opt(k, "WEBSITE", site("URL"));
            r.set_opt(k, "SOCIAL_LINKEDIN", site("LINKED_IN"));
            r.set_opt(k, "SOCIAL_TWITTER", site("TWITTER"));
            for (prefix, a) in ["ADDRESS_BILLING", "ADDRESS_SHIP"].iter().zip(&o.addresses) {
                r.set(k, &format!("{prefix}_STREET"), a.street.clone());
                r.set(k, &format!("{prefix}_CITY"), a.city.clone());
                r.set(k, &format!("{prefix}_STATE"), a.state.clone());
                r.set(k, &format!("{prefix}_POSTCODE"), a.zip.clone());
                r.set(k, &format!("{prefix}_COUNTRY"), a.country.clone());
            }
            r.set(k, "OWNER_USER_ID", owner(o.owner_id));
            r.set(k, "CREATED_USER_ID", owner(o.owner_id));
            r.set(k, "VISIBLE_TO", "EVERYONE");
            r.set(k, "DATE_CREATED_UTC", fmt_dt(o.created_at));
            r.set(k, "DATE_UPDATED_UTC", fmt_dt(o.updated_at));
            r.tags = o.tags.clone();
            r.custom = custom(&o.fields);
            let mut domains: Vec<&str> = o
                .emails
                .iter()
                .filter_map(|(_, e)| e.split_once('@').map(|x| x.1))
                .collect();
            domains.dedup();
            for dom in domains {
                let did = db.next_sub();
                r.domains
                    .push(json!({"EMAIL_DOMAIN_ID": did, "EMAIL_DOMAIN": dom}));
            }
            db.insert(k, id, r);
        }

        // Contacts.
        for p in &d.people {
            let k = Kind::Contact;
            let id = k.id_base() + p.id;
            let mut r = Rec::new(k);
            r.set_opt(k, "SALUTATION", p.title.clone());
            r.set(k, "FIRST_NAME", p.first_name.clone());
            r.set(k, "LAST_NAME", p.last_name.clone());
            r.set_opt(k, "TITLE", p.job_title.clone());
            r.set_opt(k, "BACKGROUND", p.about.clone());
            r.set_opt(k, "EMAIL_ADDRESS", p.emails.first().map(|(_, e)| e.clone()));
            r.set(k, "EMAIL_OPTED_OUT", p.id % 17 == 0);
            for (kind, field) in [
                ("Work", "PHONE"),
                ("Mobile", "PHONE_MOBILE"),
                ("Home", "PHONE_HOME"),
            ] {
                r.set_opt(
                    k,
                    field,
                    p.phones
                        .iter()
                        .find(|(x, _)| x == kind)
                        .map(|(_, n)| n.clone()),
                );
            }
            for (kind, field) in [
                ("LINKED_IN", "SOCIAL_LINKEDIN"),
                ("TWITTER", "SOCIAL_TWITTER"),
            ] {
                r.set_opt(
                    k,
                    field,
                    p.websites
                        .iter()
                        .find(|(x, _)| x == kind)
                        .map(|(_, n)| n.clone()),
                );
            }
            for (prefix, a) in ["ADDRESS_MAIL", "ADDRESS_OTHER"].iter().zip(&p.addresses) {
                r.set(k, &format!("{prefix}_STREET"), a.street.clone());
                r.set(k, &format!("{prefix}_CITY"), a.city.clone());
                r.set(k, &format!("{prefix}_STATE"), a.state.clone());
                r.set(k, &format!("{prefix}_POSTCODE"), a.zip.clone());
                r.set(k, &format!("{prefix}_COUNTRY"), a.country.clone());
            }
            r.set_opt(
                k,
                "ORGANISATION_ID",
                p.organisation_id.map(|o| Kind::Organisation.id_base() + o),
            );
            r.set(k, "OWNER_USER_ID", owner(p.owner_id));
            r.set(k, "CREATED_USER_ID", owner(p.owner_id));
            r.set(k, "VISIBLE_TO", "EVERYONE");
            r.set(k, "DATE_CREATED_UTC", fmt_dt(p.created_at));
            r.set(k, "DATE_UPDATED_UTC", fmt_dt(p.updated_at));
            r.tags = p.tags.clone();
            r.custom = custom(&p.fields);
            if p.id % 7 == 0 {
                let did = db.next_sub();
                r.dates.push(json!({
                    "DATE_ID": did,
                    "OCCASION_NAME": "Work anniversary",
                    "OCCASION_DATE": fmt_date(p.created_at.date_naive()),
                    "REPEAT_YEARLY": true,
                    "CREATE_TASK_YEARLY": false
                }));
            }
            db.insert(k, id, r);
            if let Some(org) = p.organisation_id {
                db.add_link(
                    (k, id),
                    (Kind::Organisation, Kind::Organisation.id_base() + org),
                    p.job_title.clone(),
                    None,
                );
            }

            // Every tenth person (from the third) also exists as a lead.
            if p.id % 10 == 3 {
                let lk = Kind::Lead;
                let lid = lk.id_base() + p.id / 10 + 1;
                let mut l = Rec::new(lk);
                l.set_opt(lk, "SALUTATION", p.title.clone());
                l.set(lk, "FIRST_NAME", p.first_name.clone());
                l.set(lk, "LAST_NAME", p.last_name.clone());
                l.set_opt(lk, "TITLE", p.job_title.clone());
                l.set_opt(lk, "EMAIL", p.emails.last().map(|(_, e)| e.clone()));
                l.set_opt(lk, "PHONE", p.phones.first().map(|(_, n)| n.clone()));
                l.set_opt(
                    lk,
                    "ORGANISATION_NAME",
                    p.organisation_id.and_then(|o| org_names.get(&o).cloned()),
                );
                l.set(
                    lk,
                    "INDUSTRY",
                    INDUSTRIES[(p.id as usize) % INDUSTRIES.len()],
                );
                l.set(lk, "EMPLOYEE_COUNT", 5 + (p.id * 37) % 500);
                l.set_opt(lk, "LEAD_DESCRIPTION", p.about.clone());
                l.set(lk, "LEAD_RATING", p.id % 6);
                l.set(
                    lk,
                    "LEAD_SOURCE_ID",
                    LEAD_SOURCES[(p.id as usize) % LEAD_SOURCES.len()].0,
                );
                l.set(
                    lk,
                    "LEAD_STATUS_ID",
                    LEAD_STATUSES[(p.id as usize / 10) % LEAD_STATUSES.len()].0,
                );
                if let Some(a) = p.addresses.first() {
                    l.set(lk, "ADDRESS_STREET", a.street.clone());
                    l.set(lk, "ADDRESS_CITY", a.city.clone());
                    l.set(lk, "ADDRESS_STATE", a.state.clone());
                    l.set(lk, "ADDRESS_POSTCODE", a.zip.clone());
                    l.set(lk, "ADDRESS_COUNTRY", a.country.clone());
                }
                l.set(lk, "CONVERTED", false);
                l.set(lk, "EMAIL_OPTED_OUT", false);
                l.set(lk, "OWNER_USER_ID", owner(p.owner_id));
                l.set(lk, "RESPONSIBLE_USER_ID", owner(p.owner_id));
                l.set(lk, "CREATED_USER_ID", owner(p.owner_id));
                l.set(lk, "VISIBLE_TO", "EVERYONE");
                l.set(lk, "DATE_CREATED_UTC", fmt_dt(p.created_at));
                l.set(lk, "DATE_UPDATED_UTC", fmt_dt(p.updated_at));
                l.tags = p.tags.clone();
                db.insert(lk, lid, l);
            }
        }

        // Opportunities.
        for o in &d.opportunities {
            let k = Kind::Opportunity;
            let id = k.id_base() + o.id;
            let mut r = Rec::new(k);
            r.set(k, "OPPORTUNITY_NAME", o.name.clone());
            r.set_opt(k, "OPPORTUNITY_DETAILS", o.description.clone());
            let (won, lost) = stage_flags
                .get(&o.stage_id)
                .copied()
                .unwrap_or((false, false));
            r.set(
                k,
                "OPPORTUNITY_STATE",
                if won {
                    "WON"
                } else if lost {
                    "LOST"
                } else {
                    "OPEN"
                },
            );
            r.set(k, "RESPONSIBLE_USER_ID", owner(o.owner_id));
            r.set(
                k,
                "CATEGORY_ID",
                OPP_CATEGORIES[(o.id as usize) % OPP_CATEGORIES.len()].0,
            );
            r.set(k, "BID_CURRENCY", o.currency.clone());
            let amount = serde_json::from_str::<Value>(&o.amount).unwrap_or(Value::Null);
            r.set(k, "BID_AMOUNT", amount.clone());
            r.set(k, "BID_TYPE", "Fixed Bid");
            r.set(k, "OPPORTUNITY_VALUE", amount);
            r.set(k, "PROBABILITY", o.probability);
            r.set_opt(k, "FORECAST_CLOSE_DATE", o.expected_close_on.map(fmt_date));
            r.set_opt(k, "ACTUAL_CLOSE_DATE", o.closed_on.map(fmt_date));
            if let Some((pid, sid)) = stage_map.get(&o.stage_id) {
                r.set(k, "PIPELINE_ID", *pid);
                r.set(k, "STAGE_ID", *sid);
            }
            let org = if o.party_is_person {
                d.people
                    .get(o.party_id as usize - 1)
                    .and_then(|p| p.organisation_id)
            } else {
                Some(o.party_id)
            };
            r.set_opt(
                k,
                "ORGANISATION_ID",
                org.map(|x| Kind::Organisation.id_base() + x),
            );
            r.set(k, "OWNER_USER_ID", owner(o.owner_id));
            r.set(k, "CREATED_USER_ID", owner(o.owner_id));
            r.set(k, "VISIBLE_TO", "EVERYONE");
            r.set(k, "DATE_CREATED_UTC", fmt_dt(o.created_at));
            r.set(k, "DATE_UPDATED_UTC", fmt_dt(o.updated_at));
            r.tags = o.tags.clone();
            r.custom = custom(&o.fields);
            db.insert(k, id, r);
            if let Some(org) = org {
                db.add_link(
                    (k, id),
                    (Kind::Organisation, Kind::Organisation.id_base() + org),
                    None,
                    None,
                );
            }
            if o.party_is_person {
                let cid = Kind::Contact.id_base() + o.party_id;
                db.add_link(
                    (k, id),
                    (Kind::Contact, cid),
                    Some("Decision maker".into()),
                    None,
                );
            }
        }

        // Tasks.
        for t in &d.tasks {
            let k = Kind::Task;
            let id = k.id_base() + t.id;
            let mut r = Rec::new(k);
            r.set(k, "TITLE", t.description.clone());
            r.set_opt(k, "DETAILS", t.detail.clone());
            let status = if t.completed {
                "COMPLETED"
            } else {
                [
                    "NOT STARTED",
                    "IN PROGRESS",
                    "WAITING",
                    "DEFERRED",
                    "NOT STARTED",
                ][(t.id as usize) % 5]
            };
            r.set(k, "STATUS", status);
            r.set(k, "PRIORITY", 1 + t.id % 3);
            r.set(
                k,
                "PERCENT_COMPLETE",
                if t.completed {
                    100
                } else if status == "IN PROGRESS" {
                    50
                } else {
                    0
                },
            );
            r.set(k, "COMPLETED", t.completed);
            r.set_opt(k, "COMPLETED_DATE_UTC", t.completed_at.map(fmt_dt));
            r.set(k, "START_DATE", fmt_date(t.created_at.date_naive()));
            r.set(k, "DUE_DATE", fmt_date(t.due_on));
            r.set(k, "REMINDER_SENT", false);
            r.set_opt(
                k,
                "CATEGORY_ID",
                t.category
                    .as_ref()
                    .and_then(|c| TASK_CATEGORIES.iter().find(|x| x.1 == c))
                    .map(|x| x.0),
            );
            r.set(k, "RESPONSIBLE_USER_ID", owner(t.owner_id));
            r.set(k, "OWNER_USER_ID", owner(t.owner_id));
            r.set(k, "ASSIGNED_BY_USER_ID", owner(t.owner_id));
            r.set(k, "ASSIGNED_DATE_UTC", fmt_dt(t.created_at));
            r.set(k, "CREATED_USER_ID", owner(t.owner_id));
            r.set(k, "OWNER_VISIBLE", true);
            r.set(k, "PUBLICLY_VISIBLE", true);
            r.set_opt(
                k,
                "OPPORTUNITY_ID",
                t.opportunity_id.map(|x| Kind::Opportunity.id_base() + x),
            );
            r.set(k, "DATE_CREATED_UTC", fmt_dt(t.created_at));
            r.set(k, "DATE_UPDATED_UTC", fmt_dt(t.updated_at));
            db.insert(k, id, r);
            if let Some(o) = t.opportunity_id {
                db.add_link(
                    (k, id),
                    (Kind::Opportunity, Kind::Opportunity.id_base() + o),
                    None,
                    None,
                );
            }
            if let Some(p) = t.person_id {
                db.add_link(
                    (k, id),
                    (Kind::Contact, Kind::Contact.id_base() + p),
                    None,
                    None,
                );
            }
        }

        // Notes.
        for n in &d.notes {
            let k = Kind::Note;
            let id = k.id_base() + n.id;
            let mut r = Rec::new(k);
            r.set(k, "TITLE", n.title.clone());
            r.set(k, "BODY", format!("<p>{}</p>", html_escape(&n.content)));
            r.set(k, "OWNER_USER_ID", owner(n.owner_id));
            r.set(k, "DATE_CREATED_UTC", fmt_dt(n.created_at));
            r.set(k, "DATE_UPDATED_UTC", fmt_dt(n.updated_at));
            db.insert(k, id, r);
            let parent = if let Some(p) = n.person_id {
                (Kind::Contact, Kind::Contact.id_base() + p)
            } else if let Some(o) = n.organisation_id {
                (Kind::Organisation, Kind::Organisation.id_base() + o)
            } else {
                (
                    Kind::Opportunity,
                    Kind::Opportunity.id_base() + n.opportunity_id.unwrap_or(0),
                )
            };
            db.add_link((k, id), parent, None, None);
        }
        db
    }
}
