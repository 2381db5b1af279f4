use crate::app::targets::plan::{self, ImportResult};
use crate::app::targets::reports::{self, Decision, EvidenceRow, NewReport, ReportRow, Upload};
use crate::app::targets::{self, DetailView, TargetsView};
use crate::app::{App, AppError, Ctx};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::{ApiMultipart, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// 年度工作目标: the plan, reports with evidence, decisions and the export.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(import))
        .routes(routes!(evidence))
        .routes(routes!(add_evidence))
        .routes(routes!(decide))
        .routes(routes!(show))
        .routes(routes!(report))
}

/// A multipart form: text fields, and file parts (field name, file) — an empty file input is skipped.
pub struct Parts {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, Upload)>,
}

impl Parts {
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
    pub fn take_files(&mut self, name: &str) -> Vec<Upload> {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.files = rest;
        mine.into_iter().map(|(_, u)| u).collect()
    }
}

pub async fn read_parts(mut mp: Multipart) -> Result<Parts, AppError> {
    let mut p = Parts {
        fields: HashMap::new(),
        files: vec![],
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(crate::web::extract::multipart_error("file", e)),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field
            .bytes()
            .await
            .map_err(|e| crate::web::extract::multipart_error("file", e))?;
        match file_name {
            Some(f) if f.is_empty() && data.is_empty() => {}
            Some(f) => p.files.push((
                name,
                Upload {
                    file_name: f,
                    bytes: data.to_vec(),
                },
            )),
            None => {
                p.fields
                    .insert(name, String::from_utf8_lossy(&data).into_owned());
            }
        }
    }
    Ok(p)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// The plan's year (default: this year if it has a plan, else the latest).
    pub year: Option<i32>,
}

async fn year_of(app: &App, ctx: &Ctx, y: Option<i32>) -> Result<i32, ApiError> {
    Ok(match y {
        Some(y) => y,
        None => targets::default_year(app, ctx).await?,
    })
}

/// Every indicator of a year's plan with its current figure and status, within the caller's scope.
/// Status rule: done / on_track / at_risk / missed / no_data (see README, 年度工作目标).
#[utoipa::path(get, path = "/api/v1/targets", tag = "targets", params(YearQuery), security(("bearer" = [])),
    responses((status = 200, body = TargetsView), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Result<Json<TargetsView>, ApiError> {
    let year = year_of(&app, &ctx, q.year).await?;
    Ok(Json(targets::list(&app, &ctx, year).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct DetailQuery {
    pub year: Option<i32>,
    /// T08.3: list every household, not only those below the target.
    pub all: Option<bool>,
}

/// One indicator: its definition, monthly progress, the town breakdown, the records behind it
/// (T08.3: households, masked) and its reports with evidence — within the caller's scope.
#[utoipa::path(get, path = "/api/v1/targets/{id}", tag = "targets", params(("id" = String, Path), DetailQuery), security(("bearer" = [])),
    responses((status = 200, body = DetailView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DetailQuery>,
) -> Result<Json<DetailView>, ApiError> {
    let year = year_of(&app, &ctx, q.year).await?;
    Ok(Json(
        targets::detail(&app, &ctx, year, &id, q.all.unwrap_or(false))
            .await?
            .view(),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    pub year: i32,
}

/// Imports a year's plan (city officer): multipart with files `items` (item,chapter,title,sections,text) and
/// `indicators` (id,item,target,kind,value,unit,computed_from[,path,metric]). Every bad cell is reported
/// (`rows`: file, row, field, message) and nothing is imported; the same plan again changes nothing; a
/// different plan for an imported year is refused (409).
#[utoipa::path(post, path = "/api/v1/targets/plans", tag = "targets", params(ImportQuery), request_body(content_type = "multipart/form-data"),
    security(("bearer" = [])), responses((status = 200, body = ImportResult), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn import(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiMultipart(mp): ApiMultipart,
) -> Response {
    let mut parts = match read_parts(mp).await {
        Ok(p) => p,
        Err(e) => return ApiError(e).into_response(),
    };
    let text = |u: Vec<Upload>| {
        u.into_iter()
            .next()
            .map(|u| String::from_utf8(u.bytes).map_err(|_| ()))
    };
    let (items, inds) = match (
        text(parts.take_files("items")),
        text(parts.take_files("indicators")),
    ) {
        (Some(Ok(a)), Some(Ok(b))) => (a, b),
        (None, _) | (_, None) => {
            return ApiError(AppError::invalid(
                "file",
                "须同时上传事项文件 items 和指标文件 indicators",
            ))
            .into_response();
        }
        _ => return ApiError(AppError::invalid("file", "CSV 文件须为 UTF-8 编码")).into_response(),
    };
    match plan::import(&app, &ctx, q.year, &items, &inds).await {
        Ok(r) => Json(r).into_response(),
        Err((e, rows)) => super::rows_error(e, rows),
    }
}

/// Files a report for a reported indicator (city officer, or a town office for its town): multipart with
/// `value`, `as_of` (YYYY-MM-DD), `comment` and any number of `files` (PDF, JPG, PNG, XLSX, DOCX; ≤ 10 MB each,
/// checked by content). It waits for a city officer's approval.
#[utoipa::path(post, path = "/api/v1/targets/{id}/reports", tag = "targets", params(("id" = String, Path), YearQuery),
    request_body(content_type = "multipart/form-data", content = NewReport), security(("bearer" = [])),
    responses((status = 201, body = ReportRow), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn report(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<YearQuery>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<(StatusCode, Json<ReportRow>), ApiError> {
    let year = year_of(&app, &ctx, q.year).await?;
    let mut p = read_parts(mp).await?;
    let files = p.take_files("files");
    let r = NewReport {
        value: p.field("value"),
        as_of: p.field("as_of"),
        comment: p.field("comment"),
    };
    Ok((
        StatusCode::CREATED,
        Json(reports::create(&app, &ctx, year, &id, r, files).await?),
    ))
}

/// Adds evidence `files` (multipart) to a report still waiting for approval.
#[utoipa::path(post, path = "/api/v1/targets/reports/{id}/evidence", tag = "targets", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 200, body = Vec<EvidenceRow>), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_evidence(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(mp): ApiMultipart,
) -> Result<Json<Vec<EvidenceRow>>, ApiError> {
    let mut p = read_parts(mp).await?;
    let files = p.take_files("files");
    Ok(Json(reports::add_evidence(&app, &ctx, &id, files).await?))
}

/// A city officer's decision: approve (only a report with evidence, not one's own) or reject with a note.
#[utoipa::path(post, path = "/api/v1/targets/reports/{id}/decision", tag = "targets", params(("id" = String, Path)), request_body = Decision,
    security(("bearer" = [])), responses((status = 200, body = ReportRow), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<Decision>,
) -> Result<Json<ReportRow>, ApiError> {
    Ok(Json(reports::decide(&app, &ctx, &id, d).await?))
}

pub fn file_response(f: reports::EvidenceFile) -> Response {
    let name: String = url::form_urlencoded::byte_serialize(f.file_name.as_bytes()).collect();
    (
        [
            (header::CONTENT_TYPE, f.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{name}"),
            ),
        ],
        f.bytes,
    )
        .into_response()
}

/// An evidence file.
#[utoipa::path(get, path = "/api/v1/targets/evidence/{id}", tag = "targets", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = super::ErrorBody)))]
pub async fn evidence(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(file_response(
        reports::evidence_file(&app, &ctx, &id).await?,
    ))
}

pub fn xlsx(bytes: Vec<u8>, year: i32) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                crate::util::attachment(
                    &format!("{year}年度工作目标.xlsx"),
                    &format!("targets-{year}.xlsx"),
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The year's targets as XLSX (indicators with status, and the town breakdowns), within the caller's scope.
#[utoipa::path(get, path = "/api/v1/targets/export", tag = "targets", params(YearQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn export(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let year = year_of(&app, &ctx, q.year).await?;
    Ok(xlsx(targets::export::export(&app, &ctx, year).await?, year))
}
