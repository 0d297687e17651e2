//! `selkie cloud-init`: user-data that installs selkie on a new server's first boot and runs the
//! non-interactive setup there. Pure: the caller gives the binary's address, its SHA-256 and the
//! setup flags (already accepted by the command line parser); the text comes from
//! `assets/cloud-init.yaml`.

use crate::error::Error;

const TEMPLATE: &str = include_str!("../../assets/cloud-init.yaml");
const STATUS_SERVICE: &str = include_str!("../../assets/selkie-status.service");
const STATUS_TIMER: &str = include_str!("../../assets/selkie-status.timer");

/// Where selkie's deployment lives on a server set up by cloud-init, unless `--dir` says otherwise.
pub const DEFAULT_DIR: &str = "/opt/selkie";

/// What the user-data does on first boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstBoot {
    /// An `https://` address of the selkie binary for the server's architecture.
    pub url: String,
    /// Its SHA-256, lowercase hex: a different file is never run.
    pub sha256: String,
    /// The flags after `selkie setup`, one argument each (`--non-interactive` included).
    pub setup_args: Vec<String>,
    /// The deployment directory the setup writes (for the status timer).
    pub dir: String,
    /// Also install a systemd timer running `selkie status --once` every five minutes.
    pub status_timer: bool,
}

/// The `#cloud-config` text.
pub fn user_data(boot: &FirstBoot) -> Result<String, Error> {
    check_source(&boot.url, &boot.sha256)?;
    if let Some(bad) = boot
        .setup_args
        .iter()
        .chain([&boot.dir])
        .find(|a| a.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            format!("the setup flag {bad:?} holds a line break or control character"),
            "give each setup flag on one line, as you would type it after `selkie setup`",
        ));
    }
    let args: Vec<String> = boot.setup_args.iter().map(|a| sh_quote(a)).collect();
    let (files, enable) = if boot.status_timer {
        (
            format!(
                "{}{}",
                write_file(
                    "/etc/systemd/system/selkie-status.service",
                    &STATUS_SERVICE.replace("{{dir}}", &sh_quote(&boot.dir))
                ),
                write_file("/etc/systemd/system/selkie-status.timer", STATUS_TIMER)
            ),
            "  - [systemctl, enable, --now, selkie-status.timer]\n".to_string(),
        )
    } else {
        (String::new(), String::new())
    };
    Ok(TEMPLATE
        .replace("{{url}}", &sh_quote(&boot.url))
        .replace("{{sha256}}", &boot.sha256.to_ascii_lowercase())
        .replace("{{setup_args}}", &args.join(" "))
        .replace("{{status_timer_files}}", &files)
        .replace("{{status_timer_enable}}", &enable))
}

/// The binary's address must be https:// and its hash a SHA-256.
pub fn check_source(url: &str, sha256: &str) -> Result<(), Error> {
    if !url.starts_with("https://") || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            format!("--selkie-url {url:?} is not an https:// address"),
            "give the https:// address of the selkie binary for the new server (e.g. a release asset)",
        ));
    }
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            format!("--selkie-sha256 {sha256:?} is not a SHA-256"),
            "give the 64 hex digits `sha256sum selkie` prints for that binary",
        ));
    }
    Ok(())
}

/// One `write_files` entry whose content is `text`, as a literal block.
fn write_file(path: &str, text: &str) -> String {
    let body: String = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("      {l}\n")
            }
        })
        .collect();
    format!(
        "  - path: {path}\n    permissions: \"0644\"\n    owner: root:root\n    content: |\n{body}"
    )
}

/// A word for `sh`: left bare when it is plainly safe, single-quoted otherwise.
fn sh_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot() -> FirstBoot {
        FirstBoot {
            url: "https://downloads.example.com/selkie-x86_64".into(),
            sha256: "ab".repeat(32),
            setup_args: vec![
                "--non-interactive".into(),
                "--domain".into(),
                "meet.example.com".into(),
                "--dir".into(),
                DEFAULT_DIR.into(),
            ],
            dir: DEFAULT_DIR.into(),
            status_timer: false,
        }
    }

    #[test]
    fn the_flags_reach_the_setup_line_quoted_for_sh() {
        let mut b = boot();
        b.setup_args.push("--email".into());
        b.setup_args.push("ops team's@example.com".into());
        let text = user_data(&b).unwrap();
        assert!(text.contains(
            "exec /usr/local/bin/selkie setup --non-interactive --domain meet.example.com --dir /opt/selkie --email 'ops team'\\''s@example.com'"
        ), "{text}");
        assert!(!text.contains("{{"), "{text}");
        assert!(!text.contains("selkie-status"), "{text}");
    }

    #[test]
    fn the_status_timer_is_written_and_enabled_when_asked() {
        let mut b = boot();
        b.status_timer = true;
        let text = user_data(&b).unwrap();
        assert!(text.contains("  - path: /etc/systemd/system/selkie-status.timer\n"));
        assert!(text
            .contains("      ExecStart=/usr/local/bin/selkie status --once --dir /opt/selkie\n"));
        assert!(text.contains("  - [systemctl, enable, --now, selkie-status.timer]\n"));
    }

    #[test]
    fn bad_addresses_hashes_and_line_breaks_are_refused_with_a_hint() {
        for change in [
            (|b: &mut FirstBoot| b.url = "http://example.com/selkie".into()) as fn(&mut FirstBoot),
            |b| b.sha256 = "1234".into(),
            |b| b.sha256 = "zz".repeat(32),
            |b| b.setup_args.push("--domain\nrm -rf /".into()),
        ] {
            let mut b = boot();
            change(&mut b);
            let err = user_data(&b).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
            assert!(err.hint().is_some());
        }
    }
}
