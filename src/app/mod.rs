//! The application layer: every page, API call and command goes through these use cases,
//! which decide access (authz), keep users inside their area (scope) and write the audit log.

pub mod areas;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod children;
pub mod disability;
pub mod disability_changes;
pub mod elderly;
pub mod encryption;
pub mod institutions;
pub mod listing;
pub mod organisations;
pub mod policy;
pub mod registry;
pub mod safety;
pub mod schedules;
pub mod targets;
pub mod totp;
pub mod users;
pub mod validate;
pub mod verification;

use crate::storage::{Db, DbError};
use areas::AreaIndex;
use authz::Actor;
use std::sync::{Arc, RwLock};

/// The one context every entry point shares.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    areas: Arc<RwLock<Arc<AreaIndex>>>,
    tokens: Arc<auth::TokenCache>,
    security: Arc<Security>,
    /// The security administrator's policy, read when the application opens and replaced when it is saved.
    policy: Arc<RwLock<Arc<minzheng_domain::policy::Policy>>>,
}

/// Security settings read from the environment when the application opens (README「安全（等保）」).
#[derive(Debug, Clone)]
pub struct Security {
    /// MINZHENG_TOKEN_DAYS: an API token's lifetime (default 90 days).
    pub token_days: i64,
    /// MINZHENG_SECURE_COOKIES=1: every request came over HTTPS (a TLS proxy in front): Secure cookies and HSTS.
    pub secure_cookies: bool,
    /// MINZHENG_TRUSTED_PROXIES: addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// MINZHENG_REQUIRE_TOTP: every account must log in with a second factor (TOTP). `serve` turns it on unless
    /// `--demo`; the variable (1/0) decides either way.
    pub require_totp: bool,
    /// MINZHENG_TOTP_KEY (64 hex digits) or MINZHENG_TOTP_KEY_FILE: the key that seals TOTP secrets in the database.
    pub totp_key: Option<[u8; 32]>,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            token_days: 90,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            require_totp: false,
            totp_key: None,
        }
    }
}

impl Security {
    pub fn from_env() -> Security {
        // the deployment's configuration: MINZHENG_X from the environment, else x from the file (config.rs)
        let var = |k: &str| crate::config::get(&k["MINZHENG_".len()..].to_ascii_lowercase());
        let mut s = Security::default();
        if let Some(v) = var("MINZHENG_TOKEN_DAYS") {
            match v.trim().parse::<i64>() {
                Ok(d) if (1..=3650).contains(&d) => s.token_days = d,
                _ => tracing::warn!("MINZHENG_TOKEN_DAYS={v} 无效（应为1–3650），使用默认的90天"),
            }
        }
        s.secure_cookies = var("MINZHENG_SECURE_COOKIES")
            .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        if let Some(v) = var("MINZHENG_TRUSTED_PROXIES") {
            for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match p.parse() {
                    Ok(ip) => s.trusted_proxies.push(ip),
                    Err(_) => tracing::warn!("MINZHENG_TRUSTED_PROXIES 中的地址无效：{p}"),
                }
            }
        }
        if let Some(v) = var("MINZHENG_REQUIRE_TOTP") {
            s.require_totp = matches!(v.trim(), "1" | "true" | "yes");
        }
        let key_text = var("MINZHENG_TOTP_KEY").or_else(|| {
            var("MINZHENG_TOTP_KEY_FILE").and_then(|f| match std::fs::read_to_string(f.trim()) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!("无法读取 MINZHENG_TOTP_KEY_FILE={f}：{e}");
                    None
                }
            })
        });
        if let Some(k) = key_text {
            match totp::parse_key(&k) {
                Some(k) => s.totp_key = Some(k),
                None => tracing::warn!("MINZHENG_TOTP_KEY 应为64位十六进制（32字节），已忽略"),
            }
        }
        s
    }

    /// Whether MINZHENG_REQUIRE_TOTP was set at all (then `serve` does not choose by `--demo`).
    pub fn require_totp_from_env() -> Option<bool> {
        crate::config::get("require_totp")
            .filter(|v| !v.trim().is_empty())
            .map(|v| matches!(v.trim(), "1" | "true" | "yes"))
    }
}

/// Who is acting, and from where. Only the entry points make one: the web layer's extractors (and the token
/// exchange) for a signed-in user, the command line (and the demo generator and tests, which act as it does), and
/// the application layer itself for its own system jobs (seeding, warning rules). A private field keeps everything
/// else from writing one; `tests/lines.rs` checks who calls which constructor.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub ip: String,
    origin: Origin,
}

/// Where a [`Ctx`] was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Web,
    CommandLine,
    System,
}

impl Ctx {
    /// A user resolved from a page session or an API token, at the client's address.
    pub fn signed_in(actor: Actor, ip: String) -> Ctx {
        Ctx {
            actor,
            ip,
            origin: Origin::Web,
        }
    }

    /// The command line acting as `actor`; `origin` is what the audit log shows for the address ("cli", "demo").
    pub fn command_line(actor: Actor, origin: impl Into<String>) -> Ctx {
        Ctx {
            actor,
            ip: origin.into(),
            origin: Origin::CommandLine,
        }
    }

    /// The application layer's own jobs and its audit entries about logins.
    pub(in crate::app) fn internal(actor: Actor, ip: impl Into<String>) -> Ctx {
        Ctx {
            actor,
            ip: ip.into(),
            origin: Origin::System,
        }
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("未登录，或用户名、密码、令牌无效")]
    Unauthenticated,
    /// A refused login: one answer for a wrong password, an unknown name, a locked or a disabled account.
    #[error("用户名或密码错误，或账号暂不可用")]
    LoginFailed,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}不存在")]
    NotFound(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    BadRequest(String),
    /// A body or upload over the size limit (413).
    #[error("{0}")]
    TooLarge(String),
    #[error("内部错误: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> AppError {
        AppError::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl App {
    /// Opens the database, applies migrations and loads the shipped areas on an empty database.
    pub async fn open(db: Db) -> anyhow::Result<App> {
        db.migrate().await?;
        if crate::storage::areas::count(&db).await? == 0 {
            let shipped = areas::JIANGYIN_CSV.as_bytes();
            let city = areas::parse_csv(shipped)
                .ok()
                .and_then(|rows| rows.into_iter().find(|r| r.level == "city"))
                .map(|r| r.code)
                .unwrap_or_default();
            let ctx = Ctx::internal(authz::Actor::system(&city), "system");
            areas::import_csv(&db, &ctx, shipped, "data/jiangyin-areas.csv").await?;
        }
        let index = AreaIndex::load(&db).await?;
        let app = App {
            db,
            areas: Arc::new(RwLock::new(Arc::new(index))),
            tokens: Arc::default(),
            security: Arc::new(Security::from_env()),
            policy: Arc::default(),
        };
        policy::reload(&app).await?;
        auth::warm_up();
        assistance::standards::seed(&app).await?;
        assistance::calendar::seed(&app).await?;
        targets::plan::seed(&app).await?;
        Ok(app)
    }

    /// The same application with other security settings (tests, embedding).
    pub fn with_security(mut self, s: Security) -> App {
        self.security = Arc::new(s);
        self
    }

    pub fn security(&self) -> &Security {
        &self.security
    }

    /// The security policy in force.
    pub fn policy(&self) -> Arc<minzheng_domain::policy::Policy> {
        self.policy.read().expect("policy lock").clone()
    }

    fn set_policy(&self, p: minzheng_domain::policy::Policy) {
        *self.policy.write().expect("policy lock") = Arc::new(p);
    }

    pub fn areas(&self) -> Arc<AreaIndex> {
        self.areas.read().expect("area index lock").clone()
    }

    pub async fn reload_areas(&self) -> anyhow::Result<()> {
        let index = AreaIndex::load(&self.db).await?;
        *self.areas.write().expect("area index lock") = Arc::new(index);
        Ok(())
    }

    /// Civil date today in Asia/Shanghai.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::util::today()
    }
}

#[cfg(test)]
mod ctx_origin {
    /// Every `.rs` file under `dir`, with its path relative to the crate.
    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).expect("src is readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .expect("under the crate")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&p).expect("utf-8")));
            }
        }
    }

    /// A signed-in user's context is made only by the web layer; the command line's only by the command, the demo
    /// generator and the tests (the application layer makes its own system contexts, and the private field keeps
    /// everyone else from writing a struct literal).
    #[test]
    fn contexts_are_made_only_at_the_entry_points() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 50, "the sources were found");
        let signed_in = ["Ctx::signed_in", "("].concat();
        let command_line = ["Ctx::command_line", "("].concat();
        for (path, text) in &files {
            if text.contains(&signed_in) {
                assert!(
                    path.starts_with("src/web/"),
                    "{path} makes a signed-in context"
                );
            }
            if text.contains(&command_line) {
                assert!(
                    path == "src/cli.rs" || path.starts_with("src/demo/"),
                    "{path} makes a command-line context"
                );
            }
        }
    }
}
