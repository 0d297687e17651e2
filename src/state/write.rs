//! Writing the deployment as one transaction: read what is on disk, classify every file
//! (`classify`), refuse to replace a hand edit without `--force`, then hand the whole-file
//! replacements and removals to the commit (`txn`).

use std::collections::BTreeMap;

use super::classify::{self, Decision, FileAction, Report};
use super::dirfd::{Dir, Missing};
use super::error::StateError;
use super::files::file_mode;
use super::state_files::{
    answers_text, manifest_text, secrets_text, Manifest, ANSWERS_FILE, MANIFEST_FILE, SECRETS_FILE,
};
use super::{lock, no_deployment, paths, tighten, txn, Deployment};
use crate::answers::Answers;
use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::render::RenderedFile;
use crate::secrets::Secrets;

impl Deployment {
    /// Write the deployment: answers, secrets and every rendered file, as one transaction.
    /// Nothing is written when a hand-edited file would be replaced without `force`. Every new
    /// file is staged, every replaced one backed up, the intent recorded, and only then are they
    /// renamed into place; a run killed at any point is completed or rolled back by the next.
    pub fn write(
        &self,
        answers: &Answers,
        secrets: &Secrets,
        files: &[RenderedFile],
        force: bool,
    ) -> Result<Report> {
        // The lock (taken by the caller, or here) finished any earlier commit first.
        let _lock = lock(&self.dir)?;
        let root = Dir::open(&self.dir, Missing::Fail)?.ok_or_else(|| no_deployment(&self.dir))?;
        secrets
            .check()
            .map_err(|reason| StateError::SecretsRefused { reason })?;
        let manifest = self.load_manifest(&root)?;
        let on_disk = on_disk(&root, files, &manifest, true)?;
        let classified = classify::classify(files, &on_disk, &manifest, force);
        if !classified.conflicts.is_empty() {
            return Err(Error::HandEdited {
                files: classified.conflicts,
            });
        }
        let actions = classified.actions;
        let writes = writes(&root, answers, secrets, &actions, &manifest)?;
        let removals = classify::removals(&actions, &manifest);
        let backup = txn::commit(&root, &writes, &removals)?;
        tighten_secrets(&root, files)?;
        Ok(Report {
            files: actions.into_iter().map(|(rel, a, _)| (rel, a)).collect(),
            backup,
        })
    }
}

/// The SHA-256 of every file that exists now: each of the plan's files and, with `orphans`, each
/// the manifest names that the plan no longer has. Every path is checked before it is read.
pub(super) fn on_disk(
    root: &Dir,
    files: &[RenderedFile],
    manifest: &Manifest,
    orphans: bool,
) -> Result<BTreeMap<String, String>> {
    let now: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut out = hashes(files, &contents(root, files)?);
    if !orphans {
        return Ok(out);
    }
    for rel in manifest.files.keys() {
        if files.iter().any(|f| &f.path == rel) {
            continue;
        }
        if let Some(bytes) = Deployment::read_rendered(root, rel, &now)? {
            out.insert(rel.clone(), sha256(&bytes));
        }
    }
    Ok(out)
}

/// What `root` holds for each of `files`, in their order (`None` where one does not exist); each
/// path is checked first, and no symbolic link is followed.
pub(super) fn contents(root: &Dir, files: &[RenderedFile]) -> Result<Vec<Option<Vec<u8>>>> {
    let now: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    files
        .iter()
        .map(|file| {
            paths::rendered(&file.path)?;
            Deployment::read_rendered(root, &file.path, &now)
        })
        .collect()
}

/// The SHA-256 of each file that exists, by relative path.
pub(super) fn hashes(
    files: &[RenderedFile],
    contents: &[Option<Vec<u8>>],
) -> BTreeMap<String, String> {
    files
        .iter()
        .zip(contents)
        .filter_map(|(file, bytes)| Some((file.path.clone(), sha256(bytes.as_ref()?))))
        .collect()
}

/// Every whole-file replacement of this run: secrets, the rendered files that change, the
/// manifest, the answers; each of selkie's own files only when its text changes.
fn writes(
    root: &Dir,
    answers: &Answers,
    secrets: &Secrets,
    actions: &[Decision<'_>],
    manifest: &Manifest,
) -> Result<Vec<txn::Write>> {
    let next = classify::next_manifest(actions, manifest);
    let mut writes: Vec<txn::Write> = Vec::new();
    writes.extend(if_changed(
        root,
        SECRETS_FILE,
        secrets_text(secrets)?,
        0o600,
    )?);
    for (rel, action, file) in actions {
        if let (FileAction::Created | FileAction::Updated | FileAction::ReplacedEdit, Some(f)) =
            (action, file)
        {
            writes.push(txn::Write {
                path: rel.clone(),
                bytes: f.contents.clone().into_bytes(),
                mode: file_mode(f),
            });
        }
    }
    writes.extend(if_changed(
        root,
        MANIFEST_FILE,
        manifest_text(&next)?,
        0o644,
    )?);
    writes.extend(if_changed(
        root,
        ANSWERS_FILE,
        answers_text(answers)?,
        0o644,
    )?);
    Ok(writes)
}

/// The write of one of selkie's own files, or `None` when it already holds `text`.
fn if_changed(root: &Dir, name: &str, text: String, mode: u32) -> Result<Option<txn::Write>> {
    let unchanged = root.read(name)?.as_deref() == Some(text.as_bytes());
    Ok((!unchanged).then(|| txn::Write {
        path: name.to_string(),
        bytes: text.into_bytes(),
        mode,
    }))
}

/// A secret file keeps 0600 even when it did not change and someone loosened it.
fn tighten_secrets(root: &Dir, files: &[RenderedFile]) -> Result<()> {
    tighten(root, SECRETS_FILE)?;
    for f in files.iter().filter(|f| f.secret) {
        let (dir, name) = paths::rendered(&f.path)?;
        if let Some(parent) = root.descend(dir, Missing::Fail)? {
            tighten(&parent, name)?;
        }
    }
    Ok(())
}
