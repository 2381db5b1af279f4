//! The basic living allowance (孤儿基本生活费, and 事实无人抚养儿童 at the 散居 standard): standards with effective
//! months set by the city's child welfare section, one live allowance per child, never beside a live tekun case of
//! the child's household (DOMAIN §4.11 routes the child here; the decision is refused and names the case), paid in
//! the monthly roll (`payment_lines.programme = 'children'`), stopped by the roll at 18 (the month after the 18th
//! birthday, or after the recorded end of full-time education) and on death or moving away in the registry.

use super::{RegRow, birthday, by_rule, load_tx, month_of};
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::disability::first_month;
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;
use serde_json::json;

pub const TIERS: [(&str, &str); 2] = [
    ("institution", "集中供养孤儿"),
    ("family", "散居孤儿、事实无人抚养儿童"),
];

pub fn tier_label(code: &str) -> &'static str {
    TIERS
        .iter()
        .find(|t| t.0 == code)
        .map(|t| t.1)
        .unwrap_or("")
}

pub const KINDS: [(&str, &str); 3] = [
    ("orphan_institution", "集中供养孤儿基本生活费"),
    ("orphan_family", "散居孤儿基本生活费"),
    ("unsupported_child", "事实无人抚养儿童基本生活费"),
];

pub fn kind_label(code: &str) -> &'static str {
    KINDS
        .iter()
        .find(|t| t.0 == code)
        .map(|t| t.1)
        .unwrap_or("")
}

/// The standard a kind is paid at: 集中供养 for orphans in an institution, 散居 for every other.
pub fn tier_of(kind: &str) -> &'static str {
    if kind == "orphan_institution" {
        "institution"
    } else {
        "family"
    }
}

fn kind_for(r: &RegRow) -> Option<&'static str> {
    match (r.category.as_str(), r.sub_kind.as_str()) {
        ("orphan", "institution") => Some("orphan_institution"),
        ("orphan", _) => Some("orphan_family"),
        ("de_facto_unsupported", _) => Some("unsupported_child"),
        _ => None,
    }
}

/// The allowance's amounts per tier, with effective months (see `schedules`).
pub const SCHEDULE: crate::app::schedules::Schedule = crate::app::schedules::Schedule {
    table: "child_standards",
    key: "tier",
    event: "children.standard",
};

async fn standard(tx: &mut Tx, tier: &str, month: &str) -> AppResult<Option<i64>> {
    crate::app::schedules::in_force(tx, &SCHEDULE, tier, month).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct AllowanceRow {
    id: String,
    registration_id: String,
    person_id: String,
    #[allow(dead_code)] // the household the tekun check follows (read in SQL)
    household_id: Option<String>,
    area_code: String,
    town_code: String,
    kind: String,
    bank_account: String,
    status: String,
    start_month: String,
    end_month: Option<String>,
    stop_reason: Option<String>,
    decided_by: String,
    decided_on: NaiveDate,
}

const COLS: &str = "id, registration_id, person_id, household_id, area_code, town_code, kind, bank_account, status, \
    start_month, end_month, stop_reason, decided_by, decided_on";

fn prefixed(alias: &str) -> String {
    COLS.split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AllowanceView {
    pub id: String,
    pub registration_id: String,
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub village: String,
    pub town: String,
    /// orphan_institution, orphan_family, unsupported_child
    pub kind: String,
    pub kind_label: String,
    pub bank_account: String,
    /// active, stopped
    pub status: String,
    pub status_label: String,
    pub start_month: String,
    pub end_month: Option<String>,
    pub stop_reason: Option<String>,
    pub decided_by: String,
    pub decided_on: NaiveDate,
    /// The standard in force this month, yuan (while active).
    pub monthly_amount: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WithPerson {
    #[sqlx(flatten)]
    a: AllowanceRow,
    name: String,
    id_number: String,
}

fn view(app: &App, r: &WithPerson, amount: Option<i64>) -> AllowanceView {
    let areas = app.areas();
    let a = &r.a;
    AllowanceView {
        id: a.id.clone(),
        registration_id: a.registration_id.clone(),
        person_id: a.person_id.clone(),
        name: idnumber::mask_name(&r.name),
        id_number: idnumber::mask(&r.id_number),
        village: areas.name(&a.area_code),
        town: areas.name(&a.town_code),
        kind: a.kind.clone(),
        kind_label: kind_label(&a.kind).into(),
        bank_account: idnumber::mask_phone(&a.bank_account),
        status: a.status.clone(),
        status_label: if a.status == "active" {
            "发放中"
        } else {
            "已停发"
        }
        .into(),
        start_month: a.start_month.clone(),
        end_month: a.end_month.clone(),
        stop_reason: a.stop_reason.clone(),
        decided_by: a.decided_by.clone(),
        decided_on: a.decided_on,
        monthly_amount: amount.map(|x| Fen(x).to_string()),
    }
}

async fn amounts_now(app: &App) -> AppResult<std::collections::HashMap<&'static str, Option<i64>>> {
    let month = month_of(app.today());
    let mut tx = app.db.begin().await?;
    let mut m = std::collections::HashMap::new();
    for (t, _) in TIERS {
        m.insert(t, standard(&mut tx, t, &month).await?);
    }
    tx.commit().await?;
    Ok(m)
}

fn amount_of(
    amounts: &std::collections::HashMap<&'static str, Option<i64>>,
    a: &AllowanceRow,
) -> Option<i64> {
    (a.status == "active")
        .then(|| amounts.get(tier_of(&a.kind)).copied().flatten())
        .flatten()
}

pub(crate) async fn of_registration(
    app: &App,
    registration_id: &str,
) -> AppResult<Vec<AllowanceView>> {
    let rows: Vec<WithPerson> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {}, p.name, p.id_number FROM child_allowances a JOIN persons p ON p.id = a.person_id \
                 WHERE a.registration_id = $1 ORDER BY a.created_at DESC",
                prefixed("a")
            ),
            args![registration_id],
        )
        .await?;
    let amounts = amounts_now(app).await?;
    Ok(rows
        .iter()
        .map(|r| view(app, r, amount_of(&amounts, &r.a)))
        .collect())
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<AllowanceView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: WithPerson = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {}, p.name, p.id_number FROM child_allowances a JOIN persons p ON p.id = a.person_id WHERE a.id = $1",
                prefixed("a")
            ),
            args![id],
        )
        .await?
        .filter(|r: &WithPerson| ctx.actor.in_scope(&r.a.area_code))
        .ok_or_else(|| AppError::NotFound("儿童基本生活费".into()))?;
    let amounts = amounts_now(app).await?;
    Ok(view(app, &r, amount_of(&amounts, &r.a)))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AllowanceQuery {
    /// active, stopped
    pub status: Option<String>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AllowancePage {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<AllowanceView>,
}

pub async fn list(app: &App, ctx: &Ctx, q: &AllowanceQuery) -> AppResult<AllowancePage> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("a.area_code", "a.town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let mut sql =
        format!("FROM child_allowances a JOIN persons p ON p.id = a.person_id WHERE {cond}");
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND a.status = ${}", args.len()));
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let per = super::PAGE;
    let pages = ((total + per - 1) / per).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    args.push(per.into());
    args.push(((page - 1) * per).into());
    let n = args.len();
    let rows: Vec<WithPerson> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {}, p.name, p.id_number {sql} ORDER BY a.area_code, a.start_month, a.id LIMIT ${} OFFSET ${n}",
                prefixed("a"),
                n - 1
            ),
            args,
        )
        .await?;
    let amounts = amounts_now(app).await?;
    Ok(AllowancePage {
        total,
        page,
        pages,
        items: rows
            .iter()
            .map(|r| view(app, r, amount_of(&amounts, &r.a)))
            .collect(),
    })
}

/// The city's child welfare section only (setting standards, deciding and stopping allowances).
fn require_section(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::DecideChildAllowances)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAllowance {
    /// The child's entry (孤儿 or 事实无人抚养儿童, in force).
    pub registration_id: String,
    pub bank_account: String,
    /// The decision's date; payment starts the next month.
    pub decided_on: NaiveDate,
}

/// Grants the allowance to a registered orphan or 事实无人抚养儿童 (the city's child welfare section).
pub async fn decide(app: &App, ctx: &Ctx, n: NewAllowance) -> AppResult<AllowanceView> {
    require_section(ctx)?;
    let account: String = n
        .bank_account
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(10..=30).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid(
            "bank_account",
            "一卡通账号应为10–30位数字",
        ));
    }
    let on = validate::date("decided_on", "审批日期", n.decided_on)?;
    if on > app.today() {
        return Err(AppError::invalid("decided_on", "审批日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let r = load_tx(&mut tx, ctx, &n.registration_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => {
                AppError::invalid("registration_id", "儿童登记不存在或不在您的管辖范围内")
            }
            e => e,
        })?;
    if r.status != "active" || !by_rule(&r.category) {
        return Err(AppError::invalid(
            "registration_id",
            "只有在册的孤儿和事实无人抚养儿童享受基本生活费",
        ));
    }
    let kind =
        kind_for(&r).ok_or_else(|| AppError::invalid("registration_id", "类别不享受基本生活费"))?;
    if on < r.start_on {
        return Err(AppError::invalid("decided_on", "审批日期不能早于登记日期"));
    }
    let (status, birth): (String, NaiveDate) = tx
        .fetch_one(
            "SELECT status, birth_date FROM persons WHERE id = $1",
            args![&r.person_id],
        )
        .await?;
    if status != "normal" {
        return Err(AppError::invalid(
            "registration_id",
            format!(
                "此儿童在居民信息库中的状态为{}，不能发放",
                crate::app::registry::status_label(&status)
            ),
        ));
    }
    let start = first_month(on);
    let stop_from = first_month(birthday(birth, 18).max(r.education_until.unwrap_or(birth)));
    if start >= stop_from {
        return Err(AppError::invalid(
            "registration_id",
            "此儿童自起始发放月份起已满18周岁且未登记在读全日制学历教育，不能发放",
        ));
    }
    // never beside tekun: DOMAIN §4.11 routes the child to this allowance, so a live tekun case is stopped first
    if let Some(hh) = &r.household_id {
        let lock = tx.for_update();
        let tekun: Option<(String, String)> = tx
            .fetch_optional(
                &format!(
                    "SELECT id, start_month FROM cases WHERE household_id = $1 AND category = 'tekun' \
                     AND status IN ('active', 'phasing_out') ORDER BY start_month LIMIT 1{lock}"
                ),
                args![hh],
            )
            .await?;
        if let Some((case, since)) = tekun {
            return Err(AppError::conflict(
                "registration_id",
                format!(
                    "此儿童所在家庭有在保的特困人员救助供养（救助对象 {case}，自{since}起）。孤儿、事实无人抚养儿童纳入儿童基本生活保障，不重复享受：请先停止特困供养，再审批基本生活费"
                ),
            ));
        }
    }
    let existing: Option<(String, String)> = tx
        .fetch_optional(
            "SELECT kind, start_month FROM child_allowances WHERE person_id = $1 AND status = 'active'",
            args![&r.person_id],
        )
        .await?;
    if let Some((k, since)) = existing {
        return Err(AppError::conflict(
            "registration_id",
            format!(
                "此儿童已享受{}（自{since}起），不能重复享受",
                kind_label(&k)
            ),
        ));
    }
    if standard(&mut tx, tier_of(kind), &start).await?.is_none() {
        return Err(AppError::invalid(
            "decided_on",
            format!(
                "{start}没有生效的{}保障标准，请先设定标准",
                tier_label(tier_of(kind))
            ),
        ));
    }
    let id = new_id();
    let res = tx
        .execute(
            &format!(
                "INSERT INTO child_allowances ({COLS}, created_at) VALUES ({})",
                crate::storage::placeholders(1, 15)
            ),
            args![
                &id,
                &r.id,
                &r.person_id,
                r.household_id.clone(),
                &r.area_code,
                &r.town_code,
                kind,
                &account,
                "active",
                &start,
                Option::<String>::None,
                Option::<String>::None,
                &ctx.actor.display_name,
                on,
                now()
            ],
        )
        .await;
    if let Err(e) = res {
        return Err(if e.is_unique_violation() {
            AppError::conflict("registration_id", "此儿童已享受基本生活费，不能重复享受")
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.allowance", "child_allowance", &id)
            .area(&r.area_code)
            .after(json!({"registration_id": r.id, "kind": kind, "start_month": start, "decided_on": on})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, &id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct StopAllowance {
    /// The first month no longer paid (YYYY-MM).
    pub from_month: String,
    pub reason: String,
}

pub async fn stop(app: &App, ctx: &Ctx, id: &str, s: StopAllowance) -> AppResult<AllowanceView> {
    require_section(ctx)?;
    let (from, _) = validate::month("from_month", "停发月份", &s.from_month)?;
    let reason = validate::text("reason", "停发原因", &s.reason, 4, 500)?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let a: AllowanceRow = tx
        .fetch_optional::<AllowanceRow>(
            &format!("SELECT {COLS} FROM child_allowances WHERE id = $1{lock}"),
            args![id],
        )
        .await?
        .filter(|a| ctx.actor.in_scope(&a.area_code))
        .ok_or_else(|| AppError::NotFound("儿童基本生活费".into()))?;
    if a.status != "active" {
        return Err(AppError::conflict(
            "status",
            "只有发放中的基本生活费可以停发",
        ));
    }
    if from < a.start_month {
        return Err(AppError::invalid(
            "from_month",
            "停发月份不能早于起始发放月份",
        ));
    }
    stop_tx(&mut tx, ctx, &a, &from, &reason).await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

/// Stops the child's live allowance from `from` (or its first month, if later): the step of another line that ends
/// the child's need (an adoption registered).
pub(crate) async fn stop_live_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    person_id: &str,
    from: &str,
    reason: &str,
) -> AppResult<()> {
    let lock = tx.for_update();
    let live: Vec<AllowanceRow> = tx
        .fetch_all(
            &format!("SELECT {COLS} FROM child_allowances WHERE person_id = $1 AND status = 'active'{lock}"),
            args![person_id],
        )
        .await?;
    for a in &live {
        let from = if a.start_month.as_str() > from {
            a.start_month.as_str()
        } else {
            from
        };
        stop_tx(tx, ctx, a, from, reason).await?;
    }
    Ok(())
}

async fn stop_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    a: &AllowanceRow,
    from: &str,
    reason: &str,
) -> AppResult<()> {
    tx.execute(
        "UPDATE child_allowances SET status = 'stopped', end_month = $2, stop_reason = $3 WHERE id = $1",
        args![&a.id, from, reason],
    )
    .await?;
    audit::record(
        tx,
        ctx,
        Event::new("children.allowance_stop", "child_allowance", &a.id)
            .area(&a.area_code)
            .after(json!({"from_month": from, "reason": reason})),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StandardView {
    pub tier: String,
    pub tier_label: String,
    pub effective_from: String,
    /// Yuan a month.
    pub monthly_amount: String,
    pub reason: String,
    pub created_by: String,
}

pub async fn standards(app: &App, ctx: &Ctx) -> AppResult<Vec<StandardView>> {
    ctx.actor.require(Permission::ReadChildren)?;
    Ok(crate::app::schedules::rows(app, &SCHEDULE)
        .await?
        .into_iter()
        .map(|r| StandardView {
            tier_label: tier_label(&r.key).into(),
            tier: r.key,
            effective_from: r.effective_from,
            monthly_amount: Fen(r.monthly_amount).to_string(),
            reason: r.reason,
            created_by: r.created_by,
        })
        .collect())
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewStandard {
    /// institution (集中供养孤儿) or family (散居孤儿、事实无人抚养儿童)
    pub tier: String,
    /// YYYY-MM, the first month paid at this amount.
    pub effective_from: String,
    /// Yuan a month, e.g. "1900.00".
    pub monthly_amount: String,
    pub reason: String,
}

/// Sets a standard from a month on (the city's child welfare section); months in an approved roll keep theirs.
pub async fn set_standard(app: &App, ctx: &Ctx, n: NewStandard) -> AppResult<Vec<StandardView>> {
    require_section(ctx)?;
    let tier = n.tier.trim();
    if !TIERS.iter().any(|t| t.0 == tier) {
        return Err(AppError::invalid(
            "tier",
            "标准档次应为集中供养孤儿或散居孤儿、事实无人抚养儿童",
        ));
    }
    let (from, first) = validate::month("effective_from", "生效月份", &n.effective_from)?;
    if first < NaiveDate::from_ymd_opt(2010, 1, 1).expect("date") {
        return Err(AppError::invalid(
            "effective_from",
            "生效月份不能早于2010年1月",
        ));
    }
    crate::app::schedules::set(
        app,
        ctx,
        &SCHEDULE,
        crate::app::schedules::Entry {
            key: tier,
            label: tier_label(tier),
            effective_from: &from,
            monthly_amount: &n.monthly_amount,
            reason: &n.reason,
        },
    )
    .await?;
    standards(app, ctx).await
}

/// A line the monthly roll pays for an allowance.
pub use crate::app::assistance::payments::ProgrammeLine as RollLine;

#[derive(sqlx::FromRow)]
struct Payable {
    #[sqlx(flatten)]
    a: AllowanceRow,
    person_status: String,
    birth_date: NaiveDate,
    education_until: Option<NaiveDate>,
    tekun_case: Option<String>,
}

/// The allowances paid for `month`, inside the roll's transaction. An allowance whose child has died or moved
/// away is stopped from this month; one whose child is past 18 (and past the recorded end of full-time education)
/// from the month after the birthday (or the education's end); one whose household holds a live tekun case in the
/// month from this month — each with its reason recorded and audited.
pub async fn roll_lines(tx: &mut Tx, ctx: &Ctx, month: &str) -> AppResult<Vec<RollLine>> {
    let lock = tx.for_update();
    let rows: Vec<Payable> = tx
        .fetch_all(
            &format!(
                "SELECT {}, p.status AS person_status, p.birth_date, r.education_until, \
                 (SELECT MIN(c.id) FROM cases c WHERE c.household_id = a.household_id AND c.category = 'tekun' \
                  AND c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $1)) AS tekun_case \
                 FROM child_allowances a JOIN persons p ON p.id = a.person_id \
                 JOIN child_registrations r ON r.id = a.registration_id \
                 WHERE (a.status = 'active' OR (a.status = 'stopped' AND a.end_month > $1)) AND a.start_month <= $1 \
                 ORDER BY a.town_code, a.area_code, a.id{}",
                prefixed("a"),
                if lock.is_empty() { "" } else { " FOR UPDATE OF a" }
            ),
            args![month],
        )
        .await?;
    let mut amounts = std::collections::HashMap::new();
    for (t, _) in TIERS {
        amounts.insert(t, standard(tx, t, month).await?);
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let end_date = birthday(r.birth_date, 18).max(r.education_until.unwrap_or(r.birth_date));
        let age_stop = first_month(end_date);
        let stop = if r.a.status != "active" {
            None
        } else if r.person_status != "normal" {
            Some((
                month.to_string(),
                format!(
                    "居民信息库显示{}，自{month}起停发",
                    crate::app::registry::status_label(&r.person_status)
                ),
            ))
        } else if age_stop.as_str() <= month {
            let why = if r
                .education_until
                .is_some_and(|e| e > birthday(r.birth_date, 18))
            {
                format!("全日制学历教育于{end_date}结束")
            } else {
                format!("{end_date}年满18周岁")
            };
            Some((age_stop.clone(), format!("{why}，自{age_stop}起停发")))
        } else {
            r.tekun_case.as_ref().map(|c| {
                (
                    month.to_string(),
                    format!(
                        "家庭有在保的特困人员救助供养（救助对象 {c}），不重复享受，自{month}起停发"
                    ),
                )
            })
        };
        if let Some((from, reason)) = stop {
            stop_tx(tx, ctx, &r.a, &from, &reason).await?;
            if from.as_str() <= month {
                continue;
            }
        }
        let tier = tier_of(&r.a.kind);
        let amount = amounts.get(tier).copied().flatten().ok_or_else(|| {
            AppError::invalid(
                "month",
                format!(
                    "{month}没有生效的{}保障标准，请先设定标准",
                    tier_label(tier)
                ),
            )
        })?;
        out.push(RollLine {
            entitlement_id: r.a.id,
            category: r.a.kind,
            person_id: r.a.person_id,
            bank_account: r.a.bank_account,
            area_code: r.a.area_code,
            town_code: r.a.town_code,
            amount,
        });
    }
    Ok(out)
}
