//! The house rules (DESIGN.md, "Rules of the house"), checked over the source text of `src/`.
//!
//! - no import cycle between top-level modules;
//! - `wizard/` imports nothing from `commands/`;
//! - only `docker/` names bollard;
//! - `plan/`, `render/`, `answers/`, `preset/`, `preflight/` import no edge module (and from
//!   `host/` only plain types such as `HostFacts`, never a detection function);
//! - no function over 80 lines except declared tables; no file over 400 lines (in `src/`, and in
//!   `tests/` and `benches/` too).
//!
//! Each rule starts from an allow-list of what is known to break it. An entry that no longer
//! breaks the rule fails the test too, so the lists only shrink.

#[path = "architecture/cycles.rs"]
mod cycles;
#[path = "architecture/parse.rs"]
mod parse;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use cycles::{cyclic_edges, graph};
use parse::{code, functions, is_ident, references};

/// Edges between top-level modules that still close a cycle.
const CYCLE_ALLOW: &[(&str, &str)] = &[];

/// Files outside `docker/` that still name bollard.
const BOLLARD_ALLOW: &[&str] = &[];

/// (file, module) pairs where the wizard still reaches into `commands/`, or a pure module into an
/// edge.
const IMPORT_ALLOW: &[(&str, &str)] = &[];

/// Functions that are declarative tables: long because they list things, not because they decide.
const TABLES: &[&str] = &[];

/// Functions over 80 lines still waiting to be split.
const LONG_FN_ALLOW: &[&str] = &[];

/// Files over 400 lines still waiting to be split.
const LONG_FILE_ALLOW: &[&str] = &[];

const MAX_FN_LINES: usize = 80;
const MAX_FILE_LINES: usize = 400;
const PURE: &[&str] = &["plan", "render", "answers", "preset", "preflight"];
const EDGES: &[&str] = &[
    "state",
    "docker",
    "health",
    "wizard",
    "commands",
    "dashboard",
    "setup",
    "check",
];

struct Source {
    /// Relative to the crate root, with `/`: `src/plan/media.rs`.
    path: String,
    /// Module path: `["plan", "media"]`; `src/plan/mod.rs` is `["plan"]`, `lib.rs` is `[]`.
    module: Vec<String>,
    text: String,
}

impl Source {
    fn top(&self) -> Option<&str> {
        self.module.first().map(String::as_str)
    }
}

/// One path a file names in another top-level module: `host::HostFacts` from `plan/mod.rs`.
struct Reference {
    file: String,
    from: String,
    to: String,
    /// The item named in the other module by each path (`HostFacts`, `detect`, `self`).
    items: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources() -> Vec<Source> {
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(dir: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("the source folder is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root())
                .expect("under the crate root")
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: Vec<String> = rel
                .trim_start_matches("src/")
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = fs::read_to_string(&path).expect("source is UTF-8");
            out.push(Source {
                path: rel,
                module,
                text,
            });
        }
    }
}

/// Compares what was found against an allow-list: new violations and stale entries both fail.
fn judge(rule: &str, found: BTreeSet<String>, allowed: BTreeSet<String>) {
    let new: Vec<_> = found.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&found).collect();
    let mut msg = String::new();
    if !new.is_empty() {
        msg.push_str(&format!("{rule}: new violations:\n"));
        for v in &new {
            msg.push_str(&format!("    {v:?},\n"));
        }
    }
    if !stale.is_empty() {
        msg.push_str(&format!(
            "{rule}: allow-list entries that no longer break the rule (remove them):\n"
        ));
        for v in &stale {
            msg.push_str(&format!("    {v:?},\n"));
        }
    }
    assert!(msg.is_empty(), "{msg}");
}

fn pair(a: &str, b: &str) -> String {
    format!("{a} -> {b}")
}

#[test]
fn no_cycle_between_top_level_modules() {
    let srcs = sources();
    let g = graph(&srcs);
    let edges: BTreeSet<_> = g.keys().cloned().collect();
    let cyclic = cyclic_edges(&edges);
    // Which edges on a cycle are accepted for now: the rest of the graph must be acyclic.
    let allowed: BTreeSet<(String, String)> = CYCLE_ALLOW
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let remaining: BTreeSet<_> = edges.difference(&allowed).cloned().collect();
    let still = cyclic_edges(&remaining);
    let mut msg = String::new();
    for (a, b) in &still {
        msg.push_str(&format!(
            "cycle through {a} -> {b} (in {:?})\n",
            g[&(a.clone(), b.clone())]
        ));
    }
    for (a, b) in &allowed {
        if !cyclic.contains(&(a.clone(), b.clone())) {
            msg.push_str(&format!(
                "CYCLE_ALLOW entry ({a:?}, {b:?}) is no longer on a cycle (remove it)\n"
            ));
        }
    }
    assert!(msg.is_empty(), "{msg}");
}

#[test]
fn wizard_and_pure_modules_import_within_the_rules() {
    let mut found = BTreeSet::new();
    for src in sources() {
        for r in references(&src) {
            let bad = match r.from.as_str() {
                "wizard" => r.to == "commands",
                from if PURE.contains(&from) => {
                    EDGES.contains(&r.to.as_str())
                        // Plain types from host/ (HostFacts) are data; detection is not.
                        || (r.to == "host"
                            && r.items.iter().any(|l| {
                                !l.starts_with(|c: char| c.is_ascii_uppercase())
                            }))
                }
                _ => false,
            };
            if bad {
                found.insert(pair(&r.file, &r.to));
            }
        }
    }
    let allowed = IMPORT_ALLOW.iter().map(|(f, m)| pair(f, m)).collect();
    judge("imports", found, allowed);
}

#[test]
fn only_docker_names_bollard() {
    let found = sources()
        .into_iter()
        .filter(|s| s.top() != Some("docker"))
        .filter(|s| {
            s.text.lines().any(|l| {
                code(l)
                    .split(|c: char| !is_ident(c as u8))
                    .any(|w| w == "bollard")
            })
        })
        .map(|s| s.path)
        .collect();
    judge(
        "bollard outside docker/",
        found,
        BOLLARD_ALLOW.iter().map(|s| s.to_string()).collect(),
    );
}

#[test]
fn no_function_over_80_lines_except_tables() {
    let mut found = BTreeSet::new();
    for src in sources() {
        for (name, len) in functions(&src) {
            if len > MAX_FN_LINES && !TABLES.contains(&name.as_str()) {
                found.insert(name);
            }
        }
    }
    judge(
        "functions over 80 lines",
        found,
        LONG_FN_ALLOW.iter().map(|s| s.to_string()).collect(),
    );
}

#[test]
fn no_file_over_400_lines() {
    let mut files = sources();
    for dir in ["tests", "benches"] {
        walk(&root().join(dir), &mut files);
    }
    assert!(
        files.iter().any(|f| f.path == "tests/architecture.rs"),
        "the test files were not read"
    );
    let found = files
        .into_iter()
        .filter(|s| s.text.lines().count() > MAX_FILE_LINES)
        .map(|s| s.path)
        .collect();
    judge(
        "files over 400 lines",
        found,
        LONG_FILE_ALLOW.iter().map(|s| s.to_string()).collect(),
    );
}

#[test]
fn the_checker_sees_what_it_should() {
    // A self-test of the parsing, so a rule cannot pass by reading nothing.
    let src = Source {
        path: "src/plan/mod.rs".into(),
        module: vec!["plan".into()],
        text: "use crate::{answers::Answers, host::{self, HostFacts}};\n\
               use super::state::lock; // crate::docker in a comment\n\
               mod tests {\n    use super::*;\n    use super::super::health;\n}\n\
               fn f() {\n    let x = 1;\n}\n"
            .into(),
    };
    let refs = references(&src);
    let tos: BTreeSet<_> = refs.iter().map(|r| r.to.as_str()).collect();
    assert_eq!(
        tos,
        ["answers", "health", "host", "state"].into_iter().collect()
    );
    let host = refs.iter().find(|r| r.to == "host").unwrap();
    assert_eq!(host.items, ["self", "HostFacts"]);
    assert_eq!(functions(&src), [("src/plan/mod.rs::f".to_string(), 3)]);
    let top = sources();
    assert!(top.len() > 50, "src/ was read");
    assert!(!graph(&top).is_empty(), "the graph has edges");
}
