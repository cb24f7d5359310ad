//! The answers every route can give besides its own: documented once, added to each operation.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Ref, RefOr};
use utoipa::Modify;

/// Adds the answers the layers around the handlers give (timeouts, overload, panics), and the
/// ones every authenticated, parameterised or body-reading route can give, where the route does
/// not document its own.
pub struct CommonAnswers;

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Status and meaning of the answers a route may give, by what the route reads.
fn common(op: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        ("408", "the request was not completed in time (a slow client or a slow server)"),
        ("500", "the lab server hit a bug; nothing was changed"),
        ("503", "the server is busy or its storage is unavailable; `Retry-After` says when to try again"),
    ];
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if secured {
        out.push((
            "401",
            "no token, or one that is unknown or expired (a session ended)",
        ));
        out.push((
            "403",
            "the token's role or device may not do this; `device_revoked`: the device (or the device of the session) was revoked",
        ));
        out.push((
            "429",
            "too many requests from this device or user; `Retry-After` says when to try again",
        ));
    }
    if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        out.push(("400", "a path or query parameter could not be read"));
    }
    if op.request_body.is_some() {
        out.push(("400", "the body is not JSON of the expected shape"));
        out.push(("413", "the body is too large"));
        out.push((
            "415",
            "the body is not `application/json` (or the route's declared type)",
        ));
        out.push(("422", "the body is readable but a value is not acceptable"));
    }
    out
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                for (status, description) in common(op) {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}
