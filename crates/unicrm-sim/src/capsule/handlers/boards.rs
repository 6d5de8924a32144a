//! Boards and stages (docs/vendors/capsule-v2-addendum.md, "Boards and stages"; "Simulator
//! must reproduce", items 12 and 13).

use super::*;
use crate::capsule::model::{Board, BoardStage};

/// Whether a board passes `status` (`active` default, `archived`, `nonempty`, `all`).
fn board_status_ok(db: &Db, b: &Board, status: &str) -> ApiResult<bool> {
    Ok(match status {
        "active" => !b.archived,
        "archived" => b.archived,
        "all" => true,
        "nonempty" => db.kases.kases.values().any(|k| {
            k.stage
                .and_then(|s| db.kases.stages.get(&s))
                .is_some_and(|s| s.board == b.id)
        }),
        _ => return Err(invalid("status is invalid", "query", "status")),
    })
}

fn stage_status_ok(s: &BoardStage, status: &str) -> ApiResult<bool> {
    Ok(match status {
        "active" => !s.archived,
        "archived" => s.archived,
        "all" => true,
        _ => return Err(invalid("status is invalid", "query", "status")),
    })
}

pub(crate) async fn list_boards(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let status = q.get("status").unwrap_or("active").to_ascii_lowercase();
    let needle = q.get("q").map(|s| s.trim().to_lowercase());
    let db = app.lock();
    let mut items = Vec::new();
    for b in db.kases.boards.values() {
        let name_ok = needle
            .as_deref()
            .is_none_or(|n| b.name.to_lowercase().contains(n));
        if name_ok && board_status_ok(&db, b, &status)? {
            items.push(b);
        }
    }
    page_of(
        &app,
        &uri,
        &q,
        paging,
        "boards",
        items.into_iter(),
        Db::render_board,
    )
}

pub(crate) async fn show_board(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "board", |db, id| {
        db.kases.boards.get(&id).map(Db::render_board)
    })
}

fn stage_page(app: &App, uri: &Uri, keep: impl Fn(&Db, &BoardStage) -> bool) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let status = q.get("status").unwrap_or("active").to_ascii_lowercase();
    let db = app.lock();
    let mut items = Vec::new();
    for s in db.kases.stages.values() {
        if keep(&db, s) && stage_status_ok(s, &status)? {
            items.push(s);
        }
    }
    items.sort_by_key(|s| (s.board, s.display_order, s.id));
    page_of(app, uri, &q, paging, "stages", items.into_iter(), |s| {
        db.render_stage(s)
    })
}

pub(crate) async fn board_stages(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().kases.boards.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    stage_page(&app, &uri, |_, s| s.board == id)
}

pub(crate) async fn list_stages(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let q = query(&uri);
    let with_archived = q
        .get("includeOnDeletedBoard")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    stage_page(&app, &uri, |db, s| {
        with_archived || db.kases.boards.get(&s.board).is_some_and(|b| !b.archived)
    })
}

pub(crate) async fn show_stage(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "stage", |db, id| {
        db.kases.stages.get(&id).map(|s| db.render_stage(s))
    })
}

fn require_admin(db: &Db, caller: &Caller) -> ApiResult<()> {
    if db.users.get(&caller.user).is_some_and(|u| u.admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only administrators can change stages".into(),
        ))
    }
}

fn apply_stage(s: &mut BoardStage, obj: &Map<String, Value>) -> ApiResult<()> {
    const R: &str = "stage";
    match patch_str(obj, "name", R)? {
        Patch::Set(n) => s.name = n,
        Patch::Null => return Err(invalid("name is required", R, "name")),
        Patch::Absent => {}
    }
    patch_str(obj, "description", R)?.apply(&mut s.description);
    if let Some(v) = obj.get("displayOrder").filter(|v| !v.is_null()) {
        s.display_order = v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| invalid("displayOrder is invalid", R, "displayOrder"))?;
    }
    Ok(())
}

pub(crate) async fn create_stage(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "stage")?;
    let (id, value) = {
        let mut db = app.lock();
        require_admin(&db, &caller)?;
        let board = input
            .get("board")
            .and_then(ref_id)
            .filter(|b| db.kases.boards.contains_key(b))
            .ok_or_else(|| invalid("board is required", "stage", "board"))?;
        if input.get("name").and_then(Value::as_str).is_none() {
            return Err(invalid("name is required", "stage", "name"));
        }
        let t = db.now();
        db.kases.next_stage += 1;
        let id = db.kases.next_stage;
        let order = db
            .kases
            .stages
            .values()
            .filter(|s| s.board == board)
            .map(|s| s.display_order)
            .max()
            .unwrap_or(0)
            + 1;
        let mut s = BoardStage {
            id,
            name: String::new(),
            description: None,
            board,
            display_order: order,
            archived: false,
            created_at: t,
            updated_at: t,
        };
        apply_stage(&mut s, &input)?;
        let value = db.render_stage(&s);
        db.kases.stages.insert(id, s);
        (id, value)
    };
    created_with(&app, Vec::new(), "stages", id, "stage", value)
}

pub(crate) async fn update_stage(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "stage")?;
    let value = {
        let mut db = app.lock();
        require_admin(&db, &caller)?;
        let mut s = db
            .kases
            .stages
            .get(&id)
            .cloned()
            .ok_or(ApiError::NotFound)?;
        apply_stage(&mut s, &input)?;
        s.updated_at = bump(s.updated_at, db.now());
        let value = db.render_stage(&s);
        db.kases.stages.insert(id, s);
        value
    };
    updated_with(&app, Vec::new(), "stage", value)
}
