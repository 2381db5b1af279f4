//! The SQLite database's encryption key (README「安全（等保）」: 数据保密性): changing it, or encrypting a plain
//! database, and recording that in the audit log.

use super::audit::{self, Event};
use super::{App, Ctx};
use crate::storage::{Db, DbKey, key};
use anyhow::bail;

/// Gives the database at `url` the key `new`, the current one being `old` (none: a plain database), then records
/// `system.rekey` in the audit log as `by` the caller says — written with the new key, so the entry proves the new
/// key opens the file.
pub async fn rekey(
    url: &str,
    old: Option<DbKey>,
    new: DbKey,
    by: impl FnOnce(&App) -> Ctx,
) -> anyhow::Result<()> {
    if !url.starts_with("sqlite:") {
        bail!(
            "PostgreSQL 数据库不用平台的数据库密钥加密：请把它的数据目录放在加密卷上（见 README「安全（等保）」）"
        );
    }
    if old.as_ref() == Some(&new) {
        bail!("新密钥与当前密钥相同");
    }
    key::rekey(url, old.as_ref(), &new).await?;
    let app = App::open(Db::connect_keyed(url, Some(new)).await?).await?;
    let ctx = by(&app);
    let what = if old.is_some() {
        "更换密钥"
    } else {
        "加密"
    };
    audit::record_alone(
        &app.db,
        &ctx,
        Event {
            after: Some(serde_json::json!({ "操作": what })),
            ..Event::new("system.rekey", "database", url.to_string())
        },
    )
    .await?;
    app.db.close().await;
    Ok(())
}
