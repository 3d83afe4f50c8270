//! `tradeward audit report`: the post-mortem questions answered from the audit log alone:
//! failed logins and credential stuffing, correct passwords stopped at the second factor,
//! logins from new addresses and devices, keys added, signer refusals (withdrawals named) and
//! their bursts, trading switches, revoked sessions, forced resets, lockdowns, admin actions,
//! and whether any secret was decrypted outside normal signing; counts per category.

mod analyze;
mod model;
mod since;
mod text;

pub use analyze::{Analyzer, ReportScope, BURST_REFUSALS, BURST_WINDOW_US, STUFFING_ACCOUNTS};
pub use model::{AddressFailures, Counts, CredentialActivity, IncidentReport, Step};
pub use since::{parse_time, rfc3339};
pub use text::render;

use tradeward_store::{AuditFilter, Store, StoreError};

/// Rows read per query.
const PAGE: i64 = 10_000;

/// Reads the log (the user's entries only, with `scope.user_id`) up to the window's end and
/// builds the report. Entries before the window are history (known addresses and devices).
pub async fn build_report(store: &Store, scope: ReportScope) -> Result<IncidentReport, StoreError> {
    let mut analyzer = Analyzer::new(scope.clone());
    let mut after = 0;
    loop {
        let page = store
            .audit_events(&AuditFilter {
                user_id: scope.user_id.clone(),
                after_seq: Some(after),
                until_us: scope.until_us,
                limit: Some(PAGE),
                ..AuditFilter::default()
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            analyzer.feed(row);
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(analyzer.finish())
}
