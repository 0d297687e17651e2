//! Review data: what a prepared run would change on disk, each rendered file against the one there
//! now, as a unified diff. Files holding secrets are named, never shown.

use std::path::Path;

use similar::TextDiff;

use crate::render::RenderedFile;

/// How a rendered file compares with the deployment directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New,
    Same,
    /// Differs; the unified diff, or `None` for a secret file.
    Changed(Option<String>),
}

/// Compare one rendered file with what `dir` holds.
pub fn compare(dir: &Path, file: &RenderedFile) -> Change {
    match std::fs::read(dir.join(&file.path)) {
        Err(_) => Change::New,
        Ok(bytes) if bytes == file.contents.as_bytes() => Change::Same,
        Ok(_) if file.secret => Change::Changed(None),
        Ok(bytes) => {
            let old = String::from_utf8_lossy(&bytes);
            Change::Changed(Some(unified(&file.path, &old, &file.contents)))
        }
    }
}

/// A unified diff from `old` to `new` with two lines of context.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{path} (now)"), &format!("{path} (new)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_shows_as_minus_and_plus() {
        let d = unified("a.txt", "one\ntwo\nthree\n", "one\n2\nthree\n");
        assert!(d.contains("-two\n") && d.contains("+2\n"), "{d}");
    }

    #[test]
    fn secret_files_are_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), "old-secret").unwrap();
        let file = RenderedFile {
            path: "k".into(),
            contents: "new-secret".into(),
            secret: true,
            executable: false,
        };
        assert_eq!(compare(dir.path(), &file), Change::Changed(None));
    }
}
