//! Elderly-care staff (plan item 16): carers' (养老护理员) certificate levels and when a carer counts as trained.
//!
//! Decision where the plan is silent: a carer in post counts as trained for a year when a training dated in that
//! year, on or before the day judged, was passed (养老护理员培训率 = trained ÷ carers in post).

use crate::wire::code_list;
use chrono::{Datelike, NaiveDate};

code_list! {
    /// 养老护理员 vocational certificate (国家职业技能标准 养老护理员 2019), or none yet.
    Certificate {
        None = "none" / "无证书",
        Junior = "junior" / "初级",
        Intermediate = "intermediate" / "中级",
        Senior = "senior" / "高级",
        Technician = "technician" / "技师",
        SeniorTechnician = "senior_technician" / "高级技师",
    }
}

/// Whether a carer counts as trained on `on`: a passed training dated in `on`'s year, no later than `on`.
pub fn trained_on(trainings: &[(NaiveDate, bool)], on: NaiveDate) -> bool {
    trainings
        .iter()
        .any(|(d, passed)| *passed && d.year() == on.year() && *d <= on)
}

/// A carer is in post on `on` when hired by then and not yet left.
pub fn in_post(hired: NaiveDate, left: Option<NaiveDate>, on: NaiveDate) -> bool {
    hired <= on && left.is_none_or(|l| on < l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn trained_in_the_year_and_passed() {
        let on = d(2020, 12, 31);
        assert!(trained_on(&[(d(2020, 3, 1), true)], on));
        assert!(
            !trained_on(&[(d(2019, 12, 31), true)], on),
            "last year's does not count"
        );
        assert!(!trained_on(&[(d(2020, 3, 1), false)], on), "failed");
        assert!(
            !trained_on(&[(d(2020, 3, 1), true)], d(2020, 2, 29)),
            "not yet"
        );
        assert!(!trained_on(&[], on));
        assert!(in_post(d(2019, 1, 1), None, on));
        assert!(!in_post(d(2019, 1, 1), Some(on), on));
        assert!(!in_post(d(2021, 1, 1), None, on));
        assert_eq!(Certificate::parse("senior"), Some(Certificate::Senior));
    }

    proptest! {
        /// A further training never makes a trained carer untrained; a failed one never makes one trained.
        #[test]
        fn monotone(days in proptest::collection::vec((0i64..800, any::<bool>()), 0..6), extra in 0i64..800) {
            let base = d(2019, 6, 1);
            let on = d(2020, 12, 31);
            let ts: Vec<(NaiveDate, bool)> = days.iter().map(|(n, p)| (base + chrono::Duration::days(*n), *p)).collect();
            let mut more = ts.clone();
            more.push((base + chrono::Duration::days(extra), false));
            prop_assert_eq!(trained_on(&ts, on), trained_on(&more, on));
            more.push((base + chrono::Duration::days(extra), true));
            if trained_on(&ts, on) {
                prop_assert!(trained_on(&more, on));
            }
        }
    }
}
