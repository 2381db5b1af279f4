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

crate::wire::code_list! {
    /// The two subsidies (国发〔2015〕52号).
    Programme {
        Living = "living" / "困难残疾人生活补贴",
        Care = "care" / "重度残疾人护理补贴",
    }
}

crate::wire::code_list! {
    /// Which standard a grant is paid at.
    Tier {
        Standard = "standard" / "生活补贴标准",
        Severe = "severe" / "一、二级护理补贴",
        Moderate = "moderate" / "三、四级智力精神护理补贴",
    }
}

/// Payments that the subsidies must not double (recorded at filing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Exclusions {
    /// 工伤保险生活护理费: excludes the care subsidy.
    #[serde(default)]
    pub work_injury_care: bool,
    /// 孤儿（事实无人抚养儿童）基本生活费: excludes the living subsidy.
    #[serde(default)]
    pub orphan_allowance: bool,
}

/// The facts a decision is taken on; frozen into the grant when it is filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    /// From the disability source (残联): the kind code and grade, `None` when the person holds no certificate.
    pub disability: Option<(&'a str, u8)>,
    /// The household's live assistance category, `None` without one.
    pub household_category: Option<&'a str>,
    pub needs_long_term_care: bool,
    pub exclusions: Exclusions,
}

/// Whether `facts` qualify for `programme`, and at which tier; otherwise the reason, in Chinese.
pub fn assess(programme: Programme, f: &Facts, policy: SubsidyPolicy) -> Result<Tier, String> {
    let Some((kind, grade)) = f.disability.filter(|(_, g)| certified(*g)) else {
        return Err("残联残疾人登记中没有此人的有效残疾人证（一至四级）".into());
    };
    match programme {
        Programme::Living => {
            if f.exclusions.orphan_allowance {
                return Err("已享受孤儿（事实无人抚养儿童）基本生活费，不重复享受生活补贴".into());
            }
            if living_subsidy_eligible(Some(grade), f.household_category, policy) {
                Ok(Tier::Standard)
            } else if policy.living_includes_low_income {
                Err("生活补贴限于低保家庭或低收入家庭的残疾人，此人家庭不在保".into())
            } else {
                Err("生活补贴限于低保家庭的残疾人，此人家庭不在保".into())
            }
        }
        Programme::Care => {
            if f.exclusions.work_injury_care {
                return Err("已享受工伤保险生活护理费，不重复享受护理补贴".into());
            }
            if care_subsidy_eligible(kind, grade, f.needs_long_term_care, policy) {
                Ok(if grade <= 2 {
                    Tier::Severe
                } else {
                    Tier::Moderate
                })
            } else if grade <= 2 {
                Err("一、二级残疾人须经评估需要长期照护".into())
            } else {
                Err("护理补贴限于一、二级重度残疾人（及三、四级智力、精神残疾人）".into())
            }
        }
    }
}

/// Working steps of a filing: the 残联 checks the grade within 7 days, the village posts for 7 days.
pub const GRADE_CHECK_DAYS: i64 = 7;
pub const PUBLICITY_DAYS: i64 = 7;

/// The month a grant decided on `on` is first paid: the next month (the decision month's roll may be closed).
pub fn first_month(on: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m) = if on.month() == 12 {
        (on.year() + 1, 1)
    } else {
        (on.year(), on.month() + 1)
    };
    format!("{y:04}-{m:02}")
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
    fn assessment_names_its_reason_and_tier() {
        let f = |d: Option<(&'static str, u8)>, cat: Option<&'static str>, care: bool| Facts {
            disability: d,
            household_category: cat,
            needs_long_term_care: care,
            exclusions: Exclusions::default(),
        };
        let j = SubsidyPolicy::JIANGSU;
        assert_eq!(
            assess(
                Programme::Living,
                &f(Some(("limb", 3)), Some("dibao"), false),
                j
            ),
            Ok(Tier::Standard)
        );
        assert!(
            assess(Programme::Living, &f(None, Some("dibao"), false), j)
                .unwrap_err()
                .contains("残疾人证")
        );
        assert!(
            assess(Programme::Living, &f(Some(("limb", 3)), None, false), j)
                .unwrap_err()
                .contains("低收入")
        );
        assert_eq!(
            assess(Programme::Care, &f(Some(("limb", 1)), None, true), j),
            Ok(Tier::Severe)
        );
        assert_eq!(
            assess(Programme::Care, &f(Some(("mental", 3)), None, false), j),
            Ok(Tier::Moderate)
        );
        assert!(
            assess(Programme::Care, &f(Some(("limb", 2)), None, false), j)
                .unwrap_err()
                .contains("长期照护")
        );
        let mut excluded = f(Some(("limb", 1)), Some("dibao"), true);
        excluded.exclusions.work_injury_care = true;
        assert!(
            assess(Programme::Care, &excluded, j)
                .unwrap_err()
                .contains("工伤")
        );
        assert_eq!(assess(Programme::Living, &excluded, j), Ok(Tier::Standard));
        excluded.exclusions.orphan_allowance = true;
        assert!(
            assess(Programme::Living, &excluded, j)
                .unwrap_err()
                .contains("孤儿")
        );
        assert_eq!(
            first_month(chrono::NaiveDate::from_ymd_opt(2020, 12, 9).unwrap()),
            "2021-01"
        );
        assert_eq!(
            first_month(chrono::NaiveDate::from_ymd_opt(2020, 3, 31).unwrap()),
            "2020-04"
        );
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
        /// The assessment agrees with the two eligibility rules, and an exclusion only ever takes a grant away.
        #[test]
        fn assessment_follows_the_rules(
            grade in 0u8..6, cat in category(), kind in kind(), care: bool, wic: bool, orphan: bool,
        ) {
            let j = SubsidyPolicy::JIANGSU;
            let facts = Facts {
                disability: Some((kind, grade)),
                household_category: cat,
                needs_long_term_care: care,
                exclusions: Exclusions { work_injury_care: wic, orphan_allowance: orphan },
            };
            let living = assess(Programme::Living, &facts, j).is_ok();
            prop_assert_eq!(living, !orphan && living_subsidy_eligible(Some(grade), cat, j));
            let care_tier = assess(Programme::Care, &facts, j);
            prop_assert_eq!(care_tier.is_ok(), !wic && care_subsidy_eligible(kind, grade, care, j));
            if let Ok(t) = care_tier {
                prop_assert_eq!(t == Tier::Severe, grade <= 2);
            }
        }

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
