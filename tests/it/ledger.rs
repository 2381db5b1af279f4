//! The town's ledger (台账): all-or-nothing import with every bad row named, idempotent re-import, export round trip.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const HEADER: [&str; 10] = [
    "户编号",
    "村(社区)代码",
    "姓名",
    "身份证号码",
    "与户主关系",
    "救助类别",
    "月救助金(元)",
    "银行账号",
    "起始月份",
    "住址",
];

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn id(birth: &str, seq: u16) -> String {
    minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap(),
        seq,
    )
    .to_string()
}

fn row(
    key: &str,
    village: &str,
    name: &str,
    idn: &str,
    rel: &str,
    cat: &str,
    amount: &str,
) -> Vec<String> {
    [
        key,
        village,
        name,
        idn,
        rel,
        cat,
        amount,
        "6228480000000000009",
        "2020-01",
        "澄江街道某路1号",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn upload(t: &TestApp, tok: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let (s, _, body) = t
        .send(
            axum::http::Request::post("/api/v1/ledger/imports")
                .header("authorization", format!("Bearer {tok}"))
                .header(
                    "content-type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                .body(axum::body::Body::from(bytes))
                .unwrap(),
        )
        .await;
    (s, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

db_test!(
    ledger_import_is_all_or_nothing_and_idempotent,
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
        let v1 = t.app.areas().children("320281001")[0].code.clone();
        let v2 = t.app.areas().children("320281004")[0].code.clone();
        let good = vec![
            row(
                "A001",
                &v1,
                "周大富",
                &id("1950-02-02", 101),
                "户主",
                "低保",
                "1200",
            ),
            row(
                "A001",
                &v1,
                "周小美",
                &id("2012-03-03", 102),
                "子女",
                "低保",
                "1200",
            ),
            row(
                "A002",
                &v1,
                "钱独居",
                &id("1938-04-04", 103),
                "户主",
                "特困",
                "1700.00",
            ),
        ];
        let persons = t.scalar("SELECT COUNT(*) FROM persons").await;
        // every bad row is named; nothing is written
        let mut bad = good.clone();
        bad.push(row(
            "A003",
            &v1,
            "坏号码",
            "320281195002020011",
            "户主",
            "低保",
            "800",
        ));
        bad.push(row(
            "A004",
            &v1,
            "怪类别",
            &id("1960-01-01", 105),
            "户主",
            "五保",
            "800",
        ));
        bad.push(row(
            "A005",
            &v2,
            "外镇人",
            &id("1960-01-01", 107),
            "户主",
            "低保",
            "800",
        ));
        bad.push(row(
            "A001",
            &v1,
            "周三",
            &id("1990-01-01", 109),
            "配偶",
            "低保",
            "999",
        ));
        let (s, v) = upload(&t, &cj, xlsx(&bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "file");
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
        assert!(rows.contains(&(5, "身份证号码".into())), "{rows:?}");
        assert!(rows.contains(&(6, "救助类别".into())), "{rows:?}");
        assert!(rows.contains(&(7, "村(社区)代码".into())), "{rows:?}");
        assert!(rows.contains(&(8, "月救助金(元)".into())), "{rows:?}");
        assert!(v["rows"].as_array().unwrap().iter().all(|r| {
            r["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        }));
        assert_eq!(t.scalar("SELECT COUNT(*) FROM persons").await, persons);
        assert_eq!(t.scalar("SELECT COUNT(*) FROM cases").await, 0);
        // the good file imports
        let (s, v) = upload(&t, &cj, xlsx(&good)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            json!({"households": 2, "persons_created": 3, "cases_created": 2, "cases_unchanged": 0})
        );
        // again: nothing changes
        let audit_before = t.scalar("SELECT COUNT(*) FROM cases").await;
        let (s, v) = upload(&t, &cj, xlsx(&good)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            v,
            json!({"households": 2, "persons_created": 0, "cases_created": 0, "cases_unchanged": 2})
        );
        assert_eq!(t.scalar("SELECT COUNT(*) FROM cases").await, audit_before);
        t.assert_residents_kept().await;
        // another town's officer cannot import into 澄江
        let (s, v) = upload(&t, &nz, xlsx(&good)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        // imported cases are paid from their frozen amounts
        let (_, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(json!({"month": "2020-02"})),
            )
            .await;
        assert_eq!(v["lines"], 2);
        assert_eq!(v["total"], 290000);
        // the full export imports back unchanged; the masked one hides the numbers
        let (s, _, bytes) = t
            .send(
                axum::http::Request::get("/api/v1/ledger/export?full=true")
                    .header("authorization", format!("Bearer {cj}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(&bytes[..2], b"PK");
        let (s, v) = upload(&t, &cj, bytes).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["cases_unchanged"], 2);
        assert_eq!(v["cases_created"], 0);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.export'")
                .await,
            1
        );
        let (_, _, masked) = t
            .send(
                axum::http::Request::get("/api/v1/ledger/export")
                    .header("authorization", format!("Bearer {cj}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        let (s, v) = upload(&t, &cj, masked).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a masked export is not an import file: {v}"
        );
        // a town sees only its own ledger
        let (_, _, nz_export) = t
            .send(
                axum::http::Request::get("/api/v1/ledger/export?full=true")
                    .header("authorization", format!("Bearer {nz}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        let (s, v) = upload(&t, &nz, nz_export).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "南闸's ledger is empty: {v}"
        );
    }
);
