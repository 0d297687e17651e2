//! The machine itself: operating system and architecture, memory, free disk space where the
//! deployment will live. Reading files (and one statvfs call) only.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The operating system this binary runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    /// `std::env::consts::OS`: `linux`, `macos` …
    pub os: String,
    /// `std::env::consts::ARCH`: `x86_64`, `aarch64` …
    pub arch: String,
    /// The distribution's `PRETTY_NAME` from os-release, when there is one.
    pub name: Option<String>,
}

impl Default for System {
    /// Linux on amd64, distribution unknown.
    fn default() -> Self {
        System {
            os: "linux".into(),
            arch: "x86_64".into(),
            name: None,
        }
    }
}

/// The free space where the deployment will live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disk {
    /// The deployment directory, which may not exist yet.
    pub deploy_dir: PathBuf,
    /// The existing directory measured: the deployment directory or its nearest existing
    /// parent; `None` when there is none to be found.
    pub on: Option<PathBuf>,
    /// Bytes an unprivileged user may still write there; `None` when it could not be measured.
    pub free: Option<u64>,
}

/// This binary's system: `std::env::consts` and the distribution's `PRETTY_NAME`.
pub fn system() -> System {
    let os_release = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .ok();
    System {
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        name: os_release.as_deref().and_then(pretty_name),
    }
}

/// `PRETTY_NAME` from os-release text, unquoted.
fn pretty_name(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        .filter(|v| !v.is_empty())
}

/// `MemTotal` in bytes from `{proc}/meminfo`, when it can be read.
pub fn memory(proc_dir: &Path) -> Option<u64> {
    let meminfo = std::fs::read_to_string(proc_dir.join("meminfo")).ok()?;
    mem_total(&meminfo)
}

/// `MemTotal` in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The free space where the deployment directory `deploy_dir` will live.
pub fn disk(deploy_dir: &Path) -> Disk {
    let on = existing_dir(deploy_dir);
    Disk {
        deploy_dir: deploy_dir.to_path_buf(),
        free: on.as_deref().and_then(free_bytes),
        on,
    }
}

/// The existing directory the deployment directory is (or will be) on: itself, or its
/// nearest existing parent. Relative paths start at the current directory.
fn existing_dir(dir: &Path) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    dir.ancestors().find(|p| p.is_dir()).map(Path::to_path_buf)
}

/// Bytes an unprivileged user may still write on the filesystem holding `path` (statvfs(3)).
fn free_bytes(path: &Path) -> Option<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call, and `stat` points to
    // writable memory the size of a `statvfs`, which the call fills when it returns 0.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it initialised `stat`.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::useless_conversion)] // the field types differ between targets
    let (blocks, fragment) = (u64::from(stat.f_bavail), u64::from(stat.f_frsize));
    Some(blocks.saturating_mul(fragment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_and_memory_are_read() {
        let release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(release).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("PRETTY_NAME=''\n"), None);
        let meminfo = "MemTotal:        2027668 kB\nMemFree:          123 kB\n";
        assert_eq!(mem_total(meminfo), Some(2027668 * 1024));
        let proc_dir = tempfile::tempdir().unwrap();
        assert_eq!(memory(proc_dir.path()), None);
        std::fs::write(proc_dir.path().join("meminfo"), "MemTotal: 524288 kB\n").unwrap();
        assert_eq!(memory(proc_dir.path()), Some(512 * 1024 * 1024));
    }

    #[test]
    fn free_disk_is_measured_where_the_deployment_will_live() {
        let dir = tempfile::tempdir().unwrap();
        let deploy = dir.path().join("not/yet/selkie");
        let found = disk(&deploy);
        assert_eq!(found.deploy_dir, deploy);
        assert_eq!(found.on.as_deref(), Some(dir.path()));
        assert!(found.free.is_some_and(|b| b > 0), "{found:?}");
    }
}
