//! /api/v1/children: who a child is (LINES-API §2).

use crate::app::App;
use crate::app::children;
use crate::web::ApiError;
use crate::web::api::json_value;
use crate::web::extract::ApiCtx;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(classify))
}

/// Orphan, 事实无人抚养儿童 or neither, from the parents' situations on `as_of` (stateless).
#[utoipa::path(post, path = "/api/v1/children/classify", tag = "children", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "LINES-API §2: {as_of, child: {id_number, in_full_time_education}, parents: [{role, situations: [{kind, since, until}]}]}"),
    responses((status = 200, body = serde_json::Value), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn classify(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = json_value(&body)?;
    let r = children::classify(&app, &ctx, &v)?;
    Ok(Json(serde_json::to_value(r).map_err(|e| {
        ApiError(crate::app::AppError::Internal(e.into()))
    })?))
}
