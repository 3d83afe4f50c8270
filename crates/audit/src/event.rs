//! The shape of an audit event.

use serde_json::{Map, Value};
use tradeward_store::AuditRow;

/// How the audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was done.
    Ok,
    /// Policy refused it.
    Refused,
    /// It failed.
    Error,
}

impl Outcome {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Error => "error",
        }
    }
}

/// One audit event. `detail` is a JSON object of further facts and must never hold a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// When, µs since the Unix epoch.
    pub at_us: i64,
    /// What happened, dotted (`signer.sign`, `signer.refuse`, `credential.add`, ...).
    pub kind: &'static str,
    /// Which component acted (`signer`, `engine`, `web`, `cli`).
    pub component: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The session or personal token that asked.
    pub session_id: Option<String>,
    /// The credential used or touched.
    pub credential_id: Option<String>,
    /// The network address the request came from.
    pub source_addr: Option<String>,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// Further facts.
    pub detail: Map<String, Value>,
}

impl AuditEvent {
    /// A new event with no optional fields set.
    pub fn new(
        at_us: i64,
        kind: &'static str,
        component: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Self {
            at_us,
            kind,
            component: component.into(),
            outcome,
            user_id: None,
            session_id: None,
            credential_id: None,
            source_addr: None,
            reason: None,
            detail: Map::new(),
        }
    }

    /// Adds a fact to `detail`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.detail.insert(key.to_owned(), value.into());
        self
    }

    /// The row the store appends.
    pub fn to_row(&self) -> AuditRow {
        AuditRow {
            at_us: self.at_us,
            kind: self.kind.to_owned(),
            component: self.component.clone(),
            outcome: self.outcome.as_str().to_owned(),
            user_id: self.user_id.clone(),
            session_id: self.session_id.clone(),
            credential_id: self.credential_id.clone(),
            source_addr: self.source_addr.clone(),
            reason: self.reason.clone(),
            detail: Value::Object(self.detail.clone()).to_string(),
        }
    }
}
