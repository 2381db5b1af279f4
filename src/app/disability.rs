//! 残疾人两项补贴 (国发〔2015〕52号, DOMAIN §5): filed by the town without paper — the disability comes from the 残联's
//! latest registry load and the household's category from its live assistance case — checked by the 残联 (7 days),
//! posted in the village (7 days), decided by the county, and paid in the monthly roll beside assistance. A grant
//! freezes the facts it was decided on; the roll stops a grant whose person died or moved away or whose dibao ended.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role, Section};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Datelike, Duration, NaiveDate};
use minzheng_domain::disability::{
    self as rule, Exclusions, Facts, GRADE_CHECK_DAYS, PUBLICITY_DAYS, Programme, Tier,
};
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;

pub use crate::app::listing::REGISTER_PAGE_SIZE as PAGE;

/// The categories whose households the living subsidy follows.
const LIVING_CATEGORIES: &str = "'dibao', 'dibao_single', 'low_income'";

pub fn stage_label(code: &str) -> &'static str {
    match code {
        "filed" => "待残联核定",
        "checked" => "待县级审批",
        "approved" => "享受中",
        "refused" => "不予批准",
        "stopped" => "已停发",
        _ => "未知",
    }
}

/// The payment line's category code for a programme (`disability_living`, `disability_care`).
pub fn line_category(p: Programme) -> String {
    format!("disability_{}", p.code())
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FrozenFacts {
    pub disability_kind: Option<String>,
    pub disability_grade: Option<u8>,
    /// Where the disability was read: 残联 registry load (its as-of date) or the residents' registry.
    pub disability_basis: String,
    pub household_category: Option<String>,
    pub needs_long_term_care: bool,
    pub exclusions: Exclusions,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GrantRow {
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) programme: String,
    pub(crate) person_id: String,
    pub(crate) household_id: String,
    pub(crate) area_code: String,
    pub(crate) town_code: String,
    pub(crate) stage: String,
    pub(crate) tier: String,
    pub(crate) facts_json: String,
    pub(crate) bank_account: String,
    pub(crate) filed_by: String,
    pub(crate) filed_on: NaiveDate,
    pub(crate) checked_by: Option<String>,
    pub(crate) checked_on: Option<NaiveDate>,
    pub(crate) check_note: Option<String>,
    pub(crate) decided_by: Option<String>,
    pub(crate) decided_on: Option<NaiveDate>,
    pub(crate) decision_note: Option<String>,
    pub(crate) start_month: Option<String>,
    pub(crate) end_month: Option<String>,
    pub(crate) stop_reason: Option<String>,
}

pub(crate) const COLS: &str = "id, number, programme, person_id, household_id, area_code, town_code, stage, tier, facts_json, \
    bank_account, filed_by, filed_on, checked_by, checked_on, check_note, decided_by, decided_on, decision_note, \
    start_month, end_month, stop_reason";

/// A grant as the pages and the API show it: personal data masked.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub id: String,
    /// 编号, e.g. 澄江残补-2020-0001
    pub number: String,
    pub programme: String,
    pub programme_label: String,
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub village: String,
    pub town: String,
    pub stage: String,
    pub stage_label: String,
    pub tier_label: String,
    pub disability: String,
    pub disability_basis: String,
    pub household_category: String,
    pub needs_long_term_care: bool,
    pub exclusions: Vec<String>,
    pub bank_account: String,
    pub filed_by: String,
    pub filed_on: NaiveDate,
    /// The 残联's check is due within 7 days of filing.
    pub check_due_on: NaiveDate,
    pub check_overdue: bool,
    /// The village posting runs 7 days from filing; the county decides after it.
    pub publicity_until: NaiveDate,
    pub checked_by: Option<String>,
    pub checked_on: Option<NaiveDate>,
    pub check_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub decision_note: Option<String>,
    pub start_month: Option<String>,
    pub end_month: Option<String>,
    pub stop_reason: Option<String>,
    /// The monthly amount under the standard in force this month, yuan.
    pub monthly_amount: Option<String>,
}

fn view(app: &App, r: &GrantRow, name: &str, id_number: &str, amount: Option<i64>) -> GrantView {
    let facts: Option<FrozenFacts> = serde_json::from_str(&r.facts_json).ok();
    let areas = app.areas();
    let programme = Programme::parse(&r.programme);
    let check_due_on = r.filed_on + Duration::days(GRADE_CHECK_DAYS);
    GrantView {
        id: r.id.clone(),
        number: r.number.clone(),
        programme: r.programme.clone(),
        programme_label: programme.map(Programme::label).unwrap_or("").into(),
        person_id: r.person_id.clone(),
        name: idnumber::mask_name(name),
        id_number: idnumber::mask(id_number),
        village: areas.name(&r.area_code),
        town: areas.name(&r.town_code),
        stage: r.stage.clone(),
        stage_label: stage_label(&r.stage).into(),
        tier_label: Tier::parse(&r.tier).map(Tier::label).unwrap_or("").into(),
        disability: facts
            .as_ref()
            .and_then(|f| {
                crate::app::registry::disability_label(
                    f.disability_kind.as_deref(),
                    f.disability_grade.map(i32::from),
                )
            })
            .unwrap_or_else(|| "无".into()),
        disability_basis: facts
            .as_ref()
            .map(|f| f.disability_basis.clone())
            .unwrap_or_default(),
        household_category: facts
            .as_ref()
            .and_then(|f| f.household_category.as_deref())
            .map(|c| crate::app::assistance::applications::category_label(c).to_string())
            .unwrap_or_else(|| "不在保".into()),
        needs_long_term_care: facts.as_ref().is_some_and(|f| f.needs_long_term_care),
        exclusions: facts
            .as_ref()
            .map(|f| {
                let mut v = vec![];
                if f.exclusions.work_injury_care {
                    v.push("享受工伤保险生活护理费".to_string());
                }
                if f.exclusions.orphan_allowance {
                    v.push("享受孤儿（事实无人抚养儿童）基本生活费".to_string());
                }
                v
            })
            .unwrap_or_default(),
        bank_account: idnumber::mask_phone(&r.bank_account),
        filed_by: r.filed_by.clone(),
        filed_on: r.filed_on,
        check_due_on,
        check_overdue: r.stage == "filed" && app.today() > check_due_on,
        publicity_until: r.filed_on + Duration::days(PUBLICITY_DAYS),
        checked_by: r.checked_by.clone(),
        checked_on: r.checked_on,
        check_note: r.check_note.clone(),
        decided_by: r.decided_by.clone(),
        decided_on: r.decided_on,
        decision_note: r.decision_note.clone(),
        start_month: r.start_month.clone(),
        end_month: r.end_month.clone(),
        stop_reason: r.stop_reason.clone(),
        monthly_amount: amount.map(|a| Fen(a).to_string()),
    }
}

/// A month as YYYY-MM within the subsidies' years (they began in 2016).
fn checked_month(field: &str, m: &str) -> AppResult<String> {
    let m = m.trim();
    let ok = m.len() == 7
        && NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .is_ok_and(|d| (2016..=2100).contains(&d.year()));
    if ok {
        Ok(m.to_string())
    } else {
        Err(AppError::invalid(
            field,
            "月份格式应为 YYYY-MM（2016–2100年）",
        ))
    }
}

pub(crate) fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The disability as the 残联 registers it today: the person's row in the latest disability load. A person absent
/// from it (or with no load yet) is read from the residents' registry, and the basis says so: the 残联's check of
/// the grade, the next step, settles it.
async fn disability_of(
    tx: &mut Tx,
    id_number: &str,
    registry: (Option<String>, Option<i32>),
) -> AppResult<(Option<(String, u8)>, String)> {
    let load: Option<(String, NaiveDate)> = tx
        .fetch_optional(
            "SELECT id, as_of FROM source_loads WHERE source = 'disability' ORDER BY as_of DESC, loaded_at DESC LIMIT 1",
            vec![],
        )
        .await?;
    if let Some((load_id, as_of)) = &load {
        let row: Option<(String, i64)> = tx
            .fetch_optional(
                "SELECT kind, grade FROM src_disability WHERE load_id = $1 AND id_number = $2 LIMIT 1",
                args![load_id, id_number],
            )
            .await?;
        if let Some((k, g)) = row {
            return Ok((
                Some((k, g.clamp(0, 9) as u8)),
                format!("残联残疾人登记（{}）", as_of.format("%Y年%-m月%-d日")),
            ));
        }
    }
    let recorded = registry.0.zip(registry.1.map(|g| g.clamp(0, 9) as u8));
    let basis = match (&load, &recorded) {
        (Some(_), Some(_)) => "居民信息库登记（残联最新登记中未见，须残联核定）",
        _ => "居民信息库登记",
    };
    Ok((recorded, basis.into()))
}

/// The household's live assistance category relevant to the living subsidy, if any.
async fn household_category(tx: &mut Tx, household_id: &str) -> AppResult<Option<String>> {
    let cats: Vec<(String,)> = tx
        .fetch_all(
            &format!(
                "SELECT category FROM cases WHERE household_id = $1 AND status IN ('active', 'phasing_out') \
                 AND category IN ({LIVING_CATEGORIES})"
            ),
            args![household_id],
        )
        .await?;
    // dibao before low income: the stronger status decides
    Ok(["dibao", "dibao_single", "low_income"]
        .into_iter()
        .find(|c| cats.iter().any(|(x,)| x == c))
        .map(str::to_string))
}

/// The subsidies' amounts per tier, with effective months (see `schedules`).
pub const SCHEDULE: crate::app::schedules::Schedule = crate::app::schedules::Schedule {
    table: "subsidy_standards",
    key: "tier",
    event: "disability.standard",
};

/// The standard in force for a tier in a month.
async fn standard(tx: &mut Tx, tier: Tier, month: &str) -> AppResult<Option<i64>> {
    crate::app::schedules::in_force(tx, &SCHEDULE, tier.code(), month).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewGrant {
    pub person_id: String,
    /// living or care
    pub programme: String,
    /// Assessed as needing long-term care (the care subsidy for grade 1–2).
    #[serde(default)]
    pub needs_long_term_care: bool,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub exclusions: Exclusions,
    pub bank_account: String,
    pub filed_on: NaiveDate,
}

fn check_date(field: &str, d: NaiveDate, not_before: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if d < not_before || d > today {
        return Err(AppError::invalid(
            field,
            format!("日期须在{}至今天之间", not_before.format("%Y年%-m月%-d日")),
        ));
    }
    Ok(())
}

/// Files a grant for a person of the caller's area: the facts are read from the sources, not typed in.
pub async fn file(app: &App, ctx: &Ctx, n: NewGrant) -> AppResult<GrantView> {
    ctx.actor.require(Permission::HandleSubsidies)?;
    let programme = Programme::parse(n.programme.trim()).ok_or_else(|| {
        AppError::invalid(
            "programme",
            "补贴类别应为困难残疾人生活补贴或重度残疾人护理补贴",
        )
    })?;
    let account: String = n
        .bank_account
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(10..=30).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("bank_account", "银行账号应为10–30位数字"));
    }
    check_date(
        "filed_on",
        n.filed_on,
        NaiveDate::from_ymd_opt(2016, 1, 1).expect("date"),
        app.today(),
    )?;
    let mut tx = app.db.begin().await?;
    let p = crate::storage::persons::get_tx(&mut tx, &n.person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::invalid("person_id", "人员不存在或不在您的管辖范围内"))?;
    if p.status != "normal" {
        return Err(AppError::invalid(
            "person_id",
            format!(
                "此人在居民信息库中的状态为{}，不能申请",
                crate::app::registry::status_label(&p.status)
            ),
        ));
    }
    let household_id = p.household_id.clone().ok_or_else(|| {
        AppError::invalid("person_id", "此人没有登记所在家庭，请先在居民信息库中建户")
    })?;
    let existing: Option<(String, String)> = tx
        .fetch_optional(
            "SELECT number, stage FROM subsidy_grants WHERE person_id = $1 AND programme = $2 AND stage IN ('filed', 'checked', 'approved')",
            args![&p.id, programme.code()],
        )
        .await?;
    if let Some((number, stage)) = existing {
        return Err(AppError::conflict(
            "person_id",
            format!(
                "此人已有{}（编号 {number}，{}），不能重复申请",
                programme.label(),
                stage_label(&stage)
            ),
        ));
    }
    let (disability, basis) = disability_of(
        &mut tx,
        &p.id_number,
        (p.disability_kind.clone(), p.disability_grade),
    )
    .await?;
    let category = household_category(&mut tx, &household_id).await?;
    // the platform's own children's allowances count whatever the form says (工伤护理费 is the social insurance's
    // and stays declared)
    let mut exclusions = n.exclusions;
    exclusions.orphan_allowance |= child_allowance(&mut tx, &p.id, &month_of(n.filed_on))
        .await?
        .is_some();
    let facts = Facts {
        disability: disability.as_ref().map(|(k, g)| (k.as_str(), *g)),
        household_category: category.as_deref(),
        needs_long_term_care: n.needs_long_term_care,
        exclusions,
    };
    // the bureau's switches in force in the filing's month
    let policy = crate::app::disability_changes::policy_for(&mut tx, &month_of(n.filed_on)).await?;
    let tier = rule::assess(programme, &facts, policy)
        .map_err(|why| AppError::invalid("programme", why))?;
    let frozen = FrozenFacts {
        disability_kind: disability.as_ref().map(|d| d.0.clone()),
        disability_grade: disability.as_ref().map(|d| d.1),
        disability_basis: basis,
        household_category: category,
        needs_long_term_care: n.needs_long_term_care,
        exclusions,
    };
    let town = app.areas().name(&p.town_code);
    let short = crate::util::town_short(&town).to_string();
    let year = n.filed_on.year();
    let prefix = format!("{short}残补-{year}-");
    let seq: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM subsidy_grants WHERE number LIKE $1",
            args![format!("{prefix}%")],
        )
        .await?;
    let row = GrantRow {
        id: new_id(),
        number: format!("{prefix}{:04}", seq + 1),
        programme: programme.code().into(),
        person_id: p.id.clone(),
        household_id,
        area_code: p.area_code.clone(),
        town_code: p.town_code.clone(),
        stage: "filed".into(),
        tier: tier.code().into(),
        facts_json: serde_json::to_string(&frozen).map_err(|e| AppError::Internal(e.into()))?,
        bank_account: account,
        filed_by: ctx.actor.display_name.clone(),
        filed_on: n.filed_on,
        checked_by: None,
        checked_on: None,
        check_note: None,
        decided_by: None,
        decided_on: None,
        decision_note: None,
        start_month: None,
        end_month: None,
        stop_reason: None,
    };
    let res = tx
        .execute(
            &format!(
                "INSERT INTO subsidy_grants ({COLS}, created_at) VALUES ({})",
                crate::storage::placeholders(1, 23)
            ),
            args![
                &row.id,
                &row.number,
                &row.programme,
                &row.person_id,
                &row.household_id,
                &row.area_code,
                &row.town_code,
                &row.stage,
                &row.tier,
                &row.facts_json,
                &row.bank_account,
                &row.filed_by,
                row.filed_on,
                Option::<String>::None,
                Option::<NaiveDate>::None,
                Option::<String>::None,
                Option::<String>::None,
                Option::<NaiveDate>::None,
                Option::<String>::None,
                Option::<String>::None,
                Option::<String>::None,
                Option::<String>::None,
                now()
            ],
        )
        .await;
    if let Err(e) = res {
        return Err(if e.is_unique_violation() {
            AppError::conflict("person_id", "此人已有同类补贴申请，或编号冲突，请重试")
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("disability.file", "subsidy_grant", &row.id)
            .area(&row.area_code)
            .after(serde_json::json!({"number": row.number, "programme": row.programme, "tier": row.tier, "facts": frozen})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, &row.id).await
}

async fn load_tx(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<GrantRow> {
    let lock = tx.for_update();
    tx.fetch_optional::<GrantRow>(
        &format!("SELECT {COLS} FROM subsidy_grants WHERE id = $1{lock}"),
        args![id],
    )
    .await?
    .filter(|g| ctx.actor.in_scope(&g.area_code))
    .ok_or_else(|| AppError::NotFound("补贴申请".into()))
}

/// The county's own steps (the 残联's answer, the decision, a stop) are the city section's.
pub(crate) fn require_county(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::HandleSubsidies)?;
    if ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden(
            "残联核定结果、审批和停发由市局社会事务科办理".into(),
        ));
    }
    ctx.actor.require_section(Section::SocialAffairs)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct GradeCheck {
    /// The 残联 confirms the certificate's kind and grade.
    pub confirmed: bool,
    pub on: NaiveDate,
    #[serde(default)]
    pub note: String,
}

/// Records the 残联's check of the grade; a grade it does not confirm ends the filing.
pub async fn check_grade(app: &App, ctx: &Ctx, id: &str, c: GradeCheck) -> AppResult<GrantView> {
    require_county(ctx)?;
    let mut tx = app.db.begin().await?;
    let g = load_tx(&mut tx, ctx, id).await?;
    if g.stage != "filed" {
        return Err(AppError::conflict(
            "stage",
            format!("当前状态为{}，不能登记残联核定结果", stage_label(&g.stage)),
        ));
    }
    check_date("on", c.on, g.filed_on, app.today())?;
    let note = c.note.trim().to_string();
    if !c.confirmed && note.chars().count() < 4 {
        return Err(AppError::invalid(
            "note",
            "残联未核定时须写明原因（至少4个字）",
        ));
    }
    if note.chars().count() > 500 {
        return Err(AppError::invalid("note", "说明不超过500字"));
    }
    let stage = if c.confirmed { "checked" } else { "refused" };
    tx.execute(
        "UPDATE subsidy_grants SET stage = $2, checked_by = $3, checked_on = $4, check_note = $5 WHERE id = $1",
        args![id, stage, &ctx.actor.display_name, c.on, &note],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("disability.check", "subsidy_grant", id)
            .area(&g.area_code)
            .after(serde_json::json!({"confirmed": c.confirmed, "on": c.on, "note": note})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct GrantDecision {
    pub approve: bool,
    pub on: NaiveDate,
    /// Required when refusing (at least 4 characters).
    #[serde(default)]
    pub note: String,
}

/// The county's decision, after the 残联's check and the village posting; payment starts the next month.
pub async fn decide(app: &App, ctx: &Ctx, id: &str, d: GrantDecision) -> AppResult<GrantView> {
    require_county(ctx)?;
    let mut tx = app.db.begin().await?;
    let g = load_tx(&mut tx, ctx, id).await?;
    if g.stage != "checked" {
        return Err(AppError::conflict(
            "stage",
            format!("当前状态为{}，须先登记残联核定结果", stage_label(&g.stage)),
        ));
    }
    let posted_until = g.filed_on + Duration::days(PUBLICITY_DAYS);
    check_date("on", d.on, g.checked_on.unwrap_or(g.filed_on), app.today())?;
    if d.on <= posted_until {
        return Err(AppError::invalid(
            "on",
            format!(
                "村(居)公示至{}，公示期满后方可审批",
                posted_until.format("%Y年%-m月%-d日")
            ),
        ));
    }
    let note = d.note.trim().to_string();
    if !d.approve && note.chars().count() < 4 {
        return Err(AppError::invalid("note", "不予批准须写明理由（至少4个字）"));
    }
    if note.chars().count() > 500 {
        return Err(AppError::invalid("note", "说明不超过500字"));
    }
    let (stage, start) = if d.approve {
        let start = rule::first_month(d.on);
        let tier =
            Tier::parse(&g.tier).ok_or_else(|| AppError::Internal(anyhow::anyhow!("tier")))?;
        if standard(&mut tx, tier, &start).await?.is_none() {
            return Err(AppError::invalid(
                "on",
                format!("{start}没有生效的{}，请先设定补贴标准", tier.label()),
            ));
        }
        ("approved", Some(start))
    } else {
        ("refused", None)
    };
    tx.execute(
        "UPDATE subsidy_grants SET stage = $2, decided_by = $3, decided_on = $4, decision_note = $5, start_month = $6 WHERE id = $1",
        args![id, stage, &ctx.actor.display_name, d.on, &note, start.clone()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("disability.decide", "subsidy_grant", id)
            .area(&g.area_code)
            .after(serde_json::json!({"approve": d.approve, "on": d.on, "start_month": start, "note": note})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Stop {
    /// The first month no longer paid (YYYY-MM).
    pub from_month: String,
    pub reason: String,
}

pub async fn stop(app: &App, ctx: &Ctx, id: &str, s: Stop) -> AppResult<GrantView> {
    require_county(ctx)?;
    let from = checked_month("from_month", &s.from_month)?;
    let reason = s.reason.trim().to_string();
    if !(4..=500).contains(&reason.chars().count()) {
        return Err(AppError::invalid("reason", "停发原因须为4–500字"));
    }
    let mut tx = app.db.begin().await?;
    let g = load_tx(&mut tx, ctx, id).await?;
    if g.stage != "approved" {
        return Err(AppError::conflict(
            "stage",
            format!(
                "当前状态为{}，只有享受中的补贴可以停发",
                stage_label(&g.stage)
            ),
        ));
    }
    if g.start_month.as_deref().is_some_and(|m| from.as_str() < m) {
        return Err(AppError::invalid(
            "from_month",
            "停发月份不能早于起始发放月份",
        ));
    }
    stop_tx(&mut tx, ctx, &g, &from, &reason).await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

pub(crate) async fn stop_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    g: &GrantRow,
    from: &str,
    reason: &str,
) -> AppResult<()> {
    stop_grant(tx, ctx, &g.id, &g.area_code, from, reason).await
}

/// Stops grant `id` (of `area`) from month `from`, with the reason, audited.
async fn stop_grant(
    tx: &mut Tx,
    ctx: &Ctx,
    id: &str,
    area: &str,
    from: &str,
    reason: &str,
) -> AppResult<()> {
    tx.execute(
        "UPDATE subsidy_grants SET stage = 'stopped', end_month = $2, stop_reason = $3 WHERE id = $1",
        args![id, from, reason],
    )
    .await?;
    audit::record(
        tx,
        ctx,
        Event::new("disability.stop", "subsidy_grant", id)
            .area(area)
            .after(serde_json::json!({"from_month": from, "reason": reason})),
    )
    .await?;
    Ok(())
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<GrantView> {
    ctx.actor.require(Permission::ReadDisability)?;
    let r: GrantRow = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM subsidy_grants WHERE id = $1"),
            args![id],
        )
        .await?
        .filter(|g: &GrantRow| ctx.actor.in_scope(&g.area_code))
        .ok_or_else(|| AppError::NotFound("补贴申请".into()))?;
    let p = crate::storage::persons::get(&app.db, &r.person_id).await?;
    let (name, idn) = p.map(|p| (p.name, p.id_number)).unwrap_or_default();
    let mut tx = app.db.begin().await?;
    let amount = match (r.stage.as_str(), Tier::parse(&r.tier)) {
        ("approved", Some(t)) => standard(&mut tx, t, &month_of(app.today())).await?,
        _ => None,
    };
    tx.commit().await?;
    Ok(view(app, &r, &name, &idn, amount))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct GrantQuery {
    /// filed, checked, approved, refused, stopped
    pub stage: Option<String>,
    /// living or care
    pub programme: Option<String>,
    /// 姓名、身份证号（或后4位）或编号
    pub q: Option<String>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GrantPage {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<GrantView>,
}

pub async fn list(app: &App, ctx: &Ctx, q: &GrantQuery) -> AppResult<GrantPage> {
    ctx.actor.require(Permission::ReadDisability)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("g.area_code", "g.town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let mut sql =
        format!("FROM subsidy_grants g JOIN persons p ON p.id = g.person_id WHERE {cond}");
    if let Some(s) = q.stage.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND g.stage = ${}", args.len()));
    }
    if let Some(s) = q.programme.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND g.programme = ${}", args.len()));
    }
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let s = s.to_uppercase();
        if s.chars().all(|c| c.is_ascii_digit() || c == 'X') && s.len() <= 4 {
            args.push(s.into());
            sql.push_str(&format!(" AND p.id_last4 = ${}", args.len()));
        } else if s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            args.push(s.into());
            sql.push_str(&format!(" AND p.id_number = ${}", args.len()));
        } else {
            args.push(format!("{s}%").into());
            sql.push_str(&format!(
                " AND (p.name LIKE ${n} OR g.number LIKE ${n})",
                n = args.len()
            ));
        }
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    args.push((PAGE).into());
    args.push(((page - 1) * PAGE).into());
    let n = args.len();
    let cols = COLS
        .split(", ")
        .map(|c| format!("g.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<GrantWithPerson> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {cols}, p.name, p.id_number {sql} ORDER BY g.filed_on DESC, g.number DESC LIMIT ${} OFFSET ${n}",
                n - 1
            ),
            args,
        )
        .await?;
    let month = month_of(app.today());
    let mut tx = app.db.begin().await?;
    let mut amounts = std::collections::HashMap::new();
    for t in Tier::ALL {
        amounts.insert(t.code(), standard(&mut tx, *t, &month).await?);
    }
    tx.commit().await?;
    Ok(GrantPage {
        total,
        page,
        pages,
        items: rows
            .iter()
            .map(|r| {
                let amount = (r.grant.stage == "approved")
                    .then(|| amounts.get(r.grant.tier.as_str()).copied().flatten())
                    .flatten();
                view(app, &r.grant, &r.name, &r.id_number, amount)
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct GrantWithPerson {
    #[sqlx(flatten)]
    grant: GrantRow,
    name: String,
    id_number: String,
}

/// 漏保: who the sources say qualifies but holds no grant.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Lead {
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub village: String,
    pub programme: String,
    pub programme_label: String,
    pub disability: String,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Leads {
    pub total: i64,
    /// The first 500, by village.
    pub items: Vec<Lead>,
    /// Where the disability was read from.
    pub basis: String,
}

/// Disabled members of dibao (and low-income) households without the living subsidy, and grade 1–2 persons without
/// the care subsidy, in the caller's area, from the latest 残联 load (or the residents' registry without one).
pub async fn leads(app: &App, ctx: &Ctx, area: Option<&str>) -> AppResult<Leads> {
    ctx.actor.require(Permission::ReadDisability)?;
    let filter = crate::app::registry::area_filter(app, ctx, area);
    let (cond, a) = filter.sql("p.area_code", "p.town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let load: Option<(String, NaiveDate)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT id, as_of FROM source_loads WHERE source = 'disability' ORDER BY as_of DESC, loaded_at DESC LIMIT 1",
            vec![],
        )
        .await?;
    // (kind, grade) per person: the 残联's row in the latest load, else the registry's own fields
    args.push(
        load.as_ref()
            .map(|l| l.0.clone())
            .unwrap_or_default()
            .into(),
    );
    let from = format!(
        "FROM persons p LEFT JOIN src_disability sd ON sd.id_number = p.id_number AND sd.load_id = ${}",
        args.len()
    );
    let basis = match &load {
        Some((_, as_of)) => format!(
            "残联残疾人登记（{}），未见者按居民信息库登记",
            as_of.format("%Y年%-m月%-d日")
        ),
        None => "居民信息库登记".to_string(),
    };
    let (kind, grade) = (
        "COALESCE(sd.kind, p.disability_kind, '')",
        "CAST(COALESCE(sd.grade, p.disability_grade) AS BIGINT)",
    );
    let policy = crate::app::disability_changes::policy_now(app, &month_of(app.today())).await?;
    let living_cats = if policy.living_includes_low_income {
        LIVING_CATEGORIES
    } else {
        "'dibao', 'dibao_single'"
    };
    // grade 3–4 intellectual or mental disability, while the bureau's switch is on
    let care_ext = if policy.care_includes_grade34_intellectual_mental {
        format!(" OR ({grade} BETWEEN 3 AND 4 AND {kind} IN ('intellectual', 'mental'))")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT p.id, p.name, p.id_number, p.area_code, {kind}, {grade}, 'living' AS programme {from} \
         WHERE {cond} AND p.status = 'normal' AND {grade} BETWEEN 1 AND 4 \
         AND EXISTS (SELECT 1 FROM cases c WHERE c.household_id = p.household_id AND c.status IN ('active', 'phasing_out') AND c.category IN ({living_cats})) \
         AND NOT EXISTS (SELECT 1 FROM subsidy_grants g WHERE g.person_id = p.id AND g.programme = 'living' AND g.stage IN ('filed', 'checked', 'approved')) \
         UNION ALL \
         SELECT p.id, p.name, p.id_number, p.area_code, {kind}, {grade}, 'care' AS programme {from} \
         WHERE {cond} AND p.status = 'normal' AND ({grade} BETWEEN 1 AND 2{care_ext}) \
         AND NOT EXISTS (SELECT 1 FROM subsidy_grants g WHERE g.person_id = p.id AND g.programme = 'care' AND g.stage IN ('filed', 'checked', 'approved'))"
    );
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) FROM ({sql}) x"), args.clone())
        .await?;
    let rows: Vec<(String, String, String, String, String, i64, String)> = app
        .db
        .conn()
        .fetch_all(&format!("{sql} ORDER BY 4, 3 LIMIT 500"), args)
        .await?;
    let areas = app.areas();
    Ok(Leads {
        total,
        basis,
        items: rows
            .into_iter()
            .map(|(pid, name, idn, area, kind, grade, prog)| {
                let programme = Programme::parse(&prog).unwrap_or(Programme::Living);
                Lead {
                    person_id: pid,
                    name: idnumber::mask_name(&name),
                    id_number: idnumber::mask(&idn),
                    village: areas.full_name(&area),
                    programme: programme.code().into(),
                    programme_label: programme.label().into(),
                    disability: crate::app::registry::disability_label(
                        Some(&kind),
                        Some(grade as i32),
                    )
                    .unwrap_or_default(),
                    reason: match programme {
                        Programme::Living => {
                            "低保（低收入）家庭的持证残疾人，未享受生活补贴".into()
                        }
                        Programme::Care if grade <= 2 => {
                            "一、二级重度残疾人，未享受护理补贴（须评估长期照护需要）".into()
                        }
                        Programme::Care => "三、四级智力、精神残疾人，未享受护理补贴".into(),
                    },
                }
            })
            .collect(),
    })
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

/// Every standard ever set, newest first: the history of the amounts.
pub async fn standards(app: &App, ctx: &Ctx) -> AppResult<Vec<StandardView>> {
    ctx.actor.require(Permission::ReadDisability)?;
    Ok(crate::app::schedules::rows(app, &SCHEDULE)
        .await?
        .into_iter()
        .map(|r| StandardView {
            tier_label: Tier::parse(&r.key).map(Tier::label).unwrap_or("").into(),
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
    /// standard (living), severe (care, grade 1–2), moderate (care, grade 3–4 intellectual/mental)
    pub tier: String,
    /// YYYY-MM, the first month paid at this amount.
    pub effective_from: String,
    /// Yuan a month, e.g. "120.00".
    pub monthly_amount: String,
    pub reason: String,
}

/// Sets a standard from a month on. The months already in an approved roll keep what they paid.
pub async fn set_standard(app: &App, ctx: &Ctx, n: NewStandard) -> AppResult<Vec<StandardView>> {
    require_county(ctx)?;
    let tier = Tier::parse(n.tier.trim()).ok_or_else(|| {
        AppError::invalid(
            "tier",
            "标准档次应为生活补贴、一二级护理补贴或三四级智力精神护理补贴",
        )
    })?;
    crate::app::schedules::set(
        app,
        ctx,
        &SCHEDULE,
        crate::app::schedules::Entry {
            key: tier.code(),
            label: tier.label(),
            effective_from: &n.effective_from,
            monthly_amount: &n.monthly_amount,
            reason: &n.reason,
        },
    )
    .await?;
    standards(app, ctx).await
}

/// A line the monthly roll pays for a grant.
pub use crate::app::assistance::payments::ProgrammeLine as RollLine;

/// A grant as the roll reads it (through SQLite's C API: 44,000 rows of a city): id, programme, tier (the latest
/// change by a new grade in force in the month, else the grant's), person, account, area, town, the person's registry
/// status, the household's live dibao (low income) category, a death and a move out of the city in the departments'
/// loads, and a children's allowance paid in the month (which excludes the living subsidy).
type PayableGrant = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<chrono::NaiveDate>,
    Option<String>,
);

/// The children's allowance (孤儿 or 事实无人抚养儿童基本生活费) paid to `person` in `month`, by its kind: it excludes
/// the living subsidy (never both).
async fn child_allowance(tx: &mut Tx, person: &str, month: &str) -> AppResult<Option<String>> {
    let found: Option<(String,)> = tx
        .fetch_optional(
            "SELECT MIN(kind) FROM child_allowances WHERE person_id = $1 AND start_month <= $2 \
             AND (status = 'active' OR (status = 'stopped' AND end_month > $2)) HAVING COUNT(*) > 0",
            args![person, month],
        )
        .await?;
    Ok(found.map(|f| f.0))
}

/// The grants paid for `month`, inside the roll's transaction. A grant whose person has died or moved away, or
/// whose household's dibao (low income) has ended, is stopped from this month with the reason recorded and audited.
pub async fn roll_lines(tx: &mut Tx, ctx: &Ctx, month: &str) -> AppResult<Vec<RollLine>> {
    let grants: Vec<PayableGrant> = tx
        .select(
            &format!(
                "SELECT g.id, g.programme, COALESCE((SELECT sc.tier FROM subsidy_changes sc WHERE sc.grant_id = g.id \
                  AND sc.tier IS NOT NULL AND sc.effective_month <= $1 ORDER BY sc.effective_month DESC, sc.changed_at DESC \
                  LIMIT 1), g.tier), g.person_id, g.bank_account, g.area_code, g.town_code, p.status, \
                 (SELECT MIN(c.category) FROM cases c WHERE c.household_id = g.household_id \
                  AND c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $1) \
                  AND c.category IN ({LIVING_CATEGORIES})), \
                 (SELECT MIN(d.date_of_death) FROM src_deaths d WHERE d.id_number = p.id_number), \
                 (SELECT MIN(m.moved_out_on) FROM src_hukou_moves m WHERE m.id_number = p.id_number \
                  AND m.destination_code NOT LIKE $2), \
                 (SELECT MIN(ca.kind) FROM child_allowances ca WHERE ca.person_id = g.person_id AND ca.start_month <= $1 \
                  AND (ca.status = 'active' OR (ca.status = 'stopped' AND ca.end_month > $1))) \
                 FROM subsidy_grants g JOIN persons p ON p.id = g.person_id \
                 WHERE (g.stage = 'approved' OR (g.stage = 'stopped' AND g.end_month > $1)) AND g.start_month <= $1 \
                 ORDER BY g.town_code, g.area_code, g.number"
            ),
            // the city is the first six digits of every area code (GB/T 2260)
            args![month, format!("{}%", ctx.actor.area_code.get(..6).unwrap_or(""))],
        )
        .await?;
    let mut amounts = std::collections::HashMap::new();
    for t in Tier::ALL {
        amounts.insert(t.code(), standard(tx, *t, month).await?);
    }
    // the bureau's switches in force this month: a grant they no longer carry stops
    let policy = crate::app::disability_changes::policy_for(tx, month).await?;
    let mut out = Vec::with_capacity(grants.len());
    for (
        id,
        programme,
        tier,
        person_id,
        bank_account,
        area_code,
        town_code,
        person_status,
        live_category,
        died_on,
        moved_on,
        child_allowance,
    ) in grants
    {
        // a death or a move in an earlier month stops this month's payment (YYYY-MM compares as text); the month
        // it happened in is still paid
        let by_month = |d: Option<chrono::NaiveDate>| {
            d.filter(|d| d.format("%Y-%m").to_string().as_str() < month)
        };
        let stop_reason = if person_status != "normal" {
            Some(format!(
                "居民信息库显示{}，自{month}起停发",
                crate::app::registry::status_label(&person_status)
            ))
        } else if let Some(d) = by_month(died_on) {
            Some(format!("部门数据显示已于{d}死亡，自{month}起停发"))
        } else if let Some(d) = by_month(moved_on) {
            Some(format!("部门数据显示户籍已于{d}迁出本市，自{month}起停发"))
        } else if programme == "living" && child_allowance.is_some() {
            Some(format!(
                "已享受孤儿（事实无人抚养儿童）基本生活费，不重复享受生活补贴，自{month}起停发"
            ))
        } else if programme == "living" && live_category.is_none() {
            Some(format!("家庭低保（低收入）救助已停止，自{month}起停发"))
        } else if programme == "living"
            && live_category.as_deref() == Some("low_income")
            && !policy.living_includes_low_income
        {
            Some(format!(
                "局设置调整：生活补贴不再覆盖低收入家庭的残疾人，自{month}起停发"
            ))
        } else if programme == "care"
            && tier == Tier::Moderate.code()
            && !policy.care_includes_grade34_intellectual_mental
        {
            Some(format!(
                "局设置调整：护理补贴不再覆盖三、四级智力、精神残疾人，自{month}起停发"
            ))
        } else {
            None
        };
        if let Some(reason) = stop_reason {
            stop_grant(tx, ctx, &id, &area_code, month, &reason).await?;
            continue;
        }
        let amount = amounts
            .get(tier.as_str())
            .copied()
            .flatten()
            .ok_or_else(|| {
                AppError::invalid(
                    "month",
                    format!(
                        "{month}没有生效的{}，请先设定补贴标准",
                        Tier::parse(&tier).map(Tier::label).unwrap_or("")
                    ),
                )
            })?;
        let programme = Programme::parse(&programme).unwrap_or(Programme::Living);
        out.push(RollLine {
            entitlement_id: id,
            category: line_category(programme),
            person_id,
            bank_account,
            area_code,
            town_code,
            amount,
        });
    }
    Ok(out)
}
