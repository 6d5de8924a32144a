//! Unified CRM models.
//!
//! Every record comes in three shapes generated from one field list: the record as read
//! (`Contact`), what a create sends (`NewContact`), and what an update sends (`ContactPatch`,
//! every field a [`Patch`](crate::Patch)). JSON is snake_case and stable: it is the CLI's output
//! contract.
//!
//! Compared with the hosted unified APIs: money is an exact
//! decimal with a currency, custom fields are typed and carry their definition, tags exist on
//! every record that the vendors tag, pipelines carry ordered stages with probabilities, tasks
//! have status and priority, and every record keeps its raw vendor payload.

#[macro_use]
mod open_enum;
#[macro_use]
mod record_macro;
mod engagements;
mod field_definitions;
mod projects;
mod raw;
mod records;
mod values;

pub use engagements::*;
pub use field_definitions::*;
pub use projects::*;
pub use raw::*;
pub use records::*;
pub use values::*;
