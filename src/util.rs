//! Time and display helpers: timestamps are UTC in storage and shown in Asia/Shanghai (UTC+8, no DST).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive()
}

pub fn local_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
