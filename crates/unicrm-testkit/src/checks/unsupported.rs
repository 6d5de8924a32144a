//! `Unsupported` wherever a capability is false: for every operation, filter and field kind,
//! whether or not a record could be listed, and without a request to the vendor.

use unicrm_core::{Checkpoint, Crm, Error, ListParams, ResourceKind, Tag};

use super::{expect_unsupported, id_from, res};
use crate::gate::{Deletions, FieldKind, Gate, Operation};
use crate::harness::Harness;
use crate::report::{CheckRecord, Ctx, Failure};
use crate::samples::{Sample, SampleLinks};

/// For every operation, filter and field kind of `R` whose capability is false, calls it and
/// asserts `Error::Unsupported`, sent no request (the client's request counter does not move),
/// with an id the vendor holds (when one can be found) and with one it does not.
///
/// Passes with "nothing is false" when every capability of `R` is true.
pub async fn check_unsupported<R: Sample>(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure>
where
    R::New: Default,
{
    let gate = Gate::of(crm);
    let kind = R::KIND;
    let ctx = Ctx::new(
        crm.vendor(),
        &kind,
        "Unsupported where a capability is false",
    );
    let r = res::<R>(crm);
    let mut asserted: Vec<String> = Vec::new();

    // Ids to try: one the vendor holds (if any can be found) and one it does not.
    let mut ids: Vec<R::Id> = Vec::new();
    if let Ok(Some(v)) = harness.vendor_records(&kind).await {
        if let Some(id) = v.first().and_then(|v| id_from::<R>(&v.id)) {
            ids.push(id);
        }
    }
    if ids.is_empty() && gate.supports(&kind, Operation::List) {
        if let Ok(p) = r.list(&ListParams::new().page_size(1)).await {
            ids.extend(p.items.first().map(|x| x.id().clone()));
        }
    }
    let missing = harness.missing_id(&kind);
    ids.extend(id_from::<R>(&missing));

    // Each probe: (what, call) → must be Unsupported, without traffic.
    macro_rules! probe {
        ($what:expr, $call:expr) => {{
            let what: String = $what;
            let before = crm.stats().requests;
            let result = $call;
            expect_unsupported(&ctx, &what, result)?;
            let sent = crm.stats().requests - before;
            ctx.ensure(sent == 0, || {
                format!("{what} answered Unsupported only after {sent} request(s) to the vendor")
            })?;
            asserted.push(what);
        }};
    }

    let links = SampleLinks::default();
    if !gate.supports(&kind, Operation::List) {
        probe!("list".into(), r.list(&ListParams::new()).await);
    }
    if !gate.supports(&kind, Operation::Get) {
        for id in &ids {
            probe!(format!("get {id}"), r.get(id).await);
        }
    }
    if !gate.supports(&kind, Operation::Create) {
        probe!("create (empty)".into(), r.create(&R::New::default()).await);
        probe!(
            "create (sample)".into(),
            r.create(&R::sample(&links, 0)).await
        );
    }
    if !gate.supports(&kind, Operation::Update) {
        for id in &ids {
            probe!(
                format!("update {id} (empty patch)"),
                r.update(id, &R::Patch::default()).await
            );
            let (patch, field) = R::one_field_patch(0);
            probe!(format!("update {id} ({field})"), r.update(id, &patch).await);
        }
    }
    if !gate.supports(&kind, Operation::Delete) {
        for id in &ids {
            probe!(format!("delete {id}"), r.delete(id).await);
        }
    }
    if !gate.supports(&kind, Operation::Search) {
        probe!(
            "list with search".into(),
            r.list(&ListParams::new().search("a")).await
        );
    }
    if !gate.supports(&kind, Operation::UpdatedSince) {
        let since = ListParams::new().updated_since(chrono::DateTime::UNIX_EPOCH);
        probe!("list with updated_since".into(), r.list(&since).await);
    }
    if !gate.supports(&kind, Operation::Of) {
        let of = ListParams::new().of(ResourceKind::Contact);
        probe!("list with of".into(), r.list(&of).await);
    }
    if !gate.supports(&kind, Operation::Changes) {
        let cp = Checkpoint::at(chrono::DateTime::UNIX_EPOCH);
        probe!("changes_since".into(), r.changes_since(&cp).await);
    }
    for field in [FieldKind::Tags, FieldKind::CustomFields] {
        if gate.carries(&kind, field) {
            continue;
        }
        let mut new = R::sample(&links, 0);
        let (has_field, patch) = match field {
            FieldKind::Tags => (
                R::add_tag(&mut new, Tag::named(crate::checks::writes::KIT_TAG)),
                R::tags_patch(vec![Tag::named(crate::checks::writes::KIT_TAG)]),
            ),
            _ => {
                let v = unicrm_core::CustomFieldValue {
                    definition_id: unicrm_core::CustomFieldId::new("1"),
                    name: Some("kit".into()),
                    value: Some(unicrm_core::FieldValue::Text("kit".into())),
                    row_id: None,
                };
                (
                    R::add_custom_field(&mut new, v.clone()),
                    R::custom_fields_patch(vec![v]),
                )
            }
        };
        if !has_field {
            asserted.push(format!("no {} field on {kind}", field.as_str()));
            continue;
        }
        probe!(
            format!("create with {}", field.as_str()),
            r.create(&new).await
        );
        if let Some(patch) = patch {
            for id in &ids {
                probe!(
                    format!("update {id} setting {}", field.as_str()),
                    r.update(id, &patch).await
                );
            }
        }
    }
    if gate.supports(&kind, Operation::Changes) && gate.deletions(&kind) == Deletions::NotReported {
        asserted.push(
            "deletions are not reported: the convergence check fails on any reported deletion"
                .into(),
        );
    }
    if asserted.is_empty() {
        return Ok(ctx.pass("nothing is false"));
    }
    Ok(ctx.pass(format!(
        "Unsupported, without a request: {}",
        asserted.join(", ")
    )))
}

/// Webhooks: when the capability is false, the harness's subscription attempt must answer
/// `Unsupported`; when true, it must succeed.
pub async fn check_webhooks(crm: &dyn Crm, harness: &dyn Harness) -> Result<CheckRecord, Failure> {
    let gate = Gate::of(crm);
    let ctx = Ctx::new(crm.vendor(), "crm", "webhooks");
    let Some(result) = harness.try_webhook().await else {
        return Ok(ctx.skip(
            "webhooks are not on `Crm` and the harness offers no way to try one",
            format!("the capability says webhooks = {}", gate.webhooks()),
        ));
    };
    if gate.webhooks() {
        result.map_err(|e| ctx.fail(format!("webhooks are true, yet subscribing failed: {e}")))?;
        Ok(ctx.pass("a webhook subscription succeeded"))
    } else {
        match result {
            Err(Error::Unsupported { .. }) => Ok(ctx.pass("subscribing answers Unsupported")),
            other => Err(ctx.fail(format!(
                "webhooks are false, so subscribing must answer Unsupported; got {other:?}"
            ))),
        }
    }
}
