use crate::app::App;
use crate::app::policy::{self, PolicyView};
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
    /// city_officer, town_officer, village_worker, leader, auditor, city_admin, security_admin or audit_admin
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

/// Resets a user's second factor (a lost phone): its TOTP enrolment and recovery codes are removed, its sessions
/// and API tokens end, and it enrols again after its next password (system administrator only; audited).
#[utoipa::path(delete, path = "/api/v1/users/{username}/totp", tag = "users", params(("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn reset_totp(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    crate::app::totp::reset(&app, &ctx, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The security policy in force (security administrator only).
#[utoipa::path(get, path = "/api/v1/security/policy", tag = "security", security(("bearer" = [])),
    responses((status = 200, body = PolicyView), (status = 403, body = super::ErrorBody)))]
pub async fn get_policy(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<PolicyView>, ApiError> {
    Ok(Json(policy::get(&app, &ctx).await?))
}

/// Changes the security policy; it is in force at once and the change is audited (security administrator only).
/// Every field is checked first (422 names the first bad one); the caller's own address must stay allowed.
#[utoipa::path(put, path = "/api/v1/security/policy", tag = "security", request_body = PolicyView,
    security(("bearer" = [])),
    responses((status = 200, body = PolicyView), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn put_policy(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(v): JsonBody<PolicyView>,
) -> Result<Json<PolicyView>, ApiError> {
    Ok(Json(policy::set(&app, &ctx, v).await?))
}
