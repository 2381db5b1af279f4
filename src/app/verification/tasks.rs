//! Early warnings (预警) and grid tasks (网格): rules on loaded events create a task for the village's grid worker,
//! who visits (a record and photos), then closes it or turns it into an application.

use crate::app::assistance::standards;
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::listing::{Cell, Choice, ListParams, ListSpec, Page, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, new_id, now};
use chrono::{Datelike, Duration, NaiveDate};
use minzheng_domain::money::Fen;
use minzheng_domain::verification::{LARGE_MEDICAL_BILL_MONTHS_OF_S, death_review_due};
use serde_json::json;

/// Photos: JPEG or PNG, at most 5 MB each.
pub const MAX_PHOTO: usize = 5 * 1024 * 1024;

pub const KINDS: [(&str, &str); 3] = [
    ("death_review", "在保家庭成员死亡，3个月内复核"),
    ("medical_bill", "大额医疗费用，支出型贫困排查"),
    ("review_overdue", "低保家庭复核逾期"),
];

pub fn kind_label(code: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == code)
        .map(|k| k.1)
        .unwrap_or("预警")
}

/// Runs every warning rule; a rule fires once per subject (its dedupe key), so scanning again adds nothing. Each
/// query leaves out the subjects that already have their task: after every load the scan runs again over all
/// history, and rebuilding the city's tens of thousands of existing tasks only for the insert to skip them took
/// most of a small file's load. The insert still skips a conflict, should two scans race.
pub async fn scan(app: &App, on: NaiveDate) -> AppResult<u64> {
    let Some(s) = standards::in_force(app, on).await? else {
        return Ok(0);
    };
    let large = s.dibao.0 * LARGE_MEDICAL_BILL_MONTHS_OF_S;
    // the medical register as it stands: its latest load
    let illness = super::gather::loads_on(&app.db, on)
        .await?
        .remove(&minzheng_domain::verification::Source::SeriousIllness)
        .and_then(|mut v| v.pop())
        .unwrap_or_default();
    let mut tx = app.db.begin().await?;
    let at = now();
    let mut added = 0;
    // a member of an assisted household died: review within 3 months
    let deaths: Vec<(String, i64, NaiveDate, String, String, String, String)> = tx
        .fetch_all(
            "SELECT d.load_id, d.row_no, d.date_of_death, p.id, c.id, c.area_code, c.town_code FROM src_deaths d \
             CROSS JOIN persons p CROSS JOIN cases c \
             WHERE p.id_number = d.id_number AND c.household_id = p.household_id AND c.status IN ('active', 'phasing_out') \
             AND d.date_of_death <= $1 AND d.load_id IN (SELECT id FROM source_loads WHERE source = 'deaths' AND as_of <= $1) \
             AND NOT EXISTS (SELECT 1 FROM grid_tasks t WHERE t.dedupe_key = 'death:' || p.id) \
             ORDER BY d.load_id, d.row_no",
            args![on],
        )
        .await?;
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for (load, row, died, person, case, area, town) in deaths {
        rows.push(args![
            new_id(),
            "death_review",
            format!("death:{person}"),
            area,
            town,
            person,
            Some(case),
            format!(
                "{died}家庭成员死亡，须在{}前入户复核",
                death_review_due(died)
            ),
            json!([{"source": "deaths", "load_id": load, "row": row}]).to_string(),
            death_review_due(died),
            "open",
            at
        ]);
    }
    // a large medical bill in a household without assistance: an expenditure-type candidate
    let bills: Vec<(String, i64, i64, String, String, String)> = tx
        .fetch_all(
            "SELECT i.load_id, i.row_no, i.out_of_pocket_12m, p.id, p.area_code, p.town_code FROM src_serious_illness i \
             JOIN persons p ON p.id_number = i.id_number \
             WHERE i.out_of_pocket_12m >= $1 AND i.load_id = $2 AND p.status = 'normal' \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.household_id = p.household_id AND c.status IN ('active', 'phasing_out')) \
             AND NOT EXISTS (SELECT 1 FROM grid_tasks t WHERE t.dedupe_key = 'medical:' || p.id || ':' || $3) \
             ORDER BY i.load_id, i.row_no",
            args![large, &illness, on.year().to_string()],
        )
        .await?;
    for (load, row, amount, person, area, town) in bills {
        rows.push(args![
            new_id(),
            "medical_bill",
            format!("medical:{person}:{}", on.year()),
            area,
            town,
            person,
            None::<String>,
            format!(
                "近12个月自付医疗费用{}元，排查是否符合支出型贫困家庭救助",
                Fen(amount)
            ),
            json!([{"source": "serious_illness", "load_id": load, "row": row}]).to_string(),
            on + Duration::days(15),
            "open",
            at
        ]);
    }
    // a dibao household's review is overdue
    let overdue: Vec<(String, NaiveDate, String, String, String)> = tx
        .fetch_all(
            "SELECT c.id, c.review_due_on, a.applicant_id, c.area_code, c.town_code FROM cases c JOIN applications a ON a.id = c.application_id \
             WHERE c.status IN ('active', 'phasing_out') AND c.review_due_on < $1 \
             AND NOT EXISTS (SELECT 1 FROM grid_tasks t WHERE t.dedupe_key = 'review:' || c.id || ':' || CAST(c.review_due_on AS TEXT)) \
             ORDER BY c.id",
            args![on],
        )
        .await?;
    for (case, due, person, area, town) in overdue {
        rows.push(args![
            new_id(),
            "review_overdue",
            format!("review:{case}:{due}"),
            area,
            town,
            person,
            Some(case),
            format!("应于{due}前完成的定期复核已逾期"),
            json!([{"source": "cases", "load_id": null, "row": null}]).to_string(),
            on + Duration::days(10),
            "open",
            at
        ]);
    }
    for chunk in rows.chunks(2_000) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", crate::storage::placeholders(i * 12 + 1, 12)))
            .collect();
        added += tx
            .execute(
                &format!(
                    "INSERT INTO grid_tasks (id, kind, dedupe_key, area_code, town_code, person_id, case_id, detail, evidence_json, due_on, status, created_at) \
                     VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
                    values.join(", ")
                ),
                chunk.iter().flatten().cloned().collect(),
            )
            .await?;
    }
    // the rules write as the system; what they created is on the record with the rest
    if added > 0 {
        let ctx = Ctx::internal(
            crate::app::authz::Actor::system(&app.areas().city_code),
            "system",
        );
        audit::record(
            &mut tx,
            &ctx,
            Event::new("tasks.warnings", "grid_tasks", on.to_string())
                .after(json!({"created": added, "on": on})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TaskRow {
    pub id: String,
    pub kind: String,
    pub area_code: String,
    pub town_code: String,
    pub person_id: Option<String>,
    pub case_id: Option<String>,
    pub detail: String,
    pub evidence_json: String,
    pub due_on: NaiveDate,
    /// open, visited or closed
    pub status: String,
    pub visit_note: Option<String>,
    pub visited_on: Option<NaiveDate>,
    pub visited_by: Option<String>,
    /// closed or application
    pub outcome: Option<String>,
    pub application_id: Option<String>,
    pub closed_by: Option<String>,
    /// The household of the person concerned (for an application).
    pub household_id: Option<String>,
    /// The visit photos' ids, oldest first: `GET /api/v1/tasks/{id}/photos/{photo}` (or the page's
    /// `/verification/tasks/{id}/photos/{photo}`) serves each.
    #[sqlx(skip)]
    pub photos: Vec<String>,
    /// The person concerned (lists only).
    #[sqlx(default)]
    pub person_name: Option<String>,
    #[sqlx(default)]
    #[serde(skip)]
    pub id_number: Option<String>,
    #[sqlx(skip)]
    pub id_number_masked: Option<String>,
}

const COLS: &str = "id, kind, area_code, town_code, person_id, case_id, detail, evidence_json, due_on, status, visit_note, visited_on, \
                    visited_by, outcome, application_id, closed_by, \
                    (SELECT p.household_id FROM persons p WHERE p.id = grid_tasks.person_id) AS household_id";

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct TaskQuery {
    /// only overdue tasks
    pub overdue: Option<bool>,
}

pub const STATUSES: [(&str, &str, &str); 3] = [
    ("open", "待办（含已走访）", "t.status <> 'closed'"),
    ("visited", "已走访待办结", "t.status = 'visited'"),
    ("closed", "已办结", "t.status = 'closed'"),
];

pub fn status_label(code: &str) -> &'static str {
    match code {
        "open" => "待走访",
        "visited" => "已走访",
        "closed" => "已办结",
        _ => "",
    }
}

/// The grid tasks list: searched by the person concerned, filtered by kind (the category), status (open ones by
/// default), area and due date.
pub fn list_spec() -> ListSpec {
    ListSpec {
        title: "网格任务",
        from: "grid_tasks t LEFT JOIN persons p ON p.id = t.person_id",
        area: ("t.area_code", "t.town_code"),
        person: "{}",
        categories: KINDS
            .iter()
            .map(|(c, l)| Choice::eq("t.kind", c, l))
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|(c, l, cond)| Choice::when(c, l, cond))
            .collect(),
        default_status: Some("open"),
        date: Some(("t.due_on", "办理期限")),
        sorts: vec![
            SortKey {
                key: "due",
                label: "办理期限",
                sql: "t.due_on",
            },
            SortKey {
                key: "kind",
                label: "类型",
                sql: "t.kind",
            },
            SortKey {
                key: "name",
                label: "对象",
                sql: "p.name",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "t.area_code",
            },
            SortKey {
                key: "status",
                label: "状态",
                sql: "t.status",
            },
        ],
        default_sort: ("due", false),
        tiebreak: "t.id",
    }
}

const LIST_COLS: &str = "t.id, t.kind, t.area_code, t.town_code, t.person_id, t.case_id, t.detail, t.evidence_json, t.due_on, t.status, \
                         t.visit_note, t.visited_on, t.visited_by, t.outcome, t.application_id, t.closed_by, p.household_id, \
                         p.name AS person_name, p.id_number";

fn list_query(
    app: &App,
    ctx: &Ctx,
    q: &TaskQuery,
    l: &ListParams,
) -> AppResult<crate::app::listing::Query> {
    ctx.actor.require(Permission::ReadVerification)?;
    let mut query = list_spec().query(app, ctx, l)?;
    if q.overdue == Some(true) {
        query.and("t.status <> 'closed' AND t.due_on < $?", app.today().into());
    }
    Ok(query)
}

pub async fn list(app: &App, ctx: &Ctx, q: &TaskQuery, l: &ListParams) -> AppResult<Page<TaskRow>> {
    let mut page: Page<TaskRow> = list_query(app, ctx, q, l)?
        .page(app, LIST_COLS, l.page_no())
        .await?;
    let rows = &mut page.items;
    // the photos of the listed tasks, in one query per 500 tasks (not one per task)
    let mut by_task: std::collections::HashMap<String, Vec<String>> = Default::default();
    for chunk in rows.chunks(500) {
        let ph = crate::storage::placeholders(1, chunk.len());
        let found: Vec<(String, String)> = app
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT task_id, id FROM grid_task_photos WHERE task_id IN ({ph}) ORDER BY uploaded_at, id"
                ),
                chunk.iter().map(|t| Arg::from(t.id.as_str())).collect(),
            )
            .await?;
        for (task, photo) in found {
            by_task.entry(task).or_default().push(photo);
        }
    }
    for t in rows.iter_mut() {
        t.photos = by_task.remove(&t.id).unwrap_or_default();
    }
    for t in rows.iter_mut() {
        t.id_number_masked = t.id_number.as_deref().map(minzheng_domain::idnumber::mask);
    }
    Ok(page)
}

/// The filtered tasks as a worksheet (audited).
pub async fn export(app: &App, ctx: &Ctx, q: &TaskQuery, l: &ListParams) -> AppResult<Sheet> {
    let spec = list_spec();
    let rows: Vec<TaskRow> = list_query(app, ctx, q, l)?.all(app, LIST_COLS).await?;
    crate::app::listing::export_audit(app, ctx, &spec, l, rows.len()).await?;
    let full = l.wants_full();
    let areas = app.areas();
    let mut sheet = Sheet::new(
        spec.title,
        &[
            "类型",
            "对象",
            "身份证号码",
            "所在地",
            "情况",
            "办理期限",
            "状态",
            "走访情况",
            "走访日期",
        ],
    );
    for t in rows {
        sheet.rows.push(vec![
            kind_label(&t.kind).into(),
            t.person_name.into(),
            t.id_number
                .as_deref()
                .map_or(Cell::Blank, |n| id_cell(full, n)),
            areas.full_name(&t.area_code).into(),
            t.detail.into(),
            t.due_on.into(),
            status_label(&t.status).into(),
            t.visit_note.into(),
            t.visited_on.into(),
        ]);
    }
    Ok(sheet)
}

/// Open and overdue tasks by town and village, within the caller's scope: (town, village, open, overdue).
pub async fn summary(app: &App, ctx: &Ctx) -> AppResult<Vec<(String, String, i64, i64)>> {
    ctx.actor.require(Permission::ReadVerification)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 2);
    let mut args = vec![Arg::from(app.today())];
    args.extend(a);
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT town_code, area_code, COUNT(*), CAST(SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END) AS BIGINT) FROM grid_tasks \
                 WHERE status <> 'closed' AND {cond} GROUP BY town_code, area_code ORDER BY town_code, area_code"
            ),
            args,
        )
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoMeta {
    pub id: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<(TaskRow, Vec<PhotoMeta>)> {
    ctx.actor.require(Permission::ReadVerification)?;
    let t: Option<TaskRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM grid_tasks WHERE id = $1"),
            args![id],
        )
        .await?;
    let mut t = match t {
        Some(t) if ctx.actor.in_scope(&t.area_code) => t,
        _ => return Err(AppError::NotFound("网格任务".into())),
    };
    let photos: Vec<PhotoMeta> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, content_type, size, uploaded_by FROM grid_task_photos WHERE task_id = $1 ORDER BY uploaded_at, id",
            args![id],
        )
        .await?;
    t.photos = photos.iter().map(|p| p.id.clone()).collect();
    Ok((t, photos))
}

/// The photos sent with a visit, an acceptance or a hazard's closure, each with its type: empty parts are skipped,
/// and a photo over 5 MB or not a whole JPEG or PNG is refused, naming which one. Every photo upload uses it.
pub fn checked_photos(photos: &[Vec<u8>]) -> AppResult<Vec<(&'static str, &Vec<u8>)>> {
    let mut checked = Vec::new();
    for (i, p) in photos.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        if p.len() > MAX_PHOTO {
            return Err(AppError::invalid(
                "photo",
                format!("第{}张照片超过5MB", i + 1),
            ));
        }
        let Some(ct) = photo_type(p) else {
            return Err(AppError::invalid(
                "photo",
                format!("第{}张照片不是JPEG或PNG图片", i + 1),
            ));
        };
        checked.push((ct, p));
    }
    Ok(checked)
}

/// JPEG or PNG by their structure (whole, of sane dimensions), whatever the file is called.
pub fn photo_type(bytes: &[u8]) -> Option<&'static str> {
    use minzheng_domain::import::{jpeg_is_whole, png_is_whole};
    if jpeg_is_whole(bytes) {
        Some("image/jpeg")
    } else if png_is_whole(bytes) {
        Some("image/png")
    } else {
        None
    }
}

#[derive(Debug, Clone, Default)]
pub struct Visit {
    pub note: String,
    pub visited_on: Option<NaiveDate>,
    pub photos: Vec<Vec<u8>>,
}

async fn open_task(ctx: &Ctx, tx: &mut crate::storage::Tx, id: &str) -> AppResult<TaskRow> {
    ctx.actor.require(Permission::HandleTasks)?;
    let t: Option<TaskRow> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM grid_tasks WHERE id = $1"),
            args![id],
        )
        .await?;
    let t = match t {
        Some(t) if ctx.actor.in_scope(&t.area_code) => t,
        _ => return Err(AppError::NotFound("网格任务".into())),
    };
    if t.status == "closed" {
        return Err(AppError::conflict("id", "该任务已办结"));
    }
    Ok(t)
}

pub async fn visit(app: &App, ctx: &Ctx, id: &str, v: Visit) -> AppResult<TaskRow> {
    if v.note.trim().chars().count() < 4 {
        return Err(AppError::invalid("note", "请填写走访情况（至少4个字）"));
    }
    let on = v.visited_on.unwrap_or(app.today());
    if on > app.today() {
        return Err(AppError::invalid("visited_on", "走访日期不能晚于今天"));
    }
    let checked = checked_photos(&v.photos)?;
    let mut tx = app.db.begin().await?;
    let t = open_task(ctx, &mut tx, id).await?;
    tx.execute(
        "UPDATE grid_tasks SET status = 'visited', visit_note = $2, visited_on = $3, visited_by = $4 WHERE id = $1",
        args![id, v.note.trim(), on, &ctx.actor.display_name],
    )
    .await?;
    for (ct, p) in &checked {
        use base64::Engine;
        use sha2::Digest;
        tx.execute(
            "INSERT INTO grid_task_photos (id, task_id, content_type, size, sha256, data_base64, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
        Event::new("task.visit", "grid_task", id)
            .area(&t.area_code)
            .before(json!({"status": t.status}))
            .after(json!({"status": "visited", "note": v.note.trim(), "visited_on": on, "photos": checked.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(get(app, ctx, id).await?.0)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Close {
    /// closed (nothing to do, with a reason), application (an application was filed for the household) or, for a
    /// review_overdue task, reviewed (the household was reviewed: the review is recorded on the case, by a town or
    /// city officer)
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
    pub application_id: Option<String>,
}

pub async fn close(app: &App, ctx: &Ctx, id: &str, c: Close) -> AppResult<TaskRow> {
    let mut tx = app.db.begin().await?;
    close_in(app, ctx, &mut tx, id, &c).await?;
    tx.commit().await?;
    Ok(get(app, ctx, id).await?.0)
}

/// 批量办结任务: closes every chosen (visited) task as 无需救助 with one reason, all or nothing: any task that cannot be
/// closed (not visited yet, already closed, outside the caller's area) is named and nothing is written.
pub async fn close_batch(app: &App, ctx: &Ctx, ids: &[String], reason: &str) -> AppResult<usize> {
    ctx.actor.require(Permission::HandleTasks)?;
    crate::app::listing::batch_size(ids)?;
    if reason.trim().chars().count() < 4 {
        return Err(AppError::invalid("reason", "请写明办结理由（至少4个字）"));
    }
    let c = Close {
        outcome: "closed".into(),
        reason: reason.trim().into(),
        application_id: None,
    };
    let mut tx = app.db.begin().await?;
    let mut errors = vec![];
    for id in ids {
        match close_in(app, ctx, &mut tx, id, &c).await {
            Ok(()) => {}
            Err(e @ (AppError::Internal(_) | AppError::Forbidden(_))) => return Err(e),
            Err(e) => errors.push(
                crate::app::listing::item_error(&mut tx, "grid_tasks", TASK_LABEL, id, &e).await,
            ),
        }
    }
    crate::app::listing::batch_outcome(errors)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("task.batch_close", "grid_task", ids.len().to_string())
            .after(json!({"count": ids.len(), "reason": c.reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// The applications of the listed tasks' households (id, 编号), so closing a task picks one instead of typing it.
pub async fn household_applications(
    app: &App,
    rows: &[TaskRow],
) -> AppResult<std::collections::HashMap<String, Vec<(String, String)>>> {
    let households: Vec<&str> = rows
        .iter()
        .filter_map(|t| t.household_id.as_deref())
        .collect();
    let mut out: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    if households.is_empty() {
        return Ok(out);
    }
    let found: Vec<(String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT household_id, id, number FROM applications WHERE household_id IN ({}) ORDER BY applied_on DESC, id",
                crate::storage::placeholders(1, households.len())
            ),
            households.iter().map(|h| Arg::from(*h)).collect(),
        )
        .await?;
    for (h, id, number) in found {
        out.entry(h).or_default().push((id, number));
    }
    Ok(out)
}

/// A task named in a batch's refusal: the person's name, else its description.
const TASK_LABEL: &str =
    "COALESCE((SELECT p.name FROM persons p WHERE p.id = grid_tasks.person_id), grid_tasks.detail)";

async fn close_in(
    app: &App,
    ctx: &Ctx,
    tx: &mut crate::storage::Tx,
    id: &str,
    c: &Close,
) -> AppResult<()> {
    let t = open_task(ctx, tx, id).await?;
    if t.status != "visited" {
        return Err(AppError::invalid(
            "outcome",
            "请先入户走访并填写走访记录，再办结任务",
        ));
    }
    let app_id = match c.outcome.as_str() {
        "closed" => {
            if c.reason.trim().chars().count() < 4 {
                return Err(AppError::invalid("reason", "请写明办结理由（至少4个字）"));
            }
            None
        }
        "application" => {
            let Some(aid) = c.application_id.as_deref().filter(|a| !a.is_empty()) else {
                return Err(AppError::invalid(
                    "application_id",
                    "请选择为该户提交的救助申请",
                ));
            };
            // the application (by its id or its 编号, 澄江-2020-0001) must be for the task's household
            let found: Option<(String,)> = tx
                .fetch_optional(
                    "SELECT a.id FROM applications a JOIN persons p ON p.household_id = a.household_id \
                     WHERE (a.id = $1 OR a.number = $1) AND p.id = $2",
                    args![aid.trim(), t.person_id.clone()],
                )
                .await?;
            let Some((aid,)) = found else {
                return Err(AppError::invalid(
                    "application_id",
                    "该申请不是本任务对象家庭的申请",
                ));
            };
            Some(aid)
        }
        "reviewed" => {
            if t.kind != "review_overdue" || t.case_id.is_none() {
                return Err(AppError::invalid(
                    "outcome",
                    "只有“复核逾期”任务可以按已复核办结",
                ));
            }
            if !may_confirm_review(&ctx.actor) {
                return Err(AppError::Forbidden(
                    "复核结果由镇(街道)或市局确认：请镇(街道)民政办按已复核办结".into(),
                ));
            }
            None
        }
        _ => {
            return Err(AppError::invalid(
                "outcome",
                "办结方式应为 closed（无需救助）、application（已转救助申请）或 reviewed（已入户复核）",
            ));
        }
    };
    // the visit was the review: it is recorded on the case as the reviews endpoint records it, in this transaction
    let review = match (c.outcome.as_str(), t.case_id.as_deref()) {
        ("reviewed", Some(case_id)) => {
            let visit = t.visit_note.clone().unwrap_or_default();
            let note = format!("复核逾期网格任务入户复核：{visit} {}", c.reason.trim());
            let ch = crate::app::assistance::cases::record_event_in(
                app,
                ctx,
                &mut *tx,
                case_id,
                crate::app::assistance::cases::CaseEvent {
                    kind: "review".into(),
                    on: t.visited_on,
                    note: note
                        .trim()
                        .chars()
                        .take(crate::app::validate::TEXT_MAX)
                        .collect(),
                    ..Default::default()
                },
            )
            .await?;
            Some(ch.id)
        }
        _ => None,
    };
    tx.execute(
        "UPDATE grid_tasks SET status = 'closed', outcome = $2, application_id = $3, closed_by = $4, closed_at = $5, \
         visit_note = CASE WHEN $6 = '' THEN visit_note ELSE visit_note || '；办结：' || $6 END WHERE id = $1",
        args![id, &c.outcome, app_id.clone(), &ctx.actor.display_name, now(), c.reason.trim()],
    )
    .await?;
    audit::record(
        &mut *tx,
        ctx,
        Event::new("task.close", "grid_task", id)
            .area(&t.area_code)
            .before(json!({"status": t.status}))
            .after(json!({"status": "closed", "outcome": c.outcome, "application_id": app_id, "reason": c.reason.trim(), "review_change": review})),
    )
    .await?;
    Ok(())
}

/// A visit photo (its task must be in scope).
pub async fn photo(
    app: &App,
    ctx: &Ctx,
    task_id: &str,
    photo_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    get(app, ctx, task_id).await?;
    let r: Option<(String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT content_type, data_base64 FROM grid_task_photos WHERE id = $1 AND task_id = $2",
            args![photo_id, task_id],
        )
        .await?;
    let (ct, data) = r.ok_or_else(|| AppError::NotFound("照片".into()))?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((ct, bytes))
}

/// Who may close a 复核逾期 task as reviewed (the review recorded on the case): the town office or the city bureau,
/// never the grid worker who visited. The tasks page offers the outcome by the same rule.
pub fn may_confirm_review(actor: &crate::app::authz::Actor) -> bool {
    actor.can(Permission::HandleTasks)
        && matches!(actor.role, Role::TownOfficer | Role::CityOfficer)
}
