//! 社区养老服务设施 (plan item 16): a day-care centre or meal point on the organisation registry gets its service
//! profile (level, meals, 区域性助餐中心, opening date, capacity) and the villages/communities it serves; the 标配
//! check records which checklist items were found (the rule in `minzheng_domain::elderly::community` decides the
//! result); the bureau names 一镇一品 demonstration sites and smart elderly care institutions.
//!
//! Every use case checks the permission and the organisation's area, locks the row it changes and writes the audit
//! log in the same transaction.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::validate;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::elderly::community::{self as rule, Designation, FacilityLevel, StandardItem};
use minzheng_domain::orgs::OrgKind;
use serde_json::json;

pub const PAGE: i64 = 50;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Org {
    pub kind: String,
    pub area_code: String,
    pub town_code: String,
    pub status: String,
}

/// The organisation, locked when `lock` is set; outside the caller's area (or of another kind) it is "not found".
pub(crate) async fn org_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    id: &str,
    lock: bool,
    ok: impl Fn(OrgKind) -> bool,
    what: &str,
) -> AppResult<Org> {
    let clause = if lock { tx.for_update() } else { "" };
    tx.fetch_optional::<Org>(
        &format!(
            "SELECT kind, area_code, town_code, status FROM organisations WHERE id = $1{clause}"
        ),
        args![id],
    )
    .await?
    .filter(|o| OrgKind::parse(&o.kind).is_some_and(&ok) && ctx.actor.in_scope(&o.area_code))
    .ok_or_else(|| AppError::NotFound(what.into()))
}

pub(crate) fn past_date(
    field: &str,
    label: &str,
    d: NaiveDate,
    today: NaiveDate,
) -> AppResult<NaiveDate> {
    validate::date(field, label, d)?;
    if d > today {
        return Err(AppError::invalid(field, format!("{label}不能晚于今天")));
    }
    Ok(d)
}

/// Two or more distinct names (inspectors, checkers), each at most 30 characters.
pub(crate) fn two_people(field: &str, label: &str, names: &[String]) -> AppResult<String> {
    let mut v: Vec<String> = Vec::new();
    for n in names {
        let n = validate::name(field, label, n, 0, 30)?;
        if !n.is_empty() && !v.contains(&n) {
            v.push(n);
        }
    }
    if v.len() < 2 {
        return Err(AppError::invalid(
            field,
            format!("{label}至少2人，请填写姓名"),
        ));
    }
    Ok(v.join("、"))
}

// ---------------------------------------------------------------------------------------------------------------
// profile and villages served

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FacilityInput {
    /// town (镇(街)级) or village (村(社区)级)
    pub level: String,
    /// Offers meals (助餐服务); a meal point always does.
    #[serde(default)]
    pub meals: bool,
    /// 区域性助餐中心: a meal centre with its own kitchen serving several villages/communities.
    #[serde(default)]
    pub regional: bool,
    pub opened_on: NaiveDate,
    /// 床位或餐位 (0 when none).
    #[serde(default)]
    pub capacity: i64,
    /// The villages/communities served (codes), within the facility's town; at least one.
    pub served: Vec<String>,
}

/// Sets a facility's service profile and the villages it serves (replacing the earlier list).
pub async fn set_facility(
    app: &App,
    ctx: &Ctx,
    id: &str,
    f: FacilityInput,
) -> AppResult<FacilityView> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let level = FacilityLevel::parse(f.level.trim()).ok_or_else(|| {
        AppError::invalid(
            "level",
            "设施级别应为 town（镇(街)级）或 village（村(社区)级）",
        )
    })?;
    past_date("opened_on", "建成运营日期", f.opened_on, app.today())?;
    if !(0..=10_000).contains(&f.capacity) {
        return Err(AppError::invalid("capacity", "床位或餐位数应在0–10000之间"));
    }
    let mut tx = app.db.begin().await?;
    let org = org_tx(
        &mut tx,
        ctx,
        id,
        true,
        rule::is_community_facility,
        "社区养老服务设施",
    )
    .await?;
    if org.status != "active" {
        return Err(AppError::conflict("id", "该设施已注销或停办"));
    }
    let meals = f.meals || org.kind == OrgKind::MealPoint.code();
    if f.regional && !meals {
        return Err(AppError::invalid(
            "regional",
            "区域性助餐中心须提供助餐服务",
        ));
    }
    let areas = app.areas();
    let mut served: Vec<String> = Vec::new();
    for code in &f.served {
        let a = areas
            .get(code.trim())
            .filter(|a| {
                a.level == "village" && a.town_code.as_deref() == Some(org.town_code.as_str())
            })
            .ok_or_else(|| {
                AppError::invalid(
                    "served",
                    format!("服务的村(社区)“{code}”不是本设施所在镇(街道)的村(社区)"),
                )
            })?;
        if !served.contains(&a.code) {
            served.push(a.code.clone());
        }
    }
    if served.is_empty() {
        return Err(AppError::invalid(
            "served",
            "请选择设施服务的村(社区)（至少一个）",
        ));
    }
    if level == FacilityLevel::Village && served.len() > 5 {
        return Err(AppError::invalid(
            "served",
            "村(社区)级设施服务的村(社区)不能超过5个，覆盖更广的请登记为镇(街)级",
        ));
    }
    let before: Option<(String, bool, bool, NaiveDate, i64)> = tx
        .fetch_optional(
            &format!("SELECT level, meals, regional, opened_on, capacity FROM elderly_facilities WHERE organisation_id = $1{}", tx.for_update()),
            args![id],
        )
        .await?;
    let at = now();
    let by = ctx.actor.display_name.clone();
    if before.is_some() {
        tx.execute(
            "UPDATE elderly_facilities SET level = $2, meals = $3, regional = $4, opened_on = $5, capacity = $6, updated_at = $7 WHERE organisation_id = $1",
            args![id, level.code(), meals, f.regional, f.opened_on, f.capacity, at],
        )
        .await?;
        tx.execute(
            "DELETE FROM elderly_facility_areas WHERE organisation_id = $1",
            args![id],
        )
        .await?;
    } else {
        tx.execute(
            "INSERT INTO elderly_facilities (organisation_id, level, meals, regional, opened_on, capacity, recorded_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            args![id, level.code(), meals, f.regional, f.opened_on, f.capacity, &by, at],
        )
        .await?;
    }
    for code in &served {
        tx.execute(
            "INSERT INTO elderly_facility_areas (organisation_id, area_code, town_code) VALUES ($1, $2, $3)",
            args![id, code, &org.town_code],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.facility", "organisation", id)
            .area(&org.area_code)
            .before(json!(before.map(|b| json!({"level": b.0, "meals": b.1, "regional": b.2, "opened_on": b.3, "capacity": b.4}))))
            .after(json!({"level": level.code(), "meals": meals, "regional": f.regional, "opened_on": f.opened_on,
                          "capacity": f.capacity, "served": served})),
    )
    .await?;
    tx.commit().await?;
    facility(app, ctx, id).await
}

// ---------------------------------------------------------------------------------------------------------------
// 标配 check

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StandardCheck {
    pub checked_on: NaiveDate,
    /// At least two.
    pub checkers: Vec<String>,
    /// The checklist items found present (premises, rest, dining, health, activity, barrier_free, staff, rules).
    pub present: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckItem {
    pub id: String,
    pub checked_on: NaiveDate,
    pub checkers: String,
    /// Whether every checklist item was present (按标配建到位).
    pub met: bool,
    /// The items missing, in Chinese.
    pub missing: Vec<String>,
    pub note: String,
    pub recorded_by: String,
}

/// Records a 标配 check; its result is decided by the checklist rule.
pub async fn check_standard(
    app: &App,
    ctx: &Ctx,
    id: &str,
    c: StandardCheck,
) -> AppResult<CheckItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    past_date("checked_on", "检查日期", c.checked_on, app.today())?;
    let checkers = two_people("checkers", "检查人员", &c.checkers)?;
    let mut present = Vec::new();
    for p in &c.present {
        let item = StandardItem::parse(p.trim()).ok_or_else(|| {
            AppError::invalid(
                "present",
                format!("标配项目“{p}”无效，应为：{}", StandardItem::codes_text()),
            )
        })?;
        if !present.contains(&item) {
            present.push(item);
        }
    }
    let missing = rule::missing_items(&present);
    let met = rule::standard_met(&present);
    let note = validate::text(
        "note",
        "说明",
        &c.note,
        if met { 0 } else { 2 },
        validate::TEXT_MAX,
    )
    .map_err(|e| match e {
        AppError::Invalid { .. } if !met && c.note.trim().chars().count() < 2 => {
            AppError::invalid("note", "未按标配建到位的，请写明整改要求")
        }
        e => e,
    })?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(
        &mut tx,
        ctx,
        id,
        true,
        rule::is_community_facility,
        "社区养老服务设施",
    )
    .await?;
    let opened: Option<NaiveDate> = tx
        .fetch_optional::<(NaiveDate,)>(
            "SELECT opened_on FROM elderly_facilities WHERE organisation_id = $1",
            args![id],
        )
        .await?
        .map(|r| r.0);
    let Some(opened) = opened else {
        return Err(AppError::conflict("id", "请先登记该设施的服务信息"));
    };
    if c.checked_on < opened {
        return Err(AppError::invalid(
            "checked_on",
            "检查日期不能早于设施建成运营日期",
        ));
    }
    let row_id = new_id();
    let codes: Vec<&str> = present.iter().map(|i| i.code()).collect();
    tx.execute(
        "INSERT INTO elderly_standard_checks (id, organisation_id, checked_on, checkers, items_json, missing, met, note, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![&row_id, id, c.checked_on, &checkers, json!(codes).to_string(), missing.len() as i64, met, &note,
              &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.standard_check", "organisation", id)
            .area(&org.area_code)
            .after(json!({"checked_on": c.checked_on, "present": codes, "met": met})),
    )
    .await?;
    tx.commit().await?;
    Ok(CheckItem {
        id: row_id,
        checked_on: c.checked_on,
        checkers,
        met,
        missing: missing.iter().map(|i| i.label().to_string()).collect(),
        note,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// designations

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DesignationInput {
    /// demo_site (一镇一品居家社区养老示范点) or smart (智慧养老服务机构)
    pub kind: String,
    pub named_on: NaiveDate,
    /// The site's brand or the smart services (e.g. 颐养澄江 · 智慧助餐).
    pub title: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DesignationItem {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub area_name: String,
    pub kind: String,
    pub kind_label: String,
    pub named_on: NaiveDate,
    pub title: String,
    pub revoked_on: Option<NaiveDate>,
}

/// Names an organisation a 一镇一品 demonstration site or a smart elderly care institution (once each while in force).
pub async fn designate(
    app: &App,
    ctx: &Ctx,
    id: &str,
    d: DesignationInput,
) -> AppResult<DesignationItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let kind = Designation::parse(d.kind.trim()).ok_or_else(|| {
        AppError::invalid(
            "kind",
            "命名类别应为 demo_site（一镇一品示范点）或 smart（智慧养老服务机构）",
        )
    })?;
    past_date("named_on", "命名日期", d.named_on, app.today())?;
    let title = validate::line("title", "名称或特色", &d.title, 2, 100)?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(
        &mut tx,
        ctx,
        id,
        true,
        may_designate_any,
        "养老服务机构或设施",
    )
    .await?;
    let ok_kind = OrgKind::parse(&org.kind).is_some_and(|k| rule::may_designate(kind, k));
    if !ok_kind {
        return Err(AppError::invalid(
            "kind",
            format!(
                "{}不能命名为{}",
                OrgKind::parse(&org.kind).map_or("", |k| k.label()),
                kind.label()
            ),
        ));
    }
    if org.status != "active" {
        return Err(AppError::conflict("id", "该机构已注销或停办"));
    }
    let live: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM elderly_designations WHERE organisation_id = $1 AND kind = $2 AND revoked_on IS NULL",
            args![id, kind.code()],
        )
        .await?;
    if live > 0 {
        return Err(AppError::conflict(
            "kind",
            format!("该机构已命名为{}", kind.label()),
        ));
    }
    let row_id = new_id();
    tx.execute(
        "INSERT INTO elderly_designations (id, organisation_id, kind, named_on, title, revoked_on, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)",
        args![&row_id, id, kind.code(), d.named_on, &title, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.designation", "organisation", id)
            .area(&org.area_code)
            .after(json!({"kind": kind.code(), "named_on": d.named_on, "title": title})),
    )
    .await?;
    tx.commit().await?;
    designations(
        app,
        ctx,
        &DesignationQuery {
            organisation_id: Some(id.into()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .find(|x| x.id == row_id)
    .ok_or_else(|| AppError::NotFound("命名".into()))
}

fn may_designate_any(k: OrgKind) -> bool {
    Designation::ALL.iter().any(|d| rule::may_designate(*d, k))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct DesignationQuery {
    /// demo_site or smart
    pub kind: Option<String>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// One organisation's designations only.
    pub organisation_id: Option<String>,
}

/// Designations in the caller's scope, newest first.
pub async fn designations(
    app: &App,
    ctx: &Ctx,
    q: &DesignationQuery,
) -> AppResult<Vec<DesignationItem>> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut w = cond;
    if let Some(k) = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        let k = Designation::parse(k)
            .ok_or_else(|| AppError::invalid("kind", "命名类别应为 demo_site 或 smart"))?;
        args.push(Arg::from(k.code()));
        w = format!("{w} AND d.kind = ${}", args.len());
    }
    if let Some(o) = q
        .organisation_id
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        args.push(Arg::from(o));
        w = format!("{w} AND d.organisation_id = ${}", args.len());
    }
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, String, String, String, String, NaiveDate, String, Option<NaiveDate>)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT d.id, d.organisation_id, o.name, o.area_code, d.kind, d.named_on, d.title, d.revoked_on \
                 FROM elderly_designations d JOIN organisations o ON o.id = d.organisation_id WHERE {w} \
                 ORDER BY d.named_on DESC, d.id LIMIT 1000"
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    Ok(rows
        .into_iter()
        .map(
            |(id, org, name, area, kind, named_on, title, revoked_on)| DesignationItem {
                kind_label: Designation::parse(&kind).map_or("", |k| k.label()).into(),
                area_name: areas.full_name(&area),
                id,
                organisation_id: org,
                organisation_name: name,
                kind,
                named_on,
                title,
                revoked_on,
            },
        )
        .collect())
}

// ---------------------------------------------------------------------------------------------------------------
// reading

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ServedArea {
    pub area_code: String,
    pub area_name: String,
    /// Rural (村) or urban (社区) by the committee's name.
    pub rural: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FacilityView {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub kind: String,
    pub kind_label: String,
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    /// null until the service profile is recorded.
    pub level: Option<String>,
    pub level_label: String,
    pub meals: bool,
    pub regional: bool,
    pub opened_on: Option<NaiveDate>,
    pub capacity: i64,
    pub served: Vec<ServedArea>,
    /// Newest first.
    pub checks: Vec<CheckItem>,
    pub designations: Vec<DesignationItem>,
}

pub async fn facility(app: &App, ctx: &Ctx, id: &str) -> AppResult<FacilityView> {
    ctx.actor.require(Permission::ReadElderly)?;
    let mut conn = app.db.conn();
    let o: (String, String, String, String, String) = conn
        .fetch_optional::<(String, String, String, String, String)>(
            "SELECT name, credit_code, kind, area_code, status FROM organisations WHERE id = $1",
            args![id],
        )
        .await?
        .filter(|o| {
            OrgKind::parse(&o.2).is_some_and(rule::is_community_facility)
                && ctx.actor.in_scope(&o.3)
        })
        .ok_or_else(|| AppError::NotFound("社区养老服务设施".into()))?;
    let prof: Option<(String, bool, bool, NaiveDate, i64)> = conn
        .fetch_optional(
            "SELECT level, meals, regional, opened_on, capacity FROM elderly_facilities WHERE organisation_id = $1",
            args![id],
        )
        .await?;
    let served: Vec<(String,)> = conn
        .fetch_all(
            "SELECT area_code FROM elderly_facility_areas WHERE organisation_id = $1 ORDER BY area_code",
            args![id],
        )
        .await?;
    let checks: Vec<(String, NaiveDate, String, String, bool, String, String)> = conn
        .fetch_all(
            "SELECT id, checked_on, checkers, items_json, met, note, recorded_by FROM elderly_standard_checks \
             WHERE organisation_id = $1 ORDER BY checked_on DESC, created_at DESC",
            args![id],
        )
        .await?;
    let areas = app.areas();
    let own_designations = designations(
        app,
        ctx,
        &DesignationQuery {
            organisation_id: Some(id.into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(FacilityView {
        id: id.into(),
        name: o.0,
        credit_code: o.1,
        kind_label: OrgKind::parse(&o.2).map_or("", |k| k.label()).into(),
        kind: o.2,
        area_name: areas.full_name(&o.3),
        area_code: o.3,
        status: o.4,
        level_label: prof
            .as_ref()
            .and_then(|p| FacilityLevel::parse(&p.0))
            .map_or("未登记", |l| l.label())
            .into(),
        level: prof.as_ref().map(|p| p.0.clone()),
        meals: prof.as_ref().is_some_and(|p| p.1),
        regional: prof.as_ref().is_some_and(|p| p.2),
        opened_on: prof.as_ref().map(|p| p.3),
        capacity: prof.as_ref().map_or(0, |p| p.4),
        served: served
            .into_iter()
            .map(|(c,)| {
                let name = areas.name(&c);
                ServedArea {
                    rural: rule::is_rural_community(&name),
                    area_name: areas.full_name(&c),
                    area_code: c,
                }
            })
            .collect(),
        checks: checks
            .into_iter()
            .map(|(cid, on, checkers, items, met, note, by)| {
                let present: Vec<StandardItem> = serde_json::from_str::<Vec<String>>(&items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| StandardItem::parse(c))
                    .collect();
                CheckItem {
                    id: cid,
                    checked_on: on,
                    checkers,
                    met,
                    missing: rule::missing_items(&present)
                        .iter()
                        .map(|i| i.label().to_string())
                        .collect(),
                    note,
                    recorded_by: by,
                }
            })
            .collect(),
        designations: own_designations,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct FacilityQuery {
    /// day_care_centre or meal_point
    pub kind: Option<String>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    /// met, not_met (the latest check) or unchecked
    pub standard: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FacilityItem {
    pub id: String,
    pub name: String,
    pub kind_label: String,
    pub area_name: String,
    pub status: String,
    pub level_label: String,
    pub meals: bool,
    pub regional: bool,
    pub opened_on: Option<NaiveDate>,
    pub served: i64,
    pub last_checked_on: Option<NaiveDate>,
    /// The latest 标配 check's result; null when never checked.
    pub standard_met: Option<bool>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FacilityPage {
    pub items: Vec<FacilityItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The latest check of each facility as a correlated subquery on `o.id` (its result, or NULL).
const LATEST_MET: &str = "(SELECT c.met FROM elderly_standard_checks c WHERE c.organisation_id = o.id \
     ORDER BY c.checked_on DESC, c.created_at DESC LIMIT 1)";

/// Community facilities (day-care centres and meal points) in the caller's scope, a page at a time.
pub async fn facilities(app: &App, ctx: &Ctx, q: &FacilityQuery) -> AppResult<FacilityPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut conds = vec![cond];
    match q.kind.as_deref().map(str::trim).unwrap_or("") {
        "" => conds.push("o.kind IN ('day_care_centre', 'meal_point')".into()),
        k @ ("day_care_centre" | "meal_point") => {
            args.push(Arg::from(k));
            conds.push(format!("o.kind = ${}", args.len()));
        }
        _ => {
            return Err(AppError::invalid(
                "kind",
                "设施类别应为 day_care_centre（日间照料中心）或 meal_point（助餐点）",
            ));
        }
    }
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if s.chars().count() > 50 {
            return Err(AppError::invalid("q", "查询内容不能超过50个字"));
        }
        args.push(Arg::from(format!("%{}%", s.replace(['%', '_'], ""))));
        conds.push(format!("o.name LIKE ${}", args.len()));
    }
    match q.standard.as_deref().map(str::trim).unwrap_or("") {
        "" => {}
        "met" => conds.push(format!("{LATEST_MET} = TRUE")),
        "not_met" => conds.push(format!("{LATEST_MET} = FALSE")),
        "unchecked" => conds.push(format!("{LATEST_MET} IS NULL")),
        _ => {
            return Err(AppError::invalid(
                "standard",
                "标配结果应为 met（已到位）、not_met（未到位）或 unchecked（未检查）",
            ));
        }
    }
    let w = conds.join(" AND ");
    let from = "FROM organisations o LEFT JOIN elderly_facilities f ON f.organisation_id = o.id";
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {from} WHERE {w}"), args.clone())
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<bool>,
        Option<bool>,
        Option<NaiveDate>,
        i64,
        Option<NaiveDate>,
        Option<bool>,
    );
    let rows: Vec<Row> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT o.id, o.name, o.kind, o.area_code, o.status, f.level, f.meals, f.regional, f.opened_on, \
                 (SELECT COUNT(*) FROM elderly_facility_areas s WHERE s.organisation_id = o.id), \
                 (SELECT c.checked_on FROM elderly_standard_checks c WHERE c.organisation_id = o.id ORDER BY c.checked_on DESC, c.created_at DESC LIMIT 1), \
                 {LATEST_MET} {from} WHERE {w} ORDER BY o.town_code, o.name, o.id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    Ok(FacilityPage {
        items: rows
            .into_iter()
            .map(
                |(
                    id,
                    name,
                    kind,
                    area,
                    status,
                    level,
                    meals,
                    regional,
                    opened_on,
                    served,
                    last,
                    met,
                )| FacilityItem {
                    id,
                    name,
                    kind_label: OrgKind::parse(&kind).map_or("", |k| k.label()).into(),
                    area_name: areas.full_name(&area),
                    status,
                    level_label: level
                        .as_deref()
                        .and_then(FacilityLevel::parse)
                        .map_or("未登记", |l| l.label())
                        .into(),
                    meals: meals.unwrap_or(false),
                    regional: regional.unwrap_or(false),
                    opened_on,
                    served,
                    last_checked_on: last,
                    standard_met: met,
                },
            )
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}
