//! /api/v1/children: state guardianship (临时监护、长期监护), adoption registration (收养登记) with the home
//! assessment, and the registry's children re-classified by the classify rule.

use crate::app::App;
use crate::app::children::protection::{
    self, AdoptionDetail, AdoptionList, AdoptionView, Assessment, EndGuardianship,
    GuardianshipDetail, GuardianshipList, GuardianshipView, NewAdoption, NewGuardianship,
    ProtectionQuery, RefuseAdoption, RegisterAdoption,
};
use crate::app::children::reclassify::{self, Classified, ClassifiedQuery, ReclassifySummary};
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
        .routes(routes!(start_guardianship, guardianships))
        .routes(routes!(guardianship))
        .routes(routes!(end_guardianship))
        .routes(routes!(file_adoption, adoptions))
        .routes(routes!(adoption))
        .routes(routes!(assess))
        .routes(routes!(register_adoption))
        .routes(routes!(refuse_adoption))
        .routes(routes!(reclassify_all))
        .routes(routes!(classified))
}

/// Starts a state guardianship (the city's 儿童福利科): kind, legal basis, facts, the caring institution, dates.
/// A long-term guardianship started during a temporary one ends the temporary one that day.
#[utoipa::path(post, path = "/api/v1/children/guardianships", tag = "children", request_body = NewGuardianship, security(("bearer" = [])),
    responses((status = 201, body = GuardianshipView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn start_guardianship(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewGuardianship>,
) -> Result<(StatusCode, Json<GuardianshipView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(protection::start_guardianship(&app, &ctx, n).await?),
    ))
}

/// State guardianships of the caller's area (status: active, ended), the latest 200 with the total.
#[utoipa::path(get, path = "/api/v1/children/guardianships", tag = "children", params(ProtectionQuery), security(("bearer" = [])),
    responses((status = 200, body = GuardianshipList)))]
pub async fn guardianships(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ProtectionQuery>,
) -> Result<Json<GuardianshipList>, ApiError> {
    Ok(Json(protection::guardianships(&app, &ctx, &q).await?))
}

/// One guardianship with its history and the child's other guardianships.
#[utoipa::path(get, path = "/api/v1/children/guardianships/{id}", tag = "children", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = GuardianshipDetail), (status = 404, body = super::ErrorBody)))]
pub async fn guardianship(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<GuardianshipDetail>, ApiError> {
    Ok(Json(
        protection::guardianship_detail(&app, &ctx, &id).await?,
    ))
}

/// Ends a state guardianship with its date and reason.
#[utoipa::path(post, path = "/api/v1/children/guardianships/{id}/end", tag = "children", params(("id" = String, Path)), request_body = EndGuardianship, security(("bearer" = [])),
    responses((status = 200, body = GuardianshipView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn end_guardianship(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndGuardianship>,
) -> Result<Json<GuardianshipView>, ApiError> {
    Ok(Json(
        protection::end_guardianship(&app, &ctx, &id, e).await?,
    ))
}

/// Files an adoption (town or city): the adopters' conditions (民法典第1098、1100–1102条) are checked by the rule
/// and a failing case is refused naming every unmet article.
#[utoipa::path(post, path = "/api/v1/children/adoptions", tag = "children", request_body = NewAdoption, security(("bearer" = [])),
    responses((status = 201, body = AdoptionView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn file_adoption(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewAdoption>,
) -> Result<(StatusCode, Json<AdoptionView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(protection::file_adoption(&app, &ctx, n).await?),
    ))
}

/// Adoptions of the caller's area (status: filed, assessed, registered, refused), with those whose assessment is late.
#[utoipa::path(get, path = "/api/v1/children/adoptions", tag = "children", params(ProtectionQuery), security(("bearer" = [])),
    responses((status = 200, body = AdoptionList)))]
pub async fn adoptions(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ProtectionQuery>,
) -> Result<Json<AdoptionList>, ApiError> {
    Ok(Json(protection::adoptions(&app, &ctx, &q).await?))
}

/// One adoption with its assessment and history.
#[utoipa::path(get, path = "/api/v1/children/adoptions/{id}", tag = "children", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdoptionDetail), (status = 404, body = super::ErrorBody)))]
pub async fn adoption(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<AdoptionDetail>, ApiError> {
    Ok(Json(protection::adoption_detail(&app, &ctx, &id).await?))
}

/// Records the home assessment (收养评估) of a filed adoption: two assessors at least, each item, the conclusion.
#[utoipa::path(post, path = "/api/v1/children/adoptions/{id}/assessment", tag = "children", params(("id" = String, Path)), request_body = Assessment, security(("bearer" = [])),
    responses((status = 200, body = AdoptionView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn assess(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(a): JsonBody<Assessment>,
) -> Result<Json<AdoptionView>, ApiError> {
    Ok(Json(protection::assess(&app, &ctx, &id, a).await?))
}

/// Registers an adoption assessed suitable (the city's 儿童福利科) and gives the certificate number; the child's
/// state guardianship and orphan entries end.
#[utoipa::path(post, path = "/api/v1/children/adoptions/{id}/register", tag = "children", params(("id" = String, Path)), request_body = RegisterAdoption, security(("bearer" = [])),
    responses((status = 200, body = AdoptionView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn register_adoption(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<RegisterAdoption>,
) -> Result<Json<AdoptionView>, ApiError> {
    Ok(Json(
        protection::register_adoption(&app, &ctx, &id, d).await?,
    ))
}

/// Refuses an adoption not yet registered, with the reason.
#[utoipa::path(post, path = "/api/v1/children/adoptions/{id}/refuse", tag = "children", params(("id" = String, Path)), request_body = RefuseAdoption, security(("bearer" = [])),
    responses((status = 200, body = AdoptionView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn refuse_adoption(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<RefuseAdoption>,
) -> Result<Json<AdoptionView>, ApiError> {
    Ok(Json(protection::refuse_adoption(&app, &ctx, &id, d).await?))
}

/// Classifies every child of the registry again by the classify rule (the city's 儿童福利科); changes are kept.
#[utoipa::path(post, path = "/api/v1/children/classifications/run", tag = "children", security(("bearer" = [])),
    responses((status = 200, body = ReclassifySummary), (status = 403, body = super::ErrorBody)))]
pub async fn reclassify_all(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<ReclassifySummary>, ApiError> {
    Ok(Json(reclassify::run(&app, &ctx).await?))
}

/// The registry's children the rule classifies (孤儿, 事实无人抚养儿童), whether they are on the register, and the
/// latest changes with their causes.
#[utoipa::path(get, path = "/api/v1/children/classifications", tag = "children", params(ClassifiedQuery), security(("bearer" = [])),
    responses((status = 200, body = Classified)))]
pub async fn classified(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ClassifiedQuery>,
) -> Result<Json<Classified>, ApiError> {
    Ok(Json(reclassify::classified(&app, &ctx, &q).await?))
}
