//! The `minzheng` command.

use crate::app::authz::Actor;
use crate::app::{App, Ctx, audit, backup, users};
use crate::demo;
use crate::storage::Db;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const DEFAULT_DB: &str = "sqlite://minzheng.db";

#[derive(Parser)]
#[command(
    name = "minzheng",
    version,
    about = "民政云平台 — 江阴市民政局 / Civil-affairs platform of a county-level city"
)]
pub struct Cli {
    /// 配置文件 / configuration file (TOML: bureau_name, pool sizes, timeouts …; default ./minzheng.toml if present)
    #[arg(long, env = "MINZHENG_CONFIG", global = true)]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Clone)]
pub struct DbArg {
    /// 数据库地址 / database URL: sqlite://FILE (默认/default) 或/or postgres://USER@HOST:PORT/DB
    #[arg(long, env = "MINZHENG_DATABASE_URL", default_value = DEFAULT_DB, global = true)]
    pub database: String,
}

#[derive(Subcommand)]
pub enum Command {
    /// 启动平台 / Start the web platform
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// 监听地址 / address to listen on
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// 空库时先生成演示城市 / fill an empty database with the demo city first
        #[arg(long)]
        demo: bool,
        /// 演示家庭户数 / demo households
        #[arg(long, default_value_t = 20_000)]
        households: u64,
        /// HTTPS 证书链（PEM）/ serve HTTPS with this certificate chain (PEM); needs --tls-key
        #[arg(long, env = "MINZHENG_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// HTTPS 私钥（PEM）/ the certificate's private key (PEM); needs --tls-cert
        #[arg(long, env = "MINZHENG_TLS_KEY")]
        tls_key: Option<PathBuf>,
    },
    /// 生成演示城市（可复现）/ Generate the deterministic demo city
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// 家庭户数 / number of households
        #[arg(long, default_value_t = 20_000)]
        households: u64,
        /// 随机种子 / random seed
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// 不生成演示社会救助数据（基准测试用）/ registry only, no assistance (for benchmarks)
        #[arg(long)]
        registry_only: bool,
        /// 不载入演示的2020年部门数据（基准测试用）/ no 2020 departmental files (for benchmarks: their events
        /// would stay beside the files `demo-sources` writes, outside its ground truth)
        #[arg(long)]
        no_sources: bool,
    },
    /// 用户管理 / Manage users
    User {
        #[command(flatten)]
        db: DbArg,
        #[command(subcommand)]
        action: UserCmd,
    },
    /// 导入行政区划CSV / Import areas from CSV (code,name,parent_code,level)
    Areas {
        #[command(flatten)]
        db: DbArg,
        /// CSV 文件 / CSV file
        file: PathBuf,
    },
    /// 在线一致性备份 / Consistent backup while the server runs
    Backup {
        #[command(flatten)]
        db: DbArg,
        /// 备份文件 / backup file
        path: PathBuf,
    },
    /// 从备份恢复（目标非空时需 --force）/ Restore a backup (refuses a non-empty target without --force)
    Restore {
        #[command(flatten)]
        db: DbArg,
        path: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// 年度工作目标 / The plan's targets
    Targets {
        #[command(flatten)]
        db: DbArg,
        #[command(subcommand)]
        action: TargetsCmd,
    },
    /// 导入部门核对数据 / Load a departmental source file (CSV or XLSX)
    Load {
        #[command(flatten)]
        db: DbArg,
        /// deaths, vehicles, real_estate, business, social_insurance, housing_fund, public_payroll, deposits,
        /// disability, serious_illness, custody, hukou_moves
        source: String,
        /// CSV（UTF-8，含表头）或 XLSX 文件 / file
        file: PathBuf,
        /// 数据截止日期 / the source's as-of date, YYYY-MM-DD
        #[arg(long)]
        as_of: chrono::NaiveDate,
    },
    /// 核对全部在保对象（动态核对）/ Verify every active case against every source
    Verify {
        #[command(flatten)]
        db: DbArg,
        /// 全部在保对象 / every active case
        #[arg(long)]
        all: bool,
        /// 核对日期（默认今天）/ check date (default today)
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
    /// 为演示城市生成合成部门数据（含埋设疑点和答案）/ Write synthetic departmental files with planted anomalies
    DemoSources {
        #[command(flatten)]
        db: DbArg,
        /// 输出目录 / output directory
        dir: PathBuf,
        /// 数据截止日期（默认今天）/ as-of date (default today)
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// 每类埋设疑点数 / planted anomalies per kind
        #[arg(long, default_value_t = 5)]
        per_kind: usize,
        /// 有社保缴费的劳动年龄人口比例(%) / working-age residents with monthly insurance rows (%)
        #[arg(long, default_value_t = 40)]
        workers_percent: u32,
    },
    /// 审计日志 / Audit log
    Audit {
        #[command(flatten)]
        db: DbArg,
        #[command(subcommand)]
        action: AuditCmd,
    },
    /// 数据库加密密钥 / The SQLite database's encryption key
    Db {
        #[command(flatten)]
        db: DbArg,
        #[command(subcommand)]
        action: DbCmd,
    },
}

#[derive(Subcommand)]
pub enum DbCmd {
    /// 更换密钥，或加密未加密的库（须先停止服务）/ change the key, or encrypt a plain database (server stopped).
    /// The current key is MINZHENG_DB_KEY / MINZHENG_DB_KEY_FILE (none for a plain database).
    Rekey {
        /// 新密钥文件 / file holding the new key (64 hex digits, or a passphrase of 12+ characters)
        #[arg(long, env = "MINZHENG_NEW_DB_KEY_FILE")]
        new_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// 新增用户 / add a user
    Add {
        username: String,
        /// city_admin, security_admin, audit_admin, city_officer, town_officer, village_worker, leader, auditor
        #[arg(long)]
        role: String,
        /// 所属区划代码 / area code
        #[arg(long)]
        area: String,
        /// 密码（缺省则随机生成）/ password (random if omitted)
        #[arg(long, env = "MINZHENG_NEW_PASSWORD")]
        password: Option<String>,
        /// 姓名或部门 / display name
        #[arg(long)]
        name: Option<String>,
        /// 市局业务科室所属科室，逗号分隔 / a city officer's sections, comma-separated
        /// (social_assistance, verification, elderly_care, child_welfare, social_affairs, social_organisations, office)
        #[arg(long, value_delimiter = ',')]
        sections: Vec<String>,
    },
    /// 列出用户 / list users
    List,
    /// 停用用户 / disable a user
    Disable { username: String },
    /// 启用用户 / enable a user
    Enable { username: String },
    /// 重置密码并解锁 / reset the password and unlock
    ResetPassword {
        username: String,
        #[arg(long, env = "MINZHENG_NEW_PASSWORD")]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TargetsCmd {
    /// 导入年度计划（事项CSV + 指标CSV）/ import a year's plan (items CSV + indicators CSV)
    Import {
        year: i32,
        items: PathBuf,
        indicators: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// 校验哈希链 / verify the hash chain (and, with --heads, against the exported heads)
    Verify {
        /// 每日导出的链头所在目录 / directory of the exported heads (audit-head-*.json)
        #[arg(long)]
        heads: Option<PathBuf>,
    },
    /// 打印链头（序号与哈希），可写入目录，供每日导出 / print the chain's head; with --out also write it there
    Head {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 把某日期以前的审计记录归档到签名文件（须在线保留至少6个月）/ archive entries written before DATE
    Archive {
        /// 截止日期（不含），YYYY-MM-DD / entries written before this date (Asia/Shanghai)
        #[arg(long)]
        before: chrono::NaiveDate,
        /// 归档文件（不得已存在）/ the archive file to create
        #[arg(long)]
        out: PathBuf,
        /// 签名密钥文件；缺省读 MINZHENG_AUDIT_KEY / signing key file (else MINZHENG_AUDIT_KEY)
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// 校验归档文件的签名与哈希链 / verify an archive file's signature and chain
    VerifyArchive {
        file: PathBuf,
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
}

/// The archive signing key: a key file, else MINZHENG_AUDIT_KEY.
fn audit_key(file: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    let text = match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("无法读取密钥文件 {}", f.display()))?,
        None => std::env::var("MINZHENG_AUDIT_KEY").map_err(|_| {
            anyhow::anyhow!("请设置 MINZHENG_AUDIT_KEY 或用 --key-file 指定归档签名密钥")
        })?,
    };
    audit::archive_key(&text).map_err(field_error)
}

/// The pools a command opened: closed before the process exits, so that no connection thread is still working when
/// the C libraries (SQLCipher's OpenSSL) run their exit handlers — a `backup` of an encrypted database crashed at exit
/// one time in four without it.
static OPENED: std::sync::Mutex<Vec<Db>> = std::sync::Mutex::new(Vec::new());

fn opened(db: &Db) {
    OPENED.lock().expect("the list of pools").push(db.clone());
}

async fn open(url: &str) -> anyhow::Result<App> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("无法连接数据库 {url}"))?;
    opened(&db);
    App::open(db).await
}

/// The server's database: on SQLite its pooled connections share the file's pages through mmap.
async fn open_for_server(url: &str) -> anyhow::Result<App> {
    let db = Db::connect_server(url)
        .await
        .with_context(|| format!("无法连接数据库 {url}"))?;
    opened(&db);
    App::open(db).await
}

/// The command line acting for the city verification centre (市局核对中心).
fn cli_officer(app: &App) -> Ctx {
    let mut actor = Actor::system(&app.areas().city_code);
    actor.role = crate::app::authz::Role::CityOfficer;
    actor.display_name = "市局核对中心(命令行)".into();
    Ctx::command_line(actor, "cli")
}

fn cli_ctx(app: &App) -> Ctx {
    Ctx::command_line(Actor::system(&app.areas().city_code), "cli")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let result = run_command(cli).await;
    let pools: Vec<Db> = std::mem::take(&mut *OPENED.lock().expect("the list of pools"));
    for db in pools {
        db.close().await;
    }
    result
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    crate::config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve {
            db,
            bind,
            demo: with_demo,
            households,
            tls_cert,
            tls_key,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(c), Some(k)) => Some((c, k)),
                (None, None) => None,
                _ => bail!("--tls-cert 和 --tls-key 须同时给出"),
            };
            serve(&db.database, &bind, with_demo, households, tls).await
        }
        Command::Demo {
            db,
            households,
            seed,
            registry_only,
            no_sources,
        } => {
            let app = open(&db.database).await?;
            print_admin(
                users::bootstrap_admin(&app, std::env::var("MINZHENG_ADMIN_PASSWORD").ok()).await?,
            );
            let s = demo::generate(&app, demo::DemoOptions { households, seed }, |h, _| {
                if h % 100_000 == 0 {
                    eprintln!("已生成 {h} 户");
                }
            })
            .await?;
            demo::create_demo_users(&app).await?;
            if !registry_only {
                let n = demo::assistance::seed(&app, seed).await?;
                eprintln!("演示社会救助: {n} 件申请");
                if !no_sources {
                    let (rows, findings) = demo::sources::seed(&app, seed).await?;
                    eprintln!("演示核对: 部门数据 {rows} 行，核对疑点 {findings} 条");
                }
                let w = demo::welfare::seed(&app).await?;
                eprintln!(
                    "演示高龄津贴和两项补贴: 一卡通账号 {} 个，补贴申请 {} 件",
                    w.accounts, w.grants
                );
                app.db.analyze(demo::SEEDED_TABLES).await?;
                let c = demo::children::seed(&app).await?;
                eprintln!(
                    "演示儿童福利: 登记儿童 {} 名，基本生活费 {} 人",
                    c.registered, c.allowances
                );
                let e = demo::elderly::seed(&app).await?;
                eprintln!(
                    "演示养老服务: 机构和设施 {} 个，居家养老援助 {} 人，适老化改造 {} 户，家庭照护床位 {} 张",
                    e.organisations, e.grants, e.adaptations, e.beds
                );
            }
            println!(
                "演示城市已生成: {} 户, {} 人, 用时 {:.1} 秒 ({:.0} 人/秒)",
                s.households,
                s.persons,
                s.seconds,
                s.persons as f64 / s.seconds.max(1e-9)
            );
            Ok(())
        }
        Command::User { db, action } => {
            let app = open(&db.database).await?;
            let ctx = cli_ctx(&app);
            match action {
                UserCmd::Add {
                    username,
                    role,
                    area,
                    password,
                    name,
                    sections,
                } => {
                    let generated = password.is_none();
                    let pw = password.unwrap_or_else(|| users::generate_password(&app));
                    let u = users::add(
                        &app,
                        &ctx,
                        users::NewUser {
                            username,
                            password: pw.clone(),
                            role,
                            area_code: area,
                            display_name: name,
                            sections,
                        },
                    )
                    .await
                    .map_err(field_error)?;
                    println!(
                        "已新增用户 {}（{}，{}）",
                        u.username, u.role_label, u.area_name
                    );
                    if generated {
                        println!("初始密码: {pw}");
                    }
                }
                UserCmd::List => {
                    for u in users::list(&app, &ctx).await.map_err(field_error)? {
                        let state = if u.disabled {
                            "已停用"
                        } else if u.locked {
                            "已锁定"
                        } else {
                            "正常"
                        };
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            u.username, u.role, u.area_code, u.area_name, state
                        );
                    }
                }
                UserCmd::Disable { username } => {
                    users::set_disabled(&app, &ctx, &username, true)
                        .await
                        .map_err(field_error)?;
                    println!("已停用 {username}");
                }
                UserCmd::Enable { username } => {
                    users::set_disabled(&app, &ctx, &username, false)
                        .await
                        .map_err(field_error)?;
                    println!("已启用 {username}");
                }
                UserCmd::ResetPassword { username, password } => {
                    let generated = password.is_none();
                    let pw = users::reset_password(&app, &ctx, &username, password)
                        .await
                        .map_err(field_error)?;
                    println!("已重置 {username} 的密码并解锁");
                    if generated {
                        println!("新密码: {pw}");
                    }
                }
            }
            Ok(())
        }
        Command::Areas { db, file } => {
            let app = open(&db.database).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let n = crate::app::areas::import_csv(
                &app.db,
                &cli_ctx(&app),
                &bytes,
                &file.display().to_string(),
            )
            .await?;
            app.reload_areas().await?;
            println!("已导入 {n} 个行政区划");
            Ok(())
        }
        Command::Backup { db, path } => {
            let app = open(&db.database).await?;
            backup::backup(&app, &cli_ctx(&app), &db.database, &path).await?;
            println!("备份已写入 {}", path.display());
            Ok(())
        }
        Command::Restore { db, path, force } => {
            backup::restore(&db.database, &path, force).await?;
            println!("已从 {} 恢复", path.display());
            Ok(())
        }
        Command::Targets {
            db,
            action:
                TargetsCmd::Import {
                    year,
                    items,
                    indicators,
                },
        } => {
            let app = open(&db.database).await?;
            let msg = crate::app::targets::plan::import_files(
                &app,
                &cli_ctx(&app),
                year,
                &items,
                &indicators,
            )
            .await?;
            println!("{msg}");
            Ok(())
        }
        Command::Load {
            db,
            source,
            file,
            as_of,
        } => {
            let app = open(&db.database).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match crate::app::verification::sources::load_file(
                &app,
                &cli_officer(&app),
                &source,
                &file,
                &name,
                Some(as_of),
            )
            .await
            {
                Ok(o) if o.duplicate => println!(
                    "该文件已导入过（批次 {}，{} 行），未重复导入",
                    o.load_id, o.rows
                ),
                Ok(o) => println!("已导入 {} 行（批次 {}）", o.rows, o.load_id),
                Err((e, rows)) => {
                    for r in rows.iter().take(50) {
                        eprintln!("第{}行 {}: {}", r.row, r.column, r.message);
                    }
                    return Err(field_error(e));
                }
            }
            Ok(())
        }
        Command::Verify { db, all, on } => {
            if !all {
                bail!("请用 --all 核对全部在保对象");
            }
            let app = open(&db.database).await?;
            let r = crate::app::verification::runs::run(
                &app,
                &cli_officer(&app),
                crate::app::verification::runs::RunRequest { on },
            )
            .await
            .map_err(field_error)?;
            println!(
                "核对完成（批次 {}）：在保 {} 户 {} 人，疑点 {} 条；用时 错保 {} 毫秒（其中读取家庭 {} 毫秒、查询部门数据 {} 毫秒）、人情保 {} 毫秒、漏保 {} 毫秒",
                r.run_id,
                r.cases,
                r.recipients,
                r.findings,
                r.cases_ms,
                r.households_ms,
                r.gather_ms,
                r.relatives_ms,
                r.missed_ms
            );
            Ok(())
        }
        Command::DemoSources {
            db,
            dir,
            on,
            seed,
            per_kind,
            workers_percent,
        } => {
            let app = open(&db.database).await?;
            let on = on.unwrap_or(app.today());
            let w = demo::sources::generate(
                &app,
                &cli_officer(&app),
                &dir,
                demo::sources::Options {
                    on,
                    seed,
                    per_kind,
                    workers_percent,
                },
            )
            .await?;
            println!(
                "已写入 {} 行部门数据和 {} 条埋设疑点到 {}",
                w.rows,
                w.planted,
                dir.display()
            );
            Ok(())
        }
        Command::Audit { db, action } => {
            let app = open(&db.database).await?;
            match action {
                AuditCmd::Verify { heads } => {
                    let r = audit::verify(&app.db).await.map_err(field_error)?;
                    if let Some(t) = r.first_problem {
                        bail!("审计日志校验失败: {t}");
                    }
                    if let Some(dir) = heads {
                        let list = audit::read_heads(&dir).map_err(field_error)?;
                        if let Some(p) = audit::check_heads(&app.db, &list)
                            .await
                            .map_err(field_error)?
                        {
                            bail!("审计日志校验失败: {p}");
                        }
                        println!(
                            "审计日志完整: 共 {} 条，哈希链校验通过，与 {} 个导出的链头一致",
                            r.entries,
                            list.len()
                        );
                    } else {
                        println!("审计日志完整: 共 {} 条，哈希链校验通过", r.entries);
                    }
                    Ok(())
                }
                AuditCmd::Head { out } => {
                    let h = match &out {
                        Some(dir) => {
                            let (h, path) = audit::export_head(&app.db, dir)
                                .await
                                .map_err(field_error)?;
                            eprintln!("已写入 {}", path.display());
                            h
                        }
                        None => audit::head(&app.db).await.map_err(field_error)?,
                    };
                    println!("{}", serde_json::to_string(&h)?);
                    Ok(())
                }
                AuditCmd::Archive {
                    before,
                    out,
                    key_file,
                } => {
                    let key = audit_key(key_file.as_ref())?;
                    match audit::archive(&app, &cli_ctx(&app), before, &out, &key)
                        .await
                        .map_err(field_error)?
                    {
                        Some(a) => println!(
                            "已归档第 {}–{} 条（共 {} 条）到 {}，文件 SHA-256 {}；在线日志从第 {} 条接续（边界哈希 {}）",
                            a.first_seq,
                            a.last_seq,
                            a.entries,
                            out.display(),
                            a.file_sha256,
                            a.last_seq + 1,
                            a.last_hash
                        ),
                        None => println!("{before} 以前没有未归档的审计记录"),
                    }
                    Ok(())
                }
                AuditCmd::VerifyArchive { file, key_file } => {
                    let key = audit_key(key_file.as_ref())?;
                    let a = audit::verify_archive(Some(&app.db), &file, &key)
                        .await
                        .map_err(field_error)?;
                    println!(
                        "归档文件完整: 第 {}–{} 条（共 {} 条），签名与哈希链校验通过，末条哈希 {}",
                        a.first_seq, a.last_seq, a.entries, a.last_hash
                    );
                    Ok(())
                }
            }
        }
        Command::Db {
            db,
            action: DbCmd::Rekey { new_key_file },
        } => {
            let new =
                crate::storage::DbKey::from_file(&new_key_file).map_err(anyhow::Error::msg)?;
            let old = crate::storage::DbKey::from_env().map_err(anyhow::Error::msg)?;
            let was_encrypted = old.is_some();
            crate::app::encryption::rekey(&db.database, old, new, cli_ctx).await?;
            println!(
                "{}；今后请用新密钥启动（MINZHENG_DB_KEY_FILE={}）",
                if was_encrypted {
                    "数据库密钥已更换"
                } else {
                    "数据库已加密"
                },
                new_key_file.display()
            );
            Ok(())
        }
    }
}

fn field_error(e: crate::app::AppError) -> anyhow::Error {
    match e.field() {
        Some(f) => anyhow::anyhow!("{e}（字段 {f}）"),
        None => anyhow::anyhow!("{e}"),
    }
}

/// Writes the audit chain's head to a directory now and every 24 hours (MINZHENG_AUDIT_HEAD_DIR), so that a
/// rewrite of the whole log is detected by `audit verify --heads DIR`.
fn spawn_head_export(app: App, dir: PathBuf) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            every.tick().await;
            match audit::export_head(&app.db, &dir).await {
                Ok((h, path)) => tracing::info!(seq = h.seq, "审计链头已导出到 {}", path.display()),
                Err(e) => tracing::error!("审计链头导出失败: {e}"),
            }
        }
    });
}

fn print_admin(pw: Option<String>) {
    if let Some(pw) = pw {
        println!("已创建市局系统管理员 admin，初始密码（只显示这一次）: {pw}");
    }
}

async fn serve(
    url: &str,
    bind: &str,
    with_demo: bool,
    households: u64,
    tls: Option<(PathBuf, PathBuf)>,
) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr = bind
        .parse()
        .with_context(|| format!("监听地址无效: {bind}（例如 127.0.0.1:8080）"))?;
    // Bind first: a port in use should fail before anything is written.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {bind}（端口可能已被占用）"))?;
    // and a certificate that does not load, too
    let tls = match tls {
        Some((cert, key)) => Some(tls_config(&cert, &key).await?),
        None => None,
    };
    let app = open_for_server(url).await?;
    // a second factor for every account, unless the demo (or MINZHENG_REQUIRE_TOTP=0) says otherwise
    let mut security = app.security().clone();
    security.require_totp = crate::app::Security::require_totp_from_env().unwrap_or(!with_demo);
    if security.require_totp && security.totp_key.is_none() {
        println!("提示：未设置 MINZHENG_TOTP_KEY，动态口令密钥将不加密保存在数据库中");
    }
    // every request arrives over HTTPS: cookies get Secure, answers HSTS (web::security_headers)
    security.secure_cookies = tls.is_some();
    let app = app.with_security(security);
    if let Some(dir) = crate::config::get("audit_head_dir") {
        spawn_head_export(app.clone(), PathBuf::from(dir));
    }
    print_admin(
        users::bootstrap_admin(&app, std::env::var("MINZHENG_ADMIN_PASSWORD").ok())
            .await
            .map_err(field_error)?,
    );
    if with_demo
        && app
            .db
            .conn()
            .scalar("SELECT COUNT(*) FROM persons", vec![])
            .await?
            == 0
    {
        println!("正在生成演示城市（{households} 户）…");
        let s = demo::generate(
            &app,
            demo::DemoOptions {
                households,
                seed: 2020,
            },
            |_, _| {},
        )
        .await?;
        println!("演示城市: {} 户, {} 人", s.households, s.persons);
        demo::create_demo_users(&app).await?;
        let n = demo::assistance::seed(&app, 2020).await?;
        println!("演示社会救助: {n} 件申请（含各办理环节），2020年全年发放名册");
        let (rows, findings) = demo::sources::seed(&app, 2020).await?;
        println!("演示核对: 2020年底部门数据 {rows} 行，核对疑点 {findings} 条");
        let w = demo::welfare::seed(&app).await?;
        println!(
            "演示高龄津贴和两项补贴: 一卡通账号 {} 个，补贴申请 {} 件",
            w.accounts, w.grants
        );
        app.db.analyze(demo::SEEDED_TABLES).await?;
        let c = demo::children::seed(&app).await?;
        println!(
            "演示儿童福利: 登记儿童 {} 名，基本生活费 {} 人",
            c.registered, c.allowances
        );
        let e = demo::elderly::seed(&app).await?;
        println!(
            "演示养老服务: 机构和设施 {} 个，居家养老援助 {} 人，适老化改造 {} 户，家庭照护床位 {} 张",
            e.organisations, e.grants, e.adaptations, e.beds
        );
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("民政云平台已启动: {scheme}://{addr}/");
    if with_demo {
        println!("演示账号（密码均为 {}）:", demo::DEMO_PASSWORD);
        println!(
            "  city（市局业务科室，全部科室） chengjiang（澄江街道民政办） nanzha（南闸街道民政办）"
        );
        println!(
            "  各科室：jiuzhu 社会救助科 hedui 核对中心 yanglao 养老服务科 ertong 儿童福利科 shiwu 社会事务科 shezu 社会组织管理局 bangong 办公室"
        );
        println!("  wangge（社区网格员） leader（局领导） auditor（纪检审计）");
        println!(
            "  三员：admin 系统管理员 anquan 安全管理员 shenji 安全审计员（演示模式不要求动态口令）"
        );
    } else {
        println!("请用 admin 登录（密码见首次启动时的输出或 MINZHENG_ADMIN_PASSWORD）");
    }
    let router = crate::web::router(app.clone());
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        None => {
            axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?
        }
        Some(config) => {
            let handle = axum_server::Handle::new();
            let on_stop = handle.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                on_stop.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, config)?
                .handle(handle)
                .serve(service)
                .await?
        }
    }
    app.db.close().await;
    Ok(())
}

/// The certificate chain and private key (PEM) for `serve --tls-cert --tls-key`, on rustls with ring.
async fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "无法载入TLS证书 {} 或私钥 {}（须为PEM格式，且私钥与证书匹配）：{e}",
                cert.display(),
                key.display()
            )
        })
}
