use crate::app::App;
use crate::app::registry::{
    self, HouseholdView, NewHousehold, NewPerson, PersonItem, PersonUpdate, PersonView,
};
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// 居民信息库: persons, households and the area statistics.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(export))
        .routes(routes!(show, update))
        .routes(routes!(create_household))
        .routes(routes!(household))
        .routes(routes!(stats))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PersonQuery {
    /// A name (or its beginning), a full identity number, or its last 4+ characters.
    pub q: Option<String>,
    /// An area code to narrow to (within the caller's scope).
    pub area: Option<String>,
    pub page: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonItem>,
    /// Matches, counted up to 10,001: a value above 10,000 means "more than 10,000".
    pub total: i64,
}

/// Searches persons in the caller's scope; identity numbers are masked.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(PersonQuery), security(("bearer" = [])),
    responses((status = 200, body = PersonPage), (status = 401, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> Result<Json<PersonPage>, ApiError> {
    let (items, total) = registry::search(
        &app,
        &ctx,
        q.q.as_deref().unwrap_or(""),
        q.area.as_deref(),
        q.page.unwrap_or(1),
    )
    .await?;
    Ok(Json(PersonPage { items, total }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ShowQuery {
    /// true: include the full identity number, phone and address (audited; needs the right role).
    pub reveal: Option<bool>,
}

/// One person (404 outside the caller's area).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path), ShowQuery), security(("bearer" = [])),
    responses((status = 200, body = PersonView), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn show(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(
        registry::get(&app, &ctx, &id, q.reveal.unwrap_or(false)).await?,
    ))
}

/// Registers a person; sex and birth date come from the identity number.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = NewPerson, security(("bearer" = [])),
    responses((status = 201, body = PersonView), (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewPerson>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(registry::create(&app, &ctx, n).await?),
    ))
}

/// Changes a person's name, phone, address, residence or status (deceased, moved away).
#[utoipa::path(patch, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path)), request_body = PersonUpdate, security(("bearer" = [])),
    responses((status = 200, body = PersonView), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(u): JsonBody<PersonUpdate>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(registry::update(&app, &ctx, &id, u).await?))
}

/// A household with its members (404 outside the caller's area).
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "persons", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = HouseholdView), (status = 404, body = super::ErrorBody)))]
pub async fn household(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<HouseholdView>, ApiError> {
    Ok(Json(registry::household(&app, &ctx, &id).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: String,
}

/// Creates a household in a village of the caller's scope.
#[utoipa::path(post, path = "/api/v1/households", tag = "persons", request_body = NewHousehold, security(("bearer" = [])),
    responses((status = 201, body = Created), (status = 422, body = super::ErrorBody)))]
pub async fn create_household(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewHousehold>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: registry::create_household(&app, &ctx, n).await?,
        }),
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub persons: i64,
    pub households: i64,
    pub elderly_60: i64,
    pub elderly_80_alone: i64,
    pub disabled: i64,
    pub seriously_ill: i64,
    pub per_town: Vec<TownCount>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TownCount {
    pub code: String,
    pub name: String,
    pub persons: i64,
}

/// Registry counts within the caller's scope.
#[utoipa::path(get, path = "/api/v1/stats", tag = "persons", security(("bearer" = [])), responses((status = 200, body = Stats)))]
pub async fn stats(State(app): State<App>, ApiCtx(ctx): ApiCtx) -> Result<Json<Stats>, ApiError> {
    let h = registry::home_counts(&app, &ctx).await?;
    let c = h.counts;
    Ok(Json(Stats {
        persons: c.persons,
        households: c.households,
        elderly_60: c.elderly_60,
        elderly_80_alone: c.elderly_80_alone,
        disabled: c.disabled,
        seriously_ill: c.seriously_ill,
        per_town: h
            .per_town
            .into_iter()
            .map(|(code, name, persons)| TownCount {
                code,
                name,
                persons,
            })
            .collect(),
    }))
}

/// Exports the search result as CSV (masked; audited), streamed.
#[utoipa::path(get, path = "/api/v1/persons/export", tag = "persons", params(PersonQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv")))]
pub async fn export(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> Result<Response, ApiError> {
    Ok(csv_export(app, &ctx, q.q.as_deref().unwrap_or(""), q.area.as_deref()).await?)
}

/// A CSV of persons streamed page by page (UTF-8 with BOM so Excel opens it in Chinese).
pub async fn csv_export(
    app: App,
    ctx: &crate::app::Ctx,
    q: &str,
    area: Option<&str>,
) -> Result<Response, crate::app::AppError> {
    let (query, filter) = registry::begin_export(&app, ctx, q, area).await?;
    let head = {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        w.write_record(registry::EXPORT_HEADER)
            .map_err(anyhow::Error::from)?;
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
    };
    let state = Some((app, query, filter, String::new()));
    let rows = futures::stream::unfold(state, |state| async move {
        let (app, query, filter, after) = state?;
        match registry::export_page(&app, &query, &filter, &after, 2000).await {
            Ok((rows, next)) => {
                let mut w = csv::Writer::from_writer(Vec::new());
                for r in &rows {
                    let _ = w.write_record(r.iter().map(|c| crate::util::csv_safe(c).into_owned()));
                }
                let bytes = w.into_inner().unwrap_or_default();
                let next_state = next.map(|n| (app, query, filter, n));
                Some((Ok::<_, std::io::Error>(bytes), next_state))
            }
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    let body = Body::from_stream(futures::StreamExt::chain(
        futures::stream::once(async move { Ok(head) }),
        rows,
    ));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                crate::util::attachment("人员信息.csv", "persons.csv"),
            ),
        ],
        body,
    )
        .into_response())
}
