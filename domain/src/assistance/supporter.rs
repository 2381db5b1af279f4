//! Whether a person has a capable supporter under the 2021 rules (民发〔2021〕43号 Art. 8, DOMAIN.md §4.11),
//! with the reasons an intake form shows.
//!
//! An obliged supporter (法定赡养、抚养、扶养义务人) has no capacity to support when they are:
//! 1. a tekun person;
//! 2. a dibao recipient aged 60 or more;
//! 3. aged 70 or more, severely disabled (grade 1–2, or intellectual/mental grade 3) or seriously ill,
//!    with own income below last year's local per-capita disposable income;
//! 4. without civil capacity, declared missing, or in prison.
//!
//! Decisions where the text is silent:
//! - every other person listed in the household is an obliged supporter (DOMAIN §4.3: household members
//!   are the relatives with a support duty), whatever their status: a member in prison or declared missing
//!   is judged (and is incapable for that reason); one in drug rehabilitation or a religious post away is
//!   judged on the other facts;
//! - a minor (under 18) has no support duty under the Civil Code and is never a capable supporter;
//! - "own income" of a household member is the member's counted monthly income (`member_income`: with
//!   the basic pension, after the employment deduction), compared as 12 × monthly against last year's
//!   per-capita disposable income (a yearly figure), as `supporter_is_capable` does;
//! - whether someone is a tekun person, a dibao recipient or without civil capacity is a fact from the
//!   registers (`RegisterFacts`), not computed here: judging two members' tekun status from each other
//!   would be circular.

use super::rules::{SupporterFacts, member_income};
use super::standards::Standards;
use super::types::{Disability, DisabilityKind, Household, Member, MemberStatus};
use crate::money::Fen;
use chrono::NaiveDate;

/// Facts about a person that the household record does not hold, from the registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegisterFacts {
    /// Already a tekun person (特困人员).
    pub is_tekun: bool,
    /// Already a dibao recipient (低保对象).
    pub is_dibao_recipient: bool,
    /// Without civil capacity (无民事行为能力).
    pub lacks_civil_capacity: bool,
}

/// An obliged supporter who does not live with the household, as the intake form lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterElsewhere {
    /// How the form names them, e.g. "长子 张某".
    pub name: String,
    pub facts: SupporterFacts,
}

/// One supporter's verdict: capable or not, and why (Chinese, for the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterVerdict {
    pub capable: bool,
    pub reasons: Vec<String>,
}

/// One supporter judged for `capable_supporter_2021`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterJudgement {
    /// "320281********0013(配偶)" for a household member, the given name for one living elsewhere.
    pub who: String,
    /// Index into `Household::members` for a household member; `None` for one living elsewhere.
    pub member: Option<usize>,
    pub verdict: SupporterVerdict,
}

/// The answer for one member: `has_capable_supporter` for the household record, each supporter's
/// verdict, and a one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterAnswer {
    pub has_capable_supporter: bool,
    pub supporters: Vec<SupporterJudgement>,
    pub summary: String,
}

impl SupporterFacts {
    /// The facts about a household member as a supporter on `on`.
    pub fn of_member(
        m: &Member,
        on: NaiveDate,
        s: &Standards,
        reg: RegisterFacts,
    ) -> SupporterFacts {
        SupporterFacts {
            age: m.age_on(on),
            is_tekun: reg.is_tekun,
            is_dibao_recipient: reg.is_dibao_recipient,
            severely_disabled: matches!(m.disability_grade(), Some(1 | 2)),
            intellectual_or_mental_grade_3: matches!(
                m.disability,
                Some(Disability {
                    kind: DisabilityKind::Intellectual | DisabilityKind::Mental,
                    grade: 3
                })
            ),
            seriously_ill: m.serious_illness,
            own_monthly_income: member_income(m, s),
            lacks_civil_capacity: reg.lacks_civil_capacity,
            missing: m.status == MemberStatus::Missing,
            in_prison: m.status == MemberStatus::Prison,
        }
    }
}

/// One supporter under 43号 Art. 8 (see the module notes), with every ground found.
pub fn supporter_verdict_2021(f: &SupporterFacts, s: &Standards) -> SupporterVerdict {
    let mut not = Vec::new();
    if f.age < 18 {
        not.push(format!("{}岁，未成年人不负赡养、扶养义务", f.age));
    }
    if f.is_tekun {
        not.push("本人是特困人员".to_string());
    }
    if f.is_dibao_recipient && f.age >= 60 {
        not.push(format!("{}岁的低保对象(60周岁以上)", f.age));
    }
    let mut grounds = Vec::new();
    if f.age >= 70 {
        grounds.push(format!("{}岁(70周岁以上)", f.age));
    }
    if f.severely_disabled || f.intellectual_or_mental_grade_3 {
        grounds.push("重度残疾".to_string());
    }
    if f.seriously_ill {
        grounds.push("患重特大疾病".to_string());
    }
    let annual = i128::from(f.own_monthly_income.0) * 12;
    let line = s.per_capita_disposable_income_last_year;
    let annual_text = Fen(annual.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
    let poor = annual < i128::from(line.0);
    if !grounds.is_empty() && poor {
        not.push(format!(
            "{}，本人年收入{annual_text}元低于上年当地居民人均可支配收入{line}元",
            grounds.join("、")
        ));
    }
    if f.lacks_civil_capacity {
        not.push("无民事行为能力".to_string());
    }
    if f.missing {
        not.push("被宣告失踪".to_string());
    }
    if f.in_prison {
        not.push("在监狱服刑".to_string());
    }
    if !not.is_empty() {
        return SupporterVerdict {
            capable: false,
            reasons: not,
        };
    }
    let mut why = vec![format!("{}岁，本人月收入{}元", f.age, f.own_monthly_income)];
    if f.is_dibao_recipient {
        why.push("是低保对象，但未满60周岁".to_string());
    }
    if !grounds.is_empty() {
        why.push(format!(
            "{}，但本人年收入{annual_text}元不低于上年当地居民人均可支配收入{line}元",
            grounds.join("、")
        ));
    }
    why.push("不属于无履行义务能力的情形，具备履行义务能力".to_string());
    SupporterVerdict {
        capable: true,
        reasons: why,
    }
}

/// Whether member `member` of `h` has a capable supporter on `on` under the 2021 rules: every other
/// person listed in `h.members` and every supporter living elsewhere is judged by
/// `supporter_verdict_2021`. `register` holds the register facts of `h.members` by index (a member
/// without an entry has none of them). `has_capable_supporter` is true when any one is capable.
pub fn capable_supporter_2021(
    h: &Household,
    member: usize,
    on: NaiveDate,
    s: &Standards,
    register: &[RegisterFacts],
    elsewhere: &[SupporterElsewhere],
) -> SupporterAnswer {
    let mut supporters = Vec::new();
    for (i, m) in h.members.iter().enumerate() {
        if i == member {
            continue;
        }
        let reg = register.get(i).copied().unwrap_or_default();
        supporters.push(SupporterJudgement {
            who: format!("{}({})", m.id_number.masked(), m.relation.label()),
            member: Some(i),
            verdict: supporter_verdict_2021(&SupporterFacts::of_member(m, on, s, reg), s),
        });
    }
    for e in elsewhere {
        supporters.push(SupporterJudgement {
            who: e.name.clone(),
            member: None,
            verdict: supporter_verdict_2021(&e.facts, s),
        });
    }
    let capable: Vec<&str> = supporters
        .iter()
        .filter(|j| j.verdict.capable)
        .map(|j| j.who.as_str())
        .collect();
    let summary = if supporters.is_empty() {
        "没有法定赡养、抚养、扶养义务人".to_string()
    } else if capable.is_empty() {
        format!("{}名法定义务人均无履行义务能力", supporters.len())
    } else {
        format!("有具备履行义务能力的法定义务人：{}", capable.join("、"))
    };
    SupporterAnswer {
        has_capable_supporter: !capable.is_empty(),
        supporters,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistance::{
        Assets, MonthlyIncome, Relation, RuleSet, evaluate_with, supporter_is_capable,
    };
    use crate::idnumber::IdNumber;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn on() -> NaiveDate {
        d(2021, 9, 1)
    }
    fn s() -> Standards {
        Standards::jiangyin_2020()
    }
    fn y(v: i64) -> Fen {
        Fen::from_yuan(v)
    }

    fn mem(age: u32, seq: u16, rel: Relation) -> Member {
        Member {
            id_number: IdNumber::compose("320281", d(2021 - age as i32, 1, 1), seq),
            relation: rel,
            status: MemberStatus::Normal,
            employed: false,
            disability: None,
            serious_illness: false,
            self_care_unmet: 0,
            has_capable_supporter: false,
            public_payroll: false,
            monthly_income: MonthlyIncome::default(),
        }
    }

    fn hh(members: Vec<Member>) -> Household {
        Household {
            area_code: "320281001003".into(),
            members,
            assets: Assets {
                residential_properties: 1,
                ..Assets::default()
            },
            annual_rigid_expenditure: Fen::ZERO,
        }
    }

    const CAPABLE: SupporterFacts = SupporterFacts {
        age: 45,
        is_tekun: false,
        is_dibao_recipient: false,
        severely_disabled: false,
        intellectual_or_mental_grade_3: false,
        seriously_ill: false,
        own_monthly_income: Fen(500_000),
        lacks_civil_capacity: false,
        missing: false,
        in_prison: false,
    };

    fn capable(f: SupporterFacts) -> bool {
        supporter_verdict_2021(&f, &s()).capable
    }

    #[test]
    fn article_8_grounds() {
        assert!(capable(CAPABLE));
        assert!(!capable(SupporterFacts {
            is_tekun: true,
            ..CAPABLE
        }));
        assert!(capable(SupporterFacts {
            is_dibao_recipient: true,
            age: 59,
            ..CAPABLE
        }));
        assert!(!capable(SupporterFacts {
            is_dibao_recipient: true,
            age: 60,
            ..CAPABLE
        }));
        // 70 or more, severely disabled, seriously ill: only with own income below 54 000 a year
        for f in [
            SupporterFacts { age: 70, ..CAPABLE },
            SupporterFacts {
                severely_disabled: true,
                ..CAPABLE
            },
            SupporterFacts {
                intellectual_or_mental_grade_3: true,
                ..CAPABLE
            },
            SupporterFacts {
                seriously_ill: true,
                ..CAPABLE
            },
        ] {
            assert!(!capable(SupporterFacts {
                own_monthly_income: Fen(449_999),
                ..f
            }));
            assert!(capable(SupporterFacts {
                own_monthly_income: y(4500),
                ..f
            }));
        }
        assert!(capable(SupporterFacts {
            age: 69,
            own_monthly_income: Fen::ZERO,
            ..CAPABLE
        }));
        for f in [
            SupporterFacts {
                lacks_civil_capacity: true,
                ..CAPABLE
            },
            SupporterFacts {
                missing: true,
                ..CAPABLE
            },
            SupporterFacts {
                in_prison: true,
                ..CAPABLE
            },
            SupporterFacts { age: 17, ..CAPABLE },
        ] {
            assert!(!capable(f), "{f:?}");
        }
        assert!(capable(SupporterFacts { age: 18, ..CAPABLE }));
    }

    #[test]
    fn differs_from_2012_only_in_the_new_grounds() {
        // a seriously ill or intellectual-grade-3 poor supporter: capable under 2012, not under 2021
        for f in [
            SupporterFacts {
                seriously_ill: true,
                own_monthly_income: y(1000),
                ..CAPABLE
            },
            SupporterFacts {
                intellectual_or_mental_grade_3: true,
                own_monthly_income: y(1000),
                ..CAPABLE
            },
        ] {
            assert!(supporter_is_capable(&f, &s()));
            assert!(!capable(f));
        }
    }

    #[test]
    fn reasons_say_why() {
        let v = supporter_verdict_2021(
            &SupporterFacts {
                age: 72,
                seriously_ill: true,
                own_monthly_income: y(1000),
                in_prison: true,
                ..CAPABLE
            },
            &s(),
        );
        assert_eq!(
            v.reasons,
            vec![
                "72岁(70周岁以上)、患重特大疾病，本人年收入12000.00元低于上年当地居民人均可支配收入54000.00元",
                "在监狱服刑"
            ]
        );
        let v = supporter_verdict_2021(
            &SupporterFacts {
                age: 72,
                own_monthly_income: y(5000),
                ..CAPABLE
            },
            &s(),
        );
        assert!(v.capable);
        assert_eq!(
            v.reasons,
            vec![
                "72岁，本人月收入5000.00元",
                "72岁(70周岁以上)，但本人年收入60000.00元不低于上年当地居民人均可支配收入54000.00元",
                "不属于无履行义务能力的情形，具备履行义务能力"
            ]
        );
    }

    #[test]
    fn household_members_and_supporters_elsewhere() {
        let st = s();
        // an old couple: the husband is 75 with a small pension, the wife 68 and poor
        let mut husband = mem(75, 0, Relation::Applicant);
        husband.monthly_income.basic_pension = y(300);
        let wife = mem(68, 1, Relation::Spouse);
        let grandson = mem(12, 2, Relation::Grandchild);
        let h = hh(vec![husband, wife, grandson]);
        // for the husband: the wife is 68, not on the list → capable (she is no tekun person in the register)
        let a = capable_supporter_2021(&h, 0, on(), &st, &[], &[]);
        assert!(a.has_capable_supporter);
        assert_eq!(a.supporters.len(), 2);
        assert_eq!(a.supporters[0].member, Some(1));
        assert!(a.supporters[0].verdict.capable);
        assert!(!a.supporters[1].verdict.capable, "a minor");
        assert!(a.summary.contains("(配偶)"), "{}", a.summary);
        // once she is a tekun person he has none
        let reg = [
            RegisterFacts::default(),
            RegisterFacts {
                is_tekun: true,
                ..Default::default()
            },
        ];
        let a = capable_supporter_2021(&h, 0, on(), &st, &reg, &[]);
        assert!(!a.has_capable_supporter);
        assert_eq!(a.summary, "2名法定义务人均无履行义务能力");
        assert_eq!(a.supporters[0].verdict.reasons, vec!["本人是特困人员"]);
        // a son living elsewhere who earns well is capable
        let son = SupporterElsewhere {
            name: "长子 张某".into(),
            facts: CAPABLE,
        };
        let a = capable_supporter_2021(&h, 0, on(), &st, &reg, std::slice::from_ref(&son));
        assert!(a.has_capable_supporter);
        assert_eq!(a.supporters[2].member, None);
        assert_eq!(a.summary, "有具备履行义务能力的法定义务人：长子 张某");
        // for the wife: the husband is 75 and his yearly 3600 is below 54 000 → incapable
        let a = capable_supporter_2021(&h, 1, on(), &st, &[], &[]);
        assert!(!a.has_capable_supporter);
        assert!(a.supporters[0].verdict.reasons[0].contains("75岁"));
        // a member in prison is judged, and incapable
        let mut h2 = h.clone();
        h2.members[1].status = MemberStatus::Prison;
        let a = capable_supporter_2021(&h2, 0, on(), &st, &[], &[]);
        assert!(!a.has_capable_supporter);
        assert!(
            a.supporters[0]
                .verdict
                .reasons
                .contains(&"在监狱服刑".to_string())
        );
        // alone, nobody
        let a = capable_supporter_2021(
            &hh(vec![mem(80, 0, Relation::Applicant)]),
            0,
            on(),
            &st,
            &[],
            &[],
        );
        assert!(!a.has_capable_supporter);
        assert_eq!(a.summary, "没有法定赡养、抚养、扶养义务人");
    }

    #[test]
    fn the_answer_feeds_the_assessment() {
        // two old tekun candidates: each has the other as only supporter; both already tekun in the register
        let st = s();
        let mut h = hh(vec![
            mem(80, 0, Relation::Applicant),
            mem(78, 1, Relation::Spouse),
        ]);
        let reg = [RegisterFacts {
            is_tekun: true,
            ..Default::default()
        }; 2];
        for i in 0..2 {
            h.members[i].has_capable_supporter =
                capable_supporter_2021(&h, i, on(), &st, &reg, &[]).has_capable_supporter;
        }
        let a = evaluate_with(&h, on(), &st, RuleSet::Y2021);
        assert_eq!(
            a.grant(crate::assistance::Category::Tekun).unwrap().covered,
            vec![0, 1]
        );
    }
}
