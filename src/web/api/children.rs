//! /api/v1/children: who a child is (LINES-API §2), the registers of children, the basic living allowance, the
//! 儿童督导员 and 儿童主任, and home visits.

use crate::app::children::allowances::{
    self, AllowancePage, AllowanceQuery, AllowanceView, NewAllowance, NewStandard, StandardView,
    StopAllowance,
};
use crate::app::children::people::{
    self, EndWorker, NewTraining, NewVisit, NewWorker, OverdueList, OverdueQuery, VisitView,
    WorkerQuery, WorkerView,
};
use crate::app::children::reports::{
    self, Handling, NewReport, Police, ReportList, ReportQuery, ReportView,
};
use crate::app::children::{
    self, Education, EndDue, EndRegistration, EndedCount, NewRegistration, RegistrationDetail,
    RegistrationPage, RegistrationQuery, RegistrationView,
};
use crate::app::{App, AppError};
use crate::web::ApiError;
use crate::web::api::{JsonBody, json_value};
use crate::web::extract::{ApiCtx, ApiMultipart, ApiQuery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(classify))
        .routes(routes!(register, list))
        .routes(routes!(show))
        .routes(routes!(end))
        .routes(routes!(education))
        .routes(routes!(visit))
        .routes(routes!(end_due))
        .routes(routes!(overdue))
        .routes(routes!(standards, set_standard))
        .routes(routes!(decide, allowance_list))
        .routes(routes!(allowance_stop))
        .routes(routes!(appoint, workers))
        .routes(routes!(train))
        .routes(routes!(end_worker))
        .routes(routes!(receive_report, reports))
        .routes(routes!(report))
        .routes(routes!(report_police))
        .routes(routes!(report_handling))
        .merge(super::child_protection::routes())
}

/// Orphan, 事实无人抚养儿童 or neither, from the parents' situations on `as_of` (stateless).
#[utoipa::path(post, path = "/api/v1/children/classify", tag = "children", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "LINES-API §2: {as_of, child: {id_number, in_full_time_education}, parents: [{role, situations: [{kind, since, until}]}]}"),
    responses((status = 200, body = serde_json::Value), (status = 400, body = super::ErrorBody), (status = 401, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn classify(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = json_value(&body)?;
    let r = children::classify(&app, &ctx, &v)?;
    Ok(Json(serde_json::to_value(r).map_err(|e| {
        ApiError(crate::app::AppError::Internal(e.into()))
    })?))
}

/// Registers a child of the caller's area. 孤儿 and 事实无人抚养儿童 need `parents` (LINES-API §2) and are
/// registered only when the classify rule says so; its input and answer are kept as the entry's basis.
#[utoipa::path(post, path = "/api/v1/children/registrations", tag = "children", request_body = NewRegistration, security(("bearer" = [])),
    responses((status = 201, body = RegistrationView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn register(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewRegistration>,
) -> Result<(StatusCode, Json<RegistrationView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(children::register(&app, &ctx, n).await?),
    ))
}

/// Registered children of the caller's area (per village with `area`), by category, status (active, due, ended)
/// and name or identity number (or its last 4); 50 a page with the total.
#[utoipa::path(get, path = "/api/v1/children/registrations", tag = "children", params(RegistrationQuery), security(("bearer" = [])),
    responses((status = 200, body = RegistrationPage)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<RegistrationQuery>,
) -> Result<Json<RegistrationPage>, ApiError> {
    Ok(Json(children::list(&app, &ctx, &q).await?))
}

/// One entry with its history, allowances and visits.
#[utoipa::path(get, path = "/api/v1/children/registrations/{id}", tag = "children", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RegistrationDetail), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<RegistrationDetail>, ApiError> {
    Ok(Json(children::detail(&app, &ctx, &id).await?))
}

/// Ends an entry with its date and reason (recorded in its history, never deleted).
#[utoipa::path(post, path = "/api/v1/children/registrations/{id}/end", tag = "children", params(("id" = String, Path)), request_body = EndRegistration, security(("bearer" = [])),
    responses((status = 200, body = RegistrationView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn end(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndRegistration>,
) -> Result<Json<RegistrationView>, ApiError> {
    Ok(Json(children::end(&app, &ctx, &id, e).await?))
}

/// Records (or clears, with null) the end of full-time education of an orphan or 事实无人抚养儿童.
#[utoipa::path(post, path = "/api/v1/children/registrations/{id}/education", tag = "children", params(("id" = String, Path)), request_body = Education, security(("bearer" = [])),
    responses((status = 200, body = RegistrationView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn education(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<Education>,
) -> Result<Json<RegistrationView>, ApiError> {
    Ok(Json(children::record_education(&app, &ctx, &id, e).await?))
}

/// Records a home visit (multipart: `visited_on`, `seen`, `needs`, and `photo` fields — JPEG or PNG, ≤ 5 MB each).
#[utoipa::path(post, path = "/api/v1/children/registrations/{id}/visits", tag = "children", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("bearer" = [])),
    responses((status = 201, body = VisitView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn visit(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Result<(StatusCode, Json<VisitView>), ApiError> {
    let v = read_visit(m).await?;
    Ok((
        StatusCode::CREATED,
        Json(people::visit(&app, &ctx, &id, v).await?),
    ))
}

/// A visit form: `visited_on`, `seen`, `needs`, and any number of `photo` files (each read with a 5 MB cap).
pub async fn read_visit(mut m: Multipart) -> Result<NewVisit, AppError> {
    let mut v = NewVisit::default();
    let bad = |e| crate::web::extract::multipart_error("photo", e);
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        match f.name().unwrap_or("") {
            "seen" => v.seen = f.text().await.map_err(bad)?,
            "needs" => v.needs = f.text().await.map_err(bad)?,
            "visited_on" => {
                let t = f.text().await.map_err(bad)?;
                if !t.trim().is_empty() {
                    v.visited_on = Some(
                        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                            AppError::invalid("visited_on", "走访日期格式应为 YYYY-MM-DD")
                        })?,
                    );
                }
            }
            "photo" => {
                let mut buf = Vec::new();
                while let Some(c) = f.chunk().await.map_err(bad)? {
                    if buf.len() + c.len() > people::MAX_PHOTO {
                        return Err(AppError::invalid("photo", "照片超过5MB"));
                    }
                    buf.extend_from_slice(&c);
                }
                v.photos.push(buf);
            }
            _ => {}
        }
    }
    Ok(v)
}

/// Ends every entry of the area past its end date (到期: 18, 留守 16, or the recorded end of education).
#[utoipa::path(post, path = "/api/v1/children/due/end", tag = "children", request_body = EndDue, security(("bearer" = [])),
    responses((status = 200, body = EndedCount), (status = 403, body = super::ErrorBody)))]
pub async fn end_due(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(d): JsonBody<EndDue>,
) -> Result<Json<EndedCount>, ApiError> {
    Ok(Json(children::end_due(&app, &ctx, d).await?))
}

/// Entries whose next home visit is past due (monthly: 孤儿, 事实无人抚养, 困境; quarterly: 留守, 集中供养).
#[utoipa::path(get, path = "/api/v1/children/visits/overdue", tag = "children", params(OverdueQuery), security(("bearer" = [])),
    responses((status = 200, body = OverdueList)))]
pub async fn overdue(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<Json<OverdueList>, ApiError> {
    Ok(Json(people::overdue(&app, &ctx, &q).await?))
}

/// Every allowance standard set, newest first.
#[utoipa::path(get, path = "/api/v1/children/standards", tag = "children", security(("bearer" = [])),
    responses((status = 200, body = Vec<StandardView>)))]
pub async fn standards(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
) -> Result<Json<Vec<StandardView>>, ApiError> {
    Ok(Json(allowances::standards(&app, &ctx).await?))
}

/// Sets a standard (institution / family) from a month on (the city's child welfare section).
#[utoipa::path(post, path = "/api/v1/children/standards", tag = "children", request_body = NewStandard, security(("bearer" = [])),
    responses((status = 201, body = Vec<StandardView>), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_standard(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewStandard>,
) -> Result<(StatusCode, Json<Vec<StandardView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(allowances::set_standard(&app, &ctx, n).await?),
    ))
}

/// Grants the basic living allowance to a registered orphan or 事实无人抚养儿童 (the city's child welfare
/// section); refused while the child's household holds a live tekun case or the child another allowance.
#[utoipa::path(post, path = "/api/v1/children/allowances", tag = "children", request_body = NewAllowance, security(("bearer" = [])),
    responses((status = 201, body = AllowanceView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewAllowance>,
) -> Result<(StatusCode, Json<AllowanceView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(allowances::decide(&app, &ctx, n).await?),
    ))
}

/// Allowances of the caller's area.
#[utoipa::path(get, path = "/api/v1/children/allowances", tag = "children", params(AllowanceQuery), security(("bearer" = [])),
    responses((status = 200, body = AllowancePage)))]
pub async fn allowance_list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AllowanceQuery>,
) -> Result<Json<AllowancePage>, ApiError> {
    Ok(Json(allowances::list(&app, &ctx, &q).await?))
}

/// Stops an allowance from a month on, with its reason.
#[utoipa::path(post, path = "/api/v1/children/allowances/{id}/stop", tag = "children", params(("id" = String, Path)), request_body = StopAllowance, security(("bearer" = [])),
    responses((status = 200, body = AllowanceView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn allowance_stop(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(s): JsonBody<StopAllowance>,
) -> Result<Json<AllowanceView>, ApiError> {
    Ok(Json(allowances::stop(&app, &ctx, &id, s).await?))
}

/// Appoints a 儿童督导员 (a town) or 儿童主任 (a village); the one in office there is ended the same day.
#[utoipa::path(post, path = "/api/v1/children/workers", tag = "children", request_body = NewWorker, security(("bearer" = [])),
    responses((status = 201, body = WorkerView), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn appoint(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewWorker>,
) -> Result<(StatusCode, Json<WorkerView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(people::appoint(&app, &ctx, n).await?),
    ))
}

/// The 儿童督导员 and 儿童主任 of the caller's area, in office and before, with their training.
#[utoipa::path(get, path = "/api/v1/children/workers", tag = "children", params(WorkerQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<WorkerView>)))]
pub async fn workers(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<WorkerQuery>,
) -> Result<Json<Vec<WorkerView>>, ApiError> {
    Ok(Json(people::workers(&app, &ctx, &q).await?))
}

/// Records a training of a 儿童督导员 or 儿童主任.
#[utoipa::path(post, path = "/api/v1/children/workers/{id}/trainings", tag = "children", params(("id" = String, Path)), request_body = NewTraining, security(("bearer" = [])),
    responses((status = 201, body = WorkerView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn train(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(t): JsonBody<NewTraining>,
) -> Result<(StatusCode, Json<WorkerView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(people::train(&app, &ctx, &id, t).await?),
    ))
}

/// Ends an appointment without a successor.
#[utoipa::path(post, path = "/api/v1/children/workers/{id}/end", tag = "children", params(("id" = String, Path)), request_body = EndWorker, security(("bearer" = [])),
    responses((status = 200, body = WorkerView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn end_worker(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndWorker>,
) -> Result<Json<WorkerView>, ApiError> {
    Ok(Json(people::end_worker(&app, &ctx, &id, e).await?))
}

/// Receives a mandatory report (强制报告) from a school, hospital, village …: the child's town gets an immediate task
/// (due the next day); the police notification is recorded with it or later.
#[utoipa::path(post, path = "/api/v1/children/reports", tag = "children", request_body = NewReport, security(("bearer" = [])),
    responses((status = 201, body = ReportView), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn receive_report(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewReport>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(reports::receive(&app, &ctx, n).await?),
    ))
}

/// Mandatory reports of the caller's area, the latest 200, with the overdue tasks and those without a police
/// notification counted.
#[utoipa::path(get, path = "/api/v1/children/reports", tag = "children", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = ReportList)))]
pub async fn reports(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<ReportList>, ApiError> {
    Ok(Json(reports::list(&app, &ctx, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/children/reports/{id}", tag = "children", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 404, body = super::ErrorBody)))]
pub async fn report(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(reports::get(&app, &ctx, &id).await?))
}

/// Records the notification of the police (town or city).
#[utoipa::path(post, path = "/api/v1/children/reports/{id}/police", tag = "children", params(("id" = String, Path)), request_body = Police, security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn report_police(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(p): JsonBody<Police>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(reports::police(&app, &ctx, &id, p).await?))
}

/// The town's response to the report (after the police notification).
#[utoipa::path(post, path = "/api/v1/children/reports/{id}/handling", tag = "children", params(("id" = String, Path)), request_body = Handling, security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn report_handling(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(h): JsonBody<Handling>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(reports::handle(&app, &ctx, &id, h).await?))
}
