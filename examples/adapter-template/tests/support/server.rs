//! A tiny in-process Tinycrm (`API.md`) on axum, for the tests: contacts with id paging,
//! `updated_since`, the deleted-contacts list, `GET me`, bearer tokens, `Date` on every answer,
//! and two knobs (latency, 429 answers). The harness also writes through [`Tinycrm`] directly,
//! as another Tinycrm user would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The token the server accepts.
pub const TOKEN: &str = "tiny-token";

/// A stored contact (`API.md`, Contacts).
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: u64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Default)]
struct Data {
    contacts: BTreeMap<u64, Contact>,
    deleted: Vec<(u64, DateTime<Utc>)>,
    next_id: u64,
    latency: Duration,
    rate_limited: bool,
    requests: u64,
}

/// The server's state; clones share it.
#[derive(Clone, Default)]
pub struct Tinycrm(Arc<Mutex<Data>>);

type Answer = Result<Response, (StatusCode, Json<Value>)>;

fn refuse(status: StatusCode, message: &str, field: Option<&str>) -> (StatusCode, Json<Value>) {
    let errors: Vec<Value> = field
        .map(|f| json!({"field": f, "message": message}))
        .into_iter()
        .collect();
    (status, Json(json!({"message": message, "errors": errors})))
}

fn not_found() -> (StatusCode, Json<Value>) {
    refuse(StatusCode::NOT_FOUND, "no such contact", None)
}

impl Tinycrm {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to `n` seeded contacts, knobs off.
    pub fn reset(&self, n: u64) {
        *self.data() = Data::default();
        for i in 1..=n {
            let body = json!({"first_name": "Seed", "last_name": format!("Contact {i}"), "title": format!("seed {i}")});
            let _ = self.create(body.as_object().cloned().unwrap_or_default());
        }
    }

    /// Every contact, by id.
    pub fn contacts(&self) -> Vec<Contact> {
        self.data().contacts.values().cloned().collect()
    }

    /// Sets the latency of every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.data().latency = latency;
    }

    /// Answers every other request 429 (`Retry-After: 0`) while on.
    pub fn set_rate_limited(&self, on: bool) {
        self.data().rate_limited = on;
    }

    /// Applies the known keys of `body` to `c`; 422 when `last_name` ends up empty.
    fn apply(c: &mut Contact, body: &Map<String, Value>) -> Result<(), (StatusCode, Json<Value>)> {
        for (key, slot) in [
            ("first_name", &mut c.first_name),
            ("last_name", &mut c.last_name),
            ("title", &mut c.title),
            ("email", &mut c.email),
        ] {
            if let Some(v) = body.get(key) {
                *slot = v.as_str().map(str::to_string);
            }
        }
        match c.last_name.as_deref() {
            Some(s) if !s.is_empty() => Ok(()),
            _ => Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "is required",
                Some("last_name"),
            )),
        }
    }

    /// Creates a contact.
    pub fn create(&self, body: Map<String, Value>) -> Result<Contact, (StatusCode, Json<Value>)> {
        let mut d = self.data();
        let now = Utc::now();
        let mut c = Contact {
            id: d.next_id + 1,
            first_name: None,
            last_name: None,
            title: None,
            email: None,
            created_at: now,
            updated_at: now,
        };
        Self::apply(&mut c, &body)?;
        d.next_id += 1;
        d.contacts.insert(c.id, c.clone());
        Ok(c)
    }

    /// Patches a contact.
    pub fn update(
        &self,
        id: u64,
        body: Map<String, Value>,
    ) -> Result<Contact, (StatusCode, Json<Value>)> {
        let mut d = self.data();
        let mut c = d.contacts.get(&id).cloned().ok_or_else(not_found)?;
        Self::apply(&mut c, &body)?;
        c.updated_at = Utc::now();
        d.contacts.insert(id, c.clone());
        Ok(c)
    }

    /// Deletes a contact.
    pub fn delete(&self, id: u64) -> Result<(), (StatusCode, Json<Value>)> {
        let mut d = self.data();
        d.contacts.remove(&id).ok_or_else(not_found)?;
        d.deleted.push((id, Utc::now()));
        Ok(())
    }

    /// Serves on a free loopback port; the base URL.
    pub async fn serve(&self) -> String {
        let app = Router::new()
            .route(
                "/v1/me",
                get(|| async {
                    Json(json!({"id": 1, "name": "Tiny Owner", "email": "owner@tinycrm.example"}))
                }),
            )
            .route("/v1/contacts", get(list).post(create))
            .route("/v1/contacts/deleted", get(deleted))
            .route("/v1/contacts/{id}", get(one).patch(update).delete(delete))
            .layer(middleware::from_fn_with_state(self.clone(), gate))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/v1/")
    }
}

/// Before every handler: latency, 429s, the token; after it: `Date`.
async fn gate(State(s): State<Tinycrm>, req: Request, next: Next) -> Response {
    let (latency, limited) = {
        let mut d = s.data();
        d.requests += 1;
        (d.latency, d.rate_limited && d.requests % 2 == 0)
    };
    tokio::time::sleep(latency).await;
    let authorized = req.headers().get(header::AUTHORIZATION)
        == Some(&HeaderValue::from_static("Bearer tiny-token"));
    let mut resp = if limited {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "0")],
            Json(json!({"message": "slow down"})),
        )
            .into_response()
    } else if !authorized {
        refuse(StatusCode::UNAUTHORIZED, "bad token", None).into_response()
    } else {
        next.run(req).await
    };
    let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&date) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    after: Option<u64>,
    updated_since: Option<DateTime<Utc>>,
}

async fn list(State(s): State<Tinycrm>, Query(q): Query<ListQuery>) -> Answer {
    let limit = q.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "must be 1 to 100",
            Some("limit"),
        ));
    }
    let d = s.data();
    let mut page: Vec<&Contact> = d
        .contacts
        .range(q.after.map_or(0, |a| a + 1)..)
        .map(|(_, c)| c)
        .filter(|c| q.updated_since.is_none_or(|t| c.updated_at >= t))
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_after = more.then(|| page.last().map(|c| c.id)).flatten();
    Ok(Json(json!({"data": page, "next_after": next_after})).into_response())
}

async fn create(State(s): State<Tinycrm>, Json(body): Json<Map<String, Value>>) -> Answer {
    Ok((StatusCode::CREATED, Json(s.create(body)?)).into_response())
}

async fn one(State(s): State<Tinycrm>, Path(id): Path<u64>) -> Answer {
    let c = s.data().contacts.get(&id).cloned().ok_or_else(not_found)?;
    Ok(Json(c).into_response())
}

async fn update(
    State(s): State<Tinycrm>,
    Path(id): Path<u64>,
    Json(body): Json<Map<String, Value>>,
) -> Answer {
    Ok(Json(s.update(id, body)?).into_response())
}

async fn delete(State(s): State<Tinycrm>, Path(id): Path<u64>) -> Answer {
    s.delete(id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct DeletedQuery {
    since: DateTime<Utc>,
}

async fn deleted(State(s): State<Tinycrm>, Query(q): Query<DeletedQuery>) -> Answer {
    let data: Vec<Value> = s
        .data()
        .deleted
        .iter()
        .filter(|(_, at)| *at >= q.since)
        .map(|(id, at)| json!({"id": id, "deleted_at": at}))
        .collect();
    Ok(Json(json!({ "data": data })).into_response())
}
