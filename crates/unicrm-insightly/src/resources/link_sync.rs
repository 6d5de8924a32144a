//! Bringing a record's links to what an update asks for, through `/{Obj}/{id}/Links`, at the
//! fewest requests (docs/vendors/insightly-v3.1.md, "Create and update semantics" and
//! "Record sub-resources"):
//! - the links the record has now come from the record body the update already holds (the PUT
//!   answers with the complete object, `LINKS` included with their `LINK_ID`s; a links-only
//!   update reads the record once): no `GET …/Links`, unless that body has no `LINKS` (leads:
//!   "the Lead schema has no `LINKS`");
//! - a link is written (POST) or deleted only when it differs from what the record has, so an
//!   update whose links already match sends nothing to `/Links`;
//! - a link that follows from one of the record's foreign keys (a contact's or an
//!   opportunity's `ORGANISATION_ID`, a task's `OPPORTUNITY_ID`: docs/vendors/insightly-v3.1.md,
//!   "Contact": "also appears as a Link") is never deleted while the key names its record: the
//!   create path leaves such links out of `links` for the same reason, so an update whose
//!   `links` lack them must not delete what the key makes (where the vendor does not show
//!   the key as a link, there is nothing to keep and this rule does nothing).

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use unicrm_core::http::{Method, Request};
use unicrm_core::{RecordLink, ResourceKind, Result};

use super::{LinkScope, ObjectResource, ObjectSpec};
use crate::mapping::links;
use crate::wire::{LinkWire, decode_array, decode_at};

/// One link a record has: its `LINK_ID` (needed to delete it) and what it points at.
pub(crate) type Held = (Option<u64>, RecordLink);

/// What a record body says of the record's links.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Known {
    /// Its `LINKS`; `None` when the body has no `LINKS` key (then they must be read).
    pub links: Option<Vec<Held>>,
    /// The links its foreign keys make (never deleted, see the module's comment).
    pub implied: Vec<RecordLink>,
}

/// Reads `LINKS` and the foreign keys in `keys` (wire key → kind of the record it names) from
/// a record body.
pub(crate) fn known(raw: &RawValue, keys: &[(&str, ResourceKind)]) -> Result<Known> {
    let body: Map<String, Value> = decode_at(raw.get(), "")?;
    let links = match body.get("LINKS") {
        None => None,
        Some(Value::Null) => Some(Vec::new()),
        Some(v) => {
            let wire: Vec<LinkWire> = decode_at(&v.to_string(), "LINKS")?;
            Some(held(wire))
        }
    };
    let implied = keys
        .iter()
        .filter_map(|(key, kind)| {
            let id = body.get(*key)?.as_u64()?;
            Some(links::link(kind.clone(), &id.to_string()))
        })
        .collect();
    Ok(Known { links, implied })
}

fn held(wire: Vec<LinkWire>) -> Vec<Held> {
    wire.into_iter()
        .filter_map(|w| {
            let link_id = w.link_id;
            let one = links::read(&Some(vec![w])).pop()?;
            Some((link_id, one))
        })
        .collect()
}

/// What one scope asks of the links a record has: the `LINK_ID`s to delete and the links to
/// add. A link is extra when it is in the scope, not desired and not implied by a foreign key;
/// an extra link without a `LINK_ID` cannot be deleted and is kept.
pub(crate) fn plan(
    scope: &LinkScope,
    current: &[Held],
    implied: &[RecordLink],
) -> (Vec<u64>, Vec<RecordLink>) {
    let in_scope = |l: &RecordLink| match &scope.kind {
        None => true,
        Some(k) => l.kind.as_ref() == Some(k),
    };
    let wanted = |l: &RecordLink| {
        scope.desired.iter().any(|d| links::same_target(d, l))
            || implied.iter().any(|i| links::same_target(i, l))
    };
    let delete = if scope.prune {
        current
            .iter()
            .filter(|(_, l)| in_scope(l) && !wanted(l))
            .filter_map(|(id, _)| *id)
            .collect()
    } else {
        Vec::new()
    };
    let add = scope
        .desired
        .iter()
        .filter(|d| !current.iter().any(|(_, l)| links::same_target(d, l)))
        .cloned()
        .collect();
    (delete, add)
}

impl<S: ObjectSpec> ObjectResource<S> {
    /// The links of record `id` (`GET /{Obj}/{id}/Links`), with their link ids.
    pub(crate) async fn current_links(&self, id: u64) -> Result<Vec<Held>> {
        let path = format!("{}/{id}/Links", S::PATH);
        let resp = self.shared.send(self.shared.http.get(&path)?).await?;
        let wire: Vec<LinkWire> = decode_array(&resp.body)?
            .iter()
            .enumerate()
            .map(|(i, r)| decode_at(r.get(), &format!("[{i}]")))
            .collect::<Result<_>>()?;
        Ok(held(wire))
    }

    /// Brings the links within each scope to the desired ones, starting from `current` (what
    /// the record has): DELETE the extra (only when the scope prunes), POST the missing.
    /// Returns whether anything was written (then the record body the caller holds is stale).
    pub(crate) async fn sync_links(
        &self,
        id: u64,
        scopes: &[LinkScope],
        mut current: Vec<Held>,
        implied: &[RecordLink],
    ) -> Result<bool> {
        let path = format!("{}/{id}/Links", S::PATH);
        let mut wrote = false;
        // A POST answered without a `LINK_ID`: a later scope could not delete that link, so
        // it reads the links again first.
        let mut stale = false;
        for scope in scopes {
            if stale {
                current = self.current_links(id).await?;
                stale = false;
            }
            let (delete, add) = plan(scope, &current, implied);
            for link_id in delete {
                let url = self.shared.http.url(&format!("{path}/{link_id}"))?;
                self.shared.send(Request::new(Method::DELETE, url)).await?;
                current.retain(|(l, _)| *l != Some(link_id));
                wrote = true;
            }
            for d in add {
                let req = Request::new(Method::POST, self.shared.http.url(&path)?)
                    .json(&links::to_wire(&d)?)?;
                let resp = self.shared.send(req).await?;
                wrote = true;
                let link_id = decode_at::<LinkWire>(&String::from_utf8_lossy(&resp.body), "")
                    .ok()
                    .and_then(|w| w.link_id);
                stale |= link_id.is_none();
                current.push((link_id, d));
            }
        }
        Ok(wrote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    const ORG: (&str, ResourceKind) = ("ORGANISATION_ID", ResourceKind::Account);

    #[test]
    fn a_body_gives_its_links_with_their_ids_and_the_links_its_keys_make() {
        let k = known(
            &raw(r#"{"CONTACT_ID": 1, "ORGANISATION_ID": 7, "LINKS": [
                {"LINK_ID": 31, "LINK_OBJECT_NAME": "Organisation", "LINK_OBJECT_ID": 7},
                {"LINK_ID": 32, "LINK_OBJECT_NAME": "Opportunity", "LINK_OBJECT_ID": 9}]}"#),
            &[ORG],
        )
        .unwrap();
        assert_eq!(
            k.links,
            Some(vec![
                (Some(31), links::link(ResourceKind::Account, "7")),
                (Some(32), links::link(ResourceKind::Opportunity, "9")),
            ])
        );
        assert_eq!(k.implied, vec![links::link(ResourceKind::Account, "7")]);
    }

    #[test]
    fn a_body_without_links_says_they_are_unknown_and_a_null_key_implies_nothing() {
        let k = known(&raw(r#"{"LEAD_ID": 1, "ORGANISATION_ID": null}"#), &[ORG]).unwrap();
        assert_eq!(k.links, None);
        assert!(k.implied.is_empty());
        let k = known(&raw(r#"{"CONTACT_ID": 1, "LINKS": null}"#), &[]).unwrap();
        assert_eq!(k.links, Some(vec![]));
        assert!(known(&raw(r#"{"LINKS": 3}"#), &[]).is_err());
    }

    fn all(desired: Vec<RecordLink>) -> LinkScope {
        LinkScope {
            kind: None,
            desired,
            prune: true,
        }
    }

    #[test]
    fn links_already_held_are_not_written_again() {
        let org = links::link(ResourceKind::Account, "7");
        let opp = links::link(ResourceKind::Opportunity, "9");
        let current = vec![(Some(31), org.clone()), (Some(32), opp.clone())];
        let (delete, add) = plan(&all(vec![opp.clone(), org.clone()]), &current, &[]);
        assert!(delete.is_empty() && add.is_empty(), "{delete:?} {add:?}");
    }

    #[test]
    fn pruning_deletes_the_extra_but_never_a_link_a_foreign_key_makes() {
        let org = links::link(ResourceKind::Account, "7");
        let other = links::link(ResourceKind::Account, "8");
        let opp = links::link(ResourceKind::Opportunity, "9");
        let current = vec![
            (Some(31), org.clone()),
            (Some(32), opp.clone()),
            (Some(33), other.clone()),
            (None, links::link(ResourceKind::Lead, "5")),
        ];
        let (delete, add) = plan(&all(vec![]), &current, std::slice::from_ref(&org));
        assert_eq!(
            delete,
            vec![32, 33],
            "the organisation ORGANISATION_ID names stays"
        );
        assert!(add.is_empty());
        // Within one kind only; adding only adds.
        let scope = LinkScope {
            kind: Some(ResourceKind::Account),
            desired: vec![links::link(ResourceKind::Account, "4")],
            prune: true,
        };
        let (delete, add) = plan(&scope, &current, &[]);
        assert_eq!(delete, vec![31, 33]);
        assert_eq!(add, vec![links::link(ResourceKind::Account, "4")]);
        let (delete, _) = plan(
            &LinkScope {
                prune: false,
                ..scope
            },
            &current,
            &[],
        );
        assert!(
            delete.is_empty(),
            "a scope that does not prune deletes nothing"
        );
    }
}
