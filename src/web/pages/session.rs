use crate::app::{App, AppError, auth};
use crate::web::PageError;
use crate::web::extract::{LOGIN_CSRF_COOKIE, PageCtx, SESSION_COOKIE, client_ip};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build()
}

/// Only local paths: an open redirect would let a link send a user elsewhere after login.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| is_local_path(n))
        .unwrap_or_else(|| "/".into())
}

/// A path on this site: one leading '/', not '//' or '/\' (browsers read both as another host), no backslash,
/// space or control character anywhere (browsers drop tabs and newlines, turning "/\t/x" into "//x").
pub fn is_local_path(n: &str) -> bool {
    let b = n.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\')
}

fn login_page(jar: CookieJar, next: String, error: Option<String>) -> Result<Response, PageError> {
    let csrf = auth::random_token(16);
    let page = super::render(&LoginPage {
        csrf: csrf.clone(),
        next,
        error,
    })?;
    Ok((jar.add(cookie(LOGIN_CSRF_COOKIE, csrf)), page).into_response())
}

pub async fn login_form(jar: CookieJar, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    login_page(jar, safe_next(q.next), None)
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(app): State<App>,
    jar: CookieJar,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next);
    let (actor, stage) =
        match auth::login_password(&app, &f.username, &f.password, &client_ip(&parts)).await {
            Ok(auth::Step::Done(a)) => (a, "full"),
            Ok(auth::Step::Code(a)) => (a, "code"),
            Ok(auth::Step::Enrol(a)) => (a, "enrol"),
            Err(e @ AppError::LoginFailed) => return login_page(jar, next, Some(e.to_string())),
            Err(e) => return Err(e.into()),
        };
    let (token, _) = auth::start_session(&app, &actor, stage).await?;
    let jar = jar
        .add(cookie(SESSION_COOKIE, token))
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/"));
    let to = match stage {
        "full" => next,
        "code" => format!("/login/code?next={}", super::enc(&next)),
        _ => crate::web::extract::ENROL_PATH.to_string(),
    };
    Ok((jar, Redirect::to(&to)).into_response())
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    csrf: String,
    next: String,
    error: Option<String>,
}

/// The session whose password was checked and whose code is awaited; anything else goes back to the login.
async fn pending(app: &App, jar: &CookieJar) -> Result<Option<(String, String)>, PageError> {
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(match auth::session_actor(app, &token).await? {
        Some((_, s)) if s.stage == "code" => Some((token, s.csrf_token)),
        _ => None,
    })
}

/// The login's second step: the authenticator's 6-digit code, or a recovery code.
pub async fn code_form(
    State(app): State<App>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let Some((_, csrf)) = pending(&app, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    super::render(&CodePage {
        csrf,
        next: safe_next(q.next),
        error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

pub async fn code(
    State(app): State<App>,
    jar: CookieJar,
    parts: Parts,
    Form(f): Form<CodeForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next);
    let Some((token, csrf)) = pending(&app, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    match auth::login_code(&app, &token, &f.code, &client_ip(&parts)).await {
        Ok((full, _)) => {
            Ok((jar.add(cookie(SESSION_COOKIE, full)), Redirect::to(&next)).into_response())
        }
        Err(e @ AppError::LoginFailed) => super::render(&CodePage {
            csrf,
            next,
            error: Some(e.to_string()),
        }),
        Err(AppError::Unauthenticated) => Ok(Redirect::to("/login").into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Sets the full session that replaced a waiting one (after the enrolment its login needed).
pub fn session_cookie(jar: CookieJar, token: String) -> CookieJar {
    jar.add(cookie(SESSION_COOKIE, token))
}

pub async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    p: PageCtx,
) -> Result<Response, PageError> {
    auth::end_session(&app, &p.ctx, &p.session_token).await?;
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response())
}
