//! Capsule pipelines and milestones ↔ unified [`Pipeline`] with [`Stage`]s.
//!
//! A milestone becomes a stage: `probability` → `probability`, `displayOrder` → `order` (the
//! position in the list when absent), `complete` with probability 100 → `is_won`, `complete`
//! with probability 0 → `is_lost`, `daysUntilStale` → `days_until_stale`. Pipelines are
//! read-only in the unified API (Capsule's pipeline write endpoints are not confirmed).

use std::collections::HashMap;

use rust_decimal::Decimal;
use unicrm_core::{Pipeline, PipelineId, RawPayload, ResourceKind, Stage, StageId};

use super::non_empty;
use crate::wire::{Decoded, WireMilestone, WirePipeline, decimal_from_raw};

/// A milestone → stage.
pub fn stage_from_wire(m: &WireMilestone, position: usize) -> Stage {
    let probability = m.probability.as_deref().and_then(decimal_from_raw);
    Stage {
        id: StageId::from(m.id),
        name: m.name.clone().unwrap_or_default(),
        description: non_empty(&m.description),
        order: m.display_order.or_else(|| u32::try_from(position + 1).ok()),
        probability,
        is_won: m.complete && probability == Some(Decimal::ONE_HUNDRED),
        is_lost: m.complete && probability == Some(Decimal::ZERO),
        days_until_stale: m.days_until_stale,
    }
}

/// A pipeline and its milestones (in pipeline order) → pipeline. `raw` holds both payloads:
/// `{"pipeline": …, "milestones": […]}`.
pub fn pipeline_from_wire(
    p: &Decoded<WirePipeline>,
    milestones: &[Decoded<WireMilestone>],
) -> Pipeline {
    let mut stages: Vec<Stage> = milestones
        .iter()
        .enumerate()
        .map(|(i, m)| stage_from_wire(&m.wire, i))
        .collect();
    stages.sort_by_key(|s| s.order.unwrap_or(u32::MAX));
    Pipeline {
        id: PipelineId::from(p.wire.id),
        name: p.wire.name.clone().unwrap_or_default(),
        description: non_empty(&p.wire.description),
        applies_to: Some(ResourceKind::Opportunity),
        stages,
        created_at: p.wire.created_at,
        updated_at: p.wire.updated_at,
        raw: Some(combined_raw(p, milestones)),
    }
}

/// `{"pipeline": …, "milestones": […]}` as JSON text, from the payloads' own text (each is
/// valid JSON, so the whole is too).
fn combined_raw(p: &Decoded<WirePipeline>, milestones: &[Decoded<WireMilestone>]) -> RawPayload {
    let mut text = String::with_capacity(
        32 + p.raw.as_str().len()
            + milestones
                .iter()
                .map(|m| m.raw.as_str().len() + 1)
                .sum::<usize>(),
    );
    text.push_str("{\"pipeline\":");
    text.push_str(p.raw.as_str());
    text.push_str(",\"milestones\":[");
    for (i, m) in milestones.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(m.raw.as_str());
    }
    text.push_str("]}");
    RawPayload::from_json_text(&text)
}

/// Where each milestone belongs: milestone id → (pipeline id, stage). Lets opportunities name
/// their pipeline and lets writes find a pipeline's first, won and lost milestones.
#[derive(Debug, Clone, Default)]
pub struct StageIndex {
    by_milestone: HashMap<String, (PipelineId, Stage)>,
    by_pipeline: HashMap<String, Vec<Stage>>,
}

impl StageIndex {
    /// From pipelines with their stages.
    pub fn new(pipelines: &[Pipeline]) -> Self {
        let mut idx = StageIndex::default();
        for p in pipelines {
            for s in &p.stages {
                idx.by_milestone
                    .insert(s.id.0.clone(), (p.id.clone(), s.clone()));
            }
            idx.by_pipeline.insert(p.id.0.clone(), p.stages.clone());
        }
        idx
    }

    /// The pipeline and stage of a milestone.
    pub fn milestone(&self, id: &str) -> Option<&(PipelineId, Stage)> {
        self.by_milestone.get(id)
    }

    /// The stages of a pipeline, in order.
    pub fn stages(&self, pipeline: &str) -> Option<&[Stage]> {
        self.by_pipeline.get(pipeline).map(Vec::as_slice)
    }

    /// `true` when the milestone is known.
    pub fn knows(&self, id: &str) -> bool {
        self.by_milestone.contains_key(id)
    }
}
