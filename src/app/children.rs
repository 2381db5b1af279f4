//! Children's welfare (儿童福利): who a child is (LINES-API §2), by the pure rule in `minzheng_domain::children`.

use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use minzheng_domain::children::{self, Classification};
use serde_json::Value;

/// The stateless classification: nothing is stored.
pub fn classify(app: &App, ctx: &Ctx, body: &Value) -> AppResult<Classification> {
    ctx.actor.require(Permission::UseRules)?;
    let input = children::validate_classify(body, app.today())
        .map_err(|e| AppError::invalid(&e.field, e.message))?;
    Ok(children::classify(&input))
}
