//! Probability distributions of durations (service, patience, first reply).
//!
//! Users give parameters the way they think of them (a mean and a standard
//! deviation, as durations); [`Distribution::new`] converts them to the
//! natural parameters once, and [`Distribution::sample_ms`] draws a value in
//! milliseconds as `f64` (callers round when they need integer time).

use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal, Open01};

use crate::time::{Millis, format_duration};

/// Largest value a draw returns: 100 years in milliseconds.
pub const MAX_SAMPLE_MS: f64 = 100.0 * 365.25 * 86_400_000.0;

/// A validated distribution of non-negative durations.

#[derive(Debug, Clone)]
pub struct Distribution {
    kind: Kind,
    /// The user-facing description, e.g. `exponential(mean 5m)`.
    label: String,
    mean_ms: f64,
}

#[derive(Debug, Clone)]
enum Kind {
    Exponential { mean_ms: f64 },
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Constant { ms: f64 },
    Uniform { min_ms: f64, width_ms: f64 },
    Empirical { samples_ms: Vec<f64> },
}

/// The distribution families a scenario may name, with their parameters in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: Millis,
    },
    /// Lognormal with the given mean and standard deviation (of the duration itself).
    LogNormal {
        /// Mean.
        mean: Millis,
        /// Standard deviation.
        sd: Millis,
    },
    /// Gamma with the given mean and standard deviation.
    Gamma {
        /// Mean.
        mean: Millis,
        /// Standard deviation.
        sd: Millis,
    },
    /// Always the same value.
    Constant {
        /// The value.
        value: Millis,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Lower end.
        min: Millis,
        /// Upper end.
        max: Millis,
    },
    /// Resampling (uniformly, with replacement) from a list of observed values.
    Empirical {
        /// The observed values.
        samples: Vec<Millis>,
    },
}

impl Distribution {
    /// Builds a distribution, checking its parameters.
    pub fn new(spec: Spec) -> Result<Self, String> {
        let d = |ms: Millis| format_duration(ms);
        let (kind, label, mean_ms) = match spec {
            Spec::Exponential { mean } => {
                positive("mean", mean)?;
                let m = mean as f64;
                (
                    Kind::Exponential { mean_ms: m },
                    format!("exponential(mean {})", d(mean)),
                    m,
                )
            }
            Spec::LogNormal { mean, sd } => {
                positive("mean", mean)?;
                positive("sd", sd)?;
                let (m, s) = (mean as f64, sd as f64);
                let sigma2 = (1.0 + (s / m).powi(2)).ln();
                let mu = m.ln() - sigma2 / 2.0;
                let dist =
                    LogNormal::new(mu, sigma2.sqrt()).map_err(|e| format!("lognormal: {e}"))?;
                (
                    Kind::LogNormal(dist),
                    format!("lognormal(mean {}, sd {})", d(mean), d(sd)),
                    m,
                )
            }
            Spec::Gamma { mean, sd } => {
                positive("mean", mean)?;
                positive("sd", sd)?;
                let (m, s) = (mean as f64, sd as f64);
                let dist =
                    Gamma::new((m / s).powi(2), s * s / m).map_err(|e| format!("gamma: {e}"))?;
                (
                    Kind::Gamma(dist),
                    format!("gamma(mean {}, sd {})", d(mean), d(sd)),
                    m,
                )
            }
            Spec::Constant { value } => (
                Kind::Constant { ms: value as f64 },
                format!("constant({})", d(value)),
                value as f64,
            ),
            Spec::Uniform { min, max } => {
                if max < min {
                    return Err(format!(
                        "uniform needs min <= max, got min {} > max {}",
                        d(min),
                        d(max)
                    ));
                }
                let kind = Kind::Uniform {
                    min_ms: min as f64,
                    width_ms: (max - min) as f64,
                };
                (
                    kind,
                    format!("uniform({}..{})", d(min), d(max)),
                    (min + max) as f64 / 2.0,
                )
            }
            Spec::Empirical { samples } => {
                if samples.is_empty() {
                    return Err("empirical needs at least one sample".to_string());
                }
                let samples_ms: Vec<f64> = samples.iter().map(|&s| s as f64).collect();
                let mean = samples_ms.iter().sum::<f64>() / samples_ms.len() as f64;
                let label = format!(
                    "empirical({} samples, mean {})",
                    samples.len(),
                    d(mean.round() as Millis)
                );
                (Kind::Empirical { samples_ms }, label, mean)
            }
        };
        Ok(Self {
            kind,
            label,
            mean_ms,
        })
    }

    /// Draws one value in milliseconds: non-negative, finite, at most
    /// [`MAX_SAMPLE_MS`] (100 years; only extreme tails are ever cut).
    #[inline]
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_raw(rng).min(MAX_SAMPLE_MS)
    }

    #[inline]
    fn sample_raw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Exponential { mean_ms } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_ms
            }
            Kind::LogNormal(dist) => dist.sample(rng),
            Kind::Gamma(dist) => dist.sample(rng),
            Kind::Constant { ms } => *ms,
            Kind::Uniform { min_ms, width_ms } => {
                let u: f64 = Open01.sample(rng);
                min_ms + u * width_ms
            }
            Kind::Empirical { samples_ms } => {
                let u: f64 = Open01.sample(rng);
                let i = ((u * samples_ms.len() as f64) as usize).min(samples_ms.len() - 1);
                samples_ms[i]
            }
        }
    }

    /// The mean in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        self.mean_ms
    }

    /// A short description such as `exponential(mean 5m)`.
    pub fn label(&self) -> &str {
        &self.label
    }
}

fn positive(name: &str, value: Millis) -> Result<(), String> {
    if value == 0 {
        return Err(format!("`{name}` must be greater than 0"));
    }
    Ok(())
}

/// A distribution of counts ≥ 1 (rounds per chat, messages per round).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count {
    /// Always `n`.
    Constant(u32),
    /// Uniform over `min..=max`.
    Uniform {
        /// Smallest.
        min: u32,
        /// Largest.
        max: u32,
    },
    /// Geometric on 1, 2, 3, … with the given mean (≥ 1): each further
    /// item follows with probability `1 − 1/mean`.
    Geometric {
        /// Mean.
        mean: f64,
        /// `ln(1 − 1/mean)` (from [`Count::geometric`]; computed once, not per draw).
        ln_continue: f64,
    },
}

/// Largest count a draw returns.
pub const MAX_COUNT: u32 = 1_000;

impl Count {
    /// Geometric on 1, 2, 3, … with the given mean (≥ 1).
    pub fn geometric(mean: f64) -> Self {
        Count::Geometric {
            mean,
            ln_continue: (1.0 - 1.0 / mean).ln(),
        }
    }

    /// Draws one count in `1..=MAX_COUNT`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match *self {
            Count::Constant(n) => n,
            Count::Uniform { min, max } => {
                let u: f64 = Open01.sample(rng);
                (min + (u * f64::from(max - min + 1)) as u32).min(max)
            }
            Count::Geometric { mean, ln_continue } => {
                if mean <= 1.0 {
                    return 1;
                }
                let u: f64 = Open01.sample(rng);
                let k = 1.0 + (u.ln() / ln_continue).floor();
                (k.min(f64::from(MAX_COUNT))) as u32
            }
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Count::Constant(n) => f64::from(n),
            Count::Uniform { min, max } => f64::from(min + max) / 2.0,
            Count::Geometric { mean, .. } => mean,
        }
    }

    /// A short description such as `geometric(mean 4)`.
    pub fn label(&self) -> String {
        match *self {
            Count::Constant(n) => format!("{n}"),
            Count::Uniform { min, max } => format!("uniform({min}..={max})"),
            Count::Geometric { mean, .. } => format!("geometric(mean {mean})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_their_means() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
        for c in [
            Count::Constant(3),
            Count::Uniform { min: 1, max: 6 },
            Count::geometric(4.0),
        ] {
            let n = 200_000;
            let draws: Vec<u32> = (0..n).map(|_| c.sample(&mut rng)).collect();
            assert!(draws.iter().all(|&k| k >= 1));
            let mean = draws.iter().map(|&k| f64::from(k)).sum::<f64>() / n as f64;
            assert!((mean - c.mean()).abs() < 0.03, "{c:?}: {mean}");
        }
    }
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn moments(spec: Spec, n: usize) -> (f64, f64) {
        let dist = Distribution::new(spec).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| dist.sample_ms(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn user_parameters_give_the_moments_asked_for() {
        let n = 400_000;
        let (m, s) = moments(Spec::Exponential { mean: 60_000 }, n);
        assert!(
            (m / 60_000.0 - 1.0).abs() < 0.01 && (s / 60_000.0 - 1.0).abs() < 0.01,
            "{m} {s}"
        );
        let (m, s) = moments(
            Spec::LogNormal {
                mean: 300_000,
                sd: 200_000,
            },
            n,
        );
        assert!(
            (m / 300_000.0 - 1.0).abs() < 0.01 && (s / 200_000.0 - 1.0).abs() < 0.03,
            "{m} {s}"
        );
        let (m, s) = moments(
            Spec::Gamma {
                mean: 300_000,
                sd: 100_000,
            },
            n,
        );
        assert!(
            (m / 300_000.0 - 1.0).abs() < 0.01 && (s / 100_000.0 - 1.0).abs() < 0.01,
            "{m} {s}"
        );
        let (m, _) = moments(
            Spec::Uniform {
                min: 1_000,
                max: 3_000,
            },
            n,
        );
        assert!((m / 2_000.0 - 1.0).abs() < 0.01);
        let (m, _) = moments(
            Spec::Empirical {
                samples: vec![1_000, 2_000, 6_000],
            },
            n,
        );
        assert!((m / 3_000.0 - 1.0).abs() < 0.01);
        assert_eq!(moments(Spec::Constant { value: 5 }, 10), (5.0, 0.0));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Distribution::new(Spec::Exponential { mean: 0 }).is_err());
        assert!(Distribution::new(Spec::Gamma { mean: 10, sd: 0 }).is_err());
        assert!(Distribution::new(Spec::Uniform { min: 5, max: 4 }).is_err());
        assert!(Distribution::new(Spec::Empirical { samples: vec![] }).is_err());
    }
}
