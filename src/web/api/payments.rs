use crate::app::assistance::payments::{self, LineView, ReturnResult, RollRow, Total};
use crate::app::listing::ListParams;
use crate::app::{App, AppError, Ctx};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct MonthInput {
    /// YYYY-MM
    pub month: String,
}

/// Builds (or rebuilds, while a draft) the payment roll of a month (city officer).
#[utoipa::path(post, path = "/api/v1/payments/rolls", tag = "assistance", request_body = MonthInput, security(("bearer" = [])),
    responses((status = 201, body = RollRow), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn generate(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(m): JsonBody<MonthInput>,
) -> Result<(StatusCode, Json<RollRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(payments::generate(&app, &ctx, &m.month).await?),
    ))
}

/// Every roll, newest first.
#[utoipa::path(get, path = "/api/v1/payments/rolls", tag = "assistance", security(("bearer" = [])), responses((status = 200, body = Vec<RollRow>)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<RollRow>>, ApiError> {
    Ok(Json(payments::rolls(&app, &ctx).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RollView {
    pub roll: RollRow,
    /// Per town and category, within the caller's scope.
    pub totals: Vec<Total>,
}

/// A roll with its totals per town and category.
#[utoipa::path(get, path = "/api/v1/payments/rolls/{month}", tag = "assistance", params(("month" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RollView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(month): Path<String>,
) -> Result<Json<RollView>, ApiError> {
    Ok(Json(RollView {
        roll: payments::roll(&app, &ctx, &month).await?,
        totals: payments::totals(&app, &ctx, &month).await?,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LinePage {
    pub items: Vec<LineView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Lines of a roll within the caller's scope (masked), 20 a page: searched by the payee's name or identity number,
/// filtered by category, `status` (pending, paid, failed) and area, sorted by seq, name, category, area, amount or
/// status.
#[utoipa::path(get, path = "/api/v1/payments/rolls/{month}/lines", tag = "assistance", params(("month" = String, Path), ListParams), security(("bearer" = [])),
    responses((status = 200, body = LinePage)))]
pub async fn lines(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(month): Path<String>,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<LinePage>, ApiError> {
    let p = payments::lines(&app, &ctx, &month, &l).await?;
    Ok(Json(LinePage {
        items: p.items,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}

/// City approval: from now on the roll cannot change.
#[utoipa::path(post, path = "/api/v1/payments/rolls/{month}/approve", tag = "assistance", params(("month" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RollRow), (status = 409, body = super::ErrorBody)))]
pub async fn approve(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(month): Path<String>,
) -> Result<Json<RollRow>, ApiError> {
    Ok(Json(payments::approve(&app, &ctx, &month).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// csv (default): the bank file, as the bank's system reads it (identity numbers and accounts written as they
    /// are); xlsx: the same roll for officers to check in Excel or WPS (identity numbers and accounts text cells,
    /// amounts number cells, a Chinese file name)
    pub format: Option<String>,
}

/// The bank file of an approved roll, with full identity numbers and accounts (audited).
#[utoipa::path(get, path = "/api/v1/payments/rolls/{month}/export", tag = "assistance", params(("month" = String, Path), ExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv"), (status = 409, body = super::ErrorBody)))]
pub async fn export(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(month): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    Ok(export_response(&app, &ctx, &month, q.format.as_deref()).await?)
}

pub async fn export_response(
    app: &App,
    ctx: &Ctx,
    month: &str,
    format: Option<&str>,
) -> Result<Response, AppError> {
    let (r, rows) = payments::export_lines(app, ctx, month).await?;
    if format == Some("xlsx") {
        let month = r.month.clone();
        let bytes = crate::util::blocking(move || payments::to_xlsx(&rows, &month)).await??;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    crate::util::attachment(
                        &format!("发放名册-{}.xlsx", r.month),
                        &format!("payroll-{}.xlsx", r.month),
                    ),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(payments::EXPORT_HEADER)
        .map_err(anyhow::Error::from)?;
    for row in &rows {
        w.write_record(row.iter().map(|c| crate::util::csv_safe(c).into_owned()))
            .map_err(anyhow::Error::from)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                crate::util::attachment(
                    &format!("发放名册-{}.csv", r.month),
                    &format!("payroll-{}.csv", r.month),
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The bank's return file as CSV (流水号,结果,原因): all rows checked first, all or nothing, idempotent.
#[utoipa::path(post, path = "/api/v1/payments/rolls/{month}/returns", tag = "assistance", params(("month" = String, Path)),
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, body = ReturnResult), (status = 422, body = super::ErrorBody)))]
pub async fn returns(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(month): Path<String>,
    body: String,
) -> Response {
    match payments::import_return(&app, &ctx, &month, &body).await {
        Ok(r) => Json(r).into_response(),
        Err((e, rows)) => super::rows_error(e, rows),
    }
}
