//! Opportunities: list, show, search, deleted feed, writes and the closing rules, additional parties.

use super::*;

pub(crate) async fn list_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let since = since_filter(&q)?;
    let embed = q.embed();
    let db = app.lock();
    let items = db
        .opportunities
        .values()
        .filter(|o| since.is_none_or(|s| o.updated_at > s));
    page_of(&app, &uri, &q, paging, "opportunities", items, |o| {
        db.render_opportunity(o, embed)
    })
}

pub(crate) async fn search_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let needle = q.get("q").unwrap_or("").trim().to_lowercase();
    let db = app.lock();
    // An empty needle matches nothing. The search index may lag behind writes.
    let items = db
        .opportunities
        .values()
        .filter_map(|o| db.opportunity_in_search(o))
        .filter(|o| {
            !needle.is_empty()
                && (o.name.to_lowercase().contains(&needle)
                    || o.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&needle)))
        });
    page_of(&app, &uri, &q, paging, "opportunities", items, |o| {
        db.render_opportunity(o, embed)
    })
}

pub(crate) async fn deleted_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let db = app.lock();
    deleted_feed(&query(&uri), &db.deleted_opportunities, "opportunities")
}

pub(crate) async fn show_opportunities(
    State(app): State<Shared>,
    Path(ids): Path<String>,
    uri: Uri,
) -> ApiResult {
    let embed = query(&uri).embed();
    show_by_ids(&app, &ids, "opportunity", "opportunities", |db, id| {
        db.opportunities
            .get(&id)
            .map(|o| db.render_opportunity(o, embed))
    })
}

pub(super) fn show_result(multi: bool, one: &str, many: &str, items: Vec<Value>) -> ApiResult {
    if multi {
        return Ok(ok(wrap(many, Value::Array(items))));
    }
    items
        .into_iter()
        .next()
        .map(|v| ok(wrap(one, v)))
        .ok_or(ApiError::NotFound)
}

/// Events raised by an opportunity write, besides created/updated.
#[derive(Debug, Default)]
struct OppEvents {
    closed: bool,
    moved: bool,
}

fn apply_opportunity(
    db: &mut Db,
    o: &mut Opportunity,
    obj: &Map<String, Value>,
    body: &[u8],
    creating: bool,
) -> ApiResult<OppEvents> {
    const R: &str = "opportunity";
    let mut events = OppEvents::default();
    match patch_str(obj, "name", R)? {
        Patch::Set(n) => o.name = n,
        Patch::Null => return Err(invalid("name is required", R, "name")),
        Patch::Absent if creating => return Err(invalid("name is required", R, "name")),
        Patch::Absent => {}
    }
    patch_str(obj, "description", R)?.apply(&mut o.description);
    match patch_ref(obj, "party", R) {
        Ok(Patch::Set(id)) => {
            if !db.parties.contains_key(&id) {
                return Err(invalid("party not found", R, "party"));
            }
            o.party = id;
        }
        Ok(Patch::Absent) if !creating => {}
        _ => return Err(invalid("party is required", R, "party")),
    }
    let old_ms = o.milestone;
    let new_ms = match patch_ref(obj, "milestone", R) {
        Ok(Patch::Set(id)) => {
            if !db.milestones.contains_key(&id) {
                return Err(invalid("milestone not found", R, "milestone"));
            }
            id
        }
        Ok(Patch::Absent) if !creating => old_ms,
        _ => return Err(invalid("milestone is required", R, "milestone")),
    };
    match obj.get("value") {
        None => {}
        Some(Value::Null) => {
            o.amount = None;
            o.currency = None;
        }
        Some(Value::Object(v)) => {
            let amount = match v.get("amount") {
                None | Some(Value::Null) => None,
                // A JSON number only, kept exactly as sent (§4.2).
                Some(Value::Number(_)) => Some(
                    number_at(body, &[Seg::Key(R), Seg::Key("value"), Seg::Key("amount")])
                        .ok_or_else(|| invalid("amount is invalid", R, "value"))?,
                ),
                Some(_) => return Err(invalid("amount is invalid", R, "value")),
            };
            let currency = v
                .get("currency")
                .and_then(Value::as_str)
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty());
            if let Some(c) = &currency {
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(invalid("currency is invalid", R, "value"));
                }
            }
            match (amount, currency) {
                (Some(_), None) => return Err(invalid("currency is required", R, "value")),
                (None, _) => {
                    o.amount = None;
                    o.currency = None;
                }
                (Some(a), Some(c)) => {
                    o.amount = Some(a);
                    o.currency = Some(c);
                }
            }
        }
        Some(_) => return Err(invalid("value is invalid", R, "value")),
    }
    match patch_str(obj, "expectedCloseOn", R)? {
        Patch::Absent => {}
        Patch::Null => o.expected_close_on = None,
        Patch::Set(s) => {
            o.expected_close_on = Some(
                parse_date(&s)
                    .ok_or_else(|| invalid("expectedCloseOn is invalid", R, "expectedCloseOn"))?,
            );
        }
    }
    let probability = match obj.get("probability") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|p| *p <= 100)
                .and_then(|p| u8::try_from(p).ok())
                .ok_or_else(|| {
                    invalid("probability must be between 0 and 100", R, "probability")
                })?,
        ),
    };
    match patch_str(obj, "durationBasis", R)? {
        Patch::Absent => {}
        Patch::Null => o.duration_basis = "FIXED".into(),
        Patch::Set(b) => {
            let b = b.to_uppercase();
            if !["FIXED", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"].contains(&b.as_str()) {
                return Err(invalid("durationBasis is invalid", R, "durationBasis"));
            }
            o.duration_basis = b;
        }
    }
    match obj.get("duration") {
        None => {}
        Some(Value::Null) => o.duration = None,
        Some(v) => {
            o.duration = Some(
                v.as_i64()
                    .ok_or_else(|| invalid("duration is invalid", R, "duration"))?,
            );
        }
    }
    let lost_reason = match obj.get("lostReason") {
        None => Patch::Absent,
        Some(Value::Null) => Patch::Null,
        Some(v) => {
            let by_name = v.get("name").and_then(Value::as_str);
            let id = ref_id(v)
                .filter(|id| db.lost_reasons.contains_key(id))
                .or_else(|| {
                    by_name.and_then(|n| {
                        db.lost_reasons
                            .values()
                            .find(|r| r.name.eq_ignore_ascii_case(n))
                            .map(|r| r.id)
                    })
                })
                .ok_or_else(|| invalid("lostReason not found", R, "lostReason"))?;
            Patch::Set(id)
        }
    };
    owner(db, obj, R, &mut o.owner)?;
    merge_tags(db, TagScope::Opportunity, &mut o.tags, obj, R)?;
    merge_fields(db, |db| &db.opp_fields, &mut o.fields, obj, body, R)?;

    // Milestone, probability and closing rules (§10.4).
    let Some(ms) = db.milestones.get(&new_ms).cloned() else {
        return Err(invalid("milestone not found", R, "milestone"));
    };
    let changed = creating || new_ms != old_ms;
    let was_complete = !creating && db.milestones.get(&old_ms).is_some_and(|m| m.complete);
    o.milestone = new_ms;
    if ms.complete {
        if probability.is_some() {
            return Err(invalid(
                "probability can be updated only for open opportunity",
                R,
                "probability",
            ));
        }
        if changed {
            o.closed_on = Some(db.now().date_naive());
            o.probability = ms.probability;
            if !creating && !was_complete {
                o.last_open_milestone = Some(old_ms);
            }
            events.closed = true;
        }
    } else {
        if changed {
            o.closed_on = None;
            o.last_open_milestone = None;
            o.probability = ms.probability;
        }
        if let Some(p) = probability {
            o.probability = p;
        }
    }
    if ms.is_lost() {
        lost_reason.apply(&mut o.lost_reason);
    } else {
        o.lost_reason = None;
    }
    if changed && !creating {
        o.last_stage_changed_at = Some(db.now());
        events.moved = true;
    }
    if creating {
        o.last_stage_changed_at = Some(db.now());
    }
    Ok(events)
}

fn render_opp_by_id(db: &Db, id: u64, embed: Embed) -> Value {
    db.opportunities
        .get(&id)
        .map_or(Value::Null, |o| db.render_opportunity(o, embed))
}

fn opp_deliveries(db: &Db, id: u64, first: &str, events: &OppEvents) -> Vec<Delivery> {
    let mut d = hooks::collect(db, first, |db, e| render_opp_by_id(db, id, e));
    if events.closed {
        d.extend(hooks::collect(db, "opportunity/closed", |db, e| {
            render_opp_by_id(db, id, e)
        }));
    }
    if events.moved {
        d.extend(hooks::collect(db, "opportunity/moved", |db, e| {
            render_opp_by_id(db, id, e)
        }));
    }
    d
}

pub(crate) async fn create_opportunity(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "opportunity")?;
    let embed = query(&uri).embed();
    let (id, value, deliveries) = {
        let mut db = app.lock();
        let t = db.now();
        let id = db.id();
        let mut o = Opportunity {
            id,
            name: String::new(),
            description: None,
            party: 0,
            milestone: 0,
            last_open_milestone: None,
            lost_reason: None,
            amount: None,
            currency: None,
            expected_close_on: None,
            probability: 0,
            duration_basis: "FIXED".into(),
            duration: None,
            closed_on: None,
            owner: Some(caller.user).filter(|u| db.users.contains_key(u)),
            tags: Vec::new(),
            fields: Vec::new(),
            additional_parties: Vec::new(),
            created_at: t,
            updated_at: t,
            last_stage_changed_at: None,
            last_contacted_at: None,
        };
        let mut events = apply_opportunity(&mut db, &mut o, &input, &body, true)?;
        events.moved = false;
        db.put_opportunity(o);
        let value = render_opp_by_id(&db, id, embed);
        let d = opp_deliveries(&db, id, "opportunity/created", &events);
        (id, value, d)
    };
    created_with(&app, deliveries, "opportunities", id, "opportunity", value)
}

pub(crate) async fn update_opportunity(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "opportunity")?;
    let embed = query(&uri).embed();
    let (value, deliveries) = {
        let mut db = app.lock();
        let mut o = db
            .opportunities
            .get(&id)
            .cloned()
            .ok_or(ApiError::NotFound)?;
        let events = apply_opportunity(&mut db, &mut o, &input, &body, false)?;
        o.updated_at = bump(o.updated_at, db.now());
        db.put_opportunity(o);
        sync_tasks_of(&mut db, id);
        let value = render_opp_by_id(&db, id, embed);
        let d = opp_deliveries(&db, id, "opportunity/updated", &events);
        (value, d)
    };
    updated_with(&app, deliveries, "opportunity", value)
}

pub(super) fn remove_opportunity(db: &mut Db, id: u64) -> ApiResult<Vec<Delivery>> {
    if !db.opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    let d = hooks::collect(db, "opportunity/deleted", |db, e| {
        render_opp_by_id(db, id, e)
    });
    db.opportunities.remove(&id);
    db.opp_pending.remove(&id);
    let t = db.now();
    db.deleted_opportunities.push((id, t));
    db.entries.retain(|_, e| e.opportunity != Some(id));
    db.tasks.retain(|_, t| t.opportunity != Some(id));
    Ok(d)
}

pub(crate) async fn delete_opportunity(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let d = remove_opportunity(&mut app.lock(), id)?;
    hooks::deliver(&app, d);
    Ok(no_content())
}

pub(crate) async fn opportunity_entries(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    entry_feed(&app, &uri, 50, |e| e.opportunity == Some(id))
}

pub(crate) async fn opportunity_parties(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let o = db.opportunities.get(&id).ok_or(ApiError::NotFound)?;
    let items = o
        .additional_parties
        .iter()
        .filter_map(|p| db.parties.get(p));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(crate) async fn link_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    if !db.parties.contains_key(&party) {
        return Err(ApiError::NotFound);
    }
    let o = db.opportunities.get_mut(&id).ok_or(ApiError::NotFound)?;
    if !o.additional_parties.contains(&party) {
        o.additional_parties.push(party);
    }
    Ok(no_content())
}

pub(crate) async fn unlink_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    let o = db.opportunities.get_mut(&id).ok_or(ApiError::NotFound)?;
    let pos = o
        .additional_parties
        .iter()
        .position(|p| *p == party)
        .ok_or(ApiError::NotFound)?;
    o.additional_parties.remove(pos);
    Ok(no_content())
}
