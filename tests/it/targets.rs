//! The plan's targets: the shipped 2020 plan, computed indicators checked against counts made here from the
//! tables, area scope in every breakdown, reports with evidence and approval, plan imports.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const ITEMS_2020: &str = include_str!("../../data/plan-2020-items.csv");
const INDICATORS_2020: &str = include_str!("../../data/targets-2020.csv");

/// A multipart body: text fields, then files (field, file name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----mzTargetsBoundary7a9c";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, data) in files {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

async fn post_multipart(
    t: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (StatusCode, Value) {
    let (ct, body) = multipart(fields, files);
    let (s, _, bytes) = t
        .send(
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    (
        s,
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())),
    )
}

fn indicator<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {v}"))
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
use crate::common::PNG;

db_test!(shipped_plan_and_api_shape, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("leader", "leader", "320281").await;
    t.add_user("admin2", "city_admin", "320281").await;
    let tok = t.token("leader").await;
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM target_items WHERE year = 2020")
            .await,
        28
    );
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM target_indicators WHERE year = 2020")
            .await,
        43
    );
    let (s, v) = t.get("/api/v1/targets?year=2020", &tok).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["year"], 2020);
    assert_eq!(v["indicators"].as_array().unwrap().len(), 43);
    assert_eq!(
        *indicator(&v, "T08.1"),
        json!({"id": "T08.1", "item": 8, "target": "低保标准", "kind": ">=", "value": "1000", "unit": "元/人/月",
               "current": "1000", "status": "done", "source": "computed"})
    );
    assert_eq!(indicator(&v, "T08.2")["current"], "1500");
    assert_eq!(indicator(&v, "T14.2")["value"], "8.5");
    assert_eq!(indicator(&v, "T16.10")["kind"], ">=");
    assert_eq!(indicator(&v, "T15.1")["kind"], "done");
    assert_eq!(indicator(&v, "T15.1")["value"], "");
    // no registry household yet: no floor to take; no verification run yet
    for id in ["T08.3", "T10.1"] {
        assert_eq!(indicator(&v, id)["status"], "no_data");
        assert_eq!(indicator(&v, id)["source"], "computed");
        assert_eq!(indicator(&v, id)["current"], Value::Null);
    }
    let reported = indicator(&v, "T16.10");
    assert_eq!(
        (reported["source"].as_str(), reported["status"].as_str()),
        (Some("reported"), Some("no_data"))
    );
    // the default year is the latest plan; an unknown year is 404
    let (_, d) = t.get("/api/v1/targets", &tok).await;
    assert_eq!(d["year"], 2020);
    let (s, _) = t.get("/api/v1/targets?year=2019", &tok).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // the administrator does not read targets (separation of duties)
    let adm = t.token("admin2").await;
    let (s, _) = t.get("/api/v1/targets?year=2020", &adm).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // the OpenAPI document lists the targets API
    let (_, o) = t.api(Method::GET, "/api/openapi.json", None, None).await;
    assert!(o["paths"]["/api/v1/targets"].is_object());
    // pages render
    let sess = t.login_browser("leader").await;
    for path in [
        "/targets?year=2020",
        "/targets/print?year=2020",
        "/targets/T08.1?year=2020",
        "/targets/T16.10?year=2020",
    ] {
        let (s, _, body) = t.page(&sess, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("st-done") || html.contains("st-no_data"),
            "{path}"
        );
    }
    let (s, h, x) = t.page(&sess, "/targets/export.xlsx?year=2020").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(x.starts_with(b"PK"));
});

/// (household id, town, annual per-capita in fen as an exact fraction (num, den)) of every registry household with
/// a living member, straight from the tables: the members' registry incomes plus the assistance in payment in
/// December 2020 — each case's amount in force that month, its latest change effective by then, else its decision.
async fn households_by_hand(t: &TestApp, town: Option<&str>) -> Vec<(String, String, i128, i128)> {
    let persons: Vec<(String, String, i64)> = t
        .app
        .db
        .conn()
        .fetch_all(
            "SELECT p.household_id, h.town_code, p.monthly_income FROM persons p JOIN households h ON h.id = p.household_id \
             WHERE p.status = 'normal'",
            vec![],
        )
        .await
        .unwrap();
    let cases: Vec<(String, String, i64)> = t
        .app
        .db
        .conn()
        .fetch_all(
            "SELECT c.id, c.household_id, a.monthly_amount FROM cases c JOIN applications a ON a.id = c.application_id \
             WHERE c.start_month <= '2020-12' AND (c.end_month IS NULL OR c.end_month > '2020-12')",
            vec![],
        )
        .await
        .unwrap();
    let changes: Vec<(String, i64)> = t
        .app
        .db
        .conn()
        .fetch_all(
            "SELECT case_id, new_amount FROM case_changes WHERE outcome <> 'stop' AND effective_month <= '2020-12' \
             ORDER BY effective_month, created_at",
            vec![],
        )
        .await
        .unwrap();
    let mut hh: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for (h, town, income) in persons {
        let e = hh.entry(h).or_insert((town, 0, 0));
        e.1 += income;
        e.2 += 1;
    }
    for (id, h, decided) in cases {
        let amount = changes
            .iter()
            .rev()
            .find(|c| c.0 == id)
            .map_or(decided, |c| c.1);
        if let Some(e) = hh.get_mut(&h) {
            e.1 += amount;
        }
    }
    hh.into_iter()
        .filter(|(_, (town_code, _, _))| town.is_none_or(|t| t == town_code))
        .map(|(id, (town, total, n))| (id, town, i128::from(total) * 12, i128::from(n) * 100))
        .collect()
}

fn min_fraction(v: &[(String, String, i128, i128)]) -> Option<(i128, i128)> {
    v.iter()
        .map(|r| (r.2, r.3))
        .min_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)))
}

/// Yuan with up to 2 decimals rounded down, trailing zeros dropped (the API's display).
fn show(f: (i128, i128)) -> String {
    let cents = f.0 * 100 / f.1;
    let s = format!("{}.{:02}", cents / 100, cents % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

db_test!(
    computed_indicators_match_the_records,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 700).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        t.add_user("leader", "leader", "320281").await;
        let tok = t.token("leader").await;
        // two households pushed below the floor: their benefit cut to nothing (as if a wrong amount had been decided)
        let victims: Vec<(String, String)> = t
        .app
        .db
        .conn()
        .fetch_all(
            "SELECT id, household_id FROM cases WHERE category = 'dibao' AND start_month <= '2020-12' AND (end_month IS NULL OR end_month > '2020-12') AND id NOT IN (SELECT case_id FROM case_changes) ORDER BY id LIMIT 2",
            vec![],
        )
        .await
        .unwrap();
        assert_eq!(victims.len(), 2);
        for (id, _) in &victims {
            t.app
                .db
                .conn()
                .execute(
                    "UPDATE cases SET monthly_amount = 0 WHERE id = $1",
                    minzheng::args![id.as_str()],
                )
                .await
                .unwrap();
            t.app
                .db
                .conn()
                .execute(
                    "UPDATE applications SET monthly_amount = 0 WHERE id = (SELECT application_id FROM cases WHERE id = $1)",
                    minzheng::args![id.as_str()],
                )
                .await
                .unwrap();
        }
        let (s, v) = t.get("/api/v1/targets?year=2020", &tok).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // T08.1 / T08.2: the approved standard in force on 31 December 2020
        let (params,): (String,) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT params_json FROM assistance_standards WHERE status = 'approved' AND effective_from <= '2020-12-31' \
             ORDER BY effective_from DESC, approved_at DESC LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
        let p: Value = serde_json::from_str(&params).unwrap();
        let trim = |s: &str| s.trim_end_matches('0').trim_end_matches('.').to_string();
        assert_eq!(
            indicator(&v, "T08.1")["current"],
            trim(p["dibao"].as_str().unwrap())
        );
        assert_eq!(
            indicator(&v, "T08.2")["current"],
            trim(p["tekun_basic"].as_str().unwrap())
        );

        // T08.3: the floor over every registry household, assisted or not, with the assistance of December 2020
        let all = households_by_hand(&t, None).await;
        let registry = t
            .scalar("SELECT COUNT(DISTINCT household_id) FROM persons WHERE status = 'normal'")
            .await;
        assert_eq!(all.len() as i64, registry);
        let assisted = t
            .scalar("SELECT COUNT(DISTINCT household_id) FROM cases")
            .await;
        assert!(
            registry > assisted,
            "households without assistance count too"
        );
        let floor = min_fraction(&all).unwrap();
        let t083 = indicator(&v, "T08.3");
        assert_eq!(t083["current"], show(floor));
        // a change made today (years later) does not move the closed year's figure
        let (victim_case, victim_household) = victims[0].clone();
        let victim_town = all
            .iter()
            .find(|r| r.0 == victim_household)
            .unwrap()
            .1
            .clone();
        t.add_user("town_of_victim", "town_officer", &victim_town)
            .await;
        let town_tok = t.token("town_of_victim").await;
        let (s, c) = t
            .api(
                axum::http::Method::POST,
                &format!("/api/v1/cases/{victim_case}/events"),
                Some(&town_tok),
                Some(serde_json::json!({"kind": "review", "note": "年度复核"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert!(c["effective_month"].as_str().unwrap() > "2020-12");
        let (_, again) = t.get("/api/v1/targets?year=2020", &tok).await;
        assert_eq!(indicator(&again, "T08.3")["current"], t083["current"]);
        assert!(
            floor.0 < 12_000 * floor.1,
            "the cut households are below 12000"
        );
        assert_eq!(
            t083["status"], "missed",
            "2020 is over and the floor is below 12000"
        );
        let below: Vec<&String> = all
            .iter()
            .filter(|r| r.2 < 12_000 * r.3)
            .map(|r| &r.0)
            .collect();
        // the households whose benefit was cut are 漏保 leads now
        for (_, h) in &victims {
            assert!(below.contains(&h));
        }
        // the drill-down lists exactly those households with their count, and all of them on request
        let (s, d) = t.get("/api/v1/targets/T08.3?year=2020", &tok).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["households_below"], below.len() as i64, "{d}");
        assert_eq!(d["households_total"], all.len() as i64);
        let mut listed: Vec<String> = d["households"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["household_id"].as_str().unwrap().to_string())
            .collect();
        // masked like a 公示
        for h in d["households"].as_array().unwrap() {
            let name = h["head_name"].as_str().unwrap();
            assert!(name.chars().count() < 2 || name.contains('*'), "{h}");
        }
        listed.sort();
        let mut want: Vec<String> = below.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(listed, want);
        let (_, d_all) = t
            .get("/api/v1/targets/T08.3?year=2020&all=true", &tok)
            .await;
        assert_eq!(d_all["households"].as_array().unwrap().len(), all.len());
        // town by town: households, below-target count and floor per town
        let mut per_town: BTreeMap<String, Vec<(String, String, i128, i128)>> = BTreeMap::new();
        for r in &all {
            per_town.entry(r.1.clone()).or_default().push(r.clone());
        }
        let towns = d["by_town"].as_array().unwrap();
        assert_eq!(towns.len(), per_town.len());
        for tf in towns {
            let rows = &per_town[tf["town_code"].as_str().unwrap()];
            assert_eq!(tf["count"], rows.len() as i64);
            assert_eq!(
                tf["other"],
                rows.iter().filter(|r| r.2 < 12_000 * r.3).count() as i64
            );
            assert_eq!(tf["figure"], show(min_fraction(rows).unwrap()));
        }
        // registry incomes have no history: the series is the judging month's figure
        let series = d["series"].as_array().unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0]["month"], "2020-12");
        assert_eq!(series[0]["value"], t083["current"]);

        // T10.1: the verification module's figure, or no_data while no run has completed
        let ctx = minzheng::app::Ctx::command_line(
            minzheng::app::auth::token_actor(&t.app, &tok, "test")
                .await
                .unwrap()
                .unwrap()
                .0,
            "test",
        );
        match minzheng::app::verification::precision_rate(&t.app, &ctx)
            .await
            .unwrap()
        {
            None => {
                assert_eq!(indicator(&v, "T10.1")["status"], "no_data");
                assert_eq!(indicator(&v, "T10.1")["current"], Value::Null);
            }
            Some(p) => {
                let cents = i128::from(p.eligible) * 100 * 100 / i128::from(p.recipients);
                let s = format!("{}.{:02}", cents / 100, cents % 100);
                assert_eq!(
                    indicator(&v, "T10.1")["current"],
                    s.trim_end_matches('0').trim_end_matches('.')
                );
            }
        }
    }
);

db_test!(town_officer_sees_only_its_town, |b: Backend| async move {
    let t = TestApp::with_demo(b, 700).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    let (town,): (String,) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT town_code FROM cases WHERE category IN ('dibao', 'tekun', 'low_income') GROUP BY town_code ORDER BY COUNT(*) DESC, town_code LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    let towns_with_cases = t.scalar("SELECT COUNT(DISTINCT town_code) FROM cases WHERE category IN ('dibao', 'tekun', 'low_income')").await;
    assert!(towns_with_cases > 1);
    t.add_user("town", "town_officer", &town).await;
    let tok = t.token("town").await;
    let (_, v) = t.get("/api/v1/targets?year=2020", &tok).await;
    // the headline floor is the town's own
    let own = households_by_hand(&t, Some(&town)).await;
    assert_eq!(
        indicator(&v, "T08.3")["current"],
        show(min_fraction(&own).unwrap())
    );
    for id in ["T08.3", "T10.1"] {
        let (s, d) = t
            .get(&format!("/api/v1/targets/{id}?year=2020&all=true"), &tok)
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        for tf in d["by_town"].as_array().unwrap() {
            assert_eq!(tf["town_code"], town.as_str(), "{id}");
        }
        for h in d["households"].as_array().unwrap() {
            assert_eq!(h["town_code"], town.as_str());
        }
    }
    let (_, d) = t
        .get("/api/v1/targets/T08.3?year=2020&all=true", &tok)
        .await;
    assert_eq!(d["households"].as_array().unwrap().len(), own.len());
    assert_eq!(d["by_town"].as_array().unwrap().len(), 1);
    // pages and the export name no other town
    let areas = t.app.areas();
    let others: Vec<String> = areas
        .towns()
        .iter()
        .filter(|a| a.code != town)
        .map(|a| a.name.clone())
        .collect();
    let sess = t.login_browser("town").await;
    for path in [
        "/targets?year=2020",
        "/targets/print?year=2020",
        "/targets/T08.3?year=2020&all=1",
        "/targets/T10.1?year=2020",
    ] {
        let (s, _, body) = t.page(&sess, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains(&areas.name(&town)), "{path}");
        for o in &others {
            assert!(!html.contains(o.as_str()), "{path} shows {o}");
        }
    }
    let (_, _, x) = t.page(&sess, "/targets/export.xlsx?year=2020").await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x)).unwrap();
    let sheet = wb.worksheet_range("各镇(街道)").unwrap();
    let cells: Vec<String> = sheet
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(cells.contains(&areas.name(&town)));
    for o in &others {
        assert!(!cells.contains(o), "export shows {o}");
    }
});

db_test!(
    reports_need_evidence_and_a_second_officer,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("yl", "city_officer", "320281").await;
        t.add_user("boss", "city_officer", "320281").await;
        t.add_user("leader", "leader", "320281").await;
        t.add_user("cj", "town_officer", "320281001").await;
        let (yl, boss, leader, cj) = (
            t.token("yl").await,
            t.token("boss").await,
            t.token("leader").await,
            t.token("cj").await,
        );
        let url = "/api/v1/targets/T16.10/reports?year=2020";
        // the leader reads but does not report
        let (s, _) = post_multipart(
            &t,
            url,
            &leader,
            &[("value", "1"), ("as_of", "2020-06-30")],
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // computed indicators are not reported
        let (s, e) = post_multipart(
            &t,
            "/api/v1/targets/T08.1/reports?year=2020",
            &yl,
            &[("value", "1000"), ("as_of", "2020-06-30")],
            &[],
        )
        .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("indicator_id"))
        );
        // bad values and files name the field
        for (fields, files, field) in [
            (
                vec![("value", "abc"), ("as_of", "2020-06-30")],
                vec![],
                "value",
            ),
            (
                vec![("value", "1"), ("as_of", "2020-13-01")],
                vec![],
                "as_of",
            ),
            (
                vec![("value", "1"), ("as_of", "2019-12-31")],
                vec![],
                "as_of",
            ),
            // a figure of the next year belongs to the next year's plan
            (
                vec![("value", "1"), ("as_of", "2021-01-05")],
                vec![],
                "as_of",
            ),
            (
                vec![("value", "1"), ("as_of", "2020-06-30")],
                vec![("files", "bed.pdf", PNG)],
                "files",
            ),
            (
                vec![("value", "1"), ("as_of", "2020-06-30")],
                vec![("files", "bed.exe", PDF)],
                "files",
            ),
        ] {
            let (s, e) = post_multipart(&t, url, &yl, &fields, &files).await;
            assert_eq!(
                (s, e["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{e}"
            );
        }
        let big = [PDF, &vec![b' '; 10 * 1024 * 1024]].concat();
        let (s, e) = post_multipart(
            &t,
            url,
            &yl,
            &[("value", "1"), ("as_of", "2020-06-30")],
            &[("files", "big.pdf", &big)],
        )
        .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("files")),
            "{e}"
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM target_reports").await,
            0,
            "nothing written by refused reports"
        );

        // a report without evidence cannot be approved
        let (s, r1) = post_multipart(
            &t,
            url,
            &yl,
            &[
                ("value", "1"),
                ("as_of", "2020-06-30"),
                ("comment", "上半年新增床位"),
            ],
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r1}");
        assert_eq!(r1["status"], "pending");
        let r1id = r1["id"].as_str().unwrap();
        let decision = format!("/api/v1/targets/reports/{r1id}/decision");
        let (s, e) = t
            .api(
                Method::POST,
                &decision,
                Some(&boss),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence")),
            "{e}"
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM target_reports WHERE status = 'approved'")
                .await,
            0
        );
        // evidence added; the reporter cannot approve their own report, another city officer can
        let (s, ev) = post_multipart(
            &t,
            &format!("/api/v1/targets/reports/{r1id}/evidence"),
            &yl,
            &[],
            &[("files", "床位统计.pdf", PDF), ("files", "现场.png", PNG)],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{ev}");
        assert_eq!(ev.as_array().unwrap().len(), 2);
        let (s, _) = t
            .api(
                Method::POST,
                &decision,
                Some(&yl),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = t
            .api(
                Method::POST,
                &decision,
                Some(&cj),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a town office does not approve");
        let (s, ok) = t
            .api(
                Method::POST,
                &decision,
                Some(&boss),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{ok}");
        assert_eq!(ok["status"], "approved");
        let (s, _) = t
            .api(
                Method::POST,
                &decision,
                Some(&boss),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, _) = post_multipart(
            &t,
            &format!("/api/v1/targets/reports/{r1id}/evidence"),
            &yl,
            &[],
            &[("files", "x.pdf", PDF)],
        )
        .await;
        assert_eq!(
            s,
            StatusCode::CONFLICT,
            "no evidence added after the decision"
        );
        // the evidence downloads as uploaded
        let eid = ev[0]["id"].as_str().unwrap();
        let (s, h, bytes) = t
            .send(
                Request::get(format!("/api/v1/targets/evidence/{eid}"))
                    .header(header::AUTHORIZATION, format!("Bearer {leader}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(bytes, PDF);

        let (_, v) = t.get("/api/v1/targets?year=2020", &leader).await;
        assert_eq!(indicator(&v, "T16.10")["current"], "1");
        assert_eq!(
            indicator(&v, "T16.10")["status"],
            "missed",
            "2020 is over and 1 < 2"
        );

        // a later figure is a new report; the old one stays; a rejected one never counts
        let (_, r2) = post_multipart(
            &t,
            url,
            &yl,
            &[("value", "3"), ("as_of", "2020-12-31")],
            &[("files", "年报.pdf", PDF)],
        )
        .await;
        let (_, r3) = post_multipart(
            &t,
            url,
            &yl,
            &[("value", "99"), ("as_of", "2020-12-31")],
            &[("files", "错.pdf", PDF)],
        )
        .await;
        let (s, e) = t
            .api(
                Method::POST,
                &format!(
                    "/api/v1/targets/reports/{}/decision",
                    r3["id"].as_str().unwrap()
                ),
                Some(&boss),
                Some(json!({"approve": false})),
            )
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
        );
        let (s, _) = t
            .api(
                Method::POST,
                &format!(
                    "/api/v1/targets/reports/{}/decision",
                    r3["id"].as_str().unwrap()
                ),
                Some(&boss),
                Some(json!({"approve": false, "note": "数字有误"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = t
            .api(
                Method::POST,
                &format!(
                    "/api/v1/targets/reports/{}/decision",
                    r2["id"].as_str().unwrap()
                ),
                Some(&boss),
                Some(json!({"approve": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = t.get("/api/v1/targets?year=2020", &leader).await;
        assert_eq!(indicator(&v, "T16.10")["current"], "3");
        assert_eq!(indicator(&v, "T16.10")["status"], "done");
        let (_, d) = t.get("/api/v1/targets/T16.10?year=2020", &leader).await;
        let reps = d["reports"].as_array().unwrap();
        assert_eq!(reps.len(), 3);
        assert_eq!(
            t.scalar(
                "SELECT COUNT(*) FROM target_reports WHERE value = '1' AND status = 'approved'"
            )
            .await,
            1
        );
        // monthly progress from the approved reports: 1 from June, 3 in December
        let series = d["series"].as_array().unwrap();
        assert_eq!(series[4]["value"], Value::Null);
        assert_eq!(series[5]["value"], "1");
        assert_eq!(series[11]["value"], "3");

        // a milestone: done once approved
        let (_, m) = post_multipart(
            &t,
            "/api/v1/targets/T16.15/reports?year=2020",
            &yl,
            &[
                ("value", "1"),
                ("as_of", "2020-09-01"),
                ("comment", "市养老服务协会成立"),
            ],
            &[("files", "批复.pdf", PDF)],
        )
        .await;
        t.api(
            Method::POST,
            &format!(
                "/api/v1/targets/reports/{}/decision",
                m["id"].as_str().unwrap()
            ),
            Some(&boss),
            Some(json!({"approve": true})),
        )
        .await;
        let (_, v) = t.get("/api/v1/targets?year=2020", &leader).await;
        assert_eq!(
            (
                indicator(&v, "T16.15")["current"].as_str(),
                indicator(&v, "T16.15")["status"].as_str()
            ),
            (Some("1"), Some("done"))
        );

        // a town office's report is its own: another town does not see it
        let (s, tr) = post_multipart(
            &t,
            "/api/v1/targets/T14.3/reports?year=2020",
            &cj,
            &[("value", "16"), ("as_of", "2020-11-30")],
            &[("files", "登记.pdf", PDF)],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{tr}");
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        let (_, d) = t.get("/api/v1/targets/T14.3?year=2020", &nz).await;
        assert_eq!(d["reports"].as_array().unwrap().len(), 0);
        let (_, d) = t.get("/api/v1/targets/T14.3?year=2020", &cj).await;
        assert_eq!(d["reports"].as_array().unwrap().len(), 1);
        // every step is in the audit log, and the chain holds
        assert!(t.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('targets.report', 'targets.evidence', 'targets.decide')").await >= 8);
        assert!(
            minzheng::app::audit::verify(&t.app.db)
                .await
                .unwrap()
                .first_problem
                .is_none()
        );
    }
);

db_test!(plan_imports_by_year, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("city", "city_officer", "320281").await;
    t.add_user("cj", "town_officer", "320281001").await;
    let (city, cj) = (t.token("city").await, t.token("cj").await);
    let (_, before) = t.get("/api/v1/targets?year=2020", &city).await;
    let rows_2020 = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            let rows: Vec<(String, String, String, String, String)> = db
                .conn()
                .fetch_all("SELECT id, target, kind, value, metric FROM target_indicators WHERE year = 2020 ORDER BY id", vec![])
                .await
                .unwrap();
            let items: Vec<(i32, String, String)> = db
                .conn()
                .fetch_all("SELECT item, title, sections FROM target_items WHERE year = 2020 ORDER BY item", vec![])
                .await
                .unwrap();
            (rows, items)
        }
    };
    let stored_before = rows_2020(&t).await;

    // 2021: the same format, other values (a higher dibao standard, a new indicator)
    let items_2021 = "item,chapter,title,sections,text\n8,三、基本民生保障,兜牢民生保障底线,社会救助科,确保低保标准达每人每月1100元以上。\n16,五、养老服务,稳步增加养老服务供给,养老服务科,新增床位2000张。\n";
    let inds_2021 = "id,item,target,kind,value,unit,computed_from,path,metric\nT08.1,8,低保标准,>=,1100,元/人/月,assistance standards,level,assistance.dibao_standard\nT16.1,16,新增养老床位,≥,2000,张,elderly institutions,cumulative,\n";
    let url = "/api/v1/targets/plans?year=2021";
    let files = [
        ("items", "items.csv", items_2021.as_bytes()),
        ("indicators", "indicators.csv", inds_2021.as_bytes()),
    ];
    let (s, _) = post_multipart(&t, url, &cj, &[], &files).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a town office does not import the city's plan"
    );
    let (s, r) = post_multipart(&t, url, &city, &[], &files).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (
            r["items"].as_i64(),
            r["indicators"].as_i64(),
            r["unchanged"].as_bool()
        ),
        (Some(2), Some(2), Some(false))
    );
    let (_, v21) = t.get("/api/v1/targets?year=2021", &city).await;
    assert_eq!(v21["indicators"].as_array().unwrap().len(), 2);
    assert_eq!(indicator(&v21, "T08.1")["value"], "1100");
    // 2020 is exactly as it was
    assert_eq!(rows_2020(&t).await, stored_before);
    let (_, after) = t.get("/api/v1/targets?year=2020", &city).await;
    assert_eq!(before, after);
    // the same plan again (other line endings) changes nothing; a different plan for 2021 is refused
    let crlf = inds_2021.replace('\n', "\r\n");
    let (s, r) = post_multipart(
        &t,
        url,
        &city,
        &[],
        &[
            ("items", "i.csv", items_2021.as_bytes()),
            ("indicators", "x.csv", crlf.as_bytes()),
        ],
    )
    .await;
    assert_eq!(
        (s, r["unchanged"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{r}"
    );
    let changed = inds_2021.replace("1100", "1200");
    let (s, e) = post_multipart(
        &t,
        url,
        &city,
        &[],
        &[
            ("items", "i.csv", items_2021.as_bytes()),
            ("indicators", "x.csv", changed.as_bytes()),
        ],
    )
    .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::CONFLICT, Some("year")),
        "{e}"
    );
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM target_indicators WHERE year = 2021 AND value = '1100'")
            .await,
        1
    );
    // re-importing the shipped 2020 files is a no-op
    let (s, r) = post_multipart(
        &t,
        "/api/v1/targets/plans?year=2020",
        &city,
        &[],
        &[
            ("items", "i.csv", ITEMS_2020.as_bytes()),
            ("indicators", "x.csv", INDICATORS_2020.as_bytes()),
        ],
    )
    .await;
    assert_eq!(
        (s, r["unchanged"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{r}"
    );

    // bad rows: each named by file, row and field; nothing imported
    let bad_items =
        "item,title,sections,text\n1,甲,办公室,内容\nx,乙,办公室,内容\n3,,办公室,内容\n";
    let bad_inds = "id,item,target,kind,value,unit\nA1,1,指标一,≥,10,个\nA1,1,指标二,>,abc,个\nA3,7,指标三,done,5,\nA4,1,指标四,≤,-3,%\n";
    let (s, e) = post_multipart(
        &t,
        "/api/v1/targets/plans?year=2022",
        &city,
        &[],
        &[
            ("items", "i.csv", bad_items.as_bytes()),
            ("indicators", "x.csv", bad_inds.as_bytes()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let got: Vec<(String, i64, String)> = e["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["row"].as_i64().unwrap(),
                r["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("items", 3, "item"),
        ("items", 4, "title"),
        ("indicators", 3, "id"),
        ("indicators", 3, "kind"),
        ("indicators", 4, "item"),
        ("indicators", 4, "value"),
        ("indicators", 5, "value"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1, want.2.to_string())),
            "{want:?} in {got:?}"
        );
    }
    for table in ["target_plans", "target_items", "target_indicators"] {
        assert_eq!(
            t.scalar(&format!("SELECT COUNT(*) FROM {table} WHERE year = 2022"))
                .await,
            0,
            "{table}"
        );
    }
    // a missing column is named too
    let (s, e) = post_multipart(
        &t,
        "/api/v1/targets/plans?year=2022",
        &city,
        &[],
        &[
            ("items", "i.csv", items_2021.as_bytes()),
            (
                "indicators",
                "x.csv",
                "id,item,target,value,unit\nB1,8,x,1,个\n".as_bytes(),
            ),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["rows"][0]["column"], "kind", "{e}");
    // the command line imports the same way
    let dir = tempfile::tempdir().unwrap();
    let (pi, px) = (dir.path().join("items.csv"), dir.path().join("inds.csv"));
    std::fs::write(&pi, items_2021).unwrap();
    std::fs::write(&px, inds_2021.replace("1100", "1150")).unwrap();
    let sys =
        minzheng::app::Ctx::command_line(minzheng::app::authz::Actor::system("320281"), "cli");
    let msg = minzheng::app::targets::plan::import_files(&t.app, &sys, 2023, &pi, &px)
        .await
        .unwrap();
    assert!(msg.contains("2023"), "{msg}");
    std::fs::write(&px, bad_inds).unwrap();
    let err = minzheng::app::targets::plan::import_files(&t.app, &sys, 2024, &pi, &px)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("第3行") && !err.contains('\n'), "{err}");
    // a NUL in a cell is refused and named (PostgreSQL would refuse the text itself: an internal error before)
    std::fs::write(&pi, items_2021.replacen("\n8,", "\n8\u{0},", 1)).unwrap();
    std::fs::write(&px, inds_2021).unwrap();
    let err = minzheng::app::targets::plan::import_files(&t.app, &sys, 2025, &pi, &px)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("控制字符") && err.contains("item"), "{err}");
});
