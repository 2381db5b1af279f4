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
        match auth::token_actor(app, token).await? {
            Some((actor, _)) => Ok(ApiCtx(Ctx {
                actor,
                ip: client_ip(parts),
            })),
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
    Error(PageError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login(next) => Redirect::to(&format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response(),
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
            Some((actor, s)) => Ok(PageCtx {
                ctx: Ctx {
                    actor,
                    ip: client_ip(parts),
                },
                csrf: s.csrf_token,
                session_token: token,
            }),
            None => Err(PageRejection::Login(next)),
        }
    }
}
