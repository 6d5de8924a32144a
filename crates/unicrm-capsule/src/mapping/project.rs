//! Capsule project (`kase`) ↔ unified [`Project`]; boards with their stages ↔ unified
//! [`Pipeline`] (docs/vendors/capsule-v2-addendum.md, "Projects").
//!
//! | Capsule | unified |
//! |---|---|
//! | `status` `OPEN` / `CLOSED` | `status` open / closed (others: `Other`) |
//! | `party` | `account_id` (organisation) or `contact_id` (person) |
//! | `opportunity` | `opportunity_id` |
//! | `owner`, `team` | `owner_id`, `team_id` |
//! | `stage` | `stage_id` (the stage's own id), `stage_name`; `pipeline_id` = `board-<board id>` from the stage's board |
//! | `expectedCloseOn`, `closedOn`, `startOn` (undocumented) | `expected_close_date`, `closed_date`, `start_date` |
//! | `lastContactedAt` | `last_activity_at` |
//! | `tags`, `fields` | `tags`, `custom_fields` |
//!
//! **Pipeline ids.** Capsule numbers boards and opportunity pipelines independently, so a
//! board's unified pipeline id is `board-<id>` (e.g. `board-13647`) and an opportunity
//! pipeline's stays its bare number: the two can never collide, and `pipelines().get(id)`
//! tells them apart by the prefix. Stage ids are the vendor's bare stage ids on both kinds
//! (a project's `stage_id` is always a board stage, an opportunity's always a milestone).
//!
//! **Writes.** `stage` is written as a bare integer (the documented create example);
//! `stage_id` cleared writes `"stage": null`, which takes the project off every board.
//! Capsule requires a `party` (cleared → local validation error) and an owner or a team.
//! On PUT, Capsule clears `team` when `owner` is sent without it, so a patch that sets or
//! clears `owner_id` and leaves `team_id` unchanged re-sends the stored team (the unified
//! patch means "team unchanged"); a patch of `team_id` alone is sent alone (Capsule keeps
//! the owner). Clearing both is refused locally (`owner or team is required`).
//!
//! Not mapped: `assignee_id`, `category_id`, `milestones`, `next_activity_at`,
//! `picture_url` (Capsule has none of them); `missingImportantFields` stays in `raw`.

use std::collections::HashMap;

use unicrm_core::error::{Error, Result};
use unicrm_core::{
    AccountId, ContactId, NewProject, OpportunityId, Patch, Pipeline, PipelineId, Project,
    ProjectId, ProjectPatch, ProjectStatus, RawPayload, ResourceKind, Stage, StageId, UserId,
};

use super::party_rows::{diff_tags, tag_to_wire, tags_from_wire};
use super::{Body, FieldDefs, IdRef, non_empty, numeric_id, patch_scalar};
use crate::wire::{Decoded, WireBoard, WireKase, WireStage};

/// The prefix of a board's unified pipeline id.
pub const BOARD_PREFIX: &str = "board-";

/// A board's unified pipeline id: `board-<id>`.
pub fn board_pipeline_id(board: u64) -> PipelineId {
    PipelineId::from(format!("{BOARD_PREFIX}{board}"))
}

/// The board id of a unified pipeline id, when it names a board.
pub fn board_of_pipeline(id: &str) -> Option<u64> {
    id.trim().strip_prefix(BOARD_PREFIX)?.parse().ok()
}

/// Stage id → board id, from `GET /stages`.
#[derive(Debug, Clone, Default)]
pub struct BoardIndex {
    board_of: HashMap<u64, u64>,
    first_stage: HashMap<u64, (u32, u64)>,
}

impl BoardIndex {
    /// From the stages of every board.
    pub fn new(stages: &[Decoded<WireStage>]) -> Self {
        let mut idx = BoardIndex::default();
        for s in stages {
            let Some(board) = s.wire.board.as_ref().and_then(|b| b.id) else {
                continue;
            };
            let Ok(board) = u64::try_from(board) else {
                continue;
            };
            idx.board_of.insert(s.wire.id, board);
            let order = s.wire.display_order.unwrap_or(u32::MAX);
            let first = idx.first_stage.entry(board).or_insert((order, s.wire.id));
            if (order, s.wire.id) < *first {
                *first = (order, s.wire.id);
            }
        }
        idx
    }

    /// The board of a stage.
    pub fn board(&self, stage: u64) -> Option<u64> {
        self.board_of.get(&stage).copied()
    }

    /// `true` when the stage is known.
    pub fn knows(&self, stage: u64) -> bool {
        self.board_of.contains_key(&stage)
    }

    /// The first stage (lowest `displayOrder`) of a board.
    pub fn first_stage(&self, board: u64) -> Option<u64> {
        self.first_stage.get(&board).map(|(_, s)| *s)
    }
}

/// `status` → unified.
pub fn status_from_wire(s: &str) -> ProjectStatus {
    match s.trim().to_ascii_uppercase().as_str() {
        "OPEN" => ProjectStatus::Open,
        "CLOSED" => ProjectStatus::Closed,
        _ => ProjectStatus::Other(s.to_string()),
    }
}

/// Unified status → `status`; Capsule knows only `OPEN` and `CLOSED`.
pub fn status_to_wire(s: &ProjectStatus) -> Result<&'static str> {
    match s {
        ProjectStatus::Open => Ok("OPEN"),
        ProjectStatus::Closed => Ok("CLOSED"),
        other => Err(Error::Validation {
            message: format!(
                "Capsule projects are open or closed; status {:?} cannot be written",
                other.as_str()
            ),
            fields: vec![unicrm_core::FieldError {
                field: Some("status".into()),
                resource: Some("project".into()),
                message: "unsupported status".into(),
            }],
        }),
    }
}

/// A project → unified. `boards` names the stage's board (left `None` when unknown).
pub fn project_from_wire(d: &Decoded<WireKase>, defs: &FieldDefs, boards: &BoardIndex) -> Project {
    let k = &d.wire;
    let stage_id = k
        .stage
        .as_ref()
        .and_then(|s| s.id)
        .and_then(|s| u64::try_from(s).ok());
    let (account_id, contact_id) = match &k.party {
        Some(p) => match (p.id, p.kind.as_deref()) {
            (Some(id), Some(t)) if t.eq_ignore_ascii_case("person") => {
                (None, Some(ContactId::from(id)))
            }
            (Some(id), _) => (Some(AccountId::from(id)), None),
            _ => (None, None),
        },
        None => (None, None),
    };
    Project {
        id: ProjectId::from(k.id),
        name: k.name.clone().unwrap_or_default(),
        description: non_empty(&k.description),
        status: non_empty(&k.status).map(|s| status_from_wire(&s)),
        pipeline_id: stage_id
            .and_then(|s| boards.board(s))
            .map(board_pipeline_id),
        stage_id: stage_id.map(StageId::from),
        stage_name: k.stage.as_ref().and_then(|s| non_empty(&s.name)),
        account_id,
        contact_id,
        opportunity_id: k
            .opportunity
            .as_ref()
            .and_then(|o| o.id)
            .map(|id| OpportunityId::from(id.to_string())),
        owner_id: k.owner.as_ref().and_then(|u| u.id).map(UserId::from),
        team_id: k.team.as_ref().and_then(|t| t.id).map(|t| t.to_string()),
        start_date: k.start_on,
        expected_close_date: k.expected_close_on,
        closed_date: k.closed_on,
        last_activity_at: k.last_contacted_at,
        tags: tags_from_wire(k.tags.as_deref().unwrap_or_default()),
        custom_fields: super::custom_fields::values_from_wire(
            k.fields.as_deref().unwrap_or_default(),
            defs,
        ),
        created_at: k.created_at,
        updated_at: k.updated_at,
        raw: Some(d.raw.clone()),
        ..Default::default()
    }
}

/// A stage of a board → unified stage (no probability, never won or lost: a project ends
/// through its status, not its stage).
pub fn board_stage_from_wire(s: &WireStage, position: usize) -> Stage {
    Stage {
        id: StageId::from(s.id),
        name: s.name.clone().unwrap_or_default(),
        description: non_empty(&s.description),
        order: s.display_order.or_else(|| u32::try_from(position + 1).ok()),
        probability: None,
        is_won: false,
        is_lost: false,
        days_until_stale: None,
    }
}

/// A board and its stages → pipeline `board-<id>` for projects. `raw` holds both payloads:
/// `{"board": …, "stages": […]}`.
pub fn board_from_wire(b: &Decoded<WireBoard>, stages: &[Decoded<WireStage>]) -> Pipeline {
    let mut out: Vec<Stage> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| board_stage_from_wire(&s.wire, i))
        .collect();
    out.sort_by_key(|s| s.order.unwrap_or(u32::MAX));
    let mut text = String::from("{\"board\":");
    text.push_str(b.raw.as_str());
    text.push_str(",\"stages\":[");
    for (i, s) in stages.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(s.raw.as_str());
    }
    text.push_str("]}");
    Pipeline {
        id: board_pipeline_id(b.wire.id),
        name: b.wire.name.clone().unwrap_or_default(),
        description: non_empty(&b.wire.description),
        applies_to: Some(ResourceKind::Project),
        stages: out,
        created_at: b.wire.created_at,
        updated_at: b.wire.updated_at,
        raw: Some(RawPayload::from_json_text(&text)),
    }
}

fn party_error() -> Error {
    Error::Validation {
        message: "a Capsule project needs a party: set account_id or contact_id".into(),
        fields: vec![unicrm_core::FieldError {
            field: Some("account_id".into()),
            resource: Some("project".into()),
            message: "party is required".into(),
        }],
    }
}

/// The local refusal of a project with neither owner nor team.
pub fn owner_or_team_error() -> Error {
    Error::Validation {
        message: "a Capsule project needs an owner or a team".into(),
        fields: vec![unicrm_core::FieldError {
            field: Some("owner_id".into()),
            resource: Some("project".into()),
            message: "owner or team is required".into(),
        }],
    }
}

fn set_id(b: &mut Body, key: &str, id: &str, what: &str) -> Result<()> {
    b.set(
        key,
        &IdRef {
            id: numeric_id(id, what)?,
        },
    )
}

/// What the resource looked up before writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectRefs {
    /// The stage to write (from `stage_id`, or the first stage of the `pipeline_id` board).
    pub stage: Option<u64>,
    /// The owner to write when the caller named neither owner nor team (the token's user).
    pub default_owner: Option<u64>,
}

/// The body of `POST /kases` (without the wrapper).
pub fn new_project_to_wire(n: &NewProject, refs: &ProjectRefs) -> Result<Body> {
    let mut b = Body::new();
    if n.name.trim().is_empty() {
        return Err(Error::validation("a project needs a name"));
    }
    b.set("name", &n.name)?;
    if let Some(d) = &n.description {
        b.set("description", d)?;
    }
    if let Some(s) = &n.status {
        b.set("status", status_to_wire(s)?)?;
    }
    match (&n.account_id, &n.contact_id) {
        (Some(a), _) => set_id(&mut b, "party", a.as_str(), "account_id")?,
        (None, Some(c)) => set_id(&mut b, "party", c.as_str(), "contact_id")?,
        (None, None) => return Err(party_error()),
    }
    if let Some(o) = &n.opportunity_id {
        set_id(&mut b, "opportunity", o.as_str(), "opportunity_id")?;
    }
    match (&n.owner_id, &n.team_id, refs.default_owner) {
        (None, None, None) => return Err(owner_or_team_error()),
        (None, None, Some(u)) => b.set("owner", &IdRef { id: u })?,
        (owner, team, _) => {
            if let Some(o) = owner {
                set_id(&mut b, "owner", o.as_str(), "owner_id")?;
            }
            if let Some(t) = team {
                set_id(&mut b, "team", t, "team_id")?;
            }
        }
    }
    if let Some(s) = refs.stage {
        b.set("stage", &s)?;
    }
    if let Some(d) = &n.expected_close_date {
        b.set("expectedCloseOn", d)?;
    }
    if !n.tags.is_empty() {
        b.set("tags", &n.tags.iter().map(tag_to_wire).collect::<Vec<_>>())?;
    }
    let fields = super::custom_fields::values_to_wire(&n.custom_fields)?;
    if !fields.is_empty() {
        b.set("fields", &fields)?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// Whether a patch needs the stored project (tags and custom fields are diffed; an owner
/// change re-sends the stored team).
pub fn patch_needs_stored(p: &ProjectPatch) -> bool {
    !p.tags.is_unchanged()
        || !p.custom_fields.is_unchanged()
        || (!p.owner_id.is_unchanged() && p.team_id.is_unchanged())
}

/// The body of `PUT /kases/{id}`. `stage`: `Some(Some(n))` moves the project to stage `n`,
/// `Some(None)` takes it off every board, `None` leaves it. `stored` is needed when
/// [`patch_needs_stored`] says so.
pub fn project_patch_to_wire(
    p: &ProjectPatch,
    stage: Option<Option<u64>>,
    stored: Option<&Project>,
) -> Result<Body> {
    let mut b = Body::new();
    match &p.name {
        Patch::Unchanged => {}
        Patch::Set(n) if !n.trim().is_empty() => b.set("name", n)?,
        _ => return Err(Error::validation("a project needs a name")),
    }
    patch_scalar(&mut b, "description", &p.description)?;
    match &p.status {
        Patch::Unchanged => {}
        Patch::Set(s) => b.set("status", status_to_wire(s)?)?,
        Patch::Clear => b.set("status", "OPEN")?,
    }
    match (&p.account_id, &p.contact_id) {
        (Patch::Set(a), _) => set_id(&mut b, "party", a.as_str(), "account_id")?,
        (_, Patch::Set(c)) => set_id(&mut b, "party", c.as_str(), "contact_id")?,
        (Patch::Clear, Patch::Clear) => return Err(party_error()),
        _ => {}
    }
    match &p.opportunity_id {
        Patch::Unchanged => {}
        Patch::Set(o) => set_id(&mut b, "opportunity", o.as_str(), "opportunity_id")?,
        Patch::Clear => b.set_null("opportunity")?,
    }
    match stage {
        None => {}
        Some(Some(s)) => b.set("stage", &s)?,
        Some(None) => b.set_null("stage")?,
    }
    patch_scalar(&mut b, "expectedCloseOn", &p.expected_close_date)?;
    // Owner and team (see the module docs).
    let stored_team = stored.and_then(|s| s.team_id.clone());
    let stored_owner = stored.and_then(|s| s.owner_id.clone());
    let owner_after = match &p.owner_id {
        Patch::Unchanged => stored_owner.map(|o| o.0),
        Patch::Set(o) => Some(o.0.clone()),
        Patch::Clear => None,
    };
    let team_after = match &p.team_id {
        Patch::Unchanged => stored_team.clone(),
        Patch::Set(t) => Some(t.clone()),
        Patch::Clear => None,
    };
    let touches = !p.owner_id.is_unchanged() || !p.team_id.is_unchanged();
    let both_cleared = matches!((&p.owner_id, &p.team_id), (Patch::Clear, Patch::Clear));
    if both_cleared
        || (touches && stored.is_some() && owner_after.is_none() && team_after.is_none())
    {
        return Err(owner_or_team_error());
    }
    match &p.owner_id {
        Patch::Unchanged => {}
        Patch::Set(o) => {
            set_id(&mut b, "owner", o.as_str(), "owner_id")?;
            if p.team_id.is_unchanged() {
                if let Some(t) = &stored_team {
                    set_id(&mut b, "team", t, "team_id")?;
                }
            }
        }
        Patch::Clear => {
            b.set_null("owner")?;
            if p.team_id.is_unchanged() {
                if let Some(t) = &stored_team {
                    set_id(&mut b, "team", t, "team_id")?;
                }
            }
        }
    }
    match &p.team_id {
        Patch::Unchanged => {}
        Patch::Set(t) => set_id(&mut b, "team", t, "team_id")?,
        Patch::Clear => b.set_null("team")?,
    }
    let stored_tags = stored.map(|s| s.tags.as_slice()).unwrap_or_default();
    let tags = match &p.tags {
        Patch::Unchanged => None,
        Patch::Set(t) => Some(diff_tags(stored_tags, t)),
        Patch::Clear => Some(diff_tags(stored_tags, &[])),
    };
    if let Some(ops) = tags.filter(|o| !o.is_empty()) {
        b.set("tags", &ops)?;
    }
    let stored_fields = stored
        .map(|s| s.custom_fields.as_slice())
        .unwrap_or_default();
    let want = match &p.custom_fields {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(v.as_slice()),
        Patch::Clear => Some(&[][..]),
    };
    if let Some(want) = want {
        let rows = super::custom_fields::diff_values(stored_fields, want)?;
        if !rows.is_empty() {
            b.set("fields", &rows)?;
        }
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_ids_never_look_like_pipeline_ids() {
        assert_eq!(board_pipeline_id(13647).as_str(), "board-13647");
        assert_eq!(board_of_pipeline("board-13647"), Some(13647));
        assert_eq!(board_of_pipeline("13647"), None);
        assert_eq!(board_of_pipeline("board-x"), None);
    }

    #[test]
    fn an_owner_change_resends_the_stored_team() {
        let stored = Project {
            owner_id: Some(UserId::from(645002u64)),
            team_id: Some("7".into()),
            ..Default::default()
        };
        let p = ProjectPatch {
            owner_id: Patch::Set(UserId::from(645001u64)),
            ..Default::default()
        };
        assert!(patch_needs_stored(&p));
        let b = project_patch_to_wire(&p, None, Some(&stored)).unwrap();
        assert_eq!(
            b.wrap("kase").unwrap(),
            r#"{"kase":{"owner":{"id":645001},"team":{"id":7}}}"#
        );
        let team_only = ProjectPatch {
            team_id: Patch::Set("7".into()),
            ..Default::default()
        };
        assert!(!patch_needs_stored(&team_only));
        let b = project_patch_to_wire(&team_only, None, None).unwrap();
        assert_eq!(b.wrap("kase").unwrap(), r#"{"kase":{"team":{"id":7}}}"#);
    }

    #[test]
    fn clearing_owner_and_team_is_refused_and_a_cleared_stage_is_null() {
        let p = ProjectPatch {
            owner_id: Patch::Clear,
            team_id: Patch::Clear,
            ..Default::default()
        };
        assert!(project_patch_to_wire(&p, None, None).is_err());
        let b = project_patch_to_wire(&ProjectPatch::default(), Some(None), None).unwrap();
        assert_eq!(b.wrap("kase").unwrap(), r#"{"kase":{"stage":null}}"#);
        let b = project_patch_to_wire(&ProjectPatch::default(), Some(Some(271101)), None).unwrap();
        assert_eq!(b.wrap("kase").unwrap(), r#"{"kase":{"stage":271101}}"#);
    }

    #[test]
    fn a_new_project_needs_a_party_and_gets_the_default_owner() {
        let mut n = NewProject {
            name: "Fit-out".into(),
            ..Default::default()
        };
        assert!(new_project_to_wire(&n, &ProjectRefs::default()).is_err());
        n.account_id = Some(AccountId::from(900001u64));
        assert!(new_project_to_wire(&n, &ProjectRefs::default()).is_err());
        let refs = ProjectRefs {
            stage: Some(271006),
            default_owner: Some(1),
        };
        let b = new_project_to_wire(&n, &refs).unwrap();
        assert_eq!(
            b.wrap("kase").unwrap(),
            r#"{"kase":{"name":"Fit-out","owner":{"id":1},"party":{"id":900001},"stage":271006}}"#
        );
        n.status = Some(ProjectStatus::Deferred);
        assert!(new_project_to_wire(&n, &refs).is_err());
    }
}
