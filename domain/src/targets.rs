//! The plan's targets (DOMAIN.md §6, TARGETS.md): exact figures, the status rule and the indicator math.
//!
//! Status rule, applied on a day `as_of` to a target of year `year`:
//! - `no_data`: no figure yet (nothing computed, no approved report).
//! - `done` kind (a milestone): `done` when the approved report says done; otherwise `missed` after the
//!   year's end and `on_track` before it.
//! - A target met now (≥: figure ≥ value; ≤: figure ≤ value; =: figure = value) is `done`, except a
//!   cumulative ≤ (a count that can only grow) which is `on_track` until the year has ended.
//! - A target not met after 31 December of its year is `missed`.
//! - Before that, a cumulative ≥ target (a count built up over the year, e.g. 新增养老床位) is `on_track` while the
//!   figure is at least the linear path `value × days elapsed / days in the year`, else `at_risk`;
//!   a cumulative ≤ or = target already exceeded can never come back and is `missed` at once;
//!   a level target (a rate, a standard, a stock) not met is `at_risk`.

use crate::money::Fen;
use chrono::{Datelike, NaiveDate};
use std::cmp::Ordering;

/// How an indicator is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    AtLeast,
    AtMost,
    Exactly,
    /// A milestone: done or not.
    Done,
}

impl Kind {
    /// Accepts the plan's symbols (≥ ≤ =) and their ASCII forms (>= <=), and `done`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "≥" | ">=" => Some(Kind::AtLeast),
            "≤" | "<=" => Some(Kind::AtMost),
            "=" | "==" => Some(Kind::Exactly),
            "done" => Some(Kind::Done),
            _ => None,
        }
    }
    /// The API code: ">=", "<=", "=", "done".
    pub fn code(self) -> &'static str {
        match self {
            Kind::AtLeast => ">=",
            Kind::AtMost => "<=",
            Kind::Exactly => "=",
            Kind::Done => "done",
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Kind::AtLeast => "≥",
            Kind::AtMost => "≤",
            Kind::Exactly => "=",
            Kind::Done => "完成",
        }
    }
}

/// Whether a figure builds up over the year (judged against a linear path) or is a level judged as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Path {
    Level,
    Cumulative,
}

impl Path {
    pub fn parse(s: &str) -> Option<Path> {
        match s.trim() {
            "" | "level" => Some(Path::Level),
            "cumulative" => Some(Path::Cumulative),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Path::Level => "level",
            Path::Cumulative => "cumulative",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Done,
    OnTrack,
    AtRisk,
    Missed,
    NoData,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Done,
        Status::OnTrack,
        Status::AtRisk,
        Status::Missed,
        Status::NoData,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Missed => "missed",
            Status::NoData => "no_data",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Done => "已完成",
            Status::OnTrack => "进度正常",
            Status::AtRisk => "存在风险",
            Status::Missed => "未完成",
            Status::NoData => "暂无数据",
        }
    }
}

/// An exact non-negative rational figure (`num / den`, `den > 0`): targets, reported values and computed
/// indicators are compared exactly and only rounded for display.
#[derive(Debug, Clone, Copy)]
pub struct Num {
    num: i128,
    den: i128,
}

impl PartialEq for Num {
    fn eq(&self, o: &Num) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Num {}
impl PartialOrd for Num {
    fn partial_cmp(&self, o: &Num) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Num {
    fn cmp(&self, o: &Num) -> Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("不能为空")]
    Empty,
    #[error("须为数字（如 12、8.5）")]
    NotNumber,
    #[error("不能为负数")]
    Negative,
    #[error("最多四位小数")]
    TooManyDecimals,
    #[error("数值过大")]
    TooLarge,
}

/// `n / d` rounded half up (halves away from zero); `d` positive.
fn round_half_up(n: i128, d: i128) -> i128 {
    let q = (n.abs() * 2 + d) / (d * 2);
    if n < 0 { -q } else { q }
}

/// `part / whole` as a percentage rounded half up to 2 decimals ("91.67"), the one rounding of every percentage
/// the platform shows; `None` when `whole` is 0.
pub fn percent_2dp(part: i64, whole: i64) -> Option<String> {
    if whole <= 0 {
        return None;
    }
    let bp = round_half_up(i128::from(part) * 10_000, i128::from(whole));
    let sign = if bp < 0 { "-" } else { "" };
    let a = bp.unsigned_abs();
    Some(format!("{sign}{}.{:02}", a / 100, a % 100))
}

impl Num {
    pub const ZERO: Num = Num { num: 0, den: 1 };

    /// `num / den`; `den` must be positive.
    pub fn ratio(num: i128, den: i128) -> Num {
        assert!(den > 0, "denominator must be positive");
        Num { num, den }
    }
    pub fn int(n: i64) -> Num {
        Num {
            num: n.into(),
            den: 1,
        }
    }
    /// Fen as yuan.
    pub fn yuan(f: Fen) -> Num {
        Num {
            num: f.0.into(),
            den: 100,
        }
    }
    /// `part / whole` as a percentage; `None` when `whole` is 0.
    pub fn percent(part: i64, whole: i64) -> Option<Num> {
        (whole > 0).then(|| Num::ratio(i128::from(part) * 100, whole.into()))
    }

    /// A plain decimal ("1000", "8.5", "0.0001"), at most 4 decimals, not negative.
    pub fn parse(s: &str) -> Result<Num, NumError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(NumError::Empty);
        }
        if let Some(rest) = s.strip_prefix('-') {
            return match Num::parse(rest) {
                Ok(_) => Err(NumError::Negative),
                Err(_) => Err(NumError::NotNumber),
            };
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || (s.contains('.') && frac.is_empty())
            || !int.bytes().all(|c| c.is_ascii_digit())
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return Err(NumError::NotNumber);
        }
        if frac.len() > 4 {
            return Err(NumError::TooManyDecimals);
        }
        if int.len() > 15 {
            return Err(NumError::TooLarge);
        }
        let den = 10i128.pow(frac.len() as u32);
        let i: i128 = int.parse().map_err(|_| NumError::NotNumber)?;
        let f: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| NumError::NotNumber)?
        };
        Ok(Num {
            num: i * den + f,
            den,
        })
    }

    /// Rounded down to `decimals` places, trailing zeros dropped: "1000", "98.75", "8.5".
    /// Rounding down never shows a figure as reaching a target it does not reach.
    /// Rounded half up (away from zero) to `decimals`, trailing zeros dropped: the same rounding as
    /// [`percent_2dp`], so a figure reads the same on every page (33/36 → 91.67).
    pub fn display(self, decimals: u32) -> String {
        let scale = 10i128.pow(decimals);
        let scaled = round_half_up(self.num * scale, self.den);
        let neg = scaled < 0;
        let a = scaled.unsigned_abs();
        let scale = scale as u128;
        let mut s = format!("{}{}", if neg { "-" } else { "" }, a / scale);
        if decimals > 0 {
            let frac = format!("{:0width$}", a % scale, width = decimals as usize);
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                s.push('.');
                s.push_str(frac);
            }
        }
        s
    }

    /// `self × n / d`, exact.
    pub fn scale(self, n: i128, d: i128) -> Num {
        assert!(d > 0, "denominator must be positive");
        Num {
            num: self.num * n,
            den: self.den * d,
        }
    }

    /// A fraction of `other` in basis points (1/100 %) rounded down, for bar widths; 0 when `other` is 0.
    pub fn basis_points_of(self, other: Num) -> i64 {
        if other.num == 0 {
            return 0;
        }
        ((self.num * other.den * 10_000).div_euclid(self.den * other.num)) as i64
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display(4))
    }
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).expect("year start"),
        NaiveDate::from_ymd_opt(year, 12, 31).expect("year end"),
    )
}

/// Where a cumulative target should stand on `as_of`: `value × days elapsed (Jan 1 to as_of, inclusive) /
/// days in the year`, 0 before the year and the whole value after it.
pub fn linear_path(value: Num, year: i32, as_of: NaiveDate) -> Num {
    let (start, end) = year_bounds(year);
    let days = (end - start).num_days() + 1;
    let elapsed = ((as_of - start).num_days() + 1).clamp(0, days);
    value.scale(elapsed.into(), days.into())
}

/// The status rule (module docs). `value` is `None` only for `Kind::Done`; a milestone's figure is 1 (done) or 0.
pub fn status(
    kind: Kind,
    path: Path,
    value: Option<Num>,
    current: Option<Num>,
    year: i32,
    as_of: NaiveDate,
) -> Status {
    let Some(cur) = current else {
        return Status::NoData;
    };
    let over = as_of > year_bounds(year).1;
    let not_met = if over { Status::Missed } else { Status::AtRisk };
    let value = match (kind, value) {
        (Kind::Done, _) => {
            return if cur >= Num::int(1) {
                Status::Done
            } else if over {
                Status::Missed
            } else {
                Status::OnTrack
            };
        }
        (_, Some(v)) => v,
        (_, None) => return Status::NoData,
    };
    match (kind, path) {
        (Kind::AtLeast, Path::Level)
        | (Kind::AtMost, Path::Level)
        | (Kind::Exactly, Path::Level) => {
            let met = match kind {
                Kind::AtLeast => cur >= value,
                Kind::AtMost => cur <= value,
                _ => cur == value,
            };
            if met { Status::Done } else { not_met }
        }
        (Kind::AtLeast, Path::Cumulative) | (Kind::Exactly, Path::Cumulative) => {
            if cur > value && kind == Kind::Exactly {
                Status::Missed
            } else if cur >= value {
                Status::Done
            } else if over {
                Status::Missed
            } else if cur >= linear_path(value, year, as_of) {
                Status::OnTrack
            } else {
                Status::AtRisk
            }
        }
        (Kind::AtMost, Path::Cumulative) => {
            if cur > value {
                Status::Missed
            } else if over {
                Status::Done
            } else {
                Status::OnTrack
            }
        }
        (Kind::Done, _) => unreachable!("handled above"),
    }
}

/// T08.3 for one assisted household: the per-capita annual income with assistance,
/// `(counted monthly household income + monthly benefit) × 12 / counted members`, in yuan.
/// `None` for a household with no counted member.
pub fn annual_income_per_capita(
    counted_monthly_income: Fen,
    monthly_benefit: Fen,
    counted_members: usize,
) -> Option<Num> {
    (counted_members > 0).then(|| {
        Num::ratio(
            i128::from((counted_monthly_income + monthly_benefit).0) * 12,
            100 * counted_members as i128,
        )
    })
}

/// The day a year's figures are judged on: `today`, but never later than the year's last day.
pub fn judged_on(year: i32, today: NaiveDate) -> NaiveDate {
    today.min(year_bounds(year).1)
}

/// The last month (YYYY-MM) of `year` that has begun by `today` (December once the year is over;
/// January when the year has not begun).
pub fn judged_month(year: i32, today: NaiveDate) -> String {
    let d = judged_on(year, today);
    if d.year() < year {
        format!("{year}-01")
    } else {
        format!("{year}-{:02}", d.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn n(s: &str) -> Num {
        Num::parse(s).unwrap()
    }

    #[test]
    fn parses_and_displays() {
        assert_eq!(n("8.5"), Num::ratio(17, 2));
        assert_eq!(n("1000").display(2), "1000");
        assert_eq!(n("8.50").display(2), "8.5");
        assert_eq!(n("0.0001").display(4), "0.0001");
        assert_eq!(Num::ratio(2, 3).display(2), "0.67");
        assert_eq!(Num::percent(999, 1000).unwrap().display(2), "99.9");
        assert_eq!(Num::percent(99_994, 100_000).unwrap().display(2), "99.99");
        assert_eq!(Num::percent(99_995, 100_000).unwrap().display(2), "100");
        assert_eq!(Num::percent(1, 0), None);
        // one rounding everywhere: half up, 2 decimals
        assert_eq!(percent_2dp(33, 36).as_deref(), Some("91.67"));
        assert_eq!(Num::percent(33, 36).unwrap().display(2), "91.67");
        assert_eq!(percent_2dp(18_819, 20_000).as_deref(), Some("94.10"));
        assert_eq!(Num::percent(18_819, 20_000).unwrap().display(2), "94.1");
        assert_eq!(percent_2dp(1, 3).as_deref(), Some("33.33"));
        assert_eq!(percent_2dp(2, 3).as_deref(), Some("66.67"));
        assert_eq!(percent_2dp(1, 0), None);
        assert_eq!(Num::ratio(-1, 8).display(2), "-0.13");
        assert_eq!(Num::parse(""), Err(NumError::Empty));
        assert_eq!(Num::parse("-1"), Err(NumError::Negative));
        assert_eq!(Num::parse("1.23456"), Err(NumError::TooManyDecimals));
        for bad in ["abc", "1.", ".5", "1e3", "1,000", "1.2.3"] {
            assert_eq!(Num::parse(bad), Err(NumError::NotNumber), "{bad}");
        }
        assert_eq!(Kind::parse("≥"), Some(Kind::AtLeast));
        assert_eq!(Kind::parse(">="), Some(Kind::AtLeast));
        assert_eq!(Kind::parse("≤").map(Kind::code), Some("<="));
        assert_eq!(Kind::parse(">"), None);
    }

    #[test]
    fn linear_path_through_the_year() {
        let v = n("2400");
        assert_eq!(linear_path(v, 2020, d(2019, 12, 31)), Num::ZERO);
        assert_eq!(linear_path(v, 2020, d(2020, 12, 31)), v);
        assert_eq!(linear_path(v, 2020, d(2021, 3, 1)), v);
        // 2020 has 366 days; 1 July is day 183 → exactly half
        assert_eq!(linear_path(v, 2020, d(2020, 7, 1)), n("1200"));
    }

    #[test]
    fn status_rule() {
        use Status::*;
        let mid = d(2020, 7, 1);
        let after = d(2021, 1, 1);
        let st = |k, p, v: &str, c: Option<&str>, on| status(k, p, Some(n(v)), c.map(n), 2020, on);
        // levels
        assert_eq!(
            st(Kind::AtLeast, Path::Level, "1000", Some("1000"), mid),
            Done
        );
        assert_eq!(
            st(Kind::AtLeast, Path::Level, "1000", Some("999.99"), mid),
            AtRisk
        );
        assert_eq!(
            st(Kind::AtLeast, Path::Level, "1000", Some("999.99"), after),
            Missed
        );
        assert_eq!(st(Kind::AtLeast, Path::Level, "1000", None, after), NoData);
        assert_eq!(
            st(Kind::Exactly, Path::Level, "100", Some("100"), mid),
            Done
        );
        assert_eq!(st(Kind::Exactly, Path::Level, "0", Some("1"), mid), AtRisk);
        assert_eq!(st(Kind::AtMost, Path::Level, "3", Some("2"), after), Done);
        assert_eq!(st(Kind::AtMost, Path::Level, "3", Some("4"), after), Missed);
        // cumulative: half the year gone, half the target reached is on track
        assert_eq!(
            st(Kind::AtLeast, Path::Cumulative, "2400", Some("1200"), mid),
            OnTrack
        );
        assert_eq!(
            st(Kind::AtLeast, Path::Cumulative, "2400", Some("1199"), mid),
            AtRisk
        );
        assert_eq!(
            st(Kind::AtLeast, Path::Cumulative, "2400", Some("2400"), mid),
            Done
        );
        assert_eq!(
            st(Kind::AtLeast, Path::Cumulative, "2400", Some("2399"), after),
            Missed
        );
        assert_eq!(
            st(
                Kind::AtLeast,
                Path::Cumulative,
                "2400",
                Some("0"),
                d(2019, 11, 1)
            ),
            OnTrack
        );
        assert_eq!(
            st(Kind::AtMost, Path::Cumulative, "2", Some("2"), mid),
            OnTrack
        );
        assert_eq!(
            st(Kind::AtMost, Path::Cumulative, "2", Some("3"), mid),
            Missed
        );
        assert_eq!(
            st(Kind::AtMost, Path::Cumulative, "2", Some("2"), after),
            Done
        );
        assert_eq!(
            st(Kind::Exactly, Path::Cumulative, "5", Some("6"), mid),
            Missed
        );
        // milestones
        assert_eq!(
            status(Kind::Done, Path::Level, None, Some(Num::int(1)), 2020, mid),
            Done
        );
        assert_eq!(
            status(Kind::Done, Path::Level, None, Some(Num::int(0)), 2020, mid),
            OnTrack
        );
        assert_eq!(
            status(
                Kind::Done,
                Path::Level,
                None,
                Some(Num::int(0)),
                2020,
                after
            ),
            Missed
        );
        assert_eq!(
            status(Kind::Done, Path::Level, None, None, 2020, after),
            NoData
        );
    }

    #[test]
    fn income_floor_math() {
        // 2 members, 800 yuan income, 1200 yuan benefit → 1000 per person per month → 12000 a year
        let v = annual_income_per_capita(Fen::from_yuan(800), Fen::from_yuan(1200), 2).unwrap();
        assert_eq!(v, n("12000"));
        assert_eq!(
            annual_income_per_capita(Fen(1), Fen(0), 3)
                .unwrap()
                .display(2),
            "0.04"
        );
        assert_eq!(annual_income_per_capita(Fen(100), Fen(0), 0), None);
        assert_eq!(judged_on(2020, d(2026, 11, 28)), d(2020, 12, 31));
        assert_eq!(judged_month(2020, d(2026, 11, 28)), "2020-12");
        assert_eq!(judged_month(2021, d(2020, 5, 3)), "2021-01");
        assert_eq!(judged_month(2020, d(2020, 5, 3)), "2020-05");
    }

    proptest! {
        /// The percentage text and a percentage figure's display agree, and are within half a hundredth of the
        /// exact value.
        #[test]
        fn percentages_round_one_way(part in 0i64..1_000_000, whole in 1i64..1_000_000) {
            let text = percent_2dp(part, whole).unwrap();
            let shown: f64 = text.parse().unwrap();
            let exact = part as f64 * 100.0 / whole as f64;
            prop_assert!((shown - exact).abs() <= 0.005 + 1e-9, "{} {}", text, exact);
            let num: f64 = Num::percent(part, whole).unwrap().display(2).parse().unwrap();
            prop_assert!((num - shown).abs() < 1e-9, "{} {}", num, shown);
        }

        /// A met target is done on any day; an unmet one after the year is missed; never no_data with a figure.
        #[test]
        fn status_is_consistent(v in 0i64..100_000, c in 0i64..100_000, day in 0i64..1200, cumulative: bool, k in 0usize..3) {
            let kind = [Kind::AtLeast, Kind::AtMost, Kind::Exactly][k];
            let path = if cumulative { Path::Cumulative } else { Path::Level };
            let on = d(2019, 6, 1) + chrono::Duration::days(day);
            let s = status(kind, path, Some(Num::int(v)), Some(Num::int(c)), 2020, on);
            prop_assert_ne!(s, Status::NoData);
            let met = match kind { Kind::AtLeast => c >= v, Kind::AtMost => c <= v, _ => c == v };
            if on > d(2020, 12, 31) {
                prop_assert_eq!(s, if met { Status::Done } else { Status::Missed });
            } else if met && !(cumulative && kind == Kind::AtMost) {
                prop_assert_eq!(s, Status::Done);
            } else if !met && !cumulative {
                prop_assert_eq!(s, Status::AtRisk);
            }
            // a figure on or above the linear path is never at risk
            if kind == Kind::AtLeast && cumulative && Num::int(c) >= linear_path(Num::int(v), 2020, on) {
                prop_assert_ne!(s, Status::AtRisk);
            }
        }

        #[test]
        fn display_parse_round_trip(units in 0i64..10_000_000_000, places in 0u32..5) {
            let x = Num::ratio(units.into(), 10i128.pow(places));
            prop_assert_eq!(Num::parse(&x.display(4)).unwrap(), x);
        }
    }
}

/// An indicator's unit as people read it: the plan's few English units in Chinese, the rest as written.
pub fn unit_label(unit: &str) -> String {
    match unit.trim() {
        "% of towns" => "%（镇、街道）".into(),
        "% of villages" => "%（村、社区）".into(),
        "% of business lines" => "%（业务条线）".into(),
        "cases" => "例".into(),
        "open hazards" => "处（未整改）".into(),
        "pairs" => "对".into(),
        "unit" => "个".into(),
        "m² each" => "m²/个".into(),
        "个 per town" => "个/镇(街道)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::unit_label;

    #[test]
    fn units_read_in_chinese() {
        assert_eq!(unit_label("% of towns"), "%（镇、街道）");
        assert_eq!(unit_label("cases"), "例");
        assert_eq!(unit_label("张/千人"), "张/千人");
        for u in [
            "% of villages",
            "% of business lines",
            "open hazards",
            "pairs",
            "unit",
            "m² each",
            "个 per town",
        ] {
            assert!(
                !unit_label(u)
                    .chars()
                    .any(|c| c.is_ascii_alphabetic() && c != 'm'),
                "{u}"
            );
        }
    }
}
