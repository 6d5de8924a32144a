//! Paging over more than two pages, and streams that return every seeded record.

use std::collections::{BTreeMap, BTreeSet};

use unicrm_core::{Crm, ListParams, Record};

use super::{res, stream_all};
use crate::gate::{Gate, Operation};
use crate::harness::Harness;
use crate::report::{CheckRecord, Ctx, Failure};

/// Walks every page of `R` at a page size small enough for at least 3 pages.
///
/// Asserts: no page holds more records than asked for (an ignored page size fails); no empty
/// page claims a next one; more than 2 pages; every record exactly once; the pages hold the
/// same records as `stream_all`.
///
/// Gated: skipped when `list` is false (the unsupported check asserts `Unsupported`). Run it
/// while nobody else writes.
pub async fn check_paging<R: Record>(crm: &dyn Crm) -> Result<CheckRecord, Failure> {
    let gate = Gate::of(crm);
    let ctx = Ctx::new(crm.vendor(), R::KIND, "paging");
    if !gate.supports(&R::KIND, Operation::List) {
        return Ok(ctx.skip(
            "list is false",
            "list answers Unsupported (unsupported check)",
        ));
    }
    let all: Vec<R> = stream_all(crm, &ctx).await?;
    let n = all.len();
    if n < 3 {
        return Err(ctx.fail(format!(
            "only {n} record(s) listed: the harness must seed at least 3 to page over more than 2 pages"
        )));
    }
    // ceil(n / size) > 2 whenever size <= (n - 1) / 2.
    let mut size = ((n - 1) / 2).max(1) as u32;
    if let Some(max) = gate.max_page_size(&R::KIND) {
        size = size.min(max);
    }
    let mut params = ListParams::new().page_size(size);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = 0usize;
    loop {
        pages += 1;
        if pages > n + 2 {
            return Err(ctx.fail(format!(
                "more than {} pages of {size} for {n} records: the listing does not end",
                n + 2
            )));
        }
        let page = res::<R>(crm)
            .list(&params)
            .await
            .map_err(|e| ctx.fail(format!("page {pages} (page size {size}) failed: {e}")))?;
        ctx.ensure(page.items.len() <= size as usize, || {
            format!(
                "page {pages} holds {} records, {size} were asked for: the page size is not honoured",
                page.items.len()
            )
        })?;
        for r in &page.items {
            let id = r.id().to_string();
            if let Some(first) = seen.insert(id.clone(), pages) {
                return Err(ctx.fail(format!(
                    "record {id} listed twice, on page {first} and page {pages} (page size {size})"
                )));
            }
        }
        match page.next {
            Some(next) => {
                ctx.ensure(!page.items.is_empty(), || {
                    format!("page {pages} is empty but claims a next page")
                })?;
                params.cursor = Some(next);
            }
            None => break,
        }
    }
    ctx.ensure(pages > 2, || {
        format!("{n} records at page size {size} came in {pages} page(s): more than 2 expected")
    })?;
    let streamed: BTreeSet<String> = all.iter().map(|r| r.id().to_string()).collect();
    let paged: BTreeSet<String> = seen.keys().cloned().collect();
    ctx.ensure(streamed == paged, || {
        let only_stream: Vec<_> = streamed.difference(&paged).collect();
        let only_pages: Vec<_> = paged.difference(&streamed).collect();
        format!(
            "the pages and stream_all disagree: only in the stream {only_stream:?}, only in the pages {only_pages:?}"
        )
    })?;
    Ok(ctx.pass(format!(
        "{n} records in {pages} pages of at most {size}, each exactly once, the same as stream_all"
    )))
}

/// `stream_all` returns every record the vendor holds (the harness reads them through the raw
/// API), each exactly once, and nothing else.
///
/// Gated: skipped when `list` is false, or when the harness cannot list this kind (then only
/// "no record twice" is asserted). Run it while nobody else writes.
pub async fn check_stream<R: Record>(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let gate = Gate::of(crm);
    let ctx = Ctx::new(crm.vendor(), R::KIND, "stream returns every seeded record");
    if !gate.supports(&R::KIND, Operation::List) {
        return Ok(ctx.skip(
            "list is false",
            "list answers Unsupported (unsupported check)",
        ));
    }
    let all: Vec<R> = stream_all(crm, &ctx).await?;
    let mut streamed = BTreeSet::new();
    for r in &all {
        let id = r.id().to_string();
        ctx.ensure(streamed.insert(id.clone()), || {
            format!("stream_all returned {id} twice")
        })?;
    }
    let vendor = harness
        .vendor_records(&R::KIND)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;
    let Some(vendor) = vendor else {
        return Ok(ctx.skip(
            "the harness cannot list this kind through the raw API",
            format!("stream_all returned {} records, none twice", all.len()),
        ));
    };
    let seeded: BTreeSet<String> = vendor.into_iter().map(|v| v.id).collect();
    let missing: Vec<_> = seeded.difference(&streamed).collect();
    let extra: Vec<_> = streamed.difference(&seeded).collect();
    ctx.ensure(missing.is_empty() && extra.is_empty(), || {
        format!(
            "stream_all returned {} records, the vendor holds {}: missing {missing:?}, not at the vendor {extra:?}",
            streamed.len(),
            seeded.len()
        )
    })?;
    Ok(ctx.pass(format!(
        "stream_all returned all {} records the vendor holds, each once",
        seeded.len()
    )))
}
