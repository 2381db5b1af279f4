//! /api/v1/disability: the two subsidies for disabled persons (残疾人两项补贴).

use crate::app::App;
use crate::app::disability::{
    self, GradeCheck, GrantDecision, GrantPage, GrantQuery, GrantView, Leads, NewGrant,
    NewStandard, StandardView, Stop,
};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::{ApiCtx, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(file, list))
        .routes(routes!(show))
        .routes(routes!(check))
        .routes(routes!(decide))
        .routes(routes!(stop))
        .routes(routes!(leads))
        .routes(routes!(standards, set_standard))
        .routes(routes!(settings, set_setting))
        .routes(routes!(changes))
}

/// The bureau's switches (生活补贴覆盖低收入家庭; 护理补贴覆盖三、四级智力精神残疾人): in force now, and every setting.
#[utoipa::path(get, path = "/api/v1/disability/settings", tag = "disability", security(("bearer" = [])),
    responses((status = 200, body = crate::app::disability_changes::Settings)))]
pub async fn settings(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<crate::app::disability_changes::Settings>, ApiError> {
    Ok(Json(
        crate::app::disability_changes::settings(&app, &ctx).await?,
    ))
}

/// Sets a switch from a month (the city's 社会事务科); the roll and the leads follow it from that month.
#[utoipa::path(post, path = "/api/v1/disability/settings", tag = "disability", request_body = crate::app::disability_changes::NewSetting, security(("bearer" = [])),
    responses((status = 200, body = crate::app::disability_changes::Settings), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_setting(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<crate::app::disability_changes::NewSetting>,
) -> Result<Json<crate::app::disability_changes::Settings>, ApiError> {
    Ok(Json(
        crate::app::disability_changes::set(&app, &ctx, n).await?,
    ))
}

/// A grant's changes by a new disability grade (another tier, or a stop), each with its reason and month.
#[utoipa::path(get, path = "/api/v1/disability/subsidies/{id}/changes", tag = "disability", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::app::disability_changes::ChangeView>), (status = 404, body = super::ErrorBody)))]
pub async fn changes(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<Vec<crate::app::disability_changes::ChangeView>>, ApiError> {
    Ok(Json(
        crate::app::disability_changes::changes_of(&app, &ctx, &id).await?,
    ))
}

/// Files a subsidy for a person of the caller's town: the disability is read from the 残联's latest registry load
/// and the household's category from its live assistance case.
#[utoipa::path(post, path = "/api/v1/disability/subsidies", tag = "disability", request_body = NewGrant, security(("bearer" = [])),
    responses((status = 201, body = GrantView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn file(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewGrant>,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(disability::file(&app, &ctx, n).await?),
    ))
}

/// Subsidies in the caller's area, by stage, programme, name, identity number (or its last 4) or 编号.
#[utoipa::path(get, path = "/api/v1/disability/subsidies", tag = "disability", params(GrantQuery), security(("bearer" = [])),
    responses((status = 200, body = GrantPage)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> Result<Json<GrantPage>, ApiError> {
    Ok(Json(disability::list(&app, &ctx, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/disability/subsidies/{id}", tag = "disability", security(("bearer" = [])),
    responses((status = 200, body = GrantView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(disability::get(&app, &ctx, &id).await?))
}

/// Records the 残联's check of the grade (within 7 days of filing); not confirmed ends the filing.
#[utoipa::path(post, path = "/api/v1/disability/subsidies/{id}/check", tag = "disability", request_body = GradeCheck, security(("bearer" = [])),
    responses((status = 200, body = GrantView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn check(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(c): JsonBody<GradeCheck>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(disability::check_grade(&app, &ctx, &id, c).await?))
}

/// The county's decision after the village posting; payment starts the next month.
#[utoipa::path(post, path = "/api/v1/disability/subsidies/{id}/decision", tag = "disability", request_body = GrantDecision, security(("bearer" = [])),
    responses((status = 200, body = GrantView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<GrantDecision>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(disability::decide(&app, &ctx, &id, d).await?))
}

/// Stops a subsidy from a month on, with its reason.
#[utoipa::path(post, path = "/api/v1/disability/subsidies/{id}/stop", tag = "disability", request_body = Stop, security(("bearer" = [])),
    responses((status = 200, body = GrantView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn stop(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(s): JsonBody<Stop>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(disability::stop(&app, &ctx, &id, s).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct LeadQuery {
    /// A town or village code within the caller's area.
    pub area: Option<String>,
}

/// 漏保 leads: disabled members of dibao (low-income) households without the living subsidy, and grade 1–2
/// persons without the care subsidy.
#[utoipa::path(get, path = "/api/v1/disability/leads", tag = "disability", params(LeadQuery), security(("bearer" = [])),
    responses((status = 200, body = Leads)))]
pub async fn leads(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<LeadQuery>,
) -> Result<Json<Leads>, ApiError> {
    Ok(Json(
        disability::leads(&app, &ctx, q.area.as_deref()).await?,
    ))
}

/// Every subsidy standard set, newest first.
#[utoipa::path(get, path = "/api/v1/disability/standards", tag = "disability", security(("bearer" = [])),
    responses((status = 200, body = Vec<StandardView>)))]
pub async fn standards(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<StandardView>>, ApiError> {
    Ok(Json(disability::standards(&app, &ctx).await?))
}

/// Sets a standard from a month on (the city's social affairs section).
#[utoipa::path(post, path = "/api/v1/disability/standards", tag = "disability", request_body = NewStandard, security(("bearer" = [])),
    responses((status = 201, body = Vec<StandardView>), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_standard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewStandard>,
) -> Result<(StatusCode, Json<Vec<StandardView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(disability::set_standard(&app, &ctx, n).await?),
    ))
}
