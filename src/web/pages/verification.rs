//! Verification pages: the overview (loads, runs, findings by town, tasks by village), the findings list with
//! decisions, grid tasks with visits, and the staff close-relative registry.

use super::filters;
use super::list::{ListView, batch_form, xlsx_download};
use super::{Nav, render};
use crate::app::authz::{Permission, Role};
use crate::app::listing::ListParams;
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
        .route("/verification/findings/export.xlsx", get(findings_export))
        .route("/verification/findings/decisions", post(decide_batch))
        .route("/verification/findings/{id}/decision", post(decide))
        .route("/verification/tasks", get(task_list))
        .route("/verification/tasks/export.xlsx", get(tasks_export))
        .route("/verification/tasks/close", post(tasks_close_batch))
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
    /// Each load's source by its Chinese name.
    source_names: std::collections::HashMap<String, &'static str>,
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
        source_names: loads
            .iter()
            .map(|l| {
                let name = minzheng_domain::verification::Source::from_code(&l.source)
                    .map_or("其他来源", |s| s.label());
                (l.source.clone(), name)
            })
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
    list: ListView,
    can_decide: bool,
    message: Option<String>,
    error: Option<String>,
    errors: Vec<String>,
}

const FINDINGS_PATH: &str = "/verification/findings";

async fn findings_page(
    app: &App,
    p: &PageCtx,
    q: &FindingQuery,
    l: &ListParams,
    message: Option<String>,
    error: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let mut l = l.clone();
    if l.category.is_none() {
        l.category = q.kind.clone();
    }
    let r = findings::list(app, &p.ctx, q, &l).await?;
    let page = crate::app::listing::Page::<()> {
        items: vec![],
        total: r.total,
        page: r.page,
        pages: r.pages,
    };
    let list = ListView::new(app, p, FINDINGS_PATH, &findings::list_spec(), &l, &page)
        .keep("run", q.run.as_deref().unwrap_or(""));
    render(&FindingsPage {
        nav: Nav::of(app, p),
        items: r.items,
        list,
        can_decide: p.ctx.actor.can(Permission::HandleFindings),
        message,
        error,
        errors,
    })
}

pub async fn findings_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<FindingQuery>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    findings_page(&app, &p, &q, &l, None, None, vec![]).await
}

pub async fn findings_export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<FindingQuery>,
    Query(mut l): Query<ListParams>,
) -> Result<Response, PageError> {
    if l.category.is_none() {
        l.category = q.kind.clone();
    }
    xlsx_download(
        findings::export(&app, &p.ctx, &q, &l).await?,
        "findings.xlsx",
    )
    .await
}

fn open_findings() -> ListParams {
    ListParams {
        status: Some("open".into()),
        ..Default::default()
    }
}

pub async fn decide(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(d): Form<Decision>,
) -> Result<Response, PageError> {
    let q = FindingQuery::default();
    match findings::decide(&app, &p.ctx, &id, d).await {
        Ok(f) => {
            let over = f
                .overpayment
                .map(|o| format!("，多发金额{o}元"))
                .unwrap_or_default();
            findings_page(
                &app,
                &p,
                &q,
                &open_findings(),
                Some(format!("已处理：{}{}", f.kind_label, over)),
                None,
                vec![],
            )
            .await
        }
        Err(e) => {
            findings_page(
                &app,
                &p,
                &q,
                &open_findings(),
                None,
                Some(shown(e)?),
                vec![],
            )
            .await
        }
    }
}

/// 批量处置疑点: the ticked findings, one decision and one reason.
pub async fn decide_batch(
    State(app): State<App>,
    p: PageCtx,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let (ids, mut rest) = batch_form(&body);
    let d = Decision {
        decision: rest.remove("decision").unwrap_or_default(),
        action: rest.remove("action").filter(|a| !a.is_empty()),
        from_month: None,
        reason: rest.remove("reason").unwrap_or_default(),
    };
    let q = FindingQuery::default();
    match findings::decide_batch(&app, &p.ctx, &ids, &d).await {
        Ok(n) => {
            findings_page(
                &app,
                &p,
                &q,
                &open_findings(),
                Some(format!("已批量处置 {n} 条疑点")),
                None,
                vec![],
            )
            .await
        }
        Err(AppError::Invalid { field, message }) if field == "ids" => {
            let errors = message.split('；').map(str::to_string).collect();
            findings_page(&app, &p, &q, &open_findings(), None, None, errors).await
        }
        Err(e) => {
            findings_page(
                &app,
                &p,
                &q,
                &open_findings(),
                None,
                Some(shown(e)?),
                vec![],
            )
            .await
        }
    }
}

pub struct TaskItem {
    pub row: TaskRow,
    /// The household's applications (id, 编号) to choose from when the task turned into one.
    pub applications: Vec<(String, String)>,
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
    list: ListView,
    overdue: bool,
    can_handle: bool,
    /// May close a 复核逾期 task as 已入户复核 (`tasks::may_confirm_review`, the rule the use case enforces).
    can_confirm_review: bool,
    message: Option<String>,
    error: Option<String>,
    errors: Vec<String>,
}

const TASKS_PATH: &str = "/verification/tasks";

async fn tasks_page(
    app: &App,
    p: &PageCtx,
    q: &TaskQuery,
    l: &ListParams,
    message: Option<String>,
    error: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let page = tasks::list(app, &p.ctx, q, l).await?;
    let list = ListView::new(app, p, TASKS_PATH, &tasks::list_spec(), l, &page)
        .keep("overdue", if q.overdue == Some(true) { "true" } else { "" });
    let by_household = tasks::household_applications(app, &page.items).await?;
    let areas = app.areas();
    let today = app.today();
    render(&TasksPage {
        nav: Nav::of(app, p),
        items: page
            .items
            .into_iter()
            .map(|r| TaskItem {
                kind: tasks::kind_label(&r.kind),
                status: tasks::status_label(&r.status),
                area: areas.full_name(&r.area_code),
                overdue: r.status != "closed" && r.due_on < today,
                applications: r
                    .household_id
                    .as_ref()
                    .and_then(|h| by_household.get(h).cloned())
                    .unwrap_or_default(),
                row: r,
            })
            .collect(),
        list,
        overdue: q.overdue == Some(true),
        can_handle: p.ctx.actor.can(Permission::HandleTasks),
        can_confirm_review: tasks::may_confirm_review(&p.ctx.actor),
        message,
        error,
        errors,
    })
}

async fn tasks_after(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    tasks_page(
        app,
        p,
        &TaskQuery::default(),
        &ListParams::default(),
        message,
        error,
        errors,
    )
    .await
}

pub async fn task_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<TaskQuery>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    tasks_page(&app, &p, &q, &l, None, None, vec![]).await
}

pub async fn tasks_export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<TaskQuery>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    xlsx_download(tasks::export(&app, &p.ctx, &q, &l).await?, "tasks.xlsx").await
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
        Ok(()) => tasks_after(&app, &p, Some("走访记录已保存".into()), None, vec![]).await,
        Err(e) => tasks_after(&app, &p, None, Some(shown(e)?), vec![]).await,
    }
}

pub async fn task_close(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(c): Form<Close>,
) -> Result<Response, PageError> {
    match tasks::close(&app, &p.ctx, &id, c).await {
        Ok(_) => tasks_after(&app, &p, Some("任务已办结".into()), None, vec![]).await,
        Err(e) => tasks_after(&app, &p, None, Some(shown(e)?), vec![]).await,
    }
}

/// 批量办结任务: the ticked (visited) tasks closed as 无需救助 with one reason.
pub async fn tasks_close_batch(
    State(app): State<App>,
    p: PageCtx,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let (ids, rest) = batch_form(&body);
    let reason = rest.get("reason").cloned().unwrap_or_default();
    match tasks::close_batch(&app, &p.ctx, &ids, &reason).await {
        Ok(n) => {
            tasks_after(
                &app,
                &p,
                Some(format!("已批量办结 {n} 项任务")),
                None,
                vec![],
            )
            .await
        }
        Err(AppError::Invalid { field, message }) if field == "ids" => {
            let errors = message.split('；').map(str::to_string).collect();
            tasks_after(&app, &p, None, None, errors).await
        }
        Err(e) => tasks_after(&app, &p, None, Some(shown(e)?), vec![]).await,
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
    /// The areas the user may register staff for, by name (a picker, not a code to type).
    area_options: Vec<super::AreaOption>,
    /// Each staff member's area by name.
    area_names: std::collections::HashMap<String, String>,
    can_edit: bool,
    /// The person to register, chosen by name rather than typed.
    picker: super::picker::Picker,
    message: Option<String>,
    error: Option<String>,
}

async fn staff_page(
    app: &App,
    p: &PageCtx,
    pick: &super::picker::PickQuery,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (staff, relatives) = staff::list(app, &p.ctx).await?;
    let picker = super::picker::Picker::load(app, p, "/verification/staff", pick).await?;
    let area_names = {
        let areas = app.areas();
        staff
            .iter()
            .map(|s| (s.area_code.clone(), areas.full_name(&s.area_code)))
            .collect()
    };
    render(&StaffPage {
        nav: Nav::of(app, p),
        staff,
        relatives,
        posts: staff::POSTS.to_vec(),
        area_options: super::area_options(app, p),
        area_names,
        can_edit: matches!(p.ctx.actor.role, Role::CityOfficer | Role::TownOfficer),
        picker,
        message,
        error,
    })
}

pub async fn staff_list(
    State(app): State<App>,
    p: PageCtx,
    Query(pick): Query<super::picker::PickQuery>,
) -> Result<Response, PageError> {
    staff_page(&app, &p, &pick, None, None).await
}

/// After a registration, the person chosen for it stays chosen when it failed (and is let go when it worked).
fn kept(id_number: &str) -> super::picker::PickQuery {
    super::picker::PickQuery {
        person_q: String::new(),
        person: if id_number.trim().len() == 36 {
            id_number.trim().into()
        } else {
            String::new()
        },
    }
}

pub async fn staff_add(
    State(app): State<App>,
    p: PageCtx,
    Form(n): Form<NewStaff>,
) -> Result<Response, PageError> {
    let keep = kept(&n.id_number);
    match staff::add(&app, &p.ctx, n).await {
        Ok(s) => {
            let none = super::picker::PickQuery::default();
            staff_page(&app, &p, &none, Some(format!("已登记{}", s.name)), None).await
        }
        Err(e) => staff_page(&app, &p, &keep, None, Some(shown(e)?)).await,
    }
}

pub async fn relative_add(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(n): Form<NewRelative>,
) -> Result<Response, PageError> {
    let keep = kept(&n.id_number);
    match staff::add_relative(&app, &p.ctx, &id, n).await {
        Ok(r) => {
            let none = super::picker::PickQuery::default();
            let msg = Some(format!("已备案近亲属{}", r.name));
            staff_page(&app, &p, &none, msg, None).await
        }
        Err(e) => staff_page(&app, &p, &keep, None, Some(shown(e)?)).await,
    }
}
