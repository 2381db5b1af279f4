use super::{Db, DbResult, Tx};
use crate::args;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub area_code: String,
    /// A city officer's sections (科室), codes separated by commas.
    pub sections: String,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const USER_COLS: &str = "id, username, display_name, password_hash, role, area_code, sections, disabled, locked_until, created_at";

pub async fn by_username(db: &Db, username: &str) -> DbResult<Option<UserRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {USER_COLS} FROM users WHERE username = $1"),
            args![username],
        )
        .await
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<UserRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
            args![id],
        )
        .await
}

pub async fn by_id_tx(tx: &mut Tx, id: &str) -> DbResult<Option<UserRow>> {
    tx.fetch_optional(
        &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
        args![id],
    )
    .await
}

/// Users whose area lies in the subtree `area_prefix` (area codes are hierarchical by prefix).
pub async fn list_in(db: &Db, area_prefix: &str) -> DbResult<Vec<UserRow>> {
    db.conn()
        .fetch_all(
            &format!("SELECT {USER_COLS} FROM users WHERE area_code LIKE $1 ORDER BY username"),
            args![format!("{area_prefix}%")],
        )
        .await
}

pub async fn count(db: &Db) -> DbResult<i64> {
    db.conn().scalar("SELECT COUNT(*) FROM users", vec![]).await
}

pub async fn insert(tx: &mut Tx, u: &UserRow) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        args![
            &u.id,
            &u.username,
            &u.display_name,
            &u.password_hash,
            &u.role,
            &u.area_code,
            &u.sections,
            u.disabled,
            u.locked_until,
            u.created_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn set_disabled(tx: &mut Tx, id: &str, disabled: bool) -> DbResult<()> {
    tx.execute(
        "UPDATE users SET disabled = $2 WHERE id = $1",
        args![id, disabled],
    )
    .await?;
    if disabled {
        tx.execute("DELETE FROM sessions WHERE user_id = $1", args![id])
            .await?;
    }
    Ok(())
}

pub async fn set_password(tx: &mut Tx, id: &str, hash: &str) -> DbResult<()> {
    tx.execute(
        "UPDATE users SET password_hash = $2, locked_until = NULL WHERE id = $1",
        args![id, hash],
    )
    .await?;
    tx.execute("DELETE FROM sessions WHERE user_id = $1", args![id])
        .await?;
    Ok(())
}

pub async fn set_role_area(tx: &mut Tx, id: &str, role: &str, area_code: &str) -> DbResult<()> {
    tx.execute(
        "UPDATE users SET role = $2, area_code = $3 WHERE id = $1",
        args![id, role, area_code],
    )
    .await?;
    Ok(())
}

/// One (username as typed, source address) pair's failed logins.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThrottleRow {
    pub failures: i64,
    pub window_start: DateTime<Utc>,
    pub lockouts: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The pair's row, created if missing and locked until the transaction ends (on SQLite the writer lock serialises).
pub async fn throttle_for_update(
    tx: &mut Tx,
    username: &str,
    ip: &str,
    at: DateTime<Utc>,
) -> DbResult<ThrottleRow> {
    tx.execute(
        "INSERT INTO login_throttle (username, ip, failures, window_start, lockouts, locked_until) \
         VALUES ($1, $2, 0, $3, 0, NULL) ON CONFLICT (username, ip) DO NOTHING",
        args![username, ip, at],
    )
    .await?;
    let lock = tx.for_update();
    tx.fetch_one(
        &format!(
            "SELECT failures, window_start, lockouts, locked_until FROM login_throttle \
             WHERE username = $1 AND ip = $2{lock}"
        ),
        args![username, ip],
    )
    .await
}

pub async fn set_throttle(tx: &mut Tx, username: &str, ip: &str, r: &ThrottleRow) -> DbResult<()> {
    tx.execute(
        "UPDATE login_throttle SET failures = $3, window_start = $4, lockouts = $5, locked_until = $6 \
         WHERE username = $1 AND ip = $2",
        args![username, ip, r.failures, r.window_start, r.lockouts, r.locked_until],
    )
    .await?;
    Ok(())
}

/// After a good login from this address: its failures are forgotten.
pub async fn clear_throttle(tx: &mut Tx, username: &str, ip: &str) -> DbResult<()> {
    tx.execute(
        "DELETE FROM login_throttle WHERE username = $1 AND ip = $2",
        args![username, ip],
    )
    .await?;
    Ok(())
}

/// The administrator's unlock: every address's failures for this username.
pub async fn clear_throttle_all(tx: &mut Tx, username: &str) -> DbResult<()> {
    tx.execute(
        "DELETE FROM login_throttle WHERE username = $1",
        args![username],
    )
    .await?;
    Ok(())
}

/// Rows quiet since `before` and not locked: a day without a failure forgets the pair (and its growing delay).
pub async fn prune_throttle(tx: &mut Tx, before: DateTime<Utc>, at: DateTime<Utc>) -> DbResult<()> {
    tx.execute(
        "DELETE FROM login_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)",
        args![before, at],
    )
    .await?;
    Ok(())
}

/// Usernames locked out from at least one address now.
pub async fn locked_usernames(db: &Db, at: DateTime<Utc>) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> = db
        .conn()
        .fetch_all(
            "SELECT DISTINCT username FROM login_throttle WHERE locked_until > $1",
            args![at],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// full, code (the password is checked, the second factor awaited) or enrol (a second factor must be enrolled)
    pub stage: String,
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> DbResult<()> {
    tx.execute(
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, stage) VALUES ($1, $2, $3, $4, $5, $6)",
        args![&s.id, &s.user_id, &s.csrf_token, s.created_at, s.last_seen_at, &s.stage],
    )
    .await?;
    Ok(())
}

pub async fn session(db: &Db, id: &str) -> DbResult<Option<SessionRow>> {
    db.conn()
        .fetch_optional(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, stage FROM sessions WHERE id = $1",
            args![id],
        )
        .await
}

/// Through a transaction, so that on SQLite it takes the writer lock like every other write: a write beside it
/// would turn a concurrent transaction's snapshot stale (SQLITE_BUSY_SNAPSHOT, "database is locked").
pub async fn touch_session(db: &Db, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.unaudited("a session's last use");
    tx.execute(
        "UPDATE sessions SET last_seen_at = $2 WHERE id = $1",
        args![id, at],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, id: &str) -> DbResult<()> {
    tx.execute("DELETE FROM sessions WHERE id = $1", args![id])
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// None only for tokens issued before expiry existed (refused).
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// A hash of the user's role, area and password hash when issued.
    pub user_stamp: Option<String>,
}

const TOKEN_COLS: &str =
    "id, user_id, token_hash, name, created_at, revoked_at, expires_at, last_used_at, user_stamp";

pub async fn insert_token(tx: &mut Tx, t: &TokenRow) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO api_tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ),
        args![
            &t.id,
            &t.user_id,
            &t.token_hash,
            &t.name,
            t.created_at,
            t.revoked_at,
            t.expires_at,
            t.last_used_at,
            t.user_stamp.clone()
        ],
    )
    .await?;
    Ok(())
}

pub async fn token_by_hash(db: &Db, hash: &str) -> DbResult<Option<TokenRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"),
            args![hash],
        )
        .await
}

pub async fn tokens_of(db: &Db, user_id: &str) -> DbResult<Vec<TokenRow>> {
    db.conn()
        .fetch_all(
            &format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC"
            ),
            args![user_id],
        )
        .await
}

pub async fn touch_token_tx(tx: &mut Tx, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    tx.execute(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
        args![id, at],
    )
    .await?;
    Ok(())
}

/// Through a transaction, for the writer lock (see `touch_session`).
pub async fn touch_token(db: &Db, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    let mut tx = db.begin().await?;
    // the first use of a day is audited by the caller (auth.token.use); every later one only moves this time
    tx.unaudited("a token's last use");
    tx.execute(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
        args![id, at],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn revoke_token(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    at: DateTime<Utc>,
) -> DbResult<u64> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        args![id, user_id, at],
    )
    .await
}

/// Every live token of the user: on a password reset, a disable, a change of role or area.
pub async fn revoke_all_tokens(tx: &mut Tx, user_id: &str, at: DateTime<Utc>) -> DbResult<u64> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        args![user_id, at],
    )
    .await
}

/// A user's TOTP enrolment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    pub user_id: String,
    /// Sealed (see `app::totp::seal`).
    pub secret: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn totp_of(db: &Db, user_id: &str) -> DbResult<Option<TotpRow>> {
    db.conn()
        .fetch_optional(
            "SELECT user_id, secret, confirmed_at, last_step, created_at FROM user_totp WHERE user_id = $1",
            args![user_id],
        )
        .await
}

/// The enrolment row locked for a check: two logins with the same code cannot both pass.
pub async fn totp_for_update(tx: &mut Tx, user_id: &str) -> DbResult<Option<TotpRow>> {
    let lock = tx.for_update();
    tx.fetch_optional(
        &format!(
            "SELECT user_id, secret, confirmed_at, last_step, created_at FROM user_totp WHERE user_id = $1{lock}"
        ),
        args![user_id],
    )
    .await
}

/// A new (unconfirmed) secret, replacing an unconfirmed one.
pub async fn put_totp(tx: &mut Tx, r: &TotpRow) -> DbResult<()> {
    tx.execute(
        "DELETE FROM user_totp WHERE user_id = $1",
        args![&r.user_id],
    )
    .await?;
    tx.execute(
        "INSERT INTO user_totp (user_id, secret, confirmed_at, last_step, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![&r.user_id, &r.secret, r.confirmed_at, r.last_step, r.created_at],
    )
    .await?;
    Ok(())
}

pub async fn confirm_totp(
    tx: &mut Tx,
    user_id: &str,
    step: i64,
    at: DateTime<Utc>,
) -> DbResult<()> {
    tx.execute(
        "UPDATE user_totp SET confirmed_at = $2, last_step = $3 WHERE user_id = $1",
        args![user_id, at, step],
    )
    .await?;
    Ok(())
}

pub async fn set_totp_step(tx: &mut Tx, user_id: &str, step: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE user_totp SET last_step = $2 WHERE user_id = $1",
        args![user_id, step],
    )
    .await?;
    Ok(())
}

/// The administrator's reset: the enrolment and its recovery codes go; the user enrols again at the next login.
pub async fn delete_totp(tx: &mut Tx, user_id: &str) -> DbResult<u64> {
    tx.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    tx.execute("DELETE FROM user_totp WHERE user_id = $1", args![user_id])
        .await
}

/// Replaces the user's recovery codes by these hashes.
pub async fn set_recovery_codes(tx: &mut Tx, user_id: &str, hashes: &[String]) -> DbResult<()> {
    tx.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    let rows = hashes
        .iter()
        .map(|h| {
            args![
                super::new_id(),
                user_id,
                h.as_str(),
                Option::<DateTime<Utc>>::None
            ]
        })
        .collect();
    tx.insert_many("recovery_codes", "id, user_id, code_hash, used_at", rows)
        .await?;
    Ok(())
}

/// Uses a recovery code: true if it existed unused (it is now used).
pub async fn use_recovery_code(
    tx: &mut Tx,
    user_id: &str,
    hash: &str,
    at: DateTime<Utc>,
) -> DbResult<bool> {
    Ok(tx
        .execute(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            args![user_id, hash, at],
        )
        .await?
        == 1)
}

pub async fn unused_recovery_codes(db: &Db, user_id: &str) -> DbResult<i64> {
    db.conn()
        .scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            args![user_id],
        )
        .await
}

/// Users with a confirmed second factor (the administrator's list shows it).
pub async fn enrolled_user_ids(db: &Db) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> = db
        .conn()
        .fetch_all(
            "SELECT user_id FROM user_totp WHERE confirmed_at IS NOT NULL",
            vec![],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Ends every session of a user (a reset of its second factor).
pub async fn delete_sessions_of(tx: &mut Tx, user_id: &str) -> DbResult<()> {
    tx.execute("DELETE FROM sessions WHERE user_id = $1", args![user_id])
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub password_min_len: i64,
    pub password_classes: i64,
    pub max_failures: i64,
    pub lock_minutes: i64,
    pub idle_minutes: i64,
    pub token_days: i64,
    pub networks: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

pub async fn policy(db: &Db) -> DbResult<Option<PolicyRow>> {
    db.conn()
        .fetch_optional(
            "SELECT password_min_len, password_classes, max_failures, lock_minutes, idle_minutes, token_days, \
             networks, updated_at, updated_by FROM security_policy WHERE id = 1",
            vec![],
        )
        .await
}

pub async fn set_policy(tx: &mut Tx, p: &PolicyRow) -> DbResult<()> {
    tx.execute("DELETE FROM security_policy WHERE id = 1", vec![])
        .await?;
    tx.execute(
        "INSERT INTO security_policy (id, password_min_len, password_classes, max_failures, lock_minutes, \
         idle_minutes, token_days, networks, updated_at, updated_by) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            p.password_min_len,
            p.password_classes,
            p.max_failures,
            p.lock_minutes,
            p.idle_minutes,
            p.token_days,
            &p.networks,
            p.updated_at,
            &p.updated_by
        ],
    )
    .await?;
    Ok(())
}
