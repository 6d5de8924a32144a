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
    /// The vendor-literal extras (`None`: the defaults, editable with no default value).
    pub(crate) extra: Option<CfExtra>,
}

/// What a definition states beyond its name, type and options (seeded from the vendor's
/// example `custom-fields-projects.json`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CfExtra {
    pub(crate) help: Option<&'static str>,
    pub(crate) default: Option<&'static str>,
    pub(crate) editable: bool,
    pub(crate) join: Option<&'static str>,
    /// Which option is the default (by id).
    pub(crate) default_option: Option<u64>,
}

impl CfDef {
    /// The definition as served by `/CustomFields/{Object}`.
    pub(crate) fn to_json(&self, kind: Kind) -> Ordered {
        let options: Vec<Value> = self
            .options
            .iter()
            .enumerate()
            .map(|(i, (id, v))| {
                let default = match &self.extra {
                    Some(x) => x.default_option == Some(*id),
                    None => i == 0 && self.ty == "DROPDOWN",
                };
                json!({"OPTION_ID": id, "OPTION_VALUE": v, "OPTION_DEFAULT": default})
            })
            .collect();
        let x = self.extra.clone().unwrap_or(CfExtra {
            editable: true,
            ..CfExtra::default()
        });
        let opt = |v: Option<&'static str>| v.map_or(Value::Null, Value::from);
        Ordered(vec![
            ("FIELD_NAME", self.name.clone().into()),
            ("FIELD_LABEL", self.label.clone().into()),
            ("FIELD_FOR", kind.field_for().into()),
            ("FIELD_TYPE", self.ty.into()),
            ("FIELD_ORDER", self.order.into()),
            ("FIELD_HELP_TEXT", opt(x.help)),
            ("DEFAULT_VALUE", opt(x.default)),
            ("EDITABLE", x.editable.into()),
            ("VISIBLE", true.into()),
            ("JOIN_OBJECT", opt(x.join)),
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
    /// Project milestones, by id.
    pub(crate) milestones: BTreeMap<u64, crate::insightly::projects::Milestone>,
    /// The last milestone id handed out.
    pub(crate) next_milestone_id: u64,
    /// An undocumented key added to every record (exercises readers' unknown-key handling).
    pub(crate) extra_field: Option<(String, Value)>,
    /// The instance's clock (record timestamps, search lag).
    pub(crate) clock: SimClock,
    /// How long after a write the record shows in `/Search` and `/SearchByTag`.
    pub(crate) search_lag: chrono::Duration,
    /// Records whose `DELETE` answers 417 "Delete failed"
    /// (docs/vendors/insightly-v3.1-addendum.md, "Corrections", C2).
    pub(crate) undeletable: BTreeSet<(Kind, u64)>,
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
            // Live answers carry a third key equal to the name (addendum, "Field types and
            // values").
            seq.serialize_element(&Ordered(vec![
                ("FIELD_NAME", k.clone().into()),
                ("FIELD_VALUE", v.clone()),
                ("CUSTOM_FIELD_ID", k.clone().into()),
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
                .shown_links_of(self.from.0, self.from.1)
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

    /// The links a record's `LINKS` (and `GET …/Links`) show. Events and emails list their
    /// links; the records they link to show them under `/{Object}/{id}/Events` and
    /// `/Emails` instead (docs/vendors/insightly-v3.1-addendum.md, "Linking events to
    /// records"), not among their own links (our reading: undocumented).
    pub(crate) fn shown_links_of(&self, kind: Kind, id: u64) -> impl Iterator<Item = &Link> {
        let activity = |k: Kind| matches!(k, Kind::Event | Kind::Email);
        let own = activity(kind);
        self.links_of(kind, id).filter(move |l| {
            let other = if (l.obj, l.obj_id) == (kind, id) {
                l.target
            } else {
                l.obj
            };
            own || !activity(other)
        })
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
}

mod activities;
mod reference;
pub(crate) use reference::CONVERTED_LEAD_STATUS;
mod seeding;
