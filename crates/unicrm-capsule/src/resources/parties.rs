//! Contacts (person parties) and accounts (organisation parties) over `/parties`.
//!
//! Both live in one Capsule collection (`GET /parties` has no type parameter). A plain
//! listing of contacts (or accounts) asks the Filters API for that type only
//! ([`crate::filters`]); a search or an `updated_since` listing pages through all parties
//! and keeps the people (and the other way round). [`CapsuleClient::list_parties`] returns
//! both kinds in one pass.

use async_trait::async_trait;
use serde::Serialize;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    Account, AccountId, AccountPatch, ChangeSet, Checkpoint, Contact, ContactId, ContactPatch,
    Cursor, ListParams, NewAccount, NewContact, Page, Resource,
};

use super::{EMBED, path_id};
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::{Api, CapsuleClient};
use crate::mapping::FieldDefs;
use crate::mapping::account::{account_from_wire, account_patch_to_wire, new_account_to_wire};
use crate::mapping::contact::{contact_from_wire, contact_patch_to_wire, new_contact_to_wire};
use crate::mapping::custom_fields::FieldEntity;
use crate::paging::{FirstPage, fetch_filtered, page_size};
use crate::wire::{self, Decoded, Party};

/// A party as the unified model it maps to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartyRecord {
    /// A person.
    Contact(Contact),
    /// An organisation.
    Account(Account),
}

impl PartyRecord {
    /// The party id.
    pub fn id(&self) -> &str {
        match self {
            PartyRecord::Contact(c) => c.id.as_str(),
            PartyRecord::Account(a) => a.id.as_str(),
        }
    }
}

/// The first request of a party listing.
pub(crate) fn first_page(params: &ListParams) -> FirstPage {
    let mut query = vec![
        ("perPage", page_size(params, MAX_PAGE_SIZE).to_string()),
        ("embed", EMBED.to_string()),
    ];
    if let Some(t) = &params.updated_since {
        query.push(("since", crate::mapping::format_datetime(t)));
    }
    match &params.search {
        Some(q) => {
            query.insert(0, ("q", q.clone()));
            FirstPage {
                path: "parties/search".into(),
                query,
            }
        }
        None => FirstPage {
            path: "parties".into(),
            query,
        },
    }
}

fn field_ids<'a>(
    items: impl Iterator<Item = &'a Party> + Clone,
) -> impl Iterator<Item = String> + Clone {
    items.flat_map(|p| {
        p.fields
            .iter()
            .flatten()
            .filter_map(|f| f.definition.as_ref().and_then(|d| d.id))
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
    })
}

impl Api {
    /// Party field definitions covering every value in `items`.
    pub(crate) async fn party_defs_for(
        &self,
        items: &[Decoded<Party>],
    ) -> Result<std::sync::Arc<FieldDefs>> {
        if items
            .iter()
            .all(|d| d.wire.fields.as_ref().is_none_or(Vec::is_empty))
        {
            return Ok(std::sync::Arc::new(FieldDefs::default()));
        }
        self.defs_covering(
            FieldEntity::Parties,
            field_ids(items.iter().map(|d| &d.wire)),
        )
        .await
    }

    /// One page of parties that `keep` accepts, mapped.
    pub(crate) async fn party_page(
        &self,
        params: &ListParams,
        keep: impl Fn(&Party) -> bool,
    ) -> Result<(Vec<PartyRecord>, Option<Cursor>)> {
        let (items, next) =
            fetch_filtered(self, &first_page(params), params, "parties", keep).await?;
        let defs = self.party_defs_for(&items).await?;
        Ok((items.iter().map(|d| to_record(d, &defs)).collect(), next))
    }

    /// One page of the parties of one type: through the Filters API for a plain listing
    /// ([`crate::filters`]), else (search, `updated_since`) the `/parties` walk dropping the
    /// other type.
    pub(crate) async fn typed_page(
        &self,
        params: &ListParams,
        kind: &'static str,
    ) -> Result<(Vec<PartyRecord>, Option<Cursor>)> {
        if params.search.is_some() || params.updated_since.is_some() {
            let organisations = kind == "organisation";
            return self
                .party_page(params, move |p| p.is_organisation() == organisations)
                .await;
        }
        let (items, next) = self.typed_party_page(params, kind).await?;
        let defs = self.party_defs_for(&items).await?;
        Ok((items.iter().map(|d| to_record(d, &defs)).collect(), next))
    }

    /// One page of parties for the change feed: every party (people and organisations),
    /// mapped, with the ids read and the vendor's `Date`.
    pub(crate) async fn party_page_dated(
        &self,
        params: &ListParams,
    ) -> Result<crate::changes::FeedPage<PartyRecord>> {
        let p = crate::paging::fetch_dated(
            self,
            &first_page(params),
            params,
            "parties",
            |_: &Party| true,
            |p: &Party| p.id,
        )
        .await?;
        let defs = self.party_defs_for(&p.items).await?;
        Ok(crate::changes::FeedPage {
            items: p.items.iter().map(|d| to_record(d, &defs)).collect(),
            ids: p.all_ids,
            next: p.next,
            date: p.date,
        })
    }

    pub(crate) async fn get_party(&self, id: u64) -> Result<PartyRecord> {
        let resp = self
            .get_path(&format!("parties/{id}"), &[("embed", EMBED.into())])
            .await?;
        self.party_from_body(&resp.body).await
    }

    async fn party_from_body(&self, body: &[u8]) -> Result<PartyRecord> {
        let d = wire::decode_one::<Party>(body, "party")?;
        let defs = self.party_defs_for(std::slice::from_ref(&d)).await?;
        Ok(to_record(&d, &defs))
    }

    async fn write_party(&self, method: Method, path: &str, body: String) -> Result<PartyRecord> {
        let resp = self
            .write(method, path, &[("embed", EMBED.into())], body)
            .await?;
        self.party_from_body(&resp.body).await
    }

    async fn get_contact(&self, id: &ContactId) -> Result<Contact> {
        match self.get_party(path_id("contact", id.as_str())?).await? {
            PartyRecord::Contact(c) => Ok(c),
            PartyRecord::Account(_) => Err(Error::NotFound {
                message: format!("party {id} is an organisation, not a person"),
            }),
        }
    }

    async fn get_account(&self, id: &AccountId) -> Result<Account> {
        match self.get_party(path_id("account", id.as_str())?).await? {
            PartyRecord::Account(a) => Ok(a),
            PartyRecord::Contact(_) => Err(Error::NotFound {
                message: format!("party {id} is a person, not an organisation"),
            }),
        }
    }
}

/// Maps a decoded party to its unified record.
pub fn to_record(d: &Decoded<Party>, defs: &FieldDefs) -> PartyRecord {
    if d.wire.is_organisation() {
        PartyRecord::Account(account_from_wire(d, defs))
    } else {
        PartyRecord::Contact(contact_from_wire(d, defs))
    }
}

fn expect_contact(r: PartyRecord) -> Result<Contact> {
    match r {
        PartyRecord::Contact(c) => Ok(c),
        PartyRecord::Account(a) => Err(Error::decode(
            "party.type",
            format!("expected a person, capsule returned organisation {}", a.id),
        )),
    }
}

fn expect_account(r: PartyRecord) -> Result<Account> {
    match r {
        PartyRecord::Account(a) => Ok(a),
        PartyRecord::Contact(c) => Err(Error::decode(
            "party.type",
            format!("expected an organisation, capsule returned person {}", c.id),
        )),
    }
}

impl CapsuleClient {
    /// One page of parties, people and organisations together (one pass for both).
    pub async fn list_parties(&self, params: &ListParams) -> Result<Page<PartyRecord>> {
        let (items, next) = self.api.party_page(params, |_| true).await?;
        Ok(Page {
            items,
            next,
            total: None,
        })
    }

    /// Many parties by id with multi-show (`GET /parties/1,2,…`, at most 10 ids a request).
    /// Ids that do not exist are left out (a chunk answered 404 is fetched one by one).
    pub async fn get_many_parties(&self, ids: &[u64]) -> Result<Vec<PartyRecord>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(10) {
            let list = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            match self
                .api
                .get_path(&format!("parties/{list}"), &[("embed", EMBED.into())])
                .await
            {
                Ok(resp) => {
                    let items = wire::decode_list::<Party>(&resp.body, "parties")?;
                    let defs = self.api.party_defs_for(&items).await?;
                    out.extend(items.iter().map(|d| to_record(d, &defs)));
                }
                Err(e) if e.is_not_found() => {
                    for id in chunk {
                        match self.api.get_party(*id).await {
                            Ok(p) => out.push(p),
                            Err(e) if e.is_not_found() => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// The unified contacts resource.
#[derive(Clone)]
pub struct ContactsResource {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for ContactsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactsResource").finish_non_exhaustive()
    }
}

#[async_trait]
impl Resource<Contact> for ContactsResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        let (items, next) = self.api.typed_page(params, "person").await?;
        Ok(Page {
            items: items
                .into_iter()
                .filter_map(|r| expect_contact(r).ok())
                .collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &ContactId) -> Result<Contact> {
        self.api.get_contact(id).await
    }

    async fn create(&self, new: &NewContact) -> Result<Contact> {
        let body = new_contact_to_wire(new)?.wrap("party")?;
        expect_contact(self.api.write_party(Method::POST, "parties", body).await?)
    }

    async fn update(&self, id: &ContactId, patch: &ContactPatch) -> Result<Contact> {
        let stored = if crate::mapping::contact::contact_list_patches(patch).any() {
            Some(self.api.get_contact(id).await?)
        } else {
            None
        };
        let body = contact_patch_to_wire(patch, stored.as_ref())?;
        if body.is_empty() {
            return match stored {
                Some(s) => Ok(s),
                None => self.api.get_contact(id).await,
            };
        }
        let path = format!("parties/{}", path_id("contact", id.as_str())?);
        expect_contact(
            self.api
                .write_party(Method::PUT, &path, body.wrap("party")?)
                .await?,
        )
    }

    async fn delete(&self, id: &ContactId) -> Result<()> {
        self.api
            .delete_path(&format!("parties/{}", path_id("contact", id.as_str())?))
            .await
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Contact> {
        crate::changes::party_stream(
            &self.api,
            checkpoint,
            |r| match r {
                PartyRecord::Contact(x) => Some(x),
                PartyRecord::Account(_) => None,
            },
            ContactId::from,
        )
    }
}

/// The unified accounts resource.
#[derive(Clone)]
pub struct AccountsResource {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for AccountsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountsResource").finish_non_exhaustive()
    }
}

#[async_trait]
impl Resource<Account> for AccountsResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Account>> {
        let (items, next) = self.api.typed_page(params, "organisation").await?;
        Ok(Page {
            items: items
                .into_iter()
                .filter_map(|r| expect_account(r).ok())
                .collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Account> {
        self.api.get_account(id).await
    }

    async fn create(&self, new: &NewAccount) -> Result<Account> {
        let body = new_account_to_wire(new)?.wrap("party")?;
        expect_account(self.api.write_party(Method::POST, "parties", body).await?)
    }

    async fn update(&self, id: &AccountId, patch: &AccountPatch) -> Result<Account> {
        let stored = if crate::mapping::account::account_list_patches(patch).any() {
            Some(self.api.get_account(id).await?)
        } else {
            None
        };
        let body = account_patch_to_wire(patch, stored.as_ref())?;
        if body.is_empty() {
            return match stored {
                Some(s) => Ok(s),
                None => self.api.get_account(id).await,
            };
        }
        let path = format!("parties/{}", path_id("account", id.as_str())?);
        expect_account(
            self.api
                .write_party(Method::PUT, &path, body.wrap("party")?)
                .await?,
        )
    }

    async fn delete(&self, id: &AccountId) -> Result<()> {
        self.api
            .delete_path(&format!("parties/{}", path_id("account", id.as_str())?))
            .await
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Account, AccountId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Account> {
        crate::changes::party_stream(
            &self.api,
            checkpoint,
            |r| match r {
                PartyRecord::Account(x) => Some(x),
                PartyRecord::Contact(_) => None,
            },
            AccountId::from,
        )
    }
}
