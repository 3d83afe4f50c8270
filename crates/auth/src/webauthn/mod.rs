//! WebAuthn passkeys and security keys (webauthn-rs): the relying-party settings, the
//! verifier, and the wire types the HTTP layer passes through.
//!
//! WebAuthn is the phishing-resistant factor (threats S3, S7): the authenticator signs the
//! origin it was really talking to, so an assertion produced for a look-alike site is refused
//! here. The flows themselves (registration from a session or during a login that must enrol,
//! second-factor login, step-up, removal) are [`crate::AuthService`] methods; this module
//! holds what they share.
//!
//! Only the Passkey profile of webauthn-rs is used: user verification (PIN or biometric) is
//! required, which FIDO2 security keys with a PIN and platform passkeys both give.
//!
//! Ceremony state (the challenge) never leaves the server: it is stored in the database under
//! a key bound to the login challenge or session that began it, and taken when answered.

use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;
use webauthn_rs::prelude::{Passkey, Uuid, Webauthn, WebauthnBuilder};

use crate::error::AuthError;

pub use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// How long the authenticator prompt, and so a ceremony, may take (WebAuthn's recommended
/// default).
pub(crate) const CEREMONY_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// The relying party and the WebAuthn policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnConfig {
    /// The relying party id: the site's host name (`trade.example.com`). Credentials are bound
    /// to it. Default `localhost`.
    pub rp_id: String,
    /// The origin browsers use (`https://trade.example.com`); assertions made for any other
    /// origin are refused. Default `https://localhost`.
    pub origin: String,
    /// Accept the origin on any port (default true for the `localhost` default only; a
    /// deployment's public URL names its port and this is false).
    pub allow_any_port: bool,
    /// The name shown by the authenticator.
    pub rp_name: String,
    /// Administrators must have and use WebAuthn: no login or admin action completes with
    /// a TOTP or recovery code alone, and an admin without a passkey must register one first
    /// (threat S7). Default false (a deployment setting).
    pub require_for_admins: bool,
}

impl Default for WebauthnConfig {
    fn default() -> Self {
        Self {
            rp_id: "localhost".into(),
            origin: "https://localhost".into(),
            allow_any_port: true,
            rp_name: "Tradeward".into(),
            require_for_admins: false,
        }
    }
}

impl WebauthnConfig {
    /// The settings for a server reached at `public_url` (its host is the relying party id,
    /// its origin the only one accepted).
    pub fn for_public_url(public_url: &str, require_for_admins: bool) -> Result<Self, AuthError> {
        let url = Url::parse(public_url).map_err(|_| AuthError::InvalidInput {
            field: "public_url",
            reason: "not a URL",
        })?;
        let host = url.host_str().ok_or(AuthError::InvalidInput {
            field: "public_url",
            reason: "has no host name",
        })?;
        Ok(Self {
            rp_id: host.to_owned(),
            origin: url.origin().ascii_serialization(),
            allow_any_port: false,
            require_for_admins,
            ..Self::default()
        })
    }
}

/// The verifier, built once from [`WebauthnConfig`].
pub(crate) struct RelyingParty(pub(crate) Webauthn);

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelyingParty")
    }
}

impl RelyingParty {
    pub(crate) fn new(config: &WebauthnConfig) -> Result<Self, AuthError> {
        let bad = |reason| AuthError::InvalidInput {
            field: "webauthn",
            reason,
        };
        let origin = Url::parse(&config.origin).map_err(|_| bad("the origin is not a URL"))?;
        let rp = WebauthnBuilder::new(&config.rp_id, &origin)
            .map_err(|_| bad("the relying party id is not the origin's host or a suffix of it"))?
            .rp_name(&config.rp_name)
            .allow_any_port(config.allow_any_port)
            .timeout(CEREMONY_TTL)
            .build()
            .map_err(|_| bad("invalid relying party settings"))?;
        Ok(Self(rp))
    }
}

/// A user's WebAuthn user handle: their id (a UUID), which identifies nothing else.
pub(crate) fn user_handle(user: tradeward_domain::UserId) -> Result<Uuid, AuthError> {
    Uuid::parse_str(&user.to_string()).map_err(|_| AuthError::Internal("user id is not a UUID"))
}

/// Serialises verifier state or a credential for the store.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, AuthError> {
    serde_json::to_string(value).map_err(|_| AuthError::Internal("cannot serialise WebAuthn state"))
}

/// Reads back what [`to_json`] wrote.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, AuthError> {
    serde_json::from_str(text).map_err(|_| AuthError::Internal("stored WebAuthn state is corrupt"))
}

/// A stored credential, parsed.
pub(crate) fn passkey_of(
    row: &tradeward_store::WebauthnCredentialRow,
) -> Result<Passkey, AuthError> {
    from_json(&row.passkey)
}

/// Why the verifier refused a response, as a fixed audit reason and user-facing text.
pub(crate) fn refusal(e: &webauthn_rs::prelude::WebauthnError) -> (&'static str, &'static str) {
    use webauthn_rs::prelude::WebauthnError as E;
    match e {
        E::InvalidRPOrigin => ("wrong_origin", "it was made for another site"),
        E::InvalidRPIDHash => ("wrong_rp_id", "it was made for another site"),
        E::MismatchedChallenge => ("wrong_challenge", "it answers another challenge"),
        E::CredentialPossibleCompromise => (
            "counter_not_increased",
            "its signature counter did not rise (a cloned or replayed authenticator)",
        ),
        E::UserNotVerified => (
            "user_not_verified",
            "the authenticator did not verify the user",
        ),
        E::CredentialNotFound => ("unknown_credential", "this authenticator is not registered"),
        _ => ("invalid_response", "it is not a valid WebAuthn response"),
    }
}
