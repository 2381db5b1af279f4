//! /api/v1/elderly: the capability score (LINES-API §1) and recorded assessments.

use crate::app::App;
use crate::app::elderly::{self, AssessmentRow, NewAssessment};
use crate::web::ApiError;
use crate::web::api::{JsonBody, json_value};
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(score))
        .routes(routes!(record))
        .routes(routes!(due))
}

/// The capability level from the 26 items (GB/T 42195-2022), stateless.
#[utoipa::path(post, path = "/api/v1/elderly/capability/score", tag = "elderly", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "LINES-API §1: {items: {\"B.1.1\": 4, …}, coma, dementia_or_mental_disorder, care_risk_events_30d}"),
    responses((status = 200, body = serde_json::Value), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn score(ApiCtx(ctx): ApiCtx, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let v = json_value(&body)?;
    let r = elderly::score(&ctx, &v)?;
    Ok(Json(serde_json::to_value(r).map_err(|e| {
        ApiError(crate::app::AppError::Internal(e.into()))
    })?))
}

/// Records an assessment by two assessors; its level is the person's latest.
#[utoipa::path(post, path = "/api/v1/elderly/assessments", tag = "elderly", request_body = NewAssessment, security(("bearer" = [])),
    responses((status = 201, body = AssessmentRow), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn record(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewAssessment>,
) -> Result<(StatusCode, Json<AssessmentRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(elderly::record(&app, &ctx, n).await?),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct DueQuery {
    /// Due on or before this day (default today).
    pub by: Option<chrono::NaiveDate>,
    pub area: Option<String>,
}

/// Assessments due (routine every 12 months) in the caller's scope, most urgent first.
#[utoipa::path(get, path = "/api/v1/elderly/assessments/due", tag = "elderly", params(DueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<AssessmentRow>)))]
pub async fn due(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<Vec<AssessmentRow>>, ApiError> {
    let by = q.by.unwrap_or_else(|| app.today());
    Ok(Json(elderly::due(&app, &ctx, by, q.area.as_deref()).await?))
}
