//! QR codes as inline SVG, rendered on the server (no script, no external image).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The SVG element (without an XML prolog) encoding `text`.
pub fn svg(text: &str) -> Result<String, &'static str> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| "the enrolment key is too long for a QR code")?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let start = image
        .find("<svg")
        .ok_or("the QR renderer produced no SVG")?;
    Ok(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn renders_a_bare_svg_element() {
        let s = svg("otpauth://totp/Tradeward:a%40b.c?secret=JBSWY3DPEHPK3PXP&issuer=Tradeward")
            .unwrap();
        assert!(s.starts_with("<svg"), "{}", &s[..40]);
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(!s.contains("<script"));
    }
}
