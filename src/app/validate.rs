//! Free text and dates as every use case accepts them (等保: input limits). Each check names the field and says in
//! Chinese what is wrong; values come back trimmed.

use super::{AppError, AppResult};
use chrono::NaiveDate;

/// Names of persons and users.
pub const NAME_MAX: usize = 50;
/// Addresses.
pub const ADDRESS_MAX: usize = 200;
/// Reasons, notes, opinions.
pub const TEXT_MAX: usize = 1000;

/// Characters that reorder how text is shown (Trojan Source): they can make a name or a note read differently from
/// what is stored.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters that make two names that look the same differ (and hide text in a search).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

fn length(field: &str, label: &str, v: &str, min: usize, max: usize) -> AppResult<()> {
    let n = v.chars().count();
    if n < min {
        return Err(AppError::invalid(
            field,
            if min <= 1 {
                format!("请填写{label}")
            } else {
                format!("{label}至少{min}个字")
            },
        ));
    }
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("{label}不能超过{max}个字"),
        ));
    }
    Ok(())
}

fn hidden(field: &str, label: &str) -> AppError {
    AppError::invalid(
        field,
        format!("{label}含有不可见的控制字符、方向控制符或零宽字符，请删除后重新填写"),
    )
}

/// A name (person, user, organisation): one line, no control, direction or zero-width characters.
pub fn name(field: &str, label: &str, v: &str, min: usize, max: usize) -> AppResult<String> {
    let v = v.trim();
    if v.chars()
        .any(|c| c.is_control() || is_bidi_control(c) || is_invisible(c))
    {
        return Err(hidden(field, label));
    }
    length(field, label, v, min, max)?;
    Ok(v.to_string())
}

/// One line of text (an address, a title): as a name.
pub fn line(field: &str, label: &str, v: &str, min: usize, max: usize) -> AppResult<String> {
    name(field, label, v, min, max)
}

/// Free text over several lines (a reason, a note): line breaks and tabs are allowed, NUL, other control
/// characters and direction overrides are not.
pub fn text(field: &str, label: &str, v: &str, min: usize, max: usize) -> AppResult<String> {
    let v = v.trim();
    if v.chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c))
    {
        return Err(hidden(field, label));
    }
    length(field, label, v, min, max)?;
    Ok(v.to_string())
}

pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date");
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).expect("date");

/// A date the platform can mean: 1900-01-01 to 2100-12-31 (a typo like 0202 or 9999 is refused).
pub fn date(field: &str, label: &str, d: NaiveDate) -> AppResult<NaiveDate> {
    if !(FIRST_DAY..=LAST_DAY).contains(&d) {
        return Err(AppError::invalid(
            field,
            format!("{label}须在1900年1月1日至2100年12月31日之间"),
        ));
    }
    Ok(d)
}

/// A month `YYYY-MM` between 1900-01 and 2100-12; answers it trimmed and its first day.
pub fn month(field: &str, label: &str, m: &str) -> AppResult<(String, NaiveDate)> {
    let m = m.trim();
    let first = (m.len() == 7)
        .then(|| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| AppError::invalid(field, format!("{label}格式应为 YYYY-MM")))?;
    if !(FIRST_DAY..=LAST_DAY).contains(&first) {
        return Err(AppError::invalid(
            field,
            format!("{label}须在1900年1月至2100年12月之间"),
        ));
    }
    Ok((m.to_string(), first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_hidden_characters() {
        assert_eq!(name("name", "姓名", " 张三 ", 1, 50).unwrap(), "张三");
        for bad in [
            "张\u{0}三",
            "张\u{202E}三",
            "张\u{2067}三",
            "张\u{200B}三",
            "张\u{FEFF}三",
            "张\n三",
        ] {
            let e = name("name", "姓名", bad, 1, 50).unwrap_err();
            assert_eq!(e.field(), Some("name"));
        }
        assert!(name("name", "姓名", &"张".repeat(51), 1, 50).is_err());
        assert!(name("name", "姓名", "  ", 1, 50).is_err());
        assert_eq!(
            text("note", "说明", "第一行\n第二行", 0, 1000).unwrap(),
            "第一行\n第二行"
        );
        assert!(text("note", "说明", "a\u{0}b", 0, 1000).is_err());
        assert!(text("note", "说明", "a\u{202D}b", 0, 1000).is_err());
    }

    #[test]
    fn dates_and_months_in_range() {
        assert!(date("on", "日期", NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()).is_err());
        assert!(date("on", "日期", NaiveDate::from_ymd_opt(2100, 12, 31).unwrap()).is_ok());
        assert!(month("month", "月份", "9999-12").is_err());
        assert!(month("month", "月份", "2020-1").is_err());
        assert_eq!(month("month", "月份", "2020-12").unwrap().0, "2020-12");
    }
}
