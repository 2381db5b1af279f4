use super::*;
use crate::assistance::*;
use crate::idnumber::IdNumber;
use crate::money::Fen;
use chrono::NaiveDate;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
fn on() -> NaiveDate {
    d(2020, 11, 15)
}
fn s() -> Standards {
    Standards::jiangyin_2020()
}
const CITY: &str = "320281";

fn mem(age: i32, seq: u16, monthly_yuan: i64) -> Member {
    Member {
        id_number: IdNumber::compose("320281", d(2020 - age, 1, 1), seq),
        relation: if seq == 0 {
            Relation::Applicant
        } else {
            Relation::Other
        },
        status: MemberStatus::Normal,
        employed: false,
        disability: None,
        serious_illness: false,
        self_care_unmet: 0,
        has_capable_supporter: true,
        public_payroll: false,
        monthly_income: MonthlyIncome {
            transfer: Fen::from_yuan(monthly_yuan),
            ..Default::default()
        },
    }
}

/// Two adults with 300 yuan each: dibao-eligible with a margin of 700 yuan per person.
fn household() -> Household {
    Household {
        area_code: "320281001003".into(),
        members: vec![mem(45, 0, 300), mem(43, 1, 300)],
        assets: Assets {
            financial: Fen::from_yuan(2_000),
            residential_properties: 1,
            ..Default::default()
        },
        annual_rigid_expenditure: Fen::ZERO,
    }
}

fn row(fact: Fact, n: i64) -> SourceRow {
    SourceRow {
        fact,
        evidence: Evidence {
            source: Source::Vehicles,
            load_id: "L".into(),
            row: n,
        },
    }
}

/// The kinds found when member 1 has these rows.
fn kinds(facts: Vec<Fact>) -> Vec<FindingKind> {
    let rows = vec![
        vec![],
        facts
            .into_iter()
            .enumerate()
            .map(|(i, f)| row(f, i as i64 + 2))
            .collect(),
    ];
    let mut k: Vec<FindingKind> =
        check_case(Category::Dibao, &household(), &rows, on(), &s(), CITY)
            .into_iter()
            .map(|f| f.kind)
            .collect();
    k.sort();
    k
}

fn ins(month: &str, wage: i64, pension: i64) -> Fact {
    Fact::Insurance {
        month: month.into(),
        wage_base: Fen::from_yuan(wage),
        pension: Fen::from_yuan(pension),
    }
}

#[test]
fn a_clean_household_has_no_finding() {
    assert!(kinds(vec![]).is_empty());
    assert!(evaluate(&household(), on(), &s()).is_eligible(Category::Dibao));
}

#[test]
fn death_and_its_twins() {
    assert_eq!(
        kinds(vec![Fact::Death { on: d(2020, 3, 1) }]),
        [FindingKind::Death]
    );
    // a death recorded for a later date has not happened yet on the check date
    assert!(kinds(vec![Fact::Death { on: d(2020, 12, 1) }]).is_empty());
    // a member already recorded as not counted is not a finding
    let mut h = household();
    h.members[1].status = MemberStatus::Prison;
    let rows = vec![vec![], vec![row(Fact::Death { on: d(2020, 3, 1) }, 2)]];
    assert!(check_case(Category::Dibao, &h, &rows, on(), &s(), CITY).is_empty());
}

#[test]
fn moved_away_only_out_of_the_city() {
    assert_eq!(
        kinds(vec![Fact::Moved {
            on: d(2020, 5, 1),
            destination: "320583".into()
        }]),
        [FindingKind::MovedAway]
    );
    assert!(
        kinds(vec![Fact::Moved {
            on: d(2020, 5, 1),
            destination: "320281103".into()
        }])
        .is_empty()
    );
}

#[test]
fn vehicles_that_disqualify_and_those_that_do_not() {
    assert_eq!(
        kinds(vec![Fact::Vehicle {
            kind: VehicleKind::Car
        }]),
        [FindingKind::Vehicle]
    );
    assert_eq!(
        kinds(vec![Fact::Vehicle {
            kind: VehicleKind::Truck
        }]),
        [FindingKind::Vehicle]
    );
    for k in [
        VehicleKind::Motorcycle,
        VehicleKind::Mobility,
        VehicleKind::Farm,
    ] {
        assert!(kinds(vec![Fact::Vehicle { kind: k }]).is_empty(), "{k:?}");
    }
}

#[test]
fn homes_commercial_and_other_property() {
    let home = |id: &str| Fact::Property {
        property_id: id.into(),
        residential: true,
        commercial: false,
    };
    assert!(kinds(vec![home("A")]).is_empty(), "one home");
    assert!(
        kinds(vec![home("A"), home("A")]).is_empty(),
        "the same home in two loads"
    );
    assert_eq!(
        kinds(vec![home("A"), home("B")]),
        [FindingKind::ResidentialProperty]
    );
    // the two homes may belong to different members
    let rows = vec![vec![row(home("A"), 2)], vec![row(home("B"), 3)]];
    let f = check_case(Category::Dibao, &household(), &rows, on(), &s(), CITY);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.len(), 2);
    assert_eq!(
        kinds(vec![Fact::Property {
            property_id: "C".into(),
            residential: false,
            commercial: true
        }]),
        [FindingKind::CommercialProperty]
    );
    assert!(
        kinds(vec![Fact::Property {
            property_id: "G".into(),
            residential: false,
            commercial: false
        }])
        .is_empty()
    );
}

#[test]
fn enterprise_owners_but_not_individual_businesses() {
    assert_eq!(
        kinds(vec![Fact::Business { owner: true }]),
        [FindingKind::Enterprise]
    );
    assert!(kinds(vec![Fact::Business { owner: false }]).is_empty());
}

#[test]
fn payroll_and_custody() {
    assert_eq!(kinds(vec![Fact::Payroll]), [FindingKind::PublicPayroll]);
    // the twin: a payroll record of someone no longer counted in the household (recorded as in prison)
    let mut h = household();
    h.members[1].status = MemberStatus::Prison;
    let rows = vec![vec![], vec![row(Fact::Payroll, 2)]];
    assert!(check_case(Category::Dibao, &h, &rows, on(), &s(), CITY).is_empty());
    assert_eq!(
        kinds(vec![Fact::Custody {
            prison: true,
            from: d(2019, 1, 1),
            to: None
        }]),
        [FindingKind::Custody]
    );
    assert_eq!(
        kinds(vec![Fact::Custody {
            prison: false,
            from: d(2020, 1, 1),
            to: Some(d(2021, 1, 1))
        }]),
        [FindingKind::Custody]
    );
    assert!(
        kinds(vec![Fact::Custody {
            prison: true,
            from: d(2017, 1, 1),
            to: Some(d(2019, 1, 1))
        }])
        .is_empty(),
        "released"
    );
}

#[test]
fn income_that_lifts_the_household_to_the_standard() {
    // 3,000 yuan wage base for 12 months: 2,685 after own contributions, 2,485 after the deduction —
    // (300 + 2,485) / 2 ≥ 1,000
    let year: Vec<Fact> = (0..12)
        .map(|i| ins(&format!("{}", month_of(i)), 3_000, 0))
        .collect();
    assert_eq!(kinds(year), [FindingKind::Income]);
    // 1,500 yuan for 12 months: 1,342 − 200 = 1,142; (300 + 1,142) / 2 = 721 < 1,000 — still eligible
    let low: Vec<Fact> = (0..12)
        .map(|i| ins(&format!("{}", month_of(i)), 1_500, 0))
        .collect();
    assert!(kinds(low).is_empty());
    // wages outside the 12-month window do not count
    assert!(kinds(vec![ins("2019-10", 100_000, 0)]).is_empty());
    // a pension counts in full
    assert_eq!(
        kinds(vec![ins("2020-06", 0, 30_000)]),
        [FindingKind::Income]
    );
    // a housing-fund contribution of 960 a month implies a 4,000 wage
    let fund: Vec<Fact> = (0..12)
        .map(|i| Fact::Fund {
            month: month_of(i),
            contribution: Fen::from_yuan(960),
        })
        .collect();
    assert_eq!(kinds(fund), [FindingKind::Income]);
}

fn month_of(i: u32) -> String {
    // the 12 months up to the check month
    let m = 11 + i; // 2019-12 .. 2020-11
    if m <= 12 {
        format!("2019-{m:02}")
    } else {
        format!("2020-{:02}", m - 12)
    }
}

#[test]
fn financial_assets_over_the_limit() {
    // the limit is 24 · S = 24,000 yuan per capita: 48,000 for two
    let dep = |b: i64, inst: &str, m: u32| Fact::Deposit {
        institution: inst.into(),
        balance: Fen::from_yuan(b),
        as_of: d(2020, m, 1),
    };
    assert!(
        kinds(vec![dep(48_000, "工行", 6)]).is_empty(),
        "at the limit"
    );
    assert_eq!(
        kinds(vec![dep(48_001, "工行", 6)]),
        [FindingKind::FinancialAssets]
    );
    // the latest balance per institution counts, not the sum over time
    assert!(kinds(vec![dep(60_000, "工行", 1), dep(10_000, "工行", 6)]).is_empty());
    assert_eq!(
        kinds(vec![dep(30_000, "工行", 6), dep(30_000, "农行", 6)]),
        [FindingKind::FinancialAssets]
    );
}

#[test]
fn tekun_income_ignores_the_basic_pension() {
    let mut h = household();
    h.members = vec![mem(75, 0, 0)];
    h.members[0].has_capable_supporter = false;
    assert!(evaluate(&h, on(), &s()).is_eligible(Category::Tekun));
    let rows = vec![vec![row(ins("2020-06", 0, 30_000), 2)]];
    assert!(check_case(Category::Tekun, &h, &rows, on(), &s(), CITY).is_empty());
    let rows = vec![vec![row(ins("2020-06", 200_000, 0), 2)]];
    let f = check_case(Category::Tekun, &h, &rows, on(), &s(), CITY);
    assert_eq!(
        f.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FindingKind::Income]
    );
}

#[test]
fn missed_candidates_and_eligibility() {
    let h = household();
    let dis = |kind, grade| vec![row(Fact::Disability { kind, grade }, 2)];
    assert!(missed_reason(&h, 1, &dis(DisabilityKind::Limb, 2), false, on()).is_some());
    assert!(missed_reason(&h, 1, &dis(DisabilityKind::Limb, 3), false, on()).is_none());
    assert!(missed_reason(&h, 1, &dis(DisabilityKind::Mental, 3), false, on()).is_some());
    assert!(
        missed_reason(
            &h,
            1,
            &[row(
                Fact::Illness {
                    out_of_pocket_12m: Fen::ZERO
                },
                2
            )],
            false,
            on()
        )
        .is_some()
    );
    assert!(
        missed_reason(&h, 0, &[], true, on()).is_none(),
        "45 and alone is not a candidate"
    );
    let mut old = household();
    old.members = vec![mem(82, 0, 500)];
    assert!(missed_reason(&old, 0, &[], true, on()).is_some());
    assert!(missed_reason(&old, 0, &[], false, on()).is_none());
    let mut orphan = household();
    orphan.members = vec![mem(10, 0, 0), mem(8, 1, 0)];
    assert!(missed_reason(&orphan, 1, &[], false, on()).is_some());
    assert!(missed_reason(&household(), 0, &[], false, on()).is_none());

    assert!(looks_eligible(&h, &[vec![], vec![]], on(), &s(), CITY).contains(&Category::Dibao));
    // a car makes the household ineligible for everything the assessment grants
    let car = vec![
        vec![],
        vec![row(
            Fact::Vehicle {
                kind: VehicleKind::Car,
            },
            2,
        )],
    ];
    assert!(looks_eligible(&h, &car, on(), &s(), CITY).is_empty());
}

#[test]
fn coverage_outliers() {
    assert!(coverage_outlier((5, 100), (20, 1000)), "5 % against 2 %");
    assert!(
        !coverage_outlier((4, 100), (20, 1000)),
        "exactly twice is not more than twice"
    );
    assert!(!coverage_outlier((0, 100), (0, 1000)));
    assert!(
        coverage_outlier((1, 100), (0, 1000)),
        "any recipient where the town has none"
    );
}

#[test]
fn overpayment_counts_the_months_after() {
    let paid: Vec<(String, Fen)> = ["2020-03", "2020-04", "2020-05"]
        .iter()
        .map(|m| (m.to_string(), Fen::from_yuan(700)))
        .collect();
    assert_eq!(
        overpayment(&paid, Some(d(2020, 3, 20)), Fen::ZERO),
        Fen::from_yuan(1_400)
    );
    assert_eq!(overpayment(&paid, None, Fen::ZERO), Fen::ZERO);
    // adjusted to 500 a month: 200 too much in each of April and May
    assert_eq!(
        overpayment(&paid, Some(d(2020, 3, 20)), Fen::from_yuan(500)),
        Fen::from_yuan(400)
    );
    assert_eq!(
        overpayment(&paid, Some(d(2020, 3, 20)), Fen::from_yuan(900)),
        Fen::ZERO
    );
    assert_eq!(death_review_due(d(2020, 11, 30)), d(2021, 2, 28));
}

proptest! {
    /// A vehicle that does not disqualify never produces a finding, whatever else the member has.
    #[test]
    fn harmless_rows_never_find(kind in 0usize..3, months in 0u32..12, wage in 0i64..1_200) {
        let k = [VehicleKind::Motorcycle, VehicleKind::Mobility, VehicleKind::Farm][kind];
        let mut facts = vec![Fact::Vehicle { kind: k }];
        facts.extend((0..months).map(|i| ins(&month_of(i), wage, 0)));
        prop_assert!(kinds(facts).is_empty());
    }

    /// The income finding is monotone: more wage never removes it.
    #[test]
    fn income_finding_is_monotone(wage in 0i64..6_000, extra in 0i64..3_000) {
        let a: Vec<Fact> = (0..12).map(|i| ins(&month_of(i), wage, 0)).collect();
        let b: Vec<Fact> = (0..12).map(|i| ins(&month_of(i), wage + extra, 0)).collect();
        if kinds(a).contains(&FindingKind::Income) {
            prop_assert!(kinds(b).contains(&FindingKind::Income));
        }
    }
}
