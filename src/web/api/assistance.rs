use crate::app::assistance::{assessment, standards};
use crate::app::{App, AppError};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// 社会救助: assessments, standards, applications, cases, reviews, the ledger, temporary assistance and payments.
pub fn routes() -> OpenApiRouter<App> {
    use super::{applications as a, ledger, payments as p, temporary as t};
    OpenApiRouter::new()
        .routes(routes!(assess))
        .routes(routes!(list))
        .routes(routes!(propose))
        .routes(routes!(approve))
        .routes(routes!(a::create, a::list))
        .routes(routes!(a::show))
        .routes(routes!(a::accept_batch))
        .routes(routes!(a::act))
        .routes(routes!(a::missing_materials))
        .routes(routes!(a::extend))
        .routes(routes!(a::list_cases))
        .routes(routes!(a::show_case))
        .routes(routes!(a::stop_case))
        .routes(routes!(a::case_event))
        .routes(routes!(a::case_changes))
        .routes(routes!(a::reviews))
        .routes(routes!(ledger::import))
        .routes(routes!(ledger::export))
        .routes(routes!(t::create, t::list))
        .routes(routes!(t::batch))
        .routes(routes!(t::decide))
        .routes(routes!(p::generate, p::list))
        .routes(routes!(p::show))
        .routes(routes!(p::lines))
        .routes(routes!(p::approve))
        .routes(routes!(p::export))
        .routes(routes!(p::returns))
}

/// Which assistance a household qualifies for on a date, how much, and why not (stateless).
#[utoipa::path(post, path = "/api/v1/assessments", tag = "assistance", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "ASSESSMENT-API.md: {as_of, household: {area_code, members[], assets, annual_rigid_expenditure}}"),
    responses((status = 200, body = serde_json::Value), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn assess(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = super::json_value(&body)?;
    let r = assessment::run_app(&app, &ctx, &v).await?;
    Ok(Json(
        serde_json::to_value(r).map_err(|e| ApiError(AppError::Internal(e.into())))?,
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StandardItem {
    pub id: String,
    pub effective_from: chrono::NaiveDate,
    /// approved or proposed
    pub status: String,
    pub basis: String,
    pub proposed_by: String,
    pub approved_by: Option<String>,
    pub standards: serde_json::Value,
}

fn item(r: standards::StandardRow) -> StandardItem {
    StandardItem {
        standards: serde_json::from_str(&r.params_json).unwrap_or_default(),
        id: r.id,
        effective_from: r.effective_from,
        status: r.status,
        basis: r.basis,
        proposed_by: r.proposed_by,
        approved_by: r.approved_by,
    }
}

/// Every assistance standard with its effective date, newest first.
#[utoipa::path(get, path = "/api/v1/standards", tag = "assistance", security(("bearer" = [])), responses((status = 200, body = Vec<StandardItem>)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<StandardItem>>, ApiError> {
    Ok(Json(
        standards::history(&app, &ctx)
            .await?
            .into_iter()
            .map(item)
            .collect(),
    ))
}

/// Proposes next year's dibao standard by natural growth; it applies only once approved.
#[utoipa::path(post, path = "/api/v1/standards/proposals", tag = "assistance", request_body = standards::GrowthProposal, security(("bearer" = [])),
    responses((status = 201, body = StandardItem), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn propose(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(p): JsonBody<standards::GrowthProposal>,
) -> Result<(StatusCode, Json<StandardItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(item(standards::propose_growth(&app, &ctx, p).await?)),
    ))
}

/// Approves a proposed standard.
#[utoipa::path(post, path = "/api/v1/standards/{id}/approve", tag = "assistance", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn approve(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    standards::approve(&app, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
