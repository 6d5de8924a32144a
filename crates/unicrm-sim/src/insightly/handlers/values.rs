//! Validation and coercion of request bodies: scalars, required fields and foreign keys, sub-collections, links.

use super::*;

/// Applies the writable scalar fields of `body` to `rec`.
pub(super) fn apply_scalars(
    kind: Kind,
    rec: &mut Rec,
    body: &Map<String, Value>,
) -> Result<(), ApiErr> {
    for (i, f) in kind.schema().fields.iter().enumerate() {
        if f.ro {
            continue;
        }
        if let Some(v) = body.get(f.name) {
            rec.vals[i] = coerce(f.name, f.ty, v).map_err(bad)?;
        }
    }
    Ok(())
}

pub(super) fn require_fk(ok: bool, field: &str, id: u64) -> Result<(), ApiErr> {
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "The value {id} of {field} does not reference an existing record."
        )))
    }
}

/// Required fields, foreign keys, defaults and computed fields (§9, §11, §13).
pub(super) fn finalize(
    db: &Db,
    kind: Kind,
    rec: &mut Rec,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiErr> {
    let k = kind;
    let required = |names: &[&str], msg: &str| -> Result<(), ApiErr> {
        if names.iter().any(|n| rec.str(k, n).is_some()) {
            Ok(())
        } else {
            Err(bad(msg.to_string()))
        }
    };
    match k {
        Kind::Contact => required(
            &["FIRST_NAME", "LAST_NAME"],
            "Validation failed: FIRST_NAME or LAST_NAME is required.",
        )?,
        Kind::Organisation => required(
            &["ORGANISATION_NAME"],
            "Validation failed: ORGANISATION_NAME is required.",
        )?,
        Kind::Opportunity => required(
            &["OPPORTUNITY_NAME"],
            "Validation failed: OPPORTUNITY_NAME is required.",
        )?,
        Kind::Lead => required(&["LAST_NAME"], "Validation failed: LAST_NAME is required.")?,
        Kind::Task | Kind::Note => required(&["TITLE"], "Validation failed: TITLE is required.")?,
        // docs/vendors/insightly-v3.1-addendum.md, "Event fields": both dates are required,
        // `TITLE` is not (item 4).
        Kind::Event => {
            required(
                &["START_DATE_UTC"],
                "Validation failed: START_DATE_UTC is required.",
            )?;
            required(
                &["END_DATE_UTC"],
                "Validation failed: END_DATE_UTC is required.",
            )?;
        }
        Kind::Email => {}

        Kind::Project => {}
    }
    if let Some(name) = rec.str(k, "ORGANISATION_NAME") {
        if name.chars().count() > 255 {
            return Err(bad("ORGANISATION_NAME is longer than 255 characters."));
        }
    }
    for field in [
        "OWNER_USER_ID",
        "RESPONSIBLE_USER_ID",
        "ASSIGNED_BY_USER_ID",
    ] {
        if let Some(u) = rec.int(k, field) {
            require_fk(db.user_ids.contains(&u), field, u)?;
        } else if !rec.get(k, field).is_null() {
            return Err(bad(format!("The value of {field} is not valid.")));
        }
    }
    let fk = |field: &str, check: &dyn Fn(u64) -> bool| -> Result<(), ApiErr> {
        match rec.get(k, field) {
            Value::Null => Ok(()),
            v => match v.as_u64() {
                Some(id) => require_fk(check(id), field, id),
                None => Err(bad(format!("The value of {field} is not valid."))),
            },
        }
    };
    if k != Kind::Organisation {
        fk("ORGANISATION_ID", &|id| db.exists(Kind::Organisation, id))?;
    }
    match k {
        Kind::Opportunity => {
            fk("CATEGORY_ID", &|id| {
                db.ref_exists("OpportunityCategories", id)
            })?;
            fk("PIPELINE_ID", &|id| db.ref_exists("Pipelines", id))?;
            fk("STAGE_ID", &|id| db.stage_pipeline.contains_key(&id))?;
            match (rec.int(k, "PIPELINE_ID"), rec.int(k, "STAGE_ID")) {
                (Some(p), Some(s)) if db.stage_pipeline.get(&s) != Some(&p) => {
                    return Err(bad(format!(
                        "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                    )));
                }
                (None, Some(s)) => {
                    return Err(bad(format!("STAGE_ID {s} requires a PIPELINE_ID.")));
                }
                _ => {}
            }
            if let Some(p) = rec.get(k, "PROBABILITY").as_i64() {
                if !(0..=100).contains(&p) {
                    return Err(bad("PROBABILITY must be between 0 and 100."));
                }
            }
            if rec.get(k, "OPPORTUNITY_STATE").is_null() {
                rec.set(k, "OPPORTUNITY_STATE", "OPEN");
            }
            if creating && rec.get(k, "BID_CURRENCY").is_null() {
                rec.set(k, "BID_CURRENCY", "GBP");
            }
            if creating && rec.get(k, "BID_TYPE").is_null() {
                rec.set(k, "BID_TYPE", "Fixed Bid");
            }
            let amount = rec.get(k, "BID_AMOUNT").as_f64();
            let duration = rec.get(k, "BID_DURATION").as_i64();
            let fixed = rec
                .str(k, "BID_TYPE")
                .is_none_or(|t| t.eq_ignore_ascii_case("Fixed Bid"));
            let value = match (amount, duration, fixed) {
                (Some(a), Some(d), false) => {
                    serde_json::Number::from_f64(a * d as f64).map(Value::Number)
                }
                (Some(_), _, _) => Some(rec.get(k, "BID_AMOUNT").clone()),
                (None, _, _) => None,
            };
            rec.set(k, "OPPORTUNITY_VALUE", value.unwrap_or(Value::Null));
            let state = rec
                .str(k, "OPPORTUNITY_STATE")
                .unwrap_or("OPEN")
                .to_string();
            if (state == "WON" || state == "LOST") && rec.get(k, "ACTUAL_CLOSE_DATE").is_null() {
                rec.set(k, "ACTUAL_CLOSE_DATE", db.today_str());
            }
        }
        Kind::Task => {
            fk("CATEGORY_ID", &|id| db.ref_exists("TaskCategories", id))?;
            fk("OPPORTUNITY_ID", &|id| db.exists(Kind::Opportunity, id))?;
            fk("PARENT_TASK_ID", &|id| db.exists(Kind::Task, id))?;
            for (field, max) in [("PERCENT_COMPLETE", 100), ("PRIORITY", 3)] {
                if let Some(p) = rec.get(k, field).as_i64() {
                    if !(0..=max).contains(&p) {
                        return Err(bad(format!("{field} must be between 0 and {max}.")));
                    }
                }
            }
            if creating {
                if rec.get(k, "PRIORITY").is_null() {
                    rec.set(k, "PRIORITY", 2);
                }
                if rec.get(k, "PERCENT_COMPLETE").is_null() {
                    rec.set(k, "PERCENT_COMPLETE", 0);
                }
                for f in ["OWNER_VISIBLE", "PUBLICLY_VISIBLE"] {
                    if rec.get(k, f).is_null() {
                        rec.set(k, f, true);
                    }
                }
                rec.set(k, "REMINDER_SENT", false);
            }
            let status_given = body.contains_key("STATUS") && !rec.get(k, "STATUS").is_null();
            let completed_given =
                body.contains_key("COMPLETED") && !rec.get(k, "COMPLETED").is_null();
            if status_given {
                let done = rec.str(k, "STATUS") == Some("COMPLETED");
                rec.set(k, "COMPLETED", done);
            } else if completed_given {
                let done = rec.get(k, "COMPLETED").as_bool() == Some(true);
                if done {
                    rec.set(k, "STATUS", "COMPLETED");
                } else if rec.str(k, "STATUS") == Some("COMPLETED")
                    || rec.get(k, "STATUS").is_null()
                {
                    rec.set(k, "STATUS", "NOT STARTED");
                }
            }
            if rec.get(k, "STATUS").is_null() {
                rec.set(k, "STATUS", "NOT STARTED");
            }
            let done = rec.str(k, "STATUS") == Some("COMPLETED");
            rec.set(k, "COMPLETED", done);
            if done {
                if rec.get(k, "COMPLETED_DATE_UTC").is_null() {
                    rec.set(k, "COMPLETED_DATE_UTC", db.now_str());
                }
                if status_given || completed_given {
                    rec.set(k, "PERCENT_COMPLETE", 100);
                }
            } else if status_given || completed_given {
                rec.set(k, "COMPLETED_DATE_UTC", Value::Null);
            }
        }
        Kind::Lead => {
            fk("LEAD_STATUS_ID", &|id| db.ref_exists("LeadStatuses", id))?;
            fk("LEAD_SOURCE_ID", &|id| db.ref_exists("LeadSources", id))?;
            if creating {
                if rec.get(k, "LEAD_STATUS_ID").is_null() {
                    rec.set(k, "LEAD_STATUS_ID", 81);
                }
                rec.set(k, "CONVERTED", false);
                if rec.get(k, "EMAIL_OPTED_OUT").is_null() {
                    rec.set(k, "EMAIL_OPTED_OUT", false);
                }
            }
            if let Some(r) = rec.get(k, "LEAD_RATING").as_i64() {
                if !(0..=5).contains(&r) {
                    return Err(bad("LEAD_RATING must be between 0 and 5."));
                }
            }
        }
        Kind::Contact => {
            if creating && rec.get(k, "EMAIL_OPTED_OUT").is_null() {
                rec.set(k, "EMAIL_OPTED_OUT", false);
            }
        }
        Kind::Event => {
            // Both in the body form, so the text order is the time order.
            if let (Some(start), Some(end)) =
                (rec.str(k, "START_DATE_UTC"), rec.str(k, "END_DATE_UTC"))
            {
                if end < start {
                    return Err(bad(
                        "Validation failed: END_DATE_UTC must not be earlier than START_DATE_UTC.",
                    ));
                }
            }
            if creating {
                rec.set(k, "REMINDER_SENT", false);
                if rec.get(k, "ALL_DAY").is_null() {
                    rec.set(k, "ALL_DAY", false);
                }
            }
        }
        Kind::Project => super::projects::finalize_project(db, rec)?,
        Kind::Organisation | Kind::Note | Kind::Email => {}
    }
    Ok(())
}

fn parse_tags(v: &Value) -> Result<Vec<String>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("TAGS must be an array of {\"TAG_NAME\": ...}.")),
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let name = match item {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("TAG_NAME"))
                .and_then(|(_, v)| v.as_str())
                .ok_or_else(|| bad("Each tag needs a TAG_NAME string."))?,
            _ => return Err(bad("TAGS must be an array of {\"TAG_NAME\": ...}.")),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("TAG_NAME must not be empty."));
        }
        if !out.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

pub(super) fn obj_get<'a>(o: &'a Map<String, Value>, key: &str) -> &'a Value {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(&Value::Null, |(_, v)| v)
}

/// Parses `CUSTOMFIELDS`; a `None` value clears the field.
fn parse_custom(db: &Db, kind: Kind, v: &Value) -> Result<Vec<(String, Option<Value>)>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("CUSTOMFIELDS must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad(
                "Each custom field must be an object with FIELD_NAME and FIELD_VALUE.",
            ));
        };
        let name = obj_get(o, "FIELD_NAME")
            .as_str()
            .ok_or_else(|| bad("FIELD_NAME is required."))?;
        let def = db
            .defs(kind)
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                bad(format!(
                    "The custom field '{name}' does not exist for {}.",
                    kind.path()
                ))
            })?;
        // A field the vendor computes (EDITABLE false: AUTONUMBER, CALCULATED) ignores what
        // a write sends for it (docs/vendors/insightly-v3.1-addendum.md, "Field types and
        // value shapes").
        if def.extra.as_ref().is_some_and(|x| !x.editable) {
            continue;
        }
        let raw = obj_get(o, "FIELD_VALUE");
        if raw.is_null() {
            out.push((def.name.clone(), None));
            continue;
        }
        let invalid = || {
            bad(format!(
                "The value of custom field {} is not a valid {}.",
                def.name, def.ty
            ))
        };
        let option = |s: &str| {
            def.options
                .iter()
                .find(|(_, o)| o.to_lowercase() == s.trim().to_lowercase())
                .map(|(_, o)| o.clone())
        };
        let value = match def.ty {
            "NUMERIC" | "CURRENCY" | "PERCENT" => match raw {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => raw.clone(),
                Value::String(s) => serde_json::from_str::<Value>(s.trim())
                    .ok()
                    .filter(|v| v.as_f64().is_some_and(f64::is_finite))
                    .ok_or_else(invalid)?,
                _ => return Err(invalid()),
            },
            "BIT" => match raw {
                Value::Bool(_) => raw.clone(),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
                _ => return Err(invalid()),
            },
            "DATE" => coerce(&def.name, Ty::Date, raw).map_err(bad)?,
            "DATETIME" => coerce(&def.name, Ty::Dt, raw).map_err(bad)?,
            "DROPDOWN" => Value::String(raw.as_str().and_then(option).ok_or_else(invalid)?),
            "MULTISELECT" => {
                let parts: Vec<String> = match raw {
                    Value::String(s) => s
                        .split(';')
                        .filter(|p| !p.trim().is_empty())
                        .map(str::to_string)
                        .collect(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string).ok_or_else(invalid))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(invalid()),
                };
                let canon: Vec<String> = parts
                    .iter()
                    .map(|p| option(p).ok_or_else(invalid))
                    .collect::<Result<_, _>>()?;
                Value::String(canon.join(";"))
            }
            _ => match raw {
                Value::String(_) => raw.clone(),
                _ => return Err(invalid()),
            },
        };
        out.push((
            def.name.clone(),
            if value.is_null() { None } else { Some(value) },
        ));
    }
    Ok(out)
}

fn merge_custom(rec: &mut Rec, items: Vec<(String, Option<Value>)>) {
    for (name, value) in items {
        match value {
            None => rec.custom.retain(|(k, _)| *k != name),
            Some(v) => match rec.custom.iter_mut().find(|(k, _)| *k == name) {
                Some(slot) => slot.1 = v,
                None => rec.custom.push((name, v)),
            },
        }
    }
}

fn parse_dates(db: &mut Db, v: &Value) -> Result<Vec<Value>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("DATES must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad("Each date must be an object."));
        };
        let name = coerce("OCCASION_NAME", Ty::Str, obj_get(o, "OCCASION_NAME")).map_err(bad)?;
        let date = coerce("OCCASION_DATE", Ty::Date, obj_get(o, "OCCASION_DATE")).map_err(bad)?;
        if date.is_null() {
            return Err(bad("OCCASION_DATE is required."));
        }
        let repeat = coerce("REPEAT_YEARLY", Ty::Bool, obj_get(o, "REPEAT_YEARLY")).map_err(bad)?;
        let task = coerce(
            "CREATE_TASK_YEARLY",
            Ty::Bool,
            obj_get(o, "CREATE_TASK_YEARLY"),
        )
        .map_err(bad)?;
        let id = obj_get(o, "DATE_ID")
            .as_u64()
            .unwrap_or_else(|| db.next_sub());
        out.push(json!({
            "DATE_ID": id,
            "OCCASION_NAME": name,
            "OCCASION_DATE": date,
            "REPEAT_YEARLY": if repeat.is_null() { Value::Bool(false) } else { repeat },
            "CREATE_TASK_YEARLY": if task.is_null() { Value::Bool(false) } else { task },
        }));
    }
    Ok(out)
}

fn parse_domains(db: &mut Db, v: &Value) -> Result<Vec<Value>, ApiErr> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => return Err(bad("EMAILDOMAINS must be an array.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(bad("Each email domain must be an object."));
        };
        let domain = obj_get(o, "EMAIL_DOMAIN")
            .as_str()
            .ok_or_else(|| bad("EMAIL_DOMAIN is required."))?;
        let id = obj_get(o, "EMAIL_DOMAIN_ID")
            .as_u64()
            .unwrap_or_else(|| db.next_sub());
        out.push(json!({"EMAIL_DOMAIN_ID": id, "EMAIL_DOMAIN": domain}));
    }
    Ok(out)
}

/// A link body, validated: (target kind, target id, role, details).
pub(super) type NewLink = (Kind, u64, Option<String>, Option<String>);

pub(super) fn parse_link(db: &Db, v: &Value) -> Result<NewLink, ApiErr> {
    let Value::Object(o) = v else {
        return Err(bad("A link must be a JSON object."));
    };
    let name = obj_get(o, "LINK_OBJECT_NAME")
        .as_str()
        .ok_or_else(|| bad("LINK_OBJECT_NAME is required."))?;
    let kind = Kind::from_singular(name)
        .ok_or_else(|| bad(format!("LINK_OBJECT_NAME '{name}' is not valid.")))?;
    let id = obj_get(o, "LINK_OBJECT_ID")
        .as_u64()
        .ok_or_else(|| bad("LINK_OBJECT_ID is required."))?;
    if !db.exists(kind, id) {
        return Err(bad(format!(
            "LINK_OBJECT_ID {id} does not reference an existing {}.",
            kind.singular()
        )));
    }
    let text = |key: &str| -> Result<Option<String>, ApiErr> {
        match obj_get(o, key) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(bad(format!("{key} must be a string."))),
        }
    };
    Ok((kind, id, text("ROLE")?, text("DETAILS")?))
}

/// Adds the implicit links of foreign keys (contact/opportunity → organisation, task → opportunity).
pub(super) fn auto_links(db: &mut Db, kind: Kind, id: u64) {
    let Some(rec) = db.table(kind).rows.get(&id) else {
        return;
    };
    let mut wanted = Vec::new();
    if matches!(kind, Kind::Contact | Kind::Opportunity) {
        if let Some(org) = rec.int(kind, "ORGANISATION_ID") {
            let role = if kind == Kind::Contact {
                rec.str(kind, "TITLE").map(str::to_string)
            } else {
                None
            };
            wanted.push((Kind::Organisation, org, role));
        }
    }
    if kind == Kind::Task {
        if let Some(opp) = rec.int(kind, "OPPORTUNITY_ID") {
            wanted.push((Kind::Opportunity, opp, None));
        }
    }
    for (target, tid, role) in wanted {
        if !db.linked(kind, id, target).contains(&tid) {
            db.add_link((kind, id), (target, tid), role, None);
        }
    }
}

pub(super) fn check_collections(
    kind: Kind,
    body: &Map<String, Value>,
    db: &mut Db,
) -> Result<Collections, ApiErr> {
    let s = kind.schema();
    let mut c = Collections::default();
    if s.tags {
        if let Some(v) = body.get("TAGS") {
            c.tags = Some(parse_tags(v)?);
        }
    }
    if s.custom {
        if let Some(v) = body.get("CUSTOMFIELDS") {
            c.custom = Some(parse_custom(db, kind, v)?);
        }
    }
    if s.dates {
        if let Some(v) = body.get("DATES") {
            c.dates = Some(parse_dates(db, v)?);
        }
    }
    if s.domains {
        if let Some(v) = body.get("EMAILDOMAINS") {
            c.domains = Some(parse_domains(db, v)?);
        }
    }
    Ok(c)
}

#[derive(Default)]
pub(super) struct Collections {
    tags: Option<Vec<String>>,
    custom: Option<Vec<(String, Option<Value>)>>,
    dates: Option<Vec<Value>>,
    domains: Option<Vec<Value>>,
}

impl Collections {
    pub(super) fn apply(self, rec: &mut Rec) {
        if let Some(t) = self.tags {
            rec.tags = t;
        }
        if let Some(c) = self.custom {
            merge_custom(rec, c);
        }
        if let Some(d) = self.dates {
            rec.dates = d;
        }
        if let Some(d) = self.domains {
            rec.domains = d;
        }
    }
}
