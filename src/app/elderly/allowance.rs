//! 高龄津贴 (old-age allowance): every resident aged 80 and over on the 1st of a month is paid that month at the
//! standard of their age band, with no application — a resident who turns 80 is in the next roll. The registry
//! says who is alive and where; a death in the registry or in any deaths load stops the payment. A resident without
//! a recorded 一卡通 account is not paid but listed for the town to complete.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, now};
use chrono::{Datelike, Months, NaiveDate};
use minzheng_domain::elderly::{AllowanceBand, allowance_band};
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;
use std::collections::HashMap;

pub const PAGE: i64 = 50;

/// The payment line's category code for a band (`old_age_80_89` …).
pub fn line_category(b: AllowanceBand) -> String {
    format!("old_age_{}", b.code())
}

fn month_start(month: &str) -> AppResult<NaiveDate> {
    let m = month.trim();
    NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
        .ok()
        .filter(|d| m.len() == 7 && (2000..=2100).contains(&d.year()))
        .ok_or_else(|| AppError::invalid("month", "月份格式应为 YYYY-MM（2000–2100年）"))
}

/// Who is eligible on `first` (the 1st of the month): born on or before this day 80 years earlier.
fn born_by(first: NaiveDate) -> NaiveDate {
    first - Months::new(12 * 80)
}

/// The allowance's amounts per age band, with effective months (see `schedules`).
pub const SCHEDULE: crate::app::schedules::Schedule = crate::app::schedules::Schedule {
    table: "allowance_standards",
    key: "band",
    event: "elderly.allowance_standard",
};

/// The standards in force for a month, per band.
async fn standards_for(tx: &mut Tx, month: &str) -> AppResult<HashMap<AllowanceBand, i64>> {
    let mut out = HashMap::new();
    for b in AllowanceBand::ALL {
        if let Some(a) = crate::app::schedules::in_force(tx, &SCHEDULE, b.code(), month).await? {
            out.insert(*b, a);
        }
    }
    Ok(out)
}

/// The residents' condition shared by the roll, the summary and the missing accounts: aged 80+ on the 1st, living
/// in the city by the registry, and in no deaths load.
const ELIGIBLE: &str = "p.status = 'normal' AND p.birth_date <= $1 \
    AND NOT EXISTS (SELECT 1 FROM src_deaths d WHERE d.id_number = p.id_number)";

/// A line the monthly roll pays.
pub use crate::app::assistance::payments::ProgrammeLine as RollLine;

/// The allowance lines of `month`, inside the roll's transaction; residents without an account are left out
/// (the summary counts them). A band without a standard pays nothing: the bureau has not set it.
pub async fn roll_lines(tx: &mut Tx, month: &str) -> AppResult<Vec<RollLine>> {
    let first = month_start(month)?;
    let amounts = standards_for(tx, month).await?;
    if amounts.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<(String, NaiveDate, String, String, String)> = tx
        .select(
            &format!(
                "SELECT p.id, p.birth_date, a.bank_account, p.area_code, p.town_code \
                 FROM persons p JOIN payee_accounts a ON a.person_id = p.id WHERE {ELIGIBLE} \
                 ORDER BY p.town_code, p.area_code, p.id"
            ),
            args![born_by(first)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, birth, account, area, town)| {
            let band = allowance_band(birth, first)?;
            let amount = *amounts.get(&band)?;
            Some(RollLine {
                entitlement_id: id.clone(),
                person_id: id,
                category: line_category(band),
                bank_account: account,
                area_code: area,
                town_code: town,
                amount,
            })
        })
        .collect())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BandFigure {
    pub band: String,
    pub band_label: String,
    pub residents: i64,
    /// Residents without a recorded 一卡通 account (not paid until recorded).
    pub without_account: i64,
    /// The standard in force, yuan a month; none when the bureau has not set it.
    pub monthly_amount: Option<String>,
    /// What the month pays this band, yuan.
    pub total: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub month: String,
    pub bands: Vec<BandFigure>,
    pub residents: i64,
    pub without_account: i64,
    pub total: String,
}

/// Who the month pays in the caller's area, per band, counted in the database (no resident is read into memory).
pub async fn summary(app: &App, ctx: &Ctx, month: &str) -> AppResult<Summary> {
    ctx.actor.require(Permission::ReadElderly)?;
    let first = month_start(month)?;
    let filter = ctx.actor.scope_filter();
    let (cond, a) = filter.sql("p.area_code", "p.town_code", 2);
    let mut args: Vec<Arg> = args![born_by(first)];
    args.extend(a);
    // the band boundaries as birth dates: born after 90 years earlier is 80–89, and so on
    let b90 = first - Months::new(12 * 90);
    let b100 = first - Months::new(12 * 100);
    args.push(b90.into());
    args.push(b100.into());
    let n = args.len();
    let rows: Vec<(String, i64, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT band, COUNT(*), CAST(SUM(CASE WHEN has_account THEN 0 ELSE 1 END) AS BIGINT) FROM ( \
                   SELECT CASE WHEN p.birth_date <= ${n} THEN '100_plus' WHEN p.birth_date <= ${} THEN '90_99' ELSE '80_89' END AS band, \
                          EXISTS (SELECT 1 FROM payee_accounts a WHERE a.person_id = p.id) AS has_account \
                   FROM persons p WHERE {ELIGIBLE} AND {cond}) x GROUP BY band",
                n - 1
            ),
            args,
        )
        .await?;
    let mut tx = app.db.begin().await?;
    let amounts = standards_for(&mut tx, month).await?;
    tx.commit().await?;
    let mut bands = vec![];
    let (mut residents, mut without, mut total) = (0, 0, 0i64);
    for b in AllowanceBand::ALL {
        let (count, missing) = rows
            .iter()
            .find(|r| r.0 == b.code())
            .map(|r| (r.1, r.2))
            .unwrap_or((0, 0));
        let amount = amounts.get(b).copied();
        let paid = amount.unwrap_or(0) * (count - missing);
        residents += count;
        without += missing;
        total += paid;
        bands.push(BandFigure {
            band: b.code().into(),
            band_label: b.label().into(),
            residents: count,
            without_account: missing,
            monthly_amount: amount.map(|a| Fen(a).to_string()),
            total: Fen(paid).to_string(),
        });
    }
    Ok(Summary {
        month: month.trim().to_string(),
        bands,
        residents,
        without_account: without,
        total: Fen(total).to_string(),
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MissingAccount {
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub age: u32,
    pub village: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MissingPage {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<MissingAccount>,
}

/// Residents aged 80+ in the caller's area with no account yet, oldest first, a page at a time.
pub async fn missing_accounts(
    app: &App,
    ctx: &Ctx,
    month: &str,
    page: i64,
) -> AppResult<MissingPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let first = month_start(month)?;
    let filter = ctx.actor.scope_filter();
    let (cond, a) = filter.sql("p.area_code", "p.town_code", 2);
    let mut args: Vec<Arg> = args![born_by(first)];
    args.extend(a);
    let from = format!(
        "FROM persons p WHERE {ELIGIBLE} AND {cond} \
         AND NOT EXISTS (SELECT 1 FROM payee_accounts a WHERE a.person_id = p.id)"
    );
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {from}"), args.clone())
        .await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let page = page.clamp(1, pages);
    args.push(PAGE.into());
    args.push(((page - 1) * PAGE).into());
    let n = args.len();
    let rows: Vec<(String, String, String, NaiveDate, String)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT p.id, p.name, p.id_number, p.birth_date, p.area_code {from} \
                 ORDER BY p.birth_date, p.id LIMIT ${} OFFSET ${n}",
                n - 1
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    Ok(MissingPage {
        total,
        page,
        pages,
        items: rows
            .into_iter()
            .map(|(id, name, idn, birth, area)| MissingAccount {
                person_id: id,
                name: idnumber::mask_name(&name),
                id_number: idnumber::mask(&idn),
                age: idnumber::age_on(birth, first),
                village: areas.full_name(&area),
            })
            .collect(),
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountInput {
    /// The resident's 一卡通 (social security card) account, 10–30 digits.
    pub bank_account: String,
}

/// Records or replaces a resident's account; the old account is kept in the audit log.
pub async fn set_account(app: &App, ctx: &Ctx, person_id: &str, a: AccountInput) -> AppResult<()> {
    ctx.actor.require(Permission::HandleAllowance)?;
    let account: String = a
        .bank_account
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(10..=30).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("bank_account", "银行账号应为10–30位数字"));
    }
    let mut tx = app.db.begin().await?;
    let p = crate::storage::persons::get_tx(&mut tx, person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::NotFound("人员".into()))?;
    let lock = tx.for_update();
    let before: Option<(String,)> = tx
        .fetch_optional(
            &format!("SELECT bank_account FROM payee_accounts WHERE person_id = $1{lock}"),
            args![&p.id],
        )
        .await?;
    if before.is_some() {
        tx.execute(
            "UPDATE payee_accounts SET bank_account = $2, recorded_by = $3, recorded_at = $4 WHERE person_id = $1",
            args![&p.id, &account, &ctx.actor.display_name, now()],
        )
        .await?;
    } else {
        tx.execute(
            "INSERT INTO payee_accounts (person_id, bank_account, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)",
            args![&p.id, &account, &ctx.actor.display_name, now()],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.account", "person", &p.id)
            .area(&p.area_code)
            .before(serde_json::json!({"bank_account": before.map(|b| idnumber::mask_phone(&b.0))}))
            .after(serde_json::json!({"bank_account": idnumber::mask_phone(&account)})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StandardView {
    pub band: String,
    pub band_label: String,
    pub effective_from: String,
    /// Yuan a month.
    pub monthly_amount: String,
    pub reason: String,
    pub created_by: String,
}

/// Every standard set, newest first.
pub async fn standards(app: &App, ctx: &Ctx) -> AppResult<Vec<StandardView>> {
    ctx.actor.require(Permission::ReadElderly)?;
    Ok(crate::app::schedules::rows(app, &SCHEDULE)
        .await?
        .into_iter()
        .map(|r| StandardView {
            band_label: AllowanceBand::parse(&r.key)
                .map(AllowanceBand::label)
                .unwrap_or("")
                .into(),
            band: r.key,
            effective_from: r.effective_from,
            monthly_amount: Fen(r.monthly_amount).to_string(),
            reason: r.reason,
            created_by: r.created_by,
        })
        .collect())
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewStandard {
    /// 80_89, 90_99 or 100_plus
    pub band: String,
    /// YYYY-MM
    pub effective_from: String,
    /// Yuan a month, e.g. "50.00".
    pub monthly_amount: String,
    /// The document it follows (文号).
    pub reason: String,
}

/// Sets a band's amount from a month on (the city's elderly section); months already in an approved roll keep what
/// they paid.
pub async fn set_standard(app: &App, ctx: &Ctx, n: NewStandard) -> AppResult<Vec<StandardView>> {
    ctx.actor.require(Permission::HandleAllowance)?;
    if ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden(
            "高龄津贴标准由市局养老服务科设定".into(),
        ));
    }
    let band = AllowanceBand::parse(n.band.trim()).ok_or_else(|| {
        AppError::invalid("band", "年龄段应为80–89周岁、90–99周岁或100周岁及以上")
    })?;
    crate::app::schedules::set(
        app,
        ctx,
        &SCHEDULE,
        crate::app::schedules::Entry {
            key: band.code(),
            label: band.label(),
            effective_from: &n.effective_from,
            monthly_amount: &n.monthly_amount,
            reason: &n.reason,
        },
    )
    .await?;
    standards(app, ctx).await
}
