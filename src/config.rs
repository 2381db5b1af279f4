//! Deployment settings: a TOML file of `key = value` pairs (`--config FILE`, `MINZHENG_CONFIG`, else
//! `./minzheng.toml` when it exists), each overridden by its environment variable `MINZHENG_<KEY>`; what neither
//! gives takes the default in [`SETTINGS`]. The README's table is made from the same list.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Every setting: key, default (empty: none), what it does.
pub const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "bureau_name",
        "江阴市民政局",
        "民政部门名称：页眉、登录页、告知书和公示的落款",
    ),
    (
        "supervision_phone",
        "0510-86801234",
        "村(居)公示上印的监督电话",
    ),
    ("sqlite_pool_size", "8", "SQLite 连接池的连接数"),
    ("postgres_pool_size", "16", "PostgreSQL 连接池的连接数"),
    (
        "db_busy_timeout_seconds",
        "30",
        "SQLite 等待写锁、PostgreSQL 等待空闲连接的秒数",
    ),
    ("sqlite_cache_mib", "16", "每个 SQLite 连接的页缓存（MiB）"),
    (
        "sqlite_mmap_mib",
        "16384",
        "服务进程以内存映射读取 SQLite 文件的上限（MiB，0 为不映射）",
    ),
    (
        "slow_statement_seconds",
        "1",
        "超过此秒数的数据库语句写入调试日志",
    ),
    ("token_days", "90", "API 令牌的有效天数（1–3650）"),
    (
        "secure_cookies",
        "",
        "为 1 时所有请求经 HTTPS 到达（前置 TLS 代理）：Cookie 加 Secure，并发送 HSTS",
    ),
    (
        "trusted_proxies",
        "",
        "可信反向代理的地址（逗号分隔），只采信它们的 X-Forwarded-For",
    ),
    (
        "require_totp",
        "",
        "1：每个账号须以动态口令登录；0：不要求；不设时 serve 除 --demo 外都要求",
    ),
    (
        "totp_key_file",
        "",
        "封存动态口令密钥的密钥文件（64位十六进制）；也可用 MINZHENG_TOTP_KEY 直接给出",
    ),
    (
        "totp_key",
        "",
        "封存动态口令密钥的密钥（64位十六进制），宜只放在环境变量中",
    ),
    (
        "audit_head_dir",
        "",
        "每天把审计日志的链头导出到此目录（另存于他处，用以发现整条日志被重写）",
    ),
];

static FILE: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {0}：{1}")]
    Read(String, std::io::Error),
    #[error("配置文件 {0} 格式错误：{1}")]
    Parse(String, String),
    #[error("配置文件 {0} 中有未知的设置项“{1}”（可用的设置项见 README）")]
    Unknown(String, String),
}

/// Reads the configuration file once, before anything asks for a setting. `path` is `--config`; without it,
/// `MINZHENG_CONFIG`, else `./minzheng.toml` if present. Unknown keys are refused, so a misspelt setting is not
/// silently ignored.
pub fn load(path: Option<&std::path::Path>) -> Result<(), ConfigError> {
    let chosen = match path {
        Some(p) => Some(p.to_path_buf()),
        None => match std::env::var("MINZHENG_CONFIG") {
            Ok(p) if !p.trim().is_empty() => Some(p.into()),
            _ => Some(std::path::PathBuf::from("minzheng.toml")).filter(|p| p.exists()),
        },
    };
    let Some(p) = chosen else {
        let _ = FILE.set(HashMap::new());
        return Ok(());
    };
    let name = p.display().to_string();
    let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Read(name.clone(), e))?;
    let values = parse(&text).map_err(|e| ConfigError::Parse(name.clone(), e))?;
    if let Some(k) = values
        .keys()
        .find(|k| !SETTINGS.iter().any(|(s, _, _)| s == k))
    {
        return Err(ConfigError::Unknown(name, k.clone()));
    }
    let _ = FILE.set(values);
    Ok(())
}

/// The TOML table as strings (numbers, booleans and strings alike; nested tables are refused).
fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut out = HashMap::new();
    for (k, v) in table {
        let s = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => if b { "1" } else { "0" }.to_string(),
            toml::Value::Array(a) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            _ => return Err(format!("“{k}”应为字符串、数字或布尔值")),
        };
        out.insert(k, s);
    }
    Ok(out)
}

/// A setting: `MINZHENG_<KEY>` from the environment, else the file, else the default; `None` when empty.
pub fn get(key: &str) -> Option<String> {
    debug_assert!(
        SETTINGS.iter().any(|(k, _, _)| *k == key),
        "unknown setting {key}"
    );
    let env = std::env::var(format!("MINZHENG_{}", key.to_ascii_uppercase())).ok();
    env.filter(|v| !v.trim().is_empty())
        .or_else(|| FILE.get().and_then(|f| f.get(key).cloned()))
        .or_else(|| {
            SETTINGS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, d, _)| d.to_string())
        })
        .filter(|v| !v.trim().is_empty())
}

/// A numeric setting within `range`; a value outside it (or not a number) is logged and the default used.
pub fn number(key: &str, range: std::ops::RangeInclusive<u64>) -> u64 {
    let default = SETTINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .and_then(|(_, d, _)| d.parse().ok())
        .unwrap_or(*range.start());
    match get(key) {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                tracing::warn!(
                    "设置项 {key}={v} 无效（应为 {}–{}），使用默认值 {default}",
                    range.start(),
                    range.end()
                );
                default
            }
        },
        None => default,
    }
}

/// The bureau's name for pages and printed forms.
pub fn bureau_name() -> String {
    get("bureau_name").unwrap_or_else(|| "江阴市民政局".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_flat_settings() {
        let v = parse("bureau_name = \"测试市民政局\"\nsqlite_pool_size = 4\nsecure_cookies = true\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.2\"]\n").unwrap();
        assert_eq!(v["bureau_name"], "测试市民政局");
        assert_eq!(v["sqlite_pool_size"], "4");
        assert_eq!(v["secure_cookies"], "1");
        assert_eq!(v["trusted_proxies"], "10.0.0.1,10.0.0.2");
        assert!(parse("[database]\nx = 1\n").is_err());
        assert!(parse("bureau_name = ").is_err());
    }

    /// The README's table lists every setting.
    #[test]
    fn every_setting_is_documented() {
        let readme = include_str!("../README.md");
        for (k, _, _) in SETTINGS {
            assert!(readme.contains(&format!("| `{k}` |")), "README lacks {k}");
        }
    }

    #[test]
    fn defaults_without_a_file() {
        assert_eq!(number("sqlite_cache_mib", 1..=4096), 16);
        assert!(
            SETTINGS
                .iter()
                .all(|(k, _, what)| !k.is_empty() && !what.is_empty())
        );
    }
}
