//! The web UI end to end over TLS, as a browser without script would drive it: the sign-in
//! form with a one-time password, the forced password change, TOTP enrolment (code from
//! pyotp), recovery codes shown once, the dashboard listing a sim key, sign-out, and a second
//! sign-in with a recovery code. Also: CSP and no inline script, CSRF and Origin refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{pyotp_code, TestServer};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use tradeward_auth::{Actor, AuthConfig, Role};
use tradeward_domain::Venue;
use tradeward_signer::{CallContext, CredentialInput, CredentialLimits, Signer};
use tradeward_vault::{LocalKeyProvider, SecretBytes, Vault};

const EMAIL: &str = "demo@tradeward.local";
const ONE_TIME: &str = "kq7-ZX2m-vR9p-Lw4t";
const NEW_PASSWORD: &str = "correct horse battery staple 42";

/// A browser: keeps cookies, sends Origin on posts, never follows redirects by itself.
struct Browser {
    http: reqwest::Client,
    base: String,
    jar: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
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

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.jar.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let resp = req.send().await.unwrap();
        for set in resp.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            assert!(set.contains("Secure"), "cookie without Secure: {set}");
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields);
        self.send(req).await
    }

    /// Posts a page's form: its CSRF field plus `fields`.
    async fn submit(&mut self, from: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = csrf_of(&from.body);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

fn csrf_of(body: &str) -> String {
    between(body, r#"name="csrf" value=""#, "\"")
        .expect("the page has a CSRF field")
        .to_owned()
}

fn assert_html_hygiene(page: &Page) {
    let csp = page
        .headers
        .get("content-security-policy")
        .expect("CSP header")
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY");
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let lower = page.body.to_lowercase();
    // The only script allowed is our own file, with no inline body.
    let outside = lower
        .replace("<script src=\"/static/live.js\" defer></script>", "")
        .replace("<script src=\"/static/passkey.js\" defer></script>", "");
    assert!(!outside.contains("<script"), "a page carries inline script");
    assert!(!lower.contains(" style=") && !lower.contains("<style"));
    assert!(!lower.contains(" onclick=") && !lower.contains(" onload="));
}

async fn demo_server() -> (TestServer, tradeward_domain::UserId, Signer) {
    let srv = common::sqlite_server(AuthConfig {
        require_second_factor: true,
        ..common::fast_config()
    })
    .await;
    // As `tradeward demo` does: a random password that must be changed at first login.
    let user = srv.user(EMAIL, ONE_TIME, Role::User).await;
    srv.auth
        .force_password_reset(&Actor::Cli, user, srv.clock_now())
        .await
        .unwrap();
    // The same KEK the server's signer uses (the test server keeps it at DIR/kek).
    let vault = Vault::new(Arc::new(
        LocalKeyProvider::open_or_create(&srv.dir.path().join("kek")).unwrap(),
    ));
    let signer = Signer::new(srv.store.clone(), vault, srv.audit.clone());
    signer
        .store_credential(
            &CallContext::component("test"),
            CredentialInput {
                owner: user,
                venue: Venue::Sim,
                label: "demo sim".into(),
                scheme: None,
                api_key: SecretBytes::from_slice(b"SIMKEYabcdefghijklmnopqrstuvwxyz0123456789WXYZ"),
                secret: SecretBytes::from_slice(b"simsecret-not-for-pages-0123456789"),
                passphrase: None,
                limits: CredentialLimits::default(),
                permissions: "{}".into(),
            },
        )
        .await
        .unwrap();
    (srv, user, signer)
}

#[tokio::test]
async fn sign_in_change_password_enrol_totp_and_see_the_dashboard() {
    let (srv, _user, signer) = demo_server().await;
    let mut b = Browser::new(&srv);

    // Not signed in: the dashboard sends to the sign-in page.
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/login");

    let login = b.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_html_hygiene(&login);
    assert!(b.jar.contains_key("__Host-tradeward_csrf"));
    let css = b.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // A wrong password: the form again, the email kept, the password not echoed.
    let wrong = b
        .submit(
            &login,
            "/login",
            &[("email", EMAIL), ("password", "hunter2-wrong-pw")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("email or password is wrong"));
    assert!(wrong.body.contains(EMAIL));
    assert!(!wrong.body.contains("hunter2-wrong-pw"));

    // The one-time password: a new one must be chosen first.
    let step = b
        .submit(
            &login,
            "/login",
            &[("email", EMAIL), ("password", ONE_TIME)],
        )
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    assert_eq!(step.location(), "/login/password");
    let challenge = b.jar.get("__Host-tradeward_login").cloned().unwrap();
    let pw_page = b.get("/login/password").await;
    assert_eq!(pw_page.status, StatusCode::OK);
    assert_html_hygiene(&pw_page);
    assert!(
        !pw_page.body.contains(&challenge),
        "the challenge reached the page"
    );

    let differ = b
        .submit(
            &pw_page,
            "/login/password",
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.body.contains("differ"));
    let weak = b
        .submit(
            &pw_page,
            "/login/password",
            &[("new_password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("cannot be used"), "{}", weak.body);

    let step = b
        .submit(
            &pw_page,
            "/login/password",
            &[("new_password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    assert_eq!(step.location(), "/login/enroll");

    // TOTP enrolment: a QR code as inline SVG and the key for manual entry.
    let enroll = b.get("/login/enroll").await;
    assert_eq!(enroll.status, StatusCode::OK, "{}", enroll.body);
    assert_html_hygiene(&enroll);
    assert!(enroll.body.contains("<svg"));
    let secret = between(&enroll.body, r#"data-testid="totp-secret">"#, "<")
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 26, "{secret}");
    let bad = b
        .submit(&enroll, "/login/enroll", &[("code", "000000")])
        .await;
    if pyotp_code(&secret, srv.now_secs()) != "000000" {
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(!bad.body.contains(&secret), "the seed was shown again");
    }
    let code = pyotp_code(&secret, srv.now_secs());
    let done = b.submit(&enroll, "/login/enroll", &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_html_hygiene(&done);
    assert!(b.jar.contains_key("__Host-tradeward_session"));
    assert!(!b.jar.contains_key("__Host-tradeward_login"));
    let codes: Vec<String> = done
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);

    // The dashboard: the sim key, masked; its secret nowhere; no venue connected in this
    // server, so the balances say so (the browser tests cover a connected sim).
    let dash = b.get("/").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert_html_hygiene(&dash);
    assert!(dash.body.contains("demo sim") && dash.body.contains(">sim<"));
    assert!(!dash
        .body
        .contains("SIMKEYabcdefghijklmnopqrstuvwxyz0123456789WXYZ"));
    assert!(!dash.body.contains("simsecret"));
    assert!(!dash.body.contains(&secret));
    assert!(!dash.body.contains(&codes[0]), "recovery codes shown twice");
    assert!(dash
        .body
        .contains("This server is not connected to any exchange."));
    assert!(!dash.body.contains("Trading is disabled"));

    // The global switch off: the banner.
    signer
        .set_global_trading(&CallContext::component("test"), false, "test")
        .await
        .unwrap();
    let dash = b.get("/").await;
    assert!(dash.body.contains("Trading is disabled"));

    // A form from another site is refused (Origin), and so is one without the CSRF field.
    let cross = b
        .send(
            b.http
                .post(format!("{}/logout", b.base))
                .header("origin", "https://evil.example")
                .form(&[("csrf", csrf_of(&dash.body))]),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let forged = b.post("/logout", &[("csrf", "guessed")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/").await.status, StatusCode::OK, "still signed in");

    // Sign out: the session ends server-side too.
    let session = b.jar.get("__Host-tradeward_session").cloned().unwrap();
    let out = b.submit(&dash, "/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/login");
    assert!(!b.jar.contains_key("__Host-tradeward_session"));
    assert!(srv
        .auth
        .authenticate_session(&session, srv.clock_now())
        .await
        .is_err());

    // Signing in again: the new password, then a recovery code (once only).
    let login = b.get("/login").await;
    let step = b
        .submit(
            &login,
            "/login",
            &[("email", EMAIL), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(step.location(), "/login/totp");
    let totp = b.get("/login/totp").await;
    assert_eq!(totp.status, StatusCode::OK);
    assert_html_hygiene(&totp);
    let done = b
        .submit(&totp, "/login/recovery", &[("code", &codes[0])])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/");
    assert_eq!(b.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn steps_without_a_login_in_progress_go_back_to_sign_in() {
    let (srv, _user, _signer) = demo_server().await;
    let mut b = Browser::new(&srv);
    for path in ["/login/totp", "/login/password", "/login/enroll"] {
        let p = b.get(path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(p.location(), "/login");
    }
    let login = b.get("/login").await;
    let p = b.submit(&login, "/login/totp", &[("code", "123456")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("Please sign in first"));
    // A made-up challenge cookie is refused like an expired one.
    b.jar
        .insert("__Host-tradeward_login".into(), "twc_madeup".into());
    let p = b.submit(&login, "/login/totp", &[("code", "123456")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("start again"), "{}", p.body);
    // A JSON body is not a form.
    let p = b
        .send(
            b.http
                .post(format!("{}/login", b.base))
                .header("content-type", "application/json")
                .body("{}"),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
