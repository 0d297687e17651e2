//! Which relative paths selkie may write in the deployment directory. A path from a state file
//! (the manifest, an unfinished transaction) is data an attacker may have written: it must be
//! relative, plain, and inside the set of places selkie writes.

use crate::error::{Error, Result};

/// Directories selkie writes rendered files into (one level, files only).
pub const KNOWN_DIRS: &[&str] = &["livekit", "caddy", "proxy", "env", "firewall", "sysctl"];
/// Files selkie writes at the top of the deployment directory besides its own state files.
pub const KNOWN_FILES: &[&str] = &["docker-compose.yml", ".env", "dns.txt"];
/// selkie's own state files.
pub const STATE_FILES: &[&str] = &["selkie.toml", "secrets.toml", "manifest.toml"];

/// A plain name: letters, digits, `.`, `_`, `-`; not `.` or `..`, not one of selkie's temporary
/// or lock names.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && !name.starts_with(".selkie")
        && !super::dirfd::is_tmp_name(name)
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `(directory, file name)` of a path selkie may write a rendered file to: `NAME` or `DIR/NAME`,
/// plain names only, never a state file, a backup, a log or the host apply's state (`applied/`). The directory is `""` at the top.
pub fn rendered(rel: &str) -> Result<(&str, &str)> {
    let (dir, name) = match rel.split_once('/') {
        None => ("", rel),
        Some((d, n)) => (d, n),
    };
    let ok = plain(name)
        && (dir.is_empty() || (plain(dir) && !matches!(dir, "backups" | "logs" | "applied")))
        && !(dir.is_empty() && STATE_FILES.contains(&name));
    if ok {
        Ok((dir, name))
    } else {
        Err(outside(rel))
    }
}

/// A path named by a state file: plain, and in the known set (or among this run's files).
pub fn recorded<'a>(rel: &'a str, rendered_now: &[&str]) -> Result<(&'a str, &'a str)> {
    let (dir, name) = rendered(rel)?;
    let known = rendered_now.contains(&rel)
        || (dir.is_empty() && KNOWN_FILES.contains(&name))
        || KNOWN_DIRS.contains(&dir)
        || preset_file(rel);
    if known {
        Ok((dir, name))
    } else {
        Err(outside(rel))
    }
}

/// A file an embedded preset renders (`garage/garage.toml`): still selkie's after a switch to
/// a preset without it, so that `--resume` can remove it. The presets are parsed once.
fn preset_file(rel: &str) -> bool {
    static FILES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(|| {
            crate::preset::all()
                .iter()
                .flat_map(|p| &p.services)
                .flat_map(|s| &s.files)
                .map(|f| f.path.clone())
                .collect()
        })
        .iter()
        .any(|f| f == rel)
}

fn outside(rel: &str) -> Error {
    Error::invalid(
        format!("`{}` is not a path selkie writes in the deployment directory (only plain names under livekit/, caddy/, proxy/, env/, firewall/, sysctl/ and a few top-level files)", rel.escape_debug()),
        "a state file names a path outside the deployment: restore manifest.toml from backups/, or remove the line that names it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_known_set() {
        assert_eq!(
            rendered("livekit/keys.yaml").unwrap(),
            ("livekit", "keys.yaml")
        );
        assert_eq!(rendered(".env").unwrap(), ("", ".env"));
        for bad in [
            "/etc/passwd",
            "../x",
            "livekit/../../x",
            "a/b/c",
            "",
            "livekit/",
            "selkie.toml",
            "backups/x",
            "logs/x",
            "livekit/.selkie-tmp-00",
            ".selkie.lock",
            "x\n",
            "./x",
            "livekit//x",
        ] {
            assert!(rendered(bad).is_err(), "{bad:?}");
        }
        assert!(recorded("firewall/cloud-aws.sh", &[]).is_ok());
        assert!(
            recorded("garage/garage.toml", &[]).is_ok(),
            "a preset's own file"
        );
        assert!(recorded("garage/other.toml", &[]).is_err());
        assert!(recorded("docker-compose.yml", &[]).is_ok());
        assert!(recorded("etc/passwd", &[]).is_err());
        assert!(recorded("notes.txt", &[]).is_err());
        assert!(recorded("notes.txt", &["notes.txt"]).is_ok());
        let e = recorded("../../etc/shadow", &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
