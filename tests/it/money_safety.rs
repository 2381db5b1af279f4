//! Money safety (DOMAIN §4.12): each defect found in use, reproduced and fixed, on SQLite and PostgreSQL.

use crate::common;

use crate::common::workflow::*;
use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

db_test!(
    a_household_holds_one_live_case_per_category,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (hh, _, _, body) = household(&t, &d.town).await;
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let first = v["id"].as_str().unwrap().to_string();
        // an open application of the category: refused at intake, naming it
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["field"], "household_id");
        assert!(v["error"].as_str().unwrap().contains("正在办理"), "{v}");
        // another category is another matter
        let mut other = body.clone();
        other["category"] = json!("low_income");
        let (s, v) = file(&t, &d, &other).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        drive_to(&t, &d, &first, "decide").await;
        let (s, v) = step(
            &t,
            &d.city,
            &first,
            json!({"action": "decide", "on": "2020-10-27"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // a live case of the category: refused at intake, naming it
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(v["error"].as_str().unwrap().contains("在保"), "{v}");
        assert!(v["error"].as_str().unwrap().contains("2020-11"), "{v}");
        // and the schema itself forbids a second live case
        let second = t
            .app
            .db
            .conn()
            .execute(
                "INSERT INTO cases (id, application_id, category, household_id, area_code, town_code, status, monthly_amount, start_month, bank_account, created_at) \
                 SELECT 'dup', application_id, category, household_id, area_code, town_code, 'active', monthly_amount, '2021-01', bank_account, created_at FROM cases",
                vec![],
            )
            .await;
        assert!(second.unwrap_err().is_unique_violation());
        let live = t
            .app
            .db
            .conn()
            .scalar(
                "SELECT COUNT(*) FROM cases WHERE household_id = $1 AND status = 'active'",
                minzheng::args![hh.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(live, 1);
    }
);

db_test!(
    the_same_decision_twice_at_once_makes_one_case,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, _, _, body) = household(&t, &d.town).await;
        let (_, v) = file(&t, &d, &body).await;
        let id = v["id"].as_str().unwrap().to_string();
        drive_to(&t, &d, &id, "decide").await;
        let decide = json!({"action": "decide", "on": "2020-10-27"});
        let (a, b2) = tokio::join!(
            step(&t, &d.city, &id, decide.clone()),
            step(&t, &d.city2, &id, decide.clone())
        );
        let mut statuses = [a.0, b2.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
            "{} / {}",
            a.1,
            b2.1
        );
        assert_eq!(t.scalar("SELECT COUNT(*) FROM cases").await, 1);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM application_events WHERE action = 'decide'")
                .await,
            1
        );
    }
);

fn multipart_xlsx(bytes: Vec<u8>) -> axum::body::Body {
    axum::body::Body::from(bytes)
}

db_test!(
    reimporting_the_ledger_export_changes_nothing,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        approved(&t, &d).await;
        approved(&t, &d).await;
        let (s, _, xlsx) = t
            .send(
                axum::http::Request::get("/api/v1/ledger/export?full=true")
                    .header("authorization", format!("Bearer {}", d.town))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let cases = t.scalar("SELECT COUNT(*) FROM cases").await;
        let (s, _, body) = t
            .send(
                axum::http::Request::post("/api/v1/ledger/imports")
                    .header("authorization", format!("Bearer {}", d.town))
                    .header(
                        "content-type",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    )
                    .body(multipart_xlsx(xlsx))
                    .unwrap(),
            )
            .await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["cases_created"], 0, "{v}");
        assert_eq!(v["cases_unchanged"], 2, "{v}");
        assert_eq!(t.scalar("SELECT COUNT(*) FROM cases").await, cases);
    }
);

db_test!(
    no_approval_while_the_check_report_disqualifies,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, applicant_idn, _, body) = household(&t, &d.town).await;
        // the vehicle registry shows the applicant's car
        let csv = format!(
            "id_number,name,plate,vehicle_kind,registered_on\n{applicant_idn},顾老汉,苏B12345,car,2019-05-01\n"
        );
        let boundary = "mzMoneySafety";
        let mut form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"as_of\"\r\n\r\n2020-09-01\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.csv\"\r\n\r\n"
        )
        .into_bytes();
        form.extend_from_slice(csv.as_bytes());
        form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (s, _, out) = t
            .send(
                axum::http::Request::post("/api/v1/sources/vehicles/loads")
                    .header("authorization", format!("Bearer {}", d.city))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(axum::body::Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&out));
        let (_, v) = file(&t, &d, &body).await;
        let id = v["id"].as_str().unwrap().to_string();
        drive_to(&t, &d, &id, "town_approve").await;
        let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.town).await;
        assert_eq!(v["check"]["eligible"], false, "{v}");
        assert!(
            v["check"]["findings"][0][1]
                .as_str()
                .unwrap()
                .contains("小汽车"),
            "{v}"
        );
        // 先核再救: the town's approval is refused without a 复核 result
        let (s, v) = step(
            &t,
            &d.town,
            &id,
            json!({"action": "town_approve", "on": "2020-10-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "reason");
        assert!(v["error"].as_str().unwrap().contains("先核再救"), "{v}");
        // the report is on the application page and the 审批表
        let session = t.login_browser("cj").await;
        for path in [
            format!("/assistance/applications/{id}"),
            format!("/assistance/applications/{id}/form"),
        ] {
            let (s, _, html) = t.page(&session, &path).await;
            assert_eq!(s, StatusCode::OK);
            let html = String::from_utf8(html).unwrap();
            assert!(html.contains("核对报告"), "{path}");
            assert!(html.contains("登记有小汽车"), "{path}");
        }
        // a recorded 复核 result lets it through, and stands for the later steps
        let (s, v) = step(&t, &d.town, &id, json!({"action": "town_approve", "on": "2020-10-12", "reason": "复核：该车已于2020年8月过户，车管所出具证明"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.town).await;
        assert!(
            v["check"]["review_override"]
                .as_str()
                .unwrap()
                .contains("过户")
        );
    }
);

db_test!(
    a_case_in_phase_out_is_still_a_case,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        approved(&t, &d).await;
        let (_, v) = t.get("/api/v1/cases?status=active", &d.town).await;
        let case_id = v["items"][0]["id"].as_str().unwrap().to_string();
        let child = v["items"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "顾小妹")
            .unwrap()["person_id"]
            .clone();
        let elder = v["items"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "顾老汉")
            .unwrap()["person_id"]
            .clone();
        let ev = |body: Value| {
            let t = &t;
            let tok = d.town.clone();
            let path = format!("/api/v1/cases/{case_id}/events");
            async move { t.api(Method::POST, &path, Some(&tok), Some(body)).await }
        };
        let (s, v) = ev(json!({"kind": "employment", "person_id": child, "on": "2020-11-20", "monthly_wage": "5000"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = t.get(&format!("/api/v1/cases/{case_id}"), &d.town).await;
        assert_eq!(v["status"], "phasing_out", "{v}");
        let end = v["end_month"].clone();
        // a review in 渐退 keeps the end month (never restarts the six months)
        let (s, v) = ev(json!({"kind": "review", "on": "2020-12-10"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = t.get(&format!("/api/v1/cases/{case_id}"), &d.town).await;
        assert_eq!(v["status"], "phasing_out", "{v}");
        assert_eq!(v["end_month"], end);
        // the list filters it, the reviews list and the ledger export include it
        let (_, v) = t.get("/api/v1/cases?status=phasing_out", &d.town).await;
        assert_eq!(v["total"], 1, "{v}");
        // a death reaches it
        let (s, v) = ev(json!({"kind": "death", "person_id": elder, "on": "2020-12-20"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // and so does a stop
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{case_id}/stop"),
                Some(&d.town),
                Some(json!({"from_month": "2021-02", "reason": "家庭收入稳定，提前停发"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (_, v) = t.get(&format!("/api/v1/cases/{case_id}"), &d.town).await;
        assert_eq!(v["status"], "stopped");
    }
);

db_test!(
    temporary_limits_hold_per_household_over_twelve_months,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, _, pids, _) = household(&t, &d.town).await;
        let grant = |amount: &str| json!({"person_id": pids[0], "amount": amount, "reason": "突发重病住院，家庭生活困难"});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&d.town),
                Some(grant("3000")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "approved");
        // the second 3,000 the same day goes past 3·S for the household: the city decides
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&d.town),
                Some(grant("3000")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "pending_city");
        // the sister's request counts too (same household)
        let sister =
            json!({"person_id": pids[1], "amount": "3000", "reason": "突发重病住院，家庭生活困难"});
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&d.town),
                Some(sister),
            )
            .await;
        assert_eq!(v["status"], "pending_city");
        // past 12·S in 12 months: 一事一议, not a grant
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&d.town),
                Some(grant("3500")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("一事一议"), "{v}");
        assert_eq!(t.scalar("SELECT COUNT(*) FROM temporary_grants").await, 3);
        // three at once on one household: at most one passes as the town's (3,000 each, the household is locked)
        let (_, _, pids2, _) = household(&t, &d.town).await;
        let g =
            json!({"person_id": pids2[0], "amount": "3000", "reason": "火灾损毁住房，急需救助"});
        let post = || {
            t.api(
                Method::POST,
                "/api/v1/temporary",
                Some(&d.town),
                Some(g.clone()),
            )
        };
        let (a, b2, c) = tokio::join!(post(), post(), post());
        let town_approved = [a, b2, c]
            .iter()
            .filter(|(_, v)| v["status"] == "approved")
            .count();
        assert_eq!(town_approved, 1);
    }
);

db_test!(
    community_review_needs_two_thirds_in_favour,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, _, _, body) = household(&t, &d.town).await;
        let (_, v) = file(&t, &d, &body).await;
        let id = v["id"].as_str().unwrap().to_string();
        drive_to(&t, &d, &id, "community_review").await;
        let (s, v) = step(&t, &d.town, &id, json!({"action": "community_review", "on": "2020-10-09", "participants": 10, "representatives": 7, "in_favour": 5})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "in_favour");
        let (s, v) = step(&t, &d.town, &id, json!({"action": "community_review", "on": "2020-10-09", "participants": 10, "representatives": 7})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = step(&t, &d.town, &id, json!({"action": "community_review", "on": "2020-10-09", "participants": 9, "representatives": 6, "in_favour": 6})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.town).await;
        let review = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "community_review")
            .unwrap()
            .clone();
        assert!(
            review["note"].as_str().unwrap().contains("同意 6 票"),
            "{review}"
        );
    }
);

db_test!(standards_need_a_second_person, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = desk(&t).await;
    let admin = t.token("admin").await;
    let proposal =
        json!({"consumption_per_year": "35500", "percent": 35, "effective_month": "2021-01"});
    // the account administrator has no part in the money
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/standards/proposals",
            Some(&admin),
            Some(proposal.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/standards/proposals",
            Some(&d.city),
            Some(proposal),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pid = v["id"].as_str().unwrap().to_string();
    let approve = |tok: String| {
        let t = &t;
        let path = format!("/api/v1/standards/{pid}/approve");
        async move { t.api(Method::POST, &path, Some(&tok), None).await }
    };
    let (s, _) = approve(d.city.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the proposer never approves");
    let (s, _) = approve(admin.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = approve(d.city2.clone()).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // a standard below the one in force needs a recorded reason: 26000 × 35 % / 12 → 760 < 1040
    let lower =
        json!({"consumption_per_year": "26000", "percent": 35, "effective_month": "2022-01"});
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/standards/proposals",
            Some(&d.city),
            Some(lower.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "reason");
    let mut with_reason = lower;
    with_reason["reason"] = json!("统计口径调整，经市政府常务会议研究同意");
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/standards/proposals",
            Some(&d.city),
            Some(with_reason),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["basis"].as_str().unwrap().contains("下调理由"), "{v}");
    // a far-off month is no standard
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/standards/proposals",
            Some(&d.city),
            Some(json!({"consumption_per_year": "35500", "effective_month": "9999-12"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
});

db_test!(
    a_town_sees_only_its_own_payment_totals,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        approved(&t, &d).await;
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&d.city),
                Some(json!({"month": "2020-11"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["lines"], 1);
        for (tok, lines) in [(&d.city, 1), (&d.town, 1), (&nz, 0)] {
            let (_, v) = t.get("/api/v1/payments/rolls", tok).await;
            assert_eq!(v[0]["lines"], lines, "{v}");
            let (_, v) = t.get("/api/v1/payments/rolls/2020-11", tok).await;
            assert_eq!(v["roll"]["lines"], lines, "{v}");
            if lines == 0 {
                assert_eq!(v["roll"]["total"], 0, "{v}");
            }
        }
    }
);

db_test!(smaller_defects, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = desk(&t).await;
    // a review window that overflows a date is a 422, not a panic
    let (s, v) = t
        .get("/api/v1/reviews?days=9223372036854775807", &d.town)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "days");
    // the authorisation comes before the check
    let (_, _, _, mut body) = household(&t, &d.town).await;
    body["authorisation_on"] = json!("2020-10-05");
    let (_, v) = file(&t, &d, &body).await;
    let id = v["id"].as_str().unwrap().to_string();
    drive_to(&t, &d, &id, "check").await;
    let (s, v) = step(
        &t,
        &d.town,
        &id,
        json!({"action": "check", "on": "2020-09-30"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("授权书"), "{v}");
    // a refused application has no deadline left
    let (s, v) = step(
        &t,
        &d.town,
        &id,
        json!({"action": "refuse", "on": "2020-10-06", "reason": "申请人主动撤回申请"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["due_on"], Value::Null, "{v}");
});

db_test!(
    calendars_ship_through_2026_and_say_when_they_end,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let years = minzheng::app::assistance::calendar::years(&t.app)
            .await
            .unwrap();
        assert_eq!(years, (2020..=2026).collect::<Vec<_>>());
        // Spring Festival 2024 is not a working day any more
        let cal = minzheng::app::assistance::calendar::load(&t.app)
            .await
            .unwrap();
        assert!(!cal.is_working_day(chrono::NaiveDate::from_ymd_opt(2024, 2, 12).unwrap()));
        assert!(cal.is_working_day(chrono::NaiveDate::from_ymd_opt(2024, 2, 18).unwrap()));
        let note = minzheng::app::assistance::calendar::uncovered_note(
            &years,
            chrono::NaiveDate::from_ymd_opt(2027, 1, 8),
        );
        assert!(note.unwrap().contains("2027年"));
        assert_eq!(
            minzheng::app::assistance::calendar::uncovered_note(
                &years,
                chrono::NaiveDate::from_ymd_opt(2026, 1, 8)
            ),
            None
        );
    }
);

db_test!(
    the_spot_check_takes_at_least_thirty_percent_of_each_batch,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // four applications the town sends up on one day: at least two (30 % of 4, rounded up) are drawn
        let mut ids = vec![];
        for _ in 0..4 {
            let (_, _, _, body) = household(&t, &d.town).await;
            let (_, v) = file(&t, &d, &body).await;
            let id = v["id"].as_str().unwrap().to_string();
            drive_to(&t, &d, &id, "town_publicity_end").await;
            ids.push(id);
        }
        for id in &ids {
            let (s, v) = step(
                &t,
                &d.town,
                id,
                json!({"action": "town_publicity_end", "on": "2020-10-19"}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let drawn = t
            .scalar("SELECT COUNT(*) FROM applications WHERE spot_check_required")
            .await;
        assert!(drawn >= 2, "{drawn} of 4 drawn");
        // the draw is audited with the seed's hash, never the seed
        let secret: (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT value FROM platform_secrets WHERE name = 'spot_check'",
                vec![],
            )
            .await
            .unwrap();
        let audits: Vec<(String,)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT after_json FROM audit_log WHERE after_json LIKE '%seed_sha256%'",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(audits.len(), 4);
        assert!(audits.iter().all(|(a,)| !a.contains(&secret.0)));
    }
);

db_test!(
    an_application_is_judged_by_the_rules_on_its_acceptance_date,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // accepted under the 2012 rules: 民主评议 is required
        let (_, _, _, body) = household(&t, &d.town).await;
        let (_, v) = file(&t, &d, &body).await;
        let old = v["id"].as_str().unwrap().to_string();
        drive_to(&t, &d, &old, "community_review").await;
        let (s, v) = step(
            &t,
            &d.town,
            &old,
            json!({"action": "town_approve", "on": "2020-10-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        // accepted on 2021-07-05: the 2021 rules, 民主评议 optional, and the decision names them
        let (_, _, _, mut body) = household(&t, &d.town).await;
        body["applied_on"] = json!("2021-07-02");
        body["authorisation_on"] = json!("2021-07-02");
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        for (tok, body) in [
            (&d.town, json!({"action": "accept", "on": "2021-07-05"})),
            (
                &d.town,
                json!({"action": "visit", "on": "2021-07-06", "staff": ["王芳", "李强"]}),
            ),
            (&d.town, json!({"action": "check", "on": "2021-07-07"})),
            (
                &d.town,
                json!({"action": "town_approve", "on": "2021-07-08"}),
            ),
            (
                &d.town,
                json!({"action": "town_publicity_end", "on": "2021-07-15"}),
            ),
        ] {
            let (s, v) = step(&t, tok, &id, body.clone()).await;
            assert_eq!(s, StatusCode::OK, "{body}: {v}");
        }
        let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.city).await;
        if v["spot_check_required"] == true {
            let (s, v) = step(
                &t,
                &d.city,
                &id,
                json!({"action": "spot_check", "on": "2021-07-16", "staff": ["市局甲", "市局乙"]}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, v) = step(
            &t,
            &d.city,
            &id,
            json!({"action": "city_approve", "on": "2021-07-16"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = step(
            &t,
            &d.city,
            &id,
            json!({"action": "decide", "on": "2021-07-23"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["snapshot"]["rules"]["code"], "2021");
        let decide = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "decide")
            .unwrap()
            .clone();
        assert!(
            decide["note"].as_str().unwrap().contains("民发〔2021〕"),
            "{decide}"
        );
        let session = t.login_browser("cj").await;
        let (_, _, html) = t
            .page(&session, &format!("/assistance/applications/{id}/form"))
            .await;
        assert!(String::from_utf8(html).unwrap().contains("民发〔2021〕"));
    }
);

/// Generates (or regenerates) a month's roll as the city.
async fn roll(t: &TestApp, d: &Desk, month: &str) -> Value {
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/payments/rolls",
            Some(&d.city),
            Some(json!({"month": month})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn changes_of(t: &TestApp, d: &Desk, case_id: &str) -> Vec<Value> {
    let (s, v) = t
        .get(&format!("/api/v1/cases/{case_id}/changes"), &d.town)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

fn yuan(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    let (i, f) = s.split_once('.').unwrap();
    i.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

db_test!(
    a_roll_records_every_amount_change_with_a_letter,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // 顾老汉 turns 70 on 15 November 2020: the roll of December re-assesses him with the classified increase
        approved_born(
            &t,
            &d,
            chrono::NaiveDate::from_ymd_opt(1950, 11, 15).unwrap(),
        )
        .await;
        let (_, v) = t.get("/api/v1/cases?status=active", &d.town).await;
        let case_id = v["items"][0]["id"].as_str().unwrap().to_string();
        let decided = yuan(&v["items"][0]["monthly_amount"]);
        roll(&t, &d, "2020-11").await;
        assert!(changes_of(&t, &d, &case_id).await.is_empty());
        let r = roll(&t, &d, "2020-12").await;
        let ch = changes_of(&t, &d, &case_id).await;
        assert_eq!(ch.len(), 1, "{ch:?}");
        let c = &ch[0];
        assert_eq!(c["kind"], "age_change");
        assert_eq!(c["outcome"], "adjust");
        assert_eq!(c["effective_month"], "2020-12");
        assert_eq!(c["old_amount"], decided);
        // the classified increase: 20 % of the 1,000 yuan standard
        assert_eq!(c["new_amount"], decided + 20_000);
        assert_eq!(
            r["total"],
            decided + 20_000,
            "the roll pays the recorded amount"
        );
        let note = c["note"].as_str().unwrap();
        assert!(note.contains("顾老汉年满70周岁"), "{note}");
        let letter = c["letter"].as_str().unwrap();
        // decided in 2020: the letter names the 2012 rules the decision used, as every letter names its set
        for want in [
            "年龄变化（分类施保）",
            "2020-12",
            "900.00",
            "1100.00",
            "民发〔2012〕220号",
        ] {
            assert!(letter.contains(want), "{want}: {letter}");
        }
        assert!(!letter.contains("民发〔2021〕"), "{letter}");
        let (_, v) = t.get(&format!("/api/v1/cases/{case_id}"), &d.town).await;
        assert_eq!(yuan(&v["monthly_amount"]), decided + 20_000);
        let audited = t
            .scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'case.change' AND entity_id = '{case_id}'"
            ))
            .await;
        assert_eq!(audited, 1);
        // regenerating the draft compares with the amount now in force: nothing recorded twice
        roll(&t, &d, "2020-12").await;
        assert_eq!(changes_of(&t, &d, &case_id).await.len(), 1);
        // nor does an earlier month's draft, rebuilt after the change, undo it
        roll(&t, &d, "2020-11").await;
        assert_eq!(changes_of(&t, &d, &case_id).await.len(), 1);
        let (_, v) = t.get(&format!("/api/v1/cases/{case_id}"), &d.town).await;
        assert_eq!(yuan(&v["monthly_amount"]), decided + 20_000);
        // the printed letter: 文号, the reason, both amounts, the bureau's 落款 once and the date
        let s = t.login_browser("cj").await;
        let (st, _, body) = t
            .page(
                &s,
                &format!(
                    "/assistance/cases/{case_id}/changes/{}/letter",
                    c["id"].as_str().unwrap()
                ),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        for want in [
            "澄民救〔2020〕1号",
            "顾老汉年满70周岁",
            "由每月 900.00 元调整为每月 1100.00 元",
            "2020年12月1日",
            "民发〔2012〕220号",
        ] {
            assert!(html.contains(want), "{want}: {html}");
        }
        assert_eq!(html.matches("江阴市民政局").count(), 1, "{html}");

        // a new standard from 2021-01: the roll of January records it as 救助标准调整
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/standards/proposals",
                Some(&d.city),
                Some(json!({"consumption_per_year": "35500", "percent": 35, "effective_month": "2021-01"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/standards/{}/approve", v["id"].as_str().unwrap()),
                Some(&d.city2),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        roll(&t, &d, "2021-01").await;
        let ch = changes_of(&t, &d, &case_id).await;
        assert_eq!(ch.len(), 2, "{ch:?}");
        let c = &ch[1];
        assert_eq!(c["kind"], "standard_change");
        assert_eq!(c["effective_month"], "2021-01");
        assert_eq!(c["old_amount"], decided + 20_000);
        assert!(c["new_amount"].as_i64().unwrap() > decided + 20_000, "{c}");
        assert!(
            c["note"]
                .as_str()
                .unwrap()
                .contains("低保标准由每月 1000.00 元"),
            "{c}"
        );
        assert!(
            c["letter"].as_str().unwrap().contains("救助标准调整"),
            "{c}"
        );
        // a new standard does not re-judge the decision: still the 2012 rules it named
        assert!(
            c["letter"].as_str().unwrap().contains("民发〔2012〕220号"),
            "{c}"
        );
        roll(&t, &d, "2021-01").await;
        assert_eq!(changes_of(&t, &d, &case_id).await.len(), 2);
        assert!(
            minzheng::app::audit::verify(&t.app.db)
                .await
                .unwrap()
                .first_problem
                .is_none()
        );
    }
);

db_test!(
    closing_an_overdue_review_task_as_reviewed_records_the_review,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        approved(&t, &d).await;
        approved(&t, &d).await;
        let village = t.app.areas().children("320281001")[0].code.clone();
        t.add_user("wg", "village_worker", &village).await;
        let wg = t.token("wg").await;
        // both reviews are long overdue: the warning scan makes a 复核逾期 task for each
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
        let (_, tasks) = t
            .get("/api/v1/tasks?category=review_overdue", &d.town)
            .await;
        let tasks: Vec<(String, String)> = tasks["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "review_overdue")
            .map(|x| {
                (
                    x["id"].as_str().unwrap().to_string(),
                    x["case_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        for (tid, _) in &tasks {
            let (s, v) = common::upload(
                &t,
                &wg,
                &format!("/api/v1/tasks/{tid}/visit"),
                &[("note", "入户复核，家庭人口和收入无变化")],
                &[],
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let close = |tid: &str, tok: &str, body: Value| {
            let path = format!("/api/v1/tasks/{tid}/close");
            let tok = tok.to_string();
            let t = &t;
            async move { t.api(Method::POST, &path, Some(&tok), Some(body)).await }
        };
        let reviews = |case: String| {
            let t = &t;
            async move {
                t.scalar(&format!(
                    "SELECT COUNT(*) FROM case_changes WHERE case_id = '{case}' AND kind = 'review'"
                ))
                .await
            }
        };
        // closed for another reason: nothing is recorded on the case
        let (tid, case) = &tasks[0];
        let (s, v) = close(
            tid,
            &d.town,
            json!({"outcome": "closed", "reason": "户主住院，下月再复核"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(reviews(case.clone()).await, 0);
        let (_, c) = t.get(&format!("/api/v1/cases/{case}"), &d.town).await;
        assert_eq!(c["status"], "active");
        let due: (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT review_due_on, last_reviewed_on FROM cases WHERE id = $1",
                minzheng::args![case.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(due.0, chrono::NaiveDate::from_ymd_opt(2021, 1, 1));
        // reviewed: the grid worker may not decide it, the town does, and the review is on the case
        let (tid, case) = &tasks[1];
        let (s, v) = close(
            tid,
            &wg,
            json!({"outcome": "reviewed", "reason": "复核无变化"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(reviews(case.clone()).await, 0);
        let (s, v) = close(
            tid,
            &d.town,
            json!({"outcome": "reviewed", "reason": "复核无变化"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "closed");
        assert_eq!(v["outcome"], "reviewed");
        assert_eq!(reviews(case.clone()).await, 1);
        let (due, last): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT review_due_on, last_reviewed_on FROM cases WHERE id = $1",
                minzheng::args![case.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(last, Some(t.app.today()));
        assert!(due.unwrap() > t.app.today(), "{due:?}");
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'case.change' AND entity_id = '{case}'"
            ))
            .await,
            1
        );
        // the change has its letter like any review
        let ch = changes_of(&t, &d, case).await;
        assert!(
            ch[0]["note"].as_str().unwrap().contains("入户复核"),
            "{ch:?}"
        );
        // a review is judged by the rules on its date (today: the 2021 set), and its letter names them
        let today_rules = minzheng_domain::assistance::RuleSet::in_force(t.app.today());
        assert_eq!(today_rules, minzheng_domain::assistance::RuleSet::Y2021);
        let letter = ch[0]["letter"].as_str().unwrap();
        assert!(letter.contains(today_rules.label()), "{letter}");
        assert!(!letter.contains("民发〔2012〕"), "{letter}");
        // a closed task stays closed
        let (s, v) = close(tid, &d.town, json!({"outcome": "reviewed"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "closed already: {v}");
    }
);

db_test!(
    from_2021_intake_computes_the_supporter_rule,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // under the 2021 rules what the form ticks is not used: every member is judged from the others and the
        // supporters living elsewhere (43号 Art. 8)
        let (_, _, _, mut body) = household(&t, &d.town).await;
        body["applied_on"] = json!("2021-07-02");
        body["authorisation_on"] = json!("2021-07-02");
        body["household"]["members"][0]["has_capable_supporter"] = json!(false);
        body["household"]["members"][1]["has_capable_supporter"] = json!(true);
        body["supporters_elsewhere"] = json!([
            {"name": "长子 顾大", "age": 72, "seriously_ill": true, "monthly_income": "500"}
        ]);
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.town).await;
        let sup = v["supporters"].as_array().unwrap();
        assert_eq!(sup.len(), 2, "{v}");
        // 顾老汉 (73): his daughter, 36 and earning, is a capable supporter
        assert_eq!(sup[0]["has_capable_supporter"], true, "{v}");
        assert!(
            sup[0]["summary"]
                .as_str()
                .unwrap()
                .contains("有具备履行义务能力")
        );
        // 顾小妹: her father is over 70 with an income below the line, her brother over 70 and seriously ill
        assert_eq!(sup[1]["has_capable_supporter"], false, "{v}");
        let details = sup[1]["details"].to_string();
        assert!(details.contains("长子 顾大：无履行义务能力"), "{details}");
        assert!(details.contains("患重特大疾病"), "{details}");
        let stored: (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT household_json FROM applications WHERE id = $1",
                minzheng::args![&id],
            )
            .await
            .unwrap();
        let stored: Value = serde_json::from_str(&stored.0).unwrap();
        assert_eq!(stored["members"][0]["has_capable_supporter"], true);
        assert_eq!(stored["members"][1]["has_capable_supporter"], false);
        // the application page and the 审批表 show the judgement
        let session = t.login_browser("cj").await;
        for path in [
            format!("/assistance/applications/{id}"),
            format!("/assistance/applications/{id}/form"),
        ] {
            let (_, _, html) = t.page(&session, &path).await;
            let html = String::from_utf8(html).unwrap();
            assert!(html.contains("法定义务人"), "{path}");
            assert!(html.contains("均无履行义务能力"), "{path}");
        }

        // a supporter without an identity number needs an age: named field, Chinese message, nothing written
        let (_, _, _, mut bad) = household(&t, &d.town).await;
        bad["applied_on"] = json!("2021-07-02");
        bad["authorisation_on"] = json!("2021-07-02");
        bad["supporters_elsewhere"] = json!([{"name": "次子 顾二"}]);
        let before = t.scalar("SELECT COUNT(*) FROM applications").await;
        let (s, v) = file(&t, &d, &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "supporters_elsewhere[0].age");
        assert!(v["error"].as_str().unwrap().contains("年龄"), "{v}");
        assert_eq!(t.scalar("SELECT COUNT(*) FROM applications").await, before);

        // under the 2012 rules the declared answer stands and nothing is judged
        let (_, _, _, mut old) = household(&t, &d.town).await;
        old["household"]["members"][0]["has_capable_supporter"] = json!(false);
        let (s, v) = file(&t, &d, &old).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let old_id = v["id"].as_str().unwrap().to_string();
        let (_, v) = t
            .get(&format!("/api/v1/applications/{old_id}"), &d.town)
            .await;
        assert_eq!(v["supporters"], json!([]));
        let stored: (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT household_json FROM applications WHERE id = $1",
                minzheng::args![&old_id],
            )
            .await
            .unwrap();
        let stored: Value = serde_json::from_str(&stored.0).unwrap();
        assert_eq!(stored["members"][0]["has_capable_supporter"], false);
    }
);

/// Takes each step as the town and asserts the application's 办理期限 after it.
async fn steps_with_due(t: &TestApp, d: &Desk, id: &str, steps: &[(Value, &str)]) {
    for (body, due) in steps {
        let (s, v) = step(t, &d.town, id, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{body}: {v}");
        assert_eq!(v["due_on"], *due, "{body}: {v}");
    }
}

db_test!(
    under_the_2021_rules_no_stage_falls_due_past_the_overall_limits,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // accepted Mon 5 July 2021 (no holidays in July and August 2021): the town's work is due within 15 working
        // days of acceptance (26 July), the decision within 30 (16 August), whatever each stage's own limit gives
        let (_, _, _, mut body) = household(&t, &d.town).await;
        body["applied_on"] = json!("2021-07-02");
        body["authorisation_on"] = json!("2021-07-02");
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let new = v["id"].as_str().unwrap().to_string();
        steps_with_due(
            &t,
            &d,
            &new,
            &[
                (
                    json!({"action": "accept", "on": "2021-07-05"}),
                    "2021-07-26",
                ),
                (
                    json!({"action": "visit", "on": "2021-07-06", "staff": ["王芳", "李强"]}),
                    "2021-07-26",
                ),
                // investigated on 16 July: its own 15 days would run to 6 August, the town's total ends on 26 July
                (json!({"action": "check", "on": "2021-07-16"}), "2021-07-26"),
                // the village 公示 (7 days, then 3 working days) ends inside the total
                (
                    json!({"action": "town_approve", "on": "2021-07-23"}),
                    "2021-08-03",
                ),
                // the county's 10 working days would run to 25 August, the decision is due by 16 August
                (
                    json!({"action": "town_publicity_end", "on": "2021-08-11"}),
                    "2021-08-16",
                ),
            ],
        )
        .await;

        // 延长办理期限: only the city, with a reason, once; the county's own 10 working days (25 August) now fit
        // inside 45 working days from acceptance (6 September)
        let extend = |tok: &str, body: Value| {
            let (tok, new) = (tok.to_string(), new.clone());
            let t = &t;
            async move {
                t.api(
                    Method::POST,
                    &format!("/api/v1/applications/{new}/extension"),
                    Some(&tok),
                    Some(body),
                )
                .await
            }
        };
        let (s, v) = extend(&d.town, json!({"reason": "需补充调查赡养人收入"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = extend(&d.city, json!({"reason": "  "})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "reason", "{v}");
        let (s, v) = extend(
            &d.city,
            json!({"reason": "需补充调查赡养人收入", "on": "2021-08-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["due_on"], "2021-08-25", "{v}");
        let (s, v) = extend(&d.city, json!({"reason": "再次延长", "on": "2021-08-13"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(v["error"].as_str().unwrap().contains("已延长"), "{v}");
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'application.extend' AND entity_id = '{new}'"
            ))
            .await,
            1
        );
        // the extension is on the application page, and the next stage counts with it
        let session = t.login_browser("cj").await;
        let (_, _, html) = t
            .page(&session, &format!("/assistance/applications/{new}"))
            .await;
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("延长办理期限") && html.contains("需补充调查赡养人收入"));

        // the same days under the 2012 rules (accepted Mon 28 June 2021): each stage has its own limit only, so the
        // county's 5 working days run to 18 August, past 30 working days from acceptance (9 August)
        let (_, _, _, mut body) = household(&t, &d.town).await;
        body["applied_on"] = json!("2021-06-25");
        body["authorisation_on"] = json!("2021-06-25");
        let (s, v) = file(&t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let old = v["id"].as_str().unwrap().to_string();
        steps_with_due(
            &t,
            &d,
            &old,
            &[
                (json!({"action": "accept", "on": "2021-06-28"}), "2021-07-12"),
                (
                    json!({"action": "visit", "on": "2021-07-06", "staff": ["王芳", "李强"]}),
                    "2021-07-12",
                ),
                (json!({"action": "check", "on": "2021-07-16"}), "2021-07-23"),
                (
                    json!({"action": "community_review", "on": "2021-07-20", "participants": 9, "representatives": 6, "in_favour": 9}),
                    "2021-07-27",
                ),
                (
                    json!({"action": "town_approve", "on": "2021-07-23"}),
                    "2021-08-03",
                ),
                (
                    json!({"action": "town_publicity_end", "on": "2021-08-11"}),
                    "2021-08-18",
                ),
            ],
        )
        .await;
    }
);

db_test!(
    a_person_covered_in_another_household_cannot_be_filed_again,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // 顾小妹 is on 低保 with her father since 2020-11
        let (_, pids1, body1) = approved(&t, &d).await;
        let (_, v) = t.get("/api/v1/cases?status=active", &d.town).await;
        let case_id = v["items"][0]["id"].as_str().unwrap().to_string();
        let case_no = v["items"][0]["number"].as_str().unwrap().to_string();
        assert!(!case_no.is_empty(), "{v}");
        // she moves to another household in the registry; nothing is recorded on her case
        let (hh2, _, _, mut body2) = household(&t, &d.town).await;
        t.app
            .db
            .conn()
            .execute(
                "UPDATE persons SET household_id = $1 WHERE id = $2",
                minzheng::args![hh2.as_str(), pids1[1].as_str()],
            )
            .await
            .unwrap();
        body2["household"]["members"]
            .as_array_mut()
            .unwrap()
            .push(body1["household"]["members"][1].clone());
        body2["applied_on"] = json!("2020-12-01");
        body2["authorisation_on"] = json!("2020-12-01");
        // a 低保 application of her new household is refused at intake, naming her and her case
        let before = t.scalar("SELECT COUNT(*) FROM applications").await;
        let (s, v) = file(&t, &d, &body2).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["field"], "household.members[2].id_number", "{v}");
        let e = v["error"].as_str().unwrap();
        for want in [
            "顾小妹",
            case_no.as_str(),
            "在保",
            "最低生活保障",
            "不能重复申请",
        ] {
            assert!(e.contains(want), "{want}: {e}");
        }
        assert_eq!(t.scalar("SELECT COUNT(*) FROM applications").await, before);
        // another category is another matter
        let mut other = body2.clone();
        other["category"] = json!("low_income");
        let (s, v) = file(&t, &d, &other).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // an open application of another household holds its members too
        let (_, _, pids3, body3) = household(&t, &d.town).await;
        let (s, v) = file(&t, &d, &body3).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let open_no = v["number"].as_str().unwrap().to_string();
        let (hh4, _, _, mut body4) = household(&t, &d.town).await;
        t.app
            .db
            .conn()
            .execute(
                "UPDATE persons SET household_id = $1 WHERE id = $2",
                minzheng::args![hh4.as_str(), pids3[1].as_str()],
            )
            .await
            .unwrap();
        body4["household"]["members"]
            .as_array_mut()
            .unwrap()
            .push(body3["household"]["members"][1].clone());
        let (s, v) = file(&t, &d, &body4).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["field"], "household.members[2].id_number", "{v}");
        let e = v["error"].as_str().unwrap();
        for want in ["顾小妹", open_no.as_str(), "正在办理"] {
            assert!(e.contains(want), "{want}: {e}");
        }

        // once her move is recorded on the old case she is no longer covered there, and her new household may apply
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{case_id}/events"),
                Some(&d.town),
                Some(json!({"kind": "moved_away", "person_id": pids1[1], "on": "2020-12-01"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // her father's case goes on: it is the move, not a stop, that lets her apply
        assert_ne!(v["outcome"], "stop", "{v}");
        let (s, v) = file(&t, &d, &body2).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
);
