//! Shared value types: ids, money, contact points, tags, custom fields.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::raw::RawPayload;

macro_rules! id_type {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {$(
        $(#[$meta])*
        ///
        /// Vendor ids are kept as strings so every vendor's id scheme fits.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a vendor id.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The id as an integer, for vendors with numeric ids.
            pub fn as_u64(&self) -> Option<u64> {
                self.0.parse().ok()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                Self(v.to_string())
            }
        }

        impl From<&str> for $name {
            fn from(v: &str) -> Self {
                Self(v.to_string())
            }
        }

        impl From<String> for $name {
            fn from(v: String) -> Self {
                Self(v)
            }
        }
    )*};
}

id_type!(
    /// Id of a [`Contact`](crate::Contact).
    ContactId,
    /// Id of an [`Account`](crate::Account).
    AccountId,
    /// Id of an [`Opportunity`](crate::Opportunity).
    OpportunityId,
    /// Id of a [`Task`](crate::Task).
    TaskId,
    /// Id of a [`Note`](crate::Note).
    NoteId,
    /// Id of a [`User`](crate::User).
    UserId,
    /// Id of a [`Pipeline`](crate::Pipeline).
    PipelineId,
    /// Id of a [`Stage`](crate::Stage).
    StageId,
    /// Id of a [`Lead`](crate::Lead).
    LeadId,
    /// Id of a [`Project`](crate::Project).
    ProjectId,
    /// Id of an [`Engagement`](crate::Engagement).
    EngagementId,
    /// Id of an [`EngagementType`](crate::EngagementType).
    EngagementTypeId,
    /// Id of a [`CustomFieldDefinition`].
    CustomFieldId,
    /// Id of a tag definition.
    TagId,
    /// Id of a nested row (an email, phone, address or website row) on the vendor's side, needed
    /// to update or remove exactly that row.
    RowId,
);

/// An ISO 4217 currency code, upper-case (`GBP`, `USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Normalises to upper case; any three ASCII letters are accepted.
    pub fn new(code: &str) -> Option<Self> {
        let code = code.trim();
        (code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| Currency(code.to_ascii_uppercase()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exact amount of money. The amount is a decimal, never a float, serialized as a JSON
/// string (`"12345678901234567890.12"`) so no JSON reader loses precision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exactly.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Builds an amount from its decimal text and a currency code.
    pub fn parse(amount: &str, currency: &str) -> Option<Self> {
        let amount = amount.trim().parse::<Decimal>().ok()?;
        Some(Money {
            amount,
            currency: Currency::new(currency)?,
        })
    }
}

open_enum! {
    /// Kind of an email address.
    pub enum EmailKind {
        /// Work address.
        Work => "work",
        /// Personal address.
        Home => "home",
    }
}

open_enum! {
    /// Kind of a phone number.
    pub enum PhoneKind {
        /// Work line.
        Work => "work",
        /// Mobile.
        Mobile => "mobile",
        /// Home line.
        Home => "home",
        /// Fax.
        Fax => "fax",
        /// Direct line.
        Direct => "direct",
        /// Assistant's line.
        Assistant => "assistant",
        /// Main switchboard.
        Main => "main",
    }
}

open_enum! {
    /// Kind of a postal address.
    pub enum AddressKind {
        /// Office.
        Work => "work",
        /// Home.
        Home => "home",
        /// Postal / mailing address.
        Postal => "postal",
        /// Billing address.
        Billing => "billing",
        /// Shipping address.
        Shipping => "shipping",
        /// Main address.
        Primary => "primary",
    }
}

open_enum! {
    /// Kind of a website or social profile.
    pub enum WebsiteKind {
        /// A plain web address.
        Url => "url",
        /// LinkedIn profile.
        LinkedIn => "linked_in",
        /// Twitter / X handle.
        Twitter => "twitter",
        /// Facebook page.
        Facebook => "facebook",
        /// Instagram profile.
        Instagram => "instagram",
        /// YouTube channel.
        YouTube => "you_tube",
        /// GitHub profile.
        GitHub => "git_hub",
        /// Skype name.
        Skype => "skype",
        /// Blog.
        Blog => "blog",
    }
}

/// An email address with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Email {
    /// The address.
    pub address: String,
    /// Work, home, …
    #[serde(default)]
    pub kind: Option<EmailKind>,
    /// Whether this is the record's main address.
    #[serde(default)]
    pub primary: bool,
    /// The vendor's id of this row, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
}

/// A phone number with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Phone {
    /// The number as entered.
    pub number: String,
    /// Work, mobile, …
    #[serde(default)]
    pub kind: Option<PhoneKind>,
    /// Whether this is the record's main number.
    #[serde(default)]
    pub primary: bool,
    /// The vendor's id of this row, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// First street line.
    #[serde(default)]
    pub street_1: Option<String>,
    /// Further street lines.
    #[serde(default)]
    pub street_2: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State, county or region.
    #[serde(default)]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Country, as the vendor names it.
    #[serde(default)]
    pub country: Option<String>,
    /// Work, home, billing, …
    #[serde(default)]
    pub kind: Option<AddressKind>,
    /// The vendor's id of this row, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
}

/// A website or social profile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Website {
    /// The URL or handle.
    pub url: String,
    /// Plain URL, LinkedIn, Twitter, …
    #[serde(default)]
    pub kind: Option<WebsiteKind>,
    /// The vendor's id of this row, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
}

/// A tag on a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Tag {
    /// The tag definition's id, when the vendor has one.
    #[serde(default)]
    pub id: Option<TagId>,
    /// The tag's name.
    pub name: String,
}

impl Tag {
    /// A tag known by name only.
    pub fn named(name: impl Into<String>) -> Self {
        Tag {
            id: None,
            name: name.into(),
        }
    }
}

open_enum! {
    /// The type of a custom field.
    pub enum CustomFieldKind {
        /// Free text.
        Text => "text",
        /// Long text.
        LongText => "long_text",
        /// Whole number.
        Number => "number",
        /// Decimal number (also currency and percentages).
        Decimal => "decimal",
        /// Calendar date.
        Date => "date",
        /// Date and time.
        DateTime => "date_time",
        /// Yes/no.
        Boolean => "boolean",
        /// One value from a list.
        SingleChoice => "single_choice",
        /// Several values from a list.
        MultiChoice => "multi_choice",
        /// A URL.
        Url => "url",
        /// A reference to another record.
        Lookup => "lookup",
    }
}

impl Default for CustomFieldKind {
    /// Free text, the kind every vendor has.
    fn default() -> Self {
        CustomFieldKind::Text
    }
}

open_enum! {
    /// The kinds of record there are.
    pub enum ResourceKind {
        /// Contacts (people).
        Contact => "contact",
        /// Accounts (organisations, companies).
        Account => "account",
        /// Opportunities (deals).
        Opportunity => "opportunity",
        /// Tasks.
        Task => "task",
        /// Notes.
        Note => "note",
        /// Users.
        User => "user",
        /// Pipelines.
        Pipeline => "pipeline",
        /// Leads.
        Lead => "lead",
        /// Projects (Capsule kases, Insightly projects).
        Project => "project",
        /// Engagements: calls, meetings, emails, appointments.
        Engagement => "engagement",
        /// Engagement types (Capsule activity types).
        EngagementType => "engagement_type",
        /// Custom field definitions.
        FieldDefinition => "field_definition",
    }
}

/// The definition of a custom field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDefinition {
    /// Id.
    pub id: CustomFieldId,
    /// Display name.
    pub name: String,
    /// The vendor's key for the field, where it differs from the id (Insightly's `Region__c`).
    #[serde(default)]
    pub key: Option<String>,
    /// Type of its values.
    pub kind: CustomFieldKind,
    /// Allowed values for choice fields.
    #[serde(default)]
    pub options: Vec<String>,
    /// Which records carry it.
    #[serde(default)]
    pub applies_to: Vec<ResourceKind>,
    /// Description or help text.
    #[serde(default)]
    pub description: Option<String>,
    /// The vendor's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawPayload>,
}

/// A typed custom field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldValue {
    /// Text (also long text).
    Text(String),
    /// Whole number.
    Number(i64),
    /// Exact decimal, serialized as a string.
    Decimal(#[serde(with = "rust_decimal::serde::str")] Decimal),
    /// Date.
    Date(NaiveDate),
    /// Date and time.
    DateTime(DateTime<Utc>),
    /// Yes / no.
    Boolean(bool),
    /// One choice.
    SingleChoice(String),
    /// Several choices.
    MultiChoice(Vec<String>),
    /// A URL.
    Url(String),
    /// A value that did not fit its definition's type, or whose type is unknown: kept as sent.
    Raw(serde_json::Value),
}

/// A custom field value on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    /// The definition's id.
    pub definition_id: CustomFieldId,
    /// The definition's name, when known.
    #[serde(default)]
    pub name: Option<String>,
    /// The value; `None` means the field is set to nothing.
    pub value: Option<FieldValue>,
    /// The vendor's id of this value row, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_full_precision() {
        let m = Money::parse("12345678901234567890.12", "gbp").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"amount":"12345678901234567890.12","currency":"GBP"}"#
        );
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.amount.to_string(), "12345678901234567890.12");
    }

    #[test]
    fn unknown_enum_values_round_trip() {
        let k: PhoneKind = serde_json::from_str(r#""Pager""#).unwrap();
        assert_eq!(k, PhoneKind::Other("Pager".into()));
        assert_eq!(serde_json::to_string(&k).unwrap(), r#""Pager""#);
        let k: PhoneKind = serde_json::from_str(r#""MOBILE""#).unwrap();
        assert_eq!(k, PhoneKind::Mobile);
        assert_eq!(WebsiteKind::parse("LINKED_IN"), WebsiteKind::LinkedIn);
        assert_eq!(
            CustomFieldKind::parse("Date Time"),
            CustomFieldKind::DateTime
        );
    }

    #[test]
    fn field_values_are_tagged() {
        let v = FieldValue::Decimal("1.50".parse().unwrap());
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"type":"decimal","value":"1.50"}"#
        );
        let v: FieldValue =
            serde_json::from_str(r#"{"type":"multi_choice","value":["a","b"]}"#).unwrap();
        assert_eq!(v, FieldValue::MultiChoice(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn currency_validation() {
        assert!(Currency::new("usd").is_some());
        assert!(Currency::new("US").is_none());
        assert!(Currency::new("U$D").is_none());
    }
}
