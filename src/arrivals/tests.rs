//! Tests of `arrivals`.

mod rate_and_generator {
    use crate::arrivals::*;
    use crate::kernel::{Stream, stream_rng};
    use crate::time::{HOUR_MS, parse_instant};

    fn model(base: Base, peaks: Vec<Peak>) -> ArrivalModel {
        ArrivalModel {
            base,
            weekday: [1.0; 7],
            holidays: vec![],
            peaks,
            entry_shares: [0.5, 0.3, 0.1, 0.1, 0.0],
            clock: LocalClock::new(parse_instant("2026-11-10T00:00:00+08:00").unwrap()),
        }
    }

    fn count(model: &ArrivalModel, from: SimTime, to: SimTime) -> (usize, [usize; 5]) {
        let mut g = ArrivalGenerator::new(model);
        let (mut a, mut b) = (
            stream_rng(3, 0, Stream::Arrivals),
            stream_rng(3, 0, Stream::Buyers),
        );
        let (mut n, mut per_entry) = (0, [0; 5]);
        while let Some((t, e)) = g.next(&mut a, &mut b, to) {
            if t >= to {
                break;
            }
            if t >= from {
                n += 1;
                per_entry[e as usize] += 1;
            }
        }
        (n, per_entry)
    }

    #[test]
    fn profile_interpolates_and_wraps() {
        let p = Profile::new(vec![(0, 1.0), (12 * HOUR_MS, 3.0)]).unwrap();
        assert_eq!(p.at(6 * HOUR_MS), 2.0);
        assert_eq!(p.at(18 * HOUR_MS), 2.0);
        let single = Profile::new(vec![(9 * HOUR_MS, 2.0)]).unwrap();
        assert_eq!(single.at(0), 2.0);
        assert!(Profile::new(vec![(HOUR_MS, 1.0), (HOUR_MS, 2.0)]).is_err());
    }

    #[test]
    fn counts_match_the_integral_of_the_rate() {
        let profile =
            Profile::new(vec![(0, 0.2), (10 * HOUR_MS, 2.0), (21 * HOUR_MS, 1.5)]).unwrap();
        let peak = Peak {
            name: None,
            start: 20 * HOUR_MS as i64,
            ramp: 600_000,
            hold: HOUR_MS,
            decay: HOUR_MS,
            multiplier: 8.0,
            entry: None,
        };
        let live = Peak {
            name: None,
            start: 14 * HOUR_MS as i64,
            ramp: 0,
            hold: 2 * HOUR_MS,
            decay: 0,
            multiplier: 5.0,
            entry: Some(EntryPoint::Live),
        };
        let m = model(
            Base::Flat {
                rate_per_ms: 3000.0 / HOUR_MS as f64,
                profile: Some(profile),
            },
            vec![peak, live],
        );
        let to = 3 * DAY_MS;
        let expected = m.expected_arrivals(0, to);
        let (n, per_entry) = count(&m, 0, to);
        let z = (n as f64 - expected) / expected.sqrt();
        assert!(z.abs() < 4.0, "n {n} expected {expected} z {z}");
        assert_eq!(
            per_entry[EntryPoint::Other as usize],
            0,
            "share 0 never drawn"
        );
        // During the live peak (14:00-16:00, ×5 on live only) the live share is 0.5 / 1.4.
        let (n, per_entry) = count(&m, 14 * HOUR_MS, 16 * HOUR_MS);
        let live = per_entry[EntryPoint::Live as usize] as f64;
        let p = 0.5 / 1.4;
        let z = (live - n as f64 * p) / (n as f64 * p * (1.0 - p)).sqrt();
        assert!(z.abs() < 4.0, "live {live} of {n}, z {z}");
    }

    #[test]
    fn curve_counts_match() {
        let pts = vec![
            (0, 0.0),
            (HOUR_MS as i64, 100.0 / HOUR_MS as f64),
            (4 * HOUR_MS as i64, 0.0),
        ];
        let m = model(Base::Curve { points: pts }, vec![]);
        let expected = m.expected_arrivals(0, 4 * HOUR_MS);
        assert!((expected - 200.0).abs() < 0.5, "{expected}");
        let mut total = 0;
        for rep in 0..50 {
            let mut g = ArrivalGenerator::new(&m);
            let (mut a, mut b) = (
                stream_rng(9, rep, Stream::Arrivals),
                stream_rng(9, rep, Stream::Buyers),
            );
            while let Some((t, _)) = g.next(&mut a, &mut b, 4 * HOUR_MS) {
                if t < 4 * HOUR_MS {
                    total += 1;
                }
            }
        }
        let z = (total as f64 - 50.0 * expected) / (50.0 * expected).sqrt();
        assert!(z.abs() < 4.0, "total {total} z {z}");
    }
}

mod calendar_tests {
    use crate::arrivals::*;
    use crate::time::{HOUR_MS, parse_date, parse_instant};

    #[test]
    fn weekday_and_holiday_factors_apply_by_local_day() {
        // 2026-11-09 is a Monday; the run's local time is +08:00.
        let clock = LocalClock::new(parse_instant("2026-11-09T00:00:00+08:00").unwrap());
        let mut weekday = [1.0; 7];
        weekday[5] = 2.0; // Saturday
        let m = ArrivalModel {
            base: Base::Flat {
                rate_per_ms: 100.0 / HOUR_MS as f64,
                profile: None,
            },
            weekday,
            holidays: vec![Holiday {
                name: None,
                from_day: parse_date("2026-11-10").unwrap(),
                to_day: parse_date("2026-11-11").unwrap(),
                multiplier: 0.5,
            }],
            peaks: vec![],
            entry_shares: [1.0, 0.0, 0.0, 0.0, 0.0],
            clock,
        };
        let day = |d: u64| m.expected_arrivals(d * DAY_MS, (d + 1) * DAY_MS);
        let per_day: Vec<f64> = (0..7).map(day).map(|x| x.round()).collect();
        assert_eq!(
            per_day,
            vec![2400.0, 1200.0, 1200.0, 2400.0, 2400.0, 4800.0, 2400.0]
        );
        // The thinning generator follows the same factors.
        let mut g = ArrivalGenerator::new(&m);
        let (mut a, mut b) = (
            crate::kernel::stream_rng(4, 0, crate::kernel::Stream::Arrivals),
            crate::kernel::stream_rng(4, 0, crate::kernel::Stream::Buyers),
        );
        let mut counts = [0f64; 7];
        while let Some((t, _)) = g.next(&mut a, &mut b, 7 * DAY_MS) {
            if t < 7 * DAY_MS {
                counts[(t / DAY_MS) as usize] += 1.0;
            }
        }
        for (c, e) in counts.iter().zip(&per_day) {
            assert!(
                ((c - e) / e.sqrt()).abs() < 4.0,
                "{counts:?} vs {per_day:?}"
            );
        }
    }
}

mod bound_tests {
    use crate::arrivals::*;
    use crate::kernel::{Stream, stream_rng};
    use crate::time::{HOUR_MS, parse_instant};
    use rand::RngExt;

    /// Every bucket bound is a true upper and lower bound of λ on the bucket, and a
    /// bucket marked constant really has a constant λ — for random profiles,
    /// weekdays, holidays and short, long, rising and dipping peaks, some
    /// entry-specific.
    #[test]
    fn bucket_bounds_hold_for_random_models() {
        let mut rng = stream_rng(11, 0, Stream::Service);
        let clock = LocalClock::new(parse_instant("2026-11-09T00:00:17.250+08:00").unwrap());
        for _ in 0..40 {
            let n_points = rng.random_range(1..6);
            let mut times: Vec<Millis> =
                (0..n_points).map(|_| rng.random_range(0..DAY_MS)).collect();
            times.sort_unstable();
            times.dedup();
            let profile = Profile::new(
                times
                    .iter()
                    .map(|&t| (t, rng.random_range(0.0..3.0)))
                    .collect(),
            )
            .unwrap();
            let peaks = (0..rng.random_range(0..4))
                .map(|_| Peak {
                    name: None,
                    start: rng.random_range(-(HOUR_MS as i64)..(2 * DAY_MS) as i64),
                    ramp: [0, 30_000, 45 * 60_000][rng.random_range(0..3)],
                    hold: [0, 1, 20 * 60_000][rng.random_range(0..3)],
                    decay: [0, 5_000, HOUR_MS][rng.random_range(0..3)],
                    multiplier: [0.2, 3.0, 100.0][rng.random_range(0..3)],
                    entry: [None, Some(EntryPoint::Live)][rng.random_range(0..2)],
                })
                .collect();
            let mut weekday = [1.0; 7];
            weekday[rng.random_range(0..7)] = rng.random_range(0.0..3.0);
            let m = ArrivalModel {
                base: Base::Flat {
                    rate_per_ms: 1e-3,
                    profile: Some(profile),
                },
                weekday,
                holidays: vec![Holiday {
                    name: None,
                    from_day: clock.day(DAY_MS),
                    to_day: clock.day(DAY_MS),
                    multiplier: 0.5,
                }],
                peaks,
                entry_shares: [0.5, 0.0, 0.0, 0.5, 0.0],
                clock,
            };
            let mut a = 0;
            while a < 3 * DAY_MS {
                let b = a + BUCKET_MS;
                let Bounds {
                    max: bound,
                    min: low,
                    constant,
                } = m.bound(a, b);
                let first = m.rate_per_ms(a as f64);
                for k in 0..=60 {
                    let t = a as f64 + (b - a) as f64 * k as f64 / 60.0
                        - if k == 60 { 1e-3 } else { 0.0 };
                    let rate = m.rate_per_ms(t);
                    assert!(
                        rate <= bound * (1.0 + 1e-12),
                        "λ({t}) = {rate} > bound {bound}"
                    );
                    assert!(
                        rate >= low * (1.0 - 1e-12),
                        "λ({t}) = {rate} < lower bound {low}"
                    );
                    if constant {
                        assert!(
                            (rate - first).abs() <= 1e-12 * first.max(1e-300),
                            "bucket at {a} is not constant"
                        );
                    }
                }
                a = b;
            }
        }
    }

    /// The generator's shortcut (a candidate under the bucket's smallest λ
    /// is accepted without computing λ) decides exactly as computing λ
    /// for every candidate does: the same arrivals, the same entries, the
    /// same draws, for random profiles and decaying, rising and dipping peaks.
    #[test]
    fn sure_acceptance_changes_nothing() {
        let mut rng = stream_rng(12, 0, Stream::Service);
        let clock = LocalClock::new(parse_instant("2026-11-09T00:00:17.250+08:00").unwrap());
        let mut shortcuts = 0;
        for _ in 0..12 {
            let times = [0, rng.random_range(1..DAY_MS / 2), DAY_MS / 2 + 1];
            let profile = Profile::new(
                times
                    .iter()
                    .map(|&t| (t, rng.random_range(0.1..3.0)))
                    .collect(),
            )
            .unwrap();
            let peaks = (0..rng.random_range(1..3))
                .map(|_| Peak {
                    name: None,
                    start: rng.random_range(0..(DAY_MS / 2) as i64),
                    ramp: [0, 30_000, 45 * 60_000][rng.random_range(0..3)],
                    hold: [0, 20 * 60_000][rng.random_range(0..2)],
                    decay: [5_000, HOUR_MS][rng.random_range(0..2)],
                    multiplier: [0.2, 3.0, 15.0][rng.random_range(0..3)],
                    entry: None,
                })
                .collect();
            let m = ArrivalModel {
                base: Base::Flat {
                    rate_per_ms: 2e-3,
                    profile: Some(profile),
                },
                weekday: [1.0; 7],
                holidays: vec![],
                peaks,
                entry_shares: [0.5, 0.2, 0.0, 0.3, 0.0],
                clock,
            };
            let seed = rng.random_range(0..1000);
            let rngs = || {
                (
                    stream_rng(seed, 0, Stream::Arrivals),
                    stream_rng(seed, 0, Stream::Buyers),
                )
            };
            let (mut a, mut b) = rngs();
            let mut fast = ArrivalGenerator::new(&m);
            let (mut ra, mut rb) = rngs();
            let mut exact = ArrivalGenerator::computing_every_rate(&m);
            loop {
                let got = fast.next(&mut a, &mut b, DAY_MS);
                assert_eq!(got, exact.next(&mut ra, &mut rb, DAY_MS));
                if got.is_none() {
                    break;
                }
            }
            shortcuts += fast.shortcuts;
        }
        assert!(
            shortcuts > 10_000,
            "the shortcut was taken {shortcuts} times"
        );
    }
}
