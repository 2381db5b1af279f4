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

/// A date as printed on letters and forms: 2026年12月5日 (no leading zeros).
pub fn cn_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A town's short name for 编号 and 文号: 澄江街道 → 澄江, 徐霞客镇 → 徐霞客.
pub fn town_short(name: &str) -> &str {
    name.strip_suffix("街道")
        .or_else(|| name.strip_suffix('镇'))
        .unwrap_or(name)
}

/// An application's 编号: 澄江-2026-0001.
pub fn application_number(town_name: &str, year: i32, seq: i64) -> String {
    format!("{}-{year}-{seq:04}", town_short(town_name))
}

/// Runs CPU-bound work (XLSX parsing and writing, hashing) off the async workers, so one large file does not stall
/// every other request on the same worker thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::app::AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::app::AppError::Internal(anyhow::anyhow!("后台任务失败：{e}")))
}
