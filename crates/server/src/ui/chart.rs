//! Price charts as inline SVG, drawn on the server (no script, no external library).
//!
//! Only presentation attributes are used (no `style`), so the strict CSP holds. Prices are
//! converted to `f64` for coordinates only; every number shown is the exact decimal.

use maud::{html, Markup};
use rust_decimal::prelude::ToPrimitive;

use crate::markets::PricePoint;

const W: f64 = 640.0;
const H: f64 = 180.0;
/// Room for the price labels on the right.
const PAD_RIGHT: f64 = 90.0;
const PAD_Y: f64 = 12.0;

/// The polyline's points for `points` in a `W` x `H` box, oldest at the left.
fn polyline(points: &[PricePoint]) -> String {
    let values: Vec<f64> = points
        .iter()
        .map(|p| p.price.to_f64().unwrap_or(0.0))
        .collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = if values.len() > 1 {
        (W - PAD_RIGHT) / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = i as f64 * step;
            // A flat series sits in the middle rather than on an edge.
            let y = if hi > lo {
                PAD_Y + (hi - v) / span * (H - 2.0 * PAD_Y)
            } else {
                H / 2.0
            };
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A chart of one market's recent prices; `id` names it for the live-price script.
pub fn price_chart(title: &str, points: &[PricePoint]) -> Markup {
    let last = points.last().map(|p| p.price);
    let hi = points.iter().map(|p| p.price).max();
    let lo = points.iter().map(|p| p.price).min();
    html! {
        figure.chart data-testid="price-chart" {
            @if points.len() < 2 {
                p.muted.placeholder { "Waiting for prices of " (title) "…" }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (W) " " (H)}
                    role="img" aria-label={"Price of " (title) " over the last " (points.len()) " seconds"} {
                    line x1="0" y1=(PAD_Y) x2=(W - PAD_RIGHT) y2=(PAD_Y) stroke="currentColor"
                        stroke-opacity="0.15" {}
                    line x1="0" y1=(H - PAD_Y) x2=(W - PAD_RIGHT) y2=(H - PAD_Y)
                        stroke="currentColor" stroke-opacity="0.15" {}
                    polyline points=(polyline(points)) fill="none" stroke="#1f5fbf"
                        stroke-width="2" stroke-linejoin="round" {}
                    @if let Some(hi) = hi {
                        text x=(W - PAD_RIGHT + 6.0) y=(PAD_Y + 4.0) font-size="12"
                            fill="currentColor" { (hi) }
                    }
                    @if let Some(lo) = lo {
                        text x=(W - PAD_RIGHT + 6.0) y=(H - PAD_Y + 4.0) font-size="12"
                            fill="currentColor" { (lo) }
                    }
                }
            }
            figcaption {
                (title) " · last "
                strong.num data-testid="last-price" { (last.map(|p| p.to_string()).unwrap_or_else(|| "—".into())) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn pts(prices: &[i64]) -> Vec<PricePoint> {
        prices
            .iter()
            .enumerate()
            .map(|(i, p)| PricePoint {
                time_ms: i as u64 * 1000,
                price: Decimal::from(*p),
            })
            .collect()
    }

    #[test]
    fn highest_price_is_at_the_top_and_lowest_at_the_bottom() {
        let line = polyline(&pts(&[100, 200, 150]));
        assert_eq!(line, "0.0,168.0 275.0,12.0 550.0,90.0");
        assert_eq!(polyline(&pts(&[5, 5])), "0.0,90.0 550.0,90.0");
    }

    #[test]
    fn chart_shows_exact_extremes_and_last_price() {
        let mut p = pts(&[100, 200]);
        p.push(PricePoint {
            time_ms: 3000,
            price: "150.25".parse().unwrap_or_default(),
        });
        let html = price_chart("BTC/USDT", &p).into_string();
        assert!(html.contains("<polyline"), "{html}");
        assert!(
            html.contains(">200</text>") && html.contains(">100</text>"),
            "{html}"
        );
        assert!(html.contains("150.25"), "{html}");
        assert!(!html.contains("style="), "{html}");
        let empty = price_chart("BTC/USDT", &[]).into_string();
        assert!(empty.contains("Waiting for prices"));
    }
}
