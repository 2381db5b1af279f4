//! Verification pages: the overview (loads, runs, findings by town, tasks by village), the findings list with
//! decisions, grid tasks with visits, and the staff close-relative registry.

use super::{Nav, render};
use crate::app::authz::{Permission, Role};
use crate::app::verification::findings::{self, Decision, FindingQuery, FindingView};
use crate::app::verification::staff::{self, NewRelative, NewStaff};
use crate::app::verification::tasks::{self, Close, TaskQuery, TaskRow};
use crate::app::verification::{runs, sources};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::api::verification::{read_visit, receive};
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minzheng_domain::verification::{FindingKind, Source};

pub const LINE: Line = Line {
    code: "verification",
    name: "核对与专项治理",
    api: crate::web::api::verification::routes,
    read: Permission::ReadVerification,
    pages,
    menu: &[
        MenuItem {
            label: "核对概况",
            href: "/verification",
            permission: Permission::ReadVerification,
        },
        MenuItem {
            label: "核对疑点",
            href: "/verification/findings",
            permission: Permission::ReadVerification,
        },
        MenuItem {
            label: "网格任务",
            href: "/verification/tasks",
            permission: Permission::ReadVerification,
        },
        MenuItem {
            label: "近亲属备案",
            href: "/verification/staff",
            permission: Permission::HandleFindings,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/verification", get(overview))
        .route("/verification/loads", post(load))
        .route("/verification/runs", post(run))
        .route("/verification/findings", get(findings_list))
        .route("/verification/findings/{id}/decision", post(decide))
        .route("/verification/tasks", get(task_list))
        .route("/verification/tasks/{id}/visit", post(task_visit))
        .route("/verification/tasks/{id}/close", post(task_close))
        .route("/verification/tasks/{id}/photos/{photo}", get(task_photo))
        .route("/verification/staff", get(staff_list).post(staff_add))
        .route("/verification/staff/{id}/relatives", post(relative_add))
}

fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { .. }
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)
        | AppError::NotFound(_) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

pub struct Bar {
    pub label: String,
    pub value: i64,
    pub width: i64,
}

#[derive(Template)]
#[template(path = "verification.html")]
struct Overview {
    nav: Nav,
    can_load: bool,
    sources: Vec<(&'static str, &'static str, &'static str)>,
    loads: Vec<sources::LoadRow>,
    run: Option<findings::RunRow>,
    precision: Option<String>,
    by_kind: Vec<Bar>,
    by_town: Vec<(String, String, i64, i64)>,
    tasks: Vec<(String, String, i64, i64)>,
    message: Option<String>,
    error: Option<String>,
    bad_rows: Vec<String>,
    today: String,
    /// The whole city's figures of a run are shown only to city-wide users.
    city_wide: bool,
    scope_findings: i64,
}

async fn overview_page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
    bad_rows: Vec<String>,
) -> Result<Response, PageError> {
    let ctx = &p.ctx;
    let loads = sources::list(app, ctx).await?;
    let run = findings::latest_run(app).await?;
    let areas = app.areas();
    let mut by_kind = Vec::new();
    let mut by_town: Vec<(String, String, i64, i64)> = Vec::new();
    if let Some(r) = &run {
        let counts = findings::counts(app, ctx, &r.id).await?;
        for k in FindingKind::ALL {
            let n: i64 = counts.iter().filter(|c| c.1 == k.code()).map(|c| c.3).sum();
            if n > 0 {
                by_kind.push(Bar {
                    label: format!("{}·{}", k.group(), k.label()),
                    value: n,
                    width: 0,
                });
            }
        }
        let max = by_kind.iter().map(|b| b.value).max().unwrap_or(1).max(1);
        for b in &mut by_kind {
            b.width = b.value * 400 / max;
        }
        for (town, _, status, n) in &counts {
            let e = match by_town.iter_mut().find(|t| &t.0 == town) {
                Some(e) => e,
                None => {
                    by_town.push((town.clone(), areas.name(town).to_string(), 0, 0));
                    by_town.last_mut().expect("pushed")
                }
            };
            e.2 += n;
            if status == "open" {
                e.3 += n;
            }
        }
    }
    let scope_findings = by_town.iter().map(|t| t.2).sum();
    let precision = findings::precision_rate(app, ctx).await?.map(|p| {
        format!(
            "{}（{}/{}人）",
            runs::percent(p.eligible, p.recipients),
            p.eligible,
            p.recipients
        )
    });
    let tasks = tasks::summary(app, ctx)
        .await?
        .into_iter()
        .map(|(t, v, open, overdue)| {
            (
                areas.name(&t).to_string(),
                areas.name(&v).to_string(),
                open,
                overdue,
            )
        })
        .collect();
    render(&Overview {
        nav: Nav::of(app, p),
        can_load: ctx.actor.can(Permission::LoadSources),
        sources: Source::ALL
            .iter()
            .map(|s| (s.code(), s.label(), s.department()))
            .collect(),
        loads,
        run,
        precision,
        by_kind,
        by_town,
        tasks,
        message,
        error,
        bad_rows,
        today: app.today().to_string(),
        city_wide: ctx.actor.area_level == "city",
        scope_findings,
    })
}

pub async fn overview(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    overview_page(&app, &p, None, None, vec![]).await
}

pub async fn load(State(app): State<App>, p: PageCtx, m: Multipart) -> Result<Response, PageError> {
    let (file, fields) = match receive(m).await {
        Ok(x) => x,
        Err(e) => return overview_page(&app, &p, None, Some(shown(e)?), vec![]).await,
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|f| f.0 == k)
            .map(|f| f.1.trim().to_string())
            .unwrap_or_default()
    };
    let Some(file) = file.filter(|f| {
        std::fs::metadata(&f.path)
            .map(|m| m.len() > 0)
            .unwrap_or(false)
    }) else {
        return overview_page(&app, &p, None, Some("请选择要导入的文件".into()), vec![]).await;
    };
    let as_of = chrono::NaiveDate::parse_from_str(&get("as_of"), "%Y-%m-%d").ok();
    match sources::load_file(&app, &p.ctx, &get("source"), &file.path, &file.name, as_of).await {
        Ok(o) if o.duplicate => {
            overview_page(
                &app,
                &p,
                Some(format!("该文件已于此前导入（{}行），未重复导入", o.rows)),
                None,
                vec![],
            )
            .await
        }
        Ok(o) => overview_page(&app, &p, Some(format!("已导入{}行", o.rows)), None, vec![]).await,
        Err((e, rows)) => {
            let lines = rows
                .iter()
                .take(200)
                .map(|r| format!("第{}行 {}：{}", r.row, r.column, r.message))
                .collect();
            overview_page(&app, &p, None, Some(shown(e)?), lines).await
        }
    }
}

pub async fn run(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    match runs::run(&app, &p.ctx, runs::RunRequest::default()).await {
        Ok(r) => {
            overview_page(
                &app,
                &p,
                Some(format!(
                    "核对完成：在保{}户{}人，疑点{}条",
                    r.cases, r.recipients, r.findings
                )),
                None,
                vec![],
            )
            .await
        }
        Err(e) => overview_page(&app, &p, None, Some(shown(e)?), vec![]).await,
    }
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    nav: Nav,
    items: Vec<FindingView>,
    total: i64,
    page: i64,
    pages: i64,
    kinds: Vec<(&'static str, &'static str)>,
    q_kind: String,
    q_status: String,
    q_area: String,
    can_decide: bool,
    message: Option<String>,
    error: Option<String>,
}

async fn findings_page(
    app: &App,
    p: &PageCtx,
    q: FindingQuery,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let r = findings::list(app, &p.ctx, &q).await?;
    render(&FindingsPage {
        nav: Nav::of(app, p),
        pages: (r.total + findings::PAGE - 1) / findings::PAGE,
        total: r.total,
        page: r.page,
        items: r.items,
        kinds: FindingKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        q_kind: q.kind.unwrap_or_default(),
        q_status: q.status.unwrap_or_default(),
        q_area: q.area.unwrap_or_default(),
        can_decide: p.ctx.actor.can(Permission::HandleFindings),
        message,
        error,
    })
}

pub async fn findings_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<FindingQuery>,
) -> Result<Response, PageError> {
    findings_page(&app, &p, q, None, None).await
}

pub async fn decide(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(d): Form<Decision>,
) -> Result<Response, PageError> {
    let q = FindingQuery {
        status: Some("open".into()),
        ..Default::default()
    };
    match findings::decide(&app, &p.ctx, &id, d).await {
        Ok(f) => {
            let over = f
                .overpayment
                .map(|o| format!("，多发金额{o}元"))
                .unwrap_or_default();
            findings_page(
                &app,
                &p,
                q,
                Some(format!("已处理：{}{}", f.kind_label, over)),
                None,
            )
            .await
        }
        Err(e) => findings_page(&app, &p, q, None, Some(shown(e)?)).await,
    }
}

pub struct TaskItem {
    pub row: TaskRow,
    pub kind: &'static str,
    pub status: &'static str,
    pub area: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    nav: Nav,
    items: Vec<TaskItem>,
    can_handle: bool,
    message: Option<String>,
    error: Option<String>,
}

async fn tasks_page(
    app: &App,
    p: &PageCtx,
    q: TaskQuery,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let rows = tasks::list(app, &p.ctx, &q).await?;
    let areas = app.areas();
    let today = app.today();
    render(&TasksPage {
        nav: Nav::of(app, p),
        items: rows
            .into_iter()
            .map(|r| TaskItem {
                kind: tasks::kind_label(&r.kind),
                status: match r.status.as_str() {
                    "open" => "待走访",
                    "visited" => "已走访",
                    _ => "已办结",
                },
                area: areas.full_name(&r.area_code),
                overdue: r.status != "closed" && r.due_on < today,
                row: r,
            })
            .collect(),
        can_handle: p.ctx.actor.can(Permission::HandleTasks),
        message,
        error,
    })
}

pub async fn task_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<TaskQuery>,
) -> Result<Response, PageError> {
    tasks_page(&app, &p, q, None, None).await
}

pub async fn task_visit(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    m: Multipart,
) -> Result<Response, PageError> {
    let r = match read_visit(m).await {
        Ok(v) => tasks::visit(&app, &p.ctx, &id, v).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => {
            tasks_page(
                &app,
                &p,
                TaskQuery::default(),
                Some("走访记录已保存".into()),
                None,
            )
            .await
        }
        Err(e) => tasks_page(&app, &p, TaskQuery::default(), None, Some(shown(e)?)).await,
    }
}

pub async fn task_close(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(c): Form<Close>,
) -> Result<Response, PageError> {
    match tasks::close(&app, &p.ctx, &id, c).await {
        Ok(_) => {
            tasks_page(
                &app,
                &p,
                TaskQuery::default(),
                Some("任务已办结".into()),
                None,
            )
            .await
        }
        Err(e) => tasks_page(&app, &p, TaskQuery::default(), None, Some(shown(e)?)).await,
    }
}

pub async fn task_photo(
    State(app): State<App>,
    p: PageCtx,
    Path((id, photo)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (ct, bytes) = tasks::photo(&app, &p.ctx, &id, &photo).await?;
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    nav: Nav,
    staff: Vec<staff::StaffRow>,
    relatives: Vec<staff::RelativeRow>,
    posts: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    message: Option<String>,
    error: Option<String>,
}

async fn staff_page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (staff, relatives) = staff::list(app, &p.ctx).await?;
    render(&StaffPage {
        nav: Nav::of(app, p),
        staff,
        relatives,
        posts: staff::POSTS.to_vec(),
        can_edit: matches!(p.ctx.actor.role, Role::CityOfficer | Role::TownOfficer),
        message,
        error,
    })
}

pub async fn staff_list(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    staff_page(&app, &p, None, None).await
}

pub async fn staff_add(
    State(app): State<App>,
    p: PageCtx,
    Form(n): Form<NewStaff>,
) -> Result<Response, PageError> {
    match staff::add(&app, &p.ctx, n).await {
        Ok(s) => staff_page(&app, &p, Some(format!("已登记{}", s.name)), None).await,
        Err(e) => staff_page(&app, &p, None, Some(shown(e)?)).await,
    }
}

pub async fn relative_add(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(n): Form<NewRelative>,
) -> Result<Response, PageError> {
    match staff::add_relative(&app, &p.ctx, &id, n).await {
        Ok(r) => staff_page(&app, &p, Some(format!("已备案近亲属{}", r.name)), None).await,
        Err(e) => staff_page(&app, &p, None, Some(shown(e)?)).await,
    }
}
