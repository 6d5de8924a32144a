//! Every read: list and get, for every resource the adapter can read; the current user and
//! the custom field definitions.

use unicrm_core::{Crm, CrmExt, FieldDefinition, ListParams, Record, ResourceKind, User};

use super::{id_from, kind_name, res};
use crate::gate::{Gate, Operation};
use crate::harness::Harness;
use crate::report::{CheckRecord, Ctx, Failure};

/// How many listed records the read check fetches one by one.
const GETS: usize = 3;

/// Lists a first page of `R` and gets its first records by id; where listing is not
/// supported but `get` is, gets a record the harness says the vendor holds.
///
/// Asserts: the listing succeeds and honours a page size of 2, each `get` answers the record
/// with the id asked for, and the record has the same `created_at` as in the listing.
pub async fn check_reads<R: Record>(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let gate = Gate::of(crm);
    let ctx = Ctx::new(crm.vendor(), R::KIND, "reads");
    let (list, get) = (
        gate.supports(&R::KIND, Operation::List),
        gate.supports(&R::KIND, Operation::Get),
    );
    if !list && !get {
        return Ok(ctx.skip(
            "list and get are false",
            "both answer Unsupported (unsupported check)",
        ));
    }
    let mut asserted = Vec::new();
    let mut ids: Vec<R> = Vec::new();
    if list {
        let page = res::<R>(crm)
            .list(&ListParams::new().page_size(2))
            .await
            .map_err(|e| ctx.fail(format!("list (page size 2) failed: {e}")))?;
        ctx.ensure(page.items.len() <= 2, || {
            format!(
                "list (page size 2) answered {} records: the page size is ignored",
                page.items.len()
            )
        })?;
        ctx.ensure(!page.items.is_empty(), || {
            "list answered no record: the harness must seed at least 3 of every listable kind"
                .to_string()
        })?;
        asserted.push(format!("list answered {} record(s)", page.items.len()));
        ids = page.items;
    }
    if get {
        let targets: Vec<(R::Id, Option<R>)> = if list {
            ids.iter()
                .take(GETS)
                .map(|r| (r.id().clone(), Some(r.clone())))
                .collect()
        } else {
            let vendor = harness
                .vendor_records(&R::KIND)
                .await
                .map_err(|e| ctx.fail(e.to_string()))?;
            match vendor.and_then(|v| v.into_iter().next()) {
                Some(v) => match id_from::<R>(&v.id) {
                    Some(id) => vec![(id, None)],
                    None => return Err(ctx.fail(format!("the vendor id {} is not an id", v.id))),
                },
                None => {
                    return Ok(ctx.skip(
                        "list is false and the harness names no record to get",
                        "nothing",
                    ));
                }
            }
        };
        for (id, listed) in &targets {
            let got = res::<R>(crm)
                .get(id)
                .await
                .map_err(|e| ctx.fail(format!("get {id} failed: {e}")))?;
            ctx.ensure(got.id() == id, || {
                format!("get {id} answered record {}", got.id())
            })?;
            if let Some(l) = listed {
                let (a, b) = (created_at(l), created_at(&got));
                ctx.ensure(a == b, || {
                    format!("get {id}: created_at {b:?} differs from the listing's {a:?}")
                })?;
            }
        }
        asserted.push(format!("get answered {} record(s) by id", targets.len()));
    }
    Ok(ctx.pass(asserted.join("; ")))
}

fn created_at<R: Record>(r: &R) -> Option<serde_json::Value> {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.get("created_at").cloned())
}

/// The current user is listed among the users (when users can be listed), and custom field
/// definitions can be read for every kind that carries custom fields.
pub async fn check_account_reads(crm: &dyn Crm) -> Result<CheckRecord, Failure> {
    let gate = Gate::of(crm);
    let ctx = Ctx::new(crm.vendor(), "crm", "current user and definitions");
    let me = crm
        .current_user()
        .await
        .map_err(|e| ctx.fail(format!("current_user failed: {e}")))?;
    let mut asserted = vec![format!("current_user answered {}", me.id)];
    if gate.supports(&ResourceKind::User, Operation::List) {
        let users: Vec<User> = crm
            .list_all(ListParams::new())
            .await
            .map_err(|e| ctx.fail(format!("listing users failed: {e}")))?;
        ctx.ensure(users.iter().any(|u| u.id == me.id), || {
            format!(
                "the current user {} is not among the {} users listed",
                me.id,
                users.len()
            )
        })?;
        asserted.push("the current user is listed".into());
    }
    for kind in crate::KINDS {
        if gate.carries(&kind, crate::gate::FieldKind::CustomFields) {
            let defs = crm
                .custom_field_definitions(kind.clone())
                .await
                .map_err(|e| ctx.fail(format!("custom_field_definitions({kind}) failed: {e}")))?;
            asserted.push(format!("{} {} definition(s)", defs.len(), kind_name(&kind)));
            if gate.supports(&ResourceKind::FieldDefinition, Operation::Of) {
                let listed: Vec<FieldDefinition> = crm
                    .list_all(ListParams::new().of(kind.clone()))
                    .await
                    .map_err(|e| ctx.fail(format!("listing fields of {kind} failed: {e}")))?;
                // By name: a field-definition resource may namespace its ids (Capsule numbers
                // definitions per entity).
                let mut a: Vec<_> = defs.iter().map(|d| d.name.clone()).collect();
                let mut b: Vec<_> = listed.iter().map(|d| d.name.clone()).collect();
                a.sort();
                b.sort();
                ctx.ensure(a == b, || {
                    format!("the fields listed of {kind} ({b:?}) are not its custom field definitions ({a:?})")
                })?;
                ctx.ensure(listed.iter().all(|d| d.applies_to.contains(&kind)), || {
                    format!("a field listed of {kind} does not say it applies to {kind}")
                })?;
                asserted.push(format!("the fields of {kind} match them"));
            }
        }
    }
    Ok(ctx.pass(asserted.join("; ")))
}
