//! Logins, sessions, lockout and API tokens.

use super::audit::{self, Event};
use super::authz::{Actor, Role};
use super::{App, AppError, AppResult, Ctx};
use crate::storage::users::{self as store, SessionRow, TokenRow, UserRow};
use crate::storage::{new_id, now};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::Duration;
use rand::TryRng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The window failures are counted in. How many lock the pair, and the first lock's length, are the security
/// administrator's policy (`app.policy()`: 5 and 15 minutes by default); each further lock of the same pair lasts
/// twice as long, up to a day.
pub const FAILURE_WINDOW_MIN: i64 = 15;
pub const LOCK_MAX_MIN: i64 = 24 * 60;
/// A session waiting for its second factor (or its enrolment) lasts this long.
pub const PENDING_MIN: i64 = 10;
/// A username longer than any real one is counted by its first characters (so a caller cannot grow the table rows).
const USERNAME_KEY_MAX: usize = 64;

static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user"));

/// Computes the stand-in hash in the background, so that the first unknown name does not answer slower than the rest.
pub fn warm_up() {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn_blocking(|| std::sync::LazyLock::force(&DUMMY_HASH).len());
    }
}

/// Password checks run off the async workers, as many at once as there are cores: a burst of logins then waits its
/// turn instead of stalling every other request (and argon2's 19 MiB each stay bounded).
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    )
});

async fn verify_password_blocking(pw: &str, hash: &str) -> bool {
    let _permit = HASHING.acquire().await.expect("hashing semaphore");
    let (pw, hash) = (pw.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .unwrap_or(false)
}

pub fn hash_password(pw: &str) -> String {
    // A 16-byte salt from the operating system's generator (argon2's `getrandom` feature).
    Argon2::default()
        .hash_password(pw.as_bytes())
        .expect("argon2 hashing")
        .to_string()
}

fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// The security policy's password rule (by default at least 8 characters mixing two of letters, digits, symbols).
pub fn check_password_policy(app: &App, pw: &str) -> AppResult<()> {
    app.policy()
        .check_password(pw)
        .map_err(|m| AppError::invalid("password", m))
}

pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::SysRng
        .try_fill_bytes(&mut b)
        .expect("the operating system's random source");
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

/// Where an attempt stands once its failure has been reserved.
struct Reservation {
    /// The password may be checked: the pair was not locked.
    allowed: bool,
    failures: i64,
    locked: bool,
}

/// Counts this attempt as a failure before its password is checked, in one locked transaction: however many
/// attempts run at once, at most the policy's `max_failures` of a window reach the hash. A good password gives it back.
async fn reserve_attempt(app: &App, username: &str, ip: &str) -> AppResult<Reservation> {
    let t = now();
    // Now and then, apart from the reservation (whose transaction must lock only its own row, or two could wait for
    // each other): pairs quiet for a day are forgotten.
    if rand::random::<u8>() < 8 {
        let mut tx = app.db.begin().await?;
        tx.unaudited("forgetting login counters quiet for a day");
        let pruned = store::prune_throttle(&mut tx, t - Duration::days(1), t).await;
        if let Err(e) = match pruned {
            Ok(()) => tx.commit().await,
            Err(e) => Err(e),
        } {
            tracing::warn!("login_throttle pruning failed: {e}");
        }
    }
    let mut tx = app.db.begin().await?;
    // the attempt is counted before the password is checked; the login's outcome is audited by the caller
    tx.unaudited("a login attempt counted");
    let mut r = store::throttle_for_update(&mut tx, username, ip, t).await?;
    if r.locked_until.is_some_and(|u| u > t) {
        tx.commit().await?;
        return Ok(Reservation {
            allowed: false,
            failures: r.failures,
            locked: true,
        });
    }
    if r.locked_until.is_some() || r.window_start < t - Duration::minutes(FAILURE_WINDOW_MIN) {
        // a lock that ran out, or a window that passed: count afresh (the lockouts are remembered)
        r.failures = 0;
        r.window_start = t;
        r.locked_until = None;
    }
    r.failures += 1;
    let policy = app.policy();
    if r.failures >= policy.max_failures {
        let minutes = (policy.lock_minutes << r.lockouts.clamp(0, 20)).min(LOCK_MAX_MIN);
        r.locked_until = Some(t + Duration::minutes(minutes));
        r.lockouts += 1;
    }
    store::set_throttle(&mut tx, username, ip, &r).await?;
    tx.commit().await?;
    Ok(Reservation {
        allowed: true,
        failures: r.failures,
        locked: r.locked_until.is_some(),
    })
}

/// What a good password leads to.
pub enum Step {
    /// No second factor is needed: logged in.
    Done(Actor),
    /// The account has a second factor: its code is asked next.
    Code(Actor),
    /// The deployment requires a second factor and the account has none yet: it enrols next.
    Enrol(Actor),
}

/// Checks a username and password. Failures are counted per username and source address: the policy's
/// `max_failures` (5) in 15 minutes lock that pair for `lock_minutes` (15), then twice that, … up to a day. A wrong
/// password, an unknown name, a locked and a disabled account get the same answer after the same work (one argon2
/// check), so callers cannot tell them apart. The attempt stays counted until the whole login succeeds.
async fn first_factor(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
) -> AppResult<(UserRow, String)> {
    // No account's name has a control character (users::add), and PostgreSQL's text cannot hold NUL: such a name
    // is looked up, counted and audited with those characters replaced, and fails like any unknown name.
    let username: String = username
        .trim()
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let username = username.as_str();
    let key: String = username.chars().take(USERNAME_KEY_MAX).collect();
    let user = store::by_username(&app.db, username).await?;
    let r = reserve_attempt(app, &key, ip).await?;
    let usable = user.as_ref().filter(|u| !u.disabled && r.allowed);
    let hash = usable.map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
    let good = verify_password_blocking(password, hash).await;
    match usable {
        Some(u) if good => Ok((u.clone(), key)),
        _ => {
            let reason = match &user {
                None => "unknown_user",
                Some(u) if u.disabled => "disabled",
                Some(_) if !r.allowed => "locked",
                Some(_) => "password",
            };
            let extra = serde_json::json!({
                "checked": usable.is_some(),
                "failures": r.failures,
                "locked": r.locked,
            });
            Err(login_failed(app, user.as_ref(), &key, ip, reason, extra).await)
        }
    }
}

/// Audits a refused login and returns the one answer every refusal gets.
async fn login_failed(
    app: &App,
    user: Option<&UserRow>,
    key: &str,
    ip: &str,
    reason: &str,
    mut extra: serde_json::Value,
) -> AppError {
    let (ctx, id) = match user {
        Some(u) => (Ctx::internal(actor_of(app, u), ip), u.id.clone()),
        None => (anonymous_ctx(key, ip), String::new()),
    };
    extra["reason"] = reason.into();
    let ev = Event::new("auth.login", "user", id).after(extra).failed();
    match audit::record_alone(&app.db, &ctx, ev).await {
        Ok(()) => AppError::LoginFailed,
        Err(e) => e,
    }
}

/// The second factor this user must give after the password.
async fn second_factor_of(app: &App, u: &UserRow) -> AppResult<Option<bool>> {
    Ok(match super::totp::enrolment(app, &u.id).await? {
        super::totp::Enrolment::Confirmed => Some(true),
        _ if app.security().require_totp => Some(false),
        _ => None,
    })
}

/// A whole login succeeded: the pair's failures are forgotten and the login is audited with how it was proven.
async fn login_done(
    app: &App,
    tx: &mut crate::storage::Tx,
    u: &UserRow,
    key: &str,
    ip: &str,
    factor: &str,
) -> AppResult<Actor> {
    let actor = actor_of(app, u);
    let ctx = Ctx::internal(actor.clone(), ip);
    store::clear_throttle(tx, key, ip).await?;
    audit::record(
        tx,
        &ctx,
        Event::new("auth.login", "user", &u.id).after(serde_json::json!({"factor": factor})),
    )
    .await?;
    Ok(actor)
}

/// The API's login: password and, for an account with a second factor (or when the deployment requires one),
/// its code or a recovery code in the same request. Every refusal is the same 401; a wrong code counts as a
/// failure of the pair like a wrong password. An account that must enrol first does so in the browser.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    code: Option<&str>,
    ip: &str,
) -> AppResult<Actor> {
    let (u, key) = first_factor(app, username, password, ip).await?;
    let need = second_factor_of(app, &u).await?;
    let mut tx = app.db.begin().await?;
    let factor = match (need, code.map(str::trim).filter(|c| !c.is_empty())) {
        (None, _) => Some("password"),
        (Some(false), _) => None,
        (Some(true), None) => None,
        (Some(true), Some(c)) => super::totp::check(app, &mut tx, &u.id, c)
            .await?
            .map(|f| f.code()),
    };
    let Some(factor) = factor else {
        // the failure is audited by login_failed, in its own transaction
        tx.unaudited("a refused second factor");
        tx.commit().await?;
        let reason = match (need, code) {
            (Some(false), _) => "totp_not_enrolled",
            (_, None) => "totp_missing",
            _ => "totp",
        };
        return Err(login_failed(app, Some(&u), &key, ip, reason, serde_json::json!({})).await);
    };
    let actor = login_done(app, &mut tx, &u, &key, ip, factor).await?;
    tx.commit().await?;
    Ok(actor)
}

/// The login page's first step: the password. A user without a second factor (where none is required) is
/// logged in; otherwise the password's success is audited and the code (or the enrolment) comes next.
pub async fn login_password(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
) -> AppResult<Step> {
    let (u, key) = first_factor(app, username, password, ip).await?;
    let need = second_factor_of(app, &u).await?;
    let mut tx = app.db.begin().await?;
    let step = match need {
        None => Step::Done(login_done(app, &mut tx, &u, &key, ip, "password").await?),
        Some(enrolled) => {
            let actor = actor_of(app, &u);
            let ctx = Ctx::internal(actor.clone(), ip);
            audit::record(
                &mut tx,
                &ctx,
                Event::new("auth.password", "user", &u.id)
                    .after(serde_json::json!({"next": if enrolled { "totp" } else { "enrol" }})),
            )
            .await?;
            if enrolled {
                Step::Code(actor)
            } else {
                Step::Enrol(actor)
            }
        }
    };
    tx.commit().await?;
    Ok(step)
}

/// The login page's second step: the code (or a recovery code) of a session whose password was checked. It is
/// counted against the same (username, address) pair as the password, before it is checked. On success the
/// waiting session is replaced by a full one (a new cookie); returns its (token, CSRF token).
pub async fn login_code(
    app: &App,
    pending_token: &str,
    code: &str,
    ip: &str,
) -> AppResult<(String, String)> {
    let Some((actor, s)) = session_actor(app, pending_token).await? else {
        return Err(AppError::Unauthenticated);
    };
    if s.stage != "code" {
        return Err(AppError::Unauthenticated);
    }
    let key: String = actor.username.chars().take(USERNAME_KEY_MAX).collect();
    let u = store::by_id(&app.db, &s.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let r = reserve_attempt(app, &key, ip).await?;
    if !r.allowed {
        return Err(login_failed(
            app,
            Some(&u),
            &key,
            ip,
            "locked",
            serde_json::json!({"checked": false, "failures": r.failures, "locked": true}),
        )
        .await);
    }
    let mut tx = app.db.begin().await?;
    let Some(f) = super::totp::check(app, &mut tx, &u.id, code).await? else {
        // the failure is audited by login_failed, in its own transaction
        tx.unaudited("a refused second factor");
        tx.commit().await?;
        return Err(login_failed(
            app,
            Some(&u),
            &key,
            ip,
            "totp",
            serde_json::json!({"checked": true, "failures": r.failures, "locked": r.locked}),
        )
        .await);
    };
    login_done(app, &mut tx, &u, &key, ip, f.code()).await?;
    let full = replace_session(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(full)
}

/// The enrolment that a required second factor asked for is confirmed: the login completes (a new full session).
pub async fn enrolment_login(
    app: &App,
    ctx: &Ctx,
    pending_token: &str,
) -> AppResult<(String, String)> {
    let Some((_, s)) = session_actor(app, pending_token).await? else {
        return Err(AppError::Unauthenticated);
    };
    let u = store::by_id(&app.db, &s.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let key: String = u.username.chars().take(USERNAME_KEY_MAX).collect();
    let mut tx = app.db.begin().await?;
    login_done(app, &mut tx, &u, &key, &ctx.ip, "totp_enrol").await?;
    let full = replace_session(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(full)
}

/// A waiting session becomes a full one under a new token (a token seen before the second factor is worth
/// nothing after it).
async fn replace_session(
    tx: &mut crate::storage::Tx,
    old: &SessionRow,
) -> AppResult<(String, String)> {
    store::delete_session(tx, &old.id).await?;
    let token = random_token(32);
    let csrf = random_token(16);
    let t = now();
    store::insert_session(
        tx,
        &SessionRow {
            id: sha256_hex(&token),
            user_id: old.user_id.clone(),
            csrf_token: csrf.clone(),
            created_at: t,
            last_seen_at: t,
            stage: "full".into(),
        },
    )
    .await?;
    Ok((token, csrf))
}

/// A new browser session at a stage (full, code or enrol); returns (cookie token, CSRF token). Only the token's
/// hash is stored.
pub async fn start_session(app: &App, actor: &Actor, stage: &str) -> AppResult<(String, String)> {
    let token = random_token(32);
    let csrf = random_token(16);
    let t = now();
    let mut tx = app.db.begin().await?;
    // the login that opens it is audited by the caller (auth.login / auth.password)
    tx.unaudited("a session opened");
    store::insert_session(
        &mut tx,
        &SessionRow {
            id: sha256_hex(&token),
            user_id: actor.user_id.clone().unwrap_or_default(),
            csrf_token: csrf.clone(),
            created_at: t,
            last_seen_at: t,
            stage: stage.into(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((token, csrf))
}

/// The user behind a session cookie, if the session is live (at any stage: the caller checks `stage`); sessions
/// idle longer than the policy's `idle_minutes`, and waiting ones older than [`PENDING_MIN`], end.
pub async fn session_actor(app: &App, token: &str) -> AppResult<Option<(Actor, SessionRow)>> {
    let Some(s) = store::session(&app.db, &sha256_hex(token)).await? else {
        return Ok(None);
    };
    let t = now();
    let expired = if s.stage == "full" {
        t - s.last_seen_at > Duration::minutes(app.policy().idle_minutes)
    } else {
        t - s.created_at > Duration::minutes(PENDING_MIN)
    };
    if expired {
        let mut tx = app.db.begin().await?;
        tx.unaudited("an idle or unfinished session ended");
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

/// What a token is bound to: the user's role, area and password hash when it was issued. A change of any of them
/// (or a change made outside the platform) makes the token's stamp differ, and the token is refused.
pub fn user_stamp(u: &UserRow) -> String {
    sha256_hex(&format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        u.id, u.role, u.area_code, u.password_hash
    ))
}

/// Issues an API bearer token for the user; only its hash is stored, so it is shown once. It expires after
/// MINZHENG_TOKEN_DAYS days.
pub async fn issue_token(app: &App, ctx: &Ctx, name: &str) -> AppResult<(String, String)> {
    let token = format!("mz_{}", random_token(24));
    let id = new_id();
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let name = super::validate::line("name", "令牌名称", name, 0, super::validate::NAME_MAX)?;
    let name = if name.is_empty() {
        "API".to_string()
    } else {
        name
    };
    let user = store::by_id(&app.db, &user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(AppError::Unauthenticated)?;
    let t = now();
    let expires = t + Duration::days(super::policy::token_days(app).await?);
    let mut tx = app.db.begin().await?;
    store::insert_token(
        &mut tx,
        &TokenRow {
            id: id.clone(),
            user_id,
            token_hash: sha256_hex(&token),
            name: name.clone(),
            created_at: t,
            revoked_at: None,
            expires_at: Some(expires),
            last_used_at: None,
            user_stamp: Some(user_stamp(&user)),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("auth.token.issue", "api_token", &id)
            .after(serde_json::json!({"name": name, "expires_at": expires})),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// How long a bearer token's user is remembered. Revoking a token or changing a user clears the memory of this
/// process at once; another server process on the same database sees the change within this time.
pub const TOKEN_MEMORY: std::time::Duration = std::time::Duration::from_secs(10);
const TOKEN_MEMORY_MAX: usize = 10_000;
/// A token's last use is written at most this often.
const TOKEN_TOUCH_SECS: i64 = 60;

type CachedToken = (
    Actor,
    String,
    chrono::DateTime<chrono::Utc>,
    std::time::Instant,
);

/// Bearer tokens recently checked, by hash, so that a busy API client costs no authentication queries.
#[derive(Default)]
pub struct TokenCache(std::sync::Mutex<HashMap<String, CachedToken>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<(Actor, String)> {
        let map = self.0.lock().expect("token cache lock");
        let t = now();
        map.get(hash)
            .filter(|(_, _, expires, at)| at.elapsed() < TOKEN_MEMORY && *expires > t)
            .map(|(a, id, _, _)| (a.clone(), id.clone()))
    }
    fn put(
        &self,
        hash: String,
        actor: Actor,
        token_id: String,
        expires: chrono::DateTime<chrono::Utc>,
    ) {
        let mut map = self.0.lock().expect("token cache lock");
        if map.len() >= TOKEN_MEMORY_MAX {
            map.clear();
        }
        map.insert(hash, (actor, token_id, expires, std::time::Instant::now()));
    }
}

impl App {
    /// Called by every change to tokens or users: the next call with any token checks the database again.
    pub fn forget_tokens(&self) {
        self.tokens.0.lock().expect("token cache lock").clear();
    }
}

/// The user behind a bearer token, if it exists, is not revoked, has not expired and was issued for the user's
/// present role, area and password.
///
/// A token's first use of each day (Asia/Shanghai) is audited with the caller's address: every request would bury
/// the log (a client calls thousands of times a day), while a day's first use still shows who used which token
/// from where on which day; its every later use is in `last_used_at`.
pub async fn token_actor(app: &App, token: &str, ip: &str) -> AppResult<Option<(Actor, String)>> {
    let hash = sha256_hex(token);
    if let Some(hit) = app.tokens.get(&hash) {
        return Ok(Some(hit));
    }
    let Some(tok) = store::token_by_hash(&app.db, &hash).await? else {
        return Ok(None);
    };
    let t = now();
    let Some(expires) = tok.expires_at.filter(|e| *e > t) else {
        return Ok(None);
    };
    if tok.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = store::by_id(&app.db, &tok.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if tok.user_stamp.as_deref() != Some(user_stamp(&user).as_str()) {
        // the account changed since the token was issued (possibly outside the platform): it is revoked for good
        let mut tx = app.db.begin().await?;
        // the account change that caused it was audited where it was made
        tx.unaudited("a token of a changed account revoked on its next use");
        store::revoke_token(&mut tx, &tok.id, &tok.user_id, t).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let actor = actor_of(app, &user);
    if tok
        .last_used_at
        .is_none_or(|u| t - u > Duration::seconds(TOKEN_TOUCH_SECS))
    {
        let day = |at: chrono::DateTime<chrono::Utc>| {
            at.with_timezone(&crate::util::shanghai()).date_naive()
        };
        if tok.last_used_at.is_none_or(|u| day(u) != day(t)) {
            let ctx = Ctx::internal(actor.clone(), ip);
            let ev = Event::new("auth.token.use", "api_token", &tok.id)
                .after(serde_json::json!({"name": tok.name}));
            let mut tx = app.db.begin().await?;
            store::touch_token_tx(&mut tx, &tok.id, t).await?;
            audit::record(&mut tx, &ctx, ev).await?;
            tx.commit().await?;
        } else {
            store::touch_token(&app.db, &tok.id, t).await?;
        }
    }
    app.tokens.put(hash, actor.clone(), tok.id.clone(), expires);
    Ok(Some((actor, tok.id)))
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

/// A token as its owner sees it (never the token itself).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// active, expired, revoked or outdated (issued before a change of the account)
    pub status: String,
    pub status_label: String,
}

pub async fn my_tokens(app: &App, ctx: &Ctx) -> AppResult<Vec<TokenView>> {
    let user_id = ctx.actor.user_id.clone().ok_or(AppError::Unauthenticated)?;
    let stamp = store::by_id(&app.db, &user_id)
        .await?
        .map(|u| user_stamp(&u))
        .unwrap_or_default();
    let t = now();
    Ok(store::tokens_of(&app.db, &user_id)
        .await?
        .into_iter()
        .map(|r| {
            let (status, label) = if r.revoked_at.is_some() {
                ("revoked", "已吊销")
            } else if r.expires_at.is_none_or(|e| e <= t) {
                ("expired", "已过期")
            } else if r.user_stamp.as_deref() != Some(stamp.as_str()) {
                ("outdated", "已失效（账号已变更）")
            } else {
                ("active", "有效")
            };
            TokenView {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                expires_at: r.expires_at,
                last_used_at: r.last_used_at,
                status: status.into(),
                status_label: label.into(),
            }
        })
        .collect())
}

/// For audit entries about someone who is not logged in.
pub fn anonymous_ctx(username: &str, ip: &str) -> Ctx {
    Ctx::internal(anonymous(username), ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PHC string written by the argon2 0.5 this platform used before: users' stored hashes must still verify
    /// after an upgrade of the crate, or every account would be locked out.
    const STORED_BY_ARGON2_0_5: &str = "$argon2id$v=19$m=19456,t=2,p=1$0AIIAaW17BbSzv7BH261vA$9YHevXnfTp+FAKNtByzBAcuhovH+SYBjgUffi4EZ0C8";

    #[test]
    fn stored_hashes_still_verify() {
        assert!(verify_password("旧密码Abc123!", STORED_BY_ARGON2_0_5));
        assert!(!verify_password("旧密码Abc123?", STORED_BY_ARGON2_0_5));
        assert!(!verify_password("旧密码Abc123!", "not a hash"));
    }

    #[test]
    fn new_hashes_keep_the_format_and_parameters() {
        let h = hash_password("新密码Xyz789!");
        // the same algorithm and costs as the stored ones, a fresh salt each time
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_ne!(h, hash_password("新密码Xyz789!"));
        assert!(verify_password("新密码Xyz789!", &h));
        assert!(!verify_password("新密码Xyz789?", &h));
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_token(32), random_token(32));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
