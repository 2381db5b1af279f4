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
    tx.execute("DELETE FROM login_failures WHERE user_id = $1", args![id])
        .await?;
    tx.execute("DELETE FROM sessions WHERE user_id = $1", args![id])
        .await?;
    Ok(())
}

/// Records a failure and returns how many failures fall in the window since `since`.
pub async fn record_failure(
    tx: &mut Tx,
    user_id: &str,
    at: DateTime<Utc>,
    since: DateTime<Utc>,
) -> DbResult<i64> {
    tx.execute(
        "INSERT INTO login_failures (id, user_id, at) VALUES ($1, $2, $3)",
        args![super::new_id(), user_id, at],
    )
    .await?;
    tx.scalar(
        "SELECT COUNT(*) FROM login_failures WHERE user_id = $1 AND at > $2",
        args![user_id, since],
    )
    .await
}

pub async fn lock_until(tx: &mut Tx, user_id: &str, until: DateTime<Utc>) -> DbResult<()> {
    tx.execute(
        "UPDATE users SET locked_until = $2 WHERE id = $1",
        args![user_id, until],
    )
    .await?;
    Ok(())
}

pub async fn clear_failures(tx: &mut Tx, user_id: &str) -> DbResult<()> {
    tx.execute(
        "DELETE FROM login_failures WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    tx.execute(
        "UPDATE users SET locked_until = NULL WHERE id = $1",
        args![user_id],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> DbResult<()> {
    tx.execute(
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
        args![&s.id, &s.user_id, &s.csrf_token, s.created_at, s.last_seen_at],
    )
    .await?;
    Ok(())
}

pub async fn session(db: &Db, id: &str) -> DbResult<Option<SessionRow>> {
    db.conn()
        .fetch_optional(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id = $1",
            args![id],
        )
        .await
}

pub async fn touch_session(db: &Db, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    db.conn()
        .execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE id = $1",
            args![id, at],
        )
        .await?;
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
}

pub async fn insert_token(tx: &mut Tx, t: &TokenRow) -> DbResult<()> {
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![&t.id, &t.user_id, &t.token_hash, &t.name, t.created_at, t.revoked_at],
    )
    .await?;
    Ok(())
}

pub async fn token_by_hash(db: &Db, hash: &str) -> DbResult<Option<TokenRow>> {
    db.conn()
        .fetch_optional(
            "SELECT id, user_id, token_hash, name, created_at, revoked_at FROM api_tokens WHERE token_hash = $1",
            args![hash],
        )
        .await
}

pub async fn tokens_of(db: &Db, user_id: &str) -> DbResult<Vec<TokenRow>> {
    db.conn()
        .fetch_all(
            "SELECT id, user_id, token_hash, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
            args![user_id],
        )
        .await
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
