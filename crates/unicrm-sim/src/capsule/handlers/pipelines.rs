//! Pipelines, milestones, lost reasons, task categories and teams.

use super::*;

pub(crate) async fn list_pipelines(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let db = app.lock();
    page_of(
        &app,
        &uri,
        &q,
        paging,
        "pipelines",
        db.pipelines.values(),
        |p| db.render_pipeline(p),
    )
}

pub(crate) async fn show_pipelines(
    State(app): State<Shared>,
    Path(ids): Path<String>,
) -> ApiResult {
    show_by_ids(&app, &ids, "pipeline", "pipelines", |db, id| {
        db.pipelines.get(&id).map(|p| db.render_pipeline(p))
    })
}

fn milestone_list(app: &App, uri: &Uri, pipeline: u64) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = db.pipeline_milestones(pipeline).into_iter();
    page_of(app, uri, &q, paging, "milestones", items, |m| {
        db.render_milestone(m)
    })
}

pub(crate) async fn pipeline_milestones(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().pipelines.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    milestone_list(&app, &uri, id)
}

pub(crate) async fn legacy_milestones(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let first = app.lock().pipelines.keys().next().copied().unwrap_or(0);
    milestone_list(&app, &uri, first)
}

pub(crate) async fn show_milestone(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "milestone", |db, id| {
        db.milestones.get(&id).map(|m| db.render_milestone(m))
    })
}

pub(crate) async fn lost_reasons(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let t = crate::capsule::web::fmt_dt(&db.seeded_at);
    let items: Vec<Value> = db
        .lost_reasons
        .values()
        .map(|r| json!({"id": r.id, "name": r.name, "includedForConversion": false, "createdAt": t, "updatedAt": t}))
        .collect();
    Ok(ok(json!({"lostReasons": items})))
}

pub(crate) async fn categories(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let items: Vec<Value> = db
        .categories
        .keys()
        .filter_map(|id| {
            let t = Task {
                id: 0,
                description: String::new(),
                detail: None,
                due_on: chrono::NaiveDate::default(),
                due_time: None,
                status: "OPEN",
                category: Some(*id),
                party: None,
                opportunity: None,
                kase: None,
                has_track: false,
                owner: None,
                completed_at: None,
                completed_by: None,
                created_at: db.seeded_at,
                updated_at: db.seeded_at,
            };
            db.render_task(&t).get("category").cloned()
        })
        .collect();
    Ok(ok(json!({"categories": items})))
}

pub(crate) async fn teams() -> ApiResult {
    Ok(ok(json!({"teams": []})))
}
