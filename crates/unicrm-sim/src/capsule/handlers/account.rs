//! Users and the site.

use super::*;

pub(crate) async fn list_users(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let items: Vec<Value> = db.users.values().map(|u| db.render_user(u)).collect();
    Ok(ok(json!({"users": items})))
}

pub(crate) async fn current_user(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let db = app.lock();
    let u = db.users.get(&caller.user).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"user": db.render_user(u)})))
}

pub(crate) async fn show_user(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "user", |db, id| {
        db.users.get(&id).map(|u| db.render_user(u))
    })
}

pub(crate) async fn site() -> ApiResult {
    Ok(ok(json!({"site": {
        "url": "https://sandbox.capsulecrm.com",
        "subdomain": "sandbox",
        "name": "unicrm sandbox"
    }})))
}
