//! Temporary assistance (临时救助): one-off help for sudden hardship. The town grants up to 3·S at once
//! (小额先行); above that, up to 12·S, the city decides. The city can grant a batch in an emergency.

use super::standards;
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::listing::{Cell, Choice, ListParams, ListSpec, Page, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::assistance::{TemporaryApproval, temporary_approval_level};
use minzheng_domain::money::Fen;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct GrantRow {
    pub id: String,
    pub household_id: String,
    pub person_id: String,
    pub area_code: String,
    pub town_code: String,
    pub amount: i64,
    pub form: String,
    pub reason: String,
    /// approved, pending_city or refused
    pub status: String,
    /// town or city
    pub level: String,
    pub batch_id: Option<String>,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub requested_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
}

const COLS: &str = "id, household_id, person_id, area_code, town_code, amount, form, reason, status, level, batch_id, requested_by, decided_by, requested_on, decided_on";

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewGrant {
    /// The person in hardship, by id or by identity number; the grant goes to their household.
    pub person_id: String,
    /// Yuan.
    pub amount: String,
    /// cash, goods or services (资金、物质、服务)
    #[serde(default = "cash")]
    pub form: String,
    pub reason: String,
}

fn cash() -> String {
    "cash".into()
}

pub async fn request(app: &App, ctx: &Ctx, n: NewGrant) -> AppResult<GrantRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    if ctx.actor.role != Role::TownOfficer {
        return Err(AppError::Forbidden("临时救助由镇(街道)受理".into()));
    }
    let amount = Fen::parse_yuan(&n.amount)
        .map_err(|e| AppError::invalid("amount", format!("救助金额：{e}")))?;
    if amount.0 <= 0 {
        return Err(AppError::invalid("amount", "救助金额须大于0"));
    }
    if !matches!(n.form.as_str(), "cash" | "goods" | "services") {
        return Err(AppError::invalid("form", "救助方式应为资金、物质或服务"));
    }
    if n.reason.trim().chars().count() < 4 {
        return Err(AppError::invalid(
            "reason",
            "请写明急难情形（如疾病、灾害、意外、疫情）",
        ));
    }
    let today = app.today();
    let s = standards::in_force(app, today)
        .await?
        .ok_or_else(|| AppError::invalid("amount", "没有生效的救助标准"))?;
    // an officer types the identity number; other systems pass the id
    let key = n.person_id.trim().to_uppercase();
    let p = if minzheng_domain::idnumber::IdNumber::parse(&key, app.today()).is_ok() {
        let mut tx = app.db.begin().await?;
        let p = crate::storage::persons::by_id_number_tx(&mut tx, &key).await?;
        tx.commit().await?;
        p
    } else {
        crate::storage::persons::get(&app.db, n.person_id.trim()).await?
    };
    let p = match p {
        Some(p) if ctx.actor.in_scope(&p.area_code) => p,
        _ => {
            return Err(AppError::invalid(
                "person_id",
                "人员不存在或不在您的管辖范围内",
            ));
        }
    };
    let Some(household_id) = p.household_id.clone() else {
        return Err(AppError::invalid(
            "person_id",
            "该人员未关联家庭，请先在居民信息库中补全",
        ));
    };
    let mut tx = app.db.begin().await?;
    // DOMAIN §4.12: the limits hold per household over 12 months, not per grant. The household's row is locked so
    // that grants requested at once are counted one after another.
    let prior = granted_in_year(&mut tx, &household_id, today, None).await?;
    let (status, level) = match temporary_approval_level(Fen(prior + amount.0), &s) {
        TemporaryApproval::TownMay => ("approved", "town"),
        TemporaryApproval::NeedsCity => ("pending_city", "city"),
        TemporaryApproval::OverMax => {
            return Err(AppError::invalid(
                "amount",
                over_max_message(prior, amount, &s),
            ));
        }
    };
    let g = GrantRow {
        id: new_id(),
        household_id,
        person_id: p.id.clone(),
        area_code: p.area_code.clone(),
        town_code: p.town_code.clone(),
        amount: amount.0,
        form: n.form.clone(),
        reason: n.reason.trim().into(),
        status: status.into(),
        level: level.into(),
        batch_id: None,
        requested_by: ctx.actor.display_name.clone(),
        decided_by: (status == "approved").then(|| ctx.actor.display_name.clone()),
        requested_on: today,
        decided_on: (status == "approved").then_some(today),
    };
    insert(&mut tx, &g).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("temporary.request", "temporary_grant", &g.id)
            .area(&g.area_code)
            .after(serde_json::json!({"amount": amount.to_string(), "status": status, "granted_in_12_months": Fen(prior).to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(g)
}

/// What the household was granted or is waiting for (approved or pending) in the 12 months up to `on`, with its
/// row locked for the rest of the transaction. `except` leaves out the grant being decided.
async fn granted_in_year(
    tx: &mut crate::storage::Tx,
    household_id: &str,
    on: NaiveDate,
    except: Option<&str>,
) -> AppResult<i64> {
    let lock = tx.for_update();
    tx.fetch_optional::<(String,)>(
        &format!("SELECT id FROM households WHERE id = $1{lock}"),
        args![household_id],
    )
    .await?;
    let since = on - chrono::Months::new(12);
    Ok(tx
        .scalar(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM temporary_grants WHERE household_id = $1 \
             AND status IN ('approved', 'pending_city') AND requested_on > $2 AND id <> $3",
            args![household_id, since, except.unwrap_or("")],
        )
        .await?)
}

fn over_max_message(prior: i64, amount: Fen, s: &minzheng_domain::assistance::Standards) -> String {
    let max = Fen(s.dibao.0 * i64::from(s.temporary_city_max_multiple));
    if prior == 0 {
        format!("一次临时救助不能超过低保标准的12倍（{max} 元），更大的需要请按一事一议报批")
    } else {
        format!(
            "该户12个月内已获临时救助 {} 元，加上本次 {amount} 元将超过低保标准的12倍（{max} 元）；更大的需要请按一事一议报批",
            Fen(prior)
        )
    }
}

async fn insert(tx: &mut crate::storage::Tx, g: &GrantRow) -> AppResult<()> {
    tx.execute(
        &format!("INSERT INTO temporary_grants ({COLS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"),
        args![&g.id, &g.household_id, &g.person_id, &g.area_code, &g.town_code, g.amount, &g.form, &g.reason, &g.status, &g.level, g.batch_id.clone(), &g.requested_by, g.decided_by.clone(), g.requested_on, g.decided_on, now()],
    )
    .await?;
    Ok(())
}

/// The city's decision on a grant above the town's limit.
pub async fn decide(app: &App, ctx: &Ctx, id: &str, approve: bool) -> AppResult<GrantRow> {
    ctx.actor.require(Permission::HandleApplications)?;
    if ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden(
            "超过3倍低保标准的临时救助由市局审批".into(),
        ));
    }
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let g: Option<GrantRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM temporary_grants WHERE id = $1{lock}"),
            args![id],
        )
        .await?;
    let g = g
        .filter(|g| ctx.actor.in_scope(&g.area_code))
        .ok_or(AppError::NotFound("临时救助".into()))?;
    if g.status != "pending_city" {
        return Err(AppError::conflict("id", "该临时救助不在待市局审批状态"));
    }
    if approve {
        let s = standards::in_force(app, app.today())
            .await?
            .ok_or_else(|| AppError::invalid("id", "没有生效的救助标准"))?;
        let prior = granted_in_year(&mut tx, &g.household_id, app.today(), Some(&g.id)).await?;
        if temporary_approval_level(Fen(prior + g.amount), &s) == TemporaryApproval::OverMax {
            return Err(AppError::conflict(
                "id",
                over_max_message(prior, Fen(g.amount), &s),
            ));
        }
    }
    let status = if approve { "approved" } else { "refused" };
    tx.execute(
        "UPDATE temporary_grants SET status = $2, decided_by = $3, decided_on = $4 WHERE id = $1",
        args![id, status, &ctx.actor.display_name, app.today()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("temporary.decide", "temporary_grant", id)
            .area(&g.area_code)
            .before(serde_json::json!({"status": g.status}))
            .after(serde_json::json!({"status": status})),
    )
    .await?;
    tx.commit().await?;
    let mut out = g;
    out.status = status.into();
    Ok(out)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Batch {
    /// Town codes (empty: the whole city).
    #[serde(default)]
    pub towns: Vec<String>,
    /// Which cases: dibao, tekun, dibao_single, low_income or expenditure.
    pub category: String,
    /// Per household, yuan.
    pub amount: String,
    /// e.g. 疫情防控期间生活补贴
    pub reason: String,
    /// Names the batch; the same name again adds nothing.
    pub batch: String,
}

/// An emergency batch (e.g. an epidemic subsidy to every dibao household in given towns): all at once or not at all.
pub async fn batch(app: &App, ctx: &Ctx, b: Batch) -> AppResult<i64> {
    ctx.actor.require(Permission::HandleApplications)?;
    if ctx.actor.role != Role::CityOfficer {
        return Err(AppError::Forbidden("批量临时救助由市局发起".into()));
    }
    let amount = Fen::parse_yuan(&b.amount)
        .map_err(|e| AppError::invalid("amount", format!("救助金额：{e}")))?;
    let s = standards::in_force(app, app.today())
        .await?
        .ok_or_else(|| AppError::invalid("amount", "没有生效的救助标准"))?;
    if temporary_approval_level(amount, &s) == TemporaryApproval::OverMax || amount.0 <= 0 {
        return Err(AppError::invalid(
            "amount",
            "每户金额须大于0且不超过低保标准的12倍",
        ));
    }
    // an unknown category would match no case and "succeed" with nothing paid
    if !super::applications::CATEGORIES
        .iter()
        .any(|(c, _)| *c == b.category)
    {
        return Err(AppError::invalid(
            "category",
            "救助类别应为最低生活保障、单人保、特困人员救助供养、低收入家庭或支出型贫困家庭之一",
        ));
    }
    if b.batch.trim().is_empty() || b.reason.trim().is_empty() {
        return Err(AppError::invalid(
            if b.batch.trim().is_empty() {
                "batch"
            } else {
                "reason"
            },
            "请填写批次名称和救助事由",
        ));
    }
    let areas = app.areas();
    for (i, t) in b.towns.iter().enumerate() {
        if areas.get(t).is_none_or(|a| a.level != "town") {
            return Err(AppError::invalid(
                &format!("towns[{i}]"),
                format!("{t} 不是本市的镇(街道)"),
            ));
        }
    }
    let mut conds = vec![
        "c.status IN ('active', 'phasing_out')".to_string(),
        "c.category = $1".to_string(),
    ];
    let mut args: Vec<Arg> = args![b.category.as_str()];
    if !b.towns.is_empty() {
        let ph: Vec<String> = b
            .towns
            .iter()
            .map(|t| {
                args.push(Arg::from(t.as_str()));
                format!("${}", args.len())
            })
            .collect();
        conds.push(format!("c.town_code IN ({})", ph.join(", ")));
    }
    args.push(Arg::from(b.batch.trim()));
    let batch_ph = args.len();
    let today = app.today();
    let mut tx = app.db.begin().await?;
    // the households of the batch not yet in it (so a re-run adds nothing), then multi-row inserts
    let sql = format!(
        "SELECT c.household_id, a.applicant_id, c.area_code, c.town_code FROM cases c JOIN applications a ON a.id = c.application_id \
         WHERE {} AND NOT EXISTS (SELECT 1 FROM temporary_grants g WHERE g.batch_id = ${batch_ph} AND g.household_id = c.household_id) \
         ORDER BY c.town_code, c.household_id",
        conds.join(" AND ")
    );
    let targets: Vec<(String, String, String, String)> = tx.fetch_all(&sql, args).await?;
    let who = ctx.actor.display_name.clone();
    let rows: Vec<Vec<Arg>> = targets
        .iter()
        .map(|(h, p, area, town)| {
            args![
                new_id(),
                h,
                p,
                area,
                town,
                amount.0,
                "cash",
                b.reason.trim(),
                "approved",
                "city",
                b.batch.trim(),
                &who,
                &who,
                today,
                today,
                now()
            ]
        })
        .collect();
    let n = rows.len() as i64;
    tx.insert_many("temporary_grants", &format!("{COLS}, created_at"), rows)
        .await?;
    audit::record(&mut tx, ctx, Event::new("temporary.batch", "temporary_grant", b.batch.trim()).after(serde_json::json!({"category": b.category, "towns": b.towns, "amount": amount.to_string(), "households": n}))).await?;
    tx.commit().await?;
    Ok(n)
}

pub const STATUSES: [(&str, &str); 3] = [
    ("approved", "已批准"),
    ("pending_city", "待市局审批"),
    ("refused", "不予批准"),
];

pub const FORMS: [(&str, &str); 3] = [("cash", "资金"), ("goods", "物质"), ("services", "服务")];

fn label(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|x| x.0 == code).map_or("", |x| x.1)
}

/// The temporary grants list: searched by the person in hardship, filtered by form (the category), status, area and
/// request date.
pub fn list_spec() -> ListSpec {
    ListSpec {
        title: "临时救助",
        from: "temporary_grants g JOIN persons p ON p.id = g.person_id",
        area: ("g.area_code", "g.town_code"),
        person: "{}",
        categories: FORMS
            .iter()
            .map(|(c, l)| Choice::eq("g.form", c, l))
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|(c, l)| Choice::eq("g.status", c, l))
            .collect(),
        default_status: None,
        date: Some(("g.requested_on", "申请日期")),
        sorts: vec![
            SortKey {
                key: "requested",
                label: "申请日期",
                sql: "g.requested_on",
            },
            SortKey {
                key: "name",
                label: "救助对象",
                sql: "p.name",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "g.area_code",
            },
            SortKey {
                key: "amount",
                label: "金额（元）",
                sql: "g.amount",
            },
            SortKey {
                key: "status",
                label: "状态",
                sql: "g.status",
            },
        ],
        default_sort: ("requested", true),
        tiebreak: "g.id",
    }
}

/// A grant as lists show it: with the person's name, masked number and place.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct GrantItem {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub grant: GrantRow,
    pub name: String,
    #[serde(skip)]
    pub id_number: String,
    #[sqlx(skip)]
    pub id_number_masked: String,
    #[sqlx(skip)]
    pub area_name: String,
    #[sqlx(skip)]
    pub status_label: String,
    #[sqlx(skip)]
    pub form_label: String,
}

const LIST_COLS: &str = "g.id, g.household_id, g.person_id, g.area_code, g.town_code, g.amount, g.form, g.reason, g.status, g.level, \
                         g.batch_id, g.requested_by, g.decided_by, g.requested_on, g.decided_on, p.name, p.id_number";

fn item(app: &App, mut g: GrantItem) -> GrantItem {
    g.id_number_masked = minzheng_domain::idnumber::mask(&g.id_number);
    g.area_name = app.areas().full_name(&g.grant.area_code);
    g.status_label = label(&STATUSES, &g.grant.status).into();
    g.form_label = label(&FORMS, &g.grant.form).into();
    g
}

pub async fn list(app: &App, ctx: &Ctx, p: &ListParams) -> AppResult<Page<GrantItem>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let page: Page<GrantItem> = list_spec()
        .query(app, ctx, p)?
        .page(app, LIST_COLS, p.page_no())
        .await?;
    Ok(page.map(|g| item(app, g)))
}

/// The filtered grants as a worksheet (audited).
pub async fn export(app: &App, ctx: &Ctx, p: &ListParams) -> AppResult<Sheet> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let spec = list_spec();
    let rows: Vec<GrantItem> = spec.query(app, ctx, p)?.all(app, LIST_COLS).await?;
    crate::app::listing::export_audit(app, ctx, &spec, p, rows.len()).await?;
    let full = p.wants_full();
    let mut sheet = Sheet::new(
        spec.title,
        &[
            "申请日期",
            "救助对象",
            "身份证号码",
            "所在地",
            "金额（元）",
            "救助形式",
            "事由",
            "状态",
            "审批日期",
        ],
    );
    for g in rows {
        let id = id_cell(full, &g.id_number);
        let g = item(app, g);
        sheet.rows.push(vec![
            g.grant.requested_on.into(),
            g.name.into(),
            id,
            g.area_name.into(),
            Cell::Yuan(g.grant.amount),
            g.form_label.into(),
            g.grant.reason.into(),
            g.status_label.into(),
            g.grant.decided_on.into(),
        ]);
    }
    Ok(sheet)
}
