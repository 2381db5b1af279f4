//! The security policy (三员分立: the security administrator's part): read, change (audited) and the values the
//! login, session, token and network checks use.

use super::audit::{self, Event};
use super::authz::Permission;
use super::{App, AppError, AppResult, Ctx};
use crate::storage::now;
use crate::storage::users::{self as store, PolicyRow};
use minzheng_domain::policy::{Policy, parse_networks};

/// The policy as stored, or the defaults (the token lifetime from MINZHENG_TOKEN_DAYS) until first saved.
pub async fn reload(app: &App) -> AppResult<()> {
    let p = match store::policy(&app.db).await? {
        Some(r) => from_row(&r),
        None => Policy::default(),
    };
    app.set_policy(p);
    Ok(())
}

fn from_row(r: &PolicyRow) -> Policy {
    Policy {
        password_min_len: r.password_min_len,
        password_classes: r.password_classes,
        max_failures: r.max_failures,
        lock_minutes: r.lock_minutes,
        idle_minutes: r.idle_minutes,
        token_days: r.token_days,
        // stored only after validation; an unreadable entry is left out rather than shutting everyone out
        networks: parse_networks(&r.networks).unwrap_or_default(),
    }
}

/// Whether the security administrator has saved a policy (else MINZHENG_TOKEN_DAYS still sets token lifetimes).
async fn stored(app: &App) -> AppResult<Option<PolicyRow>> {
    Ok(store::policy(&app.db).await?)
}

/// An API token's lifetime in days: the saved policy's, else MINZHENG_TOKEN_DAYS (default 90).
pub async fn token_days(app: &App) -> AppResult<i64> {
    Ok(match stored(app).await? {
        Some(r) => r.token_days,
        None => app.security().token_days,
    })
}

/// What the security administrator sees and changes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// 密码最小长度（8–64）
    pub password_min_len: i64,
    /// 密码须包含的字符类别数（字母、数字、符号，1–3）
    pub password_classes: i64,
    /// 15分钟内同一地址同一用户名连续失败多少次后锁定（3–20）
    pub max_failures: i64,
    /// 首次锁定分钟数（1–1440），之后每次加倍，最长一天
    pub lock_minutes: i64,
    /// 会话空闲多少分钟后退出（5–240）
    pub idle_minutes: i64,
    /// 接口令牌有效天数（1–3650）
    pub token_days: i64,
    /// 允许访问的网络（如 10.0.0.0/8）；为空表示不限
    pub networks: Vec<String>,
    /// 最近修改时间与修改人（未修改过则为空）
    #[serde(default)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub updated_by: Option<String>,
}

pub async fn get(app: &App, ctx: &Ctx) -> AppResult<PolicyView> {
    ctx.actor.require(Permission::ManagePolicy)?;
    let row = stored(app).await?;
    let p = app.policy();
    Ok(PolicyView {
        password_min_len: p.password_min_len,
        password_classes: p.password_classes,
        max_failures: p.max_failures,
        lock_minutes: p.lock_minutes,
        idle_minutes: p.idle_minutes,
        token_days: match &row {
            Some(r) => r.token_days,
            None => app.security().token_days,
        },
        networks: p.networks.iter().map(|n| n.to_string()).collect(),
        updated_at: row.as_ref().map(|r| r.updated_at),
        updated_by: row.map(|r| r.updated_by),
    })
}

/// Saves a new policy (every field checked first, nothing written on a bad one) and puts it in force at once.
/// The caller's own address must stay inside the allowed networks, so that no one locks the office out by a typo.
pub async fn set(app: &App, ctx: &Ctx, v: PolicyView) -> AppResult<PolicyView> {
    ctx.actor.require(Permission::ManagePolicy)?;
    let networks =
        parse_networks(&v.networks.join(",")).map_err(|e| AppError::invalid(e.field, e.message))?;
    let p = Policy {
        password_min_len: v.password_min_len,
        password_classes: v.password_classes,
        max_failures: v.max_failures,
        lock_minutes: v.lock_minutes,
        idle_minutes: v.idle_minutes,
        token_days: v.token_days,
        networks,
    };
    p.validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    if let Ok(ip) = ctx.ip.parse::<std::net::IpAddr>()
        && !p.allows(ip)
    {
        return Err(AppError::invalid(
            "networks",
            format!("您当前的地址 {ip} 不在允许的网络内，保存后将无法再访问平台"),
        ));
    }
    let before = get(app, ctx).await?;
    let row = PolicyRow {
        password_min_len: p.password_min_len,
        password_classes: p.password_classes,
        max_failures: p.max_failures,
        lock_minutes: p.lock_minutes,
        idle_minutes: p.idle_minutes,
        token_days: p.token_days,
        networks: p
            .networks
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(","),
        updated_at: now(),
        updated_by: ctx.actor.username.clone(),
    };
    let mut tx = app.db.begin().await?;
    store::set_policy(&mut tx, &row).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("security.policy", "security_policy", "1")
            .before(&before)
            .after(&p),
    )
    .await?;
    tx.commit().await?;
    app.set_policy(p);
    get(app, ctx).await
}
