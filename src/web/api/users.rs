use crate::app::App;
use crate::app::users::{self, NewUser, UserView};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Creates a user (city administrator only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    Ok((StatusCode::CREATED, Json(users::add(&app, &ctx, n).await?)))
}

/// Users in the caller's area (city administrator only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(users::list(&app, &ctx).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct RoleChange {
    /// city_officer, town_officer, village_worker, leader, auditor or city_admin
    pub role: String,
    /// The area the role is bound to (a town for a town officer, a village for a village worker).
    pub area_code: String,
}

/// Moves a user to another role or area; every API token of the user is revoked (city administrator only).
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    request_body = RoleChange, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn change_role(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(username): Path<String>,
    JsonBody(c): JsonBody<RoleChange>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        users::change_role_area(&app, &ctx, &username, &c.role, &c.area_code).await?,
    ))
}
