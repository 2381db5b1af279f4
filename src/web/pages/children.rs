//! 儿童福利: who a child is (孤儿 / 事实无人抚养儿童), the same rule as the API, for the 儿童主任's desk.

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
use minzheng_domain::children::{Classification, SituationKind};

pub const LINE: Line = Line {
    code: "children",
    name: "儿童福利",
    api: crate::web::api::children::routes,
    read: Permission::UseRules,
    pages,
    menu: &[MenuItem {
        label: "儿童类别认定",
        href: "/children/classify",
        permission: Permission::UseRules,
    }],
};

fn pages() -> Router<App> {
    Router::new().route("/children/classify", get(form).post(classify))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    pub as_of: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub in_education: Option<String>,
    #[serde(default)]
    pub father_kind: String,
    #[serde(default)]
    pub father_since: String,
    #[serde(default)]
    pub father_until: String,
    #[serde(default)]
    pub mother_kind: String,
    #[serde(default)]
    pub mother_since: String,
    #[serde(default)]
    pub mother_until: String,
}

#[derive(Template)]
#[template(path = "children_classify.html")]
struct Page {
    nav: Nav,
    f: ClassifyForm,
    kinds: Vec<(&'static str, &'static str)>,
    result: Option<(String, Vec<String>)>,
    error: Option<String>,
}

fn render_page(
    app: &App,
    p: &PageCtx,
    f: ClassifyForm,
    result: Option<Classification>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let result = result.map(|c| {
        let category = c
            .category
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| "不属于孤儿或事实无人抚养儿童".into());
        (
            format!("{category}（{}周岁）", c.age),
            c.reasons
                .iter()
                .map(|r| match r.parent {
                    Some(p) => format!("{}：{}", p.label(), r.code.label()),
                    None => r.code.label().to_string(),
                })
                .collect(),
        )
    });
    render(&Page {
        nav: Nav::of(app, p),
        kinds: SituationKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        f,
        result,
        error,
    })
}

async fn form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    let f = ClassifyForm {
        as_of: app.today().to_string(),
        ..Default::default()
    };
    render_page(&app, &p, f, None, None)
}

/// The form's flat fields become the API's body, so the page and the API answer alike.
async fn classify(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<ClassifyForm>,
) -> Result<Response, PageError> {
    let situations = |kind: &str, since: &str, until: &str| {
        if kind.is_empty() {
            serde_json::json!([])
        } else {
            let until = if until.trim().is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::json!(until.trim())
            };
            serde_json::json!([{"kind": kind, "since": since.trim(), "until": until}])
        }
    };
    let body = serde_json::json!({
        "as_of": f.as_of.trim(),
        "child": {"id_number": f.id_number.trim(), "in_full_time_education": f.in_education.is_some()},
        "parents": [
            {"role": "father", "situations": situations(&f.father_kind, &f.father_since, &f.father_until)},
            {"role": "mother", "situations": situations(&f.mother_kind, &f.mother_since, &f.mother_until)},
        ]
    });
    match crate::app::children::classify(&app, &p.ctx, &body) {
        Ok(c) => render_page(&app, &p, f, Some(c), None),
        Err(e) => render_page(&app, &p, f, None, Some(e.to_string())),
    }
}
