//! Notes: Capsule's **plain** notes, entries of type `note` whose activity type is Note (-1),
//! listed from `/entries` (every entry of the account, 50 a page). Logged calls, meetings and
//! custom activities are engagements (`resources/engagements.rs`), emails too; completed-task
//! records are neither: listings skip them all, and reading, updating or deleting one of
//! them here answers `NotFound` (update and delete read the entry first). No search, no
//! `since`: the change feed walks the entry feed (`changes/entries.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, NewNote, Note, NoteId, NotePatch, Page, Resource,
};

use super::path_id;
use crate::client::Api;
use crate::mapping::note::{new_note_to_wire, note_from_wire, note_patch_to_wire};
use crate::paging::{FirstPage, fetch_filtered};
use crate::wire::{self, WireEntry};

/// The note resource of a [`CapsuleClient`](crate::CapsuleClient).
#[derive(Clone)]
pub struct NotesResource {
    pub(crate) api: Arc<Api>,
}

/// The first request of a note listing (`/entries`).
pub(crate) fn first_page(params: &ListParams) -> FirstPage {
    super::engagements::first_page(params)
}

fn note_path(id: &NoteId) -> Result<String> {
    Ok(format!("entries/{}", path_id("note", id.as_str())?))
}

fn as_note(body: &[u8]) -> Result<Note> {
    let d = wire::decode_one::<WireEntry>(body, "entry")?;
    if !d.wire.is_note() {
        return Err(Error::NotFound {
            message: format!(
                "entry {} is not a plain note (type {}, activity type {}: see the engagements resource)",
                d.wire.id,
                d.wire.kind.as_deref().unwrap_or("?"),
                d.wire.activity_id().unwrap_or_default()
            ),
        });
    }
    Ok(note_from_wire(&d))
}

impl NotesResource {
    /// Reads `id` and checks that it is a plain note (`NotFound` otherwise).
    async fn read(&self, id: &NoteId) -> Result<Note> {
        let resp = self.api.get_path(&note_path(id)?, &[]).await?;
        as_note(&resp.body)
    }
}

#[async_trait]
impl Resource<Note> for NotesResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Note>> {
        let (items, next) = fetch_filtered::<WireEntry>(
            &self.api,
            &first_page(params),
            params,
            "entries",
            WireEntry::is_note,
        )
        .await?;
        Ok(Page {
            items: items.iter().map(note_from_wire).collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &NoteId) -> Result<Note> {
        self.read(id).await
    }

    async fn create(&self, new: &NewNote) -> Result<Note> {
        let body = new_note_to_wire(new)?.wrap("entry")?;
        let resp = self.api.write(Method::POST, "entries", &[], body).await?;
        as_note(&resp.body)
    }

    async fn update(&self, id: &NoteId, patch: &NotePatch) -> Result<Note> {
        let path = note_path(id)?;
        let body = note_patch_to_wire(patch)?;
        let current = self.read(id).await?;
        if body.is_empty() {
            return Ok(current);
        }
        let resp = self
            .api
            .write(Method::PUT, &path, &[], body.wrap("entry")?)
            .await?;
        as_note(&resp.body)
    }

    async fn delete(&self, id: &NoteId) -> Result<()> {
        let path = note_path(id)?;
        self.read(id).await?;
        self.api.delete_path(&path).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Note> {
        crate::changes::entry_stream::entry_stream(
            &self.api,
            checkpoint,
            WireEntry::is_note,
            note_from_wire,
        )
    }

    async fn changes_since(&self, checkpoint: &Checkpoint) -> Result<ChangeSet<Note, NoteId>> {
        crate::changes::entries::entry_changes(
            &self.api,
            checkpoint,
            WireEntry::is_note,
            note_from_wire,
        )
        .await
    }
}
