//! 安全与防疫: the service institutions with their open and escalated hazards, and one institution's safety page with
//! the checklist inspection, hazards (closed with photos), closed management, screening logs and incidents.

use super::filters;
use super::institutions::{date, number, split_names};
use super::{AreaOption, Nav, area_options, enc, render};
use crate::app::authz::Permission;
use crate::app::safety::{
    self, CheckAnswer, CloseIncident, EndClosure, HazardItem, HazardQuery, NewClosure, NewHazard,
    NewIncident, NewInspection, NewScreening, SafetyItem, SafetyQuery, SafetyView,
};
use crate::app::{App, AppError};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use minzheng_domain::orgs::OrgKind;
use minzheng_domain::safety::{CheckItem, HazardGrade, ScreeningGroup, is_service_institution};

pub const LINE: Line = Line {
    code: "safety",
    name: "安全与防疫",
    api: crate::web::api::safety::routes,
    read: Permission::ReadSafety,
    pages,
    menu: &[MenuItem {
        label: "机构安全与防疫",
        href: "/safety",
        permission: Permission::ReadSafety,
    }],
};

fn pages() -> Router<App> {
    Router::new()
        .route("/safety", get(list))
        .route("/safety/organisations/{id}", get(show))
        .route("/safety/organisations/{id}/act/{action}", post(act))
        .route(
            "/safety/organisations/{id}/hazards/{hazard}/close",
            post(close_hazard),
        )
        .route("/safety/photos/{id}", get(photo))
}

#[derive(Template)]
#[template(path = "safety.html")]
struct ListPage {
    nav: Nav,
    items: Vec<SafetyItem>,
    escalated: Vec<HazardItem>,
    total: i64,
    page: i64,
    pages: i64,
    areas: Vec<AreaOption>,
    kinds: Vec<(&'static str, &'static str)>,
    q: ListQuery,
    more: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    kind: String,
    page: Option<i64>,
}

async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let r = safety::list(
        &app,
        &p.ctx,
        &SafetyQuery {
            q: Some(q.q.clone()),
            area: Some(q.area.clone()),
            kind: Some(q.kind.clone()),
            page: q.page,
        },
    )
    .await?;
    let escalated = safety::escalated(
        &app,
        &p.ctx,
        &HazardQuery {
            area: Some(q.area.clone()),
            grade: None,
        },
    )
    .await?;
    render(&ListPage {
        nav: Nav::of(&app, &p),
        items: r.items,
        escalated,
        total: r.total,
        page: r.page,
        pages: r.pages,
        areas: area_options(&app, &p),
        kinds: OrgKind::ALL
            .iter()
            .filter(|k| is_service_institution(**k))
            .map(|k| (k.code(), k.label()))
            .collect(),
        more: format!(
            "q={}&area={}&kind={}",
            enc(&q.q),
            enc(&q.area),
            enc(&q.kind)
        ),
        q,
    })
}

#[derive(Template)]
#[template(path = "safety_org.html")]
struct ShowPage {
    nav: Nav,
    v: SafetyView,
    can_record: bool,
    can_screen: bool,
    items: Vec<(&'static str, &'static str)>,
    grades: Vec<(&'static str, &'static str)>,
    groups: Vec<(&'static str, &'static str)>,
    today: String,
    message: Option<String>,
    error: Option<String>,
}

async fn show_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let v = safety::get(app, &p.ctx, id).await?;
    let section = OrgKind::parse(&v.kind)
        .map(crate::app::organisations::section_of)
        .map(|s| p.ctx.actor.require_section(s).is_ok())
        .unwrap_or(false);
    render(&ShowPage {
        nav: Nav::of(app, p),
        can_record: section && p.ctx.actor.can(Permission::RecordSafety),
        can_screen: section && p.ctx.actor.can(Permission::RecordScreening),
        items: CheckItem::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        grades: HazardGrade::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        groups: ScreeningGroup::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        today: app.today().to_string(),
        v,
        message,
        error,
    })
}

async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    show_page(&app, &p, &id, None, None).await
}

/// The checklist arrives as `r_ITEM=passed|failed` and `n_ITEM=note`; everything else by its name.
async fn run(
    app: &App,
    p: &PageCtx,
    id: &str,
    action: &str,
    f: &[(String, String)],
) -> Result<&'static str, AppError> {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ctx = &p.ctx;
    match action {
        "inspect" => {
            let items = CheckItem::ALL
                .iter()
                .filter_map(|c| {
                    let r = get(&format!("r_{}", c.code()));
                    (!r.is_empty()).then(|| CheckAnswer {
                        item: c.code().into(),
                        passed: r == "passed",
                        note: get(&format!("n_{}", c.code())),
                    })
                })
                .collect();
            safety::inspect(
                app,
                ctx,
                id,
                NewInspection {
                    inspected_on: date("inspected_on", "检查日期", &get("inspected_on"))?,
                    inspectors: split_names(&get("inspectors")),
                    items,
                    note: get("note"),
                },
            )
            .await?;
            Ok("已登记安全检查")
        }
        "hazard" => {
            safety::add_hazard(
                app,
                ctx,
                id,
                NewHazard {
                    found_on: date("found_on", "发现日期", &get("found_on"))?,
                    grade: get("grade"),
                    description: get("description"),
                    deadline: date("deadline", "整改期限", &get("deadline"))?,
                    inspection_id: None,
                },
            )
            .await?;
            Ok("已登记隐患")
        }
        "closure" => {
            let ends = get("ends_on");
            safety::add_closure(
                app,
                ctx,
                id,
                NewClosure {
                    starts_on: date("starts_on", "封闭开始日期", &get("starts_on"))?,
                    ends_on: if ends.trim().is_empty() {
                        None
                    } else {
                        Some(date("ends_on", "封闭结束日期", &ends)?)
                    },
                    reason: get("reason"),
                },
            )
            .await?;
            Ok("已登记封闭管理")
        }
        "closure_end" => {
            let target = get("target");
            if !safety::get(app, ctx, id)
                .await?
                .closures
                .iter()
                .any(|c| c.id == target)
            {
                return Err(AppError::NotFound("封闭管理记录".into()));
            }
            safety::end_closure(
                app,
                ctx,
                &target,
                EndClosure {
                    ends_on: date("ends_on", "封闭结束日期", &get("ends_on"))?,
                },
            )
            .await?;
            Ok("已登记封闭管理结束")
        }
        "screening" => {
            safety::add_screening(
                app,
                ctx,
                id,
                NewScreening {
                    screened_on: date("screened_on", "筛查日期", &get("screened_on"))?,
                    group: get("group"),
                    screened: number("screened", "筛查人数", &get("screened"))?,
                    abnormal: number("abnormal", "异常人数", &get("abnormal"))?,
                    note: get("note"),
                },
            )
            .await?;
            Ok("已登记筛查")
        }
        "incident" => {
            safety::add_incident(
                app,
                ctx,
                id,
                NewIncident {
                    occurred_on: date("occurred_on", "发生日期", &get("occurred_on"))?,
                    infected: number("infected", "感染人数", &get("infected"))?,
                    measures: get("measures"),
                },
            )
            .await?;
            Ok("已登记感染事件")
        }
        "incident_close" => {
            let target = get("target");
            if !safety::get(app, ctx, id)
                .await?
                .incidents
                .iter()
                .any(|c| c.id == target)
            {
                return Err(AppError::NotFound("感染事件".into()));
            }
            safety::close_incident(
                app,
                ctx,
                &target,
                CloseIncident {
                    closed_on: date("closed_on", "结案日期", &get("closed_on"))?,
                    note: get("note"),
                },
            )
            .await?;
            Ok("感染事件已结案")
        }
        _ => Err(AppError::NotFound("操作".into())),
    }
}

async fn act(
    State(app): State<App>,
    p: PageCtx,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    match run(&app, &p, &id, &action, &f).await {
        Ok(msg) => show_page(&app, &p, &id, Some(msg.into()), None).await,
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => show_page(&app, &p, &id, None, Some(e.to_string())).await,
    }
}

async fn close_hazard(
    State(app): State<App>,
    p: PageCtx,
    Path((id, hazard)): Path<(String, String)>,
    m: Multipart,
) -> Result<Response, PageError> {
    let r = match crate::web::api::safety::read_closure(m).await {
        Ok(c) => match safety::hazard(&app, &p.ctx, &hazard).await {
            Ok(h) if h.organisation_id == id => {
                safety::close_hazard(&app, &p.ctx, &hazard, c).await
            }
            Ok(_) => Err(AppError::NotFound("隐患".into())),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => show_page(&app, &p, &id, Some("隐患已整改销号".into()), None).await,
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => show_page(&app, &p, &id, None, Some(e.to_string())).await,
    }
}

async fn photo(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (ct, bytes) = safety::photo(&app, &p.ctx, &id).await?;
    Ok(crate::web::api::institutions::file_response(ct, bytes))
}
