//! User administration (city administrator only).

use super::audit::{self, Event};
use super::auth::{check_password_policy, hash_password, random_token};
use super::authz::{Permission, Role, Section};
use super::{App, AppError, AppResult, Ctx, validate};
use crate::storage::users::{self as store, UserRow};
use crate::storage::{new_id, now};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub area_code: String,
    pub area_name: String,
    pub disabled: bool,
    pub locked: bool,
    /// Has a confirmed second factor (TOTP).
    pub totp: bool,
    /// A city officer's sections (科室), by name.
    pub sections: Vec<String>,
}

fn view(app: &App, u: &UserRow, locked: bool, totp: bool) -> UserView {
    UserView {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.clone(),
        role_label: Role::parse(&u.role)
            .map(Role::label)
            .unwrap_or("")
            .to_string(),
        area_code: u.area_code.clone(),
        area_name: app.areas().full_name(&u.area_code),
        disabled: u.disabled,
        locked,
        totp,
        sections: Section::parse_list(&u.sections)
            .into_iter()
            .map(|s| s.label().to_string())
            .collect(),
    }
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: String,
    pub area_code: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// For a city officer: the sections it acts for (social_assistance, verification, elderly_care,
    /// child_welfare, social_affairs, social_organisations, office); it reads every line without any.
    #[serde(default)]
    pub sections: Vec<String>,
}

pub async fn add(app: &App, ctx: &Ctx, n: NewUser) -> AppResult<UserView> {
    ctx.actor.require(Permission::ManageUsers)?;
    let username = n.username.trim().to_string();
    if username.is_empty()
        || username.len() > 32
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return Err(AppError::invalid(
            "username",
            "用户名须为1–32位字母、数字、下划线、点或连字符",
        ));
    }
    let (role, area_code) = role_and_area(app, ctx, &n.role, &n.area_code)?;
    let display_name = match n.display_name.as_deref() {
        Some(d) => validate::name("display_name", "姓名", d, 0, validate::NAME_MAX)?,
        None => String::new(),
    };
    let mut sections = Vec::new();
    for code in &n.sections {
        let s = Section::parse(code)
            .ok_or_else(|| AppError::invalid("sections", format!("科室“{code}”不存在")))?;
        if !sections.contains(&s) {
            sections.push(s);
        }
    }
    if role != Role::CityOfficer && !sections.is_empty() {
        return Err(AppError::invalid(
            "sections",
            "只有市局业务科室的用户属于科室",
        ));
    }
    check_password_policy(app, &n.password)?;
    let mut tx = app.db.begin().await?;
    if store::by_username(&app.db, &username).await?.is_some() {
        return Err(AppError::conflict(
            "username",
            format!("用户名 {username} 已存在"),
        ));
    }
    let row = UserRow {
        id: new_id(),
        username: username.clone(),
        display_name: if display_name.is_empty() {
            username.clone()
        } else {
            display_name
        },
        password_hash: hash_password(&n.password),
        role: role.code().into(),
        area_code,
        sections: Section::join(&sections),
        disabled: false,
        locked_until: None,
        created_at: now(),
    };
    if let Err(e) = store::insert(&mut tx, &row).await {
        return Err(if e.is_unique_violation() {
            AppError::conflict("username", format!("用户名 {username} 已存在"))
        } else {
            e.into()
        });
    }
    let v = view(app, &row, false, false);
    audit::record(
        &mut tx,
        ctx,
        Event::new("user.add", "user", &row.id)
            .area(&row.area_code)
            .after(serde_json::json!({"username": row.username, "role": row.role, "area_code": row.area_code, "sections": row.sections})),
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn list(app: &App, ctx: &Ctx) -> AppResult<Vec<UserView>> {
    ctx.actor.require(Permission::ManageUsers)?;
    let locked: std::collections::HashSet<String> = store::locked_usernames(&app.db, now())
        .await?
        .into_iter()
        .collect();
    let enrolled: std::collections::HashSet<String> = store::enrolled_user_ids(&app.db)
        .await?
        .into_iter()
        .collect();
    Ok(store::list_in(&app.db, &ctx.actor.area_code)
        .await?
        .iter()
        .map(|u| {
            view(
                app,
                u,
                locked.contains(&u.username),
                enrolled.contains(&u.id),
            )
        })
        .collect())
}

/// A role and the area it is bound to, checked against each other and the caller's scope.
fn role_and_area(app: &App, ctx: &Ctx, role: &str, area_code: &str) -> AppResult<(Role, String)> {
    let role = Role::parse(role.trim()).ok_or_else(|| {
        AppError::invalid("role", "角色无效，应为 city_admin、security_admin、audit_admin、city_officer、town_officer、village_worker、leader 或 auditor")
    })?;
    let areas = app.areas();
    let area = areas
        .get(area_code.trim())
        .ok_or_else(|| AppError::invalid("area_code", "所属区划不存在"))?;
    if !ctx.actor.in_scope(&area.code) {
        return Err(AppError::invalid("area_code", "所属区划不在您的管辖范围内"));
    }
    if area.level != role.area_level() {
        let want = match role.area_level() {
            "town" => "镇(街道)",
            "village" => "村(社区)",
            _ => "市",
        };
        return Err(AppError::invalid(
            "area_code",
            format!("{}必须绑定到{}级区划", role.label(), want),
        ));
    }
    Ok((role, area.code.clone()))
}

/// Moves a user to another role or area. The user's API tokens are revoked (they carried the old rights).
pub async fn change_role_area(
    app: &App,
    ctx: &Ctx,
    username: &str,
    role: &str,
    area_code: &str,
) -> AppResult<UserView> {
    let u = find_in_scope(app, ctx, username).await?;
    let (role, area_code) = role_and_area(app, ctx, role, area_code)?;
    if ctx.actor.user_id.as_deref() == Some(u.id.as_str()) {
        return Err(AppError::invalid("username", "不能更改自己的角色或区划"));
    }
    let mut tx = app.db.begin().await?;
    store::set_role_area(&mut tx, &u.id, role.code(), &area_code).await?;
    let revoked = store::revoke_all_tokens(&mut tx, &u.id, now()).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("user.change_role", "user", &u.id)
            .area(&area_code)
            .before(serde_json::json!({"role": u.role, "area_code": u.area_code}))
            .after(serde_json::json!({"role": role.code(), "area_code": area_code, "tokens_revoked": revoked})),
    )
    .await?;
    tx.commit().await?;
    app.forget_tokens();
    let totp = super::totp::enrolment(app, &u.id).await? == super::totp::Enrolment::Confirmed;
    let row = UserRow {
        role: role.code().into(),
        area_code,
        ..u
    };
    Ok(view(app, &row, false, totp))
}

async fn find_in_scope(app: &App, ctx: &Ctx, username: &str) -> AppResult<UserRow> {
    ctx.actor.require(Permission::ManageUsers)?;
    match store::by_username(&app.db, username).await? {
        Some(u) if ctx.actor.in_scope(&u.area_code) => Ok(u),
        _ => Err(AppError::NotFound(format!("用户 {username} "))),
    }
}

pub async fn set_disabled(app: &App, ctx: &Ctx, username: &str, disabled: bool) -> AppResult<()> {
    let u = find_in_scope(app, ctx, username).await?;
    if ctx.actor.user_id.as_deref() == Some(u.id.as_str()) && disabled {
        return Err(AppError::invalid("username", "不能停用自己的账号"));
    }
    let mut tx = app.db.begin().await?;
    store::set_disabled(&mut tx, &u.id, disabled).await?;
    // enabling the account again must not bring old tokens back
    let revoked = if disabled {
        store::revoke_all_tokens(&mut tx, &u.id, now()).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        ctx,
        Event::new(
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            "user",
            &u.id,
        )
        .area(&u.area_code)
        .before(serde_json::json!({"disabled": u.disabled}))
        .after(serde_json::json!({"disabled": disabled, "tokens_revoked": revoked})),
    )
    .await?;
    tx.commit().await?;
    app.forget_tokens();
    Ok(())
}

/// Sets a new password (a random one when `password` is None, returned once) and unlocks the account.
pub async fn reset_password(
    app: &App,
    ctx: &Ctx,
    username: &str,
    password: Option<String>,
) -> AppResult<String> {
    let u = find_in_scope(app, ctx, username).await?;
    let pw = password.unwrap_or_else(|| generate_password(app));
    check_password_policy(app, &pw)?;
    let mut tx = app.db.begin().await?;
    store::set_password(&mut tx, &u.id, &hash_password(&pw)).await?;
    // the reset is also the administrator's unlock, from every address
    store::clear_throttle_all(&mut tx, &u.username).await?;
    let revoked = store::revoke_all_tokens(&mut tx, &u.id, now()).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("user.reset_password", "user", &u.id)
            .area(&u.area_code)
            .after(serde_json::json!({"tokens_revoked": revoked})),
    )
    .await?;
    tx.commit().await?;
    app.forget_tokens();
    Ok(pw)
}

/// Letters, digits and a symbol, as long as the policy asks (at least 19 characters).
pub fn generate_password(app: &App) -> String {
    let len = (app.policy().password_min_len as usize).max(19);
    let hex = random_token(len / 2 + 1);
    format!("Mz-{}", &hex[..len - 3])
}

/// On an empty database: the city administrator `admin`. Returns the password if it was generated.
pub async fn bootstrap_admin(app: &App, password: Option<String>) -> AppResult<Option<String>> {
    if store::count(&app.db).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    let pw = password.unwrap_or_else(|| generate_password(app));
    let city = app.areas().city_code.clone();
    let ctx = Ctx::internal(super::authz::Actor::system(&city), "cli");
    add(
        app,
        &ctx,
        NewUser {
            username: "admin".into(),
            password: pw.clone(),
            role: "city_admin".into(),
            area_code: city,
            display_name: Some("系统管理员".into()),
            sections: vec![],
        },
    )
    .await?;
    Ok(generated.then_some(pw))
}
