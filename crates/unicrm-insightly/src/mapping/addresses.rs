//! Insightly addresses are flat field groups (`ADDRESS_MAIL_STREET`, `…_CITY`, `…_STATE`,
//! `…_POSTCODE`, `…_COUNTRY`), not arrays (docs/vendors/insightly-v3.1.md §11.2).
//!
//! The street may hold several lines separated by `\n`: the first is `street_1`, the rest
//! `street_2`; writing joins them back.

use unicrm_core::{Address, AddressKind, Result};

use super::text;
use crate::wire::Body;

/// One address group as read.
pub struct Group<'a> {
    /// `…_STREET`.
    pub street: &'a Option<String>,
    /// `…_CITY`.
    pub city: &'a Option<String>,
    /// `…_STATE`.
    pub state: &'a Option<String>,
    /// `…_POSTCODE`.
    pub postcode: &'a Option<String>,
    /// `…_COUNTRY`.
    pub country: &'a Option<String>,
}

/// Reads a group; `None` when every field is empty.
pub fn read(g: Group<'_>, kind: AddressKind) -> Option<Address> {
    let street = text(g.street);
    let (street_1, street_2) = match street {
        Some(s) => match s.split_once('\n') {
            Some((a, b)) => (
                Some(a.trim_end_matches('\r').to_string()),
                Some(b.to_string()),
            ),
            None => (Some(s), None),
        },
        None => (None, None),
    };
    let a = Address {
        street_1,
        street_2,
        city: text(g.city),
        state: text(g.state),
        postal_code: text(g.postcode),
        country: text(g.country),
        kind: Some(kind),
        row_id: None,
    };
    let empty = a.street_1.is_none()
        && a.street_2.is_none()
        && a.city.is_none()
        && a.state.is_none()
        && a.postal_code.is_none()
        && a.country.is_none();
    (!empty).then_some(a)
}

/// Writes a group under `prefix` (`ADDRESS_MAIL`): every field set, or `null` when the
/// address (or that part of it) is absent.
pub fn write(body: &mut Body, prefix: &str, a: Option<&Address>) -> Result<()> {
    let street = a.and_then(|a| match (&a.street_1, &a.street_2) {
        (Some(x), Some(y)) => Some(format!("{x}\n{y}")),
        (Some(x), None) => Some(x.clone()),
        (None, Some(y)) => Some(y.clone()),
        (None, None) => None,
    });
    body.set_opt(&format!("{prefix}_STREET"), street.as_ref())?;
    body.set_opt(&format!("{prefix}_CITY"), a.and_then(|a| a.city.as_ref()))?;
    body.set_opt(&format!("{prefix}_STATE"), a.and_then(|a| a.state.as_ref()))?;
    body.set_opt(
        &format!("{prefix}_POSTCODE"),
        a.and_then(|a| a.postal_code.as_ref()),
    )?;
    body.set_opt(
        &format!("{prefix}_COUNTRY"),
        a.and_then(|a| a.country.as_ref()),
    )?;
    Ok(())
}
