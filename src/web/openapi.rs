//! OpenAPI 3.1 at /api/openapi.json (public) and the API docs page at /api/docs, served offline.

use crate::app::App;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "民政云平台 API", description = "江阴市民政局 民政云平台。除 /auth/token 外，所有接口都需要 `Authorization: Bearer TOKEN`。错误统一为 `{\"error\": \"中文说明\", \"field\": \"…\"}`。"),
    modifiers(&Bearer),
    tags((name = "auth", description = "登录令牌"), (name = "areas", description = "行政区划"), (name = "users", description = "用户管理"), (name = "persons", description = "居民信息库"), (name = "assistance", description = "社会救助"), (name = "targets", description = "年度工作目标"), (name = "verification", description = "核对与专项治理"), (name = "organisations", description = "机构和组织"), (name = "elderly", description = "养老服务"), (name = "children", description = "儿童福利"), (name = "disability", description = "残疾人两项补贴"), (name = "institutions", description = "养老机构"), (name = "safety", description = "安全与防疫"))
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
    // every path comes from the routes themselves: the platform's and every registered line's
    let mut doc = ApiDoc::openapi();
    doc.merge(super::api::routes().split_for_parts().1);
    doc.merge(super::api::user_routes().split_for_parts().1);
    doc.merge(super::api::policy_routes().split_for_parts().1);
    doc.merge(super::lines::api().split_for_parts().1);
    let swagger: Router<App> = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", doc)
        .into();
    swagger
}
