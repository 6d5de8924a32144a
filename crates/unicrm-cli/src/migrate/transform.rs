//! Source record → new target record: ids of linked records, owners, stages and custom fields
//! are translated through the maps; vendor row ids are dropped.

use unicrm_core::{
    Account, AccountId, Contact, ContactId, CustomFieldValue, Email, NewAccount, NewContact,
    NewNote, NewOpportunity, NewTask, Note, Opportunity, OpportunityId, Phone, Record, Tag, Task,
    UserId, Website,
};

use super::Maps;
use super::state::State;

/// A record the migration copies.
pub trait Migratable: Record {
    /// The new target record for this source record, or why it cannot be migrated.
    fn to_new(&self, maps: &Maps, state: &State) -> Result<Self::New, String>;
    /// Natural key of a new record, to recognise it in the target after an ambiguous create.
    fn new_key(new: &Self::New) -> String;
    /// The same key computed on a target record.
    fn record_key(&self) -> String;
}

fn norm(s: Option<&str>) -> String {
    s.unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Maps {
    fn owner(&self, id: Option<&UserId>) -> Option<UserId> {
        id.and_then(|i| self.users.get(i).cloned())
    }

    fn fields(&self, kind: &str, values: &[CustomFieldValue]) -> Vec<CustomFieldValue> {
        values
            .iter()
            .filter_map(|v| {
                let def = self
                    .fields
                    .get(&(kind.to_string(), v.definition_id.to_string()))?;
                Some(CustomFieldValue {
                    definition_id: def.id.clone(),
                    name: Some(def.name.clone()),
                    value: v.value.clone(),
                    row_id: None,
                })
            })
            .collect()
    }
}

fn linked<T: From<String>>(
    state: &State,
    kind: &str,
    id: Option<&impl std::fmt::Display>,
) -> Result<Option<T>, String> {
    let Some(id) = id else { return Ok(None) };
    state
        .target_id(kind, &id.to_string())
        .map(|t| t.map(T::from))
        .map_err(|e| e.message)
}

/// Nested rows carry the source vendor's row ids, which mean nothing to the target.
trait VendorRow: Clone {
    fn without_row_id(&self) -> Self;
}

macro_rules! vendor_row {
    ($($t:ty),*) => {$(
        impl VendorRow for $t {
            fn without_row_id(&self) -> Self {
                Self { row_id: None, ..self.clone() }
            }
        }
    )*};
}

vendor_row!(Email, Phone, Website, unicrm_core::Address);

fn clean<T: VendorRow>(rows: &[T]) -> Vec<T> {
    rows.iter().map(VendorRow::without_row_id).collect()
}

fn clean_tags(v: &[Tag]) -> Vec<Tag> {
    v.iter().map(|t| Tag::named(t.name.clone())).collect()
}

impl Migratable for Account {
    fn to_new(&self, maps: &Maps, _state: &State) -> Result<NewAccount, String> {
        if self.name.trim().is_empty() {
            return Err("account has no name".into());
        }
        let mut n = NewAccount::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.parent_id = None;
        n.emails = clean(&self.emails);
        n.phones = clean(&self.phones);
        n.websites = clean(&self.websites);
        n.addresses = clean(&self.addresses);
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("account", &self.custom_fields);
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewAccount) -> String {
        norm(Some(&n.name))
    }

    fn record_key(&self) -> String {
        norm(Some(&self.name))
    }
}

impl Migratable for Contact {
    fn to_new(&self, maps: &Maps, state: &State) -> Result<NewContact, String> {
        let mut n = NewContact::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.account_id = linked::<AccountId>(state, "account", self.account_id.as_ref())?;
        n.emails = clean(&self.emails);
        n.phones = clean(&self.phones);
        n.websites = clean(&self.websites);
        n.addresses = clean(&self.addresses);
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("contact", &self.custom_fields);
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewContact) -> String {
        format!(
            "{}|{}|{}",
            norm(n.first_name.as_deref()),
            norm(n.last_name.as_deref()),
            norm(n.emails.first().map(|e| e.address.as_str()))
        )
    }

    fn record_key(&self) -> String {
        format!(
            "{}|{}|{}",
            norm(self.first_name.as_deref()),
            norm(self.last_name.as_deref()),
            norm(self.emails.first().map(|e| e.address.as_str()))
        )
    }
}

impl Migratable for Opportunity {
    fn to_new(&self, maps: &Maps, state: &State) -> Result<NewOpportunity, String> {
        let mut n = NewOpportunity::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.account_id = linked::<AccountId>(state, "account", self.account_id.as_ref())?;
        n.contact_id = linked::<ContactId>(state, "contact", self.contact_id.as_ref())?;
        n.contact_ids = self
            .contact_ids
            .iter()
            .filter_map(|c| {
                linked::<ContactId>(state, "contact", Some(c))
                    .ok()
                    .flatten()
            })
            .collect();
        match self.stage_id.as_ref().and_then(|s| maps.stages.get(s)) {
            Some((p, s)) => {
                n.pipeline_id = Some(p.clone());
                n.stage_id = Some(s.clone());
            }
            None => {
                n.pipeline_id = self
                    .pipeline_id
                    .as_ref()
                    .and_then(|p| maps.pipelines.get(p).cloned());
                n.stage_id = None;
            }
        }
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("opportunity", &self.custom_fields);
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewOpportunity) -> String {
        format!(
            "{}|{}",
            norm(Some(&n.name)),
            n.amount
                .as_ref()
                .map(|m| m.amount.normalize().to_string())
                .unwrap_or_default()
        )
    }

    fn record_key(&self) -> String {
        format!(
            "{}|{}",
            norm(Some(&self.name)),
            self.amount
                .as_ref()
                .map(|m| m.amount.normalize().to_string())
                .unwrap_or_default()
        )
    }
}

impl Migratable for Task {
    fn to_new(&self, maps: &Maps, state: &State) -> Result<NewTask, String> {
        let mut n = NewTask::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.assignee_id = maps.owner(self.assignee_id.as_ref());
        n.contact_id = linked::<ContactId>(state, "contact", self.contact_id.as_ref())?;
        n.account_id = linked::<AccountId>(state, "account", self.account_id.as_ref())?;
        n.opportunity_id =
            linked::<OpportunityId>(state, "opportunity", self.opportunity_id.as_ref())?;
        n.lead_id = None;
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewTask) -> String {
        format!("{}|{:?}", norm(Some(&n.title)), n.due_date)
    }

    fn record_key(&self) -> String {
        format!("{}|{:?}", norm(Some(&self.title)), self.due_date)
    }
}

impl Migratable for Note {
    fn to_new(&self, maps: &Maps, state: &State) -> Result<NewNote, String> {
        let mut n = NewNote::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.contact_id = linked::<ContactId>(state, "contact", self.contact_id.as_ref())?;
        n.account_id = linked::<AccountId>(state, "account", self.account_id.as_ref())?;
        n.opportunity_id =
            linked::<OpportunityId>(state, "opportunity", self.opportunity_id.as_ref())?;
        n.lead_id = None;
        n.links.clear();
        if n.contact_id.is_none() && n.account_id.is_none() && n.opportunity_id.is_none() {
            return Err(
                "the note's record was not migrated (or the note is linked to none)".into(),
            );
        }
        Ok(n)
    }

    fn new_key(n: &NewNote) -> String {
        norm(Some(&n.content)).chars().take(200).collect()
    }

    fn record_key(&self) -> String {
        norm(Some(&self.content)).chars().take(200).collect()
    }
}
