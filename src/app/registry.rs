//! The residents registry shared by every business line: persons and households.

use super::audit::{self, Event};
use super::authz::Permission;
use super::{App, AppError, AppResult, Ctx, validate};
use crate::storage::persons::{self as store, AreaFilter, HouseholdRow, PersonQuery, PersonRow};
use crate::storage::{new_id, now};
use minzheng_domain::idnumber::{self, IdNumber, Sex};
use minzheng_domain::money::Fen;

/// One page size for every list (the shared list helper's).
pub use crate::app::listing::PAGE_SIZE;

pub const RELATIONS: [(&str, &str); 8] = [
    ("self", "户主/本人"),
    ("spouse", "配偶"),
    ("child", "子女"),
    ("parent", "父母"),
    ("grandparent", "祖父母/外祖父母"),
    ("grandchild", "孙子女/外孙子女"),
    ("sibling", "兄弟姐妹"),
    ("other", "其他"),
];

pub const STATUSES: [(&str, &str); 3] = [
    ("normal", "正常"),
    ("deceased", "死亡"),
    ("moved_away", "迁出"),
];

pub fn relation_label(code: &str) -> &'static str {
    RELATIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

pub fn status_label(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("未知")
}

/// A person as a list shows it: personal information masked.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PersonItem {
    pub id: String,
    pub name: String,
    pub id_number_masked: String,
    pub sex: String,
    pub birth_date: chrono::NaiveDate,
    pub area_code: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub id_number_masked: String,
    /// Present only in an audited full view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub sex: String,
    pub sex_label: String,
    pub birth_date: chrono::NaiveDate,
    pub age: u32,
    pub phone_masked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub address_masked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub hukou_area_code: String,
    pub hukou_area_name: String,
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    pub status_label: String,
    pub household_id: Option<String>,
    pub relation: String,
    pub relation_label: String,
    pub employed: bool,
    pub monthly_income: String,
    pub disability: Option<String>,
    pub serious_illness: bool,
    pub lives_alone: bool,
    /// The latest capability assessment (GB/T 42195-2022): level name, date and the next one due.
    pub capability: Option<String>,
}

fn item(p: &store::PersonListRow) -> PersonItem {
    PersonItem {
        id: p.id.clone(),
        name: p.name.clone(),
        id_number_masked: idnumber::mask(&p.id_number),
        sex: p.sex.clone(),
        birth_date: p.birth_date,
        area_code: p.area_code.clone(),
    }
}

pub fn disability_label(kind: Option<&str>, grade: Option<i32>) -> Option<String> {
    let kind = match kind? {
        "limb" => "肢体",
        "visual" => "视力",
        "hearing" => "听力",
        "speech" => "言语",
        "intellectual" => "智力",
        "mental" => "精神",
        "multiple" => "多重",
        other => other,
    };
    Some(format!("{kind}{}级", grade.unwrap_or(0)))
}

fn view(app: &App, p: &PersonRow, reveal: bool) -> PersonView {
    let areas = app.areas();
    PersonView {
        id: p.id.clone(),
        name: p.name.clone(),
        id_number_masked: idnumber::mask(&p.id_number),
        id_number: reveal.then(|| p.id_number.clone()),
        sex: p.sex.clone(),
        sex_label: Sex::from_code(&p.sex).map(Sex::label).unwrap_or("").into(),
        birth_date: p.birth_date,
        age: idnumber::age_on(p.birth_date, app.today()),
        phone_masked: idnumber::mask_phone(&p.phone),
        phone: reveal.then(|| p.phone.clone()),
        address_masked: idnumber::mask_address(&p.address),
        address: reveal.then(|| p.address.clone()),
        hukou_area_code: p.hukou_area_code.clone(),
        hukou_area_name: areas.full_name(&p.hukou_area_code),
        area_code: p.area_code.clone(),
        area_name: areas.full_name(&p.area_code),
        status: p.status.clone(),
        status_label: status_label(&p.status).into(),
        household_id: p.household_id.clone(),
        relation: p.relation.clone(),
        relation_label: relation_label(&p.relation).into(),
        employed: p.employed,
        monthly_income: Fen(p.monthly_income).to_string(),
        disability: disability_label(p.disability_kind.as_deref(), p.disability_grade),
        serious_illness: p.serious_illness,
        lives_alone: p.lives_alone,
        capability: None,
    }
}

/// Reads the user's search text: a full identity number, its last 4+ characters, or (the beginning of) a name.
pub fn parse_query(q: &str) -> PersonQuery {
    let q = q.trim();
    if q.is_empty() {
        return PersonQuery::All;
    }
    let upper = q.to_ascii_uppercase();
    let id_like = upper.bytes().all(|b| b.is_ascii_digit() || b == b'X');
    if id_like && upper.len() == 18 {
        PersonQuery::IdNumber(upper)
    } else if id_like && upper.len() >= 4 {
        PersonQuery::IdSuffix(upper)
    } else {
        PersonQuery::NamePrefix(q.to_string())
    }
}

/// The area filter for a request: the requested area narrowed to the caller's scope.
pub fn area_filter(app: &App, ctx: &Ctx, area: Option<&str>) -> AreaFilter {
    let areas = app.areas();
    match area.map(str::trim).filter(|a| !a.is_empty()) {
        None => ctx.actor.scope_filter(),
        Some(code) => match areas.get(code) {
            Some(a) => ctx.actor.narrow(Some((&a.code, &a.level))),
            None => AreaFilter::Nothing,
        },
    }
}

pub async fn search(
    app: &App,
    ctx: &Ctx,
    q: &str,
    area: Option<&str>,
    page: i64,
) -> AppResult<(Vec<PersonItem>, i64)> {
    ctx.actor.require(Permission::ReadRegistry)?;
    let filter = match area_filter(app, ctx, area) {
        // the whole city while the database holds no other: testing each match's area would only cost time
        AreaFilter::Prefix(p) if app.areas().holds_only(&p) => AreaFilter::Everything,
        f => f,
    };
    let page = page.max(1);
    let (rows, total) = store::search(
        &app.db,
        &parse_query(q),
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    Ok((rows.iter().map(item).collect(), total))
}

async fn load_in_scope(app: &App, ctx: &Ctx, id: &str) -> AppResult<PersonRow> {
    ctx.actor.require(Permission::ReadRegistry)?;
    match store::get(&app.db, id).await? {
        // Outside the scope is the same answer as not existing: no leak of existence.
        Some(p) if ctx.actor.in_scope(&p.area_code) => Ok(p),
        _ => Err(AppError::NotFound("人员".into())),
    }
}

/// A person; with `reveal` the full identity number, phone and address, written to the audit log.
pub async fn get(app: &App, ctx: &Ctx, id: &str, reveal: bool) -> AppResult<PersonView> {
    let p = load_in_scope(app, ctx, id).await?;
    if reveal {
        ctx.actor.require(Permission::RevealPersonal)?;
        audit::record_alone(
            &app.db,
            ctx,
            Event::new("person.reveal", "person", &p.id).area(&p.area_code),
        )
        .await?;
    }
    let mut v = view(app, &p, reveal);
    // the elderly line's latest assessment, shown wherever the person is
    let latest: Option<(String, chrono::NaiveDate, chrono::NaiveDate)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT level_name, assessed_on, next_due_on FROM capability_assessments WHERE person_id = $1 \
             ORDER BY assessed_on DESC, created_at DESC LIMIT 1",
            crate::args![&p.id],
        )
        .await?;
    v.capability =
        latest.map(|(level, on, due)| format!("{level}（{on} 评估，下次评估 {due} 前）"));
    Ok(v)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewPerson {
    pub id_number: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    /// Village/community of residence.
    pub area_code: String,
    /// Defaults to the residence area.
    #[serde(default)]
    pub hukou_area_code: Option<String>,
    #[serde(default)]
    pub household_id: Option<String>,
    #[serde(default)]
    pub relation: Option<String>,
}

fn validate_name(name: &str) -> AppResult<String> {
    validate::name("name", "姓名", name, 1, validate::NAME_MAX)
}

fn validate_address(address: &str) -> AppResult<String> {
    validate::line("address", "地址", address, 0, validate::ADDRESS_MAX)
}

fn validate_phone(phone: &str) -> AppResult<String> {
    let p = phone.trim();
    if !p.is_empty()
        && (p.len() < 7 || p.len() > 20 || !p.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
    {
        return Err(AppError::invalid(
            "phone",
            "联系电话只能包含数字和连字符，7–20位",
        ));
    }
    Ok(p.to_string())
}

pub async fn create(app: &App, ctx: &Ctx, n: NewPerson) -> AppResult<PersonView> {
    ctx.actor.require(Permission::WriteRegistry)?;
    let today = app.today();
    let id = IdNumber::parse(&n.id_number, today)
        .map_err(|e| AppError::invalid("id_number", format!("身份证号码无效：{e}")))?;
    let name = validate_name(&n.name)?;
    let phone = validate_phone(&n.phone)?;
    let address = validate_address(&n.address)?;
    let areas = app.areas();
    let area = match areas.get(n.area_code.trim()) {
        Some(a) if a.level == "village" => a.clone(),
        Some(_) => return Err(AppError::invalid("area_code", "居住地须选择到村(社区)")),
        None => return Err(AppError::invalid("area_code", "居住地区划不存在")),
    };
    if !ctx.actor.in_scope(&area.code) {
        return Err(AppError::invalid("area_code", "居住地不在您的管辖范围内"));
    }
    let hukou = n
        .hukou_area_code
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| area.code.clone());
    if areas.get(&hukou).is_none() {
        return Err(AppError::invalid("hukou_area_code", "户籍地区划不存在"));
    }
    let relation = n.relation.unwrap_or_else(|| "self".into());
    if !RELATIONS.iter().any(|(c, _)| *c == relation) {
        return Err(AppError::invalid("relation", "与户主关系无效"));
    }
    let mut tx = app.db.begin().await?;
    if let Some(hid) = n.household_id.as_deref().filter(|h| !h.is_empty()) {
        match store::household_tx(&mut tx, hid).await? {
            Some(h) if ctx.actor.in_scope(&h.area_code) => {}
            _ => return Err(AppError::invalid("household_id", "家庭不存在")),
        }
    }
    if store::by_id_number_tx(&mut tx, id.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "id_number",
            format!("身份证号码 {} 已登记", id.masked()),
        ));
    }
    let t = now();
    let row = PersonRow {
        id: new_id(),
        id_number: id.as_str().into(),
        id_last4: id.last4().into(),
        name,
        sex: id.sex().code().into(),
        birth_date: id.birth_date(),
        phone,
        address,
        hukou_area_code: hukou,
        area_code: area.code.clone(),
        town_code: area.town_code.clone().unwrap_or_default(),
        status: "normal".into(),
        household_id: n.household_id.filter(|h| !h.is_empty()),
        relation,
        employed: false,
        monthly_income: 0,
        disability_kind: None,
        disability_grade: None,
        serious_illness: false,
        lives_alone: false,
        created_at: t,
        updated_at: t,
    };
    if let Err(e) = store::insert_person(&mut tx, &row).await {
        return Err(if e.is_unique_violation() {
            AppError::conflict("id_number", format!("身份证号码 {} 已登记", id.masked()))
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("person.create", "person", &row.id)
            .area(&row.area_code)
            .after(snapshot(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(view(app, &row, false))
}

fn snapshot(p: &PersonRow) -> serde_json::Value {
    serde_json::json!({
        "id_number": p.id_number, "name": p.name, "phone": p.phone, "address": p.address,
        "hukou_area_code": p.hukou_area_code, "area_code": p.area_code, "status": p.status,
        "household_id": p.household_id, "relation": p.relation,
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct PersonUpdate {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// normal, deceased or moved_away
    pub status: Option<String>,
    pub area_code: Option<String>,
}

pub async fn update(app: &App, ctx: &Ctx, id: &str, u: PersonUpdate) -> AppResult<PersonView> {
    ctx.actor.require(Permission::WriteRegistry)?;
    let mut tx = app.db.begin().await?;
    let before = match store::get_tx(&mut tx, id).await? {
        Some(p) if ctx.actor.in_scope(&p.area_code) => p,
        _ => return Err(AppError::NotFound("人员".into())),
    };
    let mut p = before.clone();
    if let Some(n) = u.name {
        p.name = validate_name(&n)?;
    }
    if let Some(ph) = u.phone {
        p.phone = validate_phone(&ph)?;
    }
    if let Some(a) = u.address {
        p.address = validate_address(&a)?;
    }
    if let Some(s) = u.status {
        if !STATUSES.iter().any(|(c, _)| *c == s) {
            return Err(AppError::invalid(
                "status",
                "人员状态应为 normal、deceased 或 moved_away",
            ));
        }
        p.status = s;
    }
    if let Some(code) = u.area_code.filter(|c| !c.trim().is_empty()) {
        let areas = app.areas();
        match areas.get(code.trim()) {
            Some(a) if a.level == "village" && ctx.actor.in_scope(&a.code) => {
                p.area_code = a.code.clone();
                p.town_code = a.town_code.clone().unwrap_or_default();
            }
            _ => {
                return Err(AppError::invalid(
                    "area_code",
                    "居住地须是您管辖范围内的村(社区)",
                ));
            }
        }
    }
    p.updated_at = now();
    store::update_person(&mut tx, &p).await?;
    // a death or a move changes the situation of the household's children: classified again in this transaction
    if p.status != before.status
        && let Some(hh) = &p.household_id
    {
        let cause = format!(
            "居民信息库变更：{}状态由{}改为{}",
            idnumber::mask_name(&p.name),
            status_label(&before.status),
            status_label(&p.status)
        );
        crate::app::children::reclassify::household_tx(
            &mut tx,
            &ctx.actor.display_name,
            &cause,
            hh,
            app.today(),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("person.update", "person", &p.id)
            .area(&p.area_code)
            .before(snapshot(&before))
            .after(snapshot(&p)),
    )
    .await?;
    tx.commit().await?;
    Ok(view(app, &p, false))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub area_code: String,
    pub area_name: String,
    pub address_masked: String,
    pub members: Vec<PersonView>,
}

pub async fn household(app: &App, ctx: &Ctx, id: &str) -> AppResult<HouseholdView> {
    ctx.actor.require(Permission::ReadRegistry)?;
    let h = match store::household(&app.db, id).await? {
        Some(h) if ctx.actor.in_scope(&h.area_code) => h,
        _ => return Err(AppError::NotFound("家庭".into())),
    };
    let members = store::members(&app.db, &h.id).await?;
    Ok(HouseholdView {
        id: h.id.clone(),
        area_code: h.area_code.clone(),
        area_name: app.areas().full_name(&h.area_code),
        address_masked: idnumber::mask_address(&h.address),
        members: members.iter().map(|m| view(app, m, false)).collect(),
    })
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewHousehold {
    pub area_code: String,
    #[serde(default)]
    pub address: String,
}

pub async fn create_household(app: &App, ctx: &Ctx, n: NewHousehold) -> AppResult<String> {
    ctx.actor.require(Permission::WriteRegistry)?;
    let areas = app.areas();
    let area = match areas.get(n.area_code.trim()) {
        Some(a) if a.level == "village" && ctx.actor.in_scope(&a.code) => a.clone(),
        _ => {
            return Err(AppError::invalid(
                "area_code",
                "家庭所在地须是您管辖范围内的村(社区)",
            ));
        }
    };
    let h = HouseholdRow {
        id: new_id(),
        area_code: area.code.clone(),
        town_code: area.town_code.clone().unwrap_or_default(),
        address: validate_address(&n.address)?,
        created_at: now(),
    };
    let mut tx = app.db.begin().await?;
    store::insert_household(&mut tx, &h).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("household.create", "household", &h.id)
            .area(&h.area_code)
            .after(serde_json::json!({"address": h.address})),
    )
    .await?;
    tx.commit().await?;
    Ok(h.id)
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HomeCounts {
    pub counts: store::RegistryCounts,
    pub per_town: Vec<(String, String, i64)>,
}

pub async fn home_counts(app: &App, ctx: &Ctx) -> AppResult<HomeCounts> {
    ctx.actor.require(Permission::ReadRegistry)?;
    let filter = ctx.actor.scope_filter();
    let today = app.today();
    let years_ago = |y: i32| today.with_year_checked(chrono::Datelike::year(&today) - y);
    let counts = store::counts(&app.db, &filter, years_ago(60), years_ago(80)).await?;
    let areas = app.areas();
    let per_town = store::per_town(&app.db, &filter)
        .await?
        .into_iter()
        .map(|(code, n)| {
            let name = areas.name(&code);
            (code, name, n)
        })
        .collect();
    Ok(HomeCounts { counts, per_town })
}

trait YearsAgo {
    fn with_year_checked(&self, year: i32) -> chrono::NaiveDate;
}

impl YearsAgo for chrono::NaiveDate {
    /// The same day `year`; 29 February falls back to the 28th.
    fn with_year_checked(&self, year: i32) -> chrono::NaiveDate {
        use chrono::Datelike;
        self.with_year(year)
            .or_else(|| (*self - chrono::Duration::days(1)).with_year(year))
            .expect("valid date")
    }
}

/// Export header: masked by default, as every list.
pub const EXPORT_HEADER: [&str; 9] = [
    "姓名",
    "身份证号码",
    "性别",
    "出生日期",
    "联系电话",
    "镇(街道)",
    "村(社区)",
    "与户主关系",
    "状态",
];

/// Checks the export right and writes the audit entry; the rows are then streamed by [`export_page`].
pub async fn begin_export(
    app: &App,
    ctx: &Ctx,
    q: &str,
    area: Option<&str>,
) -> AppResult<(PersonQuery, AreaFilter)> {
    ctx.actor.require(Permission::ReadRegistry)?;
    let filter = area_filter(app, ctx, area);
    audit::record_alone(
        &app.db,
        ctx,
        Event::new("person.export", "person", "*")
            .area(ctx.actor.area_code.clone())
            .after(serde_json::json!({"q": q, "area": area})),
    )
    .await?;
    Ok((parse_query(q), filter))
}

/// One page of export rows after the key `after`, with the key to continue from (None at the end).
pub async fn export_page(
    app: &App,
    q: &PersonQuery,
    f: &AreaFilter,
    after: &str,
    limit: i64,
) -> AppResult<(Vec<[String; 9]>, Option<String>)> {
    let rows = store::page_after(&app.db, q, f, after, limit).await?;
    let next = if rows.len() as i64 == limit {
        rows.last().map(|p| p.id.clone())
    } else {
        None
    };
    let areas = app.areas();
    let out = rows
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                idnumber::mask(&p.id_number),
                Sex::from_code(&p.sex)
                    .map(Sex::label)
                    .unwrap_or("")
                    .to_string(),
                p.birth_date.to_string(),
                idnumber::mask_phone(&p.phone),
                areas.name(&p.town_code),
                areas.name(&p.area_code),
                relation_label(&p.relation).to_string(),
                status_label(&p.status).to_string(),
            ]
        })
        .collect();
    Ok((out, next))
}
