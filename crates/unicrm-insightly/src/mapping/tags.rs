//! `TAGS`: plain names, case-insensitively unique per record. Not on tasks or notes.
//!
//! On a PUT `TAGS` replaces the stored list, so a tags patch always sends the full desired
//! list (`[]` to clear).

use unicrm_core::{Patch, Result, Tag};

use crate::wire::{Body, TagWire};

/// Reads `TAGS`.
pub fn read(tags: &Option<Vec<TagWire>>) -> Vec<Tag> {
    tags.iter()
        .flatten()
        .filter_map(|t| super::text(&t.tag_name))
        .map(Tag::named)
        .collect()
}

/// The wire list for `tags`, de-duplicated case-insensitively (first spelling wins).
pub fn to_wire(tags: &[Tag]) -> Vec<TagWire> {
    let mut seen = std::collections::HashSet::new();
    tags.iter()
        .map(|t| t.name.trim())
        .filter(|n| !n.is_empty() && seen.insert(n.to_lowercase()))
        .map(|n| TagWire {
            tag_name: Some(n.to_string()),
        })
        .collect()
}

/// Writes a tags patch: the full list, or `[]` to clear.
pub fn put(body: &mut Body, patch: &Patch<Vec<Tag>>) -> Result<()> {
    match patch {
        Patch::Unchanged => Ok(()),
        Patch::Clear => body.set("TAGS", &Vec::<TagWire>::new()),
        Patch::Set(v) => body.set("TAGS", &to_wire(v)),
    }
}
