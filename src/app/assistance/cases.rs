//! Cases: assistance in payment, with members and amounts; stopping a case with a reason.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, now};
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: String,
    pub application_id: String,
    pub category: String,
    pub household_id: String,
    pub area_code: String,
    pub town_code: String,
    pub status: String,
    pub monthly_amount: i64,
    pub start_month: String,
    pub end_month: Option<String>,
    pub stop_reason: Option<String>,
}

const COLS: &str = "id, application_id, category, household_id, area_code, town_code, status, monthly_amount, start_month, end_month, stop_reason";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseMember {
    pub person_id: String,
    pub name: String,
    pub id_number_masked: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseItem {
    pub id: String,
    pub application_id: String,
    pub category: String,
    pub category_label: String,
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    /// Yuan with 2 decimals.
    pub monthly_amount: String,
    pub start_month: String,
    pub end_month: Option<String>,
    pub stop_reason: Option<String>,
    pub members: Vec<CaseMember>,
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    status: Option<&str>,
    area: Option<&str>,
    page: i64,
) -> AppResult<(Vec<CaseItem>, i64)> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let filter = crate::app::registry::area_filter(app, ctx, area);
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut w = cond;
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        if !matches!(s, "active" | "stopped") {
            return Err(AppError::invalid("status", "状态应为 active 或 stopped"));
        }
        args.push(Arg::from(s));
        w = format!("{w} AND status = ${}", args.len());
    }
    let total = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM cases WHERE {w}"),
            args.clone(),
        )
        .await?;
    let n = args.len();
    args.push(Arg::from(20i64));
    args.push(Arg::from((page.max(1) - 1) * 20));
    let rows: Vec<CaseRow> = app
        .db
        .conn()
        .fetch_all(&format!("SELECT {COLS} FROM cases WHERE {w} ORDER BY town_code, area_code, id LIMIT ${} OFFSET ${}", n + 1, n + 2), args)
        .await?;
    let items = with_members(app, rows).await?;
    Ok((items, total))
}

/// Members of a page of cases in one query, not one per case.
async fn with_members(app: &App, rows: Vec<CaseRow>) -> AppResult<Vec<CaseItem>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ph: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
    let ids: Vec<Arg> = rows.iter().map(|r| Arg::from(r.id.as_str())).collect();
    let members: Vec<(String, String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT cm.case_id, p.id, p.name, p.id_number FROM case_members cm JOIN persons p ON p.id = cm.person_id \
                 WHERE cm.case_id IN ({}) ORDER BY p.birth_date",
                ph.join(", ")
            ),
            ids,
        )
        .await?;
    let areas = app.areas();
    Ok(rows
        .into_iter()
        .map(|r| CaseItem {
            members: members
                .iter()
                .filter(|m| m.0 == r.id)
                .map(|m| CaseMember {
                    person_id: m.1.clone(),
                    name: m.2.clone(),
                    id_number_masked: idnumber::mask(&m.3),
                })
                .collect(),
            category_label: super::applications::category_label(&r.category).into(),
            area_name: areas.full_name(&r.area_code),
            monthly_amount: Fen(r.monthly_amount).to_string(),
            id: r.id,
            application_id: r.application_id,
            category: r.category,
            area_code: r.area_code,
            status: r.status,
            start_month: r.start_month,
            end_month: r.end_month,
            stop_reason: r.stop_reason,
        })
        .collect())
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<CaseItem> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let row: Option<CaseRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM cases WHERE id = $1"),
            args![id],
        )
        .await?;
    match row {
        Some(r) if ctx.actor.in_scope(&r.area_code) => {
            Ok(with_members(app, vec![r]).await?.remove(0))
        }
        _ => Err(AppError::NotFound("救助对象".into())),
    }
}

/// Stops a case from a month on, with the reason; the household is notified by a printable letter.
pub async fn stop(app: &App, ctx: &Ctx, id: &str, from_month: &str, reason: &str) -> AppResult<()> {
    ctx.actor.require(Permission::HandleApplications)?;
    if ctx.actor.role != Role::TownOfficer && ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden("停保由镇(街道)或市局办理".into()));
    }
    if super::applications::month_start(from_month).is_none() {
        return Err(AppError::invalid("from_month", "月份格式应为 YYYY-MM"));
    }
    if reason.trim().chars().count() < 4 {
        return Err(AppError::invalid("reason", "停保须书面说明理由"));
    }
    let mut tx = app.db.begin().await?;
    let row: Option<CaseRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM cases WHERE id = $1"),
            args![id],
        )
        .await?;
    let r = match row {
        Some(r) if ctx.actor.in_scope(&r.area_code) => r,
        _ => return Err(AppError::NotFound("救助对象".into())),
    };
    if r.status != "active" {
        return Err(AppError::conflict("id", "该救助已停止"));
    }
    if from_month <= r.start_month.as_str() {
        return Err(AppError::invalid(
            "from_month",
            "停发月份须晚于起始发放月份",
        ));
    }
    tx.execute(
        "UPDATE cases SET status = 'stopped', end_month = $2, stop_reason = $3 WHERE id = $1",
        args![id, from_month, reason.trim()],
    )
    .await?;
    audit::record(&mut tx, ctx, Event::new("case.stop", "case", id).area(&r.area_code).before(serde_json::json!({"status": "active"})).after(serde_json::json!({"status": "stopped", "end_month": from_month, "reason": reason.trim(), "at": now()}))).await?;
    tx.commit().await?;
    Ok(())
}
