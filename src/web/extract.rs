//! Who is calling: a bearer token for the API, a session cookie for pages.

use super::{ApiError, PageError};
use crate::app::{App, AppError, Ctx, auth};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "mz_session";
pub const LOGIN_CSRF_COOKIE: &str = "mz_login_csrf";

/// The caller's address as [`super::security_headers`] resolved it (through a trusted proxy's X-Forwarded-For).
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

/// The caller's address: for the audit log and the login lockout (which is counted per address).
pub fn client_ip(parts: &Parts) -> String {
    if let Some(c) = parts.extensions.get::<ClientAddr>() {
        return c.0.clone();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Resolves who is calling and whether the request came over HTTPS. Behind a proxy listed in
/// MINZHENG_TRUSTED_PROXIES, the last X-Forwarded-For entry (the one that proxy added) is the caller and
/// X-Forwarded-Proto says the scheme; from anyone else those headers are ignored, since a caller can send them.
pub fn resolve_client(app: &App, req: &axum::extract::Request) -> (String, bool) {
    let cfg = app.security();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let via_proxy = peer.is_some_and(|p| cfg.trusted_proxies.contains(&p));
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let forwarded = via_proxy
        .then(|| header("x-forwarded-for"))
        .flatten()
        .and_then(|v| {
            v.rsplit(',')
                .next()
                .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        });
    let ip = forwarded
        .or(peer)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "local".into());
    let secure = cfg.secure_cookies
        || req.uri().scheme_str() == Some("https")
        || (via_proxy
            && header("x-forwarded-proto").is_some_and(|p| p.trim().eq_ignore_ascii_case("https")));
    (ip, secure)
}

/// An API caller, authenticated by `Authorization: Bearer TOKEN`.
pub struct ApiCtx(pub Ctx);

impl FromRequestParts<App> for ApiCtx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // already resolved by the line's guard (web::lines)
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ApiCtx(ctx.clone()));
        }
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError(AppError::Unauthenticated))?;
        let ip = client_ip(parts);
        match auth::token_actor(app, token, &ip).await? {
            Some((actor, _)) => Ok(ApiCtx(Ctx::signed_in(actor, ip))),
            None => Err(ApiError(AppError::Unauthenticated)),
        }
    }
}

/// A logged-in browser user, with the session's CSRF token for its forms.
#[derive(Clone)]
pub struct PageCtx {
    pub ctx: Ctx,
    pub csrf: String,
    pub session_token: String,
}

pub enum PageRejection {
    Login(String),
    Redirect(&'static str),
    Error(PageError),
}

/// The second factor's enrolment page, the only one a session waiting for its enrolment opens.
pub const ENROL_PATH: &str = "/account/totp";

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login(next) => Redirect::to(&format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response(),
            PageRejection::Redirect(to) => Redirect::to(to).into_response(),
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<App> for PageCtx {
    type Rejection = PageRejection;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<PageCtx>() {
            return Ok(p.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(PageRejection::Login(next));
        };
        match auth::session_actor(app, &token)
            .await
            .map_err(|e| PageRejection::Error(e.into()))?
        {
            // the password was checked, the second factor not yet: only the code page opens
            Some((_, s)) if s.stage == "code" && parts.uri.path() != "/logout" => {
                Err(PageRejection::Redirect("/login/code"))
            }
            // a second factor must be enrolled first: only the enrolment page (and logging out) opens
            Some((_, s))
                if s.stage == "enrol"
                    && !parts.uri.path().starts_with(ENROL_PATH)
                    && parts.uri.path() != "/logout" =>
            {
                Err(PageRejection::Redirect(ENROL_PATH))
            }
            Some((actor, s)) => Ok(PageCtx {
                ctx: Ctx::signed_in(actor, client_ip(parts)),
                csrf: s.csrf_token,
                session_token: token,
            }),
            None => Err(PageRejection::Login(next)),
        }
    }
}

/// A query string for the API: a value of the wrong shape answers 422 with the parameter's path in `field` and a
/// Chinese reason (axum's own rejection is English text).
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let text = e.body_text();
                let rest = text
                    .split_once("query string: ")
                    .map(|(_, r)| r)
                    .unwrap_or("");
                let (field, why) = match rest.split_once(": ") {
                    Some((f, w)) if !f.contains(' ') => (f.to_string(), w.to_string()),
                    _ => (String::new(), rest.to_string()),
                };
                let missing = why
                    .split_once("missing field `")
                    .and_then(|(_, r)| r.split_once('`'))
                    .map(|(f, _)| f.to_string());
                let field = missing.unwrap_or(field);
                Err(ApiError(if field.is_empty() {
                    AppError::BadRequest(format!(
                        "查询参数不符合要求：{}",
                        super::api::serde_reason_cn(&why)
                    ))
                } else {
                    let e = super::api::field_error(&field, &why);
                    AppError::invalid(&field, format!("查询参数{e}"))
                }))
            }
        }
    }
}

/// A multipart upload for the API: a request that is no multipart form answers 400 in Chinese.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S> axum::extract::FromRequest<S> for ApiMultipart
where
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| {
                ApiError(AppError::BadRequest(
                    "上传须为表单文件上传（多部分表单），请求头中缺少或写错了分隔标记".into(),
                ))
            })
    }
}

/// A failure while reading an upload, in Chinese: over the size limit (413), or a form that cannot be read.
pub fn multipart_error(field: &str, e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        super::api::too_large()
    } else {
        AppError::invalid(field, "上传失败：表单内容不完整或格式不对")
    }
}
