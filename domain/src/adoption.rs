//! Adoption (收养登记, DOMAIN §5 Children): whether the adopters meet the conditions of the Civil Code.
//!
//! - 第1098条: each adopter has no child or only one (1), can raise, educate and protect the child (2), has no
//!   illness medicine holds should bar adopting (3), no criminal record harmful to the child (4), and is 30 or over (5);
//! - 第1100条: adopters without children may adopt two, adopters with a child only one; adopting an orphan, a
//!   disabled minor or a child in a welfare institution whose parents cannot be found lifts this limit and 第1098条(1);
//! - 第1101条: a person with a spouse adopts together with the spouse;
//! - 第1102条: a person without a spouse adopting a child of the other sex is at least 40 years older (以上 includes
//!   40) — the brief's "single man adopting a girl" and equally a single woman adopting a boy.
//!
//! Choices: "years older" is by birthday (the child is born on or after the adopter's 40th birthday); ages are at
//! `as_of`, the registration's date; `children` counts the adopters' children, born or adopted, together.

use crate::children::add_months;
pub use crate::idnumber::{Sex, age_on};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Adopter {
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Able to raise, educate and protect the child (第1098条(2)).
    pub able_to_raise: bool,
    /// Has an illness medicine holds should bar adopting (第1098条(3)).
    pub disqualifying_illness: bool,
    /// Has a criminal record harmful to the child's growth (第1098条(4)).
    pub harmful_record: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdoptionCase {
    pub as_of: NaiveDate,
    /// One adopter, or a married couple adopting together.
    pub adopters: Vec<Adopter>,
    /// A single adopter who has a spouse (who must then adopt too, 第1101条).
    pub has_spouse: bool,
    /// The adopters' children now, born or adopted.
    pub children: u32,
    /// Children adopted in this registration (1 or 2).
    pub adopting: u32,
    pub child_birth_date: NaiveDate,
    pub child_sex: Sex,
    /// An orphan, a disabled minor, or a child in a welfare institution whose parents cannot be found (第1100条第二款).
    pub special_child: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Failure {
    TooManyChildren,
    NotAble,
    Illness,
    HarmfulRecord,
    TooYoung,
    CountLimit,
    SpouseMustJoin,
    AgeGap,
    Adopters,
}

impl Failure {
    pub fn article(self) -> &'static str {
        match self {
            Failure::TooManyChildren => "民法典第一千零九十八条第一项",
            Failure::NotAble => "民法典第一千零九十八条第二项",
            Failure::Illness => "民法典第一千零九十八条第三项",
            Failure::HarmfulRecord => "民法典第一千零九十八条第四项",
            Failure::TooYoung => "民法典第一千零九十八条第五项",
            Failure::CountLimit => "民法典第一千一百条",
            Failure::SpouseMustJoin => "民法典第一千一百零一条",
            Failure::AgeGap => "民法典第一千一百零二条",
            Failure::Adopters => "民法典第一千一百零一条",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Failure::TooManyChildren => "收养人已有两名以上子女",
            Failure::NotAble => "收养人不具备抚养、教育和保护被收养人的能力",
            Failure::Illness => "收养人患有在医学上认为不应当收养子女的疾病",
            Failure::HarmfulRecord => "收养人有不利于被收养人健康成长的违法犯罪记录",
            Failure::TooYoung => "收养人未满三十周岁",
            Failure::CountLimit => "有子女的收养人只能收养一名子女，无子女的收养人至多收养两名",
            Failure::SpouseMustJoin => "有配偶者收养子女，应当夫妻共同收养",
            Failure::AgeGap => "无配偶者收养异性子女，收养人与被收养人的年龄应当相差四十周岁以上",
            Failure::Adopters => "收养人应为一人或夫妻二人",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdopterCheck {
    pub eligible: bool,
    /// Each condition not met, in the order of the articles; empty when eligible.
    pub failures: Vec<Failure>,
}

pub fn check(c: &AdoptionCase) -> AdopterCheck {
    let mut f = Vec::new();
    let n = c.adopters.len();
    if n == 0 || n > 2 {
        f.push(Failure::Adopters);
    }
    if !c.special_child && c.children >= 2 {
        f.push(Failure::TooManyChildren);
    }
    if c.adopters.iter().any(|a| !a.able_to_raise) {
        f.push(Failure::NotAble);
    }
    if c.adopters.iter().any(|a| a.disqualifying_illness) {
        f.push(Failure::Illness);
    }
    if c.adopters.iter().any(|a| a.harmful_record) {
        f.push(Failure::HarmfulRecord);
    }
    if c.adopters
        .iter()
        .any(|a| age_on(a.birth_date, c.as_of) < 30)
    {
        f.push(Failure::TooYoung);
    }
    // 第1100条: none → two at most in all; one → this one only
    let limit = if c.children == 0 { 2 } else { 1 };
    if c.adopting == 0 || (!c.special_child && c.adopting > limit) || c.adopting > 2 {
        f.push(Failure::CountLimit);
    }
    if n == 1 && c.has_spouse {
        f.push(Failure::SpouseMustJoin);
    }
    if n == 1 && !c.has_spouse {
        let a = c.adopters[0];
        if a.sex != c.child_sex && c.child_birth_date < add_months(a.birth_date, 40 * 12) {
            f.push(Failure::AgeGap);
        }
    }
    AdopterCheck {
        eligible: f.is_empty(),
        failures: f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn adopter(birth: NaiveDate, sex: Sex) -> Adopter {
        Adopter {
            birth_date: birth,
            sex,
            able_to_raise: true,
            disqualifying_illness: false,
            harmful_record: false,
        }
    }

    fn couple() -> AdoptionCase {
        AdoptionCase {
            as_of: d(2026, 6, 1),
            adopters: vec![
                adopter(d(1985, 3, 1), Sex::Male),
                adopter(d(1987, 9, 9), Sex::Female),
            ],
            has_spouse: true,
            children: 0,
            adopting: 1,
            child_birth_date: d(2024, 1, 1),
            child_sex: Sex::Female,
            special_child: false,
        }
    }

    #[test]
    fn a_childless_couple_over_30_may_adopt() {
        assert_eq!(
            check(&couple()),
            AdopterCheck {
                eligible: true,
                failures: vec![]
            }
        );
    }

    #[test]
    fn thirty_is_the_birthday() {
        let mut c = couple();
        c.adopters[1].birth_date = d(1996, 6, 2);
        assert_eq!(check(&c).failures, vec![Failure::TooYoung]);
        c.adopters[1].birth_date = d(1996, 6, 1);
        assert!(check(&c).eligible);
    }

    #[test]
    fn children_and_the_count() {
        let mut c = couple();
        c.children = 1;
        assert!(check(&c).eligible, "one child, adopting one");
        c.adopting = 2;
        assert_eq!(check(&c).failures, vec![Failure::CountLimit]);
        c.children = 0;
        assert!(check(&c).eligible, "no child, adopting two");
        c.children = 2;
        c.adopting = 1;
        assert_eq!(check(&c).failures, vec![Failure::TooManyChildren]);
        // an orphan, a disabled minor or a foundling lifts both limits
        c.special_child = true;
        c.adopting = 2;
        assert!(check(&c).eligible);
    }

    #[test]
    fn single_adopters_and_the_other_sex() {
        let mut c = couple();
        c.adopters.truncate(1); // the man, born 1985-03-01
        c.has_spouse = false;
        assert_eq!(check(&c).failures, vec![Failure::AgeGap]);
        c.child_birth_date = d(2025, 3, 1);
        assert!(check(&c).eligible, "exactly 40 years is enough");
        c.child_birth_date = d(2025, 2, 28);
        assert_eq!(check(&c).failures, vec![Failure::AgeGap]);
        c.child_sex = Sex::Male;
        assert!(check(&c).eligible, "same sex: no gap needed");
        c.has_spouse = true;
        assert_eq!(check(&c).failures, vec![Failure::SpouseMustJoin]);
    }

    #[test]
    fn every_failure_is_listed() {
        let mut c = couple();
        c.adopters[0].able_to_raise = false;
        c.adopters[1].disqualifying_illness = true;
        c.adopters[1].harmful_record = true;
        c.adopters[0].birth_date = d(2000, 1, 1);
        assert_eq!(
            check(&c).failures,
            vec![
                Failure::NotAble,
                Failure::Illness,
                Failure::HarmfulRecord,
                Failure::TooYoung
            ]
        );
        c.adopters.clear();
        assert!(check(&c).failures.contains(&Failure::Adopters));
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (1950i32..2026, 1u32..=12, 1u32..=28).prop_map(|(y, m, day)| d(y, m, day))
    }

    fn sex() -> impl Strategy<Value = Sex> {
        prop_oneof![Just(Sex::Male), Just(Sex::Female)]
    }

    fn any_adopter() -> impl Strategy<Value = Adopter> {
        (date(), sex(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(birth_date, sex, able_to_raise, disqualifying_illness, harmful_record)| Adopter {
                birth_date,
                sex,
                able_to_raise,
                disqualifying_illness,
                harmful_record,
            },
        )
    }

    fn any_case() -> impl Strategy<Value = AdoptionCase> {
        (
            prop::collection::vec(any_adopter(), 0..4),
            any::<bool>(),
            0u32..4,
            0u32..4,
            date(),
            sex(),
            any::<bool>(),
        )
            .prop_map(
                |(adopters, has_spouse, children, adopting, child, child_sex, special)| {
                    AdoptionCase {
                        as_of: d(2026, 6, 1),
                        adopters,
                        has_spouse,
                        children,
                        adopting,
                        child_birth_date: child,
                        child_sex,
                        special_child: special,
                    }
                },
            )
    }

    proptest! {
        /// Eligible exactly when nothing fails, and any adopter under 30 fails.
        #[test]
        fn eligible_iff_no_failure(c in any_case()) {
            let r = check(&c);
            prop_assert_eq!(r.eligible, r.failures.is_empty());
            if c.adopters.iter().any(|a| age_on(a.birth_date, c.as_of) < 30) {
                prop_assert!(!r.eligible);
                prop_assert!(r.failures.contains(&Failure::TooYoung));
            }
        }

        /// A disqualifying fact never makes a case pass, and never removes another failure.
        #[test]
        fn a_bad_fact_only_adds_failures(c in any_case(), which in 0usize..3) {
            prop_assume!(!c.adopters.is_empty());
            let before = check(&c).failures;
            let mut worse = c.clone();
            let a = &mut worse.adopters[0];
            match which {
                0 => a.able_to_raise = false,
                1 => a.disqualifying_illness = true,
                _ => a.harmful_record = true,
            }
            let after = check(&worse);
            prop_assert!(!after.eligible);
            for f in before {
                prop_assert!(after.failures.contains(&f));
            }
        }

        /// A special child lifts the children limits and nothing else.
        #[test]
        fn a_special_child_only_lifts_the_count(c in any_case()) {
            let mut s = c.clone();
            s.special_child = true;
            let plain: Vec<Failure> = check(&c).failures.into_iter()
                .filter(|f| !matches!(f, Failure::TooManyChildren | Failure::CountLimit)).collect();
            let special = check(&s).failures;
            prop_assert!(!special.contains(&Failure::TooManyChildren));
            let special_rest: Vec<Failure> = special.into_iter().filter(|f| *f != Failure::CountLimit).collect();
            prop_assert_eq!(plain, special_rest);
        }

        /// A single adopter of the other sex less than 40 years older always fails on the gap.
        #[test]
        fn the_gap_binds_a_single_adopter(a in any_adopter(), child in date()) {
            let c = AdoptionCase {
                as_of: d(2026, 6, 1), adopters: vec![a], has_spouse: false, children: 0, adopting: 1,
                child_birth_date: child,
                child_sex: if a.sex == Sex::Male { Sex::Female } else { Sex::Male },
                special_child: false,
            };
            let gap_ok = child >= add_months(a.birth_date, 480);
            prop_assert_eq!(!check(&c).failures.contains(&Failure::AgeGap), gap_ok);
        }
    }
}
