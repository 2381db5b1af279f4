use super::{Arg, Db, DbResult, Tx};
use crate::args;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
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
