//! /api/v1/elderly (continued): community facilities (profile and villages served, 标配 checks, designations) and
//! the services for poor elderly people (home care assistance, home adaptations, family care beds).

use crate::app::elderly::community::{
    self, CheckItem, DesignationInput, DesignationItem, DesignationQuery, FacilityInput,
    FacilityPage, FacilityQuery, FacilityView, StandardCheck,
};
use crate::app::elderly::services::{
    self, Acceptance, AdaptationInput, AdaptationItemView, AdaptationPage, AdaptationQuery,
    AreaPage, BedInput, BedItem, BedPage, CandidatePage, EndInput, GrantInput, GrantItem,
    GrantPage, ServiceInput, ServiceRecord, VisitInput, VisitItem,
};
use crate::app::elderly::staff::{
    self, CarerInput, CarerItem, CarerPage, StaffQuery, TrainingInput, VolunteerInput,
    VolunteerItem, VolunteerPage,
};
use crate::app::{App, AppError};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::{ApiCtx, ApiMultipart, ApiQuery};
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(facilities))
        .routes(routes!(facility, set_facility))
        .routes(routes!(check))
        .routes(routes!(designations))
        .routes(routes!(designate))
        .routes(routes!(candidates))
        .routes(routes!(grants, grant))
        .routes(routes!(grant_show))
        .routes(routes!(end_grant))
        .routes(routes!(services_of, record_service))
        .routes(routes!(adaptations, plan_adaptation))
        .routes(routes!(adaptation))
        .routes(routes!(accept_adaptation))
        .routes(routes!(adaptation_photo))
        .routes(routes!(beds, open_bed))
        .routes(routes!(bed))
        .routes(routes!(visit))
        .routes(routes!(terminate_bed))
        .routes(routes!(carers, add_carer))
        .routes(routes!(carer))
        .routes(routes!(add_training))
        .routes(routes!(volunteers, add_volunteer))
}

/// Day-care centres and meal points in the caller's scope, with their profile and the latest 标配 check.
#[utoipa::path(get, path = "/api/v1/elderly/facilities", tag = "elderly", params(FacilityQuery), security(("bearer" = [])),
    responses((status = 200, body = FacilityPage), (status = 422, body = super::ErrorBody)))]
pub async fn facilities(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<FacilityQuery>,
) -> Result<Json<FacilityPage>, ApiError> {
    Ok(Json(community::facilities(&app, &ctx, &q).await?))
}

/// One facility: its profile, the villages/communities it serves, its 标配 checks and designations.
#[utoipa::path(get, path = "/api/v1/elderly/facilities/{id}", tag = "elderly", params(("id" = String, Path, description = "the organisation's id")),
    security(("bearer" = [])), responses((status = 200, body = FacilityView), (status = 404, body = super::ErrorBody)))]
pub async fn facility(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<FacilityView>, ApiError> {
    Ok(Json(community::facility(&app, &ctx, &id).await?))
}

/// Sets a facility's service profile and the villages/communities it serves (replacing the earlier list).
#[utoipa::path(put, path = "/api/v1/elderly/facilities/{id}", tag = "elderly", params(("id" = String, Path)), request_body = FacilityInput,
    security(("bearer" = [])), responses((status = 200, body = FacilityView), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn set_facility(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(f): JsonBody<FacilityInput>,
) -> Result<Json<FacilityView>, ApiError> {
    Ok(Json(community::set_facility(&app, &ctx, &id, f).await?))
}

/// Records a standard configuration (标配) check: the items found present; the result follows the checklist.
#[utoipa::path(post, path = "/api/v1/elderly/facilities/{id}/checks", tag = "elderly", params(("id" = String, Path)), request_body = StandardCheck,
    security(("bearer" = [])), responses((status = 201, body = CheckItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn check(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(c): JsonBody<StandardCheck>,
) -> Result<(StatusCode, Json<CheckItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(community::check_standard(&app, &ctx, &id, c).await?),
    ))
}

/// 一镇一品 demonstration sites and smart elderly care institutions in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/elderly/designations", tag = "elderly", params(DesignationQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<DesignationItem>), (status = 422, body = super::ErrorBody)))]
pub async fn designations(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<DesignationQuery>,
) -> Result<Json<Vec<DesignationItem>>, ApiError> {
    Ok(Json(community::designations(&app, &ctx, &q).await?))
}

/// Names an organisation a 一镇一品 demonstration site or a smart elderly care institution.
#[utoipa::path(post, path = "/api/v1/elderly/designations/{organisation_id}", tag = "elderly", params(("organisation_id" = String, Path)),
    request_body = DesignationInput, security(("bearer" = [])), responses((status = 201, body = DesignationItem),
    (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn designate(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(organisation_id): Path<String>,
    JsonBody(d): JsonBody<DesignationInput>,
) -> Result<(StatusCode, Json<DesignationItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(community::designate(&app, &ctx, &organisation_id, d).await?),
    ))
}

/// Residents who qualify for home care assistance (from the assistance cases and the registry) without a grant yet.
#[utoipa::path(get, path = "/api/v1/elderly/home-care/candidates", tag = "elderly", params(AreaPage), security(("bearer" = [])),
    responses((status = 200, body = CandidatePage), (status = 422, body = super::ErrorBody)))]
pub async fn candidates(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AreaPage>,
) -> Result<Json<CandidatePage>, ApiError> {
    Ok(Json(services::candidates(&app, &ctx, &q).await?))
}

/// Home care assistance grants in force in the caller's scope, with this month's use.
#[utoipa::path(get, path = "/api/v1/elderly/home-care", tag = "elderly", params(AreaPage), security(("bearer" = [])),
    responses((status = 200, body = GrantPage), (status = 422, body = super::ErrorBody)))]
pub async fn grants(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AreaPage>,
) -> Result<Json<GrantPage>, ApiError> {
    Ok(Json(services::grants(&app, &ctx, &q).await?))
}

/// Grants home care assistance to a resident who qualifies (hours or a voucher a month, a provider).
#[utoipa::path(post, path = "/api/v1/elderly/home-care", tag = "elderly", request_body = GrantInput, security(("bearer" = [])),
    responses((status = 201, body = GrantItem), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn grant(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(g): JsonBody<GrantInput>,
) -> Result<(StatusCode, Json<GrantItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(services::grant(&app, &ctx, g).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/elderly/home-care/{id}", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = GrantItem), (status = 404, body = super::ErrorBody)))]
pub async fn grant_show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<GrantItem>, ApiError> {
    Ok(Json(services::grant_item(&app, &ctx, &id).await?))
}

/// Ends a grant with the day and the reason.
#[utoipa::path(post, path = "/api/v1/elderly/home-care/{id}/end", tag = "elderly", params(("id" = String, Path)), request_body = EndInput,
    security(("bearer" = [])), responses((status = 200, body = GrantItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn end_grant(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndInput>,
) -> Result<Json<GrantItem>, ApiError> {
    Ok(Json(services::end_grant(&app, &ctx, &id, e).await?))
}

/// A grant's services, newest first.
#[utoipa::path(get, path = "/api/v1/elderly/home-care/{id}/services", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<ServiceRecord>), (status = 404, body = super::ErrorBody)))]
pub async fn services_of(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<Vec<ServiceRecord>>, ApiError> {
    Ok(Json(services::services_of(&app, &ctx, &id).await?))
}

/// Records a service under a grant; a month's services never exceed the grant.
#[utoipa::path(post, path = "/api/v1/elderly/home-care/{id}/services", tag = "elderly", params(("id" = String, Path)), request_body = ServiceInput,
    security(("bearer" = [])), responses((status = 201, body = ServiceRecord), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn record_service(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(s): JsonBody<ServiceInput>,
) -> Result<(StatusCode, Json<ServiceRecord>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(services::record_service(&app, &ctx, &id, s).await?),
    ))
}

/// Home adaptations in the caller's scope.
#[utoipa::path(get, path = "/api/v1/elderly/adaptations", tag = "elderly", params(AdaptationQuery), security(("bearer" = [])),
    responses((status = 200, body = AdaptationPage), (status = 422, body = super::ErrorBody)))]
pub async fn adaptations(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AdaptationQuery>,
) -> Result<Json<AdaptationPage>, ApiError> {
    Ok(Json(services::adaptations(&app, &ctx, &q).await?))
}

/// Plans an adaptation for a qualifying household (its items and contractor).
#[utoipa::path(post, path = "/api/v1/elderly/adaptations", tag = "elderly", request_body = AdaptationInput, security(("bearer" = [])),
    responses((status = 201, body = AdaptationItemView), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn plan_adaptation(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(a): JsonBody<AdaptationInput>,
) -> Result<(StatusCode, Json<AdaptationItemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(services::plan_adaptation(&app, &ctx, a).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/elderly/adaptations/{id}", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdaptationItemView), (status = 404, body = super::ErrorBody)))]
pub async fn adaptation(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<AdaptationItemView>, ApiError> {
    Ok(Json(services::adaptation(&app, &ctx, &id).await?))
}

/// Accepts a finished adaptation (multipart: `accepted_on`, `cost`, `subsidy` in yuan, `note`, one or more `photo`).
#[utoipa::path(post, path = "/api/v1/elderly/adaptations/{id}/acceptance", tag = "elderly", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("bearer" = [])),
    responses((status = 200, body = AdaptationItemView), (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn accept_adaptation(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiMultipart(m): ApiMultipart,
) -> Result<Json<AdaptationItemView>, ApiError> {
    let a = read_acceptance(m).await?;
    Ok(Json(services::accept_adaptation(&app, &ctx, &id, a).await?))
}

/// The acceptance form: `accepted_on`, `cost`, `subsidy`, `note` and `photo` files (each read with a 5 MB cap).
pub async fn read_acceptance(mut m: Multipart) -> Result<Acceptance, AppError> {
    let bad = |e| crate::web::extract::multipart_error("photo", e);
    let mut a = Acceptance::default();
    let mut on = String::new();
    while let Some(mut f) = m.next_field().await.map_err(bad)? {
        match f.name().unwrap_or("") {
            "accepted_on" => on = f.text().await.map_err(bad)?,
            "cost" => a.cost = f.text().await.map_err(bad)?,
            "subsidy" => a.subsidy = f.text().await.map_err(bad)?,
            "note" => a.note = f.text().await.map_err(bad)?,
            "photo" => {
                let mut buf = Vec::new();
                while let Some(ch) = f.chunk().await.map_err(bad)? {
                    if buf.len() + ch.len() > crate::app::verification::tasks::MAX_PHOTO {
                        return Err(AppError::invalid("photo", "照片超过5MB"));
                    }
                    buf.extend_from_slice(&ch);
                }
                a.photos.push(buf);
            }
            _ => {}
        }
    }
    a.accepted_on = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("accepted_on", "验收日期格式应为 YYYY-MM-DD"))?;
    Ok(a)
}

/// An acceptance photo.
#[utoipa::path(get, path = "/api/v1/elderly/adaptations/photos/{id}", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = super::ErrorBody)))]
pub async fn adaptation_photo(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (ct, bytes) = services::adaptation_photo(&app, &ctx, &id).await?;
    Ok(super::institutions::file_response(ct, bytes))
}

/// Family care beds in the caller's scope, newest contract first.
#[utoipa::path(get, path = "/api/v1/elderly/care-beds", tag = "elderly", params(AreaPage), security(("bearer" = [])),
    responses((status = 200, body = BedPage), (status = 422, body = super::ErrorBody)))]
pub async fn beds(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AreaPage>,
) -> Result<Json<BedPage>, ApiError> {
    Ok(Json(services::beds(&app, &ctx, &q).await?))
}

/// Opens a family care bed: the contract with a provider and the monthly subsidy.
#[utoipa::path(post, path = "/api/v1/elderly/care-beds", tag = "elderly", request_body = BedInput, security(("bearer" = [])),
    responses((status = 201, body = BedItem), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn open_bed(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(b): JsonBody<BedInput>,
) -> Result<(StatusCode, Json<BedItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(services::open_bed(&app, &ctx, b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/elderly/care-beds/{id}", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = BedItem), (status = 404, body = super::ErrorBody)))]
pub async fn bed(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<BedItem>, ApiError> {
    Ok(Json(services::bed(&app, &ctx, &id).await?))
}

/// Records a provider's visit to a bed in force.
#[utoipa::path(post, path = "/api/v1/elderly/care-beds/{id}/visits", tag = "elderly", params(("id" = String, Path)), request_body = VisitInput,
    security(("bearer" = [])), responses((status = 201, body = VisitItem), (status = 404, body = super::ErrorBody),
    (status = 422, body = super::ErrorBody)))]
pub async fn visit(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(v): JsonBody<VisitInput>,
) -> Result<(StatusCode, Json<VisitItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(services::visit(&app, &ctx, &id, v).await?),
    ))
}

/// Ends a bed's contract early.
#[utoipa::path(post, path = "/api/v1/elderly/care-beds/{id}/end", tag = "elderly", params(("id" = String, Path)), request_body = EndInput,
    security(("bearer" = [])), responses((status = 200, body = BedItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn terminate_bed(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(e): JsonBody<EndInput>,
) -> Result<Json<BedItem>, ApiError> {
    Ok(Json(services::terminate_bed(&app, &ctx, &id, e).await?))
}

/// Carers (养老护理员) in post in the caller's scope, with their latest passed training.
#[utoipa::path(get, path = "/api/v1/elderly/carers", tag = "elderly", params(StaffQuery), security(("bearer" = [])),
    responses((status = 200, body = CarerPage), (status = 422, body = super::ErrorBody)))]
pub async fn carers(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> Result<Json<CarerPage>, ApiError> {
    Ok(Json(staff::carers(&app, &ctx, &q).await?))
}

/// Registers a carer at an organisation of the elderly-care line.
#[utoipa::path(post, path = "/api/v1/elderly/carers", tag = "elderly", request_body = CarerInput, security(("bearer" = [])),
    responses((status = 201, body = CarerItem), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_carer(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(c): JsonBody<CarerInput>,
) -> Result<(StatusCode, Json<CarerItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_carer(&app, &ctx, c).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/elderly/carers/{id}", tag = "elderly", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CarerItem), (status = 404, body = super::ErrorBody)))]
pub async fn carer(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<CarerItem>, ApiError> {
    Ok(Json(staff::carer(&app, &ctx, &id).await?))
}

/// Records a carer's training (passed or not; at a training base or elsewhere).
#[utoipa::path(post, path = "/api/v1/elderly/carers/{id}/trainings", tag = "elderly", params(("id" = String, Path)), request_body = TrainingInput,
    security(("bearer" = [])), responses((status = 201, body = CarerItem), (status = 404, body = super::ErrorBody),
    (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_training(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(t): JsonBody<TrainingInput>,
) -> Result<(StatusCode, Json<CarerItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_training(&app, &ctx, &id, t).await?),
    ))
}

/// Elderly-care volunteers in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/elderly/volunteers", tag = "elderly", params(StaffQuery), security(("bearer" = [])),
    responses((status = 200, body = VolunteerPage), (status = 422, body = super::ErrorBody)))]
pub async fn volunteers(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> Result<Json<VolunteerPage>, ApiError> {
    Ok(Json(staff::volunteers(&app, &ctx, &q).await?))
}

/// Registers a volunteer in a village/community.
#[utoipa::path(post, path = "/api/v1/elderly/volunteers", tag = "elderly", request_body = VolunteerInput, security(("bearer" = [])),
    responses((status = 201, body = VolunteerItem), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_volunteer(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(v): JsonBody<VolunteerInput>,
) -> Result<(StatusCode, Json<VolunteerItem>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_volunteer(&app, &ctx, v).await?),
    ))
}
