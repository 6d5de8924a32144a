//! Entries (notes, logged activities, emails, completed-task records): the global feed, show
//! and writes (docs/vendors/capsule-v2-addendum.md, "Entries as engagements"; Simulator must
//! reproduce, items 16 to 20).

use super::*;

pub(crate) async fn list_entries(State(app): State<Shared>, uri: Uri) -> ApiResult {
    entry_feed(&app, &uri, 100, |_| true)
}

pub(crate) async fn show_entry(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "entry", |db, id| {
        db.entries.get(&id).map(|e| db.render_entry(e))
    })
}

/// The activity type a write names, checked against the tenant's types (422 when unknown).
fn activity_type(db: &Db, obj: &Map<String, Value>) -> ApiResult<Option<i64>> {
    match obj.get("activityType") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => ref_i64(v)
            .filter(|id| db.entry_activity_known(*id))
            .map(Some)
            .ok_or_else(|| invalid("activityType not found", "entry", "activityType")),
    }
}

fn entry_at(obj: &Map<String, Value>) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    match patch_str(obj, "entryAt", "entry")? {
        Patch::Set(s) => parse_datetime(&s)
            .map(Some)
            .ok_or_else(|| invalid("entryAt is invalid", "entry", "entryAt")),
        _ => Ok(None),
    }
}

pub(crate) async fn create_entry(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    const R: &str = "entry";
    let input = envelope(&body, "entry")?;
    if let Some(t) = input.get("type").filter(|t| !t.is_null()) {
        if !t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("note")) {
            return Err(invalid(
                "only entries of type note can be created",
                R,
                "type",
            ));
        }
    }
    let content = match patch_str(&input, "content", R)? {
        Patch::Set(c) if !c.trim().is_empty() => c,
        _ => return Err(invalid("content is required", R, "content")),
    };
    let links: Vec<&str> = ["party", "opportunity", "kase"]
        .into_iter()
        .filter(|k| input.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if links.len() != 1 {
        return Err(invalid(
            "entry must be linked to either a party, opportunity or kase",
            R,
            "party",
        ));
    }
    let at = entry_at(&input)?;
    let (id, value) = {
        let mut db = app.lock();
        let activity = activity_type(&db, &input)?.unwrap_or(-1);
        let (mut party, mut opportunity) = (None, None);
        let target = input.get(links[0]).and_then(ref_id);
        match links[0] {
            "party" => {
                party = target.filter(|id| db.parties.contains_key(id));
                if party.is_none() {
                    return Err(invalid("party not found", R, "party"));
                }
            }
            "opportunity" => {
                opportunity = target.filter(|id| db.opportunities.contains_key(id));
                if opportunity.is_none() {
                    return Err(invalid("opportunity not found", R, "opportunity"));
                }
            }
            _ => return Err(invalid("kase not found", R, "kase")),
        }
        let t = db.now();
        let id = db.id();
        let entry_at = at.unwrap_or(t);
        let creator = caller.user;
        db.entries.insert(
            id,
            Entry {
                id,
                kind: "note",
                content,
                subject: None,
                entry_at,
                creator,
                activity_type: activity,
                party,
                opportunity,
                parties: Vec::new(),
                participants: Vec::new(),
                created_at: t,
                updated_at: t,
            },
        );
        // Item 17: the record's lastContactedAt moves when the type says so.
        let moves = db.activity_updates_last_contacted(activity);
        if let Some(p) = party.and_then(|p| db.parties.get_mut(&p)).filter(|_| moves) {
            if p.last_contacted_at.is_none_or(|l| l < entry_at) {
                p.last_contacted_at = Some(entry_at);
            }
        }
        if let Some(o) = opportunity
            .and_then(|o| db.opportunities.get_mut(&o))
            .filter(|_| moves)
        {
            if o.last_contacted_at.is_none_or(|l| l < entry_at) {
                o.last_contacted_at = Some(entry_at);
            }
        }
        let value = db.entries.get(&id).map(|e| db.render_entry(e));
        (id, value.unwrap_or(Value::Null))
    };
    created_with(&app, Vec::new(), "entries", id, "entry", value)
}

pub(crate) async fn update_entry(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "entry")?;
    let at = entry_at(&input)?;
    let content = match patch_str(&input, "content", "entry")? {
        Patch::Set(c) => Some(c),
        Patch::Null => return Err(invalid("content is required", "entry", "content")),
        Patch::Absent => None,
    };
    let mut db = app.lock();
    if !db.entries.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    let activity = activity_type(&db, &input)?;
    let t_now = db.now();
    let e = db.entries.get_mut(&id).ok_or(ApiError::NotFound)?;
    if let Some(c) = content {
        e.content = c;
    }
    if let Some(a) = activity {
        e.activity_type = a;
    }
    if let Some(t) = at {
        e.entry_at = t;
    }
    e.updated_at = bump(e.updated_at, t_now);
    let value = db.entries.get(&id).map(|e| db.render_entry(e));
    Ok(ok(json!({"entry": value})))
}

pub(crate) async fn delete_entry(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    app.lock().entries.remove(&id).ok_or(ApiError::NotFound)?;
    Ok(no_content())
}
