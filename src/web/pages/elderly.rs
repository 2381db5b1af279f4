//! 养老服务: the capability assessment form (scored by the same rule as the API) and the assessments due.

use super::filters;
use super::{Nav, render};
use crate::app::App;
use crate::app::authz::{Permission, Role};
use crate::app::elderly::allowance;
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use minzheng_domain::elderly::{AllowanceBand, CapabilityScore, ITEMS};
use std::collections::HashMap;

pub const LINE: Line = Line {
    code: "elderly",
    name: "养老服务",
    api: crate::web::api::elderly::routes,
    read: Permission::ReadElderly,
    pages,
    menu: &[
        MenuItem {
            label: "老年人能力评估",
            href: "/elderly/capability",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "高龄津贴",
            href: "/elderly/allowance",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "社区养老设施",
            href: "/elderly/facilities",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "居家养老援助",
            href: "/elderly/home-care",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "适老化改造",
            href: "/elderly/adaptations",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "家庭照护床位",
            href: "/elderly/care-beds",
            permission: Permission::ReadElderly,
        },
        MenuItem {
            label: "护理员和志愿者",
            href: "/elderly/staff",
            permission: Permission::ReadElderly,
        },
    ],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/elderly/capability", get(form).post(score))
        .route("/elderly/allowance", get(allowance_page))
        .route("/elderly/allowance/standards", post(allowance_standard))
        .route("/elderly/accounts/{person_id}", post(allowance_account))
        .merge(super::elderly_services::pages())
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

#[derive(Template)]
#[template(path = "elderly_allowance.html")]
struct AllowancePage {
    nav: Nav,
    month: String,
    summary: allowance::Summary,
    missing: allowance::MissingPage,
    standards: Vec<allowance::StandardView>,
    bands: Vec<(&'static str, &'static str)>,
    can_set: bool,
    can_record: bool,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct MonthForm {
    #[serde(default)]
    month: String,
    page: Option<i64>,
}

async fn allowance_view(
    app: &App,
    p: &PageCtx,
    month: &str,
    page: i64,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    // a bad month falls back to this month, with the reason shown
    let (month, summary, error) = match allowance::summary(app, &p.ctx, month).await {
        Ok(summary) => (month.to_string(), summary, error),
        Err(e) => {
            let today = app.today().format("%Y-%m").to_string();
            let summary = allowance::summary(app, &p.ctx, &today).await?;
            (today, summary, error.or(Some(e.to_string())))
        }
    };
    let a = &p.ctx.actor;
    render(&AllowancePage {
        nav: Nav::of(app, p),
        summary,
        missing: allowance::missing_accounts(app, &p.ctx, &month, page).await?,
        standards: allowance::standards(app, &p.ctx).await?,
        bands: AllowanceBand::ALL
            .iter()
            .map(|b| (b.code(), b.label()))
            .collect(),
        can_set: a.role == Role::CityOfficer && a.can(Permission::HandleAllowance),
        can_record: a.can(Permission::HandleAllowance),
        month,
        message,
        error,
    })
}

async fn allowance_page(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<MonthForm>,
) -> Result<Response, PageError> {
    let month = if q.month.trim().is_empty() {
        app.today().format("%Y-%m").to_string()
    } else {
        q.month.trim().to_string()
    };
    allowance_view(&app, &p, &month, q.page.unwrap_or(1), None, None).await
}

async fn allowance_standard(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let n = allowance::NewStandard {
        band: get("band"),
        effective_from: get("effective_from"),
        monthly_amount: get("monthly_amount"),
        reason: get("reason"),
    };
    let month = app.today().format("%Y-%m").to_string();
    match allowance::set_standard(&app, &p.ctx, n).await {
        Ok(_) => allowance_view(&app, &p, &month, 1, Some("已设定高龄津贴标准".into()), None).await,
        Err(e) => allowance_view(&app, &p, &month, 1, None, Some(e.to_string())).await,
    }
}

async fn allowance_account(
    State(app): State<App>,
    p: PageCtx,
    Path(person_id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = allowance::AccountInput {
        bank_account: f.get("bank_account").cloned().unwrap_or_default(),
    };
    let month = f
        .get("month")
        .cloned()
        .unwrap_or_else(|| app.today().format("%Y-%m").to_string());
    match allowance::set_account(&app, &p.ctx, &person_id, n).await {
        Ok(()) => allowance_view(&app, &p, &month, 1, Some("已登记一卡通账号".into()), None).await,
        Err(e) => allowance_view(&app, &p, &month, 1, None, Some(e.to_string())).await,
    }
}
