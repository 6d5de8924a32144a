//! Notes: Capsule entries of type `note`, listed from `/entries` (every entry of the account,
//! 50 a page; emails and task records are skipped). No search, no `since`: the change feed
//! scans ids.

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, NewNote, Note, NoteId, NotePatch, Page, Resource,
};

use super::path_id;
use crate::capabilities::MAX_ENTRY_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::note::{new_note_to_wire, note_from_wire, note_patch_to_wire};
use crate::paging::{FirstPage, fetch_filtered, page_size};
use crate::wire::{self, WireEntry};

/// The first request of a note listing (`/entries`).
pub(crate) fn first_page(params: &ListParams) -> FirstPage {
    FirstPage {
        path: "entries".into(),
        query: vec![(
            "perPage",
            page_size(params, MAX_ENTRY_PAGE_SIZE).to_string(),
        )],
    }
}

fn note_path(id: &NoteId) -> Result<String> {
    Ok(format!("entries/{}", path_id("note", id.as_str())?))
}

fn as_note(body: &[u8]) -> Result<Note> {
    let d = wire::decode_one::<WireEntry>(body, "entry")?;
    if !d.wire.is_note() {
        return Err(Error::NotFound {
            message: format!(
                "entry {} is a {}, not a note",
                d.wire.id,
                d.wire.kind.as_deref().unwrap_or("?")
            ),
        });
    }
    Ok(note_from_wire(&d))
}

#[async_trait]
impl Resource<Note> for Api {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Note>> {
        let (items, next) = fetch_filtered::<WireEntry>(
            self,
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
        let resp = self.get_path(&note_path(id)?, &[]).await?;
        as_note(&resp.body)
    }

    async fn create(&self, new: &NewNote) -> Result<Note> {
        let body = new_note_to_wire(new)?.wrap("entry")?;
        let resp = self.write(Method::POST, "entries", &[], body).await?;
        as_note(&resp.body)
    }

    async fn update(&self, id: &NoteId, patch: &NotePatch) -> Result<Note> {
        let body = note_patch_to_wire(patch)?;
        if body.is_empty() {
            return Resource::<Note>::get(self, id).await;
        }
        let resp = self
            .write(Method::PUT, &note_path(id)?, &[], body.wrap("entry")?)
            .await?;
        as_note(&resp.body)
    }

    async fn delete(&self, id: &NoteId) -> Result<()> {
        self.delete_path(&note_path(id)?).await
    }

    async fn changes_since(&self, checkpoint: &Checkpoint) -> Result<ChangeSet<Note, NoteId>> {
        crate::changes::scan::note_changes(self, checkpoint).await
    }
}
