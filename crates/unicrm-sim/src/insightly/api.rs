//! Request handling of the Insightly simulator: authentication, rate limits, routing and the
//! endpoints of the vendor doc §8, with the semantics of §9 and the errors of §10.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::limits::{Limiter, Verdict};
use super::schema::{Kind, OPP_STATES, Ty, coerce, parse_dt, value_matches};
use super::store::{Db, LinkView, Ordered, Rec, RecView};

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Fixed settings plus the live state of one simulated instance.
#[derive(Debug)]
pub(crate) struct Sim {
    pub(crate) pod: String,
    pub(crate) keys: HashMap<String, (u64, String)>,
    pub(crate) create_status: StatusCode,
    pub(crate) delete_status: StatusCode,
    pub(crate) wrong_pod_status: StatusCode,
    pub(crate) leads_enabled: AtomicBool,
    pub(crate) db: RwLock<Db>,
    pub(crate) limiter: Mutex<Limiter>,
    /// The instance's clock (shared with the store and the fault layer).
    pub(crate) clock: crate::clock::SimClock,
}

impl Sim {
    fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An error answer: status and `Message`.
#[derive(Debug)]
pub(crate) struct ApiErr(StatusCode, String);

fn bad(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::NOT_FOUND, msg.into())
}

fn no_route(path: &str) -> ApiErr {
    not_found(format!(
        "No HTTP resource was found that matches the request URI '{path}'."
    ))
}

fn method_not_allowed(m: &Method) -> ApiErr {
    ApiErr(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The requested resource does not support http method '{m}'."),
    )
}

/// A successful answer before headers are added.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    total: Option<usize>,
}

type Res = Result<Reply, ApiErr>;

fn ok_json<T: Serialize + ?Sized>(v: &T) -> Res {
    Ok(Reply {
        status: StatusCode::OK,
        body: serde_json::to_vec(v).unwrap_or_default(),
        total: None,
    })
}

fn empty(status: StatusCode) -> Res {
    Ok(Reply {
        status,
        body: Vec::new(),
        total: None,
    })
}

/// One request, parsed.
struct Ctx {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    body: Bytes,
    user: u64,
    if_match: Option<String>,
}

impl Ctx {
    fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    fn flag(&self, key: &str) -> bool {
        self.q(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    fn json_object(&self) -> Result<Map<String, Value>, ApiErr> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("The request body is empty; a JSON object is required."));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k.to_uppercase(), v)).collect()),
            Ok(_) => Err(bad("The request body must be a JSON object.")),
            Err(e) => Err(bad(format!("The request body is not valid JSON: {e}"))),
        }
    }

    fn only(&self, allowed: &[Method]) -> Result<(), ApiErr> {
        if allowed.contains(&self.method) {
            Ok(())
        } else {
            Err(method_not_allowed(&self.method))
        }
    }
}

/// Strong ETag of a body: FNV-1a 64.
pub(crate) fn etag(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

fn error_response(status: StatusCode, msg: &str) -> (StatusCode, Vec<u8>) {
    (
        status,
        serde_json::to_vec(&json!({ "Message": msg })).unwrap_or_default(),
    )
}

/// The single axum handler: limits, auth, routing, then headers and compression.
pub(crate) async fn handle(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (verdict, limit, remaining) = {
        let now = sim.clock.now();
        let mut l = sim.limiter();
        let v = l.check(now);
        (v, l.quota(), l.remaining())
    };
    let mut extra: Vec<(header::HeaderName, HeaderValue)> = Vec::new();
    let (status, bytes, total) = match verdict {
        Verdict::Burst | Verdict::Daily(_) => {
            let secs = if let Verdict::Daily(s) = verdict {
                s
            } else {
                1
            };
            extra.push((header::RETRY_AFTER, HeaderValue::from(secs)));
            let (s, b) = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "API rate limit exceeded. Try again later.",
            );
            (s, b, None)
        }
        Verdict::Pass => match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => {
                let (s, b) = error_response(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.",
                );
                (s, b, None)
            }
            Ok(body) => match dispatch(&sim, &parts.method, &parts.uri, &parts.headers, body) {
                Ok(r) => (r.status, r.body, r.total),
                Err(ApiErr(s, m)) => {
                    let (s, b) = error_response(s, &m);
                    (s, b, None)
                }
            },
        },
    };
    finish(
        &parts.headers,
        status,
        bytes,
        total,
        limit,
        remaining,
        extra,
    )
}

fn finish(
    req_headers: &HeaderMap,
    status: StatusCode,
    bytes: Vec<u8>,
    total: Option<usize>,
    limit: u32,
    remaining: u32,
    extra: Vec<(header::HeaderName, HeaderValue)>,
) -> Response {
    let mut resp = Response::builder().status(status);
    let h = resp.headers_mut();
    if let Some(h) = h {
        h.insert("X-RateLimit-Limit", HeaderValue::from(limit));
        h.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
        if let Some(t) = total {
            h.insert("X-Total-Count", HeaderValue::from(t));
        }
        for (k, v) in extra {
            h.insert(k, v);
        }
        if status.is_success() && !bytes.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&etag(&bytes)) {
                h.insert(header::ETAG, v);
            }
        }
        if !bytes.is_empty() {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
    }
    let accept = req_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let wants = |enc: &str| {
        accept
            .split(',')
            .map(|p| p.split(';').next().unwrap_or("").trim())
            .any(|p| p == enc)
    };
    let mut body = bytes;
    if !body.is_empty() {
        if wants("gzip") {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&body).is_ok() {
                if let Ok(z) = enc.finish() {
                    body = z;
                    resp = resp.header(header::CONTENT_ENCODING, "gzip");
                }
            }
        } else if wants("deflate") {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&body).is_ok() {
                if let Ok(z) = enc.finish() {
                    body = z;
                    resp = resp.header(header::CONTENT_ENCODING, "deflate");
                }
            }
        }
        resp = resp.header(header::VARY, "Accept-Encoding");
    }
    resp.body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Resolves the Basic credentials to a user, or the 401 / wrong-pod answer.
fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<u64, ApiErr> {
    let denied = || {
        ApiErr(
            StatusCode::UNAUTHORIZED,
            "Authorization has been denied for this request.".into(),
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(denied)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(denied)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(denied());
    }
    let encoded = encoded.trim();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded.trim_end_matches('='))
        })
        .map_err(|_| denied())?;
    let text = String::from_utf8(raw).map_err(|_| denied())?;
    let key = text
        .split_once(':')
        .map_or(text.as_str(), |(k, _)| k)
        .trim();
    let (user, pod) = sim.keys.get(key).ok_or_else(denied)?;
    if !pod.eq_ignore_ascii_case(&sim.pod) {
        let msg = if sim.wrong_pod_status == StatusCode::UNAUTHORIZED {
            "Authorization has been denied for this request."
        } else {
            "Not found."
        };
        return Err(ApiErr(sim.wrong_pod_status, msg.into()));
    }
    Ok(*user)
}

fn dispatch(sim: &Sim, method: &Method, uri: &http::Uri, headers: &HeaderMap, body: Bytes) -> Res {
    let user = authenticate(sim, headers)?;
    let path = uri.path().to_string();
    let rest = match path.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("/v3.1/") => &path[6..],
        _ => return Err(no_route(&path)),
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
            .collect();
    let ctx = Ctx {
        method: method.clone(),
        path: path.clone(),
        query,
        body,
        user,
        if_match: headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let Some(first) = segs.first() else {
        return Err(no_route(&path));
    };
    let first = first.to_lowercase();
    let leads_on = sim.leads_enabled.load(Ordering::Relaxed);
    let touches_leads = first == "leads"
        || first == "leadstatuses"
        || first == "leadsources"
        || ((first == "customfields" || first == "tags")
            && segs.get(1).is_some_and(|s| s.eq_ignore_ascii_case("leads")));
    if touches_leads && !leads_on {
        return Err(ApiErr(
            StatusCode::FORBIDDEN,
            "No Access to Data: Leads are not enabled for this user.".into(),
        ));
    }
    let rest: Vec<&str> = segs[1..].iter().map(String::as_str).collect();
    match first.as_str() {
        "users" => users(sim, &ctx, &rest),
        "customfields" => custom_fields(sim, &ctx, &rest),
        "tags" => tag_names(sim, &ctx, &rest),
        "instance" => {
            ctx.only(&[Method::GET])?;
            if !rest.is_empty() {
                return Err(no_route(&ctx.path));
            }
            ok_json(&Ordered(vec![
                ("INSTANCE_NAME", "unicrm simulator".into()),
                ("PLAN", "Enterprise".into()),
                ("POD", sim.pod.clone().into()),
                ("LATEST_VERSION", true.into()),
            ]))
        }
        _ => {
            if let Some(kind) = Kind::from_path(&first) {
                return object(sim, &ctx, kind, &rest);
            }
            if sim.read().reference(&first).is_some() {
                return reference(sim, &ctx, &first, &rest);
            }
            Err(no_route(&ctx.path))
        }
    }
}

/// `skip` / `top` / `brief` / `count_total`.
struct Page {
    skip: usize,
    top: usize,
    brief: bool,
    count_total: bool,
}

fn page(ctx: &Ctx) -> Result<Page, ApiErr> {
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

fn paged<'a, T: 'a, I: Iterator<Item = T>>(items: I, p: &Page) -> (Vec<T>, Option<usize>) {
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

fn list_reply<T: Serialize>(items: &[T], total: Option<usize>) -> Res {
    let mut r = ok_json(items)?;
    r.total = total;
    Ok(r)
}

type Filter<'a> = Box<dyn Fn(&Rec) -> bool + 'a>;

/// The `/Search` filter of §5 for a record kind.
fn search_filter<'a>(db: &'a Db, kind: Kind, ctx: &'a Ctx) -> Result<Filter<'a>, ApiErr> {
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
            .map(|t| t.format(super::schema::DT_FORMAT).to_string());
        if let Some(cursor) = cursor {
            let i = kind.schema().at("DATE_UPDATED_UTC");
            filters.push(Box::new(move |r: &Rec| {
                r.vals[i].as_str().is_some_and(|u| u > cursor.as_str())
            }));
        }
    }
    Ok(Box::new(move |r: &Rec| filters.iter().all(|f| f(r))))
}

fn list_records(db: &Db, kind: Kind, ctx: &Ctx, filter: &dyn Fn(&Rec) -> bool) -> Res {
    let p = page(ctx)?;
    let rows = db.table(kind).rows.iter().filter(|(_, r)| filter(r));
    let (items, total) = paged(rows, &p);
    views_reply(db, kind, &p, items, total)
}

/// A `/Search` or `/SearchByTag` listing: like [`list_records`], over what the search index
/// holds now (with a search lag, a recent write is not searchable yet; see
/// [`Db::search_view`]). `X-Total-Count` counts the same records.
fn search_records(db: &Db, kind: Kind, ctx: &Ctx, filter: &dyn Fn(&Rec) -> bool) -> Res {
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

fn parse_id(s: &str, ctx: &Ctx) -> Result<u64, ApiErr> {
    s.parse::<u64>().map_err(|_| no_route(&ctx.path))
}

fn record_view(db: &Db, kind: Kind, id: u64) -> Res {
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

fn object(sim: &Sim, ctx: &Ctx, kind: Kind, rest: &[&str]) -> Res {
    let lower: Vec<String> = rest.iter().map(|s| s.to_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [] => match ctx.method {
            Method::GET => {
                let db = sim.read();
                list_records(&db, kind, ctx, &|_| true)
            }
            Method::POST if kind != Kind::Note => {
                let body = ctx.json_object()?;
                let mut db = sim.write();
                let id = create(&mut db, kind, ctx, &body)?;
                let mut r = record_view(&db, kind, id)?;
                r.status = sim.create_status;
                Ok(r)
            }
            Method::PUT => {
                let body = ctx.json_object()?;
                let mut db = sim.write();
                let id = update(&mut db, kind, ctx, &body)?;
                record_view(&db, kind, id)
            }
            _ => Err(method_not_allowed(&ctx.method)),
        },
        ["search"] => {
            ctx.only(&[Method::GET])?;
            let db = sim.read();
            let f = search_filter(&db, kind, ctx)?;
            search_records(&db, kind, ctx, &*f)
        }
        ["searchbytag"] if kind.schema().tags => {
            ctx.only(&[Method::GET])?;
            let tag = ctx
                .q("tagname")
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| bad("tagName is required."))?
                .to_string();
            let db = sim.read();
            search_records(&db, kind, ctx, &|r: &Rec| r.has_tag(&tag))
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            match ctx.method {
                Method::GET => record_view(&sim.read(), kind, id),
                Method::DELETE => {
                    let mut db = sim.write();
                    delete(&mut db, kind, id)?;
                    empty(sim.delete_status)
                }
                _ => Err(method_not_allowed(&ctx.method)),
            }
        }
        [id, "tags"] if kind.schema().tags => tags(sim, ctx, kind, parse_id(id, ctx)?),
        [id, "links"] => links(sim, ctx, kind, parse_id(id, ctx)?, None),
        [id, "links", link] => links(
            sim,
            ctx,
            kind,
            parse_id(id, ctx)?,
            Some(parse_id(link, ctx)?),
        ),
        [id, "notes"] if kind.has_notes() => notes(sim, ctx, kind, parse_id(id, ctx)?),
        [id, "tasks"] if kind != Kind::Task && kind != Kind::Note => {
            ctx.only(&[Method::GET])?;
            let id = parse_id(id, ctx)?;
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(not_found(format!(
                    "{} with ID {id} was not found.",
                    kind.singular()
                )));
            }
            let ids = db.linked(kind, id, Kind::Task);
            let p = page(ctx)?;
            let table = &db.table(Kind::Task).rows;
            let (items, total) =
                paged(ids.iter().filter_map(|t| table.get(t).map(|r| (*t, r))), &p);
            let views: Vec<RecView> = items
                .into_iter()
                .map(|(id, rec)| RecView {
                    db: &db,
                    kind: Kind::Task,
                    id,
                    rec,
                    brief: p.brief,
                })
                .collect();
            list_reply(&views, total)
        }
        [id, op]
            if kind == Kind::Opportunity
                && matches!(*op, "statechange" | "pipeline" | "pipelinestage") =>
        {
            opportunity_op(sim, ctx, parse_id(id, ctx)?, op)
        }
        _ => Err(no_route(&ctx.path)),
    }
}

fn users(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    let lower: Vec<String> = rest.iter().map(|s| s.to_lowercase()).collect();
    match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            let p = page(ctx)?;
            let (items, total) = paged(db.users.iter(), &p);
            list_reply(&items, total)
        }
        ["me"] => db
            .users
            .iter()
            .find(|u| u.id("USER_ID") == Some(ctx.user))
            .map_or_else(|| Err(not_found("User not found.")), ok_json),
        ["search"] => {
            let p = page(ctx)?;
            let name = ctx.q("field_name");
            let value = ctx.q("field_value");
            if name.is_some() != value.is_some() {
                return Err(bad("field_name and field_value must be given together."));
            }
            if let Some(n) = name {
                if db.users.first().is_none_or(|u| u.get(n).is_none()) {
                    return Err(bad(format!("The field name '{n}' is not valid.")));
                }
            }
            let after = match ctx.q("updated_after_utc").filter(|s| !s.trim().is_empty()) {
                Some(a) => parse_dt(a)
                    .map_err(|_| {
                        bad(format!(
                            "The value '{a}' of 'updated_after_utc' is not a valid date."
                        ))
                    })?
                    .map(|t| t.format(super::schema::DT_FORMAT).to_string()),
                None => None,
            };
            let rows = db.users.iter().filter(|u| {
                let field_ok = match (name, value) {
                    (Some(n), Some(v)) => u.get(n).is_some_and(|x| value_matches(x, v)),
                    _ => true,
                };
                let after_ok = after.as_ref().is_none_or(|a| {
                    u.get("DATE_UPDATED_UTC")
                        .and_then(Value::as_str)
                        .is_some_and(|x| x > a.as_str())
                });
                field_ok && after_ok
            });
            let (items, total) = paged(rows, &p);
            list_reply(&items, total)
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            db.users
                .iter()
                .find(|u| u.id("USER_ID") == Some(id))
                .map_or_else(
                    || Err(not_found(format!("User with ID {id} was not found."))),
                    ok_json,
                )
        }
        _ => Err(no_route(&ctx.path)),
    }
}

fn reference(sim: &Sim, ctx: &Ctx, name: &str, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    let Some(table) = db.reference(name) else {
        return Err(no_route(&ctx.path));
    };
    match rest {
        [] => {
            let p = page(ctx)?;
            let (items, total) = paged(table.rows.iter(), &p);
            list_reply(&items, total)
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            table
                .rows
                .iter()
                .find(|r| r.id(table.id_key) == Some(id))
                .map_or_else(
                    || Err(not_found(format!("Record with ID {id} was not found."))),
                    ok_json,
                )
        }
        _ => Err(no_route(&ctx.path)),
    }
}

fn custom_fields(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    match rest {
        [] => {
            let all: Vec<Ordered> = super::schema::KINDS
                .iter()
                .flat_map(|k| db.defs(*k).iter().map(|d| d.to_json(*k)))
                .collect();
            ok_json(&all)
        }
        [obj] | [obj, _] => {
            let kind = Kind::from_path(obj).ok_or_else(|| no_route(&ctx.path))?;
            let search = match rest.get(1) {
                None => None,
                Some(s) if s.eq_ignore_ascii_case("search") => {
                    Some(ctx.q("field_name").unwrap_or(""))
                }
                Some(_) => return Err(no_route(&ctx.path)),
            };
            let defs: Vec<Ordered> = db
                .defs(kind)
                .iter()
                .filter(|d| search.is_none_or(|n| d.name.eq_ignore_ascii_case(n)))
                .map(|d| d.to_json(kind))
                .collect();
            ok_json(&defs)
        }
        _ => Err(no_route(&ctx.path)),
    }
}

fn tag_names(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let [obj] = rest else {
        return Err(no_route(&ctx.path));
    };
    let kind = Kind::from_path(obj)
        .filter(|k| k.schema().tags)
        .ok_or_else(|| no_route(&ctx.path))?;
    let db = sim.read();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for r in db.table(kind).rows.values() {
        for t in &r.tags {
            names.entry(t.to_lowercase()).or_insert(t.as_str());
        }
    }
    let out: Vec<Value> = names.values().map(|t| json!({ "TAG_NAME": t })).collect();
    ok_json(&out)
}

/// Applies the writable scalar fields of `body` to `rec`.
fn apply_scalars(kind: Kind, rec: &mut Rec, body: &Map<String, Value>) -> Result<(), ApiErr> {
    for (i, f) in kind.schema().fields.iter().enumerate() {
        if f.ro {
            continue;
        }
        if let Some(v) = body.get(f.name) {
            rec.vals[i] = coerce(f.name, f.ty, v).map_err(bad)?;
        }
    }
    Ok(())
}

fn require_fk(ok: bool, field: &str, id: u64) -> Result<(), ApiErr> {
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "The value {id} of {field} does not reference an existing record."
        )))
    }
}

/// Required fields, foreign keys, defaults and computed fields (§9, §11, §13).
fn finalize(
    db: &Db,
    kind: Kind,
    rec: &mut Rec,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiErr> {
    let k = kind;
    let required = |names: &[&str], msg: &str| -> Result<(), ApiErr> {
        if names.iter().any(|n| rec.str(k, n).is_some()) {
            Ok(())
        } else {
            Err(bad(msg.to_string()))
        }
    };
    match k {
        Kind::Contact => required(
            &["FIRST_NAME", "LAST_NAME"],
            "Validation failed: FIRST_NAME or LAST_NAME is required.",
        )?,
        Kind::Organisation => required(
            &["ORGANISATION_NAME"],
            "Validation failed: ORGANISATION_NAME is required.",
        )?,
        Kind::Opportunity => required(
            &["OPPORTUNITY_NAME"],
            "Validation failed: OPPORTUNITY_NAME is required.",
        )?,
        Kind::Lead => required(&["LAST_NAME"], "Validation failed: LAST_NAME is required.")?,
        Kind::Task | Kind::Note => required(&["TITLE"], "Validation failed: TITLE is required.")?,
    }
    if let Some(name) = rec.str(k, "ORGANISATION_NAME") {
        if name.chars().count() > 255 {
            return Err(bad("ORGANISATION_NAME is longer than 255 characters."));
        }
    }
    for field in [
        "OWNER_USER_ID",
        "RESPONSIBLE_USER_ID",
        "ASSIGNED_BY_USER_ID",
    ] {
        if let Some(u) = rec.int(k, field) {
            require_fk(db.user_ids.contains(&u), field, u)?;
        } else if !rec.get(k, field).is_null() {
            return Err(bad(format!("The value of {field} is not valid.")));
        }
    }
    let fk = |field: &str, check: &dyn Fn(u64) -> bool| -> Result<(), ApiErr> {
        match rec.get(k, field) {
            Value::Null => Ok(()),
            v => match v.as_u64() {
                Some(id) => require_fk(check(id), field, id),
                None => Err(bad(format!("The value of {field} is not valid."))),
            },
        }
    };
    if k != Kind::Organisation {
        fk("ORGANISATION_ID", &|id| db.exists(Kind::Organisation, id))?;
    }
    match k {
        Kind::Opportunity => {
            fk("CATEGORY_ID", &|id| {
                db.ref_exists("OpportunityCategories", id)
            })?;
            fk("PIPELINE_ID", &|id| db.ref_exists("Pipelines", id))?;
            fk("STAGE_ID", &|id| db.stage_pipeline.contains_key(&id))?;
            match (rec.int(k, "PIPELINE_ID"), rec.int(k, "STAGE_ID")) {
                (Some(p), Some(s)) if db.stage_pipeline.get(&s) != Some(&p) => {
                    return Err(bad(format!(
                        "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                    )));
                }
                (None, Some(s)) => {
                    return Err(bad(format!("STAGE_ID {s} requires a PIPELINE_ID.")));
                }
                _ => {}
            }
            if let Some(p) = rec.get(k, "PROBABILITY").as_i64() {
                if !(0..=100).contains(&p) {
                    return Err(bad("PROBABILITY must be between 0 and 100."));
                }
            }
            if rec.get(k, "OPPORTUNITY_STATE").is_null() {
                rec.set(k, "OPPORTUNITY_STATE", "OPEN");
            }
            if creating && rec.get(k, "BID_CURRENCY").is_null() {
                rec.set(k, "BID_CURRENCY", "GBP");
            }
            if creating && rec.get(k, "BID_TYPE").is_null() {
                rec.set(k, "BID_TYPE", "Fixed Bid");
            }
            let amount = rec.get(k, "BID_AMOUNT").as_f64();
            let duration = rec.get(k, "BID_DURATION").as_i64();
            let fixed = rec
                .str(k, "BID_TYPE")
                .is_none_or(|t| t.eq_ignore_ascii_case("Fixed Bid"));
            let value = match (amount, duration, fixed) {
                (Some(a), Some(d), false) => {
                    serde_json::Number::from_f64(a * d as f64).map(Value::Number)
                }
                (Some(_), _, _) => Some(rec.get(k, "BID_AMOUNT").clone()),
                (None, _, _) => None,
            };
            rec.set(k, "OPPORTUNITY_VALUE", value.unwrap_or(Value::Null));
            let state = rec
                .str(k, "OPPORTUNITY_STATE")
                .unwrap_or("OPEN")
                .to_string();
            if (state == "WON" || state == "LOST") && rec.get(k, "ACTUAL_CLOSE_DATE").is_null() {
                rec.set(k, "ACTUAL_CLOSE_DATE", db.today_str());
            }
        }
        Kind::Task => {
            fk("CATEGORY_ID", &|id| db.ref_exists("TaskCategories", id))?;
            fk("OPPORTUNITY_ID", &|id| db.exists(Kind::Opportunity, id))?;
            fk("PARENT_TASK_ID", &|id| db.exists(Kind::Task, id))?;
            for (field, max) in [("PERCENT_COMPLETE", 100), ("PRIORITY", 3)] {
                if let Some(p) = rec.get(k, field).as_i64() {
                    if !(0..=max).contains(&p) {
                        return Err(bad(format!("{field} must be between 0 and {max}.")));
                    }
                }
            }
            if creating {
                if rec.get(k, "PRIORITY").is_null() {
                    rec.set(k, "PRIORITY", 2);
                }
                if rec.get(k, "PERCENT_COMPLETE").is_null() {
                    rec.set(k, "PERCENT_COMPLETE", 0);
                }
                for f in ["OWNER_VISIBLE", "PUBLICLY_VISIBLE"] {
                    if rec.get(k, f).is_null() {
                        rec.set(k, f, true);
                    }
                }
                rec.set(k, "REMINDER_SENT", false);
            }
            let status_given = body.contains_key("STATUS") && !rec.get(k, "STATUS").is_null();
            let completed_given =
                body.contains_key("COMPLETED") && !rec.get(k, "COMPLETED").is_null();
            if status_given {
                let done = rec.str(k, "STATUS") == Some("COMPLETED");
                rec.set(k, "COMPLETED", done);
            } else if completed_given {
                let done = rec.get(k, "COMPLETED").as_bool() == Some(true);
                if done {
                    rec.set(k, "STATUS", "COMPLETED");
                } else if rec.str(k, "STATUS") == Some("COMPLETED")
                    || rec.get(k, "STATUS").is_null()
                {
                    rec.set(k, "STATUS", "NOT STARTED");
                }
            }
            if rec.get(k, "STATUS").is_null() {
                rec.set(k, "STATUS", "NOT STARTED");
            }
            let done = rec.str(k, "STATUS") == Some("COMPLETED");
            rec.set(k, "COMPLETED", done);
            if done {
                if rec.get(k, "COMPLETED_DATE_UTC").is_null() {
                    rec.set(k, "COMPLETED_DATE_UTC", db.now_str());
                }
                if status_given || completed_given {
                    rec.set(k, "PERCENT_COMPLETE", 100);
                }
            } else if status_given || completed_given {
                rec.set(k, "COMPLETED_DATE_UTC", Value::Null);
            }
        }
        Kind::Lead => {
            fk("LEAD_STATUS_ID", &|id| db.ref_exists("LeadStatuses", id))?;
            fk("LEAD_SOURCE_ID", &|id| db.ref_exists("LeadSources", id))?;
            if creating {
                if rec.get(k, "LEAD_STATUS_ID").is_null() {
                    rec.set(k, "LEAD_STATUS_ID", 81);
                }
                rec.set(k, "CONVERTED", false);
                if rec.get(k, "EMAIL_OPTED_OUT").is_null() {
                    rec.set(k, "EMAIL_OPTED_OUT", false);
                }
            }
            if let Some(r) = rec.get(k, "LEAD_RATING").as_i64() {
                if !(0..=5).contains(&r) {
                    return Err(bad("LEAD_RATING must be between 0 and 5."));
                }
            }
        }
        Kind::Contact => {
            if creating && rec.get(k, "EMAIL_OPTED_OUT").is_null() {
                rec.set(k, "EMAIL_OPTED_OUT", false);
            }
        }
        Kind::Organisation | Kind::Note => {}
    }
    Ok(())
}

fn parse_tags(v: &Value) -> Result<Vec<String>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("TAGS must be an array of {\"TAG_NAME\": ...}.")),
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let name = match item {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("TAG_NAME"))
                .and_then(|(_, v)| v.as_str())
                .ok_or_else(|| bad("Each tag needs a TAG_NAME string."))?,
            _ => return Err(bad("TAGS must be an array of {\"TAG_NAME\": ...}.")),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("TAG_NAME must not be empty."));
        }
        if !out.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

fn obj_get<'a>(o: &'a Map<String, Value>, key: &str) -> &'a Value {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(&Value::Null, |(_, v)| v)
}

/// Parses `CUSTOMFIELDS`; a `None` value clears the field.
fn parse_custom(db: &Db, kind: Kind, v: &Value) -> Result<Vec<(String, Option<Value>)>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("CUSTOMFIELDS must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad(
                "Each custom field must be an object with FIELD_NAME and FIELD_VALUE.",
            ));
        };
        let name = obj_get(o, "FIELD_NAME")
            .as_str()
            .ok_or_else(|| bad("FIELD_NAME is required."))?;
        let def = db
            .defs(kind)
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                bad(format!(
                    "The custom field '{name}' does not exist for {}.",
                    kind.path()
                ))
            })?;
        let raw = obj_get(o, "FIELD_VALUE");
        if raw.is_null() {
            out.push((def.name.clone(), None));
            continue;
        }
        let invalid = || {
            bad(format!(
                "The value of custom field {} is not a valid {}.",
                def.name, def.ty
            ))
        };
        let option = |s: &str| {
            def.options
                .iter()
                .find(|(_, o)| o.to_lowercase() == s.trim().to_lowercase())
                .map(|(_, o)| o.clone())
        };
        let value = match def.ty {
            "NUMERIC" | "CURRENCY" | "PERCENT" => match raw {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => raw.clone(),
                Value::String(s) => serde_json::from_str::<Value>(s.trim())
                    .ok()
                    .filter(|v| v.as_f64().is_some_and(f64::is_finite))
                    .ok_or_else(invalid)?,
                _ => return Err(invalid()),
            },
            "BIT" => match raw {
                Value::Bool(_) => raw.clone(),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
                _ => return Err(invalid()),
            },
            "DATE" => coerce(&def.name, Ty::Date, raw).map_err(bad)?,
            "DATETIME" => coerce(&def.name, Ty::Dt, raw).map_err(bad)?,
            "DROPDOWN" => Value::String(raw.as_str().and_then(option).ok_or_else(invalid)?),
            "MULTISELECT" => {
                let parts: Vec<String> = match raw {
                    Value::String(s) => s
                        .split(';')
                        .filter(|p| !p.trim().is_empty())
                        .map(str::to_string)
                        .collect(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string).ok_or_else(invalid))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(invalid()),
                };
                let canon: Vec<String> = parts
                    .iter()
                    .map(|p| option(p).ok_or_else(invalid))
                    .collect::<Result<_, _>>()?;
                Value::String(canon.join(";"))
            }
            _ => match raw {
                Value::String(_) => raw.clone(),
                _ => return Err(invalid()),
            },
        };
        out.push((
            def.name.clone(),
            if value.is_null() { None } else { Some(value) },
        ));
    }
    Ok(out)
}

fn merge_custom(rec: &mut Rec, items: Vec<(String, Option<Value>)>) {
    for (name, value) in items {
        match value {
            None => rec.custom.retain(|(k, _)| *k != name),
            Some(v) => match rec.custom.iter_mut().find(|(k, _)| *k == name) {
                Some(slot) => slot.1 = v,
                None => rec.custom.push((name, v)),
            },
        }
    }
}

fn parse_dates(db: &mut Db, v: &Value) -> Result<Vec<Value>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("DATES must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad("Each date must be an object."));
        };
        let name = coerce("OCCASION_NAME", Ty::Str, obj_get(o, "OCCASION_NAME")).map_err(bad)?;
        let date = coerce("OCCASION_DATE", Ty::Date, obj_get(o, "OCCASION_DATE")).map_err(bad)?;
        if date.is_null() {
            return Err(bad("OCCASION_DATE is required."));
        }
        let repeat = coerce("REPEAT_YEARLY", Ty::Bool, obj_get(o, "REPEAT_YEARLY")).map_err(bad)?;
        let task = coerce(
            "CREATE_TASK_YEARLY",
            Ty::Bool,
            obj_get(o, "CREATE_TASK_YEARLY"),
        )
        .map_err(bad)?;
        let id = obj_get(o, "DATE_ID")
            .as_u64()
            .unwrap_or_else(|| db.next_sub());
        out.push(json!({
            "DATE_ID": id,
            "OCCASION_NAME": name,
            "OCCASION_DATE": date,
            "REPEAT_YEARLY": if repeat.is_null() { Value::Bool(false) } else { repeat },
            "CREATE_TASK_YEARLY": if task.is_null() { Value::Bool(false) } else { task },
        }));
    }
    Ok(out)
}

fn parse_domains(db: &mut Db, v: &Value) -> Result<Vec<Value>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("EMAILDOMAINS must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad("Each email domain must be an object."));
        };
        let domain = obj_get(o, "EMAIL_DOMAIN")
            .as_str()
            .ok_or_else(|| bad("EMAIL_DOMAIN is required."))?;
        let id = obj_get(o, "EMAIL_DOMAIN_ID")
            .as_u64()
            .unwrap_or_else(|| db.next_sub());
        out.push(json!({"EMAIL_DOMAIN_ID": id, "EMAIL_DOMAIN": domain}));
    }
    Ok(out)
}

/// A link body, validated: (target kind, target id, role, details).
type NewLink = (Kind, u64, Option<String>, Option<String>);

fn parse_link(db: &Db, v: &Value) -> Result<NewLink, ApiErr> {
    let Value::Object(o) = v else {
        return Err(bad("A link must be a JSON object."));
    };
    let name = obj_get(o, "LINK_OBJECT_NAME")
        .as_str()
        .ok_or_else(|| bad("LINK_OBJECT_NAME is required."))?;
    let kind = Kind::from_singular(name)
        .ok_or_else(|| bad(format!("LINK_OBJECT_NAME '{name}' is not valid.")))?;
    let id = obj_get(o, "LINK_OBJECT_ID")
        .as_u64()
        .ok_or_else(|| bad("LINK_OBJECT_ID is required."))?;
    if !db.exists(kind, id) {
        return Err(bad(format!(
            "LINK_OBJECT_ID {id} does not reference an existing {}.",
            kind.singular()
        )));
    }
    let text = |key: &str| -> Result<Option<String>, ApiErr> {
        match obj_get(o, key) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(bad(format!("{key} must be a string."))),
        }
    };
    Ok((kind, id, text("ROLE")?, text("DETAILS")?))
}

/// Adds the implicit links of foreign keys (contact/opportunity → organisation, task → opportunity).
fn auto_links(db: &mut Db, kind: Kind, id: u64) {
    let Some(rec) = db.table(kind).rows.get(&id) else {
        return;
    };
    let mut wanted = Vec::new();
    if matches!(kind, Kind::Contact | Kind::Opportunity) {
        if let Some(org) = rec.int(kind, "ORGANISATION_ID") {
            let role = if kind == Kind::Contact {
                rec.str(kind, "TITLE").map(str::to_string)
            } else {
                None
            };
            wanted.push((Kind::Organisation, org, role));
        }
    }
    if kind == Kind::Task {
        if let Some(opp) = rec.int(kind, "OPPORTUNITY_ID") {
            wanted.push((Kind::Opportunity, opp, None));
        }
    }
    for (target, tid, role) in wanted {
        if !db.linked(kind, id, target).contains(&tid) {
            db.add_link((kind, id), (target, tid), role, None);
        }
    }
}

fn check_collections(
    kind: Kind,
    body: &Map<String, Value>,
    db: &mut Db,
) -> Result<Collections, ApiErr> {
    let s = kind.schema();
    let mut c = Collections::default();
    if s.tags {
        if let Some(v) = body.get("TAGS") {
            c.tags = Some(parse_tags(v)?);
        }
    }
    if s.custom {
        if let Some(v) = body.get("CUSTOMFIELDS") {
            c.custom = Some(parse_custom(db, kind, v)?);
        }
    }
    if s.dates {
        if let Some(v) = body.get("DATES") {
            c.dates = Some(parse_dates(db, v)?);
        }
    }
    if s.domains {
        if let Some(v) = body.get("EMAILDOMAINS") {
            c.domains = Some(parse_domains(db, v)?);
        }
    }
    Ok(c)
}

#[derive(Default)]
struct Collections {
    tags: Option<Vec<String>>,
    custom: Option<Vec<(String, Option<Value>)>>,
    dates: Option<Vec<Value>>,
    domains: Option<Vec<Value>>,
}

impl Collections {
    fn apply(self, rec: &mut Rec) {
        if let Some(t) = self.tags {
            rec.tags = t;
        }
        if let Some(c) = self.custom {
            merge_custom(rec, c);
        }
        if let Some(d) = self.dates {
            rec.dates = d;
        }
        if let Some(d) = self.domains {
            rec.domains = d;
        }
    }
}

/// `POST /{Obj}` (and the note of `POST /{Parent}/{id}/Notes`): returns the new id.
fn create(db: &mut Db, kind: Kind, ctx: &Ctx, body: &Map<String, Value>) -> Result<u64, ApiErr> {
    let k = kind;
    let mut rec = Rec::new(k);
    apply_scalars(k, &mut rec, body)?;
    if rec.get(k, "OWNER_USER_ID").is_null() {
        rec.set(k, "OWNER_USER_ID", ctx.user);
    }
    if matches!(k, Kind::Task | Kind::Lead) && rec.get(k, "RESPONSIBLE_USER_ID").is_null() {
        rec.set(k, "RESPONSIBLE_USER_ID", ctx.user);
    }
    rec.set(k, "CREATED_USER_ID", ctx.user);
    if rec.get(k, "VISIBLE_TO").is_null() {
        rec.set(k, "VISIBLE_TO", "EVERYONE");
    }
    finalize(db, k, &mut rec, body, true)?;
    let collections = check_collections(k, body, db)?;
    let links: Vec<NewLink> = match body.get("LINKS") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|l| parse_link(db, l))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("LINKS must be an array.")),
    };
    collections.apply(&mut rec);
    let t = db.now_str();
    rec.set(k, "DATE_CREATED_UTC", t.clone());
    rec.set(k, "DATE_UPDATED_UTC", t.clone());
    if k == Kind::Task {
        rec.set(k, "ASSIGNED_DATE_UTC", t);
        if rec.get(k, "ASSIGNED_BY_USER_ID").is_null() {
            rec.set(k, "ASSIGNED_BY_USER_ID", ctx.user);
        }
    }
    let id = db.table(k).next_id;
    db.insert(k, id, rec);
    for (target, tid, role, details) in links {
        db.add_link((k, id), (target, tid), role, details);
    }
    auto_links(db, k, id);
    Ok(id)
}

fn check_if_match(db: &Db, kind: Kind, id: u64, ctx: &Ctx) -> Result<(), ApiErr> {
    let Some(wanted) = ctx.if_match.as_deref() else {
        return Ok(());
    };
    let wanted = wanted.trim();
    if wanted == "*" {
        return Ok(());
    }
    let rec = db
        .table(kind)
        .rows
        .get(&id)
        .ok_or_else(|| not_found("not found"))?;
    let body = serde_json::to_vec(&RecView {
        db,
        kind,
        id,
        rec,
        brief: false,
    })
    .unwrap_or_default();
    let current = etag(&body);
    let strip = |s: &str| s.trim_start_matches("W/").trim_matches('"').to_string();
    if wanted
        .split(',')
        .any(|w| strip(w.trim()) == strip(&current))
    {
        Ok(())
    } else {
        Err(bad(format!(
            "If-Match header value '{wanted}' is not valid."
        )))
    }
}

/// `PUT /{Obj}`: partial update with the ID in the body.
fn update(db: &mut Db, kind: Kind, ctx: &Ctx, body: &Map<String, Value>) -> Result<u64, ApiErr> {
    let k = kind;
    let key = k.schema().id_key;
    let id = match body.get(key) {
        Some(v) => v
            .as_u64()
            .ok_or_else(|| bad(format!("{key} is not a valid ID.")))?,
        None => return Err(bad(format!("{key} is required in the body of a PUT."))),
    };
    let mut rec = db
        .table(k)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("{} with ID {id} was not found.", k.singular())))?;
    check_if_match(db, k, id, ctx)?;
    apply_scalars(k, &mut rec, body)?;
    finalize(db, k, &mut rec, body, false)?;
    let collections = check_collections(k, body, db)?;
    collections.apply(&mut rec);
    rec.set(k, "DATE_UPDATED_UTC", db.now_str());
    db.insert(k, id, rec);
    auto_links(db, k, id);
    Ok(id)
}

fn delete(db: &mut Db, kind: Kind, id: u64) -> Result<(), ApiErr> {
    db.forget_pending(kind, id);
    if db.table_mut(kind).rows.remove(&id).is_none() {
        return Err(not_found(format!(
            "{} with ID {id} was not found.",
            kind.singular()
        )));
    }
    db.remove_links_of(kind, id);
    // Records that pointed at the deleted one keep existing, with the reference cleared.
    let refs: &[(Kind, &str)] = match kind {
        Kind::Organisation => &[
            (Kind::Contact, "ORGANISATION_ID"),
            (Kind::Opportunity, "ORGANISATION_ID"),
        ],
        Kind::Opportunity => &[(Kind::Task, "OPPORTUNITY_ID")],
        _ => &[],
    };
    for (other, field) in refs {
        let i = other.schema().at(field);
        for rec in db.table_mut(*other).rows.values_mut() {
            if rec.vals[i].as_u64() == Some(id) {
                rec.vals[i] = Value::Null;
            }
        }
    }
    Ok(())
}

fn touch(db: &mut Db, kind: Kind, id: u64) {
    let i = kind.schema().at("DATE_UPDATED_UTC");
    db.note_write(kind, id);
    let now = db.now_str();
    if let Some(r) = db.table_mut(kind).rows.get_mut(&id) {
        r.vals[i] = Value::String(now);
    }
}

fn tags(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            let rec = db.table(kind).rows.get(&id).ok_or_else(missing)?;
            let out: Vec<Value> = rec.tags.iter().map(|t| json!({ "TAG_NAME": t })).collect();
            ok_json(&out)
        }
        Method::POST | Method::PUT => {
            let body = ctx.json_object()?;
            let name = body
                .get("TAG_NAME")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad("TAG_NAME is required."))?
                .to_string();
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            db.note_write(kind, id);
            let rec = db.table_mut(kind).rows.get_mut(&id).ok_or_else(missing)?;
            if !rec.has_tag(&name) {
                rec.tags.push(name.clone());
                touch(&mut db, kind, id);
            }
            ok_json(&json!({ "TAG_NAME": name }))
        }
        Method::DELETE => {
            let from_body = if ctx.body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                ctx.json_object()?
                    .get("TAG_NAME")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let name = from_body
                .or_else(|| ctx.q("tagname").map(str::to_string))
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| bad("TAG_NAME is required."))?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            db.note_write(kind, id);
            let rec = db.table_mut(kind).rows.get_mut(&id).ok_or_else(missing)?;
            let lower = name.trim().to_lowercase();
            let before = rec.tags.len();
            rec.tags.retain(|t| t.to_lowercase() != lower);
            if rec.tags.len() != before {
                touch(&mut db, kind, id);
            }
            empty(sim.delete_status)
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

fn links(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64, link_id: Option<u64>) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    if let Some(lid) = link_id {
        ctx.only(&[Method::DELETE, Method::GET])?;
        let mut db = sim.write();
        if !db.exists(kind, id) {
            return Err(missing());
        }
        let belongs = db.links.get(&lid).is_some_and(|l| {
            (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id)
        });
        if !belongs {
            return Err(not_found(format!("Link with ID {lid} was not found.")));
        }
        if ctx.method == Method::GET {
            return db.links.get(&lid).map_or_else(
                || Err(not_found("Link not found.")),
                |link| {
                    ok_json(&LinkView {
                        link,
                        from: (kind, id),
                    })
                },
            );
        }
        db.remove_link(lid);
        return empty(sim.delete_status);
    }
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let views: Vec<LinkView> = db
                .links_of(kind, id)
                .map(|link| LinkView {
                    link,
                    from: (kind, id),
                })
                .collect();
            ok_json(&views)
        }
        Method::POST => {
            let body = ctx.json_object()?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let (target, tid, role, details) = parse_link(&db, &Value::Object(body))?;
            let lid = db.add_link((kind, id), (target, tid), role, details);
            touch(&mut db, kind, id);
            let link = db
                .links
                .get(&lid)
                .ok_or_else(|| not_found("Link not found."))?;
            ok_json(&LinkView {
                link,
                from: (kind, id),
            })
        }
        Method::PUT => {
            let body = ctx.json_object()?;
            let lid = body
                .get("LINK_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("LINK_ID is required."))?;
            let role =
                coerce("ROLE", Ty::Str, body.get("ROLE").unwrap_or(&Value::Null)).map_err(bad)?;
            let details = coerce(
                "DETAILS",
                Ty::Str,
                body.get("DETAILS").unwrap_or(&Value::Null),
            )
            .map_err(bad)?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let link = db
                .links
                .get_mut(&lid)
                .filter(|l| {
                    (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id)
                })
                .ok_or_else(|| not_found(format!("Link with ID {lid} was not found.")))?;
            if body.contains_key("ROLE") {
                link.role = role.as_str().map(str::to_string);
            }
            if body.contains_key("DETAILS") {
                link.details = details.as_str().map(str::to_string);
            }
            let db = &*db;
            let link = db
                .links
                .get(&lid)
                .ok_or_else(|| not_found("Link not found."))?;
            ok_json(&LinkView {
                link,
                from: (kind, id),
            })
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

fn notes(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let p = page(ctx)?;
            let ids = db.linked(kind, id, Kind::Note);
            let table = &db.table(Kind::Note).rows;
            let (items, total) =
                paged(ids.iter().filter_map(|n| table.get(n).map(|r| (*n, r))), &p);
            let views: Vec<RecView> = items
                .into_iter()
                .map(|(nid, rec)| RecView {
                    db: &db,
                    kind: Kind::Note,
                    id: nid,
                    rec,
                    brief: p.brief,
                })
                .collect();
            list_reply(&views, total)
        }
        Method::POST => {
            let body = ctx.json_object()?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let nid = create(&mut db, Kind::Note, ctx, &body)?;
            db.add_link((Kind::Note, nid), (kind, id), None, None);
            let mut r = record_view(&db, Kind::Note, nid)?;
            r.status = sim.create_status;
            Ok(r)
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

/// `PUT /Opportunities/{id}/StateChange|Pipeline|PipelineStage`, `DELETE /Opportunities/{id}/Pipeline`.
fn opportunity_op(sim: &Sim, ctx: &Ctx, id: u64, op: &str) -> Res {
    let k = Kind::Opportunity;
    let mut db = sim.write();
    let mut rec = db
        .table(k)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("Opportunity with ID {id} was not found.")))?;
    match (op, &ctx.method) {
        ("pipeline", &Method::DELETE) => {
            rec.set(k, "PIPELINE_ID", Value::Null);
            rec.set(k, "STAGE_ID", Value::Null);
            rec.set(k, "DATE_UPDATED_UTC", db.now_str());
            db.insert(k, id, rec);
            return empty(sim.delete_status);
        }
        (_, &Method::PUT) => {}
        _ => return Err(method_not_allowed(&ctx.method)),
    }
    let body = ctx.json_object()?;
    match op {
        "statechange" => {
            let state = coerce(
                "FOR_OPPORTUNITY_STATE",
                Ty::Enum(OPP_STATES),
                body.get("FOR_OPPORTUNITY_STATE").unwrap_or(&Value::Null),
            )
            .map_err(bad)?;
            let state = state
                .as_str()
                .ok_or_else(|| bad("FOR_OPPORTUNITY_STATE is required."))?
                .to_string();
            if let Some(reason) = body.get("STATE_REASON_ID").filter(|v| !v.is_null()) {
                let r = reason
                    .as_u64()
                    .ok_or_else(|| bad("STATE_REASON_ID is not valid."))?;
                require_fk(
                    db.ref_exists("OpportunityStateReasons", r),
                    "STATE_REASON_ID",
                    r,
                )?;
            }
            rec.set(k, "OPPORTUNITY_STATE", state.clone());
            if state == "WON" || state == "LOST" {
                rec.set(k, "ACTUAL_CLOSE_DATE", db.today_str());
            }
        }
        "pipelinestage" => {
            let s = body
                .get("STAGE_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("STAGE_ID is required."))?;
            let p = rec
                .int(k, "PIPELINE_ID")
                .ok_or_else(|| bad("The opportunity is not in a pipeline."))?;
            if db.stage_pipeline.get(&s) != Some(&p) {
                return Err(bad(format!(
                    "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                )));
            }
            rec.set(k, "STAGE_ID", s);
        }
        _ => {
            let p = body
                .get("PIPELINE_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("PIPELINE_ID is required."))?;
            require_fk(db.ref_exists("Pipelines", p), "PIPELINE_ID", p)?;
            let stage = match body.get("PIPELINE_STAGE_CHANGE") {
                Some(Value::Object(o)) => obj_get(o, "STAGE_ID").as_u64(),
                _ => None,
            };
            let stage = match stage {
                Some(s) if db.stage_pipeline.get(&s) == Some(&p) => s,
                Some(s) => {
                    return Err(bad(format!(
                        "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                    )));
                }
                None => db
                    .reference("PipelineStages")
                    .and_then(|t| {
                        t.rows
                            .iter()
                            .filter(|r| r.id("PIPELINE_ID") == Some(p))
                            .min_by_key(|r| r.id("STAGE_ORDER"))
                            .and_then(|r| r.id("STAGE_ID"))
                    })
                    .ok_or_else(|| bad("The pipeline has no stages."))?,
            };
            rec.set(k, "PIPELINE_ID", p);
            rec.set(k, "STAGE_ID", stage);
        }
    }
    rec.set(k, "DATE_UPDATED_UTC", db.now_str());
    db.insert(k, id, rec);
    record_view(&db, k, id)
}
