//! Decimal add, subtract and multiply with an integer fast path.
//!
//! The engine's amounts share a few scales (a market's price and quantity scales), so most
//! operations combine two decimals whose 96-bit mantissas fit an i128 product or sum at a
//! scale Decimal would keep anyway: then the result is that integer at that scale, which is
//! exactly what `rust_decimal` returns, for a fraction of its general path (~90 instructions
//! per `+=` in profiles of the matching bench). Anything else (different scales, overflow
//! past 96 bits, a product scale past 28) takes Decimal's own operator, so results are
//! identical in every case; the tests compare both on random and edge values.

use rust_decimal::Decimal;

/// `a + b`.
#[inline(always)]
pub(crate) fn add(a: Decimal, b: Decimal) -> Decimal {
    // Adding zero gives the other operand as is, as Decimal does.
    if b.is_zero() {
        return a;
    }
    if a.is_zero() {
        return b;
    }
    if a.scale() == b.scale() {
        if let Ok(d) = Decimal::try_from_i128_with_scale(a.mantissa() + b.mantissa(), a.scale()) {
            return d;
        }
    } else if let Some(d) = cross_scale(a, b, false) {
        return d;
    }
    a + b
}

/// `a ± b` for nonzero operands of different scales: Decimal aligns both at the larger scale
/// and keeps it when the result fits 96 bits; so does this, in i128 (a balance at scale 8
/// plus an amount at scale 7 is the common case). `None` when anything would not fit.
#[inline(never)]
fn cross_scale(a: Decimal, b: Decimal, negate_b: bool) -> Option<Decimal> {
    use super::book::POW10;
    let (sa, sb) = (a.scale(), b.scale());
    let (mut ma, mut mb) = (a.mantissa(), b.mantissa());
    if sa < sb {
        ma = ma.checked_mul(*POW10.get((sb - sa) as usize)?)?;
    } else {
        mb = mb.checked_mul(*POW10.get((sa - sb) as usize)?)?;
    }
    let r = if negate_b {
        ma.checked_sub(mb)?
    } else {
        ma.checked_add(mb)?
    };
    Decimal::try_from_i128_with_scale(r, sa.max(sb)).ok()
}

/// `a − b`.
#[inline(always)]
pub(crate) fn sub(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        return a;
    }
    if a.scale() == b.scale() {
        if let Ok(d) = Decimal::try_from_i128_with_scale(a.mantissa() - b.mantissa(), a.scale()) {
            return d;
        }
    } else if !a.is_zero() {
        // (0 − b is Decimal's own −b, at b's scale: left to Decimal.)
        if let Some(d) = cross_scale(a, b, true) {
            return d;
        }
    }
    a - b
}

/// `a × b`.
#[inline(always)]
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    // A zero product is Decimal's plain 0 (scale 0): left to Decimal.
    if let Some(m) = a.mantissa().checked_mul(b.mantissa()).filter(|m| *m != 0) {
        if let Ok(d) = Decimal::try_from_i128_with_scale(m, a.scale() + b.scale()) {
            return d;
        }
    }
    a * b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Same value and same scale (the sign of a zero aside: both print as zero).
    fn same(x: Decimal, y: Decimal) -> bool {
        x == y
            && x.scale() == y.scale()
            && (x.is_zero() || x.is_sign_negative() == y.is_sign_negative())
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            // Engine-like amounts: small mantissas, a few scales.
            (-10_000_000_000i64..10_000_000_000, 0u32..9).prop_map(|(m, s)| Decimal::new(m, s)),
            // Anything Decimal holds, edges included.
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<bool>(),
                0u32..=28
            )
                .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
            Just(Decimal::MAX),
            Just(Decimal::MIN),
            Just(Decimal::ZERO),
        ]
    }

    proptest! {
        #[test]
        fn fast_paths_equal_decimal_ops(a in decimal(), b in decimal()) {
            if let Some(r) = a.checked_add(b) {
                prop_assert!(same(add(a, b), r), "{a} + {b}: {} vs {r}", add(a, b));
            }
            if let Some(r) = a.checked_sub(b) {
                prop_assert!(same(sub(a, b), r), "{a} - {b}: {} vs {r}", sub(a, b));
            }
            if let Some(r) = a.checked_mul(b) {
                prop_assert!(same(mul(a, b), r), "{a} * {b}: {} vs {r}", mul(a, b));
            }
        }
    }

    proptest! {
        #[test]
        fn same_scale_edges(a in any::<i128>(), b in any::<i128>(), s in 0u32..=28) {
            // Mantissas up to and past the 96-bit limit, at one scale.
            let (a, b) = (a >> 31, b >> 31);
            if let (Ok(x), Ok(y)) = (
                Decimal::try_from_i128_with_scale(a, s),
                Decimal::try_from_i128_with_scale(b, s),
            ) {
                if let Some(r) = x.checked_add(y) {
                    prop_assert!(same(add(x, y), r), "{x} + {y}");
                }
                if let Some(r) = x.checked_sub(y) {
                    prop_assert!(same(sub(x, y), r), "{x} - {y}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn cross_scale_equals_decimal(
            a in -10_000_000_000_000i64..10_000_000_000_000,
            b in -10_000_000_000_000i64..10_000_000_000_000,
            sa in 0u32..=28,
            sb in 0u32..=28,
        ) {
            let (x, y) = (Decimal::new(a, sa), Decimal::new(b, sb));
            if let Some(r) = x.checked_add(y) {
                prop_assert!(same(add(x, y), r), "{x} + {y}: {} vs {r}", add(x, y));
            }
            if let Some(r) = x.checked_sub(y) {
                prop_assert!(same(sub(x, y), r), "{x} - {y}: {} vs {r}", sub(x, y));
            }
        }
    }

    #[test]
    fn known_answers() {
        use rust_decimal_macros::dec;
        assert!(same(add(dec!(0.10), dec!(0.25)), dec!(0.35)));
        assert!(same(sub(dec!(0.10), dec!(0.25)), dec!(-0.15)));
        assert!(same(add(dec!(1.5), dec!(0.25)), dec!(1.75)));
        assert!(same(mul(dec!(50000.01), dec!(0.0002)), dec!(10.000002)));
        assert!(same(mul(dec!(-2.0), dec!(3.00)), dec!(-6.000)));
        assert!(same(sub(dec!(5.00), dec!(5.00)), dec!(0.00)));
        assert!(same(
            add(dec!(1000000000000), dec!(0.0000002)),
            dec!(1000000000000.0000002)
        ));
        assert!(same(sub(dec!(10.5), dec!(0.0000002)), dec!(10.4999998)));
        assert!(same(sub(dec!(0.25), dec!(1)), dec!(-0.75)));
    }
}
