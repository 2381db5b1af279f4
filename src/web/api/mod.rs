//! JSON API under /api/v1, one module per resource.

pub mod applications;
pub mod areas;
pub mod assistance;
pub mod auth;
pub mod children;
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
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post};

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/auth/token",
            post(auth::create_token).delete(auth::revoke_current),
        )
        .route("/areas", get(areas::list))
        .route("/users", post(users::create).get(users::list))
        .route("/persons", get(persons::list).post(persons::create))
        .route("/persons/export", get(persons::export))
        .route("/persons/{id}", get(persons::show).patch(persons::update))
        .route("/households", post(persons::create_household))
        .route("/households/{id}", get(persons::household))
        .route("/stats", get(persons::stats))
        .route("/assessments", post(assistance::assess))
        .route(
            "/applications",
            post(applications::create).get(applications::list),
        )
        .route("/applications/{id}", get(applications::show))
        .route("/applications/{id}/actions", post(applications::act))
        .route(
            "/applications/{id}/missing-materials",
            post(applications::missing_materials),
        )
        .route(
            "/payments/rolls",
            post(payments::generate).get(payments::list),
        )
        .route("/payments/rolls/{month}", get(payments::show))
        .route("/payments/rolls/{month}/lines", get(payments::lines))
        .route("/payments/rolls/{month}/approve", post(payments::approve))
        .route("/payments/rolls/{month}/export", get(payments::export))
        .route("/payments/rolls/{month}/returns", post(payments::returns))
        .route("/cases", get(applications::list_cases))
        .route("/cases/{id}", get(applications::show_case))
        .route("/cases/{id}/stop", post(applications::stop_case))
        .route("/cases/{id}/events", post(applications::case_event))
        .route("/cases/{id}/changes", get(applications::case_changes))
        .route("/reviews", get(applications::reviews))
        .route("/ledger/imports", post(ledger::import))
        .route("/ledger/export", get(ledger::export))
        .route("/temporary", post(temporary::create).get(temporary::list))
        .route("/temporary/batches", post(temporary::batch))
        .route("/temporary/{id}/decision", post(temporary::decide))
        .route("/sources/loads", get(verification::loads))
        .route("/sources/{source}/loads", post(verification::load))
        .route("/verification/runs", post(verification::run))
        .route("/verification/findings", get(verification::list))
        .route("/verification/findings/{id}", get(verification::show))
        .route(
            "/verification/findings/{id}/decision",
            post(verification::decide),
        )
        .route("/verification/precision", get(verification::precision))
        .route("/staff", post(verification::add_staff))
        .route("/staff/{id}/relatives", post(verification::add_relative))
        .route("/tasks", get(verification::list_tasks))
        .route("/tasks/{id}/visit", post(verification::visit))
        .route("/tasks/{id}/close", post(verification::close))
        .route("/standards", get(assistance::list))
        .route("/standards/proposals", post(assistance::propose))
        .route("/standards/{id}/approve", post(assistance::approve))
        .route("/targets", get(targets::list))
        .route("/targets/export", get(targets::export))
        .route("/targets/plans", post(targets::import))
        .route("/targets/evidence/{id}", get(targets::evidence))
        .route(
            "/targets/reports/{id}/evidence",
            post(targets::add_evidence),
        )
        .route("/targets/reports/{id}/decision", post(targets::decide))
        .route("/targets/{id}", get(targets::show))
        .route("/targets/{id}/reports", post(targets::report))
        .fallback(|| async { ApiError(AppError::NotFound("接口".into())) })
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
