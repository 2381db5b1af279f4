//! The business lines, each registered here once. A line brings its JSON API with its OpenAPI (registered
//! together through utoipa-axum, so the document cannot drift from the routes), its pages and its menu entries;
//! the router, the API document and the menu iterate this list.

use crate::app::App;
use crate::app::authz::Permission;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

pub struct Line {
    pub code: &'static str,
    /// The menu group's heading.
    pub name: &'static str,
    pub api: fn() -> OpenApiRouter<App>,
    pub pages: fn() -> Router<App>,
    pub menu: &'static [MenuItem],
}

/// A menu entry, shown only to a user who holds its permission.
pub struct MenuItem {
    pub label: &'static str,
    pub href: &'static str,
    pub permission: Permission,
}

/// Every registered line. A new line is its own folders (domain, app, web/api, web/pages, templates, tests) plus one
/// entry here.
pub const LINES: &[Line] = &[
    super::pages::organisations::LINE,
    super::pages::elderly::LINE,
    super::pages::children::LINE,
];

/// Every line's API, merged: the routes and the OpenAPI paths they document.
pub fn api() -> OpenApiRouter<App> {
    LINES
        .iter()
        .fold(OpenApiRouter::new(), |r, l| r.merge((l.api)()))
}

pub fn pages() -> Router<App> {
    LINES
        .iter()
        .fold(Router::new(), |r, l| r.merge((l.pages)()))
}

/// The menu entries this user may open, grouped by line.
pub fn menu(can: impl Fn(Permission) -> bool) -> Vec<(&'static str, Vec<&'static MenuItem>)> {
    LINES
        .iter()
        .map(|l| {
            (
                l.name,
                l.menu
                    .iter()
                    .filter(|m| can(m.permission))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, items)| !items.is_empty())
        .collect()
}
