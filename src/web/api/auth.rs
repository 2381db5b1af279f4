use crate::app::{App, AppError, Ctx, auth};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::{ApiCtx, client_ip};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// The current 6-digit TOTP code, or an unused recovery code: required for an account with a second factor
    /// (and for every account where the deployment requires one).
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub token: String,
}

/// Exchanges a username, password and second factor (`totp`) for a bearer token (valid for the security policy's
/// token lifetime, 90 days by default). A wrong password or code, an unknown name, a locked, a disabled and a
/// not yet enrolled account all answer 401 with the same message.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = super::ErrorBody)))]
pub async fn create_token(
    State(app): State<App>,
    parts: Parts,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let ip = client_ip(&parts);
    let actor = auth::login(&app, &req.username, &req.password, req.totp.as_deref(), &ip).await?;
    let ctx = Ctx::signed_in(actor, ip);
    let (_, token) = auth::issue_token(&app, &ctx, "API").await?;
    Ok(Json(TokenResponse { token }))
}

/// Revokes the token used for this call.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = super::ErrorBody)))]
pub async fn revoke_current(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let ip = ctx.ip.clone();
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    let (_, id) = auth::token_actor(&app, token, &ip)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    auth::revoke_token(&app, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own API tokens with their creation, last use, expiry and state (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<auth::TokenView>), (status = 401, body = super::ErrorBody)))]
pub async fn my_tokens(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<auth::TokenView>>, ApiError> {
    Ok(Json(auth::my_tokens(&app, &ctx).await?))
}
