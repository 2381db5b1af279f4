//! Applications through every step of DOMAIN.md §4.6, on SQLite and PostgreSQL.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// A registry household of 澄江街道 with two members, made for the test.
async fn household(t: &TestApp, tok: &str) -> (String, String, Value) {
    let (_, areas) = t.get("/api/v1/areas?parent=320281001", tok).await;
    let village = areas[0]["code"].as_str().unwrap().to_string();
    let (_, v) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(tok),
            Some(json!({"area_code": village, "address": "测试路2号"})),
        )
        .await;
    let hh = v["id"].as_str().unwrap().to_string();
    // a fresh pair of numbers for every household the test makes
    let n = t.scalar("SELECT COUNT(*) FROM persons").await as u16;
    let a = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(1948, 3, 3).unwrap(),
        11 + n,
    )
    .to_string();
    let b = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(1985, 8, 8).unwrap(),
        22 + n,
    )
    .to_string();
    let (s, p) = t.api(Method::POST, "/api/v1/persons", Some(tok), Some(json!({"id_number": a, "name": "顾老汉", "area_code": village, "household_id": hh, "relation": "self"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let applicant = p["id"].as_str().unwrap().to_string();
    t.api(Method::POST, "/api/v1/persons", Some(tok), Some(json!({"id_number": b, "name": "顾小妹", "area_code": village, "household_id": hh, "relation": "child"}))).await;
    let inc = |wage: &str, pension: &str| json!({"wage": wage, "business": "0", "property": "0", "transfer": "0", "basic_pension": pension, "excluded": "0"});
    let m = |id: &str, rel: &str, employed: bool, income: Value| {
        json!({"id_number": id, "relation": rel, "status": "normal", "employed": employed, "disability": null, "serious_illness": false,
               "self_care_unmet": 0, "has_capable_supporter": true, "public_payroll": false, "monthly_income": income})
    };
    let household = json!({
        "members": [m(&a, "self", false, inc("0", "400")), m(&b, "child", true, inc("900", "0"))],
        "assets": {"financial": "5000", "vehicles": [], "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0},
        "annual_rigid_expenditure": "0"
    });
    (hh, applicant, household)
}

async fn step(t: &TestApp, tok: &str, id: &str, body: Value) -> (StatusCode, Value) {
    t.api(
        Method::POST,
        &format!("/api/v1/applications/{id}/actions"),
        Some(tok),
        Some(body),
    )
    .await
}

db_test!(
    dibao_application_from_intake_to_case,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("city", "city_officer", "320281").await;
        let cj = t.token("cj").await;
        let nz = t.token("nz").await;
        let city = t.token("city").await;
        let (hh, applicant, household) = household(&t, &cj).await;
        let mut req = json!({"category": "dibao", "household_id": hh, "applicant_id": applicant, "authorisation_on": "2020-09-25",
                          "bank_account": "6228480000000000001", "household": household, "applied_on": "2020-09-25"});
        // no signed authorisation, no application
        req["authorisation_on"] = Value::Null;
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/applications",
                Some(&cj),
                Some(req.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "authorisation_on");
        req["authorisation_on"] = json!("2020-09-25");
        let (s, v) = t
            .api(Method::POST, "/api/v1/applications", Some(&cj), Some(req))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        assert_eq!(v["stage"], "submitted");
        // another town cannot see or touch it
        let (s, _) = t.get(&format!("/api/v1/applications/{id}"), &nz).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = step(
            &t,
            &nz,
            &id,
            json!({"action": "accept", "on": "2020-09-28"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = t.get("/api/v1/applications", &nz).await;
        assert_eq!(v["total"], 0);
        // the city cannot accept: that is the town's step
        let (s, _) = step(
            &t,
            &city,
            &id,
            json!({"action": "accept", "on": "2020-09-28"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // accepted Monday 28 Sep 2020: the investigation is due in 10 working days across National Day → 19 Oct
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "accept", "on": "2020-09-28"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "accepted");
        assert_eq!(v["due_on"], "2020-10-19");
        // a visit needs two staff
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "visit", "on": "2020-09-29", "staff": ["王芳"]}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "staff");
        let (s, _) = step(
            &t,
            &cj,
            &id,
            json!({"action": "visit", "on": "2020-09-29", "staff": ["王芳", "李强"]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        // community review cannot come before the check (先核再救)
        let (s, v) = step(&t, &cj, &id, json!({"action": "community_review", "on": "2020-09-30", "participants": 9, "representatives": 6, "in_favour": 9})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = step(&t, &cj, &id, json!({"action": "check", "on": "2020-09-30"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "investigated");
        // community review due 5 working days after 30 Sep: 9, 10 (make-up Saturday), 12, 13, 14 Oct
        assert_eq!(v["due_on"], "2020-10-14");
        let check = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "check")
            .unwrap();
        assert!(
            check["data_json"]
                .as_str()
                .unwrap()
                .contains("eligible_for_category\":true")
        );
        // representatives must be at least two thirds
        let (s, v) = step(&t, &cj, &id, json!({"action": "community_review", "on": "2020-10-09", "participants": 9, "representatives": 5, "in_favour": 9})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "representatives");
        let (s, _) = step(&t, &cj, &id, json!({"action": "community_review", "on": "2020-10-09", "participants": 9, "representatives": 6, "in_favour": 9})).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "town_approve", "on": "2020-10-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "town_publicity");
        // the 公示 runs 7 days
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "town_publicity_end", "on": "2020-10-18"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "town_publicity_end", "on": "2020-10-19"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "city_review");
        if v["spot_check_required"] == true {
            let (s, _) = step(
                &t,
                &city,
                &id,
                json!({"action": "city_approve", "on": "2020-10-20"}),
            )
            .await;
            assert_eq!(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                "a sampled case needs its spot check first"
            );
            let (s, _) = step(
                &t,
                &city,
                &id,
                json!({"action": "spot_check", "on": "2020-10-20", "staff": ["市局甲", "市局乙"]}),
            )
            .await;
            assert_eq!(s, StatusCode::OK);
        }
        let (s, _) = step(
            &t,
            &cj,
            &id,
            json!({"action": "city_approve", "on": "2020-10-20"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the town cannot approve for the city"
        );
        let (s, v) = step(
            &t,
            &city,
            &id,
            json!({"action": "city_approve", "on": "2020-10-20"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = step(
            &t,
            &city,
            &id,
            json!({"action": "decide", "on": "2020-10-27"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "approved");
        // income: pension 400 + wage 900 − 200 deduction = 1100 for 2 → 550 per capita; (1000 − 550) × 2 = 900,
        // plus 20 % of S for the member aged ≥ 70 → 1100
        assert_eq!(v["monthly_amount"], "1100.00");
        let snap = &v["snapshot"];
        assert_eq!(snap["standards"]["dibao"], "1000.00");
        assert_eq!(snap["start_month"], "2020-11");
        assert_eq!(snap["household"]["members"].as_array().unwrap().len(), 2);
        // the case exists, in scope only
        let (_, v) = t
            .get("/api/v1/cases?status=active&area=320281001&page=1", &cj)
            .await;
        assert_eq!(v["total"], 1, "{v}");
        let c = &v["items"][0];
        assert_eq!(c["category"], "dibao");
        assert_eq!(c["monthly_amount"], "1100.00");
        assert_eq!(c["members"].as_array().unwrap().len(), 2);
        assert!(
            c["members"][0]["id_number_masked"]
                .as_str()
                .unwrap()
                .contains("********")
        );
        let (_, v) = t.get("/api/v1/cases?status=active", &nz).await;
        assert_eq!(v["total"], 0);
        // every step that was taken is audited; refused attempts wrote nothing
        let steps = t.scalar("SELECT COUNT(*) FROM application_events WHERE application_id IN (SELECT id FROM applications)").await;
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'application.%'")
                .await,
            steps
        );
    }
);

db_test!(
    refusal_needs_a_reason_and_objection_reopens,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let cj = t.token("cj").await;
        let (hh, applicant, household) = household(&t, &cj).await;
        let req = json!({"category": "dibao", "household_id": hh, "applicant_id": applicant, "authorisation_on": "2020-06-01",
                     "bank_account": "6228480000000000001", "household": household, "applied_on": "2020-06-01"});
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/applications",
                Some(&cj),
                Some(req.clone()),
            )
            .await;
        let id = v["id"].as_str().unwrap().to_string();
        step(
            &t,
            &cj,
            &id,
            json!({"action": "accept", "on": "2020-06-01"}),
        )
        .await;
        step(
            &t,
            &cj,
            &id,
            json!({"action": "visit", "on": "2020-06-02", "staff": ["甲", "乙"]}),
        )
        .await;
        step(&t, &cj, &id, json!({"action": "check", "on": "2020-06-02"})).await;
        step(&t, &cj, &id, json!({"action": "community_review", "on": "2020-06-03", "participants": 3, "representatives": 2, "in_favour": 3})).await;
        step(
            &t,
            &cj,
            &id,
            json!({"action": "town_approve", "on": "2020-06-04"}),
        )
        .await;
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "object", "on": "2020-06-05"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "reason");
        let (s, v) = step(&t, &cj, &id, json!({"action": "object", "on": "2020-06-05", "reason": "邻居反映其子在外地有稳定工作"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "accepted");
        assert_eq!(v["checked"], false);
        // 20 working days from Fri 5 June 2020: 8–24 June (13), the make-up Sunday 28 June (14), 29 June – 6 July
        assert_eq!(v["due_on"], "2020-07-06");
        let (s, v) = step(
            &t,
            &cj,
            &id,
            json!({"action": "refuse", "on": "2020-06-10", "reason": "短"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "reason");
        let (s, v) = step(&t, &cj, &id, json!({"action": "refuse", "on": "2020-06-10", "reason": "经复查家庭人均收入高于低保标准"})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["stage"], "refused");
        // a refused application has no deadline left (the refusal is the written notice)
        assert_eq!(v["due_on"], Value::Null);
        let (s, _) = step(
            &t,
            &cj,
            &id,
            json!({"action": "accept", "on": "2020-06-11"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // overdue lists: the open application that passed its deadline
        let (_, v) = t
            .api(Method::POST, "/api/v1/applications", Some(&cj), Some(req))
            .await;
        let id2 = v["id"].as_str().unwrap().to_string();
        step(
            &t,
            &cj,
            &id2,
            json!({"action": "accept", "on": "2020-06-01"}),
        )
        .await;
        let (_, v) = t.get("/api/v1/applications?overdue=true", &cj).await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id2.as_str() && i["overdue"] == true),
            "{v}"
        );
        let (_, v) = t.get("/api/v1/applications?mine=true", &cj).await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id2.as_str())
        );
    }
);

/// Files and approves a dibao application for the test household; returns the applicant's identity number.
async fn approved_case(t: &TestApp, cj: &str, city: &str) -> String {
    let (hh, applicant, household) = household(t, cj).await;
    let idn = household["members"][0]["id_number"]
        .as_str()
        .unwrap()
        .to_string();
    let req = json!({"category": "dibao", "household_id": hh, "applicant_id": applicant, "authorisation_on": "2020-09-25",
                     "bank_account": "6228480000000000001", "household": household, "applied_on": "2020-09-25"});
    let (_, v) = t
        .api(Method::POST, "/api/v1/applications", Some(cj), Some(req))
        .await;
    let id = v["id"].as_str().unwrap().to_string();
    for (tok, body) in [
        (cj, json!({"action": "accept", "on": "2020-09-28"})),
        (
            cj,
            json!({"action": "visit", "on": "2020-09-29", "staff": ["甲", "乙"]}),
        ),
        (cj, json!({"action": "check", "on": "2020-09-29"})),
        (
            cj,
            json!({"action": "community_review", "on": "2020-09-30", "participants": 3, "representatives": 2, "in_favour": 3}),
        ),
        (cj, json!({"action": "town_approve", "on": "2020-10-09"})),
        (
            cj,
            json!({"action": "town_publicity_end", "on": "2020-10-16"}),
        ),
        (
            city,
            json!({"action": "spot_check", "on": "2020-10-19", "staff": ["丙", "丁"]}),
        ),
        (city, json!({"action": "city_approve", "on": "2020-10-19"})),
        (city, json!({"action": "decide", "on": "2020-10-26"})),
    ] {
        let (s, v) = step(t, tok, &id, body.clone()).await;
        // the spot check is only possible when the case was sampled
        assert!(
            s == StatusCode::OK || body["action"] == "spot_check",
            "{body}: {v}"
        );
    }
    idn
}

db_test!(
    payment_rolls_are_immutable_and_reissue_failures,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("city", "city_officer", "320281").await;
        let (cj, nz, city) = (
            t.token("cj").await,
            t.token("nz").await,
            t.token("city").await,
        );
        let idn = approved_case(&t, &cj, &city).await;
        let roll = |m: &str| json!({"month": m});
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&cj),
                Some(roll("2020-11")),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the city builds rolls");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2020-10")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(v["lines"], 0, "payment starts the month after approval");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2020-11")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["lines"], 1);
        assert_eq!(v["total"], 110000);
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2020-11")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "a draft may be rebuilt");
        let (s, _) = t.get("/api/v1/payments/rolls/2020-11/export", &city).await;
        assert_eq!(s, StatusCode::CONFLICT, "no bank file before approval");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls/2020-11/approve",
                Some(&city),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "approved");
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2020-11")),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "an approved roll is immutable");
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls/2020-11/approve",
                Some(&city),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // totals per town and category, in scope
        let (_, v) = t.get("/api/v1/payments/rolls/2020-11", &cj).await;
        assert_eq!(
            v["totals"],
            json!([{"town_code": "320281001", "town_name": "澄江街道", "category": "dibao", "category_label": "最低生活保障", "lines": 1, "amount": "1100.00"}])
        );
        let (_, v) = t.get("/api/v1/payments/rolls/2020-11", &nz).await;
        assert_eq!(v["totals"], json!([]));
        let (_, v) = t.get("/api/v1/payments/rolls/2020-11/lines", &nz).await;
        assert_eq!(v["total"], 0);
        // the bank file has the full number and account, and the export is audited
        let (s, v) = t.get("/api/v1/payments/rolls/2020-11/export", &city).await;
        assert_eq!(s, StatusCode::OK);
        let csv = v.as_str().unwrap().to_string();
        assert!(
            csv.contains(&idn) && csv.contains("6228480000000000001") && csv.contains("1100.00"),
            "{csv}"
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'payments.export'")
                .await,
            1
        );
        let (s, _, bytes) = t
            .send(
                axum::http::Request::get("/api/v1/payments/rolls/2020-11/export?format=xlsx")
                    .header("authorization", format!("Bearer {city}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(&bytes[..2], b"PK", "an XLSX file");
        let line_id = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string();
        // a return file with a bad row changes nothing and names every bad row
        let bad = format!(
            "流水号,结果,原因\n{line_id},失败,账户已销户\nnot-a-line,成功,\n{line_id},退回,\n"
        );
        let (s, v) = post_csv(&t, &city, "/api/v1/payments/rolls/2020-11/returns", &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let rows: Vec<i64> = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["row"].as_i64().unwrap())
            .collect();
        assert_eq!(rows, vec![3, 4]);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines WHERE status <> 'pending'")
                .await,
            0
        );
        let good = format!("流水号,结果,原因\n{line_id},失败,账户已销户\n");
        let (s, v) = post_csv(&t, &city, "/api/v1/payments/rolls/2020-11/returns", &good).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["failed"], 1);
        let (_, v) = post_csv(&t, &city, "/api/v1/payments/rolls/2020-11/returns", &good).await;
        assert_eq!(
            v["unchanged"], 1,
            "re-importing the same file changes nothing"
        );
        // the failed payment is re-issued on the next roll
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2020-12")),
            )
            .await;
        assert_eq!(v["lines"], 2);
        assert_eq!(v["total"], 220000);
        let (_, v) = t.get("/api/v1/payments/rolls/2020-12/lines", &city).await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["kind"] == "补发" && l["month_for"] == "2020-11"),
            "{v}"
        );
        // a new standard applies to the frozen household from its month: S = 1040 →
        // (1040 − 550) × 2 + 20 % × 1040 = 1188
        let (_, p) = t
            .api(
                Method::POST,
                "/api/v1/standards/proposals",
                Some(&city),
                Some(json!({"consumption_per_year": "35500", "effective_month": "2021-01"})),
            )
            .await;
        t.add_user("city2", "city_officer", "320281").await;
        let city2 = t.token("city2").await;
        t.api(
            Method::POST,
            &format!("/api/v1/standards/{}/approve", p["id"].as_str().unwrap()),
            Some(&city2),
            None,
        )
        .await;
        t.api(
            Method::POST,
            "/api/v1/payments/rolls/2020-12/approve",
            Some(&city),
            None,
        )
        .await;
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(roll("2021-01")),
            )
            .await;
        assert_eq!(v["lines"], 1, "the re-issue happened once");
        assert_eq!(v["total"], 118800);
    }
);

async fn post_csv(t: &TestApp, tok: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let (s, _, bytes) = t
        .send(
            axum::http::Request::post(path)
                .header("authorization", format!("Bearer {tok}"))
                .header("content-type", "text/csv")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

db_test!(payment_pages_render_in_scope, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("nz", "town_officer", "320281004").await;
    t.add_user("city", "city_officer", "320281").await;
    let (cj, city) = (t.token("cj").await, t.token("city").await);
    approved_case(&t, &cj, &city).await;
    t.api(
        Method::POST,
        "/api/v1/payments/rolls",
        Some(&city),
        Some(json!({"month": "2020-11"})),
    )
    .await;
    let s = t.login_browser("city").await;
    let (st, _, body) = t.page(&s, "/assistance/payments/2020-11").await;
    assert_eq!(st, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("1100.00") && html.contains("<svg") && html.contains("id=\"approve\""));
    let (st, _, body) = t
        .post_form(
            &s,
            "/assistance/payments/2020-11/approve",
            &format!("csrf={}", s.csrf),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("已审批"));
    let nz = t.login_browser("nz").await;
    let (_, _, body) = t.page(&nz, "/assistance/payments/2020-11").await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.contains("澄江街道"),
        "another town sees no lines or totals of 澄江"
    );
    let (st, _, _) = t
        .page(&nz, "/assistance/payments/2020-11/export?format=csv")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

db_test!(demo_bureau_is_alive, |b: Backend| async move {
    let t = TestApp::with_demo(b, 1500).await;
    let n = minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    assert!(n > 20, "{n}");
    let stages = t
        .scalar("SELECT COUNT(DISTINCT stage) FROM applications")
        .await;
    assert!(stages >= 5, "applications wait at many steps: {stages}");
    assert!(
        t.scalar("SELECT COUNT(*) FROM cases WHERE category = 'tekun'")
            .await
            > 0
    );
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM payment_rolls WHERE status = 'approved'")
            .await,
        12
    );
    let on_dibao = t.scalar("SELECT COUNT(*) FROM case_members cm JOIN cases c ON c.id = cm.case_id WHERE c.category IN ('dibao', 'tekun')").await;
    let persons = t.scalar("SELECT COUNT(*) FROM persons").await;
    assert!(
        on_dibao * 200 > persons && on_dibao * 50 < persons,
        "about 1 %: {on_dibao} of {persons}"
    );
    // every approved case's roll amount is backed by its frozen decision
    assert_eq!(
        t.scalar(
            "SELECT COUNT(*) FROM applications WHERE stage = 'approved' AND snapshot_json IS NULL"
        )
        .await,
        0
    );
    assert!(
        minzheng::app::audit::verify(&t.app.db)
            .await
            .unwrap()
            .first_problem
            .is_none()
    );
});

db_test!(
    case_events_reassess_phase_out_and_letters,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("city", "city_officer", "320281").await;
        let (cj, nz, city) = (
            t.token("cj").await,
            t.token("nz").await,
            t.token("city").await,
        );
        approved_case(&t, &cj, &city).await;
        let (_, v) = t.get("/api/v1/cases?status=active", &cj).await;
        let case_id = v["items"][0]["id"].as_str().unwrap().to_string();
        let members = v["items"][0]["members"].as_array().unwrap().clone();
        let (_, p0) = t
            .get(
                &format!(
                    "/api/v1/persons/{}",
                    members[0]["person_id"].as_str().unwrap()
                ),
                &cj,
            )
            .await;
        let (elder, child) = if p0["relation"] == "self" {
            (members[0].clone(), members[1].clone())
        } else {
            (members[1].clone(), members[0].clone())
        };
        // another town cannot touch the case
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{case_id}/events"),
                Some(&nz),
                Some(json!({"kind": "review", "on": "2020-12-01"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // the employed child's wage rises to 3000: per capita (400 + 2800) / 2 = 1600 ≥ S → 渐退 at the last amount for 6 months
        let (s, v) = t
        .api(Method::POST, &format!("/api/v1/cases/{case_id}/events"), Some(&cj), Some(json!({"kind": "employment", "person_id": child["person_id"], "on": "2020-11-20", "monthly_wage": "3000"})))
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["outcome"], "phase_out");
        assert_eq!(v["effective_month"], "2020-12");
        assert_eq!(v["new_amount"], 110000);
        assert!(
            v["letter"].as_str().unwrap().contains("渐退")
                && v["letter"].as_str().unwrap().contains("2021-06"),
            "{v}"
        );
        // rolls: paid at 1100 for Dec–May, nothing from June 2021
        for (m, lines) in [("2020-12", 1), ("2021-05", 1), ("2021-06", 0)] {
            let (_, r) = t
                .api(
                    Method::POST,
                    "/api/v1/payments/rolls",
                    Some(&city),
                    Some(json!({"month": m})),
                )
                .await;
            assert_eq!(r["lines"], lines, "{m}: {r}");
            if lines == 1 {
                assert_eq!(r["total"], 110000, "{m}");
            }
        }
        // a case being phased out is still a case: a review reaches it (DOMAIN §4.12)
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{case_id}/events"),
                Some(&cj),
                Some(json!({"kind": "review"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);

        // a second household: the elder dies → the household of one is re-assessed, and a review is due within 3 months
        let _ = elder;
        approved_case(&t, &cj, &city).await;
        let (_, v) = t.get("/api/v1/cases?status=active", &cj).await;
        let c2 = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] != case_id.as_str())
            .unwrap()
            .clone();
        let c2_id = c2["id"].as_str().unwrap().to_string();
        let mut elder2 = None;
        for m in c2["members"].as_array().unwrap() {
            let (_, p) = t
                .get(
                    &format!("/api/v1/persons/{}", m["person_id"].as_str().unwrap()),
                    &cj,
                )
                .await;
            if p["relation"] == "self" {
                elder2 = Some(m["person_id"].as_str().unwrap().to_string());
            }
        }
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{c2_id}/events"),
                Some(&cj),
                Some(json!({"kind": "death", "person_id": elder2, "on": "2020-11-10"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // the child alone: wage 900 − 200 = 700 → 1000 − 700 = 300
        assert_eq!(v["outcome"], "adjust");
        assert_eq!(v["new_amount"], 30000);
        assert!(v["letter"].as_str().unwrap().contains("300.00"));
        let (_, p) = t
            .get(&format!("/api/v1/persons/{}", elder2.unwrap()), &cj)
            .await;
        assert_eq!(p["status"], "deceased", "the registry follows the event");
        // a death forces a review within 3 months (by 10 Feb 2021) unless one is due sooner: this household has a
        // working member in a community, so its monthly review (26 Nov 2020) comes first. In 澄江's list, not 南闸's.
        let (_, v) = t.get("/api/v1/reviews?days=100000", &cj).await;
        let item = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["case_id"] == c2_id.as_str())
            .unwrap();
        let expected = if t
            .app
            .areas()
            .full_name(item["area_code"].as_str().unwrap())
            .contains("社区")
        {
            "2020-11-26"
        } else {
            "2021-01-26"
        };
        assert_eq!(item["review_due_on"], expected);
        assert_eq!(item["overdue"], true);
        // the counts per village cover every review due and add up to the total
        let per: i64 = v["per_area"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].as_i64().unwrap())
            .sum();
        assert_eq!(per, v["total"].as_i64().unwrap());
        assert_eq!(
            v["total"].as_i64().unwrap(),
            v["items"].as_array().unwrap().len() as i64
        );
        let (_, v) = t.get("/api/v1/reviews?days=100000", &nz).await;
        assert_eq!(v["items"], json!([]));
        // a review on the same household changes nothing and moves the next review out
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{c2_id}/events"),
                Some(&cj),
                Some(json!({"kind": "review", "on": "2020-12-15"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["outcome"], "continue");
        let (_, v) = t.get(&format!("/api/v1/cases/{c2_id}/changes"), &cj).await;
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'case.change'")
                .await,
            4,
            "employment, the review in 渐退, the death, this review"
        );
        // stopping needs a reason, and the household gets a letter too
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{c2_id}/stop"),
                Some(&cj),
                Some(json!({"from_month": "2021-03", "reason": ""})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "reason");
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/cases/{c2_id}/stop"),
                Some(&cj),
                Some(json!({"from_month": "2021-03", "reason": "户籍迁出本市，不再符合条件"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, v) = t.get(&format!("/api/v1/cases/{c2_id}/changes"), &cj).await;
        let last = v.as_array().unwrap().last().unwrap();
        assert_eq!(last["outcome"], "stop");
        assert!(
            last["letter"].as_str().unwrap().contains("2021-03 起停发"),
            "{last}"
        );
    }
);

db_test!(
    temporary_assistance_limits_and_batches,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("city", "city_officer", "320281").await;
        let (cj, nz, city) = (
            t.token("cj").await,
            t.token("nz").await,
            t.token("city").await,
        );
        approved_case(&t, &cj, &city).await;
        let (_, v) = t.get("/api/v1/cases?status=active", &cj).await;
        let person = v["items"][0]["members"][0]["person_id"]
            .as_str()
            .unwrap()
            .to_string();
        let grant =
            |amount: &str| json!({"person_id": person, "amount": amount, "reason": "突发重病住院"});
        // up to 3·S = 3000: the town grants at once
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&cj),
                Some(grant("3000")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "approved");
        assert_eq!(v["level"], "town");
        // above it the city decides
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&cj),
                Some(grant("3000.01")),
            )
            .await;
        assert_eq!(v["status"], "pending_city");
        let id = v["id"].as_str().unwrap().to_string();
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/temporary/{id}/decision"),
                Some(&cj),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/temporary/{id}/decision"),
                Some(&city),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "approved");
        // never above 12·S
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&cj),
                Some(grant("12000.01")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "amount");
        // another town cannot grant to this person
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary",
                Some(&nz),
                Some(grant("100")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "person_id");
        // an epidemic subsidy to every dibao household of 澄江街道; a second run adds nothing
        let batch = json!({"towns": ["320281001"], "category": "dibao", "amount": "500", "reason": "疫情防控期间临时生活补贴", "batch": "2020-疫情-1"});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary/batches",
                Some(&city),
                Some(batch.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["households"], 1);
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/temporary/batches",
                Some(&city),
                Some(batch),
            )
            .await;
        assert_eq!(v["households"], 0);
        let (_, v) = t.api(Method::POST, "/api/v1/temporary/batches", Some(&city), Some(json!({"towns": ["320281004"], "category": "dibao", "amount": "500", "reason": "疫情补贴", "batch": "2020-疫情-2"}))).await;
        assert_eq!(v["households"], 0, "no dibao household in 南闸");
        let (_, v) = t.get("/api/v1/temporary", &nz).await;
        assert_eq!(v["total"], 0);
        let (_, v) = t.get("/api/v1/temporary?status=approved", &cj).await;
        assert_eq!(v["total"], 3);
    }
);

db_test!(missing_materials_are_told_once, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("city", "city_officer", "320281").await;
    let cj = t.token("cj").await;
    let city = t.token("city").await;
    let (hh, applicant, household) = household(&t, &cj).await;
    let req = json!({"category": "dibao", "household_id": hh, "applicant_id": applicant, "authorisation_on": "2020-06-01",
                     "bank_account": "6228480000000000001", "household": household, "applied_on": "2020-06-01"});
    let (_, v) = t
        .api(Method::POST, "/api/v1/applications", Some(&cj), Some(req))
        .await;
    let id = v["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/applications/{id}/missing-materials");
    let (s, _) = t
        .api(
            Method::POST,
            &path,
            Some(&city),
            Some(json!({"items": ["户口簿复印件"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the town tells, not the city");
    let (s, v) = t
        .api(
            Method::POST,
            &path,
            Some(&cj),
            Some(json!({"items": ["  ", ""]})),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("items"))
    );
    let (s, v) = t
        .api(
            Method::POST,
            &path,
            Some(&cj),
            Some(json!({"items": ["户口簿复印件", "残疾人证复印件"], "on": "2020-06-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["action"], "missing_notice");
    // once: a second notice is refused
    let (s, v) = t
        .api(
            Method::POST,
            &path,
            Some(&cj),
            Some(json!({"items": ["结婚证"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // the printable notice lists every item
    let session = t.login_browser("cj").await;
    let (s, _, body) = t
        .page(&session, &format!("/assistance/applications/{id}/notice"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("<li>户口簿复印件</li>") && html.contains("<li>残疾人证复印件</li>"),
        "{html}"
    );
    // after acceptance there is nothing more to tell
    let (s, v) = step(
        &t,
        &cj,
        &id,
        json!({"action": "accept", "on": "2020-06-03"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(t.scalar(&format!("SELECT COUNT(*) FROM application_events WHERE application_id = '{id}' AND action = 'missing_notice'")).await, 1);
});
