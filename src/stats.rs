//! Small statistics helpers: means and Student-t confidence intervals across replications.

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (Cornish–Fisher beyond 30).
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Running mean and variance of independent observations (Welford), in the
/// order they are pushed; `NaN` observations (undefined in that replication) are left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Welford {
    n: u32,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds one observation.
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / f64::from(self.n);
        self.m2 += delta * (x - self.mean);
    }

    /// Mean (`NaN` with no observation) and 95% Student-t half-width (`None` with fewer than two).
    pub fn mean_ci95(&self) -> (f64, Option<f64>) {
        match self.n {
            0 => (f64::NAN, None),
            1 => (self.mean, None),
            n => {
                let var = (self.m2 / f64::from(n - 1)).max(0.0);
                (
                    self.mean,
                    Some(t975(n as usize - 1) * (var / f64::from(n)).sqrt()),
                )
            }
        }
    }
}

/// Mean and 95% confidence half-width of independent observations (see [`Welford`]).
pub fn mean_ci95(xs: &[f64]) -> (f64, Option<f64>) {
    let mut w = Welford::default();
    for &x in xs {
        w.push(x);
    }
    w.mean_ci95()
}

/// Upper tail `P(T > t)` of Student's t with `df > 0` degrees of freedom
/// (not necessarily whole: Welch's test has fractional ones), through the
/// regularised incomplete beta function. `NaN` in, `NaN` out.
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    let tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 { tail } else { 1.0 - tail }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (bisection
/// on [`t_sf`]; `p` in (0, 1)).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (-1e3_f64, 1e3_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 1.0 - t_sf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; ~15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function `I_x(a, b)` (continued fraction,
/// modified Lentz; Numerical Recipes §6.4).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    // One step of Lentz's method with coefficient `aa`: its factor of `h`.
    let mut step = |aa: f64| {
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        d * c
    };
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)));
        let del = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `x` rounded to 12 significant digits: a number as written, without the
/// float noise of a sum or a division (132.67099999999996 reads 132.671,
/// `99.99%` reads 0.9999).
pub fn sig12(x: f64) -> f64 {
    if x.is_finite() {
        format!("{x:.11e}").parse().unwrap_or(x)
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_significant_digits_drop_float_noise() {
        assert_eq!(format!("{}", sig12(132.67099999999996)), "132.671");
        assert_eq!(format!("{}", sig12(0.1 + 0.2)), "0.3");
        assert_eq!(format!("{}", sig12(99.99 / 100.0)), "0.9999");
        assert_eq!(sig12(1.234_567_890_123_4e-7), 1.234_567_890_12e-7);
        assert!(sig12(f64::NAN).is_nan());
        assert_eq!(sig12(0.0), 0.0);
    }

    #[test]
    fn confidence_interval() {
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(m, 2.0);
        assert!((h.unwrap() - 4.303 * (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let (m, h) = mean_ci95(&[f64::NAN]);
        assert!(m.is_nan() && h.is_none());

        let (m, h) = mean_ci95(&[7.0; 5]);
        assert_eq!((m, h), (7.0, Some(0.0)));
        assert_eq!(mean_ci95(&[5.0]), (5.0, None));
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        assert!((t975(31) - 2.0395).abs() < 1e-3);
    }

    #[test]
    fn student_t_tails_and_quantiles() {
        // Cauchy (df 1) and df 2 have closed forms.
        assert!((t_sf(1.0, 1.0) - 0.25).abs() < 1e-12);
        let df2 = |t: f64| 0.5 - t / (2.0 * (2.0 + t * t).sqrt());
        for t in [-3.0, -0.5, 0.0, 0.7, 2.0, 10.0] {
            assert!((t_sf(t, 2.0) - df2(t)).abs() < 1e-12, "{t}");
        }
        // The table's 97.5% points.
        for df in [3usize, 9, 20, 30] {
            assert!((t_sf(t975(df), df as f64) - 0.025).abs() < 2e-5, "{df}");
            assert!(
                (t_quantile(0.975, df as f64) - t975(df)).abs() < 2e-3,
                "{df}"
            );
        }
        assert!((t_sf(1.959_963_984_540_054, 1e7) - 0.025).abs() < 1e-6);
        assert_eq!(t_sf(f64::INFINITY, 4.0), 0.0);
        assert!(t_sf(f64::NAN, 4.0).is_nan() && t_sf(1.0, 0.0).is_nan());
    }
}
