use crate::app::App;
use crate::app::assistance::applications::{
    self, ActionInput, EventRow, ListFilter, ListItem, NewApplication,
};
use crate::app::assistance::cases::{self, CaseItem};
use crate::app::listing::ListParams;
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: String,
    /// The human 编号, e.g. 澄江-2020-0001.
    pub number: String,
    pub category: String,
    pub household_id: String,
    pub applicant_id: String,
    pub area_code: String,
    pub hukou_area_code: String,
    pub stage: String,
    pub stage_label: String,
    pub applied_on: chrono::NaiveDate,
    pub due_on: Option<chrono::NaiveDate>,
    pub visited: bool,
    pub checked: bool,
    pub spot_check_required: bool,
    pub spot_checked: bool,
    pub refusal_reason: Option<String>,
    pub decided_on: Option<chrono::NaiveDate>,
    /// Yuan, once approved.
    pub monthly_amount: Option<String>,
    /// The frozen inputs and result of the approved decision.
    pub snapshot: Option<serde_json::Value>,
    /// The latest 核对报告 (先核再救): approval is refused while it shows the household does not qualify, unless a
    /// 复核 result is recorded as `reason`.
    pub check: Option<applications::CheckSummary>,
    /// Under the 2021 rules: each member's obliged supporters as judged at intake, with the reasons.
    pub supporters: Vec<crate::app::assistance::supporters::SupporterLine>,
    /// Said when the deadline falls in a year with no imported holiday calendar.
    pub deadline_note: Option<String>,
    pub events: Vec<EventRow>,
}

fn view(a: applications::ApplicationRow, events: Vec<EventRow>, years: &[i32]) -> ApplicationView {
    ApplicationView {
        check: applications::check_summary(&events),
        supporters: applications::supporter_lines(&events),
        deadline_note: crate::app::assistance::calendar::uncovered_note(years, a.due_on),
        stage_label: a.stage().label().into(),
        monthly_amount: a
            .monthly_amount
            .map(|f| minzheng_domain::money::Fen(f).to_string()),
        snapshot: a
            .snapshot_json
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
        id: a.id,
        number: a.number,
        category: a.category,
        household_id: a.household_id,
        applicant_id: a.applicant_id,
        area_code: a.area_code,
        hukou_area_code: a.hukou_area_code,
        stage: a.stage,
        applied_on: a.applied_on,
        due_on: a.due_on,
        visited: a.visited,
        checked: a.checked,
        spot_check_required: a.spot_check_required,
        spot_checked: a.spot_checked,
        refusal_reason: a.refusal_reason,
        decided_on: a.decided_on,
        events,
    }
}

/// Files an application (village or town) with the signed authorisation and the household's economic data.
#[utoipa::path(post, path = "/api/v1/applications", tag = "assistance", request_body = NewApplication, security(("bearer" = [])),
    responses((status = 201, body = ApplicationView), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewApplication>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    let a = applications::create(&app, &ctx, n).await?;
    let (a, ev) = applications::get(&app, &ctx, &a.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(
            a,
            ev,
            &crate::app::assistance::calendar::years(&app).await?,
        )),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct AppQuery {
    /// The stage (the same as `status`).
    pub stage: Option<String>,
    /// true: only applications past their deadline
    pub overdue: Option<bool>,
    /// true: only stages where the caller's office acts next
    pub mine: Option<bool>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AppPage {
    pub items: Vec<ListItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Applications in the caller's scope: searched by the applicant's name or identity number (last 4 included),
/// filtered by category, stage (`status`), area and filing date (`from`, `to`), sorted by `sort`
/// (number, name, category, area, applied, stage, due) and `dir`, 20 a page.
#[utoipa::path(get, path = "/api/v1/applications", tag = "assistance", params(AppQuery, ListParams), security(("bearer" = [])), responses((status = 200, body = AppPage)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AppQuery>,
    ApiQuery(mut l): ApiQuery<ListParams>,
) -> Result<Json<AppPage>, ApiError> {
    if l.status.is_none() {
        l.status = q.stage;
    }
    let f = ListFilter {
        overdue_only: q.overdue.unwrap_or(false),
        mine: q.mine.unwrap_or(false),
    };
    let p = applications::list(&app, &ctx, &l, &f).await?;
    Ok(Json(AppPage {
        items: p.items,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct AcceptBatch {
    /// The applications to accept (at most 500).
    pub ids: Vec<String>,
    /// The day they were accepted (default today).
    pub on: Option<chrono::NaiveDate>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchDone {
    /// How many records the batch changed.
    pub done: usize,
}

/// 批量受理: all or nothing; any application that cannot be accepted is named with its reason and nothing is written.
#[utoipa::path(post, path = "/api/v1/applications/accept", tag = "assistance", request_body = AcceptBatch, security(("bearer" = [])),
    responses((status = 200, body = BatchDone), (status = 422, body = super::ErrorBody)))]
pub async fn accept_batch(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(b): JsonBody<AcceptBatch>,
) -> Result<Json<BatchDone>, ApiError> {
    let done = applications::accept_batch(&app, &ctx, &b.ids, b.on).await?;
    Ok(Json(BatchDone { done }))
}

/// One application with its steps (404 outside the caller's area).
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "assistance", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let (a, ev) = applications::get(&app, &ctx, &id).await?;
    Ok(Json(view(
        a,
        ev,
        &crate::app::assistance::calendar::years(&app).await?,
    )))
}

/// Takes the next step: accept, visit, check, community_review, town_approve, town_publicity_end, spot_check,
/// city_approve, decide, object or refuse.
#[utoipa::path(post, path = "/api/v1/applications/{id}/actions", tag = "assistance", params(("id" = String, Path)), request_body = ActionInput,
    security(("bearer" = [])), responses((status = 200, body = ApplicationView), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn act(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ActionInput>,
) -> Result<Json<ApplicationView>, ApiError> {
    applications::act(&app, &ctx, &id, input).await?;
    let (a, ev) = applications::get(&app, &ctx, &id).await?;
    Ok(Json(view(
        a,
        ev,
        &crate::app::assistance::calendar::years(&app).await?,
    )))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct MissingMaterials {
    /// Every missing material, one item each (told once: 一次性告知).
    pub items: Vec<String>,
    /// Date of the notice (default today).
    pub on: Option<chrono::NaiveDate>,
}

/// 一次性告知: the town lists every missing material of a submitted application in one printable notice, once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/missing-materials", tag = "assistance", params(("id" = String, Path)),
    request_body = MissingMaterials, security(("bearer" = [])),
    responses((status = 201, body = applications::EventRow), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn missing_materials(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(m): JsonBody<MissingMaterials>,
) -> Result<(axum::http::StatusCode, Json<applications::EventRow>), ApiError> {
    Ok((
        axum::http::StatusCode::CREATED,
        Json(applications::notify_missing(&app, &ctx, &id, &m.items, m.on).await?),
    ))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Extension {
    /// Why the decision needs more time (recorded and shown on the application).
    pub reason: String,
    /// The day of the extension (default today).
    pub on: Option<chrono::NaiveDate>,
}

/// 延长办理期限: under the 2021 rules the city extends acceptance-to-decision from 30 to 45 working days, once, with
/// a reason.
#[utoipa::path(post, path = "/api/v1/applications/{id}/extension", tag = "assistance", params(("id" = String, Path)),
    request_body = Extension, security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn extend(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(x): JsonBody<Extension>,
) -> Result<Json<ApplicationView>, ApiError> {
    applications::extend(&app, &ctx, &id, &x.reason, x.on).await?;
    let (a, ev) = applications::get(&app, &ctx, &id).await?;
    Ok(Json(view(
        a,
        ev,
        &crate::app::assistance::calendar::years(&app).await?,
    )))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Assistance cases in the caller's scope, with members (masked): searched by any member's name or identity number,
/// filtered by category, `status` (active — the default —, phasing_out, stopped, all) and area, sorted by number,
/// name, category, area, amount or start.
#[utoipa::path(get, path = "/api/v1/cases", tag = "assistance", params(ListParams), security(("bearer" = [])), responses((status = 200, body = CasePage)))]
pub async fn list_cases(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<CasePage>, ApiError> {
    let p = cases::list(&app, &ctx, &l).await?;
    Ok(Json(CasePage {
        items: p.items,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}

/// One case (404 outside the caller's area).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "assistance", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CaseItem), (status = 404, body = super::ErrorBody)))]
pub async fn show_case(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<CaseItem>, ApiError> {
    Ok(Json(cases::get(&app, &ctx, &id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct StopInput {
    /// First month without payment, YYYY-MM.
    pub from_month: String,
    pub reason: String,
}

/// Stops a case from a month on, with a written reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/stop", tag = "assistance", params(("id" = String, Path)), request_body = StopInput, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn stop_case(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(s): JsonBody<StopInput>,
) -> Result<StatusCode, ApiError> {
    cases::stop(&app, &ctx, &id, &s.from_month, &s.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records an event in an assisted household (death, moved_away, employment, birth) or a review; the case is
/// re-assessed from the next month (new amount, 渐退 or stop) and a letter is written.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", tag = "assistance", params(("id" = String, Path)), request_body = cases::CaseEvent,
    security(("bearer" = [])), responses((status = 201, body = cases::ChangeRow), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn case_event(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(ev): JsonBody<cases::CaseEvent>,
) -> Result<(StatusCode, Json<cases::ChangeRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(cases::record_event(&app, &ctx, &id, ev).await?),
    ))
}

/// A case's changes with their letters.
#[utoipa::path(get, path = "/api/v1/cases/{id}/changes", tag = "assistance", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<cases::ChangeRow>), (status = 404, body = super::ErrorBody)))]
pub async fn case_changes(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<Vec<cases::ChangeRow>>, ApiError> {
    Ok(Json(cases::changes(&app, &ctx, &id).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// Due within this many days (default 30); overdue ones are always included.
    pub days: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReviewPage {
    /// A page of 20, most urgent first unless sorted otherwise.
    pub items: Vec<cases::ReviewItem>,
    /// Per village over every review due: [name, due, overdue].
    pub per_area: Vec<(String, i64, i64)>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Dynamic reviews due and overdue in the caller's scope: searched by the applicant, filtered by category, `status`
/// (overdue, due), area and due date, sorted by due, number, name, area or category.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "assistance", params(ReviewQuery, ListParams), security(("bearer" = [])), responses((status = 200, body = ReviewPage)))]
pub async fn reviews(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ReviewQuery>,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<ReviewPage>, ApiError> {
    let (p, per_area) = cases::reviews_due(&app, &ctx, &l, q.days.unwrap_or(30)).await?;
    Ok(Json(ReviewPage {
        items: p.items,
        per_area,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}
