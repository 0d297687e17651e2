//! HostFacts: what selkie learns about the server, detected once at the edge and read-only.
//! The core never detects anything itself; tests build a `HostFacts` value directly.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::answers::Provider;
use crate::preset::Proto;

/// A socket already listening on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub port: u16,
    pub proto: Proto,
}

/// Facts about the server that shape the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// The cloud provider, detected offline from DMI.
    pub provider: Option<Provider>,
    /// Ports sshd listens on (from the SSH session and sshd's configuration); never empty.
    pub ssh_ports: Vec<u16>,
    /// Nothing told the SSH port, so `ssh_ports` is sshd's default, 22.
    pub ssh_guessed: bool,
    /// The address of the operator's SSH client, from `SSH_CONNECTION`.
    pub ssh_client: Option<IpAddr>,
    /// The kernel's ephemeral port range (`ip_local_port_range`).
    pub ephemeral: (u16, u16),
    /// The address the internet reaches this server at, when an interface holds one.
    pub public_ip: Option<IpAddr>,
}

impl Default for HostFacts {
    /// A fresh Linux VPS: SSH on 22, the kernel's default ephemeral range, nothing else known.
    fn default() -> Self {
        HostFacts {
            provider: None,
            ssh_ports: vec![22],
            ssh_guessed: false,
            ssh_client: None,
            ephemeral: (32768, 60999),
            public_ip: None,
        }
    }
}

/// Where detection reads from; tests and the wizard's preflight point these at prepared trees.
#[derive(Debug, Clone)]
pub struct Sources {
    pub dmi_dir: PathBuf,
    pub proc_dir: PathBuf,
    pub sshd_config: PathBuf,
    pub ssh_connection: Option<String>,
}

impl Sources {
    /// The real system; `SELKIE_DMI_DIR` and `SELKIE_PROC_DIR` may point elsewhere for tests.
    pub fn system() -> Sources {
        Sources {
            dmi_dir: std::env::var_os("SELKIE_DMI_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/sys/class/dmi/id")),
            proc_dir: std::env::var_os("SELKIE_PROC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/proc")),
            sshd_config: PathBuf::from("/etc/ssh/sshd_config"),
            ssh_connection: std::env::var("SSH_CONNECTION").ok(),
        }
    }
}

/// Detect every fact, falling back to a fresh VPS's values where something cannot be read.
pub fn detect(src: &Sources) -> HostFacts {
    let defaults = HostFacts::default();
    let (ssh_client, session_port) = parse_ssh_connection(src.ssh_connection.as_deref());
    let mut ssh_ports: Vec<u16> = session_port.into_iter().collect();
    ssh_ports.extend(sshd_config_ports(&src.sshd_config, 0));
    let ssh_guessed = ssh_ports.is_empty();
    if ssh_guessed {
        ssh_ports = defaults.ssh_ports.clone();
    }
    ssh_ports.sort_unstable();
    ssh_ports.dedup();
    let ephemeral = read(&src.proc_dir.join("sys/net/ipv4/ip_local_port_range"))
        .and_then(|t| parse_port_range(&t))
        .unwrap_or(defaults.ephemeral);
    HostFacts {
        provider: detect_provider(&src.dmi_dir, &src.proc_dir),
        ssh_ports,
        ssh_guessed,
        ssh_client,
        ephemeral,
        public_ip: public_address(&src.proc_dir),
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

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
fn sshd_config_ports(path: &Path, depth: u8) -> Vec<u16> {
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

fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut it = text.split_whitespace().map(|s| s.parse::<u16>());
    match (it.next(), it.next()) {
        (Some(Ok(a)), Some(Ok(b))) if a <= b => Some((a, b)),
        _ => None,
    }
}

/// The cloud provider from DMI strings, in the order the reference suggests.
pub fn detect_provider(dmi: &Path, proc_dir: &Path) -> Option<Provider> {
    let field = |name: &str| read(&dmi.join(name)).unwrap_or_default();
    let sys_vendor = field("sys_vendor");
    let product_name = field("product_name");
    let chassis_tag = field("chassis_asset_tag");
    let cmdline = read(&proc_dir.join("cmdline"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    if chassis_tag == "7783-7084-3265-9085-8269-3286-77" {
        return Some(Provider::Azure);
    }
    if chassis_tag == "OracleCloud.com" {
        return Some(Provider::Oracle);
    }
    match sys_vendor.as_str() {
        "DigitalOcean" => return Some(Provider::DigitalOcean),
        "Hetzner" => return Some(Provider::Hetzner),
        "Linode" | "Akamai" => return Some(Provider::Linode),
        "Vultr" => return Some(Provider::Vultr),
        "Scaleway" => return Some(Provider::Scaleway),
        _ => {}
    }
    let words: Vec<&str> = cmdline.split_whitespace().collect();
    if words.contains(&"vultr") {
        return Some(Provider::Vultr);
    }
    if words.contains(&"scaleway") {
        return Some(Provider::Scaleway);
    }
    if product_name == "Google Compute Engine"
        || field("product_serial").starts_with("GoogleCloud-")
    {
        return Some(Provider::Gcp);
    }
    let amazon = ["sys_vendor", "board_vendor", "bios_vendor"]
        .iter()
        .any(|f| field(f).starts_with("Amazon EC2"));
    let uuid = field("product_uuid").to_ascii_uppercase();
    // /sys/class/dmi/id is a symlink into /sys/devices, so `..` does not lead back to /sys: the
    // hypervisor file sits beside the DMI tree under test overrides and at /sys/hypervisor on hosts.
    let hypervisor = read(&dmi.join("hypervisor_uuid"))
        .or_else(|| read(Path::new("/sys/hypervisor/uuid")))
        .unwrap_or_default();
    if amazon || uuid.starts_with("EC2") || uuid.ends_with("2EC") || hypervisor.starts_with("ec2") {
        return Some(Provider::Aws);
    }
    None
}

/// The first internet-reachable address on this host's interfaces: IPv4 from the kernel's FIB
/// (`/32 host LOCAL` entries), else a global IPv6 from `if_inet6`. Sends nothing on the network.
pub fn public_address(proc_dir: &Path) -> Option<IpAddr> {
    local_ipv4(proc_dir)
        .into_iter()
        .chain(global_ipv6(proc_dir))
        .find(|ip| {
            crate::answers::PublicAddress::from(*ip).reach() == crate::answers::Reach::Internet
        })
}

fn local_ipv4(proc_dir: &Path) -> Vec<IpAddr> {
    let Ok(text) = std::fs::read_to_string(proc_dir.join("net/fib_trie")) else {
        return Vec::new();
    };
    let mut last: Option<IpAddr> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(addr) = trimmed.strip_prefix("|-- ") {
            last = addr.parse().ok();
        } else if trimmed.contains("/32 host LOCAL") {
            if let Some(ip) = last.filter(|ip| !out.contains(ip)) {
                out.push(ip);
            }
        }
    }
    out
}

fn global_ipv6(proc_dir: &Path) -> Vec<IpAddr> {
    let Ok(text) = std::fs::read_to_string(proc_dir.join("net/if_inet6")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Scope 00 is global.
            if fields.get(3) != Some(&"00") {
                return None;
            }
            let hex = fields.first()?;
            let bits = u128::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V6(std::net::Ipv6Addr::from(bits)))
        })
        .collect()
}

/// Ports with a listening TCP socket or a bound UDP socket, from /proc/net. Not part of
/// `HostFacts`: the plan does not depend on them, and the preflight reads them when it runs.
pub fn listening(proc_dir: &Path) -> Vec<Listener> {
    let mut out = Vec::new();
    for (file, proto) in [
        ("net/tcp", Proto::Tcp),
        ("net/tcp6", Proto::Tcp),
        ("net/udp", Proto::Udp),
        ("net/udp6", Proto::Udp),
    ] {
        let Ok(text) = std::fs::read_to_string(proc_dir.join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            // 0A is TCP LISTEN; a UDP socket is bound in state 07 (unconnected).
            let bound = match proto {
                Proto::Tcp => *state == "0A",
                Proto::Udp => *state == "07",
            };
            let port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if let (true, Some(port)) = (bound, port) {
                let l = Listener { port, proto };
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out.sort_by_key(|l| (l.proto, l.port));
    out
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

    fn dmi(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, value) in files {
            std::fs::write(dir.path().join(name), format!("{value}\n")).unwrap();
        }
        dir
    }

    #[test]
    fn providers_are_told_apart_by_their_dmi_strings() {
        type Dmi<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Dmi, Option<Provider>)] = &[
            (
                &[
                    ("chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77"),
                    ("sys_vendor", "Microsoft Corporation"),
                ],
                Some(Provider::Azure),
            ),
            (
                &[
                    ("sys_vendor", "Microsoft Corporation"),
                    ("product_name", "Virtual Machine"),
                ],
                None,
            ),
            (
                &[("chassis_asset_tag", "OracleCloud.com")],
                Some(Provider::Oracle),
            ),
            (
                &[("sys_vendor", "DigitalOcean")],
                Some(Provider::DigitalOcean),
            ),
            (&[("sys_vendor", "Hetzner")], Some(Provider::Hetzner)),
            (&[("sys_vendor", "Akamai")], Some(Provider::Linode)),
            (&[("sys_vendor", "Vultr")], Some(Provider::Vultr)),
            (
                &[
                    ("product_name", "Google Compute Engine"),
                    ("sys_vendor", "Google"),
                ],
                Some(Provider::Gcp),
            ),
            (
                &[("sys_vendor", "Amazon EC2"), ("board_asset_tag", "i-0abc")],
                Some(Provider::Aws),
            ),
            (
                &[
                    ("sys_vendor", "Xen"),
                    ("product_uuid", "ec2e1916-9099-7caf-fd21-012345abcdef"),
                ],
                Some(Provider::Aws),
            ),
            (&[("sys_vendor", "QEMU")], None),
        ];
        let proc_dir = tempfile::tempdir().unwrap();
        for (files, want) in cases {
            let dir = dmi(files);
            assert_eq!(
                detect_provider(dir.path(), proc_dir.path()),
                *want,
                "{files:?}"
            );
        }
    }

    #[test]
    fn proc_net_listeners_are_parsed() {
        let proc_dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(proc_dir.path().join("net")).unwrap();
        let tcp = "  sl  local_address rem_address   st\n   0: 00000000:1BBC 00000000:0000 0A 0\n   1: 0100007F:0016 0100007F:A000 01 0\n";
        std::fs::write(proc_dir.path().join("net/tcp"), tcp).unwrap();
        let udp = "  sl  local_address rem_address   st\n   0: 00000000:0D96 00000000:0000 07 0\n";
        std::fs::write(proc_dir.path().join("net/udp"), udp).unwrap();
        let found = listening(proc_dir.path());
        assert_eq!(
            found,
            vec![
                Listener {
                    port: 7100,
                    proto: Proto::Tcp
                },
                Listener {
                    port: 3478,
                    proto: Proto::Udp
                }
            ]
        );
    }

    #[test]
    fn the_public_address_comes_from_the_interfaces() {
        let proc_dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(proc_dir.path().join("net")).unwrap();
        let fib = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.0.0.5\n        /32 host LOCAL\n     |-- 203.0.113.7\n        /32 host LOCAL\n     |-- 203.0.113.255\n        /32 link BROADCAST\n";
        std::fs::write(proc_dir.path().join("net/fib_trie"), fib).unwrap();
        assert_eq!(
            public_address(proc_dir.path()),
            Some("203.0.113.7".parse().unwrap())
        );
        std::fs::write(
            proc_dir.path().join("net/fib_trie"),
            "Main:\n     |-- 10.0.0.5\n        /32 host LOCAL\n",
        )
        .unwrap();
        let v6 = "fe800000000000000000000000000001 02 40 20 80 eth0\n20010db8000000000000000000000007 02 40 00 80 eth0\n";
        std::fs::write(proc_dir.path().join("net/if_inet6"), v6).unwrap();
        assert_eq!(
            public_address(proc_dir.path()),
            Some("2001:db8::7".parse().unwrap())
        );
    }

    #[test]
    fn detection_falls_back_to_a_fresh_vps() {
        let empty = tempfile::tempdir().unwrap();
        let src = Sources {
            dmi_dir: empty.path().join("dmi"),
            proc_dir: empty.path().join("proc"),
            sshd_config: empty.path().join("sshd_config"),
            ssh_connection: None,
        };
        let facts = detect(&src);
        assert_eq!(
            facts,
            HostFacts {
                ssh_guessed: true,
                ..HostFacts::default()
            }
        );
    }
}
