//! Projects, boards and stages, field definitions and the Filters API: vendor → unified and
//! unified → vendor, one snapshot per fixture and direction (`tests/fixtures/`).

use chrono::{TimeZone, Utc};
use serde_json::Value;
use unicrm_capsule::changes::{Listing, assemble};
use unicrm_capsule::filters::type_filter_body;
use unicrm_capsule::mapping::custom_fields::{FieldEntity, definition_from_wire};
use unicrm_capsule::mapping::field_definition::{
    field_definition_from_wire, new_definition_to_wire,
};
use unicrm_capsule::mapping::project::{
    BoardIndex, ProjectRefs, board_from_wire, new_project_to_wire, project_from_wire,
    project_patch_to_wire,
};
use unicrm_capsule::mapping::{Body, FieldDefs};
use unicrm_capsule::resources::parties::to_record;
use unicrm_capsule::wire::{self, *};
use unicrm_core::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn part(file: &str, key: &str) -> Vec<u8> {
    let all: Value = serde_json::from_slice(&fixture(file)).unwrap();
    serde_json::to_vec(&all[key]).unwrap()
}

fn body(b: &Body, wrapper: &str) -> Value {
    serde_json::from_str(&b.wrap(wrapper).unwrap()).unwrap()
}

fn stages() -> Vec<Decoded<WireStage>> {
    wire::decode_list::<WireStage>(
        &part("boards-and-stages.json", "GET /api/v2/stages"),
        "stages",
    )
    .unwrap()
}

/// The kase fixture's three definitions (31 text, 32 number under a data tag, 33 date), as
/// `GET /kases/fields/definitions` would give them.
fn kase_defs() -> FieldDefs {
    let text = br#"{"definitions":[
        {"id":31,"name":"Site access code","type":"text"},
        {"id":32,"name":"Machines","type":"number","tag":{"id":2302,"name":"Installation details","dataTag":true}},
        {"id":33,"name":"Opening day","type":"date","tag":{"id":2302,"name":"Installation details","dataTag":true}}]}"#;
    let defs = wire::decode_list::<wire::FieldDefinition>(text, "definitions").unwrap();
    FieldDefs::new(
        defs.iter()
            .map(|d| definition_from_wire(d, FieldEntity::Kases)),
    )
}

fn kase() -> Project {
    let d = wire::decode_one::<WireKase>(&fixture("kase.json"), "kase").unwrap();
    project_from_wire(&d, &kase_defs(), &BoardIndex::new(&stages()))
}

#[test]
fn kase_to_unified() {
    let p = kase();
    assert_eq!(
        p.pipeline_id.as_ref().map(|p| p.as_str()),
        Some("board-13647")
    );
    assert_eq!(p.account_id.as_ref().map(|a| a.as_str()), Some("900001"));
    assert_eq!(
        p.opportunity_id.as_ref().map(|o| o.as_str()),
        Some("83948370")
    );
    insta::assert_yaml_snapshot!("kase__unified", p, { ".raw" => "[raw]" });
}

#[test]
fn kase_to_wire() {
    let p = kase();
    let new = NewProject {
        name: p.name.clone(),
        description: p.description.clone(),
        status: p.status.clone(),
        stage_id: p.stage_id.clone(),
        account_id: p.account_id.clone(),
        opportunity_id: p.opportunity_id.clone(),
        owner_id: p.owner_id.clone(),
        team_id: p.team_id.clone(),
        expected_close_date: p.expected_close_date,
        tags: p.tags.clone(),
        custom_fields: p.custom_fields.clone(),
        ..Default::default()
    };
    let refs = ProjectRefs {
        stage: Some(271006),
        default_owner: None,
    };
    insta::assert_json_snapshot!(
        "kase__create_body",
        body(&new_project_to_wire(&new, &refs).unwrap(), "kase")
    );
    // Moving to the Design board's stage and changing the owner (the stored team is re-sent).
    let patch = ProjectPatch {
        owner_id: Patch::Set(UserId::from(645001u64)),
        stage_id: Patch::Set(StageId::from(271101u64)),
        description: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "kase__update_body",
        body(
            &project_patch_to_wire(&patch, Some(Some(271101)), Some(&p)).unwrap(),
            "kase"
        )
    );
}

#[test]
fn boards_and_stages_to_unified() {
    let boards = wire::decode_list::<WireBoard>(
        &part("boards-and-stages.json", "GET /api/v2/boards"),
        "boards",
    )
    .unwrap();
    let all = stages();
    let pipelines: Vec<Pipeline> = boards
        .iter()
        .map(|b| {
            let mine: Vec<Decoded<WireStage>> = all
                .iter()
                .filter(|s| s.wire.board.as_ref().and_then(|x| x.id) == Some(b.wire.id as i64))
                .cloned()
                .collect();
            board_from_wire(b, &mine)
        })
        .collect();
    assert!(
        pipelines
            .iter()
            .all(|p| p.applies_to == Some(ResourceKind::Project))
    );
    insta::assert_yaml_snapshot!("boards_and_stages__unified", pipelines, { "[].raw" => "[raw]" });
}

#[test]
fn boards_and_stages_to_wire() {
    // A unified pipeline id (board) with no stage becomes the board's first stage; a stage id
    // is written as the bare integer; clearing takes the project off every board.
    let idx = BoardIndex::new(&stages());
    let bodies: Vec<Value> = [
        Some(idx.first_stage(13647)),
        Some(idx.first_stage(13648)),
        Some(None),
    ]
    .into_iter()
    .map(|s| {
        body(
            &project_patch_to_wire(&ProjectPatch::default(), s, None).unwrap(),
            "kase",
        )
    })
    .collect();
    insta::assert_json_snapshot!("boards_and_stages__project_stage_bodies", bodies);
}

#[test]
fn party_field_definitions_resource_both_directions() {
    let defs = wire::decode_list::<wire::FieldDefinition>(
        &fixture("party-field-definitions.json"),
        "definitions",
    )
    .unwrap();
    let unified: Vec<unicrm_core::FieldDefinition> = defs
        .iter()
        .map(|d| field_definition_from_wire(d, FieldEntity::Parties))
        .collect();
    insta::assert_yaml_snapshot!("party_field_definitions__resource", unified, { "[].raw" => "[raw]" });
    // Back to the vendor: the create body each definition would need.
    let bodies: Vec<Value> = unified
        .iter()
        .map(|f| {
            let new = NewFieldDefinition {
                name: f.name.clone(),
                kind: f.kind.clone(),
                description: f.description.clone(),
                choices: f.choices.clone(),
                applies_to: f.applies_to.clone(),
                ..Default::default()
            };
            match new_definition_to_wire(&new) {
                Ok((entity, b)) => {
                    serde_json::json!({"path": entity.path(), "body": body(&b, "definition")})
                }
                Err(e) => serde_json::json!({"refused": e.to_string()}),
            }
        })
        .collect();
    insta::assert_json_snapshot!("party_field_definitions__create_bodies", bodies);
}

#[test]
fn kases_deleted_to_changes() {
    let deleted: Vec<DeletedRecord> =
        wire::decode_list::<DeletedRecord>(&fixture("kases-deleted.json"), "kases")
            .unwrap()
            .into_iter()
            .map(|d| d.wire)
            .collect();
    let checkpoint = Checkpoint::at(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap());
    let vendor_time = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    let listing = Listing {
        first_date: Some(vendor_time),
        last_date: Some(vendor_time),
        ..Listing::default()
    };
    let set = assemble::<Project>(listing, deleted, ProjectId::from, &checkpoint);
    assert_eq!(set.changes.len(), 2, "restrictedKases are not deletions");
    insta::assert_yaml_snapshot!("kases_deleted__changes", set);
}

#[test]
fn filters_results_both_directions() {
    let all: Value = serde_json::from_slice(&fixture("filters-results.json")).unwrap();
    let ex = &all["POST /api/v2/parties/filters/results?perPage=2&embed=tags"];
    // Unified → vendor: the adapter's request body is the documented one.
    let sent: Value = serde_json::from_str(&type_filter_body("person")).unwrap();
    assert_eq!(sent, ex["requestBody"]);
    // Vendor → unified: both pages map to contacts only.
    let mut contacts = Vec::new();
    for key in [
        "POST /api/v2/parties/filters/results?perPage=2&embed=tags",
        "POST /api/v2/parties/filters/results?perPage=2&embed=tags&page=2",
    ] {
        let page = serde_json::to_vec(&all[key]["responseBody"]).unwrap();
        for d in wire::decode_list::<Party>(&page, "parties").unwrap() {
            contacts.push(to_record(&d, &FieldDefs::default()));
        }
    }
    insta::assert_yaml_snapshot!("filters_results__unified", contacts, {
        "[].raw" => "[raw]"
    });
}
