//! The assessment (评估): stateless, the same rules the application workflow uses.

use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use minzheng_domain::assistance::{AssessmentResponse, FieldError, assess, validate};

pub enum AssessError {
    Field(FieldError),
    App(AppError),
}

impl From<AppError> for AssessError {
    fn from(e: AppError) -> Self {
        AssessError::App(e)
    }
}

/// Validates the request (first bad field named), then applies the standards in force on `as_of`.
pub async fn run(
    app: &App,
    ctx: &Ctx,
    body: &serde_json::Value,
) -> Result<AssessmentResponse, AssessError> {
    ctx.actor.require(Permission::ReadRegistry)?;
    let areas = app.areas();
    let city = areas.city_code.clone();
    let req = validate(body, app.today(), |code| {
        code.starts_with(&city) && areas.get(code).is_some()
    })
    .map_err(AssessError::Field)?;
    let s = super::standards::in_force(app, req.as_of)
        .await?
        .ok_or_else(|| {
            AssessError::Field(FieldError::new(
                "as_of",
                format!("{} 没有生效的救助标准", req.as_of),
            ))
        })?;
    Ok(assess(&req, &s))
}

pub fn field_error(e: FieldError) -> AppError {
    AppError::invalid(&e.field, e.message)
}

pub async fn run_app(
    app: &App,
    ctx: &Ctx,
    body: &serde_json::Value,
) -> AppResult<AssessmentResponse> {
    run(app, ctx, body).await.map_err(|e| match e {
        AssessError::Field(f) => field_error(f),
        AssessError::App(a) => a,
    })
}
