//! /api/v1/safety: 安全与防疫 of service institutions — checklist inspections, hazards to closure, closed management,
//! screening logs and infection incidents, keyed on the organisation.

use crate::app::safety::{
    self, CloseIncident, ClosureItem, EndClosure, HazardClosure, HazardItem, HazardQuery,
    IncidentItem, InspectionItem, NewClosure, NewHazard, NewIncident, NewInspection, NewScreening,
    SafetyPage, SafetyQuery, SafetyView, ScreeningItem,
};
use crate::app::{App, AppError};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::{ApiCtx, ApiMultipart, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(inspect))
        .routes(routes!(add_hazard))
        .routes(routes!(add_closure))
        .routes(routes!(add_screening))
        .routes(routes!(add_incident))
        .routes(routes!(escalated))
        .routes(routes!(hazard))
        .routes(routes!(close_hazard))
        .routes(routes!(photo))
        .routes(routes!(end_closure))
        .routes(routes!(close_incident))
}

/// Service institutions in the caller's scope with open and overdue hazards, closed management and open incidents.
#[utoipa::path(get, path = "/api/v1/safety/organisations", tag = "safety", params(SafetyQuery), security(("bearer" = [])),
    responses((status = 200, body = SafetyPage), (status = 422, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<SafetyQuery>,
) -> Result<Json<SafetyPage>, ApiError> {
    Ok(Json(safety::list(&app, &ctx, &q).await?))
}

/// One service institution's inspections, hazards, closed-management periods, screening logs and incidents.
#[utoipa::path(get, path = "/api/v1/safety/organisations/{id}", tag = "safety", params(("id" = String, Path, description = "the organisation's id")),
    security(("bearer" = [])), responses((status = 200, body = SafetyView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<SafetyView>, ApiError> {
    Ok(Json(safety::get(&app, &ctx, &id).await?))
}

/// Records an inspection: every checklist item passed or failed (a failed one with a note), two inspectors at least.
#[utoipa::path(post, path = "/api/v1/safety/organisations/{id}/inspections", tag = "safety", params(("id" = String, Path)), request_body = NewInspection,
    security(("bearer" = [])), responses((status = 201, body = InspectionItem), (status = 403, body = super::ErrorBody),
    (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn inspect(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewInspection>,
) -> Result<(StatusCode, Json<InspectionItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(safety::inspect(&app, &ctx, &id, n).await?),
    ))
}

/// Records a hazard (重大 major / 一般 general) with its rectification deadline.
#[utoipa::path(post, path = "/api/v1/safety/organisations/{id}/hazards", tag = "safety", params(("id" = String, Path)), request_body = NewHazard,
    security(("bearer" = [])), responses((status = 201, body = HazardItem), (status = 403, body = super::ErrorBody),
    (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_hazard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewHazard>,
) -> Result<(StatusCode, Json<HazardItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(safety::add_hazard(&app, &ctx, &id, n).await?),
    ))
}

/// Records a period of closed management (封闭管理); leave `ends_on` out while it lasts.
#[utoipa::path(post, path = "/api/v1/safety/organisations/{id}/closures", tag = "safety", params(("id" = String, Path)), request_body = NewClosure,
    security(("bearer" = [])), responses((status = 201, body = ClosureItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_closure(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewClosure>,
) -> Result<(StatusCode, Json<ClosureItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(safety::add_closure(&app, &ctx, &id, n).await?),
    ))
}

/// Records a screening log entry (group staff / residents / visitors, number screened and abnormal).
#[utoipa::path(post, path = "/api/v1/safety/organisations/{id}/screenings", tag = "safety", params(("id" = String, Path)), request_body = NewScreening,
    security(("bearer" = [])), responses((status = 201, body = ScreeningItem), (status = 404, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn add_screening(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewScreening>,
) -> Result<(StatusCode, Json<ScreeningItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(safety::add_screening(&app, &ctx, &id, n).await?),
    ))
}

/// Records an infection incident (date, number infected, measures).
#[utoipa::path(post, path = "/api/v1/safety/organisations/{id}/incidents", tag = "safety", params(("id" = String, Path)), request_body = NewIncident,
    security(("bearer" = [])), responses((status = 201, body = IncidentItem), (status = 404, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn add_incident(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewIncident>,
) -> Result<(StatusCode, Json<IncidentItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(safety::add_incident(&app, &ctx, &id, n).await?),
    ))
}

/// Escalated hazards: open past their deadline, in the caller's scope (the city sees all towns', a town its own).
#[utoipa::path(get, path = "/api/v1/safety/hazards/escalated", tag = "safety", params(HazardQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<HazardItem>), (status = 422, body = super::ErrorBody)))]
pub async fn escalated(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<HazardQuery>,
) -> Result<Json<Vec<HazardItem>>, ApiError> {
    Ok(Json(safety::escalated(&app, &ctx, &q).await?))
}

/// One hazard with its rectification photos.
#[utoipa::path(get, path = "/api/v1/safety/hazards/{id}", tag = "safety", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = HazardItem), (status = 404, body = super::ErrorBody)))]
pub async fn hazard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<HazardItem>, ApiError> {
    Ok(Json(safety::hazard(&app, &ctx, &id).await?))
}

/// Closes a hazard with evidence (multipart: `note`, optional `closed_on`, one or more `photo` — JPEG or PNG, ≤ 5 MB).
#[utoipa::path(post, path = "/api/v1/safety/hazards/{id}/close", tag = "safety", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("bearer" = [])),
    responses((status = 200, body = HazardItem), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn close_hazard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Result<Json<HazardItem>, ApiError> {
    let c = read_closure(m).await?;
    Ok(Json(safety::close_hazard(&app, &ctx, &id, c).await?))
}

/// A hazard closure form: `note`, `closed_on` and any number of `photo` files (each read with a 5 MB cap).
pub async fn read_closure(mut m: Multipart) -> Result<HazardClosure, AppError> {
    let mut c = HazardClosure::default();
    let bad = |e| crate::web::extract::multipart_error("photo", e);
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        match f.name().unwrap_or("") {
            "note" => c.note = f.text().await.map_err(bad)?,
            "closed_on" => {
                let t = f.text().await.map_err(bad)?;
                if !t.trim().is_empty() {
                    c.closed_on = Some(
                        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                            AppError::invalid("closed_on", "整改完成日期格式应为 YYYY-MM-DD")
                        })?,
                    );
                }
            }
            "photo" => {
                let mut buf = Vec::new();
                while let Some(ch) = f.chunk().await.map_err(bad)? {
                    if buf.len() + ch.len() > safety::MAX_PHOTO {
                        return Err(AppError::invalid("photo", "照片超过5MB"));
                    }
                    buf.extend_from_slice(&ch);
                }
                c.photos.push(buf);
            }
            _ => {}
        }
    }
    Ok(c)
}

/// A rectification photo.
#[utoipa::path(get, path = "/api/v1/safety/photos/{id}", tag = "safety", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = super::ErrorBody)))]
pub async fn photo(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = safety::photo(&app, &ctx, &id).await?;
    Ok(super::institutions::file_response(ct, bytes))
}

/// Ends a period of closed management.
#[utoipa::path(post, path = "/api/v1/safety/closures/{id}/end", tag = "safety", params(("id" = String, Path)), request_body = EndClosure,
    security(("bearer" = [])), responses((status = 200, body = ClosureItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn end_closure(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndClosure>,
) -> Result<Json<ClosureItem>, ApiError> {
    Ok(Json(safety::end_closure(&app, &ctx, &id, e).await?))
}

/// Closes an infection incident.
#[utoipa::path(post, path = "/api/v1/safety/incidents/{id}/close", tag = "safety", params(("id" = String, Path)), request_body = CloseIncident,
    security(("bearer" = [])), responses((status = 200, body = IncidentItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn close_incident(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(c): JsonBody<CloseIncident>,
) -> Result<Json<IncidentItem>, ApiError> {
    Ok(Json(safety::close_incident(&app, &ctx, &id, c).await?))
}
