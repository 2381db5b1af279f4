//! 儿童福利: the registers of children (孤儿, 事实无人抚养儿童, 困境, 留守), one child's entry with its history,
//! allowance and visits, the 儿童主任's visit form (phone-first), overdue visits, the allowances, the standards,
//! the 儿童督导员 and 儿童主任, and who a child is (the classify rule, as the API).

use super::filters;
use super::{AreaOption, Nav, area_options, enc, render};
use crate::app::authz::{Permission, Role};
use crate::app::children::allowances::{
    self, AllowanceQuery, AllowanceView, NewAllowance, NewStandard, StandardView, StopAllowance,
};
use crate::app::children::people::{
    self, EndWorker, NewTraining, NewWorker, OverdueQuery, OverdueVisit, WorkerQuery, WorkerView,
};
use crate::app::children::reports::{self, Handling, NewReport, Police, ReportQuery, ReportView};
use crate::app::children::{
    self as line, Education, EndDue, EndRegistration, NewRegistration, RegistrationDetail,
    RegistrationQuery, RegistrationView,
};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minzheng_domain::children::{Classification, SituationKind};

pub const LINE: Line = Line {
    code: "children",
    name: "儿童福利",
    api: crate::web::api::children::routes,
    // every business role holds it, as the classify rule's UseRules
    read: Permission::ReadChildren,
    pages,
    menu: &[
        MenuItem {
            label: "儿童名册",
            href: "/children",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "走访逾期",
            href: "/children/visits/overdue",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "强制报告",
            href: "/children/reports",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "国家监护",
            href: "/children/guardianships",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "收养登记",
            href: "/children/adoptions",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "儿童认定变化",
            href: "/children/classifications",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "基本生活费",
            href: "/children/allowances",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "督导员和儿童主任",
            href: "/children/workers",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "保障标准",
            href: "/children/standards",
            permission: Permission::ReadChildren,
        },
        MenuItem {
            label: "儿童类别认定",
            href: "/children/classify",
            permission: Permission::UseRules,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/children", get(list))
        .route("/children/new", get(new_form).post(register))
        .route("/children/due/end", post(end_due))
        .route("/children/registrations/{id}", get(show))
        .route("/children/registrations/{id}/end", post(end))
        .route("/children/registrations/{id}/education", post(education))
        .route("/children/registrations/{id}/allowance", post(decide))
        .route(
            "/children/registrations/{id}/visit",
            get(visit_form).post(visit),
        )
        .route("/children/allowances", get(allowance_list))
        .route("/children/allowances/{id}/stop", post(allowance_stop))
        .route("/children/visits/overdue", get(overdue))
        .route("/children/visits/{id}/photos/{photo}", get(photo))
        .route(
            "/children/standards",
            get(standards_page).post(set_standard),
        )
        .route("/children/workers", get(workers_page).post(appoint))
        .route("/children/workers/{id}/training", post(train))
        .route("/children/workers/{id}/end", post(end_worker))
        .route("/children/reports", get(reports_page).post(receive_report))
        .route("/children/reports/{id}", get(report_page))
        .route("/children/reports/{id}/police", post(report_police))
        .route("/children/reports/{id}/handling", post(report_handling))
        .route("/children/classify", get(form).post(classify))
        .merge(super::child_protection::pages())
}

/// Errors a form shows on the page; anything else is the error page.
pub(super) fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { .. }
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)
        | AppError::BadRequest(_) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

fn categories() -> Vec<(&'static str, &'static str)> {
    line::CATEGORIES.to_vec()
}

/// Every category's sub-kinds, labelled with the category, for one select.
fn all_sub_kinds() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = vec![];
    for (c, cl) in line::CATEGORIES {
        for (s, sl) in line::sub_kinds(c) {
            match out.iter_mut().find(|o| o.0 == *s) {
                None => out.push((s, format!("{sl}（{cl}）"))),
                Some(o) => o.1 = format!("{sl}（孤儿、事实无人抚养儿童）"),
            }
        }
    }
    out
}

pub(super) fn date(field: &str, label: &str, v: &str) -> Result<chrono::NaiveDate, AppError> {
    chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, format!("{label}格式应为 YYYY-MM-DD")))
}

fn opt_date(field: &str, label: &str, v: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        date(field, label, v).map(Some)
    }
}

#[derive(Template)]
#[template(path = "children_list.html")]
struct ListPage {
    nav: Nav,
    items: Vec<RegistrationView>,
    total: i64,
    page: i64,
    pages: i64,
    due: i64,
    categories: Vec<(&'static str, &'static str)>,
    areas: Vec<AreaOption>,
    category: String,
    status: String,
    area: String,
    q: String,
    more: String,
    can_handle: bool,
    message: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    q: String,
    page: Option<i64>,
    #[serde(default)]
    ended: Option<i64>,
}

async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let area = Some(q.area.clone()).filter(|a| !a.is_empty());
    let r = line::list(
        &app,
        &p.ctx,
        &RegistrationQuery {
            category: Some(q.category.clone()),
            status: Some(q.status.clone()),
            q: Some(q.q.clone()),
            area: area.clone(),
            page: q.page,
        },
    )
    .await?;
    let due = line::list(
        &app,
        &p.ctx,
        &RegistrationQuery {
            status: Some("due".into()),
            area,
            page: Some(1),
            ..Default::default()
        },
    )
    .await?
    .total;
    render(&ListPage {
        nav: Nav::of(&app, &p),
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        due,
        categories: categories(),
        areas: area_options(&app, &p),
        more: format!(
            "category={}&status={}&area={}&q={}",
            enc(&q.category),
            enc(&q.status),
            enc(&q.area),
            enc(&q.q)
        ),
        category: q.category,
        status: q.status,
        area: q.area,
        q: q.q,
        can_handle: p.ctx.actor.can(Permission::HandleChildren),
        message: q.ended.map(|n| format!("已结束{n}条到期登记")),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct DueForm {
    #[serde(default)]
    area: String,
}

async fn end_due(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<DueForm>,
) -> Result<Response, PageError> {
    let r = line::end_due(
        &app,
        &p.ctx,
        EndDue {
            area: Some(f.area.clone()).filter(|a| !a.is_empty()),
        },
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/children?status=ended&area={}&ended={}",
        enc(&f.area),
        r.ended
    ))
    .into_response())
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub sub_kind: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub start_on: String,
    #[serde(default)]
    pub education_until: String,
    #[serde(default)]
    pub father_kind: String,
    #[serde(default)]
    pub father_since: String,
    #[serde(default)]
    pub father_until: String,
    #[serde(default)]
    pub mother_kind: String,
    #[serde(default)]
    pub mother_since: String,
    #[serde(default)]
    pub mother_until: String,
}

/// The form's flat parent fields as LINES-API §2's `parents`, so the page, the registration and the API answer alike.
pub fn parents_json(father: (&str, &str, &str), mother: (&str, &str, &str)) -> serde_json::Value {
    let situations = |(kind, since, until): (&str, &str, &str)| {
        if kind.is_empty() {
            serde_json::json!([])
        } else {
            let until = if until.trim().is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::json!(until.trim())
            };
            serde_json::json!([{"kind": kind, "since": since.trim(), "until": until}])
        }
    };
    serde_json::json!([
        {"role": "father", "situations": situations(father)},
        {"role": "mother", "situations": situations(mother)},
    ])
}

#[derive(Template)]
#[template(path = "children_new.html")]
struct NewPage {
    nav: Nav,
    f: RegisterForm,
    categories: Vec<(&'static str, &'static str)>,
    sub_kinds: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

fn new_page(
    app: &App,
    p: &PageCtx,
    f: RegisterForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&NewPage {
        nav: Nav::of(app, p),
        f,
        categories: categories(),
        sub_kinds: all_sub_kinds(),
        kinds: SituationKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        error,
    })
}

async fn new_form(
    State(app): State<App>,
    p: PageCtx,
    Query(mut f): Query<RegisterForm>,
) -> Result<Response, PageError> {
    if f.start_on.is_empty() {
        f.start_on = app.today().to_string();
    }
    new_page(&app, &p, f, None)
}

async fn register(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let result = async {
        let person_id = line::person_by_id_number(&app, &p.ctx, &f.id_number).await?;
        let start_on = date("start_on", "登记日期", &f.start_on)?;
        let education_until = opt_date(
            "education_until",
            "全日制学历教育截止日期",
            &f.education_until,
        )?;
        let parents = line::by_rule(&f.category).then(|| {
            parents_json(
                (&f.father_kind, &f.father_since, &f.father_until),
                (&f.mother_kind, &f.mother_since, &f.mother_until),
            )
        });
        line::register(
            &app,
            &p.ctx,
            NewRegistration {
                person_id,
                category: f.category.clone(),
                sub_kind: f.sub_kind.clone(),
                evidence: f.evidence.clone(),
                start_on,
                parents,
                education_until,
            },
        )
        .await
    }
    .await;
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/children/registrations/{}", r.id)).into_response()),
        // the form keeps what was typed
        Err(e) => new_page(&app, &p, f, Some(shown(e)?)),
    }
}

#[derive(Template)]
#[template(path = "children_show.html")]
struct ShowPage {
    nav: Nav,
    d: RegistrationDetail,
    basis: Option<String>,
    history: Vec<(String, String, String, String)>,
    can_handle: bool,
    can_decide: bool,
    can_allow: bool,
    today: String,
    month: String,
    message: Option<String>,
    error: Option<String>,
}

/// The frozen classify answer in words.
fn basis_text(v: &serde_json::Value) -> Option<String> {
    let c: Classification = serde_json::from_value(v["answer"].clone()).ok()?;
    let cat = c
        .category
        .map(|k| k.label().to_string())
        .unwrap_or_else(|| "不属于孤儿或事实无人抚养儿童".into());
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| match r.parent {
            Some(p) => format!("{}{}", p.label(), r.code.label()),
            None => r.code.label().to_string(),
        })
        .collect();
    Some(format!(
        "按儿童类别认定规则（{}）认定为{cat}：{}",
        v["input"]["as_of"].as_str().unwrap_or(""),
        reasons.join("；")
    ))
}

async fn show_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = line::detail(app, &p.ctx, id).await?;
    let basis = d.registration.basis.as_ref().and_then(basis_text);
    let history = d
        .history
        .iter()
        .map(|h| {
            (
                crate::util::local_time(&h.changed_at),
                line::action_label(&h.action).to_string(),
                h.note.clone(),
                h.changed_by.clone(),
            )
        })
        .collect();
    let today = app.today();
    let active = d.registration.status == "active";
    render(&ShowPage {
        nav: Nav::of(app, p),
        can_handle: active && p.ctx.actor.can(Permission::HandleChildren),
        can_decide: p.ctx.actor.can(Permission::DecideChildAllowances),
        can_allow: active
            && line::by_rule(&d.registration.category)
            && !d.allowances.iter().any(|a| a.status == "active")
            && p.ctx.actor.can(Permission::DecideChildAllowances),
        basis,
        history,
        d,
        today: today.to_string(),
        month: minzheng_domain::disability::first_month(today),
        message,
        error,
    })
}

async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    show_page(&app, &p, &id, None, None).await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ActForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    bank_account: String,
    #[serde(default)]
    from_month: String,
    #[serde(default)]
    registration_id: String,
}

async fn after(
    app: &App,
    p: &PageCtx,
    id: &str,
    r: Result<&str, AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(m) => show_page(app, p, id, Some(m.into()), None).await,
        Err(e) => {
            let msg = shown(e)?;
            show_page(app, p, id, None, Some(msg)).await
        }
    }
}

async fn end(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let r = match date("on", "结束日期", &f.on) {
        Ok(on) => line::end(
            &app,
            &p.ctx,
            &id,
            EndRegistration {
                on,
                reason: f.reason,
            },
        )
        .await
        .map(|_| "登记已结束"),
        Err(e) => Err(e),
    };
    after(&app, &p, &id, r).await
}

async fn education(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let r = match opt_date("until", "全日制学历教育截止日期", &f.until) {
        Ok(until) => line::record_education(&app, &p.ctx, &id, Education { until })
            .await
            .map(|_| "已登记全日制学历教育"),
        Err(e) => Err(e),
    };
    after(&app, &p, &id, r).await
}

async fn decide(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let r = match date("decided_on", "审批日期", &f.on) {
        Ok(on) => allowances::decide(
            &app,
            &p.ctx,
            NewAllowance {
                registration_id: id.clone(),
                bank_account: f.bank_account,
                decided_on: on,
            },
        )
        .await
        .map(|_| "已批准基本生活费"),
        Err(e) => Err(e),
    };
    after(&app, &p, &id, r).await
}

async fn allowance_stop(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let r = allowances::stop(
        &app,
        &p.ctx,
        &id,
        StopAllowance {
            from_month: f.from_month,
            reason: f.reason,
        },
    )
    .await
    .map(|_| "已停发");
    after(&app, &p, &f.registration_id, r).await
}

#[derive(Template)]
#[template(path = "children_visit.html")]
struct VisitPage {
    nav: Nav,
    r: RegistrationView,
    last: Option<chrono::NaiveDate>,
    due_on: Option<chrono::NaiveDate>,
    today: String,
    seen: String,
    needs: String,
    message: Option<String>,
    error: Option<String>,
}

async fn visit_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    typed: (String, String),
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = line::detail(app, &p.ctx, id).await?;
    render(&VisitPage {
        nav: Nav::of(app, p),
        last: d.visits.first().map(|v| v.visited_on),
        due_on: d.visit_due_on,
        r: d.registration,
        today: app.today().to_string(),
        seen: typed.0,
        needs: typed.1,
        message,
        error,
    })
}

async fn visit_form(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    visit_page(&app, &p, &id, Default::default(), None, None).await
}

async fn visit(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    m: Multipart,
) -> Result<Response, PageError> {
    let v = crate::web::api::children::read_visit(m).await;
    let typed = v
        .as_ref()
        .map(|v| (v.seen.clone(), v.needs.clone()))
        .unwrap_or_default();
    let r = match v {
        Ok(v) => people::visit(&app, &p.ctx, &id, v).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => {
            visit_page(
                &app,
                &p,
                &id,
                Default::default(),
                Some("走访记录已保存".into()),
                None,
            )
            .await
        }
        Err(e) => {
            let msg = shown(e)?;
            visit_page(&app, &p, &id, typed, None, Some(msg)).await
        }
    }
}

async fn photo(
    State(app): State<App>,
    p: PageCtx,
    Path((id, photo)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (ct, bytes) = people::photo(&app, &p.ctx, &id, &photo).await?;
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}

#[derive(Template)]
#[template(path = "children_overdue.html")]
struct OverduePage {
    nav: Nav,
    items: Vec<OverdueVisit>,
    total: i64,
    areas: Vec<AreaOption>,
    area: String,
    can_visit: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct AreaQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    status: String,
    page: Option<i64>,
}

async fn overdue(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let l = people::overdue(
        &app,
        &p.ctx,
        &OverdueQuery {
            area: Some(q.area.clone()).filter(|a| !a.is_empty()),
        },
    )
    .await?;
    render(&OverduePage {
        nav: Nav::of(&app, &p),
        items: l.items,
        total: l.total,
        areas: area_options(&app, &p),
        area: q.area,
        can_visit: p.ctx.actor.can(Permission::HandleChildren),
    })
}

#[derive(Template)]
#[template(path = "children_allowances.html")]
struct AllowancesPage {
    nav: Nav,
    items: Vec<AllowanceView>,
    total: i64,
    page: i64,
    pages: i64,
    areas: Vec<AreaOption>,
    area: String,
    status: String,
    more: String,
}

async fn allowance_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let r = allowances::list(
        &app,
        &p.ctx,
        &AllowanceQuery {
            status: Some(q.status.clone()),
            area: Some(q.area.clone()).filter(|a| !a.is_empty()),
            page: q.page,
        },
    )
    .await?;
    render(&AllowancesPage {
        nav: Nav::of(&app, &p),
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        areas: area_options(&app, &p),
        more: format!("status={}&area={}", enc(&q.status), enc(&q.area)),
        area: q.area,
        status: q.status,
    })
}

#[derive(Template)]
#[template(path = "children_standards.html")]
struct StandardsPage {
    nav: Nav,
    rows: Vec<StandardView>,
    tiers: Vec<(&'static str, &'static str)>,
    can_set: bool,
    form: StandardForm,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct StandardForm {
    #[serde(default)]
    tier: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    monthly_amount: String,
    #[serde(default)]
    reason: String,
}

async fn standards_view(
    app: &App,
    p: &PageCtx,
    form: StandardForm,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&StandardsPage {
        nav: Nav::of(app, p),
        rows: allowances::standards(app, &p.ctx).await?,
        tiers: allowances::TIERS.to_vec(),
        can_set: p.ctx.actor.can(Permission::DecideChildAllowances),
        form,
        message,
        error,
    })
}

async fn standards_page(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    standards_view(&app, &p, StandardForm::default(), None, None).await
}

async fn set_standard(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<StandardForm>,
) -> Result<Response, PageError> {
    let n = NewStandard {
        tier: f.tier.clone(),
        effective_from: f.effective_from.clone(),
        monthly_amount: f.monthly_amount.clone(),
        reason: f.reason.clone(),
    };
    match allowances::set_standard(&app, &p.ctx, n).await {
        Ok(_) => {
            standards_view(
                &app,
                &p,
                StandardForm::default(),
                Some("已设定保障标准".into()),
                None,
            )
            .await
        }
        Err(e) => {
            let msg = shown(e)?;
            standards_view(&app, &p, f, None, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "children_workers.html")]
struct WorkersPage {
    nav: Nav,
    rows: Vec<WorkerView>,
    areas: Vec<AreaOption>,
    area: String,
    can_appoint: bool,
    today: String,
    form: WorkerForm,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct WorkerForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    appointed_on: String,
    #[serde(default)]
    trained_on: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
}

async fn workers_view(
    app: &App,
    p: &PageCtx,
    area: String,
    form: WorkerForm,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let rows = people::workers(
        app,
        &p.ctx,
        &WorkerQuery {
            area: Some(area.clone()).filter(|a| !a.is_empty()),
            current: None,
        },
    )
    .await?;
    render(&WorkersPage {
        nav: Nav::of(app, p),
        rows,
        areas: area_options(app, p),
        area,
        can_appoint: p.ctx.actor.can(Permission::HandleChildren)
            && p.ctx.actor.role != Role::VillageWorker,
        today: app.today().to_string(),
        form,
        message,
        error,
    })
}

async fn workers_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    workers_view(&app, &p, q.area, WorkerForm::default(), None, None).await
}

async fn appoint(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<WorkerForm>,
) -> Result<Response, PageError> {
    let r = match date("appointed_on", "任命日期", &f.appointed_on) {
        Ok(on) => {
            people::appoint(
                &app,
                &p.ctx,
                NewWorker {
                    role: f.role.clone(),
                    area_code: f.area_code.clone(),
                    name: f.name.clone(),
                    phone: f.phone.clone(),
                    appointed_on: on,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(w) => {
            workers_view(
                &app,
                &p,
                String::new(),
                WorkerForm::default(),
                Some(format!("已任命{}{}", w.role_label, w.name)),
                None,
            )
            .await
        }
        Err(e) => {
            let msg = shown(e)?;
            workers_view(&app, &p, String::new(), f, None, Some(msg)).await
        }
    }
}

async fn train(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<WorkerForm>,
) -> Result<Response, PageError> {
    let r = match (
        date("trained_on", "培训日期", &f.trained_on),
        f.hours.trim().parse::<i64>(),
    ) {
        (Ok(on), Ok(hours)) => people::train(
            &app,
            &p.ctx,
            &id,
            NewTraining {
                trained_on: on,
                topic: f.topic.clone(),
                hours,
            },
        )
        .await
        .map(|_| "已登记培训"),
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(AppError::invalid("hours", "培训学时应为整数")),
    };
    match r {
        Ok(m) => {
            workers_view(
                &app,
                &p,
                String::new(),
                WorkerForm::default(),
                Some(m.into()),
                None,
            )
            .await
        }
        Err(e) => {
            let msg = shown(e)?;
            workers_view(
                &app,
                &p,
                String::new(),
                WorkerForm::default(),
                None,
                Some(msg),
            )
            .await
        }
    }
}

async fn end_worker(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<WorkerForm>,
) -> Result<Response, PageError> {
    let r = match date("on", "离任日期", &f.on) {
        Ok(on) => people::end_worker(
            &app,
            &p.ctx,
            &id,
            EndWorker {
                on,
                reason: f.reason.clone(),
            },
        )
        .await
        .map(|_| "已登记离任"),
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => {
            workers_view(
                &app,
                &p,
                String::new(),
                WorkerForm::default(),
                Some(m.into()),
                None,
            )
            .await
        }
        Err(e) => {
            let msg = shown(e)?;
            workers_view(
                &app,
                &p,
                String::new(),
                WorkerForm::default(),
                None,
                Some(msg),
            )
            .await
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    pub as_of: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub in_education: Option<String>,
    #[serde(default)]
    pub father_kind: String,
    #[serde(default)]
    pub father_since: String,
    #[serde(default)]
    pub father_until: String,
    #[serde(default)]
    pub mother_kind: String,
    #[serde(default)]
    pub mother_since: String,
    #[serde(default)]
    pub mother_until: String,
}

#[derive(Template)]
#[template(path = "children_classify.html")]
struct Page {
    nav: Nav,
    f: ClassifyForm,
    kinds: Vec<(&'static str, &'static str)>,
    result: Option<(String, Vec<String>)>,
    error: Option<String>,
}

fn render_page(
    app: &App,
    p: &PageCtx,
    f: ClassifyForm,
    result: Option<Classification>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let result = result.map(|c| {
        let category = c
            .category
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| "不属于孤儿或事实无人抚养儿童".into());
        (
            format!("{category}（{}周岁）", c.age),
            c.reasons
                .iter()
                .map(|r| match r.parent {
                    Some(p) => format!("{}：{}", p.label(), r.code.label()),
                    None => r.code.label().to_string(),
                })
                .collect(),
        )
    });
    render(&Page {
        nav: Nav::of(app, p),
        kinds: SituationKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        f,
        result,
        error,
    })
}

async fn form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    let f = ClassifyForm {
        as_of: app.today().to_string(),
        ..Default::default()
    };
    render_page(&app, &p, f, None, None)
}

/// The form's flat fields become the API's body, so the page and the API answer alike.
async fn classify(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<ClassifyForm>,
) -> Result<Response, PageError> {
    let body = serde_json::json!({
        "as_of": f.as_of.trim(),
        "child": {"id_number": f.id_number.trim(), "in_full_time_education": f.in_education.is_some()},
        "parents": parents_json(
            (&f.father_kind, &f.father_since, &f.father_until),
            (&f.mother_kind, &f.mother_since, &f.mother_until),
        ),
    });
    match line::classify(&app, &p.ctx, &body) {
        Ok(c) => render_page(&app, &p, f, Some(c), None),
        Err(e) => render_page(&app, &p, f, None, Some(e.to_string())),
    }
}

#[derive(Template)]
#[template(path = "children_reports.html")]
struct ReportsPage {
    nav: Nav,
    items: Vec<ReportView>,
    total: i64,
    overdue: i64,
    police_missing: i64,
    areas: Vec<AreaOption>,
    area: String,
    status: String,
    reporters: Vec<(&'static str, &'static str)>,
    harms: Vec<(&'static str, &'static str)>,
    can_receive: bool,
    today: String,
    form: ReportForm,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ReportForm {
    #[serde(default)]
    reporter_kind: String,
    #[serde(default)]
    reporter: String,
    #[serde(default)]
    reporter_phone: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    child_name: String,
    #[serde(default)]
    harm: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    police_on: String,
    #[serde(default)]
    police_station: String,
    #[serde(default)]
    police_receipt: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    action: String,
}

async fn reports_view(
    app: &App,
    p: &PageCtx,
    q: AreaQuery,
    form: ReportForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let l = reports::list(
        app,
        &p.ctx,
        &ReportQuery {
            status: Some(q.status.clone()),
            area: Some(q.area.clone()).filter(|a| !a.is_empty()),
        },
    )
    .await?;
    render(&ReportsPage {
        nav: Nav::of(app, p),
        items: l.items,
        total: l.total,
        overdue: l.overdue,
        police_missing: l.police_missing,
        areas: area_options(app, p),
        area: q.area,
        status: q.status,
        reporters: reports::REPORTERS.to_vec(),
        harms: reports::HARMS.to_vec(),
        can_receive: p.ctx.actor.can(Permission::HandleChildren),
        today: app.today().to_string(),
        form,
        error,
    })
}

async fn reports_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    reports_view(&app, &p, q, ReportForm::default(), None).await
}

async fn receive_report(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<ReportForm>,
) -> Result<Response, PageError> {
    let r = async {
        let received_on = date("received_on", "接报日期", &f.received_on)?;
        let police = match opt_date("police.notified_on", "通报公安日期", &f.police_on)? {
            Some(on) => Some(Police {
                notified_on: on,
                station: f.police_station.clone(),
                receipt: f.police_receipt.clone(),
            }),
            None => None,
        };
        reports::receive(
            &app,
            &p.ctx,
            NewReport {
                reporter_kind: f.reporter_kind.clone(),
                reporter: f.reporter.clone(),
                reporter_phone: f.reporter_phone.clone(),
                area_code: f.area_code.clone(),
                person_id: None,
                child_name: f.child_name.clone(),
                harm: f.harm.clone(),
                description: f.description.clone(),
                received_on,
                police,
            },
        )
        .await
    }
    .await;
    match r {
        Ok(r) => Ok(Redirect::to(&format!("/children/reports/{}", r.id)).into_response()),
        Err(e) => {
            let msg = shown(e)?;
            reports_view(&app, &p, AreaQuery::default(), f, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "children_report.html")]
struct ReportPage {
    nav: Nav,
    r: ReportView,
    can_act: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn report_view(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let r = reports::get(app, &p.ctx, id).await?;
    render(&ReportPage {
        nav: Nav::of(app, p),
        r,
        can_act: p.ctx.actor.can(Permission::HandleChildren)
            && p.ctx.actor.role != Role::VillageWorker,
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn report_page(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    report_view(&app, &p, &id, None, None).await
}

async fn report_police(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ReportForm>,
) -> Result<Response, PageError> {
    let r = match date("police.notified_on", "通报公安日期", &f.police_on) {
        Ok(on) => reports::police(
            &app,
            &p.ctx,
            &id,
            Police {
                notified_on: on,
                station: f.police_station,
                receipt: f.police_receipt,
            },
        )
        .await
        .map(|_| "已登记通报公安"),
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => report_view(&app, &p, &id, Some(m.into()), None).await,
        Err(e) => {
            let msg = shown(e)?;
            report_view(&app, &p, &id, None, Some(msg)).await
        }
    }
}

async fn report_handling(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ReportForm>,
) -> Result<Response, PageError> {
    let r = match date("on", "处置日期", &f.on) {
        Ok(on) => reports::handle(
            &app,
            &p.ctx,
            &id,
            Handling {
                on,
                action: f.action,
            },
        )
        .await
        .map(|_| "已登记处置情况"),
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => report_view(&app, &p, &id, Some(m.into()), None).await,
        Err(e) => {
            let msg = shown(e)?;
            report_view(&app, &p, &id, None, Some(msg)).await
        }
    }
}
