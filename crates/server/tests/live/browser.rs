//! Headless Chromium driven over WebDriver (Debian's chromium and chromedriver): a driver
//! process per test run, a fresh browser profile per user, screenshots saved under
//! `target/screenshots/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver, stopped on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Driver {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} and {CHROMEDRIVER} are needed (scripts/test installs Debian's chromium \
             and chromium-driver)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not listen within 5 s");
    }

    /// A new headless browser (own profile, so own cookies). `localhost` resolves to the
    /// loopback; the server's self-signed certificate is accepted (it is the test's own).
    pub async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("acceptInsecureCerts".into(), json!(true));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000",
                         "--no-first-run", "--disable-extensions"],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session")
    }
}

/// Where screenshots go: `<workspace>/target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a screenshot of the page and prints its path.
pub async fn shot(b: &Client, name: &str) -> PathBuf {
    let png = b.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    let path = path.canonicalize().unwrap();
    println!("screenshot: {}", path.display());
    path
}

/// Types into the field with this id (cleared first).
pub async fn fill(b: &Client, id: &str, text: &str) {
    let e = b
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Submits the form the element `css` is in, by clicking that (submit) button, and waits
/// (up to 10 s) until the page the submission leads to has loaded. WebDriver's click returns
/// before the navigation, so without the wait a test reads the old page: the old document is
/// marked before the click, and the wait ends when a document without the mark is complete.
pub async fn click(b: &Client, css: &str) {
    b.execute("document.documentElement.dataset.twStale = '1';", vec![])
        .await
        .unwrap();
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let loaded = b
            .execute(
                "return document.readyState === 'complete' && \
                 document.documentElement.dataset.twStale === undefined;",
                vec![],
            )
            .await
            .unwrap();
        if loaded == json!(true) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css}: no new page within 10 s of the click"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The path of the current page.
pub async fn path(b: &Client) -> String {
    b.current_url().await.unwrap().path().to_owned()
}

/// Waits (up to 10 s) for an element and returns its text.
pub async fn text_of(b: &Client, css: &str) -> String {
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The page's HTML.
pub async fn html(b: &Client) -> String {
    b.source().await.unwrap()
}
