use crate::app::App;
use crate::app::assistance::temporary::{self, Batch, GrantItem, GrantRow, NewGrant};
use crate::app::listing::ListParams;
use crate::web::ApiError;
use crate::web::api::JsonBody;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// A temporary grant: approved at once up to 3·S by the town, otherwise waiting for the city (up to 12·S).
#[utoipa::path(post, path = "/api/v1/temporary", tag = "assistance", request_body = NewGrant, security(("bearer" = [])),
    responses((status = 201, body = GrantRow), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(n): JsonBody<NewGrant>,
) -> Result<(StatusCode, Json<GrantRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(temporary::request(&app, &ctx, n).await?),
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct GrantPage {
    pub items: Vec<GrantItem>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Temporary grants in the caller's scope: searched by the person's name or identity number, filtered by form
/// (`category`: cash, goods, services), `status` (approved, pending_city, refused), area and request date, sorted by
/// requested, name, area, amount or status.
#[utoipa::path(get, path = "/api/v1/temporary", tag = "assistance", params(ListParams), security(("bearer" = [])), responses((status = 200, body = GrantPage)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(l): ApiQuery<ListParams>,
) -> Result<Json<GrantPage>, ApiError> {
    let p = temporary::list(&app, &ctx, &l).await?;
    Ok(Json(GrantPage {
        items: p.items,
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}

/// Its own schema name: utoipa names a schema after the type, and three types called `Decision` overwrote each
/// other in the document (every decision path showed the findings' body).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TemporaryDecision)]
pub struct Decision {
    pub approve: bool,
}

/// The city's decision on a grant above 3·S.
#[utoipa::path(post, path = "/api/v1/temporary/{id}/decision", tag = "assistance", params(("id" = String, Path)), request_body = Decision,
    security(("bearer" = [])), responses((status = 200, body = GrantRow), (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn decide(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    JsonBody(d): JsonBody<Decision>,
) -> Result<Json<GrantRow>, ApiError> {
    Ok(Json(temporary::decide(&app, &ctx, &id, d.approve).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub households: i64,
}

/// An emergency batch to every household of a category in given towns; the same batch name again adds nothing.
#[utoipa::path(post, path = "/api/v1/temporary/batches", tag = "assistance", request_body = Batch, security(("bearer" = [])),
    responses((status = 201, body = BatchResult), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn batch(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    JsonBody(b): JsonBody<Batch>,
) -> Result<(StatusCode, Json<BatchResult>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(BatchResult {
            households: temporary::batch(&app, &ctx, b).await?,
        }),
    ))
}
