//! Mapping snapshots of the project fixtures (docs/vendors/insightly-v3.1-addendum.md,
//! "Example payloads"), both directions: `project.json` read and written back as a create
//! and an update body; `project-reference.json` milestones and categories read, milestones
//! written; `custom-fields-projects.json` read as field definitions and used to type the
//! project's custom field values on the way out.

use serde_json::value::RawValue;
use unicrm_core::{
    CustomFieldId, CustomFieldValue, FieldValue, NewProject, Patch, ProjectPatch, ProjectStatus,
    ResourceKind,
};
use unicrm_insightly::mapping::{self, Definitions, Mode};
use unicrm_insightly::resources::projects::{milestones_from_json, pipeline_change};
use unicrm_insightly::wire::{CategoryWire, CustomFieldDefinitionWire};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn raw(text: &str) -> Box<RawValue> {
    serde_json::from_str(text).unwrap()
}

fn project_defs() -> Definitions {
    let wire: Vec<CustomFieldDefinitionWire> =
        serde_json::from_str(&fixture("custom-fields-projects.json")).unwrap();
    Definitions::from_wire(wire, &ResourceKind::Project)
}

#[test]
fn project() {
    let p = mapping::project::from_json(&raw(&fixture("project.json")), &project_defs()).unwrap();
    assert_eq!(p.status, Some(ProjectStatus::InProgress));
    assert_eq!(p.opportunity_id.as_ref().map(|o| o.as_str()), Some("4001"));
    assert_eq!(p.assignee_id.as_ref().map(|u| u.as_str()), Some("502"));
    assert_eq!(p.account_id.as_ref().map(|a| a.as_str()), Some("2001"));
    assert_eq!(p.contact_id.as_ref().map(|c| c.as_str()), Some("1001"));
    let r = p.raw.as_ref().unwrap().to_value();
    assert_eq!(r["LINKED_EMAIL_ADDRESS"], "p3001-7f3a9c@mailbox.insight.ly");
    insta::assert_json_snapshot!("project_read", p, {".raw" => "[raw]"});
    let body = mapping::project::create_body(&NewProject::from(&p), &project_defs()).unwrap();
    let sent: serde_json::Value = serde_json::from_str(&body.to_json_pretty()).unwrap();
    assert!(
        sent.get("OPPORTUNITY_ID").is_none(),
        "read-only: sent as a link"
    );
    assert!(
        sent.get("Job_Number__c").is_none()
            && !sent["CUSTOMFIELDS"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["FIELD_NAME"] == "Job_Number__c"),
        "AUTONUMBER is not written"
    );
    insta::assert_snapshot!("project_create_body", body.to_json_pretty());
}

#[test]
fn project_untyped_custom_fields() {
    let p =
        mapping::project::from_json(&raw(&fixture("project.json")), &Definitions::empty()).unwrap();
    insta::assert_json_snapshot!("project_custom_fields_untyped", p.custom_fields);
}

#[test]
fn project_patch_sends_only_touched_fields_and_no_pipeline() {
    let patch = ProjectPatch {
        status: Patch::Set(ProjectStatus::parse("completed")),
        closed_date: Patch::Set(chrono::NaiveDate::from_ymd_opt(2024, 6, 28).unwrap()),
        description: Patch::Clear,
        pipeline_id: Patch::Set("22".into()),
        stage_id: Patch::Set("35".into()),
        custom_fields: Patch::Set(vec![CustomFieldValue {
            definition_id: CustomFieldId::new("Modules__c"),
            name: None,
            value: Some(FieldValue::MultiChoice(vec![
                "Sensors".into(),
                "Smart control".into(),
            ])),
            row_id: None,
        }]),
        ..Default::default()
    };
    let body = mapping::project::patch_body(&patch, &project_defs(), Mode::Update).unwrap();
    let text = body.to_json_pretty();
    assert!(!text.contains("PIPELINE_ID") && !text.contains("STAGE_ID"));
    insta::assert_snapshot!("project_patch_body", text);
}

#[test]
fn statuses_are_open_and_case_insensitive() {
    use mapping::project::{status, status_wire};
    for (wire, unified) in [
        ("NOT STARTED", ProjectStatus::NotStarted),
        ("in progress", ProjectStatus::InProgress),
        ("Deferred", ProjectStatus::Deferred),
        ("CANCELLED", ProjectStatus::Cancelled),
        ("ABANDONED", ProjectStatus::Abandoned),
        ("completed", ProjectStatus::Completed),
    ] {
        let s = status(wire);
        assert_eq!(s, unified, "{wire}");
        assert_eq!(status_wire(&s), wire.to_ascii_uppercase());
    }
    assert_eq!(status("ON HOLD"), ProjectStatus::Other("ON HOLD".into()));
    assert_eq!(status_wire(&status("ON HOLD")), "ON HOLD");
    assert_eq!(status_wire(&ProjectStatus::Open), "IN PROGRESS");
    assert_eq!(status_wire(&ProjectStatus::Closed), "COMPLETED");
}

#[test]
fn pipeline_changes_go_to_their_routes() {
    let p = |pipe: Patch<&str>, stage: Patch<&str>| ProjectPatch {
        pipeline_id: match pipe {
            Patch::Set(v) => Patch::Set(v.into()),
            Patch::Clear => Patch::Clear,
            Patch::Unchanged => Patch::Unchanged,
        },
        stage_id: match stage {
            Patch::Set(v) => Patch::Set(v.into()),
            Patch::Clear => Patch::Clear,
            Patch::Unchanged => Patch::Unchanged,
        },
        ..Default::default()
    };
    let show = |pipe, stage| match pipeline_change(&p(pipe, stage)) {
        Ok(None) => "none".to_string(),
        Ok(Some(c)) => format!(
            "{} {} {}",
            c.method,
            c.path,
            c.body.map(|b| b.to_string()).unwrap_or_default()
        ),
        Err(e) => format!("error: {e}"),
    };
    use Patch::{Clear, Set, Unchanged};
    assert_eq!(show(Unchanged, Unchanged), "none");
    assert_eq!(
        show(Set("22"), Set("34")),
        r#"PUT Pipeline {"PIPELINE_ID":22,"PIPELINE_STAGE_CHANGE":{"STAGE_ID":34}}"#
    );
    assert_eq!(
        show(Set("22"), Unchanged),
        r#"PUT Pipeline {"PIPELINE_ID":22}"#
    );
    assert_eq!(
        show(Unchanged, Set("35")),
        r#"PUT PipelineStage {"STAGE_ID":35}"#
    );
    assert_eq!(show(Clear, Unchanged), "DELETE Pipeline ");
    assert_eq!(show(Clear, Clear), "DELETE Pipeline ");
    assert_eq!(show(Unchanged, Clear), "DELETE Pipeline ");
    assert!(show(Clear, Set("35")).starts_with("error"));
    assert!(show(Set("22"), Clear).starts_with("error"));
    assert!(show(Set("x"), Unchanged).starts_with("error"));
}

#[test]
fn project_reference() {
    let all: serde_json::Value = serde_json::from_str(&fixture("project-reference.json")).unwrap();
    let ms_text = all["GET /Projects/3002/Milestones"].to_string();
    let ms = milestones_from_json(ms_text.as_bytes()).unwrap();
    assert_eq!(ms[0].assignee_id.as_ref().map(|u| u.as_str()), Some("502"));
    // An answer that is one object rather than an array (Uncertain #5).
    let one = all["GET /Projects/3002/Milestones"][1].to_string();
    assert_eq!(
        milestones_from_json(one.as_bytes()).unwrap(),
        vec![ms[1].clone()]
    );
    insta::assert_json_snapshot!("project_milestones_read", ms);
    let bodies: Vec<String> = ms
        .iter()
        .map(|m| {
            mapping::project::milestone_body(m)
                .unwrap()
                .to_json_pretty()
        })
        .collect();
    insta::assert_snapshot!("project_milestones_bodies", bodies.join("\n"));
    let cats: Vec<CategoryWire> =
        serde_json::from_value(all["GET /ProjectCategories"].clone()).unwrap();
    let read: Vec<(Option<u64>, Option<String>, Option<bool>)> = cats
        .into_iter()
        .map(|c| (c.category_id, c.category_name, c.active))
        .collect();
    insta::assert_json_snapshot!("project_categories_read", read);
}

#[test]
fn project_field_definitions() {
    let wire: Vec<CustomFieldDefinitionWire> =
        serde_json::from_str(&fixture("custom-fields-projects.json")).unwrap();
    let defs: Vec<_> = wire
        .into_iter()
        .filter_map(|d| mapping::field_definition::from_wire(d, &ResourceKind::Project))
        .collect();
    assert!(defs.iter().all(|d| d.applies_to == [ResourceKind::Project]));
    let job = defs
        .iter()
        .find(|d| d.key.as_deref() == Some("Job_Number__c"))
        .unwrap();
    assert_eq!(job.editable, Some(false));
    let owner = defs
        .iter()
        .find(|d| d.key.as_deref() == Some("Site_Owner__c"))
        .unwrap();
    assert_eq!(owner.lookup_kind, Some(ResourceKind::Account));
    insta::assert_json_snapshot!("project_field_definitions_read", defs, {"[].raw" => "[raw]"});
    // The other direction: values of every definition's type, written as the definitions
    // say (DATE as a body date, NUMERIC as a number, MULTISELECT `;`-joined, BIT a boolean).
    let p = mapping::project::from_json(&raw(&fixture("project.json")), &project_defs()).unwrap();
    let patch = ProjectPatch {
        custom_fields: Patch::Set(p.custom_fields.clone()),
        ..Default::default()
    };
    let body = mapping::project::patch_body(&patch, &project_defs(), Mode::Update).unwrap();
    insta::assert_snapshot!("project_custom_fields_body", body.to_json_pretty());
}

#[test]
fn field_definition_object_names() {
    use mapping::field_definition::kind_of_object;
    assert_eq!(kind_of_object("CONTACT"), ResourceKind::Contact);
    assert_eq!(kind_of_object("Organisations"), ResourceKind::Account);
    assert_eq!(kind_of_object("OPPORTUNITY"), ResourceKind::Opportunity);
    assert_eq!(kind_of_object("Opportunities"), ResourceKind::Opportunity);
    assert_eq!(kind_of_object("PROJECT"), ResourceKind::Project);
    assert_eq!(kind_of_object("EVENT"), ResourceKind::Engagement);
    assert_eq!(
        kind_of_object("FRUIT__C"),
        ResourceKind::Other("fruit__c".into())
    );
}
