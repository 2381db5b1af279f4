//! `serve --tls-cert --tls-key`: HTTPS with rustls, Secure cookies and HSTS (README「安全（等保）」: 通信传输).

use crate::common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// A certificate authority made for the test, and a server certificate for localhost it signed.
struct Pki {
    ca_der: rustls::pki_types::CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "minzheng test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Pki {
        ca_der: ca.der().clone(),
        cert_pem: format!("{}{}", leaf.pem(), ca.pem()),
        key_pem: key.serialize_pem(),
    }
}

struct Server(Child);

impl Drop for Server {
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

/// One HTTP/1.1 exchange over TLS, trusting only the test's CA: the status line and headers, lower-cased names.
async fn https(
    port: u16,
    ca: &rustls::pki_types::CertificateDer<'static>,
    request: &str,
) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    // the process's provider: ring, the only one compiled in
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    // the server closes after answering (Connection: close); a TLS peer may skip close_notify
    let _ = tls.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers))
}

fn cookie_value(headers: &[(String, String)], name: &str) -> Option<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find(|(_, v)| v.starts_with(&format!("{name}=")))
        .map(|(_, v)| {
            let value = v[name.len() + 1..].split(';').next().unwrap().to_string();
            (value, v.clone())
        })
}

#[tokio::test]
async fn https_login_sets_a_secure_cookie_and_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::File::create(&cert)
        .unwrap()
        .write_all(pki.cert_pem.as_bytes())
        .unwrap();
    std::fs::File::create(&key)
        .unwrap()
        .write_all(pki.key_pem.as_bytes())
        .unwrap();
    let port = free_port();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .args(["serve", "--database", &db, "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .env("MINZHENG_ADMIN_PASSWORD", common::PASSWORD)
            .env_remove("MINZHENG_SECURE_COOKIES")
            .env_remove("MINZHENG_TRUSTED_PROXIES")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let get_login = "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let start = Instant::now();
    let (status, headers) = loop {
        match https(port, &pki.ca_der, get_login).await {
            Ok(r) if r.0 != 0 => break r,
            _ if start.elapsed() < Duration::from_secs(120) => {
                tokio::time::sleep(Duration::from_millis(300)).await
            }
            other => panic!("no HTTPS answer: {other:?}"),
        }
    };
    assert_eq!(status, 200, "{headers:?}");
    let hsts = headers
        .iter()
        .find(|(k, _)| k == "strict-transport-security")
        .map(|(_, v)| v.as_str());
    assert_eq!(hsts, Some("max-age=31536000"), "{headers:?}");
    let (csrf, set) = cookie_value(&headers, "mz_login_csrf").expect("login form cookie");
    assert!(set.contains("; Secure"), "{set}");

    let form = format!(
        "csrf={csrf}&username=admin&password={}&next=%2F",
        common::PASSWORD
    );
    let post = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nCookie: mz_login_csrf={csrf}\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let (status, headers) = https(port, &pki.ca_der, &post).await.unwrap();
    assert_eq!(status, 303, "{headers:?}");
    let (_, session) = cookie_value(&headers, "mz_session").expect("session cookie");
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    assert!(
        headers
            .iter()
            .any(|(k, _)| k == "strict-transport-security"),
        "{headers:?}"
    );

    // plain HTTP on the TLS port gets no page
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(get_login.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw)).await;
    assert!(
        !String::from_utf8_lossy(&raw).contains("HTTP/1.1 200"),
        "plain HTTP answered"
    );
}

#[test]
fn a_certificate_that_does_not_load_stops_the_server_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .current_dir(dir.path())
        .args(["serve", "--bind"])
        .arg(format!("127.0.0.1:{}", free_port()))
        .args(["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
        .env_remove("MINZHENG_DATABASE_URL")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("无法载入TLS证书"), "{err}");
    assert!(!dir.path().join("minzheng.db").exists());

    let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .current_dir(dir.path())
        .args(["serve", "--bind"])
        .arg(format!("127.0.0.1:{}", free_port()))
        .args(["--tls-cert", "cert.pem"])
        .env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_TLS_KEY")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("须同时给出"), "{err}");
}
