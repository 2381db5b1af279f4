//! Monthly amounts with effective months (补贴、津贴标准): the old-age allowance bands, the disability subsidies'
//! tiers and the children's allowance tiers each keep one table of this shape. Every amount ever set is kept; the
//! one in force in a month is the latest that took effect by then; a month already in an approved roll keeps what
//! it paid. Each line checks its own permission and key; the rest is here, once.

use crate::app::audit::{self, Event};
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Tx, new_id, now};
use minzheng_domain::money::Fen;

/// One line's table: its name and the column naming the band or tier (constants, never input).
pub struct Schedule {
    pub table: &'static str,
    pub key: &'static str,
    /// The audit event written when an amount is set.
    pub event: &'static str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub key: String,
    pub effective_from: String,
    pub monthly_amount: i64,
    pub reason: String,
    pub created_by: String,
}

/// Every amount set, newest first.
pub async fn rows(app: &App, s: &Schedule) -> AppResult<Vec<Row>> {
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {key} AS key, effective_from, monthly_amount, reason, created_by FROM {table} \
                 ORDER BY effective_from DESC, {key}",
                key = s.key,
                table = s.table
            ),
            vec![],
        )
        .await?)
}

/// The amount in force for `key` in `month` (YYYY-MM), if the bureau has set one by then.
pub async fn in_force(tx: &mut Tx, s: &Schedule, key: &str, month: &str) -> AppResult<Option<i64>> {
    Ok(tx
        .fetch_optional::<(i64,)>(
            &format!(
                "SELECT monthly_amount FROM {} WHERE {} = $1 AND effective_from <= $2 \
                 ORDER BY effective_from DESC LIMIT 1",
                s.table, s.key
            ),
            args![key, month],
        )
        .await?
        .map(|(a,)| a))
}

/// An amount to set, as typed.
pub struct Entry<'a> {
    /// The band or tier; the caller has checked it is one of its own.
    pub key: &'a str,
    /// The key's name in messages.
    pub label: &'a str,
    pub effective_from: &'a str,
    /// Yuan a month.
    pub monthly_amount: &'a str,
    pub reason: &'a str,
}

/// Sets an amount from a month on. The caller has checked the permission.
pub async fn set(app: &App, ctx: &Ctx, s: &Schedule, e: Entry<'_>) -> AppResult<()> {
    let Entry {
        key,
        label,
        effective_from,
        monthly_amount,
        reason,
    } = e;
    let (from, _) = validate::month("effective_from", "生效月份", effective_from)?;
    let amount = Fen::parse_yuan(monthly_amount.trim())
        .map_err(|_| AppError::invalid("monthly_amount", "月标准应为元，最多两位小数"))?;
    if amount.0 <= 0 || amount.0 > 2_000_000 {
        return Err(AppError::invalid(
            "monthly_amount",
            "月标准应在0.01至20000.00元之间",
        ));
    }
    let reason = validate::text("reason", "依据", reason, 2, 200)?;
    let mut tx = app.db.begin().await?;
    let paid: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM payment_rolls WHERE status = 'approved' AND month >= $1",
            args![&from],
        )
        .await?;
    if paid > 0 {
        return Err(AppError::invalid(
            "effective_from",
            "该月及以后已有审批的发放名册，新标准只能从未审批的月份起生效",
        ));
    }
    let id = new_id();
    let res = tx
        .execute(
            &format!(
                "INSERT INTO {} (id, {}, effective_from, monthly_amount, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                s.table, s.key
            ),
            args![&id, key, &from, amount.0, &reason, &ctx.actor.display_name, now()],
        )
        .await;
    if let Err(e) = res {
        return Err(if e.is_unique_violation() {
            AppError::conflict("effective_from", format!("{label}已有{from}起的标准"))
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new(s.event, s.table, &id).after(serde_json::json!({
            (s.key): key, "effective_from": from, "amount": amount.to_string(), "reason": reason
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
