//! Projects (`/kases`): list, search, show, the deleted feed, writes with the owner/team and
//! stage rules, additional parties, project tags and field definitions
//! (docs/vendors/capsule-v2-addendum.md, "Projects" and "Simulator must reproduce", items
//! 1–4, 6, 7, 9–11).

use super::*;
use crate::capsule::model::Kase;

pub(crate) async fn list_kases(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let since = since_filter(&q)?;
    let embed = q.embed();
    let db = app.lock();
    let items = db
        .kases
        .kases
        .values()
        .filter(|k| since.is_none_or(|s| k.updated_at > s));
    page_of(&app, &uri, &q, paging, "kases", items, |k| {
        db.render_kase(k, embed)
    })
}

pub(crate) async fn search_kases(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let needle = q.get("q").unwrap_or("").trim().to_lowercase();
    let db = app.lock();
    let items = db.kases.kases.values().filter(|k| {
        !needle.is_empty()
            && (k.name.to_lowercase().contains(&needle)
                || k.description
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains(&needle)))
    });
    page_of(&app, &uri, &q, paging, "kases", items, |k| {
        db.render_kase(k, embed)
    })
}

pub(crate) async fn deleted_kases(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let db = app.lock();
    deleted_feed(&query(&uri), &db.kases.deleted, "kases")
}

pub(crate) async fn show_kases(
    State(app): State<Shared>,
    Path(ids): Path<String>,
    uri: Uri,
) -> ApiResult {
    let embed = query(&uri).embed();
    show_by_ids(&app, &ids, "kase", "kases", |db, id| {
        db.kases.kases.get(&id).map(|k| db.render_kase(k, embed))
    })
}

/// Applies a project body (create or update) to `k`, per "Project write rules".
fn apply_kase(
    db: &mut Db,
    k: &mut Kase,
    obj: &Map<String, Value>,
    body: &[u8],
    creating: bool,
) -> ApiResult<()> {
    const R: &str = "kase";
    match patch_str(obj, "name", R)? {
        Patch::Set(n) => k.name = n,
        Patch::Null => return Err(invalid("name is required", R, "name")),
        Patch::Absent if creating => return Err(invalid("name is required", R, "name")),
        Patch::Absent => {}
    }
    patch_str(obj, "description", R)?.apply(&mut k.description);
    match patch_ref(obj, "party", R) {
        Ok(Patch::Set(id)) => {
            if !db.parties.contains_key(&id) {
                return Err(invalid("party not found", R, "party"));
            }
            k.party = id;
        }
        Ok(Patch::Absent) if !creating => {}
        _ => return Err(invalid("party is required", R, "party")),
    }
    match patch_ref(obj, "opportunity", R)? {
        Patch::Set(id) if !db.opportunities.contains_key(&id) => {
            return Err(invalid("opportunity not found", R, "opportunity"));
        }
        p => p.apply(&mut k.opportunity),
    }
    // A stage of any board is accepted (it moves the project onto that board); null takes
    // the project off every board. A bare integer and `{"id": N}` are both accepted.
    match patch_ref(obj, "stage", R)? {
        Patch::Set(id) if !db.kases.stages.contains_key(&id) => {
            return Err(invalid("stage not found", R, "stage"));
        }
        p => p.apply(&mut k.stage),
    }
    match patch_str(obj, "status", R)? {
        Patch::Absent => {}
        Patch::Null => return Err(invalid("status is invalid", R, "status")),
        Patch::Set(s) => match s.to_ascii_uppercase().as_str() {
            "OPEN" => {
                k.status = "OPEN";
                k.closed_on = None;
            }
            "CLOSED" => {
                if k.status != "CLOSED" {
                    k.closed_on = Some(db.now().date_naive());
                }
                k.status = "CLOSED";
            }
            _ => return Err(invalid("status is invalid", R, "status")),
        },
    }
    match patch_str(obj, "expectedCloseOn", R)? {
        Patch::Absent => {}
        Patch::Null => k.expected_close_on = None,
        Patch::Set(s) => {
            k.expected_close_on = Some(
                parse_date(&s)
                    .ok_or_else(|| invalid("expectedCloseOn is invalid", R, "expectedCloseOn"))?,
            );
        }
    }
    // Owner and team: owner without team clears the team; team alone keeps the owner.
    let owner_patch = patch_ref(obj, "owner", R)?;
    let team_patch = patch_ref(obj, "team", R)?;
    if let Patch::Set(u) = owner_patch {
        if !db.users.contains_key(&u) {
            return Err(invalid("owner not found", R, "owner"));
        }
    }
    if let Patch::Set(t) = team_patch {
        if !db.kases.teams.contains_key(&t) {
            return Err(invalid("team not found", R, "team"));
        }
    }
    let owner_sent = owner_patch != Patch::Absent;
    let team_sent = team_patch != Patch::Absent;
    owner_patch.apply(&mut k.owner);
    team_patch.apply(&mut k.team);
    if owner_sent && !team_sent && !creating {
        k.team = None;
    }
    if k.owner.is_none() && k.team.is_none() {
        return Err(invalid("owner or team is required", R, "owner"));
    }
    if let (Some(u), Some(t)) = (k.owner, k.team) {
        let member = db
            .kases
            .teams
            .get(&t)
            .is_some_and(|t| t.members.contains(&u));
        if !member {
            return Err(invalid("owner is not a member of the team", R, "owner"));
        }
    }
    merge_tags(db, TagScope::Kase, &mut k.tags, obj, R)?;
    merge_fields(db, |db| &db.kases.fields, &mut k.fields, obj, body, R)?;
    Ok(())
}

fn render_kase_by_id(db: &Db, id: u64, embed: Embed) -> Value {
    db.kases
        .kases
        .get(&id)
        .map_or(Value::Null, |k| db.render_kase(k, embed))
}

pub(crate) async fn create_kase(State(app): State<Shared>, uri: Uri, body: Body) -> ApiResult {
    let input = envelope(&body, "kase")?;
    let embed = query(&uri).embed();
    let (id, value) = {
        let mut db = app.lock();
        let t = db.now();
        let mut k = Kase {
            id: 0,
            name: String::new(),
            description: None,
            status: "OPEN",
            party: 0,
            opportunity: None,
            owner: None,
            team: None,
            stage: None,
            expected_close_on: None,
            closed_on: None,
            tags: Vec::new(),
            fields: Vec::new(),
            additional_parties: Vec::new(),
            created_at: t,
            updated_at: t,
            last_contacted_at: None,
        };
        apply_kase(&mut db, &mut k, &input, &body, true)?;
        let tracks = new_tracks(&db, &input)?;
        let id = db.kases.new_id();
        k.id = id;
        db.kases.kases.insert(id, k);
        // Item 5: each track is applied from today.
        let today = db.now().date_naive();
        for def in tracks {
            apply(&mut db, def, Target::Kase(id), today, 0)?;
        }
        (id, render_kase_by_id(&db, id, embed))
    };
    created_with(&app, Vec::new(), "kases", id, "kase", value)
}

pub(crate) async fn update_kase(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "kase")?;
    let embed = query(&uri).embed();
    let value = {
        let mut db = app.lock();
        let mut k = db.kases.kases.get(&id).cloned().ok_or(ApiError::NotFound)?;
        apply_kase(&mut db, &mut k, &input, &body, false)?;
        k.updated_at = bump(k.updated_at, db.now());
        db.kases.kases.insert(id, k);
        sync_tasks_of_kase(&mut db, id);
        render_kase_by_id(&db, id, embed)
    };
    updated_with(&app, Vec::new(), "kase", value)
}

pub(crate) async fn delete_kase(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    let mut db = app.lock();
    if db.kases.kases.remove(&id).is_none() {
        return Err(ApiError::NotFound);
    }
    let t = db.now();
    db.kases.deleted.push((id, t));
    // Item 9: the project's tasks go with it (entries cannot be filed on a project in
    // this simulator yet; track instances are not simulated).
    db.tasks.retain(|_, task| task.kase != Some(id));
    Ok(no_content())
}

fn related_kases(app: &App, uri: &Uri, keep: impl Fn(&Kase) -> bool) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let items = db.kases.kases.values().filter(|k| keep(k));
    page_of(app, uri, &q, paging, "kases", items, |k| {
        db.render_kase(k, embed)
    })
}

pub(crate) async fn party_kases(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().parties.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    related_kases(&app, &uri, |k| k.party == id)
}

pub(crate) async fn opportunity_kases(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    related_kases(&app, &uri, |k| k.opportunity == Some(id))
}

pub(crate) async fn kase_parties(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let k = db.kases.kases.get(&id).ok_or(ApiError::NotFound)?;
    let items = k
        .additional_parties
        .iter()
        .filter_map(|p| db.parties.get(p));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(crate) async fn link_kase_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    if !db.parties.contains_key(&party) {
        return Err(ApiError::NotFound);
    }
    let k = db.kases.kases.get_mut(&id).ok_or(ApiError::NotFound)?;
    if k.party == party {
        return Err(invalid(
            "party is already related to this kase",
            "kase",
            "party",
        ));
    }
    if k.additional_parties.contains(&party) {
        return Err(invalid(
            "party is already a contact for this kase",
            "kase",
            "party",
        ));
    }
    k.additional_parties.push(party);
    Ok(no_content())
}

pub(crate) async fn unlink_kase_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    let k = db.kases.kases.get_mut(&id).ok_or(ApiError::NotFound)?;
    let pos = k
        .additional_parties
        .iter()
        .position(|p| *p == party)
        .ok_or(ApiError::NotFound)?;
    k.additional_parties.remove(pos);
    Ok(no_content())
}

pub(crate) async fn kase_tags(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let db = app.lock();
    let items = db.kases.tags.values();
    page_of(&app, &uri, &q, paging, "tags", items, Db::render_tag)
}

pub(crate) async fn kase_definitions(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let db = app.lock();
    let items = db.kases.fields.values();
    page_of(
        &app,
        &uri,
        &q,
        paging,
        "definitions",
        items,
        Db::render_definition,
    )
}

pub(crate) async fn kase_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    show_one(&app, &id, "definition", |db, id| {
        db.kases.fields.get(&id).map(Db::render_definition)
    })
}

/// The track definitions of a new project's `tracks` (`[{"definition": {"id": N}}]`), each
/// checked to exist and to apply to projects (422 otherwise) before the project is stored.
fn new_tracks(db: &Db, input: &Map<String, Value>) -> ApiResult<Vec<u64>> {
    let Some(list) = input.get("tracks").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or_else(|| invalid("tracks is invalid", "kase", "tracks"))?;
    items
        .iter()
        .map(|t| {
            let id = t
                .get("definition")
                .and_then(ref_id)
                .ok_or_else(|| invalid("track definition is required", "track", "definition"))?;
            let applies = db
                .kases
                .track_definitions
                .iter()
                .any(|d| d["id"].as_u64() == Some(id) && d["captureRule"] == "CASEFILE");
            if applies {
                Ok(id)
            } else {
                Err(invalid("track definition not found", "track", "definition"))
            }
        })
        .collect()
}
