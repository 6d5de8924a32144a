//! Routing of the HighLevel simulator: the vendor's paths at the root of the base URL (the
//! trailing slash on collections optional, item 1), behind [`super::gate`]. Unknown routes
//! answer 404 `Cannot <METHOD> <path>`.

use axum::Router;
use axum::extract::Request;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use http::StatusCode;

use super::gate::gate;
use super::handlers::{
    ApiErr, Shared, businesses, calendars as cal, contacts, location, notes_tasks as nt, oauth,
    opportunities,
};

async fn no_route(req: Request) -> axum::response::Response {
    ApiErr::new(
        StatusCode::NOT_FOUND,
        format!("Cannot {} {}", req.method(), req.uri().path()),
    )
    .with_error("Not Found")
    .into_response()
}

/// The router.
pub(crate) fn router(sim: Shared) -> Router {
    Router::new()
        .route("/contacts/search", post(contacts::search))
        .route("/contacts/upsert", post(contacts::upsert))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/", get(contacts::list).post(contacts::create))
        .route(
            "/contacts/{id}",
            get(contacts::get)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route(
            "/contacts/{id}/tags",
            post(contacts::tags).delete(contacts::tags),
        )
        .route(
            "/businesses",
            get(businesses::list).post(businesses::create),
        )
        .route(
            "/businesses/",
            get(businesses::list).post(businesses::create),
        )
        .route(
            "/businesses/{id}",
            get(businesses::get)
                .put(businesses::update)
                .delete(businesses::delete),
        )
        .route("/opportunities/search", get(opportunities::search))
        .route("/opportunities/pipelines", get(opportunities::pipelines))
        .route("/opportunities", post(opportunities::create))
        .route("/opportunities/", post(opportunities::create))
        .route(
            "/opportunities/{id}",
            get(opportunities::get)
                .put(opportunities::update)
                .delete(opportunities::delete),
        )
        .route("/opportunities/{id}/status", put(opportunities::status))
        .route("/contacts/{id}/notes", get(nt::notes).post(nt::note_create))
        .route(
            "/contacts/{id}/notes/{sub}",
            get(nt::note).put(nt::note).delete(nt::note),
        )
        .route("/contacts/{id}/tasks", get(nt::tasks).post(nt::task_create))
        .route(
            "/contacts/{id}/tasks/{sub}",
            get(nt::task).put(nt::task).delete(nt::task),
        )
        .route(
            "/contacts/{id}/tasks/{sub}/completed",
            axum::routing::put(nt::task_completed),
        )
        .route("/contacts/{id}/appointments", get(cal::of_contact))
        .route("/calendars", get(cal::calendars))
        .route("/calendars/", get(cal::calendars))
        .route("/calendars/events", get(cal::events))
        .route("/calendars/events/appointments", post(cal::create))
        .route(
            "/calendars/events/appointments/{id}",
            get(cal::appointment).put(cal::update),
        )
        .route("/calendars/events/{id}", axum::routing::delete(cal::delete))
        .route("/calendars/{id}", get(cal::calendar))
        .route("/users/search", get(location::users_search))
        .route("/users", get(location::users_list))
        .route("/users/", get(location::users_list))
        .route("/users/{id}", get(location::user))
        .route(
            "/locations/{location}/customFields",
            get(location::custom_fields),
        )
        .route("/locations/{location}/tags", get(location::tags))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/locationToken", post(oauth::location_token))
        .route("/oauth/chooselocation", get(oauth::choose_location))
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim)
}
