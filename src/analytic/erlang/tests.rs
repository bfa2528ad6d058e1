//! Tests of `analytic::erlang`.
use super::*;

/// Asserts `|actual − expected| ≤ 1e-9 · max(|expected|, 1e-3)`
/// (relative 1e-9, or absolute 1e-12 for tiny values).
fn check(what: &str, actual: f64, expected: f64) {
    let err = (actual - expected).abs();
    let rel = err / expected.abs().max(1e-3);
    println!("{what:<50} {actual:<22} {expected:<22} rel {rel:.2e}");
    assert!(rel <= 1e-9, "{what}: got {actual}, expected {expected}");
}

/// One stationary case of erlang_reference.json.
struct Case {
    id: &'static str,
    lambda: f64,
    aht: f64,
    agents: u32,
    patience: f64,
    c: CExpected,
    a: AExpected,
}

struct CExpected {
    p_wait: f64,
    mean_wait_all_s: f64,
    mean_queue_length: f64,
    occupancy: f64,
    sl_20: f64,
    sl_120: f64,
}

struct AExpected {
    p_wait: f64,
    p_abandon: f64,
    mean_wait_all_s: f64,
    mean_queue_length: f64,
    occupancy: f64,
    asa_answered_s: f64,
    mean_wait_abandoned_s: f64,
    /// answered/offered, p_wait_le_t, answered/answered, offered cdf
    sl_20: [f64; 4],
    sl_120: [f64; 4],
    p_wait_patience_1e4_aht: f64,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            id: "S01_c2_rho050",
            lambda: 0.0033333333333333335,
            aht: 300.0,
            agents: 2,
            patience: 180.0,
            c: CExpected {
                p_wait: 0.3333333333333333,
                mean_wait_all_s: 100.0,
                mean_queue_length: 0.3333333333333333,
                occupancy: 0.5,
                sl_20: 0.6881643383227941,
                sl_120: 0.7765599846547869,
            },
            a: AExpected {
                p_wait: 0.24982661233993253,
                p_abandon: 0.1252600814901012,
                mean_wait_all_s: 22.546814668218218,
                mean_queue_length: 0.07515604889406073,
                occupancy: 0.43736995925494937,
                asa_answered_s: 13.249714780189667,
                mean_wait_abandoned_s: 87.47208297147382,
                sl_20: [
                    0.7730562188894452,
                    0.7980663693180238,
                    0.8837555055293811,
                    0.7743353170926145,
                ],
                sl_120: [
                    0.8398608976418831,
                    0.9331129153522684,
                    0.9601264099991785,
                    0.8697217483247076,
                ],
                p_wait_patience_1e4_aht: 0.33331111925405416,
            },
        },
        Case {
            id: "S03_c10_rho090",
            lambda: 0.05,
            aht: 180.0,
            agents: 10,
            patience: 300.0,
            c: CExpected {
                p_wait: 0.6687315241076971,
                mean_wait_all_s: 120.37167433938548,
                mean_queue_length: 6.018583716969275,
                occupancy: 0.9,
                sl_20: 0.40159273983523613,
                sl_120: 0.6566617874863518,
            },
            a: AExpected {
                p_wait: 0.45437969265240236,
                p_abandon: 0.07189597530385713,
                mean_wait_all_s: 21.568792591157138,
                mean_queue_length: 1.078439629557857,
                occupancy: 0.8352936222265286,
                asa_answered_s: 20.05746401175297,
                mean_wait_abandoned_s: 41.078509668575535,
                sl_20: [
                    0.6565812992071112,
                    0.6821426101558656,
                    0.7074436504270876,
                    0.6602298059448571,
                ],
                sl_120: [
                    0.9024827254365235,
                    0.9713415566221185,
                    0.9723939358327773,
                    0.9572466263729225,
                ],
                p_wait_patience_1e4_aht: 0.6685325836697118,
            },
        },
        Case {
            id: "S11_published_anchor",
            lambda: 0.05555555555555555,
            aht: 180.0,
            agents: 14,
            patience: 300.0,
            c: CExpected {
                p_wait: 0.17413193359504975,
                mean_wait_all_s: 7.8359370117772364,
                mean_queue_length: 0.4353298339876242,
                occupancy: 0.7142857142857142,
                sl_20: 0.888350019179467,
                sl_120: 0.9879007122857163,
            },
            a: AExpected {
                p_wait: 0.14526011429636113,
                p_abandon: 0.01398374412240893,
                mean_wait_all_s: 4.1951232367226785,
                mean_queue_length: 0.2330624020401488,
                occupancy: 0.7042973256268507,
                asa_answered_s: 3.8784800445210195,
                mean_wait_abandoned_s: 26.522143245869138,
                sl_20: [
                    0.9167920918635469,
                    0.9239560272747456,
                    0.92979409456852,
                    0.9187136237975985,
                ],
                sl_120: [
                    0.9847677462020079,
                    0.9986593589592457,
                    0.9987337838822221,
                    0.9979999985847313,
                ],
                p_wait_patience_1e4_aht: 0.1741229472813684,
            },
        },
    ]
}

#[test]
fn erlang_b_textbook_values() {
    assert_eq!(erlang_b(0, 3.0), 1.0);
    check("B(1,1)", erlang_b(1, 1.0), 0.5);
    check("B(2,1)", erlang_b(2, 1.0), 0.2);
    check("B(3,2)", erlang_b(3, 2.0), 4.0 / 19.0);
    check("B(5,3)", erlang_b(5, 3.0), 2.025 / 18.4);
    assert_eq!(erlang_b(4, 0.0), 0.0);
    assert!(erlang_b(3, -1.0).is_nan());
    // Log-domain inverse agrees with the recursion.
    let l = ln_inv_erlang_b(30, 21.5);
    check("ln 1/B(30,21.5)", l, -erlang_b(30, 21.5).ln());
}

#[test]
fn erlang_c_matches_reference() {
    for case in cases() {
        let m = ErlangC::new(case.agents, case.lambda, case.aht).unwrap();
        let f = m.figures();
        let id = case.id;
        check(&format!("{id} C p_wait"), f.p_wait, case.c.p_wait);
        assert_eq!(f.p_abandon, 0.0);
        check(
            &format!("{id} C mean_wait_all"),
            f.mean_wait_all_s,
            case.c.mean_wait_all_s,
        );
        check(
            &format!("{id} C asa_answered"),
            f.asa_answered_s,
            case.c.mean_wait_all_s,
        );
        let lq = f.mean_queue_length;
        check(
            &format!("{id} C mean_queue_length"),
            lq,
            case.c.mean_queue_length,
        );
        check(&format!("{id} C occupancy"), f.occupancy, case.c.occupancy);
        let sl20 = m.answered_within_over_offered(20.0);
        check(&format!("{id} C sl20"), sl20, case.c.sl_20);
        let sl120 = m.answered_within_over_offered(120.0);
        check(&format!("{id} C sl120"), sl120, case.c.sl_120);
    }
}

#[test]
fn erlang_a_matches_reference() {
    for case in cases() {
        let m = ErlangA::new(case.agents, case.lambda, case.aht, case.patience).unwrap();
        let (f, e, id) = (m.figures(), &case.a, case.id);
        check(&format!("{id} A p_wait"), f.p_wait, e.p_wait);
        check(&format!("{id} A p_abandon"), f.p_abandon, e.p_abandon);
        check(
            &format!("{id} A mean_wait_all"),
            f.mean_wait_all_s,
            e.mean_wait_all_s,
        );
        check(
            &format!("{id} A asa_answered"),
            f.asa_answered_s,
            e.asa_answered_s,
        );
        let lq = f.mean_queue_length;
        check(
            &format!("{id} A mean_queue_length"),
            lq,
            e.mean_queue_length,
        );
        check(&format!("{id} A occupancy"), f.occupancy, e.occupancy);
        let wab = m.mean_wait_abandoned_s();
        check(
            &format!("{id} A mean_wait_abandoned"),
            wab,
            e.mean_wait_abandoned_s,
        );
        for (t, sl) in [(20.0, e.sl_20), (120.0, e.sl_120)] {
            let got = [
                m.answered_within_over_offered(t),
                m.p_wait_le_t(t),
                m.answered_within_over_answered(t),
                m.offered_wait_cdf(t),
            ];
            let names = ["ans/offered", "p_wait_le_t", "ans/answered", "offered cdf"];
            for ((g, x), name) in got.into_iter().zip(sl).zip(names) {
                check(&format!("{id} A {name} {t}s"), g, x);
            }
        }
    }
}

#[test]
fn erlang_a_with_huge_patience_approaches_erlang_c() {
    for case in cases() {
        let m = ErlangA::new(case.agents, case.lambda, case.aht, 1e4 * case.aht).unwrap();
        let c = ErlangC::new(case.agents, case.lambda, case.aht).unwrap();
        let (fa, fc) = (m.figures(), c.figures());
        let id = case.id;
        check(
            &format!("{id} A(1e4 AHT) p_wait"),
            fa.p_wait,
            case.a.p_wait_patience_1e4_aht,
        );
        assert!((fa.p_wait - fc.p_wait).abs() < 1e-3);
        assert!((fa.mean_wait_all_s / fc.mean_wait_all_s - 1.0).abs() < 1e-2);
        let (sa, sc) = (
            m.answered_within_over_offered(20.0),
            c.answered_within_over_offered(20.0),
        );
        assert!((sa - sc).abs() < 1e-3, "{sa} vs {sc}");
    }
}

#[test]
fn erlang_a_internal_consistency() {
    let m = ErlangA::new(10, 0.05, 180.0, 300.0).unwrap();
    let f = m.figures();
    // Everybody who waits is eventually answered or abandons.
    check(
        "1 - P(Ab) = answered within inf",
        m.answered_within_over_offered(1e9),
        1.0 - f.p_abandon,
    );
    check("P(V < inf) = 1", m.offered_wait_cdf(f64::INFINITY), 1.0);
    check("P(min(V,τ) < inf) = 1", m.p_wait_le_t(1e9), 1.0);
    check(
        "SL(0) = 1 - p_wait",
        m.answered_within_over_offered(0.0),
        1.0 - f.p_wait,
    );
    assert_eq!(m.answered_within_over_offered(-1.0), 0.0);
    assert_eq!(m.answered_within_over_offered(f64::NAN), 0.0);
}

#[test]
fn erlang_a_large_systems_are_finite_and_consistent() {
    // c = 500, offered load up to 750 Erlangs (rho = 1.5).
    for (a, patience) in [
        (100.0, 60.0),
        (450.0, 120.0),
        (600.0, 60.0),
        (750.0, 30.0),
        (750.0, 3e4),
    ] {
        let m = ErlangA::new(500, a / 300.0, 300.0, patience).unwrap();
        let f = m.figures();
        for x in [f.p_wait, f.p_abandon, f.occupancy] {
            assert!((0.0..=1.0).contains(&x), "{a} {patience}: {f:?}");
        }
        assert!(f.mean_wait_all_s.is_finite() && f.asa_answered_s.is_finite());
        let all = m.answered_within_over_offered(1e12);
        assert!(
            (all - (1.0 - f.p_abandon)).abs() < 1e-9,
            "{a} {patience}: {all} {f:?}"
        );
        let sl = m.answered_within_over_offered(20.0);
        assert!(sl >= 1.0 - f.p_wait - 1e-12 && sl <= all + 1e-12);
        if a > 500.0 {
            // overloaded: carried load is (almost) c servers
            assert!(f.occupancy > 0.95 && f.occupancy <= 1.0, "{f:?}");
        }
    }
    // Light load: P(wait) underflows gracefully.
    let f = ErlangA::new(500, 10.0 / 300.0, 300.0, 60.0)
        .unwrap()
        .figures();
    assert_eq!(f.p_wait, 0.0);
    assert!((f.occupancy - 10.0 / 500.0).abs() < 1e-15);
}

#[test]
fn rejects_bad_input() {
    assert!(ErlangC::new(0, 0.1, 10.0).is_none());
    assert!(ErlangC::new(2, 0.2, 10.0).is_none()); // a = c
    assert!(ErlangC::new(2, 0.1, 0.0).is_none());
    assert!(ErlangC::new(2, f64::NAN, 10.0).is_none());
    assert!(ErlangA::new(2, 0.1, 10.0, 0.0).is_none());
    assert!(ErlangA::new(2, 0.1, 10.0, f64::INFINITY).is_none());
    assert!(ErlangA::new(0, 0.1, 10.0, 5.0).is_none());
    let idle = ErlangA::new(2, 0.0, 10.0, 5.0).unwrap();
    assert_eq!(idle.figures().p_wait, 0.0);
    assert_eq!(idle.answered_within_over_offered(1.0), 1.0);
    let c_idle = ErlangC::new(2, 0.0, 10.0).unwrap().figures();
    assert_eq!((c_idle.p_wait, c_idle.occupancy), (0.0, 0.0));
}
