//! What a write does to each file, decided before anything is written: a pure comparison of the
//! plan's files, what is on disk and what the manifest says selkie wrote last time.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::state_files::{Manifest, ManifestEntry};
use crate::digest::sha256;
use crate::render::RenderedFile;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Created,
    Updated,
    Unchanged,
    /// Edited by hand and not changed by the plan: the edit is kept.
    KeptEdit,
    /// Edited by hand and changed by the plan: replaced because of `--force` (backed up first).
    ReplacedEdit,
    /// No longer part of the plan: removed (backed up first).
    Removed,
    /// No longer part of the plan, but edited by hand: left in place.
    LeftEdited,
}

/// The outcome of writing the deployment.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub files: Vec<(String, FileAction)>,
    /// Where replaced files were copied, if anything was replaced.
    pub backup: Option<PathBuf>,
}

impl Report {
    /// Files that changed on disk.
    pub fn changed(&self) -> impl Iterator<Item = &(String, FileAction)> {
        self.files.iter().filter(|(_, a)| {
            matches!(
                a,
                FileAction::Created
                    | FileAction::Updated
                    | FileAction::ReplacedEdit
                    | FileAction::Removed
            )
        })
    }
}

/// One file's fate: its path, the action, and the plan's version when the plan has it.
pub(super) type Decision<'a> = (String, FileAction, Option<&'a RenderedFile>);

/// Every file's fate, and the hand-edited files that would be replaced without `--force`.
pub(super) struct Classified<'a> {
    pub actions: Vec<Decision<'a>>,
    pub conflicts: Vec<String>,
}

/// Decide each file's fate. `on_disk` holds the SHA-256 of every file that exists now, by
/// relative path (the plan's files, and the manifest's that the plan no longer has).
pub(super) fn classify<'a>(
    files: &'a [RenderedFile],
    on_disk: &BTreeMap<String, String>,
    manifest: &Manifest,
    force: bool,
) -> Classified<'a> {
    let mut actions = Vec::new();
    let mut conflicts = Vec::new();
    for file in files {
        let new_hash = sha256(file.contents.as_bytes());
        let known = manifest.files.get(&file.path).map(|e| e.sha256.as_str());
        let action = match (on_disk.get(&file.path), known) {
            (None, _) => FileAction::Created,
            (Some(d), _) if *d == new_hash => FileAction::Unchanged,
            (Some(d), Some(k)) if d == k => FileAction::Updated,
            // Edited by hand, and the plan's version did not change: keep the edit.
            (Some(_), Some(k)) if k == new_hash => FileAction::KeptEdit,
            // Edited by hand (or not written by selkie) and the plan changes it.
            (Some(_), _) => {
                if !force {
                    conflicts.push(file.path.clone());
                }
                FileAction::ReplacedEdit
            }
        };
        actions.push((file.path.clone(), action, Some(file)));
    }
    for (rel, entry) in &manifest.files {
        if files.iter().any(|f| &f.path == rel) {
            continue;
        }
        let Some(disk) = on_disk.get(rel) else {
            continue;
        };
        let action = if *disk == entry.sha256 {
            FileAction::Removed
        } else {
            FileAction::LeftEdited
        };
        actions.push((rel.clone(), action, None));
    }
    Classified { actions, conflicts }
}

/// What the manifest will say afterwards. A kept edit stays recorded under selkie's own hash, so
/// it is still seen as edited next time.
pub(super) fn next_manifest(actions: &[Decision<'_>], manifest: &Manifest) -> Manifest {
    let mut next = Manifest::empty();
    for (rel, action, file) in actions {
        let entry = match (action, file) {
            (FileAction::KeptEdit | FileAction::LeftEdited, _) => manifest.files.get(rel).cloned(),
            (_, Some(f)) => Some(ManifestEntry {
                sha256: sha256(f.contents.as_bytes()),
                secret: f.secret,
            }),
            (_, None) => None,
        };
        if let Some(entry) = entry {
            next.files.insert(rel.clone(), entry);
        }
    }
    next
}

/// The files to remove, each with the hash selkie recorded (a file that changed since is kept).
pub(super) fn removals(actions: &[Decision<'_>], manifest: &Manifest) -> Vec<(String, String)> {
    actions
        .iter()
        .filter(|(_, a, _)| *a == FileAction::Removed)
        .filter_map(|(rel, _, _)| {
            manifest
                .files
                .get(rel)
                .map(|e| (rel.clone(), e.sha256.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: contents.into(),
            secret: false,
            executable: false,
        }
    }

    fn recorded(entries: &[(&str, &str)]) -> Manifest {
        let mut m = Manifest::empty();
        for (rel, contents) in entries {
            m.files.insert(
                rel.to_string(),
                ManifestEntry {
                    sha256: sha256(contents.as_bytes()),
                    secret: false,
                },
            );
        }
        m
    }

    #[test]
    fn each_file_is_classified_from_disk_plan_and_manifest() {
        let files = [
            file("new", "a"),
            file("same", "b"),
            file("ours", "c2"),
            file("kept", "d"),
            file("edited", "e2"),
        ];
        let manifest = recorded(&[
            ("ours", "c1"),
            ("kept", "d"),
            ("edited", "e1"),
            ("gone", "f"),
            ("gone-edited", "g"),
            ("gone-missing", "h"),
        ]);
        let on_disk: BTreeMap<String, String> = [
            ("same", "b"),
            ("ours", "c1"),
            ("kept", "d-by-hand"),
            ("edited", "e-by-hand"),
            ("gone", "f"),
            ("gone-edited", "g-by-hand"),
        ]
        .iter()
        .map(|(p, c)| (p.to_string(), sha256(c.as_bytes())))
        .collect();
        let c = classify(&files, &on_disk, &manifest, false);
        let got: Vec<(&str, FileAction)> =
            c.actions.iter().map(|(p, a, _)| (p.as_str(), *a)).collect();
        assert_eq!(
            got,
            [
                ("new", FileAction::Created),
                ("same", FileAction::Unchanged),
                ("ours", FileAction::Updated),
                ("kept", FileAction::KeptEdit),
                ("edited", FileAction::ReplacedEdit),
                ("gone", FileAction::Removed),
                ("gone-edited", FileAction::LeftEdited),
            ]
        );
        assert_eq!(c.conflicts, ["edited"]);
        assert!(classify(&files, &on_disk, &manifest, true)
            .conflicts
            .is_empty());

        let next = next_manifest(&c.actions, &manifest);
        // A kept edit stays under selkie's hash; a removed file and a missing one leave it.
        assert_eq!(next.files["kept"], manifest.files["kept"]);
        assert_eq!(next.files["ours"].sha256, sha256(b"c2"));
        assert_eq!(next.files["gone-edited"], manifest.files["gone-edited"]);
        assert!(!next.files.contains_key("gone") && !next.files.contains_key("gone-missing"));
        assert_eq!(
            removals(&c.actions, &manifest),
            [("gone".to_string(), sha256(b"f"))]
        );
    }
}
