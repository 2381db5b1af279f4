//! 人员选择: a person picker for forms that name a registry person (临时救助, 近亲属备案). Without JavaScript it is a
//! plain search: `?person_q=` lists the matches in the caller's area, each a link back to the page with
//! `?person=<id>`, and the form then carries the chosen person. With JavaScript (`/static/picker.js`) the matches
//! follow the typing, from `/persons/pick`, rendered by the same template.

use crate::app::{App, AppError, registry};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Matches shown at once: a picker narrows by typing, it does not page.
const SHOWN: usize = 10;

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PickQuery {
    /// What was typed: a name (or its beginning), a full identity number or its last 4+ characters.
    #[serde(default)]
    pub person_q: String,
    /// The chosen person's id.
    #[serde(default)]
    pub person: String,
}

pub struct Pick {
    /// The person's id: what the form submits (never shown).
    pub key: String,
    /// 张三 · 320281********123X · 澄江街道某社区
    pub label: String,
}

pub struct Picker {
    /// The page the picker sits on: its search and its choices go back there.
    pub path: String,
    pub q: String,
    pub matches: Vec<Pick>,
    /// More matched than are shown.
    pub more: i64,
    pub searched: bool,
    pub chosen: Option<Pick>,
}

fn label(app: &App, name: &str, masked: &str, area: &str) -> String {
    format!("{name} · {masked} · {}", app.areas().full_name(area))
}

async fn matches(app: &App, p: &PageCtx, q: &str) -> Result<(Vec<Pick>, i64), PageError> {
    let (items, total) = registry::search(app, &p.ctx, q, None, 1).await?;
    let shown: Vec<Pick> = items
        .iter()
        .take(SHOWN)
        .map(|i| Pick {
            key: i.id.clone(),
            label: label(app, &i.name, &i.id_number_masked, &i.area_code),
        })
        .collect();
    let more = (total - shown.len() as i64).max(0);
    Ok((shown, more))
}

impl Picker {
    /// The picker of `path` for this request: the chosen person (in the caller's area) and the matches of a search.
    pub async fn load(
        app: &App,
        p: &PageCtx,
        path: &str,
        q: &PickQuery,
    ) -> Result<Picker, PageError> {
        let typed = q.person_q.trim();
        let (matches, more) = if typed.is_empty() {
            (vec![], 0)
        } else {
            matches(app, p, typed).await?
        };
        let chosen = match q.person.trim() {
            "" => None,
            id => match registry::get(app, &p.ctx, id, false).await {
                Ok(v) => Some(Pick {
                    key: v.id.clone(),
                    label: label(app, &v.name, &v.id_number_masked, &v.area_code),
                }),
                // outside the area or gone: as if nothing was chosen
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
        };
        Ok(Picker {
            path: path.into(),
            q: typed.into(),
            matches,
            more,
            searched: !typed.is_empty(),
            chosen,
        })
    }
}

#[derive(Template)]
#[template(path = "picker_results.html")]
struct Results<'a> {
    picker: &'a Picker,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FragmentQuery {
    #[serde(default)]
    q: String,
    /// The page the choices link back to.
    #[serde(default)]
    back: String,
}

/// The matches as an HTML fragment, for `picker.js` while the user types.
pub async fn fragment(
    State(app): State<App>,
    p: PageCtx,
    Query(f): Query<FragmentQuery>,
) -> Result<Response, PageError> {
    if !super::session::is_local_path(&f.back) || f.back.contains('?') {
        return Err(AppError::invalid("back", "返回页面无效").into());
    }
    let q = PickQuery {
        person_q: f.q,
        person: String::new(),
    };
    let picker = Picker::load(&app, &p, &f.back, &q).await?;
    let html = Results { picker: &picker }
        .render()
        .map_err(|e| PageError::from(AppError::Internal(e.into())))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../templates/picker.js"),
    )
}
