//! The graph of top-level modules and the edges that lie on a cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::parse::references;
use super::Source;

fn top_modules(srcs: &[Source]) -> BTreeSet<String> {
    srcs.iter()
        .filter(|s| s.path != "src/main.rs")
        .filter_map(|s| s.top().map(str::to_string))
        .collect()
}

/// (from, to) edges between top-level modules, with the files that make each.
pub(super) fn graph(srcs: &[Source]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let tops = top_modules(srcs);
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for src in srcs {
        if src.module.is_empty() {
            continue;
        }
        for r in references(src) {
            // `error` gathers each area's error enum into `Error` (one transparent variant
            // each, issue 13's convention): naming `crate::docker::DockerError` there is the
            // area depending on `error`, not the other way round.
            let gathers = r.from == "error" && r.items.iter().all(|i| i.ends_with("Error"));
            if tops.contains(&r.to) && !gathers {
                edges
                    .entry((r.from.clone(), r.to.clone()))
                    .or_default()
                    .insert(r.file.clone());
            }
        }
    }
    edges
}

/// Edges that lie on a cycle: `a -> b` where `b` reaches `a`.
pub(super) fn cyclic_edges(edges: &BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(
                    edges
                        .iter()
                        .filter(|(a, _)| *a == n)
                        .map(|(_, b)| b.clone()),
                );
            }
        }
        false
    };
    edges
        .iter()
        .filter(|(a, b)| reaches(b, a))
        .cloned()
        .collect()
}
