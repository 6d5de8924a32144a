//! Pipeline ↔ `/Pipelines` + `/PipelineStages` (docs/vendors/insightly-v3.1.md §11.10), read-only.
//!
//! Stages are not embedded in pipelines: they come from the flat `/PipelineStages` list,
//! grouped by `PIPELINE_ID` and ordered by `STAGE_ORDER`. `applies_to` is `opportunity` for
//! `FOR_OPPORTUNITIES` pipelines, else `project` for `FOR_PROJECTS` ones. Insightly stages
//! carry no probability and no won/lost flag (winning is `OPPORTUNITY_STATE`).

use serde_json::value::RawValue;
use unicrm_core::{Pipeline, ResourceKind, Result, Stage};

use super::text;
use crate::wire::{PipelineStageWire, PipelineWire};

/// Reads the stage list from its JSON text items.
pub fn stages_from_json(items: &[Box<RawValue>]) -> Result<Vec<PipelineStageWire>> {
    items
        .iter()
        .enumerate()
        .map(|(i, r)| crate::wire::decode_at(r.get(), &format!("[{i}]")))
        .collect()
}

/// Reads a pipeline from its JSON text, with its stages taken from `stages`.
pub fn from_json(text: &RawValue, stages: &[PipelineStageWire]) -> Result<Pipeline> {
    from_json_at(text, stages, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    stages: &[PipelineStageWire],
    prefix: &str,
) -> Result<Pipeline> {
    let (w, raw) = super::decode_wire::<PipelineWire>(text.get(), prefix)?;
    Ok(from_wire(w, raw, stages))
}

/// Maps a decoded pipeline and its stages (stages of other pipelines are ignored).
pub fn from_wire(
    w: PipelineWire,
    raw: unicrm_core::RawPayload,
    stages: &[PipelineStageWire],
) -> Pipeline {
    let mut own: Vec<&PipelineStageWire> = stages
        .iter()
        .filter(|s| s.pipeline_id.is_some() && s.pipeline_id == w.pipeline_id)
        .collect();
    own.sort_by_key(|s| (s.stage_order.unwrap_or(i64::MAX), s.stage_id));
    let applies_to = if w.for_opportunities == Some(true) {
        Some(ResourceKind::Opportunity)
    } else if w.for_projects == Some(true) {
        Some(ResourceKind::Project)
    } else {
        None
    };
    Pipeline {
        id: w.pipeline_id.map(Into::into).unwrap_or_default(),
        name: text(&w.pipeline_name).unwrap_or_default(),
        description: None,
        applies_to,
        stages: own
            .into_iter()
            .filter_map(|s| {
                Some(Stage {
                    id: s.stage_id?.into(),
                    name: text(&s.stage_name).unwrap_or_default(),
                    description: None,
                    order: s.stage_order.and_then(|o| u32::try_from(o).ok()),
                    probability: None,
                    is_won: false,
                    is_lost: false,
                    days_until_stale: None,
                })
            })
            .collect(),
        created_at: None,
        updated_at: None,
        raw: Some(raw),
    }
}
