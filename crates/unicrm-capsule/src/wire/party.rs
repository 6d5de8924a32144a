//! Parties: people and organisations.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{FieldRow, NestedParty, NestedRef, NestedUser, TagRow, nullable};

/// `emailAddresses[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EmailRow {
    /// Row id.
    pub id: Option<u64>,
    /// Label (`Work`, `Home`, or null).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The address.
    pub address: Option<String>,
}

/// `phoneNumbers[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PhoneRow {
    /// Row id.
    pub id: Option<u64>,
    /// Label (`Work`, `Mobile`, …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The number as typed.
    pub number: Option<String>,
}

/// `addresses[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddressRow {
    /// Row id.
    pub id: Option<u64>,
    /// `Home`, `Postal`, `Office`, `Billing`, `Shipping` or null.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Street, possibly several lines.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// Postcode.
    pub zip: Option<String>,
}

/// `websites[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WebsiteRow {
    /// Row id.
    pub id: Option<u64>,
    /// Label.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// URL or handle as entered.
    pub address: Option<String>,
    /// `URL`, `LINKED_IN`, `TWITTER`, …
    pub service: Option<String>,
    /// Derived full URL (read-only).
    pub url: Option<String>,
}

/// A party as `GET /parties/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Id.
    pub id: u64,
    /// `person` or `organisation` (open).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Person: first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Person: last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Person: title (`Dr`, `Ms`).
    #[serde(default)]
    pub title: Option<String>,
    /// Person: job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Person: organisation.
    #[serde(default)]
    pub organisation: Option<NestedParty>,
    /// Organisation: name.
    #[serde(default)]
    pub name: Option<String>,
    /// Background.
    #[serde(default)]
    pub about: Option<String>,
    /// Owner.
    #[serde(default)]
    pub owner: Option<NestedUser>,
    /// Team.
    #[serde(default)]
    pub team: Option<NestedRef>,
    /// Emails.
    #[serde(default, deserialize_with = "nullable")]
    pub email_addresses: Vec<EmailRow>,
    /// Phones.
    #[serde(default, deserialize_with = "nullable")]
    pub phone_numbers: Vec<PhoneRow>,
    /// Addresses.
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<AddressRow>,
    /// Websites.
    #[serde(default, deserialize_with = "nullable")]
    pub websites: Vec<WebsiteRow>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Last contact.
    #[serde(default)]
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Avatar.
    #[serde(default, rename = "pictureURL")]
    pub picture_url: Option<String>,
    /// Tags (only with `embed=tags`).
    #[serde(default)]
    pub tags: Option<Vec<TagRow>>,
    /// Custom field values (only with `embed=fields`).
    #[serde(default)]
    pub fields: Option<Vec<FieldRow>>,
}

impl Party {
    /// `true` for organisations (`type: organisation`, or a `name` without a type).
    pub fn is_organisation(&self) -> bool {
        match self.kind.as_deref() {
            Some(k) => {
                k.eq_ignore_ascii_case("organisation") || k.eq_ignore_ascii_case("organization")
            }
            None => self.name.is_some() && self.first_name.is_none() && self.last_name.is_none(),
        }
    }
}
