//! The signed-in pages' HTML: the dashboard (keys, balances, price charts), adding an
//! exchange key, and the admin console. The only script is `/static/live.js` (served by
//! us, allowed by the CSP's `script-src 'self'`), which updates prices from the WebSocket;
//! every page is complete without it.

use maud::{html, Markup};

use super::chart::price_chart;
use super::pages::{csrf_field, error_box, layout};
use super::stepup;
use crate::markets::PricePoint;
use crate::routes::balances::Portfolio;

/// One stored exchange key as the dashboard lists it (public facts only).
#[derive(Debug)]
pub struct KeyRow {
    pub venue: String,
    pub label: String,
    pub api_key_masked: String,
    pub created_at: String,
}

/// One watched market for the charts.
#[derive(Debug)]
pub struct ChartData {
    /// `venue:BASE/QUOTE`, what the WebSocket subscribes to.
    pub stream_name: String,
    /// `BASE/QUOTE`.
    pub title: String,
    pub points: Vec<PricePoint>,
}

/// The banner every signed-in page shows while trading is off.
pub fn trading_banner(trading_enabled: bool) -> Markup {
    html! {
        @if !trading_enabled {
            p.banner role="status" data-testid="trading-disabled-banner" {
                strong { "Trading is disabled. " }
                "An administrator has turned off trading for the whole deployment: no order \
                 will be signed until it is turned back on."
            }
        }
    }
}

fn nav(is_admin: bool) -> Markup {
    html! {
        nav.sub {
            a href="/" { "Dashboard" }
            a href="/keys/new" { "Add exchange key" }
            @if is_admin { a href="/admin" { "Admin" } }
        }
    }
}

/// Everything the dashboard shows.
#[derive(Debug)]
pub struct Dashboard<'a> {
    pub csrf: &'a str,
    pub email: &'a str,
    pub is_admin: bool,
    pub trading_enabled: bool,
    pub keys: &'a [KeyRow],
    pub portfolio: Option<&'a Portfolio>,
    pub charts: &'a [ChartData],
}

/// The dashboard.
pub fn dashboard(d: &Dashboard<'_>) -> Markup {
    layout(
        "Dashboard",
        Some(d.csrf),
        html! {
            (trading_banner(d.trading_enabled))
            (nav(d.is_admin))
            h1 { "Dashboard" }
            p.muted { "Signed in as " (d.email) }
            @if let Some(p) = d.portfolio {
                section data-testid="balances" {
                    h2 { "Balances" }
                    p.total { "Total value " strong.num data-testid="total-value" { (p.total_value) " " (p.currency) } }
                    @if p.credentials.is_empty() {
                        p.muted { "No exchange keys yet: " a href="/keys/new" { "add one" } "." }
                    }
                    @for c in &p.credentials {
                        h3 { (c.label) " " span.muted { "(" (c.venue) ")" } }
                        @if let Some(e) = &c.error {
                            p.error role="alert" { "Balances could not be read: " (e.message) }
                        } @else if c.balances.is_empty() {
                            p.muted { "No balances on this account." }
                        } @else {
                            div.table-wrap {
                                table.balances {
                                    thead { tr {
                                        th { "Asset" } th.num { "Free" } th.num { "Locked" }
                                        th.num { "Value (" (p.currency) ")" }
                                    } }
                                    tbody {
                                        @for b in &c.balances {
                                            tr data-asset=(b.asset) {
                                                td { (b.asset) }
                                                td.num { (b.free) }
                                                td.num { (b.locked) }
                                                td.num { @if let Some(v) = b.value { (v) } @else { "—" } }
                                            }
                                        }
                                    }
                                }
                            }
                            p.muted.small { "As of " (c.balances.first().map(|b| b.updated_at.as_str()).unwrap_or("")) }
                        }
                    }
                }
            } @else {
                section { h2 { "Balances" } p.muted.placeholder { "This server is not connected to any exchange." } }
            }
            @if !d.charts.is_empty() {
                section.charts data-testid="charts" {
                    h2 { "Markets" }
                    div.chart-grid {
                        @for c in d.charts {
                            div.chart-cell data-market=(c.stream_name) { (price_chart(&c.title, &c.points)) }
                        }
                    }
                }
            }
            section {
                h2 { "Exchange keys" }
                @if d.keys.is_empty() {
                    p.muted { "No exchange keys yet." }
                } @else {
                    div.table-wrap {
                        table data-testid="keys" {
                            thead { tr { th { "Venue" } th { "Label" } th { "API key" } th { "Added" } } }
                            tbody {
                                @for k in d.keys {
                                    tr {
                                        td { (k.venue) }
                                        td { (k.label) }
                                        td { code { (k.api_key_masked) } }
                                        td.num { (k.created_at) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            script src="/static/live.js" defer {}
        },
    )
}

/// The add-key form. The secret fields are never filled back in.
pub fn add_key(
    csrf: &str,
    is_admin: bool,
    needs_step_up: bool,
    venues: &[&str],
    label: &str,
    error: Option<&str>,
) -> Markup {
    layout(
        "Add an exchange key",
        Some(csrf),
        html! {
            (nav(is_admin))
            section.card.wide {
                h1 { "Add an exchange key" }
                p.muted { "The secret goes straight to the signer, encrypted at once; it is never \
                           shown again, not even to you. Give the key trade and read rights only, \
                           never withdrawals." }
                (error_box(error))
                form method="post" action="/keys" autocomplete="off" {
                    (csrf_field(csrf))
                    label for="venue" { "Exchange" }
                    select #venue name="venue" {
                        @for v in venues { option value=(v) { (v) } }
                    }
                    label for="label" { "Label" }
                    input #label type="text" name="label" value=(label) required maxlength="100";
                    label for="api_key" { "API key" }
                    input #api_key type="text" name="api_key" required autocomplete="off" spellcheck="false";
                    label for="api_secret" { "API secret" }
                    input #api_secret type="password" name="api_secret" required autocomplete="off";
                    (stepup::fields(needs_step_up))
                    button type="submit" { "Add key" }
                }
            }
        },
    )
}

/// What the venue said about a stored key.
#[derive(Debug)]
pub enum KeyCheck {
    /// Its permissions and warnings.
    Checked {
        can_trade: bool,
        can_withdraw: bool,
        warnings: Vec<&'static str>,
    },
    /// The venue could not be asked.
    Unchecked(String),
}

/// After storing a key: only the masked key, and the permission check's result.
pub fn key_added(
    csrf: &str,
    is_admin: bool,
    label: &str,
    masked: &str,
    check: &KeyCheck,
) -> Markup {
    layout(
        "Key added",
        Some(csrf),
        html! {
            (nav(is_admin))
            section.card.wide data-testid="key-added" {
                h1 { "Key added" }
                p { (label) ": " code data-testid="masked-key" { (masked) } }
                @match check {
                    KeyCheck::Checked { can_trade, can_withdraw, warnings } => {
                        ul.facts {
                            li { "Trading: " strong { @if *can_trade { "allowed" } @else { "not allowed" } } }
                            li { "Withdrawals: " strong { @if *can_withdraw { "ALLOWED" } @else { "not allowed" } } }
                        }
                        @for w in warnings { p.banner { (w) } }
                    }
                    KeyCheck::Unchecked(why) => {
                        p.banner { "The key's permissions could not be checked with the exchange (" (why)
                                   "): make sure it cannot withdraw or transfer funds." }
                    }
                }
                p { a.button href="/" { "Back to the dashboard" } }
            }
        },
    )
}

/// The admin console: the global trading switch.
pub fn admin(
    csrf: &str,
    trading_enabled: bool,
    needs_step_up: bool,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout(
        "Admin",
        Some(csrf),
        html! {
            (trading_banner(trading_enabled))
            (nav(true))
            h1 { "Admin" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            (error_box(error))
            section.card.wide {
                h2 { "Trading switch" }
                p { "Trading is " strong data-testid="trading-state" { @if trading_enabled { "enabled" } @else { "disabled" } }
                    " for every user. Turning it off stops the signer from signing any order at once; \
                     users see a banner." }
                form method="post" action="/admin/trading" {
                    (csrf_field(csrf))
                    input type="hidden" name="enabled" value=(if trading_enabled { "false" } else { "true" });
                    label for="reason" { "Reason (recorded in the audit log)" }
                    input #reason type="text" name="reason" required maxlength="500";
                    (stepup::fields(needs_step_up))
                    button #toggle-trading type="submit" {
                        @if trading_enabled { "Disable trading" } @else { "Enable trading" }
                    }
                }
            }
        },
    )
}
