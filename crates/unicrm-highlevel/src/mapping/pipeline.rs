//! HighLevel pipeline → unified `Pipeline` (docs/vendors/highlevel-v2.md, "Pipelines"):
//! stages sorted by their integer `position` (ties by id; a missing or non-integer position
//! sorts last) and numbered from 1; `stageWinProbability` (0–100, maybe fractional) is the
//! stage's probability. HighLevel has no won or lost stages (that is the opportunity's
//! `status`), and the pipeline's own `position` is a rank string that orders nothing here.

use rust_decimal::Decimal;
use serde_json::Value;
use unicrm_core::{Pipeline, RawPayload, ResourceKind, Result, Stage};

use super::fields;
use crate::wire::opportunity::{WirePipeline, WireStage};

fn position(s: &WireStage) -> Option<i64> {
    match s.position.as_ref()? {
        Value::Number(n) => n.as_i64(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn probability(v: Option<&Value>) -> Option<Decimal> {
    match v? {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A pipeline from its JSON, keeping the JSON raw.
pub(crate) fn from_wire(value: Value) -> Result<Pipeline> {
    let w: WirePipeline = unicrm_core::error::decode_value(value.clone())?;
    let mut stages = w.stages;
    stages.sort_by(|a, b| {
        let key = |s: &WireStage| (position(s).is_none(), position(s), s.id.clone());
        key(a).cmp(&key(b))
    });
    Ok(Pipeline {
        id: w.id.into(),
        name: w.name.unwrap_or_default(),
        applies_to: Some(ResourceKind::Opportunity),
        stages: stages
            .into_iter()
            .enumerate()
            .map(|(i, s)| Stage {
                order: u32::try_from(i + 1).ok(),
                probability: probability(s.stage_win_probability.as_ref()),
                name: s.name.unwrap_or_default(),
                id: s.id.into(),
                ..Default::default()
            })
            .collect(),
        created_at: fields::time(w.date_added.as_deref()),
        updated_at: fields::time(w.date_updated.as_deref()),
        raw: Some(RawPayload::from_value(&value)),
        ..Default::default()
    })
}
