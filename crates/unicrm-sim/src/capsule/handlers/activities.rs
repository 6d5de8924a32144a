//! Activity types (`/activitytypes`): list, show, and writes on the Teams edition
//! (docs/vendors/capsule-v2-addendum.md, "Activity types"; Simulator must reproduce, items 14
//! and 15).

use super::*;
use crate::capsule::model::ActivityType;

fn activity_id(s: &str) -> ApiResult<i64> {
    s.trim().parse::<i64>().map_err(|_| ApiError::NotFound)
}

pub(crate) async fn list_activity_types(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let db = app.lock();
    page_of(
        &app,
        &uri,
        &q,
        paging,
        "activityTypes",
        db.activity_types.values(),
        |t| db.render_activity_type(t),
    )
}

pub(crate) async fn show_activity_type(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = activity_id(&id)?;
    let db = app.lock();
    let t = db.activity_types.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"activityType": db.render_activity_type(t)})))
}

/// 403 on a tenant without the Teams edition (the text is ours: unknown, L).
fn teams_only(app: &App) -> ApiResult<()> {
    if app.lock().teams_edition {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Activity types are available on the Teams edition only".into(),
        ))
    }
}

fn icon_of(input: &Map<String, Value>) -> ApiResult<Option<String>> {
    match input.get("icon") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_ascii_uppercase())),
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_ascii_uppercase())),
            _ => Err(invalid("icon is invalid", "activityType", "icon")),
        },
        Some(_) => Err(invalid("icon is invalid", "activityType", "icon")),
    }
}

fn flag(input: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!("{key} is invalid"), "activityType", key)),
    }
}

pub(crate) async fn create_activity_type(State(app): State<Shared>, body: Body) -> ApiResult {
    teams_only(&app)?;
    let input = envelope(&body, "activityType")?;
    let name = match patch_str(&input, "name", "activityType")? {
        Patch::Set(n) if !n.trim().is_empty() => n,
        _ => return Err(invalid("name is required", "activityType", "name")),
    };
    let icon = icon_of(&input)?.unwrap_or_else(|| "NOTE".into());
    let update = flag(&input, "updateLastContacted")?.unwrap_or(true);
    let (id, value) = {
        let mut db = app.lock();
        let id = db.next_activity_id();
        let t = ActivityType {
            id,
            name,
            icon,
            update_last_contacted: update,
        };
        let value = db.render_activity_type(&t);
        db.activity_types.insert(id, t);
        (id, value)
    };
    Ok(created(
        &format!("{}/activitytypes/{id}", app.api_base()),
        json!({"activityType": value}),
    ))
}

pub(crate) async fn update_activity_type(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = activity_id(&id)?;
    teams_only(&app)?;
    let input = envelope(&body, "activityType")?;
    let name = match patch_str(&input, "name", "activityType")? {
        Patch::Set(n) if !n.trim().is_empty() => Some(n),
        Patch::Absent => None,
        _ => return Err(invalid("name is required", "activityType", "name")),
    };
    let icon = icon_of(&input)?;
    let update = flag(&input, "updateLastContacted")?;
    let mut db = app.lock();
    let t = db.activity_types.get_mut(&id).ok_or(ApiError::NotFound)?;
    if let Some(n) = name {
        t.name = n;
    }
    if let Some(i) = icon {
        t.icon = i;
    }
    if let Some(u) = update {
        t.update_last_contacted = u;
    }
    let t = t.clone();
    Ok(ok(json!({"activityType": db.render_activity_type(&t)})))
}
