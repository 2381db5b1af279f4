//! The SQLite database key (SQLCipher whole-file encryption, README「安全（等保）」).
//!
//! The key comes from `MINZHENG_DB_KEY` or from the file named by `MINZHENG_DB_KEY_FILE`. Sixty-four hexadecimal
//! digits are a raw 256-bit key, used as it is; anything else is a passphrase that SQLCipher stretches with
//! PBKDF2-HMAC-SHA512 (256,000 rounds) each time a connection opens.

use sqlx::AssertSqlSafe;
use std::path::Path;
use std::sync::Arc;

/// A key, kept as the value of `PRAGMA key` / `PRAGMA rekey` (a quoted SQL literal). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey(Arc<str>);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(已隐藏)")
    }
}

/// Shortest passphrase accepted; a raw key is always 64 hexadecimal digits.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

impl DbKey {
    /// A key from its text (surrounding whitespace and a final newline of a key file are not part of it).
    pub fn new(secret: &str) -> Result<DbKey, String> {
        let s = secret.trim();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(DbKey(format!("\"x'{s}'\"").into()));
        }
        if s.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(format!(
                "数据库密钥太短：应为64位十六进制密钥，或至少{MIN_PASSPHRASE_CHARS}个字符的口令"
            ));
        }
        if s.chars().any(char::is_control) {
            return Err("数据库密钥不能含控制字符".into());
        }
        Ok(DbKey(format!("'{}'", s.replace('\'', "''")).into()))
    }

    /// A key read from a file (its first line).
    pub fn from_file(path: &Path) -> Result<DbKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("无法读取数据库密钥文件 {}：{e}", path.display()))?;
        DbKey::new(text.lines().next().unwrap_or(""))
    }

    /// `MINZHENG_DB_KEY`, else `MINZHENG_DB_KEY_FILE`, else none (an unencrypted database).
    pub fn from_env() -> Result<Option<DbKey>, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match (var("MINZHENG_DB_KEY"), var("MINZHENG_DB_KEY_FILE")) {
            (Some(_), Some(_)) => {
                Err("MINZHENG_DB_KEY 和 MINZHENG_DB_KEY_FILE 只能设置一个".into())
            }
            (Some(k), None) => DbKey::new(&k).map(Some),
            (None, Some(f)) => DbKey::from_file(Path::new(f.trim())).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The value for `PRAGMA key = …` / `PRAGMA rekey = …`, already quoted.
    pub(crate) fn pragma_value(&self) -> &str {
        &self.0
    }
}

/// What an SQLite file's first bytes say: a plain SQLite database starts with this header; an SQLCipher one starts
/// with its random salt.
pub fn is_plain_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == b"SQLite format 3\0")
}

/// The Chinese explanation for a database that SQLite calls "not a database" (SQLITE_NOTADB) on opening.
pub fn refusal(path: &Path, key: Option<&DbKey>) -> String {
    let plain = is_plain_sqlite(path);
    match (key, plain) {
        (Some(_), true) => format!(
            "数据库文件 {} 未加密，却设置了数据库密钥：请先用 minzheng db rekey 加密它，或不设密钥",
            path.display()
        ),
        (Some(_), false) => format!(
            "数据库密钥错误，无法打开 {}（或文件已损坏）",
            path.display()
        ),
        (None, _) => format!(
            "数据库文件 {} 已加密（或已损坏）：请用 MINZHENG_DB_KEY 或 MINZHENG_DB_KEY_FILE 提供密钥",
            path.display()
        ),
    }
}

/// Gives the SQLite database at `url` the key `new`: with `old`, SQLCipher's `PRAGMA rekey` re-encrypts every page
/// in place; without (a plain database), `sqlcipher_export` writes an encrypted copy beside it, which then replaces
/// it. Refused while another process has the file open (a server still using the old key would write pages under
/// it): leaving WAL for the rollback journal needs the file to itself, so that is asked first.
pub async fn rekey(url: &str, old: Option<&DbKey>, new: &DbKey) -> super::DbResult<()> {
    use super::DbError;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| DbError::BadUrl(format!("{url} ({e})")))?
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(5));
    let path = opts.get_filename().to_path_buf();
    if !path.is_file() {
        return Err(DbError::Key(format!(
            "数据库文件 {} 不存在",
            path.display()
        )));
    }
    let opts = super::with_key(opts, old);
    let mut c = opts
        .connect()
        .await
        .map_err(|e| super::key_refusal(e, &opts, old))?;
    let in_use = || {
        DbError::Key(format!(
            "数据库 {} 正被其他进程使用：请先停止 minzheng serve 等进程，再更换密钥",
            path.display()
        ))
    };
    let mode = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut c)
        .await;
    let refused = match mode {
        Ok(m) if m.eq_ignore_ascii_case("delete") => None,
        Ok(_) => Some(in_use()),
        Err(e) => Some(match super::key_refusal(e, &opts, old) {
            e @ DbError::Key(_) => e,
            _ => in_use(),
        }),
    };
    if let Some(e) = refused {
        // closed now, not by sqlx's worker later: a second try right after must find the file free
        let _ = c.close().await;
        return Err(e);
    }
    if old.is_some() {
        sqlx::query(AssertSqlSafe(format!(
            "PRAGMA rekey = {}",
            new.pragma_value()
        )))
        .execute(&mut c)
        .await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut c)
            .await?;
        c.close().await?;
        return Ok(());
    }
    let tmp = path.with_extension("encrypting");
    // ATTACH opens with the connection's flags, which do not create files: an empty file is an empty database
    std::fs::File::create(&tmp)
        .map_err(|e| DbError::Key(format!("无法写入 {}：{e}", tmp.display())))?;
    let tmp_sql = tmp
        .to_str()
        .ok_or_else(|| DbError::Key("数据库路径必须是UTF-8".into()))?
        .replace('\'', "''");
    // the path is quoted above and the key is hex or a quoted passphrase (DbKey::pragma_value): nothing else is formatted in
    sqlx::query(AssertSqlSafe(format!(
        "ATTACH DATABASE '{tmp_sql}' AS encrypted KEY {}",
        new.pragma_value()
    )))
    .execute(&mut c)
    .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut c)
        .await?;
    // sqlcipher_export copies the schema and rows, not the header's user_version
    let version: i64 = sqlx::query_scalar("PRAGMA main.user_version")
        .fetch_one(&mut c)
        .await?;
    sqlx::query(AssertSqlSafe(format!(
        "PRAGMA encrypted.user_version = {version}"
    )))
    .execute(&mut c)
    .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut c)
        .await?;
    c.close().await?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        DbError::Key(format!(
            "无法用加密后的 {} 替换 {}：{e}",
            tmp.display(),
            path.display()
        ))
    })?;
    // the copy keeps the rollback journal; the application turns WAL back on when it opens it
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keys_and_passphrases() {
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            DbKey::new(&format!(" {hex}\n")).unwrap().pragma_value(),
            format!("\"x'{hex}'\"")
        );
        assert_eq!(
            DbKey::new("it's a long passphrase").unwrap().pragma_value(),
            "'it''s a long passphrase'"
        );
        assert!(DbKey::new("short").unwrap_err().contains("太短"));
        assert!(DbKey::new("long enough\u{0}passphrase").is_err());
        assert_eq!(format!("{:?}", DbKey::new(&hex).unwrap()), "DbKey(已隐藏)");
    }
}
