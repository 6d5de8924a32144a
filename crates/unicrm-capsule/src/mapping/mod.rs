//! Pure mappings between Capsule's wire format and the unified models, both directions.
//!
//! One file per resource. Reading never fails on odd data: unknown labels become open-enum
//! `Other` values, unparseable optional values are left out of the unified record (they stay
//! in `raw`). Writing builds the exact request body (`{"party": {...}}`) as JSON text, so
//! decimals are written digit for digit.

pub mod account;
pub mod contact;
pub mod custom_fields;
pub mod field_definition;

pub mod engagement;
pub mod engagement_type;
pub mod note;
pub mod opportunity;
pub mod party_rows;
pub mod pipeline;
pub mod project;
pub mod task;
pub mod user;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;
use unicrm_core::error::{Error, Result};

pub use custom_fields::FieldDefs;

/// A write body under construction: keys in sorted order, each value as exact JSON text.
#[derive(Debug, Default)]
pub struct Body {
    fields: BTreeMap<String, Box<RawValue>>,
}

impl Body {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` serialized.
    pub fn set<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        let raw = serde_json::value::to_raw_value(value)
            .map_err(|e| Error::config(format!("cannot serialize `{key}`: {e}")))?;
        self.fields.insert(key.to_string(), raw);
        Ok(())
    }

    /// Sets `key` to `null`.
    pub fn set_null(&mut self, key: &str) -> Result<()> {
        self.set(key, &serde_json::Value::Null)
    }

    /// Sets `key` to already-encoded JSON.
    pub fn set_raw(&mut self, key: &str, raw: Box<RawValue>) {
        self.fields.insert(key.to_string(), raw);
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// `true` when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Merges caller-supplied vendor fields (they win over mapped ones).
    pub fn merge_vendor_fields(
        &mut self,
        vendor_fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        for (k, v) in vendor_fields {
            self.set(k, v)?;
        }
        Ok(())
    }

    /// The body wrapped in its resource key: `{"<wrapper>": {...}}`, as JSON text.
    pub fn wrap(&self, wrapper: &str) -> Result<String> {
        let mut outer = BTreeMap::new();
        outer.insert(wrapper, &self.fields);
        serde_json::to_string(&outer)
            .map_err(|e| Error::config(format!("cannot serialize the request body: {e}")))
    }
}

/// A reference written as `{"id": N}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IdRef {
    /// The id.
    pub id: u64,
}

/// Parses a unified id (a string) into Capsule's numeric id; `what` names the field for the
/// validation error.
pub fn numeric_id(id: &str, what: &str) -> Result<u64> {
    id.trim().parse::<u64>().map_err(|_| Error::Validation {
        message: format!("{what} must be a Capsule id (a number), got {id:?}"),
        fields: vec![unicrm_core::FieldError {
            field: Some(what.to_string()),
            resource: None,
            message: "not a Capsule id".into(),
        }],
    })
}

/// Empty or whitespace-only strings are absent.
pub(crate) fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.to_string())
        .filter(|s| !s.trim().is_empty())
}

/// Writes an optional scalar patch: `Set` → value, `Clear` → null, `Unchanged` → nothing.
pub(crate) fn patch_scalar<T: Serialize>(
    body: &mut Body,
    key: &str,
    patch: &unicrm_core::Patch<T>,
) -> Result<()> {
    match patch {
        unicrm_core::Patch::Unchanged => Ok(()),
        unicrm_core::Patch::Set(v) => body.set(key, v),
        unicrm_core::Patch::Clear => body.set_null(key),
    }
}

/// Writes a reference as `{"id": N}`; `what` names the unified field in a validation error.
pub(crate) fn set_ref(body: &mut Body, key: &str, id: &str, what: &str) -> Result<()> {
    body.set(
        key,
        &IdRef {
            id: numeric_id(id, what)?,
        },
    )
}

/// Writes an optional reference patch as `{"id": N}` / null.
pub(crate) fn patch_ref<I: AsRef<str>>(
    body: &mut Body,
    key: &str,
    patch: &unicrm_core::Patch<I>,
) -> Result<()> {
    match patch {
        unicrm_core::Patch::Unchanged => Ok(()),
        unicrm_core::Patch::Set(id) => body.set(
            key,
            &IdRef {
                id: numeric_id(id.as_ref(), key)?,
            },
        ),
        unicrm_core::Patch::Clear => body.set_null(key),
    }
}

macro_rules! as_ref_str {
    ($($t:ty),*) => {$(
        impl AsRef<str> for IdText<'_, $t> {
            fn as_ref(&self) -> &str { self.0.as_str() }
        }
    )*};
}

/// Borrowed view of a typed id as text (typed ids do not implement `AsRef<str>`).
pub(crate) struct IdText<'a, T>(pub &'a T);

as_ref_str!(
    unicrm_core::UserId,
    unicrm_core::AccountId,
    unicrm_core::ContactId,
    unicrm_core::OpportunityId,
    unicrm_core::StageId
);

/// Maps a patch of typed ids to a patch of id text.
pub(crate) fn id_patch<T>(p: &unicrm_core::Patch<T>) -> unicrm_core::Patch<IdText<'_, T>> {
    match p {
        unicrm_core::Patch::Unchanged => unicrm_core::Patch::Unchanged,
        unicrm_core::Patch::Set(v) => unicrm_core::Patch::Set(IdText(v)),
        unicrm_core::Patch::Clear => unicrm_core::Patch::Clear,
    }
}

/// A Capsule date-time for queries and bodies: UTC, `Z`, whole seconds.
pub fn format_datetime(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
