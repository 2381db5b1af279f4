//! The rule set in force on a date (DOMAIN.md §4.11): a case is judged by the rules in force on its date
//! (an application by its acceptance date, an assessment by `as_of`, a review by its date), exactly as
//! standards are, and a closed decision is never re-judged under later rules.
//!
//! What differs under [`RuleSet::Y2021`] (民发〔2021〕57号《最低生活保障审核确认办法》 and
//! 民发〔2021〕43号《特困人员认定办法》, both in force 2021-07-01):
//! - tekun is judged per member (`evaluate_with`): every counted member who is unable to work, whose own
//!   income (basic pension not counted) is below S with the household's assets within limits, and who has
//!   no capable supporter is covered; NOT_SINGLE_PERSON is never answered;
//! - a `multiple` disability of grade 1–2 counts as unable to work (`unable_to_work_with`); intellectual or
//!   mental disability grade 3 counts under both sets (DOMAIN §4.4 a as corrected already lists grades 1–3);
//! - occupation alone never refuses (民发〔2022〕83号): a member on public payroll is no reason
//!   (PUBLIC_PAYROLL is not answered), the member's income counts as any member's;
//! - whether another person is a capable supporter (43号 Art. 8) is `capable_supporter_2021`;
//! - time limits `workflow::LIMITS_2021`, and 民主评议 becomes optional (`workflow::next_stage_with`).
//!
//! A minor who meets tekun's conditions stays covered to 18, and beyond while in full-time education
//! (43号). That concerns a person already covered, which the assessment does not know (it judges a
//! household as it is on `as_of`, and has no "already tekun" or "in full-time education" field): a
//! 16- or 17-year-old applying anew is able to work by the list and is refused ABLE_TO_WORK. A
//! review of a covered minor must keep the cover until 18 (and while in full-time education) instead of
//! applying the assessment's ABLE_TO_WORK; no field is needed for that today.
//! A child who also qualifies as an orphan or 事实无人抚养儿童 goes to the children's allowance
//! (§5), which the assessment cannot see either.

use chrono::NaiveDate;

/// A rule set with its effective date. Serialises as its code ("2012", "2021").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleSet {
    /// 民发〔2012〕220号 with Jiangsu practice (DOMAIN.md §4.1–4.7).
    Y2012,
    /// 民发〔2021〕57号 (dibao) and 民发〔2021〕43号 (tekun), in force 2021-07-01.
    Y2021,
}

impl RuleSet {
    /// In order of their effective dates.
    pub const ALL: [RuleSet; 2] = [RuleSet::Y2012, RuleSet::Y2021];

    /// The rule set in force on `date`: 2021-07-01 and later → `Y2021`, anything earlier → `Y2012`
    /// (also before the 2012 rules' own date: the platform knows no earlier set).
    pub fn in_force(date: NaiveDate) -> RuleSet {
        RuleSet::ALL
            .into_iter()
            .rev()
            .find(|r| r.effective_from() <= date)
            .unwrap_or(RuleSet::Y2012)
    }

    /// The first day the set applies: 2012-12-12 (the date 民发〔2012〕220号 was issued, in force on
    /// issue) and 2021-07-01.
    pub fn effective_from(self) -> NaiveDate {
        match self {
            RuleSet::Y2012 => NaiveDate::from_ymd_opt(2012, 12, 12).expect("valid date"),
            RuleSet::Y2021 => NaiveDate::from_ymd_opt(2021, 7, 1).expect("valid date"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            RuleSet::Y2012 => "2012",
            RuleSet::Y2021 => "2021",
        }
    }

    /// The documents, as shown on decisions, approval forms and letters.
    pub fn label(self) -> &'static str {
        match self {
            RuleSet::Y2012 => "民发〔2012〕220号",
            RuleSet::Y2021 => "民发〔2021〕57号、民发〔2021〕43号",
        }
    }

    pub fn from_code(s: &str) -> Option<RuleSet> {
        RuleSet::ALL.into_iter().find(|r| r.code() == s)
    }
}

impl std::fmt::Display for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for RuleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for RuleSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        RuleSet::from_code(&s).ok_or_else(|| {
            let codes: Vec<&str> = RuleSet::ALL.iter().map(|r| r.code()).collect();
            serde::de::Error::custom(format!("未知的规则版本“{s}”，可选：{}", codes.join("、")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn in_force_by_date() {
        assert_eq!(RuleSet::in_force(d(2021, 6, 30)), RuleSet::Y2012);
        assert_eq!(RuleSet::in_force(d(2021, 7, 1)), RuleSet::Y2021);
        assert_eq!(RuleSet::in_force(d(2030, 1, 1)), RuleSet::Y2021);
        assert_eq!(RuleSet::in_force(d(2020, 6, 15)), RuleSet::Y2012);
        assert_eq!(RuleSet::in_force(d(2000, 1, 1)), RuleSet::Y2012);
        for r in RuleSet::ALL {
            assert_eq!(RuleSet::in_force(r.effective_from()), r);
        }
    }

    #[test]
    fn codes_labels_and_serde() {
        assert_eq!(RuleSet::Y2012.code(), "2012");
        assert_eq!(RuleSet::Y2021.code(), "2021");
        assert_eq!(RuleSet::Y2012.label(), "民发〔2012〕220号");
        assert_eq!(RuleSet::Y2021.label(), "民发〔2021〕57号、民发〔2021〕43号");
        for r in RuleSet::ALL {
            let j = serde_json::to_value(r).unwrap();
            assert_eq!(j, serde_json::json!(r.code()));
            assert_eq!(serde_json::from_value::<RuleSet>(j).unwrap(), r);
            assert_eq!(r.to_string(), r.code());
        }
        let e = serde_json::from_value::<RuleSet>(serde_json::json!("2016")).unwrap_err();
        assert!(e.to_string().contains("2012、2021"), "{e}");
    }
}
