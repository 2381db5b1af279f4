//! What every list page shares (see `app::listing`): the filter fields, sortable column headers that are plain links
//! (sorting is done by the server, so it works without JavaScript), "共 N 条 · 第 x/y 页" with its pager, the
//! export links, and the XLSX download. A page builds a `ListView` and its template includes `list_fields.html`
//! (inside its GET form) and `pager.html`, and writes its headers with `{{ list.th("key")|safe }}`.

use super::{AreaOption, area_options, enc};
use crate::app::App;
use crate::app::authz::Permission;
use crate::app::listing::{ListParams, ListSpec, Page, Sheet};
use crate::web::extract::PageCtx;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub struct ListView {
    path: String,
    /// The request's own parameters besides the shared ones (kept in every link).
    extra: Vec<(String, String)>,
    pub q: String,
    pub category: String,
    pub status: String,
    pub area: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    pub dir: String,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub categories: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    /// The label of the date range's field, when the list has one.
    pub date_label: String,
    pub area_options: Vec<AreaOption>,
    /// May ask for an export with full identity numbers.
    pub can_full: bool,
    sorts: Vec<(&'static str, &'static str)>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or("").to_string()
}

impl ListView {
    /// The columns the list sorts by, for the sort field of the filter form (on a phone the table's headers are
    /// hidden behind the cards).
    pub fn sort_options(&self) -> &[(&'static str, &'static str)] {
        &self.sorts
    }

    pub fn new<T>(
        app: &App,
        p: &PageCtx,
        path: &str,
        spec: &ListSpec,
        params: &ListParams,
        page: &Page<T>,
    ) -> ListView {
        let (sort, desc) = spec.sort_of(params);
        ListView {
            path: path.into(),
            extra: vec![],
            q: text(&params.q),
            category: text(&params.category),
            status: spec.status_of(params).to_string(),
            area: text(&params.area),
            from: text(&params.from),
            to: text(&params.to),
            sort: sort.into(),
            dir: if desc { "desc" } else { "asc" }.into(),
            total: page.total,
            page: page.page,
            pages: page.pages,
            categories: spec
                .categories
                .iter()
                .map(|c| (c.code.clone(), c.label.clone()))
                .collect(),
            statuses: spec
                .statuses
                .iter()
                .map(|c| (c.code.clone(), c.label.clone()))
                .collect(),
            date_label: spec.date.map(|d| d.1).unwrap_or("").into(),
            area_options: area_options(app, p),
            can_full: p.ctx.actor.can(Permission::RevealPersonal),
            sorts: spec.sorts.iter().map(|k| (k.key, k.label)).collect(),
        }
    }

    /// Keeps a list's own parameter (e.g. 待我办理) in every link.
    pub fn keep(mut self, name: &str, value: &str) -> ListView {
        if !value.is_empty() {
            self.extra.push((name.into(), value.into()));
        }
        self
    }

    /// The query string of this request with another sort or page (`&` separated, not yet HTML-escaped).
    fn query(&self, sort: &str, dir: &str, page: i64) -> String {
        let mut parts: Vec<(String, String)> = vec![
            ("q".into(), self.q.clone()),
            ("category".into(), self.category.clone()),
            ("status".into(), self.status.clone()),
            ("area".into(), self.area.clone()),
            ("from".into(), self.from.clone()),
            ("to".into(), self.to.clone()),
        ];
        parts.extend(self.extra.iter().cloned());
        parts.push(("sort".into(), sort.into()));
        parts.push(("dir".into(), dir.into()));
        if page > 1 {
            parts.push(("page".into(), page.to_string()));
        }
        parts
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A link to another page of the same request (HTML-escaped for an attribute).
    pub fn page_link(&self, page: i64) -> String {
        format!("{}?{}", self.path, self.query(&self.sort, &self.dir, page)).replace('&', "&amp;")
    }

    /// The export's link: the same filter and order, every page.
    pub fn export_link(&self, full: bool) -> String {
        let mut q = self.query(&self.sort, &self.dir, 1);
        if full {
            q.push_str("&full=1");
        }
        format!("{}/export.xlsx?{q}", self.path).replace('&', "&amp;")
    }

    /// A column header: a link sorting by it (again: the other way), marked ▲/▼ when it is the sort in force.
    pub fn th(&self, key: &str) -> String {
        let Some((key, label)) = self.sorts.iter().find(|s| s.0 == key) else {
            return String::new();
        };
        let current = self.sort == *key;
        let dir = if current && self.dir == "asc" {
            "desc"
        } else {
            "asc"
        };
        let mark = match (current, self.dir.as_str()) {
            (false, _) => "",
            (true, "desc") => " ▼",
            _ => " ▲",
        };
        format!(
            "<a class=\"sort\" href=\"{}?{}\">{label}{mark}</a>",
            self.path,
            self.query(key, dir, 1).replace('&', "&amp;")
        )
    }

    /// 共 N 条 · 第 x/y 页
    pub fn summary(&self) -> String {
        format!("共 {} 条 · 第 {}/{} 页", self.total, self.page, self.pages)
    }
}

/// An XLSX download with a Chinese file name.
/// The workbook is written off the async workers: a long list takes a while and would hold a worker meanwhile.
pub async fn xlsx_download(
    sheet: Sheet,
    fallback: &str,
) -> Result<Response, crate::web::PageError> {
    let name = format!("{}.xlsx", sheet.name);
    let bytes = crate::util::blocking(move || sheet.xlsx())
        .await?
        .map_err(|e| crate::web::PageError(crate::app::AppError::Internal(e)))?;
    Ok(xlsx_response(bytes, &name, fallback))
}

pub fn xlsx_response(bytes: Vec<u8>, name: &str, fallback: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                crate::util::attachment(name, fallback),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The ids ticked in a batch form (`ids=…&ids=…`) and its other fields, read from an urlencoded body: axum's
/// `Form` cannot read a repeated field.
pub fn batch_form(body: &[u8]) -> (Vec<String>, std::collections::HashMap<String, String>) {
    let mut ids = vec![];
    let mut rest = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if k == "ids" {
            if !v.trim().is_empty() {
                ids.push(v.trim().to_string());
            }
        } else {
            rest.insert(k.into_owned(), v.into_owned());
        }
    }
    (ids, rest)
}
