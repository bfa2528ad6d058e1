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

#[cfg(test)]
mod tests {
    use super::*;

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
}
