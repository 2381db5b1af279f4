//! 残疾人两项补贴 end to end on SQLite and PostgreSQL: a lead from the 残联's registry, filing without paper, the
//! 残联's check, the posting, the county's decision, payment in the monthly roll beside assistance, and the stop when
//! the household's dibao ends.

mod common;

use axum::http::{Method, StatusCode};
use common::workflow::*;
use common::{Backend, TestApp, load};
use serde_json::{Value, json};

async fn post(t: &TestApp, tok: &str, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, Some(tok), Some(body)).await
}

db_test!(
    a_disabled_dibao_member_is_found_filed_decided_paid_and_stopped,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        let (_, pids, body) = approved(&t, &d).await;
        let (applicant, daughter) = (&pids[0], &pids[1]);
        let daughter_idn = body["household"]["members"][1]["id_number"]
            .as_str()
            .unwrap()
            .to_string();
        // the 残联's registry: the daughter holds a grade-3 limb certificate
        let csv = format!("id_number,kind,grade,certified_on\n{daughter_idn},limb,3,2015-06-01\n");
        let (s, v) = load(
            &t,
            &d.city,
            "disability",
            "残联.csv",
            csv.as_bytes(),
            "2020-10-31",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // the lead is shown to her town, never to another
        let (s, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["person_id"], daughter.as_str());
        assert_eq!(v["items"][0]["programme"], "living");
        let (_, v) = t.get("/api/v1/disability/leads", &nz).await;
        assert_eq!(v["total"], 0, "{v}");

        // filed without paper: the grade and the household's category are read, not typed
        let grant = |person: &str, programme: &str| json!({"person_id": person, "programme": programme, "bank_account": "6228480000000000099", "filed_on": "2020-11-02"});
        let (s, g) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        assert_eq!(g["number"], "澄江残补-2020-0001");
        assert_eq!(g["stage"], "filed");
        assert_eq!(g["household_category"], "最低生活保障");
        assert!(g["disability"].as_str().unwrap().contains("肢体"), "{g}");
        assert!(
            g["disability_basis"].as_str().unwrap().contains("残联"),
            "{g}"
        );
        let account = g["bank_account"].as_str().unwrap();
        assert!(
            account.ends_with("0099") && account.contains('*'),
            "masked: {account}"
        );
        let id = g["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "no second grant: {v}");
        assert!(
            v["error"].as_str().unwrap().contains("澄江残补-2020-0001"),
            "{v}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "care"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "grade-3 limb has no care subsidy: {v}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(applicant, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("残疾人证"), "{v}");
        let (s, _) = post(
            &t,
            &nz,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "another town's person is not found"
        );
        let (_, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(v["total"], 0, "a filed lead is no longer a lead: {v}");
        let (s, _) = t
            .get(&format!("/api/v1/disability/subsidies/{id}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = t.get("/api/v1/disability/subsidies?q=%E9%A1%BE", &nz).await;
        assert_eq!(v["total"], 0);
        let (_, v) = t
            .get("/api/v1/disability/subsidies?stage=filed", &d.town)
            .await;
        assert_eq!(v["total"], 1);

        // the county's steps, in order, by its social affairs section
        let decision = |on: &str| json!({"approve": true, "on": on});
        let (s, _) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-12"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "the 残联 checks first");
        let (s, _) = post(
            &t,
            &d.town,
            &format!("/api/v1/disability/subsidies/{id}/check"),
            json!({"confirmed": true, "on": "2020-11-05"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the town does not record the 残联's answer"
        );
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/check"),
            json!({"confirmed": true, "on": "2020-11-05"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "checked");
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-08"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the village posting runs to 11-09: {v}"
        );
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-10"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no standard yet: {v}");
        assert!(v["error"].as_str().unwrap().contains("标准"), "{v}");
        let (s, v) = post(&t, &d.city, "/api/v1/disability/standards",
            json!({"tier": "standard", "effective_from": "2020-01", "monthly_amount": "120.00", "reason": "澄民发〔2020〕8号"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-10"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "approved");
        assert_eq!(v["start_month"], "2020-12");

        // paid in the roll beside assistance, from the month after the decision
        let roll = |m: &str| json!({"month": m});
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2020-11")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines WHERE programme = 'disability'")
                .await,
            0
        );
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2020-12")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                      WHERE r.month = '2020-12' AND l.programme = 'disability' AND l.category = 'disability_living'").await,
            12000
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '2020-12' AND l.programme = 'assistance'").await,
            1,
            "the household's dibao is paid too"
        );

        // the dibao ends: the next roll stops the living subsidy, with its reason
        let (_, cases) = t.get("/api/v1/cases", &d.town).await;
        assert_eq!(cases["total"], 1, "the one household's case: {cases}");
        let case = cases["items"][0]["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/cases/{case}/stop"),
            json!({"from_month": "2021-01", "reason": "家庭收入超过标准"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2021-01")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '2021-01'").await,
            0
        );
        let (_, v) = t
            .get(&format!("/api/v1/disability/subsidies/{id}"), &d.town)
            .await;
        assert_eq!(v["stage"], "stopped", "{v}");
        assert_eq!(v["end_month"], "2021-01");
        assert!(v["stop_reason"].as_str().unwrap().contains("低保"), "{v}");
        assert!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'disability.stop'")
                .await
                == 1
        );
    }
);

db_test!(
    only_the_social_affairs_section_decides_and_sets_standards,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let admin = t.token("admin").await;
        let (s, v) = post(
            &t,
            &admin,
            "/api/v1/users",
            json!({"username": "yl", "password": common::PASSWORD,
            "role": "city_officer", "area_code": "320281", "sections": ["elderly_care"]}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let yl = t.token("yl").await;
        let (s, v) = post(&t, &yl, "/api/v1/disability/standards",
            json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("社会事务科"), "{v}");
        let (s, v) = t.get("/api/v1/disability/standards", &yl).await;
        assert_eq!(s, StatusCode::OK, "every city officer reads: {v}");
        let (s, _) = t.get("/api/v1/disability/standards", &admin).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the account administrator reads no business data"
        );
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        for (body, field) in [
            (
                json!({"tier": "nonsense", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"}),
                "tier",
            ),
            (
                json!({"tier": "severe", "effective_from": "9999-12", "monthly_amount": "150.00", "reason": "文件"}),
                "effective_from",
            ),
            (
                json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "-1", "reason": "文件"}),
                "monthly_amount",
            ),
        ] {
            let (s, v) = post(&t, &city, "/api/v1/disability/standards", body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["field"], field);
        }
        let ok = json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"});
        let (s, _) = post(&t, &city, "/api/v1/disability/standards", ok.clone()).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = post(&t, &city, "/api/v1/disability/standards", ok).await;
        assert_eq!(s, StatusCode::CONFLICT, "one standard per tier and month");
        let (_, v) = t.get("/api/v1/disability/standards", &yl).await;
        assert_eq!(v[0]["monthly_amount"], "150.00");
        assert_eq!(v[0]["tier_label"], "一、二级护理补贴");
    }
);
