//! Which ports sshd listens on, read from the SSH session and sshd's configuration, so every
//! firewall selkie writes keeps the operator's way in open.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// `client_ip client_port server_ip server_port` → the client address and the server port.
pub fn parse_ssh_connection(value: Option<&str>) -> (Option<IpAddr>, Option<u16>) {
    let Some(value) = value else {
        return (None, None);
    };
    let fields: Vec<&str> = value.split_whitespace().collect();
    let client = fields.first().and_then(|s| s.parse().ok());
    let port = fields.get(3).and_then(|s| s.parse().ok());
    (client, port)
}

/// Ports of an sshd_config: `Port N` and `ListenAddress host:N` / `[v6]:N` lines
/// (case-insensitive keywords; comments ignored).
pub fn sshd_ports(text: &str) -> Vec<u16> {
    directives(text)
        .filter_map(|(key, value)| {
            if key.eq_ignore_ascii_case("port") {
                value.parse().ok()
            } else if key.eq_ignore_ascii_case("listenaddress") {
                // A port follows `]` (`[::]:2222`) or the one colon of a plain host
                // (`0.0.0.0:2222`); a bare IPv6 address (`::1`) has none.
                let (_, port) = value.rsplit_once(':')?;
                (value.contains("]:") || value.matches(':').count() == 1)
                    .then(|| port.parse().ok())
                    .flatten()
            } else {
                None
            }
        })
        .collect()
}

fn directives(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| {
            let mut words = l.splitn(2, char::is_whitespace);
            Some((words.next()?, words.next()?.trim()))
        })
}

/// Ports from an sshd_config and the files its `Include` lines name (globs relative to
/// /etc/ssh, as Ubuntu's `Include /etc/ssh/sshd_config.d/*.conf`).
pub(super) fn sshd_config_ports(path: &Path, depth: u8) -> Vec<u16> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut ports = sshd_ports(&text);
    if depth > 4 {
        return ports;
    }
    let base = path.parent().unwrap_or(Path::new("/etc/ssh"));
    for (key, value) in directives(&text) {
        if !key.eq_ignore_ascii_case("include") {
            continue;
        }
        for pattern in value.split_whitespace() {
            let pattern = base.join(pattern);
            for file in glob(&pattern) {
                ports.extend(sshd_config_ports(&file, depth + 1));
            }
        }
    }
    ports
}

/// Files matching a path whose last part may hold `*` wildcards, sorted.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    if !name.contains('*') {
        return vec![pattern.to_path_buf()];
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|i| {
                    name.is_char_boundary(head.len() + i) && wildcard(tail, &name[head.len() + i..])
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_connection_gives_client_and_port() {
        let (client, port) = parse_ssh_connection(Some("203.0.113.9 51234 198.51.100.2 2222"));
        assert_eq!(client, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(port, Some(2222));
        assert_eq!(parse_ssh_connection(None), (None, None));
    }

    #[test]
    fn sshd_config_ports_are_read() {
        let text = "# Port 1\nPort 22\n  port 2222 # second\nPermitRootLogin no\n\
                    ListenAddress 0.0.0.0:2200\nListenAddress [::]:2201\nListenAddress ::1\n";
        assert_eq!(sshd_ports(text), vec![22, 2222, 2200, 2201]);
    }

    #[test]
    fn included_sshd_configs_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sshd_config.d")).unwrap();
        std::fs::write(
            dir.path().join("sshd_config"),
            "Include sshd_config.d/*.conf\nPasswordAuthentication no\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sshd_config.d/50-cloud.conf"),
            "Port 2222\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("sshd_config.d/README"), "Port 9\n").unwrap();
        assert_eq!(
            sshd_config_ports(&dir.path().join("sshd_config"), 0),
            vec![2222]
        );
        assert!(wildcard("*.conf", "a.conf") && !wildcard("*.conf", "a.conf.bak"));
    }
}
