//! The platform foundation end to end through HTTP: auth, scope, CSRF, lockout, tokens, registry, audit.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::json;

async fn person_in(t: &TestApp, town: &str) -> (String, String, String, String) {
    #[derive(sqlx::FromRow)]
    struct P {
        id: String,
        name: String,
        id_number: String,
        household_id: Option<String>,
    }
    let p: P = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT id, name, id_number, household_id FROM persons WHERE town_code = $1 ORDER BY id LIMIT 1",
            minzheng::args![town],
        )
        .await
        .unwrap();
    (p.id, p.name, p.id_number, p.household_id.unwrap())
}

db_test!(token_required_and_openapi_public, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let (s, v) = t.api(Method::GET, "/api/v1/persons", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error"].as_str().unwrap().contains("未登录"));
    let (s, _) = t
        .api(Method::GET, "/api/v1/persons", Some("mz_forged"), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "admin", "password": "wrong"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = t.api(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(v["paths"]["/api/v1/persons"].is_object());
    let (s, _) = t.api(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = t.api(Method::POST, "/api/v1/auth/token", None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
});

db_test!(areas_and_users, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let admin = t.token("admin").await;
    let (s, v) = t.get("/api/v1/areas", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 21);
    assert_eq!(
        v[0],
        json!({"code": "320281001", "name": "澄江街道", "level": "town"})
    );
    let (s, v) = t.get("/api/v1/areas?parent=320281001", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v.as_array().unwrap().iter().all(
            |a| a["level"] == "village" && a["code"].as_str().unwrap().starts_with("320281001")
        )
    );

    let (s, v) = t
        .api(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "cj", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281001"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // duplicate, bad role, wrong level, weak password: each names its field
    for (body, status, field) in [
        (
            json!({"username": "cj", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281001"}),
            409,
            "username",
        ),
        (
            json!({"username": "x1", "password": common::PASSWORD, "role": "mayor", "area_code": "320281001"}),
            422,
            "role",
        ),
        (
            json!({"username": "x2", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281"}),
            422,
            "area_code",
        ),
        (
            json!({"username": "x3", "password": common::PASSWORD, "role": "town_officer", "area_code": "999999"}),
            422,
            "area_code",
        ),
        (
            json!({"username": "x4", "password": "short", "role": "town_officer", "area_code": "320281001"}),
            422,
            "password",
        ),
    ] {
        let (s, v) = t
            .api(Method::POST, "/api/v1/users", Some(&admin), Some(body))
            .await;
        assert_eq!(s.as_u16(), status, "{v}");
        assert_eq!(v["field"], field, "{v}");
    }
    // town officer: only its own town in the dropdown source, and no user administration
    let cj = t.token("cj").await;
    let (_, v) = t.get("/api/v1/areas", &cj).await;
    assert_eq!(
        v,
        json!([{"code": "320281001", "name": "澄江街道", "level": "town"}])
    );
    let (s, _) = t.get("/api/v1/areas?parent=320281004", &cj).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.api(Method::POST, "/api/v1/users", Some(&cj), Some(json!({"username": "y", "password": common::PASSWORD, "role": "town_officer", "area_code": "320281001"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

db_test!(area_scope_matrix, |b: Backend| async move {
    let t = TestApp::with_demo(b, 600).await;
    let (own_id, _, _, own_hh) = person_in(&t, "320281001").await;
    let (other_id, other_name, other_idn, other_hh) = person_in(&t, "320281004").await;
    let village: String = t
        .app
        .db
        .conn()
        .fetch_one::<(String,)>(
            "SELECT area_code FROM persons WHERE id = $1",
            minzheng::args![&own_id],
        )
        .await
        .unwrap()
        .0;
    // every role bound to 澄江街道 (or one of its villages); city-wide roles see everything
    let cases = [
        ("town_officer", "320281001"),
        ("village_worker", village.as_str()),
    ];
    for (i, (role, area)) in cases.iter().enumerate() {
        let user = format!("u{i}");
        t.add_user(&user, role, area).await;
        let tok = t.token(&user).await;
        // API detail
        let (s, _) = t.get(&format!("/api/v1/persons/{other_id}"), &tok).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "{role} must not see another town's person"
        );
        let (s, _) = t.get(&format!("/api/v1/households/{other_hh}"), &tok).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // search by name, by full number, by suffix, and with an explicit foreign area
        for q in [
            other_name.clone(),
            other_idn.clone(),
            other_idn[10..].to_string(),
        ] {
            let (s, v) = t
                .get(&format!("/api/v1/persons?q={}", urlenc(&q)), &tok)
                .await;
            assert_eq!(s, StatusCode::OK);
            assert!(
                v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["id"] != other_id.as_str()),
                "{role} found {q}"
            );
        }
        let (_, v) = t.get("/api/v1/persons?area=320281004", &tok).await;
        assert_eq!(v["total"], 0);
        // counts
        let (_, v) = t.get("/api/v1/stats", &tok).await;
        let towns: Vec<&str> = v["per_town"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap())
            .collect();
        assert_eq!(towns, vec!["320281001"], "{role}: {v}");
        let scope_n = t
            .app
            .db
            .conn()
            .scalar(
                if *role == "town_officer" {
                    "SELECT COUNT(*) FROM persons WHERE town_code = $1 AND status = 'normal'"
                } else {
                    "SELECT COUNT(*) FROM persons WHERE area_code = $1 AND status = 'normal'"
                },
                minzheng::args![*area],
            )
            .await
            .unwrap();
        assert_eq!(v["persons"], scope_n);
        // export
        let (s, v) = t.get("/api/v1/persons/export", &tok).await;
        assert_eq!(s, StatusCode::OK);
        let csv = v.as_str().unwrap();
        assert!(
            !csv.contains(&other_idn),
            "export must be masked and scoped"
        );
        assert_eq!(
            csv.lines().count() as i64 - 1,
            t.scalar(&format!(
                "SELECT COUNT(*) FROM persons WHERE {} = '{}'",
                if *role == "town_officer" {
                    "town_code"
                } else {
                    "area_code"
                },
                area
            ))
            .await
        );
        // own area is visible
        if *role == "town_officer" {
            let (s, _) = t.get(&format!("/api/v1/persons/{own_id}"), &tok).await;
            assert_eq!(s, StatusCode::OK);
            let (s, v) = t.get(&format!("/api/v1/households/{own_hh}"), &tok).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // pages
        let sess = t.login_browser(&user).await;
        let (s, _, _) = t.page(&sess, &format!("/persons/{other_id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _, _) = t.page(&sess, &format!("/households/{other_hh}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, _, body) = t
            .page(&sess, &format!("/persons?q={}", urlenc(&other_name)))
            .await;
        assert!(!String::from_utf8(body).unwrap().contains(&other_id));
        let (s, headers, body) = t.page(&sess, "/persons/export.csv").await;
        assert_eq!(s, StatusCode::OK);
        // a Chinese file name for Excel/WPS users, an ASCII one for old clients, and a BOM
        let disposition = headers
            .get(axum::http::header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            disposition.contains("filename*=UTF-8''%E4%BA%BA%E5%91%98%E4%BF%A1%E6%81%AF.csv")
                && disposition.contains("filename=\"persons.csv\""),
            "{disposition}"
        );
        assert!(body.starts_with(b"\xEF\xBB\xBF"));
        let csv = String::from_utf8(body).unwrap();
        assert!(
            !csv.contains(&other_idn) && !csv.contains(&other_idn[..14]),
            "page export must be masked"
        );
        let (_, _, body) = t.page(&sess, "/").await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            !html.contains("南闸街道"),
            "home chart must not show other towns"
        );
    }
    // city-wide roles see both towns
    t.add_user("lead", "leader", "320281").await;
    let tok = t.token("lead").await;
    let (s, _) = t.get(&format!("/api/v1/persons/{other_id}"), &tok).await;
    assert_eq!(s, StatusCode::OK);
});

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

db_test!(search_and_reveal, |b: Backend| async move {
    let t = TestApp::with_demo(b, 200).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("lead", "leader", "320281").await;
    let tok = t.token("cj").await;
    let (id, name, idn, _) = person_in(&t, "320281001").await;
    for q in [
        name.clone(),
        name.chars().next().unwrap().to_string(),
        idn.clone(),
        idn.to_lowercase(),
        idn[14..].to_string(),
        idn[10..].to_string(),
    ] {
        let (s, v) = t
            .get(&format!("/api/v1/persons?q={}", urlenc(&q)), &tok)
            .await;
        assert_eq!(s, StatusCode::OK);
        let hit = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id.as_str());
        assert!(
            hit.is_some() || v["total"].as_i64().unwrap() > 20,
            "search {q}: {v}"
        );
        if let Some(p) = hit {
            assert_eq!(
                p["id_number_masked"],
                format!("{}********{}", &idn[..6], &idn[14..])
            );
            assert!(p.get("id_number").is_none());
            assert_eq!(p["name"], name.as_str());
        }
    }
    // the total, with the page and without (past the end), against an independent count
    let surname = name.chars().next().unwrap().to_string();
    let expected = t
        .scalar(&format!(
            "SELECT COUNT(*) FROM persons WHERE town_code = '320281001' AND name LIKE '{surname}%'"
        ))
        .await;
    assert!(expected > 0);
    let last = (expected + 19) / 20;
    for (page, items) in [
        (1, expected.min(20)),
        (last, expected - (last - 1) * 20),
        (last + 1, 0),
    ] {
        let (s, v) = t
            .get(
                &format!("/api/v1/persons?q={}&page={page}", urlenc(&surname)),
                &tok,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], expected, "page {page}: {v}");
        assert_eq!(
            v["items"].as_array().unwrap().len() as i64,
            items,
            "page {page}"
        );
    }
    let (_, v) = t.get(&format!("/api/v1/persons/{id}"), &tok).await;
    assert!(v.get("id_number").is_none());
    let before = t
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'person.reveal'")
        .await;
    let (s, v) = t
        .get(&format!("/api/v1/persons/{id}?reveal=true"), &tok)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["id_number"], idn.as_str());
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'person.reveal'")
            .await,
        before + 1
    );
    let lt = t.token("lead").await;
    let (s, _) = t
        .get(&format!("/api/v1/persons/{id}?reveal=true"), &lt)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

db_test!(person_registration_validates, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let tok = t.token("cj").await;
    let (_, areas) = t.get("/api/v1/areas?parent=320281001", &tok).await;
    let village = areas[0]["code"].as_str().unwrap().to_string();
    let other_village = areas[1]["code"].as_str().unwrap().to_string();
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(&tok),
            Some(json!({"area_code": village, "address": "澄江街道测试路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hh = v["id"].as_str().unwrap().to_string();
    let good = json!({"id_number": "11010519491231002x", "name": "张三明", "phone": "13812345678", "area_code": village, "household_id": hh});
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(&tok),
            Some(good.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["sex"], "female");
    assert_eq!(v["birth_date"], "1949-12-31");
    assert_eq!(v["id_number_masked"], "110105********002X");
    let n = t.scalar("SELECT COUNT(*) FROM persons").await;
    let audit_n = t.scalar("SELECT COUNT(*) FROM audit_log").await;
    for (patch, status, field) in [
        (json!({"id_number": "110105194912310021"}), 422, "id_number"),
        (json!({"id_number": "11010519490230002X"}), 422, "id_number"),
        (json!({"area_code": "320281004001"}), 422, "area_code"),
        (json!({"area_code": "999"}), 422, "area_code"),
        (json!({"name": ""}), 422, "name"),
        (json!({}), 409, "id_number"),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = t
            .api(Method::POST, "/api/v1/persons", Some(&tok), Some(body))
            .await;
        assert_eq!(s.as_u16(), status, "{v}");
        assert_eq!(v["field"], field);
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese message: {v}"
        );
    }
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM persons").await,
        n,
        "nothing half-written"
    );
    assert_eq!(t.scalar("SELECT COUNT(*) FROM audit_log").await, audit_n);
    let (s, v) = t.get(&format!("/api/v1/households/{hh}"), &tok).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
    // status change is audited with before and after
    let pid = v["members"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/persons/{pid}");
    let patch =
        async |body: serde_json::Value| t.api(Method::PATCH, &path, Some(&tok), Some(body)).await;
    let (s, v) = patch(json!({"status": "deceased"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "deceased");
    let (s, v) = patch(json!({"status": "gone"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "status");
    // the kept residents per village follow every write: an insert, a death, a refused change, a return, a move
    t.assert_residents_kept().await;
    let (s, v) = patch(json!({"status": "normal"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    t.assert_residents_kept().await;
    let (s, v) = patch(json!({"area_code": other_village})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["area_code"], other_village.as_str());
    t.assert_residents_kept().await;
    // the same change sent twice at once (a double submit) takes the person out of the village once
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            patch(json!({"status": "deceased"})),
            patch(json!({"status": "deceased"}))
        );
        assert_eq!(
            (a.0, b.0),
            (StatusCode::OK, StatusCode::OK),
            "{} {}",
            a.1,
            b.1
        );
        t.assert_residents_kept().await;
        assert_eq!(patch(json!({"status": "normal"})).await.0, StatusCode::OK);
    }
    t.assert_residents_kept().await;
    #[derive(sqlx::FromRow)]
    struct A {
        before_json: Option<String>,
        after_json: Option<String>,
    }
    let a: A = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT before_json, after_json FROM audit_log WHERE action = 'person.update'",
            vec![],
        )
        .await
        .unwrap();
    assert!(a.before_json.unwrap().contains("\"normal\""));
    assert!(a.after_json.unwrap().contains("\"deceased\""));
});

db_test!(csrf_is_required_on_every_form, |b: Backend| async move {
    let t = TestApp::with_demo(b, 50).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let s = t.login_browser("cj").await;
    let (id, _, _, _) = person_in(&t, "320281001").await;
    let path = format!("/persons/{id}/reveal");
    let (st, _, _) = t.post_form(&s, &path, "").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = t
        .post_form(&s, &path, "csrf=0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, body) = t.post_form(&s, &path, &format!("csrf={}", s.csrf)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("审计日志"));
    // the login form needs its double-submit token too
    let (st, _, _) = t
        .send(
            axum::http::Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "username=cj&password={}",
                    common::PASSWORD
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // logout without the token is refused, with it the session ends
    let (st, _, _) = t.post_form(&s, "/logout", "").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = t
        .post_form(&s, "/logout", &format!("csrf={}", s.csrf))
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, h, _) = t.page(&s, "/").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(
        h.get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
});

db_test!(lockout_after_five_failures, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let same = "用户名或密码错误，或账号暂不可用";
    for _ in 0..5 {
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(json!({"username": "cj", "password": "nope"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(v["error"], same);
    }
    // even the right password is refused while locked, with the same answer as a wrong one
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "cj", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], same);
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND success = FALSE")
            .await,
        6
    );
    // the administrator's reset unlocks
    let ctx =
        minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test");
    minzheng::app::users::reset_password(&t.app, &ctx, "cj", Some(common::PASSWORD.into()))
        .await
        .unwrap();
    t.token("cj").await;
});

db_test!(tokens_can_be_revoked, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let tok = t.token("admin").await;
    let other = t.token("admin").await;
    let (s, _) = t.get("/api/v1/areas", &tok).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t
        .api(Method::DELETE, "/api/v1/auth/token", Some(&tok), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.get("/api/v1/areas", &tok).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t.get("/api/v1/areas", &other).await;
    assert_eq!(s, StatusCode::OK, "only the revoked token stops working");
    // a disabled user's tokens stop working
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    let ctx =
        minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "test");
    minzheng::app::users::set_disabled(&t.app, &ctx, "cj", true)
        .await
        .unwrap();
    let (s, _) = t.get("/api/v1/persons", &cj).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

db_test!(audit_chain_detects_tampering, |b: Backend| async move {
    use minzheng::app::audit::{Tamper, verify};
    let t = TestApp::with_demo(b, 20).await;
    for _ in 0..3 {
        t.token("admin").await;
    }
    let r = verify(&t.app.db).await.unwrap();
    assert_eq!(r.first_problem, None);
    let n = r.entries;
    assert!(n >= 7);
    let db = &t.app.db;
    // altered content
    db.conn()
        .execute("UPDATE audit_log SET ip = '6.6.6.6' WHERE seq = 3", vec![])
        .await
        .unwrap();
    assert_eq!(
        verify(db).await.unwrap().first_problem,
        Some(Tamper::Altered(3))
    );
    // a deleted entry in the middle
    let t2 = TestApp::with_demo(common_backend_again(db), 20).await;
    t2.token("admin").await;
    t2.token("admin").await;
    t2.app
        .db
        .conn()
        .execute("DELETE FROM audit_log WHERE seq = 2", vec![])
        .await
        .unwrap();
    assert_eq!(
        verify(&t2.app.db).await.unwrap().first_problem,
        Some(Tamper::Deleted(2))
    );
    // a deleted tail
    let t3 = TestApp::with_demo(common_backend_again(db), 20).await;
    t3.token("admin").await;
    let last = t3.scalar("SELECT MAX(seq) FROM audit_log").await;
    t3.app
        .db
        .conn()
        .execute(
            "DELETE FROM audit_log WHERE seq = $1",
            minzheng::args![last],
        )
        .await
        .unwrap();
    assert_eq!(
        verify(&t3.app.db).await.unwrap().first_problem,
        Some(Tamper::Deleted(last))
    );
    // an entry inserted after the head (with a correct-looking hash)
    let t4 = TestApp::with_demo(common_backend_again(db), 20).await;
    let last = t4.scalar("SELECT MAX(seq) FROM audit_log").await;
    t4.app
        .db
        .conn()
        .execute(
            "INSERT INTO audit_log (seq, id, at, user_id, username, action, entity, entity_id, area_code, ip, success, before_json, after_json, prev_hash, hash) \
             SELECT seq + 1, 'forged', at, user_id, username, action, entity, entity_id, area_code, ip, success, before_json, after_json, hash, hash FROM audit_log WHERE seq = $1",
            minzheng::args![last],
        )
        .await
        .unwrap();
    let p = verify(&t4.app.db).await.unwrap().first_problem;
    assert!(
        matches!(p, Some(Tamper::Inserted(s)) | Some(Tamper::Altered(s)) if s == last + 1),
        "{p:?}"
    );
});

fn common_backend_again(db: &minzheng::storage::Db) -> Backend {
    match db.backend() {
        minzheng::storage::Backend::Sqlite => Backend::Sqlite,
        minzheng::storage::Backend::Postgres => Backend::Postgres,
    }
}

db_test!(
    demo_city_is_deterministic_and_plausible,
    |b: Backend| async move {
        use minzheng_domain::idnumber::IdNumber;
        let b2 = b;
        let t1 = TestApp::with_demo(b, 1500).await;
        let t2 = TestApp::with_demo(b2, 1500).await;
        #[derive(sqlx::FromRow, PartialEq, Debug)]
        struct P {
            id: String,
            id_number: String,
            name: String,
            sex: String,
            birth_date: chrono::NaiveDate,
            town_code: String,
            household_id: Option<String>,
        }
        let q = "SELECT id, id_number, name, sex, birth_date, town_code, household_id FROM persons ORDER BY id";
        let a: Vec<P> = t1.app.db.conn().fetch_all(q, vec![]).await.unwrap();
        let b: Vec<P> = t2.app.db.conn().fetch_all(q, vec![]).await.unwrap();
        assert_eq!(a, b, "same seed, same city");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let mut elderly = 0;
        for p in &a {
            let id = IdNumber::parse(&p.id_number, today).expect("valid identity number");
            assert_eq!(id.birth_date(), p.birth_date);
            assert_eq!(id.sex().code(), p.sex);
            assert!(id.address_code().starts_with("3202"));
            if id.age_on(chrono::NaiveDate::from_ymd_opt(2020, 6, 30).unwrap()) >= 60 {
                elderly += 1;
            }
        }
        let share = elderly * 100 / a.len();
        assert!(
            (20..=32).contains(&share),
            "about a quarter aged 60+: {share}%"
        );
        let towns: std::collections::HashSet<_> = a.iter().map(|p| p.town_code.clone()).collect();
        assert_eq!(towns.len(), 21, "households in every town");
        let sizes = t1
            .scalar(
                "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM persons GROUP BY household_id) x",
            )
            .await;
        assert!((4..=6).contains(&sizes));
    }
);

db_test!(json_field_errors_name_the_field, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let admin = t.token("admin").await;
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "x", "role": "leader", "area_code": "320281"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "password", "{v}");
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": 5, "password": "x", "role": "leader", "area_code": "320281"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "username", "{v}");
});

db_test!(
    many_row_reads_decode_as_sqlx_does,
    |b: Backend| async move {
        // `Reader::select` steps SQLite's C API itself: it must read what sqlx reads, and refuse a wrong type
        let t = TestApp::new(b).await;
        let db = &t.app.db;
        db.conn()
        .execute(
            "CREATE TABLE select_probe (n BIGINT NOT NULL, s TEXT NOT NULL, d DATE NOT NULL, o DATE)",
            vec![],
        )
        .await
        .unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap();
        for (n, s, o) in [
            (1i64, "江阴", Some(day)),
            (-7, "", None),
            (i64::MAX, "x'y", Some(day)),
        ] {
            db.conn()
                .execute(
                    "INSERT INTO select_probe (n, s, d, o) VALUES ($1, $2, $3, $4)",
                    minzheng::args![n, s, day, o],
                )
                .await
                .unwrap();
        }
        type R = (i64, String, chrono::NaiveDate, Option<chrono::NaiveDate>);
        let sql = "SELECT n, s, d, o FROM select_probe WHERE n <> $2 AND s <> $1 ORDER BY n";
        let args = || minzheng::args!["none", 0i64];
        let mut r = db.reader().await.unwrap();
        let raw: Vec<R> = r.select(sql, args()).await.unwrap();
        let via_sqlx: Vec<R> = db.conn().fetch_all(sql, args()).await.unwrap();
        assert_eq!(raw, via_sqlx);
        assert_eq!(raw.len(), 3);
        assert_eq!(raw[0], (-7, String::new(), day, None));
        if matches!(b, Backend::Sqlite) {
            let wrong: Result<Vec<(i64, i64)>, _> =
                r.select("SELECT n, s FROM select_probe", vec![]).await;
            assert!(wrong.is_err());
            // fewer columns than the tuple reads: an error, not a read past the row
            let short: Result<Vec<(i64, Option<String>)>, _> =
                r.select("SELECT n FROM select_probe", vec![]).await;
            assert!(short.is_err());
        }
    }
);
