//! Users (read-only): `GET /Users`, `/Users/Me`, `/Users/Search`, `/Users/{id}`.

use super::*;

/// `GET /Users`.
pub(crate) fn list_users(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let p = page(ctx)?;
    let (items, total) = paged(db.users.iter(), &p);
    list_reply(&items, total)
}

/// `GET /Users/Me`: the user of the API key.
pub(crate) fn current_user(sim: &Sim, ctx: &Ctx) -> Res {
    sim.read()
        .users
        .iter()
        .find(|u| u.id("USER_ID") == Some(ctx.user))
        .map_or_else(|| Err(not_found("User not found.")), ok_json)
}

/// `GET /Users/Search`: `field_name` + `field_value`, `updated_after_utc`, paging.
pub(crate) fn search_users(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let p = page(ctx)?;
    let name = ctx.q("field_name");
    let value = ctx.q("field_value");
    if name.is_some() != value.is_some() {
        return Err(bad("field_name and field_value must be given together."));
    }
    if let Some(n) = name {
        if db.users.first().is_none_or(|u| u.get(n).is_none()) {
            return Err(bad(format!("The field name '{n}' is not valid.")));
        }
    }
    let after = match ctx.q("updated_after_utc").filter(|s| !s.trim().is_empty()) {
        Some(a) => parse_dt(a)
            .map_err(|_| {
                bad(format!(
                    "The value '{a}' of 'updated_after_utc' is not a valid date."
                ))
            })?
            .map(|t| t.format(crate::insightly::schema::DT_FORMAT).to_string()),
        None => None,
    };
    let rows = db.users.iter().filter(|u| {
        let field_ok = match (name, value) {
            (Some(n), Some(v)) => u.get(n).is_some_and(|x| value_matches(x, v)),
            _ => true,
        };
        let after_ok = after.as_ref().is_none_or(|a| {
            u.get("DATE_UPDATED_UTC")
                .and_then(Value::as_str)
                .is_some_and(|x| x > a.as_str())
        });
        field_ok && after_ok
    });
    let (items, total) = paged(rows, &p);
    list_reply(&items, total)
}

/// `GET /Users/{id}`.
pub(crate) fn show_user(sim: &Sim, ctx: &Ctx) -> Res {
    let id = ctx.id("id")?;
    sim.read()
        .users
        .iter()
        .find(|u| u.id("USER_ID") == Some(id))
        .map_or_else(
            || Err(not_found(format!("User with ID {id} was not found."))),
            ok_json,
        )
}
