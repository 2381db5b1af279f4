//! Elderly institutions (养老机构, DOMAIN §5, plan items 16–18): ownership of the beds, star grades (GB/T 37276-2018),
//! how long a resident's file is kept, and when the yearly on-site inspection is overdue.

use crate::wire::code_list;
use chrono::{Datelike, Duration, NaiveDate};

code_list! {
    /// Who built and who runs the institution.
    Ownership {
        Public = "public" / "公办公营",
        PublicBuiltPrivateRun = "public_private" / "公建民营",
        Private = "private" / "民办",
    }
}

impl Ownership {
    /// Beds of 社会力量举办或经营 (DOMAIN §5): private and 公建民营.
    pub fn social(self) -> bool {
        !matches!(self, Ownership::Public)
    }
}

/// GB/T 37276-2018 grades one to five stars.
pub fn valid_star(grade: i64) -> bool {
    (1..=5).contains(&grade)
}

/// 一星级 … 五星级.
pub fn star_label(grade: i64) -> &'static str {
    match grade {
        1 => "一星级",
        2 => "二星级",
        3 => "三星级",
        4 => "四星级",
        5 => "五星级",
        _ => "未评定",
    }
}

/// A resident's file is kept at least 5 years after the contract ends.
pub const FILE_KEEP_YEARS: i32 = 5;

/// The day the contract ended: its end date, or the discharge when that came earlier.
pub fn contract_ended(contract_end: NaiveDate, discharged_on: Option<NaiveDate>) -> NaiveDate {
    match discharged_on {
        Some(d) if d < contract_end => d,
        _ => contract_end,
    }
}

/// The file is kept until this day (5 years after the contract ended; 29 February falls to 28 February).
pub fn keep_until(contract_end: NaiveDate, discharged_on: Option<NaiveDate>) -> NaiveDate {
    let end = contract_ended(contract_end, discharged_on);
    let y = end.year() + FILE_KEEP_YEARS;
    end.with_year(y)
        .or_else(|| NaiveDate::from_ymd_opt(y, end.month(), 28))
        .expect("a valid date")
}

/// The on-site inspection is due at least once a year: overdue without any, or when the last is more than 365 days
/// old.
pub const INSPECTION_DAYS: i64 = 365;

pub fn inspection_overdue(last: Option<NaiveDate>, today: NaiveDate) -> bool {
    match last {
        None => true,
        Some(d) => today - d > Duration::days(INSPECTION_DAYS),
    }
}

/// The next inspection is due by this day.
pub fn inspection_due(last: NaiveDate) -> NaiveDate {
    last + Duration::days(INSPECTION_DAYS)
}

/// Beds: nursing beds (护理型) are among the total.
pub fn beds_ok(total: i64, nursing: i64) -> Result<(), &'static str> {
    if !(0..=100_000).contains(&total) {
        return Err("床位总数应为0–100000张");
    }
    if nursing < 0 || nursing > total {
        return Err("护理型床位数应在0至床位总数之间");
    }
    Ok(())
}

code_list! {
    /// Results of the yearly on-site inspection.
    InspectionResult {
        Passed = "passed" / "合格",
        Rectify = "rectify" / "限期整改",
        Failed = "failed" / "不合格",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn files_kept_five_years_after_the_contract() {
        assert_eq!(keep_until(d(2020, 12, 31), None), d(2025, 12, 31));
        // discharged early: the contract ended then
        assert_eq!(
            keep_until(d(2022, 12, 31), Some(d(2020, 3, 1))),
            d(2025, 3, 1)
        );
        // discharged after the end changes nothing
        assert_eq!(
            keep_until(d(2020, 1, 1), Some(d(2020, 6, 1))),
            d(2025, 1, 1)
        );
        assert_eq!(keep_until(d(2020, 2, 29), None), d(2025, 2, 28));
    }

    #[test]
    fn inspection_at_least_yearly() {
        let today = d(2020, 12, 31);
        assert!(inspection_overdue(None, today));
        assert!(!inspection_overdue(Some(d(2020, 1, 1)), today)); // 365 days
        assert!(inspection_overdue(Some(d(2019, 12, 31)), today)); // 366 days
        assert_eq!(inspection_due(d(2020, 1, 1)), d(2020, 12, 31));
    }

    #[test]
    fn grades_and_beds() {
        assert!(valid_star(1) && valid_star(5) && !valid_star(0) && !valid_star(6));
        assert_eq!(star_label(3), "三星级");
        assert!(beds_ok(100, 60).is_ok());
        assert!(beds_ok(100, 101).is_err());
        assert!(beds_ok(-1, 0).is_err());
        assert!(Ownership::PublicBuiltPrivateRun.social() && !Ownership::Public.social());
        assert_eq!(
            Ownership::parse("public_private"),
            Some(Ownership::PublicBuiltPrivateRun)
        );
    }
}
