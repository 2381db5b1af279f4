use super::{AreaOption, Nav, area_options, enc, render, village_options};
use crate::app::authz::Permission;
use crate::app::registry::{
    self, HouseholdView, NewHousehold, NewPerson, PersonUpdate, PersonView,
};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minzheng_domain::idnumber::Sex;

pub const LINE: Line = Line {
    code: "registry",
    name: "居民信息库",
    api: crate::web::api::persons::routes,
    read: Permission::ReadRegistry,
    pages,
    menu: &[
        MenuItem {
            label: "人员查询",
            href: "/persons",
            permission: Permission::ReadRegistry,
        },
        MenuItem {
            label: "登记人员",
            href: "/persons/new",
            permission: Permission::WriteRegistry,
        },
        MenuItem {
            label: "新建家庭",
            href: "/households/new",
            permission: Permission::WriteRegistry,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/persons", get(list))
        .route("/persons/export.csv", get(export))
        .route("/persons/new", get(new_form).post(create))
        .route("/persons/pick", get(super::picker::fragment))
        .route("/persons/{id}", get(show))
        .route("/persons/{id}/reveal", post(reveal))
        .route("/persons/{id}/status", post(update_status))
        .route(
            "/households/new",
            get(new_household_form).post(create_household),
        )
        .route("/households/{id}", get(household))
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub id_number_masked: String,
    pub sex_label: String,
    pub birth_date: chrono::NaiveDate,
    pub area_name: String,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct ListPage {
    nav: Nav,
    q: String,
    q_enc: String,
    area: String,
    area_options: Vec<AreaOption>,
    items: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    area: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let text = q.q.unwrap_or_default();
    let area = q
        .area
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| p.ctx.actor.area_code.clone());
    let page = q.page.unwrap_or(1).max(1);
    let (items, total) = registry::search(&app, &p.ctx, &text, Some(&area), page).await?;
    let idx = app.areas();
    let items = items
        .into_iter()
        .map(|i| Row {
            sex_label: Sex::from_code(&i.sex).map(Sex::label).unwrap_or("").into(),
            area_name: idx.full_name(&i.area_code),
            id: i.id,
            name: i.name,
            id_number_masked: i.id_number_masked,
            birth_date: i.birth_date,
        })
        .collect();
    render(&ListPage {
        nav: Nav::of(&app, &p),
        q_enc: enc(&text),
        q: text,
        area,
        area_options: area_options(&app, &p),
        items,
        total,
        page,
        pages: ((total + registry::PAGE_SIZE - 1) / registry::PAGE_SIZE).max(1),
    })
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(crate::web::api::persons::csv_export(
        app,
        &p.ctx,
        q.q.as_deref().unwrap_or(""),
        q.area.as_deref().filter(|a| !a.is_empty()),
    )
    .await?)
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    nav: Nav,
    p: PersonView,
    statuses: Vec<(&'static str, &'static str)>,
    message: Option<String>,
}

async fn person_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    reveal: bool,
    message: Option<String>,
) -> Result<Response, PageError> {
    let view = registry::get(app, &p.ctx, id, reveal).await?;
    render(&PersonPage {
        nav: Nav::of(app, p),
        p: view,
        statuses: registry::STATUSES.to_vec(),
        message,
    })
}

pub async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    person_page(&app, &p, &id, false, None).await
}

/// Full view through a POST, so it is CSRF-protected and never triggered by a link or prefetch.
pub async fn reveal(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    person_page(
        &app,
        &p,
        &id,
        true,
        Some("已显示完整信息，本次查看已记入审计日志".into()),
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct StatusForm {
    status: String,
    phone: Option<String>,
}

pub async fn update_status(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    let upd = PersonUpdate {
        name: None,
        phone: f.phone.filter(|x| !x.trim().is_empty()),
        address: None,
        status: Some(f.status),
        area_code: None,
    };
    registry::update(&app, &p.ctx, &id, upd).await?;
    person_page(&app, &p, &id, false, Some("已保存".into())).await
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    nav: Nav,
    h: HouseholdView,
}

pub async fn household(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let h = registry::household(&app, &p.ctx, &id).await?;
    render(&HouseholdPage {
        nav: Nav::of(&app, &p),
        h,
    })
}

#[derive(Default, serde::Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    household_id: String,
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewPersonPage {
    nav: Nav,
    form: PersonForm,
    household_id: String,
    village_options: Vec<AreaOption>,
    relations: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    household: Option<String>,
    area: Option<String>,
}

pub async fn new_form(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let form = PersonForm {
        area_code: q.area.unwrap_or_default(),
        relation: if q.household.is_some() {
            "spouse".into()
        } else {
            "self".into()
        },
        ..Default::default()
    };
    render(&NewPersonPage {
        nav: Nav::of(&app, &p),
        household_id: q.household.unwrap_or_default(),
        form,
        village_options: village_options(&app, &p),
        relations: registry::RELATIONS.to_vec(),
        error: None,
    })
}

pub async fn create(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<PersonForm>,
) -> Result<Response, PageError> {
    let n = NewPerson {
        id_number: f.id_number.clone(),
        name: f.name.clone(),
        phone: f.phone.clone(),
        address: f.address.clone(),
        area_code: f.area_code.clone(),
        hukou_area_code: None,
        household_id: Some(f.household_id.clone()).filter(|h| !h.is_empty()),
        relation: Some(f.relation.clone()).filter(|r| !r.is_empty()),
    };
    match registry::create(&app, &p.ctx, n).await {
        Ok(v) => Ok(Redirect::to(&format!("/persons/{}", v.id)).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => render(&NewPersonPage {
            nav: Nav::of(&app, &p),
            household_id: f.household_id.clone(),
            error: Some(e.to_string()),
            form: f,
            village_options: village_options(&app, &p),
            relations: registry::RELATIONS.to_vec(),
        }),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "household_new.html")]
struct NewHouseholdPage {
    nav: Nav,
    village_options: Vec<AreaOption>,
    error: Option<String>,
}

pub async fn new_household_form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    render(&NewHouseholdPage {
        nav: Nav::of(&app, &p),
        village_options: village_options(&app, &p),
        error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct HouseholdForm {
    area_code: String,
    address: String,
}

pub async fn create_household(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<HouseholdForm>,
) -> Result<Response, PageError> {
    let area = f.area_code.clone();
    match registry::create_household(
        &app,
        &p.ctx,
        NewHousehold {
            area_code: f.area_code,
            address: f.address,
        },
    )
    .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/persons/new?household={id}&area={area}")).into_response())
        }
        Err(e @ AppError::Invalid { .. }) => render(&NewHouseholdPage {
            nav: Nav::of(&app, &p),
            village_options: village_options(&app, &p),
            error: Some(e.to_string()),
        }),
        Err(e) => Err(e.into()),
    }
}
