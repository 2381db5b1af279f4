//! /api/v1/elderly: the capability score (LINES-API §1) and recorded assessments.

use crate::app::App;
use crate::app::elderly::{self, AssessmentRow, NewAssessment, allowance};
use crate::web::ApiError;
use crate::web::api::{JsonBody, json_value};
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(score))
        .routes(routes!(record))
        .routes(routes!(due))
        .routes(routes!(care_risk))
        .routes(routes!(allowance))
        .routes(routes!(missing_accounts))
        .routes(routes!(set_account))
        .routes(routes!(allowance_standards, set_allowance_standard))
        .merge(super::elderly_services::routes())
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

/// Records a care-risk event (a fall, choking …) of a person: the next assessment falls due on the event's day.
#[utoipa::path(post, path = "/api/v1/elderly/persons/{person_id}/care-risk-events", tag = "elderly",
    params(("person_id" = String, Path)), request_body = elderly::NewCareRisk, security(("bearer" = [])),
    responses((status = 201, body = elderly::CareRiskView), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn care_risk(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(person_id): Path<String>,
    JsonBody(n): JsonBody<elderly::NewCareRisk>,
) -> Result<(StatusCode, Json<elderly::CareRiskView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(elderly::record_care_risk(&app, &ctx, &person_id, n).await?),
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

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct MonthQuery {
    /// YYYY-MM; this month when absent.
    pub month: Option<String>,
    pub page: Option<i64>,
}

fn month_or_now(app: &App, m: Option<String>) -> String {
    m.filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| app.today().format("%Y-%m").to_string())
}

/// 高龄津贴: who the month pays in the caller's area, per age band, and who has no account yet.
#[utoipa::path(get, path = "/api/v1/elderly/allowance", tag = "elderly", params(MonthQuery), security(("bearer" = [])),
    responses((status = 200, body = allowance::Summary), (status = 422, body = super::ErrorBody)))]
pub async fn allowance(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<allowance::Summary>, ApiError> {
    let month = month_or_now(&app, q.month);
    Ok(Json(allowance::summary(&app, &ctx, &month).await?))
}

/// Residents aged 80+ in the caller's area without a recorded 一卡通 account, a page at a time.
#[utoipa::path(get, path = "/api/v1/elderly/allowance/missing-accounts", tag = "elderly", params(MonthQuery), security(("bearer" = [])),
    responses((status = 200, body = allowance::MissingPage), (status = 422, body = super::ErrorBody)))]
pub async fn missing_accounts(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<allowance::MissingPage>, ApiError> {
    let month = month_or_now(&app, q.month);
    Ok(Json(
        allowance::missing_accounts(&app, &ctx, &month, q.page.unwrap_or(1)).await?,
    ))
}

/// Records a resident's 一卡通 account for the allowance (the town).
#[utoipa::path(put, path = "/api/v1/elderly/accounts/{person_id}", tag = "elderly", params(("person_id" = String, Path)),
    request_body = allowance::AccountInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_account(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(person_id): Path<String>,
    JsonBody(a): JsonBody<allowance::AccountInput>,
) -> Result<StatusCode, ApiError> {
    allowance::set_account(&app, &ctx, &person_id, a).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every old-age allowance standard set, newest first.
#[utoipa::path(get, path = "/api/v1/elderly/allowance/standards", tag = "elderly", security(("bearer" = [])),
    responses((status = 200, body = Vec<allowance::StandardView>)))]
pub async fn allowance_standards(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<allowance::StandardView>>, ApiError> {
    Ok(Json(allowance::standards(&app, &ctx).await?))
}

/// Sets a band's amount from a month on (the city's elderly section).
#[utoipa::path(post, path = "/api/v1/elderly/allowance/standards", tag = "elderly", request_body = allowance::NewStandard, security(("bearer" = [])),
    responses((status = 201, body = Vec<allowance::StandardView>), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_allowance_standard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<allowance::NewStandard>,
) -> Result<(StatusCode, Json<Vec<allowance::StandardView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(allowance::set_standard(&app, &ctx, n).await?),
    ))
}
