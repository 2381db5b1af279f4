//! Citizen identity number (公民身份号码, GB 11643-1999).

use chrono::{Datelike, NaiveDate};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
    pub fn from_code(s: &str) -> Option<Sex> {
        match s {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号码应为18位")]
    Length,
    #[error("身份证号码前17位必须是数字，最后一位是数字或X")]
    Characters,
    #[error("身份证号码中的出生日期不存在")]
    BirthDate,
    #[error("身份证号码中的出生日期晚于今天")]
    FutureBirth,
    #[error("身份证号码校验位错误")]
    Check,
}

/// A validated 18-character identity number, stored with an upper-case X.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

impl IdNumber {
    /// Validates structure, birth date and check character. `today` bounds the birth date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
        let s = raw.trim();
        if s.len() != 18 || !s.is_ascii() {
            return Err(if s.chars().count() == 18 {
                IdError::Characters
            } else {
                IdError::Length
            });
        }
        let upper = s.to_ascii_uppercase();
        let b = upper.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdError::Characters);
        }
        let birth = birth_of(b).ok_or(IdError::BirthDate)?;
        if birth > today {
            return Err(IdError::FutureBirth);
        }
        if check_char(&b[..17]) as u8 != b[17] {
            return Err(IdError::Check);
        }
        Ok(IdNumber(upper))
    }

    /// Builds a number from its parts, computing the check character (used by the demo generator).
    pub fn compose(address6: &str, birth: NaiveDate, seq: u16) -> IdNumber {
        let mut s = format!("{address6}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
        let c = check_char(s.as_bytes());
        s.push(c);
        IdNumber(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }
    pub fn birth_date(&self) -> NaiveDate {
        birth_of(self.0.as_bytes()).expect("validated on construction")
    }
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
    /// Full years of age on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
    /// The last four characters, indexed for "search by the end of the number".
    pub fn last4(&self) -> &str {
        &self.0[14..]
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn birth_of(b: &[u8]) -> Option<NaiveDate> {
    let num = |r: std::ops::Range<usize>| std::str::from_utf8(&b[r]).ok()?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(num(6..10)? as i32, num(10..12)?, num(12..14)?)
}

pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Masks an identity number for lists and 公示: first 6 and last 4 kept (320281********123X).
/// Anything that is not 18 characters is masked whole but for its last character.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 18 {
        let mut out: String = chars[..6].iter().collect();
        out.push_str("********");
        out.extend(&chars[14..]);
        out
    } else if chars.is_empty() {
        String::new()
    } else {
        let mut out = "*".repeat(chars.len() - 1);
        out.push(chars[chars.len() - 1]);
        out
    }
}

/// Masks a phone number: 138****5678.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= 7 {
        let n = chars.len();
        let mut out: String = chars[..3].iter().collect();
        out.push_str(&"*".repeat(n - 7));
        out.extend(&chars[n - 4..]);
        out
    } else {
        "*".repeat(chars.len())
    }
}

/// Masks a Chinese name for 公示: 张*明, 李*, 欧阳**.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut out = String::new();
            out.push(chars[0]);
            out.push_str(&"*".repeat(n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

/// Masks an address after its first 6 characters.
pub fn mask_address(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str("****");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn documented_examples_are_valid() {
        for s in ["11010519491231002X", "53010219200508011X"] {
            let id = IdNumber::parse(s, today()).unwrap();
            assert_eq!(id.as_str(), s);
        }
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.address_code(), "110105");
    }

    #[test]
    fn lowercase_x_is_accepted_and_stored_upper() {
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn wrong_check_character_is_rejected() {
        assert_eq!(
            IdNumber::parse("110105194912310021", today()),
            Err(IdError::Check)
        );
    }

    #[test]
    fn impossible_and_future_dates_are_rejected() {
        // 1949-02-30 does not exist; compose gives it a correct check character so only the date is wrong.
        let mut s = String::from("11010519490230002");
        s.push(check_char(s.as_bytes()));
        assert_eq!(IdNumber::parse(&s, today()), Err(IdError::BirthDate));
        let mut s = String::from("32028120300101001");
        s.push(check_char(s.as_bytes()));
        assert_eq!(IdNumber::parse(&s, today()), Err(IdError::FutureBirth));
    }

    #[test]
    fn malformed_is_rejected() {
        assert_eq!(IdNumber::parse("12345", today()), Err(IdError::Length));
        assert_eq!(
            IdNumber::parse("1101051949123100AX", today()),
            Err(IdError::Characters)
        );
        assert_eq!(
            IdNumber::parse("１１０１０５１９４９１２３１００２Ｘ", today()),
            Err(IdError::Characters)
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask("32028119500101123X"), "320281********123X");
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn age() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(2020, 12, 30).unwrap()),
            70
        );
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()),
            71
        );
    }

    fn arb_birth() -> impl Strategy<Value = NaiveDate> {
        (0i64..40_000)
            .prop_map(|d| NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Duration::days(d))
    }

    proptest! {
        #[test]
        fn composed_numbers_round_trip(birth in arb_birth(), seq in 0u16..1000, town in 0u16..999) {
            let addr = format!("320{:03}", town);
            let id = IdNumber::compose(&addr, birth, seq);
            let parsed = IdNumber::parse(id.as_str(), today()).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.sex() == Sex::Male, seq % 2 == 1);
            prop_assert_eq!(parsed.address_code(), addr.as_str());
            let lower = id.as_str().to_ascii_lowercase();
            prop_assert_eq!(IdNumber::parse(&lower, today()).unwrap(), id.clone());
        }

        #[test]
        fn any_single_digit_change_is_detected(birth in arb_birth(), seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let id = IdNumber::compose("320281", birth, seq);
            let mut b = id.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdNumber::parse(&s, today()).is_err());
        }

        #[test]
        fn mask_keeps_only_ends(birth in arb_birth(), seq in 0u16..1000) {
            let id = IdNumber::compose("320281", birth, seq);
            let m = id.masked();
            prop_assert_eq!(m.len(), 18);
            prop_assert_eq!(&m[..6], "320281");
            prop_assert_eq!(&m[6..14], "********");
            prop_assert_eq!(&m[14..], id.last4());
            // the birth date never survives masking
            let birth_str = birth.format("%Y%m%d").to_string();
            prop_assert!(!m.contains(birth_str.as_str()));
        }
    }
}
