//! Cases: assistance in payment, with members and amounts; stopping a case with a reason.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::listing::{Cell, Choice, ListParams, ListSpec, Page, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, now};
use minzheng_domain::assistance::RuleSet;
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
    /// The application's 编号 (澄江-2020-0001), the case's human number.
    pub number: String,
}

const COLS: &str = "id, application_id, category, household_id, area_code, town_code, status, monthly_amount, start_month, end_month, stop_reason, \
                    (SELECT a.number FROM applications a WHERE a.id = cases.application_id) AS number";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseMember {
    pub person_id: String,
    pub name: String,
    pub id_number_masked: String,
    /// The member's latest capability assessment (GB/T 42195-2022), on a tekun case's own page and API (not in
    /// lists): level name, date and the next one due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CaseItem {
    pub id: String,
    /// The application's 编号, the case's human number.
    pub number: String,
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

/// The cases list: searched by any member, filtered by category, status and area (in payment by default).
pub fn list_spec() -> ListSpec {
    ListSpec {
        title: "救助对象",
        from: "cases JOIN applications aa ON aa.id = cases.application_id JOIN persons ap ON ap.id = aa.applicant_id",
        area: ("cases.area_code", "cases.town_code"),
        person: "EXISTS (SELECT 1 FROM case_members m JOIN persons p ON p.id = m.person_id WHERE m.case_id = cases.id AND {})",
        categories: super::applications::CATEGORIES
            .iter()
            .map(|(c, l)| Choice::eq("cases.category", c, l))
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|(c, l)| Choice::eq("cases.status", c, l))
            .collect(),
        default_status: Some("active"),
        date: None,
        sorts: vec![
            SortKey {
                key: "number",
                label: "编号",
                sql: "aa.number",
            },
            SortKey {
                key: "name",
                label: "申请人",
                sql: "ap.name",
            },
            SortKey {
                key: "category",
                label: "类别",
                sql: "cases.category",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "cases.area_code",
            },
            SortKey {
                key: "amount",
                label: "月救助金（元）",
                sql: "cases.monthly_amount",
            },
            SortKey {
                key: "start",
                label: "起始月份",
                sql: "cases.start_month",
            },
        ],
        default_sort: ("area", false),
        tiebreak: "cases.id",
    }
}

const LIST_COLS: &str = "cases.id, cases.application_id, cases.category, cases.household_id, cases.area_code, cases.town_code, \
                         cases.status, cases.monthly_amount, cases.start_month, cases.end_month, cases.stop_reason, aa.number AS number";

pub const STATUSES: [(&str, &str); 3] = [
    ("active", "在保"),
    ("phasing_out", "渐退"),
    ("stopped", "已停保"),
];

pub fn status_label(code: &str) -> &'static str {
    STATUSES.iter().find(|s| s.0 == code).map_or("", |s| s.1)
}

pub async fn list(app: &App, ctx: &Ctx, p: &ListParams) -> AppResult<Page<CaseItem>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let page: Page<CaseRow> = list_spec()
        .query(app, ctx, p)?
        .page(app, LIST_COLS, p.page_no())
        .await?;
    let items = with_members(app, page.items).await?;
    Ok(Page {
        items,
        total: page.total,
        page: page.page,
        pages: page.pages,
    })
}

/// The filtered cases as a worksheet, one row per case with its applicant (audited).
pub async fn export(app: &App, ctx: &Ctx, p: &ListParams) -> AppResult<Sheet> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let spec = list_spec();
    #[derive(sqlx::FromRow)]
    struct CaseExport {
        #[sqlx(flatten)]
        c: CaseRow,
        name: String,
        id_number: String,
        members: i64,
    }
    let rows: Vec<CaseExport> = spec
        .query(app, ctx, p)?
        .all(
            app,
            &format!(
                "{LIST_COLS}, ap.name, ap.id_number, \
                 (SELECT COUNT(*) FROM case_members m WHERE m.case_id = cases.id) AS members"
            ),
        )
        .await?;
    crate::app::listing::export_audit(app, ctx, &spec, p, rows.len()).await?;
    let full = p.wants_full();
    let areas = app.areas();
    let mut sheet = Sheet::new(
        spec.title,
        &[
            "编号",
            "申请人",
            "身份证号码",
            "家庭人数",
            "类别",
            "所在地",
            "状态",
            "月救助金（元）",
            "起始月份",
            "终止月份",
            "停保原因",
        ],
    );
    for r in rows {
        sheet.rows.push(vec![
            r.c.number.into(),
            r.name.into(),
            id_cell(full, &r.id_number),
            Cell::Int(r.members),
            super::applications::category_label(&r.c.category).into(),
            areas.full_name(&r.c.area_code).into(),
            status_label(&r.c.status).into(),
            Cell::Yuan(r.c.monthly_amount),
            r.c.start_month.into(),
            r.c.end_month.into(),
            r.c.stop_reason.into(),
        ]);
    }
    Ok(sheet)
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
                    capability: None,
                })
                .collect(),
            category_label: super::applications::category_label(&r.category).into(),
            area_name: areas.full_name(&r.area_code),
            monthly_amount: Fen(r.monthly_amount).to_string(),
            id: r.id,
            number: r.number,
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
            let mut c = with_members(app, vec![r]).await?.remove(0);
            if c.category == "tekun" {
                with_capability(app, &mut c).await?;
            }
            Ok(c)
        }
        _ => Err(AppError::NotFound("救助对象".into())),
    }
}

/// The elderly line's latest assessment of each member of a tekun case (its care level decides the care part of
/// the tekun amount), one query for the case.
async fn with_capability(app: &App, c: &mut CaseItem) -> AppResult<()> {
    let rows: Vec<(String, String, chrono::NaiveDate, chrono::NaiveDate)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT a.person_id, a.level_name, a.assessed_on, a.next_due_on FROM capability_assessments a \
             JOIN case_members cm ON cm.person_id = a.person_id WHERE cm.case_id = $1 \
             ORDER BY a.assessed_on DESC, a.created_at DESC",
            args![&c.id],
        )
        .await?;
    for m in &mut c.members {
        // newest first: the first row of the member is its latest
        m.capability = rows
            .iter()
            .find(|r| r.0 == m.person_id)
            .map(|(_, level, on, due)| format!("{level}（{on} 评估，下次评估 {due} 前）"));
    }
    Ok(())
}

/// Stops a case from a month on, with the reason; the household is notified by a printable letter.
pub async fn stop(app: &App, ctx: &Ctx, id: &str, from_month: &str, reason: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    stop_in(app, ctx, &mut tx, id, from_month, reason).await?;
    tx.commit().await?;
    Ok(())
}

/// As [`stop`], inside the caller's transaction.
pub async fn stop_in(
    app: &App,
    ctx: &Ctx,
    tx: &mut crate::storage::Tx,
    id: &str,
    from_month: &str,
    reason: &str,
) -> AppResult<()> {
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
    let reason = &crate::app::validate::text(
        "reason",
        "停保理由",
        reason,
        4,
        crate::app::validate::TEXT_MAX,
    )?;
    let lock = tx.for_update();
    let row: Option<CaseRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM cases WHERE id = $1{lock}"),
            args![id],
        )
        .await?;
    let r = match row {
        Some(r) if ctx.actor.in_scope(&r.area_code) => r,
        _ => return Err(AppError::NotFound("救助对象".into())),
    };
    if r.status == "stopped" {
        return Err(AppError::conflict("id", "该救助已停止"));
    }
    // a 渐退 case already ends on its end month; stopping it earlier is allowed, later is meaningless
    if r.status == "phasing_out"
        && let Some(end) = r.end_month.as_deref()
        && from_month >= end
    {
        return Err(AppError::invalid(
            "from_month",
            format!("该户渐退期将于 {end} 起停发，停发月份须早于此"),
        ));
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
    // the household is told in writing, like every other change
    let name: (String,) = tx
        .fetch_one("SELECT p.name FROM applications a JOIN persons p ON p.id = a.applicant_id WHERE a.id = $1", args![&r.application_id])
        .await?;
    // a stop is a decision of its day, under the rules in force then (DOMAIN §4.11)
    let letter = letter_text(
        &name.0,
        &r.category,
        "停保",
        reason.trim(),
        "stop",
        Fen(r.monthly_amount),
        Fen(0),
        from_month,
        None,
        RuleSet::in_force(app.today()),
    );
    tx.execute(
        "INSERT INTO case_changes (id, case_id, kind, on_date, effective_month, old_amount, new_amount, outcome, household_json, note, letter, created_by, created_at) \
         VALUES ($1, $2, 'stop', $3, $4, $5, 0, 'stop', '{}', $6, $7, $8, $9)",
        args![crate::storage::new_id(), id, app.today(), from_month, r.monthly_amount, reason.trim(), letter, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(tx, ctx, Event::new("case.stop", "case", id).area(&r.area_code).before(serde_json::json!({"status": r.status})).after(serde_json::json!({"status": "stopped", "end_month": from_month, "reason": reason.trim(), "at": now()}))).await?;
    Ok(())
}

/// Something that happened in an assisted household, or a scheduled review.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CaseEvent {
    /// death, moved_away, employment, birth or review
    pub kind: String,
    /// The member concerned (for birth: the newborn, registered in the household first).
    pub person_id: Option<String>,
    /// When it happened (default today).
    pub on: Option<chrono::NaiveDate>,
    /// employment: the new monthly wage in yuan.
    pub monthly_wage: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeRow {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub on_date: chrono::NaiveDate,
    pub effective_month: String,
    pub old_amount: i64,
    pub new_amount: i64,
    /// continue, adjust, phase_out (渐退) or stop
    pub outcome: String,
    pub note: String,
    pub letter: String,
    pub created_by: String,
}

const CHANGE_COLS: &str = "id, case_id, kind, on_date, effective_month, old_amount, new_amount, outcome, note, letter, created_by";

#[derive(sqlx::FromRow)]
struct CaseFull {
    id: String,
    category: String,
    area_code: String,
    status: String,
    monthly_amount: i64,
    household_json: Option<String>,
    review_due_on: Option<chrono::NaiveDate>,
    end_month: Option<String>,
    app_household: String,
    applicant_name: String,
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "death" => "家庭成员死亡",
        "moved_away" => "家庭成员迁出",
        "employment" => "家庭成员就业",
        "birth" => "家庭新增人口",
        "review" => "定期复核",
        "age_change" => AGE_CHANGE,
        "standard_change" => STANDARD_CHANGE,
        "reassess" => "年龄变化（分类施保）及救助标准调整",
        _ => "变更",
    }
}

/// Re-assesses a case after an event, from the next month: a new amount, 渐退 (up to 6 more months at the last
/// amount when new work lifts the income), or a stop. Every change is written with a letter to the household.
pub async fn record_event(
    app: &App,
    ctx: &Ctx,
    case_id: &str,
    ev: CaseEvent,
) -> AppResult<ChangeRow> {
    let mut tx = app.db.begin().await?;
    let out = record_event_in(app, ctx, &mut tx, case_id, ev).await?;
    tx.commit().await?;
    Ok(out)
}

/// As [`record_event`], inside the caller's transaction.
pub async fn record_event_in(
    app: &App,
    ctx: &Ctx,
    tx: &mut crate::storage::Tx,
    case_id: &str,
    ev: CaseEvent,
) -> AppResult<ChangeRow> {
    use super::applications::{month_after, month_start};
    use minzheng_domain::assistance::{Category, evaluate, reviews, validate};
    use serde_json::{Value, json};
    ctx.actor.require(Permission::HandleApplications)?;
    if !matches!(ctx.actor.role, Role::TownOfficer | Role::CityOfficer) {
        return Err(AppError::Forbidden(
            "救助对象变更由镇(街道)或市局办理".into(),
        ));
    }
    if !matches!(
        ev.kind.as_str(),
        "death" | "moved_away" | "employment" | "birth" | "review"
    ) {
        return Err(AppError::invalid(
            "kind",
            "变更类型应为 death、moved_away、employment、birth 或 review",
        ));
    }
    let today = app.today();
    let on = crate::app::validate::date("on", "日期", ev.on.unwrap_or(today))?;
    if on > today {
        return Err(AppError::invalid("on", "日期不能晚于今天"));
    }
    let mut ev = ev;
    ev.note =
        crate::app::validate::text("note", "说明", &ev.note, 0, crate::app::validate::TEXT_MAX)?;
    let c: Option<CaseFull> = tx
        .fetch_optional(
            &format!("SELECT c.id, c.category, c.area_code, c.status, c.monthly_amount, c.household_json, c.review_due_on, c.end_month, a.household_json AS app_household, p.name AS applicant_name \
             FROM cases c JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.applicant_id WHERE c.id = $1{}", tx.for_update()),
            args![case_id],
        )
        .await?;
    let c = match c {
        Some(c) if ctx.actor.in_scope(&c.area_code) => c,
        _ => return Err(AppError::NotFound("救助对象".into())),
    };
    // a 渐退 case is still a case (DOMAIN §4.12): deaths, moves, reviews reach it
    if c.status == "stopped" {
        return Err(AppError::conflict("id", "该救助已停止，不能再登记变化"));
    }
    let mut hh: Value =
        serde_json::from_str(c.household_json.as_deref().unwrap_or(&c.app_household))
            .map_err(|e| AppError::Internal(e.into()))?;
    let person = match ev.person_id.as_deref().filter(|p| !p.is_empty()) {
        Some(pid) => crate::storage::persons::get_tx(tx, pid).await?,
        None => None,
    };
    let members = hh["members"].as_array().cloned().unwrap_or_default();
    let pos = person.as_ref().and_then(|p| {
        members
            .iter()
            .position(|m| m["id_number"] == p.id_number.as_str())
    });
    let mut note = ev.note.trim().to_string();
    match ev.kind.as_str() {
        "death" | "moved_away" => {
            let (Some(p), Some(i)) = (person.as_ref(), pos) else {
                return Err(AppError::invalid("person_id", "请选择该户的救助家庭成员"));
            };
            let list = hh["members"].as_array_mut().expect("members");
            list.remove(i);
            // the household needs a head: the next member takes the place of one who died or left
            if !list.iter().any(|m| m["relation"] == "self")
                && let Some(first) = list.first_mut()
            {
                first["relation"] = json!("self");
            }
            let mut updated = p.clone();
            updated.status = if ev.kind == "death" {
                "deceased".into()
            } else {
                "moved_away".into()
            };
            updated.updated_at = now();
            crate::storage::persons::update_person(tx, &updated).await?;
            note = format!("{}：{} {}", event_label(&ev.kind), p.name, note)
                .trim()
                .to_string();
        }
        "employment" => {
            let (Some(p), Some(i)) = (person.as_ref(), pos) else {
                return Err(AppError::invalid("person_id", "请选择该户的救助家庭成员"));
            };
            let wage = Fen::parse_yuan(ev.monthly_wage.as_deref().unwrap_or(""))
                .map_err(|e| AppError::invalid("monthly_wage", format!("月工资：{e}")))?;
            hh["members"][i]["employed"] = json!(true);
            hh["members"][i]["monthly_income"]["wage"] = json!(wage.to_string());
            note = format!(
                "{}：{}，月工资 {} 元 {}",
                event_label("employment"),
                p.name,
                wage,
                note
            )
            .trim()
            .to_string();
        }
        "birth" => {
            let Some(p) = person.as_ref() else {
                return Err(AppError::invalid(
                    "person_id",
                    "请先在居民信息库登记新生儿，再选择",
                ));
            };
            if pos.is_some() {
                return Err(AppError::invalid("person_id", "该成员已在救助家庭中"));
            }
            hh["members"].as_array_mut().expect("members").push(json!({
                "id_number": p.id_number, "relation": "child", "status": "normal", "employed": false, "disability": null,
                "serious_illness": false, "self_care_unmet": 0, "has_capable_supporter": true, "public_payroll": false,
                "monthly_income": {"wage": "0", "business": "0", "property": "0", "transfer": "0", "basic_pension": "0", "excluded": "0"}
            }));
            note = format!("{}：{} {}", event_label("birth"), p.name, note)
                .trim()
                .to_string();
        }
        _ => {
            note = if note.is_empty() {
                "定期复核：重新核对并按现行标准核定".into()
            } else {
                note
            }
        }
    }
    let effective = month_after(on);
    let s = super::standards::in_force(app, month_start(&effective).expect("month"))
        .await?
        .ok_or_else(|| AppError::invalid("on", "没有生效的救助标准"))?;
    let old = Fen(c.monthly_amount);
    let cat = Category::from_code(&c.category)
        .ok_or_else(|| AppError::invalid("category", "类别无效"))?;
    let grant = if hh["members"].as_array().is_some_and(|m| !m.is_empty()) {
        let areas = app.areas();
        let req = validate(&json!({"as_of": on, "household": hh}), today, |code| {
            areas.get(code).is_some()
        })
        .map_err(|e| AppError::invalid(&e.field, e.message))?;
        let months = reviews::review_months(
            &c.category,
            &req.household,
            on,
            areas.name(&c.area_code).contains("社区"),
        );
        Some((
            evaluate(&req.household, on, &s)
                .grant(cat)
                .map(|g| g.monthly_amount),
            months,
        ))
    } else {
        None
    };
    let (outcome, new_amount, status, end_month, months) = match grant {
        Some((Some(a), months)) => (
            if a == old { "continue" } else { "adjust" },
            a,
            "active",
            None,
            Some(months),
        ),
        // already in 渐退 and still above the line: the phase-out runs on to its end, never restarted
        Some((None, months)) if c.status == "phasing_out" => (
            "phase_out",
            old,
            "phasing_out",
            c.end_month.clone(),
            Some(months),
        ),
        Some((None, months))
            if ev.kind == "employment"
                && matches!(cat, Category::Dibao | Category::DibaoSingle) =>
        {
            let mut end = effective.clone();
            for _ in 0..6 {
                end = month_after(month_start(&end).expect("month"));
            }
            ("phase_out", old, "phasing_out", Some(end), Some(months))
        }
        _ => ("stop", Fen(0), "stopped", Some(effective.clone()), None),
    };
    let stop_reason = (outcome == "stop").then(|| note.clone());
    let review_due = match (ev.kind.as_str(), months) {
        ("review", Some(m)) => Some(reviews::add_months(on, m)),
        ("death", _) => {
            let forced = reviews::add_months(on, reviews::REVIEW_AFTER_DEATH_MONTHS);
            Some(c.review_due_on.map_or(forced, |d| d.min(forced)))
        }
        _ => c.review_due_on,
    };
    // `evaluate` judged it under the rules in force on the event's date
    let letter = letter_text(
        &c.applicant_name,
        &c.category,
        event_label(&ev.kind),
        &note,
        outcome,
        old,
        new_amount,
        &effective,
        end_month.as_deref(),
        RuleSet::in_force(on),
    );
    tx.execute(
        "UPDATE cases SET monthly_amount = $2, household_json = $3, status = $4, end_month = COALESCE($5, end_month), stop_reason = COALESCE($6, stop_reason), \
         review_due_on = $7, last_reviewed_on = CASE WHEN $8 THEN $9 ELSE last_reviewed_on END, review_months = COALESCE($10, review_months) WHERE id = $1",
        args![&c.id, new_amount.0, hh.to_string(), status, end_month.clone(), stop_reason, review_due, ev.kind == "review", on, months.map(i64::from)],
    )
    .await?;
    let change = ChangeRow {
        id: crate::storage::new_id(),
        case_id: c.id.clone(),
        kind: ev.kind.clone(),
        on_date: on,
        effective_month: effective,
        old_amount: old.0,
        new_amount: new_amount.0,
        outcome: outcome.into(),
        note,
        letter,
        created_by: ctx.actor.display_name.clone(),
    };
    tx.execute(
        "INSERT INTO case_changes (id, case_id, kind, on_date, effective_month, old_amount, new_amount, outcome, household_json, note, letter, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![&change.id, &change.case_id, &change.kind, change.on_date, &change.effective_month, change.old_amount, change.new_amount, &change.outcome, hh.to_string(), &change.note, &change.letter, &change.created_by, now()],
    )
    .await?;
    audit::record(
        tx,
        ctx,
        Event::new("case.change", "case", &c.id).area(&c.area_code).before(serde_json::json!({"status": c.status, "monthly_amount": old.to_string()})).after(serde_json::json!({"kind": change.kind, "outcome": outcome, "status": status, "monthly_amount": new_amount.to_string(), "effective_month": change.effective_month})),
    )
    .await?;
    Ok(change)
}

pub const AGE_CHANGE: &str = "年龄变化（分类施保）";
pub const STANDARD_CHANGE: &str = "救助标准调整";

/// An amount the monthly roll found changed under the month's standard (a member turned 18 or 70, a new standard).
#[derive(Debug, Clone)]
pub struct AmountChange {
    pub case_id: String,
    pub area_code: String,
    pub category: String,
    pub applicant_name: String,
    /// age_change, standard_change or reassess (both)
    pub kind: &'static str,
    pub note: String,
    pub old: Fen,
    pub new: Fen,
    pub household_json: String,
}

/// Records the roll's amount changes as decisions (DOMAIN §4.11): each a change of its case with its reason and
/// letter, the case's amount updated and audited, inside the roll's transaction. Written in batches: a new
/// standard changes every case at once.
pub(crate) async fn record_amount_changes(
    tx: &mut crate::storage::Tx,
    ctx: &Ctx,
    on: chrono::NaiveDate,
    month: &str,
    changes: &[AmountChange],
) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let at = now();
    let rules = decision_rules(tx, changes).await?;
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(changes.len());
    let mut events = Vec::with_capacity(changes.len());
    for c in changes {
        let label = event_label(c.kind);
        let letter = letter_text(
            &c.applicant_name,
            &c.category,
            label,
            &c.note,
            "adjust",
            c.old,
            c.new,
            month,
            None,
            rules
                .get(c.case_id.as_str())
                .copied()
                .unwrap_or(RuleSet::Y2012),
        );
        rows.push(args![
            crate::storage::new_id(),
            &c.case_id,
            c.kind,
            on,
            month,
            c.old.0,
            c.new.0,
            "adjust",
            &c.household_json,
            &c.note,
            letter,
            &ctx.actor.display_name,
            at
        ]);
        events.push(
            Event::new("case.change", "case", &c.case_id)
                .area(&c.area_code)
                .before(serde_json::json!({"monthly_amount": c.old.to_string()}))
                .after(serde_json::json!({"kind": c.kind, "outcome": "adjust", "monthly_amount": c.new.to_string(), "effective_month": month, "reason": c.note, "by": "payments.generate"})),
        );
    }
    tx.insert_many(
        "case_changes",
        "id, case_id, kind, on_date, effective_month, old_amount, new_amount, outcome, household_json, note, letter, created_by, created_at",
        rows,
    )
    .await?;
    // one UPDATE per 500 cases: CASE id WHEN … THEN … (the same placeholders serve the IN list)
    for chunk in changes.chunks(500) {
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 2);
        let mut whens = String::new();
        let mut ids = Vec::with_capacity(chunk.len());
        for (i, c) in chunk.iter().enumerate() {
            whens.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
            ids.push(format!("${}", 2 * i + 1));
            args.push(Arg::from(c.case_id.as_str()));
            args.push(Arg::from(c.new.0));
        }
        tx.execute(
            &format!(
                "UPDATE cases SET monthly_amount = CASE id{whens} END WHERE id IN ({})",
                ids.join(", ")
            ),
            args,
        )
        .await?;
    }
    audit::record_many(tx, ctx, events).await
}

/// The rule set each changed case's decision named, as the roll re-assessed it (`payments::generate` reads
/// `rules.code` of the snapshot, 2012 when there is none): one statement per 1000 cases, matching the compact
/// snapshot text instead of parsing every snapshot again.
async fn decision_rules(
    tx: &mut crate::storage::Tx,
    changes: &[AmountChange],
) -> AppResult<std::collections::HashMap<String, RuleSet>> {
    let pattern = format!("%\"rules\":{{\"code\":\"{}\"%", RuleSet::Y2021.code());
    let mut out = std::collections::HashMap::with_capacity(changes.len());
    for chunk in changes.chunks(1000) {
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() + 1);
        args.push(Arg::from(pattern.as_str()));
        args.extend(chunk.iter().map(|c| Arg::from(c.case_id.as_str())));
        let found: Vec<(String, String)> = tx
            .fetch_all(
                &format!(
                    "SELECT c.id, CASE WHEN a.snapshot_json LIKE $1 THEN '{}' ELSE '{}' END \
                     FROM cases c JOIN applications a ON a.id = c.application_id WHERE c.id IN ({})",
                    RuleSet::Y2021.code(),
                    RuleSet::Y2012.code(),
                    crate::storage::placeholders(2, chunk.len())
                ),
                args,
            )
            .await?;
        out.extend(
            found
                .into_iter()
                .filter_map(|(id, code)| RuleSet::from_code(&code).map(|r| (id, r))),
        );
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn letter_text(
    name: &str,
    category: &str,
    event: &str,
    note: &str,
    outcome: &str,
    old: Fen,
    new: Fen,
    effective: &str,
    end: Option<&str>,
    rules: RuleSet,
) -> String {
    let cat = super::applications::category_label(category);
    let decision = match outcome {
        "continue" => format!("经重新核定，您家{cat}金额不变，仍为每月 {old} 元。"),
        "adjust" => format!(
            "经重新核定，自 {effective} 起，您家{cat}金额由每月 {old} 元调整为每月 {new} 元。"
        ),
        "phase_out" => format!(
            "因家庭成员就业，家庭人均收入已达到或超过低保标准。按照渐退政策，自 {effective} 起继续按每月 {old} 元发放，至 {} 起停发。",
            end.unwrap_or("")
        ),
        _ => format!("经重新核定，您家已不符合{cat}条件，自 {effective} 起停发。"),
    };
    format!(
        "{name}：\n　　因{event}（{note}），根据《社会救助暂行办法》、{}和江阴市有关规定，对您家{cat}重新核定。{decision}\n　　如对本决定有异议，可自收到本通知之日起60日内向江阴市人民政府申请行政复议，或在6个月内向人民法院提起行政诉讼。\n{}",
        rules.label(),
        crate::config::bureau_name()
    )
}

pub async fn changes(app: &App, ctx: &Ctx, case_id: &str) -> AppResult<Vec<ChangeRow>> {
    get(app, ctx, case_id).await?;
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {CHANGE_COLS} FROM case_changes WHERE case_id = $1 ORDER BY created_at"
            ),
            args![case_id],
        )
        .await?)
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub case_id: String,
    /// The application's 编号.
    pub number: String,
    pub category_label: String,
    pub area_code: String,
    pub area_name: String,
    pub applicant_name: String,
    pub id_number_masked: String,
    pub review_months: Option<i64>,
    pub review_due_on: Option<chrono::NaiveDate>,
    pub overdue: bool,
}

/// Reviews due: cases in payment whose next review falls within the `days` asked for (every overdue one
/// included); searched by the applicant, filtered by category, status (overdue or not yet), area and due date.
pub fn review_spec(today: chrono::NaiveDate) -> ListSpec {
    ListSpec {
        title: "动态复核",
        from: "cases c JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.applicant_id",
        area: ("c.area_code", "c.town_code"),
        person: "{}",
        categories: super::applications::CATEGORIES
            .iter()
            .map(|(c, l)| Choice::eq("c.category", c, l))
            .collect(),
        statuses: vec![
            // a date the program formats, never the user's text
            Choice::when("overdue", "已逾期", &format!("c.review_due_on < '{today}'")),
            Choice::when("due", "未逾期", &format!("c.review_due_on >= '{today}'")),
        ],
        default_status: None,
        date: Some(("c.review_due_on", "复核期限")),
        sorts: vec![
            SortKey {
                key: "due",
                label: "复核期限",
                sql: "c.review_due_on",
            },
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
                key: "area",
                label: "所在地",
                sql: "c.area_code",
            },
            SortKey {
                key: "category",
                label: "类别",
                sql: "c.category",
            },
        ],
        default_sort: ("due", false),
        tiebreak: "c.id",
    }
}

#[derive(sqlx::FromRow)]
struct Due {
    id: String,
    category: String,
    area_code: String,
    name: String,
    id_number: String,
    number: String,
    review_months: Option<i64>,
    review_due_on: Option<chrono::NaiveDate>,
}

const REVIEW_COLS: &str = "c.id, c.category, c.area_code, p.name, p.id_number, a.number, CAST(c.review_months AS BIGINT) AS review_months, c.review_due_on";

fn review_query(
    app: &App,
    ctx: &Ctx,
    p: &ListParams,
    days: i64,
) -> AppResult<crate::app::listing::Query> {
    ctx.actor.require(Permission::ReadAssistance)?;
    if !(0..=100_000).contains(&days) {
        return Err(AppError::invalid("days", "天数须在0到100000之间"));
    }
    let today = app.today();
    let mut q = review_spec(today).query(app, ctx, p)?;
    q.and_sql("c.status IN ('active', 'phasing_out')");
    q.and(
        "c.review_due_on <= $?",
        (today + chrono::Duration::days(days)).into(),
    );
    Ok(q)
}

/// Reviews due within `days` (and every overdue one), per the caller's scope: a page of them (most urgent first
/// unless sorted otherwise), and the counts per village (due, overdue) over all of them.
pub async fn reviews_due(
    app: &App,
    ctx: &Ctx,
    p: &ListParams,
    days: i64,
) -> AppResult<(Page<ReviewItem>, Vec<(String, i64, i64)>)> {
    let q = review_query(app, ctx, p, days)?;
    let today = app.today();
    let page: Page<Due> = q.page(app, REVIEW_COLS, p.page_no()).await?;
    // the counts per village cover every review due in the scope, whatever the search
    let filter = crate::app::registry::area_filter(app, ctx, p.area());
    let (cond, a) = filter.sql("c.area_code", "c.town_code", 3);
    let mut args = args![today + chrono::Duration::days(days), today];
    args.extend(a);
    let counts: Vec<(String, i64, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT c.area_code, COUNT(*), CAST(SUM(CASE WHEN c.review_due_on < $2 THEN 1 ELSE 0 END) AS BIGINT) FROM cases c \
                 WHERE c.status IN ('active', 'phasing_out') AND c.review_due_on <= $1 AND {cond} GROUP BY c.area_code"
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    let page = page.map(|d| review_item(app, today, d));
    let mut per: Vec<(String, i64, i64)> = counts
        .into_iter()
        .map(|(a, due, overdue)| (areas.full_name(&a), due, overdue))
        .collect();
    per.sort();
    Ok((page, per))
}

fn review_item(app: &App, today: chrono::NaiveDate, d: Due) -> ReviewItem {
    ReviewItem {
        category_label: super::applications::category_label(&d.category).into(),
        area_name: app.areas().full_name(&d.area_code),
        id_number_masked: idnumber::mask(&d.id_number),
        overdue: d.review_due_on.is_some_and(|x| x < today),
        case_id: d.id,
        number: d.number,
        area_code: d.area_code,
        applicant_name: d.name,
        review_months: d.review_months,
        review_due_on: d.review_due_on,
    }
}

/// The filtered reviews as a worksheet (audited).
pub async fn reviews_export(app: &App, ctx: &Ctx, p: &ListParams, days: i64) -> AppResult<Sheet> {
    let today = app.today();
    let spec = review_spec(today);
    let rows: Vec<Due> = review_query(app, ctx, p, days)?
        .all(app, REVIEW_COLS)
        .await?;
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
            "复核周期（月）",
            "复核期限",
            "是否逾期",
        ],
    );
    for d in rows {
        let id = id_cell(full, &d.id_number);
        let months = d.review_months.map_or(Cell::Blank, Cell::Int);
        let r = review_item(app, today, d);
        sheet.rows.push(vec![
            r.number.into(),
            r.applicant_name.into(),
            id,
            r.category_label.into(),
            r.area_name.into(),
            months,
            r.review_due_on.into(),
            if r.overdue { "已逾期" } else { "未逾期" }.into(),
        ]);
    }
    Ok(sheet)
}

/// The living members of a case's household (id, name), for the events form of the case page; the case is read in
/// the caller's scope first.
pub async fn household_members(
    app: &App,
    ctx: &Ctx,
    case_id: &str,
) -> AppResult<Vec<(String, String)>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let row: Option<(String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT household_id, area_code FROM cases WHERE id = $1",
            args![case_id],
        )
        .await?;
    let Some((hid, _)) = row.filter(|r| ctx.actor.in_scope(&r.1)) else {
        return Err(AppError::NotFound("救助对象".into()));
    };
    Ok(crate::storage::persons::members(&app.db, &hid)
        .await?
        .into_iter()
        .filter(|m| m.status == "normal")
        .map(|m| (m.id, m.name))
        .collect())
}

/// A change letter's 文号, e.g. 澄民救〔2020〕12号: the town's first character, the letter's year and its place among
/// the town's letters of that year. Changes are never deleted and their UUIDv7 keys sort by time, so a number never
/// moves once printed.
pub async fn letter_number(
    app: &App,
    ctx: &Ctx,
    case_id: &str,
    change_id: &str,
    on: chrono::NaiveDate,
) -> AppResult<String> {
    use chrono::Datelike;
    ctx.actor.require(Permission::ReadAssistance)?;
    let row: Option<(String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT town_code, area_code FROM cases WHERE id = $1",
            args![case_id],
        )
        .await?;
    let Some((town, _)) = row.filter(|r| ctx.actor.in_scope(&r.1)) else {
        return Err(AppError::NotFound("救助对象".into()));
    };
    let year = on.year();
    let from = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("date");
    let seq: i64 = app
        .db
        .conn()
        .scalar(
            "SELECT COUNT(*) FROM case_changes x JOIN cases c ON c.id = x.case_id \
             WHERE c.town_code = $1 AND x.on_date >= $2 AND x.on_date < $3 AND x.id <= $4",
            args![town.as_str(), from, to, change_id],
        )
        .await?;
    let name = app.areas().name(&town);
    let first = crate::util::town_short(&name)
        .chars()
        .next()
        .map(String::from)
        .unwrap_or_default();
    Ok(format!("{first}民救〔{year}〕{seq}号"))
}
