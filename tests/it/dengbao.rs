//! 等保三级 controls (issue 15, part A): the TOTP second factor (enrolment, login page and token API, recovery
//! codes, lockout, the administrator's reset, the deployment's requirement), 三员分立 and the security policy
//! (stored, audited, enforced), the audit of security events with the source address, archives and exported heads.

use crate::common;

use crate::common::{Backend, PASSWORD, Session, TestApp, cookie_value};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use minzheng::app::Security;
use minzheng_domain::totp;
use serde_json::{Value, json};
use std::net::SocketAddr;

const SAME: &str = "用户名或密码错误，或账号暂不可用";

fn from(ip: &str, mut req: Request<Body>) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// POST /api/v1/auth/token from an address, with or without a code.
async fn token_req(
    router: &axum::Router,
    ip: &str,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"username": username, "password": password});
    if let Some(c) = code {
        body["totp"] = c.into();
    }
    let req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (s, _, b) = send(router, from(ip, req)).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn send(
    router: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = router.clone().oneshot(req).await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (
        s,
        h,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn text_of(html: &[u8], id: &str) -> String {
    let html = String::from_utf8_lossy(html);
    let start = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("#{id} in {html}"))
        + id.len()
        + 6;
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

/// The login form's first step from an address: (status, Location, session cookie).
async fn login_form(
    router: &axum::Router,
    ip: &str,
    username: &str,
) -> (StatusCode, String, Option<String>) {
    let req = Request::get("/login").body(Body::empty()).unwrap();
    let (_, h, _) = send(router, from(ip, req)).await;
    let csrf = cookie_value(&h, "mz_login_csrf").unwrap();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("mz_login_csrf={csrf}"))
        .body(Body::from(format!(
            "csrf={csrf}&username={username}&password={PASSWORD}&next=%2Fpersons"
        )))
        .unwrap();
    let (s, h, _) = send(router, from(ip, req)).await;
    let loc = h
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, loc, cookie_value(&h, "mz_session"))
}

async fn get_page(
    router: &axum::Router,
    ip: &str,
    cookie: &str,
    path: &str,
) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(path)
        .header(header::COOKIE, format!("mz_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    let (s, h, b) = send(router, from(ip, req)).await;
    let loc = h
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, loc, b)
}

async fn post_page(
    router: &axum::Router,
    ip: &str,
    cookie: &str,
    path: &str,
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::post(path)
        .header(header::COOKIE, format!("mz_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    send(router, from(ip, req)).await
}

fn csrf_of(html: &[u8]) -> String {
    let html = String::from_utf8_lossy(html);
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..i + 32].to_string()
}

/// Enrols a logged-in session's user: returns the secret and the recovery codes.
async fn enrol(
    router: &axum::Router,
    ip: &str,
    cookie: &str,
) -> (Vec<u8>, Vec<String>, Option<String>) {
    let (s, _, page) = get_page(router, ip, cookie, "/account/totp").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8_lossy(&page).to_string();
    assert!(html.contains("<svg"), "a QR code drawn by the server");
    let secret = totp::from_base32(&text_of(&page, "totp-secret")).unwrap();
    let csrf = csrf_of(&page);
    // a wrong first code is refused and the enrolment still waits
    let (s, _, page) = post_page(
        router,
        ip,
        cookie,
        "/account/totp",
        &format!("csrf={csrf}&code=000000"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let wrong = totp::code_at(&secret, now(), 6) == "000000";
    if !wrong {
        assert!(String::from_utf8_lossy(&page).contains("动态口令不正确"));
    }
    let code = totp::code_at(&secret, now(), 6);
    let (s, h, page) = post_page(
        router,
        ip,
        cookie,
        "/account/totp",
        &format!("csrf={csrf}&code={code}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8_lossy(&page).to_string();
    assert!(html.contains("id=\"totp-done\""), "{html}");
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|p| p[..p.find('<').unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, cookie_value(&h, "mz_session"))
}

db_test!(
    totp_enrolment_then_login_by_page_and_api,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let ip = "198.51.100.20";
        // not required here: the password alone logs in until the user enrols
        let (s, loc, cookie) = login_form(&t.router, ip, "cj").await;
        assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/persons"));
        let cookie = cookie.unwrap();
        let (secret, codes, _) = enrol(&t.router, ip, &cookie).await;
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.totp.enrol'")
                .await,
            1
        );
        // the secret is not in the database as the page showed it (sealed or hex), and recovery codes only hashed
        let stored: (String,) = t
            .app
            .db
            .conn()
            .fetch_one("SELECT secret FROM user_totp", vec![])
            .await
            .unwrap();
        assert!(!stored.0.contains(&totp::to_base32(&secret)));
        for c in &codes {
            let n = t
                .app
                .db
                .conn()
                .scalar(
                    "SELECT COUNT(*) FROM recovery_codes WHERE code_hash LIKE $1",
                    minzheng::args![format!("%{}%", c)],
                )
                .await
                .unwrap();
            assert_eq!(n, 0, "recovery code stored in clear");
        }
        // the page: the password leads to the code, and nothing else opens before it
        let (s, loc, pending) = login_form(&t.router, ip, "cj").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(loc.starts_with("/login/code"), "{loc}");
        let pending = pending.unwrap();
        let (s, loc, _) = get_page(&t.router, ip, &pending, "/persons").await;
        assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/login/code"));
        let (s, _, page) = get_page(&t.router, ip, &pending, "/login/code?next=%2Fpersons").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&page);
        let (s, _, page) = post_page(
            &t.router,
            ip,
            &pending,
            "/login/code",
            &format!("csrf={csrf}&code=12345&next=%2Fpersons"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8_lossy(&page).contains(SAME));
        // the enrolment used the current step; the next one (a phone a little ahead) is still in the window
        let code = totp::code_at(&secret, now() + 30, 6);
        let (s, h, _) = post_page(
            &t.router,
            ip,
            &pending,
            "/login/code",
            &format!("csrf={csrf}&code={code}&next=%2Fpersons"),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(h.get(header::LOCATION).unwrap(), "/persons");
        let full = cookie_value(&h, "mz_session").unwrap();
        assert_ne!(full, pending, "a new session after the second factor");
        let (s, _, _) = get_page(&t.router, ip, &full, "/persons").await;
        assert_eq!(s, StatusCode::OK);
        let (s, loc, _) = get_page(&t.router, ip, &pending, "/persons").await;
        assert!(
            s == StatusCode::SEE_OTHER && loc.starts_with("/login"),
            "the waiting session is gone"
        );

        // the API: the code in the same request; none, a wrong one and a replayed one get the same 401
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, None).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(SAME))
        );
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, Some(&code)).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(SAME)),
            "replayed"
        );
        let (s, v) = token_req(&t.router, ip, "cj", "wrong-pass-1", Some(&code)).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(SAME))
        );
        // a recovery code works once
        let (s, v) = token_req(
            &t.router,
            ip,
            "cj",
            PASSWORD,
            Some(&codes[0].to_uppercase()),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = token_req(&t.router, ip, "cj", PASSWORD, Some(&codes[0])).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "a recovery code is used once");
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, Some(&codes[1])).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let reasons: Vec<(String,)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT after_json FROM audit_log WHERE action = 'auth.login' ORDER BY seq",
                vec![],
            )
            .await
            .unwrap();
        let all = reasons
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for want in [
            "\"factor\":\"totp\"",
            "\"factor\":\"recovery\"",
            "\"reason\":\"totp_missing\"",
            "\"reason\":\"totp\"",
        ] {
            assert!(all.contains(want), "{want} in\n{all}");
        }
        // 我的账号 says so
        let (_, _, page) = get_page(&t.router, ip, &full, "/account").await;
        assert!(String::from_utf8_lossy(&page).contains("剩余恢复码 8 个"));
    }
);

db_test!(
    wrong_codes_count_toward_the_lockout,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let (_, _, cookie) = login_form(&t.router, "198.51.100.30", "cj").await;
        let (secret, _, _) = enrol(&t.router, "198.51.100.30", &cookie.unwrap()).await;
        let ip = "203.0.113.9";
        let bad = if totp::code_at(&secret, now(), 6) == "111111" {
            "222222"
        } else {
            "111111"
        };
        for _ in 0..5 {
            let (s, _) = token_req(&t.router, ip, "cj", PASSWORD, Some(bad)).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        // the right password and the right code are refused now from that address …
        let good = totp::code_at(&secret, now() + 30, 6);
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, Some(&good)).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(SAME))
        );
        // … but not from the user's own
        let (s, v) = token_req(&t.router, "198.51.100.30", "cj", PASSWORD, Some(&good)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
);

db_test!(
    a_required_second_factor_is_enrolled_after_the_password,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let router = minzheng::web::router(t.app.clone().with_security(Security {
            require_totp: true,
            totp_key: Some([7u8; 32]),
            ..Security::default()
        }));
        let ip = "198.51.100.40";
        // the API refuses an account without a second factor, with the same answer
        let (s, v) = token_req(&router, ip, "cj", PASSWORD, None).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(SAME))
        );
        let (s, loc, cookie) = login_form(&router, ip, "cj").await;
        assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/account/totp"));
        let cookie = cookie.unwrap();
        let (s, loc, _) = get_page(&router, ip, &cookie, "/persons").await;
        assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/account/totp"));
        let (_, _, page) = get_page(&router, ip, &cookie, "/account/totp").await;
        assert!(String::from_utf8_lossy(&page).contains("id=\"totp-required\""));
        let (secret, _, full) = enrol(&router, ip, &cookie).await;
        let full = full.expect("a full session after the enrolment");
        let (s, _, _) = get_page(&router, ip, &full, "/persons").await;
        assert_eq!(s, StatusCode::OK);
        // sealed with the deployment's key: neither the secret nor its hex is in the row
        let stored: (String,) = t
            .app
            .db
            .conn()
            .fetch_one("SELECT secret FROM user_totp", vec![])
            .await
            .unwrap();
        assert!(stored.0.starts_with("v1:"), "{}", stored.0);
        assert!(!stored.0.contains(&hex::encode(&secret)));
        let code = totp::code_at(&secret, now() + 30, 6);
        let (s, v) = token_req(&router, ip, "cj", PASSWORD, Some(&code)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
);

db_test!(
    the_administrator_resets_a_second_factor,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("anquan", "security_admin", "320281").await;
        let ip = "198.51.100.50";
        let (_, _, cookie) = login_form(&t.router, ip, "cj").await;
        let (secret, _, _) = enrol(&t.router, ip, &cookie.unwrap()).await;
        let code = totp::code_at(&secret, now() + 30, 6);
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, Some(&code)).await;
        assert_eq!(s, StatusCode::OK);
        let cj_token = v["token"].as_str().unwrap().to_string();
        let admin = t.token("admin").await;
        let (s, v) = t.get("/api/v1/users", &admin).await;
        assert_eq!(s, StatusCode::OK);
        let cj = v
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "cj")
            .unwrap();
        assert_eq!(cj["totp"], true);
        // the security administrator does not manage accounts
        let anquan = t.token("anquan").await;
        let (s, _) = t
            .api(Method::DELETE, "/api/v1/users/cj/totp", Some(&anquan), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .api(Method::DELETE, "/api/v1/users/cj/totp", Some(&admin), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'user.totp_reset' AND username = 'admin'").await,
            1
        );
        assert_eq!(t.scalar("SELECT COUNT(*) FROM recovery_codes").await, 0);
        let (s, _) = t.get("/api/v1/persons", &cj_token).await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "the user's tokens end with the reset"
        );
        // not required in this deployment: the password alone again, and a new enrolment can start
        let (s, v) = token_req(&t.router, ip, "cj", PASSWORD, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = t
            .api(
                Method::DELETE,
                "/api/v1/users/nobody/totp",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

db_test!(three_administrators_are_separate, |b: Backend| async move {
    let t = TestApp::new(b).await;
    // the system administrator creates the other two; none of them reads business data
    let admin = t.token("admin").await;
    for (u, r) in [
        ("anquan", "security_admin"),
        ("shenji", "audit_admin"),
        ("auditor", "auditor"),
    ] {
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&admin),
                Some(
                    json!({"username": u, "password": PASSWORD, "role": r, "area_code": "320281"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let anquan = t.token("anquan").await;
    let shenji = t.token("shenji").await;
    let auditor = t.token("auditor").await;
    for tok in [&admin, &anquan, &shenji] {
        for path in ["/api/v1/persons", "/api/v1/cases", "/api/v1/organisations"] {
            let (s, v) = t.get(path, tok).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        }
    }
    let (s, _) = t.get("/api/v1/persons", &auditor).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "纪检/审计 stays a business read-only role"
    );
    // the policy: the security administrator only
    let (s, _) = t.get("/api/v1/security/policy", &anquan).await;
    assert_eq!(s, StatusCode::OK);
    for tok in [&admin, &shenji, &auditor] {
        let (s, _) = t.get("/api/v1/security/policy", tok).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // accounts: the system administrator only
    for tok in [&anquan, &shenji] {
        let (s, _) = t.get("/api/v1/users", tok).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // the audit log: the audit administrator only (pages)
    for (u, want) in [
        ("shenji", StatusCode::OK),
        ("auditor", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
        ("anquan", StatusCode::FORBIDDEN),
    ] {
        let s: Session = t.login_browser(u).await;
        let (status, _, body) = t.page(&s, "/audit").await;
        assert_eq!(status, want, "{u}");
        if want == StatusCode::OK {
            let html = String::from_utf8(body).unwrap();
            assert!(
                html.contains("越权访问被拒绝"),
                "refusals in Chinese on the audit page"
            );
            assert!(html.contains("登录"));
        }
    }
    let s = t.login_browser("anquan").await;
    let (status, headers, _) = t.page(&s, "/").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no business figures on an administrator's home"
    );
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/security/policy");
    let (_, _, body) = t.page(&s, "/security/policy").await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("安全策略")
            && !html.contains("/admin/users")
            && !html.contains("href=\"/audit\"")
    );
    // the page form: a bad number is named, a good form is saved and audited
    let form = |idle: &str| {
        format!(
            "csrf={}&password_min_len=10&password_classes=2&max_failures=5&lock_minutes=15&idle_minutes={idle}&token_days=30&networks=",
            s.csrf
        )
    };
    let (st, _, body) = t.post_form(&s, "/security/policy", &form("abc")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("会话空闲超时须为整数")
    );
    let (st, _, body) = t.post_form(&s, "/security/policy", &form("20")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("安全策略已保存"));
    assert_eq!(t.app.policy().idle_minutes, 20);
    assert_eq!(t.app.policy().password_min_len, 10);
    let admin_s = t.login_browser("admin").await;
    let admin_form = form("20").replace(&s.csrf, &admin_s.csrf);
    let (st, _, _) = t.post_form(&admin_s, "/security/policy", &admin_form).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

db_test!(
    the_security_policy_is_stored_audited_and_enforced,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("anquan", "security_admin", "320281").await;
        t.add_user("cj", "town_officer", "320281001").await;
        let anquan = t.token("anquan").await;
        let admin = t.token("admin").await;
        let (_, mut p) = t.get("/api/v1/security/policy", &anquan).await;
        assert_eq!(p["max_failures"], 5);
        // a bad value names its field and changes nothing
        p["idle_minutes"] = 1.into();
        let (s, v) = t
            .api(
                Method::PUT,
                "/api/v1/security/policy",
                Some(&anquan),
                Some(p.clone()),
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("idle_minutes")),
            "{v}"
        );
        p["idle_minutes"] = 10.into();
        p["password_min_len"] = 12.into();
        p["password_classes"] = 3.into();
        p["max_failures"] = 3.into();
        p["token_days"] = 7.into();
        p["networks"] = json!(["10.0.0.0/8"]);
        let (s, v) = t
            .api(
                Method::PUT,
                "/api/v1/security/policy",
                Some(&anquan),
                Some(p.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["networks"], json!(["10.0.0.0/8"]));
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'security.policy' AND username = 'anquan' AND before_json LIKE '%\"max_failures\":5%' AND after_json LIKE '%\"max_failures\":3%'").await,
            1
        );
        // passwords
        let (s, v) = t
            .api(Method::POST, "/api/v1/users", Some(&admin),
                 Some(json!({"username": "x", "password": "Abcdefgh123", "role": "leader", "area_code": "320281"})))
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("password")),
            "{v}"
        );
        assert!(v["error"].as_str().unwrap().contains("12"), "{v}");
        // token lifetime
        let cj = t.token("cj").await;
        let (_, v) = t.get("/api/v1/auth/tokens", &cj).await;
        let tok = &v.as_array().unwrap()[0];
        let created =
            chrono::DateTime::parse_from_rfc3339(tok["created_at"].as_str().unwrap()).unwrap();
        let expires =
            chrono::DateTime::parse_from_rfc3339(tok["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!((expires - created).num_days(), 7);
        // lockout after 3 failures
        for _ in 0..3 {
            let (s, _) = token_req(&t.router, "10.1.1.1", "cj", "wrong-pass-1", None).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, _) = token_req(&t.router, "10.1.1.1", "cj", PASSWORD, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "locked after the policy's 3");
        // networks: outside answers 403 to everything, inside works
        let (s, v) = token_req(&t.router, "192.0.2.1", "cj", PASSWORD, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("网络地址"), "{v}");
        let (s, _) = token_req(&t.router, "10.2.2.2", "cj", PASSWORD, None).await;
        assert_eq!(s, StatusCode::OK);
        // the security administrator cannot shut out its own address
        p["networks"] = json!(["172.16.0.0/12"]);
        let req = Request::put("/api/v1/security/policy")
            .header(header::AUTHORIZATION, format!("Bearer {anquan}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(p.to_string()))
            .unwrap();
        let (s, _, body) = send(&t.router, from("10.3.3.3", req)).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("networks")),
            "{v}"
        );
        // idle sessions end after the policy's minutes
        let (_, _, cookie) = login_form(&t.router, "10.4.4.4", "cj").await;
        let cookie = cookie.unwrap();
        let (s, _, _) = get_page(&t.router, "10.4.4.4", &cookie, "/persons").await;
        assert_eq!(s, StatusCode::OK);
        let mut tx = t.app.db.begin().await.unwrap();
        tx.unaudited("the test changes the database behind the platform");
        tx.execute(
            "UPDATE sessions SET last_seen_at = $1",
            minzheng::args![chrono::Utc::now() - chrono::Duration::minutes(11)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (s, loc, _) = get_page(&t.router, "10.4.4.4", &cookie, "/persons").await;
        assert!(
            s == StatusCode::SEE_OTHER && loc.starts_with("/login"),
            "{s} {loc}"
        );
        // the policy survives a restart (stored), read back by a new application on the same database
        minzheng::app::policy::reload(&t.app).await.unwrap();
        assert_eq!(t.app.policy().idle_minutes, 10);
    }
);

db_test!(
    security_events_are_audited_with_the_source_address,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let count = |sql: String| {
            let t = &t;
            async move { t.scalar(&sql).await }
        };
        let (s, _) = token_req(&t.router, "198.51.100.61", "cj", "wrong-pass-1", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, v) = token_req(&t.router, "198.51.100.61", "cj", PASSWORD, None).await;
        assert_eq!(s, StatusCode::OK);
        let tok = v["token"].as_str().unwrap().to_string();
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND success = FALSE AND ip = '198.51.100.61'".into()).await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND success = TRUE AND ip = '198.51.100.61'".into()).await, 1);
        // a token's first use of the day is audited once, not every call
        let call = |path: &'static str, ip: &'static str| {
            let req = Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .body(Body::empty())
                .unwrap();
            send(&t.router, from(ip, req))
        };
        for _ in 0..3 {
            let (s, _, _) = call("/api/v1/persons", "198.51.100.62").await;
            assert_eq!(s, StatusCode::OK);
        }
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.token.use' AND ip = '198.51.100.62' AND username = 'cj'".into()).await, 1);
        // next day (its last use moved to yesterday, and this process's memory of it cleared): audited again
        let mut tx = t.app.db.begin().await.unwrap();
        tx.unaudited("the test changes the database behind the platform");
        tx.execute(
            "UPDATE api_tokens SET last_used_at = $1",
            minzheng::args![chrono::Utc::now() - chrono::Duration::days(1)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        t.app.forget_tokens();
        call("/api/v1/persons", "198.51.100.62").await;
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.token.use'".into()).await,
            2
        );
        // a refusal (403) with the caller and the address
        let (s, _, _) = call("/api/v1/users", "198.51.100.63").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.forbidden' AND username = 'cj' AND ip = '198.51.100.63' AND entity_id = 'GET /api/v1/users' AND success = FALSE".into()).await, 1);
        // behind a trusted proxy the client's address is audited; a forged header from anyone else is not believed
        let proxied = minzheng::web::router(t.app.clone().with_security(Security {
            trusted_proxies: vec!["10.0.0.5".parse().unwrap()],
            ..Security::default()
        }));
        let fwd = |ip: &str| {
            let req = Request::post("/api/v1/auth/token")
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-forwarded-for", "192.0.2.99, 198.51.100.70")
                .body(Body::from(
                    json!({"username": "cj", "password": "bad-pass-1"}).to_string(),
                ))
                .unwrap();
            from(ip, req)
        };
        send(&proxied, fwd("10.0.0.5")).await;
        send(&proxied, fwd("203.0.113.80")).await;
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND ip = '198.51.100.70'".into()).await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND ip = '203.0.113.80'".into()).await, 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log WHERE ip = '192.0.2.99'".into()).await,
            0
        );
        // logout
        let (_, _, cookie) = login_form(&t.router, "198.51.100.64", "cj").await;
        let cookie = cookie.unwrap();
        let (_, _, page) = get_page(&t.router, "198.51.100.64", &cookie, "/account").await;
        let csrf = csrf_of(&page);
        let (s, _, _) = post_page(
            &t.router,
            "198.51.100.64",
            &cookie,
            "/logout",
            &format!("csrf={csrf}"),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.logout' AND ip = '198.51.100.64'".into()).await, 1);
        assert!(
            minzheng::app::audit::verify(&t.app.db)
                .await
                .unwrap()
                .first_problem
                .is_none()
        );
    }
);

/// Rewrites the whole chain after `change` (what an attacker with the database could do): every hash recomputed,
/// the head updated. The chain alone then verifies.
async fn rewrite_log(t: &TestApp, change: impl Fn(&mut minzheng::storage::audit::AuditRow)) {
    use minzheng::app::audit::entry_hash;
    let mut rows = vec![];
    minzheng::storage::audit::for_each(&t.app.db, |r| {
        rows.push(r);
        Ok(())
    })
    .await
    .unwrap();
    let mut prev = match minzheng::storage::audit::latest_archive(&t.app.db)
        .await
        .unwrap()
    {
        Some(a) => a.last_hash,
        None => minzheng::app::audit::GENESIS.to_string(),
    };
    let mut tx = t.app.db.begin().await.unwrap();
    tx.unaudited("the test changes the database behind the platform");
    for mut r in rows {
        change(&mut r);
        r.prev_hash = prev.clone();
        r.hash = entry_hash(&r, r.seq);
        prev = r.hash.clone();
        tx.execute(
            "UPDATE audit_log SET at = $2, username = $3, prev_hash = $4, hash = $5 WHERE seq = $1",
            minzheng::args![
                r.seq,
                r.at,
                r.username.as_str(),
                r.prev_hash.as_str(),
                r.hash.as_str()
            ],
        )
        .await
        .unwrap();
    }
    tx.execute(
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        minzheng::args![prev.as_str()],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

db_test!(
    old_entries_are_archived_to_a_signed_file_and_the_chain_still_verifies,
    |b: Backend| async move {
        use minzheng::app::audit;
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("wg", "village_worker", "320281001001").await;
        let online_before = t.scalar("SELECT COUNT(*) FROM audit_log").await;
        // the entries so far were written 200 days ago (the test moves them back: a rewrite, as in the setup only)
        rewrite_log(&t, |r| r.at -= chrono::Duration::days(200)).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let dir = tempfile::tempdir().unwrap();
        let key = audit::archive_key("k-0123456789abcdef0123456789abcdef").unwrap();
        let ctx =
            minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "cli");
        // six months stay online
        let recent = t.app.today() - chrono::Duration::days(30);
        let e = audit::archive(&t.app, &ctx, recent, &dir.path().join("x.jsonl"), &key)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("6个月"), "{e}");
        assert!(audit::archive_key("short").is_err());
        let before = t.app.today() - chrono::Duration::days(190);
        let file = dir.path().join("audit-2020.jsonl");
        let a = audit::archive(&t.app, &ctx, before, &file, &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (a.first_seq, a.last_seq, a.entries),
            (1, online_before, online_before)
        );
        // moved, not copied: the online log starts after the boundary and still verifies, with the archive audited
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE seq <= {online_before}"
            ))
            .await,
            0
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.archive'")
                .await,
            1
        );
        let r = audit::verify(&t.app.db).await.unwrap();
        assert!(r.first_problem.is_none(), "{:?}", r.first_problem);
        // the file verifies, also against the boundary kept in the database
        let c = audit::verify_archive(Some(&t.app.db), &file, &key)
            .await
            .unwrap();
        assert_eq!(
            (c.entries, c.last_hash.as_str()),
            (online_before, a.last_hash.as_str())
        );
        // a file archived twice is refused; nothing more to archive
        assert!(
            audit::archive(&t.app, &ctx, before, &dir.path().join("again.jsonl"), &key)
                .await
                .unwrap()
                .is_none()
        );
        // another key, or a changed byte, is detected
        let other = audit::archive_key("another-key-0123456789abcdef012345").unwrap();
        assert!(
            audit::verify_archive(None, &file, &other)
                .await
                .unwrap_err()
                .to_string()
                .contains("签名不符")
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let forged = dir.path().join("forged.jsonl");
        let changed = text.replacen("\"username\":\"system\"", "\"username\":\"nobody\"", 1);
        assert_ne!(changed, text);
        std::fs::write(&forged, changed).unwrap();
        assert!(audit::verify_archive(None, &forged, &key).await.is_err());
        // deleting the first entry after the boundary is still caught
        let mut tx = t.app.db.begin().await.unwrap();
        tx.unaudited("the test changes the database behind the platform");
        tx.execute(
            &format!("DELETE FROM audit_log WHERE seq = {}", online_before + 1),
            vec![],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let r = audit::verify(&t.app.db).await.unwrap();
        assert_eq!(
            r.first_problem,
            Some(audit::Tamper::Deleted(online_before + 1))
        );
    }
);

db_test!(
    exported_heads_detect_a_rewrite_of_the_whole_log,
    |b: Backend| async move {
        use minzheng::app::audit;
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        let dir = tempfile::tempdir().unwrap();
        let (h, path) = audit::export_head(&t.app.db, dir.path()).await.unwrap();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("audit-head-")
        );
        assert!(h.seq >= 3);
        t.add_user("wg", "village_worker", "320281001001").await;
        let heads = audit::read_heads(dir.path()).unwrap();
        assert_eq!(heads, vec![h.clone()]);
        assert_eq!(audit::check_heads(&t.app.db, &heads).await.unwrap(), None);
        // someone with the database rewrites history: the chain alone cannot tell …
        rewrite_log(&t, |r| {
            if r.username == "system" {
                r.username = "someone".into();
            }
        })
        .await;
        assert!(
            audit::verify(&t.app.db)
                .await
                .unwrap()
                .first_problem
                .is_none()
        );
        // … the exported head can
        let p = audit::check_heads(&t.app.db, &heads)
            .await
            .unwrap()
            .expect("detected");
        assert!(p.contains("重写"), "{p}");
        // so can a head from "the future" (a log truncated and rebuilt shorter)
        let ahead = vec![audit::HeadExport {
            seq: h.seq + 100,
            ..h
        }];
        assert!(
            audit::check_heads(&t.app.db, &ahead)
                .await
                .unwrap()
                .unwrap()
                .contains("截断")
        );
    }
);
