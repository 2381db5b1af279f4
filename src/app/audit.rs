//! The audit log: append-only and hash-chained. Each entry's hash covers its content and the
//! previous entry's hash; the head row (updated in the same transaction) catches a deleted tail.

use super::authz::Permission;
use super::{AppResult, Ctx};
use crate::storage::audit::{self as store, AuditFilter, AuditRow};
use crate::storage::{Db, Tx, new_id, now};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, to what, in which area.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub area_code: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub success: bool,
}

impl Event {
    pub fn new(action: &'static str, entity: &'static str, entity_id: impl Into<String>) -> Event {
        Event {
            action,
            entity,
            entity_id: entity_id.into(),
            success: true,
            ..Default::default()
        }
    }
    pub fn area(mut self, code: impl Into<String>) -> Event {
        self.area_code = Some(code.into());
        self
    }
    pub fn before(mut self, v: impl serde::Serialize) -> Event {
        self.before = serde_json::to_value(v).ok();
        self
    }
    pub fn after(mut self, v: impl serde::Serialize) -> Event {
        self.after = serde_json::to_value(v).ok();
        self
    }
    pub fn failed(mut self) -> Event {
        self.success = false;
        self
    }
}

/// Appends one entry inside the caller's transaction, so the entry and the change commit together.
pub async fn record(tx: &mut Tx, ctx: &Ctx, ev: Event) -> AppResult<()> {
    let (seq, prev_hash) = store::advance_head(tx).await?;
    let mut row = AuditRow {
        seq,
        id: new_id(),
        at: now(),
        user_id: ctx.actor.user_id.clone(),
        username: ctx.actor.username.clone(),
        action: ev.action.into(),
        entity: ev.entity.into(),
        entity_id: ev.entity_id,
        area_code: ev.area_code,
        ip: ctx.ip.clone(),
        success: ev.success,
        before_json: ev.before.map(|v| v.to_string()),
        after_json: ev.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    row.hash = entry_hash(&row, row.seq);
    store::append(tx, &row).await?;
    Ok(())
}

/// Appends many entries inside the caller's transaction in a few statements (a roll's amount changes): the same
/// chain as one [`record`] after another.
pub async fn record_many(tx: &mut Tx, ctx: &Ctx, events: Vec<Event>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let (last, mut prev_hash) = store::advance_head_by(tx, events.len() as i64).await?;
    let first = last - events.len() as i64 + 1;
    let at = now();
    let mut rows = Vec::with_capacity(events.len());
    for (i, ev) in events.into_iter().enumerate() {
        let mut row = AuditRow {
            seq: first + i as i64,
            id: new_id(),
            at,
            user_id: ctx.actor.user_id.clone(),
            username: ctx.actor.username.clone(),
            action: ev.action.into(),
            entity: ev.entity.into(),
            entity_id: ev.entity_id,
            area_code: ev.area_code,
            ip: ctx.ip.clone(),
            success: ev.success,
            before_json: ev.before.map(|v| v.to_string()),
            after_json: ev.after.map(|v| v.to_string()),
            prev_hash,
            hash: String::new(),
        };
        row.hash = entry_hash(&row, row.seq);
        prev_hash = row.hash.clone();
        rows.push(row);
    }
    store::append_many(tx, &rows).await?;
    Ok(())
}

/// Records an event in a transaction of its own (reads, failed logins).
pub async fn record_alone(db: &Db, ctx: &Ctx, ev: Event) -> AppResult<()> {
    let mut tx = db.begin().await?;
    record(&mut tx, ctx, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// SHA-256 over length-prefixed fields, so no two different entries share an encoding.
pub fn entry_hash(r: &AuditRow, seq: i64) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(&seq.to_string());
    field(&r.id);
    field(&r.at.timestamp_micros().to_string());
    field(r.user_id.as_deref().unwrap_or(""));
    field(&r.username);
    field(&r.action);
    field(&r.entity);
    field(&r.entity_id);
    field(r.area_code.as_deref().unwrap_or(""));
    field(&r.ip);
    field(if r.success { "1" } else { "0" });
    field(r.before_json.as_deref().unwrap_or("\u{0}"));
    field(r.after_json.as_deref().unwrap_or("\u{0}"));
    field(&r.prev_hash);
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    Altered(i64),
    Inserted(i64),
    Deleted(i64),
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Altered(s) => write!(f, "第 {s} 条审计记录被篡改"),
            Tamper::Inserted(s) => write!(f, "第 {s} 条审计记录是被插入的"),
            Tamper::Deleted(s) => write!(f, "第 {s} 条审计记录已被删除"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub entries: i64,
    pub first_problem: Option<Tamper>,
}

/// Walks the whole chain in order (streamed) and names the first altered, inserted or deleted entry.
pub async fn verify(db: &Db) -> AppResult<VerifyReport> {
    let (head_seq, head_hash) = store::head(db).await?;
    let mut expected = 1i64;
    let mut prev = GENESIS.to_string();
    let mut prev_prev = GENESIS.to_string();
    let mut problem: Option<Tamper> = None;
    let mut count = 0i64;
    store::for_each(db, |r: AuditRow| {
        count += 1;
        if problem.is_some() {
            return Ok(());
        }
        if r.seq > expected {
            problem = Some(Tamper::Deleted(expected));
            return Ok(());
        }
        if r.seq < expected {
            problem = Some(Tamper::Inserted(r.seq));
            return Ok(());
        }
        let content_ok = entry_hash(&r, r.seq) == r.hash;
        if !content_ok {
            // An entry renumbered to make room for an insertion still hashes under its old number.
            problem = Some(if entry_hash(&r, r.seq - 1) == r.hash {
                Tamper::Inserted(r.seq - 1)
            } else {
                Tamper::Altered(r.seq)
            });
            return Ok(());
        }
        if r.prev_hash != prev {
            problem = Some(if r.prev_hash == prev_prev {
                Tamper::Inserted(r.seq - 1)
            } else {
                Tamper::Altered(r.seq - 1)
            });
            return Ok(());
        }
        prev_prev = std::mem::replace(&mut prev, r.hash.clone());
        expected += 1;
        Ok(())
    })
    .await?;
    if problem.is_none() {
        let last = expected - 1;
        if head_seq > last {
            problem = Some(Tamper::Deleted(last + 1));
        } else if head_seq < last {
            problem = Some(Tamper::Inserted(head_seq + 1));
        } else if head_hash != prev {
            problem = Some(Tamper::Altered(last));
        }
    }
    Ok(VerifyReport {
        entries: count,
        first_problem: problem,
    })
}

pub async fn search(
    app: &super::App,
    ctx: &Ctx,
    f: &AuditFilter,
    page: i64,
) -> AppResult<(Vec<AuditRow>, i64)> {
    ctx.actor.require(Permission::ReadAudit)?;
    let (rows, total) = store::search(&app.db, f, 50, (page.max(1) - 1) * 50).await?;
    Ok((rows, total))
}
