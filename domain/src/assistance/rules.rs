//! The eligibility and amount rules of DOMAIN.md §4.3–4.5 and ASSESSMENT-API.md.
//!
//! Comparisons against S are made on exact totals (e.g. "per capita < S" as "total < S·n"), so no
//! division or rounding can flip a result; only displayed per-capita figures are rounded (down, so
//! that a shown figure is below S exactly when the real one is).
//!
//! COVERED_BY_HIGHER_CATEGORY: dibao_single, low_income and expenditure are defined for households
//! that are NOT dibao-eligible, so when the household is dibao-eligible each of them gets
//! COVERED_BY_HIGHER_CATEGORY (plus any other reason that also applies, e.g. NO_QUALIFYING_MEMBER
//! for dibao_single). Tekun and dibao are assessed independently: a person can qualify for both,
//! both are listed as eligible, and `best` (tekun first) tells the workflow which one to grant.
//!
//! `evaluate_with` takes the rule set (DOMAIN.md §4.11, see `RuleSet`); `evaluate` uses the one in
//! force on `as_of`.

use super::ruleset::RuleSet;
use super::standards::Standards;
use super::types::*;
use crate::money::Fen;
use chrono::NaiveDate;

/// A reason a category does not apply, with a Chinese message saying what was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    fn new(code: ReasonCode, message: impl Into<String>) -> Reason {
        Reason {
            code,
            message: message.into(),
        }
    }
}

// ---------- income ----------

/// Wage after the employment cost deduction (employed members only, never below 0).
pub fn wage_after_deduction(m: &Member, s: &Standards) -> Fen {
    if m.employed {
        (m.monthly_income.wage - s.employment_deduction).max(Fen::ZERO)
    } else {
        m.monthly_income.wage
    }
}

/// A member's counted monthly income for dibao, dibao_single, low_income and expenditure.
pub fn member_income(m: &Member, s: &Standards) -> Fen {
    let i = &m.monthly_income;
    wage_after_deduction(m, s) + i.business + i.property + i.transfer + i.basic_pension
}

/// A member's own income for tekun: the basic pension does not count (§4.4 b).
pub fn tekun_income(m: &Member, s: &Standards) -> Fen {
    let i = &m.monthly_income;
    wage_after_deduction(m, s) + i.business + i.property + i.transfer
}

/// Counted monthly income of the household: members with status normal only.
pub fn household_income(members: &[Member], s: &Standards) -> Fen {
    members
        .iter()
        .filter(|m| m.is_counted())
        .map(|m| member_income(m, s))
        .sum()
}

/// `total / n` rounded down to the fen (display only); 0 for an empty household.
pub fn per_capita_floor(total: Fen, n: usize) -> Fen {
    if n == 0 {
        Fen::ZERO
    } else {
        Fen(total.0.div_euclid(n as i64))
    }
}

// ---------- member attributes ----------

fn grade_1_2(m: &Member) -> bool {
    matches!(m.disability_grade(), Some(1 | 2))
}

fn intellectual_or_mental(m: &Member, grades: std::ops::RangeInclusive<u8>) -> bool {
    matches!(m.disability, Some(Disability { kind: DisabilityKind::Intellectual | DisabilityKind::Mental, grade }) if grades.contains(&grade))
}

/// ≥ 70, < 18, disability grade 1–2 or seriously ill (§4.2).
pub fn qualifies_for_classified_increase(m: &Member, as_of: NaiveDate) -> bool {
    let age = m.age_on(as_of);
    !(18..70).contains(&age) || grade_1_2(m) || m.serious_illness
}

/// The member's classified increase (分类施保): one per member however many grounds apply.
pub fn classified_increase(m: &Member, as_of: NaiveDate, s: &Standards) -> Fen {
    if qualifies_for_classified_increase(m, as_of) {
        s.classified_increase_amount()
    } else {
        Fen::ZERO
    }
}

/// May be covered alone (单人保): disability grade 1–2, intellectual/mental grade 3, or serious illness.
pub fn qualifies_alone(m: &Member) -> bool {
    grade_1_2(m) || intellectual_or_mental(m, 3..=3) || m.serious_illness
}

/// Unable to work (§4.4 a) under the 2012 rules. The list is DOMAIN's, taken literally: e.g. hearing or
/// "multiple" disability grade 1 is not on it.
pub fn unable_to_work(m: &Member, as_of: NaiveDate) -> bool {
    let age = m.age_on(as_of);
    !(16..60).contains(&age)
        || intellectual_or_mental(m, 1..=3)
        || matches!(
            m.disability,
            Some(Disability {
                kind: DisabilityKind::Limb,
                grade: 1 | 2
            })
        )
        || matches!(
            m.disability,
            Some(Disability {
                kind: DisabilityKind::Visual,
                grade: 1
            })
        )
}

/// Unable to work under `rules`. Under 2021 (43号 Art. 5, DOMAIN §4.11) a `multiple` disability of grade
/// 1–2 also counts: its most severe kind is taken to meet the list (the household record holds only the
/// overall grade, and a multiple disability is graded by its most severe kind). Intellectual/mental
/// grade 3 counts under both sets. A minor already covered stays covered to 18 (and while in full-time
/// education): that is for the review of a case, not for this test of a new application (see `RuleSet`).
pub fn unable_to_work_with(m: &Member, as_of: NaiveDate, rules: RuleSet) -> bool {
    unable_to_work(m, as_of)
        || (rules == RuleSet::Y2021
            && matches!(
                m.disability,
                Some(Disability {
                    kind: DisabilityKind::Multiple,
                    grade: 1 | 2
                })
            ))
}

/// Self-care tier from the number of the 6 daily activities not met.
pub fn self_care_tier(unmet: u8) -> CareTier {
    match unmet {
        0 => CareTier::SelfCare,
        1..=3 => CareTier::PartlyDisabled,
        _ => CareTier::FullyDisabled,
    }
}

/// Tekun monthly amount: basic living standard + care standard of the tier, up to the whole yuan.
pub fn tekun_monthly_amount(self_care_unmet: u8, s: &Standards) -> Fen {
    (s.tekun_basic + s.tekun_care.for_tier(self_care_tier(self_care_unmet))).ceil_yuan()
}

/// What is known about one obliged supporter (赡养/抚养/扶养义务人) for §4.4 (c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SupporterFacts {
    pub age: u32,
    pub is_tekun: bool,
    pub is_dibao_recipient: bool,
    /// Disability grade 1–2.
    pub severely_disabled: bool,
    /// Intellectual or mental disability grade 3: severely disabled under 2021 (43号), not under 2012.
    pub intellectual_or_mental_grade_3: bool,
    /// A listed serious illness (重特大疾病): counts under 2021 (43号 Art. 8), not under 2012.
    pub seriously_ill: bool,
    pub own_monthly_income: Fen,
    pub lacks_civil_capacity: bool,
    pub missing: bool,
    pub in_prison: bool,
}

/// Whether a supporter is able to support (§4.4 c) under the 2012 rules (`seriously_ill` and
/// `intellectual_or_mental_grade_3` play no part). The person has no capable supporter when every
/// supporter is incapable; the workflow turns that into `has_capable_supporter`. Under 2021 see
/// `supporter_verdict_2021` and `capable_supporter_2021`.
pub fn supporter_is_capable(f: &SupporterFacts, s: &Standards) -> bool {
    let poor_old_or_disabled = (f.age >= 70 || f.severely_disabled)
        && i128::from(f.own_monthly_income.0) * 12
            < i128::from(s.per_capita_disposable_income_last_year.0);
    let incapable = f.is_tekun
        || (f.is_dibao_recipient && f.age >= 60)
        || poor_old_or_disabled
        || f.lacks_civil_capacity
        || f.missing
        || f.in_prison;
    !incapable
}

// ---------- assets ----------

/// Every disqualifying asset finding (§4.3) under the 2012 rules, in the API's reason-code order.
pub fn asset_reasons(h: &Household, s: &Standards) -> Vec<Reason> {
    asset_reasons_with(h, s, RuleSet::Y2012)
}

/// Every disqualifying asset finding under `rules`. Under 2021 a member on public payroll is no
/// finding: occupation alone never refuses (民发〔2022〕83号); the member's income counts as anyone's.
pub fn asset_reasons_with(h: &Household, s: &Standards, rules: RuleSet) -> Vec<Reason> {
    let mut out = Vec::new();
    let a = &h.assets;
    let bad: Vec<VehicleKind> = a
        .vehicles
        .iter()
        .copied()
        .filter(|v| v.disqualifies())
        .collect();
    if !bad.is_empty() {
        let mut kinds: Vec<&str> = Vec::new();
        for v in &bad {
            if !kinds.contains(&v.label()) {
                kinds.push(v.label());
            }
        }
        let count = if bad.len() > 1 {
            format!("{}辆", bad.len())
        } else {
            String::new()
        };
        out.push(Reason::new(
            ReasonCode::Vehicle,
            format!("家庭成员名下有{count}机动车({})", kinds.join("、")),
        ));
    }
    if a.residential_properties >= 2 {
        out.push(Reason::new(
            ReasonCode::ResidentialProperty,
            format!("家庭名下有{}套住房(两套及以上)", a.residential_properties),
        ));
    }
    if a.commercial_properties >= 1 {
        out.push(Reason::new(
            ReasonCode::CommercialProperty,
            format!(
                "家庭名下有{}处商业用房(商铺、写字楼等)",
                a.commercial_properties
            ),
        ));
    }
    if a.enterprise_roles >= 1 {
        out.push(Reason::new(
            ReasonCode::Enterprise,
            format!("家庭成员担任{}家企业的法定代表人或股东", a.enterprise_roles),
        ));
    }
    let payroll: Vec<String> = h
        .counted()
        .filter(|(_, m)| rules == RuleSet::Y2012 && m.public_payroll)
        .map(|(_, m)| m.id_number.masked())
        .collect();
    if !payroll.is_empty() {
        out.push(Reason::new(
            ReasonCode::PublicPayroll,
            format!("家庭成员中有财政供养人员({})", payroll.join("、")),
        ));
    }
    let n = h.counted_len();
    let limit = i128::from(s.financial_limit_per_capita().0) * n as i128;
    if n > 0 && i128::from(a.financial.0) > limit {
        out.push(Reason::new(
            ReasonCode::FinancialAssets,
            format!(
                "家庭人均金融资产{}元，超过限额{}元(低保标准的{}倍)",
                per_capita_floor(a.financial, n),
                s.financial_limit_per_capita(),
                s.financial_asset_multiple
            ),
        ));
    }
    out
}

// ---------- the assessment ----------

/// A category the household qualifies for. `covered` holds indices into `Household::members`, in
/// member order (for tekun under 2021, each member covered as a tekun person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub monthly_amount: Fen,
    pub covered: Vec<usize>,
}

pub type Outcome = Result<Grant, Vec<Reason>>;

/// The full result, for the workflow (which members, exact income); `to_response` gives the API view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub as_of: NaiveDate,
    /// The rule set the household was judged by.
    pub rules: RuleSet,
    pub members_counted: usize,
    /// Counted monthly income of the household (after the employment deduction).
    pub household_income: Fen,
    /// Rounded down to the fen.
    pub per_capita_monthly_income: Fen,
    /// One outcome per category of `Category::ASSESSED`, in that order.
    pub outcomes: Vec<(Category, Outcome)>,
}

impl Assessment {
    pub fn outcome(&self, c: Category) -> Option<&Outcome> {
        self.outcomes.iter().find(|(k, _)| *k == c).map(|(_, o)| o)
    }
    pub fn grant(&self, c: Category) -> Option<&Grant> {
        self.outcome(c).and_then(|o| o.as_ref().ok())
    }
    pub fn is_eligible(&self, c: Category) -> bool {
        self.grant(c).is_some()
    }
    /// The first eligible category in the order tekun, dibao, dibao_single, expenditure, low_income.
    pub fn best(&self) -> Option<Category> {
        self.outcomes
            .iter()
            .find(|(_, o)| o.is_ok())
            .map(|(c, _)| *c)
    }
}

/// Assesses a household on `as_of` under standards `s` and the rule set in force on `as_of`.
pub fn evaluate(h: &Household, as_of: NaiveDate, s: &Standards) -> Assessment {
    evaluate_with(h, as_of, s, RuleSet::in_force(as_of))
}

/// Assesses a household on `as_of` under standards `s` and rule set `rules`. Robust to an empty
/// household (validation refuses one, but the workflow may build a `Household` itself).
pub fn evaluate_with(h: &Household, as_of: NaiveDate, s: &Standards, rules: RuleSet) -> Assessment {
    let counted: Vec<(usize, &Member)> = h.counted().collect();
    let n = counted.len();
    let n_i = n as i128;
    let total = household_income(&h.members, s);
    let total_i = i128::from(total.0);
    let sd = s.dibao;
    let sd_i = i128::from(sd.0);
    let pc = per_capita_floor(total, n);
    let assets = asset_reasons_with(h, s, rules);
    let all_counted: Vec<usize> = counted.iter().map(|(i, _)| *i).collect();
    let r = s.low_income_multiplier;
    let below_low_line = total_i * i128::from(r.den) < sd_i * i128::from(r.num) * n_i;
    let low_line_reason = || {
        Reason::new(
            ReasonCode::IncomeAboveLowIncomeLine,
            format!(
                "家庭人均月收入{pc}元，不低于低收入标准{}元(低保标准的{}倍)",
                s.low_income_line(),
                r.text()
            ),
        )
    };
    let no_members = || {
        Reason::new(
            ReasonCode::NoQualifyingMember,
            "没有状态正常的共同生活家庭成员",
        )
    };
    let covered_by_dibao = || {
        Reason::new(
            ReasonCode::CoveredByHigherCategory,
            "家庭符合低保条件，按低保整户救助",
        )
    };

    // dibao
    let dibao: Outcome = if n == 0 {
        Err(vec![no_members()])
    } else {
        let mut reasons = assets.clone();
        if total_i >= sd_i * n_i {
            reasons.push(Reason::new(
                ReasonCode::IncomeAboveStandard,
                format!("家庭人均月收入{pc}元，不低于低保标准{sd}元"),
            ));
        }
        if reasons.is_empty() {
            let increases: Fen = counted
                .iter()
                .map(|(_, m)| classified_increase(m, as_of, s))
                .sum();
            let amount = (Fen(sd.0 * n as i64) - total + increases).ceil_yuan();
            // (S − per capita)·n > 0 here, so the amount is positive; guard anyway
            if amount.0 > 0 {
                Ok(Grant {
                    monthly_amount: amount,
                    covered: all_counted.clone(),
                })
            } else {
                Err(vec![Reason::new(
                    ReasonCode::IncomeAboveStandard,
                    "按标准计算的低保金为0",
                )])
            }
        } else {
            Err(reasons)
        }
    };
    let dibao_ok = dibao.is_ok();

    // dibao_single
    let dibao_single: Outcome = if n == 0 {
        Err(vec![no_members()])
    } else {
        let mut reasons = Vec::new();
        if dibao_ok {
            reasons.push(covered_by_dibao());
        } else {
            reasons.extend(assets.iter().cloned());
            if !below_low_line {
                reasons.push(low_line_reason());
            }
        }
        let qualifying: Vec<(usize, Fen)> = counted
            .iter()
            .filter(|(_, m)| qualifies_alone(m))
            .map(|(i, m)| {
                (
                    *i,
                    (sd - member_income(m, s)).max(Fen::ZERO) + classified_increase(m, as_of, s),
                )
            })
            .collect();
        let paid: Vec<(usize, Fen)> = qualifying
            .iter()
            .copied()
            .filter(|(_, a)| a.0 > 0)
            .collect();
        if qualifying.is_empty() {
            reasons.push(Reason::new(
                ReasonCode::NoQualifyingMember,
                "家庭中没有一、二级残疾，三级智力、精神残疾或患重特大疾病的成员",
            ));
        } else if paid.is_empty() {
            reasons.push(Reason::new(
                ReasonCode::IncomeAboveStandard,
                format!("可单独纳入的成员本人月收入均不低于低保标准{sd}元"),
            ));
        }
        if reasons.is_empty() {
            let amount = paid.iter().map(|(_, a)| *a).sum::<Fen>().ceil_yuan();
            Ok(Grant {
                monthly_amount: amount,
                covered: paid.iter().map(|(i, _)| *i).collect(),
            })
        } else {
            Err(reasons)
        }
    };

    let tekun: Outcome = match rules {
        // 2012: only a one-person household is assessed
        RuleSet::Y2012 => {
            if n != 1 {
                Err(vec![Reason::new(
                    ReasonCode::NotSinglePerson,
                    format!("家庭共同生活成员{n}人，特困供养只评估单人户"),
                )])
            } else {
                let (idx, m) = counted[0];
                let reasons = tekun_reasons(m, as_of, s, rules, &assets);
                if reasons.is_empty() {
                    Ok(Grant {
                        monthly_amount: tekun_monthly_amount(m.self_care_unmet, s),
                        covered: vec![idx],
                    })
                } else {
                    Err(reasons)
                }
            }
        }
        RuleSet::Y2021 => tekun_per_member(&counted, as_of, s, &assets),
    };

    // low_income and expenditure grant status, not cash
    let status_grant = || Grant {
        monthly_amount: Fen::ZERO,
        covered: all_counted.clone(),
    };
    let low_income: Outcome = if n == 0 {
        Err(vec![no_members()])
    } else if dibao_ok {
        Err(vec![covered_by_dibao()])
    } else {
        let mut reasons = assets.clone();
        if !below_low_line {
            reasons.push(low_line_reason());
        }
        if reasons.is_empty() {
            Ok(status_grant())
        } else {
            Err(reasons)
        }
    };

    let expenditure: Outcome = if n == 0 {
        Err(vec![no_members()])
    } else if dibao_ok {
        Err(vec![covered_by_dibao()])
    } else {
        let mut reasons = assets.clone();
        let rigid = i128::from(h.annual_rigid_expenditure.0);
        let net_annual = total_i * 12 - rigid;
        if net_annual >= sd_i * 12 * n_i {
            let net_pc = Fen(net_annual.div_euclid(12 * n_i) as i64);
            reasons.push(Reason::new(
                ReasonCode::NotEnoughExpenditure,
                format!(
                    "扣除刚性支出{}元后家庭人均月收入{net_pc}元，不低于低保标准{sd}元",
                    h.annual_rigid_expenditure
                ),
            ));
        }
        if reasons.is_empty() {
            Ok(status_grant())
        } else {
            Err(reasons)
        }
    };

    Assessment {
        as_of,
        rules,
        members_counted: n,
        household_income: total,
        per_capita_monthly_income: pc,
        outcomes: vec![
            (Category::Tekun, tekun),
            (Category::Dibao, dibao),
            (Category::DibaoSingle, dibao_single),
            (Category::Expenditure, expenditure),
            (Category::LowIncome, low_income),
        ],
    }
}

/// Why `m` is not a tekun person on their own (empty: they are), in the API's order: ABLE_TO_WORK,
/// INCOME_ABOVE_STANDARD, the household's asset findings, HAS_SUPPORTER.
fn tekun_reasons(
    m: &Member,
    as_of: NaiveDate,
    s: &Standards,
    rules: RuleSet,
    assets: &[Reason],
) -> Vec<Reason> {
    let sd = s.dibao;
    let mut reasons = Vec::new();
    if !unable_to_work_with(m, as_of, rules) {
        let dis = match m.disability {
            Some(d) => format!("{}残疾{}级", d.kind.label(), d.grade),
            None => "无残疾".to_string(),
        };
        reasons.push(Reason::new(
            ReasonCode::AbleToWork,
            format!("本人{}岁，{dis}，具有劳动能力", m.age_on(as_of)),
        ));
    }
    let own = tekun_income(m, s);
    if own >= sd {
        reasons.push(Reason::new(
            ReasonCode::IncomeAboveStandard,
            format!("本人月收入{own}元(不含基本养老金)，不低于低保标准{sd}元"),
        ));
    }
    reasons.extend(assets.iter().cloned());
    if m.has_capable_supporter {
        reasons.push(Reason::new(
            ReasonCode::HasSupporter,
            "有具备赡养、抚养或扶养能力的法定义务人",
        ));
    }
    reasons
}

/// Tekun under 2021 (43号, DOMAIN §4.11): each counted member is judged on their own; every member who
/// qualifies is covered, and the amount is the sum of each one's basic + care amount (each rounded up
/// to the whole yuan as a one-person grant is). With nobody covered, a one-member household gets its
/// member's reasons; a larger one the household's asset findings (which no member can escape) and
/// NO_QUALIFYING_MEMBER, whose message says for each member what failed.
fn tekun_per_member(
    counted: &[(usize, &Member)],
    as_of: NaiveDate,
    s: &Standards,
    assets: &[Reason],
) -> Outcome {
    if counted.is_empty() {
        return Err(vec![Reason::new(
            ReasonCode::NoQualifyingMember,
            "没有状态正常的共同生活家庭成员",
        )]);
    }
    let judged: Vec<(usize, &Member, Vec<Reason>)> = counted
        .iter()
        .map(|(i, m)| (*i, *m, tekun_reasons(m, as_of, s, RuleSet::Y2021, assets)))
        .collect();
    let covered: Vec<(usize, &Member)> = judged
        .iter()
        .filter(|(_, _, r)| r.is_empty())
        .map(|(i, m, _)| (*i, *m))
        .collect();
    if !covered.is_empty() {
        let amount: Fen = covered
            .iter()
            .map(|(_, m)| tekun_monthly_amount(m.self_care_unmet, s))
            .sum();
        return Ok(Grant {
            monthly_amount: amount.ceil_yuan(),
            covered: covered.iter().map(|(i, _)| *i).collect(),
        });
    }
    if let [(_, _, reasons)] = judged.as_slice() {
        return Err(reasons.clone());
    }
    let each: Vec<String> = judged
        .iter()
        .map(|(_, m, reasons)| {
            let own: Vec<&str> = reasons
                .iter()
                .filter(|r| !assets.contains(r))
                .map(|r| r.code.label())
                .collect();
            let what = if own.is_empty() {
                "本人条件符合，但家庭财产不符合".to_string()
            } else {
                own.join("、")
            };
            format!("{}({}){what}", m.id_number.masked(), m.relation.label())
        })
        .collect();
    let mut out = assets.to_vec();
    out.push(Reason::new(
        ReasonCode::NoQualifyingMember,
        format!(
            "家庭共同生活成员{}人，没有符合特困人员条件的成员：{}",
            judged.len(),
            each.join("；")
        ),
    ));
    Err(out)
}
