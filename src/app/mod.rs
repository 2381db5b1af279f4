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
pub mod elderly;
pub mod institutions;
pub mod listing;
pub mod organisations;
pub mod registry;
pub mod safety;
pub mod schedules;
pub mod targets;
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
}

impl Default for Security {
    fn default() -> Self {
        Security {
            token_days: 90,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Security {
    pub fn from_env() -> Security {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
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
        s
    }
}

/// Who is acting, and from where.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub ip: String,
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
            areas::import_csv(&db, areas::JIANGYIN_CSV.as_bytes()).await?;
        }
        let index = AreaIndex::load(&db).await?;
        let app = App {
            db,
            areas: Arc::new(RwLock::new(Arc::new(index))),
            tokens: Arc::default(),
            security: Arc::new(Security::from_env()),
        };
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
