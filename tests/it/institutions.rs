//! 养老机构 and 安全与防疫 through their API and pages, on SQLite and PostgreSQL: filing, beds and new beds, star
//! grades, residents with the file's keep-until date, the yearly inspection and its overdue flag; checklist
//! inspections, hazards closed with photos and escalated when overdue, closed management, screening logs and
//! incidents; area scope (a town neither sees nor changes another's) and sections (科室).

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Value, json};

fn today() -> NaiveDate {
    minzheng::util::today()
}

fn d(days_from_today: i64) -> String {
    (today() + Duration::days(days_from_today)).to_string()
}

fn credit(seq: &str) -> String {
    let first = format!("52320281MJ{seq}");
    format!("{first}{}", minzheng_domain::orgs::check_char(&first))
}

/// A city officer of one section, added by the administrator.
async fn officer(t: &TestApp, name: &str, section: &str) {
    let admin = t.token("admin").await;
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(
                json!({"username": name, "password": common::PASSWORD, "role": "city_officer",
                        "area_code": "320281", "sections": [section]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn org(t: &TestApp, tok: &str, name: &str, seq: &str, kind: &str, area: &str) -> String {
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/organisations",
            Some(tok),
            Some(
                json!({"name": name, "credit_code": credit(seq), "kind": kind, "area_code": area}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn post(t: &TestApp, tok: &str, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, Some(tok), Some(body)).await
}

/// A registry person (household and person) in `village`; answers the identity number.
async fn person(t: &TestApp, tok: &str, village: &str, name: &str, seq: u16) -> String {
    let (s, h) = post(
        t,
        tok,
        "/api/v1/households",
        json!({"area_code": village, "address": "养老路1号"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        NaiveDate::from_ymd_opt(1938, 3, 4).unwrap(),
        seq,
    )
    .to_string();
    let (s, p) = post(
        t,
        tok,
        "/api/v1/persons",
        json!({"id_number": idn, "name": name, "area_code": village, "household_id": h["id"], "relation": "self"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    idn
}

use crate::common::PNG;

db_test!(
    institutions_filing_beds_residents_inspections,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("wg", "village_worker", "320281001001").await;
        t.add_user("leader", "leader", "320281").await;
        t.add_user("city", "city_officer", "320281").await;
        officer(&t, "shezu", "social_organisations").await;
        let cj = t.token("cj").await;
        let nz = t.token("nz").await;
        let wg = t.token("wg").await;
        let leader = t.token("leader").await;
        let city = t.token("city").await;
        let shezu = t.token("shezu").await;
        let id = org(
            &t,
            &cj,
            "澄江颐养院",
            "0001601",
            "elderly_institution",
            "320281001001",
        )
        .await;
        let old = org(
            &t,
            &cj,
            "澄江敬老院",
            "0001602",
            "elderly_institution",
            "320281001",
        )
        .await;
        // another kind is not on this line
        let other = org(&t, &cj, "澄江助餐点", "0001603", "meal_point", "320281001").await;

        // not yet filed: listed, unfiled, overdue for its inspection
        let (s, v) = t.get("/api/v1/institutions", &cj).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 2, "{v}");
        assert_eq!(v["overdue"], 2);
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["inspection_overdue"] == true && i["filed_on"].is_null())
        );
        let (s, _) = t.get(&format!("/api/v1/institutions/{other}"), &cj).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/beds"),
            json!({"changed_on": d(0), "beds_total": 10, "beds_nursing": 1, "note": "扩建"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(v["error"].as_str().unwrap().contains("尚未备案"));

        // filing: documents named, nursing beds within the total, once
        let filing = json!({"filed_on": d(0), "filing_number": "澄民养备〔2020〕1号", "ownership": "public_private",
                        "beds_total": 100, "beds_nursing": 120, "documents": ["营业执照", "消防验收意见书", "食品经营许可证"]});
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/filing"),
            filing.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "beds_nursing");
        let mut bad = filing.clone();
        bad["documents"] = json!([" "]);
        bad["beds_nursing"] = json!(60);
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{id}/filing"), bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "documents");
        let mut bad = filing.clone();
        bad["filed_on"] = json!("2101-01-01");
        bad["beds_nursing"] = json!(60);
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{id}/filing"), bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "filed_on");
        let mut good = filing.clone();
        good["beds_nursing"] = json!(60);
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/filing"),
            good.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["filing"]["ownership_label"], "公建民营");
        assert_eq!(v["documents"].as_array().unwrap().len(), 3);
        assert_eq!(v["new_beds_this_year"], 100);
        let (s, _) = post(&t, &cj, &format!("/api/v1/institutions/{id}/filing"), good).await;
        assert_eq!(s, StatusCode::CONFLICT);

        // a document added later with its scan; a file that is no PDF/JPG/PNG is refused
        let (s, v) = common::upload(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/documents"),
            &[("name", "法人登记证书")],
            &[("file", "x.exe", b"MZ\x90\x00")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "file");
        let (s, v) = common::upload(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/documents"),
            &[("name", "法人登记证书")],
            &[("file", "scan.pdf", b"%PDF-1.4 scan\n%%EOF\n")],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let doc = v["id"].as_str().unwrap().to_string();
        let (s, _) = t
            .get(&format!("/api/v1/institutions/documents/{doc}"), &cj)
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = t
            .get(&format!("/api/v1/institutions/documents/{doc}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // beds by date: the change of the total is kept, new beds counted for the year
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{id}/beds"),
        json!({"changed_on": d(0), "beds_total": 120, "beds_nursing": 80, "note": "新建护理楼"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["new_beds_this_year"], 120);
        assert_eq!(v["beds"].as_array().unwrap().len(), 2);
        assert_eq!(v["beds"][1]["added"], 20);
        assert_eq!(
            v["filing"]["ownership"], "public_private",
            "ownership unchanged when left out"
        );
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/beds"),
            json!({"changed_on": d(-1), "beds_total": 120, "beds_nursing": 80, "note": "备案前"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "changed_on");
        let (s, v) = t
            .get(
                &format!("/api/v1/institutions/beds/new?year={}", today().year()),
                &city,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["added"], 120);
        assert_eq!(v["nursing_added"], 80);
        assert_eq!(v["by_town"][0]["town_code"], "320281001");
        let (_, v) = t
            .get(
                &format!("/api/v1/institutions/beds/new?year={}", today().year()),
                &nz,
            )
            .await;
        assert_eq!(v["added"], 0, "another town's beds are not counted");

        // star grade 1–5 with its date
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/star"),
            json!({"grade": 6, "rated_on": d(0)}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "grade");
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/star"),
            json!({"grade": 3, "rated_on": d(0)}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["filing"]["star_label"], "三星级");

        // a resident from another town, by identity number; masked; one institution at a time
        let idn = person(&t, &nz, "320281004001", "南闸老人", 512).await;
        let admission = json!({"id_number": idn, "admitted_on": d(0), "contract_number": "HT-2020-001",
                           "contract_start": d(0), "contract_end": d(365)});
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{id}/residents"),
        json!({"id_number": "320281193803040000", "admitted_on": d(0), "contract_number": "X", "contract_start": d(0), "contract_end": d(1)})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "id_number");
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/residents"),
            admission.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["name"], "南**人");
        assert!(v["id_number"].as_str().unwrap().contains('*'));
        let contract_end = today() + Duration::days(365);
        assert_eq!(
            v["keep_until"],
            contract_end
                .with_year(contract_end.year() + 5)
                .unwrap_or(contract_end)
                .to_string()
        );
        let resident = v["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/residents"),
            admission.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // discharged early: the file is kept 5 years from the discharge, and stays listed
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/residents/{resident}/discharge"),
            json!({"discharged_on": d(0), "reason": "本人要求回家"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["keep_until"],
            today()
                .with_year(today().year() + 5)
                .unwrap_or(today())
                .to_string()
        );
        let (s, _) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/residents/{resident}/discharge"),
            json!({"discharged_on": d(0), "reason": "再次"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, v) = t.get(&format!("/api/v1/institutions/{id}"), &cj).await;
        assert_eq!(v["residents"].as_array().unwrap().len(), 1);
        assert_eq!(v["residents_live"], 0);
        // admitted again after the discharge
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/residents"),
            admission,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // the yearly inspection: two inspectors; the overdue flag follows the last 365 days
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["王检查"], "result": "passed"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "inspectors");
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["王检查", "李检查"], "result": "rectify"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a result other than passed needs a note: {v}"
        );
        assert_eq!(v["field"], "note");
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/institutions/{id}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["王检查", "李检查"], "result": "passed"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // the other institution was filed long ago and last inspected 366 days ago
        let mut f = filing.clone();
        f["filed_on"] = json!(d(-800));
        f["beds_nursing"] = json!(10);
        f["ownership"] = json!("public");
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{old}/filing"), f).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = post(&t, &cj, &format!("/api/v1/institutions/{old}/inspections"),
        json!({"inspected_on": d(-366), "inspectors": ["王检查", "李检查"], "result": "passed"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = t.get(&format!("/api/v1/institutions/{old}"), &cj).await;
        assert_eq!(v["inspection_overdue"], true, "{v}");
        assert_eq!(v["new_beds_this_year"], 0, "filed in an earlier year");
        let (_, v) = t.get(&format!("/api/v1/institutions/{id}"), &cj).await;
        assert_eq!(v["inspection_overdue"], false, "{v}");
        let (_, v) = t.get("/api/v1/institutions?overdue=true", &cj).await;
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["id"], old.as_str());
        let (_, v) = t.get("/api/v1/institutions?q=颐养", &cj).await;
        assert_eq!(v["total"], 1);
        let (_, v) = t.get("/api/v1/institutions?filing=unfiled", &cj).await;
        assert_eq!(v["total"], 0);
        let (s, v) = t.get("/api/v1/institutions?filing=maybe", &cj).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "filing");

        // scope: another town neither sees nor changes it
        let (_, v) = t.get("/api/v1/institutions", &nz).await;
        assert_eq!(v["total"], 0);
        let (s, _) = t.get(&format!("/api/v1/institutions/{id}"), &nz).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = t
            .get(&format!("/api/v1/institutions/residents/{resident}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = post(
            &t,
            &nz,
            &format!("/api/v1/institutions/{id}/star"),
            json!({"grade": 1, "rated_on": d(0)}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = post(
            &t,
            &nz,
            &format!("/api/v1/institutions/residents/{resident}/discharge"),
            json!({"discharged_on": d(0), "reason": "越权"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // sections: the social-organisation section reads but does not act; read-only roles and grid workers neither
        let (s, _) = t.get(&format!("/api/v1/institutions/{id}"), &shezu).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = post(
            &t,
            &shezu,
            &format!("/api/v1/institutions/{id}/star"),
            json!({"grade": 1, "rated_on": d(0)}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("养老服务科"), "{v}");
        for tok in [&leader, &wg] {
            let (s, _) = post(
                &t,
                tok,
                &format!("/api/v1/institutions/{id}/star"),
                json!({"grade": 1, "rated_on": d(0)}),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        let (s, v) = post(
            &t,
            &city,
            &format!("/api/v1/institutions/{id}/star"),
            json!({"grade": 4, "rated_on": d(0)}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // every change is on the audit log
        let n = t
            .scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'institution.%'")
            .await;
        assert_eq!(n, 11, "every write audited");
    }
);

db_test!(
    safety_inspections_hazards_closures_screenings_incidents,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("wg", "village_worker", "320281001001").await;
        t.add_user("leader", "leader", "320281").await;
        officer(&t, "yanglao", "elderly_care").await;
        officer(&t, "shezu", "social_organisations").await;
        let cj = t.token("cj").await;
        let nz = t.token("nz").await;
        let wg = t.token("wg").await;
        let leader = t.token("leader").await;
        let yl = t.token("yanglao").await;
        let sz = t.token("shezu").await;
        let id = org(
            &t,
            &cj,
            "澄江颐养院",
            "0002501",
            "elderly_institution",
            "320281001001",
        )
        .await;
        let assoc = org(
            &t,
            &cj,
            "澄江老年协会",
            "0002502",
            "social_group",
            "320281001",
        )
        .await;
        let base = format!("/api/v1/safety/organisations/{id}");

        // the checklist: every item once, a failed one with a note
        let items = |failed_note: &str| {
            json!(
                [
                    "fire_facilities",
                    "evacuation",
                    "food_safety",
                    "electrical",
                    "special_equipment",
                    "duty_roster"
                ]
                .iter()
                .map(|i| if *i == "food_safety" {
                    json!({"item": i, "passed": false, "note": failed_note})
                } else {
                    json!({"item": i, "passed": true})
                })
                .collect::<Vec<_>>()
            )
        };
        let mut body =
            json!({"inspected_on": d(0), "inspectors": ["甲", "乙"], "items": items("留样不全")});
        body["items"].as_array_mut().unwrap().pop();
        let (s, v) = post(&t, &cj, &format!("{base}/inspections"), body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "items");
        assert!(v["error"].as_str().unwrap().contains("值班制度"), "{v}");
        let (s, v) = post(
            &t,
            &cj,
            &format!("{base}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["甲", "乙"], "items": items("")}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "items[2].note");
        let (s, v) = post(
            &t,
            &cj,
            &format!("{base}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["甲", "乙"], "items": items("留样不全")}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["failed"], 1);
        assert_eq!(v["items"][2]["label"], "食品安全");
        let inspection = v["id"].as_str().unwrap().to_string();
        // a city officer of another section cannot record; the elderly section can
        let (s, v) = post(
            &t,
            &sz,
            &format!("{base}/inspections"),
            json!({"inspected_on": d(0), "inspectors": ["甲", "乙"], "items": items("留样不全")}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("养老服务科"), "{v}");

        // hazards: a major one past its deadline is escalated to the city; the town sees its own, another town nothing
        let (s, v) = post(&t, &cj, &format!("{base}/hazards"),
        json!({"found_on": d(-10), "grade": "severe", "description": "消防通道堵塞", "deadline": d(-1)})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "grade");
        let (s, v) = post(&t, &cj, &format!("{base}/hazards"),
        json!({"found_on": d(-10), "grade": "major", "description": "消防通道堵塞", "deadline": d(-11)})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "deadline");
        let (s, v) = post(&t, &yl, &format!("{base}/hazards"),
        json!({"found_on": d(-10), "grade": "major", "description": "消防通道堵塞", "deadline": d(-1), "inspection_id": inspection})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["overdue"], true);
        let hazard = v["id"].as_str().unwrap().to_string();
        let (s, v) = post(&t, &cj, &format!("{base}/hazards"),
        json!({"found_on": d(0), "grade": "general", "description": "插线板老化", "deadline": d(30)})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["overdue"], false);
        for (tok, n) in [(&yl, 1), (&cj, 1), (&nz, 0), (&leader, 1)] {
            let (s, v) = t.get("/api/v1/safety/hazards/escalated", tok).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(v.as_array().unwrap().len(), n, "{v}");
        }
        let (_, v) = t.get("/api/v1/safety/organisations", &yl).await;
        assert_eq!(
            v["total"], 1,
            "the association is no service institution: {v}"
        );
        assert_eq!(v["items"][0]["open_hazards"], 2);
        assert_eq!(v["items"][0]["overdue_hazards"], 1);
        assert_eq!(v["items"][0]["major_open"], 1);
        let (s, _) = t
            .get(&format!("/api/v1/safety/organisations/{assoc}"), &cj)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // closure needs photos, JPEG or PNG
        let close = format!("/api/v1/safety/hazards/{hazard}/close");
        let (s, v) =
            common::upload(&t, &cj, &close, &[("note", "已清理通道并设置标识")], &[]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "photo");
        let (s, v) = common::upload(
            &t,
            &cj,
            &close,
            &[("note", "已清理通道并设置标识")],
            &[("photo", "a.gif", b"GIF89a")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, _) = common::upload(
            &t,
            &nz,
            &close,
            &[("note", "越权销号试试")],
            &[("photo", "a.png", PNG)],
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = common::upload(
            &t,
            &cj,
            &close,
            &[("note", "已清理通道并设置标识"), ("closed_on", &d(0))],
            &[("photo", "a.png", PNG)],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "closed");
        assert_eq!(v["overdue"], false);
        let photo = v["photos"][0]["id"].as_str().unwrap().to_string();
        let (s, _, bytes) = t
            .send(
                axum::http::Request::get(format!("/api/v1/safety/photos/{photo}"))
                    .header("authorization", format!("Bearer {cj}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(bytes, PNG);
        let (s, _) = t.get(&format!("/api/v1/safety/photos/{photo}"), &nz).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = common::upload(
            &t,
            &cj,
            &close,
            &[("note", "再次销号")],
            &[("photo", "a.png", PNG)],
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, v) = t.get("/api/v1/safety/hazards/escalated", &yl).await;
        assert_eq!(v.as_array().unwrap().len(), 0, "{v}");

        // closed management: periods never overlap; an open one is ended later
        let (s, v) = post(
            &t,
            &cj,
            &format!("{base}/closures"),
            json!({"starts_on": d(-5), "reason": "疫情防控"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let closure = v["id"].as_str().unwrap().to_string();
        let (s, _) = post(
            &t,
            &cj,
            &format!("{base}/closures"),
            json!({"starts_on": d(0), "reason": "再次封闭"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, v) = t.get(&base, &cj).await;
        assert_eq!(v["closed_now"], true);
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/safety/closures/{closure}/end"),
            json!({"ends_on": d(-6)}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "ends_on");
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/safety/closures/{closure}/end"),
            json!({"ends_on": d(-1)}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = t.get(&base, &cj).await;
        assert_eq!(v["closed_now"], false);

        // screening logs: the village's grid worker may record them
        let (s, v) = post(
            &t,
            &wg,
            &format!("{base}/screenings"),
            json!({"screened_on": d(0), "group": "visitors", "screened": 3, "abnormal": 4}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "abnormal");
        let (s, v) = post(
            &t,
            &wg,
            &format!("{base}/screenings"),
            json!({"screened_on": d(0), "group": "visitors", "screened": 30, "abnormal": 1}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an abnormal finding needs a note: {v}"
        );
        assert_eq!(v["field"], "note");
        let (s, v) = post(&t, &wg, &format!("{base}/screenings"),
        json!({"screened_on": d(0), "group": "visitors", "screened": 30, "abnormal": 1, "note": "体温37.8℃，劝返并登记"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["group_label"], "来访人员");
        // …but nothing else
        let (s, _) = post(
            &t,
            &wg,
            &format!("{base}/incidents"),
            json!({"occurred_on": d(0), "infected": 1, "measures": "隔离观察"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // infection incidents, closed once
        let (s, v) = post(
            &t,
            &cj,
            &format!("{base}/incidents"),
            json!({"occurred_on": d(-3), "infected": 0, "measures": "隔离观察"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "infected");
        let (s, v) = post(&t, &cj, &format!("{base}/incidents"), json!({"occurred_on": d(-3), "infected": 2, "measures": "隔离观察，全面消杀，报告疾控"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let incident = v["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &cj,
            &format!("/api/v1/safety/incidents/{incident}/close"),
            json!({"closed_on": d(0), "note": "均已治愈"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = post(
            &t,
            &cj,
            &format!("/api/v1/safety/incidents/{incident}/close"),
            json!({"closed_on": d(0), "note": "均已治愈"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // scope and read-only roles
        let (s, _) = t.get(&base, &nz).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = t.get("/api/v1/safety/organisations", &nz).await;
        assert_eq!(v["total"], 0);
        let (s, _) = post(
            &t,
            &nz,
            &format!("{base}/incidents"),
            json!({"occurred_on": d(0), "infected": 1, "measures": "隔离观察"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = post(
            &t,
            &leader,
            &format!("{base}/incidents"),
            json!({"occurred_on": d(0), "infected": 1, "measures": "隔离观察"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t.get(&base, &leader).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["inspections"].as_array().unwrap().len(), 1);
        assert_eq!(v["hazards"].as_array().unwrap().len(), 2);
        assert_eq!(v["screenings"].as_array().unwrap().len(), 1);
        assert_eq!(v["incidents"][0]["closed_on"], d(0));
        let n = t
            .scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'safety.%'")
            .await;
        assert_eq!(n, 9, "every write audited");
    }
);

db_test!(institution_and_safety_pages, |b: Backend| async move {
    let t = TestApp::new(b).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("nz", "town_officer", "320281004").await;
    let cj_tok = t.token("cj").await;
    let id = org(
        &t,
        &cj_tok,
        "澄江颐养院",
        "0003601",
        "elderly_institution",
        "320281001001",
    )
    .await;
    let cj = t.login_browser("cj").await;
    let nz = t.login_browser("nz").await;
    let html = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let (s, _, body) = t.page(&cj, "/institutions").await;
    assert_eq!(s, StatusCode::OK);
    let body = html(body);
    assert!(body.contains("共 1 条 · 第 1/1 页"), "{body}");
    assert!(body.contains("检查逾期"));
    assert!(body.contains("href=\"/institutions\""), "in the menu");
    assert!(body.contains("href=\"/safety\""), "in the menu");
    // filing through the form; an error keeps what was typed
    let form = |nursing: &str| {
        format!(
            "csrf={}&filed_on={}&filing_number=&ownership=private&beds_total=50&beds_nursing={nursing}&documents={}",
            cj.csrf,
            d(0),
            common::enc("营业执照\n消防验收意见书")
        )
    };
    let (s, _, body) = t
        .post_form(&cj, &format!("/institutions/{id}/act/filing"), &form("70"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let body = html(body);
    assert!(
        body.contains("form-error") && body.contains("护理型"),
        "{body}"
    );
    assert!(body.contains("消防验收意见书</textarea>"));
    let (s, _, body) = t
        .post_form(&cj, &format!("/institutions/{id}/act/filing"), &form("20"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let body = html(body);
    assert!(body.contains("已登记备案"), "{body}");
    assert!(body.contains("消防验收意见书</li>"));
    let (s, _, body) = t
        .post_form(
            &cj,
            &format!("/institutions/{id}/act/inspect"),
            &format!(
                "csrf={}&inspected_on={}&inspectors={}&result=passed&note=",
                cj.csrf,
                d(0),
                common::enc("王检查、李检查")
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(body).contains("已登记现场检查"));
    let (_, _, body) = t.page(&cj, "/institutions?overdue=1").await;
    assert!(html(body).contains("共 0 条 · 第 1/1 页"));
    // the safety page: a checklist inspection through the form
    let (s, _, body) = t.page(&cj, "/safety").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(body).contains("澄江颐养院"));
    let mut f = format!(
        "csrf={}&inspected_on={}&inspectors={}&note=",
        cj.csrf,
        d(0),
        common::enc("甲、乙")
    );
    for i in [
        "fire_facilities",
        "evacuation",
        "food_safety",
        "electrical",
        "special_equipment",
        "duty_roster",
    ] {
        f.push_str(&format!("&r_{i}=passed&n_{i}="));
    }
    let (s, _, body) = t
        .post_form(&cj, &format!("/safety/organisations/{id}/act/inspect"), &f)
        .await;
    assert_eq!(s, StatusCode::OK);
    let body = html(body);
    assert!(body.contains("已登记安全检查"), "{body}");
    assert!(body.contains("消防设施：合格"));
    // another town: not found
    for path in [
        format!("/institutions/{id}"),
        format!("/safety/organisations/{id}"),
    ] {
        let (s, _, _) = t.page(&nz, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
});
