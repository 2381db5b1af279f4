//! 养老服务人员 (plan item 16): carers (养老护理员) employed by an organisation of the elderly-care line, each with
//! training records (at a 养老服务实训基地 on the registry, or elsewhere), and registered volunteers. Carers are scoped
//! by their employer's area, volunteers by their own.

use super::community::{org_tx, past_date};
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::organisations::section_of;
use crate::app::validate;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::elderly::staff::{self as rule, Certificate};
use minzheng_domain::idnumber::{IdNumber, mask, mask_phone};
use minzheng_domain::orgs::OrgKind;
use serde_json::json;

pub const PAGE: i64 = 50;

/// Employers of carers: the organisations the elderly-care section keeps.
fn is_employer(k: OrgKind) -> bool {
    section_of(k) == crate::app::authz::Section::ElderlyCare
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CarerInput {
    pub organisation_id: String,
    pub name: String,
    pub id_number: String,
    /// none, junior, intermediate, senior, technician or senior_technician
    pub certificate: String,
    pub hired_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CarerItem {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub area_name: String,
    pub name: String,
    pub id_number_masked: String,
    pub certificate_label: String,
    pub hired_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    /// The latest passed training, if any.
    pub last_trained_on: Option<NaiveDate>,
    /// Trained this year (a passed training dated this year).
    pub trained_this_year: bool,
}

/// Registers a carer at an organisation of the elderly-care line; one post at a time per identity number.
pub async fn add_carer(app: &App, ctx: &Ctx, c: CarerInput) -> AppResult<CarerItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let name = validate::name("name", "姓名", &c.name, 1, validate::NAME_MAX)?;
    let idn = IdNumber::parse(c.id_number.trim(), app.today())
        .map_err(|_| AppError::invalid("id_number", "身份证号码无效"))?
        .to_string();
    let cert = Certificate::parse(c.certificate.trim()).ok_or_else(|| {
        AppError::invalid(
            "certificate",
            format!("职业技能等级应为：{}", Certificate::codes_text()),
        )
    })?;
    past_date("hired_on", "入职日期", c.hired_on, app.today())?;
    let mut tx = app.db.begin().await?;
    let org = org_tx(
        &mut tx,
        ctx,
        c.organisation_id.trim(),
        true,
        is_employer,
        "养老服务机构",
    )
    .await?;
    if org.status != "active" {
        return Err(AppError::conflict("organisation_id", "该机构已注销或停办"));
    }
    let live: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM elderly_carers WHERE id_number = $1 AND left_on IS NULL",
            args![&idn],
        )
        .await?;
    if live > 0 {
        return Err(AppError::conflict(
            "id_number",
            "该护理员已在岗，请先办理离职",
        ));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO elderly_carers (id, organisation_id, name, id_number, certificate, hired_on, left_on, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
        args![&id, c.organisation_id.trim(), &name, &idn, cert.code(), c.hired_on, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.carer", "elderly_carer", &id)
            .area(&org.area_code)
            .after(json!({"organisation_id": c.organisation_id.trim(), "certificate": cert.code(), "hired_on": c.hired_on})),
    )
    .await?;
    tx.commit().await?;
    carer(app, ctx, &id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TrainingInput {
    pub trained_on: NaiveDate,
    pub course: String,
    pub hours: i64,
    /// The training base (an organisation of kind training_base), if the training was held at one.
    #[serde(default)]
    pub base_id: Option<String>,
    pub passed: bool,
}

/// Records a training of a carer in post.
pub async fn add_training(
    app: &App,
    ctx: &Ctx,
    carer_id: &str,
    t: TrainingInput,
) -> AppResult<CarerItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    past_date("trained_on", "培训日期", t.trained_on, app.today())?;
    let course = validate::line("course", "培训课程", &t.course, 2, 100)?;
    if !(1..=1000).contains(&t.hours) {
        return Err(AppError::invalid("hours", "培训学时应在1–1000之间"));
    }
    let mut tx = app.db.begin().await?;
    let (org_id, hired, left): (String, NaiveDate, Option<NaiveDate>) = tx
        .fetch_optional(
            &format!(
                "SELECT organisation_id, hired_on, left_on FROM elderly_carers WHERE id = $1{}",
                tx.for_update()
            ),
            args![carer_id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound("养老护理员".into()))?;
    let org = org_tx(&mut tx, ctx, &org_id, false, is_employer, "养老护理员").await?;
    if left.is_some() {
        return Err(AppError::conflict("id", "该护理员已离职"));
    }
    if t.trained_on < hired {
        return Err(AppError::invalid("trained_on", "培训日期不能早于入职日期"));
    }
    let base = match t
        .base_id
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(b) => {
            org_tx(
                &mut tx,
                ctx,
                b,
                false,
                |k| k == OrgKind::TrainingBase,
                "实训基地",
            )
            .await
            .map_err(|_| AppError::invalid("base_id", "实训基地应为登记的养老服务实训基地"))?;
            Some(b.to_string())
        }
        None => None,
    };
    tx.execute(
        "INSERT INTO elderly_carer_trainings (id, carer_id, trained_on, course, hours, base_id, passed, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![new_id(), carer_id, t.trained_on, &course, t.hours, base, t.passed, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.carer_training", "elderly_carer", carer_id)
            .area(&org.area_code)
            .after(json!({"trained_on": t.trained_on, "course": course, "hours": t.hours, "passed": t.passed})),
    )
    .await?;
    tx.commit().await?;
    carer(app, ctx, carer_id).await
}

type CarerRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

fn carer_select(w: &str) -> String {
    format!(
        "SELECT c.id, c.organisation_id, o.name, o.area_code, c.name, c.id_number, c.certificate, c.hired_on, c.left_on, \
         (SELECT MAX(t.trained_on) FROM elderly_carer_trainings t WHERE t.carer_id = c.id AND t.passed) \
         FROM elderly_carers c JOIN organisations o ON o.id = c.organisation_id WHERE {w}"
    )
}

fn carer_from(app: &App, r: CarerRow) -> CarerItem {
    let (id, org, org_name, area, name, idn, cert, hired_on, left_on, last) = r;
    let today = app.today();
    CarerItem {
        area_name: app.areas().full_name(&area),
        name: crate::app::targets::computed::mask_name(&name),
        id_number_masked: mask(&idn),
        certificate_label: Certificate::parse(&cert).map_or("", |c| c.label()).into(),
        trained_this_year: last.is_some_and(|d| rule::trained_on(&[(d, true)], today)),
        id,
        organisation_id: org,
        organisation_name: org_name,
        hired_on,
        left_on,
        last_trained_on: last,
    }
}

pub async fn carer(app: &App, ctx: &Ctx, id: &str) -> AppResult<CarerItem> {
    ctx.actor.require(Permission::ReadElderly)?;
    let r: CarerRow = app
        .db
        .conn()
        .fetch_optional(&carer_select("c.id = $1"), args![id])
        .await?
        .filter(|r: &CarerRow| ctx.actor.in_scope(&r.3))
        .ok_or_else(|| AppError::NotFound("养老护理员".into()))?;
    Ok(carer_from(app, r))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct StaffQuery {
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CarerPage {
    pub items: Vec<CarerItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Carers in post in the caller's scope (by their employer's area), a page at a time.
pub async fn carers(app: &App, ctx: &Ctx, q: &StaffQuery) -> AppResult<CarerPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let w = format!("c.left_on IS NULL AND {cond}");
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) FROM elderly_carers c JOIN organisations o ON o.id = c.organisation_id WHERE {w}"), args.clone())
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<CarerRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "{} ORDER BY o.town_code, o.name, c.name, c.id LIMIT ${} OFFSET ${}",
                carer_select(&w),
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    Ok(CarerPage {
        items: rows.into_iter().map(|r| carer_from(app, r)).collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VolunteerInput {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// The village/community where the volunteer serves.
    pub area_code: String,
    pub registered_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VolunteerItem {
    pub id: String,
    pub name: String,
    pub phone_masked: String,
    pub area_name: String,
    pub registered_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VolunteerPage {
    pub items: Vec<VolunteerItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Registers an elderly-care volunteer in a village/community of the caller's scope.
pub async fn add_volunteer(app: &App, ctx: &Ctx, v: VolunteerInput) -> AppResult<VolunteerItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let name = validate::name("name", "姓名", &v.name, 1, validate::NAME_MAX)?;
    let phone = v.phone.trim().to_string();
    if !phone.is_empty()
        && (phone.len() < 7
            || phone.len() > 20
            || !phone.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
    {
        return Err(AppError::invalid("phone", "联系电话应为7–20位数字"));
    }
    past_date("registered_on", "登记日期", v.registered_on, app.today())?;
    let areas = app.areas();
    let area = areas
        .get(v.area_code.trim())
        .filter(|a| a.level == "village" && ctx.actor.in_scope(&a.code))
        .ok_or_else(|| AppError::invalid("area_code", "服务的村(社区)应在您的管辖范围内"))?;
    let town = area.town_code.clone().unwrap_or_default();
    let id = new_id();
    let mut tx = app.db.begin().await?;
    tx.execute(
        "INSERT INTO elderly_volunteers (id, name, phone, area_code, town_code, registered_on, left_on, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
        args![&id, &name, &phone, &area.code, &town, v.registered_on, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.volunteer", "elderly_volunteer", &id)
            .area(&area.code)
            .after(json!({"registered_on": v.registered_on})),
    )
    .await?;
    tx.commit().await?;
    Ok(VolunteerItem {
        id,
        name: crate::app::targets::computed::mask_name(&name),
        phone_masked: mask_phone(&phone),
        area_name: app.areas().full_name(&area.code),
        registered_on: v.registered_on,
    })
}

/// Volunteers in the caller's scope, newest first.
pub async fn volunteers(app: &App, ctx: &Ctx, q: &StaffQuery) -> AppResult<VolunteerPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let w = format!("left_on IS NULL AND {cond}");
    let total: i64 = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM elderly_volunteers WHERE {w}"),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<(String, String, String, String, NaiveDate)> = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT id, name, phone, area_code, registered_on FROM elderly_volunteers WHERE {w} ORDER BY registered_on DESC, id LIMIT ${} OFFSET ${}", n + 1, n + 2),
            args,
        )
        .await?;
    Ok(VolunteerPage {
        items: rows
            .into_iter()
            .map(|(id, name, phone, area, on)| VolunteerItem {
                id,
                name: crate::app::targets::computed::mask_name(&name),
                phone_masked: mask_phone(&phone),
                area_name: app.areas().full_name(&area),
                registered_on: on,
            })
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

/// The training bases and employers a form may name, in the caller's scope: (id, name, kind).
pub async fn staff_organisations(app: &App, ctx: &Ctx) -> AppResult<Vec<(String, String, String)>> {
    ctx.actor.require(Permission::ReadElderly)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT id, name, kind FROM organisations WHERE {cond} AND status = 'active' AND kind IN \
                 ('elderly_institution', 'day_care_centre', 'meal_point', 'elderly_service_org', 'home_care_provider', 'training_base') \
                 ORDER BY town_code, name LIMIT 1000"
            ),
            a.into_iter().collect::<Vec<Arg>>(),
        )
        .await?)
}
