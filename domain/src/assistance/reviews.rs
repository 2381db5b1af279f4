//! Dynamic management (动态管理, DOMAIN.md §4.7): how often a case is reviewed.

use super::{Household, Member};
use chrono::NaiveDate;

/// Months between reviews:
/// - 12: tekun, and households whose members are seriously ill, severely disabled or elderly, with stable income;
/// - 6: other households with stable income;
/// - 1 in a community, 3 in a village: households with irregular income and members able to work.
pub fn review_months(category: &str, h: &Household, as_of: NaiveDate, community: bool) -> u32 {
    if category == "tekun" {
        return 12;
    }
    let members: Vec<&Member> = h.counted().map(|(_, m)| m).collect();
    let able = |m: &&Member| {
        let age = m.id_number.age_on(as_of);
        (16..60).contains(&age)
            && m.disability.as_ref().is_none_or(|d| d.grade > 2)
            && !m.serious_illness
    };
    let irregular = members
        .iter()
        .any(|m| m.employed || m.monthly_income.business.0 > 0)
        && members.iter().any(able);
    if irregular {
        return if community { 1 } else { 3 };
    }
    let vulnerable = members.iter().any(|m| {
        m.serious_illness
            || m.disability.as_ref().is_some_and(|d| d.grade <= 2)
            || m.id_number.age_on(as_of) >= 60
    });
    if vulnerable { 12 } else { 6 }
}

/// A death in the household forces a review within 3 months.
pub const REVIEW_AFTER_DEATH_MONTHS: u32 = 3;

/// The same day `months` later (the last day of the month when that day does not exist).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months))
        .unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistance::validate;
    use serde_json::json;

    fn household(members: serde_json::Value) -> Household {
        let body = json!({"as_of": "2020-06-01", "household": {"area_code": "320281001001", "members": members,
            "assets": {"financial": "0", "vehicles": [], "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0},
            "annual_rigid_expenditure": "0"}});
        validate(&body, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), |_| {
            true
        })
        .unwrap()
        .household
    }

    fn m(id: &str, rel: &str, employed: bool, wage: &str) -> serde_json::Value {
        json!({"id_number": id, "relation": rel, "status": "normal", "employed": employed, "disability": null, "serious_illness": false,
               "self_care_unmet": 0, "has_capable_supporter": true, "public_payroll": false,
               "monthly_income": {"wage": wage, "business": "0", "property": "0", "transfer": "0", "basic_pension": "0", "excluded": "0"}})
    }

    fn id(birth: &str, seq: u16) -> String {
        crate::idnumber::IdNumber::compose(
            "320281",
            NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap(),
            seq,
        )
        .to_string()
    }

    #[test]
    fn schedule_by_household() {
        let on = NaiveDate::from_ymd_opt(2020, 6, 1).unwrap();
        let elder = household(json!([m(&id("1940-01-01", 1), "self", false, "0")]));
        assert_eq!(review_months("tekun", &elder, on, true), 12);
        assert_eq!(
            review_months("dibao", &elder, on, true),
            12,
            "elderly, stable income"
        );
        let worker = household(json!([
            m(&id("1980-01-01", 1), "self", true, "800"),
            m(&id("2010-01-01", 2), "child", false, "0")
        ]));
        assert_eq!(
            review_months("dibao", &worker, on, true),
            1,
            "community, irregular income"
        );
        assert_eq!(review_months("dibao", &worker, on, false), 3, "village");
        let idle = household(json!([
            m(&id("1980-01-01", 1), "self", false, "0"),
            m(&id("2010-01-01", 2), "child", false, "0")
        ]));
        assert_eq!(
            review_months("dibao", &idle, on, false),
            6,
            "stable income, able to work but no irregular income"
        );
        assert_eq!(
            add_months(NaiveDate::from_ymd_opt(2020, 1, 31).unwrap(), 1),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
    }
}
