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
    if let Ok(text) = std::fs::read_to_string(&src.sshd_config) {
        ssh_ports.extend(sshd_ports(&text));
    }
    if ssh_ports.is_empty() {
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

/// `Port` lines of an sshd_config (case-insensitive keyword; comments ignored).
pub fn sshd_ports(text: &str) -> Vec<u16> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let key = words.next()?;
            if key.eq_ignore_ascii_case("port") {
                words.next()?.parse().ok()
            } else {
                None
            }
        })
        .collect()
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
    let hypervisor = read(&dmi.join("../../../hypervisor/uuid")).unwrap_or_default();
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
        let text = "# Port 1\nPort 22\n  port 2222 # second\nPermitRootLogin no\n";
        assert_eq!(sshd_ports(text), vec![22, 2222]);
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
        assert_eq!(detect(&src), HostFacts::default());
    }
}
