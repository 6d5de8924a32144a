//! Projects: work delivered for a customer (Capsule kases, Insightly projects).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::records::RecordLink;
use super::values::*;

open_enum! {
    /// Where a project stands. Capsule knows only `open` and `closed`; Insightly has the
    /// finer statuses.
    pub enum ProjectStatus {
        /// Being worked (Capsule `OPEN`).
        Open => "open",
        /// Finished or stopped (Capsule `CLOSED`).
        Closed => "closed",
        /// Not started (Insightly `NOT STARTED`).
        NotStarted => "not_started",
        /// In progress (Insightly `IN PROGRESS`).
        InProgress => "in_progress",
        /// Deferred.
        Deferred => "deferred",
        /// Cancelled.
        Cancelled => "cancelled",
        /// Abandoned.
        Abandoned => "abandoned",
        /// Completed.
        Completed => "completed",
    }
}

impl ProjectStatus {
    /// Whether the project is still being worked: `open`, `not_started`, `in_progress` and
    /// `deferred` are; the others and unknown values are not.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            ProjectStatus::Open
                | ProjectStatus::NotStarted
                | ProjectStatus::InProgress
                | ProjectStatus::Deferred
        )
    }
}

/// A milestone of a [`Project`] (Insightly milestones).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Milestone {
    /// The vendor's id; `None` for a milestone not yet created.
    #[serde(default)]
    pub id: Option<String>,
    /// Title.
    pub title: String,
    /// Done.
    #[serde(default)]
    pub completed: bool,
    /// Due date.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// When it was completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Owner.
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// Person responsible.
    #[serde(default)]
    pub assignee_id: Option<UserId>,
}

unified_record! {
    /// A project: a piece of work for a customer, on a board or pipeline of stages.
    record Project / NewProject / ProjectPatch, id ProjectId, kind Project, accessor projects;
    required {
        /// Name.
        name: String,
    }
    optional {
        /// Description.
        description: String,
        /// Where it stands.
        status: ProjectStatus,
        /// Pipeline (Capsule board, Insightly project pipeline).
        pipeline_id: PipelineId,
        /// Stage within the pipeline.
        stage_id: StageId,
        /// Stage name, when the vendor gives it.
        stage_name: String,
        /// Category id (Insightly project categories).
        category_id: String,
        /// The account the project is for (Capsule main party when an organisation).
        account_id: AccountId,
        /// The contact the project is for (Capsule main party when a person).
        contact_id: ContactId,
        /// The opportunity the project was created to deliver.
        opportunity_id: OpportunityId,
        /// Owner.
        owner_id: UserId,
        /// Person responsible, when it differs from the owner.
        assignee_id: UserId,
        /// Team (Capsule team), when the vendor has teams.
        team_id: String,
        /// Start date.
        start_date: NaiveDate,
        /// Expected end date.
        expected_close_date: NaiveDate,
        /// Actual end date.
        closed_date: NaiveDate,
        /// Picture URL.
        picture_url: String,
        /// Last activity.
        last_activity_at: DateTime<Utc>,
        /// Next scheduled activity.
        next_activity_at: DateTime<Utc>,
    }
    lists {
        /// Milestones, in order (Insightly).
        milestones: Milestone,
        /// Tags.
        tags: Tag,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}
