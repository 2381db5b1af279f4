//! 残疾人两项补贴: the list, the 漏保 leads a town files from, one grant with its steps, and the standards.

use super::filters;
use super::{AreaOption, Nav, area_options, enc, render};
use crate::app::App;
use crate::app::authz::{Permission, Role};
use crate::app::disability::{
    self, GradeCheck, GrantDecision, GrantQuery, GrantView, Lead, NewGrant, NewStandard,
    StandardView, Stop,
};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minzheng_domain::disability::{Exclusions, Programme, Tier};

pub const LINE: Line = Line {
    code: "disability",
    name: "残疾人两项补贴",
    api: crate::web::api::disability::routes,
    read: Permission::ReadDisability,
    pages,
    menu: &[
        MenuItem {
            label: "两项补贴名册",
            href: "/disability",
            permission: Permission::ReadDisability,
        },
        MenuItem {
            label: "应享未享线索",
            href: "/disability/leads",
            permission: Permission::ReadDisability,
        },
        MenuItem {
            label: "补贴标准",
            href: "/disability/standards",
            permission: Permission::ReadDisability,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/disability", get(list))
        .route("/disability/leads", get(leads))
        .route("/disability/new", get(new_form).post(file))
        .route("/disability/subsidies/{id}", get(show))
        .route("/disability/subsidies/{id}/{action}", post(act))
        .route(
            "/disability/standards",
            get(standards_page).post(set_standard),
        )
        .route("/disability/settings", post(set_setting))
}

fn stages() -> Vec<(&'static str, &'static str)> {
    ["filed", "checked", "approved", "refused", "stopped"]
        .into_iter()
        .map(|s| (s, disability::stage_label(s)))
        .collect()
}

fn programmes() -> Vec<(&'static str, &'static str)> {
    Programme::ALL
        .iter()
        .map(|p| (p.code(), p.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "disability_list.html")]
struct ListPage {
    nav: Nav,
    items: Vec<GrantView>,
    total: i64,
    page: i64,
    pages: i64,
    stages: Vec<(&'static str, &'static str)>,
    programmes: Vec<(&'static str, &'static str)>,
    areas: Vec<AreaOption>,
    stage: String,
    programme: String,
    area: String,
    q: String,
    more: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let r = disability::list(
        &app,
        &p.ctx,
        &GrantQuery {
            stage: Some(q.stage.clone()),
            programme: Some(q.programme.clone()),
            q: Some(q.q.clone()),
            area: Some(q.area.clone()).filter(|a| !a.is_empty()),
            page: q.page,
        },
    )
    .await?;
    render(&ListPage {
        nav: Nav::of(&app, &p),
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        stages: stages(),
        programmes: programmes(),
        areas: area_options(&app, &p),
        more: format!(
            "stage={}&programme={}&area={}&q={}",
            enc(&q.stage),
            enc(&q.programme),
            enc(&q.area),
            enc(&q.q)
        ),
        stage: q.stage,
        programme: q.programme,
        area: q.area,
        q: q.q,
    })
}

#[derive(Template)]
#[template(path = "disability_leads.html")]
struct LeadsPage {
    nav: Nav,
    items: Vec<Lead>,
    total: i64,
    basis: String,
    areas: Vec<AreaOption>,
    area: String,
    can_file: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct AreaQuery {
    #[serde(default)]
    area: String,
}

async fn leads(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let l = disability::leads(
        &app,
        &p.ctx,
        Some(q.area.as_str()).filter(|a| !a.is_empty()),
    )
    .await?;
    render(&LeadsPage {
        nav: Nav::of(&app, &p),
        items: l.items,
        total: l.total,
        basis: l.basis,
        areas: area_options(&app, &p),
        area: q.area,
        can_file: p.ctx.actor.can(Permission::HandleSubsidies),
    })
}

#[derive(Template)]
#[template(path = "disability_new.html")]
struct NewPage {
    nav: Nav,
    form: FileForm,
    person: String,
    programmes: Vec<(&'static str, &'static str)>,
    today: String,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct FileForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    needs_long_term_care: Option<String>,
    #[serde(default)]
    work_injury_care: Option<String>,
    #[serde(default)]
    orphan_allowance: Option<String>,
    #[serde(default)]
    bank_account: String,
    #[serde(default)]
    filed_on: String,
}

async fn new_page(
    app: &App,
    p: &PageCtx,
    form: FileForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let person = match crate::app::registry::get(app, &p.ctx, &form.person_id, false).await {
        Ok(v) => format!("{}（{}，{}）", v.name, v.id_number_masked, v.area_name),
        Err(_) => String::new(),
    };
    render(&NewPage {
        nav: Nav::of(app, p),
        person,
        programmes: programmes(),
        today: app.today().to_string(),
        form,
        error,
    })
}

async fn new_form(
    State(app): State<App>,
    p: PageCtx,
    Query(f): Query<FileForm>,
) -> Result<Response, PageError> {
    new_page(&app, &p, f, None).await
}

async fn file(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<FileForm>,
) -> Result<Response, PageError> {
    let filed_on = match chrono::NaiveDate::parse_from_str(f.filed_on.trim(), "%Y-%m-%d") {
        Ok(d) => d,
        Err(_) => {
            return new_page(&app, &p, f, Some("申请日期格式应为 YYYY-MM-DD".into())).await;
        }
    };
    let n = NewGrant {
        person_id: f.person_id.clone(),
        programme: f.programme.clone(),
        needs_long_term_care: f.needs_long_term_care.is_some(),
        exclusions: Exclusions {
            work_injury_care: f.work_injury_care.is_some(),
            orphan_allowance: f.orphan_allowance.is_some(),
        },
        bank_account: f.bank_account.clone(),
        filed_on,
    };
    match disability::file(&app, &p.ctx, n).await {
        Ok(g) => Ok(Redirect::to(&format!("/disability/subsidies/{}", g.id)).into_response()),
        // the form keeps what was typed
        Err(e) => new_page(&app, &p, f, Some(e.to_string())).await,
    }
}

#[derive(Template)]
#[template(path = "disability_grant.html")]
struct GrantPage {
    nav: Nav,
    g: GrantView,
    changes: Vec<crate::app::disability_changes::ChangeView>,
    county: bool,
    today: String,
    month: String,
    message: Option<String>,
    error: Option<String>,
}

async fn grant_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let g = disability::get(app, &p.ctx, id).await?;
    let today = app.today();
    let changes = crate::app::disability_changes::changes_of(app, &p.ctx, id).await?;
    render(&GrantPage {
        nav: Nav::of(app, p),
        g,
        changes,
        county: p.ctx.actor.role == Role::CityOfficer
            && p.ctx.actor.can(Permission::HandleSubsidies),
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
    grant_page(&app, &p, &id, None, None).await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ActForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    from_month: String,
}

async fn act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let on = chrono::NaiveDate::parse_from_str(f.on.trim(), "%Y-%m-%d");
    let result = match (action.as_str(), on) {
        ("check", Ok(on)) => disability::check_grade(
            &app,
            &p.ctx,
            &id,
            GradeCheck {
                confirmed: f.result == "yes",
                on,
                note: f.note,
            },
        )
        .await
        .map(|_| "已登记残联核定结果"),
        ("decision", Ok(on)) => disability::decide(
            &app,
            &p.ctx,
            &id,
            GrantDecision {
                approve: f.result == "yes",
                on,
                note: f.note,
            },
        )
        .await
        .map(|_| "已登记审批结果"),
        ("stop", _) => disability::stop(
            &app,
            &p.ctx,
            &id,
            Stop {
                from_month: f.from_month,
                reason: f.note,
            },
        )
        .await
        .map(|_| "已停发"),
        ("check" | "decision", Err(_)) => Err(crate::app::AppError::invalid(
            "on",
            "日期格式应为 YYYY-MM-DD",
        )),
        _ => Err(crate::app::AppError::NotFound("操作".into())),
    };
    match result {
        Ok(msg) => grant_page(&app, &p, &id, Some(msg.into()), None).await,
        Err(e @ crate::app::AppError::NotFound(_)) => Err(e.into()),
        Err(e) => grant_page(&app, &p, &id, None, Some(e.to_string())).await,
    }
}

#[derive(Template)]
#[template(path = "disability_standards.html")]
struct StandardsPage {
    nav: Nav,
    settings: crate::app::disability_changes::Settings,
    setting_labels: Vec<(&'static str, &'static str)>,
    rows: Vec<StandardView>,
    tiers: Vec<(&'static str, &'static str)>,
    can_set: bool,
    form: StandardForm,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct SettingForm {
    #[serde(default)]
    setting: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    reason: String,
}

async fn set_setting(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<SettingForm>,
) -> Result<Response, PageError> {
    let n = crate::app::disability_changes::NewSetting {
        setting: f.setting,
        enabled: f.enabled == "on",
        effective_from: f.effective_from,
        reason: f.reason,
    };
    match crate::app::disability_changes::set(&app, &p.ctx, n).await {
        Ok(_) => {
            standards_view(
                &app,
                &p,
                StandardForm::default(),
                Some("已保存政策设置".into()),
                None,
            )
            .await
        }
        Err(e) => {
            standards_view(&app, &p, StandardForm::default(), None, Some(e.to_string())).await
        }
    }
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
        rows: disability::standards(app, &p.ctx).await?,
        settings: crate::app::disability_changes::settings(app, &p.ctx).await?,
        setting_labels: crate::app::disability_changes::SETTINGS.to_vec(),
        tiers: Tier::ALL.iter().map(|t| (t.code(), t.label())).collect(),
        can_set: p.ctx.actor.role == Role::CityOfficer
            && p.ctx.actor.can(Permission::HandleSubsidies),
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
    match disability::set_standard(&app, &p.ctx, n).await {
        Ok(_) => {
            standards_view(
                &app,
                &p,
                StandardForm::default(),
                Some("已设定补贴标准".into()),
                None,
            )
            .await
        }
        Err(e) => standards_view(&app, &p, f, None, Some(e.to_string())).await,
    }
}
