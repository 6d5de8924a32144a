//! Unit tests of the guard over a tiny recording resource (the adapters are tested through the
//! guard against the simulators, in their own crates).

use std::sync::Mutex;

use super::*;
use crate::capability::DeletionDetection;
use crate::crm::CrmExt;
use crate::{CustomFieldId, CustomFieldValue, Patch, Tag};
use futures::TryStreamExt as _;

/// Records what reached it; answers every call with success.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    params: Mutex<Vec<ListParams>>,
}

impl Recorder {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn log(&self, what: &str) {
        self.calls.lock().unwrap().push(what.to_string());
    }
}

fn contact(id: &str) -> Contact {
    Contact {
        id: ContactId::new(id),
        ..Default::default()
    }
}

#[async_trait]
impl Resource<Contact> for Recorder {
    fn vendor(&self) -> &str {
        "probe"
    }
    async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
        self.log("list");
        self.params.lock().unwrap().push(params.clone());
        Ok(Page::last(vec![contact("1")]))
    }
    async fn get(&self, id: &ContactId) -> Result<Contact> {
        self.log("get");
        Ok(contact(id.as_str()))
    }
    async fn create(&self, _new: &NewContact) -> Result<Contact> {
        self.log("create");
        Ok(contact("new"))
    }
    async fn update(&self, id: &ContactId, _patch: &ContactPatch) -> Result<Contact> {
        self.log("update");
        Ok(contact(id.as_str()))
    }
    async fn delete(&self, _id: &ContactId) -> Result<()> {
        self.log("delete");
        Ok(())
    }
    fn change_stream(&self, checkpoint: Checkpoint) -> crate::ChangeStream<'_, Contact> {
        self.log("change_stream");
        let batch = |n: i64| ChangeSet {
            changes: vec![crate::Change::Upserted {
                record: contact(&n.to_string()),
            }],
            next: Checkpoint::at(checkpoint.at + chrono::Duration::seconds(n)),
        };
        stream::iter([Ok(batch(1)), Ok(batch(2))]).boxed()
    }
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Contact>> {
        self.log("stream_listing");
        self.params.lock().unwrap().push(params);
        stream::iter([Ok(contact("7")), Ok(contact("8"))]).boxed()
    }
    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        self.log("changes_since");
        Ok(ChangeSet {
            changes: vec![],
            next: checkpoint.clone(),
        })
    }
}

/// A vendor extra.
#[derive(Debug, PartialEq)]
struct Extra(u32);

/// A CRM with only contacts, whose capabilities the test chooses.
struct Probe {
    caps: Capabilities,
    contacts: Recorder,
    extra: Extra,
    url: url::Url,
}

#[async_trait]
impl Crm for Probe {
    fn vendor(&self) -> &str {
        "probe"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
    fn contacts(&self) -> &dyn Resource<Contact> {
        &self.contacts
    }
    async fn custom_field_definitions(
        &self,
        _kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        self.contacts.log("custom_field_definitions");
        Ok(vec![])
    }
    async fn current_user(&self) -> Result<User> {
        self.contacts.log("current_user");
        Ok(User {
            id: UserId::new("me"),
            ..Default::default()
        })
    }
    fn stats(&self) -> ClientStats {
        ClientStats {
            requests: 42,
            ..Default::default()
        }
    }
    fn rate_budget(&self) -> crate::http::retry_after::RateLimitHeaders {
        crate::http::retry_after::RateLimitHeaders {
            remaining: Some(3),
            ..Default::default()
        }
    }
    fn base_url(&self) -> Option<&url::Url> {
        Some(&self.url)
    }
    fn extension_of(&self, type_id: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        (type_id == TypeId::of::<Extra>()).then_some(&self.extra as _)
    }
}

fn full() -> ResourceCapabilities {
    ResourceCapabilities {
        filters: crate::capability::Filters {
            search: true,
            updated_since: true,
            of: false,
        },
        tags: true,
        custom_fields: true,
        deletions: DeletionDetection::Native,
        operations: crate::capability::Operations {
            changes: true,
            ..ResourceCapabilities::crud(100, [""]).operations
        },
        ..ResourceCapabilities::crud(100, NewContact::FIELDS.iter().copied())
    }
}

fn probe(caps: ResourceCapabilities) -> (Arc<Probe>, Arc<dyn Crm>) {
    let p = Arc::new(Probe {
        caps: Capabilities::new("probe").with(ResourceKind::Contact, caps),
        contacts: Recorder::default(),
        extra: Extra(7),
        url: url::Url::parse("https://probe.example/api/").unwrap(),
    });
    let g = guard(p.clone());
    (p, g)
}

fn assert_unsupported<T: std::fmt::Debug>(r: Result<T>, operation: &str) {
    match r {
        Err(Error::Unsupported {
            operation: op,
            vendor,
        }) => {
            assert_eq!(op, operation);
            assert_eq!(vendor, "probe");
        }
        other => panic!("expected Unsupported({operation}), got {other:?}"),
    }
}

#[tokio::test]
async fn every_false_operation_is_refused_before_the_adapter() {
    let (p, g) = probe(ResourceCapabilities::none());
    let r = g.contacts();
    let id = ContactId::new("1");
    assert_unsupported(r.list(&ListParams::new()).await, "contact.list");
    assert_unsupported(r.get(&id).await, "contact.get");
    assert_unsupported(r.create(&NewContact::default()).await, "contact.create");
    assert_unsupported(
        r.update(&id, &ContactPatch::default()).await,
        "contact.update",
    );
    assert_unsupported(r.delete(&id).await, "contact.delete");
    assert_unsupported(
        r.changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
            .await,
        "contact.changes_since",
    );
    assert!(p.contacts.calls().is_empty(), "{:?}", p.contacts.calls());
    assert_eq!(r.vendor(), "probe");
}

#[tokio::test]
async fn each_operation_is_gated_by_its_own_flag() {
    for op in Operation::ALL {
        let mut caps = ResourceCapabilities::none();
        match op {
            Operation::List => caps.operations.list = true,
            Operation::Get => caps.operations.get = true,
            Operation::Create => caps.operations.create = true,
            Operation::Update => caps.operations.update = true,
            Operation::Delete => caps.operations.delete = true,
            Operation::Changes => caps.operations.changes = true,
        }
        let (p, g) = probe(caps);
        let r = g.contacts();
        let id = ContactId::new("9");
        let results = [
            r.list(&ListParams::new()).await.map(|_| ()),
            r.get(&id).await.map(|_| ()),
            r.create(&NewContact::default()).await.map(|_| ()),
            r.update(&id, &ContactPatch::default()).await.map(|_| ()),
            r.delete(&id).await,
            r.changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
                .await
                .map(|_| ()),
        ];
        for (other, res) in Operation::ALL.iter().zip(results) {
            assert_eq!(
                res.is_ok(),
                *other == op,
                "{op:?} allowed, {other:?}: {res:?}"
            );
        }
        assert_eq!(p.contacts.calls(), [op.as_str()]);
    }
}

#[tokio::test]
async fn supported_calls_reach_the_adapter_and_return_its_answer() {
    let (p, g) = probe(full());
    let r = g.contacts();
    let id = ContactId::new("5");
    assert_eq!(r.get(&id).await.unwrap().id, id);
    assert_eq!(
        r.create(&NewContact::default()).await.unwrap().id.as_str(),
        "new"
    );
    assert_eq!(r.list(&ListParams::new()).await.unwrap().items.len(), 1);
    r.delete(&id).await.unwrap();
    let cp = Checkpoint::at(chrono::DateTime::UNIX_EPOCH);
    assert_eq!(r.changes_since(&cp).await.unwrap().next, cp);
    assert_eq!(
        p.contacts.calls(),
        ["get", "create", "list", "delete", "changes_since"]
    );
}

#[tokio::test]
async fn the_adapters_change_stream_is_forwarded_and_refused_without_the_changes_flag() {
    let cp = Checkpoint::at(chrono::DateTime::UNIX_EPOCH);
    let (p, g) = probe(full());
    let batches: Vec<ChangeSet<Contact, ContactId>> = g
        .change_stream::<Contact>(cp.clone())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.len(), 2, "the adapter's own batches, not one");
    assert_eq!(batches[1].next.at, cp.at + chrono::Duration::seconds(2));
    assert_eq!(p.contacts.calls(), ["change_stream"]);

    let mut caps = full();
    caps.operations.changes = false;
    let (p, g) = probe(caps);
    let mut s = g.contacts().change_stream(cp);
    assert_unsupported(s.next().await.unwrap(), "contact.changes_since");
    assert!(s.next().await.is_none(), "the stream ends after its error");
    assert!(p.contacts.calls().is_empty(), "{:?}", p.contacts.calls());
}

#[tokio::test]
async fn filters_not_honoured_are_refused_not_ignored() {
    let mut caps = full();
    caps.filters.search = false;
    let (p, g) = probe(caps);
    let r = g.contacts();
    assert_unsupported(
        r.list(&ListParams::new().search("x")).await,
        "contact.list with search",
    );
    let since = ListParams::new().updated_since(chrono::DateTime::UNIX_EPOCH);
    r.list(&since).await.unwrap();

    let mut caps = full();
    caps.filters.updated_since = false;
    let (q, g) = probe(caps);
    assert_unsupported(
        g.contacts().list(&since).await,
        "contact.list with updated_since",
    );
    g.contacts()
        .list(&ListParams::new().search("y"))
        .await
        .unwrap();
    // The honoured filters arrive as they were given.
    assert_eq!(p.contacts.params.lock().unwrap()[0], since);
    assert_eq!(
        q.contacts.params.lock().unwrap()[0].search.as_deref(),
        Some("y")
    );
}

#[tokio::test]
async fn page_sizes_are_clamped_to_the_vendor_page() {
    let (p, g) = probe(full()); // max_page_size 100
    for (asked, passed) in [
        (Some(1000), Some(100)),
        (Some(101), Some(100)),
        (Some(100), Some(100)),
        (Some(7), Some(7)),
        (Some(0), Some(1)),
        (None, None),
    ] {
        let params = ListParams {
            page_size: asked,
            ..ListParams::new().search("s")
        };
        g.contacts().list(&params).await.unwrap();
        let got = p.contacts.params.lock().unwrap().pop().unwrap();
        assert_eq!(got.page_size, passed, "asked {asked:?}");
        assert_eq!(got.search.as_deref(), Some("s"), "other params kept");
    }
    let mut unknown = full();
    unknown.max_page_size = 0;
    let (p, g) = probe(unknown);
    g.contacts()
        .list(&ListParams::new().page_size(5000))
        .await
        .unwrap();
    assert_eq!(p.contacts.params.lock().unwrap()[0].page_size, Some(5000));
}

#[test]
fn clamp_table() {
    assert_eq!(clamp(Some(0), 0), Some(1));
    assert_eq!(clamp(Some(3), 0), Some(3));
    assert_eq!(clamp(Some(3), 2), Some(2));
    assert_eq!(clamp(Some(2), 2), Some(2));
    assert_eq!(clamp(None, 2), None);
}

#[tokio::test]
async fn writing_a_field_the_resource_cannot_write_is_refused_by_name() {
    let mut caps = full();
    caps.writable.remove("department");
    let (p, g) = probe(caps);
    let r = g.contacts();
    let new = NewContact {
        first_name: Some("Ada".into()),
        department: Some("R&D".into()),
        ..Default::default()
    };
    assert_unsupported(r.create(&new).await, "contact.create setting department");
    let patch = ContactPatch {
        department: Patch::Set("R&D".into()),
        ..Default::default()
    };
    let id = ContactId::new("1");
    assert_unsupported(
        r.update(&id, &patch).await,
        "contact.update setting department",
    );
    // Clearing is writing too.
    let clear = ContactPatch {
        department: Patch::Clear,
        ..Default::default()
    };
    assert_unsupported(
        r.update(&id, &clear).await,
        "contact.update setting department",
    );
    assert!(p.contacts.calls().is_empty());
    // Other fields, and vendor fields, pass.
    let mut ok = NewContact {
        first_name: Some("Ada".into()),
        ..Default::default()
    };
    ok.vendor_fields.insert("x".into(), serde_json::json!(1));
    r.create(&ok).await.unwrap();
    let ok = ContactPatch {
        first_name: Patch::Set("Ada".into()),
        ..Default::default()
    };
    r.update(&id, &ok).await.unwrap();
    assert_eq!(p.contacts.calls(), ["create", "update"]);
}

#[tokio::test]
async fn tags_and_custom_fields_follow_their_flags() {
    let tag = Tag::named("t");
    let field = CustomFieldValue {
        definition_id: CustomFieldId::new("1"),
        name: None,
        value: None,
        row_id: None,
    };
    let with_tag = NewContact {
        tags: vec![tag.clone()],
        ..Default::default()
    };
    let with_field = NewContact {
        custom_fields: vec![field.clone()],
        ..Default::default()
    };
    let id = ContactId::new("1");
    let tag_patch = ContactPatch {
        tags: Patch::Set(vec![tag]),
        ..Default::default()
    };
    let field_patch = ContactPatch {
        custom_fields: Patch::Set(vec![field]),
        ..Default::default()
    };

    let mut caps = full();
    caps.tags = false;
    let (_, g) = probe(caps);
    let r = g.contacts();
    assert_unsupported(r.create(&with_tag).await, "contact.create setting tags");
    assert_unsupported(
        r.update(&id, &tag_patch).await,
        "contact.update setting tags",
    );
    r.create(&with_field).await.unwrap();
    r.update(&id, &field_patch).await.unwrap();

    let mut caps = full();
    caps.custom_fields = false;
    let (_, g) = probe(caps);
    let r = g.contacts();
    assert_unsupported(
        r.create(&with_field).await,
        "contact.create setting custom_fields",
    );
    assert_unsupported(
        r.update(&id, &field_patch).await,
        "contact.update setting custom_fields",
    );
    r.create(&with_tag).await.unwrap();
    r.update(&id, &tag_patch).await.unwrap();
}

#[tokio::test]
async fn the_rest_is_forwarded() {
    let (p, g) = probe(full());
    assert_eq!(g.vendor(), "probe");
    assert_eq!(g.capabilities(), &p.caps);
    assert_eq!(g.stats().requests, 42);
    assert_eq!(g.current_user().await.unwrap().id.as_str(), "me");
    g.custom_field_definitions(ResourceKind::Contact)
        .await
        .unwrap();
    assert_eq!(
        p.contacts.calls(),
        ["current_user", "custom_field_definitions"]
    );
    // Extensions of the wrapped client, and the guard itself.
    assert_eq!(g.extension::<Extra>(), Some(&Extra(7)));
    assert!(g.extension::<String>().is_none());
    assert!(g.extension::<Guarded>().is_some());
    assert!(p.extension::<Guarded>().is_none());
    let guarded = g.extension::<Guarded>().unwrap();
    assert_eq!(guarded.inner().vendor(), "probe");
    assert!(format!("{guarded:?}").contains("probe"));
}

#[tokio::test]
async fn the_adapters_own_listing_is_used_after_the_same_checks() {
    use futures::TryStreamExt;
    let (p, g) = probe(full());
    let all: Vec<Contact> = g
        .stream_all::<Contact>(ListParams::new().page_size(1000))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["7", "8"], "the override, not core's page loop");
    assert_eq!(p.contacts.calls(), ["stream_listing"]);
    assert_eq!(p.contacts.params.lock().unwrap()[0].page_size, Some(100));

    let mut no_search = full();
    no_search.filters.search = false;
    let (p, g) = probe(no_search);
    let r: Result<Vec<Contact>> = g
        .stream_all::<Contact>(ListParams::new().search("x"))
        .try_collect()
        .await;
    assert_unsupported(r, "contact.list with search");
    assert!(p.contacts.calls().is_empty(), "nothing reached the adapter");

    let mut no_list = full();
    no_list.operations.list = false;
    let (p, g) = probe(no_list);
    let r: Result<Vec<Contact>> = g
        .stream_all::<Contact>(ListParams::new())
        .try_collect()
        .await;
    assert_unsupported(r, "contact.list");
    assert!(p.contacts.calls().is_empty());
}

#[tokio::test]
async fn rate_budget_and_base_url_are_forwarded() {
    let (_, g) = probe(full());
    assert_eq!(g.rate_budget().remaining, Some(3));
    assert_eq!(
        g.base_url().map(url::Url::as_str),
        Some("https://probe.example/api/")
    );
}

#[tokio::test]
async fn guarding_twice_wraps_once() {
    let (_, g) = probe(full());
    let again = guard(g.clone());
    assert!(Arc::ptr_eq(&g, &again));
}

#[tokio::test]
async fn kinds_an_adapter_does_not_offer_are_unsupported_by_default() {
    // `Probe` implements only `contacts`: the others are the trait's defaults.
    let (p, g) = probe(full());
    let err = p.leads().get(&LeadId::new("1")).await.unwrap_err();
    assert_eq!(err.to_string(), "lead.get is not supported by this adapter");
    // Behind the guard, the capabilities answer first, naming the vendor.
    let err = g.leads().get(&LeadId::new("1")).await.unwrap_err();
    assert_eq!(err.to_string(), "lead.get is not supported by probe");
    for r in [
        p.tasks().list(&ListParams::new()).await.map(|_| ()),
        p.accounts().list(&ListParams::new()).await.map(|_| ()),
        p.opportunities().list(&ListParams::new()).await.map(|_| ()),
        p.notes().list(&ListParams::new()).await.map(|_| ()),
        p.users().list(&ListParams::new()).await.map(|_| ()),
        p.pipelines().list(&ListParams::new()).await.map(|_| ()),
        g.tasks().list(&ListParams::new()).await.map(|_| ()),
        g.accounts().list(&ListParams::new()).await.map(|_| ()),
        g.opportunities().list(&ListParams::new()).await.map(|_| ()),
        g.notes().list(&ListParams::new()).await.map(|_| ()),
        g.users().list(&ListParams::new()).await.map(|_| ()),
        g.pipelines().list(&ListParams::new()).await.map(|_| ()),
    ] {
        assert!(r.unwrap_err().is_unsupported());
    }
}
