//! Ids of a contact's sub-records. HighLevel reaches a note or task only through its contact
//! (`/contacts/{contactId}/notes/{id}`, docs/vendors/highlevel-v2.md, "Notes", "Tasks"), so
//! the unified id carries both: `<contactId>:<id>`. HighLevel ids are letters and digits, so
//! the `:` never occurs inside one; an id without it names nothing (`NotFound`, nothing
//! sent).

use unicrm_core::{Error, Result};

use crate::VENDOR;
use crate::client::check_id;

/// `<contact>:<id>`.
pub(crate) fn join(contact: &str, id: &str) -> String {
    format!("{contact}:{id}")
}

/// The contact and record ids of a unified id (both checked as path-safe).
pub(crate) fn split<'a>(kind: &str, id: &'a str) -> Result<(&'a str, &'a str)> {
    let (contact, own) = id.split_once(':').ok_or_else(|| Error::NotFound {
        message: format!("{VENDOR} has no {kind} {id:?} (ids are <contactId>:<id>)"),
    })?;
    check_id("contact", contact)?;
    check_id(kind, own)?;
    Ok((contact, own))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_splits() {
        assert_eq!(join("Ct1", "Nt2"), "Ct1:Nt2");
        assert_eq!(split("note", "Ct1:Nt2").unwrap(), ("Ct1", "Nt2"));
        for bad in ["Nt2", "Ct1:", ":Nt2", "Ct1:Nt2:x", "Ct1:../x", ""] {
            assert!(
                matches!(split("note", bad), Err(Error::NotFound { .. })),
                "{bad}"
            );
        }
    }
}
