//! The web layer: server-rendered pages and the JSON API under /api/v1. Handlers only translate HTTP
//! to application use cases; every decision about access is made in `app`.

pub mod api;
pub mod csrf;
pub mod extract;
pub mod lines;
pub mod openapi;
pub mod pages;

use crate::app::{App, AppError};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

pub fn router(app: App) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(lines::pages(&app))
        .merge(api::routes().split_for_parts().0)
        .merge(lines::guard_api(
            api::user_routes().split_for_parts().0,
            &app,
            crate::app::authz::Permission::ManageUsers,
        ))
        .merge(lines::api_routes(&app))
        .route("/api/v1/{*rest}", axum::routing::any(api::not_found))
        .merge(openapi::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            csrf::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security_headers,
        ))
        // ledgers and bank files are uploads of tens of MB; axum's extractors default to 2 MB
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            64 * 1024 * 1024,
        ))
        .with_state(app)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/app.css"),
    )
}

/// Content Security Policy for every answer. Inline styles exist in the templates (print forms, SVG charts) and
/// Swagger UI sets style attributes; no inline script exists but the print buttons' `onclick="window.print()"`,
/// allowed by its hash alone. /api/docs (Swagger UI) loads only its own files and needs nothing more.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-hashes' \
    'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every answer; `Cache-Control: no-store` on all but the stylesheet (pages, API answers and
/// exports hold personal data); over HTTPS (see [`extract::resolve_client`]) HSTS and Secure cookies.
async fn security_headers(
    axum::extract::State(app): axum::extract::State<App>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (ip, secure) = extract::resolve_client(&app, &req);
    req.extensions_mut().insert(extract::ClientAddr(ip));
    let cacheable = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
        let cookies: Vec<HeaderValue> = h
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| match v.to_str() {
                Ok(s) if !s.to_ascii_lowercase().contains("; secure") => {
                    HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or_else(|_| v.clone())
                }
                _ => v.clone(),
            })
            .collect();
        h.remove(header::SET_COOKIE);
        for c in cookies {
            h.append(header::SET_COOKIE, c);
        }
    }
    res
}

/// JSON errors: `{"error": "中文说明", "field": "…"}`.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::LoginFailed => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Locked(_) => StatusCode::LOCKED,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self.0 {
            tracing::error!("internal error: {e:#}");
        }
        let status = status_of(&self.0);
        let mut body = serde_json::json!({ "error": self.0.to_string() });
        if let Some(f) = self.0.field() {
            body["field"] = f.into();
        }
        let mut res = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// HTML errors for pages.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self.0 {
            tracing::error!("internal error: {e:#}");
        }
        let status = status_of(&self.0);
        let title = match status {
            StatusCode::NOT_FOUND => "未找到",
            StatusCode::FORBIDDEN => "无权访问",
            _ => "出错了",
        };
        let msg = html_escape(&self.0.to_string());
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title} - 民政云平台</title>\
             <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\"><h1>{title}</h1>\
             <p class=\"error\">{msg}</p><p><a href=\"/\">返回首页</a></p></main></body></html>"
        );
        (status, Html(body)).into_response()
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
