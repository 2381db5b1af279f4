//! Indicators computed from the platform's own records, within the viewer's area scope.

use crate::app::assistance::standards;
use crate::app::{App, AppResult, Ctx};
use crate::args;
use crate::storage::Arg;
use chrono::{Datelike, NaiveDate};
use minzheng_domain::assistance::Standards;
use minzheng_domain::money::Fen;
use minzheng_domain::targets::Num;

/// The last day of a month "YYYY-MM".
pub fn month_end(month: &str) -> NaiveDate {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").expect("month");
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .expect("date");
    next.pred_opt().expect("date")
}

/// The months of `year` from January to `last` (inclusive).
pub fn months_to(year: i32, last: &str) -> Vec<String> {
    (1..=12)
        .map(|m| format!("{year}-{m:02}"))
        .filter(|m| m.as_str() <= last)
        .collect()
}

/// A standard in force at the end of each month (T08.1, T08.2).
pub async fn standard_series(
    app: &App,
    months: &[String],
    pick: fn(&Standards) -> Fen,
) -> AppResult<Vec<(String, Option<Num>)>> {
    let mut out = vec![];
    for m in months {
        let s = standards::in_force(app, month_end(m)).await?;
        out.push((m.clone(), s.map(|s| Num::yuan(pick(&s)))));
    }
    Ok(out)
}

/// At most this many households are listed in T08.3's drill-down (lowest first); the counts cover all of them.
pub const LIST_LIMIT: i64 = 1000;

/// One registry household of T08.3.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HouseholdIncome {
    pub household_id: String,
    pub area_code: String,
    pub town_code: String,
    /// The head of the household (户主), masked like a 公示: 张*明.
    pub head_name: String,
    /// Members living (status normal).
    pub members: i64,
    /// Yuan per month: the members' incomes as the registry holds them.
    pub monthly_income: String,
    /// Yuan per month: the assistance in payment in the judging month (0 for a household without assistance).
    pub monthly_benefit: String,
    /// Yuan per person per year: (income + assistance) × 12 ÷ members, rounded down to the fen.
    pub annual_per_capita: String,
    #[serde(skip)]
    pub annual: Option<Num>,
}

/// T08.3 over every registry household in the caller's scope, assisted or not.
#[derive(Debug, Clone, Default)]
pub struct IncomeFloor {
    pub households: i64,
    /// Households below the line: the 漏保 leads.
    pub below: i64,
    pub floor: Option<Num>,
    /// Per town: (town, households, below, floor).
    pub by_town: Vec<(String, i64, i64, Option<Num>)>,
    /// The households below the line (or all, on request), lowest first, at most [`LIST_LIMIT`].
    pub listed: Vec<HouseholdIncome>,
}

/// The per-household figures as a CTE `fig` (id, area_code, town_code, n, income, benefit, annual): the members
/// living and their registry income, plus the assistance in force in `$1` (the case's latest change effective by
/// then, else its decision), annual in fen per person rounded down. `$3` is the scope's parameter, if any.
fn fig_cte(hcond: &str, ccond: &str) -> String {
    format!(
        "WITH hh AS (\
           SELECT p.household_id AS id, h.area_code, h.town_code, CAST(SUM(p.monthly_income) AS BIGINT) AS income, COUNT(*) AS n \
           FROM households h JOIN persons p ON p.household_id = h.id \
           WHERE p.status = 'normal' AND {hcond} GROUP BY p.household_id, h.area_code, h.town_code), \
         ben AS (\
           SELECT c.household_id AS id, CAST(SUM(COALESCE(\
             (SELECT x.new_amount FROM case_changes x WHERE x.case_id = c.id AND x.outcome <> 'stop' AND x.effective_month <= $1 \
              ORDER BY x.effective_month DESC, x.created_at DESC LIMIT 1), a.monthly_amount, c.monthly_amount)) AS BIGINT) AS benefit \
           FROM cases c LEFT JOIN applications a ON a.id = c.application_id \
           WHERE c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $1) AND {ccond} GROUP BY c.household_id), \
         fig AS (\
           SELECT hh.id, hh.area_code, hh.town_code, hh.n, hh.income, COALESCE(ben.benefit, 0) AS benefit, \
             (hh.income + COALESCE(ben.benefit, 0)) * 12 / hh.n AS annual \
           FROM hh LEFT JOIN ben ON ben.id = hh.id) "
    )
}

/// T08.3 as TARGETS.md defines it: every registry household (assisted or not) in the caller's scope, its
/// per-capita annual income (registry income + assistance in payment in `month`) × 12 ÷ members, compared with
/// `line` yuan a year. Two statements whatever the city's size: the aggregate per town, and the list.
pub async fn income_floor(
    app: &App,
    ctx: &Ctx,
    month: &str,
    line: Num,
    all: bool,
) -> AppResult<IncomeFloor> {
    let line_fen = Fen::parse_yuan(&line.display(2)).map_or(i64::MAX, |f| f.0);
    let (hcond, scope) = ctx
        .actor
        .scope_filter()
        .sql("h.area_code", "h.town_code", 3);
    let (ccond, _) = ctx
        .actor
        .scope_filter()
        .sql("c.area_code", "c.town_code", 3);
    let mut params: Vec<Arg> = args![month, line_fen];
    params.extend(scope);
    let cte = fig_cte(&hcond, &ccond);
    let towns: Vec<(String, i64, i64, Option<i64>)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "{cte}SELECT town_code, COUNT(*), CAST(SUM(CASE WHEN annual < $2 THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(MIN(annual) AS BIGINT) FROM fig GROUP BY town_code ORDER BY town_code"
            ),
            params.clone(),
        )
        .await?;
    let filter = if all { "1 = 1" } else { "fig.annual < $2" };
    // (household, village, town, members, income, benefit, annual, head)
    type Listed = (String, String, String, i64, i64, i64, i64, Option<String>);
    let rows: Vec<Listed> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "{cte}SELECT fig.id, fig.area_code, fig.town_code, fig.n, fig.income, fig.benefit, fig.annual, \
                 (SELECT p.name FROM persons p WHERE p.household_id = fig.id AND p.status = 'normal' \
                  ORDER BY CASE WHEN p.relation = 'self' THEN 0 ELSE 1 END, p.birth_date, p.id LIMIT 1) \
                 FROM fig WHERE {filter} ORDER BY fig.annual, fig.id LIMIT {LIST_LIMIT}"
            ),
            params,
        )
        .await?;
    let fen_year = |f: i64| Num::ratio(i128::from(f), 100);
    let mut out = IncomeFloor {
        by_town: towns
            .iter()
            .map(|(t, n, b, f)| (t.clone(), *n, *b, f.map(fen_year)))
            .collect(),
        households: towns.iter().map(|t| t.1).sum(),
        below: towns.iter().map(|t| t.2).sum(),
        floor: towns.iter().filter_map(|t| t.3).min().map(fen_year),
        listed: vec![],
    };
    out.listed = rows
        .into_iter()
        .map(|(id, area, town, n, income, benefit, annual, head)| {
            let annual = fen_year(annual);
            HouseholdIncome {
                household_id: id,
                area_code: area,
                town_code: town,
                head_name: mask_name(head.as_deref().unwrap_or("")),
                members: n,
                monthly_income: Fen(income).to_string(),
                monthly_benefit: Fen(benefit).to_string(),
                annual_per_capita: annual.display(2),
                annual: Some(annual),
            }
        })
        .collect();
    Ok(out)
}

/// 张*明 — names in target drill-downs are masked like a 公示.
pub fn mask_name(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    match c.len() {
        0 | 1 => name.into(),
        2 => format!("{}*", c[0]),
        n => format!("{}{}{}", c[0], "*".repeat(n - 2), c[n - 1]),
    }
}

/// The indicators computed from the welfare lines' own records (elderly institutions, children's facilities, safety),
/// each one aggregate query within the viewer's scope: (metric code, what it is). The elderly line's community
/// facilities and services add theirs (`elderly::metrics::METRICS`), listed by [`line_metrics`].
pub const LINE_METRICS: [(&str, &str); 8] = [
    (
        "safety.infections",
        "本年度民政服务机构登记的机构内感染病例数（安全与防疫）",
    ),
    (
        "institutions.new_beds",
        "本年度养老机构床位增加数（床位变更记录中增加的床位合计）",
    ),
    (
        "institutions.beds_per_1000",
        "养老机构床位总数 ÷ 居民信息库中60周岁及以上老人数 × 1000",
    ),
    (
        "institutions.nursing_share",
        "养老机构护理型床位 ÷ 床位总数",
    ),
    (
        "institutions.social_share",
        "社会力量举办或经营（民办、公建民营）的养老床位 ÷ 床位总数",
    ),
    (
        "children.care_homes",
        "已登记“关爱之家”的镇(街道) ÷ 全部镇(街道)",
    ),
    (
        "children.service_stations",
        "已登记儿童服务站的村(社区) ÷ 全部村(社区)",
    ),
    (
        "safety.open_major_hazards",
        "养老机构未整改的重大安全隐患数",
    ),
];

/// Every line metric: [`LINE_METRICS`] and the elderly line's.
pub fn line_metrics() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    LINE_METRICS
        .iter()
        .chain(crate::app::elderly::metrics::METRICS.iter())
}

/// The drill-down of a metric of [`LINE_METRICS`]: its figure per town in the viewer's scope and the page listing
/// the records (institutions, safety); `None` for a metric without one.
pub async fn line_figure(
    app: &App,
    ctx: &Ctx,
    metric: &str,
    on: NaiveDate,
) -> AppResult<Option<crate::app::elderly::metrics::Figure>> {
    use crate::app::elderly::metrics::{Figure, by_town, count_figure, share_figure};
    use chrono::Datelike;
    let y0 = NaiveDate::from_ymd_opt(on.year(), 1, 1).expect("date");
    let year = || vec![crate::storage::Arg::from(y0), crate::storage::Arg::from(on)];
    let (area, town) = ("o.area_code", "o.town_code");
    Ok(Some(match metric {
        "safety.infections" => count_figure(
            by_town(app, ctx, |c| format!(
                "SELECT o.town_code, COUNT(*), CAST(COALESCE(SUM(i.infected), 0) AS BIGINT) FROM safety_incidents i \
                 JOIN organisations o ON o.id = i.organisation_id WHERE i.occurred_on >= $1 AND i.occurred_on <= $2 \
                 AND {c} GROUP BY o.town_code ORDER BY o.town_code"), area, town, year()).await?,
            "安全事件登记的机构内感染病例".into(),
            "/safety",
        ),
        "institutions.new_beds" => count_figure(
            by_town(app, ctx, |c| format!(
                "SELECT o.town_code, COUNT(*), CAST(COALESCE(SUM(b.added), 0) AS BIGINT) FROM institution_beds b \
                 JOIN organisations o ON o.id = b.organisation_id WHERE b.added > 0 AND b.changed_on >= $1 \
                 AND b.changed_on <= $2 AND {c} GROUP BY o.town_code ORDER BY o.town_code"), area, town, year()).await?,
            "床位变更记录中增加的床位".into(),
            "/institutions",
        ),
        "institutions.nursing_share" | "institutions.social_share" => {
            let part = if metric == "institutions.nursing_share" {
                "i.beds_nursing"
            } else {
                "CASE WHEN i.ownership <> 'public' THEN i.beds_total ELSE 0 END"
            };
            share_figure(
                by_town(app, ctx, |c| format!(
                    "SELECT o.town_code, CAST(COALESCE(SUM(i.beds_total), 0) AS BIGINT), CAST(COALESCE(SUM({part}), 0) AS BIGINT) \
                     FROM institutions i JOIN organisations o ON o.id = i.organisation_id \
                     WHERE o.status = 'active' AND {c} GROUP BY o.town_code ORDER BY o.town_code"), area, town, vec![]).await?,
                "张床位",
                "/institutions",
            )
        }
        // a rate per thousand elderly residents: the institutions are the records, the towns' rates are not shares
        "institutions.beds_per_1000" => Figure {
            records: "/institutions",
            ..Figure::default()
        },
        "safety.open_major_hazards" => count_figure(
            by_town(app, ctx, |c| format!(
                "SELECT o.town_code, COUNT(*), COUNT(*) FROM safety_hazards h JOIN organisations o ON o.id = h.organisation_id \
                 WHERE h.status = 'open' AND h.grade = 'major' AND o.kind = 'elderly_institution' AND {c} \
                 GROUP BY o.town_code ORDER BY o.town_code"), area, town, vec![]).await?,
            "未整改的重大隐患".into(),
            "/safety",
        ),
        _ => return Ok(None),
    }))
}

/// One line metric on `on` (the year of `on` for yearly counts), scoped to the viewer: the figure and its note.
pub async fn line_metric(
    app: &App,
    ctx: &Ctx,
    metric: &str,
    on: NaiveDate,
) -> AppResult<(Option<Num>, String)> {
    use chrono::Datelike;
    let filter = ctx.actor.scope_filter();
    // organisations in scope, by their own area (a town or a village)
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 1);
    let mut args: Vec<crate::storage::Arg> = a.into_iter().collect();
    let n = args.len();
    let year_start = NaiveDate::from_ymd_opt(on.year(), 1, 1).expect("date");
    let mut conn = app.db.conn();
    let day = |d: NaiveDate| d.format("%Y年%-m月%-d日").to_string();
    Ok(match metric {
        "safety.infections" => {
            args.push(year_start.into());
            args.push(on.into());
            let v: i64 = conn
                .scalar(
                    &format!(
                        "SELECT CAST(COALESCE(SUM(i.infected), 0) AS BIGINT) FROM safety_incidents i \
                         JOIN organisations o ON o.id = i.organisation_id WHERE {cond} \
                         AND i.occurred_on >= ${} AND i.occurred_on <= ${}",
                        n + 1,
                        n + 2
                    ),
                    args,
                )
                .await?;
            (
                Some(Num::int(v)),
                format!("{}至{}登记的感染病例", day(year_start), day(on)),
            )
        }
        "institutions.new_beds" => {
            args.push(year_start.into());
            args.push(on.into());
            let v: i64 = conn
                .scalar(
                    &format!(
                        "SELECT CAST(COALESCE(SUM(b.added), 0) AS BIGINT) FROM institution_beds b \
                         JOIN organisations o ON o.id = b.organisation_id WHERE {cond} AND b.added > 0 \
                         AND b.changed_on >= ${} AND b.changed_on <= ${}",
                        n + 1,
                        n + 2
                    ),
                    args,
                )
                .await?;
            (
                Some(Num::int(v)),
                format!("{}至{}床位变更记录", day(year_start), day(on)),
            )
        }
        "institutions.beds_per_1000"
        | "institutions.nursing_share"
        | "institutions.social_share" => {
            let (total, nursing, social): (i64, i64, i64) = conn
                .fetch_one(
                    &format!(
                        "SELECT CAST(COALESCE(SUM(i.beds_total), 0) AS BIGINT), CAST(COALESCE(SUM(i.beds_nursing), 0) AS BIGINT), \
                         CAST(COALESCE(SUM(CASE WHEN i.ownership <> 'public' THEN i.beds_total ELSE 0 END), 0) AS BIGINT) \
                         FROM institutions i JOIN organisations o ON o.id = i.organisation_id \
                         WHERE {cond} AND o.status = 'active'"
                    ),
                    args.clone(),
                )
                .await?;
            match metric {
                "institutions.nursing_share" => (
                    Num::percent(nursing, total),
                    format!("已备案养老机构床位 {total} 张，护理型 {nursing} 张"),
                ),
                "institutions.social_share" => (
                    Num::percent(social, total),
                    format!("已备案养老机构床位 {total} 张，社会力量举办或经营 {social} 张"),
                ),
                _ => {
                    let (pcond, pa) = filter.sql("p.area_code", "p.town_code", 2);
                    let mut pargs: Vec<crate::storage::Arg> =
                        vec![(on - chrono::Months::new(12 * 60)).into()];
                    pargs.extend(pa);
                    let elderly: i64 = conn
                        .scalar(
                            &format!(
                                "SELECT COUNT(*) FROM persons p WHERE p.status = 'normal' AND p.birth_date <= $1 AND {pcond}"
                            ),
                            pargs,
                        )
                        .await?;
                    (
                        (elderly > 0)
                            .then(|| Num::ratio(i128::from(total) * 1000, i128::from(elderly))),
                        format!("床位 {total} 张，60周岁及以上老人 {elderly} 人"),
                    )
                }
            }
        }
        "children.care_homes" | "children.service_stations" => {
            let (kind, level, what) = if metric == "children.care_homes" {
                ("children_care_home", "town", "镇(街道)")
            } else {
                ("children_service_station", "village", "村(社区)")
            };
            let areas = app.areas();
            let scope: Vec<String> = areas
                .all()
                .filter(|x| x.level == level && ctx.actor.in_scope(&x.code))
                .map(|x| x.code.clone())
                .collect();
            let col = if level == "town" {
                "o.town_code"
            } else {
                "o.area_code"
            };
            args.push(kind.into());
            let covered: Vec<(String,)> = conn
                .fetch_all(
                    &format!(
                        "SELECT DISTINCT {col} FROM organisations o WHERE {cond} AND o.kind = ${} AND o.status = 'active'",
                        n + 1
                    ),
                    args,
                )
                .await?;
            let have = covered.iter().filter(|c| scope.contains(&c.0)).count() as i64;
            let all = scope.len() as i64;
            (
                Num::percent(have, all),
                format!("{all} 个{what}中 {have} 个已登记"),
            )
        }
        "safety.open_major_hazards" => {
            let v: i64 = conn
                .scalar(
                    &format!(
                        "SELECT COUNT(*) FROM safety_hazards h JOIN organisations o ON o.id = h.organisation_id \
                         WHERE {cond} AND h.status = 'open' AND h.grade = 'major' AND o.kind = 'elderly_institution'"
                    ),
                    args,
                )
                .await?;
            (Some(Num::int(v)), format!("{} 未整改的重大隐患", day(on)))
        }
        m => match crate::app::elderly::metrics::figure(app, ctx, m, on).await? {
            Some(f) => (f.value, f.note),
            None => (None, String::new()),
        },
    })
}
