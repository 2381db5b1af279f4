//! Applications from filing to decision (DOMAIN.md §4.6): every step by the office that owns it, deadlines in
//! working days, 先核再救, the city's spot-check sample, and approval that freezes its inputs into a case.

use super::{calendar, standards};
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::listing::{Choice, ListParams, ListSpec, Page, Query, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use minzheng_domain::assistance::workflow::{self, Action, LIMITS, Office, Progress, Stage};
use minzheng_domain::assistance::{Category, RuleSet, evaluate_with, validate};
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;
use serde_json::{Value, json};

pub const CATEGORIES: [(&str, &str); 5] = [
    ("dibao", "最低生活保障"),
    ("dibao_single", "单人保"),
    ("tekun", "特困人员救助供养"),
    ("low_income", "低收入家庭"),
    ("expenditure", "支出型贫困家庭"),
];

/// The label of an assistance category, or of another programme's payment-line category.
pub fn category_label(code: &str) -> &'static str {
    match code {
        "disability_living" => return "残疾人生活补贴",
        "disability_care" => return "残疾人护理补贴",
        "old_age_80_89" => return "高龄津贴（80–89周岁）",
        "old_age_90_99" => return "高龄津贴（90–99周岁）",
        "old_age_100_plus" => return "高龄津贴（100周岁及以上）",
        "orphan_institution" => return "集中供养孤儿基本生活费",
        "orphan_family" => return "散居孤儿基本生活费",
        "unsupported_child" => return "事实无人抚养儿童基本生活费",
        _ => {}
    }
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("临时救助")
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ApplicationRow {
    pub id: String,
    pub category: String,
    pub household_id: String,
    pub applicant_id: String,
    pub area_code: String,
    pub town_code: String,
    pub hukou_area_code: String,
    pub stage: String,
    pub due_on: Option<NaiveDate>,
    pub stage_since: NaiveDate,
    pub applied_on: NaiveDate,
    pub authorisation_on: NaiveDate,
    pub household_json: String,
    pub bank_account: String,
    pub staff_relative: bool,
    pub spot_check_required: bool,
    pub visited: bool,
    pub checked: bool,
    pub spot_checked: bool,
    pub publicity_started: Option<NaiveDate>,
    pub refusal_reason: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub snapshot_json: Option<String>,
    pub monthly_amount: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The human 编号 (澄江-2020-0001): town short name, filing year, sequence per town and year.
    pub number: String,
    pub serial_year: i32,
    pub serial_no: i64,
}

const COLS: &str = "id, category, household_id, applicant_id, area_code, town_code, hukou_area_code, stage, due_on, stage_since, \
    applied_on, authorisation_on, household_json, bank_account, staff_relative, spot_check_required, visited, checked, spot_checked, \
    publicity_started, refusal_reason, decided_on, snapshot_json, monthly_amount, created_by, created_at, updated_at, \
    number, serial_year, serial_no";

impl ApplicationRow {
    pub fn stage(&self) -> Stage {
        Stage::from_code(&self.stage).unwrap_or(Stage::Submitted)
    }
    fn args(&self) -> Vec<Arg> {
        args![
            &self.id,
            &self.category,
            &self.household_id,
            &self.applicant_id,
            &self.area_code,
            &self.town_code,
            &self.hukou_area_code,
            &self.stage,
            self.due_on,
            self.stage_since,
            self.applied_on,
            self.authorisation_on,
            &self.household_json,
            &self.bank_account,
            self.staff_relative,
            self.spot_check_required,
            self.visited,
            self.checked,
            self.spot_checked,
            self.publicity_started,
            self.refusal_reason.clone(),
            self.decided_on,
            self.snapshot_json.clone(),
            self.monthly_amount,
            &self.created_by,
            self.created_at,
            self.updated_at,
            &self.number,
            self.serial_year,
            self.serial_no
        ]
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub id: String,
    pub application_id: String,
    pub action: String,
    pub on_date: NaiveDate,
    pub actor: String,
    pub note: String,
    pub data_json: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewApplication {
    /// dibao, dibao_single, tekun, low_income or expenditure
    pub category: String,
    pub household_id: String,
    pub applicant_id: String,
    /// The date the applicant signed the authorisation for data checks.
    pub authorisation_on: Option<NaiveDate>,
    pub bank_account: String,
    #[serde(default)]
    pub staff_relative: bool,
    /// The household as the assessment API takes it (members, incomes, assets, rigid expenditure).
    pub household: Value,
    pub applied_on: Option<NaiveDate>,
    /// Obliged supporters living elsewhere. Under the 2021 rules each member's `has_capable_supporter` is computed
    /// from the other members and these (what the form ticked is not used); under the 2012 rules it is as declared.
    #[serde(default)]
    pub supporters_elsewhere: Vec<super::supporters::SupporterInput>,
}

/// The one role × stage rule: the actions `role` may take at `stage` under `rules` (the workflow still checks the
/// progress when one is submitted). Pages offer these, "my tasks" and `act` follow the same offices.
pub fn actions_for(role: Role, stage: Stage, rules: RuleSet) -> Vec<Action> {
    workflow::actions_in(stage, rules)
        .into_iter()
        .filter(|&a| can_act(role, workflow::office_for(a, stage)))
        .collect()
}

fn can_act(role: Role, office: Office) -> bool {
    match office {
        Office::VillageOrTown => matches!(role, Role::VillageWorker | Role::TownOfficer),
        Office::Town => role == Role::TownOfficer,
        Office::City => role == Role::CityOfficer,
    }
}

fn office_label(o: Office) -> &'static str {
    match o {
        Office::VillageOrTown => "村(居)或镇(街道)",
        Office::Town => "镇(街道)民政办",
        Office::City => "市局",
    }
}

/// Loads an application for a change: in scope, and locked until the transaction ends (two concurrent decisions
/// on PostgreSQL would otherwise both read the stage before either writes it).
async fn load_tx(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<ApplicationRow> {
    let lock = tx.for_update();
    let row: Option<ApplicationRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM applications WHERE id = $1{lock}"),
            args![id],
        )
        .await?;
    match row {
        Some(a) if ctx.actor.in_scope(&a.area_code) => Ok(a),
        _ => Err(AppError::NotFound("申请".into())),
    }
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<(ApplicationRow, Vec<EventRow>)> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let row: Option<ApplicationRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM applications WHERE id = $1"),
            args![id],
        )
        .await?;
    let a = match row {
        Some(a) if ctx.actor.in_scope(&a.area_code) => a,
        _ => return Err(AppError::NotFound("申请".into())),
    };
    let events = app
        .db
        .conn()
        .fetch_all("SELECT id, application_id, action, on_date, actor, note, data_json, at FROM application_events WHERE application_id = $1 ORDER BY at", args![id])
        .await?;
    Ok((a, events))
}

/// 一次性告知 (DOMAIN §4.6 step 2): before accepting, the town lists every missing material in one notice — once.
/// Certificates a department's data can answer are never asked for (只需跑一次、无需开证明); the notice is printable.
pub async fn notify_missing(
    app: &App,
    ctx: &Ctx,
    id: &str,
    items: &[String],
    on: Option<NaiveDate>,
) -> AppResult<EventRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    if !can_act(ctx.actor.role, Office::Town) {
        return Err(AppError::Forbidden(
            "补正材料告知由镇(街道)民政办出具".into(),
        ));
    }
    let items: Vec<String> = items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(AppError::invalid("items", "请逐项列出需补正的材料"));
    }
    if items.len() > 20 || items.iter().any(|s| s.chars().count() > 100) {
        return Err(AppError::invalid(
            "items",
            "补正材料至多20项，每项不超过100字",
        ));
    }
    let on = on.unwrap_or(app.today());
    if on > app.today() {
        return Err(AppError::invalid("on", "日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let a: Option<ApplicationRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM applications WHERE id = $1"),
            args![id],
        )
        .await?;
    let a = match a {
        Some(a) if ctx.actor.in_scope(&a.area_code) => a,
        _ => return Err(AppError::NotFound("申请".into())),
    };
    if a.stage != Stage::Submitted.code() {
        return Err(AppError::conflict(
            "stage",
            "只有待受理的申请可以告知补正材料",
        ));
    }
    let earlier: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND action = 'missing_notice'",
            args![id],
        )
        .await?;
    if earlier > 0 {
        return Err(AppError::conflict(
            "items",
            "补正材料应一次性告知，本申请已出具过告知书",
        ));
    }
    let note = format!("一次性告知补正材料：{}", items.join("；"));
    add_event(
        &mut tx,
        id,
        "missing_notice",
        on,
        ctx,
        &note,
        Some(json!({"items": items})),
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.missing_notice", "application", id)
            .area(&a.area_code)
            .after(json!({"items": items, "on": on})),
    )
    .await?;
    tx.commit().await?;
    let (_, events) = get(app, ctx, id).await?;
    events
        .into_iter()
        .rfind(|e| e.action == "missing_notice")
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("notice not written")))
}

/// 延长办理期限 (DOMAIN §4.11): under the 2021 rules the city may extend acceptance-to-decision from 30 to 45 working
/// days, once, with a recorded reason; the current stage's due date is counted again with the longer limit.
pub async fn extend(
    app: &App,
    ctx: &Ctx,
    id: &str,
    reason: &str,
    on: Option<NaiveDate>,
) -> AppResult<ApplicationRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    if !can_act(ctx.actor.role, Office::City) {
        return Err(AppError::Forbidden(
            "延长办理期限由市局社会救助科决定".into(),
        ));
    }
    let reason = crate::app::validate::text(
        "reason",
        "延长理由",
        reason,
        1,
        crate::app::validate::TEXT_MAX,
    )?;
    let today = app.today();
    let on = crate::app::validate::date("on", "延长日期", on.unwrap_or(today))?;
    if on > today {
        return Err(AppError::invalid("on", "延长日期不能晚于今天"));
    }
    let cal = calendar::load(app).await?;
    let mut tx = app.db.begin().await?;
    let mut a = load_tx(&mut tx, ctx, id).await?;
    let stage = a.stage();
    if matches!(stage, Stage::Approved | Stage::Refused) {
        return Err(AppError::conflict("stage", "申请已办结，无需延长办理期限"));
    }
    let (rules, accepted_on) = rules_of(&mut tx, &a).await?;
    let limits = limits_for(&a.category, rules);
    if accepted_on.is_none() || limits.decision_total_extended.is_none() {
        return Err(AppError::conflict(
            "stage",
            format!(
                "按{}，{}没有可延长的总办理期限",
                rules.label(),
                if accepted_on.is_none() {
                    "尚未受理的申请"
                } else {
                    "本申请"
                }
            ),
        ));
    }
    let earlier: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND action = 'extend'",
            args![id],
        )
        .await?;
    if earlier > 0 {
        return Err(AppError::conflict(
            "reason",
            "本申请已延长过办理期限（至多45个工作日）",
        ));
    }
    if on < a.stage_since {
        return Err(AppError::invalid(
            "on",
            format!("延长日期不能早于上一环节日期 {}", a.stage_since),
        ));
    }
    // the step that entered the current stage decides its own limit (a re-opened investigation counts from the
    // objection)
    let via: Option<(String,)> = tx
        .fetch_optional(
            "SELECT action FROM application_events WHERE application_id = $1 AND action NOT IN ('extend', 'missing_notice') \
             ORDER BY at DESC LIMIT 1",
            args![id],
        )
        .await?;
    let via = via
        .and_then(|v| Action::from_code(&v.0))
        .unwrap_or(Action::Accept);
    let mut t = timeline(&mut tx, &a, accepted_on, via, a.stage_since).await?;
    t.extended = true;
    let before = json!({"stage": a.stage, "due_on": a.due_on});
    a.due_on = workflow::due_date_with(&cal, stage, a.stage_since, via, limits, &t);
    a.updated_at = now();
    tx.execute(
        "UPDATE applications SET due_on = $2, updated_at = $3 WHERE id = $1",
        args![&a.id, a.due_on, a.updated_at],
    )
    .await?;
    let total = accepted_on
        .map(|acc| cal.add_working_days(acc, limits.decision_total_extended.unwrap_or(45)));
    add_event(
        &mut tx,
        id,
        "extend",
        on,
        ctx,
        &format!("延长办理期限至受理后45个工作日：{reason}"),
        Some(json!({"reason": reason, "decision_by": total})),
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.extend", "application", id)
            .area(&a.area_code)
            .before(before)
            .after(json!({"due_on": a.due_on, "decision_by": total, "reason": reason, "on": on})),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// The time limits of a category under `rules` (DOMAIN §4.11).
fn limits_for(category: &str, rules: RuleSet) -> &'static workflow::Limits {
    Category::from_code(category)
        .map(|c| workflow::limits_for(rules, c))
        .unwrap_or(&LIMITS)
}

/// An application is judged by the rule set in force on its acceptance date (before acceptance: the day it was
/// filed). A closed decision keeps the set it named. Also returns the acceptance date, if accepted.
async fn rules_of(tx: &mut Tx, a: &ApplicationRow) -> AppResult<(RuleSet, Option<NaiveDate>)> {
    let accepted: Option<(NaiveDate,)> = tx
        .fetch_optional(
            "SELECT on_date FROM application_events WHERE application_id = $1 AND action = 'accept' ORDER BY at LIMIT 1",
            args![&a.id],
        )
        .await?;
    let accepted = accepted.map(|d| d.0);
    Ok((
        RuleSet::in_force(accepted.unwrap_or(a.applied_on)),
        accepted,
    ))
}

/// What the overall limits of the 2021 rules count from (DOMAIN §4.11): the acceptance and the last objection
/// that re-opened the investigation (`on` when `action` is that objection), and whether the city extended the
/// decision limit (`extend`).
async fn timeline(
    tx: &mut Tx,
    a: &ApplicationRow,
    accepted_on: Option<NaiveDate>,
    action: Action,
    on: NaiveDate,
) -> AppResult<workflow::Timeline> {
    let reopened_on = if action == Action::Object {
        Some(on)
    } else {
        let last: Option<(NaiveDate,)> = tx
            .fetch_optional(
                "SELECT on_date FROM application_events WHERE application_id = $1 AND action = 'object' \
                 ORDER BY on_date DESC, at DESC LIMIT 1",
                args![&a.id],
            )
            .await?;
        last.map(|d| d.0)
    };
    let extended: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM application_events WHERE application_id = $1 AND action = 'extend'",
            args![&a.id],
        )
        .await?;
    Ok(workflow::Timeline {
        accepted_on,
        reopened_on,
        extended: extended > 0,
    })
}

pub async fn create(app: &App, ctx: &Ctx, n: NewApplication) -> AppResult<ApplicationRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    if !can_act(ctx.actor.role, Office::VillageOrTown) {
        return Err(AppError::Forbidden(
            "救助申请由村(居)或镇(街道)代为提交".into(),
        ));
    }
    if !CATEGORIES.iter().any(|(c, _)| *c == n.category) {
        return Err(AppError::invalid(
            "category",
            "救助类别应为 dibao、dibao_single、tekun、low_income 或 expenditure",
        ));
    }
    // a household member registered as a close relative of staff (近亲属备案) is always spot-checked
    let registered_relative: i64 = app
        .db
        .conn()
        .scalar(
            "SELECT COUNT(*) FROM staff_relatives r JOIN persons p ON p.id = r.person_id WHERE p.household_id = $1",
            args![&n.household_id],
        )
        .await?;
    let registered_relative = registered_relative > 0;
    let today = app.today();
    let applied_on = n.applied_on.unwrap_or(today);
    if applied_on > today {
        return Err(AppError::invalid("applied_on", "申请日期不能晚于今天"));
    }
    let Some(auth_on) = n.authorisation_on else {
        return Err(AppError::invalid(
            "authorisation_on",
            "须有申请人签字的核对授权书（填写签字日期）",
        ));
    };
    if auth_on > today {
        return Err(AppError::invalid(
            "authorisation_on",
            "授权书签字日期不能晚于今天",
        ));
    }
    let account = n.bank_account.trim().replace(' ', "");
    if account.len() < 10 || account.len() > 30 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("bank_account", "银行账号应为10–30位数字"));
    }
    let hh = crate::storage::persons::household(&app.db, &n.household_id).await?;
    let hh = match hh {
        Some(h) if ctx.actor.in_scope(&h.area_code) => h,
        _ => {
            return Err(AppError::invalid(
                "household_id",
                "家庭不存在或不在您的管辖范围内",
            ));
        }
    };
    let members = crate::storage::persons::members(&app.db, &hh.id).await?;
    let Some(applicant) = members.iter().find(|m| m.id == n.applicant_id) else {
        return Err(AppError::invalid("applicant_id", "申请人须是该家庭的成员"));
    };
    // The household as declared must be the registry's household: the same persons.
    let mut body = n.household.clone();
    if !body.is_object() {
        return Err(AppError::invalid("household", "须填写家庭成员、收入和财产"));
    }
    body["area_code"] = json!(hh.area_code);
    let areas = app.areas();
    let valid = validate(
        &json!({"as_of": applied_on, "household": body}),
        today,
        |c| areas.get(c).is_some(),
    )
    .map_err(|e| AppError::invalid(&e.field, e.message))?;
    for (i, m) in valid.household.members.iter().enumerate() {
        if !members.iter().any(|r| r.id_number == m.id_number.as_str()) {
            return Err(AppError::invalid(
                &format!("household.members[{i}].id_number"),
                "不是该家庭在居民信息库中的成员",
            ));
        }
        // kept as the registry keeps it (a lower-case x as X), so that a member is found by their number later
        body["members"][i]["id_number"] = json!(m.id_number.as_str());
    }
    // DOMAIN §4.11: from 2021-07-01 the supporter rule is computed at intake, with every verdict kept
    let supporters = if RuleSet::in_force(applied_on) == RuleSet::Y2021 {
        let s = standards::in_force(app, applied_on)
            .await?
            .ok_or_else(|| AppError::invalid("applied_on", "申请日期没有生效的救助标准"))?;
        Some(
            super::supporters::judge_2021(
                &app.db,
                &valid.household,
                &members,
                &mut body,
                applied_on,
                today,
                &s,
                &n.supporters_elsewhere,
            )
            .await?,
        )
    } else {
        None
    };
    refuse_duplicate(app, &hh.id, &n.category).await?;
    let id_numbers: Vec<String> = valid
        .household
        .members
        .iter()
        .map(|m| m.id_number.as_str().to_string())
        .collect();
    let t = now();
    let cal = calendar::load(app).await?;
    let id = new_id();
    let mut row = ApplicationRow {
        id: id.clone(),
        category: n.category.clone(),
        household_id: hh.id.clone(),
        applicant_id: applicant.id.clone(),
        area_code: hh.area_code.clone(),
        town_code: hh.town_code.clone(),
        hukou_area_code: applicant.hukou_area_code.clone(),
        stage: Stage::Submitted.code().into(),
        // not accepted yet: only the stage's own limit applies (the overall ones count from acceptance)
        due_on: workflow::due_date_with(
            &cal,
            Stage::Submitted,
            applied_on,
            Action::Accept,
            limits_for(&n.category, RuleSet::in_force(applied_on)),
            &workflow::Timeline::default(),
        ),
        stage_since: applied_on,
        applied_on,
        authorisation_on: auth_on,
        household_json: body.to_string(),
        bank_account: account,
        staff_relative: n.staff_relative || registered_relative,
        spot_check_required: false,
        visited: false,
        checked: false,
        spot_checked: false,
        publicity_started: None,
        refusal_reason: None,
        decided_on: None,
        snapshot_json: None,
        monthly_amount: None,
        created_by: ctx.actor.username.clone(),
        created_at: t,
        updated_at: t,
        number: String::new(),
        serial_year: applied_on.year(),
        serial_no: 0,
    };
    let town_name = app.areas().name(&hh.town_code);
    // the partial unique index settles two intakes of the same household at once; the serial's unique index two
    // intakes of one town taking the same number (then the next number is taken)
    let mut attempt = 0;
    let mut tx = loop {
        attempt += 1;
        let mut tx = app.db.begin().await?;
        // two intakes naming the same person from different households: the second waits on the person rows
        // and then sees the first's application (SQLite's writers are serialised already)
        refuse_covered_elsewhere(&mut tx, &hh.id, &n.category, &id_numbers).await?;
        let last: i64 = tx
            .scalar(
                "SELECT CAST(COALESCE(MAX(serial_no), 0) AS BIGINT) FROM applications WHERE town_code = $1 AND serial_year = $2",
                args![&row.town_code, row.serial_year],
            )
            .await?;
        row.serial_no = last + 1;
        row.number = crate::util::application_number(&town_name, row.serial_year, row.serial_no);
        match tx
            .execute(
                &format!(
                    "INSERT INTO applications ({COLS}) VALUES ({})",
                    crate::storage::placeholders(1, 30)
                ),
                row.args(),
            )
            .await
        {
            Ok(_) => break tx,
            Err(e) => {
                drop(tx);
                if e.is_unique_violation() {
                    refuse_duplicate(app, &hh.id, &n.category).await?;
                    if attempt < 5 {
                        continue;
                    }
                }
                return Err(e.into());
            }
        }
    };
    add_event(
        &mut tx,
        &id,
        "apply",
        applied_on,
        ctx,
        &format!(
            "提交{}申请，授权书签字日期 {auth_on}",
            category_label(&n.category)
        ),
        None,
    )
    .await?;
    if let Some(judged) = supporters {
        add_event(
            &mut tx,
            &id,
            "supporters",
            applied_on,
            ctx,
            "按2021年规则认定法定义务人的履行义务能力",
            Some(judged),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("application.create", "application", &id)
            .area(&row.area_code)
            .after(json!({"category": row.category, "household_id": row.household_id, "number": row.number})),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// DOMAIN §4.12: a household with a live case or an open application of the category cannot apply again; the
/// refusal names the one it already has.
async fn refuse_duplicate(app: &App, household_id: &str, category: &str) -> AppResult<()> {
    let live: Option<(String, String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT c.status, c.start_month, COALESCE(p.name, '') FROM cases c \
             LEFT JOIN applications a ON a.id = c.application_id LEFT JOIN persons p ON p.id = a.applicant_id \
             WHERE c.household_id = $1 AND c.category = $2 AND c.status IN ('active', 'phasing_out')",
            args![household_id, category],
        )
        .await?;
    if let Some((status, start, name)) = live {
        let how = if status == "phasing_out" {
            "渐退期内"
        } else {
            "在保"
        };
        return Err(AppError::conflict(
            "household_id",
            format!(
                "该家庭已有{how}的{}（{}，自 {start} 起），不能重复申请",
                category_label(category),
                idnumber::mask_name(&name)
            ),
        ));
    }
    let open: Option<(NaiveDate, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT applied_on, stage FROM applications WHERE household_id = $1 AND category = $2 \
             AND stage NOT IN ('approved', 'refused')",
            args![household_id, category],
        )
        .await?;
    if let Some((applied_on, stage)) = open {
        let st = Stage::from_code(&stage).map(Stage::label).unwrap_or("");
        return Err(AppError::conflict(
            "household_id",
            format!(
                "该家庭已有{applied_on}提交的{}申请正在办理（{st}），不能重复申请",
                category_label(category)
            ),
        ));
    }
    Ok(())
}

/// DOMAIN §4.12 for persons: a member covered by a live case of the category in another household (moved there
/// in the registry while the old case still pays them), or declared on an open application of the category of
/// another household, cannot be filed again; the refusal names each such member and the case or application
/// 编号. One statement for all members.
async fn refuse_covered_elsewhere(
    tx: &mut Tx,
    household_id: &str,
    category: &str,
    id_numbers: &[String],
) -> AppResult<()> {
    if id_numbers.is_empty() {
        return Ok(());
    }
    let lock = tx.for_update();
    if !lock.is_empty() {
        let _: Vec<(String,)> = tx
            .fetch_all(
                &format!(
                    "SELECT id FROM persons WHERE id_number IN ({}) ORDER BY id{lock}",
                    crate::storage::placeholders(1, id_numbers.len())
                ),
                id_numbers.iter().map(|i| Arg::from(i.as_str())).collect(),
            )
            .await?;
    }
    let list = crate::storage::placeholders(3, id_numbers.len());
    let mut params = args![category, household_id];
    params.extend(id_numbers.iter().map(|i| Arg::from(i.as_str())));
    // a case covers its case_members while its household in force still lists them (a death or move recorded on
    // the case takes them out); a case imported from a ledger lists no household ('{}'): its members are covered.
    // Open applications are found through the stage index (an IN list, not NOT IN) and then by their declared
    // members; identity numbers are stored with an upper-case X.
    let open: Vec<String> = Stage::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", s.code()))
        .collect();
    let open = open.join(", ");
    let found: Vec<(String, String, String, String, String)> = tx
        .fetch_all(
            &format!(
                "SELECT 'case', p.id_number, p.name, COALESCE(a.number, c.ledger_key, ''), c.status FROM persons p \
                 JOIN case_members m ON m.person_id = p.id JOIN cases c ON c.id = m.case_id \
                 JOIN applications a ON a.id = c.application_id \
                 WHERE p.id_number IN ({list}) AND c.category = $1 AND c.status IN ('active', 'phasing_out') \
                 AND c.household_id <> $2 AND (COALESCE(c.household_json, a.household_json) = '{{}}' \
                 OR COALESCE(c.household_json, a.household_json) LIKE '%' || p.id_number || '%') \
                 UNION ALL \
                 SELECT 'application', p.id_number, p.name, COALESCE(a.number, ''), a.stage FROM persons p \
                 JOIN applications a ON a.household_json LIKE '%' || p.id_number || '%' \
                 WHERE p.id_number IN ({list}) AND a.category = $1 AND a.stage IN ({open}) \
                 AND a.household_id <> $2"
            ),
            params,
        )
        .await?;
    let mut found: Vec<(usize, String)> = found
        .into_iter()
        .map(|(kind, idn, name, number, status)| {
            let at = id_numbers.iter().position(|i| *i == idn).unwrap_or(0);
            let what = if kind == "case" {
                let how = if status == "phasing_out" {
                    "渐退期内"
                } else {
                    "在保"
                };
                format!(
                    "{name}已是另一家庭{how}的{}对象（编号 {number}）",
                    category_label(category)
                )
            } else {
                let st = Stage::from_code(&status).map(Stage::label).unwrap_or("");
                format!(
                    "{name}已在另一家庭正在办理的{}申请中（编号 {number}，{st}）",
                    category_label(category)
                )
            };
            (at, what)
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    found.dedup();
    let first = found[0].0;
    let all: Vec<String> = found.into_iter().map(|(_, w)| w).collect();
    Err(AppError::conflict(
        &format!("household.members[{first}].id_number"),
        format!("{}，不能重复申请", all.join("；")),
    ))
}

async fn add_event(
    tx: &mut Tx,
    app_id: &str,
    action: &str,
    on: NaiveDate,
    ctx: &Ctx,
    note: &str,
    data: Option<Value>,
) -> AppResult<()> {
    tx.execute(
        "INSERT INTO application_events (id, application_id, action, on_date, actor, note, data_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![new_id(), app_id, action, on, &ctx.actor.display_name, note, data.map(|d| d.to_string()), now()],
    )
    .await?;
    Ok(())
}

impl EventRow {
    pub fn label(&self) -> &'static str {
        if self.action == "apply" {
            "申请"
        } else if self.action == "extend" {
            "延长办理期限"
        } else {
            Action::from_code(&self.action)
                .map(Action::label)
                .unwrap_or("")
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    /// accept, visit, check, community_review, town_approve, town_publicity_end, spot_check, city_approve, decide, object, refuse
    pub action: String,
    /// The day the step was done (default today; not in the future, not before the previous step).
    pub on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    /// visit / spot_check: the staff who went (at least 2).
    #[serde(default)]
    pub staff: Vec<String>,
    /// community_review: people present, residents' representatives among them, votes in favour.
    pub participants: Option<u32>,
    pub representatives: Option<u32>,
    pub in_favour: Option<u32>,
    /// refuse / object: the written reason.
    #[serde(default)]
    pub reason: String,
}

pub fn month_after(d: NaiveDate) -> String {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    format!("{y:04}-{m:02}")
}

pub fn month_start(month: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

/// Takes one step. Everything is checked before anything is written; the step, the event and the audit entry commit together.
pub async fn act(app: &App, ctx: &Ctx, id: &str, input: ActionInput) -> AppResult<ApplicationRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    // The 核对 reads every departmental source: it runs before the write transaction, so that it never holds the
    // writer lock; the transaction then checks that the household it judged is still the one on the application.
    let pre_check = if input.action.trim() == Action::Check.code() {
        let on = input.on.unwrap_or(app.today());
        let (a, _) = get(app, ctx, id).await?;
        Some((a.household_json.clone(), check_report(app, &a, on).await?))
    } else {
        None
    };
    let mut tx = app.db.begin().await?;
    let a = act_in(app, ctx, &mut tx, id, input, pre_check).await?;
    tx.commit().await?;
    Ok(a)
}

/// 批量受理: accepts every chosen application on one day, all or nothing: if any cannot be accepted (another
/// stage, outside the caller's area, a date before its filing) nothing is written and every such application is
/// named with its reason.
pub async fn accept_batch(
    app: &App,
    ctx: &Ctx,
    ids: &[String],
    on: Option<NaiveDate>,
) -> AppResult<usize> {
    ctx.actor.require(Permission::HandleApplications)?;
    crate::app::listing::batch_size(ids)?;
    let mut tx = app.db.begin().await?;
    let mut errors = vec![];
    let mut numbers = vec![];
    for id in ids {
        let input = ActionInput {
            action: Action::Accept.code().into(),
            on,
            ..Default::default()
        };
        match act_in(app, ctx, &mut tx, id, input, None).await {
            Ok(a) => numbers.push(a.number),
            Err(e @ (AppError::Internal(_) | AppError::Forbidden(_))) => return Err(e),
            Err(e) => errors.push(
                crate::app::listing::item_error(&mut tx, "applications", "number", id, &e).await,
            ),
        }
    }
    crate::app::listing::batch_outcome(errors)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new(
            "application.batch_accept",
            "application",
            numbers.join("、"),
        )
        .after(json!({"count": numbers.len(), "on": on})),
    )
    .await?;
    tx.commit().await?;
    Ok(numbers.len())
}

/// One step inside the caller's transaction (`pre_check`: the 核对's household and report, read beforehand).
async fn act_in(
    app: &App,
    ctx: &Ctx,
    tx: &mut Tx,
    id: &str,
    input: ActionInput,
    pre_check: Option<(String, Checked)>,
) -> AppResult<ApplicationRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    let action = Action::from_code(input.action.trim())
        .ok_or_else(|| AppError::invalid("action", "办理事项无效"))?;
    let today = app.today();
    let on = crate::app::validate::date("on", "办理日期", input.on.unwrap_or(today))?;
    let mut input = input;
    input.note = crate::app::validate::text(
        "note",
        "办理意见",
        &input.note,
        0,
        crate::app::validate::TEXT_MAX,
    )?;
    input.reason = crate::app::validate::text(
        "reason",
        "理由",
        &input.reason,
        0,
        crate::app::validate::TEXT_MAX,
    )?;
    let cal = calendar::load(app).await?;
    let mut a = load_tx(&mut *tx, ctx, id).await?;
    let before = json!({"stage": a.stage, "due_on": a.due_on});
    let stage = a.stage();
    let office = workflow::office_for(action, stage);
    if !can_act(ctx.actor.role, office) {
        return Err(AppError::Forbidden(format!(
            "“{}”由{}办理",
            action.label(),
            office_label(office)
        )));
    }
    if on > today {
        return Err(AppError::invalid("on", "办理日期不能晚于今天"));
    }
    if on < a.stage_since {
        return Err(AppError::invalid(
            "on",
            format!("办理日期不能早于上一环节日期 {}", a.stage_since),
        ));
    }
    let progress = Progress {
        visited: a.visited,
        checked: a.checked,
        spot_check_required: a.spot_check_required,
        spot_checked: a.spot_checked,
        publicity_started: a.publicity_started,
    };
    let (rules, accepted_on) = if action == Action::Accept {
        (RuleSet::in_force(on), Some(on))
    } else {
        rules_of(&mut *tx, &a).await?
    };
    let next = workflow::next_stage_with(stage, action, &progress, on, rules)
        .map_err(|e| AppError::invalid("action", e.to_string()))?;
    let mut note = input.note.trim().to_string();
    let mut data: Option<Value> = None;
    match action {
        Action::Visit | Action::SpotCheck => {
            let staff: Vec<String> = input
                .staff
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let mut distinct = staff.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                return Err(AppError::invalid(
                    "staff",
                    "入户调查须由2名以上工作人员进行，请填写姓名",
                ));
            }
            if note.is_empty() {
                note = format!("{}人员：{}", action.label(), distinct.join("、"));
            }
            data = Some(json!({"staff": distinct}));
            if action == Action::Visit {
                a.visited = true;
            } else {
                a.spot_checked = true;
            }
        }
        Action::Check => {
            let Some((judged, checked)) = pre_check.clone() else {
                unreachable!("a check is computed before the transaction")
            };
            if a.authorisation_on > on {
                return Err(AppError::invalid(
                    "on",
                    format!(
                        "核对日期不能早于授权书签字日期 {}（先授权、后核对）",
                        a.authorisation_on
                    ),
                ));
            }
            if judged != a.household_json {
                return Err(AppError::conflict(
                    "action",
                    "核对期间申请的家庭情况已被修改，请重新核对",
                ));
            }
            let source_findings = checked
                .report
                .as_ref()
                .map(|r| r.findings.len())
                .unwrap_or(0);
            let eligible = checked.eligible;
            data = Some(json!({
                "sources": [{"source": "registry", "name": "居民信息库", "as_of": on}],
                "assessment": checked.assessment,
                "report": checked.report,
                "eligible_for_category": eligible,
            }));
            if note.is_empty() {
                note = if eligible {
                    "核对结果：符合申请类别条件".into()
                } else if source_findings > 0 {
                    format!(
                        "核对结果：部门数据显示{source_findings}项不符合条件的情况，详见核对报告"
                    )
                } else {
                    "核对结果：不符合申请类别条件".into()
                };
            }
            a.checked = true;
        }
        Action::CommunityReview => {
            let p = input.participants.unwrap_or(0);
            let r = input.representatives.unwrap_or(0);
            if p == 0 {
                return Err(AppError::invalid("participants", "请填写参加评议人数"));
            }
            let Some(f) = input.in_favour else {
                return Err(AppError::invalid("in_favour", "请填写同意票数"));
            };
            if r > p || r * 3 < p * 2 {
                return Err(AppError::invalid(
                    "representatives",
                    "居民代表人数须占参加人数的三分之二以上",
                ));
            }
            if f > p {
                return Err(AppError::invalid("in_favour", "同意人数不能多于参加人数"));
            }
            // the review passes with two thirds of those present in favour; otherwise it is no approval
            if f * 3 < p * 2 {
                return Err(AppError::invalid(
                    "in_favour",
                    format!(
                        "同意 {f} 票，未达到参加人数 {p} 人的三分之二，评议未通过；应补充调查或作不予批准"
                    ),
                ));
            }
            note = format!("{note} 参加 {p} 人（居民代表 {r} 人），同意 {f} 票")
                .trim()
                .to_string();
            data = Some(json!({"participants": p, "representatives": r, "in_favour": f}));
        }
        Action::TownApprove | Action::CityApprove => {
            if let Some(reason) = check_gate(&mut *tx, &a, &input.reason).await? {
                note = format!("{note} 复核意见：{reason}").trim().to_string();
                data = Some(json!({"review_override": reason}));
            }
            a.publicity_started = Some(on)
        }
        Action::TownPublicityEnd => {
            let draw = spot_check_draw(&mut *tx, &a, on).await?;
            a.spot_check_required = draw.0;
            data = Some(draw.1);
            a.publicity_started = None;
            if a.spot_check_required {
                note = format!("{note} 已抽中市局入户抽查").trim().to_string();
            }
        }
        Action::Object => {
            if input.reason.trim().is_empty() {
                return Err(AppError::invalid("reason", "请填写异议内容"));
            }
            note = format!("公示异议：{}", input.reason.trim());
            a.visited = false;
            a.checked = false;
            a.publicity_started = None;
        }
        Action::Refuse => {
            if input.reason.trim().chars().count() < 4 {
                return Err(AppError::invalid("reason", "不予批准须书面说明理由"));
            }
            a.refusal_reason = Some(input.reason.trim().to_string());
            a.decided_on = Some(on);
            note = format!("不予批准：{}", input.reason.trim());
        }
        Action::Decide => {
            let override_reason = check_gate(&mut *tx, &a, &input.reason).await?;
            if let Some(reason) = &override_reason {
                data = Some(json!({"review_override": reason}));
            }
            let start = month_after(on);
            let s = standards::in_force(app, month_start(&start).expect("month"))
                .await?
                .ok_or_else(|| AppError::invalid("on", "没有生效的救助标准"))?;
            let hh = household_request(&a, on, app)?;
            let assessment = evaluate_with(&hh.household, on, &s, rules);
            let cat = Category::from_code(&a.category)
                .ok_or_else(|| AppError::invalid("category", "类别无效"))?;
            let Some(grant) = assessment.grant(cat) else {
                return Err(AppError::invalid(
                    "action",
                    format!(
                        "按现行标准该家庭不符合{}条件，应作不予批准",
                        category_label(&a.category)
                    ),
                ));
            };
            let amount = grant.monthly_amount;
            let covered: Vec<String> = grant
                .covered
                .iter()
                .map(|i| hh.household.members[*i].id_number.as_str().to_string())
                .collect();
            let snapshot = json!({
                "household": serde_json::from_str::<Value>(&a.household_json).unwrap_or_default(),
                "standards": s,
                "assessment": assessment.to_response(&s),
                "category": a.category,
                "monthly_amount": amount.to_string(),
                "covered_id_numbers": covered,
                "rules": {"code": rules.code(), "label": rules.label()},
                "start_month": start,
                "decided_on": on,
            });
            a.snapshot_json = Some(snapshot.to_string());
            a.monthly_amount = Some(amount.0);
            a.decided_on = Some(on);
            note = format!(
                "依据{}，批准{}，月救助金 {} 元，自 {} 起发放",
                rules.label(),
                category_label(&a.category),
                amount,
                start
            );
            if let Some(reason) = override_reason {
                note = format!("{note}；复核意见：{reason}");
            }
            let community = app.areas().name(&a.area_code).contains("社区");
            let months = minzheng_domain::assistance::reviews::review_months(
                &a.category,
                &hh.household,
                on,
                community,
            );
            let due = minzheng_domain::assistance::reviews::add_months(on, months);
            create_case(&mut *tx, &a, &covered, &start, amount, (months, due)).await?;
        }
        Action::Accept => {}
    }
    a.stage = next.code().into();
    if next != stage || matches!(action, Action::Object) {
        a.stage_since = on;
        // under the 2021 rules a stage never falls due past the overall limits counted from acceptance
        let limits = limits_for(&a.category, rules);
        let t = if limits.town_total.is_some() || limits.decision_total.is_some() {
            timeline(&mut *tx, &a, accepted_on, action, on).await?
        } else {
            workflow::Timeline::default()
        };
        a.due_on = workflow::due_date_with(&cal, next, on, action, limits, &t);
    }
    if matches!(next, Stage::Refused | Stage::Approved) {
        // a closed application has no deadline left (the refusal notice is written with the refusal itself)
        a.due_on = None;
    }
    a.updated_at = now();
    tx.execute(
        "UPDATE applications SET stage = $2, due_on = $3, stage_since = $4, visited = $5, checked = $6, spot_checked = $7, \
         spot_check_required = $8, publicity_started = $9, refusal_reason = $10, decided_on = $11, snapshot_json = $12, \
         monthly_amount = $13, updated_at = $14 WHERE id = $1",
        args![
            &a.id, &a.stage, a.due_on, a.stage_since, a.visited, a.checked, a.spot_checked, a.spot_check_required, a.publicity_started,
            a.refusal_reason.clone(), a.decided_on, a.snapshot_json.clone(), a.monthly_amount, a.updated_at
        ],
    )
    .await?;
    let drawn = (action == Action::TownPublicityEnd).then(|| data.clone());
    add_event(
        &mut *tx,
        &a.id,
        action.code(),
        on,
        ctx,
        if note.is_empty() {
            action.label()
        } else {
            &note
        },
        data,
    )
    .await?;
    audit::record(
        &mut *tx,
        ctx,
        Event::new("application.act", "application", &a.id)
            .area(&a.area_code)
            .before(before)
            .after(
                json!({"action": action.code(), "stage": a.stage, "due_on": a.due_on, "on": on, "draw": drawn}),
            ),
    )
    .await?;
    Ok(a)
}

/// The city's home spot-check (DOMAIN §4.12): every registered relative of staff, and at least 30 % (rounded up) of
/// each batch — the applications a town sends up on one day — drawn with a secret seed a town cannot know. Returns
/// whether this one is drawn and what the audit keeps of the draw (the batch, and the seed's hash, never the seed).
async fn spot_check_draw(
    tx: &mut Tx,
    a: &ApplicationRow,
    on: NaiveDate,
) -> AppResult<(bool, Value)> {
    let lock = tx.for_update();
    let found: Option<(String,)> = tx
        .fetch_optional(
            &format!("SELECT value FROM platform_secrets WHERE name = 'spot_check'{lock}"),
            vec![],
        )
        .await?;
    let secret = match found {
        Some((v,)) => v,
        None => {
            let v = hex::encode(rand::random::<[u8; 32]>());
            tx.execute(
                "INSERT INTO platform_secrets (name, value) VALUES ('spot_check', $1)",
                args![&v],
            )
            .await?;
            v
        }
    };
    let (before, drawn_before): (i64, i64) = tx
        .fetch_one(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN a.spot_check_required THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM application_events e JOIN applications a ON a.id = e.application_id \
             WHERE e.action = 'town_publicity_end' AND e.on_date = $1 AND a.town_code = $2 AND a.id <> $3",
            args![on, &a.town_code, &a.id],
        )
        .await?;
    let batch = before + 1;
    let floor = (batch * 3 + 9) / 10;
    let drawn = a.staff_relative
        || drawn_before < floor
        || workflow::spot_check_selected(&a.id, &secret, false, 30);
    let seed_hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    };
    Ok((
        drawn,
        json!({"spot_check": {"drawn": drawn, "staff_relative": a.staff_relative, "batch": batch,
               "drawn_in_batch": drawn_before + i64::from(drawn), "seed_sha256": seed_hash}}),
    ))
}

/// The latest 核对报告 as the application page and the 审批表 show it (DOMAIN §4.12).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckSummary {
    pub on: NaiveDate,
    /// Whether the household qualifies for the category by the declared data and every source.
    pub eligible: bool,
    /// What a source showed against the category: (what, detail).
    pub findings: Vec<(String, String)>,
    /// Each source consulted with its as-of date, e.g. "车辆登记（截至2020-12-31）".
    pub sources: Vec<String>,
    /// The 复核 result an officer recorded to approve despite the findings.
    pub review_override: Option<String>,
}

/// Each member's supporter judgement recorded at intake under the 2021 rules (empty under the 2012 rules, where
/// the form's answer stands).
pub fn supporter_lines(events: &[EventRow]) -> Vec<super::supporters::SupporterLine> {
    events
        .iter()
        .rfind(|e| e.action == "supporters")
        .and_then(|e| e.data_json.as_deref())
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .map(|d| super::supporters::lines_of(&d))
        .unwrap_or_default()
}

pub fn check_summary(events: &[EventRow]) -> Option<CheckSummary> {
    let data = |e: &EventRow| -> Value {
        e.data_json
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null)
    };
    let i = events.iter().rposition(|e| e.action == "check")?;
    let d = data(&events[i]);
    let report = &d["report"];
    let findings = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["label"].as_str().unwrap_or("").to_string(),
                        f["detail"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut sources = vec![format!("居民信息库（{}）", events[i].on_date)];
    if let Some(ss) = report["sources"].as_array() {
        for s in ss {
            let code = s["source"].as_str().unwrap_or("");
            let label = minzheng_domain::verification::Source::from_code(code)
                .map(|s| s.label())
                .unwrap_or("部门数据");
            match s["latest_as_of"].as_str() {
                Some(d) => sources.push(format!("{label}（截至{d}）")),
                None => sources.push(format!("{label}（未导入）")),
            }
        }
    }
    let review_override = events[i + 1..]
        .iter()
        .find_map(|e| data(e)["review_override"].as_str().map(str::to_string));
    Some(CheckSummary {
        on: events[i].on_date,
        eligible: d["eligible_for_category"] == Value::Bool(true),
        findings,
        sources,
        review_override,
    })
}

/// What the 核对 found: the household as declared against the category, and every departmental source.
#[derive(Clone)]
struct Checked {
    assessment: Value,
    report: Option<crate::app::verification::runs::CheckReport>,
    eligible: bool,
}

async fn check_report(app: &App, a: &ApplicationRow, on: NaiveDate) -> AppResult<Checked> {
    let s = standards::in_force(app, on)
        .await?
        .ok_or_else(|| AppError::invalid("on", "该日没有生效的救助标准"))?;
    let hh = household_request(a, on, app)?;
    let r = minzheng_domain::assistance::assess(&hh, &s);
    // 先核再救: the household as declared, then every departmental source (MZ/T 072 核对报告)
    let report = match Category::from_code(&a.category) {
        Some(cat) => Some(
            crate::app::verification::runs::check_household(app, cat, &hh.household, on).await?,
        ),
        None => None,
    };
    let source_findings = report.as_ref().map(|r| r.findings.len()).unwrap_or(0);
    let eligible =
        r.eligible.iter().any(|e| e.category.code() == a.category) && source_findings == 0;
    Ok(Checked {
        assessment: serde_json::to_value(&r).map_err(|e| AppError::Internal(e.into()))?,
        report,
        eligible,
    })
}

/// 先核再救 (DOMAIN §4.12): while the latest 核对报告 shows the household does not qualify, no approving step passes
/// unless the officer records the 复核 result (a dispute upheld, a department's data corrected); once recorded after
/// that check it stands for the later steps. Returns the reason recorded now, if one was needed.
async fn check_gate(tx: &mut Tx, a: &ApplicationRow, reason: &str) -> AppResult<Option<String>> {
    let events: Vec<(String, Option<String>)> = tx
        .fetch_all(
            "SELECT action, data_json FROM application_events WHERE application_id = $1 \
             AND action IN ('check', 'town_approve', 'city_approve', 'decide') ORDER BY at",
            args![&a.id],
        )
        .await?;
    let Some(last_check) = events.iter().rposition(|(act, _)| act == "check") else {
        return Ok(None);
    };
    let data = |i: usize| -> Value {
        events[i]
            .1
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null)
    };
    let check = data(last_check);
    if check["eligible_for_category"] != Value::Bool(false) {
        return Ok(None);
    }
    if (last_check + 1..events.len()).any(|i| data(i)["review_override"].is_string()) {
        return Ok(None);
    }
    let findings: Vec<String> = check["report"]["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["detail"].as_str().or(f["label"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        let what = if findings.is_empty() {
            "核对报告显示该家庭不符合申请类别条件".to_string()
        } else {
            format!("核对报告显示：{}", findings.join("；"))
        };
        return Err(AppError::invalid(
            "reason",
            format!("{what}。先核再救：须填写复核意见（如异议成立、部门数据有误）后方可通过"),
        ));
    }
    Ok(Some(reason.to_string()))
}

fn household_request(
    a: &ApplicationRow,
    on: NaiveDate,
    app: &App,
) -> AppResult<minzheng_domain::assistance::ValidRequest> {
    let body: Value =
        serde_json::from_str(&a.household_json).map_err(|e| AppError::Internal(e.into()))?;
    let areas = app.areas();
    validate(&json!({"as_of": on, "household": body}), app.today(), |c| {
        areas.get(c).is_some()
    })
    .map_err(|e| AppError::invalid(&e.field, e.message))
}

async fn create_case(
    tx: &mut Tx,
    a: &ApplicationRow,
    covered_ids: &[String],
    start: &str,
    amount: Fen,
    review: (u32, NaiveDate),
) -> AppResult<()> {
    let case_id = new_id();
    tx.execute(
        "INSERT INTO cases (id, application_id, category, household_id, area_code, town_code, status, monthly_amount, start_month, end_month, stop_reason, \
         bank_account, created_at, household_json, review_months, review_due_on, last_reviewed_on) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, NULL, NULL, $9, $10, $11, $12, $13, NULL)",
        args![&case_id, &a.id, &a.category, &a.household_id, &a.area_code, &a.town_code, amount.0, start, &a.bank_account, now(), &a.household_json, i64::from(review.0), review.1],
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict(
                "action",
                format!(
                    "该家庭已有在保的{}，不能再批准一个",
                    category_label(&a.category)
                ),
            )
        } else {
            e.into()
        }
    })?;
    for idn in covered_ids {
        tx.execute(
            "INSERT INTO case_members (case_id, person_id) SELECT $1, id FROM persons WHERE id_number = $2",
            args![&case_id, idn.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// The list's own filters beside the shared ones (`listing::ListParams`).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub overdue_only: bool,
    pub mine: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: String,
    pub category: String,
    pub area_code: String,
    pub town_code: String,
    pub stage: String,
    pub due_on: Option<NaiveDate>,
    pub applied_on: NaiveDate,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub number: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ListItem {
    pub id: String,
    /// The human 编号, e.g. 澄江-2020-0001.
    pub number: String,
    pub category: String,
    pub category_label: String,
    pub area_code: String,
    pub area_name: String,
    pub stage: String,
    pub stage_label: String,
    pub applied_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    pub applicant_name: String,
    pub applicant_id_number_masked: String,
}

/// Stages where this role has the next move ("my tasks"), under either rule set.
pub fn my_stages(role: Role) -> Vec<Stage> {
    Stage::ALL
        .into_iter()
        .filter(|&s| {
            RuleSet::ALL.into_iter().any(|r| {
                workflow::next_moves(s, r)
                    .into_iter()
                    .any(|a| can_act(role, workflow::office_for(a, s)))
            })
        })
        .collect()
}

/// The applications list: searched by the applicant, filtered by category, stage, area and filing date.
pub fn list_spec() -> ListSpec {
    ListSpec {
        title: "救助申请",
        from: "applications a JOIN persons p ON p.id = a.applicant_id",
        area: ("a.area_code", "a.town_code"),
        person: "{}",
        categories: CATEGORIES
            .iter()
            .map(|(c, l)| Choice::eq("a.category", c, l))
            .collect(),
        statuses: Stage::ALL
            .iter()
            .map(|s| Choice::eq("a.stage", s.code(), s.label()))
            .collect(),
        default_status: None,
        date: Some(("a.applied_on", "申请日期")),
        sorts: vec![
            SortKey {
                key: "number",
                label: "编号",
                sql: "a.number",
            },
            SortKey {
                key: "name",
                label: "申请人",
                sql: "p.name",
            },
            SortKey {
                key: "category",
                label: "类别",
                sql: "a.category",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "a.area_code",
            },
            SortKey {
                key: "applied",
                label: "申请日期",
                sql: "a.applied_on",
            },
            SortKey {
                key: "stage",
                label: "当前环节",
                sql: "a.stage",
            },
            SortKey {
                key: "due",
                label: "办理期限",
                sql: "a.due_on",
            },
        ],
        default_sort: ("due", false),
        tiebreak: "a.id",
    }
}

const LIST_COLS: &str = "a.id, a.category, a.area_code, a.town_code, a.stage, a.due_on, a.applied_on, \
                         p.name AS applicant_name, p.id_number AS applicant_id_number, a.number";

fn list_query(app: &App, ctx: &Ctx, p: &ListParams, f: &ListFilter) -> AppResult<Query> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let mut q = list_spec().query(app, ctx, p)?;
    if f.mine {
        let stages: Vec<String> = my_stages(ctx.actor.role)
            .iter()
            .map(|s| format!("'{}'", s.code()))
            .collect();
        q.and_sql(&if stages.is_empty() {
            "1 = 0".into()
        } else {
            format!("a.stage IN ({})", stages.join(", "))
        });
    }
    if f.overdue_only {
        q.and(
            "a.due_on < $? AND a.stage <> 'approved'",
            app.today().into(),
        );
    }
    Ok(q)
}

fn list_item(app: &App, r: ListRow) -> ListItem {
    let today = app.today();
    let st = Stage::from_code(&r.stage).unwrap_or(Stage::Submitted);
    ListItem {
        category_label: category_label(&r.category).into(),
        area_name: app.areas().full_name(&r.area_code),
        stage_label: st.label().into(),
        overdue: r.due_on.is_some_and(|d| d < today) && st != Stage::Approved,
        applicant_id_number_masked: idnumber::mask(&r.applicant_id_number),
        id: r.id,
        number: r.number,
        category: r.category,
        area_code: r.area_code,
        stage: r.stage,
        applied_on: r.applied_on,
        due_on: r.due_on,
        applicant_name: r.applicant_name,
    }
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    p: &ListParams,
    f: &ListFilter,
) -> AppResult<Page<ListItem>> {
    let q = list_query(app, ctx, p, f)?;
    let page: Page<ListRow> = q.page(app, LIST_COLS, p.page_no()).await?;
    Ok(page.map(|r| list_item(app, r)))
}

/// Everything the list's filter matches, as a worksheet (audited; full identity numbers only when asked for by a
/// role that may see them).
pub async fn export(app: &App, ctx: &Ctx, p: &ListParams, f: &ListFilter) -> AppResult<Sheet> {
    let q = list_query(app, ctx, p, f)?;
    let rows: Vec<ListRow> = q.all(app, LIST_COLS).await?;
    let spec = list_spec();
    crate::app::listing::export_audit(app, ctx, &spec, p, rows.len()).await?;
    let full = p.wants_full();
    let mut sheet = Sheet::new(
        spec.title,
        &[
            "编号",
            "申请人",
            "身份证号码",
            "类别",
            "所在地",
            "申请日期",
            "当前环节",
            "办理期限",
        ],
    );
    for r in rows {
        let id = id_cell(full, &r.applicant_id_number);
        let i = list_item(app, r);
        sheet.rows.push(vec![
            i.number.into(),
            i.applicant_name.into(),
            id,
            i.category_label.into(),
            i.area_name.into(),
            i.applied_on.into(),
            i.stage_label.into(),
            i.due_on.into(),
        ]);
    }
    Ok(sheet)
}

/// Overdue applications per town within the caller's scope.
pub async fn overdue_by_town(app: &App, ctx: &Ctx) -> AppResult<Vec<(String, String, i64)>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 2);
    let mut args = args![app.today()];
    args.extend(a);
    let rows: Vec<(String, i64)> = app
        .db
        .conn()
        .fetch_all(&format!("SELECT town_code, COUNT(*) FROM applications WHERE due_on < $1 AND stage <> 'approved' AND {cond} GROUP BY town_code ORDER BY town_code"), args)
        .await?;
    let areas = app.areas();
    Ok(rows
        .into_iter()
        .map(|(c, n)| (areas.name(&c), c, n))
        .collect())
}

/// The applicant's name, for the letters addressed to it (the application itself was read in scope by [`get`]).
pub async fn applicant_name(app: &App, a: &ApplicationRow) -> AppResult<String> {
    let (name,): (String,) = app
        .db
        .conn()
        .fetch_one(
            "SELECT name FROM persons WHERE id = $1",
            args![&a.applicant_id],
        )
        .await?;
    Ok(name)
}

/// The first day of the caller's area with an application on it (a 公示 can be asked for from its month on).
pub async fn first_application_on(app: &App, ctx: &Ctx) -> AppResult<Option<NaiveDate>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    let first: Option<(Option<NaiveDate>,)> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT MIN(stage_since) FROM applications WHERE {cond}"),
            a.into_iter().collect(),
        )
        .await?;
    Ok(first.and_then(|f| f.0))
}

/// One line of a village's 公示 (names and identity numbers masked, as posted).
#[derive(Debug, Clone)]
pub struct PublicityRow {
    pub name: String,
    pub id_masked: String,
    pub size: usize,
    pub category: String,
    pub amount: String,
    pub stage: String,
    /// The 公示期: 7 days from the town's initial approval.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A village's 公示 for the month starting `start`: the applications that reached the town's publicity in it, with
/// the amount decided or, before the decision, the one the latest 核对 assessed. Two statements for the whole
/// village (the applications, then their approval and check events), never one per application.
pub async fn publicity(
    app: &App,
    ctx: &Ctx,
    village_code: &str,
    start: NaiveDate,
) -> AppResult<Vec<PublicityRow>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let areas = app.areas();
    if !areas
        .get(village_code)
        .is_some_and(|a| a.level == "village" && ctx.actor.in_scope(&a.code))
    {
        return Err(AppError::NotFound("村(社区)".into()));
    }
    let end = month_start(&month_after(start)).expect("month");
    let filter = "a.area_code = $1 AND a.stage IN ('town_publicity', 'city_review', 'city_publicity', 'approved') \
                  AND a.stage_since >= $2 AND a.stage_since < $3";
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, String, String, String, String, Option<i64>, String)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT a.id, p.name, p.id_number, a.household_json, a.category, a.monthly_amount, a.stage FROM applications a \
                 JOIN persons p ON p.id = a.applicant_id WHERE {filter} ORDER BY p.name"
            ),
            args![village_code, start, end],
        )
        .await?;
    let events: Vec<(String, String, NaiveDate, Option<String>)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT e.application_id, e.action, e.on_date, e.data_json FROM application_events e \
                 WHERE e.action IN ('town_approve', 'check') \
                 AND e.application_id IN (SELECT a.id FROM applications a WHERE {filter}) ORDER BY e.at"
            ),
            args![village_code, start, end],
        )
        .await?;
    type Ev = (String, String, NaiveDate, Option<String>);
    let mut by_app: std::collections::HashMap<&str, Vec<&Ev>> = std::collections::HashMap::new();
    for e in &events {
        by_app.entry(e.0.as_str()).or_default().push(e);
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, idn, hh, cat, amount, stage)| {
            let events = by_app.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let from = events.iter().rfind(|e| e.1 == "town_approve").map(|e| e.2);
            // before the decision the amount shown is the one the latest 核对 assessed for the category
            let proposed = || {
                let d = events.iter().rfind(|e| e.1 == "check")?.3.as_deref()?;
                let v: Value = serde_json::from_str(d).ok()?;
                let r: minzheng_domain::assistance::AssessmentResponse =
                    serde_json::from_value(v["assessment"].clone()).ok()?;
                r.eligible
                    .iter()
                    .find(|e| e.category.code() == cat)
                    .map(|e| e.monthly_amount.to_string())
            };
            PublicityRow {
                name: idnumber::mask_name(&name),
                id_masked: idnumber::mask(&idn),
                size: serde_json::from_str::<Value>(&hh)
                    .ok()
                    .and_then(|v| v["members"].as_array().map(Vec::len))
                    .unwrap_or(0),
                category: category_label(&cat).into(),
                amount: amount
                    .map(|f| Fen(f).to_string())
                    .or_else(proposed)
                    .unwrap_or_else(|| "—".into()),
                stage: Stage::from_code(&stage)
                    .map(Stage::label)
                    .unwrap_or("")
                    .into(),
                from,
                to: from.map(|d| d + chrono::Duration::days(6)),
            }
        })
        .collect())
}
