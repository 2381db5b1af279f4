//! 残疾人两项补贴: the bureau's switches (settings with effective months and history, set by the city's 社会事务科 and
//! audited) and the changes a new disability grade makes to a grant in payment.
//!
//! - **Settings**: `disability.living_low_income` (the living subsidy also for low-income households' disabled
//!   members) and `disability.care_grade34_intellectual_mental` (the care subsidy also for grade 3–4 intellectual or
//!   mental disability). The one in force in a month is the latest that took effect by then; none means the national
//!   minimum (off). Filing, the 漏保 leads and the monthly roll read the month's settings, so switching one off stops
//!   the grants it carried from its month (the roll records the reason), and switching it on brings the leads.
//!   A month already in an approved roll cannot change (as the standards).
//! - **New grade**: after a 残联 load, each grant in payment whose person the load lists with another kind or grade is
//!   assessed again by the same rule under the settings of the month after the load's date: still eligible — the tier
//!   (and the facts) change from that month; not — the grant stops from that month. Each change is a row of `subsidy_changes` with its
//!   reason and month, and audited. The roll pays the tier in force for its month.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::disability::{self as line, FrozenFacts, GrantRow};
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Tx, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::disability::{self as rule, Facts, Programme, SubsidyPolicy, Tier};

pub const LIVING_LOW_INCOME: &str = "disability.living_low_income";
pub const CARE_GRADE34: &str = "disability.care_grade34_intellectual_mental";

pub const SETTINGS: [(&str, &str); 2] = [
    (
        LIVING_LOW_INCOME,
        "困难残疾人生活补贴覆盖低收入家庭的残疾人",
    ),
    (
        CARE_GRADE34,
        "重度残疾人护理补贴覆盖三、四级智力、精神残疾人",
    ),
];

pub fn setting_label(code: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|s| s.0 == code)
        .map(|s| s.1)
        .unwrap_or("")
}

/// Each setting's row in force in a month ($1).
const IN_FORCE: &str = "SELECT s.setting, s.enabled FROM bureau_settings s WHERE s.effective_from = \
    (SELECT MAX(x.effective_from) FROM bureau_settings x WHERE x.setting = s.setting AND x.effective_from <= $1)";

fn policy_of(rows: &[(String, bool)]) -> SubsidyPolicy {
    let on = |k: &str| rows.iter().any(|(s, e)| s == k && *e);
    SubsidyPolicy {
        living_includes_low_income: on(LIVING_LOW_INCOME),
        care_includes_grade34_intellectual_mental: on(CARE_GRADE34),
    }
}

/// The policy in force in `month` (YYYY-MM), inside a transaction.
pub async fn policy_for(tx: &mut Tx, month: &str) -> AppResult<SubsidyPolicy> {
    let rows: Vec<(String, bool)> = tx.fetch_all(IN_FORCE, args![month]).await?;
    Ok(policy_of(&rows))
}

/// The policy in force in `month`, for a read.
pub async fn policy_now(app: &App, month: &str) -> AppResult<SubsidyPolicy> {
    let rows: Vec<(String, bool)> = app.db.conn().fetch_all(IN_FORCE, args![month]).await?;
    Ok(policy_of(&rows))
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SettingRow {
    pub setting: String,
    pub enabled: bool,
    pub effective_from: String,
    pub reason: String,
    pub set_by: String,
    pub set_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SettingState {
    pub setting: String,
    pub label: String,
    /// In force this month.
    pub enabled: bool,
    /// Since (the month of the setting in force; none: never set, the national minimum).
    pub effective_from: Option<String>,
    /// A later setting already made, not yet in force.
    pub pending: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub current: Vec<SettingState>,
    /// Every setting made, latest first.
    pub history: Vec<SettingRow>,
}

pub async fn settings(app: &App, ctx: &Ctx) -> AppResult<Settings> {
    ctx.actor.require(Permission::ReadDisability)?;
    let history: Vec<SettingRow> = app
        .db
        .conn()
        .fetch_all(
            "SELECT setting, enabled, effective_from, reason, set_by, set_at FROM bureau_settings \
             ORDER BY effective_from DESC, set_at DESC",
            vec![],
        )
        .await?;
    let month = line::month_of(app.today());
    let current = SETTINGS
        .iter()
        .map(|(code, label)| {
            let in_force = history
                .iter()
                .find(|h| h.setting == *code && h.effective_from <= month);
            let pending = history
                .iter()
                .rfind(|h| h.setting == *code && h.effective_from > month)
                .map(|h| {
                    format!(
                        "{}起{}",
                        h.effective_from,
                        if h.enabled { "开启" } else { "关闭" }
                    )
                });
            SettingState {
                setting: code.to_string(),
                label: label.to_string(),
                enabled: in_force.is_some_and(|h| h.enabled),
                effective_from: in_force.map(|h| h.effective_from.clone()),
                pending,
            }
        })
        .collect();
    Ok(Settings { current, history })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewSetting {
    /// disability.living_low_income or disability.care_grade34_intellectual_mental
    pub setting: String,
    pub enabled: bool,
    /// The first month it applies (YYYY-MM).
    pub effective_from: String,
    /// The bureau's document or reason (at least 2 characters).
    pub reason: String,
}

/// Sets a switch from a month (the city's 社会事务科).
pub async fn set(app: &App, ctx: &Ctx, n: NewSetting) -> AppResult<Settings> {
    line::require_county(ctx)?;
    let code = n.setting.trim();
    if !SETTINGS.iter().any(|s| s.0 == code) {
        return Err(AppError::invalid(
            "setting",
            "设置项应为生活补贴覆盖低收入家庭或护理补贴覆盖三、四级智力精神残疾人",
        ));
    }
    let (from, _) = validate::month("effective_from", "生效月份", &n.effective_from)?;
    let reason = validate::text("reason", "依据", &n.reason, 2, 200)?;
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
            "该月及以后已有审批的发放名册，设置只能从未审批的月份起生效",
        ));
    }
    let before = policy_for(&mut tx, &from).await?;
    let id = new_id();
    tx.execute(
        "INSERT INTO bureau_settings (id, setting, enabled, effective_from, reason, set_by, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&id, code, n.enabled, &from, &reason, &ctx.actor.display_name, now()],
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict(
                "effective_from",
                format!("{}已有{from}起的设置", setting_label(code)),
            )
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("disability.setting", "bureau_settings", &id)
            .before(serde_json::json!({"policy": before}))
            .after(serde_json::json!({"setting": code, "enabled": n.enabled, "effective_from": from, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    settings(app, ctx).await
}

// ---------- a new grade ----------

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChangeView {
    /// regrade (another tier or grade, still paid) or stop
    pub kind: String,
    pub before_json: String,
    pub after_json: String,
    pub tier: Option<String>,
    pub effective_month: String,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

pub async fn changes_of(app: &App, ctx: &Ctx, grant_id: &str) -> AppResult<Vec<ChangeView>> {
    line::get(app, ctx, grant_id).await?;
    Ok(app
        .db
        .conn()
        .fetch_all(
            "SELECT kind, before_json, after_json, tier, effective_month, reason, changed_by, changed_at \
             FROM subsidy_changes WHERE grant_id = $1 ORDER BY effective_month, changed_at",
            args![grant_id],
        )
        .await?)
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct RegradeSummary {
    /// Grants whose person the load lists with another kind or grade.
    pub found: i64,
    /// Still paid, at the tier of the new grade from `month`.
    pub changed: i64,
    /// Stopped from `month`.
    pub stopped: i64,
    pub month: String,
}

fn grade_text(kind: Option<&str>, grade: Option<u8>) -> String {
    match (kind, grade) {
        (Some(k), Some(g)) => format!(
            "{}{}级",
            minzheng_domain::assistance::DisabilityKind::parse(k)
                .map(|d| d.label())
                .unwrap_or(k),
            g
        ),
        _ => "无残疾等级".into(),
    }
}

/// After a 残联 load: the grants in payment whose person it lists with another kind or grade are assessed again,
/// changed or stopped from the month after the load's date (the next month from when the 残联 knew) — one statement
/// reads them all, the changes are written in the caller's transaction.
pub(crate) async fn regrade_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    load_id: &str,
    load_as_of: NaiveDate,
) -> AppResult<RegradeSummary> {
    let month = rule::first_month(load_as_of);
    let policy = policy_for(tx, &month).await?;
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        grant: GrantRow,
        new_kind: String,
        new_grade: i64,
    }
    let cols = line::COLS
        .split(", ")
        .map(|c| format!("g.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let lock = tx.for_update();
    let found: Vec<Found> = tx
        .fetch_all(
            &format!(
                "SELECT {cols}, sd.kind AS new_kind, sd.grade AS new_grade FROM subsidy_grants g \
                 JOIN persons p ON p.id = g.person_id \
                 JOIN src_disability sd ON sd.id_number = p.id_number AND sd.load_id = $1 \
                 WHERE g.stage = 'approved' ORDER BY g.number{lock}"
            ),
            args![load_id],
        )
        .await?;
    let mut s = RegradeSummary {
        month: month.clone(),
        ..Default::default()
    };
    let basis = format!("残联残疾人登记（{}）", load_as_of.format("%Y年%-m月%-d日"));
    for f in found {
        let g = f.grant;
        let Ok(before) = serde_json::from_str::<FrozenFacts>(&g.facts_json) else {
            continue;
        };
        let new_grade = f.new_grade.clamp(0, 9) as u8;
        if before.disability_kind.as_deref() == Some(f.new_kind.as_str())
            && before.disability_grade == Some(new_grade)
        {
            continue;
        }
        s.found += 1;
        let after = FrozenFacts {
            disability_kind: Some(f.new_kind.clone()),
            disability_grade: Some(new_grade),
            disability_basis: basis.clone(),
            ..before.clone()
        };
        let programme = Programme::parse(&g.programme).unwrap_or(Programme::Living);
        let facts = Facts {
            disability: Some((f.new_kind.as_str(), new_grade)),
            household_category: after.household_category.as_deref(),
            needs_long_term_care: after.needs_long_term_care,
            exclusions: after.exclusions,
        };
        let was = grade_text(before.disability_kind.as_deref(), before.disability_grade);
        let now_is = grade_text(Some(&f.new_kind), Some(new_grade));
        let before_json =
            serde_json::to_string(&before).map_err(|e| AppError::Internal(e.into()))?;
        let after_json = serde_json::to_string(&after).map_err(|e| AppError::Internal(e.into()))?;
        let (kind, tier, reason) = match rule::assess(programme, &facts, policy) {
            Ok(t) => (
                "regrade",
                Some(t),
                format!(
                    "{basis}：残疾等级由{was}变为{now_is}，自{month}起按{}发放",
                    t.label()
                ),
            ),
            Err(why) => (
                "stop",
                None,
                format!("{basis}：残疾等级由{was}变为{now_is}，{why}，自{month}起停发"),
            ),
        };
        tx.execute(
            "UPDATE subsidy_grants SET facts_json = $2 WHERE id = $1",
            args![&g.id, &after_json],
        )
        .await?;
        tx.execute(
            "INSERT INTO subsidy_changes (id, grant_id, kind, before_json, after_json, tier, effective_month, reason, \
             changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            args![
                new_id(),
                &g.id,
                kind,
                &before_json,
                &after_json,
                tier.map(|t| t.code().to_string()),
                &month,
                &reason,
                &ctx.actor.display_name,
                now()
            ],
        )
        .await?;
        if tier.is_some() {
            s.changed += 1;
            audit::record(
                tx,
                ctx,
                Event::new("disability.regrade", "subsidy_grant", &g.id)
                    .area(&g.area_code)
                    .before(&before)
                    .after(serde_json::json!({"facts": after, "tier": tier.map(Tier::code), "from_month": month, "reason": reason})),
            )
            .await?;
        } else {
            s.stopped += 1;
            // stop_tx audits the stop with its reason
            line::stop_tx(tx, ctx, &g, &month, &reason).await?;
        }
    }
    Ok(s)
}

/// The latest 残联 load's changes, as a batch after the load (no permission check: the load's caller holds its own).
pub(crate) async fn after_load(app: &App, ctx: &Ctx, load_id: &str) -> AppResult<RegradeSummary> {
    let mut tx = app.db.begin().await?;
    let latest: Option<(String, NaiveDate)> = tx
        .fetch_optional(
            "SELECT id, as_of FROM source_loads WHERE source = 'disability' ORDER BY as_of DESC, loaded_at DESC LIMIT 1",
            vec![],
        )
        .await?;
    // an older file loaded late changes nothing: the latest load is the 残联's current register
    let Some((latest, as_of)) = latest.filter(|(id, _)| id == load_id) else {
        return Ok(RegradeSummary::default());
    };
    let s = regrade_tx(&mut tx, ctx, &latest, as_of).await?;
    tx.commit().await?;
    Ok(s)
}
