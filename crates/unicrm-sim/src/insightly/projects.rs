//! Projects' field table and milestones (docs/vendors/insightly-v3.1-addendum.md,
//! "Projects"); their endpoints are in `handlers/projects.rs`.

use std::sync::OnceLock;

use serde_json::Value;

use super::schema::{F, Schema, Ty, r, w};
use super::store::Ordered;

/// Project `STATUS` values (upper-case with a space, as task statuses; Uncertain #2).
pub(crate) const PROJECT_STATUSES: &[&str] = &[
    "NOT STARTED",
    "IN PROGRESS",
    "DEFERRED",
    "CANCELLED",
    "ABANDONED",
    "COMPLETED",
];

use Ty::{Date, Dt, Enum, Int, Str};

const FIELDS: &[F] = &[
    r("PROJECT_ID", Int),
    w("PROJECT_NAME", Str),
    w("STATUS", Enum(PROJECT_STATUSES)),
    w("PROJECT_DETAILS", Str),
    w("STARTED_DATE", Date),
    w("COMPLETED_DATE", Date),
    // Read-only: the opportunity the project came from (set only by the web app).
    r("OPPORTUNITY_ID", Int),
    w("CATEGORY_ID", Int),
    w("PIPELINE_ID", Int),
    w("STAGE_ID", Int),
    r("IMAGE_URL", Str),
    w("RESPONSIBLE_USER_ID", Int),
    w("OWNER_USER_ID", Int),
    r("CREATED_USER_ID", Int),
    w("VISIBLE_TO", Enum(super::schema::VISIBILITY)),
    w("VISIBLE_TEAM_ID", Int),
    r("DATE_CREATED_UTC", Dt),
    r("DATE_UPDATED_UTC", Dt),
    r("LAST_ACTIVITY_DATE_UTC", Dt),
    r("NEXT_ACTIVITY_DATE_UTC", Dt),
    r("LINKED_EMAIL_ADDRESS", Str),
];

/// `/Projects`.
pub(crate) static PROJECT: Schema = Schema {
    id_key: "PROJECT_ID",
    tags: true,
    custom: true,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: FIELDS,
};

/// A milestone of a project (`APIMilestone`; note `RESPONSIBLE_USER`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Milestone {
    pub(crate) id: u64,
    pub(crate) project_id: u64,
    pub(crate) title: Option<String>,
    pub(crate) completed: bool,
    pub(crate) due_date: String,
    pub(crate) owner: Option<u64>,
    pub(crate) responsible: Option<u64>,
    pub(crate) completed_at: Option<String>,
    pub(crate) created: String,
    pub(crate) updated: String,
}

impl Milestone {
    /// The milestone as served.
    pub(crate) fn to_json(&self) -> Ordered {
        Ordered(vec![
            ("MILESTONE_ID", self.id.into()),
            ("TITLE", self.title.clone().map_or(Value::Null, Value::from)),
            ("COMPLETED", self.completed.into()),
            ("DUE_DATE", self.due_date.clone().into()),
            ("OWNER_USER_ID", self.owner.map_or(Value::Null, Value::from)),
            (
                "RESPONSIBLE_USER",
                self.responsible.map_or(Value::Null, Value::from),
            ),
            ("PROJECT_ID", self.project_id.into()),
            (
                "COMPLETED_DATE_UTC",
                self.completed_at.clone().map_or(Value::Null, Value::from),
            ),
            ("DATE_CREATED_UTC", self.created.clone().into()),
            ("DATE_UPDATED_UTC", self.updated.clone().into()),
        ])
    }
}

/// The mail-drop address of a project (Uncertain #9: `p{ID}-{hash}@mailbox.insight.ly`).
pub(crate) fn mail_drop(id: u64) -> String {
    let hash = (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) & 0xFF_FFFF;
    format!("p{id}-{hash:06x}@mailbox.insight.ly")
}

/// The seeded project pipeline (`FOR_PROJECTS`) and its stages, in order.
pub(crate) const PROJECT_PIPELINE: u64 = 90;
/// Its stages: (id, name).
pub(crate) const PROJECT_STAGES: &[(u64, &str)] =
    &[(901, "Planning"), (902, "Installation"), (903, "Handover")];
/// Project categories: (id, name, active, colour); 15 is deactivated.
pub(crate) const PROJECT_CATEGORIES: &[(u64, &str, bool, &str)] = &[
    (12, "Installation", true, "43A047"),
    (14, "Consulting", true, "1E88E5"),
    (15, "Maintenance (old)", false, "9E9E9E"),
];

/// The project custom fields of the vendor's example `custom-fields-projects.json`:
/// (name, label, type, help, default, editable, join, options, default option).
#[allow(clippy::type_complexity)]
const PROJECT_FIELDS: &[(
    &str,
    &str,
    &str,
    Option<&str>,
    Option<&str>,
    bool,
    Option<&str>,
    &[(u64, &str)],
    Option<u64>,
)] = &[
    (
        "Go_Live__c",
        "Go-live date",
        "DATE",
        Some("Date the customer can use the site"),
        None,
        true,
        None,
        &[],
        None,
    ),
    (
        "Fittings_Count__c",
        "Fittings",
        "NUMERIC",
        None,
        Some("0"),
        true,
        None,
        &[],
        None,
    ),
    (
        "Modules__c",
        "Modules",
        "MULTISELECT",
        None,
        None,
        true,
        None,
        &[
            (3, "Emergency lighting"),
            (1, "Sensors"),
            (2, "Smart control"),
        ],
        None,
    ),
    (
        "Site_Type__c",
        "Site type",
        "DROPDOWN",
        None,
        Some("Warehouse"),
        true,
        None,
        &[(1, "Warehouse"), (2, "Office"), (3, "Retail")],
        Some(1),
    ),
    (
        "Permit_Received__c",
        "Permit received",
        "BIT",
        None,
        Some("False"),
        true,
        None,
        &[],
        None,
    ),
    (
        "Job_Number__c",
        "Job number",
        "AUTONUMBER",
        None,
        None,
        false,
        None,
        &[],
        None,
    ),
    (
        "Site_Owner__c",
        "Site owner",
        "LOOKUP",
        None,
        None,
        true,
        Some("Organisation"),
        &[],
        None,
    ),
    (
        "Project_Notes__c",
        "Project notes",
        "TEXT",
        None,
        None,
        true,
        None,
        &[],
        None,
    ),
];

/// Seeds the project side of the instance: the project pipeline and its stages, the project
/// categories, the project custom fields, four projects (one on the pipeline, one with two
/// milestones, one completed, one deferred) linked to the first organisation and contact.
pub(crate) fn seed(db: &mut super::store::Db, base_time: &str) {
    use super::schema::Kind;
    use super::store::{CfDef, CfExtra, Rec};
    let k = Kind::Project;
    let admin = db.user_ids.iter().next().copied().unwrap_or(501);
    let other = db.user_ids.iter().nth(1).copied().unwrap_or(admin);
    if let Some(t) = db.refs.iter_mut().find(|r| r.path == "Pipelines") {
        t.rows.push(Ordered(vec![
            ("PIPELINE_ID", PROJECT_PIPELINE.into()),
            ("PIPELINE_NAME", "Project delivery".into()),
            ("FOR_OPPORTUNITIES", false.into()),
            ("FOR_PROJECTS", true.into()),
            ("OWNER_USER_ID", admin.into()),
        ]));
    }
    if let Some(t) = db.refs.iter_mut().find(|r| r.path == "PipelineStages") {
        for (i, (sid, name)) in PROJECT_STAGES.iter().enumerate() {
            t.rows.push(Ordered(vec![
                ("STAGE_ID", (*sid).into()),
                ("PIPELINE_ID", PROJECT_PIPELINE.into()),
                ("STAGE_NAME", (*name).into()),
                ("STAGE_ORDER", (i as u64 + 1).into()),
                ("ACTIVITYSET_ID", Value::Null),
                ("OWNER_USER_ID", admin.into()),
            ]));
        }
    }
    for (sid, _) in PROJECT_STAGES {
        db.stage_pipeline.insert(*sid, PROJECT_PIPELINE);
    }
    if let Some(t) = db.refs.iter_mut().find(|r| r.path == "ProjectCategories") {
        t.rows = PROJECT_CATEGORIES
            .iter()
            .map(|(id, name, active, colour)| {
                Ordered(vec![
                    ("CATEGORY_ID", (*id).into()),
                    ("CATEGORY_NAME", (*name).into()),
                    ("ACTIVE", (*active).into()),
                    ("BACKGROUND_COLOR", (*colour).into()),
                ])
            })
            .collect();
    }
    let defs = PROJECT_FIELDS
        .iter()
        .enumerate()
        .map(
            |(i, (name, label, ty, help, default, editable, join, options, default_option))| {
                CfDef {
                    name: (*name).to_string(),
                    label: (*label).to_string(),
                    ty,
                    options: options
                        .iter()
                        .map(|(id, v)| (*id, (*v).to_string()))
                        .collect(),
                    order: i as u32 + 1,
                    extra: Some(CfExtra {
                        help: *help,
                        default: *default,
                        editable: *editable,
                        join: *join,
                        default_option: *default_option,
                    }),
                }
            },
        )
        .collect();
    db.custom_defs.insert(k, defs);

    let org = db.table(Kind::Organisation).rows.keys().next().copied();
    let contact = db.table(Kind::Contact).rows.keys().next().copied();
    /// (name, status, stage on the project pipeline, category, tags).
    type Seeded<'a> = (&'a str, &'a str, Option<u64>, Option<u64>, &'a [&'a str]);
    let projects: [Seeded; 4] = [
        (
            "Warehouse lighting phase 2",
            "IN PROGRESS",
            Some(902),
            Some(12),
            &["Phase 2"],
        ),
        ("Office refit", "NOT STARTED", None, Some(14), &[]),
        (
            "Retail sensors pilot",
            "COMPLETED",
            None,
            Some(12),
            &["Pilot"],
        ),
        ("Maintenance contract 2024", "DEFERRED", None, None, &[]),
    ];
    for (n, (name, status, stage, category, tags)) in projects.iter().enumerate() {
        let id = db.table(k).next_id;
        let mut rec = Rec::new(k);
        rec.set(k, "PROJECT_NAME", *name);
        rec.set(k, "STATUS", *status);
        rec.set(
            k,
            "PROJECT_DETAILS",
            format!("Seeded project {}.\nSecond line.", n + 1),
        );
        rec.set(k, "STARTED_DATE", "2024-03-11 00:00:00");
        if *status == "COMPLETED" {
            rec.set(k, "COMPLETED_DATE", "2024-06-28 00:00:00");
        }
        if let Some(s) = stage {
            rec.set(k, "PIPELINE_ID", PROJECT_PIPELINE);
            rec.set(k, "STAGE_ID", *s);
        }
        rec.set_opt(k, "CATEGORY_ID", *category);
        rec.set(k, "RESPONSIBLE_USER_ID", other);
        rec.set(k, "OWNER_USER_ID", admin);
        rec.set(k, "CREATED_USER_ID", admin);
        rec.set(k, "VISIBLE_TO", "EVERYONE");
        rec.set(k, "DATE_CREATED_UTC", base_time);
        rec.set(k, "DATE_UPDATED_UTC", base_time);
        rec.set(k, "LINKED_EMAIL_ADDRESS", mail_drop(id));
        rec.tags = tags.iter().map(|t| (*t).to_string()).collect();
        if n == 0 {
            rec.custom = vec![
                ("Go_Live__c".into(), "2024-05-31 00:00:00".into()),
                ("Fittings_Count__c".into(), 140.into()),
                ("Modules__c".into(), "Sensors;Emergency lighting".into()),
                ("Site_Type__c".into(), "Warehouse".into()),
                ("Permit_Received__c".into(), false.into()),
                ("Job_Number__c".into(), "JOB-0042".into()),
            ];
            if let Some(o) = org {
                rec.custom.push(("Site_Owner__c".into(), o.into()));
            }
        }
        db.insert(k, id, rec);
        if let Some(o) = org {
            db.add_link((k, id), (Kind::Organisation, o), None, None);
        }
        if let (Some(c), 0) = (contact, n) {
            db.add_link(
                (k, id),
                (Kind::Contact, c),
                Some("Site contact".into()),
                None,
            );
        }
        if n == 1 {
            for (j, (title, done, due)) in [
                ("Design sign-off", true, "2024-02-16 00:00:00"),
                ("Livraison du matériel", false, "2024-03-29 00:00:00"),
            ]
            .iter()
            .enumerate()
            {
                let mid = 3_501 + j as u64;
                db.milestones.insert(
                    mid,
                    Milestone {
                        id: mid,
                        project_id: id,
                        title: Some((*title).to_string()),
                        completed: *done,
                        due_date: (*due).to_string(),
                        owner: Some(admin),
                        responsible: Some(other),
                        completed_at: done.then(|| "2024-02-15 17:03:00".to_string()),
                        created: base_time.to_string(),
                        updated: base_time.to_string(),
                    },
                );
                db.next_milestone_id = db.next_milestone_id.max(mid);
            }
        }
    }
}
