//! Links between migrated records: source ids of linked records translated into target ids
//! through the id map, the links that cannot be translated yet, and the people of each source
//! organisation (for a target whose opportunities need a contact).

use std::collections::{BTreeMap, HashMap};

use super::Maps;

/// A link whose record is not migrated (yet): the record is written without it and the link
/// is stored in the state to be filled once the linked record exists in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingLink {
    /// Unified field (`account_id`, `contact_ids`, …).
    pub field: &'static str,
    /// Kind of the linked record.
    pub link_kind: &'static str,
    /// Source ids of the linked records.
    pub source_ids: Vec<String>,
    /// Whether a linked record is `pending` or `waiting`: it will be resolved by the next run,
    /// so the record waits for it instead of being written without the link.
    pub waits: bool,
}

/// What the id map says of one linked record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// Its target id (a placeholder in a dry run's plan), when it is migrated.
    pub target: Option<String>,
    /// Whether it is `pending` or `waiting`.
    pub waits: bool,
    /// Whether the target refused it in this run as something it cannot hold: the link can
    /// never be filled, so it is reported as lost instead of stored as pending.
    pub unheld: bool,
}

/// Linked records already looked up in the id map: (kind, source id) → what it says.
pub type Known = HashMap<(String, String), Resolved>;

/// Translates source ids of linked records into target ids, collecting the links that cannot
/// be translated yet.
///
/// Translation is synchronous over the records looked up already ([`Known`]); a record not
/// looked up yet is noted in [`Links::asked`] (and counts as not migrated): the caller looks
/// those up in the state and translates again (see `Migrator::build`).
pub struct Links<'s> {
    known: &'s Known,
    /// Linked records not looked up yet.
    pub asked: Vec<(String, String)>,
    /// The links that could not be translated.
    pub missing: Vec<MissingLink>,
    /// Custom field values with no matching definition in the target.
    pub dropped_fields: u64,
    /// Links to records the target cannot hold (unified field names), dropped and reported.
    pub unheld: Vec<&'static str>,
    /// Why the target cannot hold the record at all (an opportunity on an organisation with
    /// no people, for a target whose opportunities need a contact): counted as such, not sent.
    pub cannot_hold: Option<String>,
}

impl<'s> Links<'s> {
    /// A resolver over the records looked up already.
    pub fn new(known: &'s Known) -> Self {
        Links {
            known,
            asked: Vec::new(),
            missing: Vec::new(),
            dropped_fields: 0,
            unheld: Vec::new(),
            cannot_hold: None,
        }
    }

    fn look(&mut self, kind: &str, id: &str) -> Resolved {
        let key = (kind.to_string(), id.to_string());
        match self.known.get(&key) {
            Some(r) => r.clone(),
            None => {
                self.asked.push(key);
                Resolved::default()
            }
        }
    }

    /// The target id of one linked record.
    pub(super) fn one<T: From<String>>(
        &mut self,
        field: &'static str,
        kind: &'static str,
        id: Option<&impl std::fmt::Display>,
    ) -> Result<Option<T>, String> {
        let Some(id) = id else { return Ok(None) };
        let id = id.to_string();
        let found = self.look(kind, &id);
        match found.target {
            Some(t) => Ok(Some(T::from(t))),
            None if found.unheld => {
                self.unheld.push(field);
                Ok(None)
            }
            None => {
                self.missing.push(MissingLink {
                    field,
                    link_kind: kind,
                    source_ids: vec![id],
                    waits: found.waits,
                });
                Ok(None)
            }
        }
    }

    /// The target ids of a list of linked records: all of them, or the ones already migrated
    /// with the whole list stored as a missing link.
    pub(super) fn many<T: From<String>>(
        &mut self,
        field: &'static str,
        kind: &'static str,
        ids: &[impl std::fmt::Display],
    ) -> Result<Vec<T>, String> {
        let mut out = Vec::new();
        let mut waits = false;
        let mut complete = true;
        for id in ids {
            let id = id.to_string();
            let found = self.look(kind, &id);
            match found.target {
                Some(t) => out.push(T::from(t)),
                None => {
                    complete = false;
                    waits |= found.waits;
                }
            }
        }
        if !complete {
            self.missing.push(MissingLink {
                field,
                link_kind: kind,
                source_ids: ids.iter().map(|i| i.to_string()).collect(),
                waits,
            });
        }
        Ok(out)
    }
}

/// The people of each source organisation (source account id → source contact ids, lowest
/// first), gathered as the source's contacts stream by: an opportunity on an organisation is
/// attached to one of them when the target's opportunities need a contact.
#[derive(Debug, Clone, Default)]
pub struct People(BTreeMap<String, Vec<String>>);

/// Source ids in their natural order: numerically when both are numbers (Capsule's), else as
/// text.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

impl People {
    /// Notes that `person` belongs to `organisation`.
    pub fn add(&mut self, organisation: String, person: String) {
        let people = self.0.entry(organisation).or_default();
        if let Err(at) = people.binary_search_by(|p| id_order(p, &person)) {
            people.insert(at, person);
        }
    }

    /// The people of `organisation`, lowest source id first.
    pub fn of(&self, organisation: &str) -> &[String] {
        self.0.get(organisation).map_or(&[], Vec::as_slice)
    }
}

impl Links<'_> {
    /// The contact an opportunity on `organisation` is attached to, for a target whose
    /// opportunities need a contact and cannot link an account: the held person of the
    /// organisation with the lowest source id. With no people at all the record is one the
    /// target cannot hold ([`Links::cannot_hold`]); with people none of whom the target holds
    /// (yet), `None` (the target refuses it, and a later run tries again).
    pub(super) fn person_of(&mut self, maps: &Maps, organisation: &str) -> Option<String> {
        let people = maps.people.of(organisation);
        if people.is_empty() {
            self.cannot_hold = Some(format!(
                "an opportunity on organisation {organisation}, which has no people: the target's opportunities need a contact"
            ));
            return None;
        }
        self.first_held("contact", people)
    }

    /// The target id of the first of `ids` (in order) that the target holds. `None` when
    /// none does, or when one before the first held is not looked up yet (it is asked for, and
    /// the caller translates again once it is known).
    pub(super) fn first_held(&mut self, kind: &'static str, ids: &[String]) -> Option<String> {
        for id in ids {
            let key = (kind.to_string(), id.clone());
            match self.known.get(&key) {
                Some(Resolved {
                    target: Some(t), ..
                }) => return Some(t.clone()),
                Some(_) => continue,
                None => {
                    self.asked.push(key);
                    return None;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_kept_lowest_id_first_and_the_first_held_one_is_chosen() {
        let mut people = People::default();
        for p in ["30", "4", "12", "4"] {
            people.add("org".into(), p.into());
        }
        assert_eq!(people.of("org"), ["4", "12", "30"]);
        assert!(people.of("other").is_empty());
        let held = |target: Option<&str>| Resolved {
            target: target.map(str::to_string),
            ..Default::default()
        };
        let mut known = Known::new();
        known.insert(("contact".into(), "4".into()), held(None));
        let mut links = Links::new(&known);
        assert_eq!(links.first_held("contact", people.of("org")), None);
        assert_eq!(links.asked, [("contact".to_string(), "12".to_string())]);
        known.insert(("contact".into(), "12".into()), held(Some("t12")));
        let mut links = Links::new(&known);
        assert_eq!(
            links.first_held("contact", people.of("org")).as_deref(),
            Some("t12")
        );
        assert!(links.asked.is_empty());
    }
}
