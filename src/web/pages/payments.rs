use super::home::{Bar, bars};
use super::list::{ListView, xlsx_download};
use super::{Nav, render};
use crate::app::assistance::payments::{self, LineView, RollRow, RowError, Total};
use crate::app::listing::ListParams;
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minzheng_domain::money::Fen;

pub struct RollItem {
    pub month: String,
    pub approved: bool,
    pub lines: i64,
    pub total: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct ListPage {
    nav: Nav,
    rolls: Vec<RollItem>,
    is_city: bool,
    error: Option<String>,
    bars: Vec<Bar>,
    chart_height: i64,
}

fn item(r: &RollRow) -> RollItem {
    RollItem {
        month: r.month.clone(),
        approved: r.status == "approved",
        lines: r.lines,
        total: Fen(r.total).to_string(),
    }
}

async fn list_page(app: &App, p: &PageCtx, error: Option<String>) -> Result<Response, PageError> {
    let rolls = payments::rolls(app, &p.ctx).await?;
    // spending by month, in whole yuan, oldest first
    let mut rows: Vec<(String, i64)> = rolls
        .iter()
        .map(|r| (r.month.clone(), r.total / 100))
        .collect();
    rows.reverse();
    let bars = bars(&rows);
    render(&ListPage {
        nav: Nav::of(app, p),
        rolls: rolls.iter().map(item).collect(),
        is_city: p.ctx.actor.role == crate::app::authz::Role::CityOfficer,
        error,
        chart_height: bars.len() as i64 * 22 + 4,
        bars,
    })
}

pub async fn list(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    list_page(&app, &p, None).await
}

#[derive(serde::Deserialize)]
pub struct MonthForm {
    month: String,
}

pub async fn generate(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<MonthForm>,
) -> Result<Response, PageError> {
    match payments::generate(&app, &p.ctx, &f.month).await {
        Ok(r) => Ok(Redirect::to(&format!("/assistance/payments/{}", r.month)).into_response()),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_)),
        ) => list_page(&app, &p, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "payment_roll.html")]
struct RollPage {
    nav: Nav,
    r: RollItem,
    totals: Vec<Total>,
    town_bars: Vec<Bar>,
    chart_height: i64,
    lines: Vec<LineView>,
    list: ListView,
    is_city: bool,
    message: Option<String>,
    error: Option<String>,
    row_errors: Vec<RowError>,
}

async fn roll_page(
    app: &App,
    p: &PageCtx,
    month: &str,
    l: &ListParams,
    message: Option<String>,
    error: Option<String>,
    row_errors: Vec<RowError>,
) -> Result<Response, PageError> {
    let r = payments::roll(app, &p.ctx, month).await?;
    let totals = payments::totals(app, &p.ctx, month).await?;
    let mut by_town: Vec<(String, i64)> = vec![];
    for t in &totals {
        let yuan = Fen::parse_yuan(&t.amount).map(|f| f.0 / 100).unwrap_or(0);
        match by_town.last_mut() {
            Some(last) if last.0 == t.town_name => last.1 += yuan,
            _ => by_town.push((t.town_name.clone(), yuan)),
        }
    }
    let town_bars = bars(&by_town);
    let page = payments::lines(app, &p.ctx, month, l).await?;
    let list = ListView::new(
        app,
        p,
        &format!("/assistance/payments/{month}"),
        &payments::line_spec(),
        l,
        &page,
    );
    render(&RollPage {
        nav: Nav::of(app, p),
        r: item(&r),
        totals,
        chart_height: town_bars.len() as i64 * 22 + 4,
        town_bars,
        lines: page.items,
        list,
        is_city: p.ctx.actor.role == crate::app::authz::Role::CityOfficer,
        message,
        error,
        row_errors,
    })
}

pub async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(month): Path<String>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    roll_page(&app, &p, &month, &l, None, None, vec![]).await
}

pub async fn approve(
    State(app): State<App>,
    p: PageCtx,
    Path(month): Path<String>,
) -> Result<Response, PageError> {
    match payments::approve(&app, &p.ctx, &month).await {
        Ok(_) => {
            roll_page(
                &app,
                &p,
                &month,
                &ListParams::default(),
                Some("名册已审批，不能再修改".into()),
                None,
                vec![],
            )
            .await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            roll_page(
                &app,
                &p,
                &month,
                &ListParams::default(),
                None,
                Some(e.to_string()),
                vec![],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Path(month): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    Ok(
        crate::web::api::payments::export_response(&app, &p.ctx, &month, q.format.as_deref())
            .await?,
    )
}

/// Upload of the bank's return file (multipart; the CSRF token travels in the query string).
pub async fn returns(
    State(app): State<App>,
    p: PageCtx,
    Path(month): Path<String>,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let mut text = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_lowercase();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| crate::web::extract::multipart_error("file", e))?;
            if !name.ends_with(".csv") {
                return roll_page(
                    &app,
                    &p,
                    &month,
                    &ListParams::default(),
                    None,
                    Some("回盘文件须为 CSV（.csv）".into()),
                    vec![],
                )
                .await;
            }
            if bytes.len() > 20 * 1024 * 1024 {
                return roll_page(
                    &app,
                    &p,
                    &month,
                    &ListParams::default(),
                    None,
                    Some("回盘文件不能超过20MB".into()),
                    vec![],
                )
                .await;
            }
            text = Some(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| AppError::invalid("file", "回盘文件须为 UTF-8 编码的 CSV"))?,
            );
        }
    }
    let Some(text) = text else {
        return roll_page(
            &app,
            &p,
            &month,
            &ListParams::default(),
            None,
            Some("请选择回盘文件".into()),
            vec![],
        )
        .await;
    };
    match payments::import_return(&app, &p.ctx, &month, &text).await {
        Ok(r) => {
            roll_page(
                &app,
                &p,
                &month,
                &ListParams::default(),
                Some(format!(
                    "回盘已导入：成功 {} 笔，失败 {} 笔，未变 {} 笔",
                    r.paid, r.failed, r.unchanged
                )),
                None,
                vec![],
            )
            .await
        }
        Err((e, rows)) if !matches!(e, AppError::Internal(_)) => {
            roll_page(
                &app,
                &p,
                &month,
                &ListParams::default(),
                None,
                Some(e.to_string()),
                rows,
            )
            .await
        }
        Err((e, _)) => Err(e.into()),
    }
}

/// The roll's lines as filtered, for Excel and WPS (audited).
pub async fn lines_export(
    State(app): State<App>,
    p: PageCtx,
    Path(month): Path<String>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    xlsx_download(
        payments::lines_export(&app, &p.ctx, &month, &l).await?,
        "payment-lines.xlsx",
    )
    .await
}
