//! Statistical validation against queueing theory (DOMAIN.md §7), with
//! confidence intervals across independent replications and fixed seeds.
//! Each case runs a shipped scenario from `scenarios/validation/` and derives
//! the analytic parameters from the scenario itself.

use kefusim::analytic::QueueFigures;
use kefusim::analytic::chat_ctmc::ChatCtmc;
use kefusim::analytic::erlang::{ErlangA, ErlangC};
use kefusim::arrivals::Base;
use kefusim::engine::run_replication;
use kefusim::metrics::{STATE_FIELDS, chat_col, chat_stride, state_col};
use kefusim::replicate::Summary;
use kefusim::scenario::Scenario;
use kefusim::stats::mean_ci95;

use crate::support::{assert_agrees, load, run};

struct Params {
    lambda_per_s: f64,
    mean_service_s: f64,
    mean_patience_s: Option<f64>,
    agents: u32,
    cap: u32,
}

fn params(sc: &Scenario) -> Params {
    let Base::Flat {
        rate_per_ms,
        profile: None,
    } = &sc.arrivals.base
    else {
        panic!("flat rate expected")
    };
    assert!(
        sc.service
            .duration()
            .unwrap()
            .label()
            .starts_with("exponential")
    );
    if let Some(p) = &sc.buyers.patience {
        assert!(p.label().starts_with("exponential"));
    }
    Params {
        lambda_per_s: rate_per_ms * 1000.0,
        mean_service_s: sc.service.duration().unwrap().mean_ms() / 1000.0,
        mean_patience_s: sc.buyers.patience.as_ref().map(|p| p.mean_ms() / 1000.0),
        agents: sc.agents.len() as u32,
        cap: sc.agents[0].max_concurrent,
    }
}

/// Compares the queue figures every stationary case shares.
fn check_figures(s: &Summary, f: &QueueFigures, sl: impl Fn(f64) -> f64) {
    assert_agrees(s, "p_wait", f.p_wait, 0.01);
    assert_agrees(s, "abandon_rate", f.p_abandon, 0.005);
    assert_agrees(s, "mean_wait_all_s", f.mean_wait_all_s, 1.0);
    assert_agrees(s, "asa_answered_s", f.asa_answered_s, 1.0);
    assert_agrees(s, "occupancy", f.occupancy, 0.01);
    assert_agrees(s, "queue_len_mean", f.mean_queue_length, 0.05);
    for t in [20.0, 60.0, 120.0, 180.0] {
        assert_agrees(
            s,
            &format!("answered_within_{t}s_over_offered"),
            sl(t),
            0.01,
        );
    }
}

#[test]
fn erlang_c_mmc() {
    let sc = load("scenarios/validation/erlang_c.toml");
    let p = params(&sc);
    assert_eq!((p.mean_patience_s, p.cap), (None, 1));
    let exact = ErlangC::new(p.agents, p.lambda_per_s, p.mean_service_s).unwrap();
    // The shipped case is S11 of erlang_reference.json.
    assert!((exact.figures().p_wait - 0.17413193359504975).abs() < 1e-12);
    let s = run(&sc);
    check_figures(&s, &exact.figures(), |t| {
        exact.answered_within_over_offered(t)
    });
}

#[test]
fn erlang_a_mmc_plus_m() {
    let sc = load("scenarios/validation/erlang_a.toml");
    let p = params(&sc);
    let exact = ErlangA::new(
        p.agents,
        p.lambda_per_s,
        p.mean_service_s,
        p.mean_patience_s.unwrap(),
    )
    .unwrap();
    assert!(
        (exact.figures().p_abandon - 0.07189597530385713).abs() < 1e-12,
        "S03 reference"
    );
    let s = run(&sc);
    check_figures(&s, &exact.figures(), |t| {
        exact.answered_within_over_offered(t)
    });
    for t in [20.0, 120.0] {
        assert_agrees(
            &s,
            &format!("answered_within_{t}s_over_answered"),
            exact.answered_within_over_answered(t),
            0.01,
        );
    }
}

#[test]
fn chat_slots_without_slowdown_are_c_times_n_servers() {
    let sc = load("scenarios/validation/chat_slots.toml");
    let p = params(&sc);
    assert!(sc.service.slowdown.is_empty());
    let servers = p.agents * p.cap;
    let exact = ErlangA::new(
        servers,
        p.lambda_per_s,
        p.mean_service_s,
        p.mean_patience_s.unwrap(),
    )
    .unwrap();
    assert!(
        (exact.figures().p_wait - 0.03862817920884146).abs() < 1e-9,
        "C02 reference"
    );
    let s = run(&sc);
    check_figures(&s, &exact.figures(), |t| {
        exact.answered_within_over_offered(t)
    });
}

#[test]
fn chat_concurrency_with_slowdown_matches_the_exact_ctmc() {
    let sc = load("scenarios/validation/chat_slowdown.toml");
    let p = params(&sc);
    let ctmc = ChatCtmc {
        agents: p.agents,
        max_concurrent: p.cap,
        arrival_rate_per_s: p.lambda_per_s,
        mean_service_s: p.mean_service_s,
        slowdown: sc.service.slowdown.clone(),
        mean_patience_s: p.mean_patience_s,
    };
    let exact = ctmc.solve().expect("small CTMC solves");
    let s = run(&sc);
    check_figures(&s, &exact.figures, |t| {
        exact.answered_within_over_offered(t)
    });
    assert_agrees(
        &s,
        "sessions_in_service_mean",
        exact.mean_chats_in_service,
        0.1,
    );
    // Slowdown matters: the same load without it waits far less.
    let no_slowdown = ChatCtmc {
        slowdown: vec![],
        ..ctmc
    }
    .solve()
    .unwrap();
    assert!(exact.figures.p_wait > 2.0 * no_slowdown.figures.p_wait);
}

/// M_t/M/∞ with λ(t) = λ̄(1 + α sin ωt): the number in service has mean
/// m(t) = λ̄/μ + λ̄α(μ sin ωt − ω cos ωt)/(μ² + ω²). Checks the thinning
/// generator (offered per interval against ∫λ) and the time series
/// (time-averaged sessions per interval against the average of m(t)),
/// including the phase lag of the peak behind the arrival peak.
#[test]
fn time_varying_infinite_server_follows_the_sinusoid() {
    let sc = load("scenarios/validation/mt_infinite_server.toml");
    let (lambda_bar, alpha, omega, mu) = (600.0, 0.5, 2.0 * std::f64::consts::PI / 24.0, 0.5); // per hour
    let run = &sc.run;
    let interval_h = run.interval as f64 / 3.6e6;
    let from_h = run.measure_from() as f64 / 3.6e6; // the run starts at local midnight
    let n = run.intervals();
    let reps: Vec<_> = (0..run.replications)
        .map(|r| run_replication(&sc, r).0)
        .collect();
    let stride = chat_stride(sc.sla.thresholds_s.len());
    let (mut z_sessions, mut z_offered) = (Vec::new(), Vec::new());
    let (mut sim_peak, mut exact_peak) = ((0, f64::MIN), (0, f64::MIN));
    for i in 0..n {
        let (a, b) = (
            from_h + i as f64 * interval_h,
            from_h + (i + 1) as f64 * interval_h,
        );
        // ∫ m dt / (b − a) and ∫ λ dt, in closed form.
        let k = lambda_bar * alpha / (mu * mu + omega * omega);
        let prim_m = |t: f64| {
            lambda_bar / mu * t + k * (-(mu / omega) * (omega * t).cos() - (omega * t).sin())
        };
        let m_avg = (prim_m(b) - prim_m(a)) / (b - a);
        let offered =
            lambda_bar * ((b - a) - alpha / omega * ((omega * b).cos() - (omega * a).cos()));
        let sessions: Vec<f64> = reps
            .iter()
            .map(|r| r.state[i * STATE_FIELDS + state_col::SESSIONS] / run.interval as f64)
            .collect();
        let counts: Vec<f64> = reps
            .iter()
            .map(|r| r.chat[i * stride + chat_col::OFFERED])
            .collect();
        let z = |xs: &[f64], exact: f64| {
            let (mean, h) = mean_ci95(xs);
            (mean - exact) / (h.unwrap() / kefusim::stats::t975(xs.len() - 1))
        };
        z_sessions.push(z(&sessions, m_avg));
        z_offered.push(z(&counts, offered));
        let sim_mean = sessions.iter().sum::<f64>() / sessions.len() as f64;
        if sim_mean > sim_peak.1 {
            sim_peak = (i % 24, sim_mean);
        }
        if m_avg > exact_peak.1 {
            exact_peak = (i % 24, m_avg);
        }
    }
    for (name, zs) in [
        ("sessions in service", &z_sessions),
        ("offered", &z_offered),
    ] {
        let max = zs.iter().fold(0.0f64, |m, z| m.max(z.abs()));
        let rms = (zs.iter().map(|z| z * z).sum::<f64>() / zs.len() as f64).sqrt();
        eprintln!(
            "M_t/M/inf {name}: {} intervals, max |z| {max:.2}, rms z {rms:.2}",
            zs.len()
        );
        // 48 intervals: 4.5 keeps the family-wise false alarm rate near 1%.
        assert!(
            max < 4.5,
            "{name}: an interval is {max:.1} standard errors off the closed form"
        );
        assert!(
            (0.5..1.6).contains(&rms),
            "{name}: rms z {rms:.2} (should be about 1)"
        );
    }
    // The peak of the load lags the arrival peak (06:00) by atan(ω/μ)/ω ≈ 1.8 h.
    assert_eq!(exact_peak.0, 7);
    assert!(
        sim_peak.0.abs_diff(exact_peak.0) <= 1,
        "simulated peak at {}h, exact {}h",
        sim_peak.0,
        exact_peak.0
    );
}
