//! Who is asking the signer, for the audit trail and the ownership check.

use serde::{Deserialize, Serialize};
use tradeward_domain::UserId;

/// The caller of a signer operation. Every field ends up in the audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// The component asking (`engine`, `web`, `cli`, ...).
    pub component: String,
    /// The user on whose behalf it acts. When set, it must own the credential.
    pub user_id: Option<UserId>,
    /// The session or personal token behind the request.
    pub session_id: Option<String>,
    /// The network address the request came from.
    pub source_addr: Option<String>,
}

impl CallContext {
    /// A context for a component acting on its own (e.g. the trigger engine for a user).
    pub fn component(name: &str) -> Self {
        Self {
            component: name.to_owned(),
            ..Self::default()
        }
    }

    /// Sets the user.
    pub fn for_user(mut self, user: UserId) -> Self {
        self.user_id = Some(user);
        self
    }
}
