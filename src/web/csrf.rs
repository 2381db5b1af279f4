//! CSRF protection for every state-changing browser request, in one place.
//! Urlencoded forms carry a `csrf` field; multipart forms send it as the `csrf` query parameter.
//! The login form (no session yet) uses a double-submit cookie.

use super::extract::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::app::{App, auth};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;

const MAX_FORM: usize = 16 * 1024 * 1024;

fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn rejected() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html("<!doctype html><meta charset=\"utf-8\"><title>请求被拒绝</title><link rel=\"stylesheet\" href=\"/static/app.css\"><main class=\"narrow\"><h1>请求被拒绝</h1><p class=\"error\">表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试。</p><p><a href=\"/\">返回首页</a></p></main>"),
    )
        .into_response()
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path().to_string();
    // The API authenticates with bearer tokens, which a browser never sends by itself.
    if !unsafe_method || path.starts_with("/api/") {
        return next.run(req).await;
    }
    let jar = CookieJar::from_headers(req.headers());
    let query_token = req.uri().query().and_then(|q| field(q.as_bytes(), "csrf"));
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (parts, body) = req.into_parts();
    let (given, body) = if is_form {
        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "表单过大").into_response();
        };
        (field(&bytes, "csrf").or(query_token), Body::from(bytes))
    } else {
        (query_token, body)
    };
    let Some(given) = given else {
        return rejected();
    };
    let expected = if path == "/login" {
        jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string())
    } else {
        match jar.get(SESSION_COOKIE) {
            Some(c) => auth::session_actor(&app, c.value())
                .await
                .ok()
                .flatten()
                .map(|(_, s)| s.csrf_token),
            None => None,
        }
    };
    match expected {
        Some(e) if same(&e, &given) => next.run(Request::from_parts(parts, body)).await,
        _ => rejected(),
    }
}
