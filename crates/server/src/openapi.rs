//! The OpenAPI 3 document, generated from the handlers' annotations and the DTOs' schemas,
//! served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::routes::email;
use crate::routes::triggers;
use crate::routes::webauthn;
use crate::routes::{
    admin, balances, credentials, dto, incident, markets, me, session, stream, tokens,
};

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Tradeward API", description = "Self-hosted, security-first crypto trading server."),
    paths(
        session::login, session::totp, session::recovery_code, session::password,
        session::logout,
        me::begin_totp, me::confirm_totp, me::list_sessions, me::revoke_session, me::step_up,
        webauthn::login_begin, webauthn::login_finish, webauthn::register_begin,
        webauthn::register_finish, webauthn::list, webauthn::remove, webauthn::step_up_begin,
        webauthn::step_up,
        tokens::create, tokens::list, tokens::revoke,
        email::request_reset, email::complete_reset, email::lockdown, email::revert_email,
        email::change_email, email::signup, email::verify_signup,
        credentials::create, credentials::list, credentials::delete,
        triggers::create, triggers::list, triggers::get_one, triggers::cancel,
        admin::get_trading, admin::put_trading, admin::force_password_reset,
        incident::list_audit, incident::lockdown,
        balances::list, markets::list, markets::history, stream::open,
    ),
    components(schemas(ErrorBody, ErrorDetail, dto::StatusBody)),
    modifiers(&Security),
    security(("session_cookie" = []), ("personal_token" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::cookies::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "personal_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
