//! What an adapter provides so the kit can drive its vendor (usually a simulator).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use unicrm_core::{Crm, Error, ResourceKind};

/// Something the harness could not do (the vendor did not start, a raw call failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("harness: {message}")]
pub struct HarnessError {
    /// What failed.
    pub message: String,
}

impl HarnessError {
    /// A harness error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        HarnessError {
            message: message.into(),
        }
    }

    /// "`operation` is not offered by this harness".
    pub fn unsupported(operation: &str) -> Self {
        HarnessError::new(format!("{operation} is not offered by this harness"))
    }
}

/// One record as the vendor holds it, read through the vendor's raw API (never through the
/// adapter under test).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VendorRecord {
    /// The vendor's id, as the adapter shows it (`Record::id` as a string).
    pub id: String,
    /// The record's marker field (see [`marker_field`](crate::marker_field)), when it has a
    /// value.
    pub marker: Option<String>,
}

/// A write the vendor must refuse with a validation error naming a field.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidWrite {
    /// The kind of record to create.
    pub kind: ResourceKind,
    /// The unified new record, as JSON (`NewContact`, `NewAccount`, …).
    pub new: serde_json::Value,
    /// Field names the error must name (at least one of them; vendor or unified names).
    pub fields: Vec<String>,
}

/// How an adapter lets the kit drive its vendor.
///
/// Implemented once per adapter over its simulator (or a sandbox account). Only
/// [`vendor`](Harness::vendor), [`reset`](Harness::reset), [`connect`](Harness::connect) and
/// [`vendor_records`](Harness::vendor_records) are required; every other method has a default
/// that makes the kit skip the checks needing it, and say so in the [`Report`](crate::Report).
///
/// "The other user" methods write through the vendor's raw API, as another user of the CRM
/// would, so the kit can run writers concurrently with the adapter's change feed. They set
/// the record's marker field (see [`marker_field`](crate::marker_field)).
#[async_trait]
pub trait Harness: Send + Sync {
    /// The vendor name the adapter reports (`Crm::vendor`).
    fn vendor(&self) -> &str;

    /// Puts the vendor back in its seeded state (restarting a simulator is fine: the kit calls
    /// [`connect`](Harness::connect) after every reset). The seed must hold at least 3 records
    /// of every listable kind, so listings span more than 2 pages at a small page size.
    async fn reset(&self) -> Result<(), HarnessError>;

    /// A client of the adapter under test, connected to the vendor as it is now.
    async fn connect(&self) -> Result<Arc<dyn Crm>, HarnessError>;

    /// A client whose credentials the vendor refuses (`None`: the kit skips the 401 check).
    async fn connect_with_bad_credentials(&self) -> Result<Option<Arc<dyn Crm>>, HarnessError> {
        Ok(None)
    }

    /// Every record of `kind` the vendor holds now, read through the raw API; `None` when the
    /// harness cannot list this kind (the kit then skips the checks that need it).
    async fn vendor_records(
        &self,
        kind: &ResourceKind,
    ) -> Result<Option<Vec<VendorRecord>>, HarnessError>;

    /// The kinds the other user can create, update and delete.
    fn other_user_kinds(&self) -> Vec<ResourceKind> {
        Vec::new()
    }

    /// The other user creates a record of `kind` with `marker` in its marker field; returns its id.
    async fn other_user_create(
        &self,
        kind: &ResourceKind,
        marker: &str,
    ) -> Result<String, HarnessError> {
        let _ = (kind, marker);
        Err(HarnessError::unsupported("other_user_create"))
    }

    /// The other user sets the marker field of record `id` to `marker`.
    async fn other_user_update(
        &self,
        kind: &ResourceKind,
        id: &str,
        marker: &str,
    ) -> Result<(), HarnessError> {
        let _ = (kind, id, marker);
        Err(HarnessError::unsupported("other_user_update"))
    }

    /// The other user deletes record `id`.
    async fn other_user_delete(&self, kind: &ResourceKind, id: &str) -> Result<(), HarnessError> {
        let _ = (kind, id);
        Err(HarnessError::unsupported("other_user_delete"))
    }

    /// Delays every vendor answer by `latency` (so listings last long enough for concurrent
    /// writes to land during them). The default does nothing.
    async fn set_latency(&self, latency: Duration) -> Result<(), HarnessError> {
        let _ = latency;
        Ok(())
    }

    /// Turns on (or off) 429 answers the client must wait out: some requests answer 429, the
    /// rest succeed. Returns `false` when the harness cannot (the kit skips the 429 check).
    async fn set_rate_limiting(&self, on: bool) -> Result<bool, HarnessError> {
        let _ = on;
        Ok(false)
    }

    /// A create the vendor refuses with a validation error (`None`: the kit skips the check).
    fn invalid_write(&self) -> Option<InvalidWrite> {
        None
    }

    /// An id no record of `kind` has.
    fn missing_id(&self, kind: &ResourceKind) -> String {
        let _ = kind;
        "987654321".to_string()
    }

    /// Tries to subscribe a webhook with the adapter's own API (webhooks are not on `Crm`).
    /// `None`: the harness has no way to try (the kit reports the check as skipped).
    async fn try_webhook(&self) -> Option<Result<(), Error>> {
        None
    }
}
