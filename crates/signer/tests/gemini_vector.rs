//! Gemini's published known-answer vector (exchange-signing.md, "Gemini"), copied by script.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use tradeward_signer::schemes::{gemini_payload, gemini_signature};

const SECRET: &str = "1234abcd";
const PAYLOAD: &str = "ewogICAgInJlcXVlc3QiOiAiL3YxL29yZGVyL3N0YXR1cyIsCiAgICAibm9uY2UiOiAxMjM0NTYsCgogICAgIm9yZGVyX2lkIjogMTg4MzQKfQo=";
const SIGNATURE: &str = "337cc8b4ea692cfe65b4a85fcc9f042b2e3f702ac956fd098d600ab15705775017beae402be773ceee10719ff70d710f";

#[test]
fn gemini_published_vector() {
    assert_eq!(
        gemini_signature(SECRET.as_bytes(), PAYLOAD).unwrap(),
        SIGNATURE
    );
}

#[test]
fn gemini_payload_is_standard_base64_of_the_body() {
    let body = base64::engine::general_purpose::STANDARD
        .decode(PAYLOAD)
        .unwrap();
    assert_eq!(gemini_payload(std::str::from_utf8(&body).unwrap()), PAYLOAD);
}

#[test]
fn an_empty_secret_is_refused() {
    let err = gemini_signature(b"", PAYLOAD).unwrap_err();
    assert!(err.to_string().contains("gemini"), "{err}");
}
