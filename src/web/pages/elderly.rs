//! 养老服务: the capability assessment form (scored by the same rule as the API) and the assessments due.

use super::{Nav, render};
use crate::app::App;
use crate::app::authz::Permission;
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use minzheng_domain::elderly::{CapabilityScore, ITEMS};
use std::collections::HashMap;

pub const LINE: Line = Line {
    code: "elderly",
    name: "养老服务",
    api: crate::web::api::elderly::routes,
    read: Permission::ReadElderly,
    pages,
    menu: &[MenuItem {
        label: "老年人能力评估",
        href: "/elderly/capability",
        permission: Permission::ReadElderly,
    }],
};

fn pages() -> Router<App> {
    Router::new().route("/elderly/capability", get(form).post(score))
}

pub struct ItemField {
    pub code: &'static str,
    pub name: &'static str,
    pub max: u8,
    pub value: u8,
}

pub struct DueRow {
    pub area: String,
    pub assessed_on: chrono::NaiveDate,
    pub level_name: String,
    pub next_due_on: chrono::NaiveDate,
}

#[derive(Template)]
#[template(path = "elderly_capability.html")]
struct Page {
    nav: Nav,
    items: Vec<ItemField>,
    coma: bool,
    dementia: bool,
    events: u32,
    result: Option<CapabilityScore>,
    due: Vec<DueRow>,
    error: Option<String>,
}

async fn page(
    app: &App,
    p: &PageCtx,
    values: &HashMap<String, String>,
    result: Option<CapabilityScore>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let items = ITEMS
        .iter()
        .map(|(code, name, max)| ItemField {
            code,
            name,
            max: *max,
            value: values
                .get(*code)
                .and_then(|v| v.parse().ok())
                .unwrap_or(*max),
        })
        .collect();
    let areas = app.areas();
    let due = crate::app::elderly::due(app, &p.ctx, app.today(), None)
        .await?
        .into_iter()
        .map(|r| DueRow {
            area: areas.full_name(&r.area_code),
            assessed_on: r.assessed_on,
            level_name: r.level_name,
            next_due_on: r.next_due_on,
        })
        .collect();
    render(&Page {
        nav: Nav::of(app, p),
        items,
        coma: values.contains_key("coma"),
        dementia: values.contains_key("dementia_or_mental_disorder"),
        events: values
            .get("care_risk_events_30d")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        result,
        due,
        error,
    })
}

async fn form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    page(&app, &p, &HashMap::new(), None, None).await
}

/// The form posts flat fields; they become the API's body, so the page and the API answer alike.
async fn score(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mut items = serde_json::Map::new();
    for (code, _, _) in ITEMS {
        if let Some(v) = f.get(*code) {
            items.insert(
                (*code).into(),
                v.trim()
                    .parse::<i64>()
                    .map(serde_json::Value::from)
                    .unwrap_or_else(|_| serde_json::Value::from(v.as_str())),
            );
        }
    }
    let events = f
        .get("care_risk_events_30d")
        .map(|v| v.trim())
        .unwrap_or("0");
    let body = serde_json::json!({
        "items": items,
        "coma": f.contains_key("coma"),
        "dementia_or_mental_disorder": f.contains_key("dementia_or_mental_disorder"),
        "care_risk_events_30d": events.parse::<i64>().map(serde_json::Value::from).unwrap_or_else(|_| serde_json::Value::from(events)),
    });
    match crate::app::elderly::score(&p.ctx, &body) {
        Ok(r) => page(&app, &p, &f, Some(r), None).await,
        Err(e) => page(&app, &p, &f, None, Some(e.to_string())).await,
    }
}
