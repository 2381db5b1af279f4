//! Browser tests in Debian's Chromium through ChromeDriver: a civil servant logs in, searches a person
//! and opens the household.

use crate::common;

use crate::common::{Backend, TestApp};
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> (Driver, fantoccini::Client) {
    start_driver_with(None).await.0
}

/// Chromium, optionally as a phone (mobile emulation of the given CSS width × height); also returns the port.
async fn start_driver_with(phone: Option<(u32, u32)>) -> ((Driver, fantoccini::Client), u16) {
    let port = free_port();
    let child = Command::new(
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
    )
    .arg(format!("--port={port}"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("chromedriver (apt-get install chromium chromium-driver)");
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900", "--lang=zh-CN"]
        }),
    );
    if let Some((w, h)) = phone {
        caps["goog:chromeOptions"]["mobileEmulation"] =
            serde_json::json!({"deviceMetrics": {"width": w, "height": h, "pixelRatio": 3.0}});
    }
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return ((driver, c), port),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not reach chromedriver: {last:?}");
}

async fn serve(t: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = t.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

async fn login(c: &fantoccini::Client, base: &str, user: &str) {
    login_until(c, base, user, Locator::Id("count-persons")).await;
}

/// Logs in and waits for `landed` (an administrator lands on its own page, not the home page's counts).
async fn login_until(c: &fantoccini::Client, base: &str, user: &str, landed: Locator<'_>) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(landed).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_search_person_open_household() {
    let t = TestApp::with_demo(Backend::Sqlite, 300).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let (name, hh_size): (String, i64) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT p.name, (SELECT COUNT(*) FROM persons m WHERE m.household_id = p.household_id) FROM persons p \
             WHERE p.town_code = '320281001' ORDER BY p.id LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;

    // a wrong password shows a Chinese message
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("cj")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("wrong")
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = c
        .wait()
        .for_element(Locator::Id("login-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(err.contains("用户名或密码错误"), "{err}");

    login(&c, &base, "cj").await;
    let persons = c
        .find(Locator::Id("count-persons"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let in_town = t
        .scalar("SELECT COUNT(*) FROM persons WHERE town_code = '320281001'")
        .await;
    assert_eq!(
        persons,
        in_town.to_string(),
        "home counts only the officer's town"
    );

    c.find(Locator::LinkText("人员查询"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(&name)
        .await
        .unwrap();
    c.find(Locator::Id("search"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("results")).await.unwrap();
    let rows = c.find_all(Locator::Css("#results tbody tr")).await.unwrap();
    assert!(!rows.is_empty());
    let first = c
        .find(Locator::Css("#results tbody tr td a"))
        .await
        .unwrap();
    assert_eq!(first.text().await.unwrap(), name);
    let masked = c
        .find(Locator::Css("#results tbody tr td:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(masked.contains("********"), "{masked}");
    first.click().await.unwrap();

    c.wait().for_element(Locator::Id("person")).await.unwrap();
    let idn = c
        .find(Locator::Id("id-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(idn.contains("********"));
    c.find(Locator::Id("reveal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // the masked number has the same id: wait for the revealed page, not for the element
    let mut full = String::new();
    for _ in 0..100 {
        full = match c.find(Locator::Id("id-number")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if !full.is_empty() && !full.contains('*') {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!full.contains('*') && full.len() == 18, "{full}");

    c.find(Locator::Id("household-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("members")).await.unwrap();
    let members = c.find_all(Locator::Css("#members tbody tr")).await.unwrap();
    assert_eq!(members.len() as i64, hh_size);

    // print view: the navigation is hidden by the print stylesheet
    let hidden = c
        .execute(
            "for (const s of document.styleSheets) { for (const r of s.cssRules) { if (r.media && r.media.mediaText === 'print') return r.cssText.includes('nav.side'); } } return false;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, serde_json::Value::Bool(true));
    c.close().await.unwrap();
}

async fn set(c: &fantoccini::Client, css: &str, value: &str) {
    c.execute(
        &format!("document.querySelector({css:?}).value = {value:?};"),
        vec![],
    )
    .await
    .unwrap();
}

async fn step(c: &fantoccini::Client, action: &str, on: &str) {
    set(c, &format!("#act-{action} input[name=on]"), on).await;
    // the previous step's message must not be mistaken for this one's
    c.execute(
        "document.querySelectorAll('#message, #form-error').forEach(e => e.remove());",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Css(&format!("#act-{action} button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = c
        .wait()
        .for_element(Locator::Css("#message, #form-error"))
        .await
        .unwrap();
    let id = msg.attr("id").await.unwrap().unwrap_or_default();
    assert_eq!(id, "message", "{action}: {}", msg.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dibao_application_from_intake_to_approval() {
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("city", "city_officer", "320281").await;
    // a registry household: an elderly man living alone without income
    let ctx = minzheng::app::Ctx::command_line(
        minzheng::app::auth::actor_of(
            &t.app,
            &minzheng::storage::users::by_username(&t.app.db, "cj")
                .await
                .unwrap()
                .unwrap(),
        ),
        "test",
    );
    let village = t.app.areas().children("320281001")[0].code.clone();
    let hh = minzheng::app::registry::create_household(
        &t.app,
        &ctx,
        minzheng::app::registry::NewHousehold {
            area_code: village.clone(),
            address: "测试路3号".into(),
        },
    )
    .await
    .unwrap();
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(1945, 2, 2).unwrap(),
        31,
    )
    .to_string();
    minzheng::app::registry::create(
        &t.app,
        &ctx,
        minzheng::app::registry::NewPerson {
            id_number: idn,
            name: "缪阿大".into(),
            area_code: village.clone(),
            household_id: Some(hh.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;
    login(&c, &base, "cj").await;
    c.goto(&format!("{base}/households/{hh}")).await.unwrap();
    c.wait()
        .for_element(Locator::Id("apply"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("intake")).await.unwrap();
    set(&c, "#applied_on", "2020-06-01").await;
    set(&c, "#authorisation_on", "2020-06-01").await;
    c.find(Locator::Id("bank_account"))
        .await
        .unwrap()
        .send_keys("6228480000000000001")
        .await
        .unwrap();
    c.find(Locator::Id("submit-application"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("application"))
        .await
        .unwrap();
    step(&c, "accept", "2020-06-01").await;
    c.find(Locator::Css("#act-visit input[name=staff]"))
        .await
        .unwrap()
        .send_keys("王芳，李强")
        .await
        .unwrap();
    step(&c, "visit", "2020-06-02").await;
    step(&c, "check", "2020-06-02").await;
    for (name, v) in [
        ("participants", "9"),
        ("representatives", "7"),
        ("in_favour", "9"),
    ] {
        c.find(Locator::Css(&format!(
            "#act-community_review input[name={name}]"
        )))
        .await
        .unwrap()
        .send_keys(v)
        .await
        .unwrap();
    }
    step(&c, "community_review", "2020-06-03").await;
    step(&c, "town_approve", "2020-06-03").await;
    step(&c, "town_publicity_end", "2020-06-10").await;
    assert!(
        c.find(Locator::Id("stage"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("待市局审核确认")
    );
    // the 公示 of the village for June: masked name and number
    c.goto(&format!(
        "{base}/assistance/publicity?village={village}&month=2020-06"
    ))
    .await
    .unwrap();
    let table = c
        .wait()
        .for_element(Locator::Id("publicity"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("缪*大") && table.contains("320281********") && !table.contains("缪阿大"),
        "{table}"
    );

    // the city decides
    let app_id: String = t
        .app
        .db
        .conn()
        .fetch_one::<(String,)>("SELECT id FROM applications", vec![])
        .await
        .unwrap()
        .0;
    c.delete_all_cookies().await.unwrap();
    login(&c, &base, "city").await;
    c.goto(&format!("{base}/assistance/applications?mine=1"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(&format!(
            "a[href='/assistance/applications/{app_id}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("application"))
        .await
        .unwrap();
    if c.find(Locator::Id("act-spot_check")).await.is_ok()
        && t.scalar("SELECT COUNT(*) FROM applications WHERE spot_check_required")
            .await
            == 1
    {
        c.find(Locator::Css("#act-spot_check input[name=staff]"))
            .await
            .unwrap()
            .send_keys("市局甲,市局乙")
            .await
            .unwrap();
        step(&c, "spot_check", "2020-06-11").await;
    }
    step(&c, "city_approve", "2020-06-11").await;
    step(&c, "decide", "2020-06-18").await;
    assert!(
        c.find(Locator::Id("stage"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("已批准")
    );
    // alone, no income, aged 75: S = 1000 plus 20 % for ≥ 70 → 1200
    assert!(
        c.find(Locator::Id("amount"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("1200.00")
    );
    c.find(Locator::Id("print-form"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let form = c
        .wait()
        .for_element(Locator::Css("main.form"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("审批表") && form.contains("1200.00 元/月") && form.contains("王芳"),
        "{form}"
    );
    // print view hides the print button
    let hidden = c
        .execute("return [...document.styleSheets].some(s => [...s.cssRules].some(r => r.media && r.media.mediaText === 'print' && r.cssText.includes('.noprint')));", vec![])
        .await
        .unwrap();
    assert_eq!(hidden, serde_json::Value::Bool(true));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_dashboard_and_print_view() {
    let t = TestApp::with_demo(Backend::Sqlite, 300).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    t.add_user("leader", "leader", "320281").await;
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;
    login(&c, &base, "leader").await;
    c.goto(&format!("{base}/targets?year=2020")).await.unwrap();
    c.wait()
        .for_element(Locator::Id("indicators"))
        .await
        .unwrap();
    // all 43 indicators at a glance, each with a status colour
    let rows = c
        .find_all(Locator::Css("#indicators tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 43);
    let t081 = c.find(Locator::Id("ind-T08.1")).await.unwrap();
    assert_eq!(
        t081.attr("data-status").await.unwrap().as_deref(),
        Some("done")
    );
    let colour = c
        .execute(
            "return getComputedStyle(document.querySelector('#ind-T08\\\\.1 .st')).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(colour, serde_json::json!("rgb(46, 125, 50)"));
    let total: usize = {
        let mut n = 0;
        for s in ["done", "on_track", "at_risk", "missed", "no_data"] {
            n += c
                .find(Locator::Id(&format!("count-{s}")))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .parse::<usize>()
                .unwrap();
        }
        n
    };
    assert_eq!(total, 43);
    // the status rule is on the page, and the town chart is an SVG
    let body = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("状态判定规则") && body.contains("均匀"),
        "{body}"
    );
    assert!(c.find(Locator::Css("svg#town-income")).await.is_ok());
    // drill down into T08.3 and back
    c.find(Locator::LinkText("T08.3"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let def = c
        .wait()
        .for_element(Locator::Id("definition"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(def.contains("× 12"), "{def}");
    assert!(c.find(Locator::Css("svg#progress-chart")).await.is_ok());
    c.back().await.unwrap();
    // the print view: a report item by item, navigation gone, the print button hidden when printing
    c.wait()
        .for_element(Locator::Id("print-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let report = c
        .wait()
        .for_element(Locator::Id("print-report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("目标完成情况报告")
            && report.contains("低保标准")
            && report.contains("兜牢民生保障底线"),
        "{report}"
    );
    assert!(c.find(Locator::Css("nav.side")).await.is_err());
    let hidden = c
        .execute("return [...document.styleSheets].some(s => [...s.cssRules].some(r => r.media && r.media.mediaText === 'print' && r.cssText.includes('.noprint')));", vec![])
        .await
        .unwrap();
    assert_eq!(hidden, serde_json::Value::Bool(true));
    assert!(
        c.find(Locator::Id("print-button"))
            .await
            .unwrap()
            .find(Locator::XPath("ancestor::*[contains(@class,'noprint')]"))
            .await
            .is_ok()
    );
    c.close().await.unwrap();
}

/// The new lines' main screens: a town officer registers an organisation and scores a capability assessment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_registry_and_capability_form() {
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;
    login(&c, &base, "cj").await;
    // from the menu
    c.find(Locator::Css("nav.side a[href='/organisations']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("org-form")).await.unwrap();
    let first17 = "52320281MJ5733432";
    let code = format!("{first17}{}", minzheng_domain::orgs::check_char(first17));
    set(&c, "#name", "澄江街道日间照料中心").await;
    set(&c, "#credit_code", &code.to_lowercase()).await;
    c.find(Locator::Css("#kind option[value='day_care_centre']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#org-form button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = c.wait().for_element(Locator::Id("message")).await.unwrap();
    assert!(msg.text().await.unwrap().contains(&code));
    let table = c.find(Locator::Id("orgs")).await.unwrap();
    assert!(table.text().await.unwrap().contains("日间照料中心"));
    // the capability form scores like the API: coma → 能力完全丧失
    c.goto(&format!("{base}/elderly/capability")).await.unwrap();
    c.find(Locator::Id("coma"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#capability-form button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let r = c
        .wait()
        .for_element(Locator::Id("capability-result"))
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("能力完全丧失"));
    c.close().await.unwrap();
}

/// Whether the page is wider than the phone: the document's scroll width against the viewport's.
async fn overflow(c: &fantoccini::Client) -> (i64, i64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

/// A village grid worker on a 390 × 844 phone: every page of the menu, a task with its visit form, an application
/// and a household fit the screen's width (cards instead of wide tables, the menu behind 菜单, the header wrapped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_pages_fit_a_village_worker() {
    let t = TestApp::with_demo(Backend::Sqlite, 300).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    t.add_user("cj", "town_officer", "320281001").await;
    let (village,): (String,) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT area_code FROM households WHERE area_code LIKE '320281001%' ORDER BY area_code LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    t.add_user("wg", "village_worker", &village).await;
    // an application of the village, and two grid tasks (one open, one visited: its closing form is the widest)
    let cj = t.token("cj").await;
    let req = common::dibao_request(&t, &cj, &village, "缪阿大", 2).await;
    let hh = req["household_id"].as_str().unwrap().to_string();
    let person = req["applicant_id"].as_str().unwrap().to_string();
    let (s, v) = t
        .api(
            axum::http::Method::POST,
            "/api/v1/applications",
            Some(&cj),
            Some(req),
        )
        .await;
    assert_eq!(s, axum::http::StatusCode::CREATED, "{v}");
    let app_id = v["id"].as_str().unwrap().to_string();
    for (i, status) in ["open", "visited"].iter().enumerate() {
        t.app
            .db
            .conn()
            .execute(
                "INSERT INTO grid_tasks (id, kind, dedupe_key, area_code, town_code, person_id, detail, evidence_json, due_on, status, visit_note, created_at) \
                 VALUES ($1, 'medical_expense', $2, $3, '320281001', $4, '2020年自付医疗费用 38,000.00 元，超过 12 倍低保标准，家庭未享受救助', '{}', $5, $6, $7, $8)",
                vec![
                    format!("task-{i}").into(),
                    format!("phone-test-{i}").into(),
                    village.as_str().into(),
                    person.as_str().into(),
                    chrono::NaiveDate::from_ymd_opt(2020, 9, 30).unwrap().into(),
                    (*status).into(),
                    (*status == "visited").then(|| "已入户，家中老人长期卧床，子女收入不稳定".to_string()).into(),
                    chrono::Utc::now().into(),
                ],
            )
            .await
            .unwrap();
    }
    let base = serve(&t).await;
    let ((_driver, c), _) = start_driver_with(Some((390, 844))).await;
    login(&c, &base, "wg").await;
    // the menu is folded away behind 菜单 and opens without JavaScript
    let nav_shown =
        "return getComputedStyle(document.querySelector('nav.side')).display !== 'none';";
    assert_eq!(
        c.execute(nav_shown, vec![]).await.unwrap(),
        serde_json::Value::Bool(false)
    );
    c.find(Locator::Id("menu-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        c.execute(nav_shown, vec![]).await.unwrap(),
        serde_json::Value::Bool(true)
    );
    let links = c
        .execute(
            "return [...document.querySelectorAll('nav.side a')].map(a => a.getAttribute('href'));",
            vec![],
        )
        .await
        .unwrap();
    let mut pages: Vec<String> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        // the API documentation is Swagger UI, a developer's tool with its own layout
        .filter(|href| href != "/api/docs")
        .collect();
    assert!(pages.len() >= 10, "{pages:?}");
    pages.extend([
        "/verification/tasks".to_string(),
        format!("/assistance/applications/{app_id}"),
        format!("/households/{hh}"),
        format!("/persons/{person}"),
        "/account".to_string(),
        "/assistance/publicity".to_string(),
    ]);
    for page in &pages {
        c.goto(&format!("{base}{page}")).await.unwrap();
        c.wait().for_element(Locator::Css("body")).await.unwrap();
        let (scroll, inner) = overflow(&c).await;
        assert_eq!(inner, 390, "{page}: the viewport is the phone's");
        assert!(
            scroll <= inner,
            "{page}: {scroll} px wide on a {inner} px phone"
        );
        // the brand is whole on one line
        if c.find(Locator::Css("header.top .brand")).await.is_ok() {
            let brand = c
                .execute(
                    "const b = document.querySelector('header.top .brand').getBoundingClientRect(); return [b.left, b.right, b.height];",
                    vec![],
                )
                .await
                .unwrap();
            assert!(
                brand[0].as_f64().unwrap() >= 0.0
                    && brand[1].as_f64().unwrap() <= 390.0
                    && brand[2].as_f64().unwrap() < 40.0,
                "{page}: brand {brand}"
            );
        }
    }
    // the grid tasks are cards, and the visit form is on the screen
    c.goto(&format!("{base}/verification/tasks")).await.unwrap();
    let shown = c
        .execute(
            "const t = document.querySelector('#tasks'); const f = document.querySelector('#tasks form'); \
             return [getComputedStyle(t.querySelector('thead')).display, f ? f.getBoundingClientRect().right : -1];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown[0], "none", "{shown}");
    let right = shown[1].as_f64().unwrap();
    assert!(right > 0.0 && right <= 390.0, "{shown}");
    // the visit is recorded from the phone with a photo, and the photo is shown on the task
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("visit.png");
    std::fs::write(&photo, common::PNG).unwrap();
    let form = "form[action^='/verification/tasks/task-0/visit']";
    c.find(Locator::Css(&format!("{form} input[name=note]")))
        .await
        .unwrap()
        .send_keys("入户走访，老人在家")
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{form} input[type=file]")))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // the tasks page the visit answers with
    let thumb = c
        .wait()
        .for_element(Locator::Css(
            "img.thumb[src*='/verification/tasks/task-0/photos/']",
        ))
        .await
        .unwrap();
    let loaded = c
        .execute(
            "const i = arguments[0]; return i.complete && i.naturalWidth > 0;",
            vec![serde_json::to_value(&thumb).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(loaded, serde_json::Value::Bool(true), "the photo shows");
    let (scroll, inner) = overflow(&c).await;
    assert!(
        scroll <= inner,
        "tasks with a photo: {scroll} px on {inner}"
    );
    c.close().await.unwrap();
}

/// Chromium prints through the WebDriver session (W3C Print Page, which chromedriver serves with DevTools'
/// Page.printToPDF) on A4 portrait; the PDF it returns.
#[derive(Debug)]
struct PrintA4;

impl fantoccini::wd::WebDriverCompatibleCommand for PrintA4 {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/print", session_id.unwrap_or("")))
    }
    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(
                serde_json::json!({"orientation": "portrait", "page": {"width": 21.0, "height": 29.7},
                    "shrinkToFit": false, "background": false})
                .to_string(),
            ),
        )
    }
}

async fn print_pages(c: &fantoccini::Client) -> usize {
    use base64::Engine;
    let v = c.issue_cmd(PrintA4).await.unwrap();
    let b64 = v
        .as_str()
        .or_else(|| v["value"].as_str())
        .unwrap_or_else(|| panic!("no PDF: {v}"));
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // each page is an object `/Type /Page`; the page tree is `/Type /Pages`
    let text = String::from_utf8_lossy(&pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count()
        + text
            .match_indices("/Type/Page")
            .filter(|(i, _)| !text[i + 10..].starts_with('s'))
            .count()
}

/// The 审批表 of a six-person household (the largest the demo city makes), the village 公示 and the 不予批准告知书 each print on exactly one A4 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_forms_fit_one_a4_page() {
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    let mut ids = vec![];
    for (name, children) in [("缪阿大", 5), ("缪阿二", 0), ("缪阿三", 1)] {
        let req = common::dibao_request(&t, &cj, &village, name, children).await;
        let (s, v) = t
            .api(
                axum::http::Method::POST,
                "/api/v1/applications",
                Some(&cj),
                Some(req),
            )
            .await;
        assert_eq!(s, axum::http::StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    for id in [&ids[0], &ids[2]] {
        common::act(
            &t,
            &cj,
            id,
            serde_json::json!({"action": "accept", "on": "2020-06-01"}),
        )
        .await;
        common::act(&t, &cj, id, serde_json::json!({"action": "visit", "on": "2020-06-02", "staff": ["王芳", "李强"], "note": "入户调查：家中四人，长子务工收入不稳定，老人长期患病，住房一套，无机动车（摩托车一辆）"})).await;
        common::act(
            &t,
            &cj,
            id,
            serde_json::json!({"action": "check", "on": "2020-06-02"}),
        )
        .await;
        common::act(&t, &cj, id, serde_json::json!({"action": "community_review", "on": "2020-06-03", "participants": 9, "representatives": 7, "in_favour": 9, "note": "民主评议：与会代表一致认为家庭困难属实"})).await;
        common::act(&t, &cj, id, serde_json::json!({"action": "town_approve", "on": "2020-06-03", "note": "经审核，情况属实，同意上报", "reason": "复核：子女收入已按实际核定"})).await;
    }
    common::act(&t, &cj, &ids[1], serde_json::json!({"action": "refuse", "on": "2020-06-05", "reason": "家庭人均收入高于当地最低生活保障标准"})).await;
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;
    login(&c, &base, "cj").await;
    for (page, marker) in [
        (
            format!("/assistance/applications/{}/form", ids[0]),
            "approval-form",
        ),
        (
            format!("/assistance/publicity?village={village}&month=2020-06"),
            "publicity-sheet",
        ),
        (
            format!("/assistance/applications/{}/refusal", ids[1]),
            "refusal",
        ),
    ] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        c.wait().for_element(Locator::Id(marker)).await.unwrap();
        // MINZHENG_PRINT_DIR keeps a screenshot of each sheet to look at
        if let Ok(dir) = std::env::var("MINZHENG_PRINT_DIR") {
            c.set_window_size(1000, 1400).await.unwrap();
            let png = c.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/{marker}.png"), png).unwrap();
        }
        assert_eq!(print_pages(&c).await, 1, "{page} prints on one A4 page");
    }
    c.close().await.unwrap();
}

/// A town officer on a 390 × 844 phone: an elderly institution's page (filing, beds, a resident, an inspection and
/// every form) and its safety page (an open hazard with its closing form, the checklist) fit the screen's width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn institution_pages_fit_a_phone() {
    use axum::http::{Method, StatusCode};
    use chrono::Datelike;
    use serde_json::json;
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    let today = minzheng::util::today();
    let first = "52320281MJ0009001";
    let (s, o) = t
        .api(Method::POST, "/api/v1/organisations", Some(&cj),
            Some(json!({"name": "澄江街道中心敬老院（颐养楼）", "credit_code": format!("{first}{}", minzheng_domain::orgs::check_char(first)),
                        "kind": "elderly_institution", "area_code": "320281001001"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_str().unwrap().to_string();
    let calls = [
        (
            format!("/api/v1/institutions/{id}/filing"),
            json!({"filed_on": today, "ownership": "public_private", "beds_total": 120,
            "beds_nursing": 60, "documents": ["营业执照", "消防安全检查合格证明", "食品经营许可证"]}),
        ),
        (
            format!("/api/v1/institutions/{id}/inspections"),
            json!({"inspected_on": today, "inspectors": ["王检查", "李检查"],
            "result": "rectify", "note": "消防器材过期两具，限期一周内更换并报送照片"}),
        ),
        (
            format!("/api/v1/safety/organisations/{id}/hazards"),
            json!({"found_on": today, "grade": "major",
            "description": "二楼东侧疏散通道堆放杂物，防火门常开", "deadline": today + chrono::Duration::days(7)}),
        ),
    ];
    for (path, body) in calls {
        let (s, v) = t.api(Method::POST, &path, Some(&cj), Some(body)).await;
        assert!(s.is_success(), "{path}: {v}");
    }
    let (s, h) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(&cj),
            Some(json!({"area_code": "320281001001", "address": "文定路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(1936, 1, 2).unwrap(),
        77,
    )
    .to_string();
    let (s, p) = t
        .api(Method::POST, "/api/v1/persons", Some(&cj),
            Some(json!({"id_number": idn, "name": "缪阿婆", "area_code": "320281001001", "household_id": h["id"], "relation": "self"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, v) = t
        .api(Method::POST, &format!("/api/v1/institutions/{id}/residents"), Some(&cj),
            Some(json!({"id_number": idn, "admitted_on": today, "contract_number": "澄颐-2020-0001",
                        "contract_start": today, "contract_end": today + chrono::Duration::days(365)})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let base = serve(&t).await;
    let ((_driver, c), _) = start_driver_with(Some((390, 844))).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    for (field, value) in [("username", "cj"), ("password", common::PASSWORD)] {
        c.find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("count-persons"))
        .await
        .unwrap();
    for page in [
        "/institutions".to_string(),
        format!("/institutions/{id}"),
        "/safety".to_string(),
        format!("/safety/organisations/{id}"),
    ] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        c.wait().for_element(Locator::Css("h1")).await.unwrap();
        let (scroll, inner) = overflow(&c).await;
        assert_eq!(inner, 390, "{page}");
        assert!(
            scroll <= inner,
            "{page}: {scroll} px wide on a {inner} px phone"
        );
    }
    // the residents are cards, with the keep-until date on them
    c.goto(&format!("{base}/institutions/{id}")).await.unwrap();
    let shown = c
        .execute(
            "return [getComputedStyle(document.querySelector('#residents thead')).display, document.querySelector('#residents .keep-until').textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown[0], "none", "{shown}");
    assert!(
        shown[1]
            .as_str()
            .unwrap()
            .starts_with(&(today.year() + 6).to_string())
            || shown[1]
                .as_str()
                .unwrap()
                .starts_with(&(today.year() + 5).to_string()),
        "{shown}"
    );
    c.close().await.unwrap();
}

/// The 儿童主任 (a village worker) on a 390 × 844 phone records a home visit with a photo: the form fits the screen,
/// the photo is stored with the visit, and the entry page lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_directors_visit_form_on_a_phone() {
    use axum::http::{Method, StatusCode};
    let t = TestApp::new(Backend::Sqlite).await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    t.add_user("cj", "town_officer", "320281001").await;
    t.add_user("wg", "village_worker", &village).await;
    let cj = t.token("cj").await;
    let (s, h) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(&cj),
            Some(serde_json::json!({"area_code": village, "address": "走访路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(2014, 9, 9).unwrap(),
        88,
    )
    .to_string();
    let (s, p) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(&cj),
            Some(
                serde_json::json!({"id_number": idn, "name": "蒋小妹", "area_code": village,
                "household_id": h["id"], "relation": "child"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, r) = t
        .api(
            Method::POST,
            "/api/v1/children/registrations",
            Some(&cj),
            Some(serde_json::json!({"person_id": p["id"], "category": "left_behind", "sub_kind": "both_away",
                "start_on": "2020-09-01", "evidence": "父母均在外省务工，由祖母照料"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("visit.png");
    std::fs::write(
        &photo,
        [
            0x89u8, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
            0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ],
    )
    .unwrap();

    let base = serve(&t).await;
    let ((_driver, c), _) = start_driver_with(Some((390, 844))).await;
    login(&c, &base, "wg").await;
    // the overdue list leads to the form
    c.goto(&format!("{base}/children/visits/overdue"))
        .await
        .unwrap();
    let (scroll, inner) = overflow(&c).await;
    assert!(scroll <= inner, "overdue list: {scroll} px on {inner}");
    c.find(Locator::Css(&format!(
        "a[href='/children/registrations/{rid}/visit']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Id("visit-form"))
        .await
        .unwrap();
    let (scroll, inner) = overflow(&c).await;
    assert_eq!(inner, 390);
    assert!(scroll <= inner, "visit form: {scroll} px on {inner}");
    let right = c
        .execute(
            "return [...document.querySelectorAll('#visit-form input, #visit-form textarea, #visit-form button')]\
             .map(e => e.getBoundingClientRect().right).reduce((a, b) => Math.max(a, b), 0);",
            vec![],
        )
        .await
        .unwrap();
    let right = right.as_f64().unwrap();
    assert!(right > 0.0 && right <= 390.0, "fields end at {right}");
    c.find(Locator::Id("seen"))
        .await
        .unwrap()
        .send_keys("孩子在家写作业，祖母身体尚可")
        .await
        .unwrap();
    c.find(Locator::Id("needs"))
        .await
        .unwrap()
        .send_keys("冬季衣物")
        .await
        .unwrap();
    c.find(Locator::Id("photo"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    c.find(Locator::Id("visit-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = c.wait().for_element(Locator::Id("message")).await.unwrap();
    assert_eq!(msg.text().await.unwrap(), "走访记录已保存");
    assert_eq!(
        t.scalar("SELECT COUNT(*) FROM child_visit_photos").await,
        1,
        "the photo is stored"
    );
    c.goto(&format!("{base}/children/registrations/{rid}"))
        .await
        .unwrap();
    let visits = c
        .find(Locator::Id("visits"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        visits.contains("冬季衣物") && visits.contains("照片1"),
        "{visits}"
    );
    let (scroll, inner) = overflow(&c).await;
    assert!(scroll <= inner, "entry page: {scroll} px on {inner}");
    c.close().await.unwrap();
}

/// The 收养评估报告 of an assessed adoption prints on exactly one A4 page, with the adopters masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adoption_assessment_report_fits_one_a4_page() {
    use serde_json::json;
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let cj = t.token("cj").await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    let post = |path: &'static str, body: serde_json::Value| {
        let (t, cj) = (&t, cj.clone());
        async move {
            let (s, v) = t
                .api(axum::http::Method::POST, path, Some(&cj), Some(body))
                .await;
            assert!(s.is_success(), "{path}: {v}");
            v
        }
    };
    let hh = post(
        "/api/v1/households",
        json!({"area_code": village, "address": "儿童路1号"}),
    )
    .await;
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(2018, 3, 3).unwrap(),
        402,
    )
    .to_string();
    let p = post("/api/v1/persons", json!({"id_number": idn, "name": "周小梅", "area_code": village, "household_id": hh["id"], "relation": "child"})).await;
    let adopter = |y: i32, seq: u16| {
        minzheng_domain::idnumber::IdNumber::compose(
            "320281",
            chrono::NaiveDate::from_ymd_opt(y, 5, 6).unwrap(),
            seq,
        )
        .to_string()
    };
    let a = post(
        "/api/v1/children/adoptions",
        json!({"person_id": p["id"], "children": 0, "foundling": true,
        "adopters": [{"name": "钱建国", "id_number": adopter(1984, 513), "able_to_raise": true},
                     {"name": "孙丽", "id_number": adopter(1986, 514), "able_to_raise": true}],
        "phone": "13800001111", "address": "澄江街道人民路8号", "filed_on": "2026-01-05"}),
    )
    .await;
    let id = a["id"].as_str().unwrap().to_string();
    let long =
        "经入户走访、与收养人面谈、查阅材料，并征求村(居)委会和邻里意见，情况属实，具备条件。"
            .repeat(2);
    let (s, v) = t.api(axum::http::Method::POST, &format!("/api/v1/children/adoptions/{id}/assessment"), Some(&cj),
        Some(json!({"assessed_on": "2026-01-20", "assessors": ["王芳", "李强"], "motive": long, "character": long,
            "health": long, "finances_housing": long, "family": long, "parenting_plan": long, "bonding": long,
            "suitable": true, "conclusion": "收养人具备抚养、教育和保护被收养人的能力，家庭关系和睦，适宜收养。"}))).await;
    assert_eq!(s, axum::http::StatusCode::OK, "{v}");
    let base = serve(&t).await;
    let (_driver, c) = start_driver().await;
    login(&c, &base, "cj").await;
    c.goto(&format!("{base}/children/adoptions/{id}/report"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("assessment-report"))
        .await
        .unwrap();
    let text = c
        .find(Locator::Id("assessment-report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("适宜收养") && text.contains("2026年1月20日"),
        "{text}"
    );
    assert!(
        !text.contains(&adopter(1984, 513)),
        "adopters masked: {text}"
    );
    assert_eq!(print_pages(&c).await, 1, "the report prints on one A4 page");
    c.close().await.unwrap();
}

/// 等保三级 身份鉴别: where the deployment requires a second factor, a new user is led from the password to the
/// enrolment (a QR code drawn by the server, the secret as text), confirms with a first code, sees its recovery
/// codes once, and from then on logs in with the password and then the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_enrolment_and_login() {
    use minzheng_domain::totp;
    let t = TestApp::new(Backend::Sqlite).await;
    t.add_user("cj", "town_officer", "320281001").await;
    let router = minzheng::web::router(t.app.clone().with_security(minzheng::app::Security {
        require_totp: true,
        ..minzheng::app::Security::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let (_driver, c) = start_driver().await;
    let type_in = |id: &'static str, text: String| {
        let c = c.clone();
        async move {
            let e = c.find(Locator::Id(id)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(&text).await.unwrap();
        }
    };
    let password_step = || async {
        c.goto(&format!("{base}/login")).await.unwrap();
        type_in("username", "cj".into()).await;
        type_in("password", common::PASSWORD.into()).await;
        c.find(Locator::Id("login-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    password_step().await;
    // led to the enrolment, and nothing else opens before it
    c.wait()
        .for_element(Locator::Id("totp-required"))
        .await
        .unwrap();
    c.goto(&format!("{base}/persons")).await.unwrap();
    c.wait()
        .for_element(Locator::Id("totp-required"))
        .await
        .unwrap();
    let qr = c.find(Locator::Css("#totp-qr svg")).await.unwrap();
    let (_, _, w, h) = qr.rectangle().await.unwrap();
    assert!(w >= 150.0 && h >= 150.0, "the QR code is drawn: {w}×{h}");
    let secret = c
        .find(Locator::Id("totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = totp::from_base32(&secret).expect("the secret as text");
    type_in(
        "code",
        totp::code_at(&secret, chrono::Utc::now().timestamp(), 6),
    )
    .await;
    c.find(Locator::Id("totp-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("totp-done"))
        .await
        .unwrap();
    let codes = c
        .find_all(Locator::Css("#recovery-codes code"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    c.find(Locator::LinkText("进入平台"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("count-persons"))
        .await
        .unwrap();

    // log out; the next login asks for the code after the password
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("username")).await.unwrap();
    password_step().await;
    c.wait()
        .for_element(Locator::Id("code-submit"))
        .await
        .unwrap();
    type_in("code", "000001".into()).await;
    c.find(Locator::Id("code-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = c
        .wait()
        .for_element(Locator::Id("login-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(err.contains("用户名或密码错误"), "{err}");
    // the enrolment used the current step: the next one is still inside the window
    type_in(
        "code",
        totp::code_at(&secret, chrono::Utc::now().timestamp() + 30, 6),
    )
    .await;
    c.find(Locator::Id("code-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("count-persons"))
        .await
        .unwrap();
    c.close().await.unwrap();
}

/// The list conventions in Chromium, on a desktop and on a 390 × 844 phone: the count line, sorting by a column
/// header (a plain link, done by the server), the search by the last 4 characters of an identity number, the
/// export link, and every list fitting the phone's width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_sort_search_and_fit_a_phone() {
    let t = TestApp::with_demo(Backend::Sqlite, 2500).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    t.add_user("city", "city_officer", "320281").await;
    let (idn,): (String,) = t
        .app
        .db
        .conn()
        .fetch_one(
            "SELECT p.id_number FROM applications a JOIN persons p ON p.id = a.applicant_id ORDER BY a.number LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
    let total = t.scalar("SELECT COUNT(*) FROM applications").await;
    assert!(total > 20, "the demo files more than a page: {total}");
    let base = serve(&t).await;
    let number_cells = "return [...document.querySelectorAll(\"#applications tbody td[data-label='编号']\")].map(td => td.textContent.trim());";
    for phone in [None, Some((390, 844))] {
        let ((_driver, c), _) = start_driver_with(phone).await;
        login(&c, &base, "city").await;
        c.goto(&format!("{base}/assistance/applications"))
            .await
            .unwrap();
        let shown = c
            .find(Locator::Css(".list-total"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let pages = (total + 19) / 20;
        assert_eq!(
            shown,
            format!("共 {total} 条 · 第 1/{pages} 页"),
            "{phone:?}"
        );
        // on a desktop the 编号 header sorts up, then down; on a phone (cards, no headers) the form's 排序 and 顺序
        let sort_by = |dir: &'static str| {
            let c = c.clone();
            async move {
                if phone.is_none() {
                    c.find(Locator::XPath(
                        "//th/a[starts-with(normalize-space(.), '编号')]",
                    ))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                } else {
                    c.find(Locator::Id("sort"))
                        .await
                        .unwrap()
                        .select_by_value("number")
                        .await
                        .unwrap();
                    c.find(Locator::Id("dir"))
                        .await
                        .unwrap()
                        .select_by_value(dir)
                        .await
                        .unwrap();
                    c.find(Locator::XPath("//form[@method='get' and @action='/assistance/applications']//button[@type='submit']"))
                        .await
                        .unwrap()
                        .click()
                        .await
                        .unwrap();
                }
            }
        };
        sort_by("asc").await;
        let url = url_containing(&c, "sort=number&dir=asc").await;
        assert!(url.contains("sort=number&dir=asc"), "{phone:?} {url}");
        let up = c.execute(number_cells, vec![]).await.unwrap();
        sort_by("desc").await;
        url_containing(&c, "dir=desc").await;
        let down = c.execute(number_cells, vec![]).await.unwrap();
        let first = |v: &serde_json::Value| v[0].as_str().unwrap().to_string();
        assert!(first(&down) > first(&up), "{up} / {down}");
        let mut sorted: Vec<String> = up
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        let was = sorted.clone();
        sorted.sort();
        assert_eq!(sorted, was, "ascending");
        // the last 4 characters of an identity number find its application
        let q = c.find(Locator::Id("q")).await.unwrap();
        q.send_keys(&idn[14..]).await.unwrap();
        c.find(Locator::XPath(
            "//form[@method='get' and @action='/assistance/applications']//button[@type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        url_containing(&c, &format!("q={}", &idn[14..])).await;
        let shown = c
            .find(Locator::Css(".list-total"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // its application, and only the few whose numbers end the same way (or the same person's other ones)
        let found: i64 = shown
            .trim_start_matches("共 ")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let url = c.current_url().await.unwrap().to_string();
        assert!(
            (1..=3).contains(&found) && found < total,
            "{phone:?} {url} {shown}"
        );
        assert!(
            c.find(Locator::Css("a.export[href*='export.xlsx']"))
                .await
                .is_ok()
        );
        if let Some((w, _)) = phone {
            for page in [
                "/assistance/applications",
                "/assistance/cases",
                "/assistance/reviews",
                "/assistance/temporary",
                "/verification/findings",
                "/verification/tasks",
            ] {
                c.goto(&format!("{base}{page}")).await.unwrap();
                c.wait()
                    .for_element(Locator::Css(".list-total"))
                    .await
                    .unwrap();
                let (scroll, inner) = overflow(&c).await;
                assert_eq!(inner, w as i64, "{page}");
                assert!(
                    scroll <= inner,
                    "{page}: {scroll} px wide on a {inner} px phone"
                );
            }
        }
    }
}

/// 临时救助 for a person picked while typing (the picker's script), on a desktop and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_assistance_for_a_person_picked_while_typing() {
    let t = TestApp::new(Backend::Sqlite).await;
    let d = common::workflow::desk(&t).await;
    let (_, _, pids, _) = common::workflow::household(&t, &d.town).await;
    let base = serve(&t).await;
    for (i, phone) in [None, Some((390, 844))].into_iter().enumerate() {
        let ((_driver, c), _) = start_driver_with(phone).await;
        login(&c, &base, "cj").await;
        c.goto(&format!("{base}/assistance/temporary"))
            .await
            .unwrap();
        // typed, not submitted: the matches come as the name is typed
        c.find(Locator::Id("person_q"))
            .await
            .unwrap()
            .send_keys("顾小")
            .await
            .unwrap();
        let pick = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#picker-results a.pick"))
            .await
            .unwrap();
        assert!(pick.text().await.unwrap().contains("顾小妹"));
        assert!(
            c.current_url().await.unwrap().path() == "/assistance/temporary"
                && c.current_url().await.unwrap().query().is_none(),
            "no page load while typing"
        );
        pick.click().await.unwrap();
        url_containing(&c, &format!("person={}", pids[1])).await;
        let chosen = c
            .find(Locator::Id("chosen-person"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            chosen.contains("顾小妹") && chosen.contains("*"),
            "{chosen}"
        );
        if let Some((w, _)) = phone {
            let (scroll, inner) = overflow(&c).await;
            assert_eq!(inner, w as i64);
            assert!(scroll <= inner, "{scroll} px wide on a {inner} px phone");
        }
        set(&c, "#amount", &format!("{}", 100 + i)).await;
        set(&c, "#reason", "突发疾病住院").await;
        c.find(Locator::Css("#temporary-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let msg = c
            .wait()
            .for_element(Locator::Id("message"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(msg, "已批准");
    }
    assert_eq!(
        t.scalar(&format!(
            "SELECT COUNT(*) FROM temporary_grants WHERE person_id = '{}'",
            pids[1]
        ))
        .await,
        2
    );
}

/// Issue 14 in Chromium, at a desktop's and a phone's width: every menu page of each role opens (no link it may not
/// follow) and reads Chinese, a village worker's pages fit the phone, the intake form keeps what was typed after an
/// error, exports carry Chinese file names, an unknown page and an empty list answer in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_use_in_chromium_by_role() {
    let t = TestApp::new(Backend::Sqlite).await;
    let d = common::workflow::desk(&t).await;
    let (hh, _, _, _) = common::workflow::household(&t, &d.town).await;
    let village = t.app.areas().children("320281001")[0].code.clone();
    t.add_user("wg", "village_worker", &village).await;
    t.add_user("leader", "leader", "320281").await;
    let base = serve(&t).await;
    for phone in [None, Some((390u32, 844u32))] {
        let mut bad = vec![];
        for user in ["admin", "cj", "wg", "leader"] {
            let ((_driver, c), _) = start_driver_with(phone).await;
            login_until(&c, &base, user, Locator::Css("nav.side")).await;
            let home = c.source().await.unwrap();
            let links = common::menu_links(&home);
            assert!(!links.is_empty(), "{user}: a menu");
            for link in links {
                c.goto(&format!("{base}{link}")).await.unwrap();
                let html = c.source().await.unwrap();
                if html.contains("无权") || html.contains("403") && html.contains("拒绝") {
                    bad.push(format!("{phone:?} {user} {link}: refused"));
                }
                for word in common::latin_words(&html) {
                    bad.push(format!("{phone:?} {user} {link}: {word}"));
                }
                if let (Some((w, _)), "wg") = (phone, user) {
                    let (scroll, inner) = overflow(&c).await;
                    if inner != w as i64 || scroll > inner {
                        bad.push(format!("{user} {link}: {scroll} px on a {inner} px phone"));
                    }
                }
            }
            if user != "cj" {
                continue;
            }
            // the intake form keeps what was typed when it comes back with an error
            c.goto(&format!(
                "{base}/assistance/applications/new?household={hh}"
            ))
            .await
            .unwrap();
            // a signature dated in the future
            set(&c, "#authorisation_on", "2099-09-18").await;
            set(&c, "#bank_account", "6228480000001234567").await;
            c.find(Locator::Css("#intake button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let err = c
                .wait()
                .for_element(Locator::Css(".error"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                !err.is_empty() && common::latin_words(&format!("<body>{err}")).is_empty(),
                "{err}"
            );
            for (id, want) in [
                ("authorisation_on", "2099-09-18"),
                ("bank_account", "6228480000001234567"),
            ] {
                let v = c
                    .find(Locator::Id(id))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap();
                assert_eq!(v.as_deref(), Some(want), "{phone:?} {id}");
            }
            // an export is named in Chinese (RFC 5987) and its list's total is in Chinese
            c.goto(&format!("{base}/assistance/cases")).await.unwrap();
            let total = c
                .find(Locator::Css(".list-total"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(total, "共 0 条 · 第 1/1 页", "an empty list");
            let disposition = c
                .execute_async(
                    "const done = arguments[0]; fetch(document.querySelector('a.export').href, {credentials: 'same-origin'})\
                     .then(r => done(r.headers.get('content-disposition')));",
                    vec![],
                )
                .await
                .unwrap();
            let disposition = disposition.as_str().unwrap_or("").to_string();
            assert!(disposition.contains("filename*=UTF-8''%E"), "{disposition}");
            // an unknown page
            c.goto(&format!("{base}/no/such/page")).await.unwrap();
            let html = c.source().await.unwrap();
            assert!(
                html.contains("不存在") && common::latin_words(&html).is_empty(),
                "{html}"
            );
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

/// The elderly line's service pages on a demo city, in Chromium at a desktop's and a phone's width: each lists the
/// demo's records in Chinese, fits the phone, and its first record opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elderly_service_pages_on_a_demo_city() {
    let t = TestApp::with_demo(Backend::Sqlite, 1500).await;
    minzheng::demo::assistance::seed(&t.app, 7).await.unwrap();
    minzheng::demo::elderly::seed(&t.app).await.unwrap();
    t.add_user("cj", "town_officer", "320281001").await;
    let base = serve(&t).await;
    let pages = [
        "/elderly/facilities",
        "/elderly/home-care",
        "/elderly/adaptations",
        "/elderly/care-beds",
        "/elderly/staff",
        "/elderly/capability",
        "/elderly/allowance",
    ];
    for phone in [None, Some((390u32, 844u32))] {
        let ((_driver, c), _) = start_driver_with(phone).await;
        login(&c, &base, "cj").await;
        let mut bad = vec![];
        for page in pages {
            c.goto(&format!("{base}{page}")).await.unwrap();
            let html = c.source().await.unwrap();
            for word in common::latin_words(&html) {
                bad.push(format!("{phone:?} {page}: {word}"));
            }
            if !html.contains("<table") && !html.contains("<form") {
                bad.push(format!("{phone:?} {page}: neither a list nor a form"));
            }
            if let Some((w, _)) = phone {
                let (scroll, inner) = overflow(&c).await;
                if inner != w as i64 || scroll > inner {
                    bad.push(format!("{page}: {scroll} px on a {inner} px phone"));
                }
            }
        }
        // the demo's facilities are listed, and the first one opens
        c.goto(&format!("{base}/elderly/facilities")).await.unwrap();
        let rows = c
            .execute(
                "return document.querySelectorAll('table tbody tr').length;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            rows.as_i64().unwrap_or(0) > 0,
            "{phone:?}: facilities listed"
        );
        let first = c
            .find(Locator::Css("table tbody tr a"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        c.goto(&format!("{base}{first}")).await.unwrap();
        let html = c.source().await.unwrap();
        assert!(
            !html.contains("不存在") && !html.contains("无权") && html.contains("<h1"),
            "{first}: {html}"
        );
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

/// Waits (up to 10 s) for the page a click or a submit leads to, and answers its URL.
async fn url_containing(c: &fantoccini::Client, part: &str) -> String {
    for _ in 0..100 {
        let url = c.current_url().await.unwrap().to_string();
        if url.contains(part) {
            return url;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the page never reached a URL with {part}: {}",
        c.current_url().await.unwrap()
    );
}
