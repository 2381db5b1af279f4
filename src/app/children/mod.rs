//! Children's welfare (儿童福利, DOMAIN §5, issue 17): who a child is (LINES-API §2, the pure rule in
//! `minzheng_domain::children`), the registers of children (`registrations`, here), the basic living allowance paid in
//! the monthly roll (`allowances`), and the people — 儿童督导员, 儿童主任 — with their home visits (`people`).
//!
//! Rules chosen (README 儿童福利):
//! - a child is a registry person under 18 on the entry's start date (留守儿童: under 16);
//! - 孤儿 and 事实无人抚养儿童 are registered only when `classify` — the very rule of `POST /api/v1/children/classify`
//!   — says so on the parents' situations entered; its input and answer are frozen into the entry (`basis_json`);
//! - an entry ends on the 18th birthday (留守: 16th), or for 孤儿 / 事实无人抚养儿童 at the recorded end of full-time
//!   education if later; an entry past its end is shown 到期 until the end step (`end_due`) records it — never a
//!   silent delete; every change goes to `child_changes` and the audit log.

pub mod allowances;
pub mod people;
pub mod protection;
pub mod reclassify;
pub mod reports;

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Datelike, NaiveDate};
use minzheng_domain::children::{self, Classification, add_months};
use minzheng_domain::idnumber;
use serde_json::{Value, json};

pub use allowances::roll_lines;

pub use crate::app::listing::REGISTER_PAGE_SIZE as PAGE;

/// The stateless classification: nothing is stored.
pub fn classify(app: &App, ctx: &Ctx, body: &Value) -> AppResult<Classification> {
    ctx.actor.require(Permission::UseRules)?;
    let input = children::validate_classify(body, app.today())
        .map_err(|e| AppError::invalid(&e.field, e.message))?;
    Ok(children::classify(&input))
}

pub const CATEGORIES: [(&str, &str); 4] = [
    ("orphan", "孤儿"),
    ("de_facto_unsupported", "事实无人抚养儿童"),
    ("in_difficulty", "困境儿童"),
    ("left_behind", "留守儿童"),
];

pub fn category_label(code: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|c| c.0 == code)
        .map(|c| c.1)
        .unwrap_or("未知")
}

/// The sub-kinds of a category.
pub fn sub_kinds(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "orphan" | "de_facto_unsupported" => &[("family", "散居"), ("institution", "集中供养")],
        "in_difficulty" => &[
            ("poverty", "家庭贫困"),
            ("disability_illness", "自身残疾或重病"),
            ("guardianship", "监护缺失或监护不当"),
        ],
        "left_behind" => &[
            ("both_away", "父母双方外出务工"),
            ("one_away_other_unable", "一方外出、另一方无监护能力"),
        ],
        _ => &[],
    }
}

pub fn sub_kind_label(category: &str, code: &str) -> &'static str {
    sub_kinds(category)
        .iter()
        .find(|c| c.0 == code)
        .map(|c| c.1)
        .unwrap_or("")
}

/// Whether the category comes from the classify rule (and may carry the allowance).
pub fn by_rule(category: &str) -> bool {
    matches!(category, "orphan" | "de_facto_unsupported")
}

/// The age an entry of this category ends at.
pub fn end_age(category: &str) -> u32 {
    if category == "left_behind" { 16 } else { 18 }
}

pub fn birthday(birth: NaiveDate, years: u32) -> NaiveDate {
    add_months(birth, years * 12)
}

pub fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RegRow {
    pub id: String,
    pub person_id: String,
    pub household_id: Option<String>,
    pub area_code: String,
    pub town_code: String,
    pub category: String,
    pub sub_kind: String,
    pub evidence: String,
    pub basis_json: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub education_until: Option<NaiveDate>,
    pub status: String,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_by: String,
}

pub(crate) const COLS: &str = "id, person_id, household_id, area_code, town_code, category, sub_kind, evidence, \
    basis_json, start_on, end_on, education_until, status, ended_on, end_reason, created_by";

fn prefixed(alias: &str) -> String {
    COLS.split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(sqlx::FromRow)]
struct RegWithPerson {
    #[sqlx(flatten)]
    reg: RegRow,
    name: String,
    id_number: String,
    birth_date: NaiveDate,
    director: Option<String>,
}

/// The village's current 儿童主任, by name (a subquery on the entry's area).
const DIRECTOR: &str = "(SELECT MIN(w.name) FROM child_workers w WHERE w.role = 'director' AND w.area_code = r.area_code \
    AND w.ended_on IS NULL) AS director";

/// An entry as pages and the API show it: personal data masked.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RegistrationView {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub age: u32,
    pub village: String,
    pub town: String,
    pub area_code: String,
    pub category: String,
    pub category_label: String,
    pub sub_kind: String,
    pub sub_kind_label: String,
    pub evidence: String,
    /// The classify rule's input and answer, frozen when the entry came from it.
    #[schema(value_type = Object)]
    pub basis: Option<Value>,
    pub start_on: NaiveDate,
    /// The 18th (留守: 16th) birthday, or the recorded end of full-time education if later.
    pub end_on: NaiveDate,
    pub education_until: Option<NaiveDate>,
    /// active, ended
    pub status: String,
    /// 在册, 到期 (past its end, not yet ended) or 已结束
    pub status_label: String,
    pub due: bool,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// The village's current 儿童主任.
    pub director: Option<String>,
    pub created_by: String,
}

fn view(app: &App, r: &RegWithPerson) -> RegistrationView {
    let today = app.today();
    let g = &r.reg;
    let due = g.status == "active" && g.end_on <= today;
    let areas = app.areas();
    RegistrationView {
        id: g.id.clone(),
        person_id: g.person_id.clone(),
        name: idnumber::mask_name(&r.name),
        id_number: idnumber::mask(&r.id_number),
        age: idnumber::age_on(r.birth_date, today),
        village: areas.name(&g.area_code),
        town: areas.name(&g.town_code),
        area_code: g.area_code.clone(),
        category: g.category.clone(),
        category_label: category_label(&g.category).into(),
        sub_kind: g.sub_kind.clone(),
        sub_kind_label: sub_kind_label(&g.category, &g.sub_kind).into(),
        evidence: g.evidence.clone(),
        basis: g
            .basis_json
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok()),
        start_on: g.start_on,
        end_on: g.end_on,
        education_until: g.education_until,
        status: g.status.clone(),
        status_label: if due {
            "到期".into()
        } else if g.status == "active" {
            "在册".into()
        } else {
            "已结束".into()
        },
        due,
        ended_on: g.ended_on,
        end_reason: g.end_reason.clone(),
        director: r.director.clone(),
        created_by: g.created_by.clone(),
    }
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewRegistration {
    pub person_id: String,
    /// orphan, de_facto_unsupported, in_difficulty, left_behind
    pub category: String,
    /// orphan / de_facto_unsupported: family (散居) or institution (集中供养); in_difficulty: poverty,
    /// disability_illness, guardianship; left_behind: both_away, one_away_other_unable
    pub sub_kind: String,
    /// What was seen and the documents (required for 困境 and 留守, at least 4 characters).
    #[serde(default)]
    pub evidence: String,
    /// The date the entry runs from (the classify rule's `as_of`).
    pub start_on: NaiveDate,
    /// For orphan and de_facto_unsupported: LINES-API §2's `parents` (father and mother with their situations).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parents: Option<Value>,
    /// The recorded end of full-time education (below postgraduate level), when the child is in it.
    #[serde(default)]
    pub education_until: Option<NaiveDate>,
}

fn checked_date(field: &str, label: &str, d: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    let d = validate::date(field, label, d)?;
    if d > today {
        return Err(AppError::invalid(field, format!("{label}不能晚于今天")));
    }
    Ok(d)
}

async fn change(
    tx: &mut Tx,
    ctx: &Ctx,
    registration_id: &str,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
    note: &str,
) -> AppResult<()> {
    tx.execute(
        "INSERT INTO child_changes (id, registration_id, action, before_json, after_json, note, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            new_id(),
            registration_id,
            action,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string()),
            note,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    Ok(())
}

/// Registers a child of the caller's area in a category.
pub async fn register(app: &App, ctx: &Ctx, n: NewRegistration) -> AppResult<RegistrationView> {
    ctx.actor.require(Permission::HandleChildren)?;
    let category = n.category.trim().to_string();
    if !CATEGORIES.iter().any(|c| c.0 == category) {
        return Err(AppError::invalid(
            "category",
            "儿童类别应为孤儿、事实无人抚养儿童、困境儿童或留守儿童",
        ));
    }
    let sub_kind = n.sub_kind.trim().to_string();
    if !sub_kinds(&category).iter().any(|s| s.0 == sub_kind) {
        let names: Vec<&str> = sub_kinds(&category).iter().map(|s| s.1).collect();
        return Err(AppError::invalid(
            "sub_kind",
            format!(
                "{}的具体情形应为{}",
                category_label(&category),
                names.join("、")
            ),
        ));
    }
    let today = app.today();
    let start_on = checked_date("start_on", "登记日期", n.start_on, today)?;
    let evidence = if by_rule(&category) {
        validate::text("evidence", "证明材料", &n.evidence, 0, 1000)?
    } else {
        validate::text("evidence", "证明材料", &n.evidence, 4, 1000)?
    };
    let education_until = match n.education_until {
        Some(d) if !by_rule(&category) => {
            let _ = d;
            return Err(AppError::invalid(
                "education_until",
                "只有孤儿和事实无人抚养儿童登记全日制学历教育的截止日期",
            ));
        }
        Some(d) => Some(validate::date(
            "education_until",
            "全日制学历教育截止日期",
            d,
        )?),
        None => None,
    };
    let mut tx = app.db.begin().await?;
    let p = crate::storage::persons::get_tx(&mut tx, &n.person_id)
        .await?
        .filter(|p| ctx.actor.in_scope(&p.area_code))
        .ok_or_else(|| AppError::invalid("person_id", "人员不存在或不在您的管辖范围内"))?;
    if p.status != "normal" {
        return Err(AppError::invalid(
            "person_id",
            format!(
                "此人在居民信息库中的状态为{}，不能登记",
                crate::app::registry::status_label(&p.status)
            ),
        ));
    }
    let limit = end_age(&category);
    let age = idnumber::age_on(p.birth_date, start_on);
    if age >= limit {
        return Err(AppError::invalid(
            "person_id",
            format!(
                "登记日此人已满{age}周岁，{}须未满{limit}周岁",
                category_label(&category)
            ),
        ));
    }
    if start_on < p.birth_date {
        return Err(AppError::invalid("start_on", "登记日期不能早于出生日期"));
    }
    let basis = if by_rule(&category) {
        let parents = n.parents.clone().ok_or_else(|| {
            AppError::invalid(
                "parents",
                "孤儿和事实无人抚养儿童须填写父母双方的情形，按认定规则认定",
            )
        })?;
        // the very rule of POST /api/v1/children/classify, on the same body
        let body = json!({
            "as_of": start_on.to_string(),
            "child": {"id_number": p.id_number, "in_full_time_education": education_until.is_some_and(|d| d >= start_on)},
            "parents": parents,
        });
        let answer = classify(app, ctx, &body)?;
        let got = answer.category.map(|c| c.code()).unwrap_or("");
        if got != category {
            let why: Vec<String> = answer
                .reasons
                .iter()
                .map(|r| match r.parent {
                    Some(pr) => format!("{}{}", pr.label(), r.code.label()),
                    None => r.code.label().to_string(),
                })
                .collect();
            return Err(AppError::invalid(
                "parents",
                format!(
                    "按认定规则，此儿童{}（{}），不能登记为{}",
                    answer
                        .category
                        .map(|c| format!("属于{}", c.label()))
                        .unwrap_or_else(|| "不属于孤儿或事实无人抚养儿童".into()),
                    why.join("；"),
                    category_label(&category)
                ),
            ));
        }
        // the input with the frozen child masked: the basis is shown in lists and pages
        let mut input = body;
        input["child"]["id_number"] = json!(idnumber::mask(&p.id_number));
        Some(json!({"rule": "LINES-API §2 儿童类别认定", "input": input, "answer": answer}))
    } else {
        None
    };
    let mut end_on = birthday(p.birth_date, limit);
    if let Some(e) = education_until {
        end_on = end_on.max(e);
    }
    let existing: Option<(NaiveDate,)> = tx
        .fetch_optional(
            "SELECT start_on FROM child_registrations WHERE person_id = $1 AND category = $2 AND status = 'active'",
            args![&p.id, &category],
        )
        .await?;
    if let Some((since,)) = existing {
        return Err(AppError::conflict(
            "person_id",
            format!(
                "此儿童已登记为{}（自{}起在册），不能重复登记",
                category_label(&category),
                since.format("%Y年%-m月%-d日")
            ),
        ));
    }
    let id = new_id();
    let basis_json = basis.as_ref().map(Value::to_string);
    let res = tx
        .execute(
            &format!(
                "INSERT INTO child_registrations ({COLS}, created_at) VALUES ({})",
                crate::storage::placeholders(1, 17)
            ),
            args![
                &id,
                &p.id,
                p.household_id.clone(),
                &p.area_code,
                &p.town_code,
                &category,
                &sub_kind,
                &evidence,
                basis_json,
                start_on,
                end_on,
                education_until,
                "active",
                Option::<NaiveDate>::None,
                Option::<String>::None,
                &ctx.actor.display_name,
                now()
            ],
        )
        .await;
    if let Err(e) = res {
        return Err(if e.is_unique_violation() {
            AppError::conflict("person_id", "此儿童已在该类别名册中，不能重复登记")
        } else {
            e.into()
        });
    }
    let after = json!({"category": category, "sub_kind": sub_kind, "start_on": start_on, "end_on": end_on,
                       "education_until": education_until, "basis": basis});
    change(
        &mut tx,
        ctx,
        &id,
        "register",
        None,
        Some(after.clone()),
        &evidence,
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.register", "child_registration", &id)
            .area(&p.area_code)
            .after(after),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, &id).await
}

pub(crate) async fn load_tx(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<RegRow> {
    let lock = tx.for_update();
    tx.fetch_optional::<RegRow>(
        &format!("SELECT {COLS} FROM child_registrations WHERE id = $1{lock}"),
        args![id],
    )
    .await?
    .filter(|r| ctx.actor.in_scope(&r.area_code))
    .ok_or_else(|| AppError::NotFound("儿童登记".into()))
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<RegistrationView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: RegWithPerson = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {}, p.name, p.id_number, p.birth_date, {DIRECTOR} FROM child_registrations r \
                 JOIN persons p ON p.id = r.person_id WHERE r.id = $1",
                prefixed("r")
            ),
            args![id],
        )
        .await?
        .filter(|r: &RegWithPerson| ctx.actor.in_scope(&r.reg.area_code))
        .ok_or_else(|| AppError::NotFound("儿童登记".into()))?;
    Ok(view(app, &r))
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChangeView {
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub note: String,
    pub changed_by: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

pub fn action_label(code: &str) -> &'static str {
    match code {
        "register" => "登记",
        "education" => "登记全日制学历教育",
        "end" => "结束",
        "expire" => "到期结束",
        _ => "变更",
    }
}

/// One entry with its history, allowances and visits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RegistrationDetail {
    pub registration: RegistrationView,
    pub history: Vec<ChangeView>,
    pub allowances: Vec<allowances::AllowanceView>,
    pub visits: Vec<people::VisitView>,
    /// The next visit is due on (none once ended).
    pub visit_due_on: Option<NaiveDate>,
}

pub async fn detail(app: &App, ctx: &Ctx, id: &str) -> AppResult<RegistrationDetail> {
    let registration = get(app, ctx, id).await?;
    let history: Vec<ChangeView> = app
        .db
        .conn()
        .fetch_all(
            "SELECT action, before_json, after_json, note, changed_by, changed_at FROM child_changes \
             WHERE registration_id = $1 ORDER BY changed_at, id",
            args![id],
        )
        .await?;
    let allowances = allowances::of_registration(app, id).await?;
    let visits = people::visits_of(app, id).await?;
    let visit_due_on = (registration.status == "active").then(|| {
        people::visit_due(
            &registration.category,
            &registration.sub_kind,
            visits.first().map(|v| v.visited_on),
            registration.start_on,
        )
    });
    Ok(RegistrationDetail {
        registration,
        history,
        allowances,
        visits,
        visit_due_on,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct RegistrationQuery {
    /// orphan, de_facto_unsupported, in_difficulty, left_behind
    pub category: Option<String>,
    /// active (在册, including 到期), due (到期: past the end, not yet ended), ended
    pub status: Option<String>,
    /// 姓名、身份证号（或后4位）
    pub q: Option<String>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RegistrationPage {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<RegistrationView>,
}

/// Entries of the caller's area (per village with `area`), filtered, 50 a page, with the total.
pub async fn list(app: &App, ctx: &Ctx, q: &RegistrationQuery) -> AppResult<RegistrationPage> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("r.area_code", "r.town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let mut sql =
        format!("FROM child_registrations r JOIN persons p ON p.id = r.person_id WHERE {cond}");
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        args.push(c.to_string().into());
        sql.push_str(&format!(" AND r.category = ${}", args.len()));
    }
    match q.status.as_deref().unwrap_or("") {
        "active" => sql.push_str(" AND r.status = 'active'"),
        "ended" => sql.push_str(" AND r.status = 'ended'"),
        "due" => {
            args.push(app.today().into());
            sql.push_str(&format!(
                " AND r.status = 'active' AND r.end_on <= ${}",
                args.len()
            ));
        }
        _ => {}
    }
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let s = s.to_uppercase();
        if s.chars().all(|c| c.is_ascii_digit() || c == 'X') && s.len() <= 4 {
            args.push(s.into());
            sql.push_str(&format!(" AND p.id_last4 = ${}", args.len()));
        } else if s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            args.push(s.into());
            sql.push_str(&format!(" AND p.id_number = ${}", args.len()));
        } else {
            args.push(format!("{s}%").into());
            sql.push_str(&format!(" AND p.name LIKE ${}", args.len()));
        }
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    args.push(PAGE.into());
    args.push(((page - 1) * PAGE).into());
    let n = args.len();
    let rows: Vec<RegWithPerson> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {}, p.name, p.id_number, p.birth_date, {DIRECTOR} {sql} \
                 ORDER BY r.area_code, r.end_on, r.id LIMIT ${} OFFSET ${n}",
                prefixed("r"),
                n - 1
            ),
            args,
        )
        .await?;
    Ok(RegistrationPage {
        total,
        page,
        pages,
        items: rows.iter().map(|r| view(app, r)).collect(),
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct EndRegistration {
    pub on: NaiveDate,
    /// At least 4 characters (e.g. 被收养, 父母恢复抚养能力, 死亡).
    pub reason: String,
}

/// Ends an entry by a recorded step (never a delete).
pub async fn end(
    app: &App,
    ctx: &Ctx,
    id: &str,
    e: EndRegistration,
) -> AppResult<RegistrationView> {
    ctx.actor.require(Permission::HandleChildren)?;
    let reason = validate::text("reason", "结束原因", &e.reason, 4, 500)?;
    let on = checked_date("on", "结束日期", e.on, app.today())?;
    let mut tx = app.db.begin().await?;
    let r = load_tx(&mut tx, ctx, id).await?;
    if r.status != "active" {
        return Err(AppError::conflict("status", "该登记已结束"));
    }
    if on < r.start_on {
        return Err(AppError::invalid("on", "结束日期不能早于登记日期"));
    }
    end_tx(&mut tx, ctx, &r, on, &reason, "end").await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

async fn end_tx(
    tx: &mut Tx,
    ctx: &Ctx,
    r: &RegRow,
    on: NaiveDate,
    reason: &str,
    action: &'static str,
) -> AppResult<()> {
    tx.execute(
        "UPDATE child_registrations SET status = 'ended', ended_on = $2, end_reason = $3 WHERE id = $1",
        args![&r.id, on, reason],
    )
    .await?;
    let before = json!({"status": r.status});
    let after = json!({"status": "ended", "ended_on": on, "reason": reason});
    change(
        tx,
        ctx,
        &r.id,
        action,
        Some(before.clone()),
        Some(after.clone()),
        reason,
    )
    .await?;
    audit::record(
        tx,
        ctx,
        Event::new(
            if action == "expire" {
                "children.expire"
            } else {
                "children.end"
            },
            "child_registration",
            &r.id,
        )
        .area(&r.area_code)
        .before(before)
        .after(after),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EndDue {
    /// A town or village code within the caller's area (default: all of it).
    #[serde(default)]
    pub area: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EndedCount {
    pub ended: i64,
}

/// Ends every entry of the area past its end date (到期): a child turning 18 (留守: 16) or leaving full-time
/// education, each with its end step recorded and audited.
pub async fn end_due(app: &App, ctx: &Ctx, d: EndDue) -> AppResult<EndedCount> {
    ctx.actor.require(Permission::HandleChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, d.area.as_deref());
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    args.push(app.today().into());
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let rows: Vec<RegRow> = tx
        .fetch_all(
            &format!(
                "SELECT {COLS} FROM child_registrations WHERE {cond} AND status = 'active' AND end_on <= ${} ORDER BY id{lock}",
                args.len()
            ),
            args,
        )
        .await?;
    for r in &rows {
        let reason = match r.education_until {
            Some(e) if e == r.end_on => "全日制学历教育结束，登记期满".to_string(),
            _ => format!("年满{}周岁，登记期满", end_age(&r.category)),
        };
        end_tx(&mut tx, ctx, r, r.end_on, &reason, "expire").await?;
    }
    tx.commit().await?;
    Ok(EndedCount {
        ended: rows.len() as i64,
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Education {
    /// The recorded end of full-time education (below postgraduate level); null to clear it.
    pub until: Option<NaiveDate>,
}

/// Records (or clears) the end of full-time education of an orphan or 事实无人抚养儿童: the entry, and the
/// allowance, then run to that date when it is after the 18th birthday.
pub async fn record_education(
    app: &App,
    ctx: &Ctx,
    id: &str,
    e: Education,
) -> AppResult<RegistrationView> {
    ctx.actor.require(Permission::HandleChildren)?;
    if let Some(d) = e.until {
        validate::date("until", "全日制学历教育截止日期", d)?;
    }
    let mut tx = app.db.begin().await?;
    let r = load_tx(&mut tx, ctx, id).await?;
    if r.status != "active" {
        return Err(AppError::conflict("status", "该登记已结束"));
    }
    if !by_rule(&r.category) {
        return Err(AppError::invalid(
            "until",
            "只有孤儿和事实无人抚养儿童登记全日制学历教育的截止日期",
        ));
    }
    let birth: (NaiveDate,) = tx
        .fetch_one(
            "SELECT birth_date FROM persons WHERE id = $1",
            args![&r.person_id],
        )
        .await?;
    let mut end_on = birthday(birth.0, 18);
    if let Some(d) = e.until {
        end_on = end_on.max(d);
    }
    tx.execute(
        "UPDATE child_registrations SET education_until = $2, end_on = $3 WHERE id = $1",
        args![id, e.until, end_on],
    )
    .await?;
    let before = json!({"education_until": r.education_until, "end_on": r.end_on});
    let after = json!({"education_until": e.until, "end_on": end_on});
    change(
        &mut tx,
        ctx,
        id,
        "education",
        Some(before.clone()),
        Some(after.clone()),
        "",
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.education", "child_registration", id)
            .area(&r.area_code)
            .before(before)
            .after(after),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

/// A person of the caller's area by full identity number (the registration form's way in).
pub async fn person_by_id_number(app: &App, ctx: &Ctx, id_number: &str) -> AppResult<String> {
    ctx.actor.require(Permission::ReadChildren)?;
    let idn = id_number.trim().to_uppercase();
    let r: Option<(String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT id, area_code FROM persons WHERE id_number = $1",
            args![&idn],
        )
        .await?;
    r.filter(|(_, a)| ctx.actor.in_scope(a))
        .map(|(id, _)| id)
        .ok_or_else(|| {
            AppError::invalid(
                "id_number",
                "居民信息库中没有此身份证号码的人员，或不在您的管辖范围内",
            )
        })
}
