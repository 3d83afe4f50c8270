//! The messages, as plain text. Subjects are fixed per kind; anything that came from a client
//! (the user agent) is cleaned of control characters and shortened before it is quoted, so a
//! crafted header cannot shape the message. Links carry a single-use token in the query.

use zeroize::Zeroizing;

use super::Email;

/// A time (µs since the epoch) as `2026-11-29 08:40:00 UTC`.
pub fn format_time(now_us: i64) -> String {
    let nanos = i128::from(now_us) * 1000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "an unknown time".into(),
    }
}

/// A client-supplied string made safe to quote: printable characters only, at most 200.
pub fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "unknown".into()
    } else {
        trimmed.to_owned()
    }
}

fn email(kind: &'static str, to: &str, subject: &str, body: String) -> Email {
    Email {
        kind,
        to: to.to_owned(),
        subject: subject.to_owned(),
        body: Zeroizing::new(body),
    }
}

const FOOTER: &str = "\n-- \nTradeward. This message was sent because of activity on your \
account; it never asks for your password or codes.\n";

/// Your password was used from a device not seen before; the lockdown link stops everything.
pub fn new_device(to: &str, when_us: i64, addr: &str, user_agent: &str, lockdown: &str) -> Email {
    let body = format!(
        "Your Tradeward password was just used to sign in from a new device.\n\n\
         Time:       {}\n\
         Address:    {}\n\
         Browser:    {}\n\n\
         If this was you, there is nothing to do.\n\n\
         If it was NOT you, open this link to lock your account down at once: it signs out \
         every session, turns trading off for your account and makes you choose a new \
         password before you can sign in again.\n\n\
         {lockdown}\n\n\
         The link works once.{FOOTER}",
        format_time(when_us),
        clean(addr),
        clean(user_agent),
    );
    email(
        "new_device",
        to,
        "New sign-in to your Tradeward account",
        body,
    )
}

/// The lockdown link was used.
pub fn lockdown_done(to: &str, when_us: i64) -> Email {
    let body = format!(
        "Your Tradeward account was locked down at {}.\n\n\
         Every session was signed out, trading is off for your account, and the next sign-in \
         needs a new password (and your second factor). Ask your administrator to turn trading \
         back on when you are sure the account is yours alone.{FOOTER}",
        format_time(when_us)
    );
    email(
        "lockdown_done",
        to,
        "Your Tradeward account is locked down",
        body,
    )
}

/// A password-reset link.
pub fn password_reset(to: &str, link: &str, valid_minutes: u64) -> Email {
    let body = format!(
        "Someone asked to reset the password of your Tradeward account.\n\n\
         To choose a new password, open this link within {valid_minutes} minutes:\n\n\
         {link}\n\n\
         Signing in afterwards still needs your second factor. If you did not ask for this, \
         ignore this message: your password stays as it is.{FOOTER}"
    );
    email("password_reset", to, "Reset your Tradeward password", body)
}

/// The password was changed.
pub fn password_changed(to: &str, when_us: i64) -> Email {
    let body = format!(
        "The password of your Tradeward account was changed at {}, and every session was \
         signed out.\n\nIf this was not you, contact your administrator at once.{FOOTER}",
        format_time(when_us)
    );
    email(
        "password_changed",
        to,
        "Your Tradeward password was changed",
        body,
    )
}

/// A second factor was added, removed or replaced.
pub fn factor_changed(to: &str, when_us: i64, what: &str) -> Email {
    let body = format!(
        "A sign-in factor of your Tradeward account changed at {}:\n\n    {}\n\n\
         If this was not you, sign in and lock your account down, or contact your \
         administrator at once.{FOOTER}",
        format_time(when_us),
        clean(what)
    );
    email(
        "factor_changed",
        to,
        "Your Tradeward sign-in factors changed",
        body,
    )
}

/// To the OLD address: the login email was changed; the link reverts it.
pub fn email_changed_old(
    to: &str,
    new_address: &str,
    when_us: i64,
    revert: &str,
    valid_days: u64,
) -> Email {
    let body = format!(
        "The sign-in address of your Tradeward account was changed at {} from this address \
         to {}.\n\n\
         If this was NOT you, open this link within {valid_days} days to put your address \
         back; it also signs out every session and makes you choose a new password:\n\n\
         {revert}\n\n\
         The link works once.{FOOTER}",
        format_time(when_us),
        clean(new_address),
    );
    email(
        "email_changed_old",
        to,
        "Your Tradeward sign-in address was changed",
        body,
    )
}

/// To the NEW address: it is now the account's sign-in address.
pub fn email_changed_new(to: &str, when_us: i64) -> Email {
    let body = format!(
        "This address became the sign-in address of a Tradeward account at {}.{FOOTER}",
        format_time(when_us)
    );
    email(
        "email_changed_new",
        to,
        "Your Tradeward sign-in address",
        body,
    )
}

/// The email change was reverted.
pub fn email_reverted(to: &str, when_us: i64) -> Email {
    let body = format!(
        "The sign-in address of your Tradeward account was put back to this address at {}. \
         Every session was signed out; the next sign-in needs a new password.{FOOTER}",
        format_time(when_us)
    );
    email(
        "email_reverted",
        to,
        "Your Tradeward sign-in address was restored",
        body,
    )
}

/// An exchange API key was added.
pub fn key_added(to: &str, when_us: i64, venue: &str, label: &str) -> Email {
    let body = format!(
        "An exchange API key was added to your Tradeward account at {}:\n\n\
         Exchange:   {}\n\
         Label:      {}\n\n\
         If this was not you, sign in and delete it, or contact your administrator at once.\
         {FOOTER}",
        format_time(when_us),
        clean(venue),
        clean(label)
    );
    email(
        "key_added",
        to,
        "An exchange key was added to your Tradeward account",
        body,
    )
}

/// Sign-up: confirm the address.
pub fn signup_verify(to: &str, link: &str, valid_hours: u64) -> Email {
    let body = format!(
        "Someone asked to create a Tradeward account with this address.\n\n\
         To confirm it and create the account, open this link within {valid_hours} hours:\n\n\
         {link}\n\n\
         If this was not you, ignore this message: no account is created.{FOOTER}"
    );
    email("signup_verify", to, "Confirm your Tradeward account", body)
}

/// Sign-up with an address that already has an account (same answer to the client).
pub fn signup_exists(to: &str) -> Email {
    let body = format!(
        "Someone asked to create a Tradeward account with this address, but it already has \
         one. If that was you, sign in, or reset your password from the sign-in page. \
         Otherwise ignore this message.{FOOTER}"
    );
    email("signup_exists", to, "Your Tradeward account", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_client_text_is_cleaned() {
        // 2026-01-02T03:04:05Z
        assert_eq!(
            format_time(1_767_323_045_000_000),
            "2026-01-02 03:04:05 UTC"
        );
        assert_eq!(clean("Mozilla\r\nBcc: x@evil"), "Mozilla  Bcc: x@evil");
        assert_eq!(clean("\u{7}"), "unknown");
        assert_eq!(clean(&"a".repeat(500)).len(), 200);
        let m = new_device(
            "a@example.com",
            1_767_323_045_000_000,
            "192.0.2.7",
            "Agent\nX",
            "https://tw/l?token=t",
        );
        assert!(m.body.contains("2026-01-02 03:04:05 UTC"));
        assert!(m.body.contains("Browser:    Agent X"));
        assert!(m.body.contains("https://tw/l?token=t"));
    }
}
