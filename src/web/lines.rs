//! The business lines, each registered here once. A line brings its JSON API with its OpenAPI (registered
//! together through utoipa-axum, so the document cannot drift from the routes), its pages and its menu entries;
//! the router, the API document and the menu iterate this list.

use crate::app::App;
use crate::app::authz::Permission;
use crate::web::extract::{ApiCtx, PageCtx};
use crate::web::{ApiError, PageError};
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

pub struct Line {
    pub code: &'static str,
    /// The menu group's heading.
    pub name: &'static str,
    /// What a user must hold to reach any of the line's routes, pages or API; checked before the handler runs
    /// (and before a body is read), so no route of a line can forget it. Each use case still checks its own.
    pub read: Permission,
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
    super::pages::persons::LINE,
    super::pages::assistance::LINE,
    super::pages::verification::LINE,
    super::pages::elderly::LINE,
    super::pages::children::LINE,
    super::pages::disability::LINE,
    super::pages::institutions::LINE,
    super::pages::safety::LINE,
    super::pages::organisations::LINE,
    super::pages::targets::LINE,
];

/// Every line's API, merged: the routes and the OpenAPI paths they document (for the API document).
pub fn api() -> OpenApiRouter<App> {
    LINES
        .iter()
        .fold(OpenApiRouter::new(), |r, l| r.merge((l.api)()))
}

/// Every line's API routes behind its guard.
pub fn api_routes(app: &App) -> Router<App> {
    LINES.iter().fold(Router::new(), |r, l| {
        r.merge(guard_api((l.api)().split_for_parts().0, app, l.read))
    })
}

/// API routes that answer only a caller holding `read`: 401 or 403 before any extractor reads the body.
pub fn guard_api(routes: Router<App>, app: &App, read: Permission) -> Router<App> {
    routes.route_layer(from_fn_with_state((app.clone(), read), api_guard))
}

/// Every line's pages behind its guard.
pub fn pages(app: &App) -> Router<App> {
    LINES.iter().fold(Router::new(), |r, l| {
        r.merge((l.pages)().route_layer(from_fn_with_state((app.clone(), l.read), page_guard)))
    })
}

/// The caller is resolved once here and handed to the handler's extractor through the request's extensions.
async fn api_guard(
    State((app, read)): State<(App, Permission)>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = match ApiCtx::from_request_parts(&mut parts, &app).await {
        Ok(ApiCtx(ctx)) => ctx,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = ctx.actor.require(read) {
        return ApiError(e).into_response();
    }
    parts.extensions.insert(ctx);
    next.run(Request::from_parts(parts, body)).await
}

async fn page_guard(
    State((app, read)): State<(App, Permission)>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let p = match PageCtx::from_request_parts(&mut parts, &app).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = p.ctx.actor.require(read) {
        return PageError(e).into_response();
    }
    parts.extensions.insert(p);
    next.run(Request::from_parts(parts, body)).await
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
