//! `POST /oauth/token` and `POST /oauth/locationToken` (docs/vendors/highlevel-v2.md,
//! "Authentication"; items 39, 40). Forms, not JSON.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use chrono::Duration;
use http::StatusCode;
use serde_json::json;

use super::{ApiErr, Caller, Res, Shared, ok};
use crate::highlevel::store::{TokenInfo, TokenKind};

fn form(bytes: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Every scope the simulator knows.
pub(crate) const ALL_SCOPES: &[&str] = &[
    "contacts.readonly",
    "contacts.write",
    "opportunities.readonly",
    "opportunities.write",
    "calendars.readonly",
    "calendars.write",
    "calendars/events.readonly",
    "calendars/events.write",
    "users.readonly",
    "businesses.readonly",
    "businesses.write",
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/tags.readonly",
    "locations/tags.write",
    "locations/tasks.readonly",
];

fn issue(
    sim: &super::Sim,
    kind: TokenKind,
    with_refresh: bool,
    extra_scopes: &[&str],
) -> serde_json::Value {
    let mut db = sim.write();
    let n = db.next_id;
    let access = format!("at-{}", db.new_id("Ak"));
    let refresh =
        with_refresh.then(|| format!("rt-{}", crate::highlevel::store::id20("Rk", n + 7_000_000)));
    let mut scopes: Vec<String> = ALL_SCOPES.iter().map(|s| s.to_string()).collect();
    scopes.extend(extra_scopes.iter().map(|s| s.to_string()));
    db.tokens.insert(
        access.clone(),
        TokenInfo {
            kind: kind.clone(),
            scopes: scopes.clone(),
            expires_at: Some(sim.clock.now() + Duration::seconds(86_399)),
        },
    );
    if let Some(r) = &refresh {
        db.refresh_tokens.insert(r.clone(), kind.clone());
    }
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 86399,
        "scope": scopes.join(" "),
        "companyId": sim.company_id,
        "userId": db.users.first().and_then(|u| u.get("id").cloned()),
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    match kind {
        TokenKind::Location(l) => {
            body["userType"] = json!("Location");
            body["locationId"] = json!(l);
        }
        _ => {
            body["userType"] = json!("Company");
            body["approvedLocations"] = json!([sim.location_id]);
        }
    }
    body
}

/// `POST /oauth/token`: the code and refresh grants (item 39); a refresh token works once.
pub(crate) async fn token(State(sim): State<Shared>, bytes: Bytes) -> Res {
    let f = form(&bytes);
    let grant = get(&f, "grant_type").unwrap_or("");
    let kind = match grant {
        "authorization_code" => {
            let code = get(&f, "code").unwrap_or("");
            sim.write().codes.remove(code).ok_or_else(|| {
                ApiErr::oauth(StatusCode::UNAUTHORIZED, "Authorization code not found")
            })?
        }
        "refresh_token" => {
            let rt = get(&f, "refresh_token").unwrap_or("");
            let known = sim.read().refresh_tokens.contains_key(rt);
            if !known {
                return Err(ApiErr::oauth(
                    StatusCode::UNAUTHORIZED,
                    "Invalid grant: refresh token is invalid",
                ));
            }
            if get(&f, "client_id") != Some(sim.client_id.as_str())
                || get(&f, "client_secret") != Some(sim.client_secret.as_str())
            {
                return Err(ApiErr::oauth(
                    StatusCode::UNAUTHORIZED,
                    "Invalid client credentials!",
                ));
            }
            sim.write().refresh_tokens.remove(rt).ok_or_else(|| {
                ApiErr::oauth(
                    StatusCode::UNAUTHORIZED,
                    "Invalid grant: refresh token is invalid",
                )
            })?
        }
        _ => {
            return Err(ApiErr::unprocessable(vec![
                "grant_type must be a valid enum value".into(),
            ]));
        }
    };
    if get(&f, "client_id") != Some(sim.client_id.as_str())
        || get(&f, "client_secret") != Some(sim.client_secret.as_str())
    {
        return Err(ApiErr::oauth(
            StatusCode::UNAUTHORIZED,
            "Invalid client credentials!",
        ));
    }
    ok(StatusCode::OK, issue(&sim, kind, true, &[]))
}

/// `POST /oauth/locationToken` with a Company token (item 40).
pub(crate) async fn location_token(
    State(sim): State<Shared>,
    Extension(_caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let f = form(&bytes);
    let location = get(&f, "locationId").unwrap_or("").to_string();
    if get(&f, "companyId") != Some(sim.company_id.as_str()) || location != sim.location_id {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "Location not found or not installed",
        ));
    }
    ok(
        StatusCode::CREATED,
        issue(
            &sim,
            TokenKind::Location(location),
            false,
            &["oauth.readonly", "oauth.write"],
        ),
    )
}

/// `GET /oauth/chooselocation?redirect_uri=…&state=…`: the stand-in for the consent page. It
/// answers at once with a redirect to `redirect_uri?code=…` (and `state`, echoed, "OAuth 2.0
/// authorization-code flow" step 2) for a location token of the simulated location.
pub(crate) async fn choose_location(
    State(sim): State<Shared>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Res {
    let q = crate::web::Query::parse(raw);
    let Some(redirect) = q.get("redirect_uri") else {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "redirect_uri is required",
        ));
    };
    let code = {
        let mut db = sim.write();
        let code = db.new_id("Cd");
        db.codes
            .insert(code.clone(), TokenKind::Location(sim.location_id.clone()));
        code
    };
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = q.get("state") {
        pairs.push(("state", state));
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{sep}{query}");
    let mut resp = axum::response::IntoResponse::into_response(StatusCode::FOUND);
    let value = http::HeaderValue::from_str(&location)
        .map_err(|_| ApiErr::new(StatusCode::BAD_REQUEST, "redirect_uri is not a valid URL"))?;
    resp.headers_mut().insert(http::header::LOCATION, value);
    Ok(resp)
}
