//! Confidentiality at rest: SQLCipher whole-file encryption of the SQLite database, its key from a file or the
//! environment, a wrong key refused in Chinese, `db rekey`, backups and restores with the key; TLS to PostgreSQL
//! (README「安全（等保）」: 数据保密性).

use crate::common;

use minzheng::app::App;
use minzheng::storage::{Db, DbKey, key};
use std::path::Path;
use std::process::Command;

/// The tests act as the command line does.
fn by_test(app: &App) -> minzheng::app::Ctx {
    minzheng::app::Ctx::command_line(
        minzheng::app::authz::Actor::system(&app.areas().city_code),
        "test",
    )
}

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A small demo city in an SQLite file opened with `key`; returns the identity numbers and phones it holds.
async fn city(path: &Path, key: Option<DbKey>) -> Vec<String> {
    city_of(path, key).await.1
}

/// As [`city`], with the number of persons.
async fn city_of(path: &Path, key: Option<DbKey>) -> (usize, Vec<String>) {
    let db = Db::connect_keyed(&url(path), key).await.unwrap();
    let app = App::open(db).await.unwrap();
    minzheng::demo::generate(
        &app,
        minzheng::demo::DemoOptions {
            households: 40,
            seed: 7,
        },
        |_, _| {},
    )
    .await
    .unwrap();
    let rows: Vec<(String, String)> = app
        .db
        .conn()
        .fetch_all("SELECT id_number, phone FROM persons", vec![])
        .await
        .unwrap();
    assert!(rows.len() > 60, "{} persons", rows.len());
    // everything on disk, the write-ahead log included
    app.db.checkpoint().await.unwrap();
    app.db.close().await;
    let n = rows.len();
    // (a person without a phone has an empty one)
    let secrets = rows
        .into_iter()
        .flat_map(|(i, p)| [i, p])
        .filter(|s| s.len() >= 7)
        .collect();
    (n, secrets)
}

/// The file's bytes, and its write-ahead log's if one is left.
fn bytes_on_disk(path: &Path) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        b.extend(wal);
    }
    b
}

fn found(haystack: &[u8], needles: &[String]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| haystack.windows(n.len()).any(|w| w == n.as_bytes()))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyed_database_holds_no_identity_number_or_phone_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    // without a key the same city is readable in the file: the search below finds what is there
    let plain = dir.path().join("plain.db");
    let secrets = city(&plain, None).await;
    let seen = found(&bytes_on_disk(&plain), &secrets);
    assert!(seen.len() > secrets.len() / 2, "{seen:?}");
    assert!(key::is_plain_sqlite(&plain));

    let enc = dir.path().join("enc.db");
    let secrets = city(&enc, Some(DbKey::new(KEY).unwrap())).await;
    let bytes = bytes_on_disk(&enc);
    assert!(!key::is_plain_sqlite(&enc));
    assert_eq!(found(&bytes, &secrets), Vec::<String>::new());
    assert!(
        !bytes.windows(15).any(|w| w == b"SQLite format 3"),
        "an SQLite header in the clear"
    );
    // and the same key reads it back
    let db = Db::connect_keyed(&url(&enc), Some(DbKey::new(KEY).unwrap()))
        .await
        .unwrap();
    let n = db
        .conn()
        .scalar("SELECT COUNT(*) FROM persons", vec![])
        .await
        .unwrap();
    assert!(n as usize * 2 >= secrets.len(), "{n} persons");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_key_is_refused_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let enc = dir.path().join("enc.db");
    let db = Db::connect_keyed(&url(&enc), Some(DbKey::new(KEY).unwrap()))
        .await
        .unwrap();
    App::open(db.clone()).await.unwrap();
    db.close().await;

    let wrong = DbKey::new("a wrong passphrase, long enough").unwrap();
    let e = Db::connect_keyed(&url(&enc), Some(wrong))
        .await
        .err()
        .expect("a wrong key opens nothing")
        .to_string();
    assert!(e.contains("数据库密钥错误"), "{e}");
    let e = Db::connect_keyed(&url(&enc), None)
        .await
        .err()
        .expect("no key opens nothing")
        .to_string();
    assert!(e.contains("已加密") && e.contains("MINZHENG_DB_KEY"), "{e}");

    let plain = dir.path().join("plain.db");
    let db = Db::connect_keyed(&url(&plain), None).await.unwrap();
    App::open(db.clone()).await.unwrap();
    db.close().await;
    let e = Db::connect_keyed(&url(&plain), Some(DbKey::new(KEY).unwrap()))
        .await
        .err()
        .expect("a key on a plain file")
        .to_string();
    assert!(e.contains("未加密") && e.contains("db rekey"), "{e}");

    // keys that are no keys
    assert!(DbKey::new("short").unwrap_err().contains("太短"));
    let f = dir.path().join("key");
    std::fs::write(&f, format!("{KEY}\n")).unwrap();
    assert_eq!(DbKey::from_file(&f).unwrap(), DbKey::new(KEY).unwrap());
    assert!(
        DbKey::from_file(&dir.path().join("missing"))
            .unwrap_err()
            .contains("无法读取数据库密钥文件")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_encrypts_a_plain_database_then_changes_its_key_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let (persons, secrets) = city_of(&path, None).await;
    let u = url(&path);
    let first = DbKey::new(KEY).unwrap();
    let second = DbKey::new("第二把钥匙：a passphrase this time").unwrap();

    // refused while another connection has the file open (a server would go on with the old key)
    let busy = Db::connect_keyed(&u, None).await.unwrap();
    busy.conn()
        .scalar("SELECT COUNT(*) FROM persons", vec![])
        .await
        .unwrap();
    let e = minzheng::app::encryption::rekey(&u, None, first.clone(), by_test)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("正被其他进程使用"), "{e}");
    assert!(key::is_plain_sqlite(&path), "nothing changed");
    busy.close().await;

    minzheng::app::encryption::rekey(&u, None, first.clone(), by_test)
        .await
        .unwrap();
    assert!(!key::is_plain_sqlite(&path));
    assert_eq!(found(&bytes_on_disk(&path), &secrets), Vec::<String>::new());

    minzheng::app::encryption::rekey(&u, Some(first.clone()), second.clone(), by_test)
        .await
        .unwrap();
    let e = Db::connect_keyed(&u, Some(first.clone()))
        .await
        .err()
        .expect("the old key no longer opens it")
        .to_string();
    assert!(e.contains("数据库密钥错误"), "{e}");
    let db = Db::connect_keyed(&u, Some(second.clone())).await.unwrap();
    let n = db
        .conn()
        .scalar("SELECT COUNT(*) FROM persons", vec![])
        .await
        .unwrap();
    assert_eq!(n as usize, persons, "every row kept");
    // both changes in the audit log, whose chain still holds
    let actions: Vec<(String, Option<String>)> = db
        .conn()
        .fetch_all(
            "SELECT action, after_json FROM audit_log WHERE action = 'system.rekey' ORDER BY seq",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions[0].1.as_deref().unwrap_or("").contains("加密"));
    assert!(actions[1].1.as_deref().unwrap_or("").contains("更换密钥"));
    let report = minzheng::app::audit::verify(&db).await.unwrap();
    assert!(report.first_problem.is_none(), "{:?}", report.first_problem);
    db.close().await;

    let e = minzheng::app::encryption::rekey(&u, Some(second.clone()), second, by_test)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("相同"), "{e}");
}

fn minzheng(args: &[&str], dir: &Path, key_file: Option<&Path>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
    c.args(args)
        .current_dir(dir)
        .env("MINZHENG_ADMIN_PASSWORD", common::PASSWORD)
        .env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_DB_KEY")
        .env_remove("MINZHENG_DB_KEY_FILE");
    if let Some(k) = key_file {
        c.env("MINZHENG_DB_KEY_FILE", k);
    }
    let out = c.output().expect("run minzheng");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn the_command_encrypts_backs_up_and_restores_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("k1"), format!("{KEY}\n")).unwrap();
    std::fs::write(d.join("k2"), "another passphrase for the city\n").unwrap();
    let (k1, k2) = (d.join("k1"), d.join("k2"));

    let (code, _, err) = minzheng(
        &[
            "user",
            "add",
            "zhangsan",
            "--role",
            "city_officer",
            "--area",
            "320281",
            "--password",
            common::PASSWORD,
        ],
        d,
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = minzheng(&["db", "rekey", "--new-key-file", "k1"], d, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("数据库已加密"), "{out}");
    assert!(!key::is_plain_sqlite(&d.join("minzheng.db")));

    // without the key, or with another: one Chinese line, exit 2
    let (code, _, err) = minzheng(&["user", "list"], d, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("已加密"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, _, err) = minzheng(&["user", "list"], d, Some(&k2));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("数据库密钥错误"), "{err}");
    let (code, out, err) = minzheng(&["user", "list"], d, Some(&k1));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("zhangsan"), "{out}");

    // rotation: the current key from the environment, the new one from a file
    let (code, out, err) = minzheng(&["db", "rekey", "--new-key-file", "k2"], d, Some(&k1));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("数据库密钥已更换"), "{out}");
    let (code, _, _) = minzheng(&["user", "list"], d, Some(&k1));
    assert_eq!(code, 2);

    // a backup is encrypted with the database's key, and restores with it
    let (code, _, err) = minzheng(&["backup", "b.db"], d, Some(&k2));
    assert_eq!(code, 0, "{err}");
    assert!(!key::is_plain_sqlite(&d.join("b.db")));
    let target = "sqlite://restored.db";
    let (code, _, err) = minzheng(&["restore", "b.db", "--database", target], d, Some(&k1));
    assert_eq!(code, 2, "the wrong key cannot check the backup: {err}");
    let (code, _, err) = minzheng(&["restore", "b.db", "--database", target], d, Some(&k2));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = minzheng(&["user", "list", "--database", target], d, Some(&k2));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("zhangsan"), "{out}");
    let (code, out, err) = minzheng(&["audit", "verify", "--database", target], d, Some(&k2));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("校验通过"), "{out}");

    // PostgreSQL has no key of the platform's
    let (code, _, err) = minzheng(
        &[
            "db",
            "rekey",
            "--new-key-file",
            "k1",
            "--database",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        d,
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("加密卷"), "{err}");
}

/// `?sslmode=require` on a PostgreSQL URL: the platform's connections are encrypted (sqlx with rustls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_can_require_tls() {
    let Some(base) = common::pg_url() else {
        return;
    };
    let plain = Db::connect(&base).await.unwrap();
    let (ssl,): (String,) = plain.conn().fetch_one("SHOW ssl", vec![]).await.unwrap();
    plain.close().await;
    if ssl != "on" {
        eprintln!(
            "\n*** 测试用 PostgreSQL 未开启 SSL（ssl = {ssl}），跳过 sslmode=require 的检查 ***\n"
        );
        return;
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let db = Db::connect(&format!("{base}{sep}sslmode=require"))
        .await
        .unwrap();
    let (on,): (bool,) = db
        .conn()
        .fetch_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            vec![],
        )
        .await
        .unwrap();
    assert!(on, "the connection is not encrypted");
    db.close().await;
}

/// The SQLite compiled in is SQLCipher, and `.cargo/config.toml`'s flags still reach it (without
/// SQLITE_ENABLE_MEMORY_MANAGEMENT every connection's page cache is its own).
#[tokio::test]
async fn the_build_is_sqlcipher_with_the_projects_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect_keyed(&url(&dir.path().join("o.db")), None)
        .await
        .unwrap();
    let options: Vec<(String,)> = db
        .conn()
        .fetch_all("PRAGMA compile_options", vec![])
        .await
        .unwrap();
    let options: Vec<String> = options.into_iter().map(|o| o.0).collect();
    assert!(options.iter().any(|o| o == "HAS_CODEC"), "{options:?}");
    assert!(
        !options
            .iter()
            .any(|o| o.starts_with("ENABLE_MEMORY_MANAGEMENT")),
        "{options:?}"
    );
    let (version,): (String,) = db
        .conn()
        .fetch_one("PRAGMA cipher_version", vec![])
        .await
        .unwrap();
    assert!(version.starts_with('4'), "{version}");
    db.close().await;
}
