//! Review data: what a prepared run would change on disk, each rendered file against the one there
//! now, as a unified diff. Files holding secrets are named, never shown.

use std::path::Path;

use similar::TextDiff;

use crate::error::Result;
use crate::render::RenderedFile;
use crate::state::{Current, Deployment};

/// How a rendered file compares with the deployment directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New,
    Same,
    /// Differs; the unified diff, or `None` for a secret file.
    Changed(Option<String>),
    /// Edited by hand, and the plan leaves it as selkie wrote it last time: the write keeps the
    /// edit, so there is nothing to show.
    KeptEdit,
}

/// Compare each rendered file with what `dir` holds (read without following a symbolic link, as
/// the write reads it).
pub fn compare(dir: &Path, files: &[RenderedFile]) -> Result<Vec<(String, Change)>> {
    let current = Deployment::new(dir).current(files)?;
    Ok(files
        .iter()
        .zip(current)
        .map(|(file, now)| (file.path.clone(), change(file, now)))
        .collect())
}

/// How `file` compares with what is on disk now.
fn change(file: &RenderedFile, now: Current) -> Change {
    match now.bytes {
        None => Change::New,
        Some(bytes) if bytes == file.contents.as_bytes() => Change::Same,
        Some(_) if now.kept_edit => Change::KeptEdit,
        Some(_) if file.secret => Change::Changed(None),
        Some(bytes) => {
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

    fn file(path: &str, contents: &str, secret: bool) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: contents.into(),
            secret,
            executable: false,
        }
    }

    #[test]
    fn secret_files_are_never_shown() {
        let now = Current {
            bytes: Some(b"old-secret".to_vec()),
            kept_edit: false,
        };
        assert_eq!(
            change(&file("k", "new-secret", true), now),
            Change::Changed(None)
        );
    }

    #[test]
    fn a_symbolic_link_in_the_deployment_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "not selkie's to show\n").unwrap();
        let deploy = dir.path().join("deploy");
        std::fs::create_dir_all(deploy.join("caddy")).unwrap();
        std::os::unix::fs::symlink(&outside, deploy.join("caddy/Caddyfile")).unwrap();
        let files = [file("caddy/Caddyfile", "site {}\n", false)];
        let refused = compare(&deploy, &files).expect_err("a link is not read through");
        assert!(
            !refused.to_string().contains("not selkie's to show"),
            "{refused}"
        );
    }

    #[test]
    fn a_hand_edit_the_plan_leaves_alone_is_not_a_change() {
        let now = Current {
            bytes: Some(b"mine\n".to_vec()),
            kept_edit: true,
        };
        assert_eq!(
            change(&file("a", "selkie's\n", false), now),
            Change::KeptEdit
        );
        assert_eq!(
            change(&file("a", "x", false), Current::default()),
            Change::New
        );
    }
}
