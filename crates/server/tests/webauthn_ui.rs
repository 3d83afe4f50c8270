//! The web UI's passkey hook, driven the way `/static/passkey.js` drives it: the sign-in form,
//! the second-factor page offering the passkey button and script, `POST /login/passkey/options`
//! and `POST /login/passkey` answered by webauthn-authenticator-rs's `SoftToken`, then the
//! dashboard. A finish without the CSRF header, or from another site, is refused. (The script
//! itself is not run here: no browser with WebAuthn is available to the suite.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::*;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tradeward_auth::Role;
use url::Url;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softtoken::SoftToken;

const PW: &str = "violet-anchor-sprocket-91";

/// A cookie-keeping client that never follows redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    jar: HashMap<String, String>,
}

impl Browser {
    fn new(srv: &TestServer) -> Self {
        let cert = reqwest::Certificate::from_der(&srv.cert_der).unwrap();
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .resolve("localhost", srv.addr)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: srv.base.clone(),
            jar: HashMap::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> (StatusCode, String) {
        let cookies = self
            .jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req.header("cookie", cookies).send().await.unwrap();
        for set in resp.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = resp.status();
        (status, resp.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields);
        self.send(req).await
    }

    /// A `fetch` from our own page: same origin, JSON, the CSRF header when `csrf`.
    async fn post_json(
        &mut self,
        path: &str,
        body: &Value,
        csrf: bool,
        origin: &str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .json(body);
        if csrf {
            let token = self
                .jar
                .get("__Host-tradeward_csrf")
                .cloned()
                .unwrap_or_default();
            req = req.header("x-csrf-token", token);
        }
        let (status, text) = self.send(req).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn csrf_of(body: &str) -> String {
    let start = body.find(r#"name="csrf" value=""#).expect("CSRF field") + 19;
    body[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn passkey_sign_in_through_the_web_ui() {
    let srv = sqlite_server(fast_config()).await;
    srv.user("alice@example.com", PW, Role::User).await;
    let origin = Url::parse(&srv.base).unwrap();

    // Register a passkey over the API.
    let mut token = SoftToken::new(true).unwrap().0;
    let mut c = srv.client();
    c.login("alice@example.com", PW).await;
    let r = c.post("/me/webauthn/register/begin", json!({})).await;
    let ccr: CreationChallengeResponse =
        serde_json::from_value(r.json()["options"].clone()).unwrap();
    let reg = token.do_registration(origin.clone(), ccr).unwrap();
    let r = c
        .post(
            "/me/webauthn/register/finish",
            json!({"name": "laptop", "credential": reg}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Sign in through the pages.
    let mut b = Browser::new(&srv);
    let (_, page) = b.get("/login").await;
    let csrf = csrf_of(&page);
    let (status, _) = b
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "alice@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(b.jar.contains_key("__Host-tradeward_login"));
    let (status, page) = b.get("/login/totp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="passkey""#), "{page}");
    assert!(page.contains(r#"src="/static/passkey.js""#), "{page}");
    let (status, js) = b.get("/static/passkey.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("navigator.credentials.get"));

    let (status, opts) = b
        .post_json("/login/passkey/options", &json!(null), false, &srv.base)
        .await;
    assert_eq!(status, StatusCode::OK, "{opts}");
    let rcr: RequestChallengeResponse = serde_json::from_value(opts["options"].clone()).unwrap();
    let assertion = serde_json::to_value(token.do_authentication(origin, rcr).unwrap()).unwrap();
    let body = json!({ "credential": assertion });

    // Without the CSRF header, or from another site: refused, and the login stays open.
    let (status, answer) = b.post_json("/login/passkey", &body, false, &srv.base).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = b
        .post_json("/login/passkey", &body, true, "https://evil.example")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"]["code"], "origin_mismatch");
    assert!(!b.jar.contains_key("__Host-tradeward_session"));

    let (status, answer) = b.post_json("/login/passkey", &body, true, &srv.base).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["next"], "/");
    assert!(b.jar.contains_key("__Host-tradeward_session"));
    assert!(!b.jar.contains_key("__Host-tradeward_login"));
    let (status, page) = b.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/logout"), "{page}");
}
