//! The list conventions (app::listing, web/pages/list.rs) on the applications list, on SQLite and PostgreSQL:
//! search by name and by the last 4 characters of an identity number, filters, server-side sort, "共 N 条 · 第 x/y 页"
//! (never 第 1/0 页), the XLSX export of exactly what is filtered (typed cells, masked unless asked for in full by a
//! role that may, audited), and 批量受理 all or nothing, per-item reasons, area-scoped, audited.

use crate::common;

use crate::common::workflow::{desk, file, household};
use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use calamine::{Data, Reader, Xlsx};
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

db_test!(
    applications_list_search_sort_page_export,
    |b: Backend| async move {
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
        assert!(
            v["items"][0]["applicant_id_number_masked"]
                .as_str()
                .unwrap()
                .contains('*')
        );
        // the full number too
        let (_, v) = t
            .get(&format!("/api/v1/applications?q={idn}"), &d.town)
            .await;
        assert_eq!(v["total"], 1, "{v}");
        // filters: stage, category, dates (a wrong date is named in Chinese)
        let (_, v) = t.get("/api/v1/applications?status=accepted", &d.town).await;
        assert_eq!(v["total"], 0);
        assert_eq!(v["pages"], 1, "an empty list is page 1 of 1");
        let (_, v) = t.get("/api/v1/applications?category=tekun", &d.town).await;
        assert_eq!(v["total"], 0);
        let (_, v) = t
            .get(
                "/api/v1/applications?category=dibao&from=2000-01-01&to=2100-01-01",
                &d.town,
            )
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
        let (_, _, body) = t
            .page(&s, "/assistance/applications?q=%E6%97%A0%E6%AD%A4%E4%BA%BA")
            .await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("共 0 条 · 第 1/1 页"), "{html}");

        // the export holds exactly what is filtered: 序号 a number, the identity number a masked text cell
        let before = t
            .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'list.export'")
            .await;
        let (st, h, body) = t
            .page(
                &s,
                &format!("/assistance/applications/export.xlsx?q={}", &idn[14..]),
            )
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
        assert!(
            matches!(&rows[1][3], Data::String(x) if x.contains('*')),
            "{rows:?}"
        );
        // in full, when the role may see it: text, all 18 characters
        let (_, _, body) = t
            .page(
                &s,
                &format!(
                    "/assistance/applications/export.xlsx?q={}&full=1",
                    &idn[14..]
                ),
            )
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
    }
);

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
                .fetch_one(
                    "SELECT stage FROM applications WHERE id = $1",
                    minzheng::args![&id],
                )
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
        .fetch_one(
            "SELECT number FROM applications WHERE id = $1",
            minzheng::args![ids[2]],
        )
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
    assert!(
        msg.contains(&number.0) && msg.contains("全部未办理"),
        "{msg}"
    );
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

db_test!(
    grid_tasks_paged_and_closed_in_a_batch,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let d = desk(&t).await;
        for _ in 0..3 {
            common::workflow::approved(&t, &d).await;
        }
        let village = t.app.areas().children("320281001")[0].code.clone();
        t.add_user("wg", "village_worker", &village).await;
        t.add_user("nz", "town_officer", "320281004").await;
        let wg = t.token("wg").await;
        let nz = t.token("nz").await;
        // the reviews are long overdue: the warning scan makes a 复核逾期 task for each
        t.app
            .db
            .conn()
            .execute(
                "UPDATE cases SET review_due_on = $1",
                minzheng::args![chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()],
            )
            .await
            .unwrap();
        minzheng::app::verification::tasks::scan(&t.app, t.app.today())
            .await
            .unwrap();
        let (_, v) = t.get("/api/v1/tasks?category=review_overdue", &wg).await;
        assert_eq!(v["total"], 3, "{v}");
        assert_eq!(v["pages"], 1);
        // each task names its person, masked
        assert!(v["items"][0]["person_name"].is_string(), "{v}");
        assert!(
            v["items"][0]["id_number_masked"]
                .as_str()
                .unwrap()
                .contains('*')
        );
        let ids: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect();
        for id in &ids[..2] {
            let (s, v) = common::upload(
                &t,
                &wg,
                &format!("/api/v1/tasks/{id}/visit"),
                &[("note", "入户走访，生活正常")],
                &[],
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let closed = || async {
            t.scalar("SELECT COUNT(*) FROM grid_tasks WHERE status = 'closed'")
                .await
        };
        // one not yet visited: nothing closes, and it is named
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/tasks/close",
                Some(&wg),
                Some(json!({"ids": ids, "reason": "入户核实无需救助"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["error"].as_str().unwrap().contains("1条不能办理"), "{v}");
        assert!(v["error"].as_str().unwrap().contains("走访"), "{v}");
        assert_eq!(closed().await, 0);
        // one reason for all, at least 4 characters
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/tasks/close",
                Some(&wg),
                Some(json!({"ids": &ids[..2], "reason": "无"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "reason");
        // another town's officer reaches none of them
        let (s, _) = t
            .api(
                Method::POST,
                "/api/v1/tasks/close",
                Some(&nz),
                Some(json!({"ids": &ids[..2], "reason": "入户核实无需救助"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(closed().await, 0);
        // the page: visited tasks carry a checkbox for the batch form; the batch closes both
        let s = t.login_browser("wg").await;
        let (_, _, body) = t.page(&s, "/verification/tasks").await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("共 3 条 · 第 1/1 页"), "{html}");
        assert_eq!(html.matches("form=\"batch\"").count(), 2, "{html}");
        let form = format!(
            "csrf={}&ids={}&ids={}&reason=%E5%85%A5%E6%88%B7%E6%A0%B8%E5%AE%9E%E6%97%A0%E9%9C%80%E6%95%91%E5%8A%A9",
            s.csrf, ids[0], ids[1]
        );
        let (st, _, body) = t.post_form(&s, "/verification/tasks/close", &form).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("已批量办结 2 项任务"), "{html}");
        assert_eq!(closed().await, 2);
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'task.batch_close'")
                .await,
            1
        );
        assert_eq!(
            t.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'task.close'")
                .await,
            2
        );
        // open tasks by default; all of them on request
        let (_, v) = t.get("/api/v1/tasks", &wg).await;
        assert_eq!(v["total"], 1);
        let (_, v) = t.get("/api/v1/tasks?status=all", &wg).await;
        assert_eq!(v["total"], 3);
    }
);

/// Menus and forms by role: the read-only roles (leader, auditor) are shown no form that changes anything (every
/// such form would answer 403), and every menu link of every role opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_roles_see_no_forms_that_change_anything() {
    let t = TestApp::with_demo(Backend::Sqlite, 40).await;
    for (u, r, a) in [
        ("leader", "leader", "320281"),
        ("auditor", "auditor", "320281"),
    ] {
        t.add_user(u, r, a).await;
    }
    let mut bad = vec![];
    for user in ["leader", "auditor", "admin"] {
        let s = t.login_browser(user).await;
        let (_, home) = common::home_page(&t, &s).await;
        let links = common::menu_links(&home);
        assert!(!links.is_empty(), "{user} has a menu");
        for link in links {
            let (st, _, body) = t.page(&s, &link).await;
            // an administrator's 首页 sends it to its own page
            if st == StatusCode::SEE_OTHER && link == "/" {
                continue;
            }
            if st != StatusCode::OK {
                bad.push(format!("{user} {link}: {st}"));
                continue;
            }
            if user == "admin" {
                continue;
            }
            let html = String::from_utf8(body).unwrap();
            for form in html.split("<form").skip(1) {
                let tag = form.split('>').next().unwrap_or("");
                let action = tag
                    .split("action=\"")
                    .nth(1)
                    .and_then(|x| x.split('"').next())
                    .unwrap_or("");
                // logging out and one's own account are everyone's; the calculators (自评测算, 儿童类别认定, 能力评估测算) compute
                // and store nothing
                if tag.contains("method=\"post\"")
                    && action != "/logout"
                    && !action.starts_with("/account")
                    && ![
                        "/assistance/self-check",
                        "/children/classify",
                        "/elderly/capability",
                    ]
                    .contains(&action)
                {
                    bad.push(format!("{user} {link}: a form posting to {action}"));
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The kind of a link: its path with every segment holding a digit (ids, months) as `{}` and its query left out,
/// so one page of each kind is visited.
fn link_kind(link: &str) -> String {
    link.split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .map(|seg| {
            if seg.bytes().any(|b| b.is_ascii_digit()) {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every page reachable from the menu of every role, with the demo city loaded (assistance at every step, payment
/// rolls, verification findings and tasks, allowances, children): the menu pages, one detail page of each kind
/// linked from them, and one page of each kind linked from those (the prints among them) — all in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_with_the_demo_city_is_chinese() {
    let t = TestApp::with_demo(Backend::Sqlite, 1500).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    minzheng::demo::sources::seed(&t.app, 7).await.unwrap();
    minzheng::demo::welfare::seed(&t.app).await.unwrap();
    minzheng::demo::children::seed(&t.app).await.unwrap();
    let village = t.app.areas().children("320281001")[0].code.clone();
    for (u, r, a) in [
        ("city", "city_officer", "320281"),
        ("cj", "town_officer", "320281001"),
        ("wg", "village_worker", village.as_str()),
        ("leader", "leader", "320281"),
        ("auditor", "auditor", "320281"),
    ] {
        t.add_user(u, r, a).await;
    }
    let mut bad = vec![];
    let mut visited_kinds = 0;
    for user in ["admin", "city", "cj", "wg", "leader", "auditor"] {
        let s = t.login_browser(user).await;
        let (_, _, home) = t.page(&s, "/").await;
        let mut queue = common::menu_links(&String::from_utf8(home).unwrap());
        queue.push("/".into());
        let mut seen: std::collections::HashSet<String> =
            queue.iter().map(|l| link_kind(l)).collect();
        let mut depth_of: std::collections::HashMap<String, usize> =
            queue.iter().map(|l| (l.clone(), 0)).collect();
        let mut i = 0;
        while i < queue.len() {
            let link = queue[i].clone();
            i += 1;
            let (st, h, body) = t.page(&s, &link).await;
            if st == StatusCode::SEE_OTHER && link == "/" {
                continue;
            }
            let html_page = h
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if st != StatusCode::OK {
                bad.push(format!("{user} {link}: {st}"));
                continue;
            }
            if !html_page {
                continue;
            }
            visited_kinds += 1;
            let html = String::from_utf8(body).unwrap();
            for word in common::latin_words(&html) {
                bad.push(format!("{user} {link}: {word}"));
            }
            // follow the page's own links two levels down from the menu, one of each kind
            let depth = depth_of[&link];
            if depth >= 2 {
                continue;
            }
            let main = html.split("<main").nth(1).unwrap_or("");
            for href in main
                .split("href=\"")
                .skip(1)
                .filter_map(|x| x.split('"').next())
            {
                let href = href.replace("&amp;", "&");
                if !href.starts_with('/')
                    || href.starts_with("/api")
                    || href.contains("export")
                    || href.contains("/photos/")
                    || href.ends_with(".csv")
                {
                    continue;
                }
                if seen.insert(link_kind(&href)) {
                    depth_of.insert(href.clone(), depth + 1);
                    queue.push(href);
                }
            }
        }
    }
    // the walk reached detail pages and prints, not just the menu
    assert!(visited_kinds > 100, "{visited_kinds} pages");
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "English on screen or a page that does not open:\n{}",
        bad.join("\n")
    );
}
