//! 儿童福利 end to end on SQLite and PostgreSQL: registration by the classify rule, the allowance in the monthly roll
//! against an independent count, no allowance beside a live tekun case, the roll's stop at 18, the end step of
//! entries past 18 (16), the 儿童主任's visit with a photo, overdue visits, area scope and the child welfare section.

mod common;

use axum::http::{Method, StatusCode};
use common::workflow::*;
use common::{Backend, TestApp, upload};
use serde_json::{Value, json};

async fn post(t: &TestApp, tok: &str, path: &str, body: Value) -> (StatusCode, Value) {
    t.api(Method::POST, path, Some(tok), Some(body)).await
}

fn village(t: &TestApp) -> String {
    t.app.areas().children("320281001")[0].code.clone()
}

/// A registry child (a household of its own unless `hh` is given) of 澄江's first village: (person id, id number).
async fn child(
    t: &TestApp,
    tok: &str,
    hh: Option<&str>,
    name: &str,
    birth: (i32, u32, u32),
    seq: u16,
) -> (String, String) {
    let village = village(t);
    let hh = match hh {
        Some(h) => h.to_string(),
        None => {
            let (s, v) = post(
                t,
                tok,
                "/api/v1/households",
                json!({"area_code": village, "address": format!("儿童路{seq}号")}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v["id"].as_str().unwrap().to_string()
        }
    };
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        seq,
    )
    .to_string();
    let (s, p) = post(
        t,
        tok,
        "/api/v1/persons",
        json!({"id_number": idn, "name": name, "area_code": village, "household_id": hh, "relation": "child"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["id"].as_str().unwrap().to_string(), idn)
}

fn dead(since: &str) -> Value {
    json!([{"kind": "dead", "since": since}])
}

fn parents(father: Value, mother: Value) -> Value {
    json!([{"role": "father", "situations": father}, {"role": "mother", "situations": mother}])
}

fn orphan_parents() -> Value {
    parents(dead("2015-03-01"), dead("2016-07-01"))
}

async fn register(t: &TestApp, tok: &str, body: Value) -> (StatusCode, Value) {
    post(t, tok, "/api/v1/children/registrations", body).await
}

db_test!(
    registration_follows_the_classify_rule_and_the_area,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("wg", "village_worker", &village(&t)).await;
        t.add_user("leader", "leader", "320281").await;
        let (nz, wg, leader) = (
            t.token("nz").await,
            t.token("wg").await,
            t.token("leader").await,
        );
        let (pid, idn) = child(&t, &d.town, None, "陈小宝", (2012, 1, 15), 301).await;
        // father in custody for 3 years, mother dead: the rule says 事实无人抚养儿童, not 孤儿
        let ps = parents(
            json!([{"kind": "custody", "since": "2020-01-10", "until": "2023-01-09"}]),
            dead("2018-05-01"),
        );
        let body = |category: &str| json!({"person_id": pid, "category": category, "sub_kind": "family", "start_on": "2021-03-01", "parents": ps});
        let (s, v) = register(&t, &wg, body("orphan")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "parents");
        assert!(
            v["error"].as_str().unwrap().contains("事实无人抚养儿童"),
            "{v}"
        );
        let (s, r) = register(&t, &wg, body("de_facto_unsupported")).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        // the same answer as the stateless call, frozen into the entry
        let (s, answer) = post(&t, &wg, "/api/v1/children/classify",
            json!({"as_of": "2021-03-01", "child": {"id_number": idn, "in_full_time_education": false}, "parents": ps})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["basis"]["answer"], answer);
        assert_eq!(r["status_label"], "在册");
        assert_eq!(r["end_on"], "2030-01-15", "the 18th birthday");
        assert!(r["id_number"].as_str().unwrap().contains('*'), "masked");
        assert!(!r.to_string().contains(&idn), "no full number anywhere");
        let id = r["id"].as_str().unwrap().to_string();
        let (s, v) = register(&t, &d.town, body("de_facto_unsupported")).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // without the parents' situations, or with a rule category typed for 困境, it is refused naming the field
        let (s, v) = register(&t, &d.town,
            json!({"person_id": pid, "category": "orphan", "sub_kind": "family", "start_on": "2021-03-01"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "parents");
        let (s, v) = register(&t, &d.town,
            json!({"person_id": pid, "category": "in_difficulty", "sub_kind": "poverty", "start_on": "2021-03-01"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "evidence");
        // 留守 is under 16
        let (old, _) = child(&t, &d.town, None, "陈大宝", (2004, 5, 1), 302).await;
        let (s, v) = register(&t, &d.town,
            json!({"person_id": old, "category": "left_behind", "sub_kind": "both_away", "start_on": "2020-09-01", "evidence": "父母均在外省务工"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("16"), "{v}");
        // read-only roles read and never write; another town sees nothing
        let (s, _) = register(&t, &leader, body("de_facto_unsupported")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t.get("/api/v1/children/registrations", &leader).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 1);
        let (_, v) = t
            .get("/api/v1/children/registrations?q=%E9%99%88", &d.town)
            .await;
        assert_eq!(v["total"], 1, "by name: {v}");
        assert_eq!(v["items"][0]["name"], "陈*宝");
        let (_, v) = t.get("/api/v1/children/registrations", &nz).await;
        assert_eq!(v["total"], 0);
        let (s, _) = t
            .get(&format!("/api/v1/children/registrations/{id}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = register(&t, &nz, body("de_facto_unsupported")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "person_id");
        // the history has the registration; the audit log too
        let (_, v) = t
            .get(&format!("/api/v1/children/registrations/{id}"), &d.town)
            .await;
        assert_eq!(v["history"][0]["action"], "register", "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'children.register'")
                .await,
            1
        );
    }
);

db_test!(
    the_allowance_is_paid_in_the_roll_never_with_tekun_and_stops_at_18,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        // a household whose approved case is made a live tekun case (the fixture approves dibao)
        let (hh, _, _) = approved(&t, &d).await;
        t.app
            .db
            .conn()
            .execute(
                "UPDATE cases SET category = 'tekun' WHERE household_id = $1",
                vec![hh.as_str().into()],
            )
            .await
            .unwrap();
        // only the child welfare section sets standards and decides
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
        let standard = |tier: &str, amount: &str| json!({"tier": tier, "effective_from": "2020-01", "monthly_amount": amount, "reason": "澄民发〔2020〕12号"});
        let (s, v) = post(
            &t,
            &yl,
            "/api/v1/children/standards",
            standard("family", "1500.00"),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("儿童福利科"), "{v}");
        let (s, _) = post(
            &t,
            &d.town,
            "/api/v1/children/standards",
            standard("family", "1500.00"),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for (tier, amount) in [("family", "1500.00"), ("institution", "2000.00")] {
            let (s, v) = post(
                &t,
                &d.city,
                "/api/v1/children/standards",
                standard(tier, amount),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (s, _) = post(
            &t,
            &d.city,
            "/api/v1/children/standards",
            standard("family", "1600.00"),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one standard per tier and month");
        let (_, v) = t.get("/api/v1/children/standards", &yl).await;
        assert_eq!(
            v.as_array().unwrap().len(),
            2,
            "every city officer reads: {v}"
        );

        // three orphans / 事实无人抚养 and one child in the tekun household
        let (a, _) = child(&t, &d.town, None, "周一", (2012, 4, 1), 401).await;
        let (bb, _) = child(&t, &d.town, None, "周二", (2002, 12, 15), 402).await;
        let (c, _) = child(&t, &d.town, None, "周三", (2010, 8, 8), 403).await;
        let (tk, _) = child(&t, &d.town, Some(&hh), "顾小小", (2013, 2, 2), 404).await;
        let reg = |pid: &str, cat: &str, sub: &str, ps: Value| json!({"person_id": pid, "category": cat, "sub_kind": sub, "start_on": "2020-06-01", "parents": ps});
        let mut regs = vec![];
        for (pid, cat, sub, ps) in [
            (&a, "orphan", "family", orphan_parents()),
            (&bb, "orphan", "institution", orphan_parents()),
            (
                &c,
                "de_facto_unsupported",
                "family",
                parents(
                    json!([{"kind": "severe_disability", "since": "2016-01-01"}]),
                    dead("2017-01-01"),
                ),
            ),
            (&tk, "orphan", "family", orphan_parents()),
        ] {
            let (s, v) = register(&t, &d.town, reg(pid, cat, sub, ps)).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            regs.push(v["id"].as_str().unwrap().to_string());
        }
        let allowance = |rid: &str| json!({"registration_id": rid, "bank_account": "6228480000000000555", "decided_on": "2020-10-20"});
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/children/allowances",
            allowance(&regs[0]),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the town does not decide: {v}");
        for rid in &regs[..3] {
            let (s, v) = post(&t, &d.city, "/api/v1/children/allowances", allowance(rid)).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(v["start_month"], "2020-11");
        }
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/children/allowances",
            allowance(&regs[0]),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one live allowance per child: {v}");
        // a live tekun case: refused, the case named
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/children/allowances",
            allowance(&regs[3]),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let case: (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT id FROM cases WHERE household_id = $1",
                vec![hh.as_str().into()],
            )
            .await
            .unwrap();
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains("特困") && msg.contains(&case.0), "{msg}");

        // the December roll pays exactly the eligible children, at their tier's standard
        let children_lines = |m: &str| {
            format!(
                "SELECT COUNT(*) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                 WHERE r.month = '{m}' AND l.programme = 'children'"
            )
        };
        // independent: allowances begun by the month, of a living child whose 18th birthday is on or after the 1st
        let eligible = |m: &str, born_from: &str| {
            format!(
                "SELECT COUNT(*) FROM child_allowances a JOIN persons p ON p.id = a.person_id \
                 WHERE a.start_month <= '{m}' AND p.status = 'normal' AND p.birth_date >= '{born_from}'"
            )
        };
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/payments/rolls",
            json!({"month": "2020-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(t.scalar(&children_lines("2020-12")).await, 3);
        assert_eq!(
            t.scalar(&children_lines("2020-12")).await,
            t.scalar(&eligible("2020-12", "2002-12-01")).await
        );
        assert_eq!(
            t.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                      WHERE r.month = '2020-12' AND l.programme = 'children'").await,
            150000 + 200000 + 150000
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM payment_lines WHERE programme = 'children' AND category = 'orphan_institution'")
                .await,
            1
        );
        // January: 周二 turned 18 on 2020-12-15 — stopped from 2021-01 with the reason, audited
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/payments/rolls",
            json!({"month": "2021-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(t.scalar(&children_lines("2021-01")).await, 2);
        assert_eq!(
            t.scalar(&children_lines("2021-01")).await,
            t.scalar(&eligible("2021-01", "2003-01-01")).await
        );
        let (_, v) = t
            .get(
                &format!("/api/v1/children/registrations/{}", regs[1]),
                &d.town,
            )
            .await;
        let al = &v["allowances"][0];
        assert_eq!(al["status"], "stopped", "{v}");
        assert_eq!(al["end_month"], "2021-01");
        assert!(
            al["stop_reason"].as_str().unwrap().contains("18周岁"),
            "{al}"
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'children.allowance_stop'")
                .await,
            1
        );
        // the roll rebuilt for December still pays December to the child who was 17 then
        let (s, _) = post(
            &t,
            &d.city,
            "/api/v1/payments/rolls",
            json!({"month": "2020-12"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(t.scalar(&children_lines("2020-12")).await, 3);
        // a death in the registry stops the allowance from that month, with the reason
        let (s, v) = t
            .api(
                Method::PATCH,
                &format!("/api/v1/persons/{c}"),
                Some(&d.town),
                Some(json!({"status": "deceased"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/payments/rolls",
            json!({"month": "2021-02"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(t.scalar(&children_lines("2021-02")).await, 1);
        let (_, v) = t
            .get(
                &format!("/api/v1/children/registrations/{}", regs[2]),
                &d.town,
            )
            .await;
        assert_eq!(v["allowances"][0]["end_month"], "2021-02", "{v}");
        assert!(
            v["allowances"][0]["stop_reason"]
                .as_str()
                .unwrap()
                .contains("死亡"),
            "{v}"
        );
        // the section stops by hand from a month
        let (_, list) = t
            .get("/api/v1/children/allowances?status=active", &d.town)
            .await;
        assert_eq!(list["total"], 1, "{list}");
        let aid = list["items"][0]["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/children/allowances/{aid}/stop"),
            json!({"from_month": "2021-03", "reason": "被依法收养"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "stopped");
    }
);

db_test!(
    entries_past_18_are_due_and_ended_by_a_recorded_step,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        // an orphan born 2008-06-01 is 18 on 2026-06-01; a left-behind child born 2008-01-01 was 16 on 2024-01-01
        let (a, _) = child(&t, &d.town, None, "吴甲", (2008, 6, 1), 501).await;
        let (bb, _) = child(&t, &d.town, None, "吴乙", (2008, 1, 1), 502).await;
        let (c, _) = child(&t, &d.town, None, "吴丙", (2016, 3, 3), 503).await;
        for body in [
            json!({"person_id": a, "category": "orphan", "sub_kind": "family", "start_on": "2020-01-01", "parents": orphan_parents()}),
            json!({"person_id": bb, "category": "left_behind", "sub_kind": "both_away", "start_on": "2020-01-01", "evidence": "父母均在外省务工"}),
            json!({"person_id": c, "category": "in_difficulty", "sub_kind": "poverty", "start_on": "2020-01-01", "evidence": "低保家庭，母亲重病"}),
        ] {
            let (s, v) = register(&t, &d.town, body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (_, v) = t
            .get("/api/v1/children/registrations?status=due", &d.town)
            .await;
        assert_eq!(v["total"], 2, "{v}");
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status_label"] == "到期")
        );
        // another town's end step ends nothing here
        let (s, v) = post(&t, &nz, "/api/v1/children/due/end", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["ended"], 0);
        let (s, v) = post(&t, &d.town, "/api/v1/children/due/end", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["ended"], 2);
        let (_, v) = t
            .get("/api/v1/children/registrations?status=ended", &d.town)
            .await;
        assert_eq!(v["total"], 2);
        let reasons: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["end_reason"].as_str().unwrap().to_string())
            .collect();
        assert!(reasons.iter().any(|r| r.contains("18周岁")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("16周岁")), "{reasons:?}");
        let id = v["items"][0]["id"].as_str().unwrap();
        let (_, v) = t
            .get(&format!("/api/v1/children/registrations/{id}"), &d.town)
            .await;
        assert_eq!(v["history"][1]["action"], "expire", "{v}");
        // nothing is deleted
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM child_registrations").await,
            3
        );
        let (_, v) = t
            .get("/api/v1/children/registrations?status=active", &d.town)
            .await;
        assert_eq!(v["total"], 1);
    }
);

/// The smallest PNG: a 1 × 1 pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

db_test!(
    directors_visit_with_photos_and_overdue_visits_are_listed,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let v0 = village(&t);
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("wg", "village_worker", &v0).await;
        let (nz, wg) = (t.token("nz").await, t.token("wg").await);
        // the town appoints; a village worker does not
        let director = |name: &str, on: &str| json!({"role": "director", "area_code": v0, "name": name, "phone": "13800001111", "appointed_on": on});
        let (s, v) = post(
            &t,
            &wg,
            "/api/v1/children/workers",
            director("钱主任", "2020-01-01"),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = post(&t, &d.town, "/api/v1/children/workers",
            json!({"role": "director", "area_code": "320281001", "name": "钱主任", "phone": "13800001111", "appointed_on": "2020-01-01"})).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a director is a village's: {v}"
        );
        assert_eq!(v["field"], "area_code");
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/children/workers",
            director("钱主任", "2020-01-01"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["phone"], "138****1111");
        let first = v["id"].as_str().unwrap().to_string();
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/workers/{first}/trainings"),
            json!({"trained_on": "2020-03-01", "topic": "儿童主任业务培训", "hours": 8}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["trainings"][0]["hours"], 8);
        let (s, v) = post(&t, &d.town, "/api/v1/children/workers",
            json!({"role": "supervisor", "area_code": "320281001", "name": "孙督导", "phone": "13900002222", "appointed_on": "2020-01-01"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // a change keeps the history
        let (s, _) = post(
            &t,
            &d.town,
            "/api/v1/children/workers",
            director("李主任", "2021-01-01"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, v) = t
            .get(&format!("/api/v1/children/workers?area={v0}"), &d.town)
            .await;
        let rows = v.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{v}");
        let old = rows.iter().find(|w| w["id"] == first.as_str()).unwrap();
        assert_eq!(old["ended_on"], "2021-01-01");
        assert_eq!(old["current"], false);
        let (_, v) = t.get("/api/v1/children/workers", &nz).await;
        assert_eq!(v.as_array().unwrap().len(), 0, "another town sees none");

        // a 困境 child registered in 2020 is overdue; a 留守 child registered today is not
        let (a, _) = child(&t, &d.town, None, "郑一", (2014, 5, 5), 601).await;
        let (bb, _) = child(&t, &d.town, None, "郑二", (2015, 6, 6), 602).await;
        let (s, r) = register(&t, &wg,
            json!({"person_id": a, "category": "in_difficulty", "sub_kind": "guardianship", "start_on": "2020-10-01", "evidence": "祖母年迈无力监护"})).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(
            r["director"], "李主任",
            "assigned to the village's director"
        );
        let rid = r["id"].as_str().unwrap().to_string();
        let today = t.app.today().to_string();
        let (s, v) = register(&t, &wg,
            json!({"person_id": bb, "category": "left_behind", "sub_kind": "both_away", "start_on": today, "evidence": "父母均在外省务工"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = t.get("/api/v1/children/visits/overdue", &wg).await;
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["registration_id"], rid.as_str());
        assert_eq!(v["items"][0]["interval"], "每月");
        let (_, v) = t.get("/api/v1/children/visits/overdue", &nz).await;
        assert_eq!(v["total"], 0);

        // the visit, with a photo checked by its content
        let path = format!("/api/v1/children/registrations/{rid}/visits");
        let (s, v) = upload(
            &t,
            &wg,
            &path,
            &[("seen", "孩子在家写作业，祖母卧床"), ("needs", "课外辅导")],
            &[("photo", "a.png", b"not an image")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "photo");
        let (s, v) = upload(&t, &nz, &path, &[("seen", "孩子在家写作业，祖母卧床")], &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another town: {v}");
        let (s, v) = upload(
            &t,
            &wg,
            &path,
            &[("seen", "孩子在家写作业，祖母卧床"), ("needs", "课外辅导")],
            &[("photo", "a.png", PNG)],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["photos"][0]["content_type"], "image/png");
        let (visit, photo) = (
            v["id"].as_str().unwrap().to_string(),
            v["photos"][0]["id"].as_str().unwrap().to_string(),
        );
        let (_, v) = t.get("/api/v1/children/visits/overdue", &wg).await;
        assert_eq!(v["total"], 0, "visited today: {v}");
        let page = t.login_browser("wg").await;
        let (s, h, bytes) = t
            .page(&page, &format!("/children/visits/{visit}/photos/{photo}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["content-type"], "image/png");
        assert_eq!(bytes, PNG);
        let nzp = t.login_browser("nz").await;
        let (s, _, _) = t
            .page(&nzp, &format!("/children/visits/{visit}/photos/{photo}"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // the phone form answers, and the entry page lists the visit
        let (s, _, html) = t
            .page(&page, &format!("/children/registrations/{rid}/visit"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8(html).unwrap().contains("visit-form"));
        let (s, _, html) = t
            .page(&page, &format!("/children/registrations/{rid}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8(html).unwrap().contains("课外辅导"));
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'children.visit'")
                .await,
            1
        );
    }
);

db_test!(the_pages_answer_for_each_role, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = desk(&t).await;
    let (pid, idn) = child(&t, &d.town, None, "冯小", (2013, 3, 3), 701).await;
    let _ = pid;
    let cj = t.login_browser("cj").await;
    for path in [
        "/children",
        "/children/new",
        "/children/visits/overdue",
        "/children/allowances",
        "/children/workers",
        "/children/standards",
        "/children/classify",
    ] {
        let (s, _, _) = t.page(&cj, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    // registering through the form uses the rule too; the form keeps what was typed after an error
    let form = format!(
        "csrf={}&id_number={idn}&category=orphan&sub_kind=family&start_on=2021-03-01&father_kind=dead&father_since=2019-01-01&mother_kind=&mother_since=",
        cj.csrf
    );
    let (s, _, html) = t.post_form(&cj, "/children/new", &form).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("form-error"), "mother able: not an orphan");
    assert!(html.contains(&idn));
    let form = format!(
        "csrf={}&id_number={idn}&category=orphan&sub_kind=family&start_on=2021-03-01&father_kind=dead&father_since=2019-01-01&mother_kind=unknown&mother_since=2013-03-04",
        cj.csrf
    );
    let (s, h, _) = t.post_form(&cj, "/children/new", &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let to = h["location"].to_str().unwrap().to_string();
    let (s, _, html) = t.page(&cj, &to).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("认定为孤儿"), "the frozen answer is shown");
    let admin = t.login_browser("admin").await;
    let (s, _, _) = t.page(&admin, "/children").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

db_test!(
    a_mandatory_report_is_the_towns_task_with_the_police_notified,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        let v0 = village(&t);
        t.add_user("nz", "town_officer", "320281004").await;
        t.add_user("wg", "village_worker", &v0).await;
        t.add_user("leader", "leader", "320281").await;
        let (nz, wg, leader) = (
            t.token("nz").await,
            t.token("wg").await,
            t.token("leader").await,
        );
        let body = json!({"reporter_kind": "school", "reporter": "澄江中心小学 班主任刘老师", "reporter_phone": "13912345678",
            "area_code": v0, "child_name": "某小妹", "harm": "abuse", "description": "学生身上多处淤青，自述被继父殴打",
            "received_on": "2020-11-02"});
        let (s, _) = post(&t, &leader, "/api/v1/children/reports", body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let mut bad = body.clone();
        bad["harm"] = json!("nonsense");
        let (s, v) = post(&t, &wg, "/api/v1/children/reports", bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "harm");
        let (s, r) = post(&t, &wg, "/api/v1/children/reports", body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["due_on"], "2020-11-03", "an immediate task");
        assert_eq!(r["police_missing"], true);
        assert_eq!(r["child_name"], "某*妹");
        assert!(r["overdue"].as_bool().unwrap());
        let id = r["id"].as_str().unwrap().to_string();
        // the town acts; the village does not; another town sees nothing
        let (_, v) = t.get("/api/v1/children/reports", &d.town).await;
        assert_eq!(
            (v["total"].clone(), v["police_missing"].clone()),
            (json!(1), json!(1))
        );
        let (_, v) = t.get("/api/v1/children/reports", &nz).await;
        assert_eq!(v["total"], 0);
        let (s, _) = post(
            &t,
            &nz,
            &format!("/api/v1/children/reports/{id}/police"),
            json!({"notified_on": "2020-11-02", "station": "澄江派出所"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let handling =
            json!({"on": "2020-11-03", "action": "当日入户核实，联系妇联，儿童暂由祖母照料"});
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/reports/{id}/handling"),
            handling.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the police first: {v}");
        assert_eq!(v["field"], "police");
        let (s, _) = post(
            &t,
            &wg,
            &format!("/api/v1/children/reports/{id}/police"),
            json!({"notified_on": "2020-11-02", "station": "澄江派出所"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = post(&t, &d.town, &format!("/api/v1/children/reports/{id}/police"),
            json!({"notified_on": "2020-11-02", "station": "澄江派出所", "receipt": "JJ20201102001"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["police_missing"], false);
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/reports/{id}/handling"),
            handling,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "handled");
        assert_eq!(v["overdue"], false);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'children.report%'")
                .await,
            3
        );
        let page = t.login_browser("cj").await;
        let (s, _, html) = t.page(&page, &format!("/children/reports/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8(html).unwrap().contains("澄江派出所"));
    }
);
