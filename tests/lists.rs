//! The list conventions (app::listing, web/pages/list.rs) on the applications list, on SQLite and PostgreSQL:
//! search by name and by the last 4 characters of an identity number, filters, server-side sort, "共 N 条 · 第 x/y 页"
//! (never 第 1/0 页), the XLSX export of exactly what is filtered (typed cells, masked unless asked for in full by a
//! role that may, audited), and 批量受理 all or nothing, per-item reasons, area-scoped, audited.

mod common;

use axum::http::{Method, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::workflow::{desk, file, household};
use common::{Backend, TestApp};
use serde_json::{Value, json};

/// `n` applications filed by 澄江街道's officer; their ids and applicants' identity numbers, oldest first.
async fn filed(t: &TestApp, tok_town: &str, n: usize) -> Vec<(String, String)> {
    let d = common::workflow::Desk {
        town: tok_town.to_string(),
        city: String::new(),
        city2: String::new(),
    };
    let mut out = vec![];
    for _ in 0..n {
        let (_, _, _, body) = household(t, tok_town).await;
        let (s, v) = file(t, &d, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let idn: (String,) = t
            .app
            .db
            .conn()
            .fetch_one(
                "SELECT p.id_number FROM applications a JOIN persons p ON p.id = a.applicant_id WHERE a.id = $1",
                minzheng::args![&id],
            )
            .await
            .unwrap();
        out.push((id, idn.0));
    }
    out
}

fn sheet(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = x.sheet_names()[0].clone();
    let r = x.worksheet_range(&name).unwrap();
    r.rows().map(|r| r.to_vec()).collect()
}

db_test!(applications_list_search_sort_page_export, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = desk(&t).await;
    t.add_user("ld", "leader", "320281").await;
    let apps = filed(&t, &d.town, 23).await;

    // every applicant is 顾老汉: a name search finds them all, 20 a page
    let (s, v) = t
        .get("/api/v1/applications?q=%E9%A1%BE%E8%80%81", &d.town)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 23, "{v}");
    assert_eq!(v["pages"], 2);
    assert_eq!(v["items"].as_array().unwrap().len(), 20);
    // the last 4 characters of one identity number find that one
    let (target, idn) = &apps[7];
    let (_, v) = t
        .get(&format!("/api/v1/applications?q={}", &idn[14..]), &d.town)
        .await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["id"], target.as_str());
    assert!(v["items"][0]["applicant_id_number_masked"].as_str().unwrap().contains('*'));
    // the full number too
    let (_, v) = t
        .get(&format!("/api/v1/applications?q={idn}"), &d.town)
        .await;
    assert_eq!(v["total"], 1, "{v}");
    // filters: stage, category, dates (a wrong date is named in Chinese)
    let (_, v) = t
        .get("/api/v1/applications?status=accepted", &d.town)
        .await;
    assert_eq!(v["total"], 0);
    assert_eq!(v["pages"], 1, "an empty list is page 1 of 1");
    let (_, v) = t
        .get("/api/v1/applications?category=tekun", &d.town)
        .await;
    assert_eq!(v["total"], 0);
    let (_, v) = t
        .get("/api/v1/applications?category=dibao&from=2000-01-01&to=2100-01-01", &d.town)
        .await;
    assert_eq!(v["total"], 23);
    let (s, v) = t.get("/api/v1/applications?from=2020-13-01", &d.town).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "from");
    let (s, v) = t.get("/api/v1/applications?category=cars", &d.town).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // sort by number, both ways, done by the server
    let numbers = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["number"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, up) = t
        .get("/api/v1/applications?sort=number&dir=asc", &d.town)
        .await;
    let (_, down) = t
        .get("/api/v1/applications?sort=number&dir=desc", &d.town)
        .await;
    let up = numbers(&up);
    let down = numbers(&down);
    let mut sorted = up.clone();
    sorted.sort();
    assert_eq!(up, sorted);
    assert!(down[0] > up[0], "{down:?} {up:?}");
    assert!(down[0].ends_with("0023"), "{down:?}");
    // page 2 holds the rest
    let (_, v) = t
        .get("/api/v1/applications?sort=number&page=2", &d.town)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    // another town sees none of them
    t.add_user("nz", "town_officer", "320281004").await;
    let nz = t.token("nz").await;
    let (_, v) = t.get("/api/v1/applications", &nz).await;
    assert_eq!(v["total"], 0);

    // the page: the count line, sortable headers as links, the pager
    let s = t.login_browser("cj").await;
    let (_, _, body) = t.page(&s, "/assistance/applications?q=%E9%A1%BE").await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("共 23 条 · 第 1/2 页"), "{html}");
    assert!(html.contains("sort=number&amp;dir=asc"), "{html}");
    assert!(html.contains("rel=\"next\""));
    assert!(html.contains("批量受理"));
    let (_, _, body) = t.page(&s, "/assistance/applications?q=%E6%97%A0%E6%AD%A4%E4%BA%BA").await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("共 0 条 · 第 1/1 页"), "{html}");

    // the export holds exactly what is filtered: 序号 a number, the identity number a masked text cell
    let before = t
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'list.export'")
        .await;
    let (st, h, body) = t
        .page(&s, &format!("/assistance/applications/export.xlsx?q={}", &idn[14..]))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        h[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E6%95%91%E5%8A%A9%E7%94%B3%E8%AF%B7.xlsx")
    );
    let rows = sheet(&body);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], Data::String("序号".into()));
    assert_eq!(rows[1][0], Data::Float(1.0));
    assert!(matches!(&rows[1][3], Data::String(x) if x.contains('*')), "{rows:?}");
    // in full, when the role may see it: text, all 18 characters
    let (_, _, body) = t
        .page(&s, &format!("/assistance/applications/export.xlsx?q={}&full=1", &idn[14..]))
        .await;
    let rows = sheet(&body);
    assert_eq!(rows[1][3], Data::String(idn.clone()));
    let after = t
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'list.export'")
        .await;
    assert_eq!(after, before + 2);
    let full: (String,) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT after_json FROM audit_log WHERE action = 'list.export' ORDER BY seq DESC LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    assert!(full.0.contains("\"full\":true"), "{}", full.0);
    // a leader may read the list but not ask for full numbers
    let ls = t.login_browser("ld").await;
    let (st, _, _) = t
        .page(&ls, "/assistance/applications/export.xlsx?full=1")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, body) = t.page(&ls, "/assistance/applications/export.xlsx").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(sheet(&body).len(), 24);
});

db_test!(batch_accept_is_all_or_nothing, |b: Backend| async move {
    let t = TestApp::new(b).await;
    let d = desk(&t).await;
    t.add_user("nz", "town_officer", "320281004").await;
    let nz = t.token("nz").await;
    let apps = filed(&t, &d.town, 3).await;
    let ids: Vec<&str> = apps.iter().map(|a| a.0.as_str()).collect();
    let stage = |id: String| {
        let t = &t;
        async move {
            let (s,): (String,) = t
                .app
                .db
                .conn()
                .fetch_one("SELECT stage FROM applications WHERE id = $1", minzheng::args![&id])
                .await
                .unwrap();
            s
        }
    };
    // one already accepted: nothing is accepted, and that one is named by its number with the reason
    common::act(&t, &d.town, ids[2], json!({"action": "accept"})).await;
    let number: (String,) = t
        .app
        .db
        .conn()
        .fetch_one("SELECT number FROM applications WHERE id = $1", minzheng::args![ids[2]])
        .await
        .unwrap();
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/applications/accept",
            Some(&d.town),
            Some(json!({"ids": ids})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "ids");
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains(&number.0) && msg.contains("全部未办理"), "{msg}");
    assert_eq!(stage(ids[0].to_string()).await, "submitted");
    assert_eq!(stage(ids[1].to_string()).await, "submitted");
    // another town's officer cannot reach them: not found, nothing written, no number shown
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/applications/accept",
            Some(&nz),
            Some(json!({"ids": [ids[0]]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(!v["error"].as_str().unwrap().contains("澄江"), "{v}");
    assert_eq!(stage(ids[0].to_string()).await, "submitted");
    // nothing chosen
    let (s, v) = t
        .api(
            Method::POST,
            "/api/v1/applications/accept",
            Some(&d.town),
            Some(json!({"ids": []})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // the two submitted ones, from the page's form: accepted together, audited once as a batch and once each
    let s = t.login_browser("cj").await;
    let form = format!("csrf={}&ids={}&ids={}&on=", s.csrf, ids[0], ids[1]);
    let (st, h, _) = t
        .post_form(&s, "/assistance/applications/accept", &form)
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{h:?}");
    assert_eq!(stage(ids[0].to_string()).await, "accepted");
    assert_eq!(stage(ids[1].to_string()).await, "accepted");
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'application.batch_accept'")
            .await,
        1
    );
    // a page refusal lists each refused application
    let form = format!("csrf={}&ids={}", s.csrf, ids[0]);
    let (st, _, body) = t
        .post_form(&s, "/assistance/applications/accept", &form)
        .await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"batch-errors\""), "{html}");
});
