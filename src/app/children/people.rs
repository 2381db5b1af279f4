//! The people of the line: a 儿童督导员 per town and a 儿童主任 per village or community (appointed with dates,
//! trained, changed — a change ends the previous appointment, so the history stays), and the 儿童主任's home visits
//! with photos. Every registered child is assigned to its village's current 儿童主任.
//!
//! Visits are due (chosen, README 儿童福利): monthly for 孤儿 (散居), 事实无人抚养儿童 (散居) and 困境儿童; quarterly
//! for 留守儿童 and for children in an institution (集中供养, where the institution cares day to day) — counted in
//! calendar months from the last visit, or from the entry's start before the first.

use super::{RegRow, load_tx};
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::children::add_months;
use minzheng_domain::idnumber;
use serde_json::json;

/// Photos: JPEG or PNG, at most 5 MB each (as the grid tasks').
pub const MAX_PHOTO: usize = crate::app::verification::tasks::MAX_PHOTO;

pub const ROLES: [(&str, &str); 2] = [("supervisor", "儿童督导员"), ("director", "儿童主任")];

pub fn role_label(code: &str) -> &'static str {
    ROLES
        .iter()
        .find(|r| r.0 == code)
        .map(|r| r.1)
        .unwrap_or("")
}

/// Months between visits for an entry.
pub fn visit_months(category: &str, sub_kind: &str) -> u32 {
    if category == "left_behind" || sub_kind == "institution" {
        3
    } else {
        1
    }
}

pub fn visit_interval_label(category: &str, sub_kind: &str) -> &'static str {
    if visit_months(category, sub_kind) == 3 {
        "每季度"
    } else {
        "每月"
    }
}

/// The day the next visit is due.
pub fn visit_due(
    category: &str,
    sub_kind: &str,
    last: Option<NaiveDate>,
    start: NaiveDate,
) -> NaiveDate {
    add_months(last.unwrap_or(start), visit_months(category, sub_kind))
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct WorkerRow {
    id: String,
    role: String,
    area_code: String,
    town_code: String,
    name: String,
    phone: String,
    appointed_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    created_by: String,
}

const WORKER_COLS: &str =
    "id, role, area_code, town_code, name, phone, appointed_on, ended_on, end_reason, created_by";

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrainingView {
    pub trained_on: NaiveDate,
    pub topic: String,
    pub hours: i64,
    pub recorded_by: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WorkerView {
    pub id: String,
    /// supervisor (儿童督导员, a town) or director (儿童主任, a village or community)
    pub role: String,
    pub role_label: String,
    pub area_code: String,
    pub area: String,
    pub town: String,
    pub name: String,
    /// Masked.
    pub phone: String,
    pub appointed_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub current: bool,
    pub created_by: String,
    pub trainings: Vec<TrainingView>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct WorkerQuery {
    /// A town or village code within the caller's area.
    pub area: Option<String>,
    /// true: only those in office
    pub current: Option<bool>,
}

/// The 儿童督导员 and 儿童主任 of the caller's area, in office and before (the history), with their training.
pub async fn workers(app: &App, ctx: &Ctx, q: &WorkerQuery) -> AppResult<Vec<WorkerView>> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let current = if q.current == Some(true) {
        " AND ended_on IS NULL"
    } else {
        ""
    };
    let rows: Vec<WorkerRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {WORKER_COLS} FROM child_workers WHERE {cond}{current} \
                 ORDER BY area_code, role DESC, appointed_on DESC, id LIMIT 2000"
            ),
            args,
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    let areas = app.areas();
    for r in rows {
        let trainings: Vec<TrainingView> = app
            .db
            .conn()
            .fetch_all(
                "SELECT trained_on, topic, hours, recorded_by FROM child_worker_trainings WHERE worker_id = $1 \
                 ORDER BY trained_on DESC, id",
                args![&r.id],
            )
            .await?;
        out.push(WorkerView {
            role_label: role_label(&r.role).into(),
            area: areas.name(&r.area_code),
            town: areas.name(&r.town_code),
            phone: idnumber::mask_phone(&r.phone),
            current: r.ended_on.is_none(),
            id: r.id,
            role: r.role,
            area_code: r.area_code,
            name: r.name,
            appointed_on: r.appointed_on,
            ended_on: r.ended_on,
            end_reason: r.end_reason,
            created_by: r.created_by,
            trainings,
        });
    }
    Ok(out)
}

/// Appointments are the town's or the city's (a village registers children and visits).
fn require_appointer(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::HandleChildren)?;
    if ctx.actor.role == Role::VillageWorker {
        return Err(AppError::Forbidden(
            "儿童督导员、儿童主任由镇(街道)民政办或市局任命和培训".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewWorker {
    /// supervisor (a town) or director (a village or community)
    pub role: String,
    pub area_code: String,
    pub name: String,
    pub phone: String,
    pub appointed_on: NaiveDate,
}

/// Appoints a 儿童督导员 or 儿童主任; the one in office there is ended on the same day (changed, history kept).
pub async fn appoint(app: &App, ctx: &Ctx, n: NewWorker) -> AppResult<WorkerView> {
    require_appointer(ctx)?;
    let role = n.role.trim();
    let level = match role {
        "supervisor" => "town",
        "director" => "village",
        _ => {
            return Err(AppError::invalid(
                "role",
                "职务应为儿童督导员（镇、街道）或儿童主任（村、社区）",
            ));
        }
    };
    let areas = app.areas();
    let area = areas
        .get(n.area_code.trim())
        .filter(|a| ctx.actor.in_scope(&a.code))
        .ok_or_else(|| AppError::invalid("area_code", "区划不存在或不在您的管辖范围内"))?;
    if area.level != level {
        return Err(AppError::invalid(
            "area_code",
            if level == "town" {
                "儿童督导员按镇(街道)设立，请选择镇(街道)"
            } else {
                "儿童主任按村(社区)设立，请选择村(社区)"
            },
        ));
    }
    let town = area.town_code.clone().unwrap_or_else(|| area.code.clone());
    let name = validate::name("name", "姓名", &n.name, 2, 50)?;
    let phone: String = n
        .phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(7..=20).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid("phone", "联系电话应为7–20位数字"));
    }
    let on = validate::date("appointed_on", "任命日期", n.appointed_on)?;
    if on > app.today() {
        return Err(AppError::invalid("appointed_on", "任命日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let previous: Option<WorkerRow> = tx
        .fetch_optional(
            &format!(
                "SELECT {WORKER_COLS} FROM child_workers WHERE role = $1 AND area_code = $2 AND ended_on IS NULL{lock}"
            ),
            args![role, &area.code],
        )
        .await?;
    if let Some(prev) = &previous {
        if on < prev.appointed_on {
            return Err(AppError::invalid(
                "appointed_on",
                format!(
                    "现任{}{}自{}任职，新任命日期不能早于该日",
                    role_label(role),
                    prev.name,
                    prev.appointed_on.format("%Y年%-m月%-d日")
                ),
            ));
        }
        let reason = format!("更换为{name}");
        tx.execute(
            "UPDATE child_workers SET ended_on = $2, end_reason = $3 WHERE id = $1",
            args![&prev.id, on, &reason],
        )
        .await?;
        audit::record(
            &mut tx,
            ctx,
            Event::new("children.worker_end", "child_worker", &prev.id)
                .area(&prev.area_code)
                .after(json!({"ended_on": on, "reason": reason})),
        )
        .await?;
    }
    let id = new_id();
    tx.execute(
        &format!(
            "INSERT INTO child_workers ({WORKER_COLS}, created_at) VALUES ({})",
            crate::storage::placeholders(1, 11)
        ),
        args![
            &id,
            role,
            &area.code,
            &town,
            &name,
            &phone,
            on,
            Option::<NaiveDate>::None,
            Option::<String>::None,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.appoint", "child_worker", &id)
            .area(&area.code)
            .after(json!({"role": role, "name": name, "appointed_on": on, "replaces": previous.map(|p| p.id)})),
    )
    .await?;
    tx.commit().await?;
    worker(app, ctx, &id).await
}

pub async fn worker(app: &App, ctx: &Ctx, id: &str) -> AppResult<WorkerView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: WorkerRow = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {WORKER_COLS} FROM child_workers WHERE id = $1"),
            args![id],
        )
        .await?
        .filter(|w: &WorkerRow| ctx.actor.in_scope(&w.area_code))
        .ok_or_else(|| AppError::NotFound("儿童督导员或儿童主任".into()))?;
    let q = WorkerQuery {
        area: Some(r.area_code.clone()),
        current: None,
    };
    workers(app, ctx, &q)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| AppError::NotFound("儿童督导员或儿童主任".into()))
}

async fn lock_worker(tx: &mut crate::storage::Tx, ctx: &Ctx, id: &str) -> AppResult<WorkerRow> {
    let lock = tx.for_update();
    tx.fetch_optional::<WorkerRow>(
        &format!("SELECT {WORKER_COLS} FROM child_workers WHERE id = $1{lock}"),
        args![id],
    )
    .await?
    .filter(|w| ctx.actor.in_scope(&w.area_code))
    .ok_or_else(|| AppError::NotFound("儿童督导员或儿童主任".into()))
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewTraining {
    pub trained_on: NaiveDate,
    pub topic: String,
    /// Class hours, 1–200.
    pub hours: i64,
}

pub async fn train(app: &App, ctx: &Ctx, id: &str, t: NewTraining) -> AppResult<WorkerView> {
    require_appointer(ctx)?;
    let topic = validate::line("topic", "培训内容", &t.topic, 2, 200)?;
    if !(1..=200).contains(&t.hours) {
        return Err(AppError::invalid("hours", "培训学时应为1–200"));
    }
    let on = validate::date("trained_on", "培训日期", t.trained_on)?;
    if on > app.today() {
        return Err(AppError::invalid("trained_on", "培训日期不能晚于今天"));
    }
    let mut tx = app.db.begin().await?;
    let w = lock_worker(&mut tx, ctx, id).await?;
    let tid = new_id();
    tx.execute(
        "INSERT INTO child_worker_trainings (id, worker_id, trained_on, topic, hours, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&tid, id, on, &topic, t.hours, &ctx.actor.display_name, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.training", "child_worker", id)
            .area(&w.area_code)
            .after(json!({"trained_on": on, "topic": topic, "hours": t.hours})),
    )
    .await?;
    tx.commit().await?;
    worker(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct EndWorker {
    pub on: NaiveDate,
    pub reason: String,
}

/// Ends an appointment without a successor (the post is vacant until the next appointment).
pub async fn end_worker(app: &App, ctx: &Ctx, id: &str, e: EndWorker) -> AppResult<WorkerView> {
    require_appointer(ctx)?;
    let reason = validate::text("reason", "离任原因", &e.reason, 2, 500)?;
    let on = validate::date("on", "离任日期", e.on)?;
    let mut tx = app.db.begin().await?;
    let w = lock_worker(&mut tx, ctx, id).await?;
    if w.ended_on.is_some() {
        return Err(AppError::conflict("on", "该任职已结束"));
    }
    if on < w.appointed_on || on > app.today() {
        return Err(AppError::invalid("on", "离任日期须在任命日期至今天之间"));
    }
    tx.execute(
        "UPDATE child_workers SET ended_on = $2, end_reason = $3 WHERE id = $1",
        args![id, on, &reason],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.worker_end", "child_worker", id)
            .area(&w.area_code)
            .after(json!({"ended_on": on, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    worker(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoMeta {
    pub id: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub id: String,
    pub visited_on: NaiveDate,
    /// What was seen.
    pub seen: String,
    /// The child's needs.
    pub needs: String,
    pub visited_by: String,
    pub photos: Vec<PhotoMeta>,
}

/// The visits of an entry, newest first.
pub(crate) async fn visits_of(app: &App, registration_id: &str) -> AppResult<Vec<VisitView>> {
    let rows: Vec<(String, NaiveDate, String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, visited_on, seen, needs, visited_by FROM child_visits WHERE registration_id = $1 \
             ORDER BY visited_on DESC, id DESC",
            args![registration_id],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, visited_on, seen, needs, visited_by) in rows {
        let photos: Vec<(String, String, i64)> = app
            .db
            .conn()
            .fetch_all(
                "SELECT id, content_type, size FROM child_visit_photos WHERE visit_id = $1 ORDER BY uploaded_at, id",
                args![&id],
            )
            .await?;
        out.push(VisitView {
            id,
            visited_on,
            seen,
            needs,
            visited_by,
            photos: photos
                .into_iter()
                .map(|(id, content_type, size)| PhotoMeta {
                    id,
                    content_type,
                    size,
                })
                .collect(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct NewVisit {
    pub visited_on: Option<NaiveDate>,
    pub seen: String,
    pub needs: String,
    pub photos: Vec<Vec<u8>>,
}

/// Records a home visit to a registered child (the 儿童主任's account: a village worker of the child's village; town
/// and city staff too), with optional photos (JPEG or PNG by content, ≤ 5 MB each).
pub async fn visit(
    app: &App,
    ctx: &Ctx,
    registration_id: &str,
    v: NewVisit,
) -> AppResult<VisitView> {
    ctx.actor.require(Permission::HandleChildren)?;
    let seen = validate::text("seen", "走访所见", &v.seen, 4, 1000)?;
    let needs = validate::text("needs", "儿童需求", &v.needs, 0, 1000)?;
    let on = validate::date(
        "visited_on",
        "走访日期",
        v.visited_on.unwrap_or(app.today()),
    )?;
    if on > app.today() {
        return Err(AppError::invalid("visited_on", "走访日期不能晚于今天"));
    }
    let checked = crate::app::verification::tasks::checked_photos(&v.photos)?;
    let mut tx = app.db.begin().await?;
    let r: RegRow = load_tx(&mut tx, ctx, registration_id).await?;
    if r.status != "active" {
        return Err(AppError::conflict(
            "registration_id",
            "该登记已结束，不再走访",
        ));
    }
    if on < r.start_on {
        return Err(AppError::invalid("visited_on", "走访日期不能早于登记日期"));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO child_visits (id, registration_id, area_code, town_code, visited_on, seen, needs, visited_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![&id, registration_id, &r.area_code, &r.town_code, on, &seen, &needs, &ctx.actor.display_name, now()],
    )
    .await?;
    for (ct, p) in &checked {
        use base64::Engine;
        use sha2::Digest;
        tx.execute(
            "INSERT INTO child_visit_photos (id, visit_id, content_type, size, sha256, data_base64, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                new_id(), &id, *ct, p.len() as i64, hex::encode(sha2::Sha256::digest(p)),
                base64::engine::general_purpose::STANDARD.encode(p), &ctx.actor.username, now()
            ],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.visit", "child_registration", registration_id)
            .area(&r.area_code)
            .after(json!({"visit_id": id, "visited_on": on, "seen": seen, "needs": needs, "photos": checked.len()})),
    )
    .await?;
    tx.commit().await?;
    visits_of(app, registration_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| AppError::NotFound("走访记录".into()))
}

/// A visit photo (its entry must be in scope).
pub async fn photo(
    app: &App,
    ctx: &Ctx,
    visit_id: &str,
    photo_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: Option<(String, String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT f.content_type, f.data_base64, v.area_code FROM child_visit_photos f \
             JOIN child_visits v ON v.id = f.visit_id WHERE f.id = $1 AND f.visit_id = $2",
            args![photo_id, visit_id],
        )
        .await?;
    let (ct, data, area) = r
        .filter(|r| ctx.actor.in_scope(&r.2))
        .ok_or_else(|| AppError::NotFound("照片".into()))?;
    let _ = area;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((ct, bytes))
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OverdueVisit {
    pub registration_id: String,
    pub name: String,
    pub id_number: String,
    pub village: String,
    pub category_label: String,
    pub sub_kind_label: String,
    /// 每月 or 每季度
    pub interval: String,
    pub last_visit: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
    pub director: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct OverdueQuery {
    /// A town or village code within the caller's area.
    pub area: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OverdueList {
    pub total: i64,
    /// The first 500, most overdue first.
    pub items: Vec<OverdueVisit>,
}

/// Entries in force whose next visit is past due (monthly: 孤儿、事实无人抚养、困境 (散居); quarterly: 留守 and 集中供养).
pub async fn overdue(app: &App, ctx: &Ctx, q: &OverdueQuery) -> AppResult<OverdueList> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("r.area_code", "r.town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, String, String, String, String, String, NaiveDate, Option<NaiveDate>, Option<String>)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT r.id, p.name, p.id_number, r.area_code, r.category, r.sub_kind, r.start_on, \
                 (SELECT MAX(v.visited_on) FROM child_visits v WHERE v.registration_id = r.id) AS last_visit, \
                 (SELECT MIN(w.name) FROM child_workers w WHERE w.role = 'director' AND w.area_code = r.area_code \
                  AND w.ended_on IS NULL) AS director \
                 FROM child_registrations r JOIN persons p ON p.id = r.person_id \
                 WHERE {cond} AND r.status = 'active' ORDER BY r.area_code, r.id"
            ),
            args,
        )
        .await?;
    let today = app.today();
    let areas = app.areas();
    let mut items: Vec<OverdueVisit> = rows
        .into_iter()
        .filter_map(|(id, name, idn, area, cat, sub, start, last, director)| {
            let due = visit_due(&cat, &sub, last, start);
            (due < today).then(|| OverdueVisit {
                registration_id: id,
                name: idnumber::mask_name(&name),
                id_number: idnumber::mask(&idn),
                village: areas.full_name(&area),
                category_label: super::category_label(&cat).into(),
                sub_kind_label: super::sub_kind_label(&cat, &sub).into(),
                interval: visit_interval_label(&cat, &sub).into(),
                last_visit: last,
                due_on: due,
                days_overdue: (today - due).num_days(),
                director,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        a.due_on
            .cmp(&b.due_on)
            .then(a.registration_id.cmp(&b.registration_id))
    });
    let total = items.len() as i64;
    items.truncate(500);
    Ok(OverdueList { total, items })
}
