//! One conformance suite over both adapters, through `Arc<dyn Crm>`, against the simulators.
//!
//! For every resource and operation it reads the adapter's `Capabilities` and either exercises
//! the operation (and checks the answer) or asserts `Error::Unsupported` — so a capability that
//! lies, or an operation that is silently skipped, fails here.

use std::sync::Arc;

use futures::TryStreamExt;
use unicrm::capsule::CapsuleClient;
use unicrm::insightly::InsightlyClient;
use unicrm::sim::{CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimOptions, SeedOptions};
use unicrm::{
    Account, Checkpoint, Contact, Crm, Error, Lead, ListParams, Note, Opportunity, Pipeline,
    Record, ResourceExt, Task, User,
};

async fn crms() -> Vec<Arc<dyn Crm>> {
    let seed = SeedOptions {
        seed: 5,
        records: 30,
    };
    let c = CapsuleSim::start(CapsuleSimOptions {
        seed,
        ..Default::default()
    })
    .await
    .unwrap();
    let i = InsightlySim::start(InsightlySimOptions {
        seed,
        ..Default::default()
    })
    .await
    .unwrap();
    let capsule = CapsuleClient::builder()
        .base_url(c.base_url.as_str())
        .personal_access_token(c.token.clone())
        .build()
        .unwrap();
    let insightly = InsightlyClient::builder()
        .base_url(i.base_url.as_str())
        .api_key(i.api_key.clone())
        .build()
        .unwrap();
    // The simulators live as long as the test's runtime.
    std::mem::forget(c);
    std::mem::forget(i);
    vec![Arc::new(capsule), Arc::new(insightly)]
}

fn assert_unsupported<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) {
    match r {
        Err(Error::Unsupported { .. }) => {}
        other => panic!("{what}: capability says unsupported, got {other:?}"),
    }
}

async fn check<R: Record>(crm: &dyn Crm)
where
    R::New: Default,
{
    let vendor = crm.vendor().to_string();
    let kind = R::KIND;
    let caps = crm.capabilities().resource(&kind);
    let res = R::resource(crm);
    let what = |op: &str| format!("{vendor} {kind}.{op}");

    // list + paging through the core stream.
    let mut first: Option<R> = None;
    if caps.list {
        let page = res
            .list(&ListParams::new().page_size(2))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", what("list")));
        assert!(page.items.len() <= caps.max_page_size.max(2) as usize);
        let all: Vec<R> = res
            .stream_all(ListParams::new())
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", what("stream_all")));
        let mut ids: Vec<String> = all.iter().map(|r| r.id().to_string()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(
            ids.len(),
            n,
            "{}: a record listed twice",
            what("stream_all")
        );
        first = all.into_iter().next();
    } else {
        assert_unsupported(&what("list"), res.list(&ListParams::new()).await);
    }

    // get
    if caps.get {
        if let Some(r) = &first {
            let got = res
                .get(r.id())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", what("get")));
            assert_eq!(got.id(), r.id());
        }
    } else if let Some(r) = &first {
        assert_unsupported(&what("get"), res.get(r.id()).await);
    }

    // Writes the adapter does not support must say so (supported ones are exercised by the
    // adapters' own simulator tests with valid bodies).
    if !caps.create {
        assert_unsupported(&what("create"), res.create(&R::New::default()).await);
    }
    if let Some(r) = &first {
        if !caps.update {
            assert_unsupported(
                &what("update"),
                res.update(r.id(), &R::Patch::default()).await,
            );
        }
        if !caps.delete {
            assert_unsupported(&what("delete"), res.delete(r.id()).await);
        }
    }

    // Filters.
    let search = res.list(&ListParams::new().search("a")).await;
    if caps.search {
        search.unwrap_or_else(|e| panic!("{}: {e}", what("search")));
    } else if caps.list {
        assert_unsupported(&what("search"), search);
    }
    let since = ListParams::new().updated_since(chrono::Utc::now() - chrono::Duration::days(3650));
    let filtered = res.list(&since).await;
    if caps.updated_since {
        filtered.unwrap_or_else(|e| panic!("{}: {e}", what("updated_since")));
    } else if caps.list {
        assert_unsupported(&what("updated_since"), filtered);
    }

    // Change feed.
    let cp = Checkpoint::at(chrono::Utc::now() - chrono::Duration::days(3650));
    let changes = res.changes_since(&cp).await;
    if caps.changes {
        let set = changes.unwrap_or_else(|e| panic!("{}: {e}", what("changes_since")));
        assert!(
            set.next.at > cp.at,
            "{}: checkpoint did not advance",
            what("changes_since")
        );
    } else {
        assert_unsupported(&what("changes_since"), changes);
    }
}

#[tokio::test]
async fn every_capability_is_honest_on_both_adapters() {
    for crm in crms().await {
        let crm = crm.as_ref();
        check::<Contact>(crm).await;
        check::<Account>(crm).await;
        check::<Opportunity>(crm).await;
        check::<Task>(crm).await;
        check::<Note>(crm).await;
        check::<User>(crm).await;
        check::<Pipeline>(crm).await;
        check::<Lead>(crm).await;
    }
}

#[tokio::test]
async fn current_user_and_definitions() {
    for crm in crms().await {
        let me = crm.current_user().await.unwrap();
        let users: Vec<User> = crm
            .users()
            .stream_all(ListParams::new())
            .try_collect()
            .await
            .unwrap();
        assert!(
            users.iter().any(|u| u.id == me.id),
            "{}: current user not listed",
            crm.vendor()
        );
        for kind in [
            unicrm::ResourceKind::Contact,
            unicrm::ResourceKind::Opportunity,
        ] {
            let defs = crm.custom_field_definitions(kind.clone()).await.unwrap();
            assert!(
                !defs.is_empty(),
                "{} {kind}: no custom field definitions",
                crm.vendor()
            );
        }
    }
}
