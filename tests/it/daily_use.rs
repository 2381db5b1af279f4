//! Daily use (issue 14): every rejection in Chinese with the API's error shape, a Chinese 404 page, the applications'
//! 编号 and the printed 审批表, 不予批准告知书 and 公示, on SQLite and PostgreSQL.

use crate::common;

use crate::common::{Backend, TestApp, act};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

/// The error is Chinese: no ASCII word in it but the field's own path.
fn assert_chinese(v: &Value) {
    let error = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {v}"));
    let mut rest = error.to_string();
    if let Some(f) = v["field"].as_str().filter(|f| !f.is_empty()) {
        rest = rest.replace(f, "");
    }
    assert!(
        !rest.chars().any(|c| c.is_ascii_alphabetic()),
        "English words in {v}"
    );
    assert!(
        rest.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no Chinese in {v}"
    );
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert!(
        keys.iter().all(|k| *k == "error" || *k == "field"),
        "shape {v}"
    );
}

async fn raw(
    t: &TestApp,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value, String) {
    let (s, h, body) = t.send(req).await;
    let text = String::from_utf8_lossy(&body).to_string();
    (
        s,
        h,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

db_test!(rejections_answer_in_chinese, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("city", "city_officer", "320281").await;
    let cj = t.token("cj").await;
    let city = t.token("city").await;

    // a query string of the wrong shape names the parameter
    let (s, v) = t.get("/api/v1/persons?page=abc", &cj).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "page");
    assert!(v["error"].as_str().unwrap().contains("页码"), "{v}");
    assert_chinese(&v);
    let (s, v) = t.get("/api/v1/applications?page=1.5", &cj).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_chinese(&v);

    // a multipart upload without its boundary
    let (s, _, v, _) = raw(
        &t,
        Request::post("/api/v1/sources/deaths/loads")
            .header(header::AUTHORIZATION, format!("Bearer {city}"))
            .header(header::CONTENT_TYPE, "multipart/form-data")
            .body(Body::from("x"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_chinese(&v);
    // a multipart body cut short
    let (s, _, v, _) = raw(
        &t,
        Request::post("/api/v1/sources/deaths/loads")
            .header(header::AUTHORIZATION, format!("Bearer {city}"))
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
            .body(Body::from("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nid_number"))
            .unwrap(),
    )
    .await;
    assert!(s.is_client_error(), "{s} {v}");
    assert_chinese(&v);

    // a body over the limit, by its declared length
    let (s, _, v, text) = raw(
        &t,
        Request::post("/api/v1/assessments")
            .header(header::AUTHORIZATION, format!("Bearer {cj}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "100000000")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert_chinese(&v);

    // JSON of the wrong types: the machine path in field, a Chinese label and reason in error
    let base = json!({"category": "dibao", "household_id": "h", "applicant_id": "a", "authorisation_on": "2020-09-25",
                      "bank_account": "6228480000000000001", "household": {}});
    let mut bad = base.clone();
    bad["authorisation_on"] = json!(true);
    let (s, v) = t
        .api(Method::POST, "/api/v1/applications", Some(&cj), Some(bad))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "authorisation_on");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("授权书签字日期") && e.contains("日期"), "{v}");
    assert_chinese(&v);
    let mut bad = base.clone();
    bad["category"] = json!(5);
    let (s, v) = t
        .api(Method::POST, "/api/v1/applications", Some(&cj), Some(bad))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "category");
    assert!(v["error"].as_str().unwrap().contains("文本"), "{v}");
    assert_chinese(&v);
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/applications",
            Some(&cj),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "category");
    assert!(v["error"].as_str().unwrap().contains("缺少"), "{v}");
    assert_chinese(&v);
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/applications/x/actions",
            Some(&cj),
            Some(json!({"action": "accept", "staff": "王芳", "participants": -1})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_chinese(&v);
    // JSON that does not parse
    let (s, _, v, _) = raw(
        &t,
        Request::post("/api/v1/applications")
            .header(header::AUTHORIZATION, format!("Bearer {cj}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"category\": "))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_chinese(&v);
    // serde's other reasons
    for (why, cn) in [
        ("unknown variant `x`, expected one of `a`, `b`", "取值"),
        ("unknown field `x`, expected `a`", "字段"),
        ("invalid value: integer `-1`, expected u32", "整数"),
        (
            "invalid type: boolean `true`, expected a formatted date string",
            "日期",
        ),
        ("input contains invalid characters", "日期"),
    ] {
        let r = minzheng::web::api::serde_reason_cn(why);
        assert!(
            r.contains(cn) && !r.chars().any(|c| c.is_ascii_alphabetic()),
            "{why} → {r}"
        );
    }
    assert_eq!(
        minzheng::web::api::field_label_cn("household.members[1].monthly_income.wage"),
        "家庭·成员·第2项·月收入·工资性收入"
    );

    // a path parameter that is no text, a method the address does not take, an unknown API
    let (s, _, v, text) = raw(
        &t,
        Request::get("/api/v1/persons/%FF%FE")
            .header(header::AUTHORIZATION, format!("Bearer {cj}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
    assert_chinese(&v);
    let (s, v) = t
        .api(Method::DELETE, "/api/v1/persons", Some(&cj), None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert_chinese(&v);
    let (s, v) = t.get("/api/v1/no-such-thing", &cj).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_chinese(&v);

    // pages: a Chinese 404 page, and a bad query string answers a Chinese page
    let session = t.login_browser("cj").await;
    let (s, h, body) = t.page(&session, "/no-such-page").await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{h:?}"
    );
    assert!(html.contains("页面不存在"), "{html}");
    let (s, _, body) = t.page(&session, "/assistance/applications?page=abc").await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(
        html.contains("查询参数") && !html.contains("Failed"),
        "{html}"
    );
});

db_test!(numbers_and_printed_pages, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("nz", "town_officer", "320281004").await;
    let cj = t.token("cj").await;
    let nz = t.token("nz").await;
    let cj_village = t.app.areas().children("320281001")[0].code.clone();
    let nz_village = t.app.areas().children("320281004")[0].code.clone();
    let mut ids = vec![];
    for (tok, village, name) in [
        (&cj, &cj_village, "缪阿大"),
        (&cj, &cj_village, "缪阿二"),
        (&nz, &nz_village, "缪阿三"),
    ] {
        let req = common::dibao_request(&t, tok, village, name, 0).await;
        let (s, v) = t
            .api(Method::POST, "/api/v1/applications", Some(tok), Some(req))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    // 编号: the town's short name, the filing year, a sequence per town and year
    let (_, v) = t
        .get(&format!("/api/v1/applications/{}", ids[1]), &cj)
        .await;
    assert_eq!(v["number"], "澄江-2020-0002");
    let (_, v) = t
        .get(&format!("/api/v1/applications/{}", ids[2]), &nz)
        .await;
    assert_eq!(v["number"], "南闸-2020-0001");
    // the migration's backfill gives existing rows the same numbers, on both backends
    let before: Vec<(String, String)> = t
        .app
        .db
        .conn()
        .fetch_all("SELECT id, number FROM applications ORDER BY id", vec![])
        .await
        .unwrap();
    t.app
        .db
        .conn()
        .execute(
            "UPDATE applications SET serial_year = NULL, serial_no = NULL, number = NULL",
            vec![],
        )
        .await
        .unwrap();
    let migration = include_str!("../../migrations/0018_print.sql");
    for stmt in migration.split(';') {
        let sql: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        if sql.trim_start().starts_with("UPDATE") {
            t.app.db.conn().execute(&sql, vec![]).await.unwrap();
        }
    }
    let after: Vec<(String, String)> = t
        .app
        .db
        .conn()
        .fetch_all("SELECT id, number FROM applications ORDER BY id", vec![])
        .await
        .unwrap();
    assert_eq!(before, after);

    // the application page and the list show the 编号
    let s = t.login_browser("cj").await;
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/{}", ids[0]))
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("澄江-2020-0001"), "{html}");
    let (_, _, body) = t.page(&s, "/assistance/applications").await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("澄江-2020-0001") && html.contains("澄江-2020-0002"),
        "{html}"
    );

    // through the town's steps, then the 审批表 carries the opinions, incomes, assets, calculation and 核对报告
    let id = &ids[0];
    act(&t, &cj, id, json!({"action": "accept", "on": "2020-06-01"})).await;
    act(
        &t,
        &cj,
        id,
        json!({"action": "visit", "on": "2020-06-02", "staff": ["王芳", "李强"]}),
    )
    .await;
    act(&t, &cj, id, json!({"action": "check", "on": "2020-06-02"})).await;
    act(&t, &cj, id, json!({"action": "community_review", "on": "2020-06-03", "participants": 9, "representatives": 7, "in_favour": 9})).await;
    act(
        &t,
        &cj,
        id,
        json!({"action": "town_approve", "on": "2020-06-03", "note": "同意上报"}),
    )
    .await;
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/{id}/form"))
        .await;
    let form = String::from_utf8(body).unwrap();
    for want in [
        "澄江-2020-0001",
        "王芳",
        "同意 9 票",
        "同意上报",
        "2020年6月3日",
        "300.00",
        "摩托车1辆",
        "金融资产 2000.00 元",
        "人均月收入",
        "核对报告",
        "签字",
        "镇(街道)初审意见",
    ] {
        assert!(form.contains(want), "{want} not in {form}");
    }
    assert!(!form.contains(id.as_str()), "no UUID on the form");
    // the village 公示: the period, the proposed amount and the supervision phone
    let (_, _, body) = t
        .page(
            &s,
            &format!("/assistance/publicity?village={cj_village}&month=2020-06"),
        )
        .await;
    let sheet = String::from_utf8(body).unwrap();
    assert!(
        sheet.contains("2020年6月3日至2020年6月9日")
            && sheet.contains("监督电话")
            && sheet.contains("缪*大"),
        "{sheet}"
    );
    // its form offers only the officer's own villages
    let (_, _, body) = t.page(&s, "/assistance/publicity").await;
    let picker = String::from_utf8(body).unwrap();
    assert!(
        picker.contains(&cj_village)
            && !picker.contains(&nz_village)
            && picker.contains("<option value=\"2020-06\">2020年6月</option>"),
        "{picker}"
    );

    // decided by the city: the case's change letter has its 文号, the bureau's 落款 and a Chinese date
    t.add_user("city", "city_officer", "320281").await;
    let city = t.token("city").await;
    act(
        &t,
        &cj,
        id,
        json!({"action": "town_publicity_end", "on": "2020-06-10"}),
    )
    .await;
    let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &city).await;
    if v["spot_check_required"] == json!(true) {
        act(
            &t,
            &city,
            id,
            json!({"action": "spot_check", "on": "2020-06-11", "staff": ["市局甲", "市局乙"]}),
        )
        .await;
    }
    act(
        &t,
        &city,
        id,
        json!({"action": "city_approve", "on": "2020-06-11"}),
    )
    .await;
    act(
        &t,
        &city,
        id,
        json!({"action": "decide", "on": "2020-06-18"}),
    )
    .await;
    let (_, v) = t.get("/api/v1/cases?status=active", &cj).await;
    let case_id = v["items"][0]["id"].as_str().unwrap().to_string();
    let (st, ch) = t
        .api(
            Method::POST,
            &format!("/api/v1/cases/{case_id}/events"),
            Some(&cj),
            Some(json!({"kind": "review", "on": "2020-12-01"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{ch}");
    let (_, _, body) = t
        .page(
            &s,
            &format!(
                "/assistance/cases/{case_id}/changes/{}/letter",
                ch["id"].as_str().unwrap()
            ),
        )
        .await;
    let letter = String::from_utf8(body).unwrap();
    assert!(
        letter.contains("澄民救〔2020〕1号")
            && letter.contains("江阴市民政局")
            && letter.contains("2020年12月1日"),
        "{letter}"
    );
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/{id}/form"))
        .await;
    let form = String::from_utf8(body).unwrap();
    assert!(
        form.contains("决定时测算") && form.contains("市民政局审核确认"),
        "{form}"
    );

    // a refusal: the printable 不予批准告知书
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/{}/refusal", ids[1]))
        .await;
    assert!(String::from_utf8(body).unwrap().contains("未找到"));
    act(
        &t,
        &cj,
        &ids[1],
        json!({"action": "refuse", "on": "2020-06-05", "reason": "家庭人均收入高于当地低保标准"}),
    )
    .await;
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/{}", ids[1]))
        .await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("打印不予批准告知书")
    );
    let (s2, _, body) = t
        .page(&s, &format!("/assistance/applications/{}/refusal", ids[1]))
        .await;
    let notice = String::from_utf8(body).unwrap();
    assert_eq!(s2, StatusCode::OK);
    for want in [
        "缪阿二",
        "澄江-2020-0002",
        "家庭人均收入高于当地低保标准",
        "民发〔2012〕220号",
        "60日内向江阴市人民政府申请行政复议",
        "6个月内向江阴市人民法院提起行政诉讼",
        "江阴市民政局",
        "2020年6月5日",
    ] {
        assert!(notice.contains(want), "{want} not in {notice}");
    }
    // another town cannot print it
    let s_nz = t.login_browser("nz").await;
    let (st, _, _) = t
        .page(
            &s_nz,
            &format!("/assistance/applications/{}/refusal", ids[1]),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});

db_test!(
    temporary_assistance_by_identity_number_keeps_what_was_typed,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = common::workflow::desk(&t).await;
        let (_, idn, _, _) = common::workflow::household(&t, &d.town).await;
        let s = t.login_browser("cj").await;
        // a reason too short: the form comes back with everything typed still in it
        let form = format!(
            "csrf={}&person_id={idn}&amount=321.50&form=goods&reason=%E7%97%85",
            s.csrf
        );
        let (st, _, body) = t.post_form(&s, "/assistance/temporary", &form).await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("急难情形"), "{html}");
        assert!(
            html.contains(&format!("value=\"{idn}\"")),
            "identity number kept"
        );
        assert!(html.contains("value=\"321.50\""), "amount kept");
        assert!(
            html.contains("<option value=\"goods\" selected>"),
            "form kept"
        );
        // typed by identity number, the grant is made for the person's household
        let form = format!(
            "csrf={}&person_id={idn}&amount=300&form=cash&reason={}",
            s.csrf,
            common::enc("突发疾病住院")
        );
        let (st, _, body) = t.post_form(&s, "/assistance/temporary", &form).await;
        assert_eq!(st, StatusCode::OK);
        assert!(String::from_utf8(body).unwrap().contains("已批准"));
        assert_eq!(t.scalar("SELECT COUNT(*) FROM temporary_grants").await, 1);
        // the batch form offers the towns by name, not codes
        let c = t.login_browser("city").await;
        let (_, _, body) = t.page(&c, "/assistance/temporary").await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("name=\"town_320281001\"") && html.contains("澄江街道"));
    }
);

db_test!(
    a_person_is_picked_by_name_not_typed,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = common::workflow::desk(&t).await;
        let (_, idn, pids, _) = common::workflow::household(&t, &d.town).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let s = t.login_browser("cj").await;
        // without JavaScript: a plain search lists the matches, each a link that chooses
        let (st, _, body) = t
            .page(
                &s,
                &format!("/assistance/temporary?person_q={}", common::enc("顾小")),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        let link = format!("/assistance/temporary?person={}", pids[1]);
        assert!(html.contains(&link), "{html}");
        assert!(
            html.contains("顾小妹") && !html.contains(&idn),
            "masked: {html}"
        );
        // the chosen person is on the form, by name; the form submits the registry id
        let (_, _, body) = t.page(&s, &link).await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("id=\"chosen-person\"") && html.contains("顾小妹"),
            "{html}"
        );
        assert!(html.contains(&format!("name=\"person_id\" value=\"{}\"", pids[1])));
        let form = format!(
            "csrf={}&person_id={}&amount=300&form=cash&reason={}",
            s.csrf,
            pids[1],
            common::enc("突发疾病住院")
        );
        let (st, _, body) = t.post_form(&s, "/assistance/temporary", &form).await;
        assert_eq!(st, StatusCode::OK);
        assert!(String::from_utf8(body).unwrap().contains("已批准"));
        // while typing (the script's fragment): the same matches; another town finds nobody of 澄江, and cannot
        // choose one by id either
        let (st, _, body) = t
            .page(
                &s,
                &format!(
                    "/persons/pick?q={}&back=/verification/staff",
                    common::enc("顾老")
                ),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let frag = String::from_utf8(body).unwrap();
        assert!(
            frag.contains(&format!("/verification/staff?person={}", pids[0])),
            "{frag}"
        );
        let n = t.login_browser("nz").await;
        let (_, _, body) = t
            .page(
                &n,
                &format!(
                    "/persons/pick?q={}&back=/assistance/temporary",
                    common::enc("顾老")
                ),
            )
            .await;
        let frag = String::from_utf8(body).unwrap();
        assert!(
            !frag.contains(&pids[0]) && frag.contains("没有找到"),
            "{frag}"
        );
        let (_, _, body) = t
            .page(&n, &format!("/assistance/temporary?person={}", pids[0]))
            .await;
        assert!(!String::from_utf8(body).unwrap().contains("chosen-person"));
        // the choices only ever link back into the site
        let (st, _, _) = t.page(&s, "/persons/pick?q=x&back=//evil.example/").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // 近亲属备案 by choice: the staff member, then the relative
        let (_, _, body) = t
            .page(&s, &format!("/verification/staff?person={}", pids[0]))
            .await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("chosen-person"), "{html}");
        let village = t.app.areas().children("320281001")[0].code.clone();
        let form = format!(
            "csrf={}&id_number={}&post=village_cadre&area_code={village}",
            s.csrf, pids[0]
        );
        let (st, _, body) = t.post_form(&s, "/verification/staff", &form).await;
        assert_eq!(st, StatusCode::OK);
        assert!(String::from_utf8(body).unwrap().contains("已登记顾老汉"));
        let staff_id: (String,) = t
            .app
            .db
            .conn()
            .fetch_one("SELECT id FROM staff", vec![])
            .await
            .unwrap();
        let form = format!(
            "csrf={}&id_number={}&relation={}",
            s.csrf,
            pids[1],
            common::enc("女儿")
        );
        let (st, _, body) = t
            .post_form(
                &s,
                &format!("/verification/staff/{}/relatives", staff_id.0),
                &form,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("已备案近亲属顾小妹")
        );
    }
);

/// Every menu page of every role, in Chinese: no Latin word on screen outside codes, numbers and file formats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_menu_page_of_every_role_is_chinese() {
    let t = TestApp::new(Backend::Sqlite).await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    for (u, r, a) in [
        ("city", "city_officer", "320281"),
        ("cj", "town_officer", "320281001"),
        ("wg", "village_worker", village.as_str()),
        ("leader", "leader", "320281"),
        ("auditor", "auditor", "320281"),
        ("anquan", "security_admin", "320281"),
        ("shenji", "audit_admin", "320281"),
    ] {
        t.add_user(u, r, a).await;
    }
    let mut bad = vec![];
    for user in [
        "admin", "city", "cj", "wg", "leader", "auditor", "anquan", "shenji",
    ] {
        let s = t.login_browser(user).await;
        let (start, home) = common::home_page(&t, &s).await;
        let mut links = common::menu_links(&home);
        // 首页 of an administrator is the redirect to its own page, walked as `start`
        links.retain(|l| start == "/" || l != "/");
        links.push(start.clone());
        for link in links {
            let (st, _, body) = t.page(&s, &link).await;
            if st != axum::http::StatusCode::OK {
                bad.push(format!("{user} {link}: {st}"));
                continue;
            }
            let html = String::from_utf8(body).unwrap();
            for word in common::latin_words(&html) {
                bad.push(format!("{user} {link}: {word}"));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "English on screen:\n{}", bad.join("\n"));
}

// Open work in the overview's chart is in the workflow's order (申请 → 受理 → 调查 → 评议 → … → 市局公示), not in the
// database's order.
db_test!(open_work_in_workflow_order, |b: Backend| async move {
    use minzheng_domain::assistance::workflow::Stage;
    let t = TestApp::new(b).await;
    let d = common::workflow::desk(&t).await;
    // filed in an order that is neither the workflow's nor the alphabet's, each driven to a different step
    for until in ["city_approve", "", "town_approve", "visit"] {
        let (_, _, _, body) = common::workflow::household(&t, &d.town).await;
        let (s, v) = common::workflow::file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        if !until.is_empty() {
            common::workflow::drive_to(&t, &d, &id, until).await;
        }
    }
    let s = t.login_browser("cj").await;
    let (st, _, body) = t.page(&s, "/assistance").await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    // from the chart's heading to the end of its drawing (its aria-label repeats the heading)
    let chart = html
        .split_once("在办申请（按环节）")
        .and_then(|x| x.1.split("</svg>").next())
        .unwrap_or_else(|| panic!("no open-work chart in {html}"));
    let labels: Vec<&str> = chart
        .split("<text x=\"0\" y=\"")
        .skip(1)
        .filter_map(|x| x.split_once("\">").map(|(_, rest)| rest))
        .filter_map(|x| x.split("</text>").next())
        .collect();
    let order: Vec<usize> = labels
        .iter()
        .map(|l| {
            Stage::ALL
                .iter()
                .position(|s| s.label() == *l)
                .unwrap_or_else(|| panic!("{l} is no stage's label: {labels:?}"))
        })
        .collect();
    assert_eq!(order.len(), 4, "four steps with open work: {labels:?}");
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "not in workflow order: {labels:?}"
    );
    assert_eq!(labels[0], Stage::Submitted.label(), "{labels:?}");
});

// The village 公示 is reached from the menu by whoever reads assistance (a town officer, a grid worker).
db_test!(village_publicity_is_in_the_menu, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("wg", "village_worker", &village).await;
    for user in ["cj", "wg"] {
        let s = t.login_browser(user).await;
        let (_, home) = common::home_page(&t, &s).await;
        let links = common::menu_links(&home);
        assert!(
            links.iter().any(|l| l == "/assistance/publicity"),
            "{user}: {links:?}"
        );
        assert!(home.contains("村(居)公示"), "{user}: the menu names it");
        let (st, _, body) = t.page(&s, "/assistance/publicity").await;
        assert_eq!(st, StatusCode::OK, "{user}");
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("村(居)社会救助公示") && html.contains(&village),
            "{user}: {html}"
        );
    }
});

// A 复核逾期 task is closed as 已入户复核 by the town office (the API answers 403 to the grid worker): the grid
// worker's tasks page does not offer it, the town officer's does.
db_test!(
    only_the_town_is_offered_to_close_a_task_as_reviewed,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = common::workflow::desk(&t).await;
        common::workflow::approved(&t, &d).await;
        let village = t.app.areas().children("320281001")[0].code.clone();
        t.add_user("wg", "village_worker", &village).await;
        let wg = t.token("wg").await;
        t.app
            .db
            .conn()
            .execute(
                "UPDATE cases SET review_due_on = $1",
                minzheng::args![chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()],
            )
            .await
            .unwrap();
        minzheng::app::verification::tasks::scan(&t.app, t.app.today())
            .await
            .unwrap();
        let (_, v) = t.get("/api/v1/tasks?category=review_overdue", &wg).await;
        assert_eq!(v["total"], 1, "{v}");
        let tid = v["items"][0]["id"].as_str().unwrap().to_string();
        let (s, v) = common::upload(
            &t,
            &wg,
            &format!("/api/v1/tasks/{tid}/visit"),
            &[("note", "入户复核，家庭人口和收入无变化")],
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let offered = "<option value=\"reviewed\">";
        // the grid worker: the task can be closed, but not as reviewed
        let s = t.login_browser("wg").await;
        let (_, _, body) = t.page(&s, "/verification/tasks").await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains(&format!("/verification/tasks/{tid}/close")),
            "{html}"
        );
        assert!(!html.contains(offered), "{html}");
        assert!(html.contains("复核结果由镇(街道)民政办确认"), "{html}");
        // the town officer is offered it, and it is accepted
        let s = t.login_browser("cj").await;
        let (_, _, body) = t.page(&s, "/verification/tasks").await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains(offered), "{html}");
        let form = format!(
            "csrf={}&outcome=reviewed&reason={}&application_id=",
            s.csrf,
            common::enc("复核无变化")
        );
        let (st, _, _) = t
            .post_form(&s, &format!("/verification/tasks/{tid}/close"), &form)
            .await;
        assert!(st.is_success() || st.is_redirection(), "{st}");
        assert_eq!(
            t.scalar(
                "SELECT COUNT(*) FROM grid_tasks WHERE status = 'closed' AND outcome = 'reviewed'"
            )
            .await,
            1
        );
    }
);

// The bank file stays as the bank reads it (identity numbers and accounts raw); beside it the same roll as a
// workbook for Excel and WPS: identity numbers and accounts text cells, amounts numbers, a Chinese file name.
db_test!(
    payment_roll_workbook_keeps_identity_numbers_as_text,
    |b: Backend| async move {
        use calamine::{Data, Reader, Xlsx};
        let t = TestApp::new(b).await;
        let d = common::workflow::desk(&t).await;
        let (_, pids, _) = common::workflow::approved(&t, &d).await;
        let (idn,): (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT id_number FROM persons WHERE id = $1",
                minzheng::args![pids[0].as_str()],
            )
            .await
            .unwrap();
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&d.city),
                Some(json!({"month": "2020-11"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["lines"], 1, "{v}");
        let fen = v["total"].as_i64().unwrap();
        assert!(fen > 0, "{v}");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls/2020-11/approve",
                Some(&d.city),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // the roll's page links both, side by side
        let s = t.login_browser("city").await;
        let (_, _, body) = t.page(&s, "/assistance/payments/2020-11").await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("id=\"bank-csv\"") && html.contains("id=\"bank-xlsx\""),
            "{html}"
        );
        // the bank file: the numbers as they are, no quote, no formula, no apostrophe
        let (st, _, csv) = t
            .page(&s, "/assistance/payments/2020-11/export?format=csv")
            .await;
        assert_eq!(st, StatusCode::OK);
        let csv = String::from_utf8(csv).unwrap();
        assert!(
            csv.contains(&format!(
                ",{idn},6228480000000000001,{}.{:02},",
                fen / 100,
                fen % 100
            )),
            "{csv}"
        );
        // the workbook
        let (st, h, bytes) = t
            .page(&s, "/assistance/payments/2020-11/export?format=xlsx")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("spreadsheetml"),
            "{h:?}"
        );
        let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disposition.contains(&format!(
                "filename*=UTF-8''{}",
                common::enc("发放名册-2020-11.xlsx")
            )),
            "{disposition}"
        );
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let name = x.sheet_names()[0].clone();
        let rows: Vec<Vec<Data>> = x
            .worksheet_range(&name)
            .unwrap()
            .rows()
            .map(|r| r.to_vec())
            .collect();
        let col = |title: &str| {
            rows[0]
                .iter()
                .position(|c| *c == Data::String(title.into()))
                .unwrap_or_else(|| panic!("no column {title}: {:?}", rows[0]))
        };
        let (id_col, account_col, amount_col) =
            (col("身份证号码"), col("银行账号"), col("金额(元)"));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1][id_col], Data::String(idn.clone()), "{rows:?}");
        assert_eq!(
            rows[1][account_col],
            Data::String("6228480000000000001".into()),
            "{rows:?}"
        );
        assert_eq!(
            rows[1][amount_col],
            Data::Float(fen as f64 / 100.0),
            "{rows:?}"
        );
    }
);

// The target's label on the monthly chart stays inside the chart when the target is the chart's maximum (T08.1: the
// standard is the target, 1000).
db_test!(target_label_is_never_cut, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("leader", "leader", "320281").await;
    let s = t.login_browser("leader").await;
    let (st, _, body) = t.page(&s, "/targets/T08.1?year=2020").await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    let svg = html
        .split("id=\"progress-chart\"")
        .nth(1)
        .and_then(|x| x.split("</svg>").next())
        .unwrap_or_else(|| panic!("no chart in {html}"));
    let tag = svg
        .split("<text id=\"target-label\"")
        .nth(1)
        .and_then(|x| x.split_once('>'))
        .map(|(attrs, rest)| (attrs, rest.split("</text>").next().unwrap_or("")))
        .unwrap_or_else(|| panic!("no target label in {svg}"));
    let attr = |name: &str| -> i64 {
        tag.0
            .split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|x| x.split('"').next())
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {}", tag.0))
    };
    assert!(tag.1.contains("目标 1000"), "{}", tag.1);
    let (y, size) = (attr("y"), attr("font-size"));
    assert!(y >= size, "label at y={y} cut by the top (font {size})");
    assert!(y <= 240, "label at y={y} below the chart");
    // the target line is at the top: the label went below it
    let line_y: i64 = svg
        .split("stroke-dasharray=\"5 4\"")
        .next()
        .and_then(|x| x.rsplit("y1=\"").next())
        .and_then(|x| x.split('"').next())
        .and_then(|x| x.parse().ok())
        .unwrap();
    assert!(line_y < size && y > line_y, "line {line_y}, label {y}");
});

db_test!(
    the_intake_form_keeps_what_was_typed,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = common::workflow::desk(&t).await;
        let (hh, _, pids, _) = common::workflow::household(&t, &d.town).await;
        let s = t.login_browser("cj").await;
        // everything filled in but the application date: the form comes back with the rest as typed
        let form = format!(
            "csrf={}&household_id={hh}&category=dibao&applicant_id={}&authorisation_on=2020-09-18&bank_account=6228480000001234567\
         &m0_relation=self&m0_status=normal&m0_wage=0&m0_basic_pension=312.50&m1_relation=child&m1_status=normal&m1_wage=1450\
         &staff_relative=1",
            s.csrf, pids[0]
        );
        let (st, _, body) = t.post_form(&s, "/assistance/applications/new", &form).await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("form-error") || html.contains("class=\"error\""),
            "{html}"
        );
        for kept in [
            "value=\"2020-09-18\"",
            "value=\"6228480000001234567\"",
            "value=\"312.50\"",
            "value=\"1450\"",
        ] {
            assert!(html.contains(kept), "{kept} kept: {html}");
        }
        assert!(
            html.contains("<option value=\"dibao\" selected"),
            "category kept"
        );
        assert_eq!(t.scalar("SELECT COUNT(*) FROM applications").await, 0);
    }
);
