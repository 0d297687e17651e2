//! The machine itself: operating system and architecture, memory, free disk space.

use super::{Item, Mark};
use crate::host::{Disk, System};
use crate::report::units::bytes;

const GIB: u64 = 1024 * 1024 * 1024;

/// Below this much memory (`MemTotal`) the memory line warns. LiveKit needs about 1 GiB for a
/// small deployment; a "1 GB" server shows a little less than 1 GiB because the kernel keeps
/// some for itself, so the line sits at 900 MiB rather than at exactly 1 GiB.
pub const MIN_MEMORY: u64 = 900 * 1024 * 1024;

/// Below this much free space where the deployment lives the disk line warns: the images
/// (LiveKit, Caddy, Redis) and a few days of logs.
pub const MIN_DISK: u64 = 2 * GIB;

/// The OS line: Fail off Linux, Warn on an architecture LiveKit ships no images for (it ships
/// amd64 and arm64).
pub fn os_item(system: &System) -> Item {
    let (os, arch) = (system.os.as_str(), system.arch.as_str());
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
    let name = system.name.as_deref().unwrap_or("Linux");
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

/// The memory line from the total (`None`: could not be read).
pub fn memory_item(total: Option<u64>) -> Item {
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

/// The disk line: free space where the deployment directory will live.
pub fn disk_item(disk: &Disk) -> Item {
    let deploy_dir = &disk.deploy_dir;
    let Some(on) = &disk.on else {
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
    let place = if on == deploy_dir {
        format!("in {}", on.display())
    } else {
        format!("on {} (for {})", on.display(), deploy_dir.display())
    };
    match disk.free {
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
    use std::path::PathBuf;

    use super::*;

    fn system(os: &str, arch: &str, name: Option<&str>) -> System {
        System {
            os: os.into(),
            arch: arch.into(),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn linux_on_amd64_and_arm64_is_fine() {
        let debian = Some("Debian GNU/Linux 12 (bookworm)");
        let ok = os_item(&system("linux", "x86_64", debian));
        assert_eq!(ok.mark, Mark::Ok);
        assert_eq!(ok.detail, "Debian GNU/Linux 12 (bookworm), x86_64 (amd64)");
        assert_eq!(
            os_item(&system("linux", "aarch64", None)).detail,
            "Linux, aarch64 (arm64)"
        );
        let riscv = os_item(&system("linux", "riscv64", debian));
        assert_eq!(riscv.mark, Mark::Warn);
        assert!(riscv.detail.contains("amd64 and arm64"));
        let mac = os_item(&system("macos", "aarch64", None));
        assert_eq!(mac.mark, Mark::Fail);
        assert!(mac.detail.contains("Linux servers only"));
    }

    #[test]
    fn memory_below_what_livekit_needs_warns() {
        let ok = memory_item(Some(2027668 * 1024));
        assert_eq!(
            (ok.mark, ok.detail.as_str()),
            (
                Mark::Ok,
                "1.9 GiB (LiveKit needs about 1 GiB for a small deployment)"
            )
        );
        // A "1 GB" droplet's MemTotal.
        assert_eq!(memory_item(Some(961 * 1024 * 1024)).mark, Mark::Ok);
        let low = memory_item(Some(512 * 1024 * 1024));
        assert_eq!(low.mark, Mark::Warn);
        assert!(low
            .detail
            .starts_with("512 MiB in total: LiveKit needs about 1 GiB"));
        let unread = memory_item(None);
        assert_eq!(unread.mark, Mark::Warn);
        assert!(unread.detail.contains("/proc/meminfo"));
    }

    #[test]
    fn free_disk_is_judged_where_the_deployment_will_live() {
        let disk = |deploy: &str, on: Option<&str>, free: Option<u64>| Disk {
            deploy_dir: PathBuf::from(deploy),
            on: on.map(PathBuf::from),
            free,
        };
        let low = disk_item(&disk("/srv/not/yet/selkie", Some("/srv"), Some(GIB)));
        assert_eq!(low.mark, Mark::Warn);
        assert!(low
            .detail
            .starts_with("1.0 GiB free on /srv (for /srv/not/yet/selkie)"));
        assert!(low.detail.contains("--dir"));
        let ok = disk_item(&disk("/opt/selkie", Some("/opt/selkie"), Some(40 * GIB)));
        assert_eq!(
            ok,
            Item::new(Mark::Ok, "Disk", "40.0 GiB free in /opt/selkie")
        );
        let unmeasured = disk_item(&disk("/opt/selkie", Some("/opt"), None));
        assert_eq!(unmeasured.mark, Mark::Warn);
        assert!(unmeasured
            .detail
            .starts_with("could not measure the free space on /opt"));
        let nowhere = disk_item(&disk("rel/selkie", None, None));
        assert!(nowhere
            .detail
            .starts_with("could not tell where rel/selkie would live"));
    }
}
