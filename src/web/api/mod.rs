//! JSON API under /api/v1, one module per resource.

pub mod applications;
pub mod areas;
pub mod assistance;
pub mod auth;
pub mod children;
pub mod disability;
pub mod elderly;
pub mod ledger;
pub mod organisations;
pub mod payments;
pub mod persons;
pub mod targets;
pub mod temporary;
pub mod users;
pub mod verification;

use super::ApiError;
use crate::app::App;
use crate::app::AppError;
use axum::extract::rejection::JsonRejection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The platform's own API (logins, areas); the business lines bring theirs through `web::lines`.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(auth::create_token, auth::revoke_current))
        .routes(routes!(areas::list))
}

/// User administration, behind the administrator's permission (see `web::lines::guard`).
pub fn user_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(users::create, users::list))
}

/// Any other path under /api/v1: a Chinese 404 in the API's error shape.
pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound("接口".into()))
}

/// A raw JSON body for the rules that walk it themselves (so that a 422 names the first bad field): 400 when it
/// does not parse.
pub fn json_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError(AppError::BadRequest(format!(
            "JSON 无法解析：第{}行第{}列",
            e.line(),
            e.column()
        )))
    })
}

/// A JSON body: 400 with a Chinese message when it does not parse, 422 when a field has the wrong shape.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let (field, why) = data_error_field(&e.body_text());
                Err(ApiError(AppError::invalid(
                    &field,
                    format!("请求字段 {field} 不符合要求：{why}"),
                )))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(AppError::BadRequest(
                "请求须为 JSON（Content-Type: application/json）".into(),
            ))),
            Err(e) => Err(ApiError(AppError::BadRequest(format!(
                "JSON 无法解析: {}",
                e.body_text()
            )))),
        }
    }
}

/// Names the field in serde's message: "…target type: household.members[0]: invalid type…" or "missing field `x`".
fn data_error_field(msg: &str) -> (String, String) {
    let rest = msg
        .split_once("target type: ")
        .map(|(_, r)| r)
        .unwrap_or(msg);
    let (path, why) = match rest.split_once(": ") {
        Some((p, w)) if !p.contains(' ') => (p.to_string(), w.to_string()),
        _ => (String::new(), rest.to_string()),
    };
    let missing = why
        .split_once("missing field `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(f, _)| f.to_string());
    let field = match (path.is_empty(), missing) {
        (true, Some(m)) => m,
        (false, Some(m)) => format!("{path}.{m}"),
        (_, None) => path,
    };
    (field, why.to_string())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// 中文说明
    pub error: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}
