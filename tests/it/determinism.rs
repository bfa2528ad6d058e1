//! Same scenario and seed → byte-identical results, with 1 thread or many.

use kefusim::replicate;
use kefusim::report::output_files;

use crate::support::load;

#[test]
fn one_thread_and_many_give_identical_files() {
    for path in [
        "scenarios/quickstart.toml",
        "scenarios/feige_shop.toml",
        "scenarios/taobao_shop.toml",
    ] {
        let sc = load(path).with_replications(6);
        let one = output_files(&replicate::run(&sc, Some(1)).unwrap());
        let many = output_files(&replicate::run(&sc, Some(4)).unwrap());
        for ((name, a), (_, b)) in one.iter().zip(&many) {
            assert!(a == b, "{path}: {name} differs between 1 and 4 threads");
        }
        let again = output_files(&replicate::run(&sc, Some(3)).unwrap());
        assert_eq!(one, again, "{path}");
    }
}

#[test]
fn the_seed_matters_and_replications_differ() {
    let sc = load("scenarios/quickstart.toml").with_replications(2);
    let a = replicate::run(&sc, Some(2)).unwrap();
    let b = replicate::run(&sc.clone().with_seed(99), Some(2)).unwrap();
    assert_ne!(
        a.metric("offered").unwrap().mean,
        b.metric("offered").unwrap().mean
    );
    // Two replications of one run are independent: a non-zero interval.
    assert!(a.metric("offered").unwrap().ci95.unwrap() > 0.0);
}

/// Common random numbers: changing only the routing policy leaves the
/// arrival stream (and so the offered chats) exactly as it was.
#[test]
fn routing_changes_keep_the_same_arrivals() {
    let text = std::fs::read_to_string(crate::support::repo("scenarios/quickstart.toml")).unwrap();
    let other = text.replace("policy = \"least_active\"", "policy = \"round_robin\"");
    assert_ne!(text, other);
    let a = crate::support::parse(&text).with_replications(2);
    let b = crate::support::parse(&other).with_replications(2);
    let (sa, sb) = (
        replicate::run(&a, Some(1)).unwrap(),
        replicate::run(&b, Some(1)).unwrap(),
    );
    assert_eq!(
        sa.metric("offered").unwrap().mean,
        sb.metric("offered").unwrap().mean
    );
    assert_ne!(
        sa.metric("jain_occupancy").unwrap().mean,
        sb.metric("jain_occupancy").unwrap().mean
    );
}
