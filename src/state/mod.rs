//! The deployment directory: `selkie.toml` (answers), `secrets.toml` (0600), `manifest.toml`
//! (hashes of written files), commits as transactions, timestamped backups, and hand-edit
//! detection. Every file is reached through the directory's handle without following links
//! (`dirfd`), every path a state file names is checked (`paths`), and the lock is taken before
//! anything is read (`lock`).

mod dirfd;
mod files;
mod lock;
mod paths;
mod time;
mod txn;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::RenderedFile;
use crate::secrets::Secrets;

use dirfd::{Dir, Missing};
use files::file_mode;
pub use files::{append_line, read_nofollow, write_atomic};
pub use lock::{lock, lock_existing, no_deployment, Lock};
pub use time::timestamp;

/// The state format written by this version.
pub const VERSION: u32 = 1;
const ANSWERS_FILE: &str = "selkie.toml";
const SECRETS_FILE: &str = "secrets.toml";
const MANIFEST_FILE: &str = "manifest.toml";

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

/// Take the lock when the directory exists (everything read afterwards is under it); a
/// directory that does not exist yet holds nothing to read, and is created and locked by the
/// commit.
pub fn lock_if_exists(dir: &Path) -> Result<Option<Lock>> {
    match Dir::open(dir, Missing::Fail)? {
        Some(root) => lock::take(&root).map(Some),
        None => Ok(None),
    }
}

impl Deployment {
    /// The deployment at `dir` (which may not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Deployment { dir: dir.into() }
    }

    /// The directory, opened safely, with a killed run's commit finished when no other run
    /// holds the lock; `None` when it does not exist.
    fn root(&self) -> Result<Option<Dir>> {
        let Some(root) = Dir::open(&self.dir, Missing::Fail)? else {
            return Ok(None);
        };
        lock::try_take(&root)?;
        Ok(Some(root))
    }

    /// A state file's text; `None` when absent. Not UTF-8 is a state error with a hint.
    fn read_text(root: &Dir, name: &str) -> Result<Option<String>> {
        let Some(bytes) = root.read(name)? else {
            return Ok(None);
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::State {
                path: root.path().join(name),
                message: "it is not UTF-8 text".into(),
            })
    }

    /// The bytes of a rendered file; `None` when it (or its folder) does not exist.
    fn read_rendered(root: &Dir, rel: &str, now: &[&str]) -> Result<Option<Vec<u8>>> {
        let (dir, name) = paths::recorded(rel, now)?;
        match root.descend(dir, Missing::Fail)? {
            Some(parent) => parent.read(name),
            None => Ok(None),
        }
    }

    /// The saved answers, if any.
    pub fn load_answers(&self) -> Result<Option<Answers>> {
        let Some(root) = self.root()? else {
            return Ok(None);
        };
        let path = root.path().join(ANSWERS_FILE);
        let Some(text) = Self::read_text(&root, ANSWERS_FILE)? else {
            return Ok(None);
        };
        parse_answers(&text)
            .map(Some)
            .map_err(|message| Error::State { path, message })
    }

    /// The saved secrets, if any, each checked; tightens a file that has become readable by
    /// others (through the file's own descriptor).
    pub fn load_secrets(&self) -> Result<Option<Secrets>> {
        let Some(root) = self.root()? else {
            return Ok(None);
        };
        let path = root.path().join(SECRETS_FILE);
        let Some(text) = Self::read_text(&root, SECRETS_FILE)? else {
            return Ok(None);
        };
        tighten(&root, SECRETS_FILE)?;
        parse_secrets(&text)
            .map(Some)
            .map_err(|message| Error::State { path, message })
    }

    /// Whether the deployment has saved answers but its `secrets.toml` is gone: new secrets
    /// would silently change every client's API key, so setup stops and says so.
    pub fn secrets_missing(&self) -> Result<bool> {
        let Some(root) = self.root()? else {
            return Ok(false);
        };
        Ok(root.stat_file(ANSWERS_FILE)?.is_some() && root.stat_file(SECRETS_FILE)?.is_none())
    }

    fn load_manifest(&self, root: &Dir) -> Result<Manifest> {
        let path = root.path().join(MANIFEST_FILE);
        match Self::read_text(root, MANIFEST_FILE)? {
            None => Ok(Manifest {
                version: VERSION,
                files: BTreeMap::new(),
            }),
            Some(text) => parse_manifest(&text).map_err(|message| Error::State { path, message }),
        }
    }

    /// The files `write` would refuse to replace without `force`: edited by hand (or not written
    /// by selkie) and changed by the plan. Reads only; the wizard asks about each one.
    pub fn hand_edited(&self, files: &[RenderedFile]) -> Result<Vec<String>> {
        let Some(root) = self.root()? else {
            return Ok(Vec::new());
        };
        let manifest = self.load_manifest(&root)?;
        let now: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let mut out = Vec::new();
        for file in files {
            paths::rendered(&file.path)?;
            let Some(disk) = Self::read_rendered(&root, &file.path, &now)? else {
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
        secrets.check().map_err(|message| Error::Other {
            message: format!("refusing to write secrets.toml: {message}"),
            hint: None,
        })?;
        let manifest = self.load_manifest(&root)?;
        let now: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let mut actions: Vec<(String, FileAction, Option<&RenderedFile>)> = Vec::new();
        let mut conflicts = Vec::new();
        for file in files {
            paths::rendered(&file.path)?;
            let disk = Self::read_rendered(&root, &file.path, &now)?;
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
            let Some(bytes) = Self::read_rendered(&root, rel, &now)? else {
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

        // Every whole-file replacement of this run.
        let mut writes: Vec<txn::Write> = Vec::new();
        let secrets_text = secrets.to_toml().map_err(|e| Error::Other {
            message: format!("cannot encode secrets.toml: {e}"),
            hint: None,
        })?;
        writes.extend(Self::if_changed(&root, SECRETS_FILE, secrets_text, 0o600)?);
        for (rel, action, file) in &actions {
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
        let manifest_text = format!(
            "# Files selkie wrote and their SHA-256, to tell hand edits apart. Do not edit.\n{}",
            encode(&new_manifest, MANIFEST_FILE)?
        );
        writes.extend(Self::if_changed(
            &root,
            MANIFEST_FILE,
            manifest_text,
            0o644,
        )?);
        let answers_text = format!(
            "# selkie's answers for this deployment. Change them with `selkie setup --resume`,\n\
             # or edit this file and run `selkie setup --resume` to apply.\n\
             version = {VERSION}\n{}",
            encode(answers, ANSWERS_FILE)?
        );
        writes.extend(Self::if_changed(&root, ANSWERS_FILE, answers_text, 0o644)?);
        let removals: Vec<(String, String)> = actions
            .iter()
            .filter(|(_, a, _)| *a == FileAction::Removed)
            .filter_map(|(rel, _, _)| {
                manifest
                    .files
                    .get(rel)
                    .map(|e| (rel.clone(), e.sha256.clone()))
            })
            .collect();

        let mut report = Report {
            backup: txn::commit(&root, &writes, &removals)?,
            ..Report::default()
        };
        // A secret file keeps 0600 even when it did not change and someone loosened it.
        tighten(&root, SECRETS_FILE)?;
        for f in files.iter().filter(|f| f.secret) {
            let (dir, name) = paths::rendered(&f.path)?;
            if let Some(parent) = root.descend(dir, Missing::Fail)? {
                tighten(&parent, name)?;
            }
        }
        report.files = actions.into_iter().map(|(rel, a, _)| (rel, a)).collect();
        Ok(report)
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
}

/// Make a secret file 0600 again if something loosened it.
fn tighten(dir: &Dir, name: &str) -> Result<()> {
    if let Some(st) = dir.stat_file(name)? {
        if st.st_mode & 0o077 != 0 {
            dir.chmod(name, 0o600)?;
        }
    }
    Ok(())
}

/// `selkie.toml`'s text as answers, or what is wrong with it.
pub fn parse_answers(text: &str) -> std::result::Result<Answers, String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    match table.remove("version") {
        Some(toml::Value::Integer(v)) if v == i64::from(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "version {v} is not one this selkie reads (it reads {VERSION}); use a newer selkie"
            ))
        }
        None => return Err("it has no `version` line".into()),
    }
    toml::Value::Table(table)
        .try_into::<Answers>()
        .map_err(|e| e.message().to_string())
}

/// `secrets.toml`'s text as checked secrets, or what is wrong with it (never a secret's value).
pub fn parse_secrets(text: &str) -> std::result::Result<Secrets, String> {
    toml::from_str::<Secrets>(text).map_err(|e| e.message().to_string())
}

/// `manifest.toml`'s text, every path in it checked, or what is wrong with it.
fn parse_manifest(text: &str) -> std::result::Result<Manifest, String> {
    let manifest: Manifest = toml::from_str(text).map_err(|e| e.message().to_string())?;
    if manifest.version != VERSION {
        return Err(format!(
            "version {} is not one this selkie reads",
            manifest.version
        ));
    }
    for (rel, entry) in &manifest.files {
        paths::rendered(rel).map_err(|e| e.to_string())?;
        if entry.sha256.len() != 64 || !entry.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "the hash of `{}` is not a SHA-256",
                rel.escape_debug()
            ));
        }
    }
    Ok(manifest)
}

/// Check `manifest.toml`'s text as selkie would read it (for tests and the fuzz corpus).
pub fn check_manifest(text: &str) -> std::result::Result<usize, String> {
    parse_manifest(text).map(|m| m.files.len())
}

fn encode<T: Serialize>(value: &T, what: &str) -> Result<String> {
    toml::to_string(value).map_err(|e| Error::Other {
        message: format!("cannot encode {what}: {e}"),
        hint: None,
    })
}
