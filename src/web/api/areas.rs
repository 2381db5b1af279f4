use crate::app::{App, areas};
use crate::web::ApiError;
use crate::web::extract::ApiCtx;
use crate::web::extract::ApiQuery;
use axum::Json;
use axum::extract::State;

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct AreaQuery {
    /// Parent area code; the city when absent.
    pub parent: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AreaItem {
    pub code: String,
    pub name: String,
    /// city, town or village
    pub level: String,
}

/// Child areas of `parent` within the caller's scope.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", params(AreaQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<AreaItem>), (status = 401, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    ApiCtx(ctx): ApiCtx,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<Json<Vec<AreaItem>>, ApiError> {
    let items = areas::children_for(&app, &ctx, q.parent.as_deref())?
        .into_iter()
        .map(|a| AreaItem {
            code: a.code,
            name: a.name,
            level: a.level,
        })
        .collect();
    Ok(Json(items))
}
