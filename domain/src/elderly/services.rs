//! Services for poor elderly people (plan item 17): who qualifies for home care assistance (居家养老援助), which
//! households qualify for an age-friendly home adaptation (适老化改造), the adaptation items, and the limits on
//! what is granted and paid.
//!
//! Decisions where the plan is silent:
//! - home care assistance is for residents aged 60 and over who are tekun persons, or members of a dibao or
//!   low-income household, and for every resident aged 80 and over who lives alone, whatever the income; when more
//!   than one basis holds, the first of tekun, dibao, low-income, living alone is recorded;
//! - a household qualifies for an adaptation when it holds a live tekun, dibao or low-income case and one member
//!   aged 60 or over is 高龄 (80+), disabled (a disability certificate of grade 1–2, 重度残疾) or dependent (capability
//!   level 中度失能 or worse, level ≥ 2); the first such member, oldest first, is named;
//! - a month's grant is 1–100 hours of service, or a voucher of 0.01–2,000.00 yuan; an adaptation's subsidy never
//!   exceeds its accepted cost, nor a family care bed's monthly subsidy 2,000.00 yuan.

use crate::wire::code_list;

/// Home care assistance and adaptations are for residents of this age and over.
pub const ELDERLY_AGE: u32 = 60;
/// 高龄.
pub const ADVANCED_AGE: u32 = 80;
/// Capability levels (GB/T 42195-2022) from this one on are dependent (中度失能, 重度失能, 完全失能).
pub const DEPENDENT_LEVEL: u8 = 2;
pub const MAX_HOURS: i64 = 100;
/// Fen.
pub const MAX_VOUCHER: i64 = 200_000;
/// Fen a month.
pub const MAX_BED_SUBSIDY: i64 = 200_000;

code_list! {
    /// Why a resident qualifies for home care assistance.
    CareBasis {
        Tekun = "tekun" / "特困人员",
        Dibao = "dibao" / "低保家庭老人",
        LowIncome = "low_income" / "低收入家庭老人",
        AloneOver80 = "alone_80" / "80周岁及以上独居老人",
    }
}

/// What the assistance data and the registry say of one resident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CareFacts {
    pub age: u32,
    pub tekun: bool,
    pub dibao: bool,
    pub low_income: bool,
    pub lives_alone: bool,
}

/// The basis on which a resident qualifies for home care assistance, or `None`.
pub fn home_care_basis(f: &CareFacts) -> Option<CareBasis> {
    if f.age < ELDERLY_AGE {
        return None;
    }
    if f.tekun {
        Some(CareBasis::Tekun)
    } else if f.dibao {
        Some(CareBasis::Dibao)
    } else if f.low_income {
        Some(CareBasis::LowIncome)
    } else if f.age >= ADVANCED_AGE && f.lives_alone {
        Some(CareBasis::AloneOver80)
    } else {
        None
    }
}

code_list! {
    /// How a month's assistance is granted.
    ServiceForm {
        Hours = "hours" / "服务时长（小时）",
        Voucher = "voucher" / "服务券（元）",
    }
}

/// A month's grant: hours 1–[`MAX_HOURS`], or a voucher of 1–[`MAX_VOUCHER`] fen.
pub fn grant_ok(form: ServiceForm, monthly: i64) -> Result<(), &'static str> {
    match form {
        ServiceForm::Hours if !(1..=MAX_HOURS).contains(&monthly) => {
            Err("每月服务时长应为1–100小时")
        }
        ServiceForm::Voucher if !(1..=MAX_VOUCHER).contains(&monthly) => {
            Err("每月服务券金额应为0.01–2000.00元")
        }
        _ => Ok(()),
    }
}

/// What is left of a month's grant after the services recorded (never below zero).
pub fn remaining(granted: i64, used: i64) -> i64 {
    (granted - used).max(0)
}

code_list! {
    /// The assistance category a household's live case is of, as far as adaptations care.
    PoorCategory {
        Tekun = "tekun" / "特困",
        Dibao = "dibao" / "低保",
        LowIncome = "low_income" / "低收入",
    }
}

impl PoorCategory {
    /// An assistance case category (dibao_single counts as dibao; expenditure-type poverty does not qualify).
    pub fn of_case(category: &str) -> Option<PoorCategory> {
        match category {
            "tekun" => Some(PoorCategory::Tekun),
            "dibao" | "dibao_single" => Some(PoorCategory::Dibao),
            "low_income" => Some(PoorCategory::LowIncome),
            _ => None,
        }
    }
}

/// One household member as the adaptation rule needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberFacts {
    pub age: u32,
    /// The disability grade on the certificate (1 most severe), if any.
    pub disability_grade: Option<u8>,
    /// The latest capability level (0 能力完好 … 4 完全失能), if assessed.
    pub capability_level: Option<u8>,
}

code_list! {
    /// Why the household's member makes it qualify.
    AdaptationNeed {
        Advanced = "advanced_age" / "高龄",
        Disabled = "disabled" / "重度残疾",
        Dependent = "dependent" / "失能",
    }
}

/// The need of one member aged 60+, or `None`.
pub fn member_need(m: &MemberFacts) -> Option<AdaptationNeed> {
    if m.age < ELDERLY_AGE {
        return None;
    }
    if m.age >= ADVANCED_AGE {
        Some(AdaptationNeed::Advanced)
    } else if m.disability_grade.is_some_and(|g| (1..=2).contains(&g)) {
        Some(AdaptationNeed::Disabled)
    } else if m.capability_level.is_some_and(|l| l >= DEPENDENT_LEVEL) {
        Some(AdaptationNeed::Dependent)
    } else {
        None
    }
}

/// Whether a household qualifies for an adaptation: a live tekun, dibao or low-income case and a member in need;
/// answers the index of the first such member (oldest first) and the need, or why not.
pub fn adaptation_basis(
    category: Option<PoorCategory>,
    members: &[MemberFacts],
) -> Result<(usize, AdaptationNeed), &'static str> {
    if category.is_none() {
        return Err("该家庭不是在保的特困、低保或低收入家庭");
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(members[*i].age));
    order
        .into_iter()
        .find_map(|i| member_need(&members[i]).map(|n| (i, n)))
        .ok_or("该家庭没有高龄、重度残疾或失能的老年人")
}

code_list! {
    /// What an adaptation may install or change.
    AdaptationItem {
        GrabBars = "grab_bars" / "安装扶手",
        NonSlip = "non_slip" / "地面防滑处理",
        Threshold = "threshold" / "消除门槛高差",
        Bathroom = "bathroom" / "坐便器及助浴设施",
        Lighting = "lighting" / "照明与感应夜灯",
        Alarm = "alarm" / "紧急呼叫设备",
        CareBed = "care_bed" / "护理床",
        WalkingAid = "walking_aid" / "助行器具",
    }
}

/// The subsidy of an accepted adaptation: at most its cost.
pub fn subsidy_ok(cost: i64, subsidy: i64) -> Result<(), &'static str> {
    if cost <= 0 {
        Err("验收造价应大于0")
    } else if subsidy < 0 || subsidy > cost {
        Err("补贴金额不能为负，也不能超过验收造价")
    } else {
        Ok(())
    }
}

/// A family care bed is for a resident aged 60+ assessed as 轻度失能 or worse (capability level ≥ 1).
pub fn care_bed_eligible(age: u32, capability_level: Option<u8>) -> bool {
    age >= ELDERLY_AGE && capability_level.is_some_and(|l| l >= 1)
}

/// A family care bed's contract is in force on `day` when it has begun, not ended and not been terminated.
pub fn bed_in_force(
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    terminated: Option<chrono::NaiveDate>,
    day: chrono::NaiveDate,
) -> bool {
    start <= day && day <= end && terminated.is_none_or(|t| day < t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn facts(age: u32, tekun: bool, dibao: bool, low: bool, alone: bool) -> CareFacts {
        CareFacts {
            age,
            tekun,
            dibao,
            low_income: low,
            lives_alone: alone,
        }
    }

    #[test]
    fn home_care_qualification() {
        assert_eq!(
            home_care_basis(&facts(72, true, false, false, false)),
            Some(CareBasis::Tekun)
        );
        assert_eq!(
            home_care_basis(&facts(65, false, true, true, false)),
            Some(CareBasis::Dibao)
        );
        assert_eq!(
            home_care_basis(&facts(60, false, false, true, false)),
            Some(CareBasis::LowIncome)
        );
        assert_eq!(
            home_care_basis(&facts(80, false, false, false, true)),
            Some(CareBasis::AloneOver80)
        );
        // 79 and alone, not poor: no
        assert_eq!(home_care_basis(&facts(79, false, false, false, true)), None);
        // 85 with family, not poor: no
        assert_eq!(
            home_care_basis(&facts(85, false, false, false, false)),
            None
        );
        // a tekun person under 60 is not an elderly person
        assert_eq!(home_care_basis(&facts(59, true, true, true, true)), None);
    }

    #[test]
    fn grants_and_subsidies() {
        assert!(grant_ok(ServiceForm::Hours, 12).is_ok());
        assert!(grant_ok(ServiceForm::Hours, 0).is_err());
        assert!(grant_ok(ServiceForm::Hours, 101).is_err());
        assert!(grant_ok(ServiceForm::Voucher, 20_000).is_ok());
        assert!(grant_ok(ServiceForm::Voucher, 200_001).is_err());
        assert_eq!(remaining(10, 4), 6);
        assert_eq!(remaining(10, 14), 0);
        assert!(subsidy_ok(300_000, 300_000).is_ok());
        assert!(subsidy_ok(300_000, 300_001).is_err());
        assert!(subsidy_ok(0, 0).is_err());
        assert_eq!(
            PoorCategory::of_case("dibao_single"),
            Some(PoorCategory::Dibao)
        );
        assert_eq!(PoorCategory::of_case("expenditure"), None);
    }

    #[test]
    fn adaptation_needs_poverty_and_a_member_in_need() {
        let old = MemberFacts {
            age: 83,
            ..Default::default()
        };
        let disabled = MemberFacts {
            age: 66,
            disability_grade: Some(2),
            capability_level: None,
        };
        let dependent = MemberFacts {
            age: 70,
            disability_grade: Some(3),
            capability_level: Some(2),
        };
        let young = MemberFacts {
            age: 40,
            disability_grade: Some(1),
            capability_level: Some(4),
        };
        assert!(adaptation_basis(None, &[old]).is_err());
        assert_eq!(
            adaptation_basis(Some(PoorCategory::Dibao), &[young, disabled]),
            Ok((1, AdaptationNeed::Disabled))
        );
        assert_eq!(
            adaptation_basis(Some(PoorCategory::LowIncome), &[dependent, old]),
            Ok((1, AdaptationNeed::Advanced))
        );
        assert_eq!(
            adaptation_basis(Some(PoorCategory::Tekun), &[dependent]),
            Ok((0, AdaptationNeed::Dependent))
        );
        assert!(adaptation_basis(Some(PoorCategory::Tekun), &[young]).is_err());
        let mild = MemberFacts {
            age: 70,
            disability_grade: Some(3),
            capability_level: Some(1),
        };
        assert!(adaptation_basis(Some(PoorCategory::Tekun), &[mild]).is_err());
    }

    #[test]
    fn care_bed_needs_an_assessed_loss() {
        assert!(care_bed_eligible(60, Some(1)));
        assert!(!care_bed_eligible(60, Some(0)));
        assert!(!care_bed_eligible(75, None));
        assert!(!care_bed_eligible(59, Some(4)));
    }

    #[test]
    fn care_bed_contract() {
        let d = |m, day| NaiveDate::from_ymd_opt(2020, m, day).unwrap();
        assert!(bed_in_force(d(3, 1), d(12, 31), None, d(3, 1)));
        assert!(bed_in_force(d(3, 1), d(12, 31), None, d(12, 31)));
        assert!(!bed_in_force(d(3, 1), d(12, 31), None, d(2, 29)));
        assert!(!bed_in_force(d(3, 1), d(12, 31), Some(d(6, 1)), d(6, 1)));
        assert!(bed_in_force(d(3, 1), d(12, 31), Some(d(6, 1)), d(5, 31)));
    }

    fn any_facts() -> impl Strategy<Value = CareFacts> {
        (
            0u32..110,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(a, t, d, l, s)| facts(a, t, d, l, s))
    }

    fn any_member() -> impl Strategy<Value = MemberFacts> {
        (
            0u32..110,
            proptest::option::of(1u8..=4),
            proptest::option::of(0u8..=4),
        )
            .prop_map(|(age, g, c)| MemberFacts {
                age,
                disability_grade: g,
                capability_level: c,
            })
    }

    proptest! {
        /// Qualifies exactly when aged 60+ and poor, or 80+ and alone; the basis is one that holds.
        #[test]
        fn basis_matches_the_definition(f in any_facts()) {
            let expected = f.age >= 60 && (f.tekun || f.dibao || f.low_income || (f.age >= 80 && f.lives_alone));
            let b = home_care_basis(&f);
            prop_assert_eq!(b.is_some(), expected);
            match b {
                Some(CareBasis::Tekun) => prop_assert!(f.tekun),
                Some(CareBasis::Dibao) => prop_assert!(f.dibao && !f.tekun),
                Some(CareBasis::LowIncome) => prop_assert!(f.low_income && !f.tekun && !f.dibao),
                Some(CareBasis::AloneOver80) => prop_assert!(f.lives_alone && f.age >= 80),
                None => {}
            }
        }

        /// Being older never loses a qualification.
        #[test]
        fn older_keeps_qualifying(f in any_facts(), more in 0u32..30) {
            let older = CareFacts { age: f.age + more, ..f };
            if home_care_basis(&f).is_some() {
                prop_assert!(home_care_basis(&older).is_some());
            }
        }

        /// The member named is in need, and no older member is; a household without poverty never qualifies.
        #[test]
        fn adaptation_names_the_oldest_in_need(ms in proptest::collection::vec(any_member(), 0..6), poor in any::<bool>()) {
            let cat = poor.then_some(PoorCategory::Dibao);
            match adaptation_basis(cat, &ms) {
                Ok((i, need)) => {
                    prop_assert!(poor);
                    prop_assert_eq!(member_need(&ms[i]), Some(need));
                    prop_assert!(ms.iter().all(|m| m.age <= ms[i].age || member_need(m).is_none()));
                }
                Err(_) => prop_assert!(!poor || ms.iter().all(|m| member_need(m).is_none())),
            }
        }

        #[test]
        fn care_bed_eligibility_is_monotone(age in 0u32..110, level in proptest::option::of(0u8..=4), more in 0u8..4) {
            if care_bed_eligible(age, level) {
                prop_assert!(care_bed_eligible(age + 1, level.map(|l| (l + more).min(4))));
            }
        }

        #[test]
        fn subsidy_never_above_cost(cost in -10i64..1_000_000, subsidy in -10i64..1_000_000) {
            prop_assert_eq!(subsidy_ok(cost, subsidy).is_ok(), cost > 0 && (0..=cost).contains(&subsidy));
        }
    }
}
