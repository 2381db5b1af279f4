//! Places outside the city, named: the shipped area data covers the city itself only, so a code elsewhere is read
//! by its province (GB/T 2260, the first two digits), never shown as a bare code.

/// The provinces, autonomous regions, municipalities and SARs by their two-digit GB/T 2260 code.
const PROVINCES: [(&str, &str); 34] = [
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("71", "台湾省"),
    ("81", "香港特别行政区"),
    ("82", "澳门特别行政区"),
];

/// A place outside the city as people read it: 江苏省外市县, 浙江省, or 外省市 when the code says nothing known.
/// `city` is the city's own code: a place of the same province is 省内外市县.
pub fn outside_place(code: &str, city: &str) -> String {
    let code = code.trim();
    match PROVINCES
        .iter()
        .find(|(p, _)| code.len() >= 2 && code.starts_with(p))
    {
        Some((p, name)) if city.starts_with(p) => format!("{name}外市县"),
        Some((_, name)) => (*name).to_string(),
        None => "外省市".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_a_place_outside() {
        assert_eq!(outside_place("320583000000", "320281"), "江苏省外市县");
        assert_eq!(outside_place("330102", "320281"), "浙江省");
        assert_eq!(outside_place("310115001", "320281"), "上海市");
        assert_eq!(outside_place("990000", "320281"), "外省市");
        assert_eq!(outside_place("", "320281"), "外省市");
    }

    proptest! {
        /// Whatever the code, the answer is a Chinese name, never the code's digits.
        #[test]
        fn never_digits(code in "[0-9]{0,12}") {
            let s = outside_place(&code, "320281");
            prop_assert!(!s.chars().any(|c| c.is_ascii_digit()), "{}", s);
        }
    }
}
