use super::{Nav, render};
use crate::app::authz::Permission;
use crate::app::{App, registry};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub struct Bar {
    pub label: String,
    pub value: i64,
    pub width: i64,
    pub y: i64,
}

/// Horizontal bars scaled to 500 px for the largest value.
pub fn bars(rows: &[(String, i64)]) -> Vec<Bar> {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    rows.iter()
        .enumerate()
        .map(|(i, (label, v))| Bar {
            label: label.clone(),
            value: *v,
            width: v * 500 / max,
            y: i as i64 * 22,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    persons: i64,
    households: i64,
    elderly_60: i64,
    elderly_share: String,
    elderly_80_alone: i64,
    disabled: i64,
    seriously_ill: i64,
    bars: Vec<Bar>,
    chart_height: i64,
}

pub async fn home(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    // the three administrators (三员分立) see no business figures: each starts on its own page
    let a = &p.ctx.actor;
    if !a.can(Permission::ReadRegistry) {
        let to = if a.can(Permission::ManageUsers) {
            "/admin/users"
        } else if a.can(Permission::ManagePolicy) {
            "/security/policy"
        } else if a.can(Permission::ReadAudit) {
            "/audit"
        } else {
            "/account"
        };
        return Ok(axum::response::Redirect::to(to).into_response());
    }
    let h = registry::home_counts(&app, &p.ctx).await?;
    let c = &h.counts;
    let share = if c.persons > 0 {
        format!(
            "{}.{}%",
            c.elderly_60 * 100 / c.persons,
            c.elderly_60 * 1000 / c.persons % 10
        )
    } else {
        "—".into()
    };
    let rows: Vec<(String, i64)> = h
        .per_town
        .iter()
        .map(|(_, name, n)| (name.clone(), *n))
        .collect();
    let bars = bars(&rows);
    render(&HomePage {
        nav: Nav::of(&app, &p),
        persons: c.persons,
        households: c.households,
        elderly_60: c.elderly_60,
        elderly_share: share,
        elderly_80_alone: c.elderly_80_alone,
        disabled: c.disabled,
        seriously_ill: c.seriously_ill,
        chart_height: bars.len() as i64 * 22 + 4,
        bars,
    })
}
