//! Monthly payment rolls: each active case's amount from its frozen decision under the standard in force that
//! month, failed payments re-issued, city approval making the roll immutable, bank export and return file.

use super::applications::{category_label, month_start};
use super::cases::{self, AmountChange};
use super::standards;
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::listing::{Cell, Choice, ListParams, ListSpec, Page, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::{DateTime, NaiveDate, Utc};
use minzheng_domain::assistance::{Category, RuleSet, Standards, evaluate_with, validate};
use minzheng_domain::money::Fen;
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct RollRow {
    pub id: String,
    pub month: String,
    pub status: String,
    pub lines: i64,
    pub total: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
}

const ROLL_COLS: &str =
    "id, month, status, lines, total, created_by, created_at, approved_by, approved_at";

fn require_city(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::HandleApplications)?;
    if ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden("发放名册由市局生成和审批".into()));
    }
    Ok(())
}

fn check_month(month: &str) -> AppResult<String> {
    // 1900-01..=2100-12: a typo like 9999-12 must not make a roll
    Ok(crate::app::validate::month("month", "月份", month)?.0)
}

pub async fn roll(app: &App, ctx: &Ctx, month: &str) -> AppResult<RollRow> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let month = check_month(month)?;
    let r: RollRow = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {ROLL_COLS} FROM payment_rolls WHERE month = $1"),
            args![month.as_str()],
        )
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{month} 发放名册")))?;
    Ok(scoped(app, ctx, vec![r]).await?.remove(0))
}

pub async fn rolls(app: &App, ctx: &Ctx) -> AppResult<Vec<RollRow>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let rows = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {ROLL_COLS} FROM payment_rolls ORDER BY month DESC"),
            vec![],
        )
        .await?;
    scoped(app, ctx, rows).await
}

/// A roll's stored lines and total are the city's; anyone narrower sees the count and sum of its own area's lines.
async fn scoped(app: &App, ctx: &Ctx, mut rows: Vec<RollRow>) -> AppResult<Vec<RollRow>> {
    if ctx.actor.area_level == "city" || rows.is_empty() {
        return Ok(rows);
    }
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    let sums: Vec<(String, i64, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT roll_id, COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment_lines \
                 WHERE {cond} GROUP BY roll_id"
            ),
            a.into_iter().collect(),
        )
        .await?;
    let sums: std::collections::HashMap<String, (i64, i64)> =
        sums.into_iter().map(|(id, n, t)| (id, (n, t))).collect();
    for r in &mut rows {
        (r.lines, r.total) = sums.get(&r.id).copied().unwrap_or((0, 0));
    }
    Ok(rows)
}

#[derive(sqlx::FromRow)]
struct CaseForRoll {
    id: String,
    category: String,
    area_code: String,
    town_code: String,
    monthly_amount: i64,
    bank_account: String,
    applicant_id: String,
    status: String,
    /// The household in force (after changes); None for cases from before changes were recorded.
    household_json: Option<String>,
    snapshot_json: Option<String>,
    applicant_name: String,
    /// Changes taking effect after this month: the later amount is already decided, so a roll of an earlier month
    /// records nothing.
    later_changes: i64,
}

#[derive(sqlx::FromRow)]
struct FailedLine {
    id: String,
    programme: String,
    case_id: String,
    month_for: String,
    payee_id: String,
    bank_account: String,
    category: String,
    area_code: String,
    town_code: String,
    amount: i64,
}

/// The amount a case is paid for `month`: its frozen household re-assessed under that month's standard.
/// If the frozen household no longer qualifies under a new standard, the frozen amount stands until a review.
pub fn amount_for(
    household: Option<&Value>,
    category: &str,
    frozen: Fen,
    s: &minzheng_domain::assistance::Standards,
    month: &str,
    rules: RuleSet,
) -> Fen {
    let Some(household) = household else {
        return frozen;
    };
    let Some(on) = month_start(month) else {
        return frozen;
    };
    let Ok(req) = validate(
        &serde_json::json!({"as_of": on, "household": household}),
        on,
        |_| true,
    ) else {
        return frozen;
    };
    let Some(cat) = Category::from_code(category) else {
        return frozen;
    };
    // the rule set the decision named, never a later one (DOMAIN §4.11)
    evaluate_with(&req.household, on, s, rules)
        .grant(cat)
        .map(|g| g.monthly_amount)
        .unwrap_or(frozen)
}

/// Builds (or rebuilds, while still a draft) the roll for `month`.
pub async fn generate(app: &App, ctx: &Ctx, month: &str) -> AppResult<RollRow> {
    require_city(ctx)?;
    let month = check_month(month)?;
    let s = standards::in_force(app, month_start(&month).expect("checked"))
        .await?
        .ok_or_else(|| AppError::invalid("month", "该月没有生效的救助标准"))?;
    let mut tx = app.db.begin().await?;
    let existing: Option<RollRow> = tx
        .fetch_optional(
            &format!("SELECT {ROLL_COLS} FROM payment_rolls WHERE month = $1"),
            args![month.as_str()],
        )
        .await?;
    let roll_id = match &existing {
        Some(r) if r.status == "approved" => {
            return Err(AppError::conflict(
                "month",
                format!("{month} 发放名册已审批，不能修改"),
            ));
        }
        Some(r) => {
            // only failed lines are ever reissued: the status keeps this to the index, not a scan of every roll's lines
            tx.execute("UPDATE payment_lines SET reissued_by = NULL WHERE status = 'failed' AND reissued_by IN (SELECT id FROM payment_lines WHERE roll_id = $1)", args![&r.id]).await?;
            tx.execute("DELETE FROM payment_lines WHERE roll_id = $1", args![&r.id])
                .await?;
            r.id.clone()
        }
        None => {
            let id = new_id();
            tx.execute(
                &format!("INSERT INTO payment_rolls ({ROLL_COLS}) VALUES ($1, $2, 'draft', 0, 0, $3, $4, NULL, NULL)"),
                args![&id, month.as_str(), &ctx.actor.username, now()],
            )
            .await?;
            id
        }
    };
    let cases: Vec<CaseForRoll> = tx
        .fetch_all(
            "SELECT c.id, c.category, c.area_code, c.town_code, c.monthly_amount, c.bank_account, a.applicant_id, c.status, c.household_json, a.snapshot_json, \
             p.name AS applicant_name, \
             CAST((SELECT COUNT(*) FROM case_changes x WHERE x.case_id = c.id AND x.effective_month > $1) AS BIGINT) AS later_changes \
             FROM cases c JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.applicant_id \
             WHERE c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $1) ORDER BY c.town_code, c.area_code, c.id",
            args![month.as_str()],
        )
        .await?;
    let failed: Vec<FailedLine> = tx
        .fetch_all(
            "SELECT l.id, l.programme, l.case_id, l.month_for, l.payee_id, l.bank_account, l.category, l.area_code, l.town_code, l.amount \
             FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
             WHERE l.status = 'failed' AND l.reissued_by IS NULL AND r.status = 'approved' AND r.month < $1",
            args![month.as_str()],
        )
        .await?;
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(cases.len() + failed.len());
    let mut total = 0i64;
    let mut seq = 0i64;
    let first = month_start(&month).expect("checked");
    let prev_first = first - chrono::Months::new(1);
    // the standard of the month before tells a new standard from a member's new age
    let s_prev = standards::in_force(app, prev_first)
        .await?
        .unwrap_or_else(|| s.clone());
    let mut pending: Vec<Pending> = vec![];
    for c in &cases {
        // 渐退 pays the last amount unchanged; otherwise the household in force is re-assessed under this month's standard
        let amount = if c.status == "phasing_out" {
            Fen(c.monthly_amount)
        } else {
            let household = match &c.household_json {
                Some(h) => serde_json::from_str::<Value>(h).ok(),
                None => c
                    .snapshot_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Value>(j).ok())
                    .map(|v| v["household"].clone()),
            };
            let rules = c
                .snapshot_json
                .as_deref()
                .and_then(|j| serde_json::from_str::<Value>(j).ok())
                .and_then(|v| v["rules"]["code"].as_str().and_then(RuleSet::from_code))
                .unwrap_or(RuleSet::Y2012);
            let old = Fen(c.monthly_amount);
            let new = amount_for(household.as_ref(), &c.category, old, &s, &month, rules);
            // a changed amount is a decision of its own (DOMAIN §4.11), compared with the amount in force, so a
            // regenerated draft finds nothing left to record
            if new != old
                && c.later_changes == 0
                && let Some(h) = household
            {
                let at_prev = if s_prev == s {
                    new
                } else {
                    amount_for(Some(&h), &c.category, old, &s_prev, &month, rules)
                };
                pending.push(amount_change(
                    c, h, old, new, at_prev, &s_prev, &s, prev_first, first,
                ));
            }
            new
        };
        if amount.0 <= 0 {
            continue; // low_income and expenditure grant status, not cash
        }
        seq += 1;
        total += amount.0;
        rows.push(args![
            new_id(),
            seq,
            "assistance",
            &c.id,
            "regular",
            month.as_str(),
            &c.applicant_id,
            &c.bank_account,
            &c.category,
            &c.area_code,
            &c.town_code,
            amount.0,
            "pending"
        ]);
    }
    // the other programmes are paid in the same roll (一卡通): the disability subsidies and the children's allowance
    // (each live grant at its tier's standard of the month) and the old-age allowance (every resident aged 80+ on
    // the 1st with an account, at the band's standard)
    let programmes = [
        (
            "disability",
            crate::app::disability::roll_lines(&mut tx, ctx, &month).await?,
        ),
        (
            "old_age",
            crate::app::elderly::allowance::roll_lines(&mut tx, &month).await?,
        ),
        (
            "children",
            crate::app::children::roll_lines(&mut tx, ctx, &month).await?,
        ),
    ];
    for (programme, lines) in &programmes {
        for l in lines {
            seq += 1;
            total += l.amount;
            rows.push(args![
                new_id(),
                seq,
                *programme,
                &l.entitlement_id,
                "regular",
                month.as_str(),
                &l.person_id,
                &l.bank_account,
                &l.category,
                &l.area_code,
                &l.town_code,
                l.amount,
                "pending"
            ]);
        }
    }
    let mut reissues: Vec<(String, String)> = vec![];
    for f in &failed {
        seq += 1;
        total += f.amount;
        let id = new_id();
        rows.push(args![
            &id,
            seq,
            &f.programme,
            &f.case_id,
            "reissue",
            &f.month_for,
            &f.payee_id,
            &f.bank_account,
            &f.category,
            &f.area_code,
            &f.town_code,
            f.amount,
            "pending"
        ]);
        reissues.push((f.id.clone(), id));
    }
    // a month's roll holds a line for every payee (the 80+ alone are 120,000 in a city of 2 million): COPY on
    // PostgreSQL, SQLite's C API
    tx.copy_rows_with(
        "payment_lines",
        &LINE_COLS,
        &[Arg::from(roll_id.as_str())],
        rows,
    )
    .await?;
    let changes = with_notes(&mut tx, pending).await?;
    let on = app.today().min(first);
    cases::record_amount_changes(&mut tx, ctx, on, &month, &changes).await?;
    for (old, new) in &reissues {
        tx.execute(
            "UPDATE payment_lines SET reissued_by = $2 WHERE id = $1",
            args![old, new],
        )
        .await?;
    }
    tx.execute(
        "UPDATE payment_rolls SET lines = $2, total = $3 WHERE id = $1",
        args![&roll_id, seq, total],
    )
    .await?;
    audit::record(&mut tx, ctx, Event::new("payments.generate", "payment_roll", &roll_id).after(serde_json::json!({"month": month, "lines": seq, "total": Fen(total).to_string(), "reissued": reissues.len(), "amount_changes": changes.len()}))).await?;
    tx.commit().await?;
    roll(app, ctx, &month).await
}

/// Members whose age crossed 18 or 70 between `from` and `to`: (id number, the age reached).
fn age_crossings(household: &Value, from: NaiveDate, to: NaiveDate) -> Vec<(String, u32)> {
    let bracket = |age: u32| (age >= 18) as u8 + (age >= 70) as u8;
    household["members"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| {
            let id = m["id_number"].as_str()?;
            let birth = NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok()?;
            let (a, b) = (
                minzheng_domain::idnumber::age_on(birth, from),
                minzheng_domain::idnumber::age_on(birth, to),
            );
            (bracket(a) != bracket(b)).then(|| (id.to_string(), if b >= 70 { 70 } else { 18 }))
        })
        .collect()
}

/// A changed amount before its note is written: the members who turned 18 or 70 are named from the registry
/// for all changes at once.
struct Pending {
    change: AmountChange,
    standard_note: Option<String>,
    /// (id number, age reached); empty with an age change means the ages moved some other way.
    crossed: Vec<(String, u32)>,
    age: bool,
}

/// Why a case's amount changed in this roll: the standard (its amount under last month's standard is unchanged
/// from the old one), a member's age (分类施保), or both.
#[allow(clippy::too_many_arguments)]
fn amount_change(
    c: &CaseForRoll,
    household: Value,
    old: Fen,
    new: Fen,
    at_prev_standard: Fen,
    s_prev: &Standards,
    s: &Standards,
    prev_first: NaiveDate,
    first: NaiveDate,
) -> Pending {
    let standard = new != at_prev_standard;
    let age = at_prev_standard != old;
    let month = &first.to_string()[..7];
    let standard_note = standard.then(|| {
        if s_prev.dibao != s.dibao {
            format!(
                "自 {month} 起执行新的救助标准，低保标准由每月 {} 元调整为每月 {} 元",
                s_prev.dibao, s.dibao
            )
        } else {
            format!("自 {month} 起执行新的救助标准")
        }
    });
    Pending {
        crossed: if age {
            age_crossings(&household, prev_first, first)
        } else {
            vec![]
        },
        age,
        standard_note,
        change: AmountChange {
            case_id: c.id.clone(),
            area_code: c.area_code.clone(),
            category: c.category.clone(),
            applicant_name: c.applicant_name.clone(),
            kind: match (age, standard) {
                (true, true) => "reassess",
                (false, true) => "standard_change",
                _ => "age_change",
            },
            note: String::new(),
            old,
            new,
            household_json: household.to_string(),
        },
    }
}

/// Writes each change's note, naming the members who turned 18 or 70: one query for all of them.
async fn with_notes(
    tx: &mut crate::storage::Tx,
    pending: Vec<Pending>,
) -> AppResult<Vec<AmountChange>> {
    let ids: Vec<String> = pending
        .iter()
        .flat_map(|p| p.crossed.iter().map(|c| c.0.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<(String, String)> = tx
            .fetch_all(
                &format!(
                    "SELECT id_number, name FROM persons WHERE id_number IN ({})",
                    crate::storage::placeholders(1, chunk.len())
                ),
                chunk.iter().map(|i| Arg::from(i.as_str())).collect(),
            )
            .await?;
        names.extend(found);
    }
    Ok(pending
        .into_iter()
        .map(|p| {
            let mut notes: Vec<String> = p.standard_note.into_iter().collect();
            if p.age && p.crossed.is_empty() {
                notes.push("按家庭成员本月年龄重新核定分类施保".into());
            }
            for (id, years) in &p.crossed {
                // a member the registry does not know is named by the masked number
                let who = names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| minzheng_domain::idnumber::mask(id));
                notes.push(format!(
                    "家庭成员{who}年满{years}周岁，按分类施保规定重新核定"
                ));
            }
            AmountChange {
                note: notes.join("；"),
                ..p.change
            }
        })
        .collect())
}

/// A line another programme asks the monthly roll to pay.
pub struct ProgrammeLine {
    /// What is paid: a subsidy grant, an allowance, or the resident for the old-age allowance.
    pub entitlement_id: String,
    /// The line's category code (`disability_living`, `old_age_80_89`, `orphan_family` …).
    pub category: String,
    pub person_id: String,
    pub bank_account: String,
    pub area_code: String,
    pub town_code: String,
    pub amount: i64,
}

/// The roll's id first: it leads every line of a [`Tx::copy_rows_with`].
const LINE_COLS: [&str; 14] = [
    "roll_id",
    "id",
    "seq",
    "programme",
    "case_id",
    "kind",
    "month_for",
    "payee_id",
    "bank_account",
    "category",
    "area_code",
    "town_code",
    "amount",
    "status",
];

pub async fn approve(app: &App, ctx: &Ctx, month: &str) -> AppResult<RollRow> {
    require_city(ctx)?;
    let month = check_month(month)?;
    let mut tx = app.db.begin().await?;
    let r: Option<RollRow> = tx
        .fetch_optional(
            &format!("SELECT {ROLL_COLS} FROM payment_rolls WHERE month = $1"),
            args![month.as_str()],
        )
        .await?;
    let r = r.ok_or_else(|| AppError::NotFound(format!("{month} 发放名册")))?;
    if r.status == "approved" {
        return Err(AppError::conflict("month", "该名册已审批"));
    }
    tx.execute("UPDATE payment_rolls SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1 AND status = 'draft'", args![&r.id, &ctx.actor.username, now()]).await?;
    audit::record(&mut tx, ctx, Event::new("payments.approve", "payment_roll", &r.id).before(serde_json::json!({"status": "draft"})).after(serde_json::json!({"status": "approved", "month": month, "total": Fen(r.total).to_string()}))).await?;
    tx.commit().await?;
    roll(app, ctx, &month).await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Total {
    pub town_code: String,
    pub town_name: String,
    pub category: String,
    pub category_label: String,
    pub lines: i64,
    /// Yuan.
    pub amount: String,
}

/// Totals per town and category, within the caller's scope.
pub async fn totals(app: &App, ctx: &Ctx, month: &str) -> AppResult<Vec<Total>> {
    let r = roll(app, ctx, month).await?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 2);
    let mut args = args![&r.id];
    args.extend(a);
    let rows: Vec<(String, String, i64, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT town_code, category, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM payment_lines WHERE roll_id = $1 AND {cond} GROUP BY town_code, category ORDER BY town_code, category"),
            args,
        )
        .await?;
    let areas = app.areas();
    Ok(rows
        .into_iter()
        .map(|(t, c, n, s)| Total {
            town_name: areas.name(&t),
            category_label: category_label(&c).into(),
            town_code: t,
            category: c,
            lines: n,
            amount: Fen(s).to_string(),
        })
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportLine {
    pub id: String,
    pub seq: i64,
    pub kind: String,
    pub month_for: String,
    pub name: String,
    pub id_number: String,
    pub bank_account: String,
    pub category: String,
    pub area_code: String,
    pub town_code: String,
    pub amount: i64,
    pub status: String,
}

pub const EXPORT_HEADER: [&str; 11] = [
    "流水号",
    "序号",
    "姓名",
    "身份证号码",
    "银行账号",
    "金额(元)",
    "救助类别",
    "镇(街道)",
    "村(社区)",
    "所属月份",
    "类型",
];

/// The bank file: full identity numbers and accounts, so it needs the right role and is audited.
pub async fn export_lines(
    app: &App,
    ctx: &Ctx,
    month: &str,
) -> AppResult<(RollRow, Vec<[String; 11]>)> {
    require_city(ctx)?;
    ctx.actor.require(Permission::RevealPersonal)?;
    let r = roll(app, ctx, month).await?;
    if r.status != "approved" {
        return Err(AppError::conflict("month", "名册审批后才能导出给银行"));
    }
    let lines: Vec<ExportLine> = app
        .db
        .conn()
        .fetch_all(
            "SELECT l.id, l.seq, l.kind, l.month_for, p.name, p.id_number, l.bank_account, l.category, l.area_code, l.town_code, l.amount, l.status \
             FROM payment_lines l JOIN persons p ON p.id = l.payee_id WHERE l.roll_id = $1 ORDER BY l.seq",
            args![&r.id],
        )
        .await?;
    audit::record_alone(
        &app.db,
        ctx,
        Event::new("payments.export", "payment_roll", &r.id)
            .after(serde_json::json!({"month": r.month, "lines": lines.len()})),
    )
    .await?;
    let areas = app.areas();
    let rows = lines
        .into_iter()
        .map(|l| {
            [
                l.id,
                l.seq.to_string(),
                l.name,
                l.id_number,
                l.bank_account,
                Fen(l.amount).to_string(),
                category_label(&l.category).into(),
                areas.name(&l.town_code),
                areas.name(&l.area_code),
                l.month_for,
                if l.kind == "reissue" {
                    "补发".into()
                } else {
                    "正常".into()
                },
            ]
        })
        .collect();
    Ok((r, rows))
}

/// The bank file as a workbook: 序号 and 金额 are number cells (金额 formatted 0.00, the fen exact), identity
/// numbers and accounts text cells. The shared writer puts its own 序号 first; the roll's 序号 stays beside it.
pub fn to_xlsx(rows: &[[String; 11]], month: &str) -> anyhow::Result<Vec<u8>> {
    let mut sheet = Sheet::new(&format!("{month}发放名册"), &EXPORT_HEADER);
    sheet.numbered = false;
    for row in rows {
        sheet.rows.push(
            row.iter()
                .enumerate()
                .map(|(c, v)| match c {
                    1 => v.parse::<i64>().map_or(Cell::Text(v.clone()), Cell::Int),
                    5 => Fen::parse_yuan(v).map_or(Cell::Text(v.clone()), |f| Cell::Yuan(f.0)),
                    _ => Cell::Text(v.clone()),
                })
                .collect(),
        );
    }
    sheet.xlsx()
}

pub use minzheng_domain::import::RowError;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReturnResult {
    pub paid: usize,
    pub failed: usize,
    pub unchanged: usize,
}

/// The bank's return file (CSV: 流水号,结果,原因 with 结果 成功/失败): every row checked first, all or nothing;
/// importing the same file again changes nothing.
pub async fn import_return(
    app: &App,
    ctx: &Ctx,
    month: &str,
    csv_text: &str,
) -> Result<ReturnResult, (AppError, Vec<RowError>)> {
    require_city(ctx).map_err(|e| (e, vec![]))?;
    let r = roll(app, ctx, month).await.map_err(|e| (e, vec![]))?;
    if r.status != "approved" {
        return Err((
            AppError::conflict("month", "名册审批后才能导入银行回盘"),
            vec![],
        ));
    }
    let known: Vec<(String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, status FROM payment_lines WHERE roll_id = $1",
            args![&r.id],
        )
        .await
        .map_err(|e| (e.into(), vec![]))?;
    let known: std::collections::HashMap<String, String> = known.into_iter().collect();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut errors = vec![];
    let mut updates: Vec<(String, &'static str, Option<String>)> = vec![];
    let mut seen = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    file: None,
                    row: row as u64,
                    column: "整行".into(),
                    message: format!("无法读取：{e}"),
                });
                continue;
            }
        };
        let id = rec.get(0).unwrap_or("").trim().to_string();
        let result = rec.get(1).unwrap_or("").trim();
        let reason = rec
            .get(2)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if !known.contains_key(&id) {
            errors.push(RowError {
                file: None,
                row: row as u64,
                column: "流水号".into(),
                message: "不是本月名册中的流水号".into(),
            });
            continue;
        }
        if !seen.insert(id.clone()) {
            errors.push(RowError {
                file: None,
                row: row as u64,
                column: "流水号".into(),
                message: "流水号重复".into(),
            });
            continue;
        }
        let status = match result {
            "成功" | "paid" => "paid",
            "失败" | "failed" => "failed",
            _ => {
                errors.push(RowError {
                    file: None,
                    row: row as u64,
                    column: "结果".into(),
                    message: "结果应为“成功”或“失败”".into(),
                });
                continue;
            }
        };
        if status == "failed" && reason.is_none() {
            errors.push(RowError {
                file: None,
                row: row as u64,
                column: "原因".into(),
                message: "失败须写明原因".into(),
            });
            continue;
        }
        updates.push((id, status, reason));
    }
    if !errors.is_empty() {
        return Err((
            AppError::invalid(
                "file",
                format!("回盘文件有 {} 行错误，未导入任何数据", errors.len()),
            ),
            errors,
        ));
    }
    let mut out = ReturnResult {
        paid: 0,
        failed: 0,
        unchanged: 0,
    };
    let mut tx = app.db.begin().await.map_err(|e| (e.into(), vec![]))?;
    for (id, status, reason) in &updates {
        if known.get(id).map(String::as_str) == Some(*status) {
            out.unchanged += 1;
            continue;
        }
        tx.execute(
            "UPDATE payment_lines SET status = $2, failure_reason = $3 WHERE id = $1",
            args![id, *status, reason.clone()],
        )
        .await
        .map_err(|e| (e.into(), vec![]))?;
        if *status == "paid" {
            out.paid += 1
        } else {
            out.failed += 1
        }
    }
    audit::record(&mut tx, ctx, Event::new("payments.return", "payment_roll", &r.id).after(serde_json::json!({"month": r.month, "paid": out.paid, "failed": out.failed, "unchanged": out.unchanged})))
        .await
        .map_err(|e| (e, vec![]))?;
    tx.commit().await.map_err(|e| (e.into(), vec![]))?;
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub seq: i64,
    pub kind: String,
    pub month_for: String,
    pub name: String,
    pub id_number_masked: String,
    pub category_label: String,
    pub area_name: String,
    pub amount: String,
    pub status: String,
}

pub const LINE_STATUSES: [(&str, &str); 3] = [
    ("pending", "待发放"),
    ("paid", "已到账"),
    ("failed", "失败"),
];

/// Categories a roll's lines may carry: assistance and the programmes paid with it.
const LINE_CATEGORIES: [&str; 13] = [
    "dibao",
    "dibao_single",
    "tekun",
    "low_income",
    "expenditure",
    "disability_living",
    "disability_care",
    "old_age_80_89",
    "old_age_90_99",
    "old_age_100_plus",
    "orphan_institution",
    "orphan_family",
    "unsupported_child",
];

/// A roll's lines: searched by the payee, filtered by category, result and area.
pub fn line_spec() -> ListSpec {
    ListSpec {
        title: "发放明细",
        from: "payment_lines l JOIN persons p ON p.id = l.payee_id",
        area: ("l.area_code", "l.town_code"),
        person: "{}",
        categories: LINE_CATEGORIES
            .iter()
            .map(|c| Choice::eq("l.category", c, category_label(c)))
            .collect(),
        statuses: LINE_STATUSES
            .iter()
            .map(|(c, l)| Choice::eq("l.status", c, l))
            .collect(),
        default_status: None,
        date: None,
        sorts: vec![
            SortKey {
                key: "seq",
                label: "序号",
                sql: "l.seq",
            },
            SortKey {
                key: "name",
                label: "姓名",
                sql: "p.name",
            },
            SortKey {
                key: "category",
                label: "类别",
                sql: "l.category",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "l.area_code",
            },
            SortKey {
                key: "amount",
                label: "金额（元）",
                sql: "l.amount",
            },
            SortKey {
                key: "status",
                label: "发放结果",
                sql: "l.status",
            },
        ],
        default_sort: ("seq", false),
        tiebreak: "l.id",
    }
}

const LIST_LINE_COLS: &str = "l.id, l.seq, l.kind, l.month_for, p.name, p.id_number, l.bank_account, l.category, l.area_code, l.town_code, l.amount, l.status";

fn line_view(app: &App, l: ExportLine) -> LineView {
    LineView {
        seq: l.seq,
        kind: if l.kind == "reissue" {
            "补发".into()
        } else {
            "正常".into()
        },
        month_for: l.month_for,
        name: l.name,
        id_number_masked: minzheng_domain::idnumber::mask(&l.id_number),
        category_label: category_label(&l.category).into(),
        area_name: app.areas().full_name(&l.area_code),
        amount: Fen(l.amount).to_string(),
        status: LINE_STATUSES
            .iter()
            .find(|s| s.0 == l.status)
            .map_or("待发放", |s| s.1)
            .into(),
    }
}

async fn line_query(
    app: &App,
    ctx: &Ctx,
    month: &str,
    p: &ListParams,
) -> AppResult<crate::app::listing::Query> {
    let r = roll(app, ctx, month).await?;
    let mut q = line_spec().query(app, ctx, p)?;
    q.and("l.roll_id = $?", r.id.into());
    Ok(q)
}

/// Lines of a roll within the caller's scope, masked.
pub async fn lines(app: &App, ctx: &Ctx, month: &str, p: &ListParams) -> AppResult<Page<LineView>> {
    let page: Page<ExportLine> = line_query(app, ctx, month, p)
        .await?
        .page(app, LIST_LINE_COLS, p.page_no())
        .await?;
    Ok(page.map(|l| line_view(app, l)))
}

/// The filtered lines as a worksheet (audited): 序号 and amounts are numbers, identity numbers text.
pub async fn lines_export(app: &App, ctx: &Ctx, month: &str, p: &ListParams) -> AppResult<Sheet> {
    let rows: Vec<ExportLine> = line_query(app, ctx, month, p)
        .await?
        .all(app, LIST_LINE_COLS)
        .await?;
    let spec = line_spec();
    crate::app::listing::export_audit(app, ctx, &spec, p, rows.len()).await?;
    let full = p.wants_full();
    let mut sheet = Sheet::new(
        &format!("{month}发放明细"),
        &[
            "名册序号",
            "姓名",
            "身份证号码",
            "类别",
            "所在地",
            "所属月份",
            "类型",
            "金额（元）",
            "发放结果",
        ],
    );
    for l in rows {
        let id = id_cell(full, &l.id_number);
        let (seq, amount) = (l.seq, l.amount);
        let v = line_view(app, l);
        sheet.rows.push(vec![
            Cell::Int(seq),
            v.name.into(),
            id,
            v.category_label.into(),
            v.area_name.into(),
            v.month_for.into(),
            v.kind.into(),
            Cell::Yuan(amount),
            v.status.into(),
        ]);
    }
    Ok(sheet)
}
