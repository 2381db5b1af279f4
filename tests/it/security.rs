//! 等保三级 (issue 15): login lockout under parallel guesses, alike refusals, token lifetime, local redirects,
//! security headers, free-text limits and the decision schemas of the API document.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use minzheng::app::Security;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tower::ServiceExt;

const SAME: &str = "用户名或密码错误，或账号暂不可用";

fn admin_ctx() -> minzheng::app::Ctx {
    minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test")
}

fn from(ip: &str, mut req: Request<Body>) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

async fn send(
    router: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (
        status,
        headers,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

/// POST /api/v1/auth/token from `ip`.
async fn login_from(
    router: &axum::Router,
    ip: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Value) {
    let req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    let (s, _, body) = send(router, from(ip, req)).await;
    (s, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Login attempts whose password was really checked (not refused beforehand).
async fn checked_attempts(t: &TestApp) -> i64 {
    t.scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' \
         AND (success = TRUE OR after_json LIKE '%\"checked\":true%')",
    )
    .await
}

db_test!(
    parallel_guesses_cannot_pass_the_lock,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let ip = "198.51.100.7";
        for _ in 0..4 {
            let (s, v) = login_from(&t.router, ip, "cj", "wrong-1").await;
            assert_eq!(
                (s, v["error"].as_str()),
                (StatusCode::UNAUTHORIZED, Some(SAME))
            );
        }
        assert_eq!(checked_attempts(&t).await, 4);
        // one attempt is left before the lock: 149 wrong guesses and the right password at once
        let mut tasks = Vec::new();
        for i in 0..150 {
            let router = t.router.clone();
            let pw = if i == 149 {
                common::PASSWORD.to_string()
            } else {
                format!("wrong-{i}")
            };
            tasks.push(tokio::spawn(async move {
                login_from(&router, ip, "cj", &pw).await
            }));
        }
        let answers = futures::future::join_all(tasks).await;
        let right = answers[149].as_ref().unwrap();
        for a in &answers {
            let (s, v) = a.as_ref().unwrap();
            assert_eq!(*s, StatusCode::UNAUTHORIZED, "{v}");
            assert_eq!(v["error"], SAME);
        }
        assert_eq!(right.0, StatusCode::UNAUTHORIZED);
        // however many ran at once, only the one reserved attempt reached the password hash
        assert_eq!(checked_attempts(&t).await, 5);
        // every refusal is audited, with why
        assert_eq!(
            t.scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND success = FALSE"
            )
            .await,
            154
        );
        assert_eq!(
            t.scalar(
                "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%\"reason\":\"locked\"%'"
            )
            .await,
            149
        );
        // still locked from that address, with the right password
        let (s, _) = login_from(&t.router, ip, "cj", common::PASSWORD).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // but the guesses from there do not shut the user out from their own address
        let (s, v) = login_from(&t.router, "203.0.113.20", "cj", common::PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
);

db_test!(
    refusals_look_alike_and_strangers_cannot_lock,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        for u in ["cj", "off", "lk"] {
            t.add_user(u, "town_officer", "320281001").await;
        }
        minzheng::app::users::set_disabled(&t.app, &admin_ctx(), "off", true)
            .await
            .unwrap();
        let attacker = "192.0.2.66";
        let home = "192.0.2.10";
        for _ in 0..20 {
            let (s, v) = login_from(&t.router, attacker, "lk", "guess-guess").await;
            assert_eq!(
                (s, v["error"].as_str()),
                (StatusCode::UNAUTHORIZED, Some(SAME))
            );
        }
        // wrong password, unknown name, locked (right password), disabled (right password): one answer
        let cases = [
            ("cj", "wrong-password", attacker),
            ("nobody", common::PASSWORD, attacker),
            ("lk", common::PASSWORD, attacker),
            ("off", common::PASSWORD, attacker),
        ];
        let mut fastest = Vec::new();
        for (u, pw, ip) in cases {
            let mut best = std::time::Duration::MAX;
            for _ in 0..3 {
                let started = std::time::Instant::now();
                let (s, v) = login_from(&t.router, ip, u, pw).await;
                best = best.min(started.elapsed());
                assert_eq!(s, StatusCode::UNAUTHORIZED, "{u}");
                assert_eq!(v, json!({"error": SAME}), "{u}");
            }
            fastest.push(best);
        }
        // each ran one argon2 check (against a stand-in hash when there is nothing to check): none answers in a
        // fraction of the time of a real wrong password
        for (i, d) in fastest.iter().enumerate() {
            assert!(
                *d * 2 >= fastest[0],
                "case {i} answered in {d:?}, a wrong password in {:?}",
                fastest[0]
            );
        }
        // the stranger's guesses lock only the stranger: the user logs in from home
        let (s, v) = login_from(&t.router, home, "lk", common::PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // the login form answers the same way
        let (_, h, _) = send(
            &t.router,
            Request::get("/login").body(Body::empty()).unwrap(),
        )
        .await;
        let csrf = common::cookie_value(&h, "mz_login_csrf").unwrap();
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("mz_login_csrf={csrf}"))
            .body(Body::from(format!(
                "csrf={csrf}&username=off&password={}&next=%2F",
                common::PASSWORD
            )))
            .unwrap();
        let (s, _, body) = send(&t.router, from(attacker, req)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8(body).unwrap().contains(SAME));
    }
);

db_test!(lockouts_grow_and_reset_unlocks, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let ip = "198.51.100.9";
    let lock_minutes = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            let (until,): (chrono::DateTime<chrono::Utc>,) = db
                .conn()
                .fetch_one(
                    "SELECT locked_until FROM login_throttle WHERE username = 'cj' AND ip = '198.51.100.9'",
                    vec![],
                )
                .await
                .unwrap();
            (until - chrono::Utc::now()).num_minutes()
        }
    };
    for _ in 0..5 {
        login_from(&t.router, ip, "cj", "nope-nope").await;
    }
    assert!((14..=15).contains(&lock_minutes(&t).await));
    // the lock runs out; five more failures lock twice as long
    t.app
        .db
        .conn()
        .execute(
            "UPDATE login_throttle SET locked_until = $1",
            minzheng::args![chrono::Utc::now() - chrono::Duration::minutes(1)],
        )
        .await
        .unwrap();
    for _ in 0..5 {
        login_from(&t.router, ip, "cj", "nope-nope").await;
    }
    assert!((29..=30).contains(&lock_minutes(&t).await));
    let ctx = admin_ctx();
    let users = minzheng::app::users::list(&t.app, &ctx).await.unwrap();
    assert!(users.iter().find(|u| u.username == "cj").unwrap().locked);
    // the administrator's reset unlocks from every address
    minzheng::app::users::reset_password(&t.app, &ctx, "cj", Some(common::PASSWORD.into()))
        .await
        .unwrap();
    let (s, _) = login_from(&t.router, ip, "cj", common::PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
});

db_test!(
    tokens_expire_and_die_with_account_changes,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let ctx = admin_ctx();
        let works = |tok: String| {
            let t = &t;
            async move { t.get("/api/v1/persons", &tok).await.0 == StatusCode::OK }
        };
        // a new token lives MINZHENG_TOKEN_DAYS (90 by default)
        let tok = t.token("cj").await;
        assert!(works(tok.clone()).await);
        assert_eq!(
        t.scalar("SELECT COUNT(*) FROM api_tokens WHERE expires_at IS NOT NULL AND user_stamp IS NOT NULL")
            .await,
        1
    );
        let (created, expires): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = t
            .app
            .db
            .conn()
            .fetch_one("SELECT created_at, expires_at FROM api_tokens", vec![])
            .await
            .unwrap();
        assert_eq!((expires - created).num_days(), 90);
        // expired (cached a moment ago: the expiry is checked in the cache too)
        t.app
            .db
            .conn()
            .execute(
                "UPDATE api_tokens SET expires_at = $1",
                minzheng::args![chrono::Utc::now() - chrono::Duration::seconds(1)],
            )
            .await
            .unwrap();
        t.app.forget_tokens();
        assert!(!works(tok).await);
        // password reset
        let tok = t.token("cj").await;
        assert!(works(tok.clone()).await);
        minzheng::app::users::reset_password(&t.app, &ctx, "cj", Some(common::PASSWORD.into()))
            .await
            .unwrap();
        assert!(!works(tok).await);
        // role or area change
        let tok = t.token("cj").await;
        assert!(works(tok.clone()).await);
        minzheng::app::users::change_role_area(&t.app, &ctx, "cj", "town_officer", "320281004")
            .await
            .unwrap();
        assert!(!works(tok).await);
        // a change made outside the platform is caught by the token's stamp
        let tok = t.token("cj").await;
        assert!(works(tok.clone()).await);
        t.app
            .db
            .conn()
            .execute(
                "UPDATE users SET area_code = '320281001' WHERE username = 'cj'",
                vec![],
            )
            .await
            .unwrap();
        t.app.forget_tokens();
        assert!(!works(tok).await);
        // disabled, then enabled again: the token stays dead
        let tok = t.token("cj").await;
        assert!(works(tok.clone()).await);
        minzheng::app::users::set_disabled(&t.app, &ctx, "cj", true)
            .await
            .unwrap();
        assert!(!works(tok.clone()).await);
        minzheng::app::users::set_disabled(&t.app, &ctx, "cj", false)
            .await
            .unwrap();
        assert!(!works(tok).await);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL")
                .await,
            0,
            "each change revoked every earlier token"
        );
        // the account page lists every token with its last use, expiry and state
        let live = t.token("cj").await;
        assert!(works(live).await);
        t.app
            .db
            .conn()
            .execute(
                "UPDATE api_tokens SET expires_at = $1 WHERE revoked_at IS NULL",
                minzheng::args![chrono::Utc::now() - chrono::Duration::seconds(1)],
            )
            .await
            .unwrap();
        t.token("cj").await; // never used
        let s = t.login_browser("cj").await;
        let (_, _, body) = t.page(&s, "/account").await;
        let html = String::from_utf8(body).unwrap();
        for want in [
            "最近使用",
            "到期时间",
            "已吊销",
            "已过期",
            "有效期 90 天",
            "从未使用",
        ] {
            assert!(html.contains(want), "{want}: {html}");
        }
        let expiry_day = (minzheng::util::today() + chrono::Duration::days(90)).to_string();
        assert!(html.contains(&expiry_day), "{expiry_day}");
        // MINZHENG_TOKEN_DAYS
        let router = minzheng::web::router(t.app.clone().with_security(Security {
            token_days: 7,
            ..Security::default()
        }));
        let (s, _) = login_from(&router, "192.0.2.1", "cj", common::PASSWORD).await;
        assert_eq!(s, StatusCode::OK);
        let (created, expires): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT created_at, expires_at FROM api_tokens ORDER BY created_at DESC LIMIT 1",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!((expires - created).num_days(), 7);
    }
);

db_test!(login_redirects_stay_on_the_site, |b: Backend| async move {
    let t = TestApp::new(b).await;
    for (next, want) in [
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("/persons?q=1234", "/persons?q=1234"),
    ] {
        let (_, h, _) = t
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let csrf = common::cookie_value(&h, "mz_login_csrf").unwrap();
        let form = format!(
            "csrf={csrf}&username=admin&password={}&next={}",
            common::PASSWORD,
            common::enc(next)
        );
        let (s, h, _) = t
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("mz_login_csrf={csrf}"))
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(h[header::LOCATION], want, "{next:?}");
    }
    // the form carries only a local path on
    let (_, _, body) = t
        .send(
            Request::get("/login?next=%2F%5Cevil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(!html.contains("evil.example"), "{html}");
});

db_test!(security_headers_everywhere, |b: Backend| async move {
    let t = TestApp::new(b).await;
    // a business user: the administrators (三员分立) open no personal data
    t.add_user("city", "city_officer", "320281").await;
    let tok = t.token("city").await;
    let s = t.login_browser("city").await;
    let get = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .header(header::COOKIE, format!("mz_session={}", s.cookie))
            .body(Body::empty())
            .unwrap()
    };
    for path in [
        "/login",
        "/",
        "/account",
        "/api/v1/areas",
        "/api/v1/persons/export",
        "/persons/export.csv",
        "/api/openapi.json",
        "/api/docs/",
    ] {
        let (st, h, _) = t.send(get(path)).await;
        assert!(st.is_success(), "{path}: {st}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for want in [
            "default-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(want), "{path}: {csp}");
        }
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }
    let (_, h, _) = t.send(get("/static/app.css")).await;
    assert!(h.get(header::CACHE_CONTROL).is_none());
    // Swagger UI runs under the same policy: it has no inline script
    let (_, _, body) = t.send(get("/api/docs/")).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<script"));
    for tag in html.split("<script").skip(1) {
        assert!(tag.split('>').next().unwrap().contains("src="), "{tag}");
    }
    // nor do the templates: the only inline handler is the print button, allowed by its hash
    for e in std::fs::read_dir("templates").unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for tag in text.split("<script").skip(1) {
            assert!(tag.split('>').next().unwrap().contains("src="), "{path:?}");
        }
        for handler in text.split(" onclick=\"").skip(1) {
            assert!(handler.starts_with("window.print()\""), "{path:?}");
        }
    }
    // no Secure flag over plain HTTP (the cookie would never come back)...
    let (_, h, _) = t.send(get("/login")).await;
    let set = h[header::SET_COOKIE].to_str().unwrap();
    assert!(!set.contains("Secure"), "{set}");
    // ...and Secure + HSTS when configured, or when a trusted proxy says the request came over HTTPS
    let secure = minzheng::web::router(t.app.clone().with_security(Security {
        secure_cookies: true,
        ..Security::default()
    }));
    let proxied = minzheng::web::router(t.app.clone().with_security(Security {
        trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
        ..Security::default()
    }));
    let via = |ip: &str| {
        from(
            ip,
            Request::get("/login")
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-for", "203.0.113.5, 198.51.100.77")
                .body(Body::empty())
                .unwrap(),
        )
    };
    for (router, req, want) in [
        (
            &secure,
            Request::get("/login").body(Body::empty()).unwrap(),
            true,
        ),
        (&proxied, via("10.0.0.1"), true),
        (&proxied, via("10.0.0.2"), false),
        (&t.router, via("10.0.0.1"), false),
    ] {
        let (_, h, _) = send(router, req).await;
        let set = h[header::SET_COOKIE].to_str().unwrap().to_string();
        assert_eq!(set.contains("; Secure"), want, "{set}");
        assert_eq!(h.get(header::STRICT_TRANSPORT_SECURITY).is_some(), want);
    }
    // behind the trusted proxy the caller is the address it forwarded (the lockout and the audit use it)
    let req = from(
        "10.0.0.1",
        Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", "203.0.113.5, 198.51.100.77")
            .body(Body::from(
                json!({"username": "admin", "password": common::PASSWORD}).to_string(),
            ))
            .unwrap(),
    );
    let (st, _, _) = send(&proxied, req).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        t.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND ip = '198.51.100.77'"
        )
        .await,
        1
    );
});

db_test!(free_text_is_limited, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("city", "city_officer", "320281").await;
    let (tok, city, admin) = (
        t.token("cj").await,
        t.token("city").await,
        t.token("admin").await,
    );
    let (_, areas) = t.get("/api/v1/areas?parent=320281001", &tok).await;
    let village = areas[0]["code"].as_str().unwrap().to_string();
    let refused =
        |path: &'static str, method: Method, token: String, body: Value, field: &'static str| {
            let t = &t;
            async move {
                let (s, v) = t.api(method, path, Some(&token), Some(body.clone())).await;
                assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {v}");
                assert_eq!(v["field"], field, "{path} {body}: {v}");
                let msg = v["error"].as_str().unwrap();
                assert!(
                    msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{msg}"
                );
            }
        };
    // households
    refused(
        "/api/v1/households",
        Method::POST,
        tok.clone(),
        json!({"area_code": village, "address": "路".repeat(201)}),
        "address",
    )
    .await;
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(&tok),
            Some(json!({"area_code": village, "address": "澄江街道测试路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // persons: create
    let good = json!({"id_number": "11010519491231002x", "name": "张三明", "area_code": village});
    for (k, bad, field) in [
        ("name", json!("张\u{202E}三明"), "name"),
        ("name", json!("张\u{200B}三明"), "name"),
        ("name", json!("张\u{0}三明"), "name"),
        ("name", json!("张".repeat(51)), "name"),
        ("address", json!("路".repeat(201)), "address"),
        ("address", json!("测试路\u{2066}1号"), "address"),
    ] {
        let mut body = good.clone();
        body[k] = bad;
        refused("/api/v1/persons", Method::POST, tok.clone(), body, field).await;
    }
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(&tok),
            Some(good.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    // a long name of a minority resident is fine up to 50 characters
    let long = "阿".repeat(50);
    let path: &'static str = Box::leak(format!("/api/v1/persons/{id}").into_boxed_str());
    let (s, v) = t
        .api(Method::PATCH, path, Some(&tok), Some(json!({"name": long})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // persons: update
    refused(
        path,
        Method::PATCH,
        tok.clone(),
        json!({"name": "\u{FEFF}李四"}),
        "name",
    )
    .await;
    refused(
        path,
        Method::PATCH,
        tok.clone(),
        json!({"address": "x".repeat(201)}),
        "address",
    )
    .await;
    // user display names
    refused(
        "/api/v1/users",
        Method::POST,
        admin.clone(),
        json!({"username": "x1", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281001", "display_name": "王\u{202D}五"}),
        "display_name",
    )
    .await;
    refused(
        "/api/v1/users",
        Method::POST,
        admin.clone(),
        json!({"username": "x1", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281001", "display_name": "王".repeat(51)}),
        "display_name",
    )
    .await;
    // organisations
    let code = {
        let first17 = "52320281MJ5733432";
        format!("{first17}{}", minzheng_domain::orgs::check_char(first17))
    };
    let org = json!({"name": "澄江街道颐养院", "credit_code": code, "kind": "elderly_institution", "area_code": "320281001"});
    for (k, bad) in [
        ("name", json!("澄江\u{202E}颐养院")),
        ("address", json!("路".repeat(201))),
        ("legal_rep", json!("王\u{200C}建国")),
    ] {
        let mut body = org.clone();
        body[k] = bad;
        refused("/api/v1/organisations", Method::POST, tok.clone(), body, k).await;
    }
    // the case stop reason and case events: checked before the case is even looked up
    refused(
        "/api/v1/cases/no-such-case/stop",
        Method::POST,
        tok.clone(),
        json!({"from_month": "2020-10", "reason": "理由".repeat(501)}),
        "reason",
    )
    .await;
    refused(
        "/api/v1/cases/no-such-case/stop",
        Method::POST,
        tok.clone(),
        json!({"from_month": "2020-10", "reason": "家庭收入\u{0}超过标准"}),
        "reason",
    )
    .await;
    refused(
        "/api/v1/cases/no-such-case/events",
        Method::POST,
        tok.clone(),
        json!({"kind": "review", "note": "说".repeat(1001)}),
        "note",
    )
    .await;
    refused(
        "/api/v1/cases/no-such-case/events",
        Method::POST,
        tok.clone(),
        json!({"kind": "review", "on": "1899-12-31"}),
        "on",
    )
    .await;
    // a payment roll for the year 9999 is a typo
    refused(
        "/api/v1/payments/rolls",
        Method::POST,
        city.clone(),
        json!({"month": "9999-12"}),
        "month",
    )
    .await;
});

db_test!(decision_bodies_are_documented, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("city", "city_officer", "320281").await;
    let city = t.token("city").await;
    let (_, doc) = t.api(Method::GET, "/api/openapi.json", None, None).await;
    let body_of = |path: &str| -> Value {
        let r = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} has a body schema"))
            .to_string();
        let name = r.rsplit('/').next().unwrap();
        doc["components"]["schemas"][name].clone()
    };
    let temporary = body_of("/api/v1/temporary/{id}/decision");
    assert!(
        temporary["properties"]["approve"].is_object(),
        "{temporary}"
    );
    assert!(temporary["properties"]["decision"].is_null(), "{temporary}");
    let report = body_of("/api/v1/targets/reports/{id}/decision");
    assert!(report["properties"]["approve"].is_object(), "{report}");
    assert!(report["properties"]["note"].is_object(), "{report}");
    let finding = body_of("/api/v1/verification/findings/{id}/decision");
    assert!(finding["properties"]["decision"].is_object(), "{finding}");
    // a body built from each documented schema is accepted (the unknown id is what fails)
    for (path, body) in [
        (
            "/api/v1/temporary/no-such-grant/decision",
            json!({"approve": true}),
        ),
        (
            "/api/v1/targets/reports/no-such-report/decision",
            json!({"approve": false, "note": "佐证材料不足，请补充"}),
        ),
    ] {
        let (s, v) = t.api(Method::POST, path, Some(&city), Some(body)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
});

db_test!(
    tokens_are_listed_and_a_role_change_ends_them,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let cj = t.token("cj").await;
        let admin = t.token("admin").await;
        let (s, v) = t.get("/api/v1/auth/tokens", &cj).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mine = &v.as_array().unwrap()[0];
        assert_eq!(mine["status"], "active", "{v}");
        assert!(
            mine["expires_at"].is_string() && mine["last_used_at"].is_string(),
            "{v}"
        );
        assert!(
            !v.to_string().contains(&cj),
            "the token itself is never listed"
        );
        // only the administrator moves a user, and the user's tokens die with the old rights
        let change = json!({"role": "town_officer", "area_code": "320281004"});
        let (s, _) = t
            .api(
                Method::PATCH,
                "/api/v1/users/cj",
                Some(&cj),
                Some(change.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .api(
                Method::PATCH,
                "/api/v1/users/cj",
                Some(&admin),
                Some(change),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["area_code"], "320281004");
        let (s, _) = t.get("/api/v1/auth/tokens", &cj).await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "the old token ended with the move"
        );
        let (s, v) = t
            .api(
                Method::PATCH,
                "/api/v1/users/cj",
                Some(&admin),
                Some(json!({"role": "village_worker", "area_code": "320281004"})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a village worker is bound to a village: {v}"
        );
    }
);

/// An XLSX-shaped archive whose one entry claims to unpack to 4 GiB from 10 KiB (what a "zip bomb" declares in
/// its directory): a local header, the entry's bytes, the central directory and its end record.
fn zip_bomb() -> Vec<u8> {
    let name = b"xl/worksheets/sheet1.xml";
    let (packed, size) = (10_240u32, u32::MAX - 1);
    let mut out = Vec::new();
    out.extend_from_slice(&[
        0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    out.extend_from_slice(&packed.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(name);
    out.extend(std::iter::repeat_n(0u8, packed as usize));
    let cd_at = out.len() as u32;
    let mut cd = vec![
        0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    cd.extend_from_slice(&packed.to_le_bytes());
    cd.extend_from_slice(&size.to_le_bytes());
    cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
    cd.extend_from_slice(&[0u8; 16]);
    cd.extend_from_slice(name);
    out.extend_from_slice(&cd);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

db_test!(
    a_zip_bomb_is_refused_before_it_is_inflated,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("city", "city_officer", "320281").await;
        let (cj, city) = (t.token("cj").await, t.token("city").await);
        let bomb = zip_bomb();
        // the town's ledger (the body is the file)
        let req = Request::post("/api/v1/ledger/imports")
            .header(header::AUTHORIZATION, format!("Bearer {cj}"))
            .body(Body::from(bomb.clone()))
            .unwrap();
        let (s, _, body) = t.send(req).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("压缩炸弹"), "{v}");
        // a departmental source file as XLSX
        let (s, v) = common::load(&t, &city, "deaths", "deaths.xlsx", &bomb, "2020-12-31").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("压缩炸弹"), "{v}");
        assert_eq!(v["field"], "file");
        assert_eq!(t.scalar("SELECT COUNT(*) FROM source_loads").await, 0);
    }
);

db_test!(
    every_area_import_is_audited_with_it,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        // the shipped areas, loaded when the database was new, are on the log like any later import
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'areas.import'")
                .await,
            1
        );
        let city =
            minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test");
        let csv = "code,name,parent_code,level\n320281,江阴市,3202,city\n320281001,澄江街道,320281,town\n320281001099,新建社区,320281001,village\n";
        minzheng::app::areas::import_csv(&t.app.db, &city, csv.as_bytes(), "new.csv")
            .await
            .unwrap();
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'areas.import' AND entity_id = 'new.csv'")
                .await,
            1
        );
        // a refused file writes neither areas nor an entry
        let bad = "code,name,parent_code,level\nabc,,320281001,village\n";
        assert!(
            minzheng::app::areas::import_csv(&t.app.db, &city, bad.as_bytes(), "bad.csv")
                .await
                .is_err()
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE entity_id = 'bad.csv'")
                .await,
            0
        );
    }
);

db_test!(
    a_change_without_its_audit_entry_is_not_written,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let rename = "UPDATE areas SET name = '改名社区' WHERE code = '320281001001'";
        let renamed = "SELECT COUNT(*) FROM areas WHERE name = '改名社区'";
        // a use case that forgot the log: the commit is refused and the change rolled back
        let mut tx = t.app.db.begin().await.unwrap();
        tx.execute(rename, vec![]).await.unwrap();
        let e = tx.commit().await.unwrap_err();
        assert!(e.to_string().contains("审计"), "{e}");
        assert_eq!(t.scalar(renamed).await, 0);
        // reading needs no entry
        let mut tx = t.app.db.begin().await.unwrap();
        tx.scalar("SELECT COUNT(*) FROM areas", vec![])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // with its entry in the same transaction it is written
        let ctx =
            minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test");
        let mut tx = t.app.db.begin().await.unwrap();
        tx.execute(rename, vec![]).await.unwrap();
        minzheng::app::audit::record(
            &mut tx,
            &ctx,
            minzheng::app::audit::Event::new("areas.import", "area", "320281001001"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(t.scalar(renamed).await, 1);
    }
);
