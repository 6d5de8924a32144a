//! Sample records for the write checks, one field patches, and the marker field the other
//! user writes.

use chrono::NaiveDate;
use unicrm_core::*;

/// What a sample may link to (an existing account, pipeline, …), found through the client.
#[derive(Debug, Clone, Default)]
pub struct SampleLinks {
    /// An existing account.
    pub account_id: Option<AccountId>,
    /// An existing contact.
    pub contact_id: Option<ContactId>,
    /// An existing pipeline.
    pub pipeline_id: Option<PipelineId>,
}

/// A record type the kit knows how to create, patch and mark.
pub trait Sample: Record
where
    Self::New: Default,
{
    /// A new record tagged with `n` (unique within a run).
    fn sample(links: &SampleLinks, n: u32) -> Self::New;

    /// A patch that sets exactly one field, and that field's unified name.
    fn one_field_patch(n: u32) -> (Self::Patch, &'static str);

    /// Adds `tag` to `new`; `false` when the record has no tags field.
    fn add_tag(new: &mut Self::New, tag: Tag) -> bool {
        let _ = (new, tag);
        false
    }

    /// A patch that sets the tags; `None` when the record has no tags field.
    fn tags_patch(tags: Vec<Tag>) -> Option<Self::Patch> {
        let _ = tags;
        None
    }

    /// Adds a custom field value; `false` when the record has no custom fields.
    fn add_custom_field(new: &mut Self::New, value: CustomFieldValue) -> bool {
        let _ = (new, value);
        false
    }

    /// A patch that sets custom fields; `None` when the record has none.
    fn custom_fields_patch(values: Vec<CustomFieldValue>) -> Option<Self::Patch> {
        let _ = values;
        None
    }

    /// The record's tags.
    fn tags(&self) -> &[Tag] {
        &[]
    }

    /// The record's custom field values.
    fn custom_fields(&self) -> &[CustomFieldValue] {
        &[]
    }

    /// The value of the marker field (see [`marker_field`]).
    fn marker(&self) -> Option<&str> {
        None
    }
}

/// The unified field the other user writes its markers into, per kind: `job_title` for
/// contacts, `description` for accounts, opportunities and leads, `title` for tasks,
/// `content` for notes. `None` for kinds the other user never writes.
pub fn marker_field(kind: &ResourceKind) -> Option<&'static str> {
    match kind {
        ResourceKind::Contact => Some("job_title"),
        ResourceKind::Account | ResourceKind::Opportunity | ResourceKind::Lead => {
            Some("description")
        }
        ResourceKind::Task => Some("title"),
        ResourceKind::Note => Some("content"),
        _ => None,
    }
}

macro_rules! tagged_and_custom {
    ($patch:ident) => {
        fn add_tag(new: &mut Self::New, tag: Tag) -> bool {
            new.tags.push(tag);
            true
        }
        fn tags_patch(tags: Vec<Tag>) -> Option<Self::Patch> {
            Some($patch {
                tags: Patch::Set(tags),
                ..Default::default()
            })
        }
        fn add_custom_field(new: &mut Self::New, value: CustomFieldValue) -> bool {
            new.custom_fields.push(value);
            true
        }
        fn custom_fields_patch(values: Vec<CustomFieldValue>) -> Option<Self::Patch> {
            Some($patch {
                custom_fields: Patch::Set(values),
                ..Default::default()
            })
        }
        fn tags(&self) -> &[Tag] {
            &self.tags
        }
        fn custom_fields(&self) -> &[CustomFieldValue] {
            &self.custom_fields
        }
    };
}

impl Sample for Contact {
    fn sample(links: &SampleLinks, n: u32) -> NewContact {
        NewContact {
            first_name: Some("Kit".into()),
            last_name: Some(format!("Conformance {n}")),
            job_title: Some("Tester".into()),
            account_id: links.account_id.clone(),
            emails: vec![Email {
                address: format!("kit{n}@conformance.example"),
                kind: Some(EmailKind::Work),
                ..Default::default()
            }],
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (ContactPatch, &'static str) {
        let p = ContactPatch {
            job_title: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "job_title")
    }
    fn marker(&self) -> Option<&str> {
        self.job_title.as_deref()
    }
    tagged_and_custom!(ContactPatch);
}

impl Sample for Account {
    fn sample(_links: &SampleLinks, n: u32) -> NewAccount {
        NewAccount {
            name: format!("Kit Conformance {n} Ltd"),
            description: Some("Created by unicrm-testkit".into()),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (AccountPatch, &'static str) {
        let p = AccountPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
    fn marker(&self) -> Option<&str> {
        self.description.as_deref()
    }
    tagged_and_custom!(AccountPatch);
}

impl Sample for Opportunity {
    fn sample(links: &SampleLinks, n: u32) -> NewOpportunity {
        NewOpportunity {
            name: format!("Kit deal {n}"),
            description: Some("Created by unicrm-testkit".into()),
            amount: Money::parse("1234.56", "EUR"),
            account_id: links.account_id.clone(),
            pipeline_id: links.pipeline_id.clone(),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (OpportunityPatch, &'static str) {
        let p = OpportunityPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
    fn marker(&self) -> Option<&str> {
        self.description.as_deref()
    }
    tagged_and_custom!(OpportunityPatch);
}

impl Sample for Lead {
    fn sample(_links: &SampleLinks, n: u32) -> NewLead {
        NewLead {
            first_name: Some("Kit".into()),
            last_name: Some(format!("Lead {n}")),
            company_name: Some("Kit Conformance".into()),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (LeadPatch, &'static str) {
        let p = LeadPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
    fn marker(&self) -> Option<&str> {
        self.description.as_deref()
    }
    tagged_and_custom!(LeadPatch);
}

impl Sample for Task {
    fn sample(links: &SampleLinks, n: u32) -> NewTask {
        NewTask {
            title: format!("Kit task {n}"),
            description: Some("Created by unicrm-testkit".into()),
            due_date: NaiveDate::from_ymd_opt(2031, 1, 2),
            account_id: links.account_id.clone(),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (TaskPatch, &'static str) {
        let p = TaskPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
    fn marker(&self) -> Option<&str> {
        Some(&self.title)
    }
}

impl Sample for Note {
    fn sample(links: &SampleLinks, n: u32) -> NewNote {
        NewNote {
            content: format!("Kit note {n}"),
            account_id: links.account_id.clone(),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (NotePatch, &'static str) {
        let p = NotePatch {
            content: Patch::Set(format!("Patched note {n}")),
            ..Default::default()
        };
        (p, "content")
    }
    fn marker(&self) -> Option<&str> {
        Some(&self.content)
    }
}

impl Sample for User {
    fn sample(_links: &SampleLinks, n: u32) -> NewUser {
        NewUser {
            name: Some(format!("Kit User {n}")),
            email: Some(format!("kit-user{n}@conformance.example")),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (UserPatch, &'static str) {
        let p = UserPatch {
            name: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "name")
    }
}

impl Sample for Pipeline {
    fn sample(_links: &SampleLinks, n: u32) -> NewPipeline {
        NewPipeline {
            name: format!("Kit pipeline {n}"),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (PipelinePatch, &'static str) {
        let p = PipelinePatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
}

impl Sample for Project {
    fn sample(links: &SampleLinks, n: u32) -> NewProject {
        NewProject {
            name: format!("Kit project {n}"),
            description: Some("Created by unicrm-testkit".into()),
            account_id: links.account_id.clone(),
            expected_close_date: NaiveDate::from_ymd_opt(2031, 3, 4),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (ProjectPatch, &'static str) {
        let p = ProjectPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
    fn marker(&self) -> Option<&str> {
        self.description.as_deref()
    }
    tagged_and_custom!(ProjectPatch);
}

impl Sample for Engagement {
    fn sample(links: &SampleLinks, n: u32) -> NewEngagement {
        let start = chrono::DateTime::from_timestamp(1_924_992_000 + i64::from(n) * 3_600, 0);
        NewEngagement {
            kind: EngagementKind::Meeting,
            subject: Some(format!("Kit meeting {n}")),
            body: Some("Created by unicrm-testkit".into()),
            start_at: start,
            end_at: start.map(|s| s + chrono::Duration::minutes(30)),
            account_id: links.account_id.clone(),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (EngagementPatch, &'static str) {
        let p = EngagementPatch {
            body: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "body")
    }
    fn marker(&self) -> Option<&str> {
        self.body.as_deref()
    }
}

impl Sample for EngagementType {
    fn sample(_links: &SampleLinks, n: u32) -> NewEngagementType {
        NewEngagementType {
            name: format!("Kit activity {n}"),
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (EngagementTypePatch, &'static str) {
        let p = EngagementTypePatch {
            name: Patch::Set(format!("Patched activity {n}")),
            ..Default::default()
        };
        (p, "name")
    }
}

impl Sample for FieldDefinition {
    fn sample(_links: &SampleLinks, n: u32) -> NewFieldDefinition {
        NewFieldDefinition {
            name: format!("Kit field {n}"),
            kind: CustomFieldKind::Text,
            applies_to: vec![ResourceKind::Contact],
            ..Default::default()
        }
    }
    fn one_field_patch(n: u32) -> (FieldDefinitionPatch, &'static str) {
        let p = FieldDefinitionPatch {
            description: Patch::Set(format!("Patched {n}")),
            ..Default::default()
        };
        (p, "description")
    }
}
