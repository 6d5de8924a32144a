//! `Resource<Contact>`: one page, get, create, update, delete and the change feed, each one
//! Tinycrm call (`API.md`, Contacts).

use async_trait::async_trait;
use chrono::SecondsFormat;
use unicrm_core::http::{HttpClient, Method, Request};
use unicrm_core::{
    ChangeSet, Checkpoint, Contact, ContactId, ContactPatch, Error, ListParams, NewContact, Page,
    Resource, Result,
};

use crate::mapping::contact as map;
use crate::wire::contact::WirePage;
use crate::{VENDOR, paging};

/// Tinycrm's contacts.
#[derive(Debug, Clone)]
pub(crate) struct Contacts {
    pub(crate) http: HttpClient,
}

impl Contacts {
    /// A request for the contact `id`. Ids are integers (`API.md`); anything else cannot name a
    /// contact, and must not become a path such as `contacts/../me`.
    fn one(&self, method: Method, id: &ContactId) -> Result<Request> {
        let n: u64 = id.as_str().parse().map_err(|_| Error::NotFound {
            message: format!("{VENDOR} has no contact {id}"),
        })?;
        Ok(Request::new(
            method,
            self.http.url(&format!("contacts/{n}"))?,
        ))
    }

    async fn contact(&self, req: Request) -> Result<Contact> {
        map::from_wire(self.http.send(req).await?.json()?)
    }
}

#[async_trait]
impl Resource<Contact> for Contacts {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        if params.search.is_some() {
            // Tinycrm has no search: refuse rather than ignore the filter.
            return Err(Error::unsupported("contact.search", VENDOR));
        }
        let mut req = paging::apply(self.http.get("contacts")?, params)?;
        if let Some(t) = params.updated_since {
            req = req.query(
                "updated_since",
                t.to_rfc3339_opts(SecondsFormat::Millis, true),
            );
        }
        let page: WirePage = self.http.send(req).await?.json()?;
        Ok(Page {
            items: page
                .data
                .into_iter()
                .map(map::from_wire)
                .collect::<Result<_>>()?,
            next: paging::next(page.next_after),
            total: None,
        })
    }

    async fn get(&self, id: &ContactId) -> Result<Contact> {
        self.contact(self.one(Method::GET, id)?).await
    }

    async fn create(&self, new: &NewContact) -> Result<Contact> {
        let req =
            Request::new(Method::POST, self.http.url("contacts")?).json(&map::to_create(new)?)?;
        // A POST is not repeatable (the default): after a timeout it is not sent again, since
        // the first one may have created the contact.
        self.contact(req).await
    }

    async fn update(&self, id: &ContactId, patch: &ContactPatch) -> Result<Contact> {
        let body = map::to_patch(patch)?;
        // Setting fields to values is safe to send twice: say so, so it is retried after an
        // unknown outcome like a GET (a PATCH is not repeatable by default).
        let req = self.one(Method::PATCH, id)?.json(&body)?.repeatable(true);
        self.contact(req).await
    }

    async fn delete(&self, id: &ContactId) -> Result<()> {
        // Repeatable by default; core turns a 404 to a retry after an unknown outcome into
        // success (`HttpResponse::already_applied`).
        self.http
            .send(self.one(Method::DELETE, id)?)
            .await
            .map(drop)
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        crate::changes::contacts(self, checkpoint).await
    }
}
