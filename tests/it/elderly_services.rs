//! Community elderly facilities and the services for poor elderly people on SQLite and PostgreSQL: the 标配 check's
//! result follows the checklist, meal coverage counts urban and rural communities apart, home care assistance goes
//! only to those the assistance data and the registry qualify, an adaptation needs a poor household with a member
//! in need and photos at acceptance, a family care bed needs an assessed loss of capability; the plan's indicators
//! are computed from these records within each viewer's scope, and another town sees none of them.

use crate::common;

use crate::common::{Backend, TestApp, workflow};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn credit(n: u32) -> String {
    let first = format!("52320281MJ{n:07}");
    format!("{first}{}", minzheng_domain::orgs::check_char(&first))
}

async fn org(t: &TestApp, tok: &str, name: &str, kind: &str, area: &str, n: u32) -> String {
    let (s, o) = t
        .api(
            Method::POST,
            "/api/v1/organisations",
            Some(tok),
            Some(json!({"name": name, "credit_code": credit(n), "kind": kind, "area_code": area, "registered_on": "2020-03-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["id"].as_str().unwrap().to_string()
}

async fn indicator(t: &TestApp, tok: &str, id: &str) -> Value {
    let (s, d) = t.get(&format!("/api/v1/targets/{id}?year=2020"), tok).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d
}

/// The figure as a number (the API writes 1, 50, 33.33 …); compared to 2 decimals.
/// part ÷ whole as a percentage cut to 2 decimals, as the platform shows it.
/// A percentage as every figure of the platform rounds it: half up, 2 decimals (counted here, not by the platform).
fn pct(part: i64, whole: i64) -> String {
    let bp = (part * 20_000 / whole + 1) / 2;
    format!("{}.{:02}", bp / 100, bp % 100)
}

fn current(d: &Value) -> Option<String> {
    d["indicator"]["current"]
        .as_str()
        .map(|c| format!("{:.2}", c.parse::<f64>().expect("a decimal")))
}

/// Items scoring `level` 3 (重度失能): self-care and mobility at 0, the rest at their maximum (90 − 47 = 43).
fn dependent_items() -> Value {
    let mut items = serde_json::Map::new();
    for (c, _, max) in minzheng_domain::elderly::ITEMS {
        let v = if c.starts_with("B.1.") || c.starts_with("B.2.") {
            0
        } else {
            *max
        };
        items.insert((*c).into(), json!(v));
    }
    Value::Object(items)
}

async fn assess(t: &TestApp, tok: &str, person: &str) {
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/elderly/assessments",
            Some(tok),
            Some(json!({"person_id": person, "assessed_on": "2020-05-01", "reason": "first", "assessors": ["张评估", "李评估"],
                        "capability": {"items": dependent_items(), "coma": false, "dementia_or_mental_disorder": false, "care_risk_events_30d": 0}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["level"], 3, "{v}");
}

async fn person(
    t: &TestApp,
    tok: &str,
    village: &str,
    name: &str,
    born: (i32, u32, u32),
    seq: u16,
) -> (String, String) {
    let (_, h) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(tok),
            Some(json!({"area_code": village, "address": "颐养路3号"})),
        )
        .await;
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
        seq,
    )
    .to_string();
    let (s, p) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(tok),
            Some(json!({"id_number": idn, "name": name, "area_code": village, "household_id": h["id"], "relation": "self"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["id"].as_str().unwrap().to_string(), idn)
}

const ALL_ITEMS: [&str; 8] = [
    "premises",
    "rest",
    "dining",
    "health",
    "activity",
    "barrier_free",
    "staff",
    "rules",
];

db_test!(
    facilities_checks_designations_and_their_targets,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("city", "city_officer", "320281").await;
        t.add_user("wg", "village_worker", "320281001001").await;
        let (cj, nz, city, wg) = (
            t.token("cj").await,
            t.token("nz").await,
            t.token("city").await,
            t.token("wg").await,
        );
        let areas = t.app.areas();
        let villages: Vec<(String, String)> = areas
            .children("320281001")
            .iter()
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect();
        let urban: Vec<&(String, String)> = villages
            .iter()
            .filter(|v| !minzheng_domain::elderly::community::is_rural_community(&v.1))
            .collect();
        assert!(urban.len() >= 2, "澄江街道 has communities");
        let centre = org(
            &t,
            &cj,
            "澄江街道日间照料中心",
            "day_care_centre",
            "320281001",
            1,
        )
        .await;
        let meals = org(&t, &cj, "文定社区助餐点", "meal_point", &urban[0].0, 2).await;
        // a village-level facility may not serve another town's village
        let other_town = areas.children("320281004")[0].code.clone();
        let (s, e) = t
            .api(Method::PUT, &format!("/api/v1/elderly/facilities/{meals}"), Some(&cj),
                 Some(json!({"level": "village", "regional": true, "opened_on": "2020-04-01", "served": [other_town]})))
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("served")),
            "{e}"
        );
        // a regional meal centre serving two communities (a meal point always offers meals)
        let (s, f) = t
            .api(Method::PUT, &format!("/api/v1/elderly/facilities/{meals}"), Some(&cj),
                 Some(json!({"level": "village", "regional": true, "opened_on": "2020-04-01", "capacity": 60, "served": [urban[0].0, urban[1].0]})))
            .await;
        assert_eq!(s, StatusCode::OK, "{f}");
        assert_eq!(f["meals"], true);
        assert_eq!(f["served"].as_array().unwrap().len(), 2);
        // a town-level day-care centre without meals
        let (s, f) = t
            .api(
                Method::PUT,
                &format!("/api/v1/elderly/facilities/{centre}"),
                Some(&cj),
                Some(
                    json!({"level": "town", "opened_on": "2020-06-01", "served": [villages[0].0]}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{f}");
        // the village worker reads but does not keep facilities
        let (s, _) = t
            .api(
                Method::PUT,
                &format!("/api/v1/elderly/facilities/{centre}"),
                Some(&wg),
                Some(
                    json!({"level": "town", "opened_on": "2020-06-01", "served": [villages[0].0]}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // 标配: one item missing fails it and needs the rectification written; every item met
        let (s, e) = t
            .api(Method::POST, &format!("/api/v1/elderly/facilities/{centre}/checks"), Some(&cj),
                 Some(json!({"checked_on": "2020-07-01", "checkers": ["王检", "赵检"], "present": ALL_ITEMS[..7]})))
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("note")),
            "{e}"
        );
        let (s, c) = t
            .api(Method::POST, &format!("/api/v1/elderly/facilities/{centre}/checks"), Some(&cj),
                 Some(json!({"checked_on": "2020-07-01", "checkers": ["王检", "赵检"], "present": ALL_ITEMS[..7], "note": "规范公开收费标准"})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(
            (c["met"].as_bool(), c["missing"][0].as_str()),
            (Some(false), Some("服务项目和收费公开"))
        );
        let (s, e) = t
            .api(
                Method::POST,
                &format!("/api/v1/elderly/facilities/{meals}/checks"),
                Some(&cj),
                Some(
                    json!({"checked_on": "2020-07-02", "checkers": ["王检"], "present": ALL_ITEMS}),
                ),
            )
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("checkers"))
        );
        let (s, c) = t
            .api(Method::POST, &format!("/api/v1/elderly/facilities/{meals}/checks"), Some(&cj),
                 Some(json!({"checked_on": "2020-07-02", "checkers": ["王检", "赵检"], "present": ALL_ITEMS})))
            .await;
        assert_eq!(
            (s, c["met"].as_bool()),
            (StatusCode::CREATED, Some(true)),
            "{c}"
        );
        // designations: a meal point is no smart institution; the centre is both a demo site and smart
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/elderly/designations/{meals}"),
                Some(&cj),
                Some(json!({"kind": "smart", "named_on": "2020-09-01", "title": "智慧助餐"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        for kind in ["demo_site", "smart"] {
            let (s, d) = t
                .api(
                    Method::POST,
                    &format!("/api/v1/elderly/designations/{centre}"),
                    Some(&cj),
                    Some(json!({"kind": kind, "named_on": "2020-09-01", "title": "颐养澄江"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{d}");
        }
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/elderly/designations/{centre}"),
                Some(&cj),
                Some(json!({"kind": "smart", "named_on": "2020-09-02", "title": "再次命名"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // the list filters by the latest check
        let (_, l) = t
            .get("/api/v1/elderly/facilities?standard=not_met", &cj)
            .await;
        assert_eq!(l["total"], 1);
        assert_eq!(l["items"][0]["name"], "澄江街道日间照料中心");
        // another town sees none of it
        let (_, l) = t.get("/api/v1/elderly/facilities", &nz).await;
        assert_eq!(l["total"], 0);
        let (s, _) = t
            .get(&format!("/api/v1/elderly/facilities/{centre}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, d) = t.get("/api/v1/elderly/designations", &nz).await;
        assert_eq!(d.as_array().unwrap().len(), 0);

        // the indicators, counted here independently
        let n_urban_city = areas
            .all()
            .filter(|a| {
                a.level == "village"
                    && !minzheng_domain::elderly::community::is_rural_community(&a.name)
            })
            .count();
        let n_urban_cj = urban.len();
        let n_towns = areas.all().filter(|a| a.level == "town").count();
        for (id, tok, want) in [
            ("T16.5", &city, "1.00".to_string()),
            ("T16.6", &city, "1.00".to_string()),
            ("T16.11", &city, "1.00".to_string()),
            ("T16.9", &city, "50.00".to_string()),
            ("T16.7", &city, pct(2, n_urban_city as i64)),
            ("T16.7", &cj, pct(2, n_urban_cj as i64)),
            ("T16.8", &city, "0.00".to_string()),
            ("T17.4", &city, pct(1, n_towns as i64)),
            ("T17.4", &cj, "100.00".to_string()),
            ("T16.5", &nz, "0.00".to_string()),
            ("T17.4", &nz, "0.00".to_string()),
        ] {
            let d = indicator(&t, tok, id).await;
            assert_eq!(current(&d).as_deref(), Some(want.as_str()), "{id}: {d}");
            assert_eq!(d["indicator"]["source"], "computed", "{id}");
            assert!(
                d["records"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("/elderly/")),
                "{id}: {d}"
            );
        }
        // drill-down by town, within the scope
        let d = indicator(&t, &city, "T16.9").await;
        let towns = d["by_town"].as_array().unwrap();
        assert_eq!(towns.len(), 1, "{d}");
        assert_eq!(
            (
                towns[0]["town_code"].as_str(),
                towns[0]["count"].as_i64(),
                towns[0]["other"].as_i64()
            ),
            (Some("320281001"), Some(2), Some(1))
        );
        let d = indicator(&t, &nz, "T16.9").await;
        assert!(d["by_town"].as_array().unwrap().is_empty(), "{d}");

        // the pages
        let sess = t.login_browser("cj").await;
        for url in [
            "/elderly/facilities".to_string(),
            format!("/elderly/facilities/{centre}"),
            "/targets/T16.9?year=2020".into(),
        ] {
            let (s, _, body) = t.page(&sess, &url).await;
            let html = String::from_utf8_lossy(&body);
            assert_eq!(s, StatusCode::OK, "{url}");
            assert!(
                html.contains("澄江街道日间照料中心") || url.starts_with("/targets"),
                "{url}"
            );
        }
        let (_, _, body) = t.page(&sess, "/targets/T16.9?year=2020").await;
        assert!(String::from_utf8_lossy(&body).contains("id=\"line-records\""));
        let nz_sess = t.login_browser("nz").await;
        let (s, _, _) = t
            .page(&nz_sess, &format!("/elderly/facilities/{centre}"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

db_test!(
    home_care_goes_to_those_the_assistance_data_qualify,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = workflow::desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        // a dibao household whose elder 顾老汉 is 60+ (born 1948)
        let (_, pids, _) = workflow::approved(&t, &d).await;
        let village = t.app.areas().children("320281001")[0].code.clone();
        let provider = org(
            &t,
            &d.town,
            "澄江居家养老服务社",
            "home_care_provider",
            "320281001",
            3,
        )
        .await;
        // 85 and alone, not poor: qualifies; 75 and alone: does not
        let (old, old_idn) = person(&t, &d.town, &village, "独居甲", (1935, 2, 2), 501).await;
        let (young, young_idn) = person(&t, &d.town, &village, "独居乙", (1950, 2, 2), 502).await;
        for id in [&old, &young] {
            t.app
                .db
                .conn()
                .execute(
                    "UPDATE persons SET lives_alone = $2 WHERE id = $1",
                    minzheng::args![id, true],
                )
                .await
                .expect("registry update");
        }
        let (s, c) = t.get("/api/v1/elderly/home-care/candidates", &d.town).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let bases: Vec<(String, String)> = c["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["person_id"].as_str().unwrap().to_string(),
                    x["basis"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(bases.contains(&(pids[0].clone(), "dibao".into())), "{c}");
        assert!(bases.contains(&(old.clone(), "alone_80".into())), "{c}");
        assert!(!bases.iter().any(|b| b.0 == young || b.0 == pids[1]), "{c}");
        let (_, c) = t.get("/api/v1/elderly/home-care/candidates", &nz).await;
        assert_eq!(c["total"], 0);
        let body = |who: &str, form: &str, monthly: &str| json!({"person": who, "form": form, "monthly": monthly, "provider_id": provider, "starts_on": "2020-10-01"});
        let (s, e) = t
            .api(
                Method::POST,
                "/api/v1/elderly/home-care",
                Some(&d.town),
                Some(body(&young_idn, "hours", "10")),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let (s, e) = t
            .api(
                Method::POST,
                "/api/v1/elderly/home-care",
                Some(&d.town),
                Some(body(&old_idn, "hours", "101")),
            )
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("monthly"))
        );
        let (s, g) = t
            .api(
                Method::POST,
                "/api/v1/elderly/home-care",
                Some(&d.town),
                Some(body(&old_idn, "hours", "10")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        assert_eq!(g["basis"], "alone_80");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/elderly/home-care",
                Some(&d.town),
                Some(body(&pids[0], "voucher", "200.00")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["monthly_text"], "200.00 元/月");
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/elderly/home-care",
                Some(&d.town),
                Some(body(&old_idn, "hours", "10")),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "one grant in force per person");
        // services within the month's grant
        let gid = g["id"].as_str().unwrap();
        let svc = |q: &str, on: &str| json!({"served_on": on, "quantity": q, "content": "助洁", "carer": "钱护理"});
        let url = format!("/api/v1/elderly/home-care/{gid}/services");
        let (s, r) = t
            .api(
                Method::POST,
                &url,
                Some(&d.town),
                Some(svc("6", "2020-11-03")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, e) = t
            .api(
                Method::POST,
                &url,
                Some(&d.town),
                Some(svc("5", "2020-11-20")),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["error"].as_str().unwrap().contains("剩余 4 小时"), "{e}");
        let (s, _) = t
            .api(
                Method::POST,
                &url,
                Some(&d.town),
                Some(svc("5", "2020-12-01")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "a new month, a new grant");
        let (s, _) = t
            .api(
                Method::POST,
                &url,
                Some(&d.town),
                Some(svc("1", "2020-09-30")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "before the grant");
        let (s, _) = t
            .api(Method::POST, &url, Some(&nz), Some(svc("1", "2020-11-04")))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, l) = t.get(&url, &d.town).await;
        assert_eq!(l.as_array().unwrap().len(), 2);
        // T17.3: those served ÷ the registry's 60+, counted here
        let elderly = t.scalar("SELECT COUNT(*) FROM persons WHERE status = 'normal' AND birth_date <= '1960-12-31'").await;
        let want = pct(2, elderly);
        assert_eq!(
            current(&indicator(&t, &d.city, "T17.3").await).as_deref(),
            Some(want.as_str())
        );
        assert_eq!(
            current(&indicator(&t, &nz, "T17.3").await),
            None,
            "no elderly in 南闸's scope"
        );
        // ending the grant stops it
        let (s, e) = t
            .api(
                Method::POST,
                &format!("/api/v1/elderly/home-care/{gid}/end"),
                Some(&d.town),
                Some(json!({"on": "2020-12-15", "reason": "入住养老机构"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let (_, l) = t.get("/api/v1/elderly/home-care", &d.town).await;
        assert_eq!(l["total"], 1);
        // the pages
        let sess = t.login_browser("cj").await;
        for url in [
            "/elderly/home-care".to_string(),
            format!("/elderly/home-care/{gid}"),
        ] {
            let (s, _, body) = t.page(&sess, &url).await;
            assert_eq!(s, StatusCode::OK, "{url}");
            assert!(
                String::from_utf8_lossy(&body).contains("钱护理") || url == "/elderly/home-care",
                "{url}"
            );
        }
    }
);

use crate::common::PNG;

db_test!(adaptations_and_care_beds, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = workflow::desk(&t).await;
    t.add_user("nz", "town_officer", "320281004").await;
    let nz = t.token("nz").await;
    // a dibao household whose elder is 72 in 2020, neither 高龄 nor disabled: not yet in need
    let (hh, pids, _) = workflow::approved(&t, &d).await;
    let elder_idn: String = t
        .app
        .db
        .conn()
        .fetch_one::<(String,)>(
            "SELECT id_number FROM persons WHERE id = $1",
            minzheng::args![&pids[0]],
        )
        .await
        .unwrap()
        .0;
    let plan = json!({"household": elder_idn, "items": ["grab_bars", "non_slip"], "contractor": "江阴安居装饰有限公司", "planned_on": "2020-08-01"});
    let (s, e) = t
        .api(
            Method::POST,
            "/api/v1/elderly/adaptations",
            Some(&d.town),
            Some(plan.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"].as_str().unwrap().contains("高龄"), "{e}");
    // assessed 重度失能: now dependent, the household qualifies
    assess(&t, &d.town, &pids[0]).await;
    let (s, e) = t
        .api(
            Method::POST,
            "/api/v1/elderly/adaptations",
            Some(&nz),
            Some(plan.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "another town: {e}");
    let (s, a) = t
        .api(
            Method::POST,
            "/api/v1/elderly/adaptations",
            Some(&d.town),
            Some(plan.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(
        (
            a["need_label"].as_str(),
            a["category_label"].as_str(),
            a["household_id"].as_str()
        ),
        (Some("失能"), Some("低保"), Some(hh.as_str()))
    );
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/adaptations",
            Some(&d.town),
            Some(plan),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "once per household");
    let aid = a["id"].as_str().unwrap();
    let url = format!("/api/v1/elderly/adaptations/{aid}/acceptance");
    let fields = [
        ("accepted_on", "2020-09-10"),
        ("cost", "3200.00"),
        ("subsidy", "3000.00"),
        ("note", "扶手牢固，地面防滑"),
    ];
    let (s, e) = common::upload(&t, &d.town, &url, &fields, &[]).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("photo")),
        "{e}"
    );
    let too_much = [
        ("accepted_on", "2020-09-10"),
        ("cost", "3200.00"),
        ("subsidy", "3200.01"),
        ("note", "验收"),
    ];
    let (s, e) = common::upload(&t, &d.town, &url, &too_much, &[("photo", "a.png", PNG)]).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("subsidy")),
        "{e}"
    );
    let (s, a) = common::upload(&t, &d.town, &url, &fields, &[("photo", "a.png", PNG)]).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["subsidy"].as_str()),
        (Some("accepted"), Some("3000.00"))
    );
    let photo = a["photos"][0].as_str().unwrap();
    let (s, _) = t
        .get(&format!("/api/v1/elderly/adaptations/photos/{photo}"), &nz)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = common::upload(&t, &d.town, &url, &fields, &[("photo", "a.png", PNG)]).await;
    assert_eq!(s, StatusCode::CONFLICT, "accepted once");
    assert_eq!(
        current(&indicator(&t, &d.city, "T17.1").await).as_deref(),
        Some("1.00")
    );
    assert_eq!(
        current(&indicator(&t, &nz, "T17.1").await).as_deref(),
        Some("0.00")
    );

    // family care beds: the child (born 1985) is no elderly person; the assessed elder is
    let provider = org(
        &t,
        &d.town,
        "澄江护理站",
        "home_care_provider",
        "320281001",
        4,
    )
    .await;
    let bed = |who: &str| {
        json!({"person": who, "provider_id": provider, "contract_number": "JTCW-2020-001",
                                      "contract_start": "2020-06-01", "contract_end": "2021-05-31", "monthly_subsidy": "300.00"})
    };
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/care-beds",
            Some(&d.town),
            Some(bed(&pids[1])),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, bd) = t
        .api(
            Method::POST,
            "/api/v1/elderly/care-beds",
            Some(&d.town),
            Some(bed(&pids[0])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bd}");
    let bid = bd["id"].as_str().unwrap();
    let visit = |on: &str| json!({"visited_on": on, "carer": "孙护理", "services": "康复护理"});
    let (s, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/care-beds/{bid}/visits"),
            Some(&d.town),
            Some(visit("2020-05-20")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "before the contract");
    let (s, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/care-beds/{bid}/visits"),
            Some(&d.town),
            Some(visit("2020-06-15")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = t
        .get(&format!("/api/v1/elderly/care-beds/{bid}"), &d.town)
        .await;
    assert_eq!(v["visits"], 1);
    assert_eq!(
        current(&indicator(&t, &d.city, "T17.2").await).as_deref(),
        Some("1.00")
    );
    // T16.14: the only person in a service, assessed in the year
    assert_eq!(
        current(&indicator(&t, &d.city, "T16.14").await).as_deref(),
        Some("100.00")
    );
    assert_eq!(current(&indicator(&t, &nz, "T16.14").await), None);
    let (_, l) = t.get("/api/v1/elderly/care-beds", &nz).await;
    assert_eq!(l["total"], 0);
    // the 2020 contract has run out: a new one closes it at its end; while that one runs, no third
    let today = minzheng::util::today();
    let renewal = json!({"person": pids[0], "provider_id": provider, "contract_number": "JTCW-2026-001",
                             "contract_start": today, "contract_end": today + chrono::Months::new(12), "monthly_subsidy": "300.00"});
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/elderly/care-beds",
            Some(&d.town),
            Some(renewal.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["in_force"], true);
    let (_, old) = t
        .get(&format!("/api/v1/elderly/care-beds/{bid}"), &d.town)
        .await;
    assert_eq!(old["terminated_on"], "2021-05-31");
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/care-beds",
            Some(&d.town),
            Some(renewal),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one bed in force");
    assert_eq!(
        current(&indicator(&t, &d.city, "T17.2").await).as_deref(),
        Some("1.00"),
        "only 2020's contracts"
    );
    // the pages
    let sess = t.login_browser("cj").await;
    for url in [
        "/elderly/adaptations".to_string(),
        format!("/elderly/adaptations/{aid}"),
        "/elderly/care-beds".into(),
        format!("/elderly/care-beds/{bid}"),
    ] {
        let (s, _, body) = t.page(&sess, &url).await;
        assert_eq!(s, StatusCode::OK, "{url}");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("顾*汉"), "{url}: masked name");
        assert!(!html.contains("顾老汉"), "{url}: full name in a list");
    }
});

db_test!(
    the_tekun_case_shows_the_latest_capability,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 1500).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        let row: Option<(String, String)> = t
            .app
            .db
            .conn()
            .fetch_optional(
                "SELECT c.id, p.id FROM cases c JOIN case_members cm ON cm.case_id = c.id JOIN persons p ON p.id = cm.person_id \
                 WHERE c.category = 'tekun' AND p.birth_date <= '1960-01-01' AND p.status = 'normal' ORDER BY c.id LIMIT 1",
                vec![],
            )
            .await
            .unwrap();
        let tekun = t
            .scalar("SELECT COUNT(*) FROM cases WHERE category = 'tekun'")
            .await;
        let cases = t.scalar("SELECT COUNT(*) FROM cases").await;
        let (case, person) = row.unwrap_or_else(|| {
            panic!("the demo city has an elderly tekun person ({tekun} tekun of {cases} cases)")
        });
        let (_, c) = t.get(&format!("/api/v1/cases/{case}"), &city).await;
        let m = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["person_id"] == person.as_str())
            .unwrap()
            .clone();
        let before = m["capability"].as_str().map(str::to_string);
        assess(&t, &city, &person).await;
        let (_, c) = t.get(&format!("/api/v1/cases/{case}"), &city).await;
        let m = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["person_id"] == person.as_str())
            .unwrap()
            .clone();
        let cap = m["capability"].as_str().unwrap();
        assert!(
            cap.contains("重度失能") && cap.contains("2020-05-01"),
            "{cap} (before: {before:?})"
        );
        // lists carry no capability
        let (_, l) = t.get("/api/v1/cases?page=1", &city).await;
        assert!(
            l["items"][0]["members"][0].get("capability").is_none(),
            "{l}"
        );
        let sess = t.login_browser("city").await;
        let (s, _, body) = t.page(&sess, &format!("/assistance/cases/{case}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8_lossy(&body).contains("重度失能"));
    }
);

db_test!(
    new_beds_are_computed_for_the_plan,
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
        let village = t.app.areas().children("320281001")[0].code.clone();
        let id = org(&t, &cj, "澄江颐养院", "elderly_institution", &village, 9).await;
        let (s, v) = t
            .api(Method::POST, &format!("/api/v1/institutions/{id}/filing"), Some(&cj),
                 Some(json!({"filed_on": "2020-03-01", "ownership": "private", "beds_total": 100, "beds_nursing": 60, "documents": ["营业执照"]})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        for (on, total) in [("2020-08-01", 130), ("2020-10-01", 125)] {
            let (s, v) = t
                .api(Method::POST, &format!("/api/v1/institutions/{id}/beds"), Some(&cj),
                     Some(json!({"changed_on": on, "beds_total": total, "beds_nursing": 70, "note": "调整"})))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // the plan's T16.1 is the figure the beds API computes: 100 filed + 30 added, the 5 removed not netted
        let (_, nb) = t
            .get("/api/v1/institutions/beds/new?year=2020", &city)
            .await;
        assert_eq!(nb["added"], 130);
        let d = indicator(&t, &city, "T16.1").await;
        assert_eq!(d["indicator"]["source"], "computed");
        assert_eq!(current(&d).as_deref(), Some("130.00"));
        // its drill-down: the town's figure and the institutions behind it
        let towns = d["by_town"].as_array().unwrap();
        assert_eq!(towns.len(), 1, "{d}");
        assert_eq!(towns[0]["town_code"], "320281001");
        assert_eq!(towns[0]["figure"], "130", "{d}");
        assert_eq!(d["records"], "/institutions", "{d}");
        // T16.3 (nursing beds) by town: 70 of 125
        let d3 = indicator(&t, &city, "T16.3").await;
        assert_eq!(d3["by_town"][0]["figure"], "56", "{d3}");
        // T05.1 and T25.1 lead to the safety records
        for id in ["T05.1", "T25.1"] {
            assert_eq!(indicator(&t, &city, id).await["records"], "/safety", "{id}");
        }
        assert_eq!(
            current(&indicator(&t, &nz, "T16.1").await).as_deref(),
            Some("0.00")
        );
    }
);

db_test!(
    the_demo_city_gives_every_elderly_screen_and_target_something_true,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 1500).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        let e = minzheng::demo::elderly::seed(&t.app).await.unwrap();
        assert!(
            e.facilities > 21 && e.grants > 0 && e.adaptations > 0 && e.beds > 0,
            "{e:?}"
        );
        t.add_user("city", "city_officer", "320281").await;
        t.add_user("cj", "town_officer", "320281001").await;
        let (city, cj) = (t.token("city").await, t.token("cj").await);
        // every computed elderly indicator has a figure, and it agrees with a count made here
        let (_, v) = t.get("/api/v1/targets?year=2020", &city).await;
        let computed: Vec<&Value> = v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("T16") || id.starts_with("T17"))
                    && i["source"] == "computed"
            })
            .collect();
        assert_eq!(
            computed.len(),
            18,
            "T16.1–T16.9, T16.11–T16.14, T16.16, T17.1–T17.4"
        );
        for i in &computed {
            assert!(i["current"].is_string(), "{i}");
        }
        let new_centres = t.scalar("SELECT COUNT(*) FROM elderly_facilities f JOIN organisations o ON o.id = f.organisation_id \
            WHERE o.kind = 'day_care_centre' AND f.level = 'town' AND f.opened_on >= '2020-01-01' AND f.opened_on <= '2020-12-31'").await;
        assert!(new_centres >= 3, "{new_centres}");
        let num = |id: &str| {
            let i = computed.iter().find(|i| i["id"] == id).unwrap();
            i["current"].as_str().unwrap().parse::<f64>().unwrap()
        };
        assert_eq!(num("T16.5") as i64, new_centres);
        assert_eq!(num("T17.1") as i64, t.scalar("SELECT COUNT(*) FROM home_adaptations WHERE status = 'accepted' AND accepted_on <= '2020-12-31'").await);
        assert_eq!(
            num("T17.2") as i64,
            t.scalar("SELECT COUNT(*) FROM family_care_beds WHERE contract_start <= '2020-12-31'")
                .await
        );
        assert!(
            num("T16.9") > 0.0 && num("T16.9") < 100.0,
            "some facilities miss an item"
        );
        assert!(
            num("T17.4") > 0.0 && num("T16.7") > num("T16.8"),
            "urban communities are better served"
        );
        assert!(num("T16.14") > 0.0);
        assert!(
            (74.0..76.0).contains(&num("T16.12")),
            "three of four carers trained"
        );
        assert_eq!(
            num("T16.13") as i64,
            t.scalar("SELECT COUNT(*) FROM elderly_volunteers").await
        );
        // the screens have rows, for the city and for a town
        for (tok, url, key) in [
            (&city, "/api/v1/elderly/facilities", "total"),
            (&cj, "/api/v1/elderly/facilities", "total"),
            (&cj, "/api/v1/elderly/home-care", "total"),
            (&cj, "/api/v1/elderly/adaptations", "total"),
            (&cj, "/api/v1/elderly/care-beds", "total"),
            (&cj, "/api/v1/institutions", "total"),
        ] {
            let (s, v) = t.get(url, tok).await;
            assert_eq!(s, StatusCode::OK, "{url}");
            assert!(v[key].as_i64().unwrap() > 0, "{url}: {v}");
        }
        let sess = t.login_browser("cj").await;
        for url in [
            "/elderly/facilities",
            "/elderly/home-care",
            "/elderly/adaptations",
            "/elderly/care-beds",
            "/targets/T16.7?year=2020",
        ] {
            let (s, _, _) = t.page(&sess, url).await;
            assert_eq!(s, StatusCode::OK, "{url}");
        }
    }
);

db_test!(carers_trainings_and_volunteers, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("nz", "town_officer", "320281004").await;
    t.add_user("city", "city_officer", "320281").await;
    let (cj, nz, city) = (
        t.token("cj").await,
        t.token("nz").await,
        t.token("city").await,
    );
    let village = t.app.areas().children("320281001")[0].code.clone();
    let home = org(&t, &cj, "澄江颐养院", "elderly_institution", &village, 11).await;
    let base = org(
        &t,
        &cj,
        "澄江养老实训基地",
        "training_base",
        "320281001",
        12,
    )
    .await;
    let foundation = org(&t, &city, "澄江慈善基金会", "foundation", "320281001", 13).await;
    let idn = |seq| {
        minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            chrono::NaiveDate::from_ymd_opt(1975, 5, 5).unwrap(),
            seq,
        )
        .to_string()
    };
    let carer = |org: &str, seq| json!({"organisation_id": org, "name": "王护理", "id_number": idn(seq), "certificate": "junior", "hired_on": "2019-04-01"});
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/carers",
            Some(&cj),
            Some(carer(&foundation, 1)),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a foundation employs no carers of this line"
    );
    let (s, e) = t.api(Method::POST, "/api/v1/elderly/carers", Some(&cj), Some(json!({"organisation_id": home, "name": "王护理", "id_number": "320281197505051234", "certificate": "junior", "hired_on": "2019-04-01"}))).await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("id_number"))
    );
    let mut ids = vec![];
    for seq in [1, 2] {
        let (s, c) = t
            .api(
                Method::POST,
                "/api/v1/elderly/carers",
                Some(&cj),
                Some(carer(&home, seq)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["name"], "王*理");
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/carers",
            Some(&cj),
            Some(carer(&home, 1)),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one post at a time");
    let training = |passed: bool, base: &str| json!({"trained_on": "2020-06-01", "course": "失能老人照护", "hours": 40, "base_id": base, "passed": passed});
    let (s, e) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/carers/{}/trainings", ids[0]),
            Some(&cj),
            Some(training(true, &home)),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("base_id")),
        "an institution is no training base"
    );
    let (s, c) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/carers/{}/trainings", ids[0]),
            Some(&cj),
            Some(training(true, &base)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["last_trained_on"], "2020-06-01");
    let (s, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/carers/{}/trainings", ids[1]),
            Some(&cj),
            Some(training(false, &base)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/elderly/carers/{}/trainings", ids[1]),
            Some(&nz),
            Some(training(true, "")),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // one of two trained and passed
    assert_eq!(
        current(&indicator(&t, &city, "T16.12").await).as_deref(),
        Some("50.00")
    );
    assert_eq!(current(&indicator(&t, &nz, "T16.12").await), None);
    for (k, on) in ["2020-03-01", "2020-05-01", "2021-02-01"]
        .iter()
        .enumerate()
    {
        let (s, v) = t.api(Method::POST, "/api/v1/elderly/volunteers", Some(&cj),
                Some(json!({"name": format!("志愿者{k}"), "phone": "13905101234", "area_code": village, "registered_on": on}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["phone_masked"], "139****1234");
    }
    let (s, _) = t
        .api(
            Method::POST,
            "/api/v1/elderly/volunteers",
            Some(&nz),
            Some(json!({"name": "越界", "area_code": village, "registered_on": "2020-03-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        current(&indicator(&t, &city, "T16.13").await).as_deref(),
        Some("2.00"),
        "registered by the year's end"
    );
    let (_, l) = t.get("/api/v1/elderly/volunteers", &nz).await;
    assert_eq!(l["total"], 0);
    let (_, l) = t.get("/api/v1/elderly/carers", &cj).await;
    assert_eq!(l["total"], 2);
    let sess = t.login_browser("cj").await;
    let (s, _, body) = t.page(&sess, "/elderly/staff").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8_lossy(&body);
    assert!(html.contains("王*理") && !html.contains("王护理") && html.contains("139****1234"));
});

db_test!(the_forms_work_without_javascript, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    let villages: Vec<String> = t
        .app
        .areas()
        .children("320281001")
        .iter()
        .take(2)
        .map(|a| a.code.clone())
        .collect();
    let centre = org(
        &t,
        &cj,
        "澄江日间照料中心",
        "day_care_centre",
        "320281001",
        21,
    )
    .await;
    let provider = org(
        &t,
        &cj,
        "澄江居家服务社",
        "home_care_provider",
        "320281001",
        22,
    )
    .await;
    let s = t.login_browser("cj").await;
    let html = |b: Vec<u8>| String::from_utf8(b).unwrap();
    // the profile with two villages ticked (repeated names), then a 标配 check with every item but one
    let form = format!(
        "csrf={}&level=town&meals=1&opened_on=2020-05-01&capacity=20&served={}&served={}",
        s.csrf, villages[0], villages[1]
    );
    let (st, _, body) = t
        .post_form(
            &s,
            &format!("/elderly/facilities/{centre}/act/profile"),
            &form,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let body = html(body);
    assert!(body.contains("已保存设施服务信息"), "{body}");
    let (_, v) = t
        .get(&format!("/api/v1/elderly/facilities/{centre}"), &cj)
        .await;
    assert_eq!(v["served"].as_array().unwrap().len(), 2, "{v}");
    let mut check = format!(
        "csrf={}&checked_on=2020-06-01&checkers={}",
        s.csrf,
        common::enc("王检、李检")
    );
    for item in &ALL_ITEMS[1..] {
        check.push_str(&format!("&present={item}"));
    }
    let (_, _, body) = t
        .post_form(
            &s,
            &format!("/elderly/facilities/{centre}/act/check"),
            &check,
        )
        .await;
    let body = html(body);
    assert!(
        body.contains("form-error") && body.contains("整改"),
        "a shortfall needs the rectification: {body}"
    );
    check.push_str(&format!("&note={}", common::enc("补足服务用房")));
    let (_, _, body) = t
        .post_form(
            &s,
            &format!("/elderly/facilities/{centre}/act/check"),
            &check,
        )
        .await;
    assert!(html(body).contains("未按标配建到位"));
    // a grant refused with the reason on the page
    let (_, idn) = person(&t, &cj, &villages[0], "未独居", (1930, 1, 1), 601).await;
    let form = format!(
        "csrf={}&person={idn}&form=hours&monthly=10&provider_id={provider}&starts_on=2020-03-01",
        s.csrf
    );
    let (st, _, body) = t.post_form(&s, "/elderly/home-care", &form).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html(body).contains("不符合居家养老援助条件"));
    // a volunteer
    let form = format!(
        "csrf={}&name={}&phone=13905100000&area_code={}&registered_on=2020-04-01",
        s.csrf,
        common::enc("志愿者甲"),
        villages[0]
    );
    let (_, _, body) = t.post_form(&s, "/elderly/staff/act/volunteer", &form).await;
    let body = html(body);
    assert!(
        body.contains("已登记志愿者") && body.contains("志**甲") && !body.contains("志愿者甲"),
        "{body}"
    );
    // without the CSRF token nothing is written
    let (st, _, _) = t
        .post_form(
            &s,
            "/elderly/staff/act/volunteer",
            &format!("name=x&area_code={}&registered_on=2020-04-01", villages[0]),
        )
        .await;
    assert_ne!(st, StatusCode::OK);
    assert_eq!(t.scalar("SELECT COUNT(*) FROM elderly_volunteers").await, 1);
});
