//! The catalogue is complete, its names are unique and found again, and
//! directions did not move.

use super::shop::shop_defs;
use super::*;

/// The prefix rules `compare` used before the catalogue: every name
/// they covered keeps its direction.
fn by_prefix(metric: &str) -> Better {
    let base = match metric.split('.').collect::<Vec<_>>().as_slice() {
        ["group", _, rest @ ..] if !rest.is_empty() => rest.join("."),
        ["vip", rest] => rest.to_string(),
        ["vip", _, rest @ ..] if !rest.is_empty() => rest.join("."),
        _ => metric.to_string(),
    };
    let base = base.trim_end_matches(".assessed");
    const HIGHER: [&str; 4] = [
        "answered_within_",
        "reply_rate_3min",
        "jain_",
        "fair_share_ratio_min",
    ];
    const LOWER: [&str; 16] = [
        "p_wait",
        "abandon_rate",
        "asa_",
        "mean_wait",
        "frt_",
        "wait_answered",
        "round_response",
        "offline_answer_delay",
        "offline_unanswered",
        "queue_len",
        "occupancy_cv",
        "occupancy_max_over_mean",
        "chats_per_hour_cv",
        "fair_share_ratio_max",
        "transfers_failed",
        "processing_messages",
    ];
    if HIGHER.iter().any(|p| base.starts_with(p)) {
        Better::Higher
    } else if LOWER.iter().any(|p| base.starts_with(p)) {
        Better::Lower
    } else {
        Better::Neither
    }
}

fn everything() -> Shape {
    Shape {
        thresholds_s: vec![20, 120, 180],
        groups: vec!["presale".into(), "after_sales".into()],
        tiers: vec!["gold".into(), "silver".into()],
        offers: true,
        chatwoot: true,
        dialogue: true,
        processing_after: Some("2m".into()),
    }
}

#[test]
fn every_reported_name_is_found_with_its_own_entry_and_direction() {
    let all = scalars(&everything());
    assert_eq!(all.len(), 87, "13 + 3×3 + 19 + 2×4 + 8 + 6 + 2×6 + 4 + 2×4");
    for s in &all {
        let def = lookup(&s.name).unwrap_or_else(|| panic!("{} not in the catalogue", s.name));
        assert_eq!(def.id, s.def.id, "{}", s.name);
        assert_eq!(def.better, by_prefix(&s.name), "{}", s.name);
    }
    let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "names are unique");
    // Group and tier names may contain dots (the prefix rules gave those no direction).
    assert_eq!(
        lookup("group.after.sales.p_wait").map(|d| d.id),
        Some(Id::ClassPWait)
    );
    assert_eq!(
        lookup("group.a.b.occupancy").map(|d| d.id),
        Some(Id::GroupOccupancy)
    );
    assert_eq!(
        lookup("vip.v.1.asa_answered_s").map(|d| d.id),
        Some(Id::ClassAsaAnsweredS)
    );
    assert!(
        lookup("vip.occupancy").is_none(),
        "VIP buyers have no occupancy"
    );
    assert!(lookup("golden_rate").is_none());
    assert!(lookup("answered_within_xs_over_offered").is_none());
    assert_eq!(within_name(120), GOLDEN);
}

#[test]
fn columns_are_unique_and_threshold_columns_follow_the_scenario() {
    let cols = series_columns(&[20, 120]);
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"answered_within_20s_over_offered"));
    assert!(names.contains(&GOLDEN));
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len());
    assert_eq!(AGENT_COLUMNS[0].name, "agent");
    for (i, c) in AGENT_COLUMNS.iter().enumerate() {
        assert_eq!(
            c.id as usize, i,
            "{}: agents.csv columns in enum order",
            c.name
        );
    }
}

#[test]
fn every_id_and_column_has_one_entry_and_the_name_constants_agree() {
    let shop: Vec<Id> = shop_defs().map(|d| d.id).collect();
    for (i, id) in shop.iter().enumerate() {
        assert_eq!(*id as usize, i, "{id:?}: tables in enum order, each once");
        assert_eq!(id.def().id, *id);
    }
    assert_eq!(
        shop.len(),
        Id::GroupJainOccupancy as usize + 1,
        "every Id has an entry"
    );
    let cols: Vec<Column> = series_columns(&[120]).iter().map(|c| c.def.id).collect();
    for (i, c) in cols.iter().enumerate() {
        assert_eq!(
            *c as usize, i,
            "{c:?}: series tables in enum order, each once"
        );
        assert_eq!(c.def().id, *c);
    }
    assert_eq!(
        cols.len(),
        Column::FrtP99S as usize + 1,
        "every Column has an entry"
    );
    for (name, id) in [
        (ABANDON_RATE, Id::AbandonRate),
        (OCCUPANCY, Id::Occupancy),
        (FRT_P90_S, Id::FrtP90S),
        (OFFERED, Id::Offered),
        (FRT_P50_S, Id::FrtP50S),
        (FRT_P99_S, Id::FrtP99S),
        (JAIN_OCCUPANCY, Id::JainOccupancy),
    ] {
        assert_eq!(name, id.name());
    }
}
