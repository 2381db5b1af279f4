//! OpenAPI 3.1 at /api/openapi.json (public) and the API docs page at /api/docs, served offline.

use super::api;
use crate::app::App;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "民政云平台 API", description = "江阴市民政局 民政云平台。除 /auth/token 外，所有接口都需要 `Authorization: Bearer TOKEN`。错误统一为 `{\"error\": \"中文说明\", \"field\": \"…\"}`。"),
    paths(
        api::auth::create_token, api::auth::revoke_current, api::areas::list, api::users::create, api::users::list,
        api::persons::list, api::persons::show, api::persons::create, api::persons::update, api::persons::household,
        api::persons::create_household, api::persons::stats, api::persons::export,
        api::assistance::assess, api::assistance::list, api::assistance::propose, api::assistance::approve,
        api::applications::create, api::applications::list, api::applications::show, api::applications::act,
        api::applications::missing_materials,
        api::applications::list_cases, api::applications::show_case, api::applications::stop_case,
        api::applications::case_event, api::applications::case_changes, api::applications::reviews,
        api::ledger::import, api::ledger::export,
        api::temporary::create, api::temporary::list, api::temporary::decide, api::temporary::batch,
        api::payments::generate, api::payments::list, api::payments::show, api::payments::lines, api::payments::approve,
        api::payments::export, api::payments::returns,
        api::targets::list, api::targets::show, api::targets::import, api::targets::report, api::targets::add_evidence,
        api::targets::decide, api::targets::evidence, api::targets::export,
        api::verification::load, api::verification::loads, api::verification::run, api::verification::list,
        api::verification::show, api::verification::decide, api::verification::precision, api::verification::add_staff,
        api::verification::add_relative, api::verification::list_tasks, api::verification::visit, api::verification::close,
    ),
    modifiers(&Bearer),
    tags((name = "auth", description = "登录令牌"), (name = "areas", description = "行政区划"), (name = "users", description = "用户管理"), (name = "persons", description = "居民信息库"), (name = "assistance", description = "社会救助"), (name = "targets", description = "年度工作目标"), (name = "verification", description = "核对与专项治理"), (name = "organisations", description = "机构和组织"), (name = "elderly", description = "养老服务"), (name = "children", description = "儿童福利"))
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<App> {
    // the core document, and every registered line's paths from the routes themselves
    let mut doc = ApiDoc::openapi();
    doc.merge(super::lines::api().split_for_parts().1);
    let swagger: Router<App> = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", doc)
        .into();
    swagger
}
