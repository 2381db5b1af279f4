//! 儿童福利 pages: state guardianship (国家监护), adoption registration (收养登记) with its home assessment and the
//! printable 收养评估报告 (A4), and the registry's children as the classify rule sees them (儿童认定变化).

use super::children::{date, shown};
use super::{AreaOption, Nav, area_options, filters, render};
use crate::app::authz::{Permission, Role};
use crate::app::children::protection::{
    self, AdoptionDetail, AdoptionView, Assessment, EndGuardianship, GuardianshipDetail,
    GuardianshipView, NewAdopter, NewAdoption, NewGuardianship, ProtectionQuery, RefuseAdoption,
    RegisterAdoption,
};
use crate::app::children::reclassify::{
    self, ClassificationChange, ClassifiedChild, ClassifiedQuery,
};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn pages() -> Router<App> {
    Router::new()
        .route(
            "/children/guardianships",
            get(guardianships_page).post(start),
        )
        .route("/children/guardianships/{id}", get(guardianship_page))
        .route("/children/guardianships/{id}/end", post(end))
        .route("/children/adoptions", get(adoptions_page).post(file))
        .route("/children/adoptions/{id}", get(adoption_page))
        .route("/children/adoptions/{id}/assessment", post(assess))
        .route("/children/adoptions/{id}/register", post(register))
        .route("/children/adoptions/{id}/refuse", post(refuse))
        .route("/children/adoptions/{id}/report", get(report))
        .route(
            "/children/classifications",
            get(classifications_page).post(run),
        )
}

fn checked(v: &str) -> bool {
    !v.trim().is_empty()
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    area: String,
}

impl ListQuery {
    fn query(&self) -> ProtectionQuery {
        ProtectionQuery {
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            area: Some(self.area.clone()).filter(|s| !s.is_empty()),
        }
    }
}

/// A history as the pages' tables show it: (time, step, note, by).
fn steps(h: &[protection::StepView]) -> Vec<(String, String, String, String)> {
    h.iter()
        .map(|h| {
            (
                crate::util::local_time(&h.changed_at),
                protection::step_label(&h.action).to_string(),
                h.note.clone(),
                h.changed_by.clone(),
            )
        })
        .collect()
}

// ---------- guardianship ----------

#[derive(Template)]
#[template(path = "children_guardianships.html")]
struct GuardiansPage {
    nav: Nav,
    items: Vec<GuardianshipView>,
    total: i64,
    areas: Vec<AreaOption>,
    q: ListQuery,
    can_start: bool,
    kinds: Vec<(&'static str, &'static str)>,
    bases: Vec<(&'static str, &'static str, &'static str)>,
    orgs: Vec<(String, String)>,
    form: GuardForm,
    today: String,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct GuardForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    circumstance: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    start_on: String,
    #[serde(default)]
    planned_end: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
}

async fn guardians_view(
    app: &App,
    p: &PageCtx,
    q: ListQuery,
    form: GuardForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let l = protection::guardianships(app, &p.ctx, &q.query()).await?;
    let can_start = p.ctx.actor.can(Permission::DecideChildAllowances);
    render(&GuardiansPage {
        nav: Nav::of(app, p),
        items: l.items,
        total: l.total,
        areas: area_options(app, p),
        q,
        orgs: if can_start {
            protection::guardian_orgs(app, &p.ctx).await?
        } else {
            vec![]
        },
        can_start,
        kinds: protection::KINDS.to_vec(),
        bases: protection::BASES.to_vec(),
        form,
        today: app.today().to_string(),
        error,
    })
}

async fn guardianships_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    guardians_view(&app, &p, q, GuardForm::default(), None).await
}

async fn start(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<GuardForm>,
) -> Result<Response, PageError> {
    let r = async {
        let person_id =
            crate::app::children::person_by_id_number(&app, &p.ctx, &f.id_number).await?;
        let planned_end = if f.planned_end.trim().is_empty() {
            None
        } else {
            Some(date("planned_end", "预计结束日期", &f.planned_end)?)
        };
        protection::start_guardianship(
            &app,
            &p.ctx,
            NewGuardianship {
                person_id,
                kind: f.kind.clone(),
                legal_basis: f.legal_basis.clone(),
                circumstance: f.circumstance.clone(),
                org_id: f.org_id.clone(),
                start_on: date("start_on", "监护开始日期", &f.start_on)?,
                planned_end,
            },
        )
        .await
    }
    .await;
    match r {
        Ok(g) => Ok(Redirect::to(&format!("/children/guardianships/{}", g.id)).into_response()),
        Err(e) => {
            let msg = shown(e)?;
            guardians_view(&app, &p, ListQuery::default(), f, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "children_guardianship.html")]
struct GuardianPage {
    nav: Nav,
    d: GuardianshipDetail,
    history: Vec<(String, String, String, String)>,
    can_end: bool,
    today: String,
    error: Option<String>,
}

async fn guardian_view(
    app: &App,
    p: &PageCtx,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = protection::guardianship_detail(app, &p.ctx, id).await?;
    let history = steps(&d.history);
    render(&GuardianPage {
        nav: Nav::of(app, p),
        can_end: d.guardianship.status == "active"
            && p.ctx.actor.can(Permission::DecideChildAllowances),
        history,
        d,
        today: app.today().to_string(),
        error,
    })
}

async fn guardianship_page(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    guardian_view(&app, &p, &id, None).await
}

async fn end(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<GuardForm>,
) -> Result<Response, PageError> {
    let r = match date("on", "结束日期", &f.on) {
        Ok(on) => {
            protection::end_guardianship(
                &app,
                &p.ctx,
                &id,
                EndGuardianship {
                    on,
                    reason: f.reason,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/children/guardianships/{id}")).into_response()),
        Err(e) => {
            let msg = shown(e)?;
            guardian_view(&app, &p, &id, Some(msg)).await
        }
    }
}

// ---------- adoption ----------

#[derive(Template)]
#[template(path = "children_adoptions.html")]
struct AdoptionsPage {
    nav: Nav,
    items: Vec<AdoptionView>,
    total: i64,
    late: i64,
    areas: Vec<AreaOption>,
    q: ListQuery,
    can_file: bool,
    form: AdoptionForm,
    today: String,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct AdoptionForm {
    #[serde(default)]
    child_id_number: String,
    #[serde(default)]
    a1_name: String,
    #[serde(default)]
    a1_id_number: String,
    #[serde(default)]
    a1_able: String,
    #[serde(default)]
    a1_illness: String,
    #[serde(default)]
    a1_record: String,
    #[serde(default)]
    a2_name: String,
    #[serde(default)]
    a2_id_number: String,
    #[serde(default)]
    a2_able: String,
    #[serde(default)]
    a2_illness: String,
    #[serde(default)]
    a2_record: String,
    #[serde(default)]
    has_spouse: String,
    #[serde(default)]
    children: String,
    #[serde(default)]
    adopting: String,
    #[serde(default)]
    foundling: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    filed_on: String,
}

fn can_file(p: &PageCtx) -> bool {
    p.ctx.actor.can(Permission::HandleChildren) && p.ctx.actor.role != Role::VillageWorker
}

async fn adoptions_view(
    app: &App,
    p: &PageCtx,
    q: ListQuery,
    form: AdoptionForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let l = protection::adoptions(app, &p.ctx, &q.query()).await?;
    render(&AdoptionsPage {
        nav: Nav::of(app, p),
        items: l.items,
        total: l.total,
        late: l.late,
        areas: area_options(app, p),
        q,
        can_file: can_file(p),
        form,
        today: app.today().to_string(),
        error,
    })
}

async fn adoptions_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    adoptions_view(&app, &p, q, AdoptionForm::default(), None).await
}

fn count(field: &str, label: &str, v: &str, default: u32) -> Result<u32, AppError> {
    if v.trim().is_empty() {
        return Ok(default);
    }
    v.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, format!("{label}应为整数")))
}

async fn file(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<AdoptionForm>,
) -> Result<Response, PageError> {
    let r = async {
        let person_id =
            crate::app::children::person_by_id_number(&app, &p.ctx, &f.child_id_number).await?;
        let mut adopters = vec![NewAdopter {
            name: f.a1_name.clone(),
            id_number: f.a1_id_number.clone(),
            able_to_raise: checked(&f.a1_able),
            disqualifying_illness: checked(&f.a1_illness),
            harmful_record: checked(&f.a1_record),
        }];
        if !f.a2_id_number.trim().is_empty() || !f.a2_name.trim().is_empty() {
            adopters.push(NewAdopter {
                name: f.a2_name.clone(),
                id_number: f.a2_id_number.clone(),
                able_to_raise: checked(&f.a2_able),
                disqualifying_illness: checked(&f.a2_illness),
                harmful_record: checked(&f.a2_record),
            });
        }
        protection::file_adoption(
            &app,
            &p.ctx,
            NewAdoption {
                person_id,
                adopters,
                has_spouse: checked(&f.has_spouse),
                children: count("children", "现有子女数", &f.children, 0)?,
                adopting: Some(count("adopting", "本次收养人数", &f.adopting, 1)?),
                foundling: checked(&f.foundling),
                phone: f.phone.clone(),
                address: f.address.clone(),
                filed_on: date("filed_on", "受理日期", &f.filed_on)?,
            },
        )
        .await
    }
    .await;
    match r {
        Ok(a) => Ok(Redirect::to(&format!("/children/adoptions/{}", a.id)).into_response()),
        Err(e) => {
            let msg = shown(e)?;
            adoptions_view(&app, &p, ListQuery::default(), f, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "children_adoption.html")]
struct AdoptionPage {
    nav: Nav,
    d: AdoptionDetail,
    items: Vec<(&'static str, String)>,
    history: Vec<(String, String, String, String)>,
    can_assess: bool,
    can_decide: bool,
    today: String,
    error: Option<String>,
}

async fn adoption_view(
    app: &App,
    p: &PageCtx,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = protection::adoption_detail(app, &p.ctx, id).await?;
    let history = steps(&d.history);
    let stage = d.adoption.stage.clone();
    render(&AdoptionPage {
        nav: Nav::of(app, p),
        items: d
            .adoption
            .assessment
            .as_ref()
            .map(protection::assessment_items)
            .unwrap_or_default(),
        can_assess: stage == "filed" && can_file(p),
        can_decide: matches!(stage.as_str(), "filed" | "assessed")
            && p.ctx.actor.can(Permission::DecideChildAllowances),
        history,
        d,
        today: app.today().to_string(),
        error,
    })
}

async fn adoption_page(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    adoption_view(&app, &p, &id, None).await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct AssessForm {
    #[serde(default)]
    assessed_on: String,
    #[serde(default)]
    assessor1: String,
    #[serde(default)]
    assessor2: String,
    #[serde(default)]
    assessor3: String,
    #[serde(default)]
    motive: String,
    #[serde(default)]
    character: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    finances_housing: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    parenting_plan: String,
    #[serde(default)]
    bonding: String,
    #[serde(default)]
    suitable: String,
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    registered_on: String,
    #[serde(default)]
    reason: String,
}

async fn assess(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<AssessForm>,
) -> Result<Response, PageError> {
    let r = match date("assessed_on", "评估日期", &f.assessed_on) {
        Ok(assessed_on) => {
            protection::assess(
                &app,
                &p.ctx,
                &id,
                Assessment {
                    assessed_on,
                    assessors: [f.assessor1, f.assessor2, f.assessor3]
                        .into_iter()
                        .filter(|s| !s.trim().is_empty())
                        .collect(),
                    motive: f.motive,
                    character: f.character,
                    health: f.health,
                    finances_housing: f.finances_housing,
                    family: f.family,
                    parenting_plan: f.parenting_plan,
                    bonding: f.bonding,
                    suitable: f.suitable == "yes",
                    conclusion: f.conclusion,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    after(&app, &p, &id, r.map(|_| ())).await
}

async fn after(
    app: &App,
    p: &PageCtx,
    id: &str,
    r: Result<(), AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/children/adoptions/{id}")).into_response()),
        Err(e) => {
            let msg = shown(e)?;
            adoption_view(app, p, id, Some(msg)).await
        }
    }
}

async fn register(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<AssessForm>,
) -> Result<Response, PageError> {
    let r = match date("registered_on", "登记日期", &f.registered_on) {
        Ok(registered_on) => {
            protection::register_adoption(&app, &p.ctx, &id, RegisterAdoption { registered_on })
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    after(&app, &p, &id, r).await
}

async fn refuse(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<AssessForm>,
) -> Result<Response, PageError> {
    let r = protection::refuse_adoption(&app, &p.ctx, &id, RefuseAdoption { reason: f.reason })
        .await
        .map(|_| ());
    after(&app, &p, &id, r).await
}

#[derive(Template)]
#[template(path = "children_adoption_report.html")]
struct ReportPage {
    a: AdoptionView,
    s: Assessment,
    items: Vec<(&'static str, String)>,
    town: String,
}

/// The 收养评估报告 on A4: the child and adopters (masked), the rule's check, each item, the conclusion.
async fn report(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let a = protection::adoption_get(&app, &p.ctx, &id).await?;
    let s = a
        .assessment
        .clone()
        .ok_or_else(|| PageError(AppError::NotFound("收养评估报告".into())))?;
    render(&ReportPage {
        items: protection::assessment_items(&s),
        town: a.town.clone(),
        a,
        s,
    })
}

// ---------- classifications ----------

#[derive(Template)]
#[template(path = "children_classifications.html")]
struct ClassPage {
    nav: Nav,
    items: Vec<ClassifiedChild>,
    changes: Vec<ClassificationChange>,
    total: i64,
    unregistered: i64,
    areas: Vec<AreaOption>,
    area: String,
    only_unregistered: bool,
    can_run: bool,
    message: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ClassQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    unregistered: String,
}

async fn class_view(
    app: &App,
    p: &PageCtx,
    q: ClassQuery,
    message: Option<String>,
) -> Result<Response, PageError> {
    let only = checked(&q.unregistered);
    let c = reclassify::classified(
        app,
        &p.ctx,
        &ClassifiedQuery {
            category: None,
            unregistered: Some(only),
            area: Some(q.area.clone()).filter(|a| !a.is_empty()),
        },
    )
    .await?;
    render(&ClassPage {
        nav: Nav::of(app, p),
        items: c.items,
        changes: c.changes,
        total: c.total,
        unregistered: c.unregistered,
        areas: area_options(app, p),
        area: q.area,
        only_unregistered: only,
        can_run: p.ctx.actor.can(Permission::DecideChildAllowances)
            && p.ctx.actor.in_scope(&app.areas().city_code),
        message,
    })
}

async fn classifications_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ClassQuery>,
) -> Result<Response, PageError> {
    class_view(&app, &p, q, None).await
}

async fn run(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    let m = match reclassify::run(&app, &p.ctx).await {
        Ok(s) => format!(
            "已重新认定：儿童 {} 名，属于孤儿或事实无人抚养儿童 {} 名，本次变化 {} 名",
            s.children, s.classified, s.changed
        ),
        Err(e) => shown(e)?,
    };
    class_view(&app, &p, ClassQuery::default(), Some(m)).await
}
