//! The unified records.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::values::*;

open_enum! {
    /// Where an opportunity stands.
    pub enum OpportunityStatus {
        /// Still being worked.
        Open => "open",
        /// Won.
        Won => "won",
        /// Lost.
        Lost => "lost",
        /// Put on hold (Insightly `SUSPENDED`).
        Suspended => "suspended",
        /// Abandoned (Insightly `ABANDONED`).
        Abandoned => "abandoned",
    }
}

open_enum! {
    /// How an opportunity's amount is charged.
    pub enum BidType {
        /// One fixed amount.
        Fixed => "fixed",
        /// Per hour.
        PerHour => "per_hour",
        /// Per day.
        PerDay => "per_day",
        /// Per week.
        PerWeek => "per_week",
        /// Per month.
        PerMonth => "per_month",
        /// Per quarter.
        PerQuarter => "per_quarter",
        /// Per year.
        PerYear => "per_year",
    }
}

open_enum! {
    /// Where a task stands.
    pub enum TaskStatus {
        /// Not done (Capsule `OPEN`).
        Open => "open",
        /// Not started.
        NotStarted => "not_started",
        /// In progress.
        InProgress => "in_progress",
        /// Waiting on someone else.
        Waiting => "waiting",
        /// Deferred.
        Deferred => "deferred",
        /// Not done and no longer active (Capsule `PENDING`: a task of a closed opportunity or
        /// project, see `docs/vendors/capsule-v2-addendum.md`).
        Pending => "pending",
        /// Done.
        Completed => "completed",
    }
}

open_enum! {
    /// How urgent a task is.
    pub enum TaskPriority {
        /// Low.
        Low => "low",
        /// Normal.
        Medium => "medium",
        /// High.
        High => "high",
    }
}

/// A relation between two records (Insightly `LINKS`, Capsule additional parties).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecordLink {
    /// Kind of the linked record.
    pub kind: Option<ResourceKind>,
    /// Its id.
    pub id: String,
    /// The vendor's role or label for the link, when it has one.
    #[serde(default)]
    pub role: Option<String>,
}

unified_record! {
    /// A person: contact, customer, prospect.
    record Contact / NewContact / ContactPatch, id ContactId, kind Contact, accessor contacts;
    required {}
    optional {
        /// Honorific ("Dr", "Ms").
        prefix: String,
        /// First (given) name.
        first_name: String,
        /// Last (family) name.
        last_name: String,
        /// Job title.
        job_title: String,
        /// Department.
        department: String,
        /// The account (organisation) this person belongs to.
        account_id: AccountId,
        /// That account's name, when the vendor gives it.
        account_name: String,
        /// Background / description.
        description: String,
        /// Date of birth.
        birthday: NaiveDate,
        /// Where the contact came from.
        lead_source: String,
        /// Owner.
        owner_id: UserId,
        /// Picture URL.
        picture_url: String,
        /// Last contact or activity.
        last_activity_at: DateTime<Utc>,
    }
    lists {
        /// Email addresses.
        emails: Email,
        /// Phone numbers.
        phones: Phone,
        /// Postal addresses.
        addresses: Address,
        /// Websites and social profiles.
        websites: Website,
        /// Tags.
        tags: Tag,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// An organisation: company, account, customer.
    record Account / NewAccount / AccountPatch, id AccountId, kind Account, accessor accounts;
    required {
        /// Name.
        name: String,
    }
    optional {
        /// Description.
        description: String,
        /// Industry.
        industry: String,
        /// Headcount.
        number_of_employees: u64,
        /// Annual revenue.
        annual_revenue: Money,
        /// Parent organisation.
        parent_id: AccountId,
        /// Owner.
        owner_id: UserId,
        /// Picture or logo URL.
        picture_url: String,
        /// Last contact or activity.
        last_activity_at: DateTime<Utc>,
    }
    lists {
        /// Email addresses.
        emails: Email,
        /// Phone numbers.
        phones: Phone,
        /// Postal addresses.
        addresses: Address,
        /// Websites and social profiles.
        websites: Website,
        /// Tags.
        tags: Tag,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// A deal being pursued.
    record Opportunity / NewOpportunity / OpportunityPatch, id OpportunityId, kind Opportunity, accessor opportunities;
    required {
        /// Name.
        name: String,
    }
    optional {
        /// Description.
        description: String,
        /// Value of the deal, exact, with currency.
        amount: Money,
        /// How the amount is charged.
        bid_type: BidType,
        /// Number of periods for per-period bids.
        bid_duration: u32,
        /// Open, won, lost, …
        status: OpportunityStatus,
        /// Chance of winning, in percent.
        probability: Decimal,
        /// Pipeline.
        pipeline_id: PipelineId,
        /// Stage within the pipeline.
        stage_id: StageId,
        /// Stage name, when the vendor gives it.
        stage_name: String,
        /// Main account.
        account_id: AccountId,
        /// Main contact.
        contact_id: ContactId,
        /// Expected close date.
        expected_close_date: NaiveDate,
        /// Actual close date.
        closed_date: NaiveDate,
        /// Why it was lost.
        lost_reason: String,
        /// Why it was won.
        won_reason: String,
        /// Owner.
        owner_id: UserId,
        /// When the stage last changed.
        stage_changed_at: DateTime<Utc>,
        /// Last activity.
        last_activity_at: DateTime<Utc>,
    }
    lists {
        /// Other contacts involved.
        contact_ids: ContactId,
        /// Tags.
        tags: Tag,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// Something to do.
    record Task / NewTask / TaskPatch, id TaskId, kind Task, accessor tasks;
    required {
        /// Title.
        title: String,
    }
    optional {
        /// Details.
        description: String,
        /// Due date.
        due_date: NaiveDate,
        /// Due time of day (vendor's local time).
        due_time: NaiveTime,
        /// Start date.
        start_date: NaiveDate,
        /// Status.
        status: TaskStatus,
        /// Priority.
        priority: TaskPriority,
        /// Completion time.
        completed_at: DateTime<Utc>,
        /// Category ("Call", "Email", …).
        category: String,
        /// Owner.
        owner_id: UserId,
        /// Person responsible, when it differs from the owner.
        assignee_id: UserId,
        /// Related contact.
        contact_id: ContactId,
        /// Related account.
        account_id: AccountId,
        /// Related opportunity.
        opportunity_id: OpportunityId,
        /// Related lead.
        lead_id: LeadId,
    }
    lists {
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// A note attached to a record.
    record Note / NewNote / NotePatch, id NoteId, kind Note, accessor notes;
    required {
        /// Body (plain text or the vendor's HTML).
        content: String,
    }
    optional {
        /// Title or subject.
        title: String,
        /// Author.
        owner_id: UserId,
        /// Related contact.
        contact_id: ContactId,
        /// Related account.
        account_id: AccountId,
        /// Related opportunity.
        opportunity_id: OpportunityId,
        /// Related lead.
        lead_id: LeadId,
        /// When the noted event happened (Capsule `entryAt`).
        occurred_at: DateTime<Utc>,
    }
    lists {
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// A user of the CRM.
    record User / NewUser / UserPatch, id UserId, kind User, accessor users;
    required {}
    optional {
        /// Full display name.
        name: String,
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Login or contact email.
        email: String,
        /// Username.
        username: String,
        /// Whether the user can sign in.
        is_active: bool,
        /// Whether the user administers the account.
        is_admin: bool,
        /// Time zone name.
        timezone: String,
        /// Default currency.
        currency: Currency,
        /// Locale or language.
        locale: String,
    }
    lists {}
}

/// A stage of a [`Pipeline`] (Capsule milestone).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stage {
    /// Id.
    pub id: StageId,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Position in the pipeline, from 1.
    #[serde(default)]
    pub order: Option<u32>,
    /// Default win probability, in percent.
    #[serde(default)]
    pub probability: Option<Decimal>,
    /// Closing this stage wins the deal.
    #[serde(default)]
    pub is_won: bool,
    /// Closing this stage loses the deal.
    #[serde(default)]
    pub is_lost: bool,
    /// Days before a deal in this stage is considered stale.
    #[serde(default)]
    pub days_until_stale: Option<u32>,
}

unified_record! {
    /// A sales pipeline with ordered stages.
    record Pipeline / NewPipeline / PipelinePatch, id PipelineId, kind Pipeline, accessor pipelines;
    required {
        /// Name.
        name: String,
    }
    optional {
        /// Description.
        description: String,
        /// What the pipeline is for (opportunities, projects).
        applies_to: ResourceKind,
    }
    lists {
        /// Stages, in order.
        stages: Stage,
    }
}

unified_record! {
    /// A lead: an unqualified prospect (Insightly).
    record Lead / NewLead / LeadPatch, id LeadId, kind Lead, accessor leads;
    required {}
    optional {
        /// Honorific.
        prefix: String,
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Job title.
        job_title: String,
        /// Company name.
        company_name: String,
        /// Industry.
        industry: String,
        /// Headcount.
        number_of_employees: u64,
        /// Where it came from.
        lead_source: String,
        /// Lead source id at the vendor.
        lead_source_id: String,
        /// Status name.
        status: String,
        /// Status id at the vendor.
        status_id: String,
        /// Rating.
        rating: u32,
        /// Description.
        description: String,
        /// Owner.
        owner_id: UserId,
        /// Person responsible.
        assignee_id: UserId,
        /// Whether it was converted.
        converted: bool,
        /// When it was converted.
        converted_at: DateTime<Utc>,
        /// The contact it became.
        converted_contact_id: ContactId,
        /// The account it became.
        converted_account_id: AccountId,
        /// The opportunity it became.
        converted_opportunity_id: OpportunityId,
    }
    lists {
        /// Email addresses.
        emails: Email,
        /// Phone numbers.
        phones: Phone,
        /// Postal addresses.
        addresses: Address,
        /// Websites.
        websites: Website,
        /// Tags.
        tags: Tag,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}
