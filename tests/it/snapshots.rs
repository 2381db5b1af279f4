//! Snapshots (insta) of representative API answers, the same file for SQLite and PostgreSQL: the contracts other
//! systems call (ASSESSMENT-API, LINES-API §1–§3), an application and its case as the API shows them, the error
//! shapes, and the list of documented routes. A changed answer fails here and shows the difference; accept a
//! deliberate change with `cargo insta review` (or `INSTA_UPDATE=always`). Keys and times differ on every run and
//! are written as [uuid], [time] and [sha256].

use crate::common;

use crate::common::workflow::{approved, desk};
use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// The answer with what changes on every run replaced: UUIDs, timestamps and tokens.
fn stable(v: Value) -> Value {
    match v {
        Value::String(s) => {
            if uuid::Uuid::parse_str(&s).is_ok() {
                json!("[uuid]")
            } else if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                // a digest of something secret (the spot check's seed)
                json!("[sha256]")
            } else if s.starts_with('{')
                && let Ok(inner) = serde_json::from_str::<Value>(&s)
            {
                // a stored JSON document (an event's data): stabilised inside
                stable(inner)
            } else if chrono::DateTime::parse_from_rfc3339(&s).is_ok() {
                json!("[time]")
            } else {
                Value::String(s)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(stable).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, stable(v))).collect()),
        v => v,
    }
}

fn idn(birth: (i32, u32, u32), seq: u16) -> String {
    minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        seq,
    )
    .to_string()
}

db_test!(the_contracts_answer_as_recorded, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    // ASSESSMENT-API: an elderly couple, one with a pension and a disability, one car
    let member = |id: String, relation: &str, pension: &str, disability: Value| {
        json!({"id_number": id, "relation": relation, "status": "normal", "employed": false,
            "disability": disability, "serious_illness": false, "self_care_unmet": 0, "has_capable_supporter": false,
            "public_payroll": false, "monthly_income": {"wage": "0", "business": "0", "property": "0",
            "transfer": "0", "basic_pension": pension, "excluded": "0"}})
    };
    let body = json!({"as_of": "2020-06-15", "household": {"area_code": "320281001001",
        "members": [member(idn((1950, 1, 1), 11), "self", "300", Value::Null),
                    member(idn((1952, 2, 2), 12), "spouse", "0", json!({"grade": 2, "kind": "limb"}))],
        "assets": {"financial": "20000", "vehicles": [{"kind": "car", "value": "30000"}], "residential_properties": 1,
                   "commercial_properties": 0, "enterprise_roles": 0},
        "annual_rigid_expenditure": "0"}});
    let (s, v) = t
        .api(Method::POST, "/api/v1/assessments", Some(&cj), Some(body))
        .await;
    insta::assert_json_snapshot!(
        "assessment",
        json!({"status": s.as_u16(), "body": stable(v)})
    );

    // LINES-API §1: one point short in every domain
    let mut items = serde_json::Map::new();
    for (c, _, max) in minzheng_domain::elderly::ITEMS {
        items.insert((*c).into(), json!(max.saturating_sub(1)));
    }
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/elderly/capability/score",
            Some(&cj),
            Some(json!({"items": items, "coma": false, "dementia_or_mental_disorder": true, "care_risk_events_30d": 1})),
        )
        .await;
    insta::assert_json_snapshot!(
        "capability_score",
        json!({"status": s.as_u16(), "body": stable(v)})
    );

    // LINES-API §2: a child whose parents are both in custody
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/children/classify",
            Some(&cj),
            Some(json!({"as_of": "2021-03-01",
                "child": {"id_number": idn((2013, 4, 5), 31), "in_full_time_education": false},
                "parents": [{"role": "father", "situations": [{"kind": "custody", "since": "2019-01-10", "until": "2025-01-09"}]},
                            {"role": "mother", "situations": [{"kind": "missing", "since": "2019-06-01"}]}]})),
        )
        .await;
    insta::assert_json_snapshot!(
        "children_classify",
        json!({"status": s.as_u16(), "body": stable(v)})
    );

    // LINES-API §3: an organisation as stored (its code upper-cased), and a wrong check character
    let first17 = "52320281MJ5733432";
    let code = format!("{first17}{}", minzheng_domain::orgs::check_char(first17));
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/organisations",
            Some(&cj),
            Some(json!({"name": "澄江街道颐养院", "credit_code": code.to_lowercase(), "kind": "elderly_institution",
                        "area_code": "320281001", "legal_rep": "王建国", "authority": "江阴市民政局"})),
        )
        .await;
    insta::assert_json_snapshot!(
        "organisation_created",
        json!({"status": s.as_u16(), "body": stable(v)})
    );
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/organisations",
            Some(&cj),
            Some(json!({"name": "某社会组织", "credit_code": format!("{first17}#"), "kind": "social_group", "area_code": "320281001"})),
        )
        .await;
    insta::assert_json_snapshot!(
        "organisation_refused",
        json!({"status": s.as_u16(), "body": stable(v)})
    );

    // the error shapes: a bad identity number, a wrong JSON type, no credentials
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(&cj),
            Some(json!({"id_number": "320281195001010000", "name": "张三", "area_code": "320281001001"})),
        )
        .await;
    let (s2, v2) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(&cj),
            Some(json!({"id_number": 5, "name": "张三", "area_code": "320281001001"})),
        )
        .await;
    let (s3, v3) = t.api(Method::GET, "/api/v1/persons?q=张", None, None).await;
    insta::assert_json_snapshot!(
        "errors",
        json!([{"status": s.as_u16(), "body": v}, {"status": s2.as_u16(), "body": v2}, {"status": s3.as_u16(), "body": v3}])
    );
});

db_test!(
    an_approved_application_and_its_case,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, pids, _) = approved(&t, &d).await;
        let (_, list) = t.get("/api/v1/applications?status=all", &d.city).await;
        let id = list["items"][0]["id"].as_str().unwrap().to_string();
        let (s, v) = t.get(&format!("/api/v1/applications/{id}"), &d.city).await;
        assert_eq!(s, StatusCode::OK);
        insta::assert_json_snapshot!("application_approved", stable(v));
        let (_, cases) = t.get("/api/v1/cases", &d.city).await;
        insta::assert_json_snapshot!("cases_list", stable(cases));
        assert_eq!(pids.len(), 2);
    }
);

/// Every documented route, method and path: a route added, removed or renamed shows here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_routes() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (_, o) = t.api(Method::GET, "/api/openapi.json", None, None).await;
    let mut routes: Vec<String> = o["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    routes.sort();
    insta::assert_snapshot!("routes", routes.join("\n"));
}
