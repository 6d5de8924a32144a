//! `Resource<Note>` over `/contacts/{contactId}/notes[/{id}]` (docs/vendors/highlevel-v2.md,
//! "Notes"). Ids are `<contactId>:<noteId>` (`sub_id.rs`); a listing walks the contacts
//! (`contact_walk.rs`, where its cost is set out).

use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use futures::stream::BoxStream;
use serde_json::Value;
use unicrm_core::http::Method;
use unicrm_core::{ListParams, NewNote, Note, NoteId, NotePatch, Page, Resource, Result};

use super::contact_walk::{self, Fetch};
use super::sub_id;
use crate::VENDOR;
use crate::client::{Api, check_id};
use crate::mapping::note as map;
use crate::wire::note::WireNoteOne;

/// HighLevel's notes.
#[derive(Debug, Clone)]
pub(crate) struct Notes {
    pub(crate) api: Api,
}

/// `GET /contacts/{contact}/notes`, mapped.
async fn of_contact(api: Api, contact: String) -> Result<Vec<Note>> {
    check_id("contact", &contact)?;
    let req = api
        .request(Method::GET, &format!("contacts/{contact}/notes"))?
        .repeatable(true);
    crate::pages::notes(&api.send(req).await?.body, &contact)
}

impl Notes {
    fn fetch(&self) -> Fetch<Note> {
        let api = self.api.clone();
        Arc::new(move |contact| of_contact(api.clone(), contact).boxed())
    }

    async fn one(&self, req: unicrm_core::http::Request, contact: &str) -> Result<Note> {
        let v: Value = self.api.send(req).await?.json()?;
        let note = match serde_json::from_value::<WireNoteOne>(v.clone()) {
            Ok(one) => one.note,
            Err(_) => v,
        };
        map::from_wire(note, Some(contact))
    }
}

#[async_trait]
impl Resource<Note> for Notes {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Note>> {
        contact_walk::list_page(&self.api, &self.fetch(), params).await
    }

    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Note>> {
        if params.cursor.is_some() || params.max_pages.is_some() {
            return unicrm_core::crm::default_listing(self, params);
        }
        contact_walk::stream_all(self.api.clone(), self.fetch(), |n: &Note| n.id.to_string())
    }

    async fn get(&self, id: &NoteId) -> Result<Note> {
        let (contact, note) = sub_id::split("note", id.as_str())?;
        let req = self
            .api
            .request(Method::GET, &format!("contacts/{contact}/notes/{note}"))?;
        self.one(req, contact).await
    }

    async fn create(&self, new: &NewNote) -> Result<Note> {
        let Some(contact) = &new.contact_id else {
            // Notes live under a contact (docs/vendors/highlevel-v2.md, Notes).
            return Err(unicrm_core::Error::unsupported(
                "notes without contact_id",
                crate::VENDOR,
            ));
        };
        check_id("contact", contact.as_str())?;
        let body = map::to_create(new)?;
        // Not repeatable: a note create whose outcome is unknown is not sent again.
        let req = self
            .api
            .request(Method::POST, &format!("contacts/{contact}/notes"))?
            .json(&body)?;
        self.one(req, contact.as_str()).await
    }

    async fn update(&self, id: &NoteId, patch: &NotePatch) -> Result<Note> {
        let (contact, note) = sub_id::split("note", id.as_str())?;
        let body = map::to_patch(patch)?;
        let req = self
            .api
            .request(Method::PUT, &format!("contacts/{contact}/notes/{note}"))?
            .json(&body)?
            .repeatable(true);
        self.one(req, contact).await
    }

    async fn delete(&self, id: &NoteId) -> Result<()> {
        let (contact, note) = sub_id::split("note", id.as_str())?;
        let req = self
            .api
            .request(Method::DELETE, &format!("contacts/{contact}/notes/{note}"))?;
        self.api.send(req).await.map(drop)
    }
}
