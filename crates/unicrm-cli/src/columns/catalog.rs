//! What each resource's fields are, in the order people read them, and the columns a table
//! shows by default.
//!
//! The catalogue decides CSV headers and table columns before the first record arrives, so
//! neither has to look at (or buffer) the listing to know its columns. A field the record type
//! serializes but the catalogue does not know is still shown (as a plain field, after the known
//! ones), so a field added to a record later never disappears from `--columns all`.

use unicrm_core::ResourceKind;

/// How a field's value is laid out, which decides how it flattens into columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A string, number, boolean, date or id: one column.
    Scalar,
    /// `{amount, currency}`: an amount column and a currency column.
    Money,
    /// A list of `{address, …}`: the first address.
    Emails,
    /// A list of `{number, …}`: the first number.
    Phones,
    /// A list of postal addresses: the first, on one line.
    Addresses,
    /// A list of `{url, …}`: the first URL.
    Websites,
    /// A list of `{id, name}`: the names, joined.
    Tags,
    /// A list of custom field values: one `cf:<name>` column per defined field.
    CustomFields,
    /// A list of `{kind, id, role}`: `kind:id`, joined.
    Links,
    /// A list of ids: joined.
    Ids,
    /// A list of pipeline stages: their names, joined.
    Stages,
    /// A list of project milestones: their titles, joined.
    Milestones,
    /// A list of engagement participants: their names, joined.
    Participants,
    /// A list of field choices: their values, joined.
    Choices,
}

impl Shape {
    /// Whether the field is a list, indexed by number in a column path (`emails.0.address`).
    pub fn is_list(self) -> bool {
        !matches!(self, Shape::Scalar | Shape::Money)
    }

    /// The keys of one element (of the value for `Money`), for checking column paths.
    pub fn element_keys(self) -> &'static [&'static str] {
        match self {
            Shape::Scalar | Shape::Ids => &[],
            Shape::Money => &["amount", "currency"],
            Shape::Emails => &["address", "kind", "primary", "row_id"],
            Shape::Phones => &["number", "kind", "primary", "row_id"],
            Shape::Addresses => &[
                "street_1",
                "street_2",
                "city",
                "state",
                "postal_code",
                "country",
                "kind",
                "row_id",
            ],
            Shape::Websites => &["url", "kind", "row_id"],
            Shape::Tags => &["id", "name"],
            Shape::CustomFields => &["definition_id", "name", "value", "row_id"],
            Shape::Links => &["kind", "id", "role"],
            Shape::Milestones => &[
                "id",
                "title",
                "completed",
                "due_date",
                "completed_at",
                "owner_id",
                "assignee_id",
            ],
            Shape::Participants => &["name", "email", "role", "contact_id", "user_id"],
            Shape::Choices => &["id", "value", "is_default"],
            Shape::Stages => &[
                "id",
                "name",
                "description",
                "order",
                "probability",
                "is_won",
                "is_lost",
                "days_until_stale",
            ],
        }
    }
}

/// A resource's fields and default table columns.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// The command's name (`contacts`).
    pub resource: &'static str,
    /// Every field, in reading order, with its shape.
    pub fields: &'static [(&'static str, Shape)],
    /// The columns a table shows when `--columns` is not given (field names or aliases).
    pub table: &'static [&'static str],
}

use Shape::*;

const STAMPS: [(&str, Shape); 2] = [("created_at", Scalar), ("updated_at", Scalar)];

macro_rules! fields {
    ($($name:literal : $shape:ident),* $(,)?) => {
        &[("id", Scalar), $(($name, $shape),)* STAMPS[0], STAMPS[1]]
    };
}

const CONTACTS: Catalog = Catalog {
    resource: "contacts",
    fields: fields![
        "prefix": Scalar, "first_name": Scalar, "last_name": Scalar, "job_title": Scalar,
        "department": Scalar, "account_id": Scalar, "account_name": Scalar,
        "emails": Emails, "phones": Phones, "addresses": Addresses, "websites": Websites,
        "description": Scalar, "birthday": Scalar, "lead_source": Scalar, "owner_id": Scalar,
        "picture_url": Scalar, "last_activity_at": Scalar, "tags": Tags,
        "custom_fields": CustomFields, "links": Links,
    ],
    table: &["id", "name", "email", "account", "owner", "updated"],
};

const ACCOUNTS: Catalog = Catalog {
    resource: "accounts",
    fields: fields![
        "name": Scalar, "description": Scalar, "industry": Scalar,
        "number_of_employees": Scalar, "annual_revenue": Money, "parent_id": Scalar,
        "emails": Emails, "phones": Phones, "addresses": Addresses, "websites": Websites,
        "owner_id": Scalar, "picture_url": Scalar, "last_activity_at": Scalar, "tags": Tags,
        "custom_fields": CustomFields, "links": Links,
    ],
    table: &["id", "name", "email", "phone", "owner", "updated"],
};

const OPPORTUNITIES: Catalog = Catalog {
    resource: "opportunities",
    fields: fields![
        "name": Scalar, "description": Scalar, "amount": Money, "bid_type": Scalar,
        "bid_duration": Scalar, "status": Scalar, "probability": Scalar, "pipeline_id": Scalar,
        "stage_id": Scalar, "stage_name": Scalar, "account_id": Scalar, "contact_id": Scalar,
        "contact_ids": Ids, "expected_close_date": Scalar, "closed_date": Scalar,
        "lost_reason": Scalar, "won_reason": Scalar, "owner_id": Scalar,
        "stage_changed_at": Scalar, "last_activity_at": Scalar, "tags": Tags,
        "custom_fields": CustomFields, "links": Links,
    ],
    table: &["id", "name", "amount", "stage", "status", "close_date"],
};

const TASKS: Catalog = Catalog {
    resource: "tasks",
    fields: fields![
        "title": Scalar, "description": Scalar, "due_date": Scalar, "due_time": Scalar,
        "start_date": Scalar, "status": Scalar, "priority": Scalar, "completed_at": Scalar,
        "category": Scalar, "owner_id": Scalar, "assignee_id": Scalar, "contact_id": Scalar,
        "account_id": Scalar, "opportunity_id": Scalar, "lead_id": Scalar, "links": Links,
    ],
    table: &["id", "title", "status", "priority", "due", "owner"],
};

const NOTES: Catalog = Catalog {
    resource: "notes",
    fields: fields![
        "title": Scalar, "content": Scalar, "owner_id": Scalar, "contact_id": Scalar,
        "account_id": Scalar, "opportunity_id": Scalar, "lead_id": Scalar,
        "occurred_at": Scalar, "links": Links,
    ],
    table: &["id", "title", "content", "about", "owner", "occurred"],
};

const USERS: Catalog = Catalog {
    resource: "users",
    fields: fields![
        "name": Scalar, "first_name": Scalar, "last_name": Scalar, "email": Scalar,
        "username": Scalar, "is_active": Scalar, "is_admin": Scalar, "timezone": Scalar,
        "currency": Scalar, "locale": Scalar,
    ],
    table: &["id", "name", "email", "username", "active", "admin"],
};

const PIPELINES: Catalog = Catalog {
    resource: "pipelines",
    fields: fields![
        "name": Scalar, "description": Scalar, "applies_to": Scalar, "stages": Stages,
    ],
    table: &["id", "name", "applies_to", "stages"],
};

const LEADS: Catalog = Catalog {
    resource: "leads",
    fields: fields![
        "prefix": Scalar, "first_name": Scalar, "last_name": Scalar, "job_title": Scalar,
        "company_name": Scalar, "industry": Scalar, "number_of_employees": Scalar,
        "emails": Emails, "phones": Phones, "addresses": Addresses, "websites": Websites,
        "lead_source": Scalar, "lead_source_id": Scalar, "status": Scalar, "status_id": Scalar,
        "rating": Scalar, "description": Scalar, "owner_id": Scalar, "assignee_id": Scalar,
        "converted": Scalar, "converted_at": Scalar, "converted_contact_id": Scalar,
        "converted_account_id": Scalar, "converted_opportunity_id": Scalar, "tags": Tags,
        "custom_fields": CustomFields, "links": Links,
    ],
    table: &["id", "name", "company", "email", "status", "owner"],
};

const PROJECTS: Catalog = Catalog {
    resource: "projects",
    fields: fields![
        "name": Scalar, "description": Scalar, "status": Scalar, "pipeline_id": Scalar,
        "stage_id": Scalar, "stage_name": Scalar, "category_id": Scalar, "account_id": Scalar,
        "contact_id": Scalar, "opportunity_id": Scalar, "owner_id": Scalar,
        "assignee_id": Scalar, "team_id": Scalar, "start_date": Scalar,
        "expected_close_date": Scalar, "closed_date": Scalar, "picture_url": Scalar,
        "last_activity_at": Scalar, "next_activity_at": Scalar, "milestones": Milestones,
        "tags": Tags, "custom_fields": CustomFields, "links": Links,
    ],
    table: &[
        "id",
        "name",
        "status",
        "stage",
        "account",
        "owner",
        "close_date",
    ],
};

const ENGAGEMENTS: Catalog = Catalog {
    resource: "engagements",
    fields: fields![
        "kind": Scalar, "engagement_type_id": Scalar, "engagement_type_name": Scalar,
        "subject": Scalar, "body": Scalar, "start_at": Scalar, "end_at": Scalar,
        "all_day": Scalar, "status": Scalar, "direction": Scalar, "location": Scalar,
        "reminder_at": Scalar, "owner_id": Scalar, "assignee_id": Scalar,
        "contact_id": Scalar, "account_id": Scalar, "opportunity_id": Scalar,
        "project_id": Scalar, "lead_id": Scalar, "calendar_id": Scalar,
        "participants": Participants, "custom_fields": CustomFields, "links": Links,
    ],
    table: &[
        "id", "kind", "subject", "start_at", "status", "about", "owner",
    ],
};

const ENGAGEMENT_TYPES: Catalog = Catalog {
    resource: "engagement-types",
    fields: fields![
        "name": Scalar, "kind": Scalar, "icon": Scalar, "updates_last_contacted": Scalar,
        "is_system": Scalar, "is_active": Scalar,
    ],
    table: &["id", "name", "kind", "is_system", "active"],
};

const FIELDS: Catalog = Catalog {
    resource: "fields",
    fields: fields![
        "name": Scalar, "kind": Scalar, "key": Scalar, "description": Scalar,
        "required": Scalar, "editable": Scalar, "visible": Scalar, "order": Scalar,
        "default_value": Scalar, "lookup_kind": Scalar, "group": Scalar, "choices": Choices,
        "applies_to": Ids,
    ],
    table: &["id", "name", "kind", "applies_to", "choices"],
};

/// Resources without a catalogue entry: every field is a plain one, the table shows the id,
/// a name or title if there is one, and the update time.
const GENERIC: Catalog = Catalog {
    resource: "records",
    fields: &[("id", Scalar), STAMPS[0], STAMPS[1]],
    table: &["id", "name", "title", "updated"],
};

/// The catalogue of a kind of record.
pub fn catalog(kind: &ResourceKind) -> Catalog {
    match kind {
        ResourceKind::Contact => CONTACTS,
        ResourceKind::Account => ACCOUNTS,
        ResourceKind::Opportunity => OPPORTUNITIES,
        ResourceKind::Task => TASKS,
        ResourceKind::Note => NOTES,
        ResourceKind::User => USERS,
        ResourceKind::Pipeline => PIPELINES,
        ResourceKind::Lead => LEADS,
        ResourceKind::Project => PROJECTS,
        ResourceKind::Engagement => ENGAGEMENTS,
        ResourceKind::EngagementType => ENGAGEMENT_TYPES,
        ResourceKind::FieldDefinition => FIELDS,
        _ => GENERIC,
    }
}

/// The aliases a resource's columns may use besides field names, with what each shows.
pub fn aliases(c: &Catalog) -> Vec<&'static str> {
    let has = |f: &str| c.fields.iter().any(|(n, _)| *n == f);
    let mut out = Vec::new();
    let candidates: [(&str, bool); 14] = [
        ("name", has("first_name") || has("last_name")),
        ("email", has("emails")),
        ("phone", has("phones")),
        ("address", has("addresses")),
        ("website", has("websites")),
        ("account", has("account_id")),
        ("owner", has("owner_id")),
        ("stage", has("stage_id")),
        ("close_date", has("expected_close_date")),
        ("due", has("due_date")),
        ("about", has("contact_id")),
        ("occurred", has("occurred_at")),
        ("company", has("company_name")),
        ("currency", has("amount")),
    ];
    for (alias, ok) in candidates {
        if ok && !has(alias) {
            out.push(alias);
        }
    }
    for (alias, ok) in [
        ("active", has("is_active")),
        ("admin", has("is_admin")),
        ("updated", true),
        ("created", true),
    ] {
        if ok {
            out.push(alias);
        }
    }
    out
}
