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
    Ctx, OriginalPath, Res, Shared, Sim, activity_sets, custom_fields, links, method_not_allowed,
    no_route, opportunities, projects, records, reference, related, search, tags, users,
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
    "Milestones",
    "LinkEmailAddress",
    "ActivitySetAssignment",
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

/// One route below `/v3.1/{Object}`: for the objects `when` accepts, `methods` call their
/// handler and every other method `fallback`.
struct ObjectRoute {
    path: &'static str,
    when: fn(Kind) -> bool,
    fallback: Plain,
    methods: &'static [(MethodFilter, OfKind)],
}

const GET: MethodFilter = MethodFilter::GET;
const POST: MethodFilter = MethodFilter::POST;
const PUT: MethodFilter = MethodFilter::PUT;
const DELETE: MethodFilter = MethodFilter::DELETE;

fn every(_: Kind) -> bool {
    true
}

fn is_note(k: Kind) -> bool {
    k == Kind::Note
}

fn not_note(k: Kind) -> bool {
    k != Kind::Note && k != Kind::Email
}

fn is_email(k: Kind) -> bool {
    k == Kind::Email
}

/// Events and emails have no `PUT …/Links` (docs/vendors/insightly-v3.1-addendum.md,
/// "Corrections", C5).
fn is_activity(k: Kind) -> bool {
    matches!(k, Kind::Event | Kind::Email)
}

fn links_put(k: Kind) -> bool {
    !is_activity(k)
}

fn tagged(k: Kind) -> bool {
    k.schema().tags
}

fn has_tasks(k: Kind) -> bool {
    !matches!(k, Kind::Task | Kind::Note | Kind::Event | Kind::Email)
}

fn is_opportunity(k: Kind) -> bool {
    k == Kind::Opportunity
}

fn is_project(k: Kind) -> bool {
    k == Kind::Project
}

/// The record objects' routes (docs/vendors/insightly-v3.1.md, "Endpoints").
const OBJECT_ROUTES: &[ObjectRoute] = &[
    ObjectRoute {
        path: "",
        when: not_note,
        fallback: not_allowed,
        methods: &[
            (GET, records::list_records_of),
            (POST, records::create_record),
            (PUT, records::update_record),
        ],
    },
    // A note is created through its parent (`POST /{Object}/{id}/Notes`).
    ObjectRoute {
        path: "",
        when: is_note,
        fallback: not_allowed,
        methods: &[
            (GET, records::list_records_of),
            (PUT, records::update_record),
        ],
    },
    // Emails are read-only: `POST` and `PUT /Emails` do not exist (405).
    ObjectRoute {
        path: "",
        when: is_email,
        fallback: not_allowed,
        methods: &[(GET, records::list_records_of)],
    },
    ObjectRoute {
        path: "/Search",
        when: every,
        fallback: not_allowed,
        methods: &[(GET, search::search)],
    },
    ObjectRoute {
        path: "/SearchByTag",
        when: tagged,
        fallback: not_allowed,
        methods: &[(GET, search::search_by_tag)],
    },
    ObjectRoute {
        path: "/{id}",
        when: every,
        fallback: bad_id_or_not_allowed,
        methods: &[
            (GET, records::show_record),
            (DELETE, records::delete_record),
        ],
    },
    ObjectRoute {
        path: "/{id}/Tags",
        when: tagged,
        fallback: bad_id_or_not_allowed,
        methods: &[
            (GET, tags::list_tags),
            (POST, tags::add_tag),
            (PUT, tags::add_tag),
            (DELETE, tags::remove_tag),
        ],
    },
    ObjectRoute {
        path: "/{id}/Links",
        when: links_put,
        fallback: bad_id_or_not_allowed,
        methods: &[
            (GET, links::list_links),
            (POST, links::add_link),
            (PUT, links::update_link),
        ],
    },
    ObjectRoute {
        path: "/{id}/Links",
        when: is_activity,
        fallback: bad_id_or_not_allowed,
        methods: &[(GET, links::list_links), (POST, links::add_link)],
    },
    ObjectRoute {
        path: "/{id}/Links/{link}",
        when: every,
        fallback: bad_id_or_not_allowed,
        methods: &[(GET, links::show_link), (DELETE, links::delete_link)],
    },
    ObjectRoute {
        path: "/{id}/Notes",
        when: Kind::has_notes,
        fallback: bad_id_or_not_allowed,
        methods: &[(GET, related::list_notes), (POST, related::add_note)],
    },
    // Only `GET`: any other method is a 405 before the id is looked at.
    ObjectRoute {
        path: "/{id}/Tasks",
        when: has_tasks,
        fallback: not_allowed,
        methods: &[(GET, related::list_tasks)],
    },
    // docs/vendors/insightly-v3.1-addendum.md, "Event endpoints" and "Emails".
    ObjectRoute {
        path: "/{id}/Events",
        when: Kind::has_activities,
        fallback: not_allowed,
        methods: &[(GET, related::list_events)],
    },
    ObjectRoute {
        path: "/{id}/Emails",
        when: Kind::has_activities,
        fallback: not_allowed,
        methods: &[(GET, related::list_emails)],
    },
    ObjectRoute {
        path: "/{id}/StateChange",
        when: is_opportunity,
        fallback: opportunities::missing_or_not_allowed,
        methods: &[(PUT, opportunities::change_state)],
    },
    ObjectRoute {
        path: "/{id}/Pipeline",
        when: is_opportunity,
        fallback: opportunities::missing_or_not_allowed,
        methods: &[
            (PUT, opportunities::change_pipeline),
            (DELETE, opportunities::leave_pipeline),
        ],
    },
    ObjectRoute {
        path: "/{id}/PipelineStage",
        when: is_opportunity,
        fallback: opportunities::missing_or_not_allowed,
        methods: &[(PUT, opportunities::change_stage)],
    },
    // Projects (docs/vendors/insightly-v3.1-addendum.md, "Project endpoints").
    ObjectRoute {
        path: "/{id}/Pipeline",
        when: is_project,
        fallback: opportunities::missing_project_or_not_allowed,
        methods: &[
            (PUT, opportunities::change_pipeline),
            (DELETE, opportunities::leave_pipeline),
        ],
    },
    ObjectRoute {
        path: "/{id}/PipelineStage",
        when: is_project,
        fallback: opportunities::missing_project_or_not_allowed,
        methods: &[(PUT, opportunities::change_stage)],
    },
    ObjectRoute {
        path: "/{id}/Milestones",
        when: is_project,
        fallback: bad_id_or_not_allowed,
        methods: &[
            (GET, projects::list_milestones),
            (POST, projects::add_milestone),
            (PUT, projects::update_milestone),
        ],
    },
    ObjectRoute {
        path: "/{id}/Milestones/{milestone}",
        when: is_project,
        fallback: bad_id_or_not_allowed,
        methods: &[(DELETE, projects::delete_milestone)],
    },
    // docs/vendors/insightly-v3.1-addendum.md, "Activity sets".
    ObjectRoute {
        path: "/{id}/ActivitySetAssignment",
        when: activity_sets::assignable,
        fallback: bad_id_or_not_allowed,
        methods: &[(POST, activity_sets::assign)],
    },
    ObjectRoute {
        path: "/{id}/LinkEmailAddress",
        when: is_project,
        fallback: bad_id_or_not_allowed,
        methods: &[(GET, projects::link_email_address)],
    },
];

/// The read-only families: `GET` on these routes, 405 for every other method. Their
/// catch-alls (`{*rest}`) make deeper paths a 404 to `GET` and a 405 to anything else.
const READ_ONLY: &[(&str, Plain)] = &[
    ("/v3.1/Users", users::list_users),
    ("/v3.1/Users/Me", users::current_user),
    ("/v3.1/Users/Search", users::search_users),
    ("/v3.1/Users/{id}", users::show_user),
    ("/v3.1/Users/{id}/{*rest}", nothing_here),
    ("/v3.1/CustomFields", custom_fields::all_custom_fields),
    (
        "/v3.1/CustomFields/{object}",
        custom_fields::custom_fields_of,
    ),
    (
        "/v3.1/CustomFields/{object}/{sub}",
        custom_fields::custom_fields_of,
    ),
    ("/v3.1/CustomFields/{object}/{sub}/{*rest}", nothing_here),
    ("/v3.1/Tags", nothing_here),
    ("/v3.1/Tags/{object}", tags::tag_names),
    ("/v3.1/Tags/{object}/{*rest}", nothing_here),
    ("/v3.1/Milestones", projects::all_milestones),
    ("/v3.1/Milestones/Search", projects::search_milestones),
    ("/v3.1/Milestones/{id}", projects::show_milestone),
    ("/v3.1/Milestones/{id}/{*rest}", nothing_here),
    ("/v3.1/Instance", reference::instance),
    ("/v3.1/Instance/{*rest}", nothing_here),
];

/// A read-only list below `/v3.1/{name}`.
fn list_routes(r: Router<Shared>, name: &'static str) -> Router<Shared> {
    let base = format!("/v3.1/{name}");
    let get = |f| methods(not_allowed).get(of_list(f, name));
    let (mut list, mut one) = (
        get(reference::list_reference),
        get(reference::show_reference),
    );
    // Item 17: the category lists take administrators' writes.
    if reference::category_owner(name).is_some() {
        list = list.post(of_list(reference::create_category, name));
        one = one.delete(of_list(reference::delete_category, name));
    }
    r.route(&base, list)
        .route(&format!("{base}/{{id}}"), one)
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
        for route in OBJECT_ROUTES.iter().filter(|o| (o.when)(kind)) {
            let mut m = methods(route.fallback);
            for (filter, f) in route.methods {
                m = m.on(*filter, of_kind(*f, kind));
            }
            r = r.route(&format!("/v3.1/{}{}", kind.path(), route.path), m);
        }
    }
    for (path, f) in READ_ONLY {
        r = r.route(path, methods(not_allowed).get(plain(*f)));
    }
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
