//! Step-up inside a form: sensitive pages (adding an exchange key, the trading switch) need
//! a recent authentication. When the session's is older than the step-up window, the form
//! shows password and code fields, and submitting it re-authenticates (the session gets a
//! new token, set as a cookie on the answer) before the action runs.

use axum::http::HeaderValue;
use maud::{html, Markup};
use tradeward_auth::sessions::requires_recent_auth;
use tradeward_auth::{Principal, RequestContext, Via};

use super::session::explain;
use crate::cookies;
use crate::routes::dto::SecretInput;
use crate::state::AppState;

/// Whether `principal` authenticated recently enough for a sensitive action.
pub fn is_recent(state: &AppState, principal: &Principal) -> bool {
    match &principal.via {
        Via::Session(s) => {
            requires_recent_auth(s, state.now_us(), state.auth().config().step_up_window).is_ok()
        }
        Via::ApiToken { .. } => false,
    }
}

/// The password and code fields, when a step-up is needed.
pub fn fields(needed: bool) -> Markup {
    html! {
        @if needed {
            fieldset.stepup {
                legend { "Confirm it is you" }
                p.muted { "This change needs your password and a code from your authenticator app." }
                label for="password" { "Password" }
                input #password type="password" name="password" required autocomplete="current-password";
                label for="code" { "Authenticator code" }
                input #code type="text" name="code" inputmode="numeric" pattern="[0-9 ]*"
                    autocomplete="one-time-code";
            }
        }
    }
}

/// Makes sure `principal` may do a sensitive action now: nothing to do when recent,
/// otherwise a step-up with the form's password and code. Returns the cookies to set (the
/// session's new token), or what to tell the person.
pub async fn ensure(
    state: &AppState,
    principal: &Principal,
    ctx: &RequestContext,
    password: Option<SecretInput>,
    code: Option<SecretInput>,
) -> Result<Vec<HeaderValue>, String> {
    if is_recent(state, principal) {
        return Ok(Vec::new());
    }
    let Some(password) = password.filter(|p| !p.expose().is_empty()) else {
        return Err("Confirm with your password and an authenticator code.".into());
    };
    let code = code.filter(|c| !c.expose().trim().is_empty());
    match state
        .auth()
        .step_up(
            principal,
            password.0,
            code.as_ref().map(|c| c.expose()),
            ctx,
            state.now_us(),
        )
        .await
    {
        Ok(token) => Ok(cookies::session_only(token.expose())),
        Err(e) => Err(explain(&e)),
    }
}
