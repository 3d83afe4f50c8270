//! The web UI in a real browser (headless Chromium over WebDriver) against a real server and
//! the simulated exchange: a first sign-in with the forced password change and TOTP
//! enrolment (codes computed with totp-rs from the seed the page shows), adding a sim API
//! key, the dashboard with balances from the sim (read through the signer), the price charts
//! and the live-price WebSocket, and an administrator turning trading off, after which the
//! user's dashboard shows the banner. Screenshots go to `target/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod live;

use fantoccini::{Client, Locator};
use live::browser::{click, fill, html, path, shot, text_of, Driver};
use rust_decimal::Decimal;
use tradeward_auth::Role;

const ALICE: &str = "alice@example.com";
const ADMIN: &str = "root@example.com";

/// First sign-in with a one-time password: new password, TOTP enrolment, recovery codes.
async fn first_sign_in(
    live: &live::Live,
    b: &Client,
    email: &str,
    one_time: &str,
    new_pw: &str,
    tag: &str,
) {
    b.goto(&format!("{}/login", live.base)).await.unwrap();
    fill(b, "email", email).await;
    fill(b, "password", one_time).await;
    click(b, "form[action='/login'] button[type=submit]").await;
    assert_eq!(path(b).await, "/login/password", "{}", html(b).await);
    fill(b, "new_password", new_pw).await;
    fill(b, "confirm", new_pw).await;
    click(b, "form[action='/login/password'] button[type=submit]").await;
    assert_eq!(path(b).await, "/login/enroll", "{}", html(b).await);
    let seed = text_of(b, "[data-testid=totp-secret]").await;
    assert!(
        html(b).await.contains("<svg"),
        "the QR code is drawn inline"
    );
    shot(b, &format!("{tag}-01-totp-enrolment")).await;
    fill(b, "code", &live::totp_now(&seed)).await;
    click(b, "form[action='/login/enroll'] button[type=submit]").await;
    // Wait for the next page before counting (a click does not wait for the navigation).
    text_of(b, "ol.codes li").await;
    let codes = b.find_all(Locator::Css("ol.codes li")).await.unwrap();
    assert_eq!(codes.len(), 10, "{}", html(b).await);
    click(b, "a.button[href='/']").await;
    assert_eq!(path(b).await, "/");
}

fn dec(s: &str) -> Decimal {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a decimal: {s:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_add_key_balances_chart_and_trading_switch() {
    let live = live::start().await;
    live.user(ALICE, "one-time-Pw-7q2w-kestrel", Role::User)
        .await;
    live.user(ADMIN, "one-time-Pw-9x8c-heron", Role::Admin)
        .await;
    let driver = Driver::start().await;

    // Alice: first sign-in.
    let alice = driver.browser().await;
    first_sign_in(
        &live,
        &alice,
        ALICE,
        "one-time-Pw-7q2w-kestrel",
        "violet-anchor-sprocket-91",
        "user",
    )
    .await;
    assert!(html(&alice).await.contains("No exchange keys yet"));

    // Adding the sim key (the session is fresh, so no step-up fields).
    alice
        .goto(&format!("{}/keys/new", live.base))
        .await
        .unwrap();
    alice
        .find(Locator::Id("venue"))
        .await
        .unwrap()
        .select_by_value("sim")
        .await
        .unwrap();
    fill(&alice, "label", "my sim account").await;
    fill(&alice, "api_key", &live.sim_api_key).await;
    fill(&alice, "api_secret", &live.sim_secret).await;
    click(&alice, "form[action='/keys'] button[type=submit]").await;
    let masked = text_of(&alice, "[data-testid=masked-key]").await;
    let page = html(&alice).await;
    assert!(!page.contains(&live.sim_secret), "the secret came back");
    assert!(
        !page.contains(&live.sim_api_key),
        "the whole API key came back"
    );
    assert!(
        !masked.is_empty() && masked.len() < live.sim_api_key.len(),
        "{masked}"
    );
    // The permission check asked the sim (through the signer): trading yes, withdrawals no.
    assert!(page.contains("Trading: <strong>allowed"), "{page}");
    assert!(page.contains("Withdrawals: <strong>not allowed"), "{page}");
    shot(&alice, "user-02-key-added").await;

    // The dashboard: balances from the sim, the charts, live prices over the WebSocket.
    live.wait_for_prices(3).await;
    alice.goto(&format!("{}/", live.base)).await.unwrap();
    let btc = text_of(
        &alice,
        "[data-testid=balances] tr[data-asset=BTC] td:nth-child(2)",
    )
    .await;
    let usdt = text_of(
        &alice,
        "[data-testid=balances] tr[data-asset=USDT] td:nth-child(2)",
    )
    .await;
    assert_eq!(dec(&btc), Decimal::ONE, "BTC free");
    assert_eq!(dec(&usdt), Decimal::from(100_000), "USDT free");
    let total = text_of(&alice, "[data-testid=total-value]").await;
    assert!(
        dec(total.trim_end_matches("USDT")) > Decimal::from(100_000),
        "{total}"
    );
    let lines = alice
        .find_all(Locator::Css("[data-testid=price-chart] svg polyline"))
        .await
        .unwrap();
    assert_eq!(lines.len(), 2, "one chart per watched market");
    alice
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css("body[data-live=on]"))
        .await
        .expect("the live-price WebSocket connected (same origin, session cookie, CSP)");
    let last = text_of(
        &alice,
        "[data-market='sim:BTC/USDT'] [data-testid=last-price]",
    )
    .await;
    assert!(dec(&last) > Decimal::ZERO, "{last}");
    assert!(!html(&alice).await.contains("Trading is disabled"));
    shot(&alice, "user-03-dashboard").await;

    // The administrator turns trading off.
    let admin = driver.browser().await;
    first_sign_in(
        &live,
        &admin,
        ADMIN,
        "one-time-Pw-9x8c-heron",
        "quartz-lantern-meadow-27",
        "admin",
    )
    .await;
    admin.goto(&format!("{}/admin", live.base)).await.unwrap();
    assert_eq!(
        text_of(&admin, "[data-testid=trading-state]").await,
        "enabled"
    );
    fill(&admin, "reason", "exchange incident drill").await;
    click(&admin, "#toggle-trading").await;
    assert_eq!(
        text_of(&admin, "[data-testid=trading-state]").await,
        "disabled"
    );
    assert!(!live.store.global_trading_enabled().await.unwrap());
    shot(&admin, "admin-04-trading-disabled").await;

    // Alice's dashboard now carries the banner.
    alice.refresh().await.unwrap();
    let banner = text_of(&alice, "[data-testid=trading-disabled-banner]").await;
    assert!(banner.contains("Trading is disabled"), "{banner}");
    shot(&alice, "user-05-trading-disabled-banner").await;

    // A user cannot reach the admin console.
    alice.goto(&format!("{}/admin", live.base)).await.unwrap();
    assert!(html(&alice)
        .await
        .contains("This page is for administrators."));

    alice.close().await.unwrap();
    admin.close().await.unwrap();
}
