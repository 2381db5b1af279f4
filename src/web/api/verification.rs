//! Verification API: source loads, runs, findings and decisions, the staff registry and grid tasks.

use crate::app::App;
use crate::app::AppError;
use crate::app::listing::ListParams;
use crate::app::verification::findings::{self, Decision, FindingPage, FindingQuery, FindingView};
use crate::app::verification::runs::{self, RunRequest, RunSummary};
use crate::app::verification::sources::{self, LoadOutcome, LoadRow};
use crate::app::verification::staff::{self, NewRelative, NewStaff, RelativeRow, StaffRow};
use crate::app::verification::tasks::{self, Close, TaskQuery, TaskRow};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::{ApiMultipart, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// 核对与专项治理: departmental sources, runs, findings, the staff relatives registry and grid tasks.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(loads))
        .routes(routes!(load))
        .routes(routes!(run))
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(decide))
        .routes(routes!(decide_batch))
        .routes(routes!(precision))
        .routes(routes!(add_staff))
        .routes(routes!(add_relative))
        .routes(routes!(list_tasks))
        .routes(routes!(visit))
        .routes(routes!(close))
        .routes(routes!(close_batch))
        .routes(routes!(task_photo))
}

/// An upload streamed to a temporary file (source files run to millions of rows), removed when dropped.
pub struct TempUpload {
    pub path: std::path::PathBuf,
    pub name: String,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads a multipart form: the field `file` goes to a temporary file, other fields are returned as text.
pub async fn receive(
    mut m: Multipart,
) -> Result<(Option<TempUpload>, Vec<(String, String)>), AppError> {
    let mut file = None;
    let mut fields = Vec::new();
    let bad = |e| crate::web::extract::multipart_error("file", e);
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        let name = f.name().unwrap_or("").to_string();
        if name == "file" {
            let up = TempUpload {
                path: std::env::temp_dir()
                    .join(format!("minzheng-upload-{}", crate::storage::new_id())),
                name: f.file_name().unwrap_or("upload.csv").to_string(),
            };
            // tokio's file: a large upload's writes must not hold an async worker
            let mut out = tokio::io::BufWriter::new(
                tokio::fs::File::create(&up.path)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?,
            );
            while let Some(chunk) = f.chunk().await.map_err(bad)? {
                out.write_all(&chunk)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
            out.flush()
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            file = Some(up);
        } else {
            fields.push((name, f.text().await.map_err(bad)?));
        }
    }
    Ok((file, fields))
}

/// Loads a departmental source file (multipart: `file` as CSV with a header row or XLSX, and `as_of`). 201 with the
/// new load; the same file again → 200 with the earlier load, adding nothing; bad rows → 422 with every bad row.
#[utoipa::path(post, path = "/api/v1/sources/{source}/loads", tag = "verification",
    params(("source" = String, Path, description = "deaths, vehicles, real_estate, business, social_insurance, housing_fund, public_payroll, deposits, disability, serious_illness, custody, hukou_moves")),
    request_body(content_type = "multipart/form-data", content = String),
    security(("bearer" = [])), responses((status = 201, body = LoadOutcome), (status = 200, body = LoadOutcome), (status = 422, body = super::ErrorBody)))]
pub async fn load(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(source): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Response {
    // nothing is written to disk for a caller who may not load files
    if let Err(e) = ctx
        .actor
        .require(crate::app::authz::Permission::LoadSources)
    {
        return ApiError(e).into_response();
    }
    let (file, fields) = match receive(m).await {
        Ok(x) => x,
        Err(e) => return ApiError(e).into_response(),
    };
    let Some(file) = file else {
        return ApiError(AppError::invalid("file", "请上传文件（表单字段 file）")).into_response();
    };
    let as_of = match fields.iter().find(|f| f.0 == "as_of").map(|f| f.1.trim()) {
        None | Some("") => None,
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return ApiError(AppError::invalid(
                    "as_of",
                    "数据截止日期格式应为 YYYY-MM-DD",
                ))
                .into_response();
            }
        },
    };
    match sources::load_file(&app, &ctx, &source, &file.path, &file.name, as_of).await {
        Ok(o) if o.duplicate => (StatusCode::OK, Json(o)).into_response(),
        Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
        Err((e, rows)) => super::rows_error(e, rows),
    }
}

/// Every load, newest first.
#[utoipa::path(get, path = "/api/v1/sources/loads", tag = "verification", security(("bearer" = [])), responses((status = 200, body = Vec<LoadRow>)))]
pub async fn loads(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<LoadRow>>, ApiError> {
    Ok(Json(sources::list(&app, &ctx).await?))
}

/// Checks every active case in the caller's scope against every source, with the 人情保 and 漏保 scans; answers
/// when the run is complete. Body `{}` (or `{"on": "YYYY-MM-DD"}`).
#[utoipa::path(post, path = "/api/v1/verification/runs", tag = "verification", request_body = RunRequest, security(("bearer" = [])),
    responses((status = 201, body = RunSummary), (status = 403, body = super::ErrorBody)))]
pub async fn run(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(r): JsonBody<RunRequest>,
) -> Result<(StatusCode, Json<RunSummary>), ApiError> {
    Ok((StatusCode::CREATED, Json(runs::run(&app, &ctx, r).await?)))
}

/// Findings of a run (default the latest), 20 a page, within the caller's scope: searched by the person's name or
/// identity number, filtered by kind (`kind` or `category`), `status` (open, confirmed, dismissed, superseded), area
/// and the date it began, sorted by kind, name, area, since or status.
#[utoipa::path(get, path = "/api/v1/verification/findings", tag = "verification", params(FindingQuery, ListParams), security(("bearer" = [])),
    responses((status = 200, body = FindingPage)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<FindingQuery>,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<FindingPage>, ApiError> {
    Ok(Json(findings::list(&app, &ctx, &q, &l).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct FindingBatch {
    /// The open findings to decide (at most 500).
    pub ids: Vec<String>,
    #[serde(flatten)]
    pub decision: Decision,
}

/// 批量处置疑点: one decision and one reason for every finding, all or nothing (422 naming every finding that
/// cannot be decided).
#[utoipa::path(post, path = "/api/v1/verification/findings/decisions", tag = "verification", request_body = FindingBatch,
    security(("bearer" = [])), responses((status = 200, body = super::applications::BatchDone), (status = 422, body = super::ErrorBody)))]
pub async fn decide_batch(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(b): JsonBody<FindingBatch>,
) -> Result<Json<super::applications::BatchDone>, ApiError> {
    let done = findings::decide_batch(&app, &ctx, &b.ids, &b.decision).await?;
    Ok(Json(super::applications::BatchDone { done }))
}

#[utoipa::path(get, path = "/api/v1/verification/findings/{id}", tag = "verification", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = FindingView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<FindingView>, ApiError> {
    Ok(Json(findings::get(&app, &ctx, &id).await?))
}

/// Confirms (stop or adjust the case, overpayment computed) or dismisses (with a reason) an open finding.
#[utoipa::path(post, path = "/api/v1/verification/findings/{id}/decision", tag = "verification", params(("id" = String, Path)), request_body = Decision,
    security(("bearer" = [])), responses((status = 200, body = FindingView), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<Decision>,
) -> Result<Json<FindingView>, ApiError> {
    Ok(Json(findings::decide(&app, &ctx, &id, d).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Precision {
    pub run_id: Option<String>,
    pub recipients: i64,
    pub eligible: i64,
    /// eligible / recipients, percent with two decimals
    pub rate: Option<String>,
}

/// 精准救助率 (T10.1) from the latest run, within the caller's scope.
#[utoipa::path(get, path = "/api/v1/verification/precision", tag = "verification", security(("bearer" = [])), responses((status = 200, body = Precision)))]
pub async fn precision(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Precision>, ApiError> {
    Ok(Json(match findings::precision_rate(&app, &ctx).await? {
        None => Precision {
            run_id: None,
            recipients: 0,
            eligible: 0,
            rate: None,
        },
        Some(p) => Precision {
            rate: Some(runs::percent(p.eligible, p.recipients)),
            run_id: Some(p.run_id),
            recipients: p.recipients,
            eligible: p.eligible,
        },
    }))
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "verification", request_body = NewStaff, security(("bearer" = [])),
    responses((status = 201, body = StaffRow), (status = 422, body = super::ErrorBody)))]
pub async fn add_staff(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewStaff>,
) -> Result<(StatusCode, Json<StaffRow>), ApiError> {
    Ok((StatusCode::CREATED, Json(staff::add(&app, &ctx, n).await?)))
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/relatives", tag = "verification", params(("id" = String, Path)), request_body = NewRelative,
    security(("bearer" = [])), responses((status = 201, body = RelativeRow), (status = 422, body = super::ErrorBody)))]
pub async fn add_relative(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<NewRelative>,
) -> Result<(StatusCode, Json<RelativeRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_relative(&app, &ctx, &id, n).await?),
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Grid tasks in the caller's scope, 20 a page: searched by the person's name or identity number, filtered by kind
/// (`category`), `status` (open — the default, visited ones included —, visited, closed, all), area and due date,
/// sorted by due, kind, name, area or status.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "verification", params(TaskQuery, ListParams), security(("bearer" = [])), responses((status = 200, body = TaskPage)))]
pub async fn list_tasks(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<TaskQuery>,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<TaskPage>, ApiError> {
    let p = tasks::list(&app, &ctx, &q, &l).await?;
    Ok(Json(TaskPage {
        items: p.items,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct TaskBatch {
    /// Visited tasks to close as 无需救助 (at most 500).
    pub ids: Vec<String>,
    /// One reason for all (at least 4 characters).
    pub reason: String,
}

/// 批量办结任务: all or nothing (422 naming every task that cannot be closed).
#[utoipa::path(post, path = "/api/v1/tasks/close", tag = "verification", request_body = TaskBatch,
    security(("bearer" = [])), responses((status = 200, body = super::applications::BatchDone), (status = 422, body = super::ErrorBody)))]
pub async fn close_batch(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(b): JsonBody<TaskBatch>,
) -> Result<Json<super::applications::BatchDone>, ApiError> {
    let done = tasks::close_batch(&app, &ctx, &b.ids, &b.reason).await?;
    Ok(Json(super::applications::BatchDone { done }))
}

/// Records a visit (multipart: `note`, optional `visited_on`, and `photo` fields — JPEG or PNG, ≤ 5 MB each).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/visit", tag = "verification", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("bearer" = [])),
    responses((status = 200, body = TaskRow), (status = 422, body = super::ErrorBody)))]
pub async fn visit(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Result<Json<TaskRow>, ApiError> {
    Ok(Json(
        tasks::visit(&app, &ctx, &id, read_visit(m).await?).await?,
    ))
}

/// A visit form: `note`, `visited_on`, and any number of `photo` files (each read with a 5 MB cap).
pub async fn read_visit(mut m: Multipart) -> Result<tasks::Visit, AppError> {
    let mut v = tasks::Visit::default();
    let bad = |e| crate::web::extract::multipart_error("photo", e);
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        match f.name().unwrap_or("") {
            "note" => v.note = f.text().await.map_err(bad)?,
            "visited_on" => {
                let t = f.text().await.map_err(bad)?;
                if !t.trim().is_empty() {
                    v.visited_on = Some(
                        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                            AppError::invalid("visited_on", "走访日期格式应为 YYYY-MM-DD")
                        })?,
                    );
                }
            }
            "photo" => {
                let mut buf = Vec::new();
                while let Some(c) = f.chunk().await.map_err(bad)? {
                    if buf.len() + c.len() > tasks::MAX_PHOTO {
                        return Err(AppError::invalid("photo", "照片超过5MB"));
                    }
                    buf.extend_from_slice(&c);
                }
                v.photos.push(buf);
            }
            _ => {}
        }
    }
    Ok(v)
}

/// Closes a visited task: `closed` with a reason, `application` with the application filed for the household, or
/// (a 复核逾期 task, town or city officer) `reviewed`: the review is recorded on the case as `POST /cases/{id}/events`
/// with kind review records it.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/close", tag = "verification", params(("id" = String, Path)), request_body = Close,
    security(("bearer" = [])), responses((status = 200, body = TaskRow), (status = 422, body = super::ErrorBody)))]
pub async fn close(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(c): JsonBody<Close>,
) -> Result<Json<TaskRow>, ApiError> {
    Ok(Json(tasks::close(&app, &ctx, &id, c).await?))
}

/// A visit photo of a task in the caller's scope (its id is in the task's `photos`).
#[utoipa::path(get, path = "/api/v1/tasks/{id}/photos/{photo}", tag = "verification",
    params(("id" = String, Path), ("photo" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = super::ErrorBody)))]
pub async fn task_photo(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path((id, photo)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = tasks::photo(&app, &ctx, &id, &photo).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, ct)], bytes).into_response())
}
