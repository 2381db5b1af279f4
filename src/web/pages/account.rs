use super::{AreaOption, Nav, area_options, render};
use crate::app::authz::Role;
use crate::app::users::{self, NewUser, UserView};
use crate::app::{App, AppError, auth, policy, totp};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

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
        "totp_reset" => {
            crate::app::totp::reset(&app, &p.ctx, &username).await?;
            format!("已重置 {username} 的动态口令，其下次登录时须重新绑定")
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
    totp_enrolled: bool,
    recovery_left: i64,
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
    let (enrolment, recovery_left) = totp::status(app, &p.ctx).await?;
    render(&AccountPage {
        nav: Nav::of(app, p),
        tokens,
        new_token,
        token_days: crate::app::policy::token_days(app).await?,
        totp_enrolled: enrolment == totp::Enrolment::Confirmed,
        recovery_left,
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

#[derive(Template)]
#[template(path = "account_totp.html")]
struct TotpPage {
    nav: Nav,
    /// The enrolment is required before anything else opens.
    required: bool,
    enrolled: bool,
    recovery_left: i64,
    qr_svg: String,
    secret: String,
    recovery_codes: Vec<String>,
    error: Option<String>,
}

/// Secret in groups of four, as authenticator apps print it.
fn grouped(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn totp_view(
    app: &App,
    p: &PageCtx,
    recovery_codes: Vec<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (enrolment, recovery_left) = totp::status(app, &p.ctx).await?;
    let enrolled = enrolment == totp::Enrolment::Confirmed;
    let (qr_svg, secret) = if enrolled {
        (String::new(), String::new())
    } else {
        let pending = totp::begin(app, &p.ctx).await?;
        (pending.qr_svg, grouped(&pending.secret_base32))
    };
    let required = auth::session_actor(app, &p.session_token)
        .await?
        .is_some_and(|(_, s)| s.stage == "enrol");
    render(&TotpPage {
        nav: Nav::of(app, p),
        required,
        enrolled,
        recovery_left,
        qr_svg,
        secret,
        recovery_codes,
        error,
    })
}

/// 我的账号 → 动态口令: the QR code to scan (drawn by the server as SVG) and the secret as text for manual entry.
pub async fn totp_page(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    totp_view(&app, &p, vec![], None).await
}

#[derive(serde::Deserialize)]
pub struct TotpForm {
    code: String,
}

/// Confirms the enrolment with the first code; shows the recovery codes once. A login that was waiting for this
/// enrolment is completed (a new session cookie).
pub async fn totp_confirm(
    State(app): State<App>,
    jar: axum_extra::extract::CookieJar,
    p: PageCtx,
    Form(f): Form<TotpForm>,
) -> Result<Response, PageError> {
    match totp::confirm(&app, &p.ctx, &f.code).await {
        Ok(codes) => {
            let waiting = auth::session_actor(&app, &p.session_token)
                .await?
                .is_some_and(|(_, s)| s.stage == "enrol");
            if waiting {
                let (token, csrf) = auth::enrolment_login(&app, &p.ctx, &p.session_token).await?;
                let p = PageCtx {
                    csrf,
                    session_token: token.clone(),
                    ..p
                };
                let page = totp_view(&app, &p, codes, None).await?;
                return Ok((super::session::session_cookie(jar, token), page).into_response());
            }
            totp_view(&app, &p, codes, None).await
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            totp_view(&app, &p, vec![], Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "security_policy.html")]
struct PolicyPage {
    nav: Nav,
    p: policy::PolicyView,
    networks: String,
    updated: String,
    message: Option<String>,
    error: Option<String>,
}

fn policy_render(
    app: &App,
    pc: &PageCtx,
    v: policy::PolicyView,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&PolicyPage {
        nav: Nav::of(app, pc),
        networks: v.networks.join("\n"),
        updated: match (&v.updated_at, &v.updated_by) {
            (Some(at), Some(by)) => format!("{}（{by}）", crate::util::local_time(at)),
            _ => "尚未修改（使用默认值）".into(),
        },
        p: v,
        message,
        error,
    })
}

/// 安全策略 (the security administrator's page): passwords, lockout, idle sessions, token lifetime, networks.
pub async fn policy_page(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    let v = policy::get(&app, &p.ctx).await?;
    policy_render(&app, &p, v, None, None)
}

#[derive(serde::Deserialize)]
pub struct PolicyForm {
    password_min_len: String,
    password_classes: String,
    max_failures: String,
    lock_minutes: String,
    idle_minutes: String,
    token_days: String,
    networks: String,
}

/// The form's fields as the policy, the first one that is not a number named.
fn policy_form(f: &PolicyForm) -> Result<policy::PolicyView, AppError> {
    let num = |field: &str, label: &str, v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, format!("{label}须为整数")))
    };
    Ok(policy::PolicyView {
        password_min_len: num("password_min_len", "密码最小长度", &f.password_min_len)?,
        password_classes: num("password_classes", "字符类别数", &f.password_classes)?,
        max_failures: num("max_failures", "连续失败次数上限", &f.max_failures)?,
        lock_minutes: num("lock_minutes", "锁定时长", &f.lock_minutes)?,
        idle_minutes: num("idle_minutes", "会话空闲超时", &f.idle_minutes)?,
        token_days: num("token_days", "接口令牌有效期", &f.token_days)?,
        networks: f
            .networks
            .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        updated_at: None,
        updated_by: None,
    })
}

pub async fn policy_save(
    State(app): State<App>,
    p: PageCtx,
    Form(f): Form<PolicyForm>,
) -> Result<Response, PageError> {
    let current = policy::get(&app, &p.ctx).await?;
    let parsed = policy_form(&f);
    match parsed {
        Ok(v) => match policy::set(&app, &p.ctx, v).await {
            Ok(saved) => policy_render(
                &app,
                &p,
                saved,
                Some("安全策略已保存并立即生效".into()),
                None,
            ),
            Err(e @ AppError::Invalid { .. }) => {
                policy_render(&app, &p, current, None, Some(e.to_string()))
            }
            Err(e) => Err(e.into()),
        },
        Err(e) => policy_render(&app, &p, current, None, Some(e.to_string())),
    }
}
