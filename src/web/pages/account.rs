use super::{AreaOption, Nav, area_options, render};
use crate::app::authz::Role;
use crate::app::users::{self, NewUser, UserView};
use crate::app::{App, AppError, auth};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserView>,
    roles: Vec<(&'static str, &'static str)>,
    sections: Vec<(&'static str, &'static str)>,
    area_options: Vec<AreaOption>,
    message: Option<String>,
    error: Option<String>,
}

async fn users_page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let list = users::list(app, &p.ctx).await?;
    render(&UsersPage {
        nav: Nav::of(app, p),
        users: list,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        sections: crate::app::authz::Section::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        area_options: area_options(app, p),
        message,
        error,
    })
}

pub async fn users(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    users_page(&app, &p, None, None).await
}

#[derive(serde::Deserialize)]
pub struct UserForm {
    username: String,
    password: String,
    role: String,
    area_code: String,
    display_name: Option<String>,
    /// One checkbox per section, named `section_<code>`.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn add_user(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<UserForm>,
) -> Result<Response, PageError> {
    let n = NewUser {
        username: f.username,
        password: f.password,
        role: f.role,
        area_code: f.area_code,
        display_name: f.display_name,
        sections: f
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("section_"))
            .map(str::to_string)
            .collect(),
    };
    match users::add(&app, &p.ctx, n).await {
        Ok(u) => users_page(&app, &p, Some(format!("已新增用户 {}", u.username)), None).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            users_page(&app, &p, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn user_action(
    State(app): State<App>,
    p: PageCtx,
    Path((username, action)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let msg = match action.as_str() {
        "disable" => {
            users::set_disabled(&app, &p.ctx, &username, true).await?;
            format!("已停用 {username}")
        }
        "enable" => {
            users::set_disabled(&app, &p.ctx, &username, false).await?;
            format!("已启用 {username}")
        }
        "reset" => {
            let pw = users::reset_password(&app, &p.ctx, &username, None).await?;
            format!("{username} 的新密码：{pw}（只显示这一次，请当面告知本人）")
        }
        _ => return Err(AppError::NotFound("操作".into()).into()),
    };
    users_page(&app, &p, Some(msg), None).await
}

pub struct TokenItem {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub status_label: String,
    /// Still usable, so it can be revoked.
    pub active: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    tokens: Vec<TokenItem>,
    new_token: Option<String>,
    token_days: i64,
}

async fn account_page(
    app: &App,
    p: &PageCtx,
    new_token: Option<String>,
) -> Result<Response, PageError> {
    let tokens = auth::my_tokens(app, &p.ctx)
        .await?
        .into_iter()
        .map(|t| TokenItem {
            active: t.status == "active",
            id: t.id,
            name: t.name,
            created: crate::util::local_time(&t.created_at),
            last_used: t
                .last_used_at
                .map(|u| crate::util::local_time(&u))
                .unwrap_or_else(|| "从未使用".into()),
            expires: t
                .expires_at
                .map(|e| crate::util::local_time(&e))
                .unwrap_or_else(|| "—".into()),
            status_label: t.status_label,
        })
        .collect();
    render(&AccountPage {
        nav: Nav::of(app, p),
        tokens,
        new_token,
        token_days: app.security().token_days,
    })
}

pub async fn account(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    account_page(&app, &p, None).await
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    name: Option<String>,
}

pub async fn new_token(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let (_, token) = auth::issue_token(&app, &p.ctx, f.name.as_deref().unwrap_or("")).await?;
    account_page(&app, &p, Some(token)).await
}

pub async fn revoke_token(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    auth::revoke_token(&app, &p.ctx, &id).await?;
    account_page(&app, &p, None).await
}
