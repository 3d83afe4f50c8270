//! The pages' HTML (maud escapes every interpolated value). No script anywhere; the only
//! secrets ever rendered are the TOTP seed and QR code during enrolment and the recovery
//! codes, once each.

use axum::http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};

pub(super) fn layout(title: &str, signed_in_csrf: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tradeward" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Tradeward" }
                    @if let Some(csrf) = signed_in_csrf {
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub(super) fn error_box(error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
    }
}

pub(super) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// The sign-in form. The email typed is kept on error; the password never is.
pub fn login(csrf: &str, email: &str, error: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            section.card {
                h1 { "Sign in" }
                (error_box(error))
                form method="post" action="/login" {
                    (csrf_field(csrf))
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) required
                        autocomplete="username" autofocus;
                    label for="password" { "Password" }
                    input #password type="password" name="password" required
                        autocomplete="current-password";
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// The second-factor step: a TOTP code, or a recovery code.
pub fn totp(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        "Second factor",
        None,
        html! {
            section.card {
                h1 { "Two-step verification" }
                (error_box(error))
                form method="post" action="/login/totp" {
                    (csrf_field(csrf))
                    label for="code" { "Code from your authenticator app" }
                    input #code type="text" name="code" inputmode="numeric" pattern="[0-9 ]*"
                        autocomplete="one-time-code" required autofocus;
                    button type="submit" { "Verify" }
                }
                details {
                    summary { "Use a recovery code instead" }
                    form method="post" action="/login/recovery" {
                        (csrf_field(csrf))
                        label for="recovery" { "Recovery code (each works once)" }
                        input #recovery type="text" name="code" autocomplete="off" required;
                        button type="submit" { "Use recovery code" }
                    }
                }
                (super::passkey::section())
            }
        },
    )
}

/// The forced password change.
pub fn password(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        "Choose a new password",
        None,
        html! {
            section.card {
                h1 { "Choose a new password" }
                p { "Your password must be changed before you can continue. Use at least 12 \
                     characters; a passphrase of several words works well." }
                (error_box(error))
                form method="post" action="/login/password" {
                    (csrf_field(csrf))
                    label for="new_password" { "New password" }
                    input #new_password type="password" name="new_password" required
                        minlength="12" autocomplete="new-password" autofocus;
                    label for="confirm" { "New password, again" }
                    input #confirm type="password" name="confirm" required minlength="12"
                        autocomplete="new-password";
                    button type="submit" { "Set password" }
                }
            }
        },
    )
}

/// TOTP enrolment: the QR code (inline SVG), the seed for manual entry, a code to confirm.
pub fn enroll(csrf: &str, qr_svg: &str, secret: &str, error: Option<&str>) -> Markup {
    layout(
        "Set up two-step verification",
        None,
        html! {
            section.card {
                h1 { "Set up two-step verification" }
                p { "Scan this code with an authenticator app (any app that supports TOTP), \
                     then enter the six-digit code it shows." }
                (error_box(error))
                figure.qr { (PreEscaped(qr_svg)) }
                p { "Or enter this key by hand: " code.secret data-testid="totp-secret" { (secret) } }
                form method="post" action="/login/enroll" {
                    (csrf_field(csrf))
                    label for="code" { "Code from your authenticator app" }
                    input #code type="text" name="code" inputmode="numeric" pattern="[0-9 ]*"
                        autocomplete="one-time-code" required autofocus;
                    button type="submit" { "Confirm" }
                }
            }
        },
    )
}

/// The recovery codes, shown once, after enrolment completed the login.
pub fn recovery_codes(csrf: &str, codes: &[String]) -> Markup {
    layout(
        "Recovery codes",
        Some(csrf),
        html! {
            section.card {
                h1 { "Save your recovery codes" }
                p { "Each code signs you in once if you lose your authenticator. They are shown \
                     only now: print them or keep them in a password manager." }
                ol.codes {
                    @for c in codes { li { code { (c) } } }
                }
                p { a.button href="/" { "I have saved them: continue" } }
            }
        },
    )
}

/// A page that says what went wrong.
pub fn problem(status: StatusCode, message: &str) -> Markup {
    layout(
        "Problem",
        None,
        html! {
            section.card {
                h1 { (status.canonical_reason().unwrap_or("Error")) }
                p.error { (message) }
                p { a href="/login" { "Back to sign-in" } }
            }
        },
    )
}
