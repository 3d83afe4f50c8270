//! `tradeward demo` as a user runs it: the banner, the sign-in page over TLS (trusting only
//! the generated certificate), the printed one-time password leading to the forced change,
//! and a second run on the same data directory reusing the user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Demo {
    child: Child,
    banner: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tradeward"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--sim-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.contains("Ctrl-C to stop");
        banner.push(line);
        if last {
            break;
        }
    }
    Demo { child, banner }
}

fn value(banner: &[String], key: &str) -> Option<String> {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
}

#[tokio::test]
async fn demo_prints_a_one_time_login_that_leads_to_the_forced_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let demo = start(&dir);
    let url = value(&demo.banner, "open:").expect("URL in the banner");
    let password = value(&demo.banner, "one-time password:").expect("one-time password");
    assert_eq!(
        value(&demo.banner, "email:").unwrap(),
        "demo@tradeward.local"
    );
    let port: u16 = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pem = std::fs::read(tmp.path().join("demo.tls/cert.pem")).unwrap();
    let http = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.headers().contains_key("content-security-policy"));
    let csrf_cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-tradeward_csrf="))
        .unwrap();
    let csrf = csrf_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-tradeward_csrf=")
        .to_owned();
    let body = login.text().await.unwrap();
    assert!(!body.to_lowercase().contains("<script"));
    let step = http
        .post(format!("{base}/login"))
        .header("origin", &base)
        .header("cookie", format!("__Host-tradeward_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "demo@tradeward.local"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(step.status(), 303);
    assert_eq!(step.headers()["location"], "/login/password");
    drop(demo);

    let again = start(&dir);
    assert!(value(&again.banner, "one-time password:").is_none());
    assert!(value(&again.banner, "password:")
        .unwrap()
        .starts_with("set before"));
}
