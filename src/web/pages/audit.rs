use super::{Nav, enc, render};
use crate::app::{App, AppError, audit};
use crate::storage::audit::AuditFilter;
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};

pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub username: String,
    /// The event's Chinese name (its code stays beside it, as code).
    pub action: String,
    pub action_code: String,
    pub entity: String,
    pub entity_id: String,
    pub ip: String,
    pub success: bool,
    /// The change as a sentence; the raw record is shown too, as code.
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    entries: Vec<Entry>,
    total: i64,
    page: i64,
    pages: i64,
    f_username: String,
    f_action: String,
    f_entity: String,
    f_from: String,
    f_to: String,
    base_link: String,
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    username: Option<String>,
    action: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

fn day_start(s: &str, field: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "日期格式应为 YYYY-MM-DD"))?;
    let local = crate::util::shanghai()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset");
    Ok(Some(local.with_timezone(&chrono::Utc)))
}

pub async fn search(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let s = |o: &Option<String>| o.clone().unwrap_or_default().trim().to_string();
    let (username, action, entity, from, to) = (
        s(&q.username),
        s(&q.action),
        s(&q.entity_id),
        s(&q.from),
        s(&q.to),
    );
    let filter = AuditFilter {
        username: Some(username.clone()).filter(|x| !x.is_empty()),
        action: Some(action.clone()).filter(|x| !x.is_empty()),
        entity_id: Some(entity.clone()).filter(|x| !x.is_empty()),
        from: day_start(&from, "from")?,
        to: day_start(&to, "to")?.map(|t| t + chrono::Duration::days(1)),
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = audit::search(&app, &p.ctx, &filter, page).await?;
    let entries = rows
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            at: crate::util::local_time(&r.at),
            username: super::who(&r.username),
            action: audit::event_label(&r.action).unwrap_or("其他操作").into(),
            summary: audit::change_summary(r.before_json.as_deref(), r.after_json.as_deref()),
            action_code: r.action,
            entity: audit::entity_label(&r.entity),
            entity_id: r.entity_id,
            ip: r.ip,
            success: r.success,
            before: r.before_json,
            after: r.after_json,
        })
        .collect();
    let base_link = format!(
        "/audit?username={}&action={}&entity_id={}&from={}&to={}",
        enc(&username),
        enc(&action),
        enc(&entity),
        enc(&from),
        enc(&to)
    );
    render(&AuditPage {
        nav: Nav::of(&app, &p),
        entries,
        pages: ((total + 49) / 50).max(1),
        total,
        page,
        f_username: username,
        f_action: action,
        f_entity: entity,
        f_from: from,
        f_to: to,
        base_link,
    })
}
