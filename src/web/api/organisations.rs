//! /api/v1/organisations: the organisation registry every later line shares.

use crate::app::App;
use crate::app::organisations::{self, Filter, OrgChange, OrgInput, OrgRow};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(kinds))
        .routes(routes!(show, update))
        .routes(routes!(history))
}

/// Registers an organisation (a valid unified social credit code is required; stored upper case).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = OrgInput, security(("bearer" = [])),
    responses((status = 201, body = OrgRow), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<OrgInput>,
) -> Result<(StatusCode, Json<OrgRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(organisations::create(&app, &ctx, n).await?),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct OrgQuery {
    /// elderly_institution, day_care_centre, meal_point, …
    pub kind: Option<String>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// Part of the name, or the whole credit code.
    pub q: Option<String>,
    pub page: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrgPage {
    pub items: Vec<OrgRow>,
    pub total: i64,
}

/// Organisations in the caller's scope, by kind, area and name or code.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", params(OrgQuery), security(("bearer" = [])),
    responses((status = 200, body = OrgPage), (status = 422, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<OrgPage>, ApiError> {
    let f = Filter {
        kind: q.kind,
        area: q.area,
        q: q.q,
    };
    let (items, total) = organisations::list(&app, &ctx, &f, q.page.unwrap_or(1)).await?;
    Ok(Json(OrgPage { items, total }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct KindItem {
    pub code: String,
    pub label: String,
}

/// The kinds of organisation, with their Chinese names.
#[utoipa::path(get, path = "/api/v1/organisations/kinds", tag = "organisations", security(("bearer" = [])),
    responses((status = 200, body = Vec<KindItem>)))]
pub async fn kinds(ApiCtx(ctx): ApiCtx) -> Result<Json<Vec<KindItem>>, ApiError> {
    ctx.actor
        .require(crate::app::authz::Permission::ReadOrganisations)?;
    Ok(Json(
        minzheng_domain::orgs::OrgKind::ALL
            .iter()
            .map(|k| KindItem {
                code: k.code().into(),
                label: k.label().into(),
            })
            .collect(),
    ))
}

/// One organisation (404 outside the caller's area).
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrgRow), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<OrgRow>, ApiError> {
    Ok(Json(organisations::get(&app, &ctx, &id).await?))
}

/// Changes an organisation (the whole record); the change is kept in its history.
#[utoipa::path(put, path = "/api/v1/organisations/{id}", tag = "organisations", params(("id" = String, Path)), request_body = OrgInput, security(("bearer" = [])),
    responses((status = 200, body = OrgRow), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<OrgInput>,
) -> Result<Json<OrgRow>, ApiError> {
    Ok(Json(organisations::update(&app, &ctx, &id, n).await?))
}

/// Every change of an organisation, oldest first.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/history", tag = "organisations", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgChange>), (status = 404, body = super::ErrorBody)))]
pub async fn history(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<Vec<OrgChange>>, ApiError> {
    Ok(Json(organisations::history(&app, &ctx, &id).await?))
}
