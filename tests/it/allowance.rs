//! 高龄津贴 on SQLite and PostgreSQL: residents aged 80+ on the 1st of the month are paid at their band's standard
//! without applying, a resident turning 80 joins the next roll, a death stops it, accounts are recorded by the town,
//! and every figure is scoped.

use crate::common;

use crate::common::{Backend, TestApp, load};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn resident(
    t: &TestApp,
    tok: &str,
    village: &str,
    name: &str,
    birth: (i32, u32, u32),
    seq: u16,
) -> (String, String) {
    let (s, h) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(tok),
            Some(json!({"area_code": village, "address": "长寿路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
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

async fn account(t: &TestApp, tok: &str, person: &str, acct: &str) -> StatusCode {
    t.api(
        Method::PUT,
        &format!("/api/v1/elderly/accounts/{person}"),
        Some(tok),
        Some(json!({"bank_account": acct})),
    )
    .await
    .0
}

async fn roll_total(t: &TestApp, city: &str, month: &str) -> (i64, i64) {
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/payments/rolls",
            Some(city),
            Some(json!({"month": month})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let q = format!(
        "FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '{month}' AND l.programme = 'old_age'"
    );
    (
        t.scalar(&format!("SELECT COUNT(*) {q}")).await,
        t.scalar(&format!(
            "SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) {q}"
        ))
        .await,
    )
}

db_test!(
    residents_aged_80_and_over_are_paid_by_band_without_applying,
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
        let v_cj = t.app.areas().children("320281001")[0].code.clone();
        let v_nz = t.app.areas().children("320281004")[0].code.clone();
        let (a, _) = resident(&t, &cj, &v_cj, "高一", (1940, 3, 15), 11).await;
        let (b2, b_idn) = resident(&t, &cj, &v_cj, "高二", (1930, 6, 1), 21).await;
        let (c, _) = resident(&t, &cj, &v_cj, "高三", (1920, 1, 1), 31).await;
        // turns 80 on 20 December: not in December's roll, in January's
        let (d, _) = resident(&t, &cj, &v_cj, "高四", (1940, 12, 20), 41).await;
        let (e, _) = resident(&t, &cj, &v_cj, "高五", (1935, 1, 1), 51).await;
        let (f, _) = resident(&t, &nz, &v_nz, "高六", (1938, 5, 5), 61).await;
        let (s, v) = t
            .api(
                Method::PATCH,
                &format!("/api/v1/persons/{e}"),
                Some(&cj),
                Some(json!({"status": "deceased"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for (p, n) in [(&a, 1), (&b2, 2), (&c, 3), (&d, 4), (&e, 5)] {
            assert_eq!(
                account(&t, &cj, p, &format!("622848000000000000{n}")).await,
                StatusCode::NO_CONTENT
            );
        }
        assert_eq!(
            account(&t, &cj, &f, "6228480000000000006").await,
            StatusCode::NOT_FOUND,
            "another town's resident"
        );
        assert_eq!(
            account(&t, &cj, &a, "12ab").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // the bureau sets the bands' amounts; a town cannot
        let std = |band: &str, amount: &str| json!({"band": band, "effective_from": "2020-01", "monthly_amount": amount, "reason": "澄政发〔2019〕30号"});
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/elderly/allowance/standards",
                Some(&cj),
                Some(std("80_89", "50.00")),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for (band, amount) in [
            ("80_89", "50.00"),
            ("90_99", "100.00"),
            ("100_plus", "300.00"),
        ] {
            let (s, v) = t
                .api(
                    Method::POST,
                    "/api/v1/elderly/allowance/standards",
                    Some(&city),
                    Some(std(band, amount)),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }

        // December: 高一 (80), 高二 (90), 高三 (100) in 澄江; 高四 not yet 80, 高五 dead; 高六 in 南闸 has no account
        let (s, v) = t.get("/api/v1/elderly/allowance?month=2020-12", &cj).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["residents"], 3, "{v}");
        assert_eq!(v["without_account"], 0);
        assert_eq!(v["total"], "450.00");
        let (_, v) = t
            .get("/api/v1/elderly/allowance?month=2020-12", &city)
            .await;
        assert_eq!(v["residents"], 4, "{v}");
        assert_eq!(v["without_account"], 1);
        let (_, v) = t
            .get(
                "/api/v1/elderly/allowance/missing-accounts?month=2020-12",
                &nz,
            )
            .await;
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["person_id"], f.as_str());
        assert_eq!(v["items"][0]["age"], 82);
        let (_, v) = t
            .get(
                "/api/v1/elderly/allowance/missing-accounts?month=2020-12",
                &cj,
            )
            .await;
        assert_eq!(v["total"], 0);
        let (s, v) = t.get("/api/v1/elderly/allowance?month=2020-13", &cj).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

        assert_eq!(roll_total(&t, &city, "2020-12").await, (3, 45000));
        assert_eq!(
            roll_total(&t, &city, "2021-01").await,
            (4, 50000),
            "高四 turned 80 in December"
        );
        // a death in the deaths source stops it too, with nothing to apply for or stop by hand
        let csv = format!("id_number,name,date_of_death\n{b_idn},高二,2021-01-10\n");
        let (s, v) = load(
            &t,
            &city,
            "deaths",
            "deaths.csv",
            csv.as_bytes(),
            "2021-01-31",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(roll_total(&t, &city, "2021-02").await, (3, 40000));
        let label: Value = t.get("/api/v1/payments/rolls/2021-02/lines", &city).await.1;
        assert!(label.to_string().contains("高龄津贴"), "{label}");
    }
);

db_test!(
    the_roll_agrees_with_an_independent_count_of_a_demo_city,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 1500).await;
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        for (band, amount) in [
            ("80_89", "50.00"),
            ("90_99", "100.00"),
            ("100_plus", "300.00"),
        ] {
            let (s, v) = t
                .api(
                    Method::POST,
                    "/api/v1/elderly/allowance/standards",
                    Some(&city),
                    Some(json!({"band": band, "effective_from": "2020-01", "monthly_amount": amount, "reason": "测试"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        // every other resident born before 1946 has an account; a few of them die in the registry
        let conn = t.app.db.conn();
        let mut c = conn;
        c.execute(
            "INSERT INTO payee_accounts (person_id, bank_account, recorded_by, recorded_at) \
             SELECT id, '6228' || id_last4, 'test', $1 FROM persons WHERE birth_date < '1946-01-01' AND id_last4 < '5'",
            minzheng::args![chrono::Utc::now()],
        )
        .await
        .unwrap();
        c.execute(
            "UPDATE persons SET status = 'deceased' WHERE id IN (SELECT person_id FROM payee_accounts ORDER BY person_id LIMIT 3)",
            vec![],
        )
        .await
        .unwrap();
        // counted here from the registry's raw rows with a calendar age of our own, not the platform's rule
        let people: Vec<(String, chrono::NaiveDate, String, Option<String>, String)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT p.id, p.birth_date, p.status, a.bank_account, p.id_number FROM persons p \
                 LEFT JOIN payee_accounts a ON a.person_id = p.id",
                vec![],
            )
            .await
            .unwrap();
        let died: Vec<(String,)> = t
            .app
            .db
            .conn()
            .fetch_all("SELECT id_number FROM src_deaths", vec![])
            .await
            .unwrap();
        let died: std::collections::HashSet<String> = died.into_iter().map(|d| d.0).collect();
        let first = chrono::NaiveDate::from_ymd_opt(2020, 12, 1).unwrap();
        let age = |b: chrono::NaiveDate| {
            use chrono::Datelike;
            let mut y = first.year() - b.year();
            if (first.month(), first.day()) < (b.month(), b.day()) {
                y -= 1;
            }
            y
        };
        let mut expected: Vec<(String, i64)> = people
            .iter()
            .filter(|(_, _, status, acct, idn)| {
                status == "normal" && acct.is_some() && !died.contains(idn)
            })
            .filter_map(|(id, birth, _, _, _)| {
                let a = age(*birth);
                let fen = match a {
                    80..=89 => 5_000,
                    90..=99 => 10_000,
                    a if a >= 100 => 30_000,
                    _ => return None,
                };
                Some((id.clone(), fen))
            })
            .collect();
        expected.sort();
        assert!(
            expected.len() > 10,
            "the demo city has residents aged 80+: {}",
            expected.len()
        );
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(json!({"month": "2020-12"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let paid = common::roll_lines(&t, "2020-12", "old_age", "payee_id").await;
        assert_eq!(paid, expected);
    }
);
