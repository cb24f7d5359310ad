//! `POST /supervisor/users/{username}/unlock`: a supervisor lets a locked-out person sign in again at once.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;

use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::ApiPath;
use crate::{accounts, AppError, AppState};

/// Forgets every failed sign-in of the user on every device (audited as `user.unlocked`), so
/// the right PIN works again before the window passes.
#[utoipa::path(post, path = "/supervisor/users/{username}/unlock", tag = "supervisor",
    params(("username" = String, Path, description = "the user's sign-in name")),
    security(("bearer" = [])),
    responses((status = 204, description = "the user's failed sign-ins are forgotten"),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "no user with that name", body = Problem)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    match accounts::unlock_user(state.store.as_ref(), &username, &who.actor(), Utc::now()).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(AppError::NotFound(format!("no user named {username}"))),
    }
}
