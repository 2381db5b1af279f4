//! 安全与防疫 (DOMAIN §5, plan items 5 and 25) for every kind of service institution on the organisation registry
//! (elderly institutions and day-care centres now; children's homes, rescue stations and funeral facilities use the
//! same records): checklist inspections, hazards graded 重大/一般 tracked to closure with photo evidence (an open
//! hazard past its deadline is escalated), periods of closed management, screening logs and infection incidents.
//!
//! Everything hangs on the organisation's id; its area is the scope and its kind's section (科室) is the one whose
//! city officers may record (`organisations::section_of`). Every write locks the row it changes and is audited in
//! the same transaction.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::organisations::section_of;
use crate::app::validate;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::orgs::OrgKind;
use minzheng_domain::safety::{
    CheckItem, HazardGrade, ScreeningGroup, closure_in_force, hazard_overdue,
    is_service_institution,
};
use serde_json::json;

pub use crate::app::listing::REGISTER_PAGE_SIZE as PAGE;
/// Evidence photos: JPEG or PNG, at most 5 MB each (as grid-task photos).
pub const MAX_PHOTO: usize = crate::app::verification::tasks::MAX_PHOTO;

/// The codes of the kinds this line keeps, for SQL.
fn kinds_sql() -> String {
    OrgKind::ALL
        .iter()
        .filter(|k| is_service_institution(**k))
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Org {
    id: String,
    name: String,
    kind: String,
    area_code: String,
}

/// A service institution in the caller's area ("not found" otherwise). Writing needs `perm` and, for a city
/// officer, the section of the organisation's kind; the organisation's row is locked.
async fn org_tx(tx: &mut Tx, ctx: &Ctx, id: &str, write: Option<Permission>) -> AppResult<Org> {
    let lock = if write.is_some() { tx.for_update() } else { "" };
    let org = tx
        .fetch_optional::<Org>(
            &format!("SELECT id, name, kind, area_code FROM organisations WHERE id = $1{lock}"),
            args![id],
        )
        .await?
        .filter(|o| ctx.actor.in_scope(&o.area_code))
        .ok_or_else(|| AppError::NotFound("服务机构".into()))?;
    let kind = OrgKind::parse(&org.kind)
        .filter(|k| is_service_institution(*k))
        .ok_or_else(|| AppError::NotFound("服务机构".into()))?;
    if let Some(p) = write {
        ctx.actor.require(p)?;
        ctx.actor.require_section(section_of(kind))?;
    }
    Ok(org)
}

fn past_date(field: &str, label: &str, d: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    validate::date(field, label, d)?;
    if d > today {
        return Err(AppError::invalid(field, format!("{label}不能晚于今天")));
    }
    Ok(d)
}

fn count(field: &str, label: &str, n: i64) -> AppResult<i64> {
    if !(0..=1_000_000).contains(&n) {
        return Err(AppError::invalid(field, format!("{label}应为0–1000000")));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------------------------
// Inspections

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    /// fire_facilities, evacuation, food_safety, electrical, special_equipment or duty_roster
    pub item: String,
    pub passed: bool,
    /// Required for a failed item.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewInspection {
    pub inspected_on: NaiveDate,
    /// At least two inspectors (names).
    pub inspectors: Vec<String>,
    /// Every item of the checklist, once.
    pub items: Vec<CheckAnswer>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    pub item: String,
    pub label: String,
    pub passed: bool,
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InspectionItem {
    pub id: String,
    pub inspected_on: NaiveDate,
    pub inspectors: String,
    pub items: Vec<CheckResult>,
    /// How many items failed.
    pub failed: i64,
    pub note: String,
    pub recorded_by: String,
}

pub async fn inspect(
    app: &App,
    ctx: &Ctx,
    org_id: &str,
    n: NewInspection,
) -> AppResult<InspectionItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    let inspected_on = past_date("inspected_on", "检查日期", n.inspected_on, app.today())?;
    let mut names = Vec::new();
    for x in &n.inspectors {
        let x = validate::name("inspectors", "检查人员姓名", x, 0, validate::NAME_MAX)?;
        if !x.is_empty() && !names.contains(&x) {
            names.push(x);
        }
    }
    if names.len() < 2 {
        return Err(AppError::invalid(
            "inspectors",
            "安全检查须有至少2名检查人员",
        ));
    }
    if names.len() > 10 {
        return Err(AppError::invalid("inspectors", "检查人员不能超过10名"));
    }
    let mut answers: Vec<CheckResult> = Vec::new();
    for (i, a) in n.items.iter().enumerate() {
        let field = format!("items[{i}]");
        let item = CheckItem::parse(a.item.trim()).ok_or_else(|| {
            AppError::invalid(
                &field,
                format!("检查项目无效，应为：{}", CheckItem::codes_text()),
            )
        })?;
        if answers.iter().any(|x| x.item == item.code()) {
            return Err(AppError::invalid(
                &field,
                format!("检查项目“{}”重复", item.label()),
            ));
        }
        let note = validate::text(
            &format!("{field}.note"),
            &format!("“{}”的说明", item.label()),
            &a.note,
            if a.passed { 0 } else { 2 },
            500,
        )?;
        answers.push(CheckResult {
            item: item.code().into(),
            label: item.label().into(),
            passed: a.passed,
            note,
        });
    }
    if let Some(missing) = CheckItem::ALL
        .iter()
        .find(|c| !answers.iter().any(|a| a.item == c.code()))
    {
        return Err(AppError::invalid(
            "items",
            format!(
                "检查表缺少“{}”，每一项都须填写合格或不合格",
                missing.label()
            ),
        ));
    }
    // the checklist's order
    answers.sort_by_key(|a| CheckItem::ALL.iter().position(|c| c.code() == a.item));
    let note = validate::text("note", "检查情况", &n.note, 0, validate::TEXT_MAX)?;
    let failed = answers.iter().filter(|a| !a.passed).count() as i64;
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, Some(Permission::RecordSafety)).await?;
    let id = new_id();
    let inspectors = names.join("、");
    let items_json = serde_json::to_string(
        &answers
            .iter()
            .map(|a| json!({"item": a.item, "passed": a.passed, "note": a.note}))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    tx.execute(
        "INSERT INTO safety_inspections (id, organisation_id, inspected_on, inspectors, items_json, failed, note, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![&id, org_id, inspected_on, &inspectors, &items_json, failed, &note, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.inspect", "organisation", org_id)
            .area(&org.area_code)
            .after(
                json!({"inspection": id, "inspected_on": inspected_on, "inspectors": inspectors,
                          "items": items_json, "failed": failed, "note": note}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(InspectionItem {
        id,
        inspected_on,
        inspectors,
        items: answers,
        failed,
        note,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

fn inspection_item(
    (id, on, who, items, failed, note, by): (
        String,
        NaiveDate,
        String,
        String,
        i64,
        String,
        String,
    ),
) -> InspectionItem {
    let answers: Vec<CheckAnswer> = serde_json::from_str(&items).unwrap_or_default();
    InspectionItem {
        id,
        inspected_on: on,
        inspectors: who,
        items: answers
            .into_iter()
            .map(|a| CheckResult {
                label: CheckItem::parse(&a.item)
                    .map(CheckItem::label)
                    .unwrap_or("")
                    .into(),
                item: a.item,
                passed: a.passed,
                note: a.note,
            })
            .collect(),
        failed,
        note,
        recorded_by: by,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Hazards

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewHazard {
    pub found_on: NaiveDate,
    /// major (重大) or general (一般)
    pub grade: String,
    pub description: String,
    /// The rectification deadline.
    pub deadline: NaiveDate,
    /// The inspection that found it, if any (of the same institution).
    #[serde(default)]
    pub inspection_id: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct PhotoMeta {
    pub id: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HazardItem {
    pub id: String,
    pub organisation_id: String,
    pub organisation: String,
    pub area_code: String,
    pub area_name: String,
    pub inspection_id: Option<String>,
    pub found_on: NaiveDate,
    pub grade: String,
    pub grade_label: String,
    pub description: String,
    pub deadline: NaiveDate,
    /// open or closed
    pub status: String,
    /// Open past its deadline: escalated to the city.
    pub overdue: bool,
    pub closed_on: Option<NaiveDate>,
    pub closure_note: Option<String>,
    pub closed_by: Option<String>,
    pub recorded_by: String,
    pub photos: Vec<PhotoMeta>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct HazardRow {
    id: String,
    organisation_id: String,
    organisation: String,
    area_code: String,
    inspection_id: Option<String>,
    found_on: NaiveDate,
    grade: String,
    description: String,
    deadline: NaiveDate,
    status: String,
    closed_on: Option<NaiveDate>,
    closure_note: Option<String>,
    closed_by: Option<String>,
    recorded_by: String,
}

const HAZARD_COLS: &str = "h.id, h.organisation_id, o.name AS organisation, o.area_code, h.inspection_id, h.found_on, \
    h.grade, h.description, h.deadline, h.status, h.closed_on, h.closure_note, h.closed_by, h.recorded_by";

fn hazard_item(app: &App, h: HazardRow, photos: Vec<PhotoMeta>) -> HazardItem {
    HazardItem {
        overdue: hazard_overdue(h.deadline, h.status == "closed", app.today()),
        area_name: app.areas().full_name(&h.area_code),
        grade_label: HazardGrade::parse(&h.grade)
            .map(HazardGrade::label)
            .unwrap_or("")
            .into(),
        id: h.id,
        organisation_id: h.organisation_id,
        organisation: h.organisation,
        area_code: h.area_code,
        inspection_id: h.inspection_id,
        found_on: h.found_on,
        grade: h.grade,
        description: h.description,
        deadline: h.deadline,
        status: h.status,
        closed_on: h.closed_on,
        closure_note: h.closure_note,
        closed_by: h.closed_by,
        recorded_by: h.recorded_by,
        photos,
    }
}

pub async fn add_hazard(app: &App, ctx: &Ctx, org_id: &str, n: NewHazard) -> AppResult<HazardItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    let found_on = past_date("found_on", "发现日期", n.found_on, app.today())?;
    let grade = HazardGrade::parse(n.grade.trim()).ok_or_else(|| {
        AppError::invalid("grade", "隐患等级应为 major（重大）或 general（一般）")
    })?;
    let description = validate::text(
        "description",
        "隐患描述",
        &n.description,
        4,
        validate::TEXT_MAX,
    )?;
    validate::date("deadline", "整改期限", n.deadline)?;
    if n.deadline < found_on {
        return Err(AppError::invalid("deadline", "整改期限不能早于发现日期"));
    }
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, Some(Permission::RecordSafety)).await?;
    let inspection_id = match n
        .inspection_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(i) => {
            let ok: i64 = tx
                .scalar(
                    "SELECT COUNT(*) FROM safety_inspections WHERE id = $1 AND organisation_id = $2",
                    args![i, org_id],
                )
                .await?;
            if ok == 0 {
                return Err(AppError::invalid("inspection_id", "该检查记录不是本机构的"));
            }
            Some(i.to_string())
        }
    };
    let id = new_id();
    tx.execute(
        "INSERT INTO safety_hazards (id, organisation_id, inspection_id, found_on, grade, description, deadline, status, \
         closed_on, closure_note, closed_by, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', NULL, NULL, NULL, $8, $9)",
        args![&id, org_id, inspection_id.clone(), found_on, grade.code(), &description, n.deadline, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.hazard", "safety_hazard", &id)
            .area(&org.area_code)
            .after(json!({"organisation_id": org_id, "inspection_id": inspection_id, "found_on": found_on,
                          "grade": grade.code(), "description": description, "deadline": n.deadline})),
    )
    .await?;
    tx.commit().await?;
    hazard(app, ctx, &id).await
}

#[derive(Debug, Clone, Default)]
pub struct HazardClosure {
    pub closed_on: Option<NaiveDate>,
    pub note: String,
    /// JPEG or PNG, at least one.
    pub photos: Vec<Vec<u8>>,
}

/// Closes a hazard with its evidence: what was done, and at least one photo.
pub async fn close_hazard(
    app: &App,
    ctx: &Ctx,
    id: &str,
    c: HazardClosure,
) -> AppResult<HazardItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    let today = app.today();
    let closed_on = past_date(
        "closed_on",
        "整改完成日期",
        c.closed_on.unwrap_or(today),
        today,
    )?;
    let note = validate::text("note", "整改情况", &c.note, 4, validate::TEXT_MAX)?;
    let checked = crate::app::verification::tasks::checked_photos(&c.photos)?;
    if checked.is_empty() {
        return Err(AppError::invalid(
            "photo",
            "请上传整改后的照片作为销号证据（至少一张）",
        ));
    }
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let (org_id, status, found_on): (String, String, NaiveDate) = tx
        .fetch_optional(
            &format!(
                "SELECT organisation_id, status, found_on FROM safety_hazards WHERE id = $1{lock}"
            ),
            args![id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound("隐患".into()))?;
    let org = org_tx(&mut tx, ctx, &org_id, Some(Permission::RecordSafety))
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("隐患".into()),
            e => e,
        })?;
    if status == "closed" {
        return Err(AppError::conflict("id", "该隐患已整改销号"));
    }
    if closed_on < found_on {
        return Err(AppError::invalid(
            "closed_on",
            "整改完成日期不能早于发现日期",
        ));
    }
    tx.execute(
        "UPDATE safety_hazards SET status = 'closed', closed_on = $2, closure_note = $3, closed_by = $4 WHERE id = $1",
        args![id, closed_on, &note, &ctx.actor.display_name],
    )
    .await?;
    for (ct, p) in &checked {
        use base64::Engine;
        use sha2::Digest;
        tx.execute(
            "INSERT INTO safety_hazard_photos (id, hazard_id, content_type, size, sha256, data_base64, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                new_id(), id, *ct, p.len() as i64, hex::encode(sha2::Sha256::digest(p)),
                base64::engine::general_purpose::STANDARD.encode(p), &ctx.actor.username, now()
            ],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.hazard_close", "safety_hazard", id)
            .area(&org.area_code)
            .before(json!({"status": status}))
            .after(json!({"status": "closed", "closed_on": closed_on, "note": note, "photos": checked.len()})),
    )
    .await?;
    tx.commit().await?;
    hazard(app, ctx, id).await
}

async fn photos_of(app: &App, hazard_id: &str) -> AppResult<Vec<PhotoMeta>> {
    Ok(app
        .db
        .conn()
        .fetch_all(
            "SELECT id, content_type, size, uploaded_by FROM safety_hazard_photos WHERE hazard_id = $1 ORDER BY uploaded_at, id",
            args![hazard_id],
        )
        .await?)
}

pub async fn hazard(app: &App, ctx: &Ctx, id: &str) -> AppResult<HazardItem> {
    ctx.actor.require(Permission::ReadSafety)?;
    let h: HazardRow = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {HAZARD_COLS} FROM safety_hazards h JOIN organisations o ON o.id = h.organisation_id WHERE h.id = $1"),
            args![id],
        )
        .await?
        .filter(|h: &HazardRow| ctx.actor.in_scope(&h.area_code))
        .ok_or_else(|| AppError::NotFound("隐患".into()))?;
    let photos = photos_of(app, id).await?;
    Ok(hazard_item(app, h, photos))
}

/// A rectification photo (its hazard's institution must be in scope).
pub async fn photo(app: &App, ctx: &Ctx, photo_id: &str) -> AppResult<(String, Vec<u8>)> {
    ctx.actor.require(Permission::ReadSafety)?;
    let r: Option<(String, String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT p.content_type, p.data_base64, o.area_code FROM safety_hazard_photos p \
             JOIN safety_hazards h ON h.id = p.hazard_id JOIN organisations o ON o.id = h.organisation_id WHERE p.id = $1",
            args![photo_id],
        )
        .await?;
    let (ct, data, _) = r
        .filter(|r| ctx.actor.in_scope(&r.2))
        .ok_or_else(|| AppError::NotFound("照片".into()))?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((ct, bytes))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct HazardQuery {
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// major or general
    pub grade: Option<String>,
}

/// Escalated hazards: open and past their deadline, in the caller's scope (the city sees every town's, a town its
/// own), major ones first, then the longest overdue.
pub async fn escalated(app: &App, ctx: &Ctx, q: &HazardQuery) -> AppResult<Vec<HazardItem>> {
    ctx.actor.require(Permission::ReadSafety)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 2);
    let mut args = args![app.today()];
    args.extend(a);
    let mut sql = format!(
        "SELECT {HAZARD_COLS} FROM safety_hazards h JOIN organisations o ON o.id = h.organisation_id \
         WHERE h.status = 'open' AND h.deadline < $1 AND {cond}"
    );
    if let Some(g) = q.grade.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        let g = HazardGrade::parse(g).ok_or_else(|| {
            AppError::invalid("grade", "隐患等级应为 major（重大）或 general（一般）")
        })?;
        args.push(Arg::from(g.code()));
        sql.push_str(&format!(" AND h.grade = ${}", args.len()));
    }
    sql.push_str(
        " ORDER BY (CASE WHEN h.grade = 'major' THEN 0 ELSE 1 END), h.deadline, h.id LIMIT 1000",
    );
    let rows: Vec<HazardRow> = app.db.conn().fetch_all(&sql, args).await?;
    Ok(rows
        .into_iter()
        .map(|h| hazard_item(app, h, vec![]))
        .collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Closed management, screening, infection incidents

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewClosure {
    pub starts_on: NaiveDate,
    /// Left out while in force; set later with the end call.
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ClosureItem {
    pub id: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub reason: String,
    pub recorded_by: String,
}

pub async fn add_closure(
    app: &App,
    ctx: &Ctx,
    org_id: &str,
    n: NewClosure,
) -> AppResult<ClosureItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    validate::date("starts_on", "封闭开始日期", n.starts_on)?;
    if let Some(e) = n.ends_on {
        validate::date("ends_on", "封闭结束日期", e)?;
        if e < n.starts_on {
            return Err(AppError::invalid("ends_on", "封闭结束日期不能早于开始日期"));
        }
    }
    let reason = validate::text("reason", "封闭原因", &n.reason, 2, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, Some(Permission::RecordSafety)).await?;
    // periods of one institution never overlap (an open end reaches to the end of time)
    let overlap: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM safety_closures WHERE organisation_id = $1 AND (ends_on IS NULL OR ends_on >= $2) \
             AND ($3 IS NULL OR starts_on <= $3)",
            args![org_id, n.starts_on, n.ends_on],
        )
        .await?;
    if overlap > 0 {
        return Err(AppError::conflict(
            "starts_on",
            "该期间与已登记的封闭管理期间重叠（未结束的封闭管理须先登记结束日期）",
        ));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO safety_closures (id, organisation_id, starts_on, ends_on, reason, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&id, org_id, n.starts_on, n.ends_on, &reason, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.closure", "safety_closure", &id)
            .area(&org.area_code)
            .after(json!({"organisation_id": org_id, "starts_on": n.starts_on, "ends_on": n.ends_on, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(ClosureItem {
        id,
        starts_on: n.starts_on,
        ends_on: n.ends_on,
        reason,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EndClosure {
    pub ends_on: NaiveDate,
}

pub async fn end_closure(app: &App, ctx: &Ctx, id: &str, e: EndClosure) -> AppResult<ClosureItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    validate::date("ends_on", "封闭结束日期", e.ends_on)?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let c: ClosureItem = tx
        .fetch_optional(
            &format!("SELECT id, starts_on, ends_on, reason, recorded_by FROM safety_closures WHERE id = $1{lock}"),
            args![id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound("封闭管理记录".into()))?;
    let org_id: String = tx
        .fetch_one::<(String,)>(
            "SELECT organisation_id FROM safety_closures WHERE id = $1",
            args![id],
        )
        .await?
        .0;
    let org = org_tx(&mut tx, ctx, &org_id, Some(Permission::RecordSafety))
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("封闭管理记录".into()),
            e => e,
        })?;
    if c.ends_on.is_some() {
        return Err(AppError::conflict("ends_on", "该封闭管理已登记结束日期"));
    }
    if e.ends_on < c.starts_on {
        return Err(AppError::invalid("ends_on", "封闭结束日期不能早于开始日期"));
    }
    tx.execute(
        "UPDATE safety_closures SET ends_on = $2 WHERE id = $1",
        args![id, e.ends_on],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.closure_end", "safety_closure", id)
            .area(&org.area_code)
            .after(json!({"ends_on": e.ends_on})),
    )
    .await?;
    tx.commit().await?;
    Ok(ClosureItem {
        ends_on: Some(e.ends_on),
        ..c
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewScreening {
    pub screened_on: NaiveDate,
    /// staff (工作人员), residents (服务对象) or visitors (来访人员)
    pub group: String,
    pub screened: i64,
    pub abnormal: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScreeningItem {
    pub id: String,
    pub screened_on: NaiveDate,
    pub group: String,
    pub group_label: String,
    pub screened: i64,
    pub abnormal: i64,
    pub note: String,
    pub recorded_by: String,
}

/// A screening log entry: town and city staff, and the village's grid worker at an institution of its village.
pub async fn add_screening(
    app: &App,
    ctx: &Ctx,
    org_id: &str,
    n: NewScreening,
) -> AppResult<ScreeningItem> {
    ctx.actor.require(Permission::RecordScreening)?;
    let screened_on = past_date("screened_on", "筛查日期", n.screened_on, app.today())?;
    let group = ScreeningGroup::parse(n.group.trim()).ok_or_else(|| {
        AppError::invalid(
            "group",
            "筛查对象应为 staff（工作人员）、residents（服务对象）或 visitors（来访人员）",
        )
    })?;
    let screened = count("screened", "筛查人数", n.screened)?;
    let abnormal = count("abnormal", "异常人数", n.abnormal)?;
    if abnormal > screened {
        return Err(AppError::invalid("abnormal", "异常人数不能多于筛查人数"));
    }
    let note = validate::text("note", "情况说明", &n.note, 0, validate::TEXT_MAX)?;
    if abnormal > 0 && note.chars().count() < 2 {
        return Err(AppError::invalid("note", "有异常人员时须说明处置情况"));
    }
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, Some(Permission::RecordScreening)).await?;
    let id = new_id();
    tx.execute(
        "INSERT INTO safety_screenings (id, organisation_id, screened_on, grp, screened, abnormal, note, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![&id, org_id, screened_on, group.code(), screened, abnormal, &note, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.screening", "safety_screening", &id)
            .area(&org.area_code)
            .after(
                json!({"organisation_id": org_id, "screened_on": screened_on, "group": group.code(),
                          "screened": screened, "abnormal": abnormal, "note": note}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(ScreeningItem {
        id,
        screened_on,
        group: group.code().into(),
        group_label: group.label().into(),
        screened,
        abnormal,
        note,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewIncident {
    pub occurred_on: NaiveDate,
    /// At least one.
    pub infected: i64,
    /// What was done (隔离、消杀、报告疾控 …).
    pub measures: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct IncidentItem {
    pub id: String,
    pub occurred_on: NaiveDate,
    pub infected: i64,
    pub measures: String,
    pub closed_on: Option<NaiveDate>,
    pub closure_note: Option<String>,
    pub closed_by: Option<String>,
    pub recorded_by: String,
}

const INCIDENT_COLS: &str =
    "id, occurred_on, infected, measures, closed_on, closure_note, closed_by, recorded_by";

pub async fn add_incident(
    app: &App,
    ctx: &Ctx,
    org_id: &str,
    n: NewIncident,
) -> AppResult<IncidentItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    let occurred_on = past_date("occurred_on", "发生日期", n.occurred_on, app.today())?;
    let infected = count("infected", "感染人数", n.infected)?;
    if infected < 1 {
        return Err(AppError::invalid("infected", "感染人数至少为1"));
    }
    let measures = validate::text("measures", "处置措施", &n.measures, 4, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, Some(Permission::RecordSafety)).await?;
    let id = new_id();
    tx.execute(
        "INSERT INTO safety_incidents (id, organisation_id, occurred_on, infected, measures, closed_on, closure_note, closed_by, \
         recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, $6, $7)",
        args![&id, org_id, occurred_on, infected, &measures, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.incident", "safety_incident", &id)
            .area(&org.area_code)
            .after(json!({"organisation_id": org_id, "occurred_on": occurred_on, "infected": infected, "measures": measures})),
    )
    .await?;
    tx.commit().await?;
    Ok(IncidentItem {
        id,
        occurred_on,
        infected,
        measures,
        closed_on: None,
        closure_note: None,
        closed_by: None,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CloseIncident {
    pub closed_on: NaiveDate,
    /// How it ended (解除隔离、全部治愈 …).
    pub note: String,
}

pub async fn close_incident(
    app: &App,
    ctx: &Ctx,
    id: &str,
    c: CloseIncident,
) -> AppResult<IncidentItem> {
    ctx.actor.require(Permission::RecordSafety)?;
    let closed_on = past_date("closed_on", "结案日期", c.closed_on, app.today())?;
    let note = validate::text("note", "结案说明", &c.note, 2, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let i: IncidentItem = tx
        .fetch_optional(
            &format!("SELECT {INCIDENT_COLS} FROM safety_incidents WHERE id = $1{lock}"),
            args![id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound("感染事件".into()))?;
    let org_id: String = tx
        .fetch_one::<(String,)>(
            "SELECT organisation_id FROM safety_incidents WHERE id = $1",
            args![id],
        )
        .await?
        .0;
    let org = org_tx(&mut tx, ctx, &org_id, Some(Permission::RecordSafety))
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("感染事件".into()),
            e => e,
        })?;
    if i.closed_on.is_some() {
        return Err(AppError::conflict("id", "该感染事件已结案"));
    }
    if closed_on < i.occurred_on {
        return Err(AppError::invalid("closed_on", "结案日期不能早于发生日期"));
    }
    tx.execute(
        "UPDATE safety_incidents SET closed_on = $2, closure_note = $3, closed_by = $4 WHERE id = $1",
        args![id, closed_on, &note, &ctx.actor.display_name],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("safety.incident_close", "safety_incident", id)
            .area(&org.area_code)
            .after(json!({"closed_on": closed_on, "note": note})),
    )
    .await?;
    tx.commit().await?;
    Ok(IncidentItem {
        closed_on: Some(closed_on),
        closure_note: Some(note),
        closed_by: Some(ctx.actor.display_name.clone()),
        ..i
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SafetyView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub area_code: String,
    pub area_name: String,
    /// Under closed management today.
    pub closed_now: bool,
    pub inspections: Vec<InspectionItem>,
    pub hazards: Vec<HazardItem>,
    pub closures: Vec<ClosureItem>,
    /// The latest 200 entries.
    pub screenings: Vec<ScreeningItem>,
    pub incidents: Vec<IncidentItem>,
}

pub async fn get(app: &App, ctx: &Ctx, org_id: &str) -> AppResult<SafetyView> {
    ctx.actor.require(Permission::ReadSafety)?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, org_id, None).await?;
    let inspections: Vec<(String, NaiveDate, String, String, i64, String, String)> = tx
        .fetch_all(
            "SELECT id, inspected_on, inspectors, items_json, failed, note, recorded_by FROM safety_inspections \
             WHERE organisation_id = $1 ORDER BY inspected_on DESC, created_at DESC",
            args![org_id],
        )
        .await?;
    let hazards: Vec<HazardRow> = tx
        .fetch_all(
            &format!(
                "SELECT {HAZARD_COLS} FROM safety_hazards h JOIN organisations o ON o.id = h.organisation_id \
                 WHERE h.organisation_id = $1 ORDER BY (CASE WHEN h.status = 'open' THEN 0 ELSE 1 END), h.deadline, h.id"
            ),
            args![org_id],
        )
        .await?;
    let closures: Vec<ClosureItem> = tx
        .fetch_all(
            "SELECT id, starts_on, ends_on, reason, recorded_by FROM safety_closures WHERE organisation_id = $1 ORDER BY starts_on DESC",
            args![org_id],
        )
        .await?;
    let screenings: Vec<(String, NaiveDate, String, i64, i64, String, String)> = tx
        .fetch_all(
            "SELECT id, screened_on, grp, screened, abnormal, note, recorded_by FROM safety_screenings \
             WHERE organisation_id = $1 ORDER BY screened_on DESC, created_at DESC LIMIT 200",
            args![org_id],
        )
        .await?;
    let incidents: Vec<IncidentItem> = tx
        .fetch_all(
            &format!("SELECT {INCIDENT_COLS} FROM safety_incidents WHERE organisation_id = $1 ORDER BY occurred_on DESC, created_at DESC"),
            args![org_id],
        )
        .await?;
    tx.commit().await?;
    let mut hz = Vec::new();
    for h in hazards {
        let photos = photos_of(app, &h.id).await?;
        hz.push(hazard_item(app, h, photos));
    }
    let today = app.today();
    Ok(SafetyView {
        closed_now: closures
            .iter()
            .any(|c| closure_in_force(c.starts_on, c.ends_on, today)),
        kind_label: OrgKind::parse(&org.kind)
            .map(OrgKind::label)
            .unwrap_or("")
            .into(),
        area_name: app.areas().full_name(&org.area_code),
        id: org.id,
        name: org.name,
        kind: org.kind,
        area_code: org.area_code,
        inspections: inspections.into_iter().map(inspection_item).collect(),
        hazards: hz,
        closures,
        screenings: screenings
            .into_iter()
            .map(
                |(id, on, grp, screened, abnormal, note, by)| ScreeningItem {
                    id,
                    screened_on: on,
                    group_label: ScreeningGroup::parse(&grp)
                        .map(ScreeningGroup::label)
                        .unwrap_or("")
                        .into(),
                    group: grp,
                    screened,
                    abnormal,
                    note,
                    recorded_by: by,
                },
            )
            .collect(),
        incidents,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct SafetyQuery {
    /// Part of the name, or the whole credit code.
    pub q: Option<String>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// An organisation kind (elderly_institution, day_care_centre, …).
    pub kind: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SafetyItem {
    pub id: String,
    pub name: String,
    pub kind_label: String,
    pub area_name: String,
    pub last_inspected_on: Option<NaiveDate>,
    pub open_hazards: i64,
    /// Open past the deadline.
    pub overdue_hazards: i64,
    pub major_open: i64,
    pub closed_now: bool,
    pub open_incidents: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SafetyPage {
    pub items: Vec<SafetyItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

type SafetyRow = (
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// Service institutions in the caller's scope with their open hazards, closed management and incidents.
pub async fn list(app: &App, ctx: &Ctx, q: &SafetyQuery) -> AppResult<SafetyPage> {
    ctx.actor.require(Permission::ReadSafety)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 2);
    let today = app.today();
    let mut args = args![today];
    args.extend(a);
    let mut conds = vec![cond, format!("o.kind IN ({})", kinds_sql())];
    if let Some(k) = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        let kind = OrgKind::parse(k)
            .filter(|k| is_service_institution(*k))
            .ok_or_else(|| AppError::invalid("kind", "机构类别无效或不属于服务机构"))?;
        args.push(Arg::from(kind.code()));
        conds.push(format!("o.kind = ${}", args.len()));
    }
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if s.chars().count() > 50 {
            return Err(AppError::invalid("q", "查询内容不能超过50个字"));
        }
        args.push(Arg::from(format!("%{}%", s.replace(['%', '_'], ""))));
        args.push(Arg::from(s.to_uppercase()));
        conds.push(format!(
            "(o.name LIKE ${} OR o.credit_code = ${})",
            args.len() - 1,
            args.len()
        ));
    }
    let w = conds.join(" AND ");
    // $1 (today) is used only by the page's columns; the count binds it too, harmlessly
    let total = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM organisations o WHERE {w} AND $1 = $1"),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<SafetyRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT o.id, o.name, o.kind, o.area_code, \
                 (SELECT x.inspected_on FROM safety_inspections x WHERE x.organisation_id = o.id ORDER BY x.inspected_on DESC LIMIT 1), \
                 (SELECT COUNT(*) FROM safety_hazards h WHERE h.organisation_id = o.id AND h.status = 'open'), \
                 (SELECT COUNT(*) FROM safety_hazards h WHERE h.organisation_id = o.id AND h.status = 'open' AND h.deadline < $1), \
                 (SELECT COUNT(*) FROM safety_hazards h WHERE h.organisation_id = o.id AND h.status = 'open' AND h.grade = 'major'), \
                 (SELECT COUNT(*) FROM safety_closures c WHERE c.organisation_id = o.id AND c.starts_on <= $1 AND (c.ends_on IS NULL OR c.ends_on >= $1)), \
                 (SELECT COUNT(*) FROM safety_incidents i WHERE i.organisation_id = o.id AND i.closed_on IS NULL) \
                 FROM organisations o WHERE {w} ORDER BY o.town_code, o.name, o.id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    Ok(SafetyPage {
        items: rows
            .into_iter()
            .map(
                |(id, name, kind, area, last, open, overdue, major, closed, incidents)| {
                    SafetyItem {
                        id,
                        name,
                        kind_label: OrgKind::parse(&kind)
                            .map(OrgKind::label)
                            .unwrap_or("")
                            .into(),
                        area_name: areas.full_name(&area),
                        last_inspected_on: last,
                        open_hazards: open,
                        overdue_hazards: overdue,
                        major_open: major,
                        closed_now: closed > 0,
                        open_incidents: incidents,
                    }
                },
            )
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}
