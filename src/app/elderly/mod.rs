//! Elderly care (养老服务): the capability assessment (GB/T 42195-2022, LINES-API §1), scored by the pure rule in
//! `minzheng_domain::elderly`, recorded with two assessors, and listed when due.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::elderly::{self, AssessmentReason, CapabilityScore};
use serde_json::Value;

/// The stateless score: nothing is stored.
pub fn score(ctx: &Ctx, body: &Value) -> AppResult<CapabilityScore> {
    ctx.actor.require(Permission::UseRules)?;
    let input =
        elderly::validate_capability(body).map_err(|e| AppError::invalid(&e.field, e.message))?;
    Ok(elderly::score(&input))
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AssessmentRow {
    pub id: String,
    pub person_id: String,
    pub area_code: String,
    pub town_code: String,
    pub assessed_on: NaiveDate,
    /// first, routine, immediate or review
    pub reason: String,
    /// The two assessors, separated by "、".
    pub assessors: String,
    #[serde(skip)]
    pub input_json: String,
    pub total: i64,
    pub level: i64,
    pub level_name: String,
    pub next_due_on: NaiveDate,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const COLS: &str = "id, person_id, area_code, town_code, assessed_on, reason, assessors, input_json, total, level, level_name, next_due_on, created_by, created_at";

/// A recorded assessment: the person, the day, why, the two assessors, and the items as the score API takes them.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAssessment {
    pub person_id: String,
    pub assessed_on: NaiveDate,
    /// first, routine, immediate or review
    pub reason: String,
    pub assessors: Vec<String>,
    /// `{items, coma, dementia_or_mental_disorder, care_risk_events_30d}` exactly as the score API.
    #[schema(value_type = Object)]
    pub capability: Value,
}

pub async fn record(app: &App, ctx: &Ctx, n: NewAssessment) -> AppResult<AssessmentRow> {
    ctx.actor.require(Permission::RecordAssessments)?;
    let reason = AssessmentReason::parse(n.reason.trim()).ok_or_else(|| {
        AppError::invalid("reason", "评估原因应为首次评估、常规评估、即时评估或复评")
    })?;
    let mut assessors: Vec<String> = n
        .assessors
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    assessors.sort();
    assessors.dedup();
    if assessors.len() < 2 || assessors.iter().any(|a| a.chars().count() > 30) {
        return Err(AppError::invalid(
            "assessors",
            "评估须由2名评估员进行，请填写两人姓名（每人不超过30字）",
        ));
    }
    let today = app.today();
    if n.assessed_on > today || n.assessed_on < NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") {
        return Err(AppError::invalid(
            "assessed_on",
            "评估日期须在2000年1月1日至今天之间",
        ));
    }
    let input = elderly::validate_capability(&n.capability)
        .map_err(|e| AppError::invalid(&format!("capability.{}", e.field), e.message))?;
    let result = elderly::score(&input);
    let p = crate::storage::persons::get(&app.db, &n.person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::invalid("person_id", "人员不存在或不在您的管辖范围内"))?;
    if minzheng_domain::idnumber::age_on(p.birth_date, n.assessed_on) < 60 {
        return Err(AppError::invalid(
            "person_id",
            "老年人能力评估的对象须年满60周岁",
        ));
    }
    let row = AssessmentRow {
        id: new_id(),
        person_id: p.id.clone(),
        area_code: p.area_code.clone(),
        town_code: p.town_code.clone(),
        assessed_on: n.assessed_on,
        reason: reason.code().into(),
        assessors: assessors.join("、"),
        input_json: serde_json::to_string(&serde_json::json!({"input": input, "result": result}))
            .map_err(|e| AppError::Internal(e.into()))?,
        total: i64::from(result.total),
        level: i64::from(result.level),
        level_name: result.level_name.clone(),
        next_due_on: elderly::next_due(n.assessed_on, None),
        created_by: ctx.actor.display_name.clone(),
        created_at: now(),
    };
    let mut tx = app.db.begin().await?;
    tx.execute(
        &format!(
            "INSERT INTO capability_assessments ({COLS}) VALUES ({})",
            crate::storage::placeholders(1, 14)
        ),
        args![
            &row.id,
            &row.person_id,
            &row.area_code,
            &row.town_code,
            row.assessed_on,
            &row.reason,
            &row.assessors,
            &row.input_json,
            row.total,
            row.level,
            &row.level_name,
            row.next_due_on,
            &row.created_by,
            row.created_at
        ],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.assessment", "capability_assessment", &row.id)
            .area(&row.area_code)
            .after(serde_json::json!({"person_id": row.person_id, "level": row.level, "total": row.total, "reason": row.reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The care-risk events that call for an immediate re-assessment (GB/T 42195-2022).
pub const CARE_RISKS: [(&str, &str); 6] = [
    ("fall", "跌倒"),
    ("choking", "噎食"),
    ("pressure_injury", "压疮"),
    ("wandering", "走失"),
    ("self_harm", "自伤"),
    ("other", "其他照护风险事件"),
];

/// A care-risk event to record for a person.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewCareRisk {
    pub occurred_on: NaiveDate,
    /// fall, choking, pressure_injury, wandering, self_harm or other
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// A recorded care-risk event, and the day the person's next assessment is now due (none without an assessment).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CareRiskView {
    pub id: String,
    pub person_id: String,
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub kind_label: String,
    pub note: String,
    pub next_due_on: Option<NaiveDate>,
}

/// Records a care-risk event; a later event than the person's latest assessment brings that assessment's next due
/// day forward to the event's day (an immediate re-assessment), in the same transaction, audited.
pub async fn record_care_risk(
    app: &App,
    ctx: &Ctx,
    person_id: &str,
    n: NewCareRisk,
) -> AppResult<CareRiskView> {
    ctx.actor.require(Permission::RecordAssessments)?;
    let (kind, kind_label) = CARE_RISKS
        .iter()
        .find(|(k, _)| *k == n.kind.trim())
        .copied()
        .ok_or_else(|| {
            AppError::invalid(
                "kind",
                "事件类别应为跌倒、噎食、压疮、走失、自伤或其他照护风险事件",
            )
        })?;
    let note = crate::app::validate::text("note", "情况说明", &n.note, 0, 200)?;
    let today = app.today();
    if n.occurred_on > today || n.occurred_on < NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") {
        return Err(AppError::invalid(
            "occurred_on",
            "发生日期须在2000年1月1日至今天之间",
        ));
    }
    let p = crate::storage::persons::get(&app.db, person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::NotFound("人员".into()))?;
    let id = new_id();
    let mut tx = app.db.begin().await?;
    tx.execute(
        "INSERT INTO care_risk_events (id, person_id, area_code, town_code, occurred_on, kind, note, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            &id,
            &p.id,
            &p.area_code,
            &p.town_code,
            n.occurred_on,
            kind,
            &note,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    let lock = tx.for_update();
    let latest: Option<(String, NaiveDate, NaiveDate)> = tx
        .fetch_optional(
            &format!(
                "SELECT id, assessed_on, next_due_on FROM capability_assessments WHERE person_id = $1 \
                 ORDER BY assessed_on DESC, created_at DESC LIMIT 1{lock}"
            ),
            args![&p.id],
        )
        .await?;
    let mut next_due_on = None;
    if let Some((aid, assessed_on, due)) = latest {
        let now_due = elderly::next_due(assessed_on, Some(n.occurred_on)).min(due);
        if now_due != due {
            tx.execute(
                "UPDATE capability_assessments SET next_due_on = $2 WHERE id = $1",
                args![&aid, now_due],
            )
            .await?;
        }
        next_due_on = Some(now_due);
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.care_risk", "person", &p.id)
            .area(&p.area_code)
            .after(serde_json::json!({"kind": kind, "occurred_on": n.occurred_on, "next_due_on": next_due_on})),
    )
    .await?;
    tx.commit().await?;
    Ok(CareRiskView {
        id,
        person_id: p.id,
        occurred_on: n.occurred_on,
        kind: kind.into(),
        kind_label: kind_label.into(),
        note,
        next_due_on,
    })
}

/// Assessments in the caller's scope whose next one is due by `by` (the latest per person only), most urgent first.
pub async fn due(
    app: &App,
    ctx: &Ctx,
    by: NaiveDate,
    area: Option<&str>,
) -> AppResult<Vec<AssessmentRow>> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, area);
    let (cond, a) = filter.sql("c.area_code", "c.town_code", 2);
    let mut args: Vec<Arg> = args![by];
    args.extend(a);
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {} FROM capability_assessments c WHERE c.next_due_on <= $1 AND {cond} \
                 AND NOT EXISTS (SELECT 1 FROM capability_assessments n WHERE n.person_id = c.person_id AND n.assessed_on > c.assessed_on) \
                 ORDER BY c.next_due_on, c.id LIMIT 500",
                COLS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
            ),
            args,
        )
        .await?)
}

pub mod allowance;
pub mod community;
pub mod metrics;
pub mod services;
pub mod staff;
