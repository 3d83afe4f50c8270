//! The human-readable form of an [`IncidentReport`]: the counts per category, then every
//! noteworthy step in order, then addresses and credentials.

use std::fmt::Write;

use super::model::IncidentReport;
use super::since::rfc3339;

/// Steps printed before the rest is summarized (the JSON form has them all).
const TEXT_STEPS: usize = 500;

/// Renders the report as text for a person.
pub fn render(r: &IncidentReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, r);
    out
}

fn write_report(out: &mut String, r: &IncidentReport) -> std::fmt::Result {
    writeln!(out, "Tradeward incident report")?;
    writeln!(
        out,
        "window: {} .. {}{}",
        r.since.as_deref().unwrap_or("start of log"),
        r.until.as_deref().unwrap_or("now"),
        r.user_id
            .as_deref()
            .map(|u| format!(", user {u}"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "entries: {} in the window ({} read, earlier ones as history)",
        r.entries_in_window, r.entries_read
    )?;
    let c = &r.counts;
    writeln!(out)?;
    writeln!(out, "Counts")?;
    let rows: [(&str, u64); 28] = [
        ("failed logins", c.failed_logins),
        ("  wrong password", c.wrong_passwords),
        ("  unknown account", c.unknown_accounts),
        ("  refused while throttled", c.throttled_logins),
        (
            "correct password, no session (stopped at 2FA)",
            c.correct_password_no_session,
        ),
        ("wrong second-factor codes", c.second_factor_failures),
        ("credential-stuffing addresses", c.stuffing_addresses),
        ("logins", c.logins),
        ("  from a new address", c.logins_from_new_address),
        ("  from a new device", c.logins_from_new_device),
        ("  first login of a user", c.first_logins),
        ("exchange keys added", c.credentials_added),
        ("exchange keys deleted", c.credentials_deleted),
        ("signatures", c.signatures),
        ("signer refusals", c.signer_refusals),
        ("  refused withdrawal attempts", c.refused_withdrawals),
        ("  refusal bursts", c.refusal_bursts),
        ("trading switch changes", c.trading_switch_changes),
        ("session revocations", c.session_revocations),
        ("  sessions revoked", c.sessions_revoked),
        ("personal tokens revoked", c.tokens_revoked),
        ("forced password resets", c.forced_resets),
        ("  users forced to reset", c.users_forced_to_reset),
        ("lockdowns", c.lockdowns),
        ("automatic containments", c.containments),
        ("admin actions", c.admin_actions),
        (
            "decryptions outside normal signing",
            c.decryptions_outside_signing,
        ),
        ("steps omitted past the cap", r.steps_omitted),
    ];
    for (name, n) in rows {
        writeln!(out, "  {name:<48} {n}")?;
    }
    writeln!(out)?;
    if c.decryptions_outside_signing == 0 {
        writeln!(
            out,
            "No secret was decrypted outside normal signing: every one of the {} signatures was \
             of a read, trade or cancel request.",
            c.signatures
        )?;
    } else {
        writeln!(
            out,
            "WARNING: {} secret decryptions were not for a read, trade or cancel request (see \
             steps marked decryption_outside_signing).",
            c.decryptions_outside_signing
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Steps ({})", r.steps.len())?;
    if r.steps.is_empty() {
        writeln!(out, "  nothing noteworthy")?;
    }
    for s in r.steps.iter().take(TEXT_STEPS) {
        let times = if s.repeated > 1 {
            format!(" [x{} until {}]", s.repeated, rfc3339(s.last_at_us))
        } else {
            String::new()
        };
        writeln!(
            out,
            "  #{:<8} {}  {:<28} {}{}",
            s.seq, s.at, s.category, s.summary, times
        )?;
    }
    if r.steps.len() > TEXT_STEPS {
        writeln!(
            out,
            "  ... {} more steps (use --json for all of them)",
            r.steps.len() - TEXT_STEPS
        )?;
    }
    if !r.failed_logins_by_address.is_empty() {
        writeln!(out)?;
        writeln!(out, "Failed logins by address")?;
        for a in &r.failed_logins_by_address {
            writeln!(
                out,
                "  {:<40} {:>6} failures, {:>4} accounts{}",
                a.source_addr,
                a.failures,
                a.accounts,
                if a.stuffing {
                    "  CREDENTIAL STUFFING"
                } else {
                    ""
                }
            )?;
        }
    }
    if !r.credentials.is_empty() {
        writeln!(out)?;
        writeln!(out, "Exchange keys used or touched")?;
        for k in &r.credentials {
            writeln!(
                out,
                "  {} ({}, owner {}): {} signatures, {} refusals, {}..{}, via {}, from {}{}{}",
                k.credential_id,
                k.venue.as_deref().unwrap_or("?"),
                k.user_id.as_deref().unwrap_or("?"),
                k.signatures,
                k.refusals,
                k.first_at,
                k.last_at,
                k.components.join(", "),
                if k.addresses.is_empty() {
                    "-".to_owned()
                } else {
                    k.addresses.join(", ")
                },
                k.added_at
                    .as_deref()
                    .map(|a| format!(
                        "; added {a} from {}",
                        k.added_from.as_deref().unwrap_or("?")
                    ))
                    .unwrap_or_default(),
                if k.deleted { "; deleted" } else { "" }
            )?;
        }
    }
    Ok(())
}
