//! The sysctl drop-in: installed into /etc/sysctl.d and loaded, with the values it replaces kept
//! in `applied/sysctl/previous.conf` of the deployment directory.

use super::ApplyError;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::state;

/// The drop-in's name, in the deployment directory (`sysctl/`) and in /etc/sysctl.d.
pub const NAME: &str = "99-selkie.conf";

/// The `key = value` lines of a drop-in.
pub fn settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `net.core.rmem_max` -> `net/core/rmem_max` under `proc_sys`; `None` for a key that is not a
/// plain dotted name.
fn key_path(proc_sys: &Path, key: &str) -> Option<PathBuf> {
    let plain = !key.is_empty()
        && key.split('.').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    plain.then(|| proc_sys.join(key.replace('.', "/")))
}

/// Install the deployment's drop-in into `target_dir` (normally /etc/sysctl.d) and load it (as
/// `sysctl -p` would). Returns the installed path and the keys that did not take the value
/// (read-only here, as in some containers).
pub fn apply(dir: &Path, target_dir: &Path, proc_sys: &Path) -> Result<(PathBuf, Vec<String>)> {
    let source = dir.join("sysctl").join(NAME);
    let text = state::read_nofollow(&source)?.ok_or_else(|| ApplyError::FileMissing {
        path: source.clone(),
    })?;
    let text = String::from_utf8_lossy(&text).into_owned();
    // Every key checked once, up front: a file with a key selkie does not write changes nothing.
    let wanted = settings(&text)
        .into_iter()
        .map(|(key, value)| match key_path(proc_sys, &key) {
            Some(path) => Ok((key, value, path)),
            None => Err(ApplyError::UnknownSetting {
                path: source.clone(),
                key,
            }),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let mut previous = String::from("# Values before selkie loaded its drop-in.\n");
    for (key, _, path) in &wanted {
        let now = read(path);
        previous.push_str(&format!(
            "{key} = {}\n",
            now.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    let record = dir.join("applied").join("sysctl");
    state::write_atomic(&record.join("previous.conf"), previous.as_bytes(), 0o600)?;
    let target = target_dir.join(NAME);
    // Replaced through a new file and a rename: a link planted at the target is never followed.
    state::write_atomic(&target, text.as_bytes(), 0o644)?;
    // Loaded as `sysctl -p` would, by writing each value to its file under /proc/sys: no
    // dependency on procps, which minimal images lack.
    let mut log = String::new();
    for (key, value, path) in &wanted {
        match std::fs::write(path, format!("{value}\n")) {
            Ok(()) => log.push_str(&format!("{key} = {value}\n")),
            Err(e) => log.push_str(&format!("{key}: {e}\n")),
        }
    }
    state::write_atomic(&record.join("apply.log"), log.as_bytes(), 0o600)?;
    // A container-based server may keep some keys read-only: those are reported, not fatal.
    let unset = wanted
        .into_iter()
        .filter(|(_, want, path)| !same_value(&read(path), want))
        .map(|(key, _, _)| key)
        .collect();
    Ok((target, unset))
}

/// Whether a value read from /proc/sys is the one written: the same words, and for lists of
/// port ranges the same ranges in any order.
fn same_value(now: &str, want: &str) -> bool {
    let norm = |v: &str| {
        let mut parts: Vec<String> = v
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if v.contains(',') {
            parts.sort();
        }
        parts
    };
    norm(now) == norm(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_their_proc_paths() {
        let text = "# c\n; c\n\nnet.core.rmem_max = 5000000\nnet.ipv4.ip_local_reserved_ports = 50000-50119,7881\n";
        assert_eq!(
            settings(text),
            vec![
                ("net.core.rmem_max".to_string(), "5000000".to_string()),
                (
                    "net.ipv4.ip_local_reserved_ports".to_string(),
                    "50000-50119,7881".to_string()
                ),
            ]
        );
        let p = Path::new("/proc/sys");
        assert_eq!(
            key_path(p, "net.core.rmem_max"),
            Some(PathBuf::from("/proc/sys/net/core/rmem_max"))
        );
        assert_eq!(key_path(p, "net..x"), None);
        assert_eq!(key_path(p, "../../etc/passwd"), None);
    }

    #[test]
    fn values_read_back_compare_as_the_kernel_prints_them() {
        assert!(same_value("5000000\n", "5000000"));
        assert!(same_value("32768\t60999\n", "32768 60999"));
        assert!(same_value("7881,50000-50119\n", "50000-50119,7881"));
        assert!(!same_value("4194304\n", "5000000"));
        assert!(!same_value("", "5000000"));
    }
}
