//! 儿童福利 end to end on SQLite and PostgreSQL: registration by the classify rule, the allowance in the monthly roll
//! against an independent count, no allowance beside a live tekun case, the roll's stop at 18, the end step of
//! entries past 18 (16), the 儿童主任's visit with a photo, overdue visits, area scope and the child welfare section.

use crate::common;

use crate::common::workflow::*;
use crate::common::{Backend, TestApp, upload};
use axum::http::{Method, StatusCode};
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

use crate::common::PNG;

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

/// A registry person of 澄江's first village in household `hh` with `relation`: (person id, id number).
async fn member(
    t: &TestApp,
    tok: &str,
    hh: &str,
    name: &str,
    birth: (i32, u32, u32),
    seq: u16,
    relation: &str,
) -> (String, String) {
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
        json!({"id_number": idn, "name": name, "area_code": village(t), "household_id": hh, "relation": relation}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["id"].as_str().unwrap().to_string(), idn)
}

fn credit(seq: &str) -> String {
    let first = format!("52320281MJ{seq}");
    format!("{first}{}", minzheng_domain::orgs::check_char(&first))
}

fn adopter_id(birth: (i32, u32, u32), seq: u16) -> String {
    minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        seq,
    )
    .to_string()
}

db_test!(
    state_guardianship_and_adoption_with_the_adopters_conditions,
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
        let (s, o) = post(&t, &d.city, "/api/v1/organisations",
            json!({"name": "江阴市儿童福利院", "credit_code": credit("7000001"), "kind": "child_welfare_institution", "area_code": "320281001"})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let org = o["id"].as_str().unwrap().to_string();
        let (s, o) = post(&t, &d.city, "/api/v1/organisations",
            json!({"name": "澄江敬老院", "credit_code": credit("7000002"), "kind": "elderly_institution", "area_code": "320281001"})).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let wrong_org = o["id"].as_str().unwrap().to_string();
        // an orphan girl (an even sequence digit is a woman's number), on the register
        let (pid, _) = child(&t, &d.town, None, "周小梅", (2016, 4, 10), 402).await;
        let (s, r) = register(
            &t,
            &d.town,
            json!({"person_id": pid, "category": "orphan", "sub_kind": "institution",
            "start_on": "2025-03-01", "parents": orphan_parents()}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let reg_id = r["id"].as_str().unwrap().to_string();
        // paid the basic living allowance
        let (s, v) = post(&t, &d.city, "/api/v1/children/standards",
            json!({"tier": "institution", "effective_from": "2025-01", "monthly_amount": "1900.00", "reason": "澄民发〔2025〕1号"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, al) = post(&t, &d.city, "/api/v1/children/allowances",
            json!({"registration_id": reg_id, "bank_account": "6228480010000000011", "decided_on": "2025-03-10"})).await;
        assert_eq!(s, StatusCode::CREATED, "{al}");
        let allowance = al["id"].as_str().unwrap().to_string();

        // state guardianship is the bureau's: the town and the leader may not start it
        let temp = |basis: &str, org: &str| {
            json!({"person_id": pid, "kind": "temporary", "legal_basis": basis,
            "circumstance": "父母双亡，无其他依法具有监护资格的人", "org_id": org, "start_on": "2025-03-02", "planned_end": "2025-09-01"})
        };
        for tok in [&d.town, &leader] {
            let (s, _) = post(
                &t,
                tok,
                "/api/v1/children/guardianships",
                temp("civil_31", &org),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/children/guardianships",
            temp("civil_32", &org),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            v["field"], "legal_basis",
            "a long-term basis for a temporary one"
        );
        let (s, v) = post(
            &t,
            &d.city,
            "/api/v1/children/guardianships",
            temp("civil_31", &wrong_org),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "org_id");
        let (s, g1) = post(
            &t,
            &d.city,
            "/api/v1/children/guardianships",
            temp("minors_92", &org),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{g1}");
        assert_eq!(g1["number"], "监护-2025-0001");
        assert_eq!(g1["kind_label"], "临时监护");
        assert_eq!(g1["org_name"], "江阴市儿童福利院");
        assert!(g1["name"].as_str().unwrap().contains('*'), "masked");
        let (s, _) = post(
            &t,
            &d.city,
            "/api/v1/children/guardianships",
            temp("civil_31", &org),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one in force per child");
        // long-term with a planned end is refused; without, it ends the temporary one that day
        let long = json!({"person_id": pid, "kind": "long_term", "legal_basis": "civil_32",
            "circumstance": "父母双亡，经查无其他监护人，由民政部门担任监护人", "org_id": org, "start_on": "2025-06-01"});
        let mut bad = long.clone();
        bad["planned_end"] = json!("2030-01-01");
        let (s, v) = post(&t, &d.city, "/api/v1/children/guardianships", bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "planned_end");
        let (s, g2) = post(&t, &d.city, "/api/v1/children/guardianships", long).await;
        assert_eq!(s, StatusCode::CREATED, "{g2}");
        let g2id = g2["id"].as_str().unwrap().to_string();
        let (_, detail) = t
            .get(&format!("/api/v1/children/guardianships/{g2id}"), &d.town)
            .await;
        assert_eq!(detail["others"][0]["status"], "ended", "{detail}");
        assert_eq!(detail["others"][0]["end_reason"], "转为长期监护");
        assert_eq!(detail["others"][0]["ended_on"], "2025-06-01");
        assert_eq!(detail["history"][0]["action"], "start");
        let (_, l) = t
            .get("/api/v1/children/guardianships?status=active", &leader)
            .await;
        assert_eq!(l["total"], 1);
        let (_, l) = t.get("/api/v1/children/guardianships", &nz).await;
        assert_eq!(l["total"], 0, "another town sees none");
        let (s, _) = t
            .get(&format!("/api/v1/children/guardianships/{g2id}"), &nz)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // adoption: a single young man adopting a girl fails on every article it breaks
        let young_man = json!({"name": "吴强", "id_number": adopter_id((2000, 1, 1), 511), "able_to_raise": true});
        let filing = |adopters: Value, has_spouse: bool| {
            json!({"person_id": pid, "adopters": adopters, "has_spouse": has_spouse,
            "children": 0, "phone": "13800001111", "address": "澄江街道人民路8号", "filed_on": "2026-01-05"})
        };
        let (s, v) = post(
            &t,
            &wg,
            "/api/v1/children/adoptions",
            filing(json!([young_man]), false),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the village helps, it does not file: {v}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/children/adoptions",
            filing(json!([young_man]), false),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "adopters");
        let e = v["error"].as_str().unwrap();
        assert!(
            e.contains("第一千零九十八条第五项") && e.contains("第一千一百零二条"),
            "{e}"
        );
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/children/adoptions",
            filing(json!([young_man]), true),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(v["error"].as_str().unwrap().contains("夫妻共同收养"), "{v}");
        let couple = json!([
            {"name": "钱建国", "id_number": adopter_id((1984, 5, 6), 513), "able_to_raise": true},
            {"name": "孙丽", "id_number": adopter_id((1986, 8, 9), 514), "able_to_raise": true}
        ]);
        let mut sick = couple.clone();
        sick[1]["disqualifying_illness"] = json!(true);
        let (s, v) = post(
            &t,
            &d.town,
            "/api/v1/children/adoptions",
            filing(sick, false),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("第一千零九十八条第三项"),
            "{v}"
        );
        // two children already: refused — unless the child is an orphan (第1100条第二款), as this one is
        let mut two = filing(couple.clone(), false);
        two["children"] = json!(2);
        let (s, a) = post(&t, &d.town, "/api/v1/children/adoptions", two).await;
        assert_eq!(s, StatusCode::CREATED, "an orphan lifts the limit: {a}");
        assert_eq!(a["special_child"], true);
        assert_eq!(a["number"], "澄江收养-2026-0001");
        assert_eq!(a["stage"], "filed");
        assert!(
            !a.to_string().contains(&adopter_id((1984, 5, 6), 513)),
            "adopters masked"
        );
        let aid = a["id"].as_str().unwrap().to_string();
        let (s, _) = post(
            &t,
            &d.town,
            "/api/v1/children/adoptions",
            filing(couple.clone(), false),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one live adoption per child");
        // registration needs the assessment first
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/children/adoptions/{aid}/register"),
            json!({"registered_on": "2026-02-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let assessment = |assessors: Value| {
            json!({"assessed_on": "2026-01-20", "assessors": assessors,
            "motive": "婚后多年未育，希望给孩子一个家", "character": "邻里评价良好，无不良记录", "health": "体检合格",
            "finances_housing": "夫妻月收入合计1.2万元，自有住房90平方米", "family": "夫妻关系和睦，双方父母支持",
            "parenting_plan": "就近入学，周末陪伴，定期体检", "bonding": "试养期间孩子与收养人亲近",
            "suitable": true, "conclusion": "收养人具备抚养教育能力，适宜收养"})
        };
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/adoptions/{aid}/assessment"),
            assessment(json!(["王芳"])),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "assessors");
        let (s, v) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/adoptions/{aid}/assessment"),
            assessment(json!(["王芳", "李强"])),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "assessed");
        assert_eq!(v["assessment_late"], false);
        // the county registers: the town may not
        let (s, _) = post(
            &t,
            &d.town,
            &format!("/api/v1/children/adoptions/{aid}/register"),
            json!({"registered_on": "2026-02-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = post(
            &t,
            &d.city,
            &format!("/api/v1/children/adoptions/{aid}/register"),
            json!({"registered_on": "2026-02-01"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stage"], "registered");
        assert_eq!(v["certificate"], "江阴收字〔2026〕第0001号");
        // the adopted child leaves state guardianship and the orphan register in the same step
        let (_, g) = t
            .get(&format!("/api/v1/children/guardianships/{g2id}"), &d.town)
            .await;
        assert_eq!(g["guardianship"]["status"], "ended");
        assert_eq!(g["guardianship"]["end_reason"], "被依法收养");
        let (_, r) = t
            .get(&format!("/api/v1/children/registrations/{reg_id}"), &d.town)
            .await;
        assert_eq!(r["registration"]["status"], "ended", "{r}");
        assert_eq!(r["registration"]["end_reason"], "被依法收养");
        let (_, a) = t.get("/api/v1/children/allowances", &d.town).await;
        let a = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == allowance.as_str())
            .unwrap()
            .clone();
        assert_eq!(a["status"], "stopped", "{a}");
        assert_eq!(
            a["end_month"], "2026-03",
            "from the month after the registration"
        );
        let (_, h) = t
            .get(&format!("/api/v1/children/adoptions/{aid}"), &leader)
            .await;
        let steps: Vec<&str> = h["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["action"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["file", "assess", "register"]);
        let (_, l) = t.get("/api/v1/children/adoptions", &nz).await;
        assert_eq!(l["total"], 0);
        for action in [
            "children.guardianship_start",
            "children.guardianship_end",
            "children.adoption_file",
            "children.adoption_assess",
            "children.adoption_register",
        ] {
            assert!(
                t.scalar(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await
                    >= 1,
                "{action} audited"
            );
        }
    }
);

db_test!(
    children_are_classified_again_when_a_parent_dies_or_a_load_arrives,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let nz = t.token("nz").await;
        let (s, h) = post(
            &t,
            &d.town,
            "/api/v1/households",
            json!({"area_code": village(&t), "address": "儿童路9号"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        let hh = h["id"].as_str().unwrap().to_string();
        let (father, _) = member(&t, &d.town, &hh, "郑大山", (1980, 2, 2), 611, "self").await;
        let (mother, mother_idn) =
            member(&t, &d.town, &hh, "何小英", (1983, 3, 3), 612, "spouse").await;
        let (kid, _) = member(&t, &d.town, &hh, "郑小山", (2015, 5, 5), 613, "child").await;
        let (older, _) = member(&t, &d.town, &hh, "郑大妹", (2008, 1, 1), 614, "child").await;
        let classes = |tok: String| {
            let t = &t;
            async move { t.get("/api/v1/children/classifications", &tok).await.1 }
        };
        // the father's death in the registry: the mother is able, so no category — and nothing recorded for the kid
        let (s, v) = t
            .api(
                Method::PATCH,
                &format!("/api/v1/persons/{father}"),
                Some(&d.town),
                Some(json!({"status": "deceased"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM child_classification_changes")
                .await,
            0
        );
        // the older child is 18 and was classified before: the next run ends its category
        t.app.db.conn().execute(
            "INSERT INTO child_classifications (person_id, area_code, town_code, category, reasons_json, as_of, updated_at) \
             VALUES ($1, $2, '320281001', 'de_facto_unsupported', '[]', $3, $4)",
            vec![older.as_str().into(), village(&t).into(),
                 chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().into(), chrono::Utc::now().into()],
        ).await.unwrap();
        // the custody register says the mother is in prison for 4 years: the load re-classifies the registry
        let csv = format!("id_number,kind,from,to\n{mother_idn},prison,2025-01-01,2029-01-01\n");
        let (s, v) = common::load(
            &t,
            &d.city,
            "custody",
            "custody.csv",
            csv.as_bytes(),
            "2026-11-30",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let v = classes(d.town.clone()).await;
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["unregistered"], 1);
        assert_eq!(v["items"][0]["person_id"], kid.as_str());
        assert_eq!(v["items"][0]["category"], "de_facto_unsupported");
        assert_eq!(v["items"][0]["registered"], false);
        let reasons = v["items"][0]["reasons"].as_str().unwrap();
        assert!(
            reasons.contains("父亲") && reasons.contains("母亲"),
            "{reasons}"
        );
        let changes = v["changes"].as_array().unwrap();
        let for_kid: Vec<&Value> = changes
            .iter()
            .filter(|c| c["person_id"] == kid.as_str())
            .collect();
        assert_eq!(for_kid.len(), 1, "{v}");
        assert!(
            for_kid[0]["cause"]
                .as_str()
                .unwrap()
                .contains("部门数据导入"),
            "{v}"
        );
        assert_eq!(for_kid[0]["before"], Value::Null);
        assert_eq!(for_kid[0]["after"], "事实无人抚养儿童");
        // the 18-year-old's category ended, by age
        let for_older: Vec<&Value> = changes
            .iter()
            .filter(|c| c["person_id"] == older.as_str())
            .collect();
        assert_eq!(for_older.len(), 1, "{v}");
        assert_eq!(for_older[0]["after"], Value::Null);
        assert!(
            for_older[0]["reasons"]
                .as_str()
                .unwrap()
                .contains("已满18周岁"),
            "{v}"
        );
        // the mother's death in the registry: in the same transaction, the kid becomes an orphan
        let (s, _) = t
            .api(
                Method::PATCH,
                &format!("/api/v1/persons/{mother}"),
                Some(&d.town),
                Some(json!({"status": "deceased"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let v = classes(d.town.clone()).await;
        assert_eq!(v["items"][0]["category"], "orphan", "{v}");
        assert_eq!(v["changes"][0]["before"], "事实无人抚养儿童");
        assert_eq!(v["changes"][0]["after"], "孤儿");
        assert!(
            v["changes"][0]["cause"]
                .as_str()
                .unwrap()
                .contains("居民信息库变更"),
            "{v}"
        );
        // the section's run changes nothing more; it is the section's, not the town's
        let (s, _) = post(
            &t,
            &d.town,
            "/api/v1/children/classifications/run",
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let before = t
            .scalar("SELECT COUNT(*) FROM child_classification_changes")
            .await;
        let (s, r) = post(
            &t,
            &d.city,
            "/api/v1/children/classifications/run",
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["changed"], 0);
        assert_eq!(r["classified"], 1);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM child_classification_changes")
                .await,
            before
        );
        // registering the child clears the lead; another town sees nothing
        let (s, r) = register(
            &t,
            &d.town,
            json!({"person_id": kid, "category": "orphan", "sub_kind": "family",
            "start_on": "2026-12-01", "parents": orphan_parents()}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let v = classes(d.town.clone()).await;
        assert_eq!(v["unregistered"], 0);
        assert_eq!(v["items"][0]["registered"], true);
        let v = classes(nz.clone()).await;
        assert_eq!(v["total"], 0);
        assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    }
);

db_test!(
    the_allowance_roll_agrees_with_an_independent_count_of_a_demo_city,
    |b: Backend| async move {
        let t = TestApp::with_demo(b, 1500).await;
        minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
        minzheng::demo::children::seed(&t.app).await.unwrap();
        t.add_user("city", "city_officer", "320281").await;
        let city = t.token("city").await;
        let month = "2021-01";
        let first = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        // counted here from the raw rows: an active allowance started by the month, its child living and under 18
        // on the 1st (or in full-time education), no live tekun case in the household, at the tier's standard
        // allowance, kind, start month, the child's status, birth date, end of education, household
        type Row = (
            String,
            String,
            String,
            String,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
            String,
        );
        let rows: Vec<Row> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT a.id, a.kind, a.start_month, p.status, p.birth_date, r.education_until, COALESCE(a.household_id, '') \
                 FROM child_allowances a JOIN persons p ON p.id = a.person_id \
                 JOIN child_registrations r ON r.id = a.registration_id WHERE a.status = 'active'",
                vec![],
            )
            .await
            .unwrap();
        let tekun: Vec<(String, String, Option<String>)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT household_id, start_month, end_month FROM cases WHERE category = 'tekun'",
                vec![],
            )
            .await
            .unwrap();
        let standards: Vec<(String, String, i64)> = t
            .app
            .db
            .conn()
            .fetch_all(
                "SELECT tier, effective_from, monthly_amount FROM child_standards ORDER BY effective_from",
                vec![],
            )
            .await
            .unwrap();
        let standard = |tier: &str| common::in_force(&standards, tier, month);
        let eighteen = |b: chrono::NaiveDate| {
            use chrono::Datelike;
            chrono::NaiveDate::from_ymd_opt(b.year() + 18, b.month(), b.day().min(28)).unwrap()
        };
        let mut expected: Vec<(String, i64)> = rows
            .iter()
            .filter(|r| r.2.as_str() <= month && r.3 == "normal")
            .filter(|r| eighteen(r.4) >= first || r.5.is_some_and(|e| e >= first))
            .filter(|r| {
                !tekun.iter().any(|c| {
                    c.0 == r.6 && c.1.as_str() <= month && c.2.as_deref().is_none_or(|e| e > month)
                })
            })
            .map(|r| {
                let tier = if r.1 == "orphan_institution" {
                    "institution"
                } else {
                    "family"
                };
                (r.0.clone(), standard(tier).expect("a standard"))
            })
            .collect();
        expected.sort();
        assert!(!expected.is_empty(), "the demo pays allowances");
        let (s, v) = t
            .api(
                axum::http::Method::POST,
                "/api/v1/payments/rolls",
                Some(&city),
                Some(serde_json::json!({"month": month})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let paid = common::roll_lines(&t, "2021-01", "children", "case_id").await;
        assert_eq!(paid, expected);
    }
);
