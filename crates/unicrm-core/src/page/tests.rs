//! The guarded paging loop, driven by scripted page functions.

use std::sync::{Arc, Mutex};

use futures::TryStreamExt;

use super::*;

fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
    Page {
        items: items.to_vec(),
        next: next.map(Cursor::new),
        total: None,
    }
}

/// A page function that answers `pages` in order and records the cursor of each call.
#[allow(clippy::type_complexity)]
fn scripted(
    pages: Vec<Page<u32>>,
) -> (
    Arc<Mutex<Vec<Option<String>>>>,
    impl FnMut(ListParams) -> futures::future::Ready<Result<Page<u32>>> + Send,
) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let mut pages = pages.into_iter();
    let f = move |p: ListParams| {
        log.lock()
            .unwrap()
            .push(p.cursor.map(|c| c.as_str().to_string()));
        futures::future::ready(
            pages
                .next()
                .ok_or_else(|| Error::config("called after the last page")),
        )
    };
    (calls, f)
}

#[tokio::test]
async fn every_page_is_fetched_with_the_previous_next_cursor() {
    let (calls, f) = scripted(vec![
        page(&[1, 2], Some("a")),
        page(&[3], Some("b")),
        page(&[4], None),
    ]);
    let items = collect_items("t x", ListParams::new(), f).await.unwrap();
    assert_eq!(items, [1, 2, 3, 4]);
    assert_eq!(
        *calls.lock().unwrap(),
        [None, Some("a".to_string()), Some("b".to_string())]
    );
}

#[tokio::test]
async fn the_stream_and_the_collection_agree() {
    let script = || {
        vec![
            page(&[1], Some("a")),
            page(&[2], Some("b")),
            page(&[3], None),
        ]
    };
    let (_, f) = scripted(script());
    let streamed: Vec<Page<u32>> = guarded_pages("t x", ListParams::new(), f)
        .try_collect()
        .await
        .unwrap();
    let (_, f) = scripted(script());
    let collected = collect_pages("t x", ListParams::new(), f).await.unwrap();
    assert_eq!(streamed, collected);
    assert_eq!(collected.len(), 3);
}

#[tokio::test]
async fn a_start_cursor_is_passed_and_may_not_come_back() {
    let (calls, f) = scripted(vec![page(&[1], Some("s")), page(&[2], None)]);
    let params = ListParams::new().cursor(Some(Cursor::new("s")));
    let err = collect_items("t x", params, f).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "paging error: t x listing came back to a cursor seen before (s)"
    );
    assert_eq!(*calls.lock().unwrap(), [Some("s".to_string())]);
}

#[tokio::test]
async fn guards_fail_the_collection() {
    for (script, want) in [
        (
            vec![page(&[1], Some("a")), page(&[2], Some("a"))],
            "seen before (a)",
        ),
        (
            vec![page(&[1], Some("a")), page(&[], Some("b"))],
            "returned an empty page with a next cursor",
        ),
    ] {
        let (_, f) = scripted(script);
        let err = collect_pages("t x", ListParams::new(), f)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Paging { .. }), "{err:?}");
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[tokio::test]
async fn the_page_limit_applies_and_a_listing_of_exactly_the_limit_succeeds() {
    let chain = |n: usize, last: bool| {
        (0..n)
            .map(|i| {
                let next = (!(last && i + 1 == n)).then(|| format!("c{i}"));
                page(&[i as u32], next.as_deref())
            })
            .collect::<Vec<_>>()
    };
    let (calls, f) = scripted(chain(3, true));
    let items = collect_items("t x", ListParams::new().max_pages(3), f)
        .await
        .unwrap();
    assert_eq!(items, [0, 1, 2]);
    assert_eq!(calls.lock().unwrap().len(), 3);
    let (calls, f) = scripted(chain(4, false));
    let err = collect_items("t x", ListParams::new().max_pages(3), f)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("after 3 pages (the limit)"),
        "{err}"
    );
    assert_eq!(calls.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn an_error_ends_the_listing() {
    let mut n = 0;
    let f = move |_p: ListParams| {
        n += 1;
        futures::future::ready(if n == 1 {
            Ok(page(&[1], Some("a")))
        } else {
            Err(Error::config("boom"))
        })
    };
    let got: Vec<Result<Page<u32>>> = guarded_pages("t x", ListParams::new(), f).collect().await;
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert!(matches!(got[1], Err(Error::Config { .. })));
}

#[tokio::test]
async fn filling_reads_past_empty_pages_and_stops_at_a_full_one() {
    let (calls, f) = scripted(vec![
        page(&[], Some("a")),
        page(&[], Some("b")),
        page(&[3], Some("c")),
        page(&[4], None),
    ]);
    let pages = fill_page("t x", ListParams::new(), f).await.unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[2].items, [3]);
    assert_eq!(pages[2].next, Some(Cursor::new("c")));
    assert_eq!(calls.lock().unwrap().len(), 3);
    // A full first page is the whole fill; the last page ends it even when empty.
    let (_, f) = scripted(vec![page(&[1], Some("a"))]);
    assert_eq!(
        fill_page("t x", ListParams::new(), f).await.unwrap().len(),
        1
    );
    let (_, f) = scripted(vec![page(&[], Some("a")), page(&[], None)]);
    let pages = fill_page("t x", ListParams::new(), f).await.unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].next.is_none());
}

#[tokio::test]
async fn filling_keeps_the_cycle_and_limit_guards() {
    let (_, f) = scripted(vec![
        page(&[], Some("a")),
        page(&[], Some("b")),
        page(&[], Some("a")),
    ]);
    let err = fill_page("t x", ListParams::new(), f).await.unwrap_err();
    assert!(err.to_string().contains("seen before (a)"), "{err}");
    let (calls, f) = scripted((0..10).map(|i| page(&[], Some(&format!("c{i}")))).collect());
    let err = fill_page("t x", ListParams::new().max_pages(4), f)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("after 4 pages"), "{err}");
    assert_eq!(calls.lock().unwrap().len(), 4);
}

#[test]
fn a_whole_listing_is_sliced_into_pages_and_a_forged_cursor_is_refused() {
    let all: Vec<u32> = (1..=5).collect();
    let mut params = ListParams::new().page_size(2);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = Page::slice(all.clone(), &params).unwrap();
        assert_eq!(page.total, Some(5));
        assert!(page.items.len() <= 2);
        seen.extend(page.items);
        pages += 1;
        match page.next {
            Some(c) => params.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!((seen, pages), ((1..=5).collect::<Vec<_>>(), 3));
    let whole = Page::slice(all.clone(), &ListParams::new()).unwrap();
    assert_eq!((whole.items.len(), whole.next), (5, None));
    for forged in ["7", "o:x", "o:-1", ""] {
        let p = ListParams::new().cursor(Some(Cursor::new(forged)));
        assert!(
            matches!(
                Page::slice(all.clone(), &p),
                Err(crate::Error::Paging { .. })
            ),
            "{forged:?}"
        );
    }
    // A cursor past the end is an empty last page, not a panic.
    let past = ListParams::new().cursor(Some(Cursor::new("o:99")));
    let page = Page::slice(all, &past).unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}
