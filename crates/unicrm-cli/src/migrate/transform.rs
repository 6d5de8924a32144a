//! Source record → new target record: ids of linked records, owners, stages and custom fields
//! are translated through the maps; vendor row ids are dropped.

use unicrm_core::{
    Account, AccountId, Contact, ContactId, CustomFieldValue, Email, Engagement, Money, NewAccount,
    NewContact, NewEngagement, NewNote, NewOpportunity, NewProject, NewTask, Note, Opportunity,
    OpportunityId, Phone, Project, ProjectId, Record, Tag, Task, UserId, Website,
};

use super::Maps;

pub use super::transform_links::{Known, Links, MissingLink, People, Resolved};

/// A record the migration copies.
pub trait Migratable: Record {
    /// The new target record for this source record, or why it cannot be migrated.
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<Self::New, String>;
    /// Natural key of a new record, to recognise it in the target after an ambiguous create.
    fn new_key(new: &Self::New) -> String;
    /// The same key computed on a target record.
    fn record_key(&self) -> String;
    /// A second form of `new` to send when the target refused the first as unsupported
    /// before sending it (a call to a CRM that logs only meetings); what the second form
    /// changes is measured as a loss like any other. `None`: no second form.
    fn fallback(new: &Self::New) -> Option<Self::New> {
        let _ = new;
        None
    }
    /// The source organisation this record is a person of, and its own source id (contacts
    /// only): gathered into the people index (`People`) as the source streams by.
    fn member_of(&self) -> Option<(String, String)> {
        None
    }
}

fn norm(s: Option<&str>) -> String {
    s.unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Maps {
    /// The target pipeline and stage of a source pipeline and stage: both through the stage
    /// map, or the pipeline alone (no stage) when the stage has no match.
    fn stage(
        &self,
        pipeline: Option<&unicrm_core::PipelineId>,
        stage: Option<&unicrm_core::StageId>,
    ) -> (
        Option<unicrm_core::PipelineId>,
        Option<unicrm_core::StageId>,
    ) {
        match stage.and_then(|s| self.stages.get(s)) {
            Some((p, s)) => (Some(p.clone()), Some(s.clone())),
            None => (pipeline.and_then(|p| self.pipelines.get(p).cloned()), None),
        }
    }

    fn owner(&self, id: Option<&UserId>) -> Option<UserId> {
        id.and_then(|i| self.users.get(i).cloned())
    }

    fn fields(
        &self,
        kind: &str,
        values: &[CustomFieldValue],
        links: &mut Links<'_>,
    ) -> Vec<CustomFieldValue> {
        values
            .iter()
            .filter_map(|v| {
                let Some(def) = self
                    .fields
                    .get(&(kind.to_string(), v.definition_id.to_string()))
                else {
                    links.dropped_fields += 1;
                    return None;
                };
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

/// The first row of each contact-point list (emails, phones, addresses, websites): the second
/// form for a target that holds one of each (HighLevel). `None` when every list has at most
/// one row already (the refusal was about something else).
macro_rules! one_of_each {
    ($n:expr) => {{
        let n = $n;
        let many = n.emails.len() > 1
            || n.phones.len() > 1
            || n.addresses.len() > 1
            || n.websites.len() > 1;
        many.then(|| {
            let mut one = n.clone();
            // The primary row first, so the one kept is the primary.
            one.emails.sort_by_key(|e| !e.primary);
            one.phones.sort_by_key(|p| !p.primary);
            one.emails.truncate(1);
            one.phones.truncate(1);
            one.addresses.truncate(1);
            one.websites.truncate(1);
            one
        })
    }};
}

impl Migratable for Account {
    fn to_new(&self, maps: &Maps, _links: &mut Links<'_>) -> Result<NewAccount, String> {
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
        n.custom_fields = maps.fields("account", &self.custom_fields, _links);
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewAccount) -> String {
        norm(Some(&n.name))
    }

    fn fallback(n: &NewAccount) -> Option<NewAccount> {
        one_of_each!(n)
    }

    fn record_key(&self) -> String {
        norm(Some(&self.name))
    }
}

impl Migratable for Contact {
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewContact, String> {
        let mut n = NewContact::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.emails = clean(&self.emails);
        n.phones = clean(&self.phones);
        n.websites = clean(&self.websites);
        n.addresses = clean(&self.addresses);
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("contact", &self.custom_fields, links);
        n.links.clear();
        Ok(n)
    }

    fn fallback(n: &NewContact) -> Option<NewContact> {
        one_of_each!(n)
    }

    fn member_of(&self) -> Option<(String, String)> {
        Some((self.account_id.as_ref()?.to_string(), self.id.to_string()))
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
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewOpportunity, String> {
        let mut n = NewOpportunity::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.contact_id = links.one::<ContactId>("contact_id", "contact", self.contact_id.as_ref())?;
        n.contact_ids = links.many::<ContactId>("contact_ids", "contact", &self.contact_ids)?;
        if self.contact_id.is_none() && maps.deals_need_a_contact {
            if let Some(org) = &self.account_id {
                n.contact_id = links.person_of(maps, org.as_str()).map(ContactId::from);
            }
        }
        (n.pipeline_id, n.stage_id) = maps.stage(self.pipeline_id.as_ref(), self.stage_id.as_ref());
        if n.amount.is_none() {
            // An amount the source stored without a currency is in the account's currency
            // (docs/vendors/capsule-v2.md, Opportunities; docs/vendors/insightly-v3.1.md,
            // Opportunities): the adapter cannot build money from it, the raw payload keeps it.
            n.amount = self
                .raw
                .as_ref()
                .and_then(|r| amount_without_currency(&r.to_value()))
                .zip(maps.default_currency.as_ref())
                .and_then(|(a, c)| Money::parse(&a, c.as_str()));
        }
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("opportunity", &self.custom_fields, links);
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

/// The amount of a raw opportunity that has one but no currency: Capsule's
/// `value: {amount}` or Insightly's `BID_AMOUNT` without `BID_CURRENCY`.
pub fn amount_without_currency(raw: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let missing = |v: Option<&serde_json::Value>| {
        v.is_none_or(|c| c.is_null() || c.as_str().is_some_and(|s| s.trim().is_empty()))
    };
    if let Some(value) = raw.get("value").filter(|v| v.is_object()) {
        return text(value.get("amount")?).filter(|_| missing(value.get("currency")));
    }
    text(raw.get("BID_AMOUNT")?).filter(|_| missing(raw.get("BID_CURRENCY")))
}

impl Migratable for Task {
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewTask, String> {
        let mut n = NewTask::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.assignee_id = maps.owner(self.assignee_id.as_ref());
        n.contact_id = links.one::<ContactId>("contact_id", "contact", self.contact_id.as_ref())?;
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.opportunity_id = links.one::<OpportunityId>(
            "opportunity_id",
            "opportunity",
            self.opportunity_id.as_ref(),
        )?;
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
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewNote, String> {
        let mut n = NewNote::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.contact_id = links.one::<ContactId>("contact_id", "contact", self.contact_id.as_ref())?;
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.opportunity_id = links.one::<OpportunityId>(
            "opportunity_id",
            "opportunity",
            self.opportunity_id.as_ref(),
        )?;
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

impl Migratable for Project {
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewProject, String> {
        let mut n = NewProject::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.assignee_id = maps.owner(self.assignee_id.as_ref());
        // Teams and categories are the source's own; no target shares their ids.
        n.team_id = None;
        n.category_id = None;
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.contact_id = links.one::<ContactId>("contact_id", "contact", self.contact_id.as_ref())?;
        n.opportunity_id = links.one::<OpportunityId>(
            "opportunity_id",
            "opportunity",
            self.opportunity_id.as_ref(),
        )?;
        (n.pipeline_id, n.stage_id) = maps.stage(self.pipeline_id.as_ref(), self.stage_id.as_ref());
        n.milestones = self
            .milestones
            .iter()
            .map(|m| unicrm_core::Milestone {
                id: None,
                owner_id: maps.owner(m.owner_id.as_ref()),
                assignee_id: maps.owner(m.assignee_id.as_ref()),
                ..m.clone()
            })
            .collect();
        n.tags = clean_tags(&self.tags);
        n.custom_fields = maps.fields("project", &self.custom_fields, links);
        n.links.clear();
        Ok(n)
    }

    fn new_key(n: &NewProject) -> String {
        norm(Some(&n.name))
    }

    fn record_key(&self) -> String {
        norm(Some(&self.name))
    }
}

impl Migratable for Engagement {
    fn to_new(&self, maps: &Maps, links: &mut Links<'_>) -> Result<NewEngagement, String> {
        let mut n = NewEngagement::from(self);
        n.owner_id = maps.owner(self.owner_id.as_ref());
        n.assignee_id = maps.owner(self.assignee_id.as_ref());
        // The source's engagement types and calendars mean nothing to the target; the kind
        // carries what the engagement is.
        n.engagement_type_id = None;
        n.calendar_id = None;
        n.contact_id = links.one::<ContactId>("contact_id", "contact", self.contact_id.as_ref())?;
        n.account_id = links.one::<AccountId>("account_id", "account", self.account_id.as_ref())?;
        n.opportunity_id = links.one::<OpportunityId>(
            "opportunity_id",
            "opportunity",
            self.opportunity_id.as_ref(),
        )?;
        n.project_id = links.one::<ProjectId>("project_id", "project", self.project_id.as_ref())?;
        n.lead_id = None;
        // A logged call or meeting has a time but no duration (Capsule entries): it ends when
        // it starts, which a target that requires an end (Insightly events) accepts.
        if n.end_at.is_none() {
            n.end_at = n.start_at;
        }
        n.participants = self
            .participants
            .iter()
            .map(|p| unicrm_core::Participant {
                contact_id: None,
                user_id: maps.owner(p.user_id.as_ref()),
                ..p.clone()
            })
            .collect();
        n.custom_fields = maps.fields("engagement", &self.custom_fields, links);
        n.links.clear();
        Ok(n)
    }

    fn fallback(n: &NewEngagement) -> Option<NewEngagement> {
        // A call or a vendor-defined kind becomes a meeting (issue: "meetings and calls →
        // Events"); emails and appointments have no second form.
        match n.kind {
            unicrm_core::EngagementKind::Meeting
            | unicrm_core::EngagementKind::Email
            | unicrm_core::EngagementKind::Appointment => None,
            _ => Some(NewEngagement {
                kind: unicrm_core::EngagementKind::Meeting,
                ..n.clone()
            }),
        }
    }

    fn new_key(n: &NewEngagement) -> String {
        format!(
            "{}|{}|{}",
            n.kind,
            norm(n.subject.as_deref().or(n.body.as_deref())),
            n.start_at.map(|t| t.timestamp()).unwrap_or_default()
        )
    }

    fn record_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.kind,
            norm(self.subject.as_deref().or(self.body.as_deref())),
            self.start_at.map(|t| t.timestamp()).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Migratable, amount_without_currency};
    use serde_json::json;
    use unicrm_core::{EngagementKind, NewEngagement};

    #[test]
    fn calls_and_vendor_kinds_fall_back_to_meetings_and_nothing_else_does() {
        let with = |kind: EngagementKind| NewEngagement {
            kind,
            subject: Some("Ring back".into()),
            ..Default::default()
        };
        for kind in [
            EngagementKind::Call,
            EngagementKind::Other("Video call".into()),
        ] {
            let alt = unicrm_core::Engagement::fallback(&with(kind)).expect("a second form");
            assert_eq!(alt.kind, EngagementKind::Meeting);
            assert_eq!(alt.subject.as_deref(), Some("Ring back"));
        }
        for kind in [
            EngagementKind::Meeting,
            EngagementKind::Email,
            EngagementKind::Appointment,
        ] {
            assert!(unicrm_core::Engagement::fallback(&with(kind)).is_none());
        }
    }

    #[test]
    fn amounts_without_currency_are_found_in_both_vendor_shapes() {
        let cases = [
            (json!({"value": {"amount": 1200.5}}), Some("1200.5")),
            (
                json!({"value": {"amount": 10, "currency": null}}),
                Some("10"),
            ),
            (json!({"value": {"amount": 10, "currency": ""}}), Some("10")),
            (json!({"value": {"amount": 10, "currency": "EUR"}}), None),
            (json!({"value": {"currency": "EUR"}}), None),
            (json!({"value": null}), None),
            (json!({"BID_AMOUNT": 99}), Some("99")),
            (
                json!({"BID_AMOUNT": "99.10", "BID_CURRENCY": null}),
                Some("99.10"),
            ),
            (json!({"BID_AMOUNT": 99, "BID_CURRENCY": "USD"}), None),
            (json!({"BID_AMOUNT": null}), None),
            (json!({}), None),
        ];
        for (raw, want) in cases {
            assert_eq!(amount_without_currency(&raw).as_deref(), want, "{raw}");
        }
    }
}
