//! Write round trips: create → get → patch one field (the others untouched) → delete → get
//! answers `NotFound`.

use serde_json::Value;
use unicrm_core::{
    Account, Contact, Crm, CrmExt, CustomFieldKind, CustomFieldValue, FieldValue, ListParams,
    Pipeline, Record, Tag,
};

use super::{differences, normalized, res};
use crate::gate::{FieldKind, Gate, Operation};
use crate::report::{CheckRecord, Ctx, Failure};
use crate::samples::{Sample, SampleLinks};

/// The tag the round trip puts on records that carry tags.
pub const KIT_TAG: &str = "unicrm-kit";

/// Finds records a sample can link to (an account, a contact, a pipeline), where those can be
/// listed.
pub async fn sample_links(crm: &dyn Crm) -> SampleLinks {
    let gate = Gate::of(crm);
    let mut links = SampleLinks::default();
    if gate.supports(&Account::KIND, Operation::List) {
        if let Ok(p) = crm.accounts().list(&ListParams::new().page_size(1)).await {
            links.account_id = p.items.into_iter().next().map(|a| a.id);
        }
    }
    if gate.supports(&Contact::KIND, Operation::List) {
        if let Ok(p) = crm.contacts().list(&ListParams::new().page_size(1)).await {
            links.contact_id = p.items.into_iter().next().map(|c| c.id);
        }
    }
    if gate.supports(&Pipeline::KIND, Operation::List) {
        if let Ok(all) = crm.list_all::<Pipeline>(ListParams::new()).await {
            links.pipeline_id = all.into_iter().next().map(|p| p.id);
        }
    }
    links
}

/// The field that identifies a list row (a custom field value's definition id, an email's
/// address, a phone's number, a website's URL, a tag's name), and its value. A custom field
/// value is identified by its definition, not its name: a vendor may answer values without the
/// definition's name (HighLevel answers `{id, value}`).
fn identity(row: &Value) -> Option<(&'static str, &Value)> {
    ["definition_id", "address", "number", "url", "name"]
        .into_iter()
        .find_map(|k| row.get(k).map(|v| (k, v)))
}

/// A text custom field value for `R`, when the adapter has a text definition for it.
async fn text_custom_field<R: Record>(crm: &dyn Crm, n: u32) -> Option<CustomFieldValue> {
    let defs = crm.custom_field_definitions(R::KIND).await.ok()?;
    let def = defs.into_iter().find(|d| d.kind == CustomFieldKind::Text)?;
    Some(CustomFieldValue {
        definition_id: def.id,
        name: Some(def.name),
        value: Some(FieldValue::Text(format!("kit value {n}"))),
        row_id: None,
    })
}

/// A vendor whose records hang under a contact rather than an account (HighLevel notes,
/// tasks and appointments) gets the sample linked to the contact the links found.
fn link_to_contact<R: Record>(
    crm: &dyn Crm,
    links: &SampleLinks,
    new: &mut R::New,
    asserted: &mut Vec<String>,
) {
    let caps = crm.capabilities().resource(&R::KIND);
    let Some(contact) = &links.contact_id else {
        return;
    };
    if !caps.can_write("contact_id") || caps.can_write("account_id") {
        return;
    }
    let Ok(Value::Object(mut v)) = serde_json::to_value(&*new) else {
        return;
    };
    if v.get("contact_id").is_some_and(|c| !c.is_null()) {
        return;
    }
    v.insert("contact_id".into(), Value::String(contact.to_string()));
    if let Ok(linked) = serde_json::from_value(Value::Object(v)) {
        *new = linked;
        asserted.push(format!(
            "linked to contact {contact} (the account link is not writable)"
        ));
    }
}

/// Create → get → patch one field → get → delete → get, for `R`.
///
/// Asserts: every scalar and money field of the new record is stored as sent, and every list
/// row (email, phone, website, tag: found by address, number, URL or name); the tag (and a text custom
/// field, when the adapter has a text definition) is stored where the capability says records
/// carry them; `get` answers what `create` answered; the patch changes its one field and no
/// other (every field but [`VOLATILE_FIELDS`](super::VOLATILE_FIELDS) compared); `get`
/// answers what `update` answered; after `delete`, `get` answers `NotFound`.
///
/// Gated: skipped when `create` is false (the unsupported check asserts `Unsupported` instead);
/// each later step runs only when its own capability is true.
pub async fn check_round_trip<R: Sample>(crm: &dyn Crm, n: u32) -> Result<CheckRecord, Failure>
where
    R::New: Default,
{
    let gate = Gate::of(crm);
    let kind = R::KIND;
    let ctx = Ctx::new(crm.vendor(), &kind, "write round trip");
    if !gate.supports(&kind, Operation::Create) {
        return Ok(ctx.skip(
            "create is false",
            "create, update and delete answer Unsupported (unsupported check)",
        ));
    }
    let r = res::<R>(crm);
    let links = sample_links(crm).await;
    let mut asserted = Vec::new();
    // A vendor without some sample field (HighLevel has no job titles) gets the rest.
    let sample = R::sample(&links, n);
    let (mut new, dropped) = crm
        .capabilities()
        .resource(&kind)
        .writable_part::<R>(&sample)
        .map_err(|e| ctx.fail(format!("the sample cannot be trimmed: {e}")))?;
    if !dropped.is_empty() {
        asserted.push(format!(
            "the sample's {} left out (not writable per the capabilities)",
            dropped.join(", ")
        ));
    }
    link_to_contact::<R>(crm, &links, &mut new, &mut asserted);
    let tagged = gate.carries(&kind, FieldKind::Tags) && R::add_tag(&mut new, Tag::named(KIT_TAG));
    let custom = if gate.carries(&kind, FieldKind::CustomFields) {
        match text_custom_field::<R>(crm, n).await {
            Some(v) if R::add_custom_field(&mut new, v.clone()) => Some(v),
            _ => None,
        }
    } else {
        None
    };

    let created = r
        .create(&new)
        .await
        .map_err(|e| ctx.fail(format!("create failed: {e}")))?;
    let id = created.id().clone();
    let sent = serde_json::to_value(&new).unwrap_or(Value::Null);
    let stored = normalized(&created);
    if let Value::Object(sent) = &sent {
        for (k, v) in sent {
            // Scalars and objects (money); lists are compared by the checks below, since a
            // vendor may add row ids and defaults to their rows.
            let compared = matches!(
                v,
                Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Object(_)
            ) && k != "vendor_fields";
            if compared {
                let got = stored.get(k).unwrap_or(&Value::Null);
                ctx.ensure(got == v, || {
                    format!("create stored {k} = {got}, but {v} was sent (record {id})")
                })?;
            }
        }
    }
    if let Value::Object(sent) = &sent {
        for (k, v) in sent {
            let Value::Array(rows) = v else { continue };
            for row in rows {
                let Some((key, want)) = identity(row) else {
                    continue;
                };
                let stored_rows = stored.get(k).and_then(Value::as_array);
                let found =
                    stored_rows.is_some_and(|rs| rs.iter().any(|r| r.get(key) == Some(want)));
                ctx.ensure(found, || {
                    format!("create dropped {k} row {key} = {want} (record {id}); stored {k}: {stored_rows:?}")
                })?;
            }
        }
    }
    asserted.push("create stored every scalar, money and list row as sent".to_string());
    if tagged {
        ctx.ensure(created.tags().iter().any(|t| t.name == KIT_TAG), || {
            format!(
                "create dropped the tag {KIT_TAG:?}: tags are {:?}",
                created.tags()
            )
        })?;
        asserted.push("the tag is stored".into());
    }
    if let Some(v) = &custom {
        let found = created
            .custom_fields()
            .iter()
            .any(|c| c.definition_id == v.definition_id && c.value == v.value);
        ctx.ensure(found, || {
            format!(
                "create dropped the custom field {} = {:?}: custom fields are {:?}",
                v.definition_id,
                v.value,
                created.custom_fields()
            )
        })?;
        asserted.push("the custom field is stored".into());
    }

    let can_get = gate.supports(&kind, Operation::Get);
    let mut current = created.clone();
    if can_get {
        let got = r
            .get(&id)
            .await
            .map_err(|e| ctx.fail(format!("get {id} after create failed: {e}")))?;
        let diff = differences(&normalized(&created), &normalized(&got));
        ctx.ensure(diff.is_empty(), || {
            format!(
                "get {id} differs from what create answered: {}",
                diff.join("; ")
            )
        })?;
        asserted.push("get answers what create answered".into());
        current = got;
    }

    let (patch, field) = R::one_field_patch(n);
    if gate.supports(&kind, Operation::Update) && !gate.writes(&kind, field) {
        asserted.push(format!(
            "patch skipped: {field} is not writable per the capabilities"
        ));
    } else if gate.supports(&kind, Operation::Update) {
        let updated = r
            .update(&id, &patch)
            .await
            .map_err(|e| ctx.fail(format!("update {id} ({field}) failed: {e}")))?;
        let mut expected = normalized(&current);
        let set = serde_json::to_value(&patch).unwrap_or(Value::Null);
        if let Some(v) = set.get(field) {
            expected.insert(field.to_string(), v.clone());
        }
        let diff = differences(&expected, &normalized(&updated));
        ctx.ensure(diff.is_empty(), || {
            format!(
                "patching only {field} of {id} changed other fields (expected → answered): {}",
                diff.join("; ")
            )
        })?;
        asserted.push(format!("patching {field} left every other field untouched"));
        if can_get {
            let got = r
                .get(&id)
                .await
                .map_err(|e| ctx.fail(format!("get {id} after update failed: {e}")))?;
            let diff = differences(&normalized(&updated), &normalized(&got));
            ctx.ensure(diff.is_empty(), || {
                format!(
                    "get {id} differs from what update answered: {}",
                    diff.join("; ")
                )
            })?;
            asserted.push("get answers what update answered".into());
        }
    }

    if gate.supports(&kind, Operation::Delete) {
        r.delete(&id)
            .await
            .map_err(|e| ctx.fail(format!("delete {id} failed: {e}")))?;
        if can_get {
            match r.get(&id).await {
                Err(e) if e.is_not_found() => asserted.push("get after delete: NotFound".into()),
                Err(e) => {
                    return Err(ctx.fail(format!(
                        "get {id} after delete must answer NotFound, answered the error {e}"
                    )));
                }
                Ok(rec) => {
                    return Err(ctx.fail(format!(
                        "get {id} after delete must answer NotFound, answered {}",
                        super::short(&format!("{rec:?}"))
                    )));
                }
            }
        }
    } else {
        asserted.push("delete is false: the record is left in place".into());
    }
    Ok(ctx.pass(asserted.join("; ")))
}
