//! 养老机构: the institution list (scoped, searchable, the inspection-overdue flag) and one institution's page with
//! its filing, beds, star grade, residents and inspections, and the forms that record them.

use super::filters;
use super::{AreaOption, Nav, area_options, enc, render};
use crate::app::authz::Permission;
use crate::app::institutions::{
    self, Admission, BedChange, Discharge, Filing, Inspection, InstitutionItem, InstitutionQuery,
    InstitutionView, NewBeds, StarRating,
};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, NaiveDate};
use minzheng_domain::institutions::{InspectionResult, Ownership};

pub const LINE: Line = Line {
    code: "institutions",
    name: "养老机构",
    api: crate::web::api::institutions::routes,
    read: Permission::ReadInstitutions,
    pages,
    menu: &[
        MenuItem {
            label: "养老机构",
            href: "/institutions",
            permission: Permission::ReadInstitutions,
        },
        MenuItem {
            label: "检查逾期机构",
            href: "/institutions?overdue=1",
            permission: Permission::ReadInstitutions,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/institutions", get(list))
        .route("/institutions/{id}", get(show))
        .route("/institutions/{id}/documents", post(add_document))
        .route("/institutions/{id}/act/{action}", post(act))
        .route("/institutions/documents/{id}", get(document))
}

#[derive(Template)]
#[template(path = "institutions.html")]
struct ListPage {
    nav: Nav,
    items: Vec<InstitutionItem>,
    total: i64,
    overdue_total: i64,
    page: i64,
    pages: i64,
    areas: Vec<AreaOption>,
    q: ListQuery,
    more: String,
    beds: NewBeds,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    filing: String,
    #[serde(default)]
    overdue: String,
    page: Option<i64>,
}

async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let overdue = !q.overdue.is_empty();
    let r = institutions::list(
        &app,
        &p.ctx,
        &InstitutionQuery {
            q: Some(q.q.clone()),
            area: Some(q.area.clone()),
            filing: Some(q.filing.clone()),
            overdue: Some(overdue),
            star: None,
            page: q.page,
        },
    )
    .await?;
    let beds = institutions::new_beds(
        &app,
        &p.ctx,
        app.today().year(),
        Some(q.area.as_str()).filter(|a| !a.is_empty()),
    )
    .await?;
    render(&ListPage {
        nav: Nav::of(&app, &p),
        items: r.items,
        total: r.total,
        overdue_total: r.overdue,
        page: r.page,
        pages: r.pages,
        areas: area_options(&app, &p),
        more: format!(
            "q={}&area={}&filing={}&overdue={}",
            enc(&q.q),
            enc(&q.area),
            enc(&q.filing),
            if overdue { "1" } else { "" }
        ),
        q,
        beds,
    })
}

#[derive(Template)]
#[template(path = "institution.html")]
struct ShowPage {
    nav: Nav,
    v: InstitutionView,
    can_manage: bool,
    form: ActForm,
    today: String,
    ownerships: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    error: Option<String>,
}

/// Every field of the page's forms, as typed (kept after an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ActForm {
    #[serde(default)]
    filed_on: String,
    #[serde(default)]
    filing_number: String,
    #[serde(default)]
    ownership: String,
    #[serde(default)]
    beds_total: String,
    #[serde(default)]
    beds_nursing: String,
    /// One document name a line.
    #[serde(default)]
    documents: String,
    #[serde(default)]
    changed_on: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    rated_on: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    admitted_on: String,
    #[serde(default)]
    contract_number: String,
    #[serde(default)]
    contract_start: String,
    #[serde(default)]
    contract_end: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    discharged_on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    inspected_on: String,
    /// Names separated by 、, commas, spaces or lines.
    #[serde(default)]
    inspectors: String,
    #[serde(default)]
    result: String,
}

async fn show_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    form: ActForm,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let v = institutions::get(app, &p.ctx, id).await?;
    render(&ShowPage {
        nav: Nav::of(app, p),
        can_manage: p.ctx.actor.can(Permission::ManageInstitutions),
        today: app.today().to_string(),
        ownerships: Ownership::ALL
            .iter()
            .map(|o| (o.code(), o.label()))
            .collect(),
        results: InspectionResult::ALL
            .iter()
            .map(|o| (o.code(), o.label()))
            .collect(),
        v,
        form,
        message,
        error,
    })
}

async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    show_page(&app, &p, &id, ActForm::default(), None, None).await
}

pub fn date(field: &str, label: &str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, format!("{label}格式应为 YYYY-MM-DD")))
}

pub fn number(field: &str, label: &str, s: &str) -> Result<i64, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, format!("{label}应为整数")))
}

async fn run(
    app: &App,
    p: &PageCtx,
    id: &str,
    action: &str,
    f: &ActForm,
) -> Result<&'static str, AppError> {
    let ctx = &p.ctx;
    match action {
        "filing" => {
            institutions::file(
                app,
                ctx,
                id,
                Filing {
                    filed_on: date("filed_on", "备案日期", &f.filed_on)?,
                    filing_number: f.filing_number.clone(),
                    ownership: f.ownership.clone(),
                    beds_total: number("beds_total", "床位总数", &f.beds_total)?,
                    beds_nursing: number("beds_nursing", "护理型床位数", &f.beds_nursing)?,
                    documents: f.documents.lines().map(str::to_string).collect(),
                },
            )
            .await?;
            Ok("已登记备案")
        }
        "beds" => {
            institutions::change_beds(
                app,
                ctx,
                id,
                BedChange {
                    changed_on: date("changed_on", "变更日期", &f.changed_on)?,
                    beds_total: number("beds_total", "床位总数", &f.beds_total)?,
                    beds_nursing: number("beds_nursing", "护理型床位数", &f.beds_nursing)?,
                    ownership: Some(f.ownership.clone()),
                    note: f.note.clone(),
                },
            )
            .await?;
            Ok("已登记床位变更")
        }
        "star" => {
            institutions::rate(
                app,
                ctx,
                id,
                StarRating {
                    grade: number("grade", "星级", &f.grade)?,
                    rated_on: date("rated_on", "评定日期", &f.rated_on)?,
                },
            )
            .await?;
            Ok("已登记星级评定")
        }
        "admit" => {
            institutions::admit(
                app,
                ctx,
                id,
                Admission {
                    id_number: f.id_number.clone(),
                    admitted_on: date("admitted_on", "入住日期", &f.admitted_on)?,
                    contract_number: f.contract_number.clone(),
                    contract_start: date("contract_start", "合同开始日期", &f.contract_start)?,
                    contract_end: date("contract_end", "合同结束日期", &f.contract_end)?,
                },
            )
            .await?;
            Ok("已办理入住")
        }
        "discharge" => {
            // the stay must be this institution's
            let r = institutions::resident(app, ctx, &f.resident_id).await?;
            if r.organisation_id != id {
                return Err(AppError::NotFound("入住记录".into()));
            }
            institutions::discharge(
                app,
                ctx,
                &f.resident_id,
                Discharge {
                    discharged_on: date("discharged_on", "出院（退住）日期", &f.discharged_on)?,
                    reason: f.reason.clone(),
                },
            )
            .await?;
            Ok("已办理出院（退住），档案继续保存")
        }
        "inspect" => {
            institutions::inspect(
                app,
                ctx,
                id,
                Inspection {
                    inspected_on: date("inspected_on", "检查日期", &f.inspected_on)?,
                    inspectors: split_names(&f.inspectors),
                    result: f.result.clone(),
                    note: f.note.clone(),
                },
            )
            .await?;
            Ok("已登记现场检查")
        }
        _ => Err(AppError::NotFound("操作".into())),
    }
}

pub fn split_names(s: &str) -> Vec<String> {
    s.split(['、', ',', '，', ' ', '\n', '\r', ';', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

async fn act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    match run(&app, &p, &id, &action, &f).await {
        Ok(msg) => show_page(&app, &p, &id, ActForm::default(), Some(msg.into()), None).await,
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => show_page(&app, &p, &id, f, None, Some(e.to_string())).await,
    }
}

async fn add_document(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    m: Multipart,
) -> Result<Response, PageError> {
    let r = match crate::web::api::institutions::read_document(m).await {
        Ok((name, file)) => institutions::add_document(&app, &p.ctx, &id, &name, file).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => {
            let msg = format!("已登记材料：{}", d.name);
            show_page(&app, &p, &id, ActForm::default(), Some(msg), None).await
        }
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => show_page(&app, &p, &id, ActForm::default(), None, Some(e.to_string())).await,
    }
}

async fn document(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (ct, bytes) = institutions::document_file(&app, &p.ctx, &id).await?;
    Ok(crate::web::api::institutions::file_response(ct, bytes))
}
