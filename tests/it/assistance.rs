//! Assistance: the assessment API contract, standards with history and natural growth, the self-check page.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn member(id: &str, relation: &str) -> Value {
    json!({
        "id_number": id, "relation": relation, "status": "normal", "employed": false, "disability": null,
        "serious_illness": false, "self_care_unmet": 0, "has_capable_supporter": false, "public_payroll": false,
        "monthly_income": {"wage": "0", "business": "0", "property": "0", "transfer": "0", "basic_pension": "0", "excluded": "0"}
    })
}

fn household(as_of: &str, members: Vec<Value>) -> Value {
    json!({
        "as_of": as_of,
        "household": {
            "area_code": "320281001001",
            "members": members,
            "assets": {"financial": "0", "vehicles": [], "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0},
            "annual_rigid_expenditure": "0"
        }
    })
}

fn id(addr: &str, birth: &str, seq: u16) -> String {
    minzheng_domain::idnumber::IdNumber::compose(
        addr,
        chrono::NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap(),
        seq,
    )
    .to_string()
}

db_test!(assessment_contract, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let tok = t.token("cj").await;
    let elder = id("320281", "1950-01-01", 1);
    let body = household("2020-06-15", vec![member(&elder, "self")]);
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/assessments",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // JSON that does not parse
    let (s, _, _) = t
        .send(
            axum::http::Request::post("/api/v1/assessments")
                .header("authorization", format!("Bearer {tok}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{\"as_of\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // a lone 70-year-old with a limb disability grade 2, no supporter, no income: tekun 1500 + care 200
    let mut lone = body.clone();
    lone["household"]["members"][0]["disability"] = json!({"kind": "limb", "grade": 2});
    let (s, v) = t
        .api(Method::POST, "/api/v1/assessments", Some(&tok), Some(lone))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["best"], "tekun");
    assert_eq!(
        v["standard"],
        json!({"dibao": "1000.00", "tekun_basic": "1500.00"})
    );
    assert_eq!(v["members_counted"], 1);
    assert_eq!(v["per_capita_monthly_income"], "0.00");
    let tekun = v["eligible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "tekun")
        .unwrap();
    assert_eq!(tekun["monthly_amount"], "1700.00");
    assert_eq!(tekun["members_covered"], 1);
    // a car disqualifies, with the reason named in Chinese
    let mut car = body.clone();
    car["household"]["assets"]["vehicles"] = json!([{"kind": "car"}]);
    let (_, v) = t
        .api(Method::POST, "/api/v1/assessments", Some(&tok), Some(car))
        .await;
    assert_eq!(v["best"], Value::Null);
    let dibao = v["not_eligible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "dibao")
        .unwrap();
    assert!(
        dibao["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "VEHICLE" && r["message"].as_str().unwrap().contains("机动车"))
    );
    // a couple: S=1000, incomes 300 + 500 → per capita 400 → (1000-400)×2 = 1200; the 70-year-old adds 20 % of S
    let spouse = id("320281", "1980-05-05", 2);
    let mut a = member(&elder, "self");
    a["monthly_income"]["transfer"] = json!("300");
    let mut bm = member(&spouse, "spouse");
    bm["monthly_income"]["business"] = json!("500");
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/assessments",
            Some(&tok),
            Some(household("2020-06-15", vec![a, bm])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = v["eligible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "dibao")
        .unwrap();
    assert_eq!(d["monthly_amount"], "1400.00");
    assert_eq!(d["members_covered"], 2);
    assert_eq!(v["best"], "dibao");
    // 422 names the first bad field
    for (patch, field) in [
        (
            json!({"household": {"members": [member("32028119500101001X", "self")]}}),
            "household.members[0].id_number",
        ),
        (json!({"household": {"members": []}}), "household.members"),
        (
            json!({"household": {"area_code": "110105001001"}}),
            "household.area_code",
        ),
        (
            json!({"household": {"annual_rigid_expenditure": "-1"}}),
            "household.annual_rigid_expenditure",
        ),
        (
            json!({"household": {"annual_rigid_expenditure": "1.234"}}),
            "household.annual_rigid_expenditure",
        ),
    ] {
        let mut req = body.clone();
        for (k, v) in patch["household"].as_object().unwrap() {
            req["household"][k] = v.clone();
        }
        let (s, v) = t
            .api(Method::POST, "/api/v1/assessments", Some(&tok), Some(req))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], field, "{v}");
    }
});

db_test!(
    standards_history_and_natural_growth,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("city", "city_officer", "320281").await;
        t.add_user("city2", "city_officer", "320281").await;
        t.add_user("cj", "town_officer", "320281001").await;
        let city = t.token("city").await;
        let city2 = t.token("city2").await;
        let cj = t.token("cj").await;
        let (s, v) = t.get("/api/v1/standards", &city).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["standards"]["dibao"], "1000.00");
        let proposal =
            json!({"consumption_per_year": "35500", "percent": 35, "effective_month": "2021-01"});
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/standards/proposals",
                Some(&cj),
                Some(proposal.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t.api(Method::POST, "/api/v1/standards/proposals", Some(&city), Some(json!({"consumption_per_year": "35500", "percent": 45, "effective_month": "2021-01"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "percent");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/standards/proposals",
                Some(&city),
                Some(proposal),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // 35500 × 35 % / 12 = 1035.42 → rounded up to 5 yuan: 1040
        assert_eq!(v["standards"]["dibao"], "1040.00");
        assert_eq!(v["status"], "proposed");
        let pid = v["id"].as_str().unwrap().to_string();
        let elder = id("320281", "1950-01-01", 1);
        let req = |as_of: &str| household(as_of, vec![member(&elder, "self")]);
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/assessments",
                Some(&cj),
                Some(req("2021-03-01")),
            )
            .await;
        assert_eq!(
            v["standard"]["dibao"], "1000.00",
            "a proposal does not apply before approval"
        );
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/standards/{pid}/approve"),
                Some(&city2),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/standards/{pid}/approve"),
                Some(&city2),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/assessments",
                Some(&cj),
                Some(req("2021-03-01")),
            )
            .await;
        assert_eq!(v["standard"]["dibao"], "1040.00");
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/assessments",
                Some(&cj),
                Some(req("2020-12-31")),
            )
            .await;
        assert_eq!(
            v["standard"]["dibao"], "1000.00",
            "history: the old standard still applies to its months"
        );
        let (_, v) = t.get("/api/v1/standards", &city).await;
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'standards.%'")
                .await,
            2
        );
    }
);

db_test!(
    calendar_2020_ships_and_self_check_page,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let cal = minzheng::app::assistance::calendar::load(&t.app)
            .await
            .unwrap();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(
            cal.is_working_day(d("2020-01-19")),
            "make-up workday on a Sunday"
        );
        assert!(
            !cal.is_working_day(d("2020-01-31")),
            "epidemic extension of the Spring Festival"
        );
        assert_eq!(cal.add_working_days(d("2020-09-30"), 1), d("2020-10-09"));
        t.add_user("cj", "town_officer", "320281001").await;
        let s = t.login_browser("cj").await;
        let elder = id("320281", "1950-01-01", 1);
        let form = format!(
            "csrf={}&as_of=2020-06-15&area_code=320281001001&m0_id_number={elder}&m0_relation=self&m0_status=normal&m0_disability_kind=limb&m0_disability_grade=2&m0_self_care_unmet=0&m0_wage=0&m0_business=0&m0_property=0&m0_transfer=0&m0_basic_pension=0&m0_excluded=0&financial=0&cars=0&trucks=0&motorcycles=1&mobility=0&farm=0&residential=1&commercial=0&enterprise=0&rigid=0",
            s.csrf
        );
        let (st, _, body) = t.post_form(&s, "/assistance/self-check", &form).await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("id=\"best\">特困"),
            "{}",
            &html[..html.len().min(3000)]
        );
        assert!(html.contains("1700.00"));
        let bad = form.replace(&elder, "320281195001010011");
        let (_, _, body) = t.post_form(&s, "/assistance/self-check", &bad).await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("form-error") && html.contains("第1位成员"),
            "field named in Chinese"
        );
    }
);
