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
    let full = c
        .wait()
        .for_element(Locator::Id("id-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
