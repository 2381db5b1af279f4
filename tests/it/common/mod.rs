//! Test harness: the whole app per test, on SQLite (a temporary file) or PostgreSQL (a schema of its own).
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use minzheng::app::App;
use minzheng::storage::Db;
use serde_json::Value;
use tower::ServiceExt;

pub mod workflow;

pub const PASSWORD: &str = "Test-pass-2020";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub app: App,
    pub router: axum::Router,
    _dir: Option<tempfile::TempDir>,
    pub url: String,
}

/// Where the PostgreSQL half of the tests runs. `MINZHENG_TEST_PG_URL` when set (CI: an unreachable server then
/// fails the tests); else a server answering at 127.0.0.1:5432; else a throwaway cluster started here with
/// PostgreSQL's own `initdb`/`pg_ctl` (stopped and removed when the test process ends); else `None`, and the
/// PostgreSQL half is skipped with one loud line saying how to run it.
pub fn pg_url() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("MINZHENG_TEST_PG_URL") {
            return Some(url);
        }
        let local = "127.0.0.1:5432".parse().expect("address");
        if std::net::TcpStream::connect_timeout(&local, std::time::Duration::from_millis(300)).is_ok() {
            return Some("postgres://postgres@127.0.0.1:5432/test".into());
        }
        match throwaway_cluster() {
            Ok(url) => Some(url),
            Err(why) => {
                eprintln!(
                    "\n*** PostgreSQL 测试已跳过：{why}。请设置 MINZHENG_TEST_PG_URL=postgres://用户@主机:端口/库，\
                     或以非 root 用户安装 PostgreSQL（initdb、pg_ctl）后再运行 cargo test --all ***\n"
                );
                None
            }
        }
    })
    .clone()
}

/// A PostgreSQL cluster of its own in a temporary directory, on a free port; a watchdog stops and removes it once
/// this test process is gone.
fn throwaway_cluster() -> Result<String, String> {
    use std::process::{Command, Stdio};
    let bin = |name: &str| -> Option<std::path::PathBuf> {
        let on_path = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|d| d.join(name));
        let debian = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin").join(name));
        on_path.chain(debian).find(|p| p.is_file())
    };
    let (initdb, pg_ctl) = match (bin("initdb"), bin("pg_ctl")) {
        (Some(i), Some(c)) => (i, c),
        _ => return Err("没有找到 PostgreSQL（initdb、pg_ctl）".into()),
    };
    let dir = std::env::temp_dir().join(format!("minzheng-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let ok = Command::new(&initdb)
        .args([
            "-D",
            &dir.display().to_string(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !ok.success() {
        return Err("initdb 失败（PostgreSQL 不能以 root 身份初始化）".into());
    }
    let opts = format!("-p {port} -h 127.0.0.1 -k {} -F", dir.display());
    let ok = Command::new(&pg_ctl)
        .args(["-D", &dir.display().to_string(), "-o", &opts, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !ok.success() {
        return Err("pg_ctl start 失败".into());
    }
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; '{ctl}' -D '{d}' -m immediate stop >/dev/null 2>&1; rm -rf '{d}'",
        pid = std::process::id(),
        ctl = pg_ctl.display(),
        d = dir.display()
    );
    Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        let (db, dir, url) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                (Db::connect(&url).await.unwrap(), Some(dir), url)
            }
            Backend::Postgres => {
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let url = pg_url().expect("PostgreSQL for the tests (see pg_url)");
                (
                    Db::connect_with(&url, Some(&schema))
                        .await
                        .expect("PostgreSQL at MINZHENG_TEST_PG_URL"),
                    None,
                    url,
                )
            }
        };
        let app = App::open(db).await.unwrap();
        minzheng::app::users::bootstrap_admin(&app, Some(PASSWORD.into()))
            .await
            .unwrap();
        let router = minzheng::web::router(app.clone());
        TestApp {
            app,
            router,
            _dir: dir,
            url,
        }
    }

    /// A small demo city (deterministic) and one user per role.
    pub async fn with_demo(backend: Backend, households: u64) -> TestApp {
        let t = TestApp::new(backend).await;
        minzheng::demo::generate(
            &t.app,
            minzheng::demo::DemoOptions {
                households,
                seed: 7,
            },
            |_, _| {},
        )
        .await
        .unwrap();
        t
    }

    pub async fn add_user(&self, username: &str, role: &str, area: &str) {
        let ctx =
            minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test");
        minzheng::app::users::add(
            &self.app,
            &ctx,
            minzheng::app::users::NewUser {
                username: username.into(),
                password: PASSWORD.into(),
                role: role.into(),
                area_code: area.into(),
                display_name: None,
                // a test's city officer holds every section, like the demo's `city`
                sections: if role == "city_officer" {
                    minzheng::app::authz::Section::ALL
                        .iter()
                        .map(|s| s.code().to_string())
                        .collect()
                } else {
                    vec![]
                },
            },
        )
        .await
        .unwrap();
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (status, _, bytes) = self.send(req).await;
        let v = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn token(&self, username: &str) -> String {
        let (s, v) = self
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Logs in through the login form; returns the session cookie and the CSRF token of the next page.
    pub async fn login_browser(&self, username: &str) -> Session {
        let (_, headers, _) = self
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let login_csrf = cookie_value(&headers, "mz_login_csrf").unwrap();
        let form = format!("csrf={login_csrf}&username={username}&password={PASSWORD}&next=%2F");
        let (status, headers, _) = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("mz_login_csrf={login_csrf}"))
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let session = cookie_value(&headers, "mz_session").expect("session cookie");
        let set = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert!(
            set.iter().any(|c| c.starts_with("mz_session=")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Strict")),
            "{set:?}"
        );
        let mut s = Session {
            cookie: session,
            csrf: String::new(),
        };
        let (_, _, body) = self.page(&s, "/account").await;
        let html = String::from_utf8(body).unwrap();
        let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        s.csrf = html[i..i + 32].to_string();
        s
    }

    pub async fn page(
        &self,
        s: &Session,
        path: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.send(
            Request::get(path)
                .header(header::COOKIE, format!("mz_session={}", s.cookie))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(
        &self,
        s: &Session,
        path: &str,
        form: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.send(
            Request::post(path)
                .header(header::COOKIE, format!("mz_session={}", s.cookie))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        self.app.db.conn().scalar(sql, vec![]).await.unwrap()
    }

    /// The registry's kept residents per village (`area_residents`) agree with a count of the persons.
    pub async fn assert_residents_kept(&self) {
        let kept: Vec<(String, i64)> = self
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT area_code, residents FROM area_residents WHERE residents <> 0 ORDER BY area_code",
                vec![],
            )
            .await
            .unwrap();
        let counted: Vec<(String, i64)> = self
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT area_code, COUNT(*) FROM persons WHERE status = 'normal' GROUP BY area_code ORDER BY area_code",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(kept, counted);
    }
}

pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let (kv, _) = s.split_once(';').unwrap_or((s, ""));
        let (k, v) = kv.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// Runs a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if common::pg_url().is_none() {
                    return; // said once, loudly, by pg_url
                }
                ($body)(common::Backend::Postgres).await;
            }
        }
    };
}

/// URL-encodes a form value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A multipart/form-data body of text fields and files: (content type, body).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "mzBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart form with a bearer token: (status, JSON body).
pub async fn upload(
    t: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (StatusCode, Value) {
    let (ct, body) = multipart(fields, files);
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let (s, _, b) = t.send(req).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Loads a departmental source file through the API.
pub async fn load(
    t: &TestApp,
    token: &str,
    source: &str,
    name: &str,
    bytes: &[u8],
    as_of: &str,
) -> (StatusCode, Value) {
    upload(
        t,
        token,
        &format!("/api/v1/sources/{source}/loads"),
        &[("as_of", as_of)],
        &[("file", name, bytes)],
    )
    .await
}

/// A new registry household in `village`: `name` (born 1945, living on a 300 yuan pension) and `children` working
/// children; returns the body of its dibao application filed on 2020-06-01.
pub async fn dibao_request(
    t: &TestApp,
    tok: &str,
    village: &str,
    name: &str,
    children: usize,
) -> Value {
    use serde_json::json;
    let (_, v) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(tok),
            Some(json!({"area_code": village, "address": "测试路9号"})),
        )
        .await;
    let hh = v["id"].as_str().unwrap().to_string();
    let mut members = vec![];
    let mut applicant = Value::Null;
    for i in 0..=children {
        let n = self_count(t).await as u16;
        let born = if i == 0 {
            chrono::NaiveDate::from_ymd_opt(1945, 2, 2).unwrap()
        } else {
            chrono::NaiveDate::from_ymd_opt(1975 + i as i32, 5, 5).unwrap()
        };
        let idn = minzheng_domain::idnumber::IdNumber::compose("320281", born, 31 + n).to_string();
        let (relation, person) = if i == 0 {
            ("self", name.to_string())
        } else {
            ("child", format!("{name}{i}"))
        };
        let (s, p) = t
            .api(
                Method::POST,
                "/api/v1/persons",
                Some(tok),
                Some(json!({"id_number": idn, "name": person, "area_code": village, "household_id": hh, "relation": relation})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        if i == 0 {
            applicant = p["id"].clone();
        }
        let (wage, pension) = if i == 0 { ("0", "300") } else { ("800", "0") };
        members.push(json!({"id_number": idn, "relation": relation, "status": "normal", "employed": i > 0, "disability": null,
            "serious_illness": false, "self_care_unmet": 0, "has_capable_supporter": true, "public_payroll": false,
            "monthly_income": {"wage": wage, "business": "0", "property": "0", "transfer": "0", "basic_pension": pension, "excluded": "0"}}));
    }
    json!({"category": "dibao", "household_id": hh, "applicant_id": applicant, "authorisation_on": "2020-06-01",
           "bank_account": "6228480000000000001", "applied_on": "2020-06-01",
           "household": {"members": members, "assets": {"financial": "2000", "vehicles": [{"kind": "motorcycle"}],
               "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0}, "annual_rigid_expenditure": "0"}})
}

async fn self_count(t: &TestApp) -> i64 {
    t.scalar("SELECT COUNT(*) FROM persons").await
}

/// Takes an application step through the API and expects it to pass.
pub async fn act(t: &TestApp, tok: &str, id: &str, body: Value) {
    let (s, v) = t
        .api(
            Method::POST,
            &format!("/api/v1/applications/{id}/actions"),
            Some(tok),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Words allowed on screen: file formats, units and standards' names, and the test users' login names (identifiers
/// people type).
pub const LATIN_ALLOWED: &[&str] = &[
    "XLSX", "CSV", "PDF", "JPG", "JPEG", "PNG", "DOCX", "API", "YYYY", "MM", "DD", "GB", "ID",
    "SVG", "SHA", "UTF", "MZ", "MB", "KB", "admin", "city", "cj", "wg", "leader", "auditor",
    "anquan", "shenji",
];

/// The Latin words (2 letters or more) a page shows outside tags, `<code>` and the allowed words.
pub fn latin_words(html: &str) -> Vec<String> {
    let body = html.split("<body").nth(1).unwrap_or(html);
    // a file format's column names and the audit log's raw records are code, shown as such
    let body: String = body
        .split("<code>")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once("</code>").map_or("", |x| x.1)
            }
        })
        .collect();
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2 && !LATIN_ALLOWED.contains(w))
        .map(str::to_string)
        .collect()
}

/// The page a user lands on after logging in, and its HTML: `/`, or for the three administrators (who read no
/// business figures) the page `/` sends them to.
pub async fn home_page(t: &TestApp, s: &Session) -> (String, String) {
    let (st, headers, _) = t.page(s, "/").await;
    let start = if st == axum::http::StatusCode::SEE_OTHER {
        headers[axum::http::header::LOCATION]
            .to_str()
            .unwrap()
            .to_string()
    } else {
        "/".to_string()
    };
    let (_, _, home) = t.page(s, &start).await;
    (start, String::from_utf8(home).unwrap())
}

/// The menu's links on a page (the side navigation), API documentation left out.
pub fn menu_links(html: &str) -> Vec<String> {
    html.split("<nav class=\"side\">")
        .nth(1)
        .unwrap_or("")
        .split("</nav>")
        .next()
        .unwrap_or("")
        .split("href=\"")
        .skip(1)
        .filter_map(|x| x.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("/api/docs"))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// A whole 1 × 1 PNG: photos and scans are checked for their structure, not only their first bytes.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The lines of `programme` in `month`'s roll as (`key` column of the line, amount), sorted: what the tests that
/// count a roll independently compare with.
pub async fn roll_lines(
    t: &TestApp,
    month: &str,
    programme: &str,
    key: &str,
) -> Vec<(String, i64)> {
    let mut lines: Vec<(String, i64)> = t
        .app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT l.{key}, l.amount FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                 WHERE r.month = $1 AND l.programme = $2"
            ),
            minzheng::args![month, programme],
        )
        .await
        .unwrap();
    lines.sort();
    lines
}

/// The amount of `tier` in force in `month` among (tier, effective month, amount) rows ordered by month.
pub fn in_force(standards: &[(String, String, i64)], tier: &str, month: &str) -> Option<i64> {
    standards
        .iter()
        .rfind(|s| s.0 == tier && s.1.as_str() <= month)
        .map(|s| s.2)
}
