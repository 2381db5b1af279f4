//! The assistance workflow as a fixture: a desk of officers, a qualifying household, and `drive_to(step)` instead of
//! the repeated walks through the steps.

use super::TestApp;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Desk {
    pub town: String,
    pub city: String,
    pub city2: String,
}

pub async fn desk(t: &TestApp) -> Desk {
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("city", "city_officer", "320281").await;
    t.add_user("city2", "city_officer", "320281").await;
    Desk {
        town: t.token("cj").await,
        city: t.token("city").await,
        city2: t.token("city2").await,
    }
}

/// A two-member registry household of 澄江街道 that qualifies for dibao (1100.00 a month), and its intake body.
pub async fn household(t: &TestApp, tok: &str) -> (String, String, Vec<String>, Value) {
    household_born(t, tok, chrono::NaiveDate::from_ymd_opt(1948, 3, 3).unwrap()).await
}

/// As [`household`], the elder 顾老汉 born on `elder_born` (so a test can have him turn 70 in a given month).
pub async fn household_born(
    t: &TestApp,
    tok: &str,
    elder_born: chrono::NaiveDate,
) -> (String, String, Vec<String>, Value) {
    let village = t.app.areas().children("320281001")[0].code.clone();
    let (_, v) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(tok),
            Some(json!({"area_code": village, "address": "测试路8号"})),
        )
        .await;
    let hh = v["id"].as_str().unwrap().to_string();
    let n = t.scalar("SELECT COUNT(*) FROM persons").await as u16;
    let id = |y, m, d, seq| {
        minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            seq,
        )
        .to_string()
    };
    let a = minzheng_domain::idnumber::IdNumber::compose("320281", elder_born, 11 + n).to_string();
    let b = id(1985, 8, 8, 22 + n);
    let mut pids = vec![];
    for (idn, name, rel) in [(&a, "顾老汉", "self"), (&b, "顾小妹", "child")] {
        let (s, p) = t
            .api(
                Method::POST,
                "/api/v1/persons",
                Some(tok),
                Some(json!({"id_number": idn, "name": name, "area_code": village, "household_id": hh, "relation": rel})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        pids.push(p["id"].as_str().unwrap().to_string());
    }
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
    let body = json!({"category": "dibao", "household_id": hh, "applicant_id": pids[0], "authorisation_on": "2020-09-25",
                      "bank_account": "6228480000000000001", "household": household, "applied_on": "2020-09-25"});
    (hh, a, pids, body)
}

pub async fn step(t: &TestApp, tok: &str, id: &str, body: Value) -> (StatusCode, Value) {
    t.api(
        Method::POST,
        &format!("/api/v1/applications/{id}/actions"),
        Some(tok),
        Some(body),
    )
    .await
}

/// Takes an application through every step up to (not including) `until`, asserting each one passes.
pub async fn drive_to(t: &TestApp, d: &Desk, id: &str, until: &str) {
    let steps: [(&str, bool, Value); 7] = [
        (
            "accept",
            false,
            json!({"action": "accept", "on": "2020-09-28"}),
        ),
        (
            "visit",
            false,
            json!({"action": "visit", "on": "2020-09-29", "staff": ["王芳", "李强"]}),
        ),
        (
            "check",
            false,
            json!({"action": "check", "on": "2020-09-30"}),
        ),
        (
            "community_review",
            false,
            json!({"action": "community_review", "on": "2020-10-09", "participants": 9, "representatives": 6, "in_favour": 9}),
        ),
        (
            "town_approve",
            false,
            json!({"action": "town_approve", "on": "2020-10-12"}),
        ),
        (
            "town_publicity_end",
            false,
            json!({"action": "town_publicity_end", "on": "2020-10-19"}),
        ),
        (
            "city_approve",
            true,
            json!({"action": "city_approve", "on": "2020-10-20"}),
        ),
    ];
    for (code, city, body) in steps {
        if code == until {
            return;
        }
        if code == "city_approve" {
            let (_, v) = t.get(&format!("/api/v1/applications/{id}"), &d.city).await;
            if v["spot_check_required"] == true {
                let (s, v) = step(t, &d.city, id, json!({"action": "spot_check", "on": "2020-10-20", "staff": ["市局甲", "市局乙"]})).await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
        }
        let tok = if city { &d.city } else { &d.town };
        let (s, v) = step(t, tok, id, body).await;
        assert_eq!(s, StatusCode::OK, "{code}: {v}");
    }
    assert_eq!(until, "decide");
}

pub async fn file(t: &TestApp, d: &Desk, body: &Value) -> (StatusCode, Value) {
    t.api(
        Method::POST,
        "/api/v1/applications",
        Some(&d.town),
        Some(body.clone()),
    )
    .await
}

pub async fn approved(t: &TestApp, d: &Desk) -> (String, Vec<String>, Value) {
    approved_born(t, d, chrono::NaiveDate::from_ymd_opt(1948, 3, 3).unwrap()).await
}

/// As [`approved`], the elder born on `elder_born`.
pub async fn approved_born(
    t: &TestApp,
    d: &Desk,
    elder_born: chrono::NaiveDate,
) -> (String, Vec<String>, Value) {
    let (hh, _, pids, body) = household_born(t, &d.town, elder_born).await;
    let (s, v) = file(t, d, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    drive_to(t, d, &id, "decide").await;
    let (s, v) = step(
        t,
        &d.city,
        &id,
        json!({"action": "decide", "on": "2020-10-27"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (hh, pids, body)
}
