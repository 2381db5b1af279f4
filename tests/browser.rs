//! Browser tests in Debian's Chromium through ChromeDriver: a civil servant logs in, searches a person
//! and opens the household.

mod common;

use common::{Backend, TestApp};
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
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return (driver, c),
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
    c.wait()
        .for_element(Locator::Id("count-persons"))
        .await
        .unwrap();
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
    let ctx = minzheng::app::Ctx {
        actor: minzheng::app::auth::actor_of(
            &t.app,
            &minzheng::storage::users::by_username(&t.app.db, "cj")
                .await
                .unwrap()
                .unwrap(),
        ),
        ip: "test".into(),
    };
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
