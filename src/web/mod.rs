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
        .merge(lines::guard_api(
            api::policy_routes().split_for_parts().0,
            &app,
            crate::app::authz::Permission::ManagePolicy,
        ))
        .merge(lines::api_routes(&app))
        .route("/api/v1/{*rest}", axum::routing::any(api::not_found))
        .merge(openapi::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/static/picker.js", get(pages::picker::script))
        .fallback(not_found_page)
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
        // a panicking handler answers 500 in Chinese and is logged; the connection is kept
        .layer(axum::middleware::from_fn(catch_panics))
        // outermost, so that the body limit's own 413 is answered in Chinese too
        .layer(axum::middleware::from_fn(chinese_rejections))
        .with_state(app)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/app.css"),
    )
}

/// A panic inside a handler (a bug) becomes a logged 500 with a Chinese message, in the API's JSON shape under
/// /api and as an error page elsewhere, instead of a dropped connection.
async fn catch_panics(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use futures::FutureExt;
    let api = req.uri().path().starts_with("/api/");
    let what = format!("{} {}", req.method(), req.uri().path());
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(res) => res,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request = %what, panic = %detail, "handler panicked");
            let msg = "服务器内部错误，已记录，请稍后再试或联系系统管理员";
            let mut res = if api {
                ApiError(AppError::BadRequest(msg.into())).into_response()
            } else {
                PageError(AppError::BadRequest(msg.into())).into_response()
            };
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}

/// An unknown page path: a Chinese 404 page.
async fn not_found_page() -> Response {
    PageError(AppError::NotFound("页面".into())).into_response()
}

/// What is left of axum's and tower's own rejections (English plain text, or an empty body: a path parameter that
/// does not parse, a method not allowed, a body over the limit, a form that does not deserialize) is answered in
/// Chinese: `{"error": "…", "field": null}` under /api, an error page elsewhere.
async fn chinese_rejections(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // our own errors are JSON or HTML already
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let msg = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "请求内容超过大小限制（64兆字节）".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => "该地址不支持这种请求方法".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "请求内容的类型不受支持".into(),
        StatusCode::NOT_FOUND => "请求的地址不存在".into(),
        StatusCode::UNAUTHORIZED => "未登录，或用户名、密码、令牌无效".into(),
        StatusCode::FORBIDDEN => "无权访问".into(),
        _ if text.contains("URL") || text.contains("path") => "地址中的参数不正确".into(),
        _ if text.contains("query string") => "查询参数不符合要求".into(),
        _ if text.contains("Form") || text.contains("form") => "表单内容不符合要求".into(),
        s if s.is_server_error() => "服务器内部错误，请稍后再试".into(),
        _ => "请求不符合要求".into(),
    };
    let mut res = if api {
        ApiError(AppError::BadRequest(msg)).into_response()
    } else {
        PageError(AppError::BadRequest(msg)).into_response()
    };
    *res.status_mut() = status;
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            res.headers_mut().insert(k.clone(), v.clone());
        }
    }
    res
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
    req.extensions_mut().insert(extract::ClientAddr(ip.clone()));
    let cacheable = req.uri().path().starts_with("/static/");
    // the security administrator's allowed networks; an in-process caller (no address) is the platform itself
    let outside = ip
        .parse::<std::net::IpAddr>()
        .is_ok_and(|a| !app.policy().allows(a));
    let mut res = if outside && req.uri().path() != "/healthz" {
        tracing::warn!(ip = %ip, path = %req.uri().path(), "refused: outside the allowed networks");
        network_refused(req.uri().path().starts_with("/api/"))
    } else {
        let who = refusal_caller(&req);
        let res = next.run(req).await;
        if res.status() == StatusCode::FORBIDDEN {
            audit_refusal(&app, who, &ip).await;
        }
        res
    };
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

fn network_refused(api: bool) -> Response {
    let e =
        AppError::Forbidden("您所在的网络地址不在本平台允许访问的范围内，请联系安全管理员".into());
    if api {
        ApiError(e).into_response()
    } else {
        PageError(e).into_response()
    }
}

/// What a refused request said about its caller (kept before the request is handed on): method, path, bearer
/// token and session cookie.
struct Caller {
    what: String,
    bearer: Option<String>,
    session: Option<String>,
}

fn refusal_caller(req: &axum::extract::Request) -> Caller {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let session = axum_extra::extract::CookieJar::from_headers(req.headers())
        .get(extract::SESSION_COOKIE)
        .map(|c| c.value().to_string());
    Caller {
        what: format!("{} {}", req.method(), req.uri().path()),
        bearer,
        session,
    }
}

/// Every permission refusal (403) is audited with the caller, if known, the request and the source address.
/// A failure to audit is logged, never turned into another answer.
async fn audit_refusal(app: &App, who: Caller, ip: &str) {
    use crate::app::{Ctx, audit, auth};
    let actor = match (&who.bearer, &who.session) {
        (Some(t), _) => auth::token_actor(app, t, ip)
            .await
            .ok()
            .flatten()
            .map(|(a, _)| a),
        (None, Some(c)) => auth::session_actor(app, c)
            .await
            .ok()
            .flatten()
            .map(|(a, _)| a),
        _ => None,
    };
    let ctx = match actor {
        Some(actor) => Ctx::signed_in(actor, ip.to_string()),
        None => auth::anonymous_ctx("", ip),
    };
    let ev = audit::Event::new("auth.forbidden", "request", who.what).failed();
    if let Err(e) = audit::record_alone(&app.db, &ctx, ev).await {
        tracing::error!("审计写入失败（拒绝访问）: {e}");
    }
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
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
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
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} - 民政云平台</title>\
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_chinese() {
        let app = Router::new()
            .route(
                "/api/v1/boom",
                get(|| async {
                    panic!("boom");
                    #[allow(unreachable_code)]
                    ""
                }),
            )
            .route("/ok", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(catch_panics));
        let res = app
            .clone()
            .oneshot(
                axum::http::Request::get("/api/v1/boom")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("服务器内部错误"),
            "{v}"
        );
        // the service still answers afterwards
        let res = app
            .oneshot(axum::http::Request::get("/ok").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
