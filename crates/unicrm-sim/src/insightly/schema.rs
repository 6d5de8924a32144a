//! Field tables of the Insightly objects (docs/vendors/insightly-v3.1.md §11) and value coercion.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The writable record types the simulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Contact,
    Organisation,
    Opportunity,
    Lead,
    Task,
    Note,
    /// Calendar events (docs/vendors/insightly-v3.1-addendum.md, "Events").
    Event,
    /// Captured emails, read-only (docs/vendors/insightly-v3.1-addendum.md, "Emails").
    Email,
    /// Projects (docs/vendors/insightly-v3.1-addendum.md, "Projects").
    Project,
}

/// All kinds, in table order.
pub(crate) const KINDS: [Kind; 9] = [
    Kind::Contact,
    Kind::Organisation,
    Kind::Opportunity,
    Kind::Lead,
    Kind::Task,
    Kind::Note,
    Kind::Event,
    Kind::Email,
    Kind::Project,
];

impl Kind {
    /// Index into the tables array.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Plural path segment, e.g. `Contacts`.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Kind::Contact => "Contacts",
            Kind::Organisation => "Organisations",
            Kind::Opportunity => "Opportunities",
            Kind::Lead => "Leads",
            Kind::Task => "Tasks",
            Kind::Note => "Notes",
            Kind::Event => "Events",
            Kind::Email => "Emails",

            Kind::Project => "Projects",
        }
    }

    /// Singular object name used in links, e.g. `Contact`.
    pub(crate) fn singular(self) -> &'static str {
        match self {
            Kind::Contact => "Contact",
            Kind::Organisation => "Organisation",
            Kind::Opportunity => "Opportunity",
            Kind::Lead => "Lead",
            Kind::Task => "Task",
            Kind::Note => "Note",
            Kind::Event => "Event",
            Kind::Email => "Email",

            Kind::Project => "Project",
        }
    }

    /// Parses a plural or singular object name (case-insensitive), as `/CustomFields/{object}`
    /// takes it (`Projects` = `Project`).
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::from_path(name).or_else(|| Kind::from_singular(name))
    }

    /// Parses a plural path segment (case-insensitive).
    pub(crate) fn from_path(segment: &str) -> Option<Kind> {
        KINDS
            .into_iter()
            .find(|k| k.path().eq_ignore_ascii_case(segment))
    }

    /// Parses a singular link object name (case-insensitive).
    pub(crate) fn from_singular(name: &str) -> Option<Kind> {
        KINDS
            .into_iter()
            .find(|k| k.singular().eq_ignore_ascii_case(name))
    }

    /// The field table.
    pub(crate) fn schema(self) -> &'static Schema {
        match self {
            Kind::Contact => &CONTACT,
            Kind::Organisation => &ORGANISATION,
            Kind::Opportunity => &OPPORTUNITY,
            Kind::Lead => &LEAD,
            Kind::Task => &TASK,
            Kind::Note => &NOTE,
            Kind::Event => &EVENT,
            Kind::Email => &EMAIL,

            Kind::Project => &super::projects::PROJECT,
        }
    }

    /// First id of seeded records: ids of different kinds never overlap.
    pub(crate) fn id_base(self) -> u64 {
        match self {
            Kind::Contact => 10_000_000,
            Kind::Organisation => 20_000_000,
            Kind::Opportunity => 30_000_000,
            Kind::Lead => 60_000_000,
            Kind::Task => 50_000_000,
            Kind::Note => 80_000_000,
            Kind::Event => 44_000_000,
            Kind::Email => 95_000_000,

            Kind::Project => 40_000_000,
        }
    }

    /// Upper-case name used in `FIELD_FOR` of custom field definitions.
    pub(crate) fn field_for(self) -> &'static str {
        match self {
            Kind::Contact => "CONTACT",
            Kind::Organisation => "ORGANISATION",
            Kind::Opportunity => "OPPORTUNITY",
            Kind::Lead => "LEAD",
            Kind::Task => "TASK",
            Kind::Note => "NOTE",
            Kind::Event => "EVENT",
            Kind::Email => "EMAIL",

            Kind::Project => "PROJECT",
        }
    }

    /// The field `updated_after_utc` compares with: `DATE_UPDATED_UTC`, or for emails (which
    /// have no update time and never change) `DATE_CREATED_UTC` (our choice: the filter exists
    /// on `/Emails/Search` but the field it reads is undocumented).
    pub(crate) fn updated_key(self) -> &'static str {
        match self {
            Kind::Email => "DATE_CREATED_UTC",
            _ => "DATE_UPDATED_UTC",
        }
    }

    /// Whether records of this kind are listed under `/{Object}/{id}/Events` and
    /// `/{Object}/{id}/Emails` (docs/vendors/insightly-v3.1-addendum.md, "Event endpoints";
    /// projects too, item 16).
    pub(crate) fn has_activities(self) -> bool {
        matches!(
            self,
            Kind::Contact | Kind::Organisation | Kind::Opportunity | Kind::Lead | Kind::Project
        )
    }

    /// Whether `/{Obj}/{id}/Notes` exists for this kind.
    pub(crate) fn has_notes(self) -> bool {
        matches!(
            self,
            Kind::Contact | Kind::Organisation | Kind::Opportunity | Kind::Lead | Kind::Project
        )
    }
}

/// Wire type of a scalar field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Str,
    Int,
    Num,
    Bool,
    /// `yyyy-MM-dd HH:mm:ss`.
    Dt,
    /// Date at `00:00:00`.
    Date,
    /// Case-insensitive enum, emitted upper-case.
    Enum(&'static [&'static str]),
}

/// One scalar field.
#[derive(Debug)]
pub(crate) struct F {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) ro: bool,
}

pub(crate) const fn w(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        ro: false,
    }
}

pub(crate) const fn r(name: &'static str, ty: Ty) -> F {
    F { name, ty, ro: true }
}

/// The field table of one object.
#[derive(Debug)]
pub(crate) struct Schema {
    pub(crate) id_key: &'static str,
    pub(crate) fields: &'static [F],
    pub(crate) tags: bool,
    pub(crate) custom: bool,
    pub(crate) dates: bool,
    pub(crate) domains: bool,
    /// Exact-name index, built on first use.
    pub(crate) lookup: OnceLock<HashMap<&'static str, usize>>,
}

impl Schema {
    /// Position of a field (name compared case-insensitively).
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        let lookup = self.lookup.get_or_init(|| {
            self.fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name, i))
                .collect()
        });
        lookup.get(name).copied().or_else(|| {
            self.fields
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(name))
        })
    }

    /// Position of a field that must exist (compile-time names only).
    pub(crate) fn at(&self, name: &str) -> usize {
        self.index(name).unwrap_or(0)
    }
}

/// `VISIBLE_TO` values.
pub(crate) const VISIBILITY: &[&str] = &["EVERYONE", "OWNER", "TEAM", "INDIVIDUALS"];
/// `OPPORTUNITY_STATE` values.
pub(crate) const OPP_STATES: &[&str] = &["OPEN", "WON", "LOST", "SUSPENDED", "ABANDONED"];
/// Task `STATUS` values.
pub(crate) const TASK_STATUSES: &[&str] = &[
    "NOT STARTED",
    "IN PROGRESS",
    "WAITING",
    "COMPLETED",
    "DEFERRED",
];

use Ty::{Bool, Date, Dt, Enum, Int, Num, Str};

static CONTACT: Schema = Schema {
    id_key: "CONTACT_ID",
    tags: true,
    custom: true,
    dates: true,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("CONTACT_ID", Int),
        w("SALUTATION", Str),
        w("FIRST_NAME", Str),
        w("LAST_NAME", Str),
        w("TITLE", Str),
        w("BACKGROUND", Str),
        r("IMAGE_URL", Str),
        w("DATE_OF_BIRTH", Date),
        w("EMAIL_ADDRESS", Str),
        w("EMAIL_OPTED_OUT", Bool),
        w("PHONE", Str),
        w("PHONE_HOME", Str),
        w("PHONE_MOBILE", Str),
        w("PHONE_OTHER", Str),
        w("PHONE_FAX", Str),
        w("PHONE_ASSISTANT", Str),
        w("ASSISTANT_NAME", Str),
        w("SOCIAL_LINKEDIN", Str),
        w("SOCIAL_FACEBOOK", Str),
        w("SOCIAL_TWITTER", Str),
        w("ADDRESS_MAIL_STREET", Str),
        w("ADDRESS_MAIL_CITY", Str),
        w("ADDRESS_MAIL_STATE", Str),
        w("ADDRESS_MAIL_POSTCODE", Str),
        w("ADDRESS_MAIL_COUNTRY", Str),
        w("ADDRESS_OTHER_STREET", Str),
        w("ADDRESS_OTHER_CITY", Str),
        w("ADDRESS_OTHER_STATE", Str),
        w("ADDRESS_OTHER_POSTCODE", Str),
        w("ADDRESS_OTHER_COUNTRY", Str),
        w("ORGANISATION_ID", Int),
        w("OWNER_USER_ID", Int),
        r("CREATED_USER_ID", Int),
        w("VISIBLE_TO", Enum(VISIBILITY)),
        w("VISIBLE_TEAM_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
        r("LAST_ACTIVITY_DATE_UTC", Dt),
        r("NEXT_ACTIVITY_DATE_UTC", Dt),
    ],
};

static ORGANISATION: Schema = Schema {
    id_key: "ORGANISATION_ID",
    tags: true,
    custom: true,
    dates: true,
    domains: true,
    lookup: OnceLock::new(),
    fields: &[
        r("ORGANISATION_ID", Int),
        w("ORGANISATION_NAME", Str),
        w("BACKGROUND", Str),
        r("IMAGE_URL", Str),
        w("PHONE", Str),
        w("PHONE_FAX", Str),
        w("WEBSITE", Str),
        w("SOCIAL_LINKEDIN", Str),
        w("SOCIAL_FACEBOOK", Str),
        w("SOCIAL_TWITTER", Str),
        w("ADDRESS_BILLING_STREET", Str),
        w("ADDRESS_BILLING_CITY", Str),
        w("ADDRESS_BILLING_STATE", Str),
        w("ADDRESS_BILLING_POSTCODE", Str),
        w("ADDRESS_BILLING_COUNTRY", Str),
        w("ADDRESS_SHIP_STREET", Str),
        w("ADDRESS_SHIP_CITY", Str),
        w("ADDRESS_SHIP_STATE", Str),
        w("ADDRESS_SHIP_POSTCODE", Str),
        w("ADDRESS_SHIP_COUNTRY", Str),
        w("OWNER_USER_ID", Int),
        r("CREATED_USER_ID", Int),
        w("VISIBLE_TO", Enum(VISIBILITY)),
        w("VISIBLE_TEAM_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
        r("LAST_ACTIVITY_DATE_UTC", Dt),
        r("NEXT_ACTIVITY_DATE_UTC", Dt),
    ],
};

static OPPORTUNITY: Schema = Schema {
    id_key: "OPPORTUNITY_ID",
    tags: true,
    custom: true,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("OPPORTUNITY_ID", Int),
        w("OPPORTUNITY_NAME", Str),
        w("OPPORTUNITY_DETAILS", Str),
        w("OPPORTUNITY_STATE", Enum(OPP_STATES)),
        w("RESPONSIBLE_USER_ID", Int),
        w("CATEGORY_ID", Int),
        r("IMAGE_URL", Str),
        w("BID_CURRENCY", Str),
        w("BID_AMOUNT", Num),
        w("BID_TYPE", Str),
        w("BID_DURATION", Int),
        r("OPPORTUNITY_VALUE", Num),
        w("PROBABILITY", Int),
        w("FORECAST_CLOSE_DATE", Date),
        w("ACTUAL_CLOSE_DATE", Date),
        w("PIPELINE_ID", Int),
        w("STAGE_ID", Int),
        w("PRICEBOOK_ID", Int),
        w("ORGANISATION_ID", Int),
        w("OWNER_USER_ID", Int),
        r("CREATED_USER_ID", Int),
        w("VISIBLE_TO", Enum(VISIBILITY)),
        w("VISIBLE_TEAM_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
        r("LAST_ACTIVITY_DATE_UTC", Dt),
        r("NEXT_ACTIVITY_DATE_UTC", Dt),
    ],
};

static LEAD: Schema = Schema {
    id_key: "LEAD_ID",
    tags: true,
    custom: true,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("LEAD_ID", Int),
        w("SALUTATION", Str),
        w("FIRST_NAME", Str),
        w("LAST_NAME", Str),
        w("TITLE", Str),
        w("EMAIL", Str),
        w("PHONE", Str),
        w("MOBILE", Str),
        w("FAX", Str),
        w("WEBSITE", Str),
        w("ORGANISATION_NAME", Str),
        w("INDUSTRY", Str),
        w("EMPLOYEE_COUNT", Int),
        w("LEAD_DESCRIPTION", Str),
        w("LEAD_RATING", Int),
        w("LEAD_SOURCE_ID", Int),
        w("LEAD_STATUS_ID", Int),
        w("ADDRESS_STREET", Str),
        w("ADDRESS_CITY", Str),
        w("ADDRESS_STATE", Str),
        w("ADDRESS_POSTCODE", Str),
        w("ADDRESS_COUNTRY", Str),
        r("CONVERTED", Bool),
        r("CONVERTED_CONTACT_ID", Int),
        r("CONVERTED_DATE_UTC", Dt),
        r("CONVERTED_OPPORTUNITY_ID", Int),
        r("CONVERTED_ORGANISATION_ID", Int),
        w("EMAIL_OPTED_OUT", Bool),
        r("IMAGE_URL", Str),
        w("OWNER_USER_ID", Int),
        w("RESPONSIBLE_USER_ID", Int),
        r("CREATED_USER_ID", Int),
        w("VISIBLE_TO", Enum(VISIBILITY)),
        w("VISIBLE_TEAM_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
        r("LAST_ACTIVITY_DATE_UTC", Dt),
        r("NEXT_ACTIVITY_DATE_UTC", Dt),
    ],
};

static TASK: Schema = Schema {
    id_key: "TASK_ID",
    tags: false,
    custom: true,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("TASK_ID", Int),
        w("TITLE", Str),
        w("DETAILS", Str),
        w("STATUS", Enum(TASK_STATUSES)),
        w("PRIORITY", Int),
        w("PERCENT_COMPLETE", Int),
        w("COMPLETED", Bool),
        w("COMPLETED_DATE_UTC", Dt),
        w("START_DATE", Date),
        w("DUE_DATE", Date),
        w("REMINDER_DATE_UTC", Dt),
        r("REMINDER_SENT", Bool),
        w("CATEGORY_ID", Int),
        w("RESPONSIBLE_USER_ID", Int),
        w("OWNER_USER_ID", Int),
        w("ASSIGNED_BY_USER_ID", Int),
        w("ASSIGNED_TEAM_ID", Int),
        r("ASSIGNED_DATE_UTC", Dt),
        r("CREATED_USER_ID", Int),
        w("OWNER_VISIBLE", Bool),
        w("PUBLICLY_VISIBLE", Bool),
        w("PARENT_TASK_ID", Int),
        w("RECURRENCE", Str),
        w("PROJECT_ID", Int),
        w("MILESTONE_ID", Int),
        w("OPPORTUNITY_ID", Int),
        w("STAGE_ID", Int),
        w("EMAIL_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
    ],
};

static NOTE: Schema = Schema {
    id_key: "NOTE_ID",
    tags: false,
    custom: false,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("NOTE_ID", Int),
        w("TITLE", Str),
        w("BODY", Str),
        w("OWNER_USER_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
    ],
};

static EVENT: Schema = Schema {
    id_key: "EVENT_ID",
    tags: false,
    custom: true,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("EVENT_ID", Int),
        w("TITLE", Str),
        w("LOCATION", Str),
        w("START_DATE_UTC", Dt),
        w("END_DATE_UTC", Dt),
        w("ALL_DAY", Bool),
        w("DETAILS", Str),
        w("REMINDER_DATE_UTC", Dt),
        r("REMINDER_SENT", Bool),
        w("OWNER_USER_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("DATE_UPDATED_UTC", Dt),
    ],
};

/// Every email field is read-only: emails come from the mail capture, never from the API.
static EMAIL: Schema = Schema {
    id_key: "EMAIL_ID",
    tags: true,
    custom: false,
    dates: false,
    domains: false,
    lookup: OnceLock::new(),
    fields: &[
        r("EMAIL_ID", Int),
        r("EMAIL_FROM", Str),
        r("SUBJECT", Str),
        r("EMAIL_DATE_UTC", Dt),
        r("FORMAT", Str),
        r("SIZE", Int),
        r("OWNER_USER_ID", Int),
        r("DATE_CREATED_UTC", Dt),
        r("QUEUED_SEND_DATE_UTC", Dt),
        r("CREATED_USER_ID", Int),
    ],
};

pub(crate) use super::coerce::{DT_FORMAT, coerce, parse_dt, value_matches};
