//! What a target cannot hold: measured on every write, predicted for `--strict`.
//!
//! After a create, the record sent and the record the target answered are compared field by
//! field (their unified JSON): list items beyond what the target kept (extra emails, phones,
//! addresses, websites, tags, custom fields) and values of fields the target left empty are
//! losses. That measure is exact whatever the vendor.
//!
//! `--strict` must refuse a record before writing it, so losses are also predicted from what
//! the target is known to hold: the documented capacities of the vendors we ship
//! ([`known_capacity`]) and what earlier writes to this target taught (a field the target
//! answered with fewer items than sent holds at most that many). The prediction is kept in the
//! state, so later runs know it too.

use std::collections::BTreeMap;

use serde_json::Value;

/// Fields not compared: ids, timestamps and the raw payload are the target's own, and some
/// fields are derived by the vendor from others or from activity (the linked account's or
/// stage's name, the last activity, when the stage last changed): no target stores them as
/// written, and nothing is lost when it recomputes them.
pub(super) const NOT_COMPARED: [&str; 10] = [
    "id",
    "created_at",
    "updated_at",
    "raw",
    "vendor_fields",
    "account_name",
    "stage_name",
    "last_activity_at",
    "stage_changed_at",
    "engagement_type_name",
];

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Items of a field (a list counts its items; a set scalar counts 1).
fn items(v: Option<&Value>) -> u64 {
    match v {
        None => 0,
        Some(Value::Array(a)) => a.len() as u64,
        Some(v) if empty(v) => 0,
        Some(_) => 1,
    }
}

/// Field → how many items (or values) of `sent` are missing from `stored`.
pub fn measure(sent: &Value, stored: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Value::Object(sent) = sent else {
        return out;
    };
    for (field, v) in sent {
        if NOT_COMPARED.contains(&field.as_str()) || empty(v) {
            continue;
        }
        let have = items(stored.get(field));
        let want = items(Some(v));
        if want > have {
            out.insert(field.clone(), want - have);
        } else if VALUE_COMPARED.contains(&field.as_str()) && changed(v, stored.get(field)) {
            out.insert(field.clone(), 1);
        }
    }
    out
}

/// Fields whose value (an open enum) the target may store as another value when it has no
/// equal one, such as a Capsule `pending` task written to Insightly as `deferred`: a changed
/// value is a loss. They are not learnt as capacities (the next record may have a value the
/// target holds). An engagement's `kind` is one too: a call written as a meeting to a CRM
/// that logs only meetings is a loss.
const VALUE_COMPARED: [&str; 2] = ["status", "kind"];

/// Whether an enum value came back different, taking the vendors' synonyms as equal (Capsule's
/// `open` task is Insightly's `not_started`).
fn changed(sent: &Value, stored: Option<&Value>) -> bool {
    let norm = |v: &str| match v {
        "not_started" => "open".to_string(),
        other => other.to_string(),
    };
    match (sent.as_str(), stored.and_then(Value::as_str)) {
        // A coarse value stored as the target's nearest finer one keeps what was sent: a
        // Capsule project `open` is an Insightly `in_progress`, `closed` a `completed`. The
        // other way round (`in_progress` stored as `open`) is a loss.
        (Some("open"), Some("in_progress")) | (Some("closed"), Some("completed")) => false,
        (Some(a), Some(b)) => norm(a) != norm(b),
        _ => false,
    }
}

/// Adds `b` into `a`.
pub fn add(a: &mut BTreeMap<String, u64>, b: &BTreeMap<String, u64>) {
    for (k, n) in b {
        *a.entry(k.clone()).or_default() += n;
    }
}

/// What the target holds at most, per `(kind, field)`; absent means no known limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capacity {
    limits: BTreeMap<(String, String), u64>,
}

/// The documented capacities of a target vendor's records (unified field → items held).
///
/// Insightly: one email on a contact, six phone slots and two address groups on a contact; no
/// email, two phones (`PHONE`, `PHONE_FAX`) and two addresses (billing, shipping) on an
/// organisation (docs/vendors/insightly-v3.1.md, Contacts and Organisations). Capsule holds
/// lists of any length.
pub fn known_capacity(vendor: &str) -> Capacity {
    let mut c = Capacity::default();
    if vendor == "insightly" {
        for (kind, field, n) in [
            ("contact", "emails", 1),
            ("contact", "phones", 6),
            ("contact", "addresses", 2),
            ("account", "emails", 0),
            ("account", "phones", 2),
            ("account", "addresses", 2),
        ] {
            c.limits.insert((kind.into(), field.into()), n);
        }
    }
    c
}

impl Capacity {
    /// Learns from a write: a field that lost items holds at most what was kept.
    pub fn learn(&mut self, kind: &str, sent: &Value, lost: &BTreeMap<String, u64>) {
        for (field, n) in lost {
            if VALUE_COMPARED.contains(&field.as_str()) {
                continue;
            }
            let sent_items = items(sent.get(field));
            let kept = sent_items.saturating_sub(*n);
            let slot = self
                .limits
                .entry((kind.to_string(), field.clone()))
                .or_insert(kept);
            *slot = (*slot).min(kept);
        }
    }

    /// The losses a write of `sent` would suffer, as far as the limits are known.
    pub fn predict(&self, kind: &str, sent: &Value) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        let Value::Object(map) = sent else {
            return out;
        };
        for (field, v) in map {
            if let Some(limit) = self.limits.get(&(kind.to_string(), field.clone())) {
                let n = items(Some(v));
                if n > *limit {
                    out.insert(field.clone(), n - limit);
                }
            }
        }
        out
    }

    /// The limits as JSON text (kept in the state between runs).
    pub fn to_text(&self) -> String {
        let v: BTreeMap<String, u64> = self
            .limits
            .iter()
            .map(|((k, f), n)| (format!("{k}.{f}"), *n))
            .collect();
        serde_json::to_string(&v).unwrap_or_default()
    }

    /// Merges limits read back with [`Capacity::to_text`] (the smaller limit wins).
    pub fn merge_text(&mut self, text: &str) {
        let v: BTreeMap<String, u64> = serde_json::from_str(text).unwrap_or_default();
        for (key, n) in v {
            if let Some((k, f)) = key.split_once('.') {
                let slot = self.limits.entry((k.into(), f.into())).or_insert(n);
                *slot = (*slot).min(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_status_is_a_loss_but_synonyms_are_not() {
        let lost = measure(
            &json!({"status": "pending"}),
            &json!({"status": "deferred"}),
        );
        assert_eq!(lost, BTreeMap::from([("status".to_string(), 1)]));
        assert!(
            measure(
                &json!({"status": "open"}),
                &json!({"status": "not_started"})
            )
            .is_empty()
        );
        assert!(measure(&json!({"status": "won"}), &json!({"status": "won"})).is_empty());
        // A coarse status stored as the nearest finer one is kept; the reverse is lost.
        assert!(
            measure(
                &json!({"status": "open"}),
                &json!({"status": "in_progress"})
            )
            .is_empty()
        );
        assert!(
            measure(
                &json!({"status": "closed"}),
                &json!({"status": "completed"})
            )
            .is_empty()
        );
        assert_eq!(
            measure(
                &json!({"status": "in_progress"}),
                &json!({"status": "open"})
            )
            .len(),
            1
        );
        let mut c = Capacity::default();
        c.learn("task", &json!({"status": "pending"}), &lost);
        assert!(c.predict("task", &json!({"status": "open"})).is_empty());
    }

    #[test]
    fn a_call_stored_as_a_meeting_is_a_loss_of_its_kind() {
        let lost = measure(
            &json!({"kind": "call", "subject": "Ring back"}),
            &json!({"kind": "meeting", "subject": "Ring back"}),
        );
        assert_eq!(lost, BTreeMap::from([("kind".to_string(), 1)]));
        assert!(measure(&json!({"kind": "meeting"}), &json!({"kind": "meeting"})).is_empty());
        let mut c = Capacity::default();
        c.learn("engagement", &json!({"kind": "call"}), &lost);
        assert!(
            c.predict("engagement", &json!({"kind": "call"})).is_empty(),
            "a changed kind is not learnt as a capacity"
        );
    }

    #[test]
    fn measures_missing_items_and_values() {
        let sent = json!({
            "id": "", "first_name": "Ann", "title": "CEO", "emails": [{"address": "a@x"}, {"address": "b@x"}, {"address": "c@x"}],
            "phones": [{"number": "1"}], "websites": [{"url": "u"}], "tags": [], "about": null,
            "custom_fields": [{"v": 1}, {"v": 2}], "raw": {"x": 1}, "created_at": "t",
            "account_name": "Acme", "last_activity_at": "t"
        });
        let stored = json!({
            "id": "9", "first_name": "Ann", "title": "", "emails": [{"address": "a@x"}],
            "phones": [{"number": "1"}], "websites": [], "custom_fields": [{"v": 1}, {"v": 2}]
        });
        let lost = measure(&sent, &stored);
        assert_eq!(
            lost,
            BTreeMap::from([
                ("emails".to_string(), 2),
                ("title".to_string(), 1),
                ("websites".to_string(), 1),
            ])
        );
        assert!(measure(&sent, &sent).is_empty());
        assert!(measure(&json!(null), &stored).is_empty());
    }

    #[test]
    fn predicts_from_known_and_learned_limits() {
        let mut cap = known_capacity("insightly");
        let sent = json!({"emails": [1, 2, 3], "phones": [1], "websites": [1, 2]});
        assert_eq!(
            cap.predict("contact", &sent),
            BTreeMap::from([("emails".to_string(), 2)])
        );
        assert_eq!(
            cap.predict("account", &sent),
            BTreeMap::from([("emails".to_string(), 3)])
        );
        assert!(cap.predict("task", &sent).is_empty());
        cap.learn(
            "contact",
            &sent,
            &BTreeMap::from([("websites".to_string(), 1)]),
        );
        assert_eq!(
            cap.predict("contact", &sent),
            BTreeMap::from([("emails".to_string(), 2), ("websites".to_string(), 1)])
        );
        let mut back = Capacity::default();
        back.merge_text(&cap.to_text());
        assert_eq!(back, cap);
        assert!(
            known_capacity("capsule")
                .predict("contact", &sent)
                .is_empty()
        );
        let mut a = BTreeMap::from([("emails".to_string(), 1)]);
        add(
            &mut a,
            &BTreeMap::from([("emails".to_string(), 2), ("x".to_string(), 1)]),
        );
        assert_eq!(
            a,
            BTreeMap::from([("emails".to_string(), 3), ("x".to_string(), 1)])
        );
    }
}
