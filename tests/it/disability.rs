//! 残疾人两项补贴 end to end on SQLite and PostgreSQL: a lead from the 残联's registry, filing without paper, the
//! 残联's check, the posting, the county's decision, payment in the monthly roll beside assistance, and the stop when
//! the household's dibao ends.

use crate::common;

use crate::common::workflow::*;
use crate::common::{Backend, TestApp, load};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(t: &TestApp, tok: &str, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, Some(tok), Some(body)).await
}

db_test!(
    a_disabled_dibao_member_is_found_filed_decided_paid_and_stopped,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        let (_, pids, body) = approved(&t, &d).await;
        let (applicant, daughter) = (&pids[0], &pids[1]);
        let daughter_idn = body["household"]["members"][1]["id_number"]
            .as_str()
            .unwrap()
            .to_string();
        // the 残联's registry: the daughter holds a grade-3 limb certificate
        let csv = format!("id_number,kind,grade,certified_on\n{daughter_idn},limb,3,2015-06-01\n");
        let (s, v) = load(
            &t,
            &d.city,
            "disability",
            "残联.csv",
            csv.as_bytes(),
            "2020-10-31",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // the lead is shown to her town, never to another
        let (s, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["person_id"], daughter.as_str());
        assert_eq!(v["items"][0]["programme"], "living");
        let (_, v) = t.get("/api/v1/disability/leads", &nz).await;
        assert_eq!(v["total"], 0, "{v}");

        // filed without paper: the grade and the household's category are read, not typed
        let grant = |person: &str, programme: &str| json!({"person_id": person, "programme": programme, "bank_account": "6228480000000000099", "filed_on": "2020-11-02"});
        let (s, g) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        assert_eq!(g["number"], "澄江残补-2020-0001");
        assert_eq!(g["stage"], "filed");
        assert_eq!(g["household_category"], "最低生活保障");
        assert!(g["disability"].as_str().unwrap().contains("肢体"), "{g}");
        assert!(
            g["disability_basis"].as_str().unwrap().contains("残联"),
            "{g}"
        );
        let account = g["bank_account"].as_str().unwrap();
        assert!(
            account.ends_with("0099") && account.contains('*'),
            "masked: {account}"
        );
        let id = g["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "no second grant: {v}");
        assert!(
            v["error"].as_str().unwrap().contains("澄江残补-2020-0001"),
            "{v}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(daughter, "care"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "grade-3 limb has no care subsidy: {v}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            grant(applicant, "living"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("残疾人证"), "{v}");
        let (s, _) = post(
            &t,
            &nz,
            "/api/v1/disability/subsidies",
            grant(daughter, "living"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "another town's person is not found"
        );
        let (_, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(v["total"], 0, "a filed lead is no longer a lead: {v}");
        let (s, _) = t
            .get(&format!("/api/v1/disability/subsidies/{id}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = t.get("/api/v1/disability/subsidies?q=%E9%A1%BE", &nz).await;
        assert_eq!(v["total"], 0);
        let (_, v) = t
            .get("/api/v1/disability/subsidies?stage=filed", &d.town)
            .await;
        assert_eq!(v["total"], 1);

        // the county's steps, in order, by its social affairs section
        let decision = |on: &str| json!({"approve": true, "on": on});
        let (s, _) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-12"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "the 残联 checks first");
        let (s, _) = post(
            &t,
            &d.town,
            &format!("/api/v1/disability/subsidies/{id}/check"),
            json!({"confirmed": true, "on": "2020-11-05"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the town does not record the 残联's answer"
        );
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/check"),
            json!({"confirmed": true, "on": "2020-11-05"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "checked");
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-08"),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the village posting runs to 11-09: {v}"
        );
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-10"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no standard yet: {v}");
        assert!(v["error"].as_str().unwrap().contains("标准"), "{v}");
        let (s, v) = post(&t, &d.city, "/api/v1/disability/standards",
            json!({"tier": "standard", "effective_from": "2020-01", "monthly_amount": "120.00", "reason": "澄民发〔2020〕8号"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            decision("2020-11-10"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "approved");
        assert_eq!(v["start_month"], "2020-12");

        // paid in the roll beside assistance, from the month after the decision
        let roll = |m: &str| json!({"month": m});
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2020-11")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines WHERE programme = 'disability'")
                .await,
            0
        );
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2020-12")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                      WHERE r.month = '2020-12' AND l.programme = 'disability' AND l.category = 'disability_living'").await,
            12000
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '2020-12' AND l.programme = 'assistance'").await,
            1,
            "the household's dibao is paid too"
        );

        // the dibao ends: the next roll stops the living subsidy, with its reason
        let (_, cases) = t.get("/api/v1/cases", &d.town).await;
        assert_eq!(cases["total"], 1, "the one household's case: {cases}");
        let case = cases["items"][0]["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/cases/{case}/stop"),
            json!({"from_month": "2021-01", "reason": "家庭收入超过标准"}),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", roll("2021-01")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '2021-01'").await,
            0
        );
        let (_, v) = t
            .get(&format!("/api/v1/disability/subsidies/{id}"), &d.town)
            .await;
        assert_eq!(v["stage"], "stopped", "{v}");
        assert_eq!(v["end_month"], "2021-01");
        assert!(v["stop_reason"].as_str().unwrap().contains("低保"), "{v}");
        assert!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'disability.stop'")
                .await
                == 1
        );
    }
);

db_test!(
    only_the_social_affairs_section_decides_and_sets_standards,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let admin = t.token("admin").await;
        let (s, v) = post(
            &t,
            &admin,
            "/api/v1/users",
            json!({"username": "yl", "password": common::PASSWORD,
            "role": "city_officer", "area_code": "320281", "sections": ["elderly_care"]}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let yl = t.token("yl").await;
        let (s, v) = post(&t, &yl, "/api/v1/disability/standards",
            json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("社会事务科"), "{v}");
        let (s, v) = t.get("/api/v1/disability/standards", &yl).await;
        assert_eq!(s, StatusCode::OK, "every city officer reads: {v}");
        let (s, _) = t.get("/api/v1/disability/standards", &admin).await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the account administrator reads no business data"
        );
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        for (body, field) in [
            (
                json!({"tier": "nonsense", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"}),
                "tier",
            ),
            (
                json!({"tier": "severe", "effective_from": "9999-12", "monthly_amount": "150.00", "reason": "文件"}),
                "effective_from",
            ),
            (
                json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "-1", "reason": "文件"}),
                "monthly_amount",
            ),
        ] {
            let (s, v) = post(&t, &city, "/api/v1/disability/standards", body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["field"], field);
        }
        let ok = json!({"tier": "severe", "effective_from": "2021-01", "monthly_amount": "150.00", "reason": "文件"});
        let (s, _) = post(&t, &city, "/api/v1/disability/standards", ok.clone()).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = post(&t, &city, "/api/v1/disability/standards", ok).await;
        assert_eq!(s, StatusCode::CONFLICT, "one standard per tier and month");
        let (_, v) = t.get("/api/v1/disability/standards", &yl).await;
        assert_eq!(v[0]["monthly_amount"], "150.00");
        assert_eq!(v[0]["tier_label"], "一、二级护理补贴");
    }
);

/// An approved dibao household whose daughter the 残联 lists with `kind` and `grade` (as of 2020-10-31), with the
/// three standards set: (daughter's person id, her identity number).
async fn disabled_daughter(t: &TestApp, d: &Desk, kind: &str, grade: u8) -> (String, String) {
    let (_, pids, body) = approved(t, d).await;
    let idn = body["household"]["members"][1]["id_number"]
        .as_str()
        .unwrap()
        .to_string();
    let csv = format!("id_number,kind,grade,certified_on\n{idn},{kind},{grade},2015-06-01\n");
    let (s, v) = load(
        t,
        &d.city,
        "disability",
        "残联.csv",
        csv.as_bytes(),
        "2020-10-31",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for (tier, amount) in [
        ("standard", "120.00"),
        ("severe", "150.00"),
        ("moderate", "90.00"),
    ] {
        let (s, v) = post(t, &d.city, "/api/v1/disability/standards",
            json!({"tier": tier, "effective_from": "2020-01", "monthly_amount": amount, "reason": "澄民发〔2020〕8号"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    (pids[1].clone(), idn)
}

/// Files, checks and approves a grant from 2020-12: its id.
async fn paying(t: &TestApp, d: &Desk, person: &str, programme: &str) -> String {
    let (s, g) = post(t, &d.town, "/api/v1/disability/subsidies", json!({"person_id": person, "programme": programme,
        "needs_long_term_care": true, "bank_account": "6228480000000000099", "filed_on": "2020-11-02"})).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let id = g["id"].as_str().unwrap().to_string();
    let (s, v) = post(
        t,
        &d.city,
        &format!("/api/v1/disability/subsidies/{id}/check"),
        json!({"confirmed": true, "on": "2020-11-05"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = post(
        t,
        &d.city,
        &format!("/api/v1/disability/subsidies/{id}/decision"),
        json!({"approve": true, "on": "2020-11-10"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["start_month"], "2020-12");
    id
}

/// (lines, total fen) of the disability subsidies in a month's roll, made now.
async fn roll(t: &TestApp, d: &Desk, month: &str, category: &str) -> (i64, i64) {
    // the month's roll is made once; a second look at another category reads the same roll
    let (s, v) = post(
        t,
        &d.city,
        "/api/v1/payments/rolls",
        json!({"month": month}),
    )
    .await;
    assert!(
        s == StatusCode::CREATED || s == StatusCode::CONFLICT,
        "{s} {v}"
    );
    let q = |what: &str| {
        format!(
            "SELECT {what} FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
        WHERE r.month = '{month}' AND l.programme = 'disability' AND l.category = '{category}'"
        )
    };
    (
        t.scalar(&q("COUNT(*)")).await,
        t.scalar(&q("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"))
            .await,
    )
}

db_test!(
    a_new_grade_from_the_disability_federation_changes_or_stops_the_subsidy_next_month,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (daughter, idn) = disabled_daughter(&t, &d, "intellectual", 3).await;
        let care = paying(&t, &d, &daughter, "care").await;
        let living = paying(&t, &d, &daughter, "living").await;
        assert_eq!(
            roll(&t, &d, "2020-12", "disability_care").await,
            (1, 9000),
            "grade 3 intellectual: moderate"
        );
        // the 残联's December register: now grade 1 — the care subsidy is paid at the severe tier from January
        let csv = format!("id_number,kind,grade,certified_on\n{idn},intellectual,1,2020-12-10\n");
        let (s, v) = load(
            &t,
            &d.city,
            "disability",
            "残联-12.csv",
            csv.as_bytes(),
            "2020-12-20",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, ch) = t
            .get(
                &format!("/api/v1/disability/subsidies/{care}/changes"),
                &d.town,
            )
            .await;
        assert_eq!(ch.as_array().unwrap().len(), 1, "{ch}");
        assert_eq!(ch[0]["kind"], "regrade");
        assert_eq!(ch[0]["tier"], "severe");
        assert_eq!(ch[0]["effective_month"], "2021-01");
        let reason = ch[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("3级") && reason.contains("1级") && reason.contains("2021-01"),
            "{reason}"
        );
        assert_eq!(roll(&t, &d, "2021-01", "disability_care").await, (1, 15000));
        assert_eq!(
            roll(&t, &d, "2021-01", "disability_living").await.0,
            1,
            "grade 1 still has the living subsidy"
        );
        let (_, v) = t
            .get(
                &format!("/api/v1/disability/subsidies/{living}/changes"),
                &d.town,
            )
            .await;
        let living_changes = v.as_array().unwrap().len();
        // February: the 残联 re-examined her as grade 3 limb — no care subsidy from March, the living one stays
        let csv = format!("id_number,kind,grade,certified_on\n{idn},limb,3,2021-02-01\n");
        let (s, v) = load(
            &t,
            &d.city,
            "disability",
            "残联-02.csv",
            csv.as_bytes(),
            "2021-02-15",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, g) = t
            .get(&format!("/api/v1/disability/subsidies/{care}"), &d.town)
            .await;
        assert_eq!(g["stage"], "stopped", "{g}");
        assert_eq!(g["end_month"], "2021-03");
        assert!(g["stop_reason"].as_str().unwrap().contains("残联"), "{g}");
        assert_eq!(
            roll(&t, &d, "2021-02", "disability_care").await,
            (1, 15000),
            "February is still paid"
        );
        assert_eq!(roll(&t, &d, "2021-03", "disability_care").await, (0, 0));
        assert_eq!(
            roll(&t, &d, "2021-03", "disability_living").await,
            (1, 12000)
        );
        let (_, v) = t
            .get(
                &format!("/api/v1/disability/subsidies/{living}/changes"),
                &d.town,
            )
            .await;
        assert_eq!(v.as_array().unwrap().len(), living_changes + 1, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'disability.regrade'")
                .await,
            3
        );
        // the grant's page shows the changes
        let session = t.login_browser("cj").await;
        let (_, _, page) = t
            .page(&session, &format!("/disability/subsidies/{care}"))
            .await;
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains("自2021-03起停发"), "{page}");
    }
);

db_test!(
    the_bureau_switches_are_settings_with_history_and_the_roll_and_leads_follow_them,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (daughter, _) = disabled_daughter(&t, &d, "mental", 3).await;
        // the household is low income, not dibao
        t.app
            .db
            .conn()
            .execute("UPDATE cases SET category = 'low_income'", vec![])
            .await
            .unwrap();
        let (s, v) = t.get("/api/v1/disability/settings", &d.town).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["current"][0]["enabled"], true, "Jiangsu's default: {v}");
        assert_eq!(v["current"][1]["enabled"], true);
        let (_, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(
            v["total"], 2,
            "living (low income) and care (grade 3 mental): {v}"
        );
        let care = paying(&t, &d, &daughter, "care").await;
        let living = paying(&t, &d, &daughter, "living").await;
        // only the city's social affairs section sets them, with a valid month and reason
        let off = |setting: &str, from: &str| json!({"setting": setting, "enabled": false, "effective_from": from, "reason": "澄民发〔2021〕3号"});
        let (s, _) = post(
            &t,
            &d.town,
            "/api/v1/disability/settings",
            off("disability.living_low_income", "2021-02"),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/disability/settings",
            off("nonsense", "2021-02"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "setting");
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/disability/settings",
            off("disability.living_low_income", "2021-13"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "effective_from");
        for setting in [
            "disability.living_low_income",
            "disability.care_grade34_intellectual_mental",
        ] {
            let (s, v) = post(
                &t,
                &d.city,
                "/api/v1/disability/settings",
                off(setting, "2021-02"),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (s, _) = post(
            &t,
            &d.city,
            "/api/v1/disability/settings",
            off("disability.living_low_income", "2021-02"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one setting per month");
        let (_, v) = t.get("/api/v1/disability/settings", &d.town).await;
        assert_eq!(v["history"].as_array().unwrap().len(), 4, "kept: {v}");
        assert_eq!(v["current"][0]["enabled"], false);
        assert_eq!(v["current"][0]["effective_from"], "2021-02");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'disability.setting'")
                .await,
            2
        );
        // the roll follows: January paid, February stopped with the reason
        assert_eq!(roll(&t, &d, "2021-01", "disability_care").await, (1, 9000));
        assert_eq!(
            roll(&t, &d, "2021-01", "disability_living").await,
            (1, 12000)
        );
        assert_eq!(roll(&t, &d, "2021-02", "disability_care").await, (0, 0));
        assert_eq!(roll(&t, &d, "2021-02", "disability_living").await, (0, 0));
        for id in [&care, &living] {
            let (_, g) = t
                .get(&format!("/api/v1/disability/subsidies/{id}"), &d.town)
                .await;
            assert_eq!(g["stage"], "stopped");
            assert!(
                g["stop_reason"].as_str().unwrap().contains("局设置调整"),
                "{g}"
            );
        }
        // and the leads: with both off, neither is a lead any more
        let (_, v) = t.get("/api/v1/disability/leads", &d.town).await;
        assert_eq!(v["total"], 0, "{v}");
        // a filing now is assessed under this month's settings
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/disability/subsidies",
            json!({"person_id": daughter, "programme": "care",
            "bank_account": "6228480000000000099", "filed_on": "2021-03-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
);

db_test!(
    a_death_or_a_move_in_the_departments_data_stops_the_subsidy,
    |b: Backend| async move {
        // (source, its file, what the stop says); the event is in January: January is paid, February is not
        for (source, csv, said) in [
            (
                "deaths",
                "id_number,name,date_of_death\n{idn},某某,2021-01-12\n",
                "死亡",
            ),
            (
                "hukou_moves",
                "id_number,moved_out_on,destination_code\n{idn},2021-01-03,310115000000\n",
                "迁出本市",
            ),
            // a move to another town of the city changes nothing
            (
                "hukou_moves",
                "id_number,moved_out_on,destination_code\n{idn},2021-01-03,320281004000\n",
                "",
            ),
        ] {
            let t = TestApp::new(b).await;
            let d = desk(&t).await;
            let (daughter, idn) = disabled_daughter(&t, &d, "intellectual", 1).await;
            let care = paying(&t, &d, &daughter, "care").await;
            assert_eq!(roll(&t, &d, "2020-12", "disability_care").await.0, 1);
            // the departments' data reach the platform before the registry is corrected
            let file = csv.replace("{idn}", &idn);
            let (s, v) = load(
                &t,
                &d.city,
                source,
                "dept.csv",
                file.as_bytes(),
                "2021-01-31",
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(
                roll(&t, &d, "2021-01", "disability_care").await.0,
                1,
                "{source}: the month it happened in is paid"
            );
            let (_, g) = t
                .get(&format!("/api/v1/disability/subsidies/{care}"), &d.town)
                .await;
            if said.is_empty() {
                assert_eq!(roll(&t, &d, "2021-02", "disability_care").await.0, 1);
                assert_eq!(g["stage"], "approved", "{g}");
                continue;
            }
            assert_eq!(
                roll(&t, &d, "2021-02", "disability_care").await.0,
                0,
                "{source}"
            );
            let (_, g) = t
                .get(&format!("/api/v1/disability/subsidies/{care}"), &d.town)
                .await;
            assert_eq!(g["stage"], "stopped", "{g}");
            assert_eq!(g["end_month"], "2021-02");
            assert!(g["stop_reason"].as_str().unwrap().contains(said), "{g}");
        }
    }
);

/// A child's allowance paid to `person` from `start` (孤儿基本生活费), written as the children's line keeps it.
async fn orphan_allowance(t: &TestApp, person: &str, start: &str) {
    let mut c = t.app.db.conn();
    let (area, town): (String, String) = c
        .fetch_one(
            "SELECT area_code, town_code FROM persons WHERE id = $1",
            minzheng::args![person],
        )
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let on = chrono::NaiveDate::from_ymd_opt(2020, 10, 1).unwrap();
    c.execute(
        "INSERT INTO child_registrations (id, person_id, area_code, town_code, category, sub_kind, evidence, start_on, \
         end_on, status, created_by, created_at) VALUES ($1, $2, $3, $4, 'orphan', 'both_dead', '死亡证明', $5, $6, \
         'active', 'test', $7)",
        minzheng::args![format!("reg-{person}"), person, &area, &town, on, on, now],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO child_allowances (id, registration_id, person_id, area_code, town_code, kind, bank_account, status, \
         start_month, decided_by, decided_on, created_at) VALUES ($1, $2, $3, $4, $5, 'orphan_scattered', '6228', \
         'active', $6, 'test', $7, $8)",
        minzheng::args![format!("alw-{person}"), format!("reg-{person}"), person, &area, &town, start, on, now],
    )
    .await
    .unwrap();
}

db_test!(
    the_living_subsidy_is_never_paid_beside_a_childs_allowance,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let (_, pids, body) = approved(&t, &d).await;
        let daughter = pids[1].clone();
        let idn = body["household"]["members"][1]["id_number"]
            .as_str()
            .unwrap()
            .to_string();
        let csv = format!("id_number,kind,grade,certified_on\n{idn},limb,3,2015-06-01\n");
        let (s, v) = load(
            &t,
            &d.city,
            "disability",
            "残联.csv",
            csv.as_bytes(),
            "2020-10-31",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = post(&t, &d.city, "/api/v1/disability/standards",
            json!({"tier": "standard", "effective_from": "2020-01", "monthly_amount": "120.00", "reason": "澄民发〔2020〕8号"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let file = json!({"person_id": daughter, "programme": "living", "bank_account": "6228480000000000099", "filed_on": "2020-11-02"});
        // while the platform pays her a child's allowance, a filing is refused whatever the form says
        orphan_allowance(&t, &daughter, "2020-10").await;
        let (s, v) = post(&t, &d.town, "/api/v1/disability/subsidies", file.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("孤儿"), "{v}");
        let mut c = t.app.db.conn();
        c.execute("DELETE FROM child_allowances", vec![])
            .await
            .unwrap();
        c.execute("DELETE FROM child_registrations", vec![])
            .await
            .unwrap();
        // granted without one; an allowance from January stops the subsidy in January's roll, with the reason
        let (s, g) = post(&t, &d.town, "/api/v1/disability/subsidies", file).await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let id = g["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/check"),
            json!({"confirmed": true, "on": "2020-11-05"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/disability/subsidies/{id}/decision"),
            json!({"approve": true, "on": "2020-11-10"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        orphan_allowance(&t, &daughter, "2021-01").await;
        let living = |m: &'static str| {
            let t = &t;
            async move {
                t.scalar(&format!(
                    "SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                     WHERE r.month = '{m}' AND l.category = 'disability_living'"
                ))
                .await
            }
        };
        for m in ["2020-12", "2021-01"] {
            let (s, v) = post(&t, &d.city, "/api/v1/payments/rolls", json!({"month": m})).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        assert_eq!(living("2020-12").await, 1);
        assert_eq!(living("2021-01").await, 0);
        let (_, v) = t
            .get(&format!("/api/v1/disability/subsidies/{id}"), &d.town)
            .await;
        assert_eq!(v["stage"], "stopped", "{v}");
        assert_eq!(v["end_month"], "2021-01");
        assert!(v["stop_reason"].as_str().unwrap().contains("孤儿"), "{v}");
    }
);

db_test!(
    the_roll_agrees_with_an_independent_count_of_a_demo_city,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 1500).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        minzheng::demo::welfare::seed(&t.app).await.unwrap();
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        let month = "2021-01";
        // counted here from the raw rows: an approved grant started by the month, its person living, a living
        // subsidy only while the household holds a live dibao case in the month (the bureau's switches are off), at
        // its tier's standard in force
        let grants: Vec<(String, String, String, String, String, String)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT g.id, g.programme, g.tier, g.start_month, p.status, COALESCE(g.household_id, '') \
                 FROM subsidy_grants g JOIN persons p ON p.id = g.person_id WHERE g.stage = 'approved'",
                vec![],
            )
            .await
            .unwrap();
        let cases: Vec<(String, String, String, Option<String>)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT household_id, category, start_month, end_month FROM cases",
                vec![],
            )
            .await
            .unwrap();
        let standards: Vec<(String, String, i64)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT tier, effective_from, monthly_amount FROM subsidy_standards ORDER BY effective_from",
                vec![],
            )
            .await
            .unwrap();
        let standard = |tier: &str| common::in_force(&standards, tier, month);
        let mut expected: Vec<(String, i64)> = grants
            .iter()
            .filter(|g| g.3.as_str() <= month && g.4 == "normal")
            .filter(|g| {
                g.1 != "living"
                    || cases.iter().any(|c| {
                        c.0 == g.5
                            && matches!(c.1.as_str(), "dibao" | "dibao_single")
                            && c.2.as_str() <= month
                            && c.3.as_deref().is_none_or(|e| e > month)
                    })
            })
            .map(|g| (g.0.clone(), standard(&g.2).expect("a standard")))
            .collect();
        expected.sort();
        assert!(!expected.is_empty(), "the demo pays subsidies");
        let (s, v) = post(&t, &city, "/api/v1/payments/rolls", json!({"month": month})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let paid = common::roll_lines(&t, "2021-01", "disability", "case_id").await;
        assert_eq!(paid, expected);
    }
);
