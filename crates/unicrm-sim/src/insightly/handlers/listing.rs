//! Paging (`skip`/`top`/`brief`/`count_total`), the `/Search` filter and list answers.

use super::*;

/// `skip` / `top` / `brief` / `count_total`.
pub(super) struct Page {
    pub(super) skip: usize,
    pub(super) top: usize,
    pub(super) brief: bool,
    pub(super) count_total: bool,
}

pub(super) fn page(ctx: &Ctx) -> Result<Page, ApiErr> {
    let num = |key: &str, default: usize| -> Result<usize, ApiErr> {
        match ctx.q(key) {
            None => Ok(default),
            Some(v) if v.trim().is_empty() => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                .map_err(|_| bad(format!("The value '{v}' of '{key}' is not valid."))),
        }
    };
    Ok(Page {
        skip: num("skip", 0)?,
        top: num("top", 100)?.min(500),
        brief: ctx.flag("brief"),
        count_total: ctx.flag("count_total"),
    })
}

pub(super) fn paged<'a, T: 'a, I: Iterator<Item = T>>(
    items: I,
    p: &Page,
) -> (Vec<T>, Option<usize>) {
    let mut out = Vec::new();
    let mut total = 0usize;
    for item in items {
        if total >= p.skip && out.len() < p.top {
            out.push(item);
        }
        total += 1;
        if !p.count_total && out.len() >= p.top {
            break;
        }
    }
    (out, p.count_total.then_some(total))
}

pub(super) fn list_reply<T: Serialize>(items: &[T], total: Option<usize>) -> Res {
    let mut r = ok_json(items)?;
    r.total = total;
    Ok(r)
}

type Filter<'a> = Box<dyn Fn(&Rec) -> bool + 'a>;

/// The `/Search` filter of §5 for a record kind.
pub(super) fn search_filter<'a>(
    db: &'a Db,
    kind: Kind,
    ctx: &'a Ctx,
) -> Result<Filter<'a>, ApiErr> {
    let name = ctx.q("field_name").filter(|s| !s.is_empty());
    let value = ctx.q("field_value");
    let mut filters: Vec<Filter<'a>> = Vec::new();
    match (name, value) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => {
            return Err(bad("field_name and field_value must be given together."));
        }
        (Some(name), Some(value)) => {
            let schema = kind.schema();
            if name.to_lowercase().ends_with("__c") {
                let def = db
                    .defs(kind)
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| bad(format!("The field name '{name}' is not valid.")))?;
                let def_name = def.name.clone();
                filters.push(Box::new(move |r: &Rec| {
                    r.custom
                        .iter()
                        .any(|(k, v)| *k == def_name && value_matches(v, value))
                }));
            } else {
                let i = schema
                    .index(name)
                    .ok_or_else(|| bad(format!("The field name '{name}' is not valid.")))?;
                filters.push(Box::new(move |r: &Rec| value_matches(&r.vals[i], value)));
            }
        }
    }
    if let Some(after) = ctx.q("updated_after_utc").filter(|s| !s.trim().is_empty()) {
        let cursor = parse_dt(after)
            .map_err(|_| {
                bad(format!(
                    "The value '{after}' of 'updated_after_utc' is not a valid date."
                ))
            })?
            .map(|t| t.format(crate::insightly::schema::DT_FORMAT).to_string());
        if let Some(cursor) = cursor {
            let i = kind.schema().at(kind.updated_key());
            filters.push(Box::new(move |r: &Rec| {
                r.vals[i].as_str().is_some_and(|u| u > cursor.as_str())
            }));
        }
    }
    Ok(Box::new(move |r: &Rec| filters.iter().all(|f| f(r))))
}

pub(super) fn list_records(db: &Db, kind: Kind, ctx: &Ctx, filter: &dyn Fn(&Rec) -> bool) -> Res {
    let p = page(ctx)?;
    let rows = db.table(kind).rows.iter().filter(|(_, r)| filter(r));
    let (items, total) = paged(rows, &p);
    views_reply(db, kind, &p, items, total)
}

/// A `/Search` or `/SearchByTag` listing: like [`list_records`], over what the search index
/// holds now (with a search lag, a recent write is not searchable yet; see
/// [`Db::search_view`]). `X-Total-Count` counts the same records.
pub(super) fn search_records(db: &Db, kind: Kind, ctx: &Ctx, filter: &dyn Fn(&Rec) -> bool) -> Res {
    let p = page(ctx)?;
    let rows = db
        .table(kind)
        .rows
        .iter()
        .filter_map(|(id, r)| db.search_view(kind, *id, r).map(|v| (id, v)))
        .filter(|(_, r)| filter(r));
    let (items, total) = paged(rows, &p);
    views_reply(db, kind, &p, items, total)
}

fn views_reply(
    db: &Db,
    kind: Kind,
    p: &Page,
    items: Vec<(&u64, &Rec)>,
    total: Option<usize>,
) -> Res {
    let views: Vec<RecView> = items
        .into_iter()
        .map(|(id, rec)| RecView {
            db,
            kind,
            id: *id,
            rec,
            brief: p.brief,
        })
        .collect();
    list_reply(&views, total)
}

pub(super) fn parse_id(s: &str, ctx: &Ctx) -> Result<u64, ApiErr> {
    s.parse::<u64>().map_err(|_| no_route(&ctx.path))
}

pub(super) fn record_view(db: &Db, kind: Kind, id: u64) -> Res {
    let rec = db
        .table(kind)
        .rows
        .get(&id)
        .ok_or_else(|| not_found(format!("{} with ID {id} was not found.", kind.singular())))?;
    ok_json(&RecView {
        db,
        kind,
        id,
        rec,
        brief: false,
    })
}
