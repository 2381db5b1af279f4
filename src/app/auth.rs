//! Logins, sessions, lockout and API tokens.

use super::audit::{self, Event};
use super::authz::{Actor, Role};
use super::{App, AppError, AppResult, Ctx};
use crate::storage::users::{self as store, SessionRow, TokenRow, UserRow};
use crate::storage::{new_id, now};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, FixedOffset};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MIN: i64 = 15;
pub const LOCK_MIN: i64 = 15;
/// Idle sessions are logged out (等保 requires it).
pub const IDLE_TIMEOUT_MIN: i64 = 30;

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user"));

pub fn hash_password(pw: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .expect("argon2 hashing")
        .to_string()
}

fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// At least 8 characters mixing at least two of letters, digits and symbols.
pub fn check_password_policy(pw: &str) -> AppResult<()> {
    let classes = [
        pw.chars().any(|c| c.is_ascii_alphabetic()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if pw.chars().count() < 8 || classes.iter().filter(|b| **b).count() < 2 {
        return Err(AppError::invalid(
            "password",
            "密码至少8位，并包含字母、数字、符号中的至少两类",
        ));
    }
    Ok(())
}

pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn actor_of(app: &App, u: &UserRow) -> Actor {
    let level = app
        .areas()
        .get(&u.area_code)
        .map(|a| a.level.clone())
        .unwrap_or_else(|| "village".into());
    Actor {
        user_id: Some(u.id.clone()),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: Role::parse(&u.role).unwrap_or(Role::Leader),
        area_code: u.area_code.clone(),
        area_level: level,
        sections: super::authz::Section::parse_list(&u.sections),
    }
}

fn anonymous(username: &str) -> Actor {
    Actor {
        user_id: None,
        username: username.to_string(),
        display_name: String::new(),
        role: Role::Leader,
        area_code: String::new(),
        area_level: "none".into(),
        sections: vec![],
    }
}

/// Checks a username and password with lockout: 5 failures in 15 minutes lock the account for 15 minutes.
pub async fn authenticate(app: &App, username: &str, password: &str, ip: &str) -> AppResult<Actor> {
    let bad = || AppError::Unauthenticated;
    let Some(user) = store::by_username(&app.db, username.trim()).await? else {
        // Same work as a real check, so timing does not reveal which usernames exist.
        let _ = verify_password(password, &DUMMY_HASH);
        return Err(bad());
    };
    let actor = actor_of(app, &user);
    let ctx = Ctx {
        actor: actor.clone(),
        ip: ip.to_string(),
    };
    let t = now();
    if user.disabled {
        audit::record_alone(
            &app.db,
            &ctx,
            Event::new("auth.login", "user", &user.id).failed(),
        )
        .await?;
        return Err(AppError::Locked("账号已停用，请联系市局系统管理员".into()));
    }
    if let Some(until) = user.locked_until.filter(|u| *u > t) {
        audit::record_alone(
            &app.db,
            &ctx,
            Event::new("auth.login", "user", &user.id).failed(),
        )
        .await?;
        return Err(AppError::Locked(locked_message(until)));
    }
    if !verify_password(password, &user.password_hash) {
        let mut tx = app.db.begin().await?;
        let n = store::record_failure(
            &mut tx,
            &user.id,
            t,
            t - Duration::minutes(FAILURE_WINDOW_MIN),
        )
        .await?;
        let locked = n >= MAX_FAILURES;
        if locked {
            store::lock_until(&mut tx, &user.id, t + Duration::minutes(LOCK_MIN)).await?;
        }
        audit::record(
            &mut tx,
            &ctx,
            Event::new("auth.login", "user", &user.id)
                .after(serde_json::json!({"failures": n, "locked": locked}))
                .failed(),
        )
        .await?;
        tx.commit().await?;
        return Err(if locked {
            AppError::Locked(locked_message(t + Duration::minutes(LOCK_MIN)))
        } else {
            bad()
        });
    }
    let mut tx = app.db.begin().await?;
    store::clear_failures(&mut tx, &user.id).await?;
    audit::record(&mut tx, &ctx, Event::new("auth.login", "user", &user.id)).await?;
    tx.commit().await?;
    Ok(actor)
}

fn locked_message(until: chrono::DateTime<chrono::Utc>) -> String {
    let local = until.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    format!(
        "连续登录失败次数过多，账号已锁定至 {}",
        local.format("%H:%M")
    )
}

/// A new browser session; returns (cookie token, CSRF token). Only the token's hash is stored.
pub async fn start_session(app: &App, actor: &Actor) -> AppResult<(String, String)> {
    let token = random_token(32);
    let csrf = random_token(16);
    let t = now();
    let mut tx = app.db.begin().await?;
    store::insert_session(
        &mut tx,
        &SessionRow {
            id: sha256_hex(&token),
            user_id: actor.user_id.clone().unwrap_or_default(),
            csrf_token: csrf.clone(),
            created_at: t,
            last_seen_at: t,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((token, csrf))
}

/// The user behind a session cookie, if the session is live; idle sessions end.
pub async fn session_actor(app: &App, token: &str) -> AppResult<Option<(Actor, SessionRow)>> {
    let Some(s) = store::session(&app.db, &sha256_hex(token)).await? else {
        return Ok(None);
    };
    let t = now();
    if t - s.last_seen_at > Duration::minutes(IDLE_TIMEOUT_MIN) {
        let mut tx = app.db.begin().await?;
        store::delete_session(&mut tx, &s.id).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let Some(user) = store::by_id(&app.db, &s.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if t - s.last_seen_at > Duration::seconds(60) {
        store::touch_session(&app.db, &s.id, t).await?;
    }
    Ok(Some((actor_of(app, &user), s)))
}

pub async fn end_session(app: &App, ctx: &Ctx, token: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    store::delete_session(&mut tx, &sha256_hex(token)).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new(
            "auth.logout",
            "user",
            ctx.actor.user_id.clone().unwrap_or_default(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues an API bearer token for the user; only its hash is stored, so it is shown once.
pub async fn issue_token(app: &App, ctx: &Ctx, name: &str) -> AppResult<(String, String)> {
    let token = format!("mz_{}", random_token(24));
    let id = new_id();
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let name = if name.trim().is_empty() {
        "API"
    } else {
        name.trim()
    };
    let mut tx = app.db.begin().await?;
    store::insert_token(
        &mut tx,
        &TokenRow {
            id: id.clone(),
            user_id,
            token_hash: sha256_hex(&token),
            name: name.to_string(),
            created_at: now(),
            revoked_at: None,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("auth.token.issue", "api_token", &id).after(serde_json::json!({"name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// How long a bearer token's user is remembered. Revoking a token or changing a user clears the memory of this
/// process at once; another server process on the same database sees the change within this time.
pub const TOKEN_MEMORY: std::time::Duration = std::time::Duration::from_secs(10);
const TOKEN_MEMORY_MAX: usize = 10_000;

/// Bearer tokens recently checked, by hash, so that a busy API client costs no authentication queries.
#[derive(Default)]
pub struct TokenCache(std::sync::Mutex<HashMap<String, (Actor, String, std::time::Instant)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<(Actor, String)> {
        let map = self.0.lock().expect("token cache lock");
        map.get(hash)
            .filter(|(_, _, at)| at.elapsed() < TOKEN_MEMORY)
            .map(|(a, id, _)| (a.clone(), id.clone()))
    }
    fn put(&self, hash: String, actor: Actor, token_id: String) {
        let mut map = self.0.lock().expect("token cache lock");
        if map.len() >= TOKEN_MEMORY_MAX {
            map.clear();
        }
        map.insert(hash, (actor, token_id, std::time::Instant::now()));
    }
}

impl App {
    /// Called by every change to tokens or users: the next call with any token checks the database again.
    pub fn forget_tokens(&self) {
        self.tokens.0.lock().expect("token cache lock").clear();
    }
}

/// The user behind a bearer token, if it exists and is not revoked.
pub async fn token_actor(app: &App, token: &str) -> AppResult<Option<(Actor, String)>> {
    let hash = sha256_hex(token);
    if let Some(hit) = app.tokens.get(&hash) {
        return Ok(Some(hit));
    }
    let Some(t) = store::token_by_hash(&app.db, &hash).await? else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = store::by_id(&app.db, &t.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let actor = actor_of(app, &user);
    app.tokens.put(hash, actor.clone(), t.id.clone());
    Ok(Some((actor, t.id)))
}

pub async fn revoke_token(app: &App, ctx: &Ctx, token_id: &str) -> AppResult<()> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.begin().await?;
    if store::revoke_token(&mut tx, token_id, &user_id, now()).await? == 0 {
        return Err(AppError::NotFound("令牌".into()));
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("auth.token.revoke", "api_token", token_id),
    )
    .await?;
    tx.commit().await?;
    app.forget_tokens();
    Ok(())
}

pub async fn my_tokens(app: &App, ctx: &Ctx) -> AppResult<Vec<TokenRow>> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    Ok(store::tokens_of(&app.db, &user_id).await?)
}

/// For audit entries about someone who is not logged in.
pub fn anonymous_ctx(username: &str, ip: &str) -> Ctx {
    Ctx {
        actor: anonymous(username),
        ip: ip.to_string(),
    }
}
