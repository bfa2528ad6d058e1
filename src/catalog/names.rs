//! Metric names as people write them: documented aliases (the headline's
//! "golden rate", the platforms' own names) and suggestions for typos.

/// Aliases of catalogue names: `(alias, canonical)`. They also work with a
/// `group.<name>.`, `vip.` or `vip.<tier>.` prefix and the `.assessed`
/// suffix, wherever the canonical name does.
pub const ALIASES: &[(&str, &str)] = &[
    ("golden_rate", "answered_within_120s_over_offered"),
    ("黄金2分钟", "answered_within_120s_over_offered"),
    (
        "golden_rate_over_answered",
        "answered_within_120s_over_answered",
    ),
    ("reply_rate_3min", "reply_rate_3min_rounds"),
    ("3分钟人工回复率", "reply_rate_3min_rounds"),
    ("round_response_time", "round_response_mean_s"),
    ("平均响应时长", "round_response_mean_s"),
    ("asa", "asa_answered_s"),
    ("abandonment", "abandon_rate"),
    ("frt_p50", "frt_p50_s"),
    ("frt_p90", "frt_p90_s"),
    ("frt_p99", "frt_p99_s"),
];

/// `name` with an alias replaced by its canonical name (prefix and suffix kept).
fn expand(name: &str) -> Option<String> {
    let (suffix, body) = match name.strip_suffix(".assessed") {
        Some(b) => (".assessed", b),
        None => ("", name),
    };
    // The alias is the last dot-separated part (group and tier names may hold dots).
    let (prefix, base) = match body.rfind('.') {
        Some(i) => body.split_at(i + 1),
        None => ("", body),
    };
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == base)
        .map(|(_, canonical)| format!("{prefix}{canonical}{suffix}"))
}

/// The canonical name of `name` among `known` (its own, or an alias's), or
/// an error saying which known names are closest.
pub fn resolve(name: &str, known: &[String]) -> Result<String, String> {
    if known.iter().any(|k| k == name) {
        return Ok(name.to_string());
    }
    if let Some(canonical) = expand(name).filter(|c| known.contains(c)) {
        return Ok(canonical);
    }
    let mut candidates: Vec<(usize, &str)> = known
        .iter()
        .map(String::as_str)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .map(|k| (distance(name, k), k))
        .collect();
    candidates.sort();
    let limit = (name.chars().count() / 3).max(2);
    let close: Vec<&str> = candidates
        .iter()
        .filter(|(d, _)| *d <= limit)
        .take(3)
        .map(|(_, k)| *k)
        .collect();
    Err(if close.is_empty() {
        format!(
            "unknown metric `{name}` (`kefusim schema` and summary.json's `definitions` list every name; aliases: {})",
            ALIASES
                .iter()
                .map(|(a, _)| *a)
                .filter(|a| a.is_ascii())
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!(
            "unknown metric `{name}`; did you mean {}?",
            close
                .iter()
                .map(|c| match ALIASES.iter().find(|(a, _)| a == c) {
                    Some((alias, canonical)) => format!("`{alias}` (`{canonical}`)"),
                    None => format!("`{c}`"),
                })
                .collect::<Vec<_>>()
                .join(" or ")
        )
    })
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        [
            "answered_within_120s_over_offered",
            "abandon_rate",
            "frt_p90_s",
            "round_response_mean_s.assessed",
            "group.after.sales.answered_within_120s_over_offered",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn aliases_resolve_with_prefixes_and_suffixes() {
        let k = known();
        assert_eq!(
            resolve("golden_rate", &k).unwrap(),
            "answered_within_120s_over_offered"
        );
        assert_eq!(
            resolve("黄金2分钟", &k).unwrap(),
            "answered_within_120s_over_offered"
        );
        assert_eq!(resolve("abandon_rate", &k).unwrap(), "abandon_rate");
        assert_eq!(
            resolve("平均响应时长.assessed", &k).unwrap(),
            "round_response_mean_s.assessed"
        );
        assert_eq!(
            resolve("group.after.sales.golden_rate", &k).unwrap(),
            "group.after.sales.answered_within_120s_over_offered"
        );
    }

    #[test]
    fn typos_get_the_closest_names() {
        let k = known();
        let e = resolve("abandon_rat", &k).unwrap_err();
        assert!(e.contains("did you mean `abandon_rate`"), "{e}");
        let e = resolve("golden_rte", &k).unwrap_err();
        assert!(e.contains("`golden_rate`"), "{e}");
        let e = resolve("nothing_like_it_at_all", &k).unwrap_err();
        assert!(e.contains("aliases: golden_rate"), "{e}");
    }
}
