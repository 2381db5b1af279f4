//! 养老服务 (continued): community facilities (日间照料中心, 助餐点: profile, villages served, 标配 checks, designations)
//! and the services for poor elderly people (居家养老援助, 适老化改造, 家庭照护床位), each a phone-friendly list and a
//! record page with the forms that change it.

use super::filters;
use super::{Nav, render};
use crate::app::authz::Permission;
use crate::app::elderly::community::{
    self, DesignationInput, DesignationItem, DesignationQuery, FacilityInput, FacilityItem,
    FacilityQuery, FacilityView, StandardCheck,
};
use crate::app::elderly::services::{
    self, Acceptance, AdaptationInput, AdaptationItemView, AdaptationQuery, AreaPage, BedInput,
    BedItem, Candidate, EndInput, GrantInput, GrantItem, ServiceInput, ServiceRecord, VisitInput,
    VisitItem,
};
use crate::app::elderly::staff;
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::pages::institutions::{date, number, split_names};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use minzheng_domain::elderly::community::{Designation, FacilityLevel, StandardItem};
use minzheng_domain::elderly::services::{AdaptationItem, ServiceForm};

pub fn pages() -> Router<App> {
    Router::new()
        .route("/elderly/facilities", get(facilities))
        .route("/elderly/facilities/{id}", get(facility))
        .route("/elderly/facilities/{id}/act/{action}", post(facility_act))
        .route("/elderly/home-care", get(home_care).post(grant))
        .route("/elderly/home-care/{id}", get(grant_page))
        .route("/elderly/home-care/{id}/act/{action}", post(grant_act))
        .route("/elderly/adaptations", get(adaptations).post(plan))
        .route("/elderly/adaptations/{id}", get(adaptation))
        .route("/elderly/adaptations/{id}/acceptance", post(accept))
        .route("/elderly/adaptations/photos/{id}", get(photo))
        .route("/elderly/care-beds", get(beds).post(open_bed))
        .route("/elderly/care-beds/{id}", get(bed_page))
        .route("/elderly/care-beds/{id}/act/{action}", post(bed_act))
        .route("/elderly/staff", get(staff_list))
        .route("/elderly/staff/act/{action}", post(staff_act))
}

/// A posted form as its pairs: repeated names (checkboxes) keep every value.
type Pairs = Vec<(String, String)>;

fn one(f: &Pairs, k: &str) -> String {
    f.iter()
        .find(|x| x.0 == k)
        .map(|x| x.1.clone())
        .unwrap_or_default()
}

fn all(f: &Pairs, k: &str) -> Vec<String> {
    f.iter().filter(|x| x.0 == k).map(|x| x.1.clone()).collect()
}

fn outcome(
    r: Result<&'static str, AppError>,
) -> Result<(Option<String>, Option<String>), PageError> {
    match r {
        Ok(m) => Ok((Some(m.into()), None)),
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => Ok((None, Some(e.to_string()))),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// facilities

#[derive(Template)]
#[template(path = "elderly_facilities.html")]
struct FacilitiesPage {
    nav: Nav,
    items: Vec<FacilityItem>,
    total: i64,
    page: i64,
    pages: i64,
    kind: String,
    standard: String,
    more: String,
    designations: Vec<DesignationItem>,
}

async fn facilities(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<FacilityQuery>,
) -> Result<Response, PageError> {
    let r = community::facilities(&app, &p.ctx, &q).await?;
    let kind = q.kind.clone().unwrap_or_default();
    let standard = q.standard.clone().unwrap_or_default();
    render(&FacilitiesPage {
        nav: Nav::of(&app, &p),
        more: format!(
            "kind={}&standard={}",
            super::enc(&kind),
            super::enc(&standard)
        ),
        kind,
        standard,
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        designations: community::designations(&app, &p.ctx, &DesignationQuery::default()).await?,
    })
}

pub struct Choice {
    pub code: String,
    pub label: String,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "elderly_facility.html")]
struct FacilityPage {
    nav: Nav,
    v: FacilityView,
    can_manage: bool,
    today: String,
    levels: Vec<Choice>,
    villages: Vec<Choice>,
    items: Vec<Choice>,
    designations: Vec<Choice>,
    message: Option<String>,
    error: Option<String>,
}

async fn facility_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let v = community::facility(app, &p.ctx, id).await?;
    let areas = app.areas();
    let town = areas
        .get(&v.area_code)
        .and_then(|a| a.town_code.clone().or(Some(a.code.clone())))
        .unwrap_or_default();
    let villages = areas
        .children(&town)
        .iter()
        .map(|a| Choice {
            on: v.served.iter().any(|s| s.area_code == a.code),
            code: a.code.clone(),
            label: a.name.clone(),
        })
        .collect();
    render(&FacilityPage {
        nav: Nav::of(app, p),
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        levels: FacilityLevel::ALL
            .iter()
            .map(|l| Choice {
                code: l.code().into(),
                label: l.label().into(),
                on: v.level.as_deref() == Some(l.code()),
            })
            .collect(),
        items: StandardItem::ALL
            .iter()
            .map(|i| Choice {
                code: i.code().into(),
                label: i.label().into(),
                on: false,
            })
            .collect(),
        designations: Designation::ALL
            .iter()
            .map(|d| Choice {
                code: d.code().into(),
                label: d.label().into(),
                on: false,
            })
            .collect(),
        villages,
        v,
        message,
        error,
    })
}

async fn facility(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    facility_page(&app, &p, &id, None, None).await
}

async fn facility_run(
    app: &App,
    p: &PageCtx,
    id: &str,
    action: &str,
    f: &Pairs,
) -> Result<&'static str, AppError> {
    let ctx = &p.ctx;
    match action {
        "profile" => {
            community::set_facility(
                app,
                ctx,
                id,
                FacilityInput {
                    level: one(f, "level"),
                    meals: !one(f, "meals").is_empty(),
                    regional: !one(f, "regional").is_empty(),
                    opened_on: date("opened_on", "建成运营日期", &one(f, "opened_on"))?,
                    capacity: if one(f, "capacity").trim().is_empty() {
                        0
                    } else {
                        number("capacity", "床位或餐位数", &one(f, "capacity"))?
                    },
                    served: all(f, "served"),
                },
            )
            .await?;
            Ok("已保存设施服务信息")
        }
        "check" => {
            let c = community::check_standard(
                app,
                ctx,
                id,
                StandardCheck {
                    checked_on: date("checked_on", "检查日期", &one(f, "checked_on"))?,
                    checkers: split_names(&one(f, "checkers")),
                    present: all(f, "present"),
                    note: one(f, "note"),
                },
            )
            .await?;
            Ok(if c.met {
                "已登记标配检查：按标配建到位"
            } else {
                "已登记标配检查：未按标配建到位"
            })
        }
        "designate" => {
            community::designate(
                app,
                ctx,
                id,
                DesignationInput {
                    kind: one(f, "kind"),
                    named_on: date("named_on", "命名日期", &one(f, "named_on"))?,
                    title: one(f, "title"),
                },
            )
            .await?;
            Ok("已登记命名")
        }
        _ => Err(AppError::NotFound("操作".into())),
    }
}

async fn facility_act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let (m, e) = outcome(facility_run(&app, &p, &id, &action, &f).await)?;
    facility_page(&app, &p, &id, m, e).await
}

// ---------------------------------------------------------------------------------------------------------------
// 居家养老援助

#[derive(Template)]
#[template(path = "elderly_home_care.html")]
struct HomeCarePage {
    nav: Nav,
    grants: Vec<GrantItem>,
    grants_total: i64,
    candidates: Vec<Candidate>,
    candidates_total: i64,
    page: i64,
    pages: i64,
    providers: Vec<(String, String)>,
    forms: Vec<Choice>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn home_care_page(
    app: &App,
    p: &PageCtx,
    q: &AreaPage,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let g = services::grants(app, &p.ctx, q).await?;
    let c = services::candidates(
        app,
        &p.ctx,
        &AreaPage {
            area: q.area.clone(),
            page: Some(1),
        },
    )
    .await?;
    render(&HomeCarePage {
        nav: Nav::of(app, p),
        grants: g.items,
        grants_total: g.total,
        page: g.page,
        pages: g.pages,
        candidates: c.items,
        candidates_total: c.total,
        providers: services::providers(app, &p.ctx).await?,
        forms: ServiceForm::ALL
            .iter()
            .map(|f| Choice {
                code: f.code().into(),
                label: f.label().into(),
                on: false,
            })
            .collect(),
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn home_care(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaPage>,
) -> Result<Response, PageError> {
    home_care_page(&app, &p, &q, None, None).await
}

async fn grant(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        services::grant(
            &app,
            &p.ctx,
            GrantInput {
                person: one(&f, "person"),
                form: one(&f, "form"),
                monthly: one(&f, "monthly"),
                provider_id: one(&f, "provider_id"),
                starts_on: date("starts_on", "开始日期", &one(&f, "starts_on"))?,
            },
        )
        .await?;
        Ok("已登记居家养老援助")
    }
    .await;
    let (m, e) = outcome(r)?;
    home_care_page(&app, &p, &AreaPage::default(), m, e).await
}

#[derive(Template)]
#[template(path = "elderly_grant.html")]
struct GrantPage {
    nav: Nav,
    g: GrantItem,
    services: Vec<ServiceRecord>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn grant_show(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&GrantPage {
        nav: Nav::of(app, p),
        g: services::grant_item(app, &p.ctx, id).await?,
        services: services::services_of(app, &p.ctx, id).await?,
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn grant_page(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    grant_show(&app, &p, &id, None, None).await
}

async fn grant_act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        match action.as_str() {
            "service" => {
                services::record_service(
                    &app,
                    &p.ctx,
                    &id,
                    ServiceInput {
                        served_on: date("served_on", "服务日期", &one(&f, "served_on"))?,
                        quantity: one(&f, "quantity"),
                        content: one(&f, "content"),
                        carer: one(&f, "carer"),
                    },
                )
                .await?;
                Ok("已登记服务记录")
            }
            "end" => {
                services::end_grant(
                    &app,
                    &p.ctx,
                    &id,
                    EndInput {
                        on: date("on", "终止日期", &one(&f, "on"))?,
                        reason: one(&f, "reason"),
                    },
                )
                .await?;
                Ok("已终止援助")
            }
            _ => Err(AppError::NotFound("操作".into())),
        }
    }
    .await;
    let (m, e) = outcome(r)?;
    grant_show(&app, &p, &id, m, e).await
}

// ---------------------------------------------------------------------------------------------------------------
// 适老化改造

#[derive(Template)]
#[template(path = "elderly_adaptations.html")]
struct AdaptationsPage {
    nav: Nav,
    items: Vec<AdaptationItemView>,
    total: i64,
    page: i64,
    pages: i64,
    status: String,
    choices: Vec<Choice>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn adaptations_page(
    app: &App,
    p: &PageCtx,
    q: &AdaptationQuery,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let r = services::adaptations(app, &p.ctx, q).await?;
    render(&AdaptationsPage {
        nav: Nav::of(app, p),
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        status: q.status.clone().unwrap_or_default(),
        choices: AdaptationItem::ALL
            .iter()
            .map(|i| Choice {
                code: i.code().into(),
                label: i.label().into(),
                on: false,
            })
            .collect(),
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn adaptations(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AdaptationQuery>,
) -> Result<Response, PageError> {
    adaptations_page(&app, &p, &q, None, None).await
}

async fn plan(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        services::plan_adaptation(
            &app,
            &p.ctx,
            AdaptationInput {
                household: one(&f, "household"),
                items: all(&f, "items"),
                contractor: one(&f, "contractor"),
                planned_on: date("planned_on", "计划日期", &one(&f, "planned_on"))?,
            },
        )
        .await?;
        Ok("已登记适老化改造")
    }
    .await;
    let (m, e) = outcome(r)?;
    adaptations_page(&app, &p, &AdaptationQuery::default(), m, e).await
}

#[derive(Template)]
#[template(path = "elderly_adaptation.html")]
struct AdaptationPage {
    nav: Nav,
    a: AdaptationItemView,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn adaptation_show(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&AdaptationPage {
        nav: Nav::of(app, p),
        a: services::adaptation(app, &p.ctx, id).await?,
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn adaptation(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    adaptation_show(&app, &p, &id, None, None).await
}

async fn accept(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    m: Multipart,
) -> Result<Response, PageError> {
    let r = async {
        let a: Acceptance = crate::web::api::elderly_services::read_acceptance(m).await?;
        services::accept_adaptation(&app, &p.ctx, &id, a).await?;
        Ok("已验收")
    }
    .await;
    let (m, e) = outcome(r)?;
    adaptation_show(&app, &p, &id, m, e).await
}

async fn photo(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (ct, bytes) = services::adaptation_photo(&app, &p.ctx, &id).await?;
    Ok(crate::web::api::institutions::file_response(ct, bytes))
}

// ---------------------------------------------------------------------------------------------------------------
// 家庭照护床位

#[derive(Template)]
#[template(path = "elderly_care_beds.html")]
struct BedsPage {
    nav: Nav,
    items: Vec<BedItem>,
    total: i64,
    page: i64,
    pages: i64,
    providers: Vec<(String, String)>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn beds_page(
    app: &App,
    p: &PageCtx,
    q: &AreaPage,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let r = services::beds(app, &p.ctx, q).await?;
    render(&BedsPage {
        nav: Nav::of(app, p),
        items: r.items,
        total: r.total,
        page: r.page,
        pages: r.pages,
        providers: services::providers(app, &p.ctx).await?,
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn beds(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AreaPage>,
) -> Result<Response, PageError> {
    beds_page(&app, &p, &q, None, None).await
}

async fn open_bed(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        services::open_bed(
            &app,
            &p.ctx,
            BedInput {
                person: one(&f, "person"),
                provider_id: one(&f, "provider_id"),
                contract_number: one(&f, "contract_number"),
                contract_start: date("contract_start", "合同开始日期", &one(&f, "contract_start"))?,
                contract_end: date("contract_end", "合同结束日期", &one(&f, "contract_end"))?,
                monthly_subsidy: one(&f, "monthly_subsidy"),
            },
        )
        .await?;
        Ok("已登记家庭照护床位")
    }
    .await;
    let (m, e) = outcome(r)?;
    beds_page(&app, &p, &AreaPage::default(), m, e).await
}

#[derive(Template)]
#[template(path = "elderly_care_bed.html")]
struct BedPage {
    nav: Nav,
    b: BedItem,
    visits: Vec<VisitItem>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn bed_show(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&BedPage {
        nav: Nav::of(app, p),
        b: services::bed(app, &p.ctx, id).await?,
        visits: services::visits_of(app, &p.ctx, id).await?,
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn bed_page(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    bed_show(&app, &p, &id, None, None).await
}

async fn bed_act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        match action.as_str() {
            "visit" => {
                services::visit(
                    &app,
                    &p.ctx,
                    &id,
                    VisitInput {
                        visited_on: date("visited_on", "上门日期", &one(&f, "visited_on"))?,
                        carer: one(&f, "carer"),
                        services: one(&f, "services"),
                    },
                )
                .await?;
                Ok("已登记上门服务")
            }
            "end" => {
                services::terminate_bed(
                    &app,
                    &p.ctx,
                    &id,
                    EndInput {
                        on: date("on", "终止日期", &one(&f, "on"))?,
                        reason: one(&f, "reason"),
                    },
                )
                .await?;
                Ok("已终止床位合同")
            }
            _ => Err(AppError::NotFound("操作".into())),
        }
    }
    .await;
    let (m, e) = outcome(r)?;
    bed_show(&app, &p, &id, m, e).await
}

// ---------------------------------------------------------------------------------------------------------------
// 养老护理员和志愿者

#[derive(Template)]
#[template(path = "elderly_staff.html")]
struct StaffPage {
    nav: Nav,
    carers: Vec<staff::CarerItem>,
    carers_total: i64,
    volunteers: Vec<staff::VolunteerItem>,
    volunteers_total: i64,
    employers: Vec<(String, String)>,
    bases: Vec<(String, String)>,
    certificates: Vec<Choice>,
    villages: Vec<super::AreaOption>,
    can_manage: bool,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn staff_page(
    app: &App,
    p: &PageCtx,
    q: &staff::StaffQuery,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let c = staff::carers(app, &p.ctx, q).await?;
    let v = staff::volunteers(app, &p.ctx, q).await?;
    let orgs = staff::staff_organisations(app, &p.ctx).await?;
    let areas = app.areas();
    render(&StaffPage {
        nav: Nav::of(app, p),
        carers: c.items,
        carers_total: c.total,
        volunteers: v.items,
        volunteers_total: v.total,
        employers: orgs
            .iter()
            .filter(|o| o.2 != "training_base")
            .map(|o| (o.0.clone(), o.1.clone()))
            .collect(),
        bases: orgs
            .iter()
            .filter(|o| o.2 == "training_base")
            .map(|o| (o.0.clone(), o.1.clone()))
            .collect(),
        certificates: minzheng_domain::elderly::staff::Certificate::ALL
            .iter()
            .map(|c| Choice {
                code: c.code().into(),
                label: c.label().into(),
                on: false,
            })
            .collect(),
        villages: super::area_options(app, p)
            .into_iter()
            .filter(|a| areas.get(&a.code).is_some_and(|x| x.level == "village"))
            .collect(),
        can_manage: p.ctx.actor.can(Permission::ManageElderlyServices),
        today: app.today().to_string(),
        message,
        error,
    })
}

async fn staff_list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<staff::StaffQuery>,
) -> Result<Response, PageError> {
    staff_page(&app, &p, &q, None, None).await
}

async fn staff_act(
    State(app): State<App>,
    p: PageCtx,
    Path(action): Path<String>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    let r = async {
        match action.as_str() {
            "carer" => {
                staff::add_carer(
                    &app,
                    &p.ctx,
                    staff::CarerInput {
                        organisation_id: one(&f, "organisation_id"),
                        name: one(&f, "name"),
                        id_number: one(&f, "id_number"),
                        certificate: one(&f, "certificate"),
                        hired_on: date("hired_on", "入职日期", &one(&f, "hired_on"))?,
                    },
                )
                .await?;
                Ok("已登记养老护理员")
            }
            "training" => {
                staff::add_training(
                    &app,
                    &p.ctx,
                    &one(&f, "carer_id"),
                    staff::TrainingInput {
                        trained_on: date("trained_on", "培训日期", &one(&f, "trained_on"))?,
                        course: one(&f, "course"),
                        hours: number("hours", "培训学时", &one(&f, "hours"))?,
                        base_id: Some(one(&f, "base_id")),
                        passed: one(&f, "passed") == "1",
                    },
                )
                .await?;
                Ok("已登记培训记录")
            }
            "volunteer" => {
                staff::add_volunteer(
                    &app,
                    &p.ctx,
                    staff::VolunteerInput {
                        name: one(&f, "name"),
                        phone: one(&f, "phone"),
                        area_code: one(&f, "area_code"),
                        registered_on: date(
                            "registered_on",
                            "登记日期",
                            &one(&f, "registered_on"),
                        )?,
                    },
                )
                .await?;
                Ok("已登记志愿者")
            }
            _ => Err(AppError::NotFound("操作".into())),
        }
    }
    .await;
    let (m, e) = outcome(r)?;
    staff_page(&app, &p, &staff::StaffQuery::default(), m, e).await
}
