use super::{Arg, Db, DbResult, Tx};
use crate::args;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub at: DateTime<Utc>,
    pub user_id: Option<String>,
    pub username: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub area_code: Option<String>,
    pub ip: String,
    pub success: bool,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

const COLS: &str = "seq, id, at, user_id, username, action, entity, entity_id, area_code, ip, success, before_json, after_json, prev_hash, hash";

/// Takes the next sequence number. The UPDATE row-locks the head on PostgreSQL, so concurrent appenders queue here.
pub async fn advance_head(tx: &mut Tx) -> DbResult<(i64, String)> {
    tx.fetch_one(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        vec![],
    )
    .await
}

/// Takes the next `n` sequence numbers at once: (the last of them, the hash before the first).
pub async fn advance_head_by(tx: &mut Tx, n: i64) -> DbResult<(i64, String)> {
    tx.fetch_one(
        "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
        args![n],
    )
    .await
}

/// Appends a run of chained entries in few statements and moves the head to the last one.
pub async fn append_many(tx: &mut Tx, rows: &[AuditRow]) -> DbResult<()> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let values: Vec<Vec<Arg>> = rows
        .iter()
        .map(|r| {
            args![
                r.seq,
                &r.id,
                r.at,
                r.user_id.clone(),
                &r.username,
                &r.action,
                &r.entity,
                &r.entity_id,
                r.area_code.clone(),
                &r.ip,
                r.success,
                r.before_json.clone(),
                r.after_json.clone(),
                &r.prev_hash,
                &r.hash
            ]
        })
        .collect();
    tx.insert_many("audit_log", COLS, values).await?;
    tx.execute(
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        args![&last.hash],
    )
    .await?;
    Ok(())
}

pub async fn append(tx: &mut Tx, r: &AuditRow) -> DbResult<()> {
    tx.execute(
        &format!("INSERT INTO audit_log ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"),
        args![
            r.seq,
            &r.id,
            r.at,
            r.user_id.clone(),
            &r.username,
            &r.action,
            &r.entity,
            &r.entity_id,
            r.area_code.clone(),
            &r.ip,
            r.success,
            r.before_json.clone(),
            r.after_json.clone(),
            &r.prev_hash,
            &r.hash
        ],
    )
    .await?;
    tx.execute(
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        args![&r.hash],
    )
    .await?;
    Ok(())
}

pub async fn head(db: &Db) -> DbResult<(i64, String)> {
    db.conn()
        .fetch_one("SELECT seq, hash FROM audit_head WHERE id = 1", vec![])
        .await
}

pub async fn for_each<F>(db: &Db, f: F) -> DbResult<()>
where
    F: FnMut(AuditRow) -> DbResult<()> + Send,
{
    db.conn()
        .for_each(
            &format!("SELECT {COLS} FROM audit_log ORDER BY seq"),
            vec![],
            f,
        )
        .await
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub async fn search(
    db: &Db,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<AuditRow>, i64)> {
    let mut conds = vec!["1 = 1".to_string()];
    let mut a: Vec<Arg> = vec![];
    let mut push = |cond: &str, v: Arg, a: &mut Vec<Arg>| {
        a.push(v);
        conds.push(cond.replace('?', &format!("${}", a.len())));
    };
    if let Some(u) = &f.username {
        push("username = ?", Arg::from(u.as_str()), &mut a);
    }
    if let Some(x) = &f.action {
        push("action LIKE ?", Arg::from(format!("{x}%")), &mut a);
    }
    if let Some(x) = &f.entity_id {
        push("entity_id = ?", Arg::from(x.as_str()), &mut a);
    }
    if let Some(x) = f.from {
        push("at >= ?", Arg::from(x), &mut a);
    }
    if let Some(x) = f.to {
        push("at < ?", Arg::from(x), &mut a);
    }
    let w = conds.join(" AND ");
    let mut conn = db.conn();
    let total = conn
        .scalar(
            &format!("SELECT COUNT(*) FROM audit_log WHERE {w}"),
            a.clone(),
        )
        .await?;
    let n = a.len();
    a.push(Arg::from(limit));
    a.push(Arg::from(offset));
    let rows = conn
        .fetch_all(
            &format!(
                "SELECT {COLS} FROM audit_log WHERE {w} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            a,
        )
        .await?;
    Ok((rows, total))
}

/// One archive's boundary (migration 0031).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArchiveRow {
    pub id: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub prev_hash: String,
    pub last_hash: String,
    pub entries: i64,
    pub before_date: chrono::NaiveDate,
    pub file_name: String,
    pub file_sha256: String,
    pub archived_at: DateTime<Utc>,
}

const ARCHIVE_COLS: &str = "id, first_seq, last_seq, prev_hash, last_hash, entries, before_date, file_name, file_sha256, archived_at";

/// The archive the online chain starts after (the one with the highest last entry).
pub async fn latest_archive(db: &Db) -> DbResult<Option<ArchiveRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {ARCHIVE_COLS} FROM audit_archives ORDER BY last_seq DESC LIMIT 1"),
            vec![],
        )
        .await
}

pub async fn archives(db: &Db) -> DbResult<Vec<ArchiveRow>> {
    db.conn()
        .fetch_all(
            &format!("SELECT {ARCHIVE_COLS} FROM audit_archives ORDER BY last_seq"),
            vec![],
        )
        .await
}

/// The last entry written before `at` (entries are numbered in the order they were written).
pub async fn last_seq_before(db: &Db, at: DateTime<Utc>) -> DbResult<Option<i64>> {
    let n = db
        .conn()
        .scalar(
            "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_log WHERE at < $1",
            args![at],
        )
        .await?;
    Ok((n > 0).then_some(n))
}

/// Entries `from..=to` in order, streamed.
pub async fn for_each_range<F>(db: &Db, from: i64, to: i64, f: F) -> DbResult<()>
where
    F: FnMut(AuditRow) -> DbResult<()> + Send,
{
    db.conn()
        .for_each(
            &format!("SELECT {COLS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq"),
            args![from, to],
            f,
        )
        .await
}

/// The stored hash of one entry, if it is online.
pub async fn hash_at(db: &Db, seq: i64) -> DbResult<Option<String>> {
    let r: Option<(String,)> = db
        .conn()
        .fetch_optional("SELECT hash FROM audit_log WHERE seq = $1", args![seq])
        .await?;
    Ok(r.map(|r| r.0))
}

/// Moves entries up to `last_seq` out of the online log, leaving their boundary; in the caller's transaction.
pub async fn archive_through(tx: &mut Tx, a: &ArchiveRow) -> DbResult<u64> {
    let n = tx
        .execute(
            "DELETE FROM audit_log WHERE seq >= $1 AND seq <= $2",
            args![a.first_seq, a.last_seq],
        )
        .await?;
    tx.execute(
        &format!(
            "INSERT INTO audit_archives ({ARCHIVE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        args![
            &a.id,
            a.first_seq,
            a.last_seq,
            &a.prev_hash,
            &a.last_hash,
            a.entries,
            a.before_date,
            &a.file_name,
            &a.file_sha256,
            a.archived_at
        ],
    )
    .await?;
    Ok(n)
}
