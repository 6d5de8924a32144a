//! Tag and custom-field definitions of parties and opportunities.

use super::*;

fn tag_defs(db: &Db, scope: TagScope) -> &BTreeMap<u64, TagDef> {
    match scope {
        TagScope::Party => &db.party_tags,
        TagScope::Opportunity => &db.opp_tags,
        TagScope::Kase => &db.kases.tags,
    }
}

fn tag_list(app: &App, uri: &Uri, scope: TagScope) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = tag_defs(&db, scope).values();
    page_of(app, uri, &q, paging, "tags", items, Db::render_tag)
}

fn tag_show(app: &App, id: &str, scope: TagScope) -> ApiResult {
    show_one(app, id, "tag", |db, id| {
        tag_defs(db, scope).get(&id).map(Db::render_tag)
    })
}

pub(crate) async fn party_tags(State(app): State<Shared>, uri: Uri) -> ApiResult {
    tag_list(&app, &uri, TagScope::Party)
}

pub(crate) async fn party_tag(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    tag_show(&app, &id, TagScope::Party)
}

pub(crate) async fn opportunity_tags(State(app): State<Shared>, uri: Uri) -> ApiResult {
    tag_list(&app, &uri, TagScope::Opportunity)
}

pub(crate) async fn opportunity_tag(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    tag_show(&app, &id, TagScope::Opportunity)
}

fn field_defs(db: &Db, opportunity: bool) -> &BTreeMap<u64, FieldDef> {
    if opportunity {
        &db.opp_fields
    } else {
        &db.party_fields
    }
}

fn definition_list(app: &App, uri: &Uri, opportunity: bool) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = field_defs(&db, opportunity).values();
    page_of(
        app,
        uri,
        &q,
        paging,
        "definitions",
        items,
        Db::render_definition,
    )
}

fn definition_show(app: &App, id: &str, opportunity: bool) -> ApiResult {
    show_one(app, id, "definition", |db, id| {
        field_defs(db, opportunity)
            .get(&id)
            .map(Db::render_definition)
    })
}

fn create_definition(
    app: &App,
    caller: &Caller,
    uri: &Uri,
    body: &[u8],
    opportunity: bool,
) -> ApiResult {
    const R: &str = "definition";
    let input = envelope(body, "definition")?;
    let mut db = app.lock();
    if !db.users.get(&caller.user).is_some_and(|u| u.admin) {
        return Err(ApiError::Forbidden(
            "only administrators can create custom fields".into(),
        ));
    }
    let name = match patch_str(&input, "name", R)? {
        Patch::Set(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(invalid("name is required", R, "name")),
    };
    if field_defs(&db, opportunity)
        .values()
        .any(|d| d.name.eq_ignore_ascii_case(&name))
    {
        return Err(invalid("name must be unique", R, "name"));
    }
    let kind = match input.get("type").and_then(Value::as_str) {
        Some("text") => "text",
        Some("number") => "number",
        Some("date") => "date",
        Some("boolean") => "boolean",
        Some("list") => "list",
        Some("link") => "link",
        _ => return Err(invalid("type is invalid", R, "type")),
    };
    let options: Vec<String> = input
        .get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if kind == "list" && options.is_empty() {
        return Err(invalid("options are required", R, "options"));
    }
    let capture_rule = match input.get("captureRule").and_then(Value::as_str) {
        Some("person") if !opportunity => Some("person"),
        Some("organisation") if !opportunity => Some("organisation"),
        _ => None,
    };
    let mut description = None;
    patch_str(&input, "description", R)?.apply(&mut description);
    let id = db
        .party_fields
        .keys()
        .chain(db.opp_fields.keys())
        .max()
        .copied()
        .unwrap_or(0)
        + 1;
    let defs = if opportunity {
        &mut db.opp_fields
    } else {
        &mut db.party_fields
    };
    let display_order = u32::try_from(defs.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let def = FieldDef {
        id,
        name,
        kind,
        description,
        options,
        capture_rule,
        important: input
            .get("important")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        display_order,
    };
    let value = Db::render_definition(&def);
    defs.insert(id, def);
    Ok(created(
        &format!("{}{}/{id}", app.origin, uri.path()),
        json!({"definition": value}),
    ))
}

pub(crate) async fn create_party_definition(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    create_definition(&app, &caller, &uri, &body, false)
}

pub(crate) async fn create_opportunity_definition(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    create_definition(&app, &caller, &uri, &body, true)
}

pub(crate) async fn party_definitions(State(app): State<Shared>, uri: Uri) -> ApiResult {
    definition_list(&app, &uri, false)
}

pub(crate) async fn party_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    definition_show(&app, &id, false)
}

pub(crate) async fn opportunity_definitions(State(app): State<Shared>, uri: Uri) -> ApiResult {
    definition_list(&app, &uri, true)
}

pub(crate) async fn opportunity_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    definition_show(&app, &id, true)
}
