//! The Filters API: `POST /{parties|opportunities|kases}/filters/results`
//! (docs/vendors/capsule-v2-addendum.md, "Filters API"; "Simulator must reproduce", items
//! 21–27).
//!
//! Conditions are ANDed. Field names are the filter-side ones (`updatedOn`, not `updatedAt`:
//! 422 `invalid field name`); operators must suit the field's type (422 otherwise). Date
//! values are days: a full date-time is cut to its date. Results come by ascending id;
//! `orderBy` is accepted and ignored unless the tenant's switch is on. Paging is the list
//! endpoints' (`page`, `perPage` ≤ 100, `Link` to the same POST URL with the next page).

use chrono::NaiveDate;

use super::*;
use crate::capsule::model::Kase;

/// The type of a filter field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Num,
    Bool,
    Date,
    /// An id or a name (`tag`, `pipeline`, `board`, `stage`).
    NumOrStr,
}

/// A value a record has for a field.
#[derive(Debug, Clone, PartialEq)]
enum Cand {
    S(String),
    N(f64),
    B(bool),
    D(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entity {
    Parties,
    Opportunities,
    Kases,
}

fn field_type(entity: Entity, field: &str) -> Option<Ty> {
    if field.starts_with("custom:") || field.starts_with("org.custom:") {
        return Some(Ty::Str);
    }
    let common = match field {
        "id" | "owner" | "team" => Some(Ty::Num),
        "name" => Some(Ty::Str),
        "tag" => Some(Ty::NumOrStr),
        "hasTags" => Some(Ty::Bool),
        "addedOn" | "updatedOn" => Some(Ty::Date),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match entity {
        Entity::Parties => match field {
            "jobTitle" | "email" | "phone" | "city" | "zip" | "state" | "country" | "type"
            | "org.name" => Some(Ty::Str),
            "org.tag" => Some(Ty::NumOrStr),
            "hasEmailAddress" | "hasPhoneNumber" | "hasAddress" | "hasPeople" => Some(Ty::Bool),
            "lastContactedOn" => Some(Ty::Date),
            _ => None,
        },
        Entity::Opportunities => match field {
            "status" | "milestone" | "lostReason" | "currency" | "expectedValue" => Some(Ty::Str),
            "pipeline" => Some(Ty::NumOrStr),
            "probability" => Some(Ty::Num),
            "isOpen" | "isStale" | "isOwnedByMe" => Some(Ty::Bool),
            "closedOn" | "expectedCloseOn" => Some(Ty::Date),
            _ => None,
        },
        Entity::Kases => match field {
            "status" => Some(Ty::Str),
            "board" | "stage" => Some(Ty::NumOrStr),
            "isOpen" | "isOwnedByMe" => Some(Ty::Bool),
            "closedOn" | "expectedCloseOn" => Some(Ty::Date),
            _ => None,
        },
    }
}

fn operator_ok(op: &str, ty: Ty) -> bool {
    match op {
        "is" | "is not" => true,
        "starts with" | "ends with" | "contains" => matches!(ty, Ty::Str | Ty::NumOrStr),
        "is greater than" | "is less than" => ty == Ty::Num,
        "is after" | "is before" | "is older than" | "is within last" | "is within next" => {
            ty == Ty::Date
        }
        _ => false,
    }
}

/// One parsed condition.
#[derive(Debug, Clone)]
struct Condition {
    field: String,
    op: String,
    value: Value,
}

fn bad_field() -> ApiError {
    invalid("invalid field name", "filter", "field")
}

/// Parses the body: 400 without the `filter` wrapper, 422 for bad conditions.
/// `orderBy`: (field, descending) pairs.
type OrderBy = Vec<(String, bool)>;

fn parse_filter(body: &[u8], entity: Entity) -> ApiResult<(Vec<Condition>, OrderBy)> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("Could not parse JSON body: {e}")))?;
    let Some(Value::Object(filter)) = v.get("filter") else {
        return Err(ApiError::BadRequest(
            "request body must be a JSON object with a \"filter\" key".into(),
        ));
    };
    let mut out = Vec::new();
    let conditions = match filter.get("conditions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(invalid("conditions is invalid", "filter", "conditions")),
    };
    for c in conditions {
        let field = c
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(bad_field)?;
        let op = c
            .get("operator")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("invalid operator", "filter", "operator"))?;
        let ty = field_type(entity, field).ok_or_else(bad_field)?;
        if !operator_ok(op, ty) {
            return Err(invalid("invalid operator", "filter", "operator"));
        }
        out.push(Condition {
            field: field.to_string(),
            op: op.to_string(),
            value: c.get("value").cloned().unwrap_or(Value::Null),
        });
    }
    let mut order = Vec::new();
    if let Some(Value::Array(a)) = filter.get("orderBy") {
        for o in a {
            let field = o.get("field").and_then(Value::as_str).unwrap_or("id");
            let desc = o
                .get("direction")
                .and_then(Value::as_str)
                .is_some_and(|d| d.eq_ignore_ascii_case("descending"));
            order.push((field.to_string(), desc));
        }
    }
    Ok((out, order))
}

/// A date value: `YYYY-MM-DD`, or a date-time cut to its date.
fn value_date(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?.trim();
    parse_date(s).or_else(|| s.get(..10).and_then(parse_date))
}

fn value_days(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn cand_eq(c: &Cand, v: &Value) -> bool {
    match (c, v) {
        (Cand::S(s), Value::String(x)) => s.eq_ignore_ascii_case(x.trim()),
        (Cand::S(s), Value::Number(n)) => s == &n.to_string(),
        (Cand::N(n), Value::Number(x)) => x.as_f64() == Some(*n),
        (Cand::N(n), Value::String(x)) => x.trim().parse::<f64>().ok() == Some(*n),
        (Cand::B(b), Value::Bool(x)) => b == x,
        (Cand::B(b), Value::String(x)) => x.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        (Cand::D(d), v) => value_date(v) == Some(*d),
        _ => false,
    }
}

fn matches(cands: &[Cand], c: &Condition, today: NaiveDate) -> bool {
    let text = |f: &dyn Fn(&str, &str) -> bool| {
        let Some(needle) = c.value.as_str().map(str::to_lowercase) else {
            return false;
        };
        cands.iter().any(|x| match x {
            Cand::S(s) => f(&s.to_lowercase(), &needle),
            _ => false,
        })
    };
    let num = |f: &dyn Fn(f64, f64) -> bool| {
        let Some(v) = c.value.as_f64() else {
            return false;
        };
        cands.iter().any(|x| matches!(x, Cand::N(n) if f(*n, v)))
    };
    let date =
        |f: &dyn Fn(NaiveDate) -> bool| cands.iter().any(|x| matches!(x, Cand::D(d) if f(*d)));
    let is = || {
        if c.value.is_null() {
            cands.is_empty()
        } else {
            cands.iter().any(|x| cand_eq(x, &c.value))
        }
    };
    let days = || value_days(&c.value).map(chrono::Duration::days);
    match c.op.as_str() {
        "is" => is(),
        "is not" => !is(),
        "starts with" => text(&|s, n| s.starts_with(n)),
        "ends with" => text(&|s, n| s.ends_with(n)),
        "contains" => text(&|s, n| s.contains(n)),
        "is greater than" => num(&|a, b| a > b),
        "is less than" => num(&|a, b| a < b),
        "is after" => value_date(&c.value).is_some_and(|v| date(&|d| d > v)),
        "is before" => value_date(&c.value).is_some_and(|v| date(&|d| d < v)),
        "is older than" => days().is_some_and(|n| date(&|d| d < today - n)),
        "is within last" => days().is_some_and(|n| date(&|d| d >= today - n && d <= today)),
        "is within next" => days().is_some_and(|n| date(&|d| d >= today && d <= today + n)),
        _ => false,
    }
}

fn s(v: &Option<String>) -> Vec<Cand> {
    v.iter().map(|x| Cand::S(x.clone())).collect()
}

fn n(v: Option<u64>) -> Vec<Cand> {
    v.iter().map(|x| Cand::N(*x as f64)).collect()
}

fn d(v: Option<NaiveDate>) -> Vec<Cand> {
    v.into_iter().map(Cand::D).collect()
}

fn tags(defs: &BTreeMap<u64, TagDef>, ids: &[u64]) -> Vec<Cand> {
    ids.iter()
        .flat_map(|id| {
            let mut v = vec![Cand::N(*id as f64)];
            if let Some(t) = defs.get(id) {
                v.push(Cand::S(t.name.clone()));
            }
            v
        })
        .collect()
}

fn custom(rows: &[crate::capsule::model::FieldRow], field: &str) -> Vec<Cand> {
    let Some(def) = field.rsplit(':').next().and_then(|d| d.parse::<u64>().ok()) else {
        return Vec::new();
    };
    rows.iter()
        .filter(|r| r.definition == def)
        .map(|r| match &r.value {
            Value::String(x) => Cand::S(x.clone()),
            Value::Bool(b) => Cand::B(*b),
            other => Cand::S(other.to_string()),
        })
        .collect()
}

fn party_value(db: &Db, p: &Party, field: &str) -> Vec<Cand> {
    let name = match p.kind {
        PartyKind::Organisation => p.name.clone(),
        PartyKind::Person => Some(
            [&p.first_name, &p.last_name]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };
    let org = p.organisation.and_then(|o| db.parties.get(&o));
    match field {
        "id" => n(Some(p.id)),
        "name" => s(&name),
        "jobTitle" => s(&p.job_title),
        "email" => p
            .emails
            .iter()
            .map(|e| Cand::S(e.address.clone()))
            .collect(),
        "phone" => p.phones.iter().map(|e| Cand::S(e.number.clone())).collect(),
        "city" => p.addresses.iter().flat_map(|a| s(&a.city)).collect(),
        "zip" => p.addresses.iter().flat_map(|a| s(&a.zip)).collect(),
        "state" => p.addresses.iter().flat_map(|a| s(&a.state)).collect(),
        "country" => p.addresses.iter().flat_map(|a| s(&a.country)).collect(),
        "type" => vec![Cand::S(p.kind.as_str().into())],
        "tag" => tags(&db.party_tags, &p.tags),
        "owner" => n(p.owner),
        "hasEmailAddress" => vec![Cand::B(!p.emails.is_empty())],
        "hasPhoneNumber" => vec![Cand::B(!p.phones.is_empty())],
        "hasAddress" => vec![Cand::B(!p.addresses.is_empty())],
        "hasTags" => vec![Cand::B(!p.tags.is_empty())],
        "hasPeople" => vec![Cand::B(
            db.parties.values().any(|x| x.organisation == Some(p.id)),
        )],
        "addedOn" => d(Some(p.created_at.date_naive())),
        "updatedOn" => d(Some(p.updated_at.date_naive())),
        "lastContactedOn" => d(p.last_contacted_at.map(|t| t.date_naive())),
        "org.name" => org.map(|o| s(&o.name)).unwrap_or_default(),
        "org.tag" => org
            .map(|o| tags(&db.party_tags, &o.tags))
            .unwrap_or_default(),
        f if f.starts_with("org.custom:") => org.map(|o| custom(&o.fields, f)).unwrap_or_default(),
        f if f.starts_with("custom:") => custom(&p.fields, f),
        _ => Vec::new(),
    }
}

fn opportunity_value(db: &Db, o: &Opportunity, field: &str, caller: u64) -> Vec<Cand> {
    let ms = db.milestones.get(&o.milestone);
    match field {
        "id" => n(Some(o.id)),
        "name" => vec![Cand::S(o.name.clone())],
        "status" => vec![Cand::S(
            match (o.closed_on, ms.is_some_and(|m| m.is_lost())) {
                (None, _) => "OPEN",
                (Some(_), true) => "LOST",
                (Some(_), false) => "WON",
            }
            .into(),
        )],
        "pipeline" => ms
            .map(|m| {
                let mut v = vec![Cand::N(m.pipeline as f64)];
                if let Some(p) = db.pipelines.get(&m.pipeline) {
                    v.push(Cand::S(p.name.clone()));
                }
                v
            })
            .unwrap_or_default(),
        "milestone" => ms
            .map(|m| vec![Cand::S(m.name.clone())])
            .unwrap_or_default(),
        "probability" => vec![Cand::N(f64::from(o.probability))],
        "currency" => s(&o.currency),
        "tag" => tags(&db.opp_tags, &o.tags),
        "owner" => n(o.owner),
        "isOpen" => vec![Cand::B(o.closed_on.is_none())],
        "isOwnedByMe" => vec![Cand::B(o.owner == Some(caller))],
        "hasTags" => vec![Cand::B(!o.tags.is_empty())],
        "addedOn" => d(Some(o.created_at.date_naive())),
        "updatedOn" => d(Some(o.updated_at.date_naive())),
        "closedOn" => d(o.closed_on),
        "expectedCloseOn" => d(o.expected_close_on),
        f if f.starts_with("custom:") => custom(&o.fields, f),
        _ => Vec::new(),
    }
}

fn kase_value(db: &Db, k: &Kase, field: &str, caller: u64) -> Vec<Cand> {
    let stage = k.stage.and_then(|s| db.kases.stages.get(&s));
    match field {
        "id" => n(Some(k.id)),
        "name" => vec![Cand::S(k.name.clone())],
        "status" => vec![Cand::S(k.status.into())],
        "stage" => stage
            .map(|s| vec![Cand::N(s.id as f64), Cand::S(s.name.clone())])
            .unwrap_or_default(),
        "board" => stage
            .and_then(|s| db.kases.boards.get(&s.board))
            .map(|b| vec![Cand::N(b.id as f64), Cand::S(b.name.clone())])
            .unwrap_or_default(),
        "tag" => tags(&db.kases.tags, &k.tags),
        "owner" => n(k.owner),
        "team" => n(k.team),
        "isOpen" => vec![Cand::B(k.status == "OPEN")],
        "isOwnedByMe" => vec![Cand::B(k.owner == Some(caller))],
        "hasTags" => vec![Cand::B(!k.tags.is_empty())],
        "addedOn" => d(Some(k.created_at.date_naive())),
        "updatedOn" => d(Some(k.updated_at.date_naive())),
        "closedOn" => d(k.closed_on),
        "expectedCloseOn" => d(k.expected_close_on),
        f if f.starts_with("custom:") => custom(&k.fields, f),
        _ => Vec::new(),
    }
}

/// Sort key for an honoured `orderBy`: the first candidate as text or number.
fn sort_key(c: &[Cand]) -> (f64, String, Option<NaiveDate>) {
    match c.first() {
        Some(Cand::N(n)) => (*n, String::new(), None),
        Some(Cand::S(s)) => (0.0, s.to_lowercase(), None),
        Some(Cand::D(d)) => (0.0, String::new(), Some(*d)),
        Some(Cand::B(b)) => (f64::from(u8::from(*b)), String::new(), None),
        None => (f64::MIN, String::new(), None),
    }
}

#[allow(clippy::too_many_arguments)]
fn results<T>(
    app: &App,
    uri: &Uri,
    body: &[u8],
    entity: Entity,
    key: &str,
    records: impl Fn(&Db) -> Vec<&T>,
    value: impl Fn(&Db, &T, &str) -> Vec<Cand>,
    render: impl Fn(&Db, &T, Embed) -> Value,
) -> ApiResult {
    let (conditions, order) = parse_filter(body, entity)?;
    let (q, paging) = paging(uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let today = db.now().date_naive();
    let mut hits: Vec<&T> = records(&db)
        .into_iter()
        .filter(|r| {
            conditions
                .iter()
                .all(|c| matches(&value(&db, r, &c.field), c, today))
        })
        .collect();
    if db.kases.honour_order_by {
        for (field, desc) in order.iter().rev() {
            hits.sort_by(|a, b| {
                let (ka, kb) = (
                    sort_key(&value(&db, a, field)),
                    sort_key(&value(&db, b, field)),
                );
                let o = ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal);
                if *desc { o.reverse() } else { o }
            });
        }
    }
    page_of(app, uri, &q, paging, key, hits.into_iter(), |r| {
        render(&db, r, embed)
    })
}

pub(crate) async fn party_filter_results(
    State(app): State<Shared>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    results(
        &app,
        &uri,
        &body,
        Entity::Parties,
        "parties",
        |db| db.parties.values().collect(),
        party_value,
        |db, p, e| db.render_party(p, e),
    )
}

pub(crate) async fn opportunity_filter_results(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    results(
        &app,
        &uri,
        &body,
        Entity::Opportunities,
        "opportunities",
        |db| db.opportunities.values().collect(),
        |db, o, f| opportunity_value(db, o, f, caller.user),
        |db, o, e| db.render_opportunity(o, e),
    )
}

pub(crate) async fn kase_filter_results(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    results(
        &app,
        &uri,
        &body,
        Entity::Kases,
        "kases",
        |db| db.kases.kases.values().collect(),
        |db, k, f| kase_value(db, k, f, caller.user),
        |db, k, e| db.render_kase(k, e),
    )
}
