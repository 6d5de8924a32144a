//! HTTP plumbing shared by the Capsule handlers: error bodies, query strings, paging and
//! `Link` headers, request-body envelopes, date formats.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

/// One `errors[]` item of a 422 body.
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    pub message: String,
    pub resource: &'static str,
    pub field: String,
}

/// An error answer, rendered in Capsule's documented shapes (§9.1).
#[derive(Debug, Clone)]
pub(crate) enum ApiError {
    /// 400 `{"message":…}`.
    BadRequest(String),
    /// 401 with `WWW-Authenticate`.
    Unauthorized,
    /// 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`.
    Forbidden(String),
    /// 404 `{"message":"Could not find resource"}`.
    NotFound,
    /// 422 `Validation Failed`.
    Validation(Vec<FieldError>),
}

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

/// A 422 with a single `errors[]` item.
pub(crate) fn invalid(message: impl Into<String>, resource: &'static str, field: &str) -> ApiError {
    ApiError::Validation(vec![FieldError {
        message: message.into(),
        resource,
        field: field.to_string(),
    }])
}

pub(crate) fn json_body(status: StatusCode, value: &Value) -> Response {
    let text = super::numbers::to_json_text(value);
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub(crate) fn ok(value: Value) -> Response {
    json_body(StatusCode::OK, &value)
}

pub(crate) fn created(location: &str, value: Value) -> Response {
    let mut resp = json_body(StatusCode::CREATED, &value);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

pub(crate) fn no_content() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    json_body(status, &json!({ "message": text }))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(m) => message(StatusCode::BAD_REQUEST, &m),
            ApiError::Unauthorized => {
                let mut r = message(StatusCode::UNAUTHORIZED, "Unauthorized");
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="Capsule", error="invalid_token""#),
                );
                r
            }
            ApiError::Forbidden(m) => {
                let mut r = message(StatusCode::FORBIDDEN, &m);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="insufficient_scope""#),
                );
                r
            }
            ApiError::NotFound => message(StatusCode::NOT_FOUND, "Could not find resource"),
            ApiError::Validation(errors) => {
                let errors: Vec<Value> = errors
                    .into_iter()
                    .map(
                        |e| json!({"message": e.message, "resource": e.resource, "field": e.field}),
                    )
                    .collect();
                json_body(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({"message": "Validation Failed", "errors": errors}),
                )
            }
        }
    }
}

// ---------------------------------------------------------------- dates

pub(crate) fn fmt_dt(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn fmt_date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn dt_value(t: &Option<DateTime<Utc>>) -> Value {
    t.as_ref().map_or(Value::Null, |t| Value::String(fmt_dt(t)))
}

pub(crate) fn date_value(d: &Option<NaiveDate>) -> Value {
    d.as_ref()
        .map_or(Value::Null, |d| Value::String(fmt_date(d)))
}

/// Lenient ISO 8601: RFC 3339 (offsets, fractions), a naive date-time taken as UTC, or a date.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    // An unencoded `+` offset arrives as a space after form decoding.
    let fixed = s.trim().replace(' ', "+");
    let s = fixed.as_str();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

// ---------------------------------------------------------------- query strings

pub(crate) use crate::web::Query;

/// Capsule's reading of a query string (the parsing itself is shared, `crate::web::Query`).
impl Query {
    pub(crate) fn embed(&self) -> Embed {
        let mut e = Embed::default();
        for (k, v) in self.pairs() {
            if k == "embed" {
                for tok in v.split(',') {
                    match tok.trim() {
                        "tags" => e.tags = true,
                        "fields" => e.fields = true,
                        "missingImportantFields" => e.missing = true,
                        _ => {}
                    }
                }
            }
        }
        e
    }

    /// `since`, if sent: 422 when malformed.
    pub(crate) fn since(&self) -> ApiResult<Option<DateTime<Utc>>> {
        match self.get("since") {
            None => Ok(None),
            Some(s) => parse_datetime(s)
                .map(Some)
                .ok_or_else(|| invalid("since is invalid", "query", "since")),
        }
    }

    /// The raw query with `page` set to `page` (replaced in place, or appended), every
    /// other parameter kept byte for byte.
    pub(crate) fn with_page(&self, page: u64) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut replaced = false;
        for part in self.raw.as_deref().unwrap_or("").split('&') {
            if part.is_empty() {
                continue;
            }
            let key = part.split('=').next().unwrap_or("");
            if key == "page" {
                if !replaced {
                    parts.push(format!("page={page}"));
                    replaced = true;
                }
            } else {
                parts.push(part.to_string());
            }
        }
        if !replaced {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// Which optional parts of a record to include.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Embed {
    pub tags: bool,
    pub fields: bool,
    pub missing: bool,
}

impl Embed {
    pub(crate) fn parse_str(s: &str) -> Self {
        Query::parse(Some(format!("embed={s}"))).embed()
    }
}

/// `page` and `perPage` after validation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub page: u64,
    pub per_page: usize,
}

impl Paging {
    pub(crate) fn from_query(q: &Query, max_per_page: usize) -> ApiResult<Self> {
        let page = match q.get("page") {
            None => 1,
            Some(p) => match p.trim().parse::<u64>() {
                Ok(n) if (1..=1_000_000_000).contains(&n) => n,
                _ => return Err(invalid("page must be a positive integer", "query", "page")),
            },
        };
        let per_page = match q.get("perPage") {
            None => 50.min(max_per_page),
            Some(p) => match p.trim().parse::<usize>() {
                Ok(n) if (1..=max_per_page).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        format!("perPage must be between 1 and {max_per_page}"),
                        "query",
                        "perPage",
                    ));
                }
            },
        };
        Ok(Self { page, per_page })
    }

    pub(crate) fn skip(&self) -> usize {
        usize::try_from(self.page.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .saturating_mul(self.per_page)
    }

    /// Takes this page out of `items` (an iterator in the final order). Returns the page
    /// and whether more items follow.
    pub(crate) fn take<T>(&self, items: impl Iterator<Item = T>) -> (Vec<T>, bool) {
        let mut page: Vec<T> = items.skip(self.skip()).take(self.per_page + 1).collect();
        let more = page.len() > self.per_page;
        page.truncate(self.per_page);
        (page, more)
    }
}

/// A 200 list response in the plural wrapper, with a `Link` header (§5 "Simulator").
pub(crate) fn paged(
    origin: &str,
    path: &str,
    q: &Query,
    paging: Paging,
    key: &str,
    items: Vec<Value>,
    more: bool,
) -> Response {
    let mut body = Map::new();
    body.insert(key.to_string(), Value::Array(items));
    let mut resp = ok(Value::Object(body));
    let mut links = Vec::new();
    if more {
        links.push(format!(
            "<{origin}{path}?{}>; rel=\"next\"",
            q.with_page(paging.page + 1)
        ));
    }
    if paging.page > 1 {
        links.push(format!(
            "<{origin}{path}?{}>; rel=\"prev\"",
            q.with_page(paging.page - 1)
        ));
    }
    if !links.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    resp
}

// ---------------------------------------------------------------- request bodies

/// Parses a write body `{"<key>": {...}}`: 400 for bad JSON or a wrong envelope.
pub(crate) fn envelope(body: &[u8], key: &str) -> ApiResult<Map<String, Value>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("Could not parse JSON body: {e}")))?;
    let Value::Object(mut top) = value else {
        return Err(ApiError::BadRequest(format!(
            "request body must be a JSON object with a single \"{key}\" key"
        )));
    };
    if top.len() != 1 || !top.contains_key(key) {
        return Err(ApiError::BadRequest(format!(
            "request body must be a JSON object with a single \"{key}\" key"
        )));
    }
    match top.remove(key) {
        Some(Value::Object(inner)) => Ok(inner),
        _ => Err(ApiError::BadRequest(format!(
            "\"{key}\" must be a JSON object"
        ))),
    }
}

/// A key of a write body: absent, explicitly `null`, or a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Patch<T> {
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    /// Applies to an optional slot: absent keeps, null clears, set replaces.
    pub(crate) fn apply(self, slot: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }
}

/// A string key (numbers and booleans are stringified); `""` counts as null.
pub(crate) fn patch_str(
    obj: &Map<String, Value>,
    key: &str,
    resource: &'static str,
) -> ApiResult<Patch<String>> {
    match obj.get(key) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Null),
        Some(Value::String(s)) if s.is_empty() => Ok(Patch::Null),
        Some(Value::String(s)) => Ok(Patch::Set(s.clone())),
        Some(Value::Number(n)) => Ok(Patch::Set(n.to_string())),
        Some(Value::Bool(b)) => Ok(Patch::Set(b.to_string())),
        Some(_) => Err(invalid(format!("{key} is invalid"), resource, key)),
    }
}

/// A reference `{"id": N}` or a bare integer (or a numeric string).
pub(crate) fn ref_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("id").and_then(ref_id),
        _ => None,
    }
}

/// A signed reference id (activity types are negative).
pub(crate) fn ref_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("id").and_then(ref_i64),
        _ => None,
    }
}

/// A reference key: absent, null, or an id. 422 when it is neither.
pub(crate) fn patch_ref(
    obj: &Map<String, Value>,
    key: &str,
    resource: &'static str,
) -> ApiResult<Patch<u64>> {
    match obj.get(key) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Null),
        Some(v) => ref_id(v)
            .map(Patch::Set)
            .ok_or_else(|| invalid(format!("{key} is invalid"), resource, key)),
    }
}

/// Parses `1,2,3` from a path: `None` when any part is not an id.
pub(crate) fn parse_ids(s: &str) -> Option<Vec<u64>> {
    s.split(',').map(|p| p.trim().parse::<u64>().ok()).collect()
}

/// The single id of a path segment, 404 otherwise.
pub(crate) fn one_id(s: &str) -> ApiResult<u64> {
    s.trim().parse::<u64>().map_err(|_| ApiError::NotFound)
}

/// Normalises a JSON number or numeric string into a decimal string, `None` if not numeric.
pub(crate) fn decimal_string(v: &Value) -> Option<String> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let digits = s.strip_prefix('-').unwrap_or(&s);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let valid_int = !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit());
    let valid_frac = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if valid_int && valid_frac && s.len() <= 40 {
        Some(s)
    } else if let Value::Number(n) = v {
        // Exponent forms such as 1e3.
        n.as_f64().filter(|f| f.is_finite()).map(|f| f.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_replaced_or_appended() {
        let q = Query::parse(Some("perPage=2".into()));
        assert_eq!(q.with_page(2), "perPage=2&page=2");
        let q = Query::parse(Some("page=3&embed=tags,fields&perPage=1".into()));
        assert_eq!(q.with_page(4), "page=4&embed=tags,fields&perPage=1");
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal_string(&json!(42)).as_deref(), Some("42"));
        assert_eq!(decimal_string(&json!("4.5")).as_deref(), Some("4.5"));
        assert_eq!(decimal_string(&json!("4.x")), None);
    }
}
