use crate::app::App;
use crate::app::assistance::ledger;
use crate::web::ApiError;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Imports a town's ledger (台账) XLSX (the body is the file): every bad row is reported with row, column and
/// reason, and nothing is written unless all rows are good; importing the same file again changes nothing.
#[utoipa::path(post, path = "/api/v1/ledger/imports", tag = "assistance",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    security(("bearer" = [])), responses((status = 200, body = ledger::ImportResult), (status = 422, body = super::ErrorBody)))]
pub async fn import(State(app): State<App>, ApiCtx(ctx): ApiCtx, body: Bytes) -> Response {
    match ledger::import(&app, &ctx, &body).await {
        Ok(r) => Json(r).into_response(),
        Err((e, rows)) => super::rows_error(e, rows),
    }
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// true: full identity numbers and accounts (audited; for re-import)
    pub full: Option<bool>,
}

/// The current ledger of the caller's scope as XLSX, in the import layout.
#[utoipa::path(get, path = "/api/v1/ledger/export", tag = "assistance", params(ExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn export(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    Ok(xlsx(
        ledger::export(&app, &ctx, q.full.unwrap_or(false)).await?,
    ))
}

pub fn xlsx(bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                crate::util::attachment("救助台账.xlsx", "ledger.xlsx"),
            ),
        ],
        bytes,
    )
        .into_response()
}
