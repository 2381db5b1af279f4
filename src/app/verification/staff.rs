//! The staff and cadre registry with the close relatives they registered (近亲属备案), which 人情保 checks against and
//! which makes every application of a registered relative a city spot check.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{new_id, now, persons};
use chrono::NaiveDate;

pub const POSTS: [(&str, &str); 3] = [
    ("civil_affairs", "民政工作人员"),
    ("village_cadre", "村(居)干部"),
    ("grid_worker", "网格员"),
];

pub fn post_label(code: &str) -> &'static str {
    POSTS
        .iter()
        .find(|p| p.0 == code)
        .map(|p| p.1)
        .unwrap_or("工作人员")
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewStaff {
    /// The staff member's identity number (must be in the registry).
    pub id_number: String,
    /// civil_affairs, village_cadre or grid_worker
    pub post: String,
    /// Where the person works (inside the caller's scope).
    pub area_code: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewRelative {
    pub id_number: String,
    /// spouse, parent, child, sibling, …
    pub relation: String,
    /// Default today.
    pub registered_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StaffRow {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub post: String,
    pub area_code: String,
    pub relatives: i64,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RelativeRow {
    pub id: String,
    pub staff_id: String,
    pub person_id: String,
    pub name: String,
    pub relation: String,
    pub registered_on: NaiveDate,
}

/// The person with this number; with `scope`, only inside that user's area (a staff member works in the caller's
/// area; a relative may live anywhere in the city).
async fn person_by_number(
    tx: &mut crate::storage::Tx,
    scope: Option<&crate::app::authz::Actor>,
    field: &str,
    id_number: &str,
) -> AppResult<persons::PersonRow> {
    let n = id_number.trim().to_ascii_uppercase();
    if n.is_empty() {
        return Err(AppError::invalid(field, "请填写身份证号"));
    }
    // a person chosen with the picker comes as the registry id, a typed one as the identity number
    let found = if n.len() == 36 && n.contains('-') {
        persons::get_tx(tx, &n.to_ascii_lowercase()).await?
    } else {
        persons::by_id_number_tx(tx, &n).await?
    };
    match found {
        Some(p) if scope.is_none_or(|s| s.in_scope(&p.area_code)) => Ok(p),
        // a person outside the caller's area is answered like a missing one
        _ => Err(AppError::invalid(
            field,
            "您的辖区居民信息库中没有该身份证号，请先登记人员",
        )),
    }
}

pub async fn add(app: &App, ctx: &Ctx, n: NewStaff) -> AppResult<StaffRow> {
    ctx.actor.require(Permission::HandleFindings)?;
    if !POSTS.iter().any(|p| p.0 == n.post) {
        return Err(AppError::invalid(
            "post",
            "岗位应为 civil_affairs、village_cadre 或 grid_worker",
        ));
    }
    let areas = app.areas();
    let Some(area) = areas.get(&n.area_code) else {
        return Err(AppError::invalid("area_code", "工作地区代码不存在"));
    };
    if !ctx.actor.in_scope(&n.area_code) {
        return Err(AppError::invalid("area_code", "工作地区不在您的管辖范围内"));
    }
    let town = if area.level == "village" {
        area.parent_code.clone().unwrap_or_default()
    } else {
        n.area_code.clone()
    };
    let mut tx = app.db.begin().await?;
    let p = person_by_number(&mut tx, Some(&ctx.actor), "id_number", &n.id_number).await?;
    let exists: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM staff WHERE person_id = $1",
            args![&p.id],
        )
        .await?;
    if exists > 0 {
        return Err(AppError::conflict("id_number", "该人员已在工作人员名册中"));
    }
    let id = new_id();
    tx.execute(
        "INSERT INTO staff (id, person_id, post, area_code, town_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&id, &p.id, &n.post, &n.area_code, &town, &ctx.actor.username, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("staff.add", "staff", &id)
            .area(&n.area_code)
            .after(serde_json::json!({"person_id": p.id, "post": n.post})),
    )
    .await?;
    tx.commit().await?;
    Ok(StaffRow {
        id,
        person_id: p.id,
        name: p.name,
        post: n.post,
        area_code: n.area_code,
        relatives: 0,
    })
}

pub async fn add_relative(
    app: &App,
    ctx: &Ctx,
    staff_id: &str,
    n: NewRelative,
) -> AppResult<RelativeRow> {
    ctx.actor.require(Permission::HandleFindings)?;
    if n.relation.trim().is_empty() {
        return Err(AppError::invalid("relation", "请填写亲属关系"));
    }
    let mut tx = app.db.begin().await?;
    let st: Option<(String,)> = tx
        .fetch_optional("SELECT area_code FROM staff WHERE id = $1", args![staff_id])
        .await?;
    match st {
        Some((a,)) if ctx.actor.in_scope(&a) => {}
        _ => return Err(AppError::NotFound("工作人员".into())),
    }
    let p = person_by_number(&mut tx, None, "id_number", &n.id_number).await?;
    let dup: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM staff_relatives WHERE staff_id = $1 AND person_id = $2",
            args![staff_id, &p.id],
        )
        .await?;
    if dup > 0 {
        return Err(AppError::conflict("id_number", "该近亲属已备案"));
    }
    let id = new_id();
    let on = n.registered_on.unwrap_or(app.today());
    tx.execute(
        "INSERT INTO staff_relatives (id, staff_id, person_id, relation, registered_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&id, staff_id, &p.id, n.relation.trim(), on, &ctx.actor.username, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("staff.relative", "staff", staff_id)
            .after(serde_json::json!({"person_id": p.id, "relation": n.relation.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(RelativeRow {
        id,
        staff_id: staff_id.into(),
        person_id: p.id,
        name: p.name,
        relation: n.relation.trim().into(),
        registered_on: on,
    })
}

pub async fn list(app: &App, ctx: &Ctx) -> AppResult<(Vec<StaffRow>, Vec<RelativeRow>)> {
    ctx.actor.require(Permission::ReadVerification)?;
    let (cond, a) = ctx
        .actor
        .scope_filter()
        .sql("s.area_code", "s.town_code", 1);
    let staff: Vec<StaffRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT s.id, s.person_id, p.name, s.post, s.area_code, (SELECT COUNT(*) FROM staff_relatives r WHERE r.staff_id = s.id) AS relatives \
                 FROM staff s JOIN persons p ON p.id = s.person_id WHERE {cond} ORDER BY s.area_code, p.name LIMIT 1000"
            ),
            a.clone().into_iter().collect(),
        )
        .await?;
    let rel: Vec<RelativeRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT r.id, r.staff_id, r.person_id, p.name, r.relation, r.registered_on FROM staff_relatives r \
                 JOIN staff s ON s.id = r.staff_id JOIN persons p ON p.id = r.person_id WHERE {cond} ORDER BY r.staff_id, p.name LIMIT 5000"
            ),
            a.into_iter().collect(),
        )
        .await?;
    Ok((staff, rel))
}
