//! Server-rendered pages (askama). Forms post back with the session's CSRF token.

pub mod account;
pub mod applications;
pub mod assistance;
pub mod audit;
pub mod child_protection;
pub mod children;
pub mod disability;
pub mod elderly;
pub mod elderly_services;
pub mod home;
pub mod institutions;
pub mod ledger;
pub mod list;
pub mod organisations;
pub mod payments;
pub mod persons;
pub mod picker;
pub mod safety;
pub mod session;
pub mod targets;
pub mod temporary;
pub mod verification;

use crate::app::authz::Permission;
use crate::app::{App, AppError, areas};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

/// The platform's own pages (login, home, accounts, audit); the business lines bring theirs through `web::lines`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/login/code", get(session::code_form).post(session::code))
        .route("/logout", post(session::logout))
        .route("/", get(home::home))
        .route("/admin/users", get(account::users).post(account::add_user))
        .route(
            "/admin/users/{username}/{action}",
            post(account::user_action),
        )
        .route("/account", get(account::account))
        .route("/account/tokens", post(account::new_token))
        .route(
            "/account/totp",
            get(account::totp_page).post(account::totp_confirm),
        )
        .route(
            "/security/policy",
            get(account::policy_page).post(account::policy_save),
        )
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/audit", get(audit::search))
}

/// What the layout needs: who is logged in, what they may do, the CSRF token for forms.
pub struct Nav {
    pub username: String,
    pub display_name: String,
    pub role_label: String,
    pub area_name: String,
    pub csrf: String,
    pub can_write: bool,
    pub can_reveal: bool,
    pub can_manage_users: bool,
    pub can_audit: bool,
    pub can_policy: bool,
    /// The registered lines' menu entries this user may open.
    pub lines: Vec<(&'static str, Vec<&'static crate::web::lines::MenuItem>)>,
}

impl Nav {
    pub fn of(app: &App, p: &PageCtx) -> Nav {
        let a = &p.ctx.actor;
        Nav {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role_label: a.role.label().into(),
            area_name: app.areas().full_name(&a.area_code),
            csrf: p.csrf.clone(),
            can_write: a.can(Permission::WriteRegistry),
            can_reveal: a.can(Permission::RevealPersonal),
            can_manage_users: a.can(Permission::ManageUsers),
            can_audit: a.can(Permission::ReadAudit),
            can_policy: a.can(Permission::ManagePolicy),
            lines: crate::web::lines::menu(|p| a.can(p)),
        }
    }
}

pub fn render<T: Template>(t: &T) -> Result<Response, PageError> {
    let html = t
        .render()
        .map_err(|e| PageError(AppError::Internal(anyhow::anyhow!("模板错误: {e}"))))?;
    Ok(Html(html).into_response())
}

pub struct AreaOption {
    pub code: String,
    pub name: String,
    pub indent: String,
}

/// The areas a user may pick (its scope only), indented by level.
pub fn area_options(app: &App, p: &PageCtx) -> Vec<AreaOption> {
    areas::options_for(app, &p.ctx)
        .into_iter()
        .map(|a| AreaOption {
            indent: match a.level.as_str() {
                "town" => "　",
                "village" => "　　",
                _ => "",
            }
            .into(),
            code: a.code,
            name: a.name,
        })
        .collect()
}

pub fn village_options(app: &App, p: &PageCtx) -> Vec<AreaOption> {
    let idx = app.areas();
    areas::options_for(app, &p.ctx)
        .into_iter()
        .filter(|a| a.level == "village")
        .map(|a| AreaOption {
            name: idx.full_name(&a.code),
            code: a.code,
            indent: String::new(),
        })
        .collect()
}

/// Template filters shared by the pages: `{{ d|cn_date }}` prints 2026年12月5日 (letters, forms, notices).
pub mod filters {
    use chrono::NaiveDate;

    pub trait AsDate {
        fn as_date(&self) -> NaiveDate;
    }
    impl AsDate for NaiveDate {
        fn as_date(&self) -> NaiveDate {
            *self
        }
    }
    impl<T: AsDate + ?Sized> AsDate for &T {
        fn as_date(&self) -> NaiveDate {
            (**self).as_date()
        }
    }

    #[askama::filter_fn]
    pub fn cn_date<T: AsDate>(d: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(crate::util::cn_date(d.as_date()))
    }

    /// `{{ x.recorded_by|who }}`: who did something, as stored (a login name); the platform's own work (seeding, the
    /// demo, scheduled rules) is recorded as `system` and shown as 系统.
    #[askama::filter_fn]
    pub fn who<T: std::fmt::Display>(v: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::who(&v.to_string()))
    }

    /// `{{ fen|yuan }}`: an amount in fen as yuan with 2 decimals.
    #[askama::filter_fn]
    pub fn yuan<T: std::borrow::Borrow<i64>>(
        v: T,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(minzheng_domain::money::Fen(*v.borrow()).to_string())
    }
}

/// Who did something, as people read it: a login name, or 系统 for the platform's own work (seeding, the demo,
/// scheduled rules), which is recorded as `system`.
pub fn who(username: &str) -> String {
    if username == "system" {
        "系统".into()
    } else {
        username.to_string()
    }
}

/// The 监督电话 printed on the village 公示 (setting `supervision_phone`, default the bureau's assistance hotline).
pub fn supervision_phone() -> String {
    crate::config::get("supervision_phone")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "0510-86801234".into())
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
