//! /api/v1/institutions: 养老机构 — filing, beds, star grade, residents and the yearly on-site inspection.

use crate::app::institutions::{
    self, Admission, BedChange, Discharge, DocumentItem, Filing, Inspection, InspectionItem,
    InstitutionPage, InstitutionQuery, InstitutionView, NewBeds, ResidentItem, StarRating,
};
use crate::app::{App, AppError};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::{ApiCtx, ApiMultipart, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(new_beds))
        .routes(routes!(show))
        .routes(routes!(file))
        .routes(routes!(add_document))
        .routes(routes!(document))
        .routes(routes!(beds))
        .routes(routes!(star))
        .routes(routes!(admit))
        .routes(routes!(resident))
        .routes(routes!(discharge))
        .routes(routes!(inspect))
}

/// Elderly institutions in the caller's scope (organisations of kind elderly_institution), with their filing, beds,
/// star grade, residents and whether the yearly on-site inspection is overdue (none in the last 365 days).
#[utoipa::path(get, path = "/api/v1/institutions", tag = "institutions", params(InstitutionQuery), security(("bearer" = [])),
    responses((status = 200, body = InstitutionPage), (status = 422, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<InstitutionQuery>,
) -> Result<Json<InstitutionPage>, ApiError> {
    Ok(Json(institutions::list(&app, &ctx, &q).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct NewBedsQuery {
    /// The year (default: this year).
    pub year: Option<i32>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
}

/// New beds of a year (新增养老床位): positive changes of the total dated in the year, by town.
#[utoipa::path(get, path = "/api/v1/institutions/beds/new", tag = "institutions", params(NewBedsQuery), security(("bearer" = [])),
    responses((status = 200, body = NewBeds), (status = 422, body = super::ErrorBody)))]
pub async fn new_beds(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<NewBedsQuery>,
) -> Result<Json<NewBeds>, ApiError> {
    use chrono::Datelike;
    let year = q.year.unwrap_or_else(|| app.today().year());
    Ok(Json(
        institutions::new_beds(&app, &ctx, year, q.area.as_deref()).await?,
    ))
}

/// One institution with its filing, documents, bed history, residents (masked) and inspections.
#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "institutions", params(("id" = String, Path, description = "the organisation's id")),
    security(("bearer" = [])), responses((status = 200, body = InstitutionView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<InstitutionView>, ApiError> {
    Ok(Json(institutions::get(&app, &ctx, &id).await?))
}

/// Files (备案) an elderly institution on the registry: date, documents received, ownership and beds.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/filing", tag = "institutions", params(("id" = String, Path)), request_body = Filing,
    security(("bearer" = [])), responses((status = 201, body = InstitutionView), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn file(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(f): JsonBody<Filing>,
) -> Result<(StatusCode, Json<InstitutionView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(institutions::file(&app, &ctx, &id, f).await?),
    ))
}

/// Adds a document to the filing (multipart: `name`, and optionally `file` — PDF, JPG or PNG, ≤ 10 MB).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/documents", tag = "institutions", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("bearer" = [])),
    responses((status = 201, body = DocumentItem), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_document(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Result<(StatusCode, Json<DocumentItem>), ApiError> {
    let (name, file) = read_document(m).await?;
    Ok((
        StatusCode::CREATED,
        Json(institutions::add_document(&app, &ctx, &id, &name, file).await?),
    ))
}

/// A document form: `name` and an optional `file` (read with a 10 MB cap).
pub async fn read_document(mut m: Multipart) -> Result<(String, Option<Vec<u8>>), AppError> {
    let bad = |e| crate::web::extract::multipart_error("file", e);
    let (mut name, mut file) = (String::new(), None);
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        match f.name().unwrap_or("") {
            "name" => name = f.text().await.map_err(bad)?,
            "file" => {
                let mut buf = Vec::new();
                while let Some(c) = f.chunk().await.map_err(bad)? {
                    if buf.len() + c.len() > institutions::MAX_DOCUMENT {
                        return Err(AppError::invalid("file", "材料文件不能超过10MB"));
                    }
                    buf.extend_from_slice(&c);
                }
                file = Some(buf);
            }
            _ => {}
        }
    }
    Ok((name, file))
}

pub fn file_response(ct: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A filing document's scanned file.
#[utoipa::path(get, path = "/api/v1/institutions/documents/{id}", tag = "institutions", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = super::ErrorBody)))]
pub async fn document(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = institutions::document_file(&app, &ctx, &id).await?;
    Ok(file_response(ct, bytes))
}

/// Records the beds as of a date (total, 护理型, ownership); the change of the total is kept.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/beds", tag = "institutions", params(("id" = String, Path)), request_body = BedChange,
    security(("bearer" = [])), responses((status = 200, body = InstitutionView), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn beds(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(c): JsonBody<BedChange>,
) -> Result<Json<InstitutionView>, ApiError> {
    Ok(Json(institutions::change_beds(&app, &ctx, &id, c).await?))
}

/// Records the star grade (GB/T 37276-2018, 1–5) with the date rated.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/star", tag = "institutions", params(("id" = String, Path)), request_body = StarRating,
    security(("bearer" = [])), responses((status = 200, body = InstitutionView), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn star(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(r): JsonBody<StarRating>,
) -> Result<Json<InstitutionView>, ApiError> {
    Ok(Json(institutions::rate(&app, &ctx, &id, r).await?))
}

/// Admits a registry person (by identity number) under a contract; within the beds, one institution at a time.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/residents", tag = "institutions", params(("id" = String, Path)), request_body = Admission,
    security(("bearer" = [])), responses((status = 201, body = ResidentItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn admit(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(a): JsonBody<Admission>,
) -> Result<(StatusCode, Json<ResidentItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(institutions::admit(&app, &ctx, &id, a).await?),
    ))
}

/// One resident's stay, with the day its file is kept until.
#[utoipa::path(get, path = "/api/v1/institutions/residents/{id}", tag = "institutions", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ResidentItem), (status = 404, body = super::ErrorBody)))]
pub async fn resident(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ResidentItem>, ApiError> {
    Ok(Json(institutions::resident(&app, &ctx, &id).await?))
}

/// Discharges a resident; the file is kept 5 years after the contract ended (never deleted).
#[utoipa::path(post, path = "/api/v1/institutions/residents/{id}/discharge", tag = "institutions", params(("id" = String, Path)),
    request_body = Discharge, security(("bearer" = [])), responses((status = 200, body = ResidentItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn discharge(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<Discharge>,
) -> Result<Json<ResidentItem>, ApiError> {
    Ok(Json(institutions::discharge(&app, &ctx, &id, d).await?))
}

/// Records the yearly on-site inspection (at least two inspectors; a result other than passed needs a note).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/inspections", tag = "institutions", params(("id" = String, Path)), request_body = Inspection,
    security(("bearer" = [])), responses((status = 201, body = InspectionItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn inspect(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<Inspection>,
) -> Result<(StatusCode, Json<InspectionItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(institutions::inspect(&app, &ctx, &id, i).await?),
    ))
}
