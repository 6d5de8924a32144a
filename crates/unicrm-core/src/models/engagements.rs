//! Engagements (calls, meetings, emails, appointments) and their types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::records::RecordLink;
use super::values::*;

open_enum! {
    /// What kind of interaction an engagement is. Vendor-defined kinds (a Capsule custom
    /// activity type such as "Video Conference") are kept in `Other`.
    pub enum EngagementKind {
        /// A phone call.
        Call => "call",
        /// A meeting or calendar event.
        Meeting => "meeting",
        /// An email (read-only at every vendor so far).
        Email => "email",
        /// A booked appointment (HighLevel calendars).
        Appointment => "appointment",
    }
}

impl Default for EngagementKind {
    /// A meeting: the kind every calendar can hold.
    fn default() -> Self {
        EngagementKind::Meeting
    }
}

open_enum! {
    /// Where an engagement stands.
    pub enum EngagementStatus {
        /// Planned or booked, not yet confirmed.
        Scheduled => "scheduled",
        /// Confirmed.
        Confirmed => "confirmed",
        /// Took place (a logged call or meeting).
        Completed => "completed",
        /// Cancelled.
        Cancelled => "cancelled",
        /// The contact came.
        Showed => "showed",
        /// The contact did not come.
        NoShow => "no_show",
        /// Marked invalid.
        Invalid => "invalid",
    }
}

open_enum! {
    /// Which way an interaction went.
    pub enum Direction {
        /// From the contact to us.
        Inbound => "inbound",
        /// From us to the contact.
        Outbound => "outbound",
    }
}

open_enum! {
    /// A participant's part in an engagement.
    pub enum ParticipantRole {
        /// Sender of an email.
        From => "from",
        /// Recipient.
        To => "to",
        /// Copied.
        Cc => "cc",
        /// Blind-copied.
        Bcc => "bcc",
        /// Organiser of a meeting.
        Organizer => "organizer",
        /// Attendee of a meeting or call.
        Attendee => "attendee",
    }
}

/// Someone who took part in an engagement.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Participant {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Their part.
    #[serde(default)]
    pub role: Option<ParticipantRole>,
    /// The contact they are, when known.
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// The user they are, when known.
    #[serde(default)]
    pub user_id: Option<UserId>,
}

unified_record! {
    /// An interaction with a customer: a call, meeting, email or appointment.
    record Engagement / NewEngagement / EngagementPatch, id EngagementId, kind Engagement, accessor engagements;
    required {
        /// What kind of interaction.
        kind: EngagementKind,
    }
    optional {
        /// The vendor's engagement type (Capsule activity type).
        engagement_type_id: EngagementTypeId,
        /// That type's name.
        engagement_type_name: String,
        /// Subject or title.
        subject: String,
        /// Body, notes or description.
        body: String,
        /// When it starts or happened.
        start_at: DateTime<Utc>,
        /// When it ends.
        end_at: DateTime<Utc>,
        /// All-day (the times carry no meaning).
        all_day: bool,
        /// Where it stands.
        status: EngagementStatus,
        /// Which way it went.
        direction: Direction,
        /// Where it takes place.
        location: String,
        /// When to remind.
        reminder_at: DateTime<Utc>,
        /// Owner or author.
        owner_id: UserId,
        /// Person it is assigned to, when it differs from the owner.
        assignee_id: UserId,
        /// Related contact.
        contact_id: ContactId,
        /// Related account.
        account_id: AccountId,
        /// Related opportunity.
        opportunity_id: OpportunityId,
        /// Related project.
        project_id: ProjectId,
        /// Related lead.
        lead_id: LeadId,
        /// Calendar it is on (HighLevel).
        calendar_id: String,
    }
    lists {
        /// Who took part.
        participants: Participant,
        /// Custom field values.
        custom_fields: CustomFieldValue,
        /// Other records this one is linked to.
        links: RecordLink,
    }
}

unified_record! {
    /// A type of engagement a vendor lets users log (Capsule activity types).
    record EngagementType / NewEngagementType / EngagementTypePatch, id EngagementTypeId, kind EngagementType, accessor engagement_types;
    required {
        /// Name (tenants may rename built-in types).
        name: String,
    }
    optional {
        /// The unified kind engagements of this type map to.
        kind: EngagementKind,
        /// The vendor's icon name.
        icon: String,
        /// Logging one moves the record's last-contacted time.
        updates_last_contacted: bool,
        /// Built into the vendor (not user-defined).
        is_system: bool,
        /// Still offered to users.
        is_active: bool,
    }
    lists {}
}
