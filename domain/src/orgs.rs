//! Organisations: the unified social credit code (统一社会信用代码, GB 32100-2015; LINES-API §3, DOMAIN §5)
//! and the kinds of organisation the business lines keep.
//!
//! Checks run in reading order, so the message names the first problem: the length (18 characters after
//! trimming), then each position's character (1: registering department 1–9, A, N, Y; 2: type 1–9; 3–8: digits;
//! 9–18: the code set, which has no I, O, S, V, Z), then the check character. Lower case is accepted and the
//! code is kept upper case.

use crate::assistance::FieldError;
use crate::wire::code_list;
use std::fmt;

/// The 31 characters of the code, valued 0..=30 in this order.
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Position 1: registering department (1 编制, 5 民政, 9 工商, Y other; the rest are reserved or other bodies).
const DEPARTMENTS: &str = "123456789ANY";

/// The field a code sits in on every form and API.
pub const FIELD: &str = "credit_code";

/// The value 0..=30 of a code character (upper case only).
pub fn char_value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The check character (position 18) for the first 17 characters.
///
/// # Panics
/// If `first17` is not 17 characters of [`CHARSET`] (upper case); `parse_credit_code` checks that first.
pub fn check_char(first17: &str) -> char {
    assert_eq!(first17.len(), 17, "check_char needs 17 characters");
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| char_value(c).expect("a code character") * w)
        .sum();
    let check = (31 - sum % 31) % 31; // 31 → 0
    CHARSET.as_bytes()[check as usize] as char
}

/// Why a code is refused. `message()` is the Chinese text for the 422; the field is always `credit_code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// `found` is the number of characters after trimming.
    #[error("统一社会信用代码长度应为18位，实为{found}位")]
    Length { found: usize },
    /// `position` counts from 1.
    #[error("统一社会信用代码第{position}位字符“{found}”不允许：{}", expected_at(.position))]
    Character { position: usize, found: char },
    #[error("统一社会信用代码校验位应为“{expected}”，实为“{found}”")]
    Check { expected: char, found: char },
}

impl CreditCodeError {
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<CreditCodeError> for FieldError {
    fn from(e: CreditCodeError) -> FieldError {
        FieldError::new(FIELD, e.message())
    }
}

fn expected_at(position: &usize) -> &'static str {
    match *position {
        1 => "登记管理部门代码应为1–9、A、N或Y",
        2 => "机构类别代码应为1–9",
        3..=8 => "第3–8位登记管理机关行政区划码应为数字",
        _ => "应为数字或除I、O、S、V、Z以外的大写字母",
    }
}

fn allowed_at(position: usize, c: char) -> bool {
    match position {
        1 => DEPARTMENTS.contains(c),
        2 => ('1'..='9').contains(&c),
        3..=8 => c.is_ascii_digit(),
        _ => char_value(c).is_some(),
    }
}

/// A valid unified social credit code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// Validates a code: trimmed, lower case accepted, stored upper case.
pub fn parse_credit_code(raw: &str) -> Result<CreditCode, CreditCodeError> {
    let s = raw.trim();
    let found = s.chars().count();
    if found != 18 {
        return Err(CreditCodeError::Length { found });
    }
    // only ASCII letters change case, so the positions stay those of the input
    let upper: String = s.chars().map(|c| c.to_ascii_uppercase()).collect();
    for (i, c) in upper.chars().enumerate() {
        if !allowed_at(i + 1, c) {
            return Err(CreditCodeError::Character {
                position: i + 1,
                found: c,
            });
        }
    }
    // all ASCII now, so byte slicing is by character
    let expected = check_char(&upper[..17]);
    let found = upper.as_bytes()[17] as char;
    if expected != found {
        return Err(CreditCodeError::Check { expected, found });
    }
    Ok(CreditCode(upper))
}

impl CreditCode {
    /// `parse_credit_code` as a method.
    pub fn parse(raw: &str) -> Result<CreditCode, CreditCodeError> {
        parse_credit_code(raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Position 1: the registering department (5 = 民政).
    pub fn department(&self) -> char {
        self.0.as_bytes()[0] as char
    }
    /// Position 2: the organisation type within the department (民政: 1 社团, 2 民非, 3 基金会, 9 other).
    pub fn org_type(&self) -> char {
        self.0.as_bytes()[1] as char
    }
    /// Positions 3–8: the registering authority's area code.
    pub fn area6(&self) -> &str {
        &self.0[2..8]
    }
    /// Positions 9–17: the organisation code body.
    pub fn org_code(&self) -> &str {
        &self.0[8..17]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<CreditCode, CreditCodeError> {
        parse_credit_code(s)
    }
}

impl serde::Serialize for CreditCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

// reading one back validates it again, so a stored or sent code cannot skip the check
impl<'de> serde::Deserialize<'de> for CreditCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CreditCode, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_credit_code(&s).map_err(serde::de::Error::custom)
    }
}

code_list! {
    /// What an organisation on the registry is, for the lines' screens and filters.
    OrgKind {
        ElderlyInstitution = "elderly_institution" / "养老机构",
        DayCareCentre = "day_care_centre" / "日间照料中心",
        MealPoint = "meal_point" / "助餐点",
        ElderlyServiceOrg = "elderly_service_org" / "养老服务社会组织",
        HomeCareProvider = "home_care_provider" / "居家养老服务组织",
        TrainingBase = "training_base" / "养老服务实训基地",
        ChildrenCareHome = "children_care_home" / "关爱之家",
        ChildrenServiceStation = "children_service_station" / "儿童服务站",
        ChildWelfareInstitution = "child_welfare_institution" / "儿童福利机构",
        SocialGroup = "social_group" / "社会团体",
        PrivateNonEnterprise = "private_non_enterprise" / "民办非企业单位",
        Foundation = "foundation" / "基金会",
        Charity = "charity" / "慈善组织",
        RescueStation = "rescue_station" / "救助管理站",
        FuneralFacility = "funeral_facility" / "殡葬服务机构",
        Other = "other" / "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // computed from the algorithm (see check_char) and checked by hand-independent Python
    const VALID: &[&str] = &[
        "91350100M000100Y43",
        "51320281MJ5733432A",
        "52320281MJ0000001C",
        "53320281500000000B",
    ];

    #[test]
    fn known_codes_are_valid() {
        for s in VALID {
            let c = parse_credit_code(s).unwrap();
            assert_eq!(c.as_str(), *s);
        }
        let c = parse_credit_code("91350100M000100Y43").unwrap();
        assert_eq!(c.department(), '9');
        assert_eq!(c.org_type(), '1');
        assert_eq!(c.area6(), "350100");
        assert_eq!(c.org_code(), "M000100Y4");
        assert_eq!(check_char("91350100M000100Y4"), '3');
    }

    #[test]
    fn wrong_check_character_names_the_right_one() {
        let e = parse_credit_code("51320281MJ5733432D").unwrap_err();
        assert_eq!(
            e,
            CreditCodeError::Check {
                expected: 'A',
                found: 'D'
            }
        );
        assert_eq!(e.message(), "统一社会信用代码校验位应为“A”，实为“D”");
        let fe: FieldError = e.into();
        assert_eq!(fe.field, "credit_code");
    }

    #[test]
    fn trims_and_upper_cases() {
        let c = parse_credit_code("  51320281mj5733432a\n").unwrap();
        assert_eq!(c.as_str(), "51320281MJ5733432A");
        assert_eq!(c.to_string(), "51320281MJ5733432A");
    }

    #[test]
    fn length_is_checked_first() {
        assert_eq!(
            parse_credit_code(""),
            Err(CreditCodeError::Length { found: 0 })
        );
        assert_eq!(
            parse_credit_code("51320281MJ5733432"),
            Err(CreditCodeError::Length { found: 17 })
        );
        let e = parse_credit_code("51320281MJ5733432AA").unwrap_err();
        assert_eq!(e.message(), "统一社会信用代码长度应为18位，实为19位");
        // counted in characters, not bytes
        assert_eq!(
            parse_credit_code("51320281MJ573343２A"),
            Err(CreditCodeError::Character {
                position: 17,
                found: '２'
            })
        );
    }

    #[test]
    fn characters_in_the_wrong_place() {
        let bad = |s: &str| parse_credit_code(s).unwrap_err();
        assert_eq!(
            bad("Z1320281MJ5733432A"),
            CreditCodeError::Character {
                position: 1,
                found: 'Z'
            }
        );
        assert_eq!(
            bad("B1320281MJ5733432A"),
            CreditCodeError::Character {
                position: 1,
                found: 'B'
            }
        );
        assert_eq!(
            bad("50320281MJ5733432A"),
            CreditCodeError::Character {
                position: 2,
                found: '0'
            }
        );
        assert_eq!(
            bad("513202A1MJ5733432A"),
            CreditCodeError::Character {
                position: 7,
                found: 'A'
            }
        );
        let e = bad("51320281MO5733432A");
        assert_eq!(
            e,
            CreditCodeError::Character {
                position: 10,
                found: 'O'
            }
        );
        assert_eq!(
            e.message(),
            "统一社会信用代码第10位字符“O”不允许：应为数字或除I、O、S、V、Z以外的大写字母"
        );
        assert_eq!(
            bad("51320281MJ5733432I"),
            CreditCodeError::Character {
                position: 18,
                found: 'I'
            }
        );
        // the first bad position wins
        assert!(matches!(
            bad("A0320281MJ57334S2A"),
            CreditCodeError::Character { position: 2, .. }
        ));
    }

    #[test]
    fn serde_goes_through_the_check() {
        let c: CreditCode = serde_json::from_str("\"51320281mj5733432a\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"51320281MJ5733432A\"");
        assert!(serde_json::from_str::<CreditCode>("\"51320281MJ5733432D\"").is_err());
    }

    #[test]
    fn org_kinds() {
        assert_eq!(OrgKind::ALL.len(), 16);
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.code()), Some(*k));
        }
        assert_eq!(OrgKind::DayCareCentre.code(), "day_care_centre");
        assert_eq!(OrgKind::ChildrenCareHome.label(), "关爱之家");
        assert_eq!(OrgKind::parse("养老机构"), None);
        assert_eq!(
            serde_json::to_string(&OrgKind::PrivateNonEnterprise).unwrap(),
            "\"private_non_enterprise\""
        );
    }

    fn charset_char() -> impl Strategy<Value = char> {
        (0..31usize).prop_map(|i| CHARSET.as_bytes()[i] as char)
    }

    /// 17 characters each allowed at its position.
    fn first17() -> impl Strategy<Value = String> {
        (
            (0..DEPARTMENTS.len()).prop_map(|i| DEPARTMENTS.as_bytes()[i] as char),
            proptest::char::range('1', '9'),
            "[0-9]{6}",
            proptest::collection::vec(charset_char(), 9),
        )
            .prop_map(|(d, t, area, body)| {
                let mut s = String::new();
                s.push(d);
                s.push(t);
                s.push_str(&area);
                s.extend(body);
                s
            })
    }

    proptest! {
        #[test]
        fn computed_check_always_parses(f in first17()) {
            let code = format!("{f}{}", check_char(&f));
            let c = parse_credit_code(&code).unwrap();
            prop_assert_eq!(c.as_str(), code.as_str());
            prop_assert_eq!(c.area6(), &f[2..8]);
        }

        #[test]
        fn any_single_substitution_fails(f in first17(), pos in 0..18usize, with in charset_char()) {
            let code = format!("{f}{}", check_char(&f));
            let mut chars: Vec<char> = code.chars().collect();
            prop_assume!(chars[pos] != with);
            chars[pos] = with;
            let changed: String = chars.iter().collect();
            prop_assert!(parse_credit_code(&changed).is_err());
            // every weight is a unit mod 31, so one changed character always moves the check
            if pos < 17 && allowed_at(pos + 1, with) {
                prop_assert_ne!(check_char(&changed[..17]), code.as_bytes()[17] as char);
            }
        }

        #[test]
        fn lower_case_round_trips_to_upper(f in first17()) {
            let code = format!("{f}{}", check_char(&f));
            let c = parse_credit_code(&code.to_ascii_lowercase()).unwrap();
            prop_assert_eq!(c.as_str(), code.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_credit_code(&s);
        }
    }
}
