//! Every firewall output, for every fixture plan, every host firewall and every provider: checked by
//! the real tools (bash -n, shellcheck, nft -c) and by the property that it opens exactly the
//! plan's public ports.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use selkie::answers::{HostFirewall, Provider};
use selkie::plan::{Exposure, Plan};
use selkie::preset::Proto;
use selkie::render::firewall;

/// What an output opens: protocol, first port, last port.
type Opened = BTreeSet<(Proto, u16, u16)>;

/// Every plan to check: each fixture as it is and with its SSH restricted to an IPv6 network and one
/// other rule restricted to an IPv4 one (sources change the syntax of every output), each for every
/// provider (the provider changes the host outputs on Oracle).
fn plans() -> Vec<(String, Plan)> {
    let mut out = Vec::new();
    for case in common::cases() {
        let mut restricted = case.plan.clone();
        for rule in &mut restricted.firewall.ssh {
            rule.source = Some("2001:db8:4::/64".parse().unwrap());
        }
        if let Some(rule) = restricted.firewall.rules.first_mut() {
            rule.source = Some("198.51.100.0/24".parse().unwrap());
        }
        for (variant, plan) in [("", &case.plan), ("-restricted", &restricted)] {
            for provider in Provider::ALL {
                let mut plan = plan.clone();
                plan.firewall.provider = *provider;
                out.push((format!("{}{variant}-{provider}", case.name), plan));
            }
        }
    }
    out
}

fn expected(plan: &Plan) -> Opened {
    plan.public_ports()
        .map(|p| (p.proto, p.port, p.end))
        .collect()
}

fn proto(text: &str) -> Proto {
    match text.to_ascii_lowercase().as_str() {
        "tcp" | "6" => Proto::Tcp,
        "udp" | "17" => Proto::Udp,
        other => panic!("unknown protocol `{other}`"),
    }
}

/// `80` or `50000{sep}50119`.
fn range(text: &str, sep: char) -> (u16, u16) {
    let (a, b) = text.split_once(sep).unwrap_or((text, text));
    let parse = |s: &str| {
        s.trim()
            .parse::<u16>()
            .unwrap_or_else(|_| panic!("not a port: `{text}`"))
    };
    (parse(a), parse(b))
}

/// Lines that are not comments, with backslash continuations joined.
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// The text after `key` up to the first of `ends`.
fn after<'a>(text: &'a str, key: &str, ends: &[char]) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    Some(rest.split(|c| ends.contains(&c)).next().unwrap_or(rest))
}

/// The token after `flag` in a whitespace-separated line.
fn token_after<'a>(tokens: &[&'a str], flag: &str) -> Option<&'a str> {
    tokens
        .iter()
        .position(|t| *t == flag)
        .and_then(|i| tokens.get(i + 1).copied())
}

fn ufw(line: &str) -> Opened {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    // `ufw allow in on IFACE` trusts an interface and opens no port.
    if !line.trim_start().starts_with("ufw allow")
        || line.trim_start().starts_with("ufw allow in on ")
    {
        return Opened::new();
    }
    let entry = match (token_after(&tokens, "proto"), token_after(&tokens, "port")) {
        (Some(p), Some(ports)) => (p, ports),
        _ => tokens[2]
            .split_once('/')
            .map(|(ports, p)| (p, ports))
            .unwrap(),
    };
    let (a, b) = range(entry.1, ':');
    [(proto(entry.0), a, b)].into()
}

fn firewalld(line: &str) -> Opened {
    let mut out = Opened::new();
    if let Some(spec) = after(line, "--add-port=", &[' ', '\'']) {
        let (ports, p) = spec.split_once('/').unwrap();
        let (a, b) = range(ports, '-');
        out.insert((proto(p), a, b));
    }
    if let (Some(ports), Some(p)) = (
        after(line, "port port=\"", &['"']),
        after(line, "protocol=\"", &['"']),
    ) {
        let (a, b) = range(ports, '-');
        out.insert((proto(p), a, b));
    }
    out
}

fn nft(line: &str) -> Opened {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let mut out = Opened::new();
    for (i, t) in tokens.iter().enumerate() {
        if *t == "dport" && i > 0 {
            let (a, b) = range(tokens[i + 1], '-');
            out.insert((proto(tokens[i - 1]), a, b));
        }
    }
    out
}

fn iptables(line: &str) -> Opened {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    match (
        tokens.first(),
        token_after(&tokens, "-p"),
        token_after(&tokens, "--dport"),
    ) {
        (Some(&"allow"), Some(p), Some(ports)) => {
            let (a, b) = range(ports, ':');
            [(proto(p), a, b)].into()
        }
        _ => Opened::new(),
    }
}

fn host_ports(kind: HostFirewall, line: &str) -> Opened {
    match kind {
        HostFirewall::Ufw => ufw(line),
        HostFirewall::Firewalld => firewalld(line),
        HostFirewall::Nftables => nft(line),
        HostFirewall::Iptables => iptables(line),
    }
}

/// Each `"key":"tcp"` … `start`…`end` pair on a line of JSON, for the providers that take JSON.
fn json_pairs(line: &str, proto_key: &str, start_key: &str, end_key: Option<&str>) -> Opened {
    let mut out = Opened::new();
    for chunk in line.split(proto_key).skip(1) {
        let p = chunk.split('"').next().unwrap();
        let entries: Vec<(u16, u16)> = match end_key {
            Some(end_key) => {
                let start = after(chunk, start_key, &[',', '}']).unwrap();
                let end = after(chunk, end_key, &[',', '}']).unwrap();
                vec![(range(start, '-').0, range(end, '-').0)]
            }
            // A quoted list: "3478,50000-50119".
            None => after(chunk, start_key, &['"'])
                .unwrap()
                .split(',')
                .map(|s| range(s, '-'))
                .collect(),
        };
        for (a, b) in entries {
            out.insert((proto(p), a, b));
        }
    }
    out
}

fn cloud_ports(provider: Provider, text: &str) -> Opened {
    let mut out = Opened::new();
    let mut in_inbound = false;
    let mut in_console = false;
    for line in code_lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match provider {
            Provider::DigitalOcean => {
                if line.starts_with("INBOUND=(") {
                    in_inbound = true;
                } else if line.starts_with(')') {
                    in_inbound = false;
                } else if in_inbound {
                    let p = after(&line, "protocol:", &[',']).unwrap();
                    let (a, b) = range(after(&line, "ports:", &[',']).unwrap(), '-');
                    out.insert((proto(p), a, b));
                }
            }
            Provider::Aws if line.starts_with("allow '") => {
                out.extend(json_pairs(
                    &line,
                    "\"IpProtocol\":\"",
                    "\"FromPort\":",
                    Some("\"ToPort\":"),
                ));
            }
            Provider::Hetzner => {
                out.extend(json_pairs(&line, "\"protocol\":\"", "\"port\":\"", None))
            }
            Provider::Oracle => out.extend(json_pairs(
                &line,
                "\"protocol\":\"",
                "\"min\":",
                Some("\"max\":"),
            )),
            Provider::Linode => {
                out.extend(json_pairs(&line, "\"protocol\":\"", "\"ports\":\"", None))
            }
            Provider::Gcp if line.starts_with("fw_rule ") => {
                for spec in after(&line, "--allow=", &[' ']).unwrap().split(',') {
                    let (p, ports) = spec.split_once(':').unwrap();
                    let (a, b) = range(ports, '-');
                    out.insert((proto(p), a, b));
                }
            }
            Provider::Azure if line.starts_with("nsg_rule ") => {
                let p = token_after(&tokens, "--protocol").unwrap();
                let start = tokens
                    .iter()
                    .position(|t| *t == "--destination-port-ranges")
                    .unwrap();
                for ports in tokens[start + 1..]
                    .iter()
                    .take_while(|t| !t.starts_with("--"))
                {
                    let (a, b) = range(ports, '-');
                    out.insert((proto(p), a, b));
                }
            }
            Provider::Vultr
                if line
                    .trim_start()
                    .starts_with("vultr-cli firewall rule create") =>
            {
                let (a, b) = range(token_after(&tokens, "--port").unwrap(), ':');
                out.insert((proto(token_after(&tokens, "--protocol").unwrap()), a, b));
            }
            Provider::Scaleway | Provider::Ovh => {
                if line.starts_with("cat <<'RULES'") {
                    in_console = true;
                } else if line == "RULES" {
                    in_console = false;
                } else if in_console && matches!(tokens.first(), Some(&"tcp") | Some(&"udp")) {
                    let (a, b) = range(tokens[1], '-');
                    out.insert((proto(tokens[0]), a, b));
                }
            }
            _ => {}
        }
    }
    out
}

/// Ports that must never be opened: the plan's non-public ones that no public port shares.
fn must_stay_shut(plan: &Plan) -> Opened {
    let public = expected(plan);
    plan.ports
        .iter()
        .filter(|p| {
            matches!(
                p.exposure,
                Exposure::Internal | Exposure::Loopback | Exposure::Proxied
            )
        })
        .map(|p| (p.proto, p.port, p.end))
        .filter(|k| {
            !public
                .iter()
                .any(|o| o.0 == k.0 && o.1 <= k.2 && k.1 <= o.2)
        })
        .collect()
}

fn check_opens_exactly(name: &str, what: &str, opened: &Opened, plan: &Plan, text: &str) {
    assert_eq!(
        opened,
        &expected(plan),
        "{name} {what} opens the wrong ports:\n{text}"
    );
    for shut in must_stay_shut(plan) {
        assert!(
            !opened
                .iter()
                .any(|o| o.0 == shut.0 && o.1 <= shut.2 && shut.1 <= o.2),
            "{name} {what} opens the non-public {shut:?}:\n{text}"
        );
    }
}

#[test]
fn every_output_opens_exactly_the_public_ports() {
    for (name, plan) in plans() {
        for kind in HostFirewall::ALL {
            let text = firewall::host(&plan, *kind);
            let opened: Opened = code_lines(&text)
                .iter()
                .flat_map(|l| host_ports(*kind, l))
                .collect();
            check_opens_exactly(&name, kind.as_str(), &opened, &plan, &text);
        }
        match firewall::cloud(&plan, plan.firewall.provider) {
            None => assert_eq!(plan.firewall.provider, Provider::None, "{name}"),
            Some(text) => {
                let opened = cloud_ports(plan.firewall.provider, &text);
                check_opens_exactly(
                    &name,
                    plan.firewall.provider.as_str(),
                    &opened,
                    &plan,
                    &text,
                );
            }
        }
    }
}

/// Lines that deny or switch the firewall on, per host firewall.
fn is_deny(kind: HostFirewall, line: &str) -> bool {
    let line = line.trim();
    let starts: &[&str] = match kind {
        HostFirewall::Ufw => &["ufw default deny", "ufw --force enable", "ufw enable"],
        HostFirewall::Firewalld => &[
            "firewall-cmd --permanent --zone=\"$ZONE\" --set-target",
            "firewall-cmd --permanent --zone=\"$ZONE\" --remove-service",
            "firewall-cmd --reload",
            "systemctl enable firewalld",
        ],
        HostFirewall::Iptables => &[
            "iptables -P INPUT DROP",
            "ip6tables -P INPUT DROP",
            "netfilter-persistent save",
        ],
        // The policy sits in the chain header, but `nft -f` loads the file as one transaction, so it
        // takes effect together with the SSH rule; a drop or reject RULE before SSH would not.
        HostFirewall::Nftables => {
            return (line.contains(" drop") || line.contains(" reject"))
                && !line.starts_with("ct state invalid")
                && !line.starts_with("type filter");
        }
    };
    starts.iter().any(|m| line.starts_with(m))
}

#[test]
fn ssh_comes_before_any_deny_or_enable_line() {
    for (name, plan) in plans() {
        let ssh: Opened = plan
            .firewall
            .ssh
            .iter()
            .map(|r| (r.proto, r.port, r.end))
            .collect();
        assert!(!ssh.is_empty(), "{name}: the fixtures all have SSH");
        for kind in HostFirewall::ALL {
            let text = firewall::host(&plan, *kind);
            // iptables and ip6tables are separate firewalls: check each on its own.
            let scopes: &[&str] = match kind {
                HostFirewall::Iptables => &["iptables ", "ip6tables "],
                _ => &[""],
            };
            for scope in scopes {
                let lines: Vec<String> = code_lines(&text)
                    .into_iter()
                    .filter(|l| l.contains(scope))
                    .collect();
                let ssh_at: Vec<usize> = (0..lines.len())
                    .filter(|i| {
                        host_ports(*kind, &lines[*i])
                            .iter()
                            .any(|o| ssh.contains(o))
                    })
                    .collect();
                let other_at = (0..lines.len()).find(|i| {
                    host_ports(*kind, &lines[*i])
                        .iter()
                        .any(|o| !ssh.contains(o))
                });
                let deny_at = (0..lines.len()).find(|i| is_deny(*kind, &lines[*i]));
                let last_ssh = ssh_at.last().copied();
                // An SSH source of one family leaves the other family's firewall without SSH.
                if last_ssh.is_none() {
                    assert!(!scope.is_empty(), "{name} {kind}: no SSH rule\n{text}");
                    continue;
                }
                for after in [deny_at, other_at].into_iter().flatten() {
                    assert!(
                        last_ssh < Some(after),
                        "{name} {kind} `{scope}`: SSH after line {after}\n{text}"
                    );
                }
            }
        }
    }
}

/// Each distinct output once, written to `dir`: (path, is it a bash script).
fn write_outputs(dir: &Path) -> Vec<(PathBuf, bool)> {
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut files = Vec::new();
    let mut put = |name: String, text: String, ext: &str| {
        if seen.contains_key(&text) {
            return;
        }
        let path = dir.join(format!("{name}.{ext}"));
        std::fs::write(&path, &text).unwrap();
        seen.insert(text, path.clone());
        files.push((path, ext == "sh"));
    };
    for (name, plan) in plans() {
        for kind in HostFirewall::ALL {
            let (ext, text) = (
                if *kind == HostFirewall::Nftables {
                    "nft"
                } else {
                    "sh"
                },
                firewall::host(&plan, *kind),
            );
            put(format!("{name}-{kind}"), text, ext);
        }
        if let Some(text) = firewall::cloud(&plan, plan.firewall.provider) {
            put(format!("{name}-cloud"), text, "sh");
        }
    }
    files
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn every_script_passes_bash_and_shellcheck() {
    common::require_tool("bash", "bash");
    common::require_tool("shellcheck", "shellcheck");
    let dir = tempfile::tempdir().unwrap();
    let scripts: Vec<PathBuf> = write_outputs(dir.path())
        .into_iter()
        .filter(|(_, sh)| *sh)
        .map(|(p, _)| p)
        .collect();
    assert!(scripts.len() > 100, "only {} scripts", scripts.len());
    for path in &scripts {
        let (ok, text) = run(Command::new("bash").arg("-n").arg(path));
        assert!(ok, "bash -n {}:\n{text}", path.display());
    }
    for chunk in scripts.chunks(200) {
        let (ok, text) = run(Command::new("shellcheck")
            .args(["--severity=warning", "--shell=bash"])
            .args(chunk));
        assert!(ok, "shellcheck:\n{text}");
    }
}

#[test]
fn every_nftables_ruleset_passes_nft_check() {
    common::require_tool("nft", "nftables");
    let dir = tempfile::tempdir().unwrap();
    let rulesets: Vec<PathBuf> = write_outputs(dir.path())
        .into_iter()
        .filter(|(_, sh)| !*sh)
        .map(|(p, _)| p)
        .collect();
    assert!(rulesets.len() > 20, "only {} rulesets", rulesets.len());
    for path in &rulesets {
        let (ok, text) = run(Command::new("nft").arg("-c").arg("-f").arg(path));
        assert!(
            ok,
            "nft -c -f {}:\n{text}\n{}",
            path.display(),
            std::fs::read_to_string(path).unwrap()
        );
    }
}

#[test]
fn client_rules_name_only_ports_clients_reach() {
    for case in common::cases() {
        let plan = &case.plan;
        let text = firewall::clients(plan);
        let reachable: Opened = plan
            .ports
            .iter()
            .filter(|p| {
                matches!(p.exposure, Exposure::Public | Exposure::Vpn) && p.service != "sshd"
            })
            .map(|p| (p.proto, p.port, p.end))
            .collect();
        let mut listed = Opened::new();
        for line in text
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| Destination"))
        {
            let cell = line.split('|').nth(2).unwrap().trim();
            let mut words = cell.split_whitespace();
            let (p, ports) = (words.next().unwrap(), words.next().unwrap());
            let (a, b) = range(ports, '-');
            listed.insert((proto(p), a, b));
        }
        assert!(
            listed.is_subset(&reachable),
            "{}: {listed:?} vs {reachable:?}\n{text}",
            case.name
        );
        for p in plan
            .ports
            .iter()
            .filter(|p| p.required && reachable.contains(&(p.proto, p.port, p.end)))
        {
            assert!(
                listed.contains(&(p.proto, p.port, p.end)),
                "{}: {} missing\n{text}",
                case.name,
                p.label()
            );
        }
        assert!(!text.contains("| TCP 22 |"), "{}", case.name);
    }
}
