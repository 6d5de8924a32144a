//! REST hooks.

use super::*;

const EVENTS: &[&str] = &[
    "party/created",
    "party/updated",
    "party/deleted",
    "opportunity/created",
    "opportunity/updated",
    "opportunity/deleted",
    "opportunity/closed",
    "opportunity/moved",
    "kase/created",
    "kase/updated",
    "kase/deleted",
    "kase/closed",
    "kase/moved",
    "task/created",
    "task/updated",
    "task/completed",
    "user/created",
    "user/updated",
    "user/deleted",
];

/// The caller's OAuth client id, if it is an administrator using an OAuth application.
fn hook_client(db: &Db, caller: &Caller) -> ApiResult<String> {
    let TokenKind::OAuth { client_id } = &caller.kind else {
        return Err(ApiError::Forbidden(
            "REST hooks can only be managed by a registered OAuth application".into(),
        ));
    };
    if !db.users.get(&caller.user).is_some_and(|u| u.admin) {
        return Err(ApiError::Forbidden(
            "only administrators can manage REST hooks".into(),
        ));
    }
    Ok(client_id.clone())
}

pub(crate) async fn list_hooks(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let db = app.lock();
    let client = hook_client(&db, &caller)?;
    let items: Vec<Value> = db
        .hooks
        .values()
        .filter(|h| h.client_id == client)
        .map(|h| db.render_hook(h))
        .collect();
    Ok(ok(json!({"restHooks": items})))
}

pub(crate) async fn show_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    let client = hook_client(&db, &caller)?;
    let h = db
        .hooks
        .get(&id)
        .filter(|h| h.client_id == client)
        .ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"restHook": db.render_hook(h)})))
}

pub(crate) async fn create_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    const R: &str = "restHook";
    let mut db = app.lock();
    let client = hook_client(&db, &caller)?;
    let input = envelope(&body, "restHook")?;
    let event = match patch_str(&input, "event", R)? {
        Patch::Set(e) => e,
        _ => return Err(invalid("event is required", R, "event")),
    };
    if !EVENTS.contains(&event.as_str()) {
        return Err(invalid("event is invalid", R, "event"));
    }
    let target = match patch_str(&input, "targetUrl", R)? {
        Patch::Set(t) => t,
        _ => return Err(invalid("targetUrl is required", R, "targetUrl")),
    };
    if !url::Url::parse(&target).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        return Err(invalid("targetUrl is invalid", R, "targetUrl"));
    }
    let mut description = None;
    patch_str(&input, "description", R)?.apply(&mut description);
    let mut embed = None;
    patch_str(&input, "embed", R)?.apply(&mut embed);
    if db.hooks.len() >= 20 {
        return Err(invalid("maximum number of REST hooks reached", R, "event"));
    }
    let id = db.small_id();
    let created_at = db.now();
    db.hooks.insert(
        id,
        Hook {
            id,
            event,
            target_url: target,
            description,
            embed,
            user: caller.user,
            client_id: client,
            created_at,
        },
    );
    let value = db.hooks.get(&id).map(|h| db.render_hook(h));
    Ok(created(
        &format!("{}/resthooks/{id}", app.api_base()),
        json!({"restHook": value}),
    ))
}

pub(crate) async fn delete_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let mut db = app.lock();
    let client = hook_client(&db, &caller)?;
    if db.hooks.get(&id).is_none_or(|h| h.client_id != client) {
        return Err(ApiError::NotFound);
    }
    db.hooks.remove(&id);
    Ok(no_content())
}
