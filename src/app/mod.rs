//! The application layer: every page, API call and command goes through these use cases,
//! which decide access (authz), keep users inside their area (scope) and write the audit log.

pub mod areas;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod children;
pub mod elderly;
pub mod organisations;
pub mod registry;
pub mod targets;
pub mod users;
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
        };
        assistance::standards::seed(&app).await?;
        assistance::calendar::seed(&app).await?;
        targets::plan::seed(&app).await?;
        Ok(app)
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
