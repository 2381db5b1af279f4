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

/// Refuses an XLSX file (a ZIP archive) whose entries would unpack past the import limits
/// (`minzheng_domain::import::check_zip_directory`), reading only its directory, before a spreadsheet reader
/// inflates anything. The reader is left at the start.
pub fn check_xlsx<R: std::io::Read + std::io::Seek>(r: &mut R) -> Result<(), String> {
    use minzheng_domain::import::{check_zip_directory, zip_directory};
    use std::io::SeekFrom;
    let unreadable = |e: std::io::Error| format!("无法读取文件：{e}");
    let len = r.seek(SeekFrom::End(0)).map_err(unreadable)?;
    let tail_len = len.min(65_557);
    r.seek(SeekFrom::Start(len - tail_len))
        .map_err(unreadable)?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail).map_err(unreadable)?;
    let (offset, size, entries) =
        zip_directory(&tail).ok_or("不是有效的 XLSX 文件（找不到压缩包目录）")?;
    if offset + size > len {
        return Err("XLSX 文件不完整或已损坏".into());
    }
    r.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
    let mut dir = vec![0u8; size as usize];
    r.read_exact(&mut dir).map_err(unreadable)?;
    check_zip_directory(&dir, entries)?;
    r.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    Ok(())
}

/// A CSV cell Excel and WPS will show as data: a text starting with = + - @ (or a tab or carriage return) would be
/// read as a formula, so it gets a leading apostrophe. Plain numbers (a negative amount) are left as they are.
pub fn csv_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && s.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `Content-Disposition` for a download with a Chinese file name (RFC 6266 / RFC 5987), with an ASCII fallback for
/// old clients.
pub fn attachment(name: &str, fallback: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_become_formulas() {
        assert_eq!(csv_safe("=1+2"), "'=1+2");
        assert_eq!(csv_safe("+86 138"), "'+86 138");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("-cmd"), "'-cmd");
        assert_eq!(csv_safe("-100.00"), "-100.00");
        assert_eq!(csv_safe("张三"), "张三");
        assert_eq!(csv_safe("320281195001010013"), "320281195001010013");
    }

    #[test]
    fn download_names_are_chinese_with_a_fallback() {
        assert_eq!(
            attachment("发放名册 2020-12.csv", "payroll-2020-12.csv"),
            "attachment; filename=\"payroll-2020-12.csv\"; filename*=UTF-8''%E5%8F%91%E6%94%BE%E5%90%8D%E5%86%8C%202020-12.csv"
        );
    }
}
