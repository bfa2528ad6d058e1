//! A plan applied: the scenario file with the roster merged in, as a
//! complete scenario that runs as it is (`plan --apply`, `scenario.toml`).
//!
//! The file is edited, not regenerated (toml_edit), so its comments,
//! layout and every other section stay as written:
//!
//! - the replaced `[[agents]]` tables are removed;
//! - one table per roster template is appended after the last kept
//!   `[[agents]]` table: a copy of the pool's table (groups, cap, weight,
//!   speed, episodes, …) with `name = "<entry>-<template>"`, `count` and the
//!   template's `shift` — the order `kefusim plan` simulated, so running the
//!   applied file reproduces the verification run;
//! - `[plan]` names the roster entries (`entry` the first, `replace` all),
//!   so planning the applied file again staffs the same pool.

use toml_edit::{Array, DocumentMut, Item, Table, Value, value};

use super::*;

/// Forgets where `t` and the tables inside it sat in the source, so they
/// are written where they are inserted.
fn unplace(t: &mut Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(sub) => unplace(sub),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(unplace),
            _ => {}
        }
    }
}

/// `[[schedule]]` changes of an entry (cap, groups) follow the roster: one naming the pool entry
/// is repeated for every roster entry (they copy its cap and groups), one naming
/// another replaced entry is removed with it.
fn retarget_schedule(doc: &mut DocumentMut, sc: &Scenario, spec: &PlanSpec, names: &Array) {
    let Some(changes) = doc
        .get_mut("schedule")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return;
    };
    let pool = sc.entries[spec.entry].name.as_str();
    let replaced: Vec<&str> = spec
        .replace
        .iter()
        .map(|&e| sc.entries[e].name.as_str())
        .collect();
    let mut out = toml_edit::ArrayOfTables::new();
    for change in changes.iter() {
        match change.get("agents").and_then(Item::as_str) {
            Some(name) if name == pool => {
                for roster in names.iter().filter_map(Value::as_str) {
                    let mut t = change.clone();
                    t.insert("agents", value(roster));
                    out.push(t);
                }
            }
            Some(name) if replaced.contains(&name) => {}
            _ => out.push(change.clone()),
        }
    }
    *changes = out;
}

/// The scenario `text` (which `sc` was loaded from) with `spec`'s pool
/// staffed by `counts[t]` agents on template `t`, checked by loading it.
pub fn applied_scenario(
    text: &str,
    sc: &Scenario,
    spec: &PlanSpec,
    counts: &[u32],
) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("cannot edit the scenario file: {e}"))?;
    let pool_name = sc.entries[spec.entry].name.clone();
    let agents = doc
        .get_mut("agents")
        .and_then(Item::as_array_of_tables_mut)
        .filter(|a| a.len() == sc.entries.len())
        .ok_or(
            "only a file whose agents are [[agents]] tables can be edited (not an inline `agents = [...]` array); paste roster.toml by hand",
        )?;
    let mut pool = agents
        .get(spec.entry)
        .cloned()
        .ok_or("the pool's [[agents]] table is missing")?;
    unplace(&mut pool);
    *pool.decor_mut() = Default::default();
    pool.remove("shift");
    pool.remove("main_account");
    // Remove the replaced tables, last first so indices stay valid.
    let mut replace = spec.replace.clone();
    replace.sort_unstable();
    for &e in replace.iter().rev() {
        agents.remove(e);
    }
    let mut names = Array::new();
    for (t, &count) in spec.shifts.iter().zip(counts) {
        if count == 0 {
            continue;
        }
        let name = format!("{pool_name}-{}", t.name);
        let shift: Value = t
            .toml
            .parse()
            .map_err(|e| format!("template `{}`: {e}", t.name))?;
        let mut table = pool.clone();
        table.decor_mut().set_prefix(format!(
            "\n# From `kefusim plan`: {count} agents on template `{}` ({}).\n",
            t.name,
            t.plan.describe()
        ));
        table.insert("name", value(name.as_str()));
        table.insert("count", value(i64::from(count)));
        table.insert("shift", Item::Value(shift));
        // Keys in the pool's order, with the shift last.
        table.sort_values_by(|a, _, b, _| {
            let rank = |k: &str| match k {
                "name" => 0,
                "count" => 1,
                "shift" => 3,
                _ => 2,
            };
            rank(a.get()).cmp(&rank(b.get()))
        });
        agents.push(table);
        names.push(name);
    }
    retarget_schedule(&mut doc, sc, spec, &names);
    let first = names
        .get(0)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or("the roster has no agents")?;
    let plan = doc
        .get_mut("plan")
        .and_then(Item::as_table_like_mut)
        .ok_or("the scenario file has no [plan] table")?;
    plan.insert("entry", value(first));
    plan.insert("replace", value(names));
    let out = doc.to_string();
    Scenario::from_toml(&out, "the applied scenario", &sc.name)
        .map_err(|e| format!("the applied scenario does not load (a bug): {e}"))?;
    Ok(out)
}
