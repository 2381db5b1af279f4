//! Assistance standards with effective dates and history; natural growth proposals need approval.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{new_id, now};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use minzheng_domain::assistance::{GrowthError, Standards, propose_dibao_standard};
use minzheng_domain::money::Fen;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StandardRow {
    pub id: String,
    pub effective_from: NaiveDate,
    pub params_json: String,
    pub status: String,
    pub basis: String,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
}

impl StandardRow {
    pub fn standards(&self) -> anyhow::Result<Standards> {
        Ok(serde_json::from_str(&self.params_json)?)
    }
}

const COLS: &str = "id, effective_from, params_json, status, basis, proposed_by, proposed_at, approved_by, approved_at";

/// On an empty database: the 2020 Jiangyin defaults, in force from 2020-01-01.
pub async fn seed(app: &App) -> anyhow::Result<()> {
    if app
        .db
        .conn()
        .scalar("SELECT COUNT(*) FROM assistance_standards", vec![])
        .await?
        > 0
    {
        return Ok(());
    }
    let t = now();
    let params = serde_json::to_string(&Standards::jiangyin_2020())?;
    let mut tx = app.db.begin().await?;
    tx.unaudited("the 2020 standards seeded when the database is created");
    tx.execute(
        &format!("INSERT INTO assistance_standards ({COLS}) VALUES ($1, $2, $3, 'approved', $4, 'system', $5, 'system', $5)"),
        args![new_id(), NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"), params, "2020年江阴市标准（大市一体、城乡统筹）", t],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every standard, newest first (approved and proposed).
pub async fn history(app: &App, ctx: &Ctx) -> AppResult<Vec<StandardRow>> {
    ctx.actor.require(Permission::ReadRegistry)?;
    Ok(app.db.conn().fetch_all(&format!("SELECT {COLS} FROM assistance_standards ORDER BY effective_from DESC, proposed_at DESC"), vec![]).await?)
}

/// The approved standards in force on a date.
pub async fn in_force(app: &App, on: NaiveDate) -> AppResult<Option<Standards>> {
    let row: Option<StandardRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {COLS} FROM assistance_standards WHERE status = 'approved' AND effective_from <= $1 \
                 ORDER BY effective_from DESC, approved_at DESC LIMIT 1"
            ),
            args![on],
        )
        .await?;
    row.map(|r| r.standards())
        .transpose()
        .map_err(AppError::Internal)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct GrowthProposal {
    /// Last year's per-capita consumption expenditure, yuan per year.
    pub consumption_per_year: String,
    /// 30–40 (default 35).
    pub percent: Option<u32>,
    /// The first month it applies, YYYY-MM.
    pub effective_month: String,
    /// Required when the proposal is below the standard in force: why the standard goes down.
    #[serde(default)]
    pub reason: String,
}

fn month_start(s: &str, field: &str) -> AppResult<NaiveDate> {
    let d = NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "月份格式应为 YYYY-MM"))?;
    if !(2000..=2100).contains(&d.year()) {
        return Err(AppError::invalid(field, "生效月份须在2000年至2100年之间"));
    }
    Ok(d)
}

/// Natural growth (自然增长): a proposed dibao standard; everything else carries over from the standard in force.
pub async fn propose_growth(app: &App, ctx: &Ctx, p: GrowthProposal) -> AppResult<StandardRow> {
    ctx.actor.require(Permission::ManageStandards)?;
    let consumption = Fen::parse_yuan(&p.consumption_per_year)
        .map_err(|e| AppError::invalid("consumption_per_year", format!("人均消费支出：{e}")))?;
    let percent = p
        .percent
        .unwrap_or(minzheng_domain::assistance::DEFAULT_GROWTH_PERCENT);
    let new_s = propose_dibao_standard(consumption, percent).map_err(|e| match e {
        GrowthError::PercentOutOfRange(_) => AppError::invalid("percent", "比例须在30%–40%之间"),
        other => AppError::invalid("consumption_per_year", other.to_string()),
    })?;
    let from = month_start(&p.effective_month, "effective_month")?;
    let base = in_force(app, from)
        .await?
        .ok_or_else(|| AppError::invalid("effective_month", "该月没有可参照的现行标准"))?;
    let mut s = base.clone();
    s.dibao = new_s;
    let mut basis = format!(
        "自然增长：{}年人均消费支出 {} 元 × {}% ÷ 12，向上取整到5元 = {} 元/人/月（原 {} 元）",
        from.year() - 1,
        consumption,
        percent,
        new_s,
        base.dibao
    );
    // a lower standard cuts every household's payment: it needs a recorded reason
    if new_s < base.dibao {
        let reason = p.reason.trim();
        if reason.chars().count() < 4 {
            return Err(AppError::invalid(
                "reason",
                format!(
                    "建议标准 {new_s} 元低于现行标准 {} 元，须写明下调理由",
                    base.dibao
                ),
            ));
        }
        basis = format!("{basis}；下调理由：{reason}");
    }
    insert_proposal(app, ctx, from, s, basis).await
}

async fn insert_proposal(
    app: &App,
    ctx: &Ctx,
    from: NaiveDate,
    s: Standards,
    basis: String,
) -> AppResult<StandardRow> {
    s.validate().map_err(|m| AppError::invalid("params", m))?;
    let row = StandardRow {
        id: new_id(),
        effective_from: from,
        params_json: serde_json::to_string(&s).map_err(anyhow::Error::from)?,
        status: "proposed".into(),
        basis,
        proposed_by: ctx.actor.username.clone(),
        proposed_at: now(),
        approved_by: None,
        approved_at: None,
    };
    let mut tx = app.db.begin().await?;
    tx.execute(
        &format!("INSERT INTO assistance_standards ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)"),
        args![&row.id, row.effective_from, &row.params_json, &row.status, &row.basis, &row.proposed_by, row.proposed_at],
    )
    .await?;
    audit::record(&mut tx, ctx, Event::new("standards.propose", "assistance_standard", &row.id).after(serde_json::json!({"effective_from": row.effective_from, "standards": s, "basis": row.basis}))).await?;
    tx.commit().await?;
    Ok(row)
}

/// Approves a proposal; from its effective month it is the standard in force.
pub async fn approve(app: &App, ctx: &Ctx, id: &str) -> AppResult<()> {
    ctx.actor.require(Permission::ManageStandards)?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let row: Option<StandardRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM assistance_standards WHERE id = $1{lock}"),
            args![id],
        )
        .await?;
    let Some(row) = row else {
        return Err(AppError::NotFound("标准".into()));
    };
    if row.status != "proposed" {
        return Err(AppError::conflict("id", "该标准已审批，不能重复审批"));
    }
    // four eyes: whoever proposed a standard never approves it
    if row.proposed_by == ctx.actor.username {
        return Err(AppError::Forbidden(
            "标准须由提出人以外的另一名工作人员审批".into(),
        ));
    }
    tx.execute(
        "UPDATE assistance_standards SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1 AND status = 'proposed'",
        args![id, &ctx.actor.username, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("standards.approve", "assistance_standard", id)
            .before(serde_json::json!({"status": "proposed"}))
            .after(serde_json::json!({"status": "approved", "effective_from": row.effective_from})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
