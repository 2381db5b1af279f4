//! State guardianship (国家监护: 临时监护、长期监护) and adoption registration (收养登记) with its home assessment
//! (收养评估).
//!
//! Rules chosen (README 儿童福利):
//! - guardianship is the civil affairs bureau's: the city's 儿童福利科 starts and ends it, naming its legal basis (one
//!   of the articles that allow that kind), the facts, and the institution on the organisation registry (儿童福利机构
//!   or 救助管理站 as 未成年人救助保护机构) that cares for the child; one in force per child; a long-term guardianship
//!   started while a temporary one runs ends the temporary one that day (转为长期监护), so the history stays;
//! - adoption: the town or the city files (the adopters by identity number, their facts), the adopters' conditions are
//!   checked by `minzheng_domain::adoption::check` and a failing case is refused naming every unmet article; the
//!   home assessment follows (due within 30 days of filing, late ones flagged) with its A4 report; the city's
//!   儿童福利科 registers a case assessed suitable — the rule is checked again on the registration date — and gives
//!   the certificate number 江阴收字〔2026〕第0001号; registering ends the child's state guardianship and 孤儿 /
//!   事实无人抚养儿童 entries (被依法收养) and stops the basic living allowance from the next month, in the same
//!   transaction.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Datelike, Duration, NaiveDate};
use minzheng_domain::adoption::{self, Adopter, AdopterCheck, AdoptionCase, Failure};
use minzheng_domain::idnumber::{self, IdNumber, Sex};
use serde_json::{Value, json};

/// (code, kind, text): the legal bases of state guardianship, each for its kind.
pub const BASES: [(&str, &str, &str); 5] = [
    (
        "civil_31",
        "temporary",
        "民法典第三十一条第三款（依法指定监护人前，被监护人处于无人保护状态）",
    ),
    (
        "minors_92",
        "temporary",
        "未成年人保护法第九十二条（民政部门临时监护的情形）",
    ),
    (
        "civil_32",
        "long_term",
        "民法典第三十二条（没有依法具有监护资格的人）",
    ),
    (
        "civil_36",
        "long_term",
        "民法典第三十六条（人民法院撤销监护人资格后指定民政部门担任监护人）",
    ),
    (
        "minors_94",
        "long_term",
        "未成年人保护法第九十四条（民政部门长期监护的情形）",
    ),
];

pub const KINDS: [(&str, &str); 2] = [("temporary", "临时监护"), ("long_term", "长期监护")];

pub fn kind_label(code: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == code)
        .map(|k| k.1)
        .unwrap_or("")
}

pub fn basis_label(code: &str) -> &'static str {
    BASES
        .iter()
        .find(|b| b.0 == code)
        .map(|b| b.2)
        .unwrap_or("")
}

/// Organisation kinds that may care for a child under state guardianship.
const GUARDIAN_ORGS: [&str; 2] = ["child_welfare_institution", "rescue_station"];

/// The home assessment is due within 30 days of filing (DOMAIN §5).
pub const ASSESSMENT_DAYS: i64 = 30;

/// The bureau's steps: the city's child welfare section.
fn require_bureau(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::DecideChildAllowances)
}

/// Filing and assessing adoptions: the town or the city (the village helps, it does not file).
fn require_desk(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::HandleChildren)?;
    if ctx.actor.role == Role::VillageWorker {
        return Err(AppError::Forbidden(
            "收养登记由镇(街道)民政办或市局受理".into(),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn history(
    tx: &mut Tx,
    ctx: &Ctx,
    subject: &str,
    id: &str,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
    note: &str,
) -> AppResult<()> {
    tx.execute(
        "INSERT INTO child_protection_changes (id, subject, subject_id, action, before_json, after_json, note, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            new_id(),
            subject,
            id,
            action,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string()),
            note,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StepView {
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub note: String,
    pub changed_by: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

async fn steps(app: &App, id: &str) -> AppResult<Vec<StepView>> {
    Ok(app
        .db
        .conn()
        .fetch_all(
            "SELECT action, before_json, after_json, note, changed_by, changed_at FROM child_protection_changes \
             WHERE subject_id = $1 ORDER BY changed_at, id",
            args![id],
        )
        .await?)
}

pub fn step_label(code: &str) -> &'static str {
    match code {
        "start" => "开始监护",
        "end" => "结束监护",
        "file" => "受理收养登记申请",
        "assess" => "收养评估",
        "register" => "准予收养登记",
        "refuse" => "不予登记",
        _ => "变更",
    }
}

/// A registry child of the caller's area, under 18 on `on`.
async fn child_in_scope(
    tx: &mut Tx,
    ctx: &Ctx,
    person_id: &str,
    on: NaiveDate,
) -> AppResult<crate::storage::persons::PersonRow> {
    let p = crate::storage::persons::get_tx(tx, person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::invalid("person_id", "人员不存在或不在您的管辖范围内"))?;
    if p.status != "normal" {
        return Err(AppError::invalid(
            "person_id",
            format!(
                "此人在居民信息库中的状态为{}",
                crate::app::registry::status_label(&p.status)
            ),
        ));
    }
    if idnumber::age_on(p.birth_date, on) >= 18 || on < p.birth_date {
        return Err(AppError::invalid(
            "person_id",
            "此人在该日期不是未满18周岁的儿童",
        ));
    }
    Ok(p)
}

async fn next_number(tx: &mut Tx, table: &str, column: &str, prefix: &str) -> AppResult<i64> {
    let n: i64 = tx
        .scalar(
            &format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE $1"),
            args![format!("{prefix}%")],
        )
        .await?;
    Ok(n + 1)
}

// ---------- state guardianship ----------

#[derive(Debug, Clone, sqlx::FromRow)]
struct GuardRow {
    id: String,
    number: String,
    person_id: String,
    area_code: String,
    town_code: String,
    kind: String,
    legal_basis: String,
    circumstance: String,
    org_id: String,
    start_on: NaiveDate,
    planned_end: Option<NaiveDate>,
    status: String,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    created_by: String,
}

const GCOLS: &str = "g.id, g.number, g.person_id, g.area_code, g.town_code, g.kind, g.legal_basis, g.circumstance, \
    g.org_id, g.start_on, g.planned_end, g.status, g.ended_on, g.end_reason, g.created_by";

#[derive(sqlx::FromRow)]
struct GuardWithNames {
    #[sqlx(flatten)]
    g: GuardRow,
    name: String,
    id_number: String,
    birth_date: NaiveDate,
    org_name: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GuardianshipView {
    pub id: String,
    /// 监护-2026-0001
    pub number: String,
    pub person_id: String,
    /// Masked.
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub age: u32,
    pub village: String,
    pub town: String,
    /// temporary, long_term
    pub kind: String,
    pub kind_label: String,
    pub legal_basis: String,
    pub legal_basis_label: String,
    pub circumstance: String,
    pub org_id: String,
    /// The institution caring for the child.
    pub org_name: String,
    pub start_on: NaiveDate,
    /// The planned end of a temporary guardianship, if set.
    pub planned_end: Option<NaiveDate>,
    /// active, ended
    pub status: String,
    pub status_label: String,
    /// A temporary guardianship past its planned end, still in force.
    pub overdue: bool,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_by: String,
}

fn guard_view(app: &App, r: GuardWithNames) -> GuardianshipView {
    let areas = app.areas();
    let g = r.g;
    let today = app.today();
    GuardianshipView {
        name: idnumber::mask_name(&r.name),
        id_number: idnumber::mask(&r.id_number),
        age: idnumber::age_on(r.birth_date, today),
        village: areas.name(&g.area_code),
        town: areas.name(&g.town_code),
        kind_label: kind_label(&g.kind).into(),
        legal_basis_label: basis_label(&g.legal_basis).into(),
        status_label: if g.status == "active" {
            "监护中"
        } else {
            "已结束"
        }
        .into(),
        overdue: g.status == "active" && g.planned_end.is_some_and(|e| e < today),
        org_name: r.org_name,
        id: g.id,
        number: g.number,
        person_id: g.person_id,
        kind: g.kind,
        legal_basis: g.legal_basis,
        circumstance: g.circumstance,
        org_id: g.org_id,
        start_on: g.start_on,
        planned_end: g.planned_end,
        status: g.status,
        ended_on: g.ended_on,
        end_reason: g.end_reason,
        created_by: g.created_by,
    }
}

const GFROM: &str = "FROM child_guardianships g JOIN persons p ON p.id = g.person_id JOIN organisations o ON o.id = g.org_id";

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewGuardianship {
    pub person_id: String,
    /// temporary (临时监护) or long_term (长期监护)
    pub kind: String,
    /// civil_31, minors_92 (temporary); civil_32, civil_36, minors_94 (long_term)
    pub legal_basis: String,
    /// The facts (at least 4 characters): why no one else can care for the child, the court's judgment …
    pub circumstance: String,
    /// The institution caring for the child (an organisation of kind 儿童福利机构 or 救助管理站).
    pub org_id: String,
    pub start_on: NaiveDate,
    /// A temporary guardianship's planned end, when known; a long-term one has none.
    #[serde(default)]
    pub planned_end: Option<NaiveDate>,
}

/// Starts a state guardianship (the city's 儿童福利科).
pub async fn start_guardianship(
    app: &App,
    ctx: &Ctx,
    n: NewGuardianship,
) -> AppResult<GuardianshipView> {
    require_bureau(ctx)?;
    let kind = n.kind.trim();
    if !KINDS.iter().any(|k| k.0 == kind) {
        return Err(AppError::invalid("kind", "监护类型应为临时监护或长期监护"));
    }
    let basis = BASES
        .iter()
        .find(|b| b.0 == n.legal_basis.trim())
        .ok_or_else(|| AppError::invalid("legal_basis", "请选择法律依据"))?;
    if basis.1 != kind {
        let allowed: Vec<&str> = BASES.iter().filter(|b| b.1 == kind).map(|b| b.2).collect();
        return Err(AppError::invalid(
            "legal_basis",
            format!("{}的法律依据应为：{}", kind_label(kind), allowed.join("；")),
        ));
    }
    let circumstance = validate::text("circumstance", "监护情形", &n.circumstance, 4, 1000)?;
    let today = app.today();
    let start_on = validate::date("start_on", "监护开始日期", n.start_on)?;
    if start_on > today {
        return Err(AppError::invalid("start_on", "监护开始日期不能晚于今天"));
    }
    let planned_end = match (kind, n.planned_end) {
        ("long_term", Some(_)) => {
            return Err(AppError::invalid(
                "planned_end",
                "长期监护不设预计结束日期（至成年、被收养或监护人恢复监护能力）",
            ));
        }
        (_, Some(e)) => {
            let e = validate::date("planned_end", "预计结束日期", e)?;
            if e <= start_on {
                return Err(AppError::invalid(
                    "planned_end",
                    "预计结束日期应晚于开始日期",
                ));
            }
            Some(e)
        }
        (_, None) => None,
    };
    let mut tx = app.db.begin().await?;
    let p = child_in_scope(&mut tx, ctx, &n.person_id, start_on).await?;
    let org: Option<(String, String, String)> = tx
        .fetch_optional(
            "SELECT name, kind, status FROM organisations WHERE id = $1",
            args![n.org_id.trim()],
        )
        .await?;
    match org {
        Some((_, k, s)) if GUARDIAN_ORGS.contains(&k.as_str()) && s == "active" => {}
        _ => {
            return Err(AppError::invalid(
                "org_id",
                "监护机构应为机构名录中在册的儿童福利机构或救助管理站",
            ));
        }
    }
    let lock = tx.for_update();
    let live: Option<GuardRow> = tx
        .fetch_optional(
            &format!(
                "SELECT {} FROM child_guardianships g WHERE g.person_id = $1 AND g.status = 'active'{lock}",
                GCOLS
            ),
            args![&p.id],
        )
        .await?;
    if let Some(l) = &live {
        if !(l.kind == "temporary" && kind == "long_term") {
            return Err(AppError::conflict(
                "person_id",
                format!(
                    "此儿童已在{}中（{}，自{}起），不能重复开始",
                    kind_label(&l.kind),
                    l.number,
                    crate::util::cn_date(l.start_on)
                ),
            ));
        }
        if start_on < l.start_on {
            return Err(AppError::invalid(
                "start_on",
                "长期监护的开始日期不能早于正在进行的临时监护",
            ));
        }
        // 临时监护转为长期监护: the temporary one ends the day the long-term one starts
        end_guard_tx(&mut tx, ctx, l, start_on, "转为长期监护").await?;
    }
    let year = start_on.year();
    let prefix = format!("监护-{year}-");
    let seq = next_number(&mut tx, "child_guardianships", "number", &prefix).await?;
    let id = new_id();
    let number = format!("{prefix}{seq:04}");
    tx.execute(
        "INSERT INTO child_guardianships (id, number, person_id, area_code, town_code, kind, legal_basis, circumstance, \
         org_id, start_on, planned_end, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13)",
        args![
            &id,
            &number,
            &p.id,
            &p.area_code,
            &p.town_code,
            kind,
            basis.0,
            &circumstance,
            n.org_id.trim(),
            start_on,
            planned_end,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict("person_id", "此儿童已在国家监护中")
        } else {
            e.into()
        }
    })?;
    let after = json!({"number": number, "kind": kind, "legal_basis": basis.0, "org_id": n.org_id.trim(),
                       "start_on": start_on, "planned_end": planned_end});
    history(
        &mut tx,
        ctx,
        "guardianship",
        &id,
        "start",
        None,
        Some(after.clone()),
        &circumstance,
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.guardianship_start", "child_guardianship", &id)
            .area(&p.area_code)
            .after(after),
    )
    .await?;
    tx.commit().await?;
    guardianship(app, ctx, &id).await
}

async fn end_guard_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    g: &GuardRow,
    on: NaiveDate,
    reason: &str,
) -> AppResult<()> {
    tx.execute(
        "UPDATE child_guardianships SET status = 'ended', ended_on = $2, end_reason = $3 WHERE id = $1",
        args![&g.id, on, reason],
    )
    .await?;
    let before = json!({"status": g.status});
    let after = json!({"status": "ended", "ended_on": on, "reason": reason});
    history(
        tx,
        ctx,
        "guardianship",
        &g.id,
        "end",
        Some(before.clone()),
        Some(after.clone()),
        reason,
    )
    .await?;
    audit::record(
        tx,
        ctx,
        Event::new("children.guardianship_end", "child_guardianship", &g.id)
            .area(&g.area_code)
            .before(before)
            .after(after),
    )
    .await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct EndGuardianship {
    pub on: NaiveDate,
    /// At least 4 characters (e.g. 父母恢复监护能力, 年满18周岁, 被依法收养, 人民法院指定其他监护人).
    pub reason: String,
}

pub async fn end_guardianship(
    app: &App,
    ctx: &Ctx,
    id: &str,
    e: EndGuardianship,
) -> AppResult<GuardianshipView> {
    require_bureau(ctx)?;
    let reason = validate::text("reason", "结束原因", &e.reason, 4, 500)?;
    let on = validate::date("on", "结束日期", e.on)?;
    if on > app.today() {
        return Err(AppError::invalid("on", "结束日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let g: GuardRow = tx
        .fetch_optional::<GuardRow>(
            &format!("SELECT {GCOLS} FROM child_guardianships g WHERE g.id = $1{lock}"),
            args![id],
        )
        .await?
        .filter(|g| ctx.actor.in_scope(&g.area_code))
        .ok_or_else(|| AppError::NotFound("国家监护".into()))?;
    if g.status != "active" {
        return Err(AppError::conflict("status", "该监护已结束"));
    }
    if on < g.start_on {
        return Err(AppError::invalid("on", "结束日期不能早于监护开始日期"));
    }
    end_guard_tx(&mut tx, ctx, &g, on, &reason).await?;
    tx.commit().await?;
    guardianship(app, ctx, id).await
}

pub async fn guardianship(app: &App, ctx: &Ctx, id: &str) -> AppResult<GuardianshipView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: GuardWithNames = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {GCOLS}, p.name, p.id_number, p.birth_date, o.name AS org_name {GFROM} WHERE g.id = $1"
            ),
            args![id],
        )
        .await?
        .filter(|r: &GuardWithNames| ctx.actor.in_scope(&r.g.area_code))
        .ok_or_else(|| AppError::NotFound("国家监护".into()))?;
    Ok(guard_view(app, r))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GuardianshipDetail {
    pub guardianship: GuardianshipView,
    pub history: Vec<StepView>,
    /// The child's other guardianships, latest first.
    pub others: Vec<GuardianshipView>,
}

pub async fn guardianship_detail(app: &App, ctx: &Ctx, id: &str) -> AppResult<GuardianshipDetail> {
    let g = guardianship(app, ctx, id).await?;
    let rows: Vec<GuardWithNames> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {GCOLS}, p.name, p.id_number, p.birth_date, o.name AS org_name {GFROM} \
                 WHERE g.person_id = $1 AND g.id <> $2 ORDER BY g.start_on DESC, g.id DESC"
            ),
            args![&g.person_id, id],
        )
        .await?;
    Ok(GuardianshipDetail {
        history: steps(app, id).await?,
        others: rows.into_iter().map(|r| guard_view(app, r)).collect(),
        guardianship: g,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ProtectionQuery {
    /// Guardianships: active, ended; adoptions: filed, assessed, registered, refused.
    pub status: Option<String>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GuardianshipList {
    pub total: i64,
    /// The latest 200.
    pub items: Vec<GuardianshipView>,
}

pub async fn guardianships(
    app: &App,
    ctx: &Ctx,
    q: &ProtectionQuery,
) -> AppResult<GuardianshipList> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("g.area_code", "g.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut sql = format!("{GFROM} WHERE {cond}");
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND g.status = ${}", args.len()));
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let rows: Vec<GuardWithNames> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {GCOLS}, p.name, p.id_number, p.birth_date, o.name AS org_name {sql} \
                 ORDER BY g.start_on DESC, g.id DESC LIMIT 200"
            ),
            args,
        )
        .await?;
    Ok(GuardianshipList {
        total,
        items: rows.into_iter().map(|r| guard_view(app, r)).collect(),
    })
}

/// The institutions that may be named guardian, in the caller's area (for the form's dropdown).
pub async fn guardian_orgs(app: &App, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    ctx.actor.require(Permission::ReadChildren)?;
    let (cond, args) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    let rows: Vec<(String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT id, name, area_code FROM organisations WHERE {cond} AND status = 'active' \
                 AND kind IN ('child_welfare_institution', 'rescue_station') ORDER BY name, id"
            ),
            args.into_iter().collect(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id, name, _)| (id, name)).collect())
}

// ---------- adoption ----------

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAdopter {
    pub name: String,
    /// The adopter's identity number (birth date and sex are read from it).
    pub id_number: String,
    /// Able to raise, educate and protect the child (第1098条(2)).
    pub able_to_raise: bool,
    /// Has an illness medicine holds should bar adopting (第1098条(3)).
    #[serde(default)]
    pub disqualifying_illness: bool,
    /// Has a criminal record harmful to the child (第1098条(4)).
    #[serde(default)]
    pub harmful_record: bool,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAdoption {
    /// The child, a registry person of the caller's area under 18.
    pub person_id: String,
    /// One adopter, or a married couple (two).
    pub adopters: Vec<NewAdopter>,
    /// A single adopter who has a spouse.
    #[serde(default)]
    pub has_spouse: bool,
    /// The adopters' children now, born or adopted.
    pub children: u32,
    /// Children adopted in this registration (1 or 2; default 1).
    #[serde(default)]
    pub adopting: Option<u32>,
    /// The child is in a welfare institution and its parents cannot be found (查找不到生父母). An orphan on the
    /// register or a child with a disability in the registry counts without it.
    #[serde(default)]
    pub foundling: bool,
    /// Phone of the adopters.
    pub phone: String,
    pub address: String,
    pub filed_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StoredAdopter {
    pub name: String,
    pub id_number: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub able_to_raise: bool,
    pub disqualifying_illness: bool,
    pub harmful_record: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StoredCase {
    adopters: Vec<StoredAdopter>,
    has_spouse: bool,
    children: u32,
    adopting: u32,
    special_child: bool,
    phone: String,
    address: String,
}

fn rule_case(
    s: &StoredCase,
    as_of: NaiveDate,
    child_birth: NaiveDate,
    child_sex: Sex,
) -> AdoptionCase {
    AdoptionCase {
        as_of,
        adopters: s
            .adopters
            .iter()
            .map(|a| Adopter {
                birth_date: a.birth_date,
                sex: Sex::from_code(&a.sex).unwrap_or(Sex::Male),
                able_to_raise: a.able_to_raise,
                disqualifying_illness: a.disqualifying_illness,
                harmful_record: a.harmful_record,
            })
            .collect(),
        has_spouse: s.has_spouse,
        children: s.children,
        adopting: s.adopting,
        child_birth_date: child_birth,
        child_sex,
        special_child: s.special_child,
    }
}

fn failures_text(c: &AdopterCheck) -> String {
    c.failures
        .iter()
        .map(|f| format!("{}（{}）", f.label(), f.article()))
        .collect::<Vec<_>>()
        .join("；")
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FailureView {
    pub code: String,
    pub article: String,
    pub label: String,
}

fn failure_views(c: &AdopterCheck) -> Vec<FailureView> {
    c.failures
        .iter()
        .map(|f: &Failure| FailureView {
            code: serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            article: f.article().into(),
            label: f.label().into(),
        })
        .collect()
}

/// The home assessment (收养评估, 民发〔2020〕144号): each item what was found, and the conclusion.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Assessment {
    pub assessed_on: NaiveDate,
    /// At least two assessors.
    pub assessors: Vec<String>,
    /// 收养动机
    pub motive: String,
    /// 道德品行
    pub character: String,
    /// 健康状况
    pub health: String,
    /// 经济及住房条件
    pub finances_housing: String,
    /// 婚姻家庭关系和共同生活家庭成员意见
    pub family: String,
    /// 抚育计划
    pub parenting_plan: String,
    /// 融合情况（收养人与被收养儿童）
    pub bonding: String,
    /// 适宜收养 (true) or 不适宜收养
    pub suitable: bool,
    /// The conclusion with its reasons (at least 4 characters).
    pub conclusion: String,
}

/// The items of the assessment, with their labels, in the report's order.
pub fn assessment_items(a: &Assessment) -> Vec<(&'static str, String)> {
    vec![
        ("收养动机", a.motive.clone()),
        ("道德品行", a.character.clone()),
        ("健康状况", a.health.clone()),
        ("经济及住房条件", a.finances_housing.clone()),
        ("婚姻家庭关系", a.family.clone()),
        ("抚育计划", a.parenting_plan.clone()),
        ("融合情况", a.bonding.clone()),
    ]
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct AdoptionRow {
    id: String,
    number: String,
    person_id: String,
    area_code: String,
    town_code: String,
    adopters_json: String,
    check_json: String,
    stage: String,
    filed_by: String,
    filed_on: NaiveDate,
    assessment_json: Option<String>,
    assessed_on: Option<NaiveDate>,
    assessed_by: Option<String>,
    suitable: Option<bool>,
    certificate: Option<String>,
    registered_on: Option<NaiveDate>,
    registered_by: Option<String>,
    refusal: Option<String>,
}

const ACOLS: &str = "a.id, a.number, a.person_id, a.area_code, a.town_code, a.adopters_json, a.check_json, a.stage, \
    a.filed_by, a.filed_on, a.assessment_json, a.assessed_on, a.assessed_by, a.suitable, a.certificate, \
    a.registered_on, a.registered_by, a.refusal";

#[derive(sqlx::FromRow)]
struct AdoptionWithChild {
    #[sqlx(flatten)]
    a: AdoptionRow,
    name: String,
    id_number: String,
    birth_date: NaiveDate,
    sex: String,
}

const AFROM: &str = "FROM adoptions a JOIN persons p ON p.id = a.person_id";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdopterView {
    /// Masked.
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub sex_label: String,
    pub age: u32,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdoptionView {
    pub id: String,
    /// 澄江收养-2026-0001
    pub number: String,
    pub person_id: String,
    /// The child, masked.
    pub name: String,
    pub id_number: String,
    pub child_age: u32,
    pub child_sex_label: String,
    pub village: String,
    pub town: String,
    pub adopters: Vec<AdopterView>,
    pub has_spouse: bool,
    pub children: u32,
    pub adopting: u32,
    /// An orphan, a disabled minor or a foundling (第1100条第二款).
    pub special_child: bool,
    /// The rule's answer at filing (and at registration once registered).
    pub eligible: bool,
    pub failures: Vec<FailureView>,
    /// filed, assessed, registered, refused
    pub stage: String,
    pub stage_label: String,
    pub filed_by: String,
    pub filed_on: NaiveDate,
    /// The assessment is due on (30 days from filing).
    pub assessment_due: NaiveDate,
    /// Not assessed and past due, or assessed after the due date.
    pub assessment_late: bool,
    pub assessment: Option<Assessment>,
    pub assessed_by: Option<String>,
    /// 收养登记证 number.
    pub certificate: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub registered_by: Option<String>,
    pub refusal: Option<String>,
}

pub fn adoption_stage_label(code: &str) -> &'static str {
    match code {
        "filed" => "已受理，待评估",
        "assessed" => "已评估，待登记",
        "registered" => "已登记",
        "refused" => "不予登记",
        _ => "",
    }
}

fn adoption_view(app: &App, r: AdoptionWithChild) -> AdoptionView {
    let areas = app.areas();
    let today = app.today();
    let a = r.a;
    let case: Option<StoredCase> = serde_json::from_str(&a.adopters_json).ok();
    let check: AdopterCheck = serde_json::from_str(&a.check_json).unwrap_or(AdopterCheck {
        eligible: false,
        failures: vec![],
    });
    let assessment: Option<Assessment> = a
        .assessment_json
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let due = a.filed_on + Duration::days(ASSESSMENT_DAYS);
    let late = match a.assessed_on {
        Some(d) => d > due,
        None => a.stage == "filed" && today > due,
    };
    AdoptionView {
        name: idnumber::mask_name(&r.name),
        id_number: idnumber::mask(&r.id_number),
        child_age: idnumber::age_on(r.birth_date, today),
        child_sex_label: Sex::from_code(&r.sex)
            .map(|s| s.label())
            .unwrap_or("")
            .into(),
        village: areas.name(&a.area_code),
        town: areas.name(&a.town_code),
        adopters: case
            .as_ref()
            .map(|c| {
                c.adopters
                    .iter()
                    .map(|x| AdopterView {
                        name: idnumber::mask_name(&x.name),
                        id_number: idnumber::mask(&x.id_number),
                        sex_label: Sex::from_code(&x.sex)
                            .map(|s| s.label())
                            .unwrap_or("")
                            .into(),
                        age: idnumber::age_on(x.birth_date, a.registered_on.unwrap_or(a.filed_on)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        has_spouse: case.as_ref().is_some_and(|c| c.has_spouse),
        children: case.as_ref().map(|c| c.children).unwrap_or(0),
        adopting: case.as_ref().map(|c| c.adopting).unwrap_or(1),
        special_child: case.as_ref().is_some_and(|c| c.special_child),
        eligible: check.eligible,
        failures: failure_views(&check),
        stage_label: adoption_stage_label(&a.stage).into(),
        assessment_due: due,
        assessment_late: late,
        assessment,
        id: a.id,
        number: a.number,
        person_id: a.person_id,
        stage: a.stage,
        filed_by: a.filed_by,
        filed_on: a.filed_on,
        assessed_by: a.assessed_by,
        certificate: a.certificate,
        registered_on: a.registered_on,
        registered_by: a.registered_by,
        refusal: a.refusal,
    }
}

/// Files an adoption: the adopters' conditions are checked by the rule first; a failing case is refused naming
/// every unmet article.
pub async fn file_adoption(app: &App, ctx: &Ctx, n: NewAdoption) -> AppResult<AdoptionView> {
    require_desk(ctx)?;
    let today = app.today();
    let filed_on = validate::date("filed_on", "受理日期", n.filed_on)?;
    if filed_on > today {
        return Err(AppError::invalid("filed_on", "受理日期不能晚于今天"));
    }
    if n.adopters.is_empty() || n.adopters.len() > 2 {
        return Err(AppError::invalid(
            "adopters",
            "收养人应为一人，或夫妻二人共同收养",
        ));
    }
    if n.adopters.len() == 2 && n.has_spouse {
        return Err(AppError::invalid(
            "has_spouse",
            "夫妻共同收养时不再填写“有配偶”，请只对单独收养的收养人填写",
        ));
    }
    let adopting = n.adopting.unwrap_or(1);
    if !(1..=2).contains(&adopting) {
        return Err(AppError::invalid("adopting", "本次收养人数应为1或2"));
    }
    if n.children > 20 {
        return Err(AppError::invalid("children", "现有子女数不合理"));
    }
    let mut adopters = vec![];
    for (i, a) in n.adopters.iter().enumerate() {
        let field = |f: &str| format!("adopters[{i}].{f}");
        let name = validate::name(&field("name"), "收养人姓名", &a.name, 1, 50)?;
        let idn = IdNumber::parse(a.id_number.trim(), today).map_err(|e| {
            AppError::invalid(&field("id_number"), format!("收养人身份证号码有误：{e}"))
        })?;
        adopters.push(StoredAdopter {
            name,
            id_number: idn.as_str().to_string(),
            sex: idn.sex().code().into(),
            birth_date: idn.birth_date(),
            able_to_raise: a.able_to_raise,
            disqualifying_illness: a.disqualifying_illness,
            harmful_record: a.harmful_record,
        });
    }
    if adopters.len() == 2 {
        if adopters[0].id_number == adopters[1].id_number {
            return Err(AppError::invalid(
                "adopters[1].id_number",
                "两位收养人的身份证号码相同",
            ));
        }
        if adopters[0].sex == adopters[1].sex {
            return Err(AppError::invalid(
                "adopters",
                "共同收养的应为夫妻二人（一男一女）",
            ));
        }
    }
    let phone: String = n
        .phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(7..=20).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("phone", "收养人联系电话应为7–20位数字"));
    }
    let address = validate::line("address", "收养人住址", &n.address, 4, 200)?;
    let mut tx = app.db.begin().await?;
    let p = child_in_scope(&mut tx, ctx, &n.person_id, filed_on).await?;
    if adopters.iter().any(|a| a.id_number == p.id_number) {
        return Err(AppError::invalid("adopters", "收养人不能是被收养儿童本人"));
    }
    // 第1100条第二款: an orphan on the register, a disabled minor in the registry, or a foundling
    let orphan: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM child_registrations WHERE person_id = $1 AND category = 'orphan' AND status = 'active'",
            args![&p.id],
        )
        .await?;
    let special_child = orphan > 0 || p.disability_grade.is_some() || n.foundling;
    let case = StoredCase {
        adopters,
        has_spouse: n.has_spouse,
        children: n.children,
        adopting,
        special_child,
        phone,
        address,
    };
    let child_sex = Sex::from_code(&p.sex).unwrap_or(Sex::Male);
    let check = adoption::check(&rule_case(&case, filed_on, p.birth_date, child_sex));
    if !check.eligible {
        return Err(AppError::invalid(
            "adopters",
            format!("收养人不符合收养条件：{}", failures_text(&check)),
        ));
    }
    let live: Option<(String,)> = tx
        .fetch_optional(
            "SELECT number FROM adoptions WHERE person_id = $1 AND stage IN ('filed', 'assessed', 'registered')",
            args![&p.id],
        )
        .await?;
    if let Some((num,)) = live {
        return Err(AppError::conflict(
            "person_id",
            format!("此儿童已有收养登记（{num}），不能重复受理"),
        ));
    }
    let town = app.areas().name(&p.town_code);
    let prefix = format!(
        "{}收养-{}-",
        crate::util::town_short(&town),
        filed_on.year()
    );
    let seq = next_number(&mut tx, "adoptions", "number", &prefix).await?;
    let id = new_id();
    let number = format!("{prefix}{seq:04}");
    let case_json = serde_json::to_string(&case).map_err(|e| AppError::Internal(e.into()))?;
    let check_json = serde_json::to_string(&check).map_err(|e| AppError::Internal(e.into()))?;
    tx.execute(
        "INSERT INTO adoptions (id, number, person_id, area_code, town_code, adopters_json, check_json, stage, filed_by, \
         filed_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed', $8, $9, $10)",
        args![
            &id,
            &number,
            &p.id,
            &p.area_code,
            &p.town_code,
            &case_json,
            &check_json,
            &ctx.actor.display_name,
            filed_on,
            now()
        ],
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict("person_id", "此儿童已有收养登记，不能重复受理")
        } else {
            e.into()
        }
    })?;
    // the history and the audit keep the adopters masked: the full record is on the row
    let after = json!({"number": number, "filed_on": filed_on, "adopters": case.adopters.len(),
                       "special_child": special_child, "check": check});
    history(
        &mut tx,
        ctx,
        "adoption",
        &id,
        "file",
        None,
        Some(after.clone()),
        "",
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.adoption_file", "adoption", &id)
            .area(&p.area_code)
            .after(after),
    )
    .await?;
    tx.commit().await?;
    adoption_get(app, ctx, &id).await
}

async fn lock_adoption(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<AdoptionRow> {
    let l = tx.for_update();
    tx.fetch_optional::<AdoptionRow>(
        &format!("SELECT {ACOLS} FROM adoptions a WHERE a.id = $1{l}"),
        args![id],
    )
    .await?
    .filter(|a| ctx.actor.in_scope(&a.area_code))
    .ok_or_else(|| AppError::NotFound("收养登记".into()))
}

/// Records the home assessment of a filed adoption (the town or the city).
pub async fn assess(app: &App, ctx: &Ctx, id: &str, a: Assessment) -> AppResult<AdoptionView> {
    require_desk(ctx)?;
    let assessed_on = validate::date("assessed_on", "评估日期", a.assessed_on)?;
    if assessed_on > app.today() {
        return Err(AppError::invalid("assessed_on", "评估日期不能晚于今天"));
    }
    let assessors: Vec<String> = a
        .assessors
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if assessors.len() < 2 {
        return Err(AppError::invalid(
            "assessors",
            "收养评估应有两名以上评估人员",
        ));
    }
    for (i, s) in assessors.iter().enumerate() {
        validate::name(&format!("assessors[{i}]"), "评估人员姓名", s, 1, 50)?;
    }
    let t = |f: &str, l: &str, v: &str| validate::text(f, l, v, 2, 1000);
    let checked = Assessment {
        assessed_on,
        assessors,
        motive: t("motive", "收养动机", &a.motive)?,
        character: t("character", "道德品行", &a.character)?,
        health: t("health", "健康状况", &a.health)?,
        finances_housing: t("finances_housing", "经济及住房条件", &a.finances_housing)?,
        family: t("family", "婚姻家庭关系", &a.family)?,
        parenting_plan: t("parenting_plan", "抚育计划", &a.parenting_plan)?,
        bonding: t("bonding", "融合情况", &a.bonding)?,
        suitable: a.suitable,
        conclusion: validate::text("conclusion", "评估结论", &a.conclusion, 4, 1000)?,
    };
    let mut tx = app.db.begin().await?;
    let r = lock_adoption(&mut tx, ctx, id).await?;
    if r.stage != "filed" {
        return Err(AppError::conflict(
            "stage",
            format!("该收养登记{}，不能再评估", adoption_stage_label(&r.stage)),
        ));
    }
    if assessed_on < r.filed_on {
        return Err(AppError::invalid("assessed_on", "评估日期不能早于受理日期"));
    }
    let json = serde_json::to_string(&checked).map_err(|e| AppError::Internal(e.into()))?;
    tx.execute(
        "UPDATE adoptions SET stage = 'assessed', assessment_json = $2, assessed_on = $3, assessed_by = $4, suitable = $5 \
         WHERE id = $1",
        args![id, &json, assessed_on, &ctx.actor.display_name, checked.suitable],
    )
    .await?;
    let after =
        json!({"stage": "assessed", "assessed_on": assessed_on, "suitable": checked.suitable});
    history(
        &mut tx,
        ctx,
        "adoption",
        id,
        "assess",
        Some(json!({"stage": r.stage})),
        Some(after.clone()),
        &checked.conclusion,
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.adoption_assess", "adoption", id)
            .area(&r.area_code)
            .after(after),
    )
    .await?;
    tx.commit().await?;
    adoption_get(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RegisterAdoption {
    pub registered_on: NaiveDate,
}

/// Registers an adoption assessed suitable (the city's 儿童福利科): the rule is checked again on the registration
/// date, the certificate number is given, and the child's state guardianship and 孤儿 / 事实无人抚养儿童 entries end.
pub async fn register_adoption(
    app: &App,
    ctx: &Ctx,
    id: &str,
    d: RegisterAdoption,
) -> AppResult<AdoptionView> {
    require_bureau(ctx)?;
    let on = validate::date("registered_on", "登记日期", d.registered_on)?;
    if on > app.today() {
        return Err(AppError::invalid("registered_on", "登记日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let r = lock_adoption(&mut tx, ctx, id).await?;
    if r.stage != "assessed" {
        return Err(AppError::conflict(
            "stage",
            format!("该收养登记{}，不能登记", adoption_stage_label(&r.stage)),
        ));
    }
    if r.suitable != Some(true) {
        return Err(AppError::invalid(
            "stage",
            "收养评估结论为不适宜收养，不能登记（请作不予登记处理）",
        ));
    }
    if on < r.assessed_on.unwrap_or(r.filed_on) {
        return Err(AppError::invalid(
            "registered_on",
            "登记日期不能早于评估日期",
        ));
    }
    let case: StoredCase =
        serde_json::from_str(&r.adopters_json).map_err(|e| AppError::Internal(e.into()))?;
    let p = child_in_scope(&mut tx, ctx, &r.person_id, on).await?;
    let check = adoption::check(&rule_case(
        &case,
        on,
        p.birth_date,
        Sex::from_code(&p.sex).unwrap_or(Sex::Male),
    ));
    if !check.eligible {
        return Err(AppError::invalid(
            "adopters",
            format!("登记日收养人不符合收养条件：{}", failures_text(&check)),
        ));
    }
    let areas = app.areas();
    let city = areas.name(&areas.city_code);
    let prefix = format!("{}收字〔{}〕第", city.trim_end_matches('市'), on.year());
    let seq = next_number(&mut tx, "adoptions", "certificate", &prefix).await?;
    let certificate = format!("{prefix}{seq:04}号");
    let check_json = serde_json::to_string(&check).map_err(|e| AppError::Internal(e.into()))?;
    tx.execute(
        "UPDATE adoptions SET stage = 'registered', certificate = $2, registered_on = $3, registered_by = $4, \
         check_json = $5 WHERE id = $1",
        args![id, &certificate, on, &ctx.actor.display_name, &check_json],
    )
    .await?;
    let after = json!({"stage": "registered", "certificate": certificate, "registered_on": on});
    history(
        &mut tx,
        ctx,
        "adoption",
        id,
        "register",
        Some(json!({"stage": r.stage})),
        Some(after.clone()),
        "",
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.adoption_register", "adoption", id)
            .area(&r.area_code)
            .after(after),
    )
    .await?;
    // the adopted child has parents again: state guardianship and the orphan entries end with this step
    let lock = tx.for_update();
    let guards: Vec<GuardRow> = tx
        .fetch_all(
            &format!(
                "SELECT {GCOLS} FROM child_guardianships g WHERE g.person_id = $1 AND g.status = 'active'{lock}"
            ),
            args![&r.person_id],
        )
        .await?;
    for g in &guards {
        end_guard_tx(&mut tx, ctx, g, on.max(g.start_on), "被依法收养").await?;
    }
    let regs: Vec<super::RegRow> = tx
        .fetch_all(
            &format!(
                "SELECT {} FROM child_registrations WHERE person_id = $1 AND status = 'active' \
                 AND category IN ('orphan', 'de_facto_unsupported'){lock}",
                super::COLS
            ),
            args![&r.person_id],
        )
        .await?;
    for g in &regs {
        super::end_tx(&mut tx, ctx, g, on.max(g.start_on), "被依法收养", "end").await?;
    }
    // and the basic living allowance stops from the next month
    super::allowances::stop_live_tx(
        &mut tx,
        ctx,
        &r.person_id,
        &minzheng_domain::disability::first_month(on),
        "被依法收养，自次月起停发",
    )
    .await?;
    tx.commit().await?;
    adoption_get(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RefuseAdoption {
    /// At least 4 characters.
    pub reason: String,
}

/// Refuses an adoption not yet registered (the city's 儿童福利科), with the reason.
pub async fn refuse_adoption(
    app: &App,
    ctx: &Ctx,
    id: &str,
    d: RefuseAdoption,
) -> AppResult<AdoptionView> {
    require_bureau(ctx)?;
    let reason = validate::text("reason", "不予登记理由", &d.reason, 4, 1000)?;
    let mut tx = app.db.begin().await?;
    let r = lock_adoption(&mut tx, ctx, id).await?;
    if !matches!(r.stage.as_str(), "filed" | "assessed") {
        return Err(AppError::conflict(
            "stage",
            format!("该收养登记{}", adoption_stage_label(&r.stage)),
        ));
    }
    tx.execute(
        "UPDATE adoptions SET stage = 'refused', refusal = $2 WHERE id = $1",
        args![id, &reason],
    )
    .await?;
    history(
        &mut tx,
        ctx,
        "adoption",
        id,
        "refuse",
        Some(json!({"stage": r.stage})),
        Some(json!({"stage": "refused"})),
        &reason,
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.adoption_refuse", "adoption", id)
            .area(&r.area_code)
            .before(json!({"stage": r.stage}))
            .after(json!({"stage": "refused", "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    adoption_get(app, ctx, id).await
}

pub async fn adoption_get(app: &App, ctx: &Ctx, id: &str) -> AppResult<AdoptionView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: AdoptionWithChild = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {ACOLS}, p.name, p.id_number, p.birth_date, p.sex {AFROM} WHERE a.id = $1"
            ),
            args![id],
        )
        .await?
        .filter(|r: &AdoptionWithChild| ctx.actor.in_scope(&r.a.area_code))
        .ok_or_else(|| AppError::NotFound("收养登记".into()))?;
    Ok(adoption_view(app, r))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdoptionDetail {
    pub adoption: AdoptionView,
    pub history: Vec<StepView>,
}

pub async fn adoption_detail(app: &App, ctx: &Ctx, id: &str) -> AppResult<AdoptionDetail> {
    let adoption = adoption_get(app, ctx, id).await?;
    Ok(AdoptionDetail {
        history: steps(app, id).await?,
        adoption,
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdoptionList {
    pub total: i64,
    /// Filed and not assessed past the 30 days.
    pub late: i64,
    /// The latest 200.
    pub items: Vec<AdoptionView>,
}

pub async fn adoptions(app: &App, ctx: &Ctx, q: &ProtectionQuery) -> AppResult<AdoptionList> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("a.area_code", "a.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut sql = format!("{AFROM} WHERE {cond}");
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND a.stage = ${}", args.len()));
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let mut late_args = args.clone();
    late_args.push((app.today() - Duration::days(ASSESSMENT_DAYS)).into());
    let late: i64 = app
        .db
        .conn()
        .scalar(
            &format!(
                "SELECT COUNT(*) {sql} AND a.stage = 'filed' AND a.filed_on < ${}",
                late_args.len()
            ),
            late_args,
        )
        .await?;
    let rows: Vec<AdoptionWithChild> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {ACOLS}, p.name, p.id_number, p.birth_date, p.sex {sql} \
                 ORDER BY a.filed_on DESC, a.id DESC LIMIT 200"
            ),
            args,
        )
        .await?;
    Ok(AdoptionList {
        total,
        late,
        items: rows.into_iter().map(|r| adoption_view(app, r)).collect(),
    })
}
