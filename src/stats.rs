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

/// Mean and 95% confidence half-width of independent observations.
///
/// `NaN` observations (undefined in that replication) are left out. The
/// half-width is `None` with fewer than two observations.
pub fn mean_ci95(xs: &[f64]) -> (f64, Option<f64>) {
    let v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return (f64::NAN, None);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, None);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, Some(t975(v.len() - 1) * (var / n).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval() {
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(m, 2.0);
        assert!((h.unwrap() - 4.303 * (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_ci95(&[5.0]), (5.0, None));
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        assert!((t975(31) - 2.0395).abs() < 1e-3);
    }
}
