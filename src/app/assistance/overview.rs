//! Caseload and spending for the overview charts, within the caller's scope.

use crate::app::authz::Permission;
use crate::app::{App, AppResult, Ctx};
use minzheng_domain::assistance::workflow::Stage;

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// [town name, active cases, persons covered]
    pub by_town: Vec<(String, i64, i64)>,
    /// [category label, active cases, monthly amount in yuan]
    pub by_category: Vec<(String, i64, i64)>,
    /// [month, yuan paid] from approved rolls
    pub by_month: Vec<(String, i64)>,
    /// [stage label, open applications]
    pub by_stage: Vec<(String, i64)>,
}

pub async fn overview(app: &App, ctx: &Ctx) -> AppResult<Overview> {
    ctx.actor.require(Permission::ReadAssistance)?;
    let areas = app.areas();
    let (cond, a) = ctx
        .actor
        .scope_filter()
        .sql("c.area_code", "c.town_code", 1);
    let a: Vec<_> = a.into_iter().collect();
    let mut conn = app.db.conn();
    let towns: Vec<(String, i64, i64)> = conn
        .fetch_all(
            &format!(
                "SELECT c.town_code, COUNT(DISTINCT c.id), COUNT(cm.person_id) FROM cases c LEFT JOIN case_members cm ON cm.case_id = c.id \
                 WHERE c.status <> 'stopped' AND {cond} GROUP BY c.town_code ORDER BY c.town_code"
            ),
            a.clone(),
        )
        .await?;
    let cats: Vec<(String, i64, i64)> = conn
        .fetch_all(
            &format!("SELECT c.category, COUNT(*), CAST(COALESCE(SUM(c.monthly_amount), 0) AS BIGINT) FROM cases c WHERE c.status <> 'stopped' AND {cond} GROUP BY c.category ORDER BY c.category"),
            a.clone(),
        )
        .await?;
    let (lcond, la) = ctx
        .actor
        .scope_filter()
        .sql("l.area_code", "l.town_code", 1);
    let months: Vec<(String, i64)> = conn
        .fetch_all(
            &format!(
                "SELECT r.month, CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM payment_rolls r JOIN payment_lines l ON l.roll_id = r.id \
                 WHERE r.status = 'approved' AND {lcond} GROUP BY r.month ORDER BY r.month"
            ),
            la.into_iter().collect(),
        )
        .await?;
    let (acond, aa) = ctx.actor.scope_filter().sql("area_code", "town_code", 1);
    let mut stages: Vec<(String, i64)> = conn
        .fetch_all(&format!("SELECT stage, COUNT(*) FROM applications WHERE stage NOT IN ('approved', 'refused') AND {acond} GROUP BY stage"), aa.into_iter().collect())
        .await?;
    // Open work in workflow order (申请 → 受理 → 调查 → … → 市局公示), not in the database's order.
    stages.sort_by_key(|(s, _)| {
        Stage::ALL
            .iter()
            .position(|x| x.code() == s.as_str())
            .unwrap_or(Stage::ALL.len())
    });
    Ok(Overview {
        by_town: towns
            .into_iter()
            .map(|(t, n, p)| (areas.name(&t), n, p))
            .collect(),
        by_category: cats
            .into_iter()
            .map(|(c, n, s)| {
                (
                    super::applications::category_label(&c).to_string(),
                    n,
                    s / 100,
                )
            })
            .collect(),
        by_month: months.into_iter().map(|(m, s)| (m, s / 100)).collect(),
        by_stage: stages
            .into_iter()
            .map(|(s, n)| {
                (
                    Stage::from_code(&s)
                        .map(|x| x.label())
                        .unwrap_or("")
                        .to_string(),
                    n,
                )
            })
            .collect(),
    })
}
