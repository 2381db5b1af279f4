//! 机构和组织: the organisation registry's pages.

use super::{AreaOption, Nav, area_options, enc, render};
use crate::app::App;
use crate::app::authz::Permission;
use crate::app::organisations::{self, Filter, OrgInput};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use minzheng_domain::orgs::OrgKind;

pub const LINE: Line = Line {
    code: "organisations",
    name: "机构和组织",
    api: crate::web::api::organisations::routes,
    read: Permission::ReadOrganisations,
    pages,
    menu: &[MenuItem {
        label: "机构和组织登记",
        href: "/organisations",
        permission: Permission::ReadOrganisations,
    }],
};

fn pages() -> Router<App> {
    Router::new().route("/organisations", get(list).post(create))
}

pub struct Row {
    pub name: String,
    pub credit_code: String,
    pub kind: &'static str,
    pub area: String,
    pub legal_rep: String,
    pub registered_on: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct Page {
    nav: Nav,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    kinds: Vec<(&'static str, &'static str)>,
    areas: Vec<AreaOption>,
    can_manage: bool,
    q: Query_,
    more: String,
    form: OrgInput,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Query_ {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
}

async fn page(
    app: &App,
    p: &PageCtx,
    q: Query_,
    form: OrgInput,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let f = Filter {
        kind: Some(q.kind.clone()),
        area: Some(q.area.clone()),
        q: Some(q.q.clone()),
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let (list, total) = organisations::list(app, &p.ctx, &f, page_no).await?;
    let areas = app.areas();
    let rows = list
        .into_iter()
        .map(|o| Row {
            kind: OrgKind::parse(&o.kind).map(|k| k.label()).unwrap_or("其他"),
            area: areas.full_name(&o.area_code),
            registered_on: o.registered_on.map(|d| d.to_string()).unwrap_or_default(),
            status: if o.status == "active" {
                "正常"
            } else {
                "注销/停办"
            },
            name: o.name,
            credit_code: o.credit_code,
            legal_rep: o.legal_rep,
        })
        .collect();
    render(&Page {
        nav: Nav::of(app, p),
        rows,
        total,
        page: page_no,
        pages: ((total + organisations::PAGE - 1) / organisations::PAGE).max(1),
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        areas: area_options(app, p),
        can_manage: p.ctx.actor.can(Permission::ManageOrganisations),
        more: format!(
            "kind={}&area={}&q={}",
            enc(&q.kind),
            enc(&q.area),
            enc(&q.q)
        ),
        q,
        form,
        message,
        error,
    })
}

async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<Query_>,
) -> Result<Response, PageError> {
    page(&app, &p, q, OrgInput::default(), None, None).await
}

async fn create(
    State(app): State<App>,
    p: PageCtx,
    Form(n): Form<OrgInput>,
) -> Result<Response, PageError> {
    match organisations::create(&app, &p.ctx, n.clone()).await {
        Ok(o) => {
            let msg = format!("已登记：{}（{}）", o.name, o.credit_code);
            page(
                &app,
                &p,
                Query_::default(),
                OrgInput::default(),
                Some(msg),
                None,
            )
            .await
        }
        // the form keeps what was typed
        Err(e) => page(&app, &p, Query_::default(), n, None, Some(e.to_string())).await,
    }
}
