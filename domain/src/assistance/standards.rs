//! Assistance standards (§4.2): plain data, all money in fen, ratios as integer fractions.
//! Which `Standards` is in force on a date is the caller's choice (see `in_force_on`).

use super::types::CareTier;
use crate::money::Fen;
use chrono::NaiveDate;

/// An exact fraction `num / den` (no floating point in policy code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
}

impl Ratio {
    pub const fn new(num: i64, den: i64) -> Ratio {
        Ratio { num, den }
    }
    /// `amount · num / den`, rounded down to the fen.
    /// A zero or negative denominator (refused by `Standards::validate`) gives 0 rather than a panic.
    pub fn of_floor(self, amount: Fen) -> Fen {
        if self.den <= 0 {
            return Fen::ZERO;
        }
        Fen((i128::from(amount.0) * i128::from(self.num)).div_euclid(i128::from(self.den)) as i64)
    }
    /// "1.5", "2", or "5/3" when no short decimal exists.
    pub fn text(self) -> String {
        if self.den != 0 && self.num % self.den == 0 {
            return (self.num / self.den).to_string();
        }
        for (scale, width) in [(10, 1), (100, 2)] {
            if self.den != 0 && (self.num * scale) % self.den == 0 {
                let v = self.num * scale / self.den;
                return format!("{}.{:0width$}", v / scale, v % scale, width = width);
            }
        }
        format!("{}/{}", self.num, self.den)
    }
}

/// Tekun care standard (照料护理标准) per self-care tier, per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CareStandards {
    #[serde(with = "crate::money_serde")]
    pub self_care: Fen,
    #[serde(with = "crate::money_serde")]
    pub partly_disabled: Fen,
    #[serde(with = "crate::money_serde")]
    pub fully_disabled: Fen,
}

impl CareStandards {
    pub fn for_tier(&self, tier: CareTier) -> Fen {
        match tier {
            CareTier::SelfCare => self.self_care,
            CareTier::PartlyDisabled => self.partly_disabled,
            CareTier::FullyDisabled => self.fully_disabled,
        }
    }
}

/// The policy parameters of one deployment for one period. Serialises with money as yuan strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Standards {
    /// Dibao standard S, per person per month.
    #[serde(with = "crate::money_serde")]
    pub dibao: Fen,
    /// Tekun basic living standard, per person per month.
    #[serde(with = "crate::money_serde")]
    pub tekun_basic: Fen,
    pub tekun_care: CareStandards,
    /// Low-income line = S · this, per capita per month.
    pub low_income_multiplier: Ratio,
    /// Classified increase (分类施保) in percent of S per qualifying member.
    pub classified_increase_percent: u32,
    /// Employment cost deduction off each employed member's monthly wage.
    #[serde(with = "crate::money_serde")]
    pub employment_deduction: Fen,
    /// Financial assets per capita may be at most S · this.
    pub financial_asset_multiple: u32,
    /// Temporary assistance a town may approve alone: up to S · this.
    pub temporary_town_multiple: u32,
    /// Temporary assistance maximum with city approval: S · this.
    pub temporary_city_max_multiple: u32,
    /// Last year's local per-capita disposable income, per YEAR, for the tekun supporter rule (§4.4 c).
    #[serde(with = "crate::money_serde")]
    pub per_capita_disposable_income_last_year: Fen,
}

impl Standards {
    /// The 2020 Jiangyin defaults of DOMAIN.md §4.2.
    ///
    /// `per_capita_disposable_income_last_year` is 54 000 yuan/year: a rounded working figure for
    /// Jiangyin's 2019 全体居民人均可支配收入, which §4.2 does not give. The administrator must
    /// replace it with the figure the statistics bureau published.
    pub fn jiangyin_2020() -> Standards {
        Standards {
            dibao: Fen::from_yuan(1000),
            tekun_basic: Fen::from_yuan(1500),
            tekun_care: CareStandards {
                self_care: Fen::from_yuan(200),
                partly_disabled: Fen::from_yuan(600),
                fully_disabled: Fen::from_yuan(1200),
            },
            low_income_multiplier: Ratio::new(3, 2),
            classified_increase_percent: 20,
            employment_deduction: Fen::from_yuan(200),
            financial_asset_multiple: 24,
            temporary_town_multiple: 3,
            temporary_city_max_multiple: 12,
            per_capita_disposable_income_last_year: Fen::from_yuan(54_000),
        }
    }

    /// Low-income line per capita per month (display; comparisons use exact fractions).
    pub fn low_income_line(&self) -> Fen {
        self.low_income_multiplier.of_floor(self.dibao)
    }

    /// Financial assets allowed per capita.
    pub fn financial_limit_per_capita(&self) -> Fen {
        Fen(self.dibao.0 * i64::from(self.financial_asset_multiple))
    }

    /// Classified increase for one qualifying member, rounded up to the fen in the member's favour.
    pub fn classified_increase_amount(&self) -> Fen {
        let x = self.dibao.0 * i64::from(self.classified_increase_percent);
        Fen(x.div_euclid(100) + i64::from(x.rem_euclid(100) > 0))
    }

    /// Checks an administrator's input before it is saved.
    pub fn validate(&self) -> Result<(), String> {
        let money = [
            (self.dibao, "低保标准"),
            (self.tekun_basic, "特困基本生活标准"),
            (self.tekun_care.self_care, "全自理照料护理标准"),
            (self.tekun_care.partly_disabled, "半失能照料护理标准"),
            (self.tekun_care.fully_disabled, "全失能照料护理标准"),
            (self.employment_deduction, "就业成本扣减"),
            (
                self.per_capita_disposable_income_last_year,
                "上年度人均可支配收入",
            ),
        ];
        for (v, name) in money {
            if v.0 < 0 {
                return Err(format!("{name}不能为负数"));
            }
        }
        if self.dibao.0 == 0 {
            return Err("低保标准必须大于0".into());
        }
        let r = self.low_income_multiplier;
        if r.den <= 0 || r.num < r.den {
            return Err("低收入倍数必须是不小于1的分数".into());
        }
        if self.temporary_town_multiple > self.temporary_city_max_multiple {
            return Err("镇级临时救助审批上限不能超过最高限额".into());
        }
        Ok(())
    }
}

/// The standards in force on `date` from a history of `(effective_from, standards)` rows:
/// the row with the latest `effective_from` not after `date`.
pub fn in_force_on(history: &[(NaiveDate, Standards)], date: NaiveDate) -> Option<&Standards> {
    history
        .iter()
        .filter(|(from, _)| *from <= date)
        .max_by_key(|(from, _)| *from)
        .map(|(_, s)| s)
}

/// Natural growth (自然增长) default: 35 % of last year's per-capita consumption expenditure.
pub const DEFAULT_GROWTH_PERCENT: u32 = 35;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrowthError {
    #[error("测算比例应在30%–40%之间，收到{0}%")]
    PercentOutOfRange(u32),
    #[error("上年度人均消费支出不能为负数")]
    NegativeConsumption,
}

/// Proposed next dibao standard: `percent`% of last year's per-capita consumption expenditure
/// (yuan per YEAR, in fen) / 12, rounded UP to a multiple of 5 yuan. Only a proposal: it becomes a
/// standard when approved with an effective month.
pub fn propose_dibao_standard(consumption_per_year: Fen, percent: u32) -> Result<Fen, GrowthError> {
    if !(30..=40).contains(&percent) {
        return Err(GrowthError::PercentOutOfRange(percent));
    }
    if consumption_per_year.0 < 0 {
        return Err(GrowthError::NegativeConsumption);
    }
    // consumption · percent / 100 / 12 fen, up to a multiple of 500 fen: one ceiling over 100·12·500
    let x = i128::from(consumption_per_year.0) * i128::from(percent);
    let step = 100 * 12 * 500;
    let steps = (x + step - 1) / step;
    Ok(Fen((steps * 500) as i64))
}

/// Who may approve a temporary assistance amount (小额先行).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemporaryApproval {
    /// Up to 3 · S: the town approves at once.
    TownMay,
    /// Above 3 · S up to 12 · S: needs the city.
    NeedsCity,
    /// Above 12 · S: not allowed as one temporary grant.
    OverMax,
}

pub fn temporary_approval_level(amount: Fen, s: &Standards) -> TemporaryApproval {
    let town = i128::from(s.dibao.0) * i128::from(s.temporary_town_multiple);
    let max = i128::from(s.dibao.0) * i128::from(s.temporary_city_max_multiple);
    let a = i128::from(amount.0);
    if a <= town {
        TemporaryApproval::TownMay
    } else if a <= max {
        TemporaryApproval::NeedsCity
    } else {
        TemporaryApproval::OverMax
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(v: i64) -> Fen {
        Fen::from_yuan(v)
    }

    #[test]
    fn jiangyin_defaults() {
        let s = Standards::jiangyin_2020();
        assert_eq!(s.dibao.to_string(), "1000.00");
        assert_eq!(s.low_income_line(), y(1500));
        assert_eq!(s.financial_limit_per_capita(), y(24_000));
        assert_eq!(s.classified_increase_amount(), y(200));
        assert_eq!(s.low_income_multiplier.text(), "1.5");
        assert!(s.validate().is_ok());
    }

    #[test]
    fn standards_round_trip_as_json() {
        let s = Standards::jiangyin_2020();
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["dibao"], "1000.00");
        assert_eq!(j["tekun_care"]["fully_disabled"], "1200.00");
        assert_eq!(serde_json::from_value::<Standards>(j).unwrap(), s);
    }

    #[test]
    fn invalid_standards_are_refused() {
        let mut s = Standards::jiangyin_2020();
        s.low_income_multiplier = Ratio::new(1, 0);
        assert!(s.validate().is_err());
        let mut s = Standards::jiangyin_2020();
        s.dibao = Fen::ZERO;
        assert!(s.validate().is_err());
        let mut s = Standards::jiangyin_2020();
        s.temporary_town_multiple = 13;
        assert!(s.validate().is_err());
    }

    #[test]
    fn ratio_text() {
        assert_eq!(Ratio::new(3, 2).text(), "1.5");
        assert_eq!(Ratio::new(2, 1).text(), "2");
        assert_eq!(Ratio::new(5, 4).text(), "1.25");
        assert_eq!(Ratio::new(5, 3).text(), "5/3");
    }

    #[test]
    fn natural_growth() {
        // 35 % of 34 000 / 12 = 991.67 → 995
        assert_eq!(propose_dibao_standard(y(34_000), 35), Ok(y(995)));
        // exact multiple of 5 stays: 30 % of 40 000 / 12 = 1000
        assert_eq!(propose_dibao_standard(y(40_000), 30), Ok(y(1000)));
        // one fen more rounds up a whole step
        assert_eq!(propose_dibao_standard(Fen(4_000_001), 30), Ok(y(1005)));
        assert_eq!(propose_dibao_standard(y(34_000), 40), Ok(y(1135))); // 1133.33 → 1135
        assert_eq!(propose_dibao_standard(Fen::ZERO, 35), Ok(Fen::ZERO));
        assert_eq!(
            propose_dibao_standard(y(34_000), 29),
            Err(GrowthError::PercentOutOfRange(29))
        );
        assert_eq!(
            propose_dibao_standard(y(34_000), 41),
            Err(GrowthError::PercentOutOfRange(41))
        );
        assert_eq!(
            propose_dibao_standard(y(-1), 35),
            Err(GrowthError::NegativeConsumption)
        );
        assert!(
            GrowthError::PercentOutOfRange(29)
                .to_string()
                .contains("30%–40%")
        );
    }

    #[test]
    fn temporary_levels() {
        let s = Standards::jiangyin_2020();
        assert_eq!(
            temporary_approval_level(y(3000), &s),
            TemporaryApproval::TownMay
        );
        assert_eq!(
            temporary_approval_level(Fen(300_001), &s),
            TemporaryApproval::NeedsCity
        );
        assert_eq!(
            temporary_approval_level(y(12_000), &s),
            TemporaryApproval::NeedsCity
        );
        assert_eq!(
            temporary_approval_level(Fen(1_200_001), &s),
            TemporaryApproval::OverMax
        );
    }

    #[test]
    fn history_picks_latest_effective() {
        let a = Standards::jiangyin_2020();
        let mut b = a.clone();
        b.dibao = y(1045);
        let h = vec![
            (NaiveDate::from_ymd_opt(2021, 7, 1).unwrap(), b.clone()),
            (NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), a.clone()),
        ];
        assert_eq!(
            in_force_on(&h, NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()),
            None
        );
        assert_eq!(
            in_force_on(&h, NaiveDate::from_ymd_opt(2021, 6, 30).unwrap()),
            Some(&a)
        );
        assert_eq!(
            in_force_on(&h, NaiveDate::from_ymd_opt(2021, 7, 1).unwrap()),
            Some(&b)
        );
    }
}
