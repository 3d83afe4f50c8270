//! Form bodies (`application/x-www-form-urlencoded`) with the double-submit CSRF check: the
//! hidden `csrf` field must equal the `__Host-tradeward_csrf` cookie (compared in constant
//! time). A page on another site can make a browser post a form here, but can neither read
//! nor set that cookie; the Origin check and `SameSite=Strict` come on top.

use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::pages;
use super::session::page;
use crate::cookies;
use crate::state::AppState;

/// A form body whose CSRF field was checked.
#[derive(Debug)]
pub struct UiForm<T>(pub T);

/// Only the CSRF field (the form's other fields are ignored here).
#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A refused form: an HTML page saying why.
#[derive(Debug)]
pub struct FormRejection {
    status: StatusCode,
    message: &'static str,
}

impl axum::response::IntoResponse for FormRejection {
    fn into_response(self) -> axum::response::Response {
        page(
            self.status,
            Vec::new(),
            pages::problem(self.status, self.message),
        )
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for UiForm<T> {
    type Rejection = FormRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, FormRejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(FormRejection {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "This address takes a form (application/x-www-form-urlencoded).",
            });
        }
        let cookie = cookies::read(req.headers(), cookies::CSRF_COOKIE).unwrap_or_default();
        let limit = state.http().max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| FormRejection {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: "The form is too large.",
            })?;
        // The body may hold a password: parse from a copy that is wiped afterwards.
        let mut raw = bytes.to_vec();
        let parsed = check_and_parse(&raw, &cookie);
        raw.zeroize();
        parsed.map(UiForm)
    }
}

fn check_and_parse<T: DeserializeOwned>(raw: &[u8], cookie: &str) -> Result<T, FormRejection> {
    let field: CsrfField = serde_urlencoded::from_bytes(raw).map_err(|_| bad_form())?;
    let ok = !field.csrf.is_empty()
        && field.csrf.len() == cookie.len()
        && bool::from(field.csrf.as_bytes().ct_eq(cookie.as_bytes()));
    if !ok {
        return Err(FormRejection {
            status: StatusCode::FORBIDDEN,
            message: "This form has expired or did not come from this site. Go back, reload \
                      the page and try again.",
        });
    }
    // serde_urlencoded's errors can quote the input, so none is passed on.
    serde_urlencoded::from_bytes(raw).map_err(|_| bad_form())
}

fn bad_form() -> FormRejection {
    FormRejection {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: "The form is incomplete or malformed.",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Code {
        code: String,
    }

    #[test]
    fn csrf_field_must_match_the_cookie() {
        let ok: Code = check_and_parse(b"csrf=abc123&code=42", "abc123").unwrap();
        assert_eq!(ok.code, "42");
        for (body, cookie) in [
            (&b"csrf=abc124&code=42"[..], "abc123"),
            (b"code=42", "abc123"),
            (b"csrf=&code=42", ""),
            (b"csrf=abc&code=42", "abc123"),
        ] {
            let e = check_and_parse::<Code>(body, cookie).unwrap_err();
            assert_eq!(e.status, StatusCode::FORBIDDEN);
        }
        let e = check_and_parse::<Code>(b"csrf=abc123", "abc123").unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
