//! The deployment directory: `selkie.toml` (answers), `secrets.toml` (0600), `manifest.toml`
//! (hashes of written files), atomic writes, timestamped backups, and hand-edit detection.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::RenderedFile;
use crate::secrets::Secrets;

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

/// Holds the deployment's lock file for as long as it lives; the kernel frees it when the process
/// ends, even when it is killed.
#[derive(Debug)]
pub struct Lock(#[allow(dead_code)] fs::File);

/// Take the deployment's lock, so two selkie runs never work on one directory at once.
pub fn lock(dir: &Path) -> Result<Lock> {
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    let path = dir.join(".selkie.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("cannot open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock(file)),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Other {
            message: format!("another selkie run is working on {}", dir.display()),
            hint: Some(
                "wait for it to finish and run again (the lock is freed when that run ends)".into(),
            ),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path, e)),
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
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| Error::State {
            path: path.clone(),
            message: e.message().to_string(),
        })?;
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
            .map_err(|e| Error::State {
                path,
                message: e.message().to_string(),
            })?;
        Ok(Some(answers))
    }

    /// The saved secrets, if any; tightens a file that has become readable by others.
    pub fn load_secrets(&self) -> Result<Option<Secrets>> {
        let path = self.path(SECRETS_FILE);
        let Some(text) = read_optional(&path)? else {
            return Ok(None);
        };
        tighten(&path)?;
        let secrets: Secrets = toml::from_str(&text).map_err(|e| Error::State {
            path,
            message: e.message().to_string(),
        })?;
        Ok(Some(secrets))
    }

    fn load_manifest(&self) -> Result<Manifest> {
        let path = self.path(MANIFEST_FILE);
        match read_optional(&path)? {
            None => Ok(Manifest {
                version: VERSION,
                files: BTreeMap::new(),
            }),
            Some(text) => toml::from_str(&text).map_err(|e| Error::State {
                path,
                message: e.message().to_string(),
            }),
        }
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
        if read_optional(&self.path(SECRETS_FILE))?.as_deref() != Some(secrets_text.as_str()) {
            writes.push((SECRETS_FILE.into(), secrets_text.into_bytes(), 0o600));
        }
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
        if read_optional(&self.path(MANIFEST_FILE))?.as_deref() != Some(manifest_text.as_str()) {
            writes.push((MANIFEST_FILE.into(), manifest_text.into_bytes(), 0o644));
        }
        // The answers go last: they are the record of a completed write.
        let answers_text = format!(
            "# selkie's answers for this deployment. Change them with `selkie setup --resume`,\n\
             # or edit this file and run `selkie setup --resume` to apply.\n\
             version = {VERSION}\n{}",
            encode(answers, ANSWERS_FILE)?
        );
        if read_optional(&self.path(ANSWERS_FILE))?.as_deref() != Some(answers_text.as_str()) {
            writes.push((ANSWERS_FILE.into(), answers_text.into_bytes(), 0o644));
        }
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

fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

fn read_bytes_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

/// Make a secret file 0600 again if something loosened it.
fn tighten(path: &Path) -> Result<()> {
    let meta = fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("cannot set permissions of", path, e))?;
    }
    Ok(())
}

fn file_mode(file: &RenderedFile) -> u32 {
    if file.secret {
        0o600
    } else if file.executable {
        0o755
    } else {
        0o644
    }
}

fn encode<T: Serialize>(value: &T, what: &str) -> Result<String> {
    toml::to_string(value).map_err(|e| Error::Other {
        message: format!("cannot encode {what}: {e}"),
        hint: None,
    })
}

/// Write `bytes` to a temporary file beside `path`, with `mode` exactly, and fsync it.
fn stage(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.selkie-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have removed bits from `mode`; set it exactly (secrets stay 0600).
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(Error::io("cannot write", path, e))
        }
    }
}

/// Rename a staged file over its target and fsync the directory.
fn commit(tmp: &Path, path: &Path) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::rename(tmp, path)
        .and_then(|()| fs::File::open(parent)?.sync_all())
        .map_err(|e| Error::io("cannot write", path, e))
}

fn discard(staged: &[(PathBuf, PathBuf)]) {
    for (tmp, _) in staged {
        let _ = fs::remove_file(tmp);
    }
}

/// Write through a temporary file in the same directory, fsync it, rename it over the target and
/// fsync the directory: a crash leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = stage(path, bytes, mode)?;
    commit(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// `20261121T230102Z` for backup folder names.
pub fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_302_062);
        assert_eq!(timestamp(t), "20261121T230102Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "20000229T000000Z");
    }

    #[test]
    fn atomic_writes_set_exact_modes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/secret");
        write_atomic(&p, b"x", 0o600).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        write_atomic(&p, b"y", 0o644).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"y");
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
