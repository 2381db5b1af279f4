//! Services for poor elderly people (plan item 17): home care assistance (居家养老援助) granted to a resident who
//! qualifies by the assistance data and the registry (`minzheng_domain::elderly::services::home_care_basis`), in
//! hours or vouchers a month, served by a provider with each service recorded; age-friendly home adaptations
//! (适老化改造) for a poor household with a member in need, accepted with photos, cost and subsidy; family care beds
//! (家庭照护床位) under a contract with a provider, a monthly subsidy and the provider's visits.

use super::community::{org_tx, past_date};
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::validate;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Datelike, Months, NaiveDate};
use minzheng_domain::elderly::services::{
    self as rule, AdaptationItem, AdaptationNeed, CareBasis, CareFacts, MemberFacts, PoorCategory,
    ServiceForm,
};
use minzheng_domain::idnumber::{age_on, mask};
use minzheng_domain::money::Fen;
use minzheng_domain::orgs::OrgKind;
use serde_json::json;

pub const PAGE: i64 = 50;

/// Providers of home care and family care beds: the elderly-care line's service organisations.
fn is_provider(k: OrgKind) -> bool {
    matches!(
        k,
        OrgKind::HomeCareProvider | OrgKind::DayCareCentre | OrgKind::ElderlyInstitution
    )
}

/// A live assistance case of `category` (in payment or phasing out) counting `p` as a member.
fn live_case(p: &str, categories: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM case_members cm JOIN cases c ON c.id = cm.case_id WHERE cm.person_id = {p} \
         AND c.status IN ('active', 'phasing_out') AND c.category IN ({categories}))"
    )
}

fn flag(cond: &str) -> String {
    format!("CAST(CASE WHEN {cond} THEN 1 ELSE 0 END AS BIGINT)")
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Person {
    id: String,
    name: String,
    id_number: String,
    area_code: String,
    town_code: String,
    birth_date: NaiveDate,
    lives_alone: bool,
    status: String,
    tekun: i64,
    dibao: i64,
    low_income: i64,
}

fn person_cols() -> String {
    format!(
        "p.id, p.name, p.id_number, p.area_code, p.town_code, p.birth_date, p.lives_alone, p.status, {} AS tekun, {} AS dibao, {} AS low_income",
        flag(&live_case("p.id", "'tekun'")),
        flag(&live_case("p.id", "'dibao', 'dibao_single'")),
        flag(&live_case("p.id", "'low_income'"))
    )
}

impl Person {
    fn facts(&self, on: NaiveDate) -> CareFacts {
        CareFacts {
            age: age_on(self.birth_date, on),
            tekun: self.tekun > 0,
            dibao: self.dibao > 0,
            low_income: self.low_income > 0,
            lives_alone: self.lives_alone,
        }
    }
}

/// A registry person by id or identity number, in the caller's scope and living.
async fn person_tx(tx: &mut Tx, ctx: &Ctx, key: &str) -> AppResult<Person> {
    let p: Option<Person> = tx
        .fetch_optional(
            &format!(
                "SELECT {} FROM persons p WHERE p.id = $1 OR p.id_number = $2",
                person_cols()
            ),
            args![key.trim(), key.trim().to_uppercase()],
        )
        .await?;
    let p = p
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::invalid("person", "人员不存在或不在您的管辖范围内"))?;
    if p.status != "normal" {
        return Err(AppError::invalid("person", "该人员已死亡或迁出"));
    }
    Ok(p)
}

async fn provider_tx(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<String> {
    let o = org_tx(tx, ctx, id, false, is_provider, "服务机构")
        .await
        .map_err(|_| {
            AppError::invalid(
                "provider_id",
                "服务机构应为您管辖范围内的居家养老服务组织、日间照料中心或养老机构",
            )
        })?;
    if o.status != "active" {
        return Err(AppError::invalid("provider_id", "该服务机构已注销或停办"));
    }
    Ok(o.area_code)
}

fn month_bounds(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("date");
    let last = first + Months::new(1) - chrono::Duration::days(1);
    (first, last)
}

// ---------------------------------------------------------------------------------------------------------------
// 居家养老援助

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person_id: String,
    /// Masked like a 公示: 张*明.
    pub name: String,
    pub id_number_masked: String,
    pub area_name: String,
    pub age: u32,
    /// tekun, dibao, low_income or alone_80
    pub basis: String,
    pub basis_label: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CandidatePage {
    pub items: Vec<Candidate>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AreaPage {
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    pub page: Option<i64>,
}

/// Residents who qualify for home care assistance and hold no grant yet, from the assistance cases and the
/// registry: the SQL narrows to the 60+ who are poor or 80+ living alone, the rule names the basis.
pub async fn candidates(app: &App, ctx: &Ctx, q: &AreaPage) -> AppResult<CandidatePage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let today = app.today();
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    // the same scope parameter ($3) serves the cases' and the persons' condition
    let (cond, a) = filter.sql("p.area_code", "p.town_code", 3);
    let (ccond, _) = filter.sql("c.area_code", "c.town_code", 3);
    let mut args: Vec<Arg> = args![
        today - Months::new(12 * rule::ELDERLY_AGE),
        today - Months::new(12 * rule::ADVANCED_AGE)
    ];
    args.extend(a);
    // read from the two small sets that can qualify — members of live poor cases, and the 80+ living alone (a
    // partial index) — never from every person aged 60+
    let from = format!(
        "FROM (SELECT cm.person_id AS id FROM case_members cm JOIN cases c ON c.id = cm.case_id \
           WHERE c.status IN ('active', 'phasing_out') AND c.category IN ('tekun', 'dibao', 'dibao_single', 'low_income') AND {ccond} \
           UNION SELECT p.id FROM persons p WHERE p.lives_alone AND p.birth_date <= $2 AND p.status = 'normal' AND {cond}) q \
         JOIN persons p ON p.id = q.id \
         WHERE p.status = 'normal' AND p.birth_date <= $1 AND {cond} \
         AND NOT EXISTS (SELECT 1 FROM home_care_grants g WHERE g.person_id = p.id AND g.ended_on IS NULL)"
    );
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {from}"), args.clone())
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    // the page's ids first, then only their facts: the case flags are three subqueries a person, which over the
    // whole sorted set (25,000 of a 2-million city) had cost most of a second
    let ids: Vec<(String,)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT p.id {from} ORDER BY p.town_code, p.area_code, p.birth_date, p.id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    let mut rows: Vec<Person> = if ids.is_empty() {
        vec![]
    } else {
        app.db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {} FROM persons p WHERE p.id IN ({})",
                    person_cols(),
                    crate::storage::placeholders(1, ids.len())
                ),
                ids.iter().map(|(i,)| Arg::from(i.as_str())).collect(),
            )
            .await?
    };
    rows.sort_by_key(|p| ids.iter().position(|(i,)| *i == p.id));
    let areas = app.areas();
    Ok(CandidatePage {
        items: rows
            .iter()
            .filter_map(|p| {
                let f = p.facts(today);
                rule::home_care_basis(&f).map(|b| Candidate {
                    person_id: p.id.clone(),
                    name: crate::app::targets::computed::mask_name(&p.name),
                    id_number_masked: mask(&p.id_number),
                    area_name: areas.full_name(&p.area_code),
                    age: f.age,
                    basis: b.code().into(),
                    basis_label: b.label().into(),
                })
            })
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    /// The person's id or identity number.
    pub person: String,
    /// hours or voucher
    pub form: String,
    /// Hours a month (hours), or yuan a month (voucher), e.g. "200.00".
    pub monthly: String,
    pub provider_id: String,
    pub starts_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GrantItem {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub id_number_masked: String,
    pub area_name: String,
    pub basis: String,
    pub basis_label: String,
    pub form: String,
    /// "12 小时/月" or "200.00 元/月".
    pub monthly_text: String,
    pub provider_id: String,
    pub provider_name: String,
    pub starts_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Served this month, in the grant's unit ("3 小时", "40.00 元").
    pub used_this_month: String,
    pub left_this_month: String,
}

fn quantity_text(form: &str, q: i64) -> String {
    if form == ServiceForm::Voucher.code() {
        format!("{} 元", Fen(q))
    } else {
        format!("{q} 小时")
    }
}

fn parse_quantity(field: &str, form: ServiceForm, v: &str) -> AppResult<i64> {
    match form {
        ServiceForm::Hours => v
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, "服务时长应为整数小时")),
        ServiceForm::Voucher => Fen::parse_yuan(v.trim())
            .map(|f| f.0)
            .map_err(|_| AppError::invalid(field, "金额格式应为元，最多两位小数")),
    }
}

/// Grants home care assistance to a resident who qualifies today; one grant in force per person.
pub async fn grant(app: &App, ctx: &Ctx, g: GrantInput) -> AppResult<GrantItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let today = app.today();
    let form = ServiceForm::parse(g.form.trim()).ok_or_else(|| {
        AppError::invalid("form", "服务方式应为 hours（服务时长）或 voucher（服务券）")
    })?;
    let monthly = parse_quantity("monthly", form, &g.monthly)?;
    rule::grant_ok(form, monthly).map_err(|m| AppError::invalid("monthly", m))?;
    validate::date("starts_on", "开始日期", g.starts_on)?;
    if g.starts_on > today + Months::new(3) {
        return Err(AppError::invalid("starts_on", "开始日期不能晚于三个月后"));
    }
    let mut tx = app.db.begin().await?;
    let p = person_tx(&mut tx, ctx, &g.person).await?;
    let basis = rule::home_care_basis(&p.facts(today)).ok_or_else(|| {
        AppError::conflict(
            "person",
            "该老人不符合居家养老援助条件（须为60周岁及以上的特困、低保或低收入老人，或80周岁及以上独居老人）",
        )
    })?;
    provider_tx(&mut tx, ctx, &g.provider_id).await?;
    // the person's row serialises two grants for one person; the partial unique index is the last word
    tx.fetch_optional::<(String,)>(
        &format!("SELECT id FROM persons WHERE id = $1{}", tx.for_update()),
        args![&p.id],
    )
    .await?;
    let live: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM home_care_grants WHERE person_id = $1 AND ended_on IS NULL",
            args![&p.id],
        )
        .await?;
    if live > 0 {
        return Err(AppError::conflict("person", "该老人已在接受居家养老援助"));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO home_care_grants (id, person_id, area_code, town_code, basis, form, monthly, provider_id, starts_on, \
         ended_on, end_reason, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11)",
        args![&id, &p.id, &p.area_code, &p.town_code, basis.code(), form.code(), monthly, g.provider_id.trim(), g.starts_on,
              &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.home_care_grant", "home_care_grant", &id)
            .area(&p.area_code)
            .after(json!({"person_id": p.id, "basis": basis.code(), "form": form.code(), "monthly": monthly,
                          "provider_id": g.provider_id.trim(), "starts_on": g.starts_on})),
    )
    .await?;
    tx.commit().await?;
    grant_item(app, ctx, &id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EndInput {
    pub on: NaiveDate,
    pub reason: String,
}

/// Ends a grant (death, moved, no longer qualifies, declined …).
pub async fn end_grant(app: &App, ctx: &Ctx, id: &str, e: EndInput) -> AppResult<GrantItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    validate::date("on", "终止日期", e.on)?;
    let reason = validate::text("reason", "终止原因", &e.reason, 2, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let row: (String, NaiveDate, Option<NaiveDate>) = tx
        .fetch_optional(
            &format!(
                "SELECT area_code, starts_on, ended_on FROM home_care_grants WHERE id = $1{}",
                tx.for_update()
            ),
            args![id],
        )
        .await?
        .filter(|r: &(String, NaiveDate, Option<NaiveDate>)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("居家养老援助".into()))?;
    if row.2.is_some() {
        return Err(AppError::conflict("id", "该援助已终止"));
    }
    if e.on < row.1 {
        return Err(AppError::invalid("on", "终止日期不能早于开始日期"));
    }
    tx.execute(
        "UPDATE home_care_grants SET ended_on = $2, end_reason = $3 WHERE id = $1",
        args![id, e.on, &reason],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.home_care_end", "home_care_grant", id)
            .area(&row.0)
            .after(json!({"ended_on": e.on, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    grant_item(app, ctx, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ServiceInput {
    pub served_on: NaiveDate,
    /// Hours (hours) or yuan (voucher) used by this service.
    pub quantity: String,
    /// What was done (助餐, 助洁, 助浴, 助医 …).
    pub content: String,
    pub carer: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceRecord {
    pub id: String,
    pub served_on: NaiveDate,
    pub quantity_text: String,
    pub content: String,
    pub carer: String,
    pub recorded_by: String,
}

/// Records a service under a grant in force; a month's services never exceed its grant.
pub async fn record_service(
    app: &App,
    ctx: &Ctx,
    grant_id: &str,
    s: ServiceInput,
) -> AppResult<ServiceRecord> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    past_date("served_on", "服务日期", s.served_on, app.today())?;
    let content = validate::line("content", "服务内容", &s.content, 2, 200)?;
    let carer = validate::name("carer", "服务人员", &s.carer, 2, 30)?;
    let mut tx = app.db.begin().await?;
    let (area, form, monthly, starts, ended): (String, String, i64, NaiveDate, Option<NaiveDate>) = tx
        .fetch_optional(
            &format!("SELECT area_code, form, monthly, starts_on, ended_on FROM home_care_grants WHERE id = $1{}", tx.for_update()),
            args![grant_id],
        )
        .await?
        .filter(|r: &(String, String, i64, NaiveDate, Option<NaiveDate>)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("居家养老援助".into()))?;
    let f = ServiceForm::parse(&form).unwrap_or(ServiceForm::Hours);
    let q = parse_quantity("quantity", f, &s.quantity)?;
    if q <= 0 {
        return Err(AppError::invalid("quantity", "服务数量应大于0"));
    }
    if s.served_on < starts || ended.is_some_and(|e| s.served_on >= e) {
        return Err(AppError::invalid("served_on", "服务日期不在援助期间内"));
    }
    let (first, last) = month_bounds(s.served_on);
    let used: i64 = tx
        .scalar(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM home_care_services WHERE grant_id = $1 AND served_on >= $2 AND served_on <= $3",
            args![grant_id, first, last],
        )
        .await?;
    if used + q > monthly {
        return Err(AppError::conflict(
            "quantity",
            format!(
                "超出本月援助额度：本月已用 {}，剩余 {}",
                quantity_text(&form, used),
                quantity_text(&form, rule::remaining(monthly, used))
            ),
        ));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO home_care_services (id, grant_id, served_on, quantity, content, carer, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&id, grant_id, s.served_on, q, &content, &carer, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.home_care_service", "home_care_grant", grant_id)
            .area(&area)
            .after(json!({"served_on": s.served_on, "quantity": q, "content": content, "carer": carer})),
    )
    .await?;
    tx.commit().await?;
    Ok(ServiceRecord {
        id,
        served_on: s.served_on,
        quantity_text: quantity_text(&form, q),
        content,
        carer,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

type GrantRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    i64,
);

fn grant_select(w: &str) -> String {
    format!(
        "SELECT g.id, g.person_id, p.name, p.id_number, g.area_code, g.basis, g.form, g.monthly, g.provider_id, o.name, \
         g.starts_on, g.ended_on, \
         (SELECT CAST(COALESCE(SUM(s.quantity), 0) AS BIGINT) FROM home_care_services s WHERE s.grant_id = g.id AND s.served_on >= $1 AND s.served_on <= $2) \
         FROM home_care_grants g JOIN persons p ON p.id = g.person_id JOIN organisations o ON o.id = g.provider_id WHERE {w}"
    )
}

fn grant_from(app: &App, r: GrantRow) -> GrantItem {
    let (
        id,
        person_id,
        name,
        idn,
        area,
        basis,
        form,
        monthly,
        provider_id,
        provider_name,
        starts_on,
        ended_on,
        used,
    ) = r;
    GrantItem {
        name: crate::app::targets::computed::mask_name(&name),
        id_number_masked: mask(&idn),
        area_name: app.areas().full_name(&area),
        basis_label: CareBasis::parse(&basis).map_or("", |b| b.label()).into(),
        monthly_text: format!("{}/月", quantity_text(&form, monthly)),
        used_this_month: quantity_text(&form, used),
        left_this_month: quantity_text(&form, rule::remaining(monthly, used)),
        id,
        person_id,
        basis,
        form,
        provider_id,
        provider_name,
        starts_on,
        ended_on,
    }
}

pub async fn grant_item(app: &App, ctx: &Ctx, id: &str) -> AppResult<GrantItem> {
    ctx.actor.require(Permission::ReadElderly)?;
    let (first, last) = month_bounds(app.today());
    let r: GrantRow = app
        .db
        .conn()
        .fetch_optional(&grant_select("g.id = $3"), args![first, last, id])
        .await?
        .filter(|r: &GrantRow| ctx.actor.in_scope(&r.4))
        .ok_or_else(|| AppError::NotFound("居家养老援助".into()))?;
    Ok(grant_from(app, r))
}

/// A grant's services, newest first.
pub async fn services_of(app: &App, ctx: &Ctx, id: &str) -> AppResult<Vec<ServiceRecord>> {
    let g = grant_item(app, ctx, id).await?;
    let rows: Vec<(String, NaiveDate, i64, String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, served_on, quantity, content, carer, recorded_by FROM home_care_services WHERE grant_id = $1 \
             ORDER BY served_on DESC, created_at DESC LIMIT 500",
            args![id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, on, q, content, carer, by)| ServiceRecord {
            id,
            served_on: on,
            quantity_text: quantity_text(&g.form, q),
            content,
            carer,
            recorded_by: by,
        })
        .collect())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GrantPage {
    pub items: Vec<GrantItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Grants in force in the caller's scope, a page at a time.
pub async fn grants(app: &App, ctx: &Ctx, q: &AreaPage) -> AppResult<GrantPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let (first, last) = month_bounds(app.today());
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("g.area_code", "g.town_code", 3);
    let mut args: Vec<Arg> = args![first, last];
    args.extend(a);
    let w = format!("g.ended_on IS NULL AND {cond}");
    let total: i64 = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM home_care_grants g WHERE $1 <= $2 AND {w}"),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<GrantRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "{} ORDER BY g.town_code, g.area_code, g.starts_on, g.id LIMIT ${} OFFSET ${}",
                grant_select(&w),
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    Ok(GrantPage {
        items: rows.into_iter().map(|r| grant_from(app, r)).collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 适老化改造

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AdaptationInput {
    /// The household's id, or one of its members' id or identity number.
    pub household: String,
    /// grab_bars, non_slip, threshold, bathroom, lighting, alarm, care_bed, walking_aid — at least one.
    pub items: Vec<String>,
    /// The contractor (施工单位).
    pub contractor: String,
    pub planned_on: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdaptationItemView {
    pub id: String,
    pub household_id: String,
    pub person_id: String,
    /// The member in need, masked.
    pub name: String,
    pub area_name: String,
    pub category_label: String,
    pub need_label: String,
    pub items: Vec<String>,
    pub contractor: String,
    pub planned_on: NaiveDate,
    /// planned or accepted
    pub status: String,
    pub accepted_on: Option<NaiveDate>,
    /// Yuan.
    pub cost: Option<String>,
    pub subsidy: Option<String>,
    pub acceptance_note: Option<String>,
    pub photos: Vec<String>,
}

/// Plans an adaptation for a household that qualifies by the rule (a live tekun, dibao or low-income case, and a
/// member aged 60+ who is 80+, severely disabled or dependent); one per household.
pub async fn plan_adaptation(
    app: &App,
    ctx: &Ctx,
    a: AdaptationInput,
) -> AppResult<AdaptationItemView> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let today = app.today();
    validate::date("planned_on", "计划日期", a.planned_on)?;
    let mut items = Vec::new();
    for i in &a.items {
        let it = AdaptationItem::parse(i.trim()).ok_or_else(|| {
            AppError::invalid(
                "items",
                format!("改造项目“{i}”无效，应为：{}", AdaptationItem::codes_text()),
            )
        })?;
        if !items.contains(&it) {
            items.push(it);
        }
    }
    if items.is_empty() {
        return Err(AppError::invalid("items", "请选择改造项目（至少一项）"));
    }
    let contractor = validate::line("contractor", "施工单位", &a.contractor, 2, 100)?;
    let mut tx = app.db.begin().await?;
    let key = a.household.trim().to_uppercase();
    let hid: String = tx
        .fetch_optional::<(Option<String>,)>(
            "SELECT household_id FROM persons WHERE id_number = $1 UNION ALL SELECT household_id FROM persons WHERE id = $2 \
             UNION ALL SELECT id FROM households WHERE id = $2",
            args![&key, a.household.trim()],
        )
        .await?
        .and_then(|r| r.0)
        .ok_or_else(|| AppError::invalid("household", "家庭不存在或不在您的管辖范围内"))?;
    let hid = hid.as_str();
    let hh: (String, String) = tx
        .fetch_optional(
            &format!(
                "SELECT area_code, town_code FROM households WHERE id = $1{}",
                tx.for_update()
            ),
            args![hid],
        )
        .await?
        .filter(|h: &(String, String)| ctx.actor.in_scope(&h.0))
        .ok_or_else(|| AppError::invalid("household", "家庭不存在或不在您的管辖范围内"))?;
    let cats: Vec<(String,)> = tx
        .fetch_all(
            "SELECT category FROM cases WHERE household_id = $1 AND status IN ('active', 'phasing_out')",
            args![hid],
        )
        .await?;
    // the strongest category the household holds
    let category = PoorCategory::ALL
        .iter()
        .copied()
        .find(|c| cats.iter().any(|x| PoorCategory::of_case(&x.0) == Some(*c)));
    let members: Vec<(String, NaiveDate, Option<i32>, Option<i64>)> = tx
        .fetch_all(
            "SELECT p.id, p.birth_date, p.disability_grade, (SELECT a.level FROM capability_assessments a WHERE a.person_id = p.id \
             ORDER BY a.assessed_on DESC, a.created_at DESC LIMIT 1) FROM persons p WHERE p.household_id = $1 AND p.status = 'normal' ORDER BY p.id",
            args![hid],
        )
        .await?;
    let facts: Vec<MemberFacts> = members
        .iter()
        .map(|m| MemberFacts {
            age: age_on(m.1, today),
            disability_grade: m.2.and_then(|g| u8::try_from(g).ok()),
            capability_level: m.3.and_then(|l| u8::try_from(l).ok()),
        })
        .collect();
    let (idx, need) = rule::adaptation_basis(category, &facts)
        .map_err(|m| AppError::conflict("household", format!("该家庭不符合适老化改造条件：{m}")))?;
    let done: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM home_adaptations WHERE household_id = $1",
            args![hid],
        )
        .await?;
    if done > 0 {
        return Err(AppError::conflict(
            "household",
            "该家庭已列入适老化改造，不能重复登记",
        ));
    }
    let id = new_id();
    let codes: Vec<&str> = items.iter().map(|i| i.code()).collect();
    let cat = category.expect("a basis needs a category");
    tx.execute(
        "INSERT INTO home_adaptations (id, household_id, person_id, area_code, town_code, category, need, items_json, contractor, \
         planned_on, status, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'planned', $11, $12)",
        args![&id, hid, &members[idx].0, &hh.0, &hh.1, cat.code(), need.code(), json!(codes).to_string(), &contractor,
              a.planned_on, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.adaptation_plan", "home_adaptation", &id)
            .area(&hh.0)
            .after(json!({"household_id": hid, "person_id": members[idx].0, "category": cat.code(), "need": need.code(),
                          "items": codes, "contractor": contractor})),
    )
    .await?;
    tx.commit().await?;
    adaptation(app, ctx, &id).await
}

#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    pub accepted_on: NaiveDate,
    /// Yuan.
    pub cost: String,
    pub subsidy: String,
    pub note: String,
    /// JPEG or PNG, at least one.
    pub photos: Vec<Vec<u8>>,
}

/// Accepts the finished work with photos, the cost and the subsidy (never above the cost).
pub async fn accept_adaptation(
    app: &App,
    ctx: &Ctx,
    id: &str,
    a: Acceptance,
) -> AppResult<AdaptationItemView> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    past_date("accepted_on", "验收日期", a.accepted_on, app.today())?;
    let money = |field: &str, v: &str| {
        Fen::parse_yuan(v.trim())
            .map(|f| f.0)
            .map_err(|_| AppError::invalid(field, "金额格式应为元，最多两位小数"))
    };
    let cost = money("cost", &a.cost)?;
    let subsidy = money("subsidy", &a.subsidy)?;
    rule::subsidy_ok(cost, subsidy).map_err(|m| AppError::invalid("subsidy", m))?;
    let note = validate::text("note", "验收意见", &a.note, 2, validate::TEXT_MAX)?;
    let photos = crate::app::verification::tasks::checked_photos(&a.photos)?;
    if photos.is_empty() {
        return Err(AppError::invalid(
            "photo",
            "请上传改造后的照片作为验收依据（至少一张）",
        ));
    }
    let mut tx = app.db.begin().await?;
    let (area, status, planned): (String, String, NaiveDate) = tx
        .fetch_optional(
            &format!(
                "SELECT area_code, status, planned_on FROM home_adaptations WHERE id = $1{}",
                tx.for_update()
            ),
            args![id],
        )
        .await?
        .filter(|r: &(String, String, NaiveDate)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("适老化改造".into()))?;
    if status == "accepted" {
        return Err(AppError::conflict("id", "该改造已验收"));
    }
    if a.accepted_on < planned {
        return Err(AppError::invalid("accepted_on", "验收日期不能早于计划日期"));
    }
    tx.execute(
        "UPDATE home_adaptations SET status = 'accepted', accepted_on = $2, cost = $3, subsidy = $4, acceptance_note = $5, accepted_by = $6 WHERE id = $1",
        args![id, a.accepted_on, cost, subsidy, &note, &ctx.actor.display_name],
    )
    .await?;
    for (ct, p) in &photos {
        use base64::Engine;
        use sha2::Digest;
        tx.execute(
            "INSERT INTO home_adaptation_photos (id, adaptation_id, content_type, size, sha256, data_base64, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![new_id(), id, *ct, p.len() as i64, hex::encode(sha2::Sha256::digest(p)),
                  base64::engine::general_purpose::STANDARD.encode(p), &ctx.actor.username, now()],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.adaptation_accept", "home_adaptation", id)
            .area(&area)
            .before(json!({"status": status}))
            .after(json!({"status": "accepted", "accepted_on": a.accepted_on, "cost": cost, "subsidy": subsidy, "photos": photos.len()})),
    )
    .await?;
    tx.commit().await?;
    adaptation(app, ctx, id).await
}

type AdaptRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    String,
    Option<NaiveDate>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

const ADAPT_SELECT: &str = "SELECT a.id, a.household_id, a.person_id, p.name, a.area_code, a.category, a.need, a.items_json, a.contractor, \
     a.planned_on, a.status, a.accepted_on, a.cost, a.subsidy, a.acceptance_note FROM home_adaptations a JOIN persons p ON p.id = a.person_id";

fn adapt_from(app: &App, r: AdaptRow, photos: Vec<String>) -> AdaptationItemView {
    let (
        id,
        household_id,
        person_id,
        name,
        area,
        cat,
        need,
        items,
        contractor,
        planned_on,
        status,
        accepted_on,
        cost,
        subsidy,
        note,
    ) = r;
    AdaptationItemView {
        name: crate::app::targets::computed::mask_name(&name),
        area_name: app.areas().full_name(&area),
        category_label: PoorCategory::parse(&cat).map_or("", |c| c.label()).into(),
        need_label: AdaptationNeed::parse(&need)
            .map_or("", |n| n.label())
            .into(),
        items: serde_json::from_str::<Vec<String>>(&items)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| AdaptationItem::parse(c).map(|i| i.label().to_string()))
            .collect(),
        cost: cost.map(|c| Fen(c).to_string()),
        subsidy: subsidy.map(|c| Fen(c).to_string()),
        acceptance_note: note,
        id,
        household_id,
        person_id,
        contractor,
        planned_on,
        status,
        accepted_on,
        photos,
    }
}

pub async fn adaptation(app: &App, ctx: &Ctx, id: &str) -> AppResult<AdaptationItemView> {
    ctx.actor.require(Permission::ReadElderly)?;
    let r: AdaptRow = app
        .db
        .conn()
        .fetch_optional(&format!("{ADAPT_SELECT} WHERE a.id = $1"), args![id])
        .await?
        .filter(|r: &AdaptRow| ctx.actor.in_scope(&r.4))
        .ok_or_else(|| AppError::NotFound("适老化改造".into()))?;
    let photos: Vec<(String,)> = app
        .db
        .conn()
        .fetch_all("SELECT id FROM home_adaptation_photos WHERE adaptation_id = $1 ORDER BY uploaded_at, id", args![id])
        .await?;
    Ok(adapt_from(
        app,
        r,
        photos.into_iter().map(|p| p.0).collect(),
    ))
}

/// An acceptance photo (content type, bytes), within the caller's scope.
pub async fn adaptation_photo(
    app: &App,
    ctx: &Ctx,
    photo_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    ctx.actor.require(Permission::ReadElderly)?;
    let r: (String, String, String) = app
        .db
        .conn()
        .fetch_optional(
            "SELECT a.area_code, f.content_type, f.data_base64 FROM home_adaptation_photos f JOIN home_adaptations a ON a.id = f.adaptation_id WHERE f.id = $1",
            args![photo_id],
        )
        .await?
        .filter(|r: &(String, String, String)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("照片".into()))?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.2)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((r.1, bytes))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AdaptationQuery {
    pub area: Option<String>,
    /// planned or accepted
    pub status: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AdaptationPage {
    pub items: Vec<AdaptationItemView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

pub async fn adaptations(app: &App, ctx: &Ctx, q: &AdaptationQuery) -> AppResult<AdaptationPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("a.area_code", "a.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut w = cond;
    match q.status.as_deref().map(str::trim).unwrap_or("") {
        "" => {}
        s @ ("planned" | "accepted") => {
            args.push(Arg::from(s));
            w = format!("{w} AND a.status = ${}", args.len());
        }
        _ => {
            return Err(AppError::invalid(
                "status",
                "状态应为 planned（待验收）或 accepted（已验收）",
            ));
        }
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM home_adaptations a WHERE {w}"),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<AdaptRow> = app
        .db
        .conn()
        .fetch_all(
            &format!("{ADAPT_SELECT} WHERE {w} ORDER BY a.town_code, a.area_code, a.planned_on, a.id LIMIT ${} OFFSET ${}", n + 1, n + 2),
            args,
        )
        .await?;
    Ok(AdaptationPage {
        items: rows
            .into_iter()
            .map(|r| adapt_from(app, r, vec![]))
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 家庭照护床位

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct BedInput {
    /// The person's id or identity number (aged 60+, assessed as 轻度失能 or worse).
    pub person: String,
    pub provider_id: String,
    pub contract_number: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
    /// Yuan a month.
    pub monthly_subsidy: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BedItem {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub area_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub contract_number: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
    pub monthly_subsidy: String,
    pub terminated_on: Option<NaiveDate>,
    /// Whether the contract is in force today.
    pub in_force: bool,
    pub visits: i64,
    pub last_visit_on: Option<NaiveDate>,
}

/// Opens a family care bed: a contract between a dependent elderly resident and a provider, with its subsidy.
pub async fn open_bed(app: &App, ctx: &Ctx, b: BedInput) -> AppResult<BedItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    let today = app.today();
    validate::date("contract_start", "合同开始日期", b.contract_start)?;
    validate::date("contract_end", "合同结束日期", b.contract_end)?;
    if b.contract_end <= b.contract_start {
        return Err(AppError::invalid(
            "contract_end",
            "合同结束日期应晚于开始日期",
        ));
    }
    if b.contract_end > b.contract_start + Months::new(36) {
        return Err(AppError::invalid("contract_end", "合同期限不能超过3年"));
    }
    let number = validate::line("contract_number", "合同编号", &b.contract_number, 2, 50)?;
    let subsidy = Fen::parse_yuan(b.monthly_subsidy.trim())
        .map(|f| f.0)
        .map_err(|_| AppError::invalid("monthly_subsidy", "金额格式应为元，最多两位小数"))?;
    if !(0..=rule::MAX_BED_SUBSIDY).contains(&subsidy) {
        return Err(AppError::invalid(
            "monthly_subsidy",
            "每月补贴应在0–2000.00元之间",
        ));
    }
    let mut tx = app.db.begin().await?;
    let p = person_tx(&mut tx, ctx, &b.person).await?;
    let level: Option<i64> = tx
        .fetch_optional::<(i64,)>(
            "SELECT level FROM capability_assessments WHERE person_id = $1 ORDER BY assessed_on DESC, created_at DESC LIMIT 1",
            args![&p.id],
        )
        .await?
        .map(|r| r.0);
    if !rule::care_bed_eligible(
        age_on(p.birth_date, today),
        level.and_then(|l| u8::try_from(l).ok()),
    ) {
        return Err(AppError::conflict(
            "person",
            "家庭照护床位须为60周岁及以上、经能力评估为失能（轻度失能及以上）的老人",
        ));
    }
    provider_tx(&mut tx, ctx, &b.provider_id).await?;
    tx.fetch_optional::<(String,)>(
        &format!("SELECT id FROM persons WHERE id = $1{}", tx.for_update()),
        args![&p.id],
    )
    .await?;
    let live: i64 = tx
        .scalar("SELECT COUNT(*) FROM family_care_beds WHERE person_id = $1 AND terminated_on IS NULL AND contract_end >= $2", args![&p.id, today])
        .await?;
    if live > 0 {
        return Err(AppError::conflict("person", "该老人已有在约的家庭照护床位"));
    }
    // an expired contract leaves the live slot: close it so the unique index admits the new one
    tx.execute(
        "UPDATE family_care_beds SET terminated_on = contract_end, termination_reason = '合同到期' WHERE person_id = $1 AND terminated_on IS NULL",
        args![&p.id],
    )
    .await?;
    let id = new_id();
    tx.execute(
        "INSERT INTO family_care_beds (id, person_id, area_code, town_code, provider_id, contract_number, contract_start, contract_end, \
         monthly_subsidy, terminated_on, termination_reason, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11)",
        args![&id, &p.id, &p.area_code, &p.town_code, b.provider_id.trim(), &number, b.contract_start, b.contract_end, subsidy,
              &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.care_bed", "family_care_bed", &id)
            .area(&p.area_code)
            .after(json!({"person_id": p.id, "provider_id": b.provider_id.trim(), "contract_number": number,
                          "contract_start": b.contract_start, "contract_end": b.contract_end, "monthly_subsidy": subsidy})),
    )
    .await?;
    tx.commit().await?;
    bed(app, ctx, &id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    pub visited_on: NaiveDate,
    pub carer: String,
    /// What was done (生活照料, 康复护理, 健康监测 …).
    pub services: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitItem {
    pub id: String,
    pub visited_on: NaiveDate,
    pub carer: String,
    pub services: String,
    pub recorded_by: String,
}

/// Records a provider's visit to a bed in force on that day.
pub async fn visit(app: &App, ctx: &Ctx, bed_id: &str, v: VisitInput) -> AppResult<VisitItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    past_date("visited_on", "上门日期", v.visited_on, app.today())?;
    let carer = validate::name("carer", "服务人员", &v.carer, 2, 30)?;
    let services = validate::line("services", "服务内容", &v.services, 2, 200)?;
    let mut tx = app.db.begin().await?;
    let (area, start, end, term): (String, NaiveDate, NaiveDate, Option<NaiveDate>) = tx
        .fetch_optional(
            &format!("SELECT area_code, contract_start, contract_end, terminated_on FROM family_care_beds WHERE id = $1{}", tx.for_update()),
            args![bed_id],
        )
        .await?
        .filter(|r: &(String, NaiveDate, NaiveDate, Option<NaiveDate>)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("家庭照护床位".into()))?;
    if !rule::bed_in_force(start, end, term, v.visited_on) {
        return Err(AppError::invalid("visited_on", "上门日期不在合同有效期内"));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO family_care_visits (id, bed_id, visited_on, carer, services, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&id, bed_id, v.visited_on, &carer, &services, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.care_bed_visit", "family_care_bed", bed_id)
            .area(&area)
            .after(json!({"visited_on": v.visited_on, "carer": carer, "services": services})),
    )
    .await?;
    tx.commit().await?;
    Ok(VisitItem {
        id,
        visited_on: v.visited_on,
        carer,
        services,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

/// A bed's visits, newest first.
pub async fn visits_of(app: &App, ctx: &Ctx, bed_id: &str) -> AppResult<Vec<VisitItem>> {
    bed(app, ctx, bed_id).await?;
    let rows: Vec<(String, NaiveDate, String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, visited_on, carer, services, recorded_by FROM family_care_visits WHERE bed_id = $1 \
             ORDER BY visited_on DESC, created_at DESC LIMIT 500",
            args![bed_id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, visited_on, carer, services, recorded_by)| VisitItem {
            id,
            visited_on,
            carer,
            services,
            recorded_by,
        })
        .collect())
}

/// Ends a bed's contract early.
pub async fn terminate_bed(app: &App, ctx: &Ctx, id: &str, e: EndInput) -> AppResult<BedItem> {
    ctx.actor.require(Permission::ManageElderlyServices)?;
    validate::date("on", "终止日期", e.on)?;
    let reason = validate::text("reason", "终止原因", &e.reason, 2, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let (area, start, term): (String, NaiveDate, Option<NaiveDate>) = tx
        .fetch_optional(
            &format!("SELECT area_code, contract_start, terminated_on FROM family_care_beds WHERE id = $1{}", tx.for_update()),
            args![id],
        )
        .await?
        .filter(|r: &(String, NaiveDate, Option<NaiveDate>)| ctx.actor.in_scope(&r.0))
        .ok_or_else(|| AppError::NotFound("家庭照护床位".into()))?;
    if term.is_some() {
        return Err(AppError::conflict("id", "该床位合同已终止"));
    }
    if e.on < start {
        return Err(AppError::invalid("on", "终止日期不能早于合同开始日期"));
    }
    tx.execute(
        "UPDATE family_care_beds SET terminated_on = $2, termination_reason = $3 WHERE id = $1",
        args![id, e.on, &reason],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("elderly.care_bed_end", "family_care_bed", id)
            .area(&area)
            .after(json!({"terminated_on": e.on, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    bed(app, ctx, id).await
}

type BedRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    i64,
    Option<NaiveDate>,
    i64,
    Option<NaiveDate>,
);

const BED_SELECT: &str = "SELECT b.id, b.person_id, p.name, b.area_code, b.provider_id, o.name, b.contract_number, b.contract_start, \
     b.contract_end, b.monthly_subsidy, b.terminated_on, \
     (SELECT COUNT(*) FROM family_care_visits v WHERE v.bed_id = b.id), \
     (SELECT MAX(v.visited_on) FROM family_care_visits v WHERE v.bed_id = b.id) \
     FROM family_care_beds b JOIN persons p ON p.id = b.person_id JOIN organisations o ON o.id = b.provider_id";

fn bed_from(app: &App, r: BedRow) -> BedItem {
    let (
        id,
        person_id,
        name,
        area,
        provider_id,
        provider_name,
        number,
        start,
        end,
        subsidy,
        term,
        visits,
        last,
    ) = r;
    BedItem {
        in_force: rule::bed_in_force(start, end, term, app.today()),
        name: crate::app::targets::computed::mask_name(&name),
        area_name: app.areas().full_name(&area),
        monthly_subsidy: Fen(subsidy).to_string(),
        id,
        person_id,
        provider_id,
        provider_name,
        contract_number: number,
        contract_start: start,
        contract_end: end,
        terminated_on: term,
        visits,
        last_visit_on: last,
    }
}

pub async fn bed(app: &App, ctx: &Ctx, id: &str) -> AppResult<BedItem> {
    ctx.actor.require(Permission::ReadElderly)?;
    let r: BedRow = app
        .db
        .conn()
        .fetch_optional(&format!("{BED_SELECT} WHERE b.id = $1"), args![id])
        .await?
        .filter(|r: &BedRow| ctx.actor.in_scope(&r.3))
        .ok_or_else(|| AppError::NotFound("家庭照护床位".into()))?;
    Ok(bed_from(app, r))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BedPage {
    pub items: Vec<BedItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Family care beds in the caller's scope (every contract, newest first).
pub async fn beds(app: &App, ctx: &Ctx, q: &AreaPage) -> AppResult<BedPage> {
    ctx.actor.require(Permission::ReadElderly)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("b.area_code", "b.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let total: i64 = app
        .db
        .conn()
        .scalar(
            &format!("SELECT COUNT(*) FROM family_care_beds b WHERE {cond}"),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<BedRow> = app
        .db
        .conn()
        .fetch_all(
            &format!("{BED_SELECT} WHERE {cond} ORDER BY b.contract_start DESC, b.id LIMIT ${} OFFSET ${}", n + 1, n + 2),
            args,
        )
        .await?;
    Ok(BedPage {
        items: rows.into_iter().map(|r| bed_from(app, r)).collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

/// The providers a grant or a bed may name (in the caller's scope, active), by town and name: (id, name).
pub async fn providers(app: &App, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    ctx.actor.require(Permission::ReadElderly)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT id, name FROM organisations WHERE {cond} AND status = 'active' \
                 AND kind IN ('home_care_provider', 'day_care_centre', 'elderly_institution') ORDER BY town_code, name LIMIT 500"
            ),
            a.into_iter().collect::<Vec<Arg>>(),
        )
        .await?)
}
