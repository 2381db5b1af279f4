//! The leaders' dashboard of the plan's targets, indicator pages with drill-downs and reports, the printable
//! report, the XLSX export and the plan import.

use super::{Nav, render};
use crate::app::authz::{Permission, Role};
use crate::app::targets::plan::{self, RowError};
use crate::app::targets::reports::{self, Decision, NewReport};
use crate::app::targets::{self, Dashboard, Detail, Evaluated, TownFigure};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::api::targets::{file_response, read_parts, xlsx};
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minzheng_domain::targets::{Num, Status};

pub const LINE: Line = Line {
    code: "targets",
    name: "年度工作目标",
    api: crate::web::api::targets::routes,
    read: Permission::ReadTargets,
    pages,
    menu: &[
        MenuItem {
            label: "目标看板",
            href: "/targets",
            permission: Permission::ReadTargets,
        },
        MenuItem {
            label: "导入年度计划",
            href: "/targets/import",
            permission: Permission::ReportTargets,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/targets", get(dashboard))
        .route("/targets/print", get(print))
        .route("/targets/export.xlsx", get(export))
        .route("/targets/import", get(import_form).post(import))
        .route("/targets/evidence/{id}", get(evidence))
        .route("/targets/reports/{id}/evidence", post(add_evidence))
        .route("/targets/reports/{id}/decision", post(decide))
        .route("/targets/{id}", get(show))
        .route("/targets/{id}/reports", post(report))
}

/// The status rule as shown on the dashboard and the printed report.
pub const STATUS_RULE: [(&str, &str); 5] = [
    (
        "done",
        "已完成：当前值已达到目标（≥ 不低于、≤ 不高于、= 等于目标值）；完成类事项经审核确认已完成",
    ),
    (
        "on_track",
        "进度正常：累计类指标（如新增养老床位）不低于按全年均匀推进应达到的进度（目标值 × 已过天数 ÷ 全年天数）；完成类事项年内尚未完成",
    ),
    (
        "at_risk",
        "存在风险：年内尚未达到目标，且累计类指标落后于均匀进度，或水平类指标（标准、比率、面积等）当前未达标",
    ),
    (
        "missed",
        "未完成：年度结束（12月31日）后仍未达到目标；或累计类“不超过/等于”指标已超出目标、无法回转",
    ),
    (
        "no_data",
        "暂无数据：平台尚无可计算的数据，且没有审核通过的填报",
    ),
];

pub struct Row {
    pub id: String,
    pub item: i32,
    pub item_title: String,
    pub target: String,
    pub rule: String,
    pub unit: String,
    pub current: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub source: &'static str,
    pub note: String,
    pub sections: String,
    /// 0–200 px of a 200 px track.
    pub bar: i64,
}

fn row(d: &Dashboard, e: &Evaluated) -> Row {
    let item = d.items.iter().find(|i| i.item == e.row.item);
    Row {
        id: e.row.id.clone(),
        item: e.row.item,
        item_title: item.map_or(String::new(), |i| i.title.clone()),
        target: e.row.target.clone(),
        rule: if e.row.value.is_empty() {
            e.kind.symbol().to_string()
        } else {
            format!("{} {}", e.kind.symbol(), e.row.value)
        },
        unit: minzheng_domain::targets::unit_label(&e.row.unit),
        current: e.current_text().map_or_else(
            || "—".into(),
            |c| match e.kind {
                minzheng_domain::targets::Kind::Done if c == "1" => "已完成".into(),
                minzheng_domain::targets::Kind::Done => "未完成".into(),
                _ => c,
            },
        ),
        status: e.status.code(),
        status_label: e.status.label(),
        source: if e.computed() {
            "平台计算"
        } else {
            "科室填报"
        },
        note: e.note.clone(),
        sections: item.map_or(String::new(), |i| i.sections.clone()),
        bar: (e.progress_bp().min(10_000) * 200 / 10_000).max(0),
    }
}

pub struct StatusCount {
    pub code: &'static str,
    pub label: &'static str,
    pub n: usize,
    pub x: i64,
    pub w: i64,
}

fn status_counts(d: &Dashboard) -> Vec<StatusCount> {
    let total = d.indicators.len().max(1) as i64;
    let mut x = 0;
    Status::ALL
        .iter()
        .map(|s| {
            let n = d.count(*s);
            let w = n as i64 * 700 / total;
            let c = StatusCount {
                code: s.code(),
                label: s.label(),
                n,
                x,
                w,
            };
            x += w;
            c
        })
        .collect()
}

pub struct TownBar {
    pub label: String,
    pub text: String,
    pub detail: String,
    pub width: i64,
    pub y: i64,
    pub below: bool,
}

pub struct TownChart {
    pub id: &'static str,
    pub title: String,
    pub unit: &'static str,
    pub bars: Vec<TownBar>,
    pub height: i64,
    /// x of the target line, when the target is inside the scale.
    pub target_x: Option<i64>,
    pub target_label: String,
}

fn town_chart(
    id: &'static str,
    title: &str,
    unit: &'static str,
    towns: &[TownFigure],
    target: Option<Num>,
    detail: fn(&TownFigure) -> String,
) -> TownChart {
    let max = towns
        .iter()
        .filter_map(|t| t.figure_num)
        .chain(target)
        .max()
        .unwrap_or(Num::int(1));
    let px = |v: Num| v.basis_points_of(max) * 420 / 10_000;
    TownChart {
        id,
        title: title.into(),
        unit,
        bars: towns
            .iter()
            .enumerate()
            .map(|(i, t)| TownBar {
                label: t.town_name.clone(),
                text: t.figure.clone().unwrap_or_else(|| "—".into()),
                detail: detail(t),
                width: t.figure_num.map_or(0, px),
                y: i as i64 * 22,
                below: matches!((t.figure_num, target), (Some(f), Some(v)) if f < v),
            })
            .collect(),
        height: towns.len() as i64 * 22 + 24,
        target_x: target.map(|v| 190 + px(v)),
        target_label: target.map_or(String::new(), |v| format!("目标 {}", v.display(2))),
    }
}

fn income_detail(t: &TownFigure) -> String {
    format!("{} 户，低于目标 {} 户", t.count, t.other)
}
fn precision_detail(t: &TownFigure) -> String {
    format!("{} 人中 {} 人符合", t.count, t.other)
}

fn share_detail(t: &TownFigure) -> String {
    format!("{} 中 {}", t.count, t.other)
}
fn count_detail(t: &TownFigure) -> String {
    format!("{} 个", t.other)
}

fn town_charts(d: &Dashboard) -> Vec<TownChart> {
    let value = |m: &str| {
        d.indicators
            .iter()
            .find(|e| e.row.metric == m)
            .map(|e| (e.row.id.clone(), e.row.target.clone(), e.value))
    };
    let mut out = vec![];
    if let Some((id, name, v)) = value("assistance.income_floor") {
        out.push(town_chart(
            "town-income",
            &format!("{id} {name}：各镇(街道)最低值"),
            "元/年",
            &d.income_by_town,
            v,
            income_detail,
        ));
    }
    if let Some((id, name, v)) = value("verification.precision_rate") {
        out.push(town_chart(
            "town-precision",
            &format!("{id} {name}：各镇(街道)"),
            "%",
            &d.precision_by_town,
            v,
            precision_detail,
        ));
    }
    out
}

#[derive(serde::Deserialize)]
pub struct YearQ {
    pub year: Option<i32>,
    pub all: Option<String>,
}

async fn year_of(app: &App, p: &PageCtx, y: Option<i32>) -> Result<i32, PageError> {
    Ok(match y {
        Some(y) => y,
        None => targets::default_year(app, &p.ctx).await?,
    })
}

pub struct PendingRow {
    pub id: String,
    pub indicator_id: String,
    pub value: String,
    pub as_of: String,
    pub reporter: String,
}

#[derive(Template)]
#[template(path = "targets.html")]
struct DashboardPage {
    nav: Nav,
    year: i32,
    years: Vec<i32>,
    judged_on: String,
    rows: Vec<Row>,
    counts: Vec<StatusCount>,
    rule: Vec<(&'static str, &'static str)>,
    charts: Vec<TownChart>,
    can_import: bool,
    pending: Vec<PendingRow>,
    /// Progress by month: indicators met at each month's end.
    monthly: Vec<MonthBar>,
    total: usize,
}

/// One month's bar of the progress chart (SVG coordinates).
pub struct MonthBar {
    pub label: String,
    pub done: usize,
    pub x: usize,
    pub y: usize,
    pub h: usize,
}

const MONTH_CHART_H: usize = 120;

fn month_bars(d: &targets::Dashboard) -> Vec<MonthBar> {
    let total = d.indicators.len().max(1);
    d.monthly_done
        .iter()
        .enumerate()
        .map(|(i, (m, n))| {
            let h = n * MONTH_CHART_H / total;
            MonthBar {
                label: m[5..].trim_start_matches('0').to_string() + "月",
                done: *n,
                x: 40 + i * 52,
                y: 10 + MONTH_CHART_H - h,
                h,
            }
        })
        .collect()
}

/// `/targets?year=2020`: every indicator with its status at a glance.
pub async fn dashboard(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<YearQ>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &p, q.year).await?;
    let d = targets::dashboard(&app, &p.ctx, year).await?;
    let pending = reports::pending(&app, &p.ctx, year)
        .await?
        .into_iter()
        .map(|r| PendingRow {
            id: r.id,
            indicator_id: r.indicator_id,
            value: r.value,
            as_of: r.as_of.to_string(),
            reporter: r.reporter_name,
        })
        .collect();
    render(&DashboardPage {
        nav: Nav::of(&app, &p),
        year,
        years: targets::years(&app, &p.ctx).await?,
        judged_on: d.judged_on.to_string(),
        rows: d.indicators.iter().map(|e| row(&d, e)).collect(),
        counts: status_counts(&d),
        rule: STATUS_RULE.to_vec(),
        charts: town_charts(&d),
        monthly: month_bars(&d),
        total: d.indicators.len(),
        can_import: p.ctx.actor.role == Role::CityOfficer,
        pending,
    })
}

pub struct PrintItem {
    pub item: i32,
    pub chapter: String,
    pub title: String,
    pub sections: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "targets_print.html")]
struct PrintPage {
    year: i32,
    judged_on: String,
    printed_on: String,
    scope: String,
    counts: Vec<StatusCount>,
    rule: Vec<(&'static str, &'static str)>,
    items: Vec<PrintItem>,
    charts: Vec<TownChart>,
    total: usize,
}

/// `/targets/print?year=2020`: the report to print, item by item.
pub async fn print(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<YearQ>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &p, q.year).await?;
    let d = targets::dashboard(&app, &p.ctx, year).await?;
    let items = d
        .items
        .iter()
        .map(|i| PrintItem {
            item: i.item,
            chapter: i.chapter.clone(),
            title: i.title.clone(),
            sections: i.sections.clone(),
            rows: d
                .indicators
                .iter()
                .filter(|e| e.row.item == i.item)
                .map(|e| row(&d, e))
                .collect(),
        })
        .collect();
    render(&PrintPage {
        year,
        judged_on: d.judged_on.to_string(),
        printed_on: app.today().to_string(),
        scope: app.areas().full_name(&p.ctx.actor.area_code),
        counts: status_counts(&d),
        rule: STATUS_RULE.to_vec(),
        charts: town_charts(&d),
        total: d.indicators.len(),
        items,
    })
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<YearQ>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &p, q.year).await?;
    Ok(xlsx(
        targets::export::export(&app, &p.ctx, year).await?,
        year,
    ))
}

pub struct LinePoint {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

pub struct LineChart {
    pub points: String,
    pub dots: Vec<LinePoint>,
    pub months: Vec<(i64, String)>,
    pub target_y: Option<i64>,
    pub target_label: String,
    pub max_label: String,
}

/// Month by month on a 600 × 200 plot (x from 60, y from 10), with the target as a dashed line.
fn line_chart(series: &[(String, Option<Num>)], target: Option<Num>) -> Option<LineChart> {
    if series.iter().all(|(_, v)| v.is_none()) {
        return None;
    }
    let max = series
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(target)
        .max()
        .unwrap_or(Num::int(1));
    let y = |v: Num| 210 - v.basis_points_of(max) * 200 / 10_000;
    let x = |m: &str| 60 + (m[5..7].parse::<i64>().unwrap_or(1) - 1) * 50;
    let dots: Vec<LinePoint> = series
        .iter()
        .filter_map(|(m, v)| {
            v.map(|v| LinePoint {
                x: x(m),
                y: y(v),
                label: v.display(2),
            })
        })
        .collect();
    Some(LineChart {
        points: dots
            .iter()
            .map(|d| format!("{},{}", d.x, d.y))
            .collect::<Vec<_>>()
            .join(" "),
        months: (1..=12)
            .map(|m| (60 + (m - 1) * 50, format!("{m}月")))
            .collect(),
        target_y: target.map(y),
        target_label: target.map_or(String::new(), |t| format!("目标 {}", t.display(2))),
        max_label: max.display(2),
        dots,
    })
}

pub struct ReportView {
    pub id: String,
    pub area: String,
    pub value: String,
    pub as_of: String,
    pub comment: String,
    pub status: &'static str,
    pub reporter: String,
    pub reported_at: String,
    pub decision: String,
    pub evidence: Vec<(String, String, String)>,
    pub pending: bool,
    pub can_add_evidence: bool,
    pub can_decide: bool,
}

pub struct HouseholdView {
    pub household_id: String,
    pub area: String,
    pub name: String,
    pub members: i64,
    pub income: String,
    pub benefit: String,
    pub annual: String,
    pub below: bool,
}

#[derive(Template)]
#[template(path = "target.html")]
struct DetailPage {
    nav: Nav,
    year: i32,
    row: Row,
    item_text: String,
    definition: String,
    judged_on: String,
    chart: Option<LineChart>,
    town: Option<TownChart>,
    is_income: bool,
    /// T10.1: the run whose findings are the records behind the figure.
    verification_run: Option<String>,
    /// The elderly line's figures: the list page of the records behind the figure.
    records: Option<&'static str>,
    households: Vec<HouseholdView>,
    households_total: i64,
    households_below: i64,
    list_limit: i64,
    all: bool,
    reports: Vec<ReportView>,
    can_report: bool,
    is_milestone: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn detail_page(
    app: &App,
    p: &PageCtx,
    year: i32,
    id: &str,
    all: bool,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d: Detail = targets::detail(app, &p.ctx, year, id, all).await?;
    let areas = app.areas();
    let a = &p.ctx.actor;
    let dash_like = Dashboard {
        year,
        judged_on: d.judged_on,
        items: vec![d.item.clone()],
        indicators: vec![],
        income_by_town: vec![],
        precision_by_town: vec![],
        monthly_done: vec![],
    };
    let r = row(&dash_like, &d.indicator);
    let town = match d.indicator.row.metric.as_str() {
        "assistance.income_floor" => Some(town_chart(
            "town-income",
            "各镇(街道)最低人均年收入",
            "元/年",
            &d.by_town,
            d.indicator.value,
            income_detail,
        )),
        "verification.precision_rate" => Some(town_chart(
            "town-precision",
            "各镇(街道)精准救助率",
            "%",
            &d.by_town,
            d.indicator.value,
            precision_detail,
        )),
        m if m.starts_with("elderly.") && !d.by_town.is_empty() => Some(town_chart(
            "town-line",
            "各镇(街道)情况",
            "",
            &d.by_town,
            if d.by_town_share {
                d.indicator.value
            } else {
                None
            },
            if d.by_town_share {
                share_detail
            } else {
                count_detail
            },
        )),
        _ => None,
    };
    let reports = d
        .reports
        .iter()
        .map(|x| {
            let r = &x.report;
            ReportView {
                id: r.id.clone(),
                area: areas.full_name(&r.area_code),
                value: r.value.clone(),
                as_of: r.as_of.to_string(),
                comment: r.comment.clone(),
                status: match r.status.as_str() {
                    "approved" => "已审核通过",
                    "rejected" => "已退回",
                    _ => "待审核",
                },
                reporter: r.reporter_name.clone(),
                reported_at: crate::util::local_time(&r.reported_at),
                decision: match (&r.decided_by, &r.decided_at) {
                    (Some(b), Some(t)) => format!(
                        "{b} {} {}",
                        crate::util::local_time(t),
                        r.decision_note.clone().unwrap_or_default()
                    ),
                    _ => String::new(),
                },
                evidence: x
                    .evidence
                    .iter()
                    .map(|e| {
                        (
                            e.id.clone(),
                            e.file_name.clone(),
                            format!("{} KB", (e.size + 1023) / 1024),
                        )
                    })
                    .collect(),
                pending: r.status == "pending",
                can_add_evidence: r.status == "pending"
                    && a.can(Permission::ReportTargets)
                    && a.in_scope(&r.area_code),
                can_decide: r.status == "pending"
                    && a.can(Permission::ApproveTargets)
                    && r.reported_by != a.username,
            }
        })
        .collect();
    let is_income = d.indicator.row.metric == "assistance.income_floor";
    render(&DetailPage {
        nav: Nav::of(app, p),
        year,
        item_text: d.item.text.clone(),
        definition: if d.indicator.computed() {
            d.metric_label.to_string()
        } else {
            format!(
                "由{}填报数值、日期、说明和证明材料，经市局审核通过后生效；最近一次审核通过的全市填报为当前值，历次填报均保留。",
                d.item.sections
            )
        },
        judged_on: d.judged_on.to_string(),
        chart: line_chart(&d.series, d.indicator.value),
        town,
        is_income,
        verification_run: d.verification_run.clone(),
        records: d.records,
        households: d
            .households
            .iter()
            .map(|h| HouseholdView {
                household_id: h.household_id.clone(),
                area: areas.full_name(&h.area_code),
                name: h.head_name.clone(),
                members: h.members,
                income: h.monthly_income.clone(),
                benefit: h.monthly_benefit.clone(),
                annual: h.annual_per_capita.clone(),
                below: matches!((h.annual, d.indicator.value), (Some(x), Some(v)) if x < v),
            })
            .collect(),
        households_total: d.households_total,
        households_below: d.households_below,
        list_limit: crate::app::targets::computed::LIST_LIMIT,
        all,
        reports,
        can_report: !d.indicator.computed() && a.can(Permission::ReportTargets),
        is_milestone: d.indicator.kind == minzheng_domain::targets::Kind::Done,
        today: app.today().to_string(),
        row: r,
        message,
        error,
    })
}

/// `/targets/{id}?year=2020`: one indicator with its drill-down.
pub async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<YearQ>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &p, q.year).await?;
    detail_page(&app, &p, year, &id, q.all.is_some(), None, None).await
}

fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { .. }
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)
        | AppError::BadRequest(_) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

/// A report with evidence (multipart; the CSRF token travels in the query string).
pub async fn report(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<YearQ>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let year = year_of(&app, &p, q.year).await?;
    let result = async {
        let mut parts = read_parts(mp).await?;
        let files = parts.take_files("files");
        let r = NewReport {
            value: parts.field("value"),
            as_of: parts.field("as_of"),
            comment: parts.field("comment"),
        };
        reports::create(&app, &p.ctx, year, &id, r, files).await
    }
    .await;
    match result {
        Ok(r) => {
            detail_page(
                &app,
                &p,
                year,
                &id,
                false,
                Some(format!("已提交填报（{}），等待市局审核", r.value)),
                None,
            )
            .await
        }
        Err(e) => detail_page(&app, &p, year, &id, false, None, Some(shown(e)?)).await,
    }
}

/// More evidence for a pending report.
pub async fn add_evidence(
    State(app): State<App>,
    p: PageCtx,
    Path(rid): Path<String>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (year, id) = reports::target_of(&app, &p.ctx, &rid).await?;
    let result = async {
        let mut parts = read_parts(mp).await?;
        let files = parts.take_files("files");
        reports::add_evidence(&app, &p.ctx, &rid, files).await
    }
    .await;
    match result {
        Ok(_) => {
            detail_page(
                &app,
                &p,
                year,
                &id,
                false,
                Some("已补充证明材料".into()),
                None,
            )
            .await
        }
        Err(e) => detail_page(&app, &p, year, &id, false, None, Some(shown(e)?)).await,
    }
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide(
    State(app): State<App>,
    p: PageCtx,
    Path(rid): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let (year, id) = reports::target_of(&app, &p.ctx, &rid).await?;
    let d = Decision {
        approve: f.decision == "approve",
        note: f.note,
    };
    match reports::decide(&app, &p.ctx, &rid, d).await {
        Ok(r) => {
            let msg = if r.status == "approved" {
                "已审核通过"
            } else {
                "已退回"
            };
            detail_page(&app, &p, year, &id, false, Some(msg.into()), None).await
        }
        Err(e) => detail_page(&app, &p, year, &id, false, None, Some(shown(e)?)).await,
    }
}

pub async fn evidence(
    State(app): State<App>,
    p: PageCtx,
    Path(eid): Path<String>,
) -> Result<Response, PageError> {
    Ok(file_response(
        reports::evidence_file(&app, &p.ctx, &eid).await?,
    ))
}

#[derive(Template)]
#[template(path = "targets_import.html")]
struct ImportPage {
    nav: Nav,
    years: Vec<i32>,
    message: Option<String>,
    error: Option<String>,
    rows: Vec<RowError>,
}

pub async fn import_form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    render(&ImportPage {
        nav: Nav::of(&app, &p),
        years: targets::years(&app, &p.ctx).await?,
        message: None,
        error: None,
        rows: vec![],
    })
}

pub async fn import(
    State(app): State<App>,
    p: PageCtx,
    mp: Multipart,
) -> Result<Response, PageError> {
    let page = |message: Option<String>, error: Option<String>, rows: Vec<RowError>| async {
        render(&ImportPage {
            nav: Nav::of(&app, &p),
            years: targets::years(&app, &p.ctx).await?,
            message,
            error,
            rows,
        })
    };
    let mut parts = match read_parts(mp).await {
        Ok(x) => x,
        Err(e) => return page(None, Some(shown(e)?), vec![]).await,
    };
    let Ok(year) = parts.field("year").trim().parse::<i32>() else {
        return page(None, Some("请填写年度（如 2021）".into()), vec![]).await;
    };
    let text = |u: Vec<reports::Upload>| {
        u.into_iter()
            .next()
            .and_then(|u| String::from_utf8(u.bytes).ok())
    };
    let (Some(items), Some(inds)) = (
        text(parts.take_files("items")),
        text(parts.take_files("indicators")),
    ) else {
        return page(
            None,
            Some("请选择事项文件和指标文件（UTF-8 编码的 CSV）".into()),
            vec![],
        )
        .await;
    };
    match plan::import(&app, &p.ctx, year, &items, &inds).await {
        Ok(r) if r.unchanged => {
            page(
                Some(format!("{year}年度计划已导入过，内容相同，未作改动")),
                None,
                vec![],
            )
            .await
        }
        Ok(r) => {
            let _ = r;
            Ok(Redirect::to(&format!("/targets?year={year}")).into_response())
        }
        Err((e, rows)) if !matches!(e, AppError::Internal(_)) => {
            page(None, Some(e.to_string()), rows).await
        }
        Err((e, _)) => Err(e.into()),
    }
}
