//! Reading the source text: comments, use trees, the paths a file names in other top-level
//! modules, and how long each function is.

use super::{Reference, Source};

/// The line without its `//` comment (a `//` inside a string literal is kept).
pub(super) fn code(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

pub(super) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Parses a use tree at `s` (`a::b`, `a::{b, c::d}`, `*`) into its paths.
fn use_tree(s: &[u8], i: &mut usize) -> Vec<Vec<String>> {
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(i);
    if *i < s.len() && s[*i] == b'{' {
        *i += 1;
        let mut paths = Vec::new();
        loop {
            skip_ws(i);
            if *i >= s.len() {
                return paths;
            }
            if s[*i] == b'}' {
                *i += 1;
                return paths;
            }
            if s[*i] == b',' {
                *i += 1;
                continue;
            }
            let before = *i;
            paths.extend(use_tree(s, i));
            if *i == before {
                *i += 1;
            }
        }
    }
    if *i < s.len() && s[*i] == b'*' {
        *i += 1;
        return vec![vec!["*".to_string()]];
    }
    let start = *i;
    while *i < s.len() && is_ident(s[*i]) {
        *i += 1;
    }
    if start == *i {
        return Vec::new();
    }
    let head = String::from_utf8_lossy(&s[start..*i]).into_owned();
    if s[*i..].starts_with(b"::") {
        *i += 2;
        let rest = use_tree(s, i);
        if rest.is_empty() {
            return vec![vec![head]];
        }
        return rest
            .into_iter()
            .map(|mut p| {
                p.insert(0, head.clone());
                p
            })
            .collect();
    }
    vec![vec![head]]
}

/// Every path from `src` into another top-level module, through `crate::` or `super::`.
pub(super) fn references(src: &Source) -> Vec<Reference> {
    let mut out = Vec::new();
    for line in src.text.lines() {
        let code = code(line);
        let indent = code.len() - code.trim_start().len();
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':') {
                i += 1;
                continue;
            }
            let rest = &bytes[i..];
            let base: Option<Vec<String>> = if rest.starts_with(b"crate::") {
                i += "crate::".len();
                Some(Vec::new())
            } else if rest.starts_with(b"selkie::") && src.module.is_empty() {
                i += "selkie::".len();
                Some(Vec::new())
            } else if rest.starts_with(b"super::") {
                // A `use super::` indented inside the file sits in an inline module (`mod tests`).
                let mut module = src.module.clone();
                for _ in 0..indent / 4 {
                    module.push("<inline>".to_string());
                }
                while bytes[i..].starts_with(b"super::") {
                    i += "super::".len();
                    module.pop();
                }
                module.retain(|m| m != "<inline>");
                if module.is_empty() {
                    Some(Vec::new())
                } else {
                    None
                }
            } else {
                None
            };
            let Some(_) = base else {
                i += 1;
                continue;
            };
            for path in use_tree(bytes, &mut i) {
                let Some(to) = path.first() else { continue };
                let from = src.top().unwrap_or("lib");
                if to == from || to == "*" || to == "self" {
                    continue;
                }
                let item = path.get(1).cloned().unwrap_or_else(|| "self".to_string());
                match out
                    .iter_mut()
                    .find(|r: &&mut Reference| r.to == *to && r.file == src.path)
                {
                    Some(r) => r.items.push(item),
                    None => out.push(Reference {
                        file: src.path.clone(),
                        from: from.to_string(),
                        to: to.clone(),
                        items: vec![item],
                    }),
                }
            }
        }
    }
    out
}

/// `(file::name, lines)` for every function with a body, as rustfmt lays them out: the body ends
/// at the first `}` at the indentation the `fn` started at.
pub(super) fn functions(src: &Source) -> Vec<(String, usize)> {
    let lines: Vec<&str> = src.text.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let mut rest = trimmed;
        for prefix in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
        ] {
            rest = rest.strip_prefix(prefix).unwrap_or(rest);
        }
        let Some(sig) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = sig.chars().take_while(|c| is_ident(*c as u8)).collect();
        let indent = &line[..line.len() - trimmed.len()];
        // Find where the signature ends: `{` opens a body, `;` is a declaration.
        let mut body = None;
        for (j, l) in lines.iter().enumerate().skip(start) {
            let t = code(l).trim_end();
            if t.ends_with(';') && !t.contains('{') {
                break;
            }
            if t.contains('{') {
                body = Some(j);
                break;
            }
        }
        let Some(open) = body else { continue };
        let close = format!("{indent}}}");
        let one_line = code(lines[open]).trim_end().ends_with('}');
        let end = if one_line && open == start {
            start
        } else {
            match lines
                .iter()
                .enumerate()
                .skip(open + 1)
                .find(|(_, l)| **l == close)
            {
                Some((j, _)) => j,
                None => continue,
            }
        };
        out.push((format!("{}::{name}", src.path), end - start + 1));
    }
    out
}
