//! Writes outside a commit (the wizard's draft and run log, the dashboard's log): each reaches
//! its folder by the same checked walk as the deployment directory and never follows a link.

use std::io::Write;
use std::path::Path;

use super::dirfd::{Dir, Missing};
use super::error::StateError;
use crate::error::{Error, Result};
use crate::render::RenderedFile;

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

/// A path's directory (`.` when it has none) and file name.
fn split(path: &Path) -> Result<(&Path, String)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| StateError::NoFileName {
            path: path.to_path_buf(),
        })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((parent, name))
}

fn parent_and_name(path: &Path) -> Result<(Dir, String)> {
    let (parent, name) = split(path)?;
    let dir =
        Dir::open(parent, Missing::Create(0o755))?.ok_or_else(|| StateError::CannotCreate {
            what: parent.display().to_string(),
        })?;
    Ok((dir, name))
}

/// Write through a new file under an unpredictable name in the same directory, fsync it, rename
/// it over the target and fsync the directory: a crash leaves either the old file or the new one,
/// never half of one, and a link at the target is replaced, never followed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let (dir, name) = parent_and_name(path)?;
    let tmp = dir.stage(bytes, mode)?;
    dir.rename(&tmp, &name)
        .and_then(|()| dir.sync())
        .inspect_err(|_| {
            let _ = dir.unlink(&tmp);
        })
}

/// A file's bytes read without following a link at any component, or `None` when it or its
/// directory does not exist.
pub fn read_nofollow(path: &Path) -> Result<Option<Vec<u8>>> {
    let (parent, name) = split(path)?;
    match Dir::open(parent, Missing::Fail)? {
        Some(dir) => dir.read(&name),
        None => Ok(None),
    }
}

/// Append one line to a log file (created 0600 if needed), never through a link.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    let (dir, name) = parent_and_name(path)?;
    let mut file = dir.append(&name, 0o600)?;
    writeln!(file, "{line}").map_err(|e| Error::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

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

    #[test]
    fn logs_are_never_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::write(&outside, "keep").unwrap();
        fs::create_dir(dir.path().join("logs")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.path().join("logs/status.log")).unwrap();
        assert!(append_line(&dir.path().join("logs/status.log"), "x").is_err());
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");
    }
}
