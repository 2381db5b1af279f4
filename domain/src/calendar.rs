//! Working-day calendar (工作日历): weekends are off, except the make-up workdays (调休上班) the
//! State Council announces; listed holidays are off. Time limits of the assistance workflow
//! (§4.6) are counted in these working days.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A holiday (节假日), off even on a weekday.
    Off,
    /// A make-up workday (调休上班), worked even on a weekend.
    Workday,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Off => "off",
            DayKind::Workday => "workday",
        }
    }
    pub fn from_code(s: &str) -> Option<DayKind> {
        match s {
            "off" => Some(DayKind::Off),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One row of the holiday list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CalendarEntry {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// A CSV row that cannot be read; `line` is 1-based and counts the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("节假日文件第{line}行：{message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

/// The listed days; every other day is a working day from Monday to Friday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    days: BTreeMap<NaiveDate, (DayKind, String)>,
}

/// Longest name of a holiday or make-up working day.
const NAME_MAX: usize = 50;

/// Control, direction-override and zero-width characters.
fn unfit_in_name(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

impl WorkCalendar {
    /// Builds a calendar from rows; a later row for the same date replaces an earlier one
    /// (so a correction can be appended to a loaded list).
    pub fn new(entries: impl IntoIterator<Item = CalendarEntry>) -> WorkCalendar {
        let days = entries
            .into_iter()
            .map(|e| (e.date, (e.kind, e.name)))
            .collect();
        WorkCalendar { days }
    }

    /// Parses `date,kind,name` CSV text (header required, UTF-8 BOM, CRLF and blank lines tolerated).
    /// The name is everything after the second comma, so a name may itself contain commas;
    /// surrounding double quotes are removed. A date listed twice is an error: it is almost
    /// always a typing mistake in a hand-kept file.
    pub fn from_csv(text: &str) -> Result<WorkCalendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        let header = lines.find(|(_, l)| !l.is_empty());
        match header {
            Some((_, h)) if h.replace(' ', "") == "date,kind,name" => {}
            Some((line, _)) => {
                return Err(CalendarError {
                    line,
                    message: "表头应为 date,kind,name".into(),
                });
            }
            None => {
                return Err(CalendarError {
                    line: 1,
                    message: "文件为空，缺少表头 date,kind,name".into(),
                });
            }
        }
        let mut days = BTreeMap::new();
        for (line, l) in lines {
            if l.is_empty() {
                continue;
            }
            let err = |message: String| CalendarError { line, message };
            let mut parts = l.splitn(3, ',');
            let date_s = parts.next().unwrap_or("").trim();
            let kind_s = parts
                .next()
                .map(str::trim)
                .ok_or_else(|| err("缺少类型(kind)列".into()))?;
            let name = parts.next().unwrap_or("").trim().trim_matches('"').trim();
            let date = NaiveDate::parse_from_str(date_s, "%Y-%m-%d")
                .map_err(|_| err(format!("日期“{date_s}”无效，应为YYYY-MM-DD格式的真实日期")))?;
            let kind = DayKind::from_code(kind_s).ok_or_else(|| {
                err(format!(
                    "类型“{kind_s}”无效，应为 off(放假) 或 workday(调休上班)"
                ))
            })?;
            if name.is_empty() {
                return Err(err("缺少名称(name)".into()));
            }
            if name.chars().count() > NAME_MAX {
                return Err(err(format!("名称(name)不能超过{NAME_MAX}个字")));
            }
            // PostgreSQL's text holds no NUL, and an invisible or reversing character would mislead on screen
            if name.chars().any(unfit_in_name) {
                return Err(err("名称(name)含有控制字符、方向控制字符或零宽字符".into()));
            }
            if days.insert(date, (kind, name.to_string())).is_some() {
                return Err(err(format!("日期{date}重复出现")));
            }
        }
        Ok(WorkCalendar { days })
    }

    /// The listed rows in date order.
    pub fn entries(&self) -> impl Iterator<Item = CalendarEntry> + '_ {
        self.days.iter().map(|(d, (k, n))| CalendarEntry {
            date: *d,
            kind: *k,
            name: n.clone(),
        })
    }

    /// The holiday or make-up name of a listed day.
    pub fn name_of(&self, date: NaiveDate) -> Option<&str> {
        self.days.get(&date).map(|(_, n)| n.as_str())
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some((DayKind::Off, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The date that is `n` working days after `start`, counting from the day after `start`
    /// (so `start` itself never counts, as in "within 10 working days of acceptance").
    /// `n = 0` gives `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in the half-open span (a, b]: `working_days_between(a, add_working_days(a, n)) == n`.
    /// Negative when `b` is before `a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        a.iter_days()
            .skip(1)
            .take_while(|d| *d <= b)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }

    /// `date` itself when it is a working day, else the next working day
    /// (a deadline that falls on a holiday moves to the next working day).
    pub fn on_or_next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            d += Duration::days(1);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CSV_2020: &str = include_str!("../../data/holidays-2020.csv");

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::from_csv(CSV_2020).unwrap()
    }

    #[test]
    fn parses_shipped_2020_list() {
        let c = cal();
        assert_eq!(c.entries().count(), 36);
        assert_eq!(c.name_of(d(2020, 1, 1)), Some("元旦"));
        // a name containing a full-width comma survives
        assert_eq!(
            c.name_of(d(2020, 2, 1)),
            Some("春节(疫情延长，原调休上班取消)")
        );
    }

    #[test]
    fn weekends_and_plain_weekdays() {
        let c = cal();
        assert!(c.is_working_day(d(2020, 3, 2))); // Monday
        assert!(!c.is_working_day(d(2020, 3, 7))); // Saturday
        assert!(!c.is_working_day(d(2020, 3, 8))); // Sunday
    }

    #[test]
    fn make_up_workday_on_a_sunday() {
        let c = cal();
        assert_eq!(d(2020, 1, 19).weekday(), Weekday::Sun);
        assert!(c.is_working_day(d(2020, 1, 19)));
        // Friday 17 January + 1 working day is that Sunday, not Monday
        assert_eq!(c.add_working_days(d(2020, 1, 17), 1), d(2020, 1, 19));
        assert!(c.is_working_day(d(2020, 10, 10))); // Saturday make-up after National Day
    }

    #[test]
    fn spring_festival_epidemic_extension() {
        let c = cal();
        // 31 Jan (Fri) and 1 Feb (the cancelled make-up Saturday) were off
        assert!(!c.is_working_day(d(2020, 1, 31)));
        assert!(!c.is_working_day(d(2020, 2, 1)));
        assert!(!c.is_working_day(d(2020, 2, 2)));
        // accepted on Thursday 23 January: the first working day after is Monday 3 February
        assert_eq!(c.add_working_days(d(2020, 1, 23), 1), d(2020, 2, 3));
        assert_eq!(c.add_working_days(d(2020, 1, 23), 10), d(2020, 2, 14));
        assert_eq!(c.working_days_between(d(2020, 1, 23), d(2020, 2, 3)), 1);
        assert_eq!(c.working_days_between(d(2020, 1, 23), d(2020, 2, 2)), 0);
        assert_eq!(c.working_days_between(d(2020, 2, 3), d(2020, 1, 23)), -1);
    }

    #[test]
    fn national_day_and_zero() {
        let c = cal();
        assert_eq!(c.add_working_days(d(2020, 9, 30), 1), d(2020, 10, 9));
        assert_eq!(c.add_working_days(d(2020, 9, 30), 0), d(2020, 9, 30));
        assert_eq!(c.on_or_next_working_day(d(2020, 10, 3)), d(2020, 10, 9));
        assert_eq!(c.on_or_next_working_day(d(2020, 10, 9)), d(2020, 10, 9));
    }

    #[test]
    fn empty_calendar_is_monday_to_friday() {
        let c = WorkCalendar::default();
        assert_eq!(c.add_working_days(d(2020, 1, 24), 1), d(2020, 1, 27));
        assert_eq!(c.working_days_between(d(2020, 1, 1), d(2020, 1, 31)), 22);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = WorkCalendar::from_csv("date,kind,name\n2020-01-01,off,元旦\n2020-02-30,off,x\n")
            .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("节假日文件第3行："), "{e}");
        let e = WorkCalendar::from_csv("date,kind,name\n2020-01-01,holiday,元旦\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("holiday"));
        let e =
            WorkCalendar::from_csv("date,kind,name\n2020-01-01,off,元旦\n2020-01-01,off,元旦\n")
                .unwrap_err();
        assert_eq!(e.line, 3);
        let e = WorkCalendar::from_csv("日期,类型,名称\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = WorkCalendar::from_csv("date,kind,name\n2020-01-01\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = WorkCalendar::from_csv("date,kind,name\n2020-01-01,off,\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(WorkCalendar::from_csv("").is_err());
    }

    #[test]
    fn csv_tolerates_bom_crlf_blank_lines_and_quotes() {
        let c = WorkCalendar::from_csv("\u{feff}date,kind,name\r\n\r\n2020-01-01,off,\"元旦\"\r\n")
            .unwrap();
        assert_eq!(c.name_of(d(2020, 1, 1)), Some("元旦"));
        assert!(!c.is_working_day(d(2020, 1, 1)));
    }

    #[test]
    fn csv_refuses_hidden_characters_and_long_names() {
        for bad in ["元\u{0}旦", "元旦\u{202E}", "元\u{200B}旦"] {
            let e = WorkCalendar::from_csv(&format!("date,kind,name\n2020-01-01,off,{bad}\n"))
                .unwrap_err();
            assert_eq!(e.line, 2);
            assert!(e.message.contains("控制字符"), "{}", e.message);
        }
        let long = "节".repeat(51);
        let e = WorkCalendar::from_csv(&format!("date,kind,name\n2020-01-01,off,{long}\n"))
            .unwrap_err();
        assert!(e.message.contains("不能超过50个字"), "{}", e.message);
    }

    proptest! {
        /// Whatever the file, no panic, and every name taken is fit to show and to store.
        #[test]
        fn csv_never_panics_and_takes_only_fit_names(text in "date,kind,name\n(2020-0[1-9]-1[0-9],(off|workday),(\\PC|[\\x00\\x07\\u{202E}\\u{200B}]){0,8}\n){0,4}") {
            if let Ok(c) = WorkCalendar::from_csv(&text) {
                for e in c.entries() {
                    prop_assert!(!e.name.chars().any(unfit_in_name));
                    prop_assert!(e.name.chars().count() <= NAME_MAX);
                }
            }
        }

        #[test]
        fn add_then_count_round_trips(offset in 0i64..366, n in 0u32..60) {
            let c = cal();
            let start = d(2020, 1, 1) + Duration::days(offset);
            let end = c.add_working_days(start, n);
            prop_assert!(end >= start);
            prop_assert_eq!(c.working_days_between(start, end), i64::from(n));
            if n > 0 {
                prop_assert!(c.is_working_day(end));
            }
        }
    }
}
