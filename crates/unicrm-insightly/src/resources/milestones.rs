//! Project milestone writes (`POST`/`PUT /Projects/{id}/Milestones`,
//! `DELETE /Projects/{id}/Milestones/{milestoneId}`; docs/vendors/insightly-v3.1-addendum.md,
//! "Projects" and "Simulator must reproduce" item 14).
//!
//! A project's `milestones` is written as a whole list: a milestone with an id on the
//! project is sent with `PUT` (`MILESTONE_ID` in the body), one without an id is created with
//! `POST`, and the project's milestones the list leaves out are deleted. `Clear` deletes them
//! all. A project has either milestones or a pipeline (the vendor answers 400 otherwise), so
//! a write that asks for both is refused before anything is sent. Every body is built (a
//! milestone needs a due date) before the first request.

use unicrm_core::http::{Method, Request};
use unicrm_core::{Error, FieldError, Milestone, ProjectId, Result};

use crate::client::Shared;
use crate::mapping::{project, wire_id};
use crate::wire::Body;

/// The validation error of a write that asks for a pipeline and milestones together.
pub(crate) fn both_refused() -> Error {
    Error::Validation {
        message: "a project has either milestones or a pipeline, not both".into(),
        fields: vec![FieldError {
            field: Some("milestones".into()),
            resource: Some("project".into()),
            message: "not allowed on a project with a pipeline".into(),
        }],
    }
}

/// One request of a milestones write.
enum Step {
    Create(Body),
    Update(Body),
    Delete(u64),
}

/// The requests that turn the project's `existing` milestones into `wanted`. A wanted id that
/// is not one of the project's milestones is a validation error.
fn plan(wanted: &[Milestone], existing: &[Milestone]) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    for m in wanted {
        let body = project::milestone_body(m)?;
        match &m.id {
            Some(id) if existing.iter().any(|e| e.id.as_ref() == Some(id)) => {
                steps.push(Step::Update(body));
            }
            Some(id) => {
                return Err(Error::Validation {
                    message: format!("milestone {id} is not one of the project's milestones"),
                    fields: vec![FieldError {
                        field: Some("milestones.id".into()),
                        resource: Some("project".into()),
                        message: "unknown milestone".into(),
                    }],
                });
            }
            None => steps.push(Step::Create(body)),
        }
    }
    for e in existing {
        let Some(id) = &e.id else { continue };
        if !wanted.iter().any(|m| m.id.as_ref() == Some(id)) {
            steps.push(Step::Delete(wire_id("MILESTONE_ID", id)?));
        }
    }
    Ok(steps)
}

/// Writes `wanted` as the milestones of `project` (whose milestones are now `existing`).
/// Creates are not retried after an unknown outcome (core's write rules for `POST`).
pub(crate) async fn write(
    shared: &Shared,
    project: &ProjectId,
    wanted: &[Milestone],
    existing: &[Milestone],
) -> Result<()> {
    let n = wire_id("PROJECT_ID", project.as_str())?;
    let base = format!("Projects/{n}/Milestones");
    for step in plan(wanted, existing)? {
        let req = match step {
            Step::Create(b) => Request::new(Method::POST, shared.http.url(&base)?).json(&b)?,
            Step::Update(b) => Request::new(Method::PUT, shared.http.url(&base)?).json(&b)?,
            Step::Delete(id) => {
                Request::new(Method::DELETE, shared.http.url(&format!("{base}/{id}"))?)
            }
        };
        shared.send(req).await?;
    }
    Ok(())
}

/// Checks that every milestone of `wanted` can be written (a due date each), before the
/// project itself is created.
pub(crate) fn check(wanted: &[Milestone]) -> Result<()> {
    wanted
        .iter()
        .try_for_each(|m| project::milestone_body(m).map(drop))
}
