//! Indicators computed from the platform's own records, within the viewer's area scope.

use crate::app::assistance::standards;
use crate::app::{App, AppResult, Ctx};
use crate::args;
use crate::storage::Arg;
use chrono::{Datelike, NaiveDate};
use minzheng_domain::assistance::{Standards, household_income, validate};
use minzheng_domain::money::Fen;
use minzheng_domain::targets::{Num, annual_income_per_capita};

/// The categories whose households count as 城乡最低收入家庭 for T08.3.
pub const FLOOR_CATEGORIES: [&str; 3] = ["dibao", "tekun", "low_income"];

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

/// One assisted household of T08.3.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HouseholdIncome {
    pub case_id: String,
    pub category: String,
    pub area_code: String,
    pub town_code: String,
    pub applicant_name: String,
    pub members: i64,
    /// Yuan per month, the household's counted income (assistance rules of DOMAIN §4.3).
    pub monthly_income: String,
    /// Yuan per month, the benefit in payment.
    pub monthly_benefit: String,
    /// Yuan per person per year: (income + benefit) × 12 / members, rounded down to the fen.
    pub annual_per_capita: String,
    #[serde(skip)]
    pub annual: Option<Num>,
    /// The figure of each month in payment, from the household and amount in force that month.
    #[serde(skip)]
    by_month: Vec<(String, Option<Num>)>,
    #[serde(skip)]
    start_month: String,
    #[serde(skip)]
    end_month: Option<String>,
}

impl HouseholdIncome {
    pub fn in_payment(&self, month: &str) -> bool {
        self.start_month.as_str() <= month && self.end_month.as_deref().is_none_or(|e| e > month)
    }
}

#[derive(sqlx::FromRow)]
struct CaseIncomeRow {
    id: String,
    category: String,
    area_code: String,
    town_code: String,
    monthly_amount: i64,
    start_month: String,
    end_month: Option<String>,
    app_household: String,
    app_amount: Option<i64>,
    applicant_name: String,
}

/// Every dibao, tekun and low-income case that has started by `last_month` (in the caller's scope),
/// with its per-capita annual income. Income is counted as the assistance rules count it (wages after the
/// employment deduction, business, property and transfer income and pensions; members in prison etc. not
/// counted), from the household and amount in force in each month (the latest change effective by then, else the decision), under the
/// standards in force on `on`.
pub async fn floor_households(
    app: &App,
    ctx: &Ctx,
    year: i32,
    last_month: &str,
    on: NaiveDate,
) -> AppResult<Vec<HouseholdIncome>> {
    let (cond, a) = ctx
        .actor
        .scope_filter()
        .sql("c.area_code", "c.town_code", 3);
    let mut params: Vec<Arg> = args![last_month, format!("{year}-01")];
    params.extend(a);
    let cats = FLOOR_CATEGORIES
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<CaseIncomeRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT c.id, c.category, c.area_code, c.town_code, c.monthly_amount, c.start_month, c.end_month, \
                 a.household_json AS app_household, a.monthly_amount AS app_amount, p.name AS applicant_name \
                 FROM cases c JOIN applications a ON a.id = c.application_id JOIN persons p ON p.id = a.applicant_id \
                 WHERE c.category IN ({cats}) AND c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $2) AND {cond} \
                 ORDER BY c.town_code, c.area_code, c.id"
            ),
            params,
        )
        .await?;
    // every change of these cases: a month's figure comes from the household and amount in force that month, so a
    // closed year does not move when a case changes later
    let (cond2, a2) = ctx
        .actor
        .scope_filter()
        .sql("c.area_code", "c.town_code", 3);
    let mut params2: Vec<Arg> = args![last_month, format!("{year}-01")];
    params2.extend(a2);
    let changes: Vec<Change> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT ch.case_id, ch.effective_month, ch.household_json, ch.new_amount, ch.outcome FROM case_changes ch \
                 JOIN cases c ON c.id = ch.case_id \
                 WHERE c.category IN ({cats}) AND c.start_month <= $1 AND (c.end_month IS NULL OR c.end_month > $2) AND {cond2} \
                 ORDER BY ch.case_id, ch.effective_month, ch.created_at"
            ),
            params2,
        )
        .await?;
    // (case, effective month, household, amount, outcome)
    type Change = (String, String, String, i64, String);
    let mut by_case: std::collections::HashMap<&str, Vec<&Change>> =
        std::collections::HashMap::new();
    for c in &changes {
        // a stop ends payment (the case's end month says when); it carries no household
        if c.4 != "stop" {
            by_case.entry(c.0.as_str()).or_default().push(c);
        }
    }
    let s = standards::in_force(app, on)
        .await?
        .unwrap_or_else(Standards::jiangyin_2020);
    let areas = app.areas();
    let today = app.today();
    let counted = |json: &str| -> (Fen, usize) {
        let hh = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|h| {
                validate(
                    &serde_json::json!({"as_of": on, "household": h}),
                    today.max(on),
                    |c| areas.get(c).is_some(),
                )
                .ok()
            });
        match &hh {
            Some(req) => (
                household_income(&req.household.members, &s),
                req.household.counted_len(),
            ),
            None => (Fen::ZERO, 0),
        }
    };
    let months = months_to(year, last_month);
    Ok(rows
        .into_iter()
        .map(|r| {
            let changes = by_case.get(r.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let initial = (
                r.app_household.as_str(),
                r.app_amount.unwrap_or(r.monthly_amount),
            );
            // the household and amount in force in `m`
            let state = |m: &str| {
                changes
                    .iter()
                    .rev()
                    .find(|c| c.1.as_str() <= m)
                    .map(|c| (c.2.as_str(), c.3))
                    .unwrap_or(initial)
            };
            let mut cache: Vec<(&str, (Fen, usize))> = Vec::new();
            let mut figure = |m: &str| {
                let (json, amount) = state(m);
                let (income, n) = match cache.iter().find(|c| std::ptr::eq(c.0, json)) {
                    Some(c) => c.1,
                    None => {
                        let v = counted(json);
                        cache.push((json, v));
                        v
                    }
                };
                (income, n, Fen(amount))
            };
            let in_payment = |m: &str| {
                r.start_month.as_str() <= m && r.end_month.as_deref().is_none_or(|e| e > m)
            };
            let by_month: Vec<(String, Option<Num>)> = months
                .iter()
                .filter(|m| in_payment(m))
                .map(|m| {
                    let (income, n, benefit) = figure(m);
                    (m.clone(), annual_income_per_capita(income, benefit, n))
                })
                .collect();
            // what the household page shows: the judging month, or the last month the case was paid
            let shown = months
                .iter()
                .rev()
                .find(|m| in_payment(m))
                .cloned()
                .unwrap_or_else(|| last_month.to_string());
            let (income, n, benefit) = figure(&shown);
            let annual = annual_income_per_capita(income, benefit, n);
            HouseholdIncome {
                by_month,
                case_id: r.id,
                category: r.category,
                area_code: r.area_code,
                town_code: r.town_code,
                applicant_name: mask_name(&r.applicant_name),
                members: n as i64,
                monthly_income: income.to_string(),
                monthly_benefit: benefit.to_string(),
                annual_per_capita: annual.map_or_else(|| "—".into(), |a| a.display(2)),
                annual,
                start_month: r.start_month,
                end_month: r.end_month,
            }
        })
        .collect())
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

/// The floor (minimum) of the households in payment in `month`; `None` when there are none.
pub fn floor_in(households: &[HouseholdIncome], month: &str) -> Option<Num> {
    households
        .iter()
        .filter_map(|h| h.by_month.iter().find(|x| x.0 == month).and_then(|x| x.1))
        .min()
}
