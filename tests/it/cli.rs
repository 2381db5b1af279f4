//! The `minzheng` command: bad input gives one Chinese line and exit code 2; backup and restore.

use crate::common;

use std::process::Command;

fn minzheng(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .args(args)
        .current_dir(dir)
        .env("MINZHENG_ADMIN_PASSWORD", common::PASSWORD)
        .env_remove("MINZHENG_DATABASE_URL")
        .output()
        .expect("run minzheng");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn bad_input_exits_with_2_and_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = minzheng(
        &["audit", "verify", "--database", "mysql://nowhere"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("数据库地址无效"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = minzheng(&["serve", "--bind", &addr], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("端口可能已被占用"), "{err}");
    assert!(
        !dir.path().join("minzheng.db").exists(),
        "nothing written before the port is known to be free"
    );

    std::fs::write(dir.path().join("garbage.db"), b"not a database at all").unwrap();
    let (code, _, err) = minzheng(&["restore", "garbage.db"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("备份"), "{err}");
    let (code, _, err) = minzheng(&["restore", "missing.db"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("无法读取备份文件"), "{err}");

    let (code, _, err) = minzheng(
        &["user", "add", "x", "--role", "mayor", "--area", "320281"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("角色无效") && err.contains("role"), "{err}");
}

#[test]
fn backup_and_restore_round_trip_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = minzheng(
        &["demo", "--households", "50", "--registry-only"],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = minzheng(&["backup", "copy.db"], dir.path());
    assert_eq!(code, 0, "{err}");
    // a backup never overwrites a file
    let (code, _, _) = minzheng(&["backup", "copy.db"], dir.path());
    assert_eq!(code, 2);
    // restoring over a database with data needs --force
    let (code, _, err) = minzheng(
        &["restore", "copy.db", "--database", "sqlite://minzheng.db"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = minzheng(
        &["restore", "copy.db", "--database", "sqlite://restored.db"],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = minzheng(
        &["audit", "verify", "--database", "sqlite://restored.db"],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("哈希链校验通过"), "{out}");
    let (code, out, _) = minzheng(
        &["user", "list", "--database", "sqlite://restored.db"],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert!(out.contains("admin") && out.contains("chengjiang"), "{out}");
}

#[test]
fn users_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = minzheng(
        &[
            "user",
            "add",
            "cj",
            "--role",
            "town_officer",
            "--area",
            "320281001",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("初始密码"),
        "a generated password is shown once: {out}"
    );
    let (code, _, _) = minzheng(&["user", "disable", "cj"], dir.path());
    assert_eq!(code, 0);
    let (_, out, _) = minzheng(&["user", "list"], dir.path());
    assert!(
        out.lines()
            .any(|l| l.starts_with("cj\t") && l.contains("已停用")),
        "{out}"
    );
    let (code, out, _) = minzheng(&["user", "reset-password", "cj"], dir.path());
    assert_eq!(code, 0);
    assert!(out.contains("新密码"));
    let (code, out, err) = minzheng(&["audit", "verify"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("哈希链校验通过"));
}

/// `audit head`, `audit verify --heads` and `audit archive`'s refusals from the command line.
#[test]
fn audit_heads_and_archive_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], key: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
        c.args(args)
            .current_dir(dir.path())
            .env("MINZHENG_ADMIN_PASSWORD", common::PASSWORD)
            .env_remove("MINZHENG_DATABASE_URL")
            .env_remove("MINZHENG_AUDIT_KEY");
        if let Some(k) = key {
            c.env("MINZHENG_AUDIT_KEY", k);
        }
        let out = c.output().expect("run minzheng");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "cj",
            "--role",
            "town_officer",
            "--area",
            "320281001",
            "--password",
            common::PASSWORD,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["audit", "head", "--out", "heads"], None);
    assert_eq!(code, 0, "{err}");
    let head: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(head["seq"].as_i64().unwrap() >= 1, "{out}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("heads")).unwrap().count(),
        1
    );
    let (code, out, err) = run(&["audit", "verify", "--heads", "heads"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("与 1 个导出的链头一致"), "{out}");
    let key = "cli-archive-key-0123456789abcdef0123";
    let today = chrono::Utc::now().date_naive();
    let (code, _, err) = run(
        &[
            "audit",
            "archive",
            "--before",
            &today.to_string(),
            "--out",
            "a.jsonl",
        ],
        Some(key),
    );
    assert_eq!(code, 2);
    assert!(err.contains("6个月"), "{err}");
    let old = (today - chrono::Duration::days(200)).to_string();
    let (code, _, err) = run(
        &["audit", "archive", "--before", &old, "--out", "a.jsonl"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("MINZHENG_AUDIT_KEY"), "{err}");
    let (code, out, err) = run(
        &["audit", "archive", "--before", &old, "--out", "a.jsonl"],
        Some(key),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("没有未归档"), "{out}");
    assert!(!dir.path().join("a.jsonl").exists());
}

/// One raw HTTP/1.1 request to a running server; the status code and body.
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

/// `serve` without `--demo` creates no account but `admin`, and asks every account for a second factor unless
/// MINZHENG_REQUIRE_TOTP=0.
#[test]
fn serve_outside_the_demo_has_no_default_accounts_and_requires_totp() {
    for (require, want) in [(None, 401), (Some("0"), 200)] {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut c = Command::new(env!("CARGO_BIN_EXE_minzheng"));
        c.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .current_dir(dir.path())
            .env("MINZHENG_ADMIN_PASSWORD", common::PASSWORD)
            .env_remove("MINZHENG_DATABASE_URL")
            .env_remove("MINZHENG_REQUIRE_TOTP")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(r) = require {
            c.env("MINZHENG_REQUIRE_TOTP", r);
        }
        let mut server = c.spawn().unwrap();
        let mut up = false;
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && http(port, "GET", "/healthz", "").0 == 200
            {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let login = format!(
            r#"{{"username":"admin","password":"{}"}}"#,
            common::PASSWORD
        );
        let answer = up.then(|| http(port, "POST", "/api/v1/auth/token", &login));
        let _ = server.kill();
        let _ = server.wait();
        let (status, body) = answer.expect("the server answered");
        assert_eq!(status, want, "MINZHENG_REQUIRE_TOTP={require:?}: {body}");
        let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .args(["user", "list"])
            .current_dir(dir.path())
            .env_remove("MINZHENG_DATABASE_URL")
            .output()
            .unwrap();
        let list = String::from_utf8_lossy(&out.stdout).to_string();
        let users: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(users.len(), 1, "only the administrator: {list}");
        assert!(users[0].contains("admin"), "{list}");
    }
}
