use super::{Nav, render};
use crate::app::assistance::ledger::{self, RowError};
use crate::app::authz::Role;
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "ledger.html")]
struct Page {
    nav: Nav,
    is_town: bool,
    message: Option<String>,
    error: Option<String>,
    rows: Vec<RowError>,
}

fn page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
    rows: Vec<RowError>,
) -> Result<Response, PageError> {
    render(&Page {
        nav: Nav::of(app, p),
        is_town: p.ctx.actor.role == Role::TownOfficer,
        message,
        error,
        rows,
    })
}

pub async fn show(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    page(&app, &p, None, None, vec![])
}

/// Upload (multipart; the CSRF token travels in the query string): XLSX only, at most 50 MB.
pub async fn import(
    State(app): State<App>,
    p: PageCtx,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let mut bytes = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_lowercase();
            let data = field
                .bytes()
                .await
                .map_err(|e| crate::web::extract::multipart_error("file", e))?;
            if !name.ends_with(".xlsx") || !data.starts_with(b"PK") {
                return page(
                    &app,
                    &p,
                    None,
                    Some("台账须为 .xlsx 电子表格文件".into()),
                    vec![],
                );
            }
            if data.len() > 50 * 1024 * 1024 {
                return page(&app, &p, None, Some("台账文件不能超过50MB".into()), vec![]);
            }
            bytes = Some(data);
        }
    }
    let Some(bytes) = bytes else {
        return page(&app, &p, None, Some("请选择台账文件".into()), vec![]);
    };
    match ledger::import(&app, &p.ctx, &bytes).await {
        Ok(r) => page(
            &app,
            &p,
            Some(format!(
                "导入完成：{} 户，新建 {} 户救助、{} 名人员；{} 户已存在未变",
                r.households, r.cases_created, r.persons_created, r.cases_unchanged
            )),
            None,
            vec![],
        ),
        Err((e, rows)) if !matches!(e, AppError::Internal(_)) => {
            page(&app, &p, None, Some(e.to_string()), rows)
        }
        Err((e, _)) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    full: Option<String>,
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    Ok(crate::web::api::ledger::xlsx(
        ledger::export(&app, &p.ctx, q.full.is_some()).await?,
    ))
}
