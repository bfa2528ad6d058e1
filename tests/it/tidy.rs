//! Tidy checks on the source itself (as rust-analyzer's `tidy` tests do):
//! the crate's layers depend in one direction only, every top-level module
//! is in the layer table, and top-level modules form no cycle; the engine
//! changes its state counters only through `state_mut`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may use modules of its own layer or
/// of a lower one, never of a higher one. Keep ARCHITECTURE.md in step.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "model",
        &[
            "time", "dist", "stats", "analytic", "arrivals", "shifts", "scenario", "catalog",
        ],
    ),
    (
        "simulation",
        &[
            "kernel",
            "agents",
            "conversation",
            "routing",
            "metrics",
            "trace",
            "engine",
        ],
    ),
    (
        "tools",
        &[
            "remote",
            "live",
            "replicate",
            "shard",
            "plan",
            "sweep",
            "regress",
        ],
    ),
    ("report", &["report"]),
    ("app", &["app", "cli", "serve"]),
];

fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, ms))| ms.contains(&module))
        .map(|(i, (name, _))| (i, *name))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a source file refers to through `crate::` (in
/// `use` lines and paths), with the line of each reference. Comments and
/// the `#[cfg(test)]` module at the end of a file are not looked at (tests
/// may use anything; so do `tests.rs` files).
fn references(text: &str, top_level_file: bool) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_use_group = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        let mut scan = |prefix: &str| {
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                let after = &rest[at + prefix.len()..];
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((name, n + 1));
                }
                rest = after;
            }
        };
        scan("crate::");
        if top_level_file {
            // In src/x.rs, `super` is the crate root.
            scan("super::");
        }
        // `use crate::{a, b::c, …}` over several lines.
        if code.contains("use crate::{") {
            in_use_group = !code.contains("};");
            let inner = code.split("use crate::{").nth(1).unwrap_or("");
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((name, n + 1));
                }
            }
        } else if in_use_group {
            if code.contains("};") {
                in_use_group = false;
            }
            for part in code.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((name, n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn layers_depend_in_one_direction_and_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("pub(crate) mod "))
                .or_else(|| l.strip_prefix("mod "))?;
            Some(l.trim_end_matches(';').to_string())
        })
        .collect();
    for m in &declared {
        assert!(
            layer_of(m).is_some(),
            "module `{m}` is in no layer: add it to LAYERS (tests/it/tidy.rs) and ARCHITECTURE.md"
        );
    }

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs")
            .to_string();
        // Tests may use anything: `tests.rs` files, like `#[cfg(test)]` modules.
        if top == "lib" || top == "main" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let (rank, layer) = layer_of(&top).unwrap_or_else(|| {
            panic!("{} belongs to `{top}`, which is in no layer", rel.display())
        });
        let text = std::fs::read_to_string(file).expect("readable source");
        let top_level_file = rel.components().count() == 1;
        for (dep, line) in references(&text, top_level_file) {
            if dep == top || !declared.contains(&dep) {
                continue;
            }
            graph.entry(top.clone()).or_default().insert(dep.clone());
            let (dep_rank, dep_layer) = layer_of(&dep).expect("declared modules have a layer");
            if dep_rank > rank {
                problems.push(format!(
                    "src/{}:{line}: `{top}` ({layer}) uses `{dep}` ({dep_layer}), a higher layer",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "wrong-way dependencies (layers, lowest first: {}):\n{}",
        LAYERS
            .iter()
            .map(|(l, _)| *l)
            .collect::<Vec<_>>()
            .join(" → "),
        problems.join("\n")
    );

    // No cycle among top-level modules, within a layer either.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) {
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            match state.get(d.as_str()) {
                Some(1) => {
                    let at = path.iter().position(|p| p == d).expect("on the path");
                    panic!("module cycle: {} → {d}", path[at..].join(" → "));
                }
                Some(_) => {}
                None => visit(d, graph, state, path),
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    for m in graph.keys() {
        if !state.contains_key(m.as_str()) {
            visit(m, &graph, &mut state, &mut Vec::new());
        }
    }
}

#[test]
fn the_reference_scanner_sees_use_groups_paths_and_skips_comments_and_tests() {
    let text = "use crate::time::SimTime;\nuse crate::{\n    agents::Presence,\n    routing,\n};\n\
                // crate::report in a comment\nlet x = crate::metrics::Recorder::new();\n\
                #[cfg(test)]\nmod tests { use crate::app; }\n";
    let names: Vec<String> = references(text, false)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["time", "agents", "routing", "metrics"]);
    assert_eq!(
        references("use super::report;\n", true)[0].0,
        "report",
        "super:: at the top level is the crate"
    );
}

/// Where a line of engine code changes the shop-wide counters without
/// `Engine::state_mut` (which integrates them up to now first): an
/// assignment to a field of `self.state`, or a `&mut` to it.
fn bypasses_state_mut(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    if code.contains("&mut self.state") {
        return true;
    }
    code.match_indices("self.state.").any(|(i, m)| {
        let rest = &code[i + m.len()..];
        let field_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = rest[field_end..].trim_start();
        ["=", "+=", "-=", "*=", "|=", "&="]
            .iter()
            .any(|op| after.starts_with(op) && !after.starts_with("=="))
    })
}

#[test]
fn the_engine_changes_its_state_counters_only_through_state_mut() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("engine.rs")];
    rust_files(&src.join("engine"), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let mut in_state_mut = false;
        for (i, line) in text.lines().enumerate() {
            // `state_mut` itself hands out the `&mut`.
            if line.contains("fn state_mut(") {
                in_state_mut = true;
            } else if in_state_mut && line.trim() == "}" {
                in_state_mut = false;
            }
            if !in_state_mut && bypasses_state_mut(line) {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the state counters changed without `self.state_mut()` (their integrals would miss time):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_state_scanner_sees_assignments_and_mutable_borrows_only() {
    assert!(bypasses_state_mut("        self.state.sessions += 1;"));
    assert!(bypasses_state_mut("self.state.cap_on_shift = x - 1;"));
    assert!(bypasses_state_mut("    &mut self.state.queue_len"));
    assert!(!bypasses_state_mut(
        "self.state.queue_len + self.state.offline_pending > 0"
    ));
    assert!(!bypasses_state_mut("if self.state.sessions == 0 {"));
    assert!(!bypasses_state_mut("// self.state.sessions += 1;"));
    assert!(!bypasses_state_mut("let state = self.state_mut();"));
}
