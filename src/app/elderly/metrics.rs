//! The 2020 plan's elderly-care indicators computed from this line's records (T16.5–T16.9, T16.11, T16.14, T16.16,
//! T17.1–T17.4), each within the viewer's area scope, with the figure per town (the drill-down) and the list page
//! behind it. Yearly counts take the year of the judging day, from 1 January to that day.

use crate::app::{App, AppResult, Ctx};
use crate::storage::Arg;
use chrono::{Datelike, Months, NaiveDate};
use minzheng_domain::elderly::community::is_rural_community;
use minzheng_domain::targets::Num;
use std::collections::BTreeMap;

/// (metric code, what it is) — appended to `targets::computed::LINE_METRICS`.
pub const METRICS: [(&str, &str); 14] = [
    (
        "elderly.new_day_care_centres",
        "本年度建成运营的镇(街)级老年人日间照料中心数（社区养老服务设施登记）",
    ),
    (
        "elderly.new_regional_meal_centres",
        "本年度建成运营的区域性老年人助餐中心数",
    ),
    (
        "elderly.meal_coverage_urban",
        "有在营助餐设施服务的城市社区（居委会）÷ 全部城市社区",
    ),
    (
        "elderly.meal_coverage_rural",
        "有在营助餐设施服务的农村社区（村委会）÷ 全部农村社区",
    ),
    (
        "elderly.standard_rate",
        "最近一次标配检查全部项目到位的在营社区养老服务设施 ÷ 全部在营社区养老服务设施（未检查的计为未到位）",
    ),
    ("elderly.new_smart", "本年度命名的智慧养老服务机构数"),
    (
        "elderly.carer_training_rate",
        "在岗养老护理员中本年度参加培训并合格的比例（按聘用机构所在区划）",
    ),
    ("elderly.volunteers", "判定日在册的养老服务志愿者人数"),
    (
        "elderly.assessment_rate",
        "在养老机构入住、接受居家养老援助或使用家庭照护床位的老人中，近12个月内做过能力评估的比例",
    ),
    (
        "elderly.new_service_orgs",
        "本年度登记的养老服务社会组织数（机构和组织登记，类别“养老服务社会组织”）",
    ),
    (
        "elderly.adaptations",
        "本年度验收的经济困难老年人家庭适老化改造户数",
    ),
    ("elderly.family_care_beds", "本年度签约的家庭照护床位数"),
    (
        "elderly.home_care_share",
        "判定日正在接受居家养老援助的老人 ÷ 居民信息库中60周岁及以上老人",
    ),
    (
        "elderly.demo_site_towns",
        "有一镇一品居家社区养老示范点的镇(街道) ÷ 全部镇(街道)",
    ),
];

/// One metric: the figure, its note, per town (town, count, part) and the page listing the records.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    pub value: Option<Num>,
    pub note: String,
    /// Per town in scope: (town code, whole or count, part). For counts the part is the count.
    pub by_town: Vec<(String, i64, i64)>,
    /// Whether the figure is a share (part ÷ whole) or a count.
    pub share: bool,
    pub records: &'static str,
}

/// `sql` with the scope's condition on `area_col`/`town_col` and the dates first: returns rows (town, whole, part).
pub(crate) async fn by_town(
    app: &App,
    ctx: &Ctx,
    sql: impl Fn(&str) -> String,
    area_col: &str,
    town_col: &str,
    dates: Vec<Arg>,
) -> AppResult<Vec<(String, i64, i64)>> {
    let n = dates.len();
    let (cond, a) = ctx.actor.scope_filter().sql(area_col, town_col, n + 1);
    let mut args = dates;
    args.extend(a);
    let rows: Vec<(String, i64, i64)> = app.db.conn().fetch_all(&sql(&cond), args).await?;
    Ok(rows)
}

pub(crate) fn count_figure(
    rows: Vec<(String, i64, i64)>,
    note: String,
    records: &'static str,
) -> Figure {
    let total: i64 = rows.iter().map(|r| r.2).sum();
    Figure {
        value: Some(Num::int(total)),
        note,
        by_town: rows,
        share: false,
        records,
    }
}

pub(crate) fn share_figure(
    rows: Vec<(String, i64, i64)>,
    what: &str,
    records: &'static str,
) -> Figure {
    let whole: i64 = rows.iter().map(|r| r.1).sum();
    let part: i64 = rows.iter().map(|r| r.2).sum();
    Figure {
        value: Num::percent(part, whole),
        note: format!("{whole} {what}中 {part}"),
        by_town: rows,
        share: true,
        records,
    }
}

/// A count of rows per town, as (town, n, n).
fn counted(select_from_where: &str, town: &str) -> String {
    format!("SELECT {town}, COUNT(*), COUNT(*) {select_from_where} GROUP BY {town} ORDER BY {town}")
}

/// The figure of `metric` on `on`, or `None` for a metric this line does not know.
pub async fn figure(
    app: &App,
    ctx: &Ctx,
    metric: &str,
    on: NaiveDate,
) -> AppResult<Option<Figure>> {
    let y0 = NaiveDate::from_ymd_opt(on.year(), 1, 1).expect("date");
    let day = |d: NaiveDate| d.format("%Y年%-m月%-d日").to_string();
    let period = format!("{}至{}", day(y0), day(on));
    let year = || vec![Arg::from(y0), Arg::from(on)];
    let fac = "FROM elderly_facilities f JOIN organisations o ON o.id = f.organisation_id";
    Ok(Some(match metric {
        "elderly.new_day_care_centres" => count_figure(
            by_town(app, ctx, |c| counted(&format!("{fac} WHERE o.kind = 'day_care_centre' AND f.level = 'town' \
                AND o.status = 'active' AND f.opened_on >= $1 AND f.opened_on <= $2 AND {c}"), "o.town_code"),
                "o.area_code", "o.town_code", year()).await?,
            format!("{period}建成运营的镇(街)级日间照料中心"),
            "/elderly/facilities?kind=day_care_centre",
        ),
        "elderly.new_regional_meal_centres" => count_figure(
            by_town(app, ctx, |c| counted(&format!("{fac} WHERE f.regional AND f.meals AND o.status = 'active' \
                AND f.opened_on >= $1 AND f.opened_on <= $2 AND {c}"), "o.town_code"),
                "o.area_code", "o.town_code", year()).await?,
            format!("{period}建成运营的区域性助餐中心"),
            "/elderly/facilities?kind=meal_point",
        ),
        "elderly.meal_coverage_urban" | "elderly.meal_coverage_rural" => {
            let rural = metric.ends_with("rural");
            let covered: Vec<(String,)> = app
                .db
                .conn()
                .fetch_all(
                    "SELECT DISTINCT s.area_code FROM elderly_facility_areas s JOIN elderly_facilities f ON f.organisation_id = s.organisation_id \
                     JOIN organisations o ON o.id = f.organisation_id WHERE f.meals AND o.status = 'active' AND f.opened_on <= $1",
                    crate::args![on],
                )
                .await?;
            let covered: std::collections::HashSet<String> = covered.into_iter().map(|c| c.0).collect();
            let areas = app.areas();
            let mut towns: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for a in areas.all().filter(|a| {
                a.level == "village" && ctx.actor.in_scope(&a.code) && is_rural_community(&a.name) == rural
            }) {
                let e = towns.entry(a.town_code.clone().unwrap_or_default()).or_default();
                e.0 += 1;
                e.1 += i64::from(covered.contains(&a.code));
            }
            share_figure(
                towns.into_iter().map(|(t, (w, p))| (t, w, p)).collect(),
                if rural { "个农村社区（村委会）" } else { "个城市社区（居委会）" },
                "/elderly/facilities",
            )
        }
        "elderly.standard_rate" => {
            let rows = by_town(app, ctx, |c| format!(
                "SELECT o.town_code, COUNT(*), CAST(COALESCE(SUM(CASE WHEN (SELECT k.met FROM elderly_standard_checks k \
                 WHERE k.organisation_id = o.id AND k.checked_on <= $1 ORDER BY k.checked_on DESC, k.created_at DESC LIMIT 1) = TRUE \
                 THEN 1 ELSE 0 END), 0) AS BIGINT) {fac} WHERE o.status = 'active' AND f.opened_on <= $1 AND {c} \
                 GROUP BY o.town_code ORDER BY o.town_code"),
                "o.area_code", "o.town_code", vec![Arg::from(on)]).await?;
            share_figure(rows, "个在营社区养老服务设施", "/elderly/facilities?standard=not_met")
        }
        "elderly.new_smart" => count_figure(
            by_town(app, ctx, |c| counted(&format!("FROM elderly_designations d JOIN organisations o ON o.id = d.organisation_id \
                WHERE d.kind = 'smart' AND d.named_on >= $1 AND d.named_on <= $2 AND (d.revoked_on IS NULL OR d.revoked_on > $2) AND {c}"), "o.town_code"),
                "o.area_code", "o.town_code", year()).await?,
            format!("{period}命名的智慧养老服务机构"),
            "/elderly/facilities#designations",
        ),
        "elderly.assessment_rate" => {
            let rows = by_town(app, ctx, |c| format!(
                "WITH t AS (SELECT person_id FROM institution_residents WHERE admitted_on <= $2 AND (discharged_on IS NULL OR discharged_on > $2) \
                   UNION SELECT person_id FROM home_care_grants WHERE starts_on <= $2 AND (ended_on IS NULL OR ended_on > $2) \
                   UNION SELECT person_id FROM family_care_beds WHERE contract_start <= $2 AND contract_end >= $2 AND (terminated_on IS NULL OR terminated_on > $2)) \
                 SELECT p.town_code, COUNT(*), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM capability_assessments a \
                   WHERE a.person_id = p.id AND a.assessed_on > $1 AND a.assessed_on <= $2) THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM t JOIN persons p ON p.id = t.person_id WHERE p.status = 'normal' AND {c} GROUP BY p.town_code ORDER BY p.town_code"),
                "p.area_code", "p.town_code", vec![Arg::from(on - Months::new(12)), Arg::from(on)]).await?;
            share_figure(rows, "名入住机构、接受援助或使用照护床位的老人", "/elderly/capability")
        }
        "elderly.carer_training_rate" => {
            let rows = by_town(app, ctx, |c| format!(
                "SELECT o.town_code, COUNT(*), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM elderly_carer_trainings t \
                 WHERE t.carer_id = k.id AND t.passed AND t.trained_on >= $1 AND t.trained_on <= $2) THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM elderly_carers k JOIN organisations o ON o.id = k.organisation_id \
                 WHERE k.hired_on <= $2 AND (k.left_on IS NULL OR k.left_on > $2) AND {c} GROUP BY o.town_code ORDER BY o.town_code"),
                "o.area_code", "o.town_code", year()).await?;
            share_figure(rows, "名在岗养老护理员中本年度培训合格", "/elderly/staff")
        }
        "elderly.volunteers" => count_figure(
            by_town(app, ctx, |c| counted(&format!("FROM elderly_volunteers v WHERE v.registered_on <= $1 \
                AND (v.left_on IS NULL OR v.left_on > $1) AND {c}"), "v.town_code"),
                "v.area_code", "v.town_code", vec![Arg::from(on)]).await?,
            format!("{}在册的志愿者", day(on)),
            "/elderly/staff",
        ),
        "elderly.new_service_orgs" => count_figure(
            by_town(app, ctx, |c| counted(&format!("FROM organisations o WHERE o.kind = 'elderly_service_org' AND o.status = 'active' \
                AND o.registered_on >= $1 AND o.registered_on <= $2 AND {c}"), "o.town_code"),
                "o.area_code", "o.town_code", year()).await?,
            format!("{period}登记的养老服务社会组织"),
            "/organisations?kind=elderly_service_org",
        ),
        "elderly.adaptations" => count_figure(
            by_town(app, ctx, |c| counted(&format!("FROM home_adaptations a WHERE a.status = 'accepted' \
                AND a.accepted_on >= $1 AND a.accepted_on <= $2 AND {c}"), "a.town_code"),
                "a.area_code", "a.town_code", year()).await?,
            format!("{period}验收的改造户数"),
            "/elderly/adaptations?status=accepted",
        ),
        "elderly.family_care_beds" => count_figure(
            by_town(app, ctx, |c| counted(&format!("FROM family_care_beds b WHERE b.contract_start >= $1 AND b.contract_start <= $2 AND {c}"), "b.town_code"),
                "b.area_code", "b.town_code", year()).await?,
            format!("{period}签约的家庭照护床位"),
            "/elderly/care-beds",
        ),
        "elderly.home_care_share" => {
            let elderly = by_town(app, ctx, |c| counted(&format!("FROM persons p WHERE p.status = 'normal' AND p.birth_date <= $1 AND {c}"), "p.town_code"),
                "p.area_code", "p.town_code", vec![Arg::from(on - Months::new(12 * 60))]).await?;
            let served = by_town(app, ctx, |c| counted(&format!("FROM home_care_grants g WHERE g.starts_on <= $1 \
                AND (g.ended_on IS NULL OR g.ended_on > $1) AND {c}"), "g.town_code"),
                "g.area_code", "g.town_code", vec![Arg::from(on)]).await?;
            let rows = elderly
                .into_iter()
                .map(|(t, n, _)| {
                    let s = served.iter().find(|x| x.0 == t).map_or(0, |x| x.2);
                    (t, n, s)
                })
                .collect();
            share_figure(rows, "名60周岁及以上老人", "/elderly/home-care")
        }
        "elderly.demo_site_towns" => {
            let named: Vec<(String,)> = app
                .db
                .conn()
                .fetch_all(
                    "SELECT DISTINCT o.town_code FROM elderly_designations d JOIN organisations o ON o.id = d.organisation_id \
                     WHERE d.kind = 'demo_site' AND o.status = 'active' AND d.named_on <= $1 AND (d.revoked_on IS NULL OR d.revoked_on > $1)",
                    crate::args![on],
                )
                .await?;
            let rows = app
                .areas()
                .all()
                .filter(|a| a.level == "town" && ctx.actor.in_scope(&a.code))
                .map(|a| (a.code.clone(), (1i64, i64::from(named.iter().any(|n| n.0 == a.code)))))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .map(|(t, n)| (t, n.0, n.1))
                .collect();
            share_figure(rows, "个镇(街道)", "/elderly/facilities#designations")
        }
        _ => return Ok(None),
    }))
}
