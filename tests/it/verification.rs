//! Verification and rectification end to end, on SQLite and PostgreSQL: the demo city, the generated departmental
//! files with planted anomalies, loads through the API, a run, and the findings compared with the ground truth.

use crate::common;

use crate::common::{Backend, TestApp, load, multipart, upload};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use minzheng::app::verification::gather;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Starts a verification run over every active case as `token`: (status, body).
async fn start_run(t: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    t.api(
        Method::POST,
        "/api/v1/verification/runs",
        Some(token),
        Some(body),
    )
    .await
}

type Key = (String, String, String, String);

/// Recipients of the run's cases with a standing 错保 finding, counted from the findings and case pages of the API.
async fn imprecise_recipients(t: &TestApp, token: &str, run: &str) -> i64 {
    let (_, items) = all_findings(t, token, run).await;
    let cases: BTreeSet<String> = items
        .iter()
        .filter(|f| {
            !["unregistered_relative", "coverage_outlier", "missed"]
                .contains(&f["kind"].as_str().unwrap())
        })
        .filter(|f| f["status"] == "open" || f["status"] == "confirmed")
        .map(|f| f["case_id"].as_str().unwrap().to_string())
        .collect();
    let mut n = 0;
    for c in cases {
        let (s, v) = t.get(&format!("/api/v1/cases/{c}"), token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        n += v["members"].as_array().unwrap().len() as i64;
    }
    n
}

fn key(kind: &str, case: &str, person: &str, area: &str) -> Key {
    (
        kind.into(),
        case.into(),
        person.into(),
        if kind == "coverage_outlier" {
            area.into()
        } else {
            String::new()
        },
    )
}

async fn all_findings(t: &TestApp, token: &str, run: &str) -> (BTreeSet<Key>, Vec<Value>) {
    let mut out = BTreeSet::new();
    let mut items = Vec::new();
    let mut page = 1;
    loop {
        let (s, v) = t
            .get(
                &format!("/api/v1/verification/findings?run={run}&page={page}"),
                token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let got = v["items"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        for f in &got {
            assert!(
                f["evidence"]["source"].is_string(),
                "every finding names its evidence: {f}"
            );
            out.insert(key(
                f["kind"].as_str().unwrap(),
                f["case_id"].as_str().unwrap_or(""),
                f["person_id"].as_str().unwrap_or(""),
                f["area_code"].as_str().unwrap_or(""),
            ));
        }
        items.extend(got);
        page += 1;
    }
    (out, items)
}

db_test!(
    planted_anomalies_are_found_and_nothing_else,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 2500).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        t.add_user("centre", "city_officer", "320281").await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("wg", "village_worker", "320281001001").await;
        let (city, cj) = (t.token("centre").await, t.token("cj").await);
        let on = t.app.today();
        let dir = tempfile::tempdir().unwrap();
        let ctx = minzheng::app::Ctx::command_line(
            minzheng::app::authz::Actor {
                role: minzheng::app::authz::Role::CityOfficer,
                ..minzheng::app::authz::Actor::system("320281")
            },
            "test",
        );
        let w = minzheng::demo::sources::generate(
            &t.app,
            &ctx,
            dir.path(),
            minzheng::demo::sources::Options {
                on,
                seed: 11,
                per_kind: 2,
                workers_percent: 30,
            },
        )
        .await
        .unwrap();
        assert!(w.rows > 1_000 && w.planted > 0);

        // a town officer may not load files or start runs
        let deaths = std::fs::read(dir.path().join("deaths.csv")).unwrap();
        let (s, _) = load(&t, &cj, "deaths", "deaths.csv", &deaths, &on.to_string()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let sources = [
            "deaths",
            "vehicles",
            "real_estate",
            "business",
            "social_insurance",
            "housing_fund",
            "public_payroll",
            "deposits",
            "disability",
            "serious_illness",
            "custody",
            "hukou_moves",
        ];
        let mut rows = 0;
        for s in sources {
            let bytes = std::fs::read(dir.path().join(format!("{s}.csv"))).unwrap();
            let (st, v) = load(&t, &city, s, &format!("{s}.csv"), &bytes, &on.to_string()).await;
            assert_eq!(st, StatusCode::CREATED, "{s}: {v}");
            rows += v["rows"].as_i64().unwrap();
        }
        assert_eq!(rows as u64, w.rows);
        // the same file again adds nothing
        let before = t.scalar("SELECT COUNT(*) FROM src_deaths").await;
        let (st, v) = load(&t, &city, "deaths", "again.csv", &deaths, &on.to_string()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(t.scalar("SELECT COUNT(*) FROM src_deaths").await, before);
        assert_eq!(t.scalar("SELECT COUNT(*) FROM source_loads").await, 12);

        let (st, _) = start_run(&t, &cj, json!({})).await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "runs belong to the city verification centre"
        );
        // cases decided before migration 0005 keep their household only on the application
        t.app
            .db
            .conn()
            .execute(
                "UPDATE cases SET household_json = NULL WHERE household_json = \
                 (SELECT a.household_json FROM applications a WHERE a.id = cases.application_id)",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            t.scalar("SELECT COUNT(*) FROM cases WHERE household_json IS NULL")
                .await
                > 0
        );
        let (st, run) = start_run(&t, &city, json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{run}");
        let run_id = run["run_id"].as_str().unwrap().to_string();
        t.assert_residents_kept().await;
        // the recipients counted from the cases the run read are the members of every active case
        assert_eq!(
            run["recipients"].as_i64().unwrap(),
            t.scalar("SELECT COUNT(*) FROM case_members m JOIN cases c ON c.id = m.case_id WHERE c.status = 'active'")
                .await
        );

        // every planted anomaly and nothing else
        let mut truth = BTreeSet::new();
        let mut gt = csv::Reader::from_path(dir.path().join("ground_truth.csv")).unwrap();
        for r in gt.records() {
            let r = r.unwrap();
            truth.insert(key(&r[0], &r[1], &r[2], &r[3]));
        }
        let (found, items) = all_findings(&t, &city, &run_id).await;
        assert_eq!(run["findings"].as_i64().unwrap() as usize, found.len());
        let missing: Vec<_> = truth.difference(&found).collect();
        let extra: Vec<_> = found.difference(&truth).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}\nextra {extra:?}"
        );
        for kind in [
            "death",
            "vehicle",
            "residential_property",
            "commercial_property",
            "enterprise",
            "public_payroll",
            "income",
            "moved_away",
            "missed",
        ] {
            assert!(truth.iter().any(|k| k.0 == kind), "the demo plants {kind}");
        }

        // a town officer sees only its town's findings, and a count that agrees
        let (_, v) = t
            .get(&format!("/api/v1/verification/findings?run={run_id}"), &cj)
            .await;
        let town_total = items
            .iter()
            .filter(|f| f["town_code"] == "320281001")
            .count() as i64;
        assert_eq!(v["total"].as_i64().unwrap(), town_total);
        let (cj_found, _) = all_findings(&t, &cj, &run_id).await;
        assert!(cj_found.len() as i64 == town_total);
        let outside = items
            .iter()
            .find(|f| f["town_code"] != "320281001")
            .unwrap();
        let (s, _) = t
            .get(
                &format!(
                    "/api/v1/verification/findings/{}",
                    outside["id"].as_str().unwrap()
                ),
                &cj,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // decisions: confirm a vehicle (stop, with the overpayment), dismiss another finding with a reason
        let vehicle = items.iter().find(|f| f["kind"] == "vehicle").unwrap();
        let vid = vehicle["id"].as_str().unwrap();
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/verification/findings/{vid}/decision"),
                Some(&city),
                Some(json!({"decision": "confirm", "action": "stop"})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a decision needs a reason: {v}"
        );
        assert_eq!(v["field"], "reason");
        let (s, v) = t
        .api(Method::POST, &format!("/api/v1/verification/findings/{vid}/decision"), Some(&city), Some(json!({"decision": "confirm", "action": "stop", "reason": "入户核实名下确有小汽车"})))
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "confirmed");
        assert!(v["overpayment"].is_string());
        let case = vehicle["case_id"].as_str().unwrap();
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM cases WHERE id = '{case}' AND status = 'stopped'"
            ))
            .await,
            1
        );
        let (s, _) = t
            .api(
                Method::POST,
                &format!("/api/v1/verification/findings/{vid}/decision"),
                Some(&city),
                Some(json!({"decision": "dismiss", "reason": "重复处理测试"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let payroll = items
            .iter()
            .find(|f| f["kind"] == "public_payroll")
            .unwrap();
        let (s, v) = t
            .api(
                Method::POST,
                &format!(
                    "/api/v1/verification/findings/{}/decision",
                    payroll["id"].as_str().unwrap()
                ),
                Some(&city),
                Some(json!({"decision": "dismiss", "reason": "同名人员，经核实非本人"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // 精准救助率: recipients of cases with a standing 错保 finding (open or confirmed) are not precisely assisted;
        // counted here from the findings and the cases' members as the API shows them
        let (_, p) = t.get("/api/v1/verification/precision", &city).await;
        let recipients = p["recipients"].as_i64().unwrap();
        assert_eq!(recipients, run["recipients"].as_i64().unwrap());
        let bad = imprecise_recipients(&t, &city, &run_id).await;
        assert_eq!(p["eligible"].as_i64().unwrap(), recipients - bad);
        assert!(bad > 0 && recipients > bad);

        // a second run: the stopped case is no longer checked, the dismissal stands, nothing is open twice
        let (_, run2) = start_run(&t, &city, json!({})).await;
        let run2 = run2["run_id"].as_str().unwrap().to_string();
        let (found2, items2) = all_findings(&t, &city, &run2).await;
        assert!(!found2.iter().any(|k| k.1 == case));
        let again = items2
            .iter()
            .find(|f| f["kind"] == "public_payroll" && f["case_id"] == payroll["case_id"])
            .unwrap();
        assert_eq!(again["status"], "dismissed");
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM findings WHERE run_id = '{run_id}' AND status = 'open'"
            ))
            .await,
            0
        );

        // the plan's target T10.1 of 2020 comes from the latest run checked in 2020
        let (st, run2020) = start_run(&t, &city, json!({"on": "2020-12-31"})).await;
        assert_eq!(st, StatusCode::CREATED, "{run2020}");
        let run2020_id = run2020["run_id"].as_str().unwrap().to_string();
        let bad2020 = imprecise_recipients(&t, &city, &run2020_id).await;
        let total2020 = run2020["recipients"].as_i64().unwrap();
        let (_, targets) = t.get("/api/v1/targets?year=2020", &city).await;
        let t101 = targets["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "T10.1")
            .unwrap()
            .clone();
        assert_eq!(t101["source"], "computed", "{t101}");
        // shown rounded half up to two decimals, as every percentage
        let shown: f64 = t101["current"].as_str().unwrap().parse().unwrap();
        let exact = (total2020 - bad2020) as f64 * 100.0 / total2020 as f64;
        assert!(
            (shown - exact).abs() <= 0.005 + 1e-9,
            "T10.1 {shown} vs {exact}"
        );
        assert_eq!(
            t101["status"],
            if bad2020 == 0 { "done" } else { "missed" },
            "{t101}"
        );

        // its drill-down leads to the run's findings, the records behind the figure
        let session = t.login_browser("centre").await;
        let (_, _, body) = t.page(&session, "/targets/T10.1?year=2020").await;
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains(&format!(
                "/verification/findings?run={run2020_id}&amp;status=open"
            )),
            "{html}"
        );
        // the dashboard's progress by month ends, in December, with the indicators met on 31 December
        let (_, _, body) = t.page(&session, "/targets?year=2020").await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("id=\"monthly-chart\""), "{html}");
        let done = targets["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "done")
            .count();
        assert!(
            html.contains(&format!("<title>12月 {done}项</title>")),
            "{done} done: {html}"
        );

        // early warnings: a death in an assisted household is a review task for the village's grid worker
        let (_, tasks) = t.get("/api/v1/tasks?category=death_review", &city).await;
        let tasks = tasks["items"].as_array().unwrap().clone();
        let death = tasks
            .iter()
            .find(|x| x["kind"] == "death_review")
            .expect("a death review task");
        let (_, overdue) = t.get("/api/v1/tasks?category=review_overdue", &city).await;
        assert!(overdue["total"].as_i64().unwrap() > 0, "{overdue}");
        let tid = death["id"].as_str().unwrap();
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/tasks/{tid}/close"),
                Some(&city),
                Some(json!({"outcome": "closed", "reason": "已复核完毕"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "visit first: {v}");
        let (s, v) = upload(
            &t,
            &city,
            &format!("/api/v1/tasks/{tid}/visit"),
            &[("note", "入户走访，家属在家")],
            &[("photo", "x.jpg", b"not an image at all")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "photo");
        let png: &[u8] = common::PNG;
        let (s, v) = upload(
            &t,
            &city,
            &format!("/api/v1/tasks/{tid}/visit"),
            &[("note", "入户走访，家属在家")],
            &[("photo", "p.png", png)],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "visited");
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM grid_task_photos WHERE task_id = '{tid}'"
            ))
            .await,
            1
        );
        // the photo is shown: listed with the task, served by the API and as a thumbnail on the tasks page
        let photo = v["photos"][0].as_str().unwrap().to_string();
        let (_, listed) = t
            .get("/api/v1/tasks?status=all&category=death_review", &city)
            .await;
        assert!(listed.to_string().contains(&photo), "{listed}");
        let req = axum::http::Request::get(format!("/api/v1/tasks/{tid}/photos/{photo}"))
            .header(header::AUTHORIZATION, format!("Bearer {city}"))
            .body(Body::empty())
            .unwrap();
        let (s, _, bytes) = t.send(req).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(bytes, png);
        let session = t.login_browser("centre").await;
        let (_, _, page) = t
            .page(
                &session,
                "/verification/tasks?category=death_review&status=all",
            )
            .await;
        assert!(
            String::from_utf8(page)
                .unwrap()
                .contains(&format!("/verification/tasks/{tid}/photos/{photo}")),
            "thumbnail on the tasks page"
        );
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/tasks/{tid}/close"),
                Some(&city),
                Some(json!({"outcome": "closed", "reason": "已按死亡调整救助"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // scanning again creates no duplicate tasks
        let n = t.scalar("SELECT COUNT(*) FROM grid_tasks").await;
        minzheng::app::verification::tasks::scan(&t.app, on)
            .await
            .unwrap();
        assert_eq!(t.scalar("SELECT COUNT(*) FROM grid_tasks").await, n);
        // a village worker sees only its village's tasks
        let wg = t.token("wg").await;
        let (_, mine) = t.get("/api/v1/tasks?status=all", &wg).await;
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["area_code"] == "320281001001")
        );

        // every load keeps its filter; loads without one (made before filters were kept) or with an unreadable
        // one are asked about everyone, and the run finds exactly the same
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM source_loads WHERE id_filter IS NULL")
                .await,
            0
        );
        // the gathering split in two parts (as for a city's tens of thousands of numbers) reads what one reader reads
        let ids: Vec<String> = t
            .app
            .db
            .conn()
            .fetch_all::<(String,)>("SELECT id_number FROM persons ORDER BY id_number", vec![])
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.0)
            .collect();
        let plan = std::sync::Arc::new(gather::plan(&t.app.db, t.app.today()).await.unwrap());
        let one = gather::rows_in_parts(&t.app.db, plan.clone(), &ids, 1)
            .await
            .unwrap();
        let two = gather::rows_in_parts(&t.app.db, plan, &ids, 2)
            .await
            .unwrap();
        assert!(one.len() > 100, "{} people with rows", one.len());
        assert_eq!(one, two);
        let (_, filtered) = start_run(&t, &city, json!({})).await;
        let (found, _) = all_findings(&t, &city, filtered["run_id"].as_str().unwrap()).await;
        assert!(!found.is_empty());
        t.app
            .db
            .conn()
            .execute(
                "UPDATE source_loads SET id_filter = CASE WHEN source IN ('vehicles', 'deaths') THEN NULL ELSE 'TVpGMQ==' END",
                vec![],
            )
            .await
            .unwrap();
        let (st, again) = start_run(&t, &city, json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{again}");
        let (found_unfiltered, _) =
            all_findings(&t, &city, again["run_id"].as_str().unwrap()).await;
        assert_eq!(found_unfiltered, found);
    }
);

db_test!(a_bad_file_loads_nothing, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("centre", "city_officer", "320281").await;
    let city = t.token("centre").await;
    let good =
        "id_number,plate,vehicle_kind,registered_on\n320281195001010013,苏B12345,car,2019-01-01\n";
    let bad = format!(
        "{good}320281195001010012,苏B1,tank,2019-01-01\n320281195001010013,苏B2,truck,2019-02-30\n320281195001010013,苏B3,car,2019-01-01\n"
    );
    let (s, v) = load(&t, &city, "vehicles", "v.csv", bad.as_bytes(), "2020-12-31").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let rows: Vec<(i64, String)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, "id_number".into()),
            (3, "vehicle_kind".into()),
            (4, "registered_on".into())
        ]
    );
    assert_eq!(t.scalar("SELECT COUNT(*) FROM src_vehicles").await, 0);
    assert_eq!(t.scalar("SELECT COUNT(*) FROM source_loads").await, 0);
    // a bad row after more than one batch has been written: everything written rolls back
    let mut big = String::from("id_number,plate,vehicle_kind,registered_on\n");
    let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    // over 1 MiB: loaded with the index dropped and the bulk cache (on SQLite)
    for i in 0..30_000u32 {
        let id = minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            birth + chrono::Duration::days(i64::from(i / 900)),
            (i % 900) as u16,
        );
        big.push_str(&format!("{},苏B{i:05},car,2019-01-01\n", id.as_str()));
    }
    big.push_str("320281195001010013,苏B0,car,someday\n");
    let (s, v) = load(
        &t,
        &city,
        "vehicles",
        "big.csv",
        big.as_bytes(),
        "2020-12-31",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["rows"][0]["row"], 30_002);
    assert_eq!(t.scalar("SELECT COUNT(*) FROM src_vehicles").await, 0);
    assert_eq!(t.scalar("SELECT COUNT(*) FROM source_loads").await, 0);
    if matches!(b, Backend::Sqlite) {
        // no pooled connection keeps the failed load's bulk cache: hold them all (8) and ask each
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(t.app.db.reader().await.unwrap());
        }
        for r in &mut held {
            assert_eq!(
                r.scalar("PRAGMA cache_size", vec![]).await.unwrap(),
                -16 * 1024
            );
        }
    }
    // a missing column is named
    let (s, v) = load(
        &t,
        &city,
        "vehicles",
        "v.csv",
        b"id_number,plate\n320281195001010013,x\n",
        "2020-12-31",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("vehicle_kind"), "{v}");
    // an unknown source, a missing or future as-of date
    let (s, v) = load(&t, &city, "weather", "v.csv", good.as_bytes(), "2020-12-31").await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("source"))
    );
    let (s, v) = upload(
        &t,
        &city,
        "/api/v1/sources/vehicles/loads",
        &[],
        &[("file", "v.csv", good.as_bytes())],
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("as_of"))
    );
    let (s, _) = load(
        &t,
        &city,
        "vehicles",
        "v.csv",
        good.as_bytes(),
        "2999-01-01",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // the good file loads, with its as-of date and checksum; an XLSX of the same rows is another file
    let (s, v) = load(
        &t,
        &city,
        "vehicles",
        "v.csv",
        good.as_bytes(),
        "2020-12-31",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["rows"], 1);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["id_number", "plate", "vehicle_kind", "registered_on"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, h) in ["320281195001010013", "苏B99999", "motorcycle", "2020-03-04"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let xlsx = wb.save_to_buffer().unwrap();
    let (s, v) = load(&t, &city, "vehicles", "v.xlsx", &xlsx, "2020-12-31").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(t.scalar("SELECT COUNT(*) FROM src_vehicles").await, 2);
    assert_eq!(
        t.scalar(
            "SELECT COUNT(*) FROM src_vehicles WHERE vehicle_kind = 'motorcycle' AND row_no = 2"
        )
        .await,
        1
    );
    let (_, loads) = t.get("/api/v1/sources/loads", &city).await;
    assert_eq!(loads.as_array().unwrap().len(), 2);
    assert!(loads[0]["checksum"].as_str().unwrap().len() == 64);
});

db_test!(
    pages_show_loads_findings_tasks_and_staff,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 400).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        t.add_user("centre", "city_officer", "320281").await;
        let s = t.login_browser("centre").await;
        let (st, _, body) = t.page(&s, "/verification").await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("导入部门数据") && html.contains("尚未进行核对"),
            "{html}"
        );
        // a file through the page: a bad one names its rows, a good one loads
        let bad = b"id_number,name,date_of_death\n320281195001010012,x,2020-01-01\n";
        let (ct, form) = multipart(
            &[("source", "deaths"), ("as_of", "2020-12-31")],
            &[("file", "d.csv", bad)],
        );
        let req = Request::post(format!("/verification/loads?csrf={}", s.csrf))
            .header(header::COOKIE, format!("mz_session={}", s.cookie))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(form))
            .unwrap();
        let (st, _, body) = t.send(req).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("第2行 id_number"), "{html}");
        // a person of the city dies: the run finds it and the grid task appears
        let (case, idn, town_code): (String, String, String) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT c.id, p.id_number, c.town_code FROM cases c JOIN case_members m ON m.case_id = c.id JOIN persons p ON p.id = m.person_id \
             WHERE c.status = 'active' ORDER BY c.start_month, c.id LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
        let good = format!("id_number,name,date_of_death\n{idn},某某,2020-06-15\n");
        let (ct, form) = multipart(
            &[("source", "deaths"), ("as_of", "2020-12-31")],
            &[("file", "d.csv", good.as_bytes())],
        );
        let req = Request::post(format!("/verification/loads?csrf={}", s.csrf))
            .header(header::COOKIE, format!("mz_session={}", s.cookie))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(form))
            .unwrap();
        let (_, _, body) = t.send(req).await;
        assert!(String::from_utf8(body).unwrap().contains("已导入1行"));
        let (st, _, body) = t
            .post_form(&s, "/verification/runs", &format!("csrf={}", s.csrf))
            .await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains("核对完成") && html.contains("kinds-chart"),
            "{html}"
        );
        // the town officer sees the finding and decides it on the page
        t.add_user("cj", "town_officer", &town_code).await;
        let town = t.login_browser("cj").await;
        let (_, _, body) = t.page(&town, "/verification/findings?kind=death").await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("死亡仍在保"), "{html}");
        let (fid,): (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                &format!("SELECT id FROM findings WHERE case_id = '{case}' AND kind = 'death'"),
                vec![],
            )
            .await
            .unwrap();
        let (_, _, body) = t
        .post_form(&town, &format!("/verification/findings/{fid}/decision"), &format!("csrf={}&decision=confirm&action=adjust&reason=%E5%85%A5%E6%88%B7%E6%A0%B8%E5%AE%9E%E5%B1%9E%E5%AE%9E", town.csrf))
        .await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("已处理"), "{html}");
        assert_eq!(
            t.scalar(&format!(
                "SELECT COUNT(*) FROM case_changes WHERE case_id = '{case}' AND kind = 'death'"
            ))
            .await,
            1
        );
        // the overpayment: what was paid above the adjusted amount for every month after the death, counted here
        let over: i64 = t
            .scalar(&format!(
                "SELECT CAST(COALESCE(SUM(CASE WHEN l.amount > ch.new_amount THEN l.amount - ch.new_amount ELSE 0 END), 0) AS BIGINT) \
                 FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                 JOIN case_changes ch ON ch.case_id = l.case_id AND ch.kind = 'death' \
                 WHERE l.case_id = '{case}' AND r.status = 'approved' AND l.status <> 'failed' AND l.month_for > '2020-06'"
            ))
            .await;
        assert!(over > 0, "the demo paid this case after June 2020");
        assert_eq!(
            t.scalar(&format!(
                "SELECT overpayment FROM findings WHERE id = '{fid}'"
            ))
            .await,
            over
        );
        let (_, _, body) = t.page(&town, "/verification/tasks").await;
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("在保家庭成员死亡")
        );
        let (st, _, body) = t.page(&town, "/verification/staff").await;
        assert_eq!(st, StatusCode::OK);
        assert!(String::from_utf8(body).unwrap().contains("登记工作人员"));
        // the town officer's overview has no load form and no run button
        let (_, _, body) = t.page(&town, "/verification").await;
        let html = String::from_utf8(body).unwrap();
        assert!(!html.contains("导入部门数据") && !html.contains("id=\"run\""));
    }
);

/// The fields a browser would submit from the form `id` of a page: inputs with their values (checkboxes only when
/// checked) and each select's selected option (or its first).
fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{id}\"")).expect("the form");
    let end = start + html[start..].find("</form>").expect("form end");
    let form = &html[start..end];
    let attr = |tag: &str, a: &str| -> Option<String> {
        let k = format!("{a}=\"");
        let i = tag.find(&k)? + k.len();
        Some(tag[i..i + tag[i..].find('"')?].to_string())
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        if tag.starts_with("<input") {
            if let Some(name) = attr(tag, "name") {
                let checkbox = tag.contains("type=\"checkbox\"");
                if !checkbox || tag.contains(" checked") {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap_or_default();
            let body_end = rest.find("</select>").unwrap_or(rest.len());
            let body = &rest[..body_end];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.contains(" selected"))
                .or(options.first());
            if let Some(o) = chosen {
                out.push((name, attr(o, "value").unwrap_or_default()));
            }
            rest = &rest[body_end..];
            continue;
        }
        rest = &rest[close.min(rest.len())..];
        if rest.len() > 1 {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    out
}

db_test!(
    a_grid_task_becomes_an_application,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 300).await;
        t.add_user("centre", "city_officer", "320281").await;
        let city = t.token("centre").await;
        // a household without assistance, with a large medical bill in the register
        let (idn, hid, village): (String, String, String) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT p.id_number, p.household_id, p.area_code FROM persons p WHERE p.relation = 'self' AND p.birth_date < '1980-01-01' \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.household_id = p.household_id) ORDER BY p.id LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
        let csv = format!("id_number,diagnosis,out_of_pocket_12m\n{idn},恶性肿瘤,56000\n");
        let today = t.app.today().to_string();
        let (s, v) = load(
            &t,
            &city,
            "serious_illness",
            "ill.csv",
            csv.as_bytes(),
            &today,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        t.add_user("wg", "village_worker", &village).await;
        let wg = t.token("wg").await;
        let (_, tasks) = t.get("/api/v1/tasks?category=medical_bill", &wg).await;
        let task = tasks["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "medical_bill")
            .expect("a medical-bill task")
            .clone();
        assert_eq!(task["household_id"], hid.as_str());
        let tid = task["id"].as_str().unwrap().to_string();
        // loading the same register again raises no second task
        minzheng::app::verification::tasks::scan(&t.app, t.app.today())
            .await
            .unwrap();
        assert_eq!(t.scalar(&format!("SELECT COUNT(*) FROM grid_tasks WHERE person_id = (SELECT id FROM persons WHERE id_number = '{idn}')")).await, 1);
        let (s, v) = upload(
            &t,
            &wg,
            &format!("/api/v1/tasks/{tid}/visit"),
            &[("note", "入户了解，治疗费用负担重")],
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // the grid worker files the application from the task: the intake is the registry's, the task closes with it
        let session = t.login_browser("wg").await;
        let (_, _, body) = t.page(&session, "/verification/tasks").await;
        let html = String::from_utf8(body).unwrap();
        let link = format!("/assistance/applications/new?household={hid}&task={tid}");
        assert!(html.contains(&link), "{html}");
        let (st, _, body) = t
            .page(
                &session,
                &format!("/assistance/applications/new?household={hid}&task={tid}"),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        let mut fields: Vec<(String, String)> = form_fields(&html, "intake")
            .into_iter()
            .filter(|(k, _)| {
                !["category", "authorisation_on", "bank_account", "rigid"].contains(&k.as_str())
            })
            .collect();
        assert!(fields.iter().any(|(k, v)| k == "task" && v == &tid));
        fields.push(("category".into(), "expenditure".into()));
        fields.push(("authorisation_on".into(), today.clone()));
        fields.push(("bank_account".into(), "6228480012345678901".into()));
        fields.push(("rigid".into(), "56000".into()));
        let form = serde_urlencoded::to_string(&fields).unwrap();
        let (st, headers, body) = t
            .post_form(&session, "/assistance/applications/new", &form)
            .await;
        assert_eq!(
            st,
            StatusCode::SEE_OTHER,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let app_id = headers[header::LOCATION]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let (_, done) = t.get("/api/v1/tasks?status=closed", &wg).await;
        let closed = done["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == tid.as_str())
            .expect("closed")
            .clone();
        assert_eq!(closed["outcome"], "application");
        assert_eq!(closed["application_id"], app_id.as_str());
    }
);
