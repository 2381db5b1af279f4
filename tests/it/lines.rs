//! The lines registered on the line registry: the organisation registry, elderly care and children's welfare,
//! through their API contracts (LINES-API.md) and pages, on SQLite and PostgreSQL.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn code(first17: &str) -> String {
    format!("{first17}{}", minzheng_domain::orgs::check_char(first17))
}

fn full_items() -> Value {
    let mut items = serde_json::Map::new();
    for (c, _, max) in minzheng_domain::elderly::ITEMS {
        items.insert((*c).into(), json!(max));
    }
    Value::Object(items)
}

db_test!(
    capability_score_and_child_classification_as_contracted,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("wg", "village_worker", "320281001001").await;
        let wg = t.token("wg").await;
        let admin = t.token("admin").await;
        let body = json!({"items": full_items(), "coma": false, "dementia_or_mental_disorder": false, "care_risk_events_30d": 0});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/capability/score",
                Some(&wg),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            json!({"total": 90, "domains": {"self_care": 32, "mobility": 15, "mental": 28, "perception_social": 15},
                   "base_level": 0, "level": 0, "level_name": "能力完好", "adjustments": []})
        );
        // dementia and two falls: one level worse, both listed
        let mut worse = body.clone();
        worse["dementia_or_mental_disorder"] = json!(true);
        worse["care_risk_events_30d"] = json!(2);
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/capability/score",
                Some(&wg),
                Some(worse),
            )
            .await;
        assert_eq!(v["level"], 1);
        assert_eq!(
            v["adjustments"],
            json!(["DEMENTIA_OR_MENTAL_DISORDER", "CARE_RISK_EVENTS"])
        );
        // a missing item is a 422 naming it; bad JSON a 400; no credentials a 401; the administrator is no business role
        let mut missing = body.clone();
        missing["items"].as_object_mut().unwrap().remove("B.2.4");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/capability/score",
                Some(&wg),
                Some(missing),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "items.B.2.4");
        let (s, _, _) = t
            .send(
                axum::http::Request::post("/api/v1/elderly/capability/score")
                    .header("authorization", format!("Bearer {wg}"))
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from("{\"items\":"))
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/elderly/capability/score",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/elderly/capability/score",
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // LINES-API §2's example: father in custody 3 years, mother dead → 事实无人抚养儿童
        let child = minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            chrono::NaiveDate::from_ymd_opt(2012, 1, 15).unwrap(),
            21,
        )
        .to_string();
        let req = json!({"as_of": "2021-03-01", "child": {"id_number": child, "in_full_time_education": false},
            "parents": [{"role": "father", "situations": [{"kind": "custody", "since": "2020-01-10", "until": "2023-01-09"}]},
                        {"role": "mother", "situations": [{"kind": "dead", "since": "2018-05-01"}]}]});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/children/classify",
                Some(&wg),
                Some(req.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            json!({"age": 9, "category": "de_facto_unsupported", "reasons": [
                {"code": "PARENT_UNABLE", "parent": "father"}, {"code": "PARENT_GONE", "parent": "mother"}]})
        );
        let mut one_parent = req;
        one_parent["parents"].as_array_mut().unwrap().pop();
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/children/classify",
                Some(&wg),
                Some(one_parent),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "parents");
        // both are documented, from the routes themselves
        let (_, o) = t.api(Method::GET, "/api/openapi.json", None, None).await;
        for path in [
            "/api/v1/elderly/capability/score",
            "/api/v1/children/classify",
            "/api/v1/organisations",
            "/api/v1/organisations/{id}",
        ] {
            assert!(o["paths"][path].is_object(), "{path} documented");
        }
    }
);

db_test!(
    organisations_are_registered_with_a_valid_code_and_scoped,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("leader", "leader", "320281").await;
        let (cj, nz, leader) = (
            t.token("cj").await,
            t.token("nz").await,
            t.token("leader").await,
        );
        let good = code("52320281MJ5733432");
        let body = json!({"name": "澄江街道颐养院", "credit_code": good.to_lowercase(), "kind": "elderly_institution",
                          "area_code": "320281001", "legal_rep": "王建国", "authority": "江阴市民政局"});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&cj),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["credit_code"], good.as_str(), "stored upper case");
        let id = v["id"].as_str().unwrap().to_string();
        // the same code again, a wrong check character, an unknown kind, another town's area
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&cj),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let mut bad = body.clone();
        let wrong = if good.ends_with('0') { '1' } else { '0' };
        bad["credit_code"] = json!(format!("{}{wrong}", &good[..17]));
        let (s, v) = t
            .api(Method::POST, "/api/v1/organisations", Some(&cj), Some(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "credit_code");
        assert!(v["error"].as_str().unwrap().contains("校验"), "{v}");
        let mut bad = body.clone();
        bad["kind"] = json!("nonsense");
        let (s, v) = t
            .api(Method::POST, "/api/v1/organisations", Some(&cj), Some(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "kind");
        let mut bad = body.clone();
        bad["area_code"] = json!("320281004");
        bad["credit_code"] = json!(code("52320281MJ5733433"));
        let (s, v) = t
            .api(Method::POST, "/api/v1/organisations", Some(&cj), Some(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "area_code");
        // scoped lists, search by name and by code
        let (_, v) = t
            .get("/api/v1/organisations?kind=elderly_institution", &cj)
            .await;
        assert_eq!(v["total"], 1);
        let (_, v) = t.get("/api/v1/organisations", &nz).await;
        assert_eq!(v["total"], 0);
        let (s, _) = t.get(&format!("/api/v1/organisations/{id}"), &nz).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = t.get("/api/v1/organisations?q=颐养", &leader).await;
        assert_eq!(v["total"], 1);
        let (_, v) = t
            .get(&format!("/api/v1/organisations?q={}", good), &leader)
            .await;
        assert_eq!(v["total"], 1);
        // the leader reads but never writes
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&leader),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // a change is kept in the history and audited
        let mut changed = body.clone();
        changed["name"] = json!("澄江街道颐养院（公建民营）");
        let (s, v) = t
            .api(
                Method::PUT,
                &format!("/api/v1/organisations/{id}"),
                Some(&cj),
                Some(changed),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, h) = t
            .get(&format!("/api/v1/organisations/{id}/history"), &cj)
            .await;
        assert_eq!(h.as_array().unwrap().len(), 2);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'organisation.%'")
                .await,
            2
        );
    }
);

db_test!(
    the_lines_pages_answer_and_menus_follow_permissions,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let cj = t.login_browser("cj").await;
        let admin = t.login_browser("admin").await;
        for path in [
            "/organisations",
            "/elderly/capability",
            "/children/classify",
        ] {
            let (s, _, html) = t.page(&cj, path).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            let html = String::from_utf8(html).unwrap();
            assert!(
                html.contains(&format!("href=\"{path}\"")),
                "{path} in the menu"
            );
        }
        let (_, _, html) = t.page(&admin, "/").await;
        let html = String::from_utf8(html).unwrap();
        assert!(!html.contains("href=\"/children/classify\""));
        // the form keeps what was typed after an error, and scores like the API
        let mut form = format!("csrf={}", cj.csrf);
        for (c, _, max) in minzheng_domain::elderly::ITEMS {
            form.push_str(&format!("&{}={}", common::enc(c), max));
        }
        form.push_str("&coma=on");
        let (s, _, html) = t.post_form(&cj, "/elderly/capability", &form).await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("能力完全丧失"), "coma → level 4");
        let (s, _, html) = t
            .post_form(
                &cj,
                "/organisations",
                &format!(
                    "csrf={}&name=%E6%B5%8B%E8%AF%95%E5%8A%A9%E9%A4%90%E7%82%B9&credit_code=BAD&kind=meal_point&area_code=320281001",
                    cj.csrf
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("form-error"));
        assert!(
            html.contains("value=\"测试助餐点\""),
            "the name typed is kept"
        );
    }
);

db_test!(
    plan_indicators_are_computed_from_the_lines_records,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("city", "city_officer", "320281").await;
        let (cj, city) = (t.token("cj").await, t.token("city").await);
        let current = |v: &Value, id: &str| {
            v["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == id)
                .map(|i| i["current"].clone())
                .unwrap_or(Value::Null)
        };
        let (s, v) = t.get("/api/v1/targets?year=2020", &cj).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(current(&v, "T20.1"), "0", "{v}");
        assert_eq!(current(&v, "T25.1"), "0");
        // a 关爱之家 in 澄江街道: the town is covered; the city counts 1 of its 21 towns
        let first = "52320281MJ0000777";
        let (s, o) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&cj),
                Some(json!({"name": "澄江街道关爱之家", "credit_code": code(first), "kind": "children_care_home", "area_code": "320281001"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let (_, v) = t.get("/api/v1/targets?year=2020", &cj).await;
        assert_eq!(current(&v, "T20.1"), "100", "{v}");
        let (_, v) = t.get("/api/v1/targets?year=2020", &city).await;
        let towns = t.app.areas().children("320281").len() as f64;
        let shown: f64 = current(&v, "T20.1").as_str().unwrap().parse().unwrap();
        assert!(
            (shown - 100.0 / towns).abs() < 0.01,
            "{shown} of {towns} towns"
        );
        // T20.2: a 儿童服务站 in one village of 澄江 covers that village of the town's, counted here
        assert_eq!(current(&v, "T20.2"), "0", "{v}");
        let village = t.app.areas().children("320281001")[0].code.clone();
        let villages = t.app.areas().children("320281001").len() as i64;
        let (s, o) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&cj),
                Some(json!({"name": "文定社区儿童服务站", "credit_code": code("52320281MJ0000778"), "kind": "children_service_station", "area_code": village})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let (_, v) = t.get("/api/v1/targets?year=2020", &cj).await;
        let want = minzheng_domain::targets::percent_2dp(1, villages).unwrap();
        let shown: f64 = current(&v, "T20.2").as_str().unwrap().parse().unwrap();
        assert!(
            (shown - want.parse::<f64>().unwrap()).abs() < 1e-9,
            "{shown} of {villages} villages"
        );
    }
);

db_test!(
    a_recorded_assessment_is_the_persons_latest_level,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        let (cj, nz) = (t.token("cj").await, t.token("nz").await);
        let village = t.app.areas().children("320281001")[0].code.clone();
        let (_, h) = t
            .api(
                Method::POST,
                "/api/v1/households",
                Some(&cj),
                Some(json!({"area_code": village, "address": "评估路2号"})),
            )
            .await;
        let idn = minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            chrono::NaiveDate::from_ymd_opt(1938, 4, 4).unwrap(),
            71,
        )
        .to_string();
        let (s, p) = t
            .api(
                Method::POST,
                "/api/v1/persons",
                Some(&cj),
                Some(json!({"id_number": idn, "name": "评老伯", "area_code": village, "household_id": h["id"], "relation": "self"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let pid = p["id"].as_str().unwrap().to_string();
        let body = json!({"person_id": pid, "assessed_on": "2020-06-01", "reason": "first", "assessors": ["张评估", "李评估"],
                          "capability": {"items": full_items(), "coma": false, "dementia_or_mental_disorder": false, "care_risk_events_30d": 0}});
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/assessments",
                Some(&nz),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "another town's person: {v}"
        );
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/assessments",
                Some(&cj),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = t.get(&format!("/api/v1/persons/{pid}"), &cj).await;
        let c = v["capability"].as_str().unwrap();
        assert!(
            c.starts_with("能力完好") && c.contains("2020-06-01") && c.contains("2021-06-01"),
            "{c}"
        );

        // a care-risk event after the assessment makes the next one due at once (即时评估)
        let due = |by: &'static str| {
            let (t, cj) = (&t, cj.clone());
            async move {
                let (_, v) = t
                    .get(&format!("/api/v1/elderly/assessments/due?by={by}"), &cj)
                    .await;
                v.as_array().unwrap().len()
            }
        };
        assert_eq!(due("2020-09-30").await, 0, "routine: due in June 2021");
        let event = |body: Value| {
            let (t, tok, pid) = (&t, cj.clone(), pid.clone());
            async move {
                t.api(
                    Method::POST,
                    &format!("/api/v1/elderly/persons/{pid}/care-risk-events"),
                    Some(&tok),
                    Some(body),
                )
                .await
            }
        };
        // one before the assessment changes nothing
        let (s, v) = event(json!({"occurred_on": "2020-05-20", "kind": "fall"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["next_due_on"], "2021-06-01");
        let (s, v) = event(
            json!({"occurred_on": "2020-09-10", "kind": "choking", "note": "进食时噎食，已送医"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["next_due_on"], "2020-09-10");
        assert_eq!(v["kind_label"], "噎食");
        assert_eq!(due("2020-09-30").await, 1);
        // refused: an unknown kind, a day to come, another town's officer
        let (s, v) = event(json!({"occurred_on": "2020-09-11", "kind": "nonsense"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "kind");
        let (s, v) = event(json!({"occurred_on": "2999-01-01", "kind": "fall"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "occurred_on");
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/elderly/persons/{pid}/care-risk-events"),
                Some(&nz),
                Some(json!({"occurred_on": "2020-09-11", "kind": "fall"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'elderly.care_risk'")
                .await,
            2
        );
    }
);
