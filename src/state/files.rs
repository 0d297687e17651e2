//! File operations that never leave half a file behind: staging beside the target, renaming into
//! place with fsync, and keeping secret files at 0600.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::render::RenderedFile;

/// A file's text, or `None` when it does not exist yet (a fresh deployment).
pub(super) fn read_optional(path: &Path) -> Result<Option<String>> {
    optional(path, |p| fs::read_to_string(p))
}

/// A file's bytes, or `None` when it does not exist (never written, or removed by hand).
pub(super) fn read_bytes_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    optional(path, |p| fs::read(p))
}

/// A missing file is an answer, not an error; any other failure to read is.
fn optional<T>(path: &Path, read: impl FnOnce(&Path) -> std::io::Result<T>) -> Result<Option<T>> {
    match read(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

/// Make a secret file 0600 again if something loosened it.
pub(super) fn tighten(path: &Path) -> Result<()> {
    let meta = fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("cannot set permissions of", path, e))?;
    }
    Ok(())
}

/// The mode a rendered file is written with: secrets are private, scripts executable.
pub(super) fn file_mode(file: &RenderedFile) -> u32 {
    if file.secret {
        0o600
    } else if file.executable {
        0o755
    } else {
        0o644
    }
}

/// Write `bytes` to a temporary file beside `path`, with `mode` exactly, and fsync it.
pub(super) fn stage(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
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
pub(super) fn commit(tmp: &Path, path: &Path) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::rename(tmp, path)
        .and_then(|()| fs::File::open(parent)?.sync_all())
        .map_err(|e| Error::io("cannot write", path, e))
}

/// Remove staged files after a failure, so no temporary file outlives the run.
pub(super) fn discard(staged: &[(PathBuf, PathBuf)]) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
