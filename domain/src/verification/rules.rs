//! What a source row reveals about an assisted household (错保), a household without assistance (漏保) and a
//! village (人情保), by DOMAIN §4.3, §4.8–4.10. Pure functions over plain data: the application layer gathers the
//! rows, these decide.

use super::sources::Source;
use crate::assistance::{Category, Household, MemberStatus, Standards, VehicleKind, evaluate};
use crate::money::Fen;
use chrono::{Datelike, Months, NaiveDate};

/// Where a fact came from: the source, its load and the row in the file (the header is row 1).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Evidence {
    pub source: Source,
    pub load_id: String,
    pub row: i64,
}

/// One row of a source, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Death {
        on: NaiveDate,
    },
    Moved {
        on: NaiveDate,
        destination: String,
    },
    Vehicle {
        kind: VehicleKind,
    },
    Property {
        property_id: String,
        commercial: bool,
        residential: bool,
    },
    Business {
        owner: bool,
    },
    Payroll,
    /// `month` is YYYY-MM.
    Insurance {
        month: String,
        wage_base: Fen,
        pension: Fen,
    },
    Fund {
        month: String,
        contribution: Fen,
    },
    Deposit {
        institution: String,
        balance: Fen,
        as_of: NaiveDate,
    },
    Disability {
        kind: crate::assistance::DisabilityKind,
        grade: u8,
    },
    Illness {
        out_of_pocket_12m: Fen,
    },
    Custody {
        prison: bool,
        from: NaiveDate,
        to: Option<NaiveDate>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub fact: Fact,
    pub evidence: Evidence,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Death,
    MovedAway,
    Vehicle,
    ResidentialProperty,
    CommercialProperty,
    Enterprise,
    PublicPayroll,
    Income,
    FinancialAssets,
    Custody,
    UnregisteredRelative,
    CoverageOutlier,
    Missed,
}

impl FindingKind {
    pub const ALL: [FindingKind; 13] = [
        FindingKind::Death,
        FindingKind::MovedAway,
        FindingKind::Vehicle,
        FindingKind::ResidentialProperty,
        FindingKind::CommercialProperty,
        FindingKind::Enterprise,
        FindingKind::PublicPayroll,
        FindingKind::Income,
        FindingKind::FinancialAssets,
        FindingKind::Custody,
        FindingKind::UnregisteredRelative,
        FindingKind::CoverageOutlier,
        FindingKind::Missed,
    ];
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Death => "death",
            FindingKind::MovedAway => "moved_away",
            FindingKind::Vehicle => "vehicle",
            FindingKind::ResidentialProperty => "residential_property",
            FindingKind::CommercialProperty => "commercial_property",
            FindingKind::Enterprise => "enterprise",
            FindingKind::PublicPayroll => "public_payroll",
            FindingKind::Income => "income",
            FindingKind::FinancialAssets => "financial_assets",
            FindingKind::Custody => "custody",
            FindingKind::UnregisteredRelative => "unregistered_relative",
            FindingKind::CoverageOutlier => "coverage_outlier",
            FindingKind::Missed => "missed",
        }
    }
    pub fn from_code(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Death => "死亡仍在保",
            FindingKind::MovedAway => "户籍迁出本市",
            FindingKind::Vehicle => "拥有机动车",
            FindingKind::ResidentialProperty => "拥有两套以上住房",
            FindingKind::CommercialProperty => "拥有商业用房",
            FindingKind::Enterprise => "企业法定代表人或股东",
            FindingKind::PublicPayroll => "财政供养人员",
            FindingKind::Income => "收入超标",
            FindingKind::FinancialAssets => "金融资产超标",
            FindingKind::Custody => "服刑或强制隔离戒毒",
            FindingKind::UnregisteredRelative => "工作人员近亲属未备案",
            FindingKind::CoverageOutlier => "村(居)保障面异常偏高",
            FindingKind::Missed => "疑似漏保",
        }
    }
    /// 错保, 人情保 or 漏保.
    pub fn group(self) -> &'static str {
        match self {
            FindingKind::UnregisteredRelative | FindingKind::CoverageOutlier => "人情保",
            FindingKind::Missed => "漏保",
            _ => "错保",
        }
    }
    /// Whether the finding means the recipient is not (or not fully) eligible — what T10.1 counts.
    pub fn is_wrongful(self) -> bool {
        self.group() == "错保"
    }
}

/// A finding about one household (or, for `coverage_outlier`, one village).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    /// Index of the member in the household the finding is about (the first with evidence).
    pub member: Option<usize>,
    /// The rows behind it; the first is the one shown.
    pub evidence: Vec<Evidence>,
    /// When the household stopped being eligible, if a source says so (for the overpayment).
    pub since: Option<NaiveDate>,
    /// What the officer reads, in Chinese.
    pub detail: String,
}

/// Personal social-insurance contributions (pension 8 %, medical 2 %, unemployment 0.5 %) come off the wage base
/// to give the wage that §4.3 counts.
pub const OWN_CONTRIBUTIONS_PER_MILLE: i64 = 105;
/// A housing-fund contribution is employer + employee at up to 12 % each: the lowest wage it implies is
/// contribution / 24 %.
pub const FUND_RATE_PERCENT_BOTH_SIDES: i64 = 24;
/// A year's out-of-pocket medical cost at or above this many months of the dibao standard is a large bill (预警).
pub const LARGE_MEDICAL_BILL_MONTHS_OF_S: i64 = 12;

/// The 12 months that count for income on `on`: the month of `on` and the 11 before it, as YYYY-MM.
pub fn income_window(on: NaiveDate) -> (String, String) {
    let first = NaiveDate::from_ymd_opt(on.year(), on.month(), 1).expect("first of month")
        - Months::new(11);
    (
        format!("{:04}-{:02}", first.year(), first.month()),
        format!("{:04}-{:02}", on.year(), on.month()),
    )
}

/// Monthly averages over the 12-month window that the sources show for one person: counted wage (after own
/// contributions, before the employment deduction, which `evaluate` applies) and pension.
pub fn source_income(rows: &[SourceRow], on: NaiveDate) -> (Fen, Fen, Vec<Evidence>) {
    let (from, to) = income_window(on);
    let in_window = |m: &str| m >= from.as_str() && m <= to.as_str();
    // a month reported twice (two loads) counts once, at its highest figure
    let mut si: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    let mut fund: std::collections::BTreeMap<&str, i64> = Default::default();
    let mut ev = Vec::new();
    for r in rows {
        match &r.fact {
            Fact::Insurance {
                month,
                wage_base,
                pension,
            } if in_window(month) => {
                let e = si.entry(month.as_str()).or_insert((0, 0));
                e.0 = e.0.max(wage_base.0);
                e.1 = e.1.max(pension.0);
                ev.push(r.evidence.clone());
            }
            Fact::Fund {
                month,
                contribution,
            } if in_window(month) => {
                let e = fund.entry(month.as_str()).or_insert(0);
                *e = (*e).max(contribution.0);
                ev.push(r.evidence.clone());
            }
            _ => {}
        }
    }
    let after_own = |gross: i64| gross * (1000 - OWN_CONTRIBUTIONS_PER_MILLE) / 1000;
    let si_wage: i64 = si.values().map(|v| v.0).sum::<i64>() / 12;
    let pension: i64 = si.values().map(|v| v.1).sum::<i64>() / 12;
    let fund_gross: i64 = fund.values().sum::<i64>() * 100 / FUND_RATE_PERCENT_BOTH_SIDES / 12;
    (Fen(after_own(si_wage.max(fund_gross))), Fen(pension), ev)
}

/// Latest balance per institution, summed: the person's financial assets as the sources show them.
pub fn source_deposits(rows: &[SourceRow]) -> (Fen, Vec<Evidence>) {
    let mut latest: std::collections::BTreeMap<&str, (NaiveDate, i64, &Evidence)> =
        Default::default();
    for r in rows {
        if let Fact::Deposit {
            institution,
            balance,
            as_of,
        } = &r.fact
        {
            let e = latest
                .entry(institution.as_str())
                .or_insert((*as_of, balance.0, &r.evidence));
            if (*as_of, balance.0) > (e.0, e.1) {
                *e = (*as_of, balance.0, &r.evidence);
            }
        }
    }
    (
        Fen(latest.values().map(|v| v.1).sum()),
        latest.values().map(|v| v.2.clone()).collect(),
    )
}

fn in_custody(from: NaiveDate, to: Option<NaiveDate>, on: NaiveDate) -> bool {
    from <= on && to.is_none_or(|t| t >= on)
}

/// The household as the sources show it on `on`: members dead, moved out of `city` or in custody no longer count;
/// vehicles, properties, enterprise roles, payroll, deposits, wages and pensions from the sources are added
/// (never lowering what was recorded); certified disabilities and medical costs are taken in.
/// `rows[i]` are the rows about `h.members[i]`.
pub fn apply_sources(
    h: &Household,
    rows: &[impl AsRef<[SourceRow]>],
    on: NaiveDate,
    city: &str,
) -> Household {
    let mut out = h.clone();
    let mut residential: std::collections::BTreeSet<&str> = Default::default();
    let mut commercial: std::collections::BTreeSet<&str> = Default::default();
    let mut owners = 0u32;
    let mut deposits = Fen::ZERO;
    let mut medical = Fen::ZERO;
    for (i, rs) in rows
        .iter()
        .map(AsRef::as_ref)
        .enumerate()
        .take(out.members.len())
    {
        let m = &mut out.members[i];
        for r in rs {
            match &r.fact {
                Fact::Death { on: d } if *d <= on => m.status = MemberStatus::Missing,
                Fact::Moved { on: d, destination }
                    if *d <= on && !destination.starts_with(city) =>
                {
                    m.status = MemberStatus::Missing
                }
                Fact::Custody { prison, from, to } if in_custody(*from, *to, on) => {
                    m.status = if *prison {
                        MemberStatus::Prison
                    } else {
                        MemberStatus::DrugRehab
                    }
                }
                Fact::Vehicle { kind } => out.assets.vehicles.push(*kind),
                Fact::Property {
                    property_id,
                    commercial: c,
                    residential: r,
                } => {
                    if *r {
                        residential.insert(property_id);
                    }
                    if *c {
                        commercial.insert(property_id);
                    }
                }
                Fact::Business { owner: true } => owners += 1,
                Fact::Payroll => m.public_payroll = true,
                Fact::Disability { kind, grade } => {
                    let better = m.disability.is_none_or(|d| *grade < d.grade);
                    if better {
                        m.disability = Some(crate::assistance::Disability {
                            kind: *kind,
                            grade: *grade,
                        });
                    }
                }
                Fact::Illness { out_of_pocket_12m } => {
                    m.serious_illness = true;
                    medical += *out_of_pocket_12m;
                }
                _ => {}
            }
        }
        let (wage, pension, _) = source_income(rs, on);
        if wage > m.monthly_income.wage {
            m.monthly_income.wage = wage;
            m.employed = true;
        }
        if pension > m.monthly_income.basic_pension {
            m.monthly_income.basic_pension = pension;
        }
        deposits += source_deposits(rs).0;
    }
    let a = &mut out.assets;
    a.residential_properties = a.residential_properties.max(residential.len() as u32);
    a.commercial_properties = a.commercial_properties.max(commercial.len() as u32);
    a.enterprise_roles = a.enterprise_roles.max(owners);
    a.financial = a.financial.max(deposits);
    out.annual_rigid_expenditure = out.annual_rigid_expenditure.max(medical);
    out
}

fn first_member<'a, R: AsRef<[SourceRow]>>(
    rows: &'a [R],
    h: &Household,
    pick: impl Fn(&Fact) -> bool,
) -> Option<(usize, &'a SourceRow)> {
    rows.iter()
        .enumerate()
        .filter(|(i, _)| h.members.get(*i).is_some_and(|m| m.is_counted()))
        .flat_map(|(i, rs)| rs.as_ref().iter().map(move |r| (i, r)))
        .find(|(_, r)| pick(&r.fact))
}

/// 错保: what the sources show about an assisted household of `category` on `on`. A finding exists exactly when
/// §4.3/§4.8 says the source makes the household (or a counted member) ineligible; `city` is the 6-digit code
/// whose moves stay inside the city.
pub fn check_case(
    category: Category,
    h: &Household,
    rows: &[impl AsRef<[SourceRow]>],
    on: NaiveDate,
    s: &Standards,
    city: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push =
        |kind, hit: Option<(usize, &SourceRow)>, since: Option<NaiveDate>, detail: String| {
            if let Some((i, r)) = hit {
                out.push(Finding {
                    kind,
                    member: Some(i),
                    evidence: vec![r.evidence.clone()],
                    since,
                    detail,
                });
            }
        };
    // membership: each counted member that is gone is one finding
    for (i, rs) in rows.iter().map(AsRef::as_ref).enumerate() {
        if !h.members.get(i).is_some_and(|m| m.is_counted()) {
            continue;
        }
        if let Some(r) = rs
            .iter()
            .find(|r| matches!(r.fact, Fact::Death { on: d } if d <= on))
        {
            let Fact::Death { on: d } = r.fact else {
                unreachable!()
            };
            push(
                FindingKind::Death,
                Some((i, r)),
                Some(d),
                format!("{d}死亡，仍在保"),
            );
        }
        if let Some(r) = rs.iter().find(|r| matches!(&r.fact, Fact::Moved { on: d, destination } if *d <= on && !destination.starts_with(city))) {
            let Fact::Moved { on: d, destination } = &r.fact else { unreachable!() };
            push(FindingKind::MovedAway, Some((i, r)), Some(*d), format!("{d}户籍迁往{}（本市以外）", crate::places::outside_place(destination, city)));
        }
        if let Some(r) = rs
            .iter()
            .find(|r| matches!(r.fact, Fact::Custody { from, to, .. } if in_custody(from, to, on)))
        {
            let Fact::Custody { prison, from, .. } = r.fact else {
                unreachable!()
            };
            let what = if prison {
                "服刑"
            } else {
                "强制隔离戒毒"
            };
            push(
                FindingKind::Custody,
                Some((i, r)),
                Some(from),
                format!("自{from}{what}，不应计入共同生活家庭成员"),
            );
        }
    }
    let hit = first_member(
        rows,
        h,
        |f| matches!(f, Fact::Vehicle { kind } if kind.disqualifies()),
    );
    if let Some((_, r)) = hit {
        let Fact::Vehicle { kind } = r.fact else {
            unreachable!()
        };
        push(
            FindingKind::Vehicle,
            hit,
            None,
            format!("登记有{}", kind.label()),
        );
    }
    // two or more distinct homes across the counted members
    let mut homes: Vec<(usize, &SourceRow)> = Vec::new();
    for (i, rs) in rows
        .iter()
        .map(AsRef::as_ref)
        .enumerate()
        .filter(|(i, _)| h.members.get(*i).is_some_and(|m| m.is_counted()))
    {
        for r in rs {
            if let Fact::Property { property_id, residential: true, .. } = &r.fact
                && !homes.iter().any(|(_, x)| matches!(&x.fact, Fact::Property { property_id: p, .. } if p == property_id))
            {
                homes.push((i, r));
            }
        }
    }
    if homes.len() >= 2 {
        out.push(Finding {
            kind: FindingKind::ResidentialProperty,
            member: Some(homes[1].0),
            evidence: homes.iter().map(|(_, r)| r.evidence.clone()).collect(),
            since: None,
            detail: format!("家庭共有住房{}套", homes.len()),
        });
    }
    let mut push = |kind, hit: Option<(usize, &SourceRow)>, detail: &str| {
        if let Some((i, r)) = hit {
            out.push(Finding {
                kind,
                member: Some(i),
                evidence: vec![r.evidence.clone()],
                since: None,
                detail: detail.into(),
            });
        }
    };
    push(
        FindingKind::CommercialProperty,
        first_member(rows, h, |f| {
            matches!(
                f,
                Fact::Property {
                    commercial: true,
                    ..
                }
            )
        }),
        "登记有商业用房",
    );
    push(
        FindingKind::Enterprise,
        first_member(rows, h, |f| matches!(f, Fact::Business { owner: true })),
        "为企业法定代表人或股东",
    );
    push(
        FindingKind::PublicPayroll,
        first_member(rows, h, |f| matches!(f, Fact::Payroll)),
        "为财政供养人员",
    );

    // income and financial assets: would the rules still grant the category with what the sources show?
    let recorded = evaluate(h, on, s);
    if recorded.is_eligible(category) {
        let mut with_income = h.clone();
        let mut ev = Vec::new();
        let mut member = None;
        for (i, rs) in rows
            .iter()
            .map(AsRef::as_ref)
            .enumerate()
            .take(h.members.len())
        {
            let (wage, pension, e) = source_income(rs, on);
            let m = &mut with_income.members[i];
            let mut raised = false;
            if wage > m.monthly_income.wage {
                m.monthly_income.wage = wage;
                m.employed = true;
                raised = true;
            }
            if pension > m.monthly_income.basic_pension {
                m.monthly_income.basic_pension = pension;
                raised = true;
            }
            if raised && m.is_counted() {
                member.get_or_insert(i);
                ev.extend(e);
            }
        }
        if member.is_some() {
            let a = evaluate(&with_income, on, s);
            if !a.is_eligible(category) {
                out.push(Finding {
                    kind: FindingKind::Income,
                    member,
                    evidence: ev,
                    since: None,
                    detail: format!(
                        "按部门数据人均月收入{}元，超过{}条件",
                        a.per_capita_monthly_income,
                        category.label()
                    ),
                });
            }
        }
        let mut total = Fen::ZERO;
        let mut ev = Vec::new();
        let mut member = None;
        for (i, rs) in rows.iter().map(AsRef::as_ref).enumerate() {
            if !h.members.get(i).is_some_and(|m| m.is_counted()) {
                continue;
            }
            let (t, e) = source_deposits(rs);
            if t > Fen::ZERO {
                member.get_or_insert(i);
                total += t;
                ev.extend(e);
            }
        }
        if total > h.assets.financial {
            let mut with_assets = h.clone();
            with_assets.assets.financial = total;
            if !evaluate(&with_assets, on, s).is_eligible(category) {
                out.push(Finding {
                    kind: FindingKind::FinancialAssets,
                    member,
                    evidence: ev,
                    since: None,
                    detail: format!(
                        "家庭金融资产{}元，人均超过{}倍低保标准",
                        total, s.financial_asset_multiple
                    ),
                });
            }
        }
    }
    out
}

/// Why a person is a 漏保 candidate (§4.9): the registries that name them.
pub fn missed_reason(
    h: &Household,
    member: usize,
    rows: &[SourceRow],
    lives_alone: bool,
    on: NaiveDate,
) -> Option<String> {
    use crate::assistance::DisabilityKind::*;
    let m = h.members.get(member)?;
    let age = m.age_on(on);
    for r in rows {
        match r.fact {
            Fact::Disability { kind, grade }
                if grade <= 2 || (grade == 3 && matches!(kind, Intellectual | Mental)) =>
            {
                return Some(format!("残联登记{}残疾{}级", kind.label(), grade));
            }
            Fact::Illness { .. } => return Some("医保登记重特大疾病".into()),
            _ => {}
        }
    }
    if lives_alone && age >= 80 {
        return Some(format!("{age}岁独居老人"));
    }
    if age < 18
        && !h
            .members
            .iter()
            .any(|o| o.is_counted() && o.age_on(on) >= 18)
    {
        return Some("未成年人家中无成年人（孤儿或事实无人抚养）".into());
    }
    None
}

/// 漏保: the categories a household without assistance looks eligible for, as the sources show it.
/// Temporary assistance is never a finding.
pub fn looks_eligible(
    h: &Household,
    rows: &[impl AsRef<[SourceRow]>],
    on: NaiveDate,
    s: &Standards,
    city: &str,
) -> Vec<Category> {
    let seen = apply_sources(h, rows, on, city);
    if seen.counted().next().is_none() {
        return Vec::new();
    }
    let a = evaluate(&seen, on, s);
    Category::ASSESSED
        .into_iter()
        .filter(|c| a.is_eligible(*c))
        .collect()
}

/// 人情保: a village whose coverage rate (recipients / residents) is more than twice its town's.
/// Exact integer comparison: v_rec / v_res > 2 · t_rec / t_res.
pub fn coverage_outlier(village: (i64, i64), town: (i64, i64)) -> bool {
    let (v_rec, v_res) = village;
    let (t_rec, t_res) = town;
    v_rec > 0
        && v_res > 0
        && t_res > 0
        && (v_rec as i128) * (t_res as i128) > 2 * (t_rec as i128) * (v_res as i128)
}

/// A bill is large when it is at least 12 months of the dibao standard.
pub fn is_large_medical_bill(out_of_pocket_12m: Fen, s: &Standards) -> bool {
    out_of_pocket_12m.0 >= s.dibao.0 * LARGE_MEDICAL_BILL_MONTHS_OF_S
}

/// A death in an assisted household must be reviewed within 3 months (§4.7).
pub fn death_review_due(date_of_death: NaiveDate) -> NaiveDate {
    date_of_death + Months::new(3)
}

/// The overpayment of a confirmed 错保: for every month paid after the month in which the household became
/// ineligible, what was paid above `due` (nothing is due once the case stops; the new amount once it is adjusted).
/// `paid` is (month YYYY-MM, amount) of the case's paid lines.
pub fn overpayment(paid: &[(String, Fen)], since: Option<NaiveDate>, due: Fen) -> Fen {
    let Some(since) = since else { return Fen::ZERO };
    let m = format!("{:04}-{:02}", since.year(), since.month());
    paid.iter()
        .filter(|(month, _)| *month > m)
        .map(|(_, a)| Fen((a.0 - due.0).max(0)))
        .sum()
}
