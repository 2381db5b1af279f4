//! Disability subsidies (残疾人两项补贴, DOMAIN §5): who is eligible, before the amounts (configured elsewhere)
//! and the application steps.
//!
//! Choices where the plan is brief:
//! - "has a disability certificate" is a grade of 1–4; any other grade counts as no certificate;
//! - the living subsidy covers members of `dibao` and `dibao_single` households, and `low_income` ones when the
//!   policy extends it; other categories (`tekun`, who are supported in full, or none) are not covered;
//! - the care subsidy covers grade 1–2 of any kind when long-term care is needed; when the policy extends it,
//!   grade 3–4 intellectual or mental disability too, without the long-term-care condition (the extension is to
//!   the non-severe intellectual and mental disabilities as such). Kinds are the assistance code list's codes.

/// Where the local policy goes beyond the national minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SubsidyPolicy {
    /// The living subsidy also for low-income (低收入) families' disabled members.
    pub living_includes_low_income: bool,
    /// The care subsidy also for grade 3–4 intellectual or mental disability.
    pub care_includes_grade34_intellectual_mental: bool,
}

impl SubsidyPolicy {
    /// Jiangsu: both extensions.
    pub const JIANGSU: SubsidyPolicy = SubsidyPolicy {
        living_includes_low_income: true,
        care_includes_grade34_intellectual_mental: true,
    };
}

fn certified(grade: u8) -> bool {
    (1..=4).contains(&grade)
}

/// 困难残疾人生活补贴: a certified disabled member of a dibao household (or low-income, when the policy says so).
/// `household_category` is the household's assistance category code (`dibao`, `dibao_single`, `low_income`,
/// `tekun` …), `None` when it receives none.
pub fn living_subsidy_eligible(
    disability_grade: Option<u8>,
    household_category: Option<&str>,
    policy: SubsidyPolicy,
) -> bool {
    disability_grade.is_some_and(certified)
        && match household_category {
            Some("dibao" | "dibao_single") => true,
            Some("low_income") => policy.living_includes_low_income,
            _ => false,
        }
}

/// 重度残疾人护理补贴: grade 1–2 needing long-term care; grade 3–4 intellectual or mental when the policy says so.
/// `kind` is a disability kind code (`limb`, `intellectual`, `mental` …).
pub fn care_subsidy_eligible(
    kind: &str,
    grade: u8,
    needs_long_term_care: bool,
    policy: SubsidyPolicy,
) -> bool {
    match grade {
        1 | 2 => needs_long_term_care,
        3 | 4 => {
            policy.care_includes_grade34_intellectual_mental
                && matches!(kind, "intellectual" | "mental")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NATIONAL: SubsidyPolicy = SubsidyPolicy {
        living_includes_low_income: false,
        care_includes_grade34_intellectual_mental: false,
    };

    #[test]
    fn living_subsidy() {
        assert!(living_subsidy_eligible(Some(3), Some("dibao"), NATIONAL));
        assert!(living_subsidy_eligible(
            Some(1),
            Some("dibao_single"),
            NATIONAL
        ));
        assert!(!living_subsidy_eligible(
            Some(2),
            Some("low_income"),
            NATIONAL
        ));
        assert!(living_subsidy_eligible(
            Some(2),
            Some("low_income"),
            SubsidyPolicy::JIANGSU
        ));
        assert!(!living_subsidy_eligible(
            None,
            Some("dibao"),
            SubsidyPolicy::JIANGSU
        ));
        assert!(!living_subsidy_eligible(
            Some(0),
            Some("dibao"),
            SubsidyPolicy::JIANGSU
        ));
        assert!(!living_subsidy_eligible(
            Some(5),
            Some("dibao"),
            SubsidyPolicy::JIANGSU
        ));
        assert!(!living_subsidy_eligible(
            Some(1),
            Some("tekun"),
            SubsidyPolicy::JIANGSU
        ));
        assert!(!living_subsidy_eligible(
            Some(1),
            None,
            SubsidyPolicy::JIANGSU
        ));
    }

    #[test]
    fn care_subsidy() {
        assert!(care_subsidy_eligible("limb", 1, true, NATIONAL));
        assert!(care_subsidy_eligible("visual", 2, true, NATIONAL));
        assert!(!care_subsidy_eligible(
            "limb",
            2,
            false,
            SubsidyPolicy::JIANGSU
        ));
        assert!(!care_subsidy_eligible("intellectual", 3, true, NATIONAL));
        assert!(care_subsidy_eligible(
            "intellectual",
            3,
            false,
            SubsidyPolicy::JIANGSU
        ));
        assert!(care_subsidy_eligible(
            "mental",
            4,
            false,
            SubsidyPolicy::JIANGSU
        ));
        assert!(!care_subsidy_eligible(
            "limb",
            3,
            true,
            SubsidyPolicy::JIANGSU
        ));
        assert!(!care_subsidy_eligible(
            "mental",
            0,
            true,
            SubsidyPolicy::JIANGSU
        ));
        assert!(!care_subsidy_eligible(
            "mental",
            5,
            true,
            SubsidyPolicy::JIANGSU
        ));
    }

    #[test]
    fn policy_serde_names() {
        let v = serde_json::to_value(SubsidyPolicy::JIANGSU).unwrap();
        assert_eq!(
            v,
            serde_json::json!({ "living_includes_low_income": true, "care_includes_grade34_intellectual_mental": true })
        );
    }

    fn category() -> impl Strategy<Value = Option<&'static str>> {
        proptest::option::of(proptest::sample::select(vec![
            "dibao",
            "dibao_single",
            "low_income",
            "tekun",
            "other",
        ]))
    }
    fn kind() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "limb",
            "visual",
            "hearing",
            "speech",
            "intellectual",
            "mental",
            "multiple",
        ])
    }

    proptest! {
        #[test]
        fn a_wider_policy_never_removes_eligibility(
            grade in proptest::option::of(0u8..6), cat in category(), kind in kind(), care: bool,
            low: bool, g34: bool,
        ) {
            let p = SubsidyPolicy { living_includes_low_income: low, care_includes_grade34_intellectual_mental: g34 };
            if living_subsidy_eligible(grade, cat, p) {
                prop_assert!(living_subsidy_eligible(grade, cat, SubsidyPolicy::JIANGSU));
            }
            if let Some(g) = grade && care_subsidy_eligible(kind, g, care, p) {
                prop_assert!(care_subsidy_eligible(kind, g, care, SubsidyPolicy::JIANGSU));
            }
        }

        #[test]
        fn eligibility_needs_a_certified_grade(cat in category(), kind in kind(), care: bool, grade in 5u8..) {
            for g in [0, grade] {
                prop_assert!(!living_subsidy_eligible(Some(g), cat, SubsidyPolicy::JIANGSU));
                prop_assert!(!care_subsidy_eligible(kind, g, care, SubsidyPolicy::JIANGSU));
            }
        }

        #[test]
        fn severe_needing_care_always_qualifies(kind in kind(), grade in 1u8..=2, low: bool, g34: bool) {
            let p = SubsidyPolicy { living_includes_low_income: low, care_includes_grade34_intellectual_mental: g34 };
            prop_assert!(care_subsidy_eligible(kind, grade, true, p));
        }
    }
}
