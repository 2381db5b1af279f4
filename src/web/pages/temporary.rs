use super::list::{ListView, xlsx_download};
use super::picker::{PickQuery, Picker};
use super::{Nav, filters, render};
use crate::app::assistance::temporary::{self, Batch, GrantItem, NewGrant};
use crate::app::authz::Role;
use crate::app::listing::ListParams;
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "temporary.html")]
struct Page {
    nav: Nav,
    items: Vec<GrantItem>,
    list: ListView,
    is_town: bool,
    is_city: bool,
    /// The towns a batch may go to, by name.
    towns: Vec<(String, String)>,
    /// What was typed into the request form, kept when it comes back with an error.
    typed: NewGrant,
    /// Who the grant is for, chosen by name rather than typed.
    picker: Picker,
    message: Option<String>,
    error: Option<String>,
}

async fn page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let typed = NewGrant {
        person_id: String::new(),
        amount: String::new(),
        form: "cash".into(),
        reason: String::new(),
    };
    page_with(
        app,
        p,
        &ListParams::default(),
        &PickQuery::default(),
        typed,
        message,
        error,
    )
    .await
}

const LIST_PATH: &str = "/assistance/temporary";

async fn page_with(
    app: &App,
    p: &PageCtx,
    l: &ListParams,
    pick: &PickQuery,
    typed: NewGrant,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = temporary::list(app, &p.ctx, l).await?;
    // a form sent back with an error keeps the person it was for
    let mut pick = pick.clone();
    if pick.person.is_empty() && typed.person_id.len() == 36 {
        pick.person = typed.person_id.clone();
    }
    let picker = Picker::load(app, p, LIST_PATH, &pick).await?;
    let list = ListView::new(app, p, LIST_PATH, &temporary::list_spec(), l, &page);
    render(&Page {
        nav: Nav::of(app, p),
        items: page.items,
        list,
        is_town: p.ctx.actor.role == Role::TownOfficer,
        is_city: p.ctx.actor.role == Role::CityOfficer,
        towns: areas_in_scope(app, p),
        typed,
        picker,
        message,
        error,
    })
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    xlsx_download(temporary::export(&app, &p.ctx, &l).await?, "temporary.xlsx").await
}

fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_) => {
            Ok(e.to_string())
        }
        other => Err(other.into()),
    }
}

pub async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
    Query(pick): Query<PickQuery>,
) -> Result<Response, PageError> {
    let typed = NewGrant {
        person_id: String::new(),
        amount: String::new(),
        form: "cash".into(),
        reason: String::new(),
    };
    page_with(&app, &p, &l, &pick, typed, None, None).await
}

/// The towns in the user's scope, by name.
fn areas_in_scope(app: &App, p: &PageCtx) -> Vec<(String, String)> {
    let areas = app.areas();
    let mut towns: Vec<(String, String)> = areas
        .children(&areas.city_code)
        .iter()
        .filter(|t| p.ctx.actor.in_scope(&t.code))
        .map(|t| (t.code.clone(), t.name.clone()))
        .collect();
    towns.sort();
    towns
}

pub async fn create(
    State(app): State<App>,
    p: PageCtx,
    Form(n): Form<NewGrant>,
) -> Result<Response, PageError> {
    match temporary::request(&app, &p.ctx, n.clone()).await {
        Ok(g) => {
            page(
                &app,
                &p,
                Some(if g.status == "approved" {
                    "已批准".into()
                } else {
                    "已报市局审批".into()
                }),
                None,
            )
            .await
        }
        // the form keeps what was typed
        Err(e) => {
            let error = Some(shown(e)?);
            let l = ListParams::default();
            page_with(&app, &p, &l, &PickQuery::default(), n, None, error).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    approve: String,
}

pub async fn decide(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    match temporary::decide(&app, &p.ctx, &id, f.approve == "true").await {
        Ok(_) => page(&app, &p, Some("已审批".into()), None).await,
        Err(e) => page(&app, &p, None, Some(shown(e)?)).await,
    }
}

#[derive(serde::Deserialize)]
pub struct BatchForm {
    batch: String,
    category: String,
    amount: String,
    reason: String,
    /// One checkbox per town, named `town_<code>`; none ticked is the whole city.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn batch(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<BatchForm>,
) -> Result<Response, PageError> {
    let b = Batch {
        towns: f
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("town_"))
            .map(str::to_string)
            .collect(),
        category: f.category,
        amount: f.amount,
        reason: f.reason,
        batch: f.batch,
    };
    match temporary::batch(&app, &p.ctx, b).await {
        Ok(n) => page(&app, &p, Some(format!("已向 {n} 户发放")), None).await,
        Err(e) => page(&app, &p, None, Some(shown(e)?)).await,
    }
}
