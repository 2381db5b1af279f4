//! The organisation registry shared by every business line (DOMAIN §5, LINES-API §3): an organisation is saved only
//! with a valid unified social credit code; every change is kept with who made it.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Section};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::orgs::{OrgKind, parse_credit_code};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub kind: String,
    pub area_code: String,
    pub town_code: String,
    pub address: String,
    pub legal_rep: String,
    pub authority: String,
    pub registered_on: Option<NaiveDate>,
    /// active or closed
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

const COLS: &str = "id, name, credit_code, kind, area_code, town_code, address, legal_rep, authority, registered_on, status, created_at, updated_at";

/// What a page or an API call sends to register or change an organisation.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgInput {
    pub name: String,
    /// 18 characters (GB 32100-2015); lower case is accepted and stored upper case.
    pub credit_code: String,
    /// elderly_institution, day_care_centre, meal_point, … (see /api/v1/organisations/kinds)
    pub kind: String,
    /// A town or a village/community.
    pub area_code: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub legal_rep: String,
    /// 登记管理机关, e.g. 江阴市民政局
    #[serde(default)]
    pub authority: String,
    pub registered_on: Option<NaiveDate>,
    /// active (default) or closed
    #[serde(default)]
    pub status: Option<String>,
}

fn text(field: &str, label: &str, v: &str, min: usize, max: usize) -> AppResult<String> {
    crate::app::validate::line(field, label, v, min, max)
}

/// Checks every field and answers the row as it would be stored (id and times left to the caller).
/// The section (科室) that keeps an organisation of this kind on the registry.
pub fn section_of(kind: OrgKind) -> Section {
    use OrgKind::*;
    match kind {
        ElderlyInstitution | DayCareCentre | MealPoint | ElderlyServiceOrg | HomeCareProvider
        | TrainingBase => Section::ElderlyCare,
        ChildrenCareHome | ChildrenServiceStation | ChildWelfareInstitution => {
            Section::ChildWelfare
        }
        RescueStation | FuneralFacility => Section::SocialAffairs,
        SocialGroup | PrivateNonEnterprise | Foundation | Charity | Other => {
            Section::SocialOrganisations
        }
    }
}

fn checked(app: &App, ctx: &Ctx, n: &OrgInput) -> AppResult<OrgRow> {
    let name = text("name", "名称", &n.name, 2, 100)?;
    let code = parse_credit_code(&n.credit_code)
        .map_err(|e| AppError::invalid("credit_code", e.message()))?;
    let kind = OrgKind::parse(n.kind.trim()).ok_or_else(|| {
        AppError::invalid(
            "kind",
            format!(
                "机构类别无效，应为：{}",
                OrgKind::ALL
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })?;
    ctx.actor.require_section(section_of(kind))?;
    let areas = app.areas();
    let area = areas
        .get(n.area_code.trim())
        .filter(|a| a.level != "city" && ctx.actor.in_scope(&a.code))
        .ok_or_else(|| {
            AppError::invalid("area_code", "所在区划应为您管辖范围内的镇(街道)或村(社区)")
        })?;
    if let Some(d) = n.registered_on
        && (d > app.today() || d < NaiveDate::from_ymd_opt(1949, 10, 1).expect("date"))
    {
        return Err(AppError::invalid(
            "registered_on",
            "登记日期须在1949年10月1日至今天之间",
        ));
    }
    let status = n.status.as_deref().unwrap_or("active").trim();
    if !matches!(status, "active" | "closed") {
        return Err(AppError::invalid("status", "状态只能是正常或注销/停办"));
    }
    let t = now();
    Ok(OrgRow {
        id: String::new(),
        name,
        credit_code: code.as_str().to_string(),
        kind: kind.code().into(),
        town_code: area.town_code.clone().unwrap_or_else(|| area.code.clone()),
        area_code: area.code.clone(),
        address: text("address", "地址", &n.address, 0, 200)?,
        legal_rep: text("legal_rep", "法定代表人", &n.legal_rep, 0, 50)?,
        authority: text("authority", "登记管理机关", &n.authority, 0, 100)?,
        registered_on: n.registered_on,
        status: status.into(),
        created_at: t,
        updated_at: t,
    })
}

fn row_args(r: &OrgRow) -> Vec<Arg> {
    args![
        &r.id,
        &r.name,
        &r.credit_code,
        &r.kind,
        &r.area_code,
        &r.town_code,
        &r.address,
        &r.legal_rep,
        &r.authority,
        r.registered_on,
        &r.status,
        r.created_at,
        r.updated_at
    ]
}

fn duplicate(code: &str) -> AppError {
    AppError::conflict(
        "credit_code",
        format!("统一社会信用代码 {code} 已登记，不能重复登记"),
    )
}

pub async fn create(app: &App, ctx: &Ctx, n: OrgInput) -> AppResult<OrgRow> {
    ctx.actor.require(Permission::ManageOrganisations)?;
    let mut r = checked(app, ctx, &n)?;
    r.id = new_id();
    let mut tx = app.db.begin().await?;
    tx.execute(
        &format!(
            "INSERT INTO organisations ({COLS}) VALUES ({})",
            crate::storage::placeholders(1, 13)
        ),
        row_args(&r),
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            duplicate(&r.credit_code)
        } else {
            e.into()
        }
    })?;
    let after = serde_json::to_string(&r).map_err(|e| AppError::Internal(e.into()))?;
    tx.execute(
        "INSERT INTO organisation_changes (id, organisation_id, changed_by, before_json, after_json, at) VALUES ($1, $2, $3, NULL, $4, $5)",
        args![new_id(), &r.id, &ctx.actor.display_name, after, r.created_at],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("organisation.create", "organisation", &r.id)
            .area(&r.area_code)
            .after(&r),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// Changes an organisation; the row is locked, the change kept in its history and audited.
pub async fn update(app: &App, ctx: &Ctx, id: &str, n: OrgInput) -> AppResult<OrgRow> {
    ctx.actor.require(Permission::ManageOrganisations)?;
    let mut r = checked(app, ctx, &n)?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let before: OrgRow = tx
        .fetch_optional::<OrgRow>(
            &format!("SELECT {COLS} FROM organisations WHERE id = $1{lock}"),
            args![id],
        )
        .await?
        .filter(|o| ctx.actor.in_scope(&o.area_code))
        .ok_or_else(|| AppError::NotFound("机构".into()))?;
    // the section that keeps it now must agree too, or a kind change would move it out of another's hands
    if let Some(k) = OrgKind::parse(&before.kind) {
        ctx.actor.require_section(section_of(k))?;
    }
    r.id = before.id.clone();
    r.created_at = before.created_at;
    tx.execute(
        "UPDATE organisations SET name = $2, credit_code = $3, kind = $4, area_code = $5, town_code = $6, address = $7, \
         legal_rep = $8, authority = $9, registered_on = $10, status = $11, created_at = $12, updated_at = $13 WHERE id = $1",
        row_args(&r),
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            duplicate(&r.credit_code)
        } else {
            e.into()
        }
    })?;
    let to_json = |o: &OrgRow| serde_json::to_string(o).map_err(|e| AppError::Internal(e.into()));
    tx.execute(
        "INSERT INTO organisation_changes (id, organisation_id, changed_by, before_json, after_json, at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![new_id(), &r.id, &ctx.actor.display_name, to_json(&before)?, to_json(&r)?, r.updated_at],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("organisation.update", "organisation", &r.id)
            .area(&r.area_code)
            .before(&before)
            .after(&r),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<OrgRow> {
    ctx.actor.require(Permission::ReadOrganisations)?;
    app.db
        .conn()
        .fetch_optional::<OrgRow>(
            &format!("SELECT {COLS} FROM organisations WHERE id = $1"),
            args![id],
        )
        .await?
        .filter(|o| ctx.actor.in_scope(&o.area_code))
        .ok_or_else(|| AppError::NotFound("机构".into()))
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct OrgChange {
    pub changed_by: String,
    pub before_json: Option<String>,
    pub after_json: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub async fn history(app: &App, ctx: &Ctx, id: &str) -> AppResult<Vec<OrgChange>> {
    get(app, ctx, id).await?;
    Ok(app
        .db
        .conn()
        .fetch_all(
            "SELECT changed_by, before_json, after_json, at FROM organisation_changes WHERE organisation_id = $1 ORDER BY at",
            args![id],
        )
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub area: Option<String>,
    /// Part of the name, or the credit code.
    pub q: Option<String>,
}

pub const PAGE: i64 = 50;

/// Organisations in the caller's scope, by kind, area and name or code: a page and the total.
pub async fn list(app: &App, ctx: &Ctx, f: &Filter, page: i64) -> AppResult<(Vec<OrgRow>, i64)> {
    ctx.actor.require(Permission::ReadOrganisations)?;
    let filter = crate::app::registry::area_filter(app, ctx, f.area.as_deref());
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut conds = vec![cond];
    if let Some(k) = f.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        if OrgKind::parse(k).is_none() {
            return Err(AppError::invalid("kind", "机构类别无效"));
        }
        args.push(Arg::from(k));
        conds.push(format!("kind = ${}", args.len()));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 50 {
            return Err(AppError::invalid("q", "查询内容不能超过50个字"));
        }
        args.push(Arg::from(format!("%{}%", q.replace(['%', '_'], ""))));
        args.push(Arg::from(q.to_uppercase()));
        conds.push(format!(
            "(name LIKE ${} OR credit_code = ${})",
            args.len() - 1,
            args.len()
        ));
    }
    let w = conds.join(" AND ");
    let total = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM organisations WHERE {w}"),
            args.clone(),
        )
        .await?;
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page.clamp(1, 100_000) - 1) * PAGE));
    let rows = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {COLS} FROM organisations WHERE {w} ORDER BY town_code, kind, name, id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    Ok((rows, total))
}
