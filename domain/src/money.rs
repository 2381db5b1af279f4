//! Money is integer fen (分). Parsing and display are the only places yuan appear.

use std::fmt;

/// An amount in fen. Negative amounts exist only as differences (e.g. an overpayment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额不能为空")]
    Empty,
    #[error("金额必须是数字")]
    NotNumber,
    #[error("金额不能为负数")]
    Negative,
    #[error("金额最多两位小数")]
    TooManyDecimals,
    #[error("金额过大")]
    TooLarge,
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Parses a non-negative decimal yuan string with at most 2 decimals ("1000", "12.5", "0.05").
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(rest) = s.strip_prefix('-') {
            return if Fen::parse_yuan(rest).is_ok() {
                Err(MoneyError::Negative)
            } else {
                Err(MoneyError::NotNumber)
            };
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(MoneyError::NotNumber);
        }
        if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return Err(MoneyError::NotNumber);
        }
        if s.contains('.') && frac.is_empty() {
            return Err(MoneyError::NotNumber);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if int.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| MoneyError::NotNumber)?
        };
        let mut cents: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| MoneyError::NotNumber)?
        };
        if frac.len() == 1 {
            cents *= 10;
        }
        Ok(Fen(yuan * 100 + cents))
    }

    /// Rounds up to the whole yuan (monthly amounts are paid in whole yuan).
    pub fn ceil_yuan(self) -> Fen {
        Fen(self.0.div_euclid(100) * 100 + if self.0.rem_euclid(100) > 0 { 100 } else { 0 })
    }

    pub fn max(self, other: Fen) -> Fen {
        Fen(self.0.max(other.0))
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}
impl std::ops::Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}
impl std::ops::AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

/// "1234.50" — yuan with exactly two decimals.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses() {
        assert_eq!(Fen::parse_yuan("1000"), Ok(Fen(100_000)));
        assert_eq!(Fen::parse_yuan("12.5"), Ok(Fen(1250)));
        assert_eq!(Fen::parse_yuan("0.05"), Ok(Fen(5)));
        assert_eq!(Fen::parse_yuan(".5"), Ok(Fen(50)));
        assert_eq!(Fen::parse_yuan("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Fen::parse_yuan("-1"), Err(MoneyError::Negative));
        assert_eq!(Fen::parse_yuan("abc"), Err(MoneyError::NotNumber));
        assert_eq!(Fen::parse_yuan("1."), Err(MoneyError::NotNumber));
        assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("1e3"), Err(MoneyError::NotNumber));
    }

    #[test]
    fn displays_and_rounds() {
        assert_eq!(Fen(123450).to_string(), "1234.50");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(100_001).ceil_yuan(), Fen(100_100));
        assert_eq!(Fen(100_000).ceil_yuan(), Fen(100_000));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(f in 0i64..10_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(f).to_string()), Ok(Fen(f)));
        }
        #[test]
        fn ceil_is_whole_and_not_less(f in -10_000_000i64..10_000_000) {
            let c = Fen(f).ceil_yuan();
            prop_assert_eq!(c.0 % 100, 0);
            prop_assert!(c.0 >= f && c.0 - f < 100);
        }
    }
}
