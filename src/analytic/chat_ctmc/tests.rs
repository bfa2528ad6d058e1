//! Tests of `analytic::chat_ctmc`.
use super::super::erlang::{ErlangA, ErlangC};
use super::*;

/// Asserts `|actual − expected| ≤ tol · max(|expected|, 1e-3)`.
fn check_tol(what: &str, actual: f64, expected: f64, tol: f64) {
    let rel = (actual - expected).abs() / expected.abs().max(1e-3);
    println!("{what:<45} {actual:<22} {expected:<22} rel {rel:.2e}");
    assert!(rel <= tol, "{what}: got {actual}, expected {expected}");
}

fn check(what: &str, actual: f64, expected: f64) {
    check_tol(what, actual, expected, 1e-9);
}

fn model(agents: u32, n: u32, lambda: f64, aht: f64, patience: Option<f64>) -> ChatCtmc {
    ChatCtmc {
        agents,
        max_concurrent: n,
        arrival_rate_per_s: lambda,
        mean_service_s: aht,
        slowdown: Vec::new(),
        mean_patience_s: patience,
    }
}

#[test]
fn c02_matches_reference() {
    let s = model(3, 3, 0.0125, 360.0, Some(240.0)).solve().unwrap();
    let f = s.figures;
    assert_eq!(s.histogram_states, 20);
    check("C02 p_wait", f.p_wait, 0.03862817920884146);
    check("C02 p_abandon", f.p_abandon, 0.007779622258938827);
    check("C02 mean_wait_all_s", f.mean_wait_all_s, 1.8671093421453184);
    check(
        "C02 mean_queue_length",
        f.mean_queue_length,
        0.023338866776816482,
    );
    check("C02 throughput", s.throughput_per_s, 0.012402754721763295);
    check(
        "C02 mean_chats_in_service",
        s.mean_chats_in_service,
        4.464991699834787,
    );
    let time_in_service = s.mean_chats_in_service / s.throughput_per_s;
    check(
        "C02 mean_time_in_service_s",
        time_in_service,
        360.00000000000006,
    );
    check(
        "C02 mean_chats_per_agent",
        s.mean_chats_in_service / 3.0,
        1.4883305666115956,
    );
    check(
        "C02 agents with >= 1 chat",
        1.0 - s.level_fractions[0],
        0.8837752883865476,
    );
    check("C02 occupancy", f.occupancy, 1.4883305666115956 / 3.0);
    let fractions = [
        0.11622471161345287,
        0.39901831452316583,
        0.3649586695017144,
        0.119798304361667,
    ];
    for (k, (&got, want)) in s.level_fractions.iter().zip(fractions).enumerate() {
        check(&format!("C02 level fraction {k}"), got, want);
    }
    let sl = [
        (
            20.0,
            [0.9712074738168689, 0.9738749039799589, 0.9788223418954252],
        ),
        (
            120.0,
            [0.9897108034029468, 0.9969576719731571, 0.9974707490448566],
        ),
    ];
    for (t, [over_offered, le_t, over_answered]) in sl {
        check(
            &format!("C02 ans/offered {t}"),
            s.answered_within_over_offered(t),
            over_offered,
        );
        check(&format!("C02 p_wait_le_t {t}"), s.p_wait_le_t(t), le_t);
        let got = s.answered_within_over_answered(t);
        check(&format!("C02 ans/answered {t}"), got, over_answered);
    }
    let ea = ErlangA::new(9, 0.0125, 360.0, 240.0).unwrap().figures();
    check(
        "C02 asa vs Erlang A(9)",
        f.asa_answered_s,
        ea.asa_answered_s,
    );
}

/// Without slowdown, chat slots are `c·N` Erlang-A servers.
#[test]
fn no_slowdown_equals_erlang_a_with_c_times_n_servers() {
    for (c, n, lambda, aht, patience) in [
        (4, 2, 0.03, 200.0, 100.0),
        (2, 4, 0.05, 120.0, 60.0),
        (5, 3, 0.02, 600.0, 300.0),
        (1, 1, 0.01, 100.0, 50.0),
    ] {
        let s = model(c, n, lambda, aht, Some(patience)).solve().unwrap();
        let e = ErlangA::new(c * n, lambda, aht, patience).unwrap();
        let (fs, fe) = (s.figures, e.figures());
        let id = format!("c{c} N{n}");
        check(&format!("{id} p_wait"), fs.p_wait, fe.p_wait);
        check(&format!("{id} p_abandon"), fs.p_abandon, fe.p_abandon);
        check(
            &format!("{id} mean_wait_all"),
            fs.mean_wait_all_s,
            fe.mean_wait_all_s,
        );
        check(&format!("{id} asa"), fs.asa_answered_s, fe.asa_answered_s);
        check(
            &format!("{id} Lq"),
            fs.mean_queue_length,
            fe.mean_queue_length,
        );
        check(&format!("{id} occupancy"), fs.occupancy, fe.occupancy);
        for t in [20.0, 120.0] {
            let (a, b) = (
                s.answered_within_over_offered(t),
                e.answered_within_over_offered(t),
            );
            check(&format!("{id} SL {t}"), a, b);
            check(
                &format!("{id} p_wait_le_t {t}"),
                s.p_wait_le_t(t),
                e.p_wait_le_t(t),
            );
        }
    }
}

/// Without slowdown and patience, chat slots are `c·N` Erlang-C servers.
#[test]
fn no_slowdown_no_patience_equals_erlang_c() {
    for (c, n, lambda, aht) in [(3, 2, 0.02, 240.0), (4, 3, 0.03, 360.0)] {
        let s = model(c, n, lambda, aht, None).solve().unwrap();
        let e = ErlangC::new(c * n, lambda, aht).unwrap();
        let (fs, fe) = (s.figures, e.figures());
        let id = format!("c{c} N{n} no patience");
        check(&format!("{id} p_wait"), fs.p_wait, fe.p_wait);
        assert_eq!(fs.p_abandon, 0.0);
        check(
            &format!("{id} mean_wait_all"),
            fs.mean_wait_all_s,
            fe.mean_wait_all_s,
        );
        check(&format!("{id} asa"), fs.asa_answered_s, fe.asa_answered_s);
        check(&format!("{id} occupancy"), fs.occupancy, fe.occupancy);
        for t in [20.0, 120.0] {
            let (a, b) = (
                s.answered_within_over_offered(t),
                e.answered_within_over_offered(t),
            );
            check(&format!("{id} SL {t}"), a, b);
        }
    }
}

#[test]
fn slowdown_raises_p_wait_and_balances_flow() {
    for patience in [Some(240.0), None] {
        let base = model(3, 3, 0.0125, 360.0, patience);
        let slow = ChatCtmc {
            slowdown: vec![1.0, 1.25, 1.67],
            ..base.clone()
        };
        let (b, s) = (base.solve().unwrap(), slow.solve().unwrap());
        assert!(s.figures.p_wait > b.figures.p_wait, "{s:?} vs {b:?}");
        let carried = 0.0125 * (1.0 - s.figures.p_abandon);
        check_tol("slowdown flow balance", s.throughput_per_s, carried, 1e-12);
        let mu = slow.rates();
        let by_fractions: f64 = (0..=3)
            .map(|k| 3.0 * s.level_fractions[k] * k as f64 * mu[k])
            .sum();
        check_tol(
            "slowdown throughput by fractions",
            by_fractions,
            carried,
            1e-12,
        );
        check_tol("fractions sum", s.level_fractions.iter().sum(), 1.0, 1e-13);
        let sl = s.answered_within_over_offered(1e9);
        check_tol("SL(inf) = 1 - P(Ab)", sl, 1.0 - s.figures.p_abandon, 1e-12);
    }
    // A repeated last multiplier is the same as spelling it out.
    let short = ChatCtmc {
        slowdown: vec![1.0, 1.3],
        ..model(2, 4, 0.02, 300.0, Some(120.0))
    };
    let long = ChatCtmc {
        slowdown: vec![1.0, 1.3, 1.3, 1.3, 9.0],
        ..short.clone()
    };
    assert_eq!(short.solve().unwrap(), long.solve().unwrap());
}

#[test]
fn medium_model_is_consistent() {
    let m = ChatCtmc {
        slowdown: vec![1.0, 1.1, 1.25, 1.45, 1.7],
        ..model(10, 5, 0.12, 400.0, Some(90.0))
    };
    let s = m.solve().unwrap();
    assert_eq!(s.histogram_states, 3003);
    let carried = 0.12 * (1.0 - s.figures.p_abandon);
    check_tol("c10 N5 flow balance", s.throughput_per_s, carried, 1e-11);
    check_tol(
        "c10 N5 fractions sum",
        s.level_fractions.iter().sum(),
        1.0,
        1e-12,
    );
    assert!(s.level_fractions.iter().all(|&f| (0.0..=1.0).contains(&f)));
}

#[test]
fn errors() {
    let big = model(100, 5, 0.1, 300.0, Some(60.0)).solve();
    assert!(matches!(big, Err(CtmcError::TooLarge { .. })), "{big:?}");
    let unstable = model(2, 2, 0.04, 100.0, None).solve();
    assert!(
        matches!(unstable, Err(CtmcError::Unstable { .. })),
        "{unstable:?}"
    );
    let invalid = [
        model(0, 2, 0.01, 100.0, None),
        model(2, 0, 0.01, 100.0, None),
        model(2, 2, -0.01, 100.0, None),
        model(2, 2, 0.01, 0.0, None),
        model(2, 2, 0.01, 100.0, Some(0.0)),
        ChatCtmc {
            slowdown: vec![1.0, f64::NAN],
            ..model(2, 2, 0.01, 100.0, None)
        },
    ];
    for m in invalid {
        let e = m.solve().unwrap_err();
        assert!(matches!(e, CtmcError::InvalidParameter(_)));
        assert!(!e.to_string().is_empty());
    }
    let idle = model(2, 2, 0.0, 100.0, None).solve().unwrap();
    assert_eq!(idle.level_fractions, vec![1.0, 0.0, 0.0]);
    assert_eq!(idle.figures.p_wait, 0.0);
    assert_eq!(binomial(6, 3), 20);
    assert_eq!(binomial(105, 5), 96_560_646);
}
