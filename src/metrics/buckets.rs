//! A small fixed log-bucket histogram of first response times, kept per
//! interval so the time series can show FRT percentiles by interval
//! (a full HDR histogram per interval would cost kilobytes each).
//!
//! Resolution: exact to 0.25 s below 2 s, then 8 buckets per octave (each
//! at most 12.5% wide, so the bucket midpoint is within 6.25% of any value
//! in it) up to 2^18 × 0.25 s ≈ 18.2 h. Longer times share one overflow
//! bucket, read as its lower bound.

use crate::time::Millis;

const UNIT_MS: Millis = 250;
const LINEAR: usize = 8;
const FIRST_OCTAVE: u32 = 3;
const LAST_OCTAVE: u32 = 17;
const PER_OCTAVE: usize = 8;
const OVERFLOW: usize = LINEAR + (LAST_OCTAVE - FIRST_OCTAVE + 1) as usize * PER_OCTAVE;

/// Buckets per histogram (the last one is the overflow bucket).
pub const COUNT: usize = OVERFLOW + 1;

/// The bucket holding `ms`.
#[inline]
pub fn of(ms: Millis) -> usize {
    let x = ms / UNIT_MS;
    if x < LINEAR as u64 {
        return x as usize;
    }
    let k = 63 - x.leading_zeros();
    if k > LAST_OCTAVE {
        return OVERFLOW;
    }
    let shift = k - FIRST_OCTAVE;
    LINEAR + shift as usize * PER_OCTAVE + ((x >> shift) as usize & (PER_OCTAVE - 1))
}

/// `[low, high)` of bucket `b`, milliseconds (`high` is `low` for the overflow bucket).
pub fn bounds(b: usize) -> (Millis, Millis) {
    if b < LINEAR {
        return (b as u64 * UNIT_MS, (b as u64 + 1) * UNIT_MS);
    }
    if b >= OVERFLOW {
        let low = (1u64 << (LAST_OCTAVE + 1)) * UNIT_MS;
        return (low, low);
    }
    let shift = ((b - LINEAR) / PER_OCTAVE) as u32;
    let sub = ((b - LINEAR) % PER_OCTAVE) as u64;
    let low = (PER_OCTAVE as u64 + sub) << shift;
    let high = (PER_OCTAVE as u64 + sub + 1) << shift;
    (low * UNIT_MS, high * UNIT_MS)
}

/// The `q` quantile (0 < q ≤ 1) of the times counted in `counts`, in
/// seconds, as the midpoint of the bucket holding the `⌈q·n⌉`-th smallest
/// time; `NaN` when nothing was counted.
pub fn quantile_s(counts: &[u64], q: f64) -> f64 {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return f64::NAN;
    }
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    let mut seen = 0;
    for (b, &c) in counts.iter().enumerate() {
        seen += c;
        if seen >= rank {
            let (low, high) = bounds(b);
            return (low + high) as f64 / 2.0 / 1e3;
        }
    }
    unreachable!("rank ≤ n = the sum of the counts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_its_bucket_and_buckets_tile_the_line() {
        let mut last_high = 0;
        for b in 0..OVERFLOW {
            let (low, high) = bounds(b);
            assert_eq!(
                low,
                last_high,
                "bucket {b} starts where {} ends",
                b.max(1) - 1
            );
            assert!(high > low);
            if b >= LINEAR {
                assert!((high - low) as f64 / low as f64 <= 0.125 + 1e-12);
            }
            assert_eq!(of(low), b);
            assert_eq!(of(high - 1), b);
            last_high = high;
        }
        assert_eq!(of(last_high), OVERFLOW);
        assert_eq!(of(u64::MAX), OVERFLOW);
        assert_eq!(last_high, 65_536_000);
    }

    #[test]
    fn quantiles_are_within_the_stated_resolution() {
        let values: Vec<Millis> = (0..10_000u64).map(|i| i * 37 + 11).collect();
        let mut counts = vec![0u64; COUNT];
        for &v in &values {
            counts[of(v)] += 1;
        }
        for q in [0.01, 0.5, 0.9, 0.99, 1.0] {
            let exact = values[((q * values.len() as f64).ceil() as usize).max(1) - 1] as f64 / 1e3;
            let got = quantile_s(&counts, q);
            assert!(
                (got - exact).abs() <= 0.0625 * exact + 0.125,
                "q {q}: {got} vs {exact}"
            );
        }
        assert!(quantile_s(&[0; COUNT], 0.5).is_nan());
    }
}
