//! Consistent backups while the server runs, and restores that refuse to overwrite data.

use super::audit::{self, Event};
use super::{App, Ctx};
use crate::storage::{Backend, Db};
use anyhow::{Context, bail};
use std::path::Path;

/// SQLite: `VACUUM INTO` writes a transactionally consistent copy. PostgreSQL: `pg_dump` (one snapshot).
pub async fn backup(app: &App, ctx: &Ctx, url: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!("备份文件 {} 已存在，请换一个文件名", path.display());
    }
    match app.db.backend() {
        Backend::Sqlite => {
            let p = path
                .to_str()
                .context("备份路径必须是UTF-8")?
                .replace('\'', "''");
            app.db
                .conn()
                .execute(&format!("VACUUM INTO '{p}'"), vec![])
                .await
                .context("写入备份失败")?;
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "-f"])
                .arg(path)
                .arg(url)
                .status()
                .context("无法运行 pg_dump（请安装 PostgreSQL 客户端）")?;
            if !status.success() {
                bail!("pg_dump 失败: {status}");
            }
        }
    }
    audit::record_alone(
        &app.db,
        ctx,
        Event::new("system.backup", "database", path.display().to_string()),
    )
    .await?;
    Ok(())
}

/// Restores a backup into the database at `url`; refuses a target that holds users unless `force`.
pub async fn restore(url: &str, path: &Path, force: bool) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("无法读取备份文件 {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} 不是备份文件", path.display());
    }
    if url.starts_with("sqlite:") {
        let check = Db::open_sqlite_read_only(path)
            .await
            .with_context(|| format!("{} 不是可读的 SQLite 备份", path.display()))?;
        let ok = check
            .conn()
            .scalar("SELECT COUNT(*) FROM audit_head", vec![])
            .await;
        check.close().await;
        ok.with_context(|| format!("{} 不是民政云平台的备份", path.display()))?;
        let target = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let target = target.split('?').next().unwrap_or(target);
        if Path::new(target).exists() {
            let db = Db::connect(url).await?;
            let n = db
                .conn()
                .scalar("SELECT COUNT(*) FROM users", vec![])
                .await
                .unwrap_or(0);
            db.close().await;
            if n > 0 && !force {
                bail!("目标数据库 {target} 不是空的；确认覆盖请加 --force");
            }
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{target}{suffix}"));
        }
        std::fs::copy(path, target).with_context(|| format!("无法写入 {target}"))?;
    } else {
        let mut head = [0u8; 5];
        use std::io::Read;
        std::fs::File::open(path)?
            .read_exact(&mut head)
            .context("备份文件不完整")?;
        if &head != b"PGDMP" {
            bail!(
                "{} 不是 PostgreSQL 备份（pg_dump custom 格式）",
                path.display()
            );
        }
        let db = Db::connect(url).await?;
        let n = db
            .conn()
            .scalar("SELECT COUNT(*) FROM users", vec![])
            .await
            .unwrap_or(0);
        db.close().await;
        if n > 0 && !force {
            bail!("目标数据库不是空的；确认覆盖请加 --force");
        }
        let status = std::process::Command::new("pg_restore")
            .args(["--clean", "--if-exists", "--no-owner", "-d", url])
            .arg(path)
            .status()
            .context("无法运行 pg_restore（请安装 PostgreSQL 客户端）")?;
        if !status.success() {
            bail!("pg_restore 失败: {status}");
        }
    }
    Ok(())
}
