//! 强制报告 (mandatory reports): a school, hospital, village or other body that finds a child harmed or at risk
//! reports at once. The report is received by civil affairs staff, becomes an immediate task of the child's town
//! (due the day after receipt), and the notification of the police (date, station, receipt number) is recorded —
//! at receipt or as soon as it is made; a report without it is flagged. The town records what it did.

use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx, validate};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Duration, NaiveDate};
use minzheng_domain::idnumber;
use serde_json::json;

pub const REPORTERS: [(&str, &str); 5] = [
    ("school", "学校、幼儿园"),
    ("hospital", "医疗机构"),
    ("village", "村(居)委会"),
    ("police", "公安机关转来"),
    ("other", "其他单位或个人"),
];

pub const HARMS: [(&str, &str); 6] = [
    ("abuse", "遭受或疑似遭受虐待、暴力伤害"),
    ("sexual", "遭受或疑似遭受性侵害"),
    ("neglect", "监护人严重失职、无人照料"),
    ("abandonment", "被遗弃"),
    ("trafficking", "疑似被拐卖、失踪"),
    ("other", "其他侵害或危险情形"),
];

fn label(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|x| x.0 == code).map(|x| x.1).unwrap_or("")
}

/// The town's task is immediate: due the day after receipt.
pub const TASK_DAYS: i64 = 1;

#[derive(Debug, Clone, sqlx::FromRow)]
struct ReportRow {
    id: String,
    area_code: String,
    town_code: String,
    reporter_kind: String,
    reporter: String,
    reporter_phone: String,
    person_id: Option<String>,
    child_name: String,
    harm: String,
    description: String,
    received_on: NaiveDate,
    due_on: NaiveDate,
    police_on: Option<NaiveDate>,
    police_station: Option<String>,
    police_receipt: Option<String>,
    status: String,
    handled_on: Option<NaiveDate>,
    handled_by: Option<String>,
    action: Option<String>,
    received_by: String,
}

const COLS: &str = "id, area_code, town_code, reporter_kind, reporter, reporter_phone, person_id, child_name, harm, \
    description, received_on, due_on, police_on, police_station, police_receipt, status, handled_on, handled_by, \
    action, received_by";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: String,
    pub village: String,
    pub town: String,
    pub reporter_kind: String,
    pub reporter_kind_label: String,
    pub reporter: String,
    /// Masked.
    pub reporter_phone: String,
    pub person_id: Option<String>,
    /// Masked.
    pub child_name: String,
    pub harm: String,
    pub harm_label: String,
    pub description: String,
    pub received_on: NaiveDate,
    /// The town's task is due on.
    pub due_on: NaiveDate,
    /// open (the town's task), handled
    pub status: String,
    pub status_label: String,
    pub overdue: bool,
    pub police_on: Option<NaiveDate>,
    pub police_station: Option<String>,
    pub police_receipt: Option<String>,
    /// No police notification recorded yet.
    pub police_missing: bool,
    pub handled_on: Option<NaiveDate>,
    pub handled_by: Option<String>,
    pub action: Option<String>,
    pub received_by: String,
}

fn view(app: &App, r: ReportRow) -> ReportView {
    let areas = app.areas();
    let overdue = r.status == "open" && app.today() > r.due_on;
    ReportView {
        village: areas.name(&r.area_code),
        town: areas.name(&r.town_code),
        reporter_kind_label: label(&REPORTERS, &r.reporter_kind).into(),
        reporter_phone: idnumber::mask_phone(&r.reporter_phone),
        child_name: idnumber::mask_name(&r.child_name),
        harm_label: label(&HARMS, &r.harm).into(),
        status_label: if r.status == "open" {
            if overdue {
                "待镇(街道)处置（已超期）"
            } else {
                "待镇(街道)处置"
            }
        } else {
            "已处置"
        }
        .into(),
        overdue,
        police_missing: r.police_on.is_none(),
        id: r.id,
        reporter_kind: r.reporter_kind,
        reporter: r.reporter,
        person_id: r.person_id,
        harm: r.harm,
        description: r.description,
        received_on: r.received_on,
        due_on: r.due_on,
        status: r.status,
        police_on: r.police_on,
        police_station: r.police_station,
        police_receipt: r.police_receipt,
        handled_on: r.handled_on,
        handled_by: r.handled_by,
        action: r.action,
        received_by: r.received_by,
    }
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Police {
    pub notified_on: NaiveDate,
    /// The police station notified.
    pub station: String,
    /// The police's receipt (接警) number, if given.
    #[serde(default)]
    pub receipt: String,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewReport {
    /// school, hospital, village, police, other
    pub reporter_kind: String,
    /// The reporting body (and person).
    pub reporter: String,
    pub reporter_phone: String,
    /// The village or community where the child is.
    pub area_code: String,
    /// The child in the registry, when known.
    #[serde(default)]
    pub person_id: Option<String>,
    pub child_name: String,
    /// abuse, sexual, neglect, abandonment, trafficking, other
    pub harm: String,
    pub description: String,
    pub received_on: NaiveDate,
    /// The police notification, when already made.
    #[serde(default)]
    pub police: Option<Police>,
}

fn checked_police(
    p: &Police,
    received_on: NaiveDate,
    today: NaiveDate,
) -> AppResult<(NaiveDate, String, String)> {
    let on = validate::date("police.notified_on", "通报公安日期", p.notified_on)?;
    if on > today {
        return Err(AppError::invalid(
            "police.notified_on",
            "通报公安日期不能晚于今天",
        ));
    }
    if on < received_on - Duration::days(30) {
        return Err(AppError::invalid(
            "police.notified_on",
            "通报公安日期不能早于接报日期30天以上",
        ));
    }
    let station = validate::line("police.station", "通报的公安机关", &p.station, 2, 100)?;
    let receipt = validate::line("police.receipt", "接警回执号", &p.receipt, 0, 50)?;
    Ok((on, station, receipt))
}

/// Receives a report: the town's immediate task is opened with it.
pub async fn receive(app: &App, ctx: &Ctx, n: NewReport) -> AppResult<ReportView> {
    ctx.actor.require(Permission::HandleChildren)?;
    let kind = n.reporter_kind.trim();
    if !REPORTERS.iter().any(|x| x.0 == kind) {
        return Err(AppError::invalid(
            "reporter_kind",
            "报告主体应为学校、医疗机构、村(居)委会、公安机关或其他",
        ));
    }
    let harm = n.harm.trim();
    if !HARMS.iter().any(|x| x.0 == harm) {
        return Err(AppError::invalid("harm", "请选择侵害或危险情形"));
    }
    let reporter = validate::line("reporter", "报告单位和报告人", &n.reporter, 2, 100)?;
    let phone: String = n
        .reporter_phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(7..=20).contains(&phone.len()) || !phone.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid(
            "reporter_phone",
            "报告人电话应为7–20位数字",
        ));
    }
    let child_name = validate::name("child_name", "儿童姓名", &n.child_name, 1, 50)?;
    let description = validate::text("description", "情况描述", &n.description, 4, 1000)?;
    let today = app.today();
    let received_on = validate::date("received_on", "接报日期", n.received_on)?;
    if received_on > today {
        return Err(AppError::invalid("received_on", "接报日期不能晚于今天"));
    }
    let areas = app.areas();
    let area = areas
        .get(n.area_code.trim())
        .filter(|a| a.level == "village" && ctx.actor.in_scope(&a.code))
        .ok_or_else(|| AppError::invalid("area_code", "请选择您管辖范围内儿童所在的村(社区)"))?;
    let town = area.town_code.clone().unwrap_or_default();
    let police = n
        .police
        .as_ref()
        .map(|p| checked_police(p, received_on, today))
        .transpose()?;
    let mut tx = app.db.begin().await?;
    let person_id = match n
        .person_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(pid) => {
            let p = crate::storage::persons::get_tx(&mut tx, pid)
                .await?
                .filter(|p| ctx.actor.in_scope(&p.area_code))
                .ok_or_else(|| AppError::invalid("person_id", "人员不存在或不在您的管辖范围内"))?;
            Some(p.id)
        }
    };
    let id = new_id();
    let due_on = received_on + Duration::days(TASK_DAYS);
    tx.execute(
        &format!(
            "INSERT INTO child_reports ({COLS}, created_at) VALUES ({})",
            crate::storage::placeholders(1, 21)
        ),
        args![
            &id,
            &area.code,
            &town,
            kind,
            &reporter,
            &phone,
            person_id.clone(),
            &child_name,
            harm,
            &description,
            received_on,
            due_on,
            police.as_ref().map(|p| p.0),
            police.as_ref().map(|p| p.1.clone()),
            police.as_ref().map(|p| p.2.clone()),
            "open",
            Option::<NaiveDate>::None,
            Option::<String>::None,
            Option::<String>::None,
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.report", "child_report", &id)
            .area(&area.code)
            .after(json!({"reporter_kind": kind, "harm": harm, "received_on": received_on, "due_on": due_on,
                          "person_id": person_id, "police": police.as_ref().map(|p| json!({"on": p.0, "station": p.1, "receipt": p.2}))})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, &id).await
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<ReportView> {
    ctx.actor.require(Permission::ReadChildren)?;
    let r: ReportRow = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM child_reports WHERE id = $1"),
            args![id],
        )
        .await?
        .filter(|r: &ReportRow| ctx.actor.in_scope(&r.area_code))
        .ok_or_else(|| AppError::NotFound("强制报告".into()))?;
    Ok(view(app, r))
}

async fn lock(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<ReportRow> {
    let l = tx.for_update();
    tx.fetch_optional::<ReportRow>(
        &format!("SELECT {COLS} FROM child_reports WHERE id = $1{l}"),
        args![id],
    )
    .await?
    .filter(|r| ctx.actor.in_scope(&r.area_code))
    .ok_or_else(|| AppError::NotFound("强制报告".into()))
}

/// The town's and the city's steps (a village receives reports, the town acts on them).
fn require_town(ctx: &Ctx) -> AppResult<()> {
    ctx.actor.require(Permission::HandleChildren)?;
    if ctx.actor.role == Role::VillageWorker {
        return Err(AppError::Forbidden(
            "强制报告由镇(街道)民政办或市局通报公安和处置".into(),
        ));
    }
    Ok(())
}

/// Records the notification of the police.
pub async fn police(app: &App, ctx: &Ctx, id: &str, p: Police) -> AppResult<ReportView> {
    require_town(ctx)?;
    let mut tx = app.db.begin().await?;
    let r = lock(&mut tx, ctx, id).await?;
    if r.police_on.is_some() {
        return Err(AppError::conflict("police", "已登记通报公安"));
    }
    let (on, station, receipt) = checked_police(&p, r.received_on, app.today())?;
    tx.execute(
        "UPDATE child_reports SET police_on = $2, police_station = $3, police_receipt = $4 WHERE id = $1",
        args![id, on, &station, &receipt],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.report_police", "child_report", id)
            .area(&r.area_code)
            .after(json!({"on": on, "station": station, "receipt": receipt})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Handling {
    pub on: NaiveDate,
    /// What the town did (visit, temporary care, registration, referral …), at least 4 characters.
    pub action: String,
}

/// The town's response; the police must have been notified first.
pub async fn handle(app: &App, ctx: &Ctx, id: &str, h: Handling) -> AppResult<ReportView> {
    require_town(ctx)?;
    let action = validate::text("action", "处置情况", &h.action, 4, 1000)?;
    let on = validate::date("on", "处置日期", h.on)?;
    let mut tx = app.db.begin().await?;
    let r = lock(&mut tx, ctx, id).await?;
    if r.status != "open" {
        return Err(AppError::conflict("status", "该报告已处置"));
    }
    if r.police_on.is_none() {
        return Err(AppError::invalid("police", "请先登记通报公安的情况"));
    }
    if on < r.received_on || on > app.today() {
        return Err(AppError::invalid("on", "处置日期须在接报日期至今天之间"));
    }
    tx.execute(
        "UPDATE child_reports SET status = 'handled', handled_on = $2, handled_by = $3, action = $4 WHERE id = $1",
        args![id, on, &ctx.actor.display_name, &action],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("children.report_handle", "child_report", id)
            .area(&r.area_code)
            .before(json!({"status": r.status}))
            .after(json!({"status": "handled", "on": on, "action": action})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// open, handled
    pub status: Option<String>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportList {
    pub total: i64,
    /// Open tasks past due.
    pub overdue: i64,
    /// Reports without a police notification.
    pub police_missing: i64,
    /// The latest 200.
    pub items: Vec<ReportView>,
}

pub async fn list(app: &App, ctx: &Ctx, q: &ReportQuery) -> AppResult<ReportList> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("area_code", "town_code", 1);
    let mut args: Vec<Arg> = vec![];
    args.extend(a);
    let mut sql = format!("FROM child_reports WHERE {cond}");
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        args.push(s.to_string().into());
        sql.push_str(&format!(" AND status = ${}", args.len()));
    }
    let total: i64 = app
        .db
        .conn()
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    let rows: Vec<ReportRow> = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {COLS} {sql} ORDER BY received_on DESC, id DESC LIMIT 200"),
            args,
        )
        .await?;
    let items: Vec<ReportView> = rows.into_iter().map(|r| view(app, r)).collect();
    Ok(ReportList {
        total,
        overdue: items.iter().filter(|r| r.overdue).count() as i64,
        police_missing: items.iter().filter(|r| r.police_missing).count() as i64,
        items,
    })
}
