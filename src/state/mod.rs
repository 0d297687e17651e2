//! The deployment directory: `selkie.toml` (answers), `secrets.toml` (0600), `manifest.toml`
//! (hashes of written files), atomic writes, timestamped backups, and hand-edit detection.

mod files;
mod lock;
mod time;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::RenderedFile;
use crate::secrets::Secrets;

pub use files::write_atomic;
use files::{commit, discard, file_mode, read_bytes_optional, read_optional, stage, tighten};
pub use lock::{lock, Lock};
pub use time::timestamp;

/// The state format written by this version.
pub const VERSION: u32 = 1;
const ANSWERS_FILE: &str = "selkie.toml";
const SECRETS_FILE: &str = "secrets.toml";
const MANIFEST_FILE: &str = "manifest.toml";
const BACKUPS_DIR: &str = "backups";

/// The deployment directory: `--dir`, else `SELKIE_DIR`, else `/opt/selkie` as root and
/// `~/.local/share/selkie` otherwise. (`SELKIE_DIR` reaches here through the `--dir` flag.)
pub fn default_dir() -> PathBuf {
    let root = fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if root {
        return PathBuf::from("/opt/selkie");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/selkie"),
        None => PathBuf::from("selkie"),
    }
}

/// A file's hash as stored in the manifest.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    version: u32,
    #[serde(default)]
    files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEntry {
    sha256: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    secret: bool,
}

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

/// A deployment directory on disk.
#[derive(Debug, Clone)]
pub struct Deployment {
    dir: PathBuf,
}

impl Deployment {
    /// The deployment at `dir` (which may not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Deployment { dir: dir.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The saved answers, if any.
    pub fn load_answers(&self) -> Result<Option<Answers>> {
        let path = self.path(ANSWERS_FILE);
        let Some(text) = read_optional(&path)? else {
            return Ok(None);
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| unreadable(&path, &e))?;
        match table.remove("version") {
            Some(toml::Value::Integer(v)) if v == i64::from(VERSION) => {}
            Some(v) => {
                return Err(Error::State {
                    path,
                    message: format!("version {v} is not one this selkie reads (it reads {VERSION}); use a newer selkie"),
                })
            }
            None => {
                return Err(Error::State {
                    path,
                    message: "it has no `version` line".into(),
                })
            }
        }
        let answers = toml::Value::Table(table)
            .try_into::<Answers>()
            .map_err(|e| unreadable(&path, &e))?;
        Ok(Some(answers))
    }

    /// The saved secrets, if any; tightens a file that has become readable by others.
    pub fn load_secrets(&self) -> Result<Option<Secrets>> {
        let path = self.path(SECRETS_FILE);
        let Some(text) = read_optional(&path)? else {
            return Ok(None);
        };
        tighten(&path)?;
        let secrets: Secrets = toml::from_str(&text).map_err(|e| unreadable(&path, &e))?;
        Ok(Some(secrets))
    }

    fn load_manifest(&self) -> Result<Manifest> {
        let path = self.path(MANIFEST_FILE);
        match read_optional(&path)? {
            None => Ok(Manifest {
                version: VERSION,
                files: BTreeMap::new(),
            }),
            Some(text) => toml::from_str(&text).map_err(|e| unreadable(&path, &e)),
        }
    }

    /// The files `write` would refuse to replace without `force`: edited by hand (or not written
    /// by selkie) and changed by the plan. Reads only; the wizard asks about each one.
    pub fn hand_edited(&self, files: &[RenderedFile]) -> Result<Vec<String>> {
        let manifest = self.load_manifest()?;
        let mut out = Vec::new();
        for file in files {
            let Some(disk) = read_bytes_optional(&self.path(&file.path))? else {
                continue;
            };
            let (disk, new) = (sha256(&disk), sha256(file.contents.as_bytes()));
            let known = manifest.files.get(&file.path).map(|e| e.sha256.as_str());
            if disk != new && known != Some(disk.as_str()) && known != Some(new.as_str()) {
                out.push(file.path.clone());
            }
        }
        Ok(out)
    }

    /// Write the deployment: answers, secrets and every rendered file. Nothing is written when a
    /// hand-edited file would be replaced without `force`. Every new file is first staged next
    /// to its target and every replaced one backed up; only then are they renamed into place, so
    /// a failure before that point leaves the previous deployment as it was.
    pub fn write(
        &self,
        answers: &Answers,
        secrets: &Secrets,
        files: &[RenderedFile],
        force: bool,
    ) -> Result<Report> {
        let manifest = self.load_manifest()?;
        let mut actions: Vec<(String, FileAction, Option<&RenderedFile>)> = Vec::new();
        let mut conflicts = Vec::new();
        for file in files {
            let disk = read_bytes_optional(&self.path(&file.path))?;
            let new_hash = sha256(file.contents.as_bytes());
            let known = manifest.files.get(&file.path).map(|e| e.sha256.as_str());
            let action = match (disk.as_deref().map(sha256), known) {
                (None, _) => FileAction::Created,
                (Some(d), _) if d == new_hash => FileAction::Unchanged,
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
            let Some(bytes) = read_bytes_optional(&self.path(rel))? else {
                continue;
            };
            let action = if sha256(&bytes) == entry.sha256 {
                FileAction::Removed
            } else {
                FileAction::LeftEdited
            };
            actions.push((rel.clone(), action, None));
        }
        if !conflicts.is_empty() {
            return Err(Error::HandEdited { files: conflicts });
        }

        // What the manifest will say afterwards. A kept edit stays recorded under selkie's own
        // hash, so it is still seen as edited next time.
        let mut new_manifest = Manifest {
            version: VERSION,
            files: BTreeMap::new(),
        };
        for (rel, action, file) in &actions {
            let entry = match (action, file) {
                (FileAction::KeptEdit | FileAction::LeftEdited, _) => {
                    manifest.files.get(rel).cloned()
                }
                (_, Some(f)) => Some(ManifestEntry {
                    sha256: sha256(f.contents.as_bytes()),
                    secret: f.secret,
                }),
                (_, None) => None,
            };
            if let Some(entry) = entry {
                new_manifest.files.insert(rel.clone(), entry);
            }
        }

        // Every whole-file replacement of this run: (relative path, new bytes, mode).
        let mut writes: Vec<(String, Vec<u8>, u32)> = Vec::new();
        let secrets_text = encode(secrets, SECRETS_FILE)?;
        writes.extend(self.if_changed(SECRETS_FILE, secrets_text, 0o600)?);
        for (rel, action, file) in &actions {
            if let (FileAction::Created | FileAction::Updated | FileAction::ReplacedEdit, Some(f)) =
                (action, file)
            {
                writes.push((rel.clone(), f.contents.clone().into_bytes(), file_mode(f)));
            }
        }
        let manifest_text = format!(
            "# Files selkie wrote and their SHA-256, to tell hand edits apart. Do not edit.\n{}",
            encode(&new_manifest, MANIFEST_FILE)?
        );
        writes.extend(self.if_changed(MANIFEST_FILE, manifest_text, 0o644)?);
        // The answers go last: they are the record of a completed write.
        let answers_text = format!(
            "# selkie's answers for this deployment. Change them with `selkie setup --resume`,\n\
             # or edit this file and run `selkie setup --resume` to apply.\n\
             version = {VERSION}\n{}",
            encode(answers, ANSWERS_FILE)?
        );
        writes.extend(self.if_changed(ANSWERS_FILE, answers_text, 0o644)?);
        let removals: Vec<&str> = actions
            .iter()
            .filter(|(_, a, _)| *a == FileAction::Removed)
            .map(|(rel, _, _)| rel.as_str())
            .collect();

        fs::create_dir_all(&self.dir).map_err(|e| Error::io("cannot create", &self.dir, e))?;
        // Stage: nothing visible changes yet.
        let mut staged = Vec::new();
        for (rel, bytes, mode) in &writes {
            match stage(&self.path(rel), bytes, *mode) {
                Ok(tmp) => staged.push((tmp, self.path(rel))),
                Err(e) => {
                    discard(&staged);
                    return Err(e);
                }
            }
        }
        // Back up everything about to be replaced or removed.
        let backup_dir = self.backup_dir();
        let mut report = Report::default();
        let replaced: Vec<&str> = writes
            .iter()
            .map(|(rel, _, _)| rel.as_str())
            .chain(removals.iter().copied())
            .filter(|rel| self.path(rel).exists())
            .collect();
        for rel in &replaced {
            if let Err(e) = self.backup(&backup_dir, rel) {
                discard(&staged);
                return Err(e);
            }
            report.backup = Some(backup_dir.clone());
        }
        // Commit: renames only.
        for (tmp, target) in &staged {
            commit(tmp, target)?;
        }
        for rel in &removals {
            let path = self.path(rel);
            fs::remove_file(&path).map_err(|e| Error::io("cannot remove", &path, e))?;
        }
        // A secret file keeps 0600 even when it did not change and someone loosened it.
        for f in files.iter().filter(|f| f.secret) {
            let path = self.path(&f.path);
            if path.exists() {
                tighten(&path)?;
            }
        }
        report.files = actions.into_iter().map(|(rel, a, _)| (rel, a)).collect();
        Ok(report)
    }

    /// The write of one of selkie's own files, or `None` when it already holds `text`.
    fn if_changed(
        &self,
        rel: &str,
        text: String,
        mode: u32,
    ) -> Result<Option<(String, Vec<u8>, u32)>> {
        let unchanged = read_optional(&self.path(rel))?.as_deref() == Some(text.as_str());
        Ok((!unchanged).then(|| (rel.to_string(), text.into_bytes(), mode)))
    }

    fn backup_dir(&self) -> PathBuf {
        let base = self.path(BACKUPS_DIR).join(timestamp(SystemTime::now()));
        let mut candidate = base.clone();
        let mut n = 1;
        while candidate.exists() {
            n += 1;
            candidate = PathBuf::from(format!("{}-{n}", base.display()));
        }
        candidate
    }

    fn backup(&self, backup_dir: &Path, rel: &str) -> Result<()> {
        let source = self.path(rel);
        let Some(bytes) = read_bytes_optional(&source)? else {
            return Ok(());
        };
        // backups/ is 0700: it may hold copies of secret files.
        let root = self.path(BACKUPS_DIR);
        fs::create_dir_all(&root).map_err(|e| Error::io("cannot create", &root, e))?;
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("cannot set permissions of", &root, e))?;
        let target = backup_dir.join(rel);
        let mode = fs::metadata(&source)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        write_atomic(&target, &bytes, mode)
    }
}

fn encode<T: Serialize>(value: &T, what: &str) -> Result<String> {
    toml::to_string(value).map_err(|e| Error::Other {
        message: format!("cannot encode {what}: {e}"),
        hint: None,
    })
}

/// A state file that does not parse, named so the operator can open it.
fn unreadable(path: &Path, e: &toml::de::Error) -> Error {
    Error::State {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    }
}
