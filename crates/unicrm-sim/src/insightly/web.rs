//! Routing of the Insightly simulator: an `axum` [`Router`] of the vendor's paths under
//! `/v3.1/`, behind the request pipeline of [`super::gate`].
//!
//! Insightly ignores the case of path segments (docs/vendors/insightly-v3.1.md, "Conventions":
//! path casing), and empty segments (`//`, a trailing `/`) name nothing. The routes are
//! written in the vendor's PascalCase, and a layer in front of them rewrites each request's
//! path to that canonical form ([`canonical_path`]); error messages still quote the path as
//! sent ([`OriginalPath`]).
//!
//! Unknown paths answer 404 `No HTTP resource was found that matches the request URI '…'`,
//! a method a route does not serve 405 `The requested resource does not support http method
//! '…'`. Where the vendor judges the path before the method, a route's method fallback does
//! too: an id that is not a number is a 404 whatever the method ([`bad_id_or_not_allowed`]),
//! and so is a missing opportunity under its operations; every method but `GET` on the
//! read-only families (users, custom fields, tag names, reference lists, the instance) is a
//! 405 at any depth. `HEAD` is a method like any other (not an implicit `GET`).

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};

use super::gate::gate;
use super::handlers::{
    self as h, Ctx, OriginalPath, Res, Shared, Sim, method_not_allowed, no_route,
};
use super::schema::{KINDS, Kind};

/// Words of the path (besides the object and list names) in their canonical case.
const WORDS: &[&str] = &[
    "Search",
    "SearchByTag",
    "Tags",
    "Links",
    "Notes",
    "Tasks",
    "StateChange",
    "Pipeline",
    "PipelineStage",
    "Users",
    "Me",
    "CustomFields",
    "Instance",
];

/// The segments of a `/v3.1/…` path (prefix compared without regard to case), empty ones
/// dropped; `None` for a path outside `/v3.1/`.
pub(crate) fn segments(path: &str) -> Option<Vec<&str>> {
    let rest = match path.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("/v3.1/") => &path[6..],
        _ => return None,
    };
    Some(rest.split('/').filter(|s| !s.is_empty()).collect())
}

/// Canonical spelling of every word a route is written with, by lower-case form.
#[derive(Debug, Clone)]
struct Words(Arc<HashMap<String, &'static str>>);

impl Words {
    fn new(lists: &[&'static str]) -> Self {
        let all = WORDS
            .iter()
            .copied()
            .chain(KINDS.iter().map(|k| k.path()))
            .chain(lists.iter().copied());
        Words(Arc::new(all.map(|w| (w.to_ascii_lowercase(), w)).collect()))
    }

    fn canonical<'a>(&self, segment: &'a str) -> &'a str {
        self.0
            .get(&segment.to_ascii_lowercase())
            .copied()
            .unwrap_or(segment)
    }
}

/// `/v3.1/` and the segments of `path` in canonical case, or `None` (left as sent) for a path
/// outside `/v3.1/`.
fn canonical_path(path: &str, words: &Words) -> Option<String> {
    let segs = segments(path)?;
    let canon: Vec<&str> = segs.iter().map(|s| words.canonical(s)).collect();
    Some(format!("/v3.1/{}", canon.join("/")))
}

/// The layer in front of the routes: remembers the path as sent and routes on its canonical
/// form.
async fn normalise(
    State(words): State<Words>,
    mut req: Request,
    next: middleware::Next,
) -> Response {
    let sent = req.uri().path().to_string();
    if let Some(path) = canonical_path(&sent, &words) {
        let with_query = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = http::uri::PathAndQuery::try_from(with_query) {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req.extensions_mut().insert(OriginalPath(sent));
    next.run(req).await
}

/// A handler over the instance and the request.
type Plain = fn(&Sim, &Ctx) -> Res;
/// A handler of one record object.
type OfKind = fn(&Sim, &Ctx, Kind) -> Res;

/// What the routes call: a closure over the request's [`Ctx`].
trait Call: Fn(State<Shared>, Ctx) -> Ready<Res> + Clone + Send + Sync + 'static {}
impl<F: Fn(State<Shared>, Ctx) -> Ready<Res> + Clone + Send + Sync + 'static> Call for F {}

fn plain(f: Plain) -> impl Call {
    move |State(sim): State<Shared>, ctx: Ctx| ready(f(&sim, &ctx))
}

fn of_kind(f: OfKind, kind: Kind) -> impl Call {
    move |State(sim): State<Shared>, ctx: Ctx| ready(f(&sim, &ctx, kind))
}

fn of_list(f: fn(&Sim, &Ctx, &str) -> Res, name: &'static str) -> impl Call {
    move |State(sim): State<Shared>, ctx: Ctx| ready(f(&sim, &ctx, name))
}

/// 405 for the request's method.
fn not_allowed(_: &Sim, ctx: &Ctx) -> Res {
    Err(method_not_allowed(&ctx.method))
}

/// 404 for a path no route serves.
fn nothing_here(_: &Sim, ctx: &Ctx) -> Res {
    Err(no_route(&ctx.path))
}

/// 404 when an id of the route (`{id}`, `{link}`) is not a number, else 405.
fn bad_id_or_not_allowed(_: &Sim, ctx: &Ctx) -> Res {
    ctx.id("id")?;
    if !ctx.param("link").is_empty() {
        ctx.id("link")?;
    }
    Err(method_not_allowed(&ctx.method))
}

/// A route whose methods not listed after it (`HEAD` included) answer `fallback`.
fn methods(fallback: Plain) -> MethodRouter<Shared> {
    on(MethodFilter::HEAD, plain(fallback)).fallback(plain(fallback))
}

/// Routes of one record object (`/v3.1/{Object}/…`).
fn object_routes(r: Router<Shared>, kind: Kind) -> Router<Shared> {
    let base = format!("/v3.1/{}", kind.path());
    let k = |f: OfKind| of_kind(f, kind);
    let schema = kind.schema();
    let mut list = methods(not_allowed)
        .get(k(h::list_records_of))
        .put(k(h::update_record));
    if kind != Kind::Note {
        list = list.post(k(h::create_record));
    }
    let mut r = r
        .route(&base, list)
        .route(
            &format!("{base}/Search"),
            methods(not_allowed).get(k(h::search)),
        )
        .route(
            &format!("{base}/{{id}}"),
            methods(bad_id_or_not_allowed)
                .get(k(h::show_record))
                .delete(k(h::delete_record)),
        )
        .route(
            &format!("{base}/{{id}}/Links"),
            methods(bad_id_or_not_allowed)
                .get(k(h::list_links))
                .post(k(h::add_link))
                .put(k(h::update_link)),
        )
        .route(
            &format!("{base}/{{id}}/Links/{{link}}"),
            methods(bad_id_or_not_allowed)
                .get(k(h::show_link))
                .delete(k(h::delete_link)),
        );
    if schema.tags {
        r = r
            .route(
                &format!("{base}/SearchByTag"),
                methods(not_allowed).get(k(h::search_by_tag)),
            )
            .route(
                &format!("{base}/{{id}}/Tags"),
                methods(bad_id_or_not_allowed)
                    .get(k(h::list_tags))
                    .post(k(h::add_tag))
                    .put(k(h::add_tag))
                    .delete(k(h::remove_tag)),
            );
    }
    if kind.has_notes() {
        r = r.route(
            &format!("{base}/{{id}}/Notes"),
            methods(bad_id_or_not_allowed)
                .get(k(h::list_notes))
                .post(k(h::add_note)),
        );
    }
    if kind != Kind::Task && kind != Kind::Note {
        r = r.route(
            &format!("{base}/{{id}}/Tasks"),
            methods(not_allowed).get(k(h::list_tasks)),
        );
    }
    if kind == Kind::Opportunity {
        let op = || methods(h::missing_or_not_allowed);
        r = r
            .route(
                &format!("{base}/{{id}}/StateChange"),
                op().put(plain(h::change_state)),
            )
            .route(
                &format!("{base}/{{id}}/Pipeline"),
                op().put(plain(h::change_pipeline))
                    .delete(plain(h::leave_pipeline)),
            )
            .route(
                &format!("{base}/{{id}}/PipelineStage"),
                op().put(plain(h::change_stage)),
            );
    }
    r
}

/// A read-only family below `base`: `GET` on its routes, 405 for every other method.
fn get_only(mut r: Router<Shared>, base: &str, routes: Vec<(&str, Plain)>) -> Router<Shared> {
    for (path, f) in routes {
        r = r.route(&format!("{base}{path}"), methods(not_allowed).get(plain(f)));
    }
    r
}

/// A read-only list below `/v3.1/{name}`.
fn list_routes(r: Router<Shared>, name: &'static str) -> Router<Shared> {
    let base = format!("/v3.1/{name}");
    let get = |f| methods(not_allowed).get(of_list(f, name));
    r.route(&base, get(h::list_reference))
        .route(&format!("{base}/{{id}}"), get(h::show_reference))
        .route(
            &format!("{base}/{{id}}/{{*rest}}"),
            methods(not_allowed).get(plain(nothing_here)),
        )
}

/// The simulator's routes, behind path normalisation and the request pipeline (faults are
/// added by the caller, outermost).
pub(crate) fn router(sim: Shared, lists: &[&'static str]) -> Router {
    let mut r = Router::new();
    for kind in KINDS {
        r = object_routes(r, kind);
    }
    // The catch-alls (`{*rest}`) make the families' deeper paths 404 to `GET` and 405 to
    // anything else.
    r = get_only(
        r,
        "/v3.1/Users",
        vec![
            ("", h::list_users),
            ("/Me", h::current_user),
            ("/Search", h::search_users),
            ("/{id}", h::show_user),
            ("/{id}/{*rest}", nothing_here),
        ],
    );
    r = get_only(
        r,
        "/v3.1/CustomFields",
        vec![
            ("", h::all_custom_fields),
            ("/{object}", h::custom_fields_of),
            ("/{object}/{sub}", h::custom_fields_of),
            ("/{object}/{sub}/{*rest}", nothing_here),
        ],
    );
    r = get_only(
        r,
        "/v3.1/Tags",
        vec![
            ("", nothing_here),
            ("/{object}", h::tag_names),
            ("/{object}/{*rest}", nothing_here),
        ],
    );
    r = get_only(
        r,
        "/v3.1/Instance",
        vec![("", h::instance), ("/{*rest}", nothing_here)],
    );
    for name in lists {
        r = list_routes(r, name);
    }
    let routes = r.fallback(plain(nothing_here)).with_state(sim.clone());
    let words = Words::new(lists);
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn_with_state(words, normalise))
        .layer(middleware::from_fn_with_state(sim, gate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_canonical() {
        let w = Words::new(&["Pipelines", "PipelineStages"]);
        let c = |p: &str| canonical_path(p, &w);
        assert_eq!(
            c("/V3.1/contacts/12/TAGS").as_deref(),
            Some("/v3.1/Contacts/12/Tags")
        );
        assert_eq!(
            c("/v3.1//pipelinestages/").as_deref(),
            Some("/v3.1/PipelineStages")
        );
        assert_eq!(c("/v3.1/Widgets/x").as_deref(), Some("/v3.1/Widgets/x"));
        assert_eq!(c("/v3.1/").as_deref(), Some("/v3.1/"));
        assert_eq!(c("/v3.1"), None);
        assert_eq!(c("/v3.0/Contacts"), None);
    }
}
