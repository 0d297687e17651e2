//! The machine itself: operating system and architecture, memory, free disk space.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{Item, Mark};
use crate::report::units::bytes;

const GIB: u64 = 1024 * 1024 * 1024;

/// Below this much memory (`MemTotal`) the memory line warns. LiveKit needs about 1 GiB for a
/// small deployment; a "1 GB" server shows a little less than 1 GiB because the kernel keeps
/// some for itself, so the line sits at 900 MiB rather than at exactly 1 GiB.
pub const MIN_MEMORY: u64 = 900 * 1024 * 1024;

/// Below this much free space where the deployment lives the disk line warns: the images
/// (LiveKit, Caddy, Redis) and a few days of logs.
pub const MIN_DISK: u64 = 2 * GIB;

/// The OS line for this host: `std::env::consts` and the distribution's `PRETTY_NAME`.
pub fn os_item() -> Item {
    let os_release = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .ok();
    os_item_for(
        std::env::consts::OS,
        std::env::consts::ARCH,
        os_release.as_deref(),
    )
}

/// The OS line from its inputs: Fail off Linux, Warn on an architecture LiveKit ships no
/// images for (it ships amd64 and arm64).
pub fn os_item_for(os: &str, arch: &str, os_release: Option<&str>) -> Item {
    if os != "linux" {
        return Item::new(
            Mark::Fail,
            "System",
            format!(
                "this is {os}: selkie sets up Linux servers only; run it on the Linux server \
                 that will host LiveKit"
            ),
        );
    }
    let name = os_release
        .and_then(pretty_name)
        .unwrap_or_else(|| "Linux".to_string());
    let docker_arch = match arch {
        "x86_64" => Some("amd64"),
        "aarch64" => Some("arm64"),
        _ => None,
    };
    match docker_arch {
        Some(d) => Item::new(Mark::Ok, "System", format!("{name}, {arch} ({d})")),
        None => Item::new(
            Mark::Warn,
            "System",
            format!(
                "{name}, {arch}: LiveKit publishes its images for amd64 and arm64 only, so its \
                 containers will not start here; use an amd64 or arm64 server"
            ),
        ),
    }
}

/// `PRETTY_NAME` from os-release text, unquoted.
fn pretty_name(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        .filter(|v| !v.is_empty())
}

/// The memory line from `{proc}/meminfo`.
pub fn memory_item(proc_dir: &Path) -> Item {
    let meminfo = std::fs::read_to_string(proc_dir.join("meminfo")).ok();
    memory_item_for(meminfo.as_deref().and_then(mem_total))
}

/// `MemTotal` in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The memory line from the total (`None`: could not be read).
pub fn memory_item_for(total: Option<u64>) -> Item {
    match total {
        None => Item::new(
            Mark::Warn,
            "Memory",
            "could not read /proc/meminfo; LiveKit needs about 1 GiB for a small deployment, \
             check with `free -h`",
        ),
        Some(t) if t < MIN_MEMORY => Item::new(
            Mark::Warn,
            "Memory",
            format!(
                "{} in total: LiveKit needs about 1 GiB for a small deployment; calls may stall \
                 or containers be killed, so choose a server with at least 1 GiB",
                bytes(t)
            ),
        ),
        Some(t) => Item::new(
            Mark::Ok,
            "Memory",
            format!(
                "{} (LiveKit needs about 1 GiB for a small deployment)",
                bytes(t)
            ),
        ),
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

/// The disk line: free space where the deployment directory `deploy_dir` will live.
pub fn disk_item(deploy_dir: &Path) -> Item {
    let Some(on) = existing_dir(deploy_dir) else {
        return Item::new(
            Mark::Warn,
            "Disk",
            format!(
                "could not tell where {} would live; selkie needs about 2 GiB free there \
                 (check with `df -h`)",
                deploy_dir.display()
            ),
        );
    };
    disk_item_for(deploy_dir, &on, free_bytes(&on))
}

/// The disk line from its inputs: the deployment directory, the existing directory measured,
/// and its free bytes (`None`: could not be read).
pub fn disk_item_for(deploy_dir: &Path, on: &Path, free: Option<u64>) -> Item {
    let place = if on == deploy_dir {
        format!("in {}", on.display())
    } else {
        format!("on {} (for {})", on.display(), deploy_dir.display())
    };
    match free {
        None => Item::new(
            Mark::Warn,
            "Disk",
            format!(
                "could not measure the free space {place}; selkie needs about 2 GiB \
                 (check with `df -h`)"
            ),
        ),
        Some(f) if f < MIN_DISK => Item::new(
            Mark::Warn,
            "Disk",
            format!(
                "{} free {place}: the images and logs need about 2 GiB; free some space \
                 (`docker system prune`, old logs) or choose --dir on a bigger disk",
                bytes(f)
            ),
        ),
        Some(f) => Item::new(Mark::Ok, "Disk", format!("{} free {place}", bytes(f))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_on_amd64_and_arm64_is_fine() {
        let release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        let ok = os_item_for("linux", "x86_64", Some(release));
        assert_eq!(ok.mark, Mark::Ok);
        assert_eq!(ok.detail, "Debian GNU/Linux 12 (bookworm), x86_64 (amd64)");
        assert_eq!(
            os_item_for("linux", "aarch64", None).detail,
            "Linux, aarch64 (arm64)"
        );
        let riscv = os_item_for("linux", "riscv64", Some(release));
        assert_eq!(riscv.mark, Mark::Warn);
        assert!(riscv.detail.contains("amd64 and arm64"));
        let mac = os_item_for("macos", "aarch64", None);
        assert_eq!(mac.mark, Mark::Fail);
        assert!(mac.detail.contains("Linux servers only"));
    }

    #[test]
    fn memory_below_what_livekit_needs_warns() {
        let meminfo = "MemTotal:        2027668 kB\nMemFree:          123 kB\n";
        assert_eq!(mem_total(meminfo), Some(2027668 * 1024));
        let ok = memory_item_for(mem_total(meminfo));
        assert_eq!(
            (ok.mark, ok.detail.as_str()),
            (
                Mark::Ok,
                "1.9 GiB (LiveKit needs about 1 GiB for a small deployment)"
            )
        );
        // A "1 GB" droplet's MemTotal.
        assert_eq!(memory_item_for(Some(961 * 1024 * 1024)).mark, Mark::Ok);
        let low = memory_item_for(Some(512 * 1024 * 1024));
        assert_eq!(low.mark, Mark::Warn);
        assert!(low
            .detail
            .starts_with("512 MiB in total: LiveKit needs about 1 GiB"));
        assert_eq!(memory_item_for(None).mark, Mark::Warn);
    }

    #[test]
    fn memory_is_read_from_proc() {
        let proc_dir = tempfile::tempdir().unwrap();
        std::fs::write(proc_dir.path().join("meminfo"), "MemTotal: 524288 kB\n").unwrap();
        assert_eq!(memory_item(proc_dir.path()).mark, Mark::Warn);
    }

    #[test]
    fn free_disk_is_measured_where_the_deployment_will_live() {
        let dir = tempfile::tempdir().unwrap();
        let deploy = dir.path().join("not/yet/selkie");
        assert_eq!(existing_dir(&deploy).as_deref(), Some(dir.path()));
        assert!(free_bytes(dir.path()).is_some_and(|b| b > 0));
        let item = disk_item(&deploy);
        assert!(
            item.detail
                .contains(&format!("on {}", dir.path().display())),
            "{item:?}"
        );
        let low = disk_item_for(&deploy, dir.path(), Some(GIB));
        assert_eq!(low.mark, Mark::Warn);
        assert!(low.detail.starts_with("1.0 GiB free on"));
        assert!(low.detail.contains("--dir"));
        let ok = disk_item_for(
            Path::new("/opt/selkie"),
            Path::new("/opt/selkie"),
            Some(40 * GIB),
        );
        assert_eq!(
            ok,
            Item::new(Mark::Ok, "Disk", "40.0 GiB free in /opt/selkie")
        );
    }
}
