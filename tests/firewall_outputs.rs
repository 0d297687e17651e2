//! Every firewall output, for every fixture plan, every host firewall and every provider: checked by
//! the real tools (bash -n, shellcheck, nft -c) and by the property that it opens exactly the
//! plan's public ports, each from its own source. The scripts run for real in `live`.

mod common;
mod firewall_extract;
#[path = "firewall_extract/live.rs"]
mod live;
#[path = "firewall_extract/netns.rs"]
mod netns;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use selkie::answers::{Cidr, HostFirewall, Provider};
use selkie::plan::{Exposure, Plan};
use selkie::render::firewall;
use selkie::transport::Proto;

use firewall_extract::{expected, range, Opened};

/// Every plan to check: each fixture as it is and with its SSH restricted to an IPv6 network and one
/// other rule restricted to an IPv4 one (sources change the syntax of every output), each for every
/// provider (the provider changes the host outputs on Oracle). A restriction is made in the port
/// table and in the firewall rules alike, as the planner would.
fn plans() -> Vec<(String, Plan)> {
    let mut out = Vec::new();
    for case in common::cases() {
        let mut restricted = case.plan.clone();
        let ssh: Cidr = "2001:db8:4::/64".parse().unwrap();
        let admin: Cidr = "198.51.100.0/24".parse().unwrap();
        let mut changes = Vec::new();
        for rule in &mut restricted.firewall.ssh {
            rule.source = Some(ssh);
            changes.push((rule.service.clone(), rule.port, rule.proto, ssh));
        }
        if let Some(rule) = restricted.firewall.rules.first_mut() {
            rule.source = Some(admin);
            changes.push((rule.service.clone(), rule.port, rule.proto, admin));
        }
        for (service, port, proto, source) in changes {
            for row in restricted.ports.iter_mut().filter(|p| {
                p.exposure == Exposure::Public
                    && p.service == service
                    && p.port == port
                    && p.proto == proto
            }) {
                row.source = Some(source);
            }
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

/// Whether two openings share a port of one protocol.
fn overlaps(a: (Proto, u16, u16), b: (Proto, u16, u16)) -> bool {
    a.0 == b.0 && a.1 <= b.2 && b.1 <= a.2
}

/// Ports that must never be opened: the plan's non-public ones that no public port shares.
fn must_stay_shut(plan: &Plan) -> Vec<(Proto, u16, u16)> {
    let public: Vec<(Proto, u16, u16)> = plan
        .public_ports()
        .map(|p| (p.proto, p.port, p.end))
        .collect();
    plan.ports
        .iter()
        .filter(|p| {
            matches!(
                p.exposure,
                Exposure::Internal | Exposure::Loopback | Exposure::Proxied
            )
        })
        .map(|p| (p.proto, p.port, p.end))
        .filter(|k| !public.iter().any(|o| overlaps(*o, *k)))
        .collect()
}

/// The output opens the plan's public ports, each from exactly its own source, and nothing else.
fn check_opens_exactly(name: &str, what: &str, opened: &Opened, plan: &Plan, text: &str) {
    let want = expected(plan);
    assert!(
        opened == &want,
        "{name} {what} opens the wrong ports or sources:\n  missing: {:?}\n  extra: {:?}\n{text}",
        want.difference(opened).collect::<Vec<_>>(),
        opened.difference(&want).collect::<Vec<_>>(),
    );
    for shut in must_stay_shut(plan) {
        assert!(
            !opened.iter().any(|o| overlaps((o.0, o.1, o.2), shut)),
            "{name} {what} opens the non-public {shut:?}:\n{text}"
        );
    }
}

#[test]
fn every_output_opens_exactly_the_public_ports_from_their_sources() {
    let mut restricted = 0;
    for (name, plan) in plans() {
        restricted += usize::from(plan.public_ports().any(|p| p.source.is_some()));
        for kind in HostFirewall::ALL {
            let text = firewall::host(&plan, *kind);
            let opened = firewall_extract::host(*kind, &text);
            check_opens_exactly(&name, kind.as_str(), &opened, &plan, &text);
        }
        match firewall::cloud(&plan, plan.firewall.provider) {
            None => assert_eq!(plan.firewall.provider, Provider::None, "{name}"),
            Some(text) => {
                let opened = firewall_extract::cloud::cloud(plan.firewall.provider, &text);
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
    assert!(restricted > 50, "only {restricted} plans restrict a source");
}

/// Lines that deny, delete or switch the firewall on, per host firewall.
fn is_deny(kind: HostFirewall, line: &str) -> bool {
    let line = line.trim();
    let starts: &[&str] = match kind {
        HostFirewall::Ufw => &[
            "ufw default deny",
            "ufw --force enable",
            "ufw enable",
            "ufw --force delete",
        ],
        HostFirewall::Firewalld => &[
            "firewall-cmd --permanent --zone=\"$ZONE\" --set-target",
            "firewall-cmd --permanent --zone=\"$ZONE\" --remove-service",
            "firewall-cmd --permanent --zone=\"$ZONE\" --remove-rich-rule",
            "firewall-cmd --permanent --delete-service",
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
    use firewall_extract::Scope;
    for (name, plan) in plans() {
        let ssh: Opened = plan
            .firewall
            .ssh
            .iter()
            .flat_map(|r| {
                firewall_extract::sources(r.source)
                    .into_iter()
                    .map(|s| (r.proto, r.port, r.end, s))
            })
            .collect();
        assert!(!ssh.is_empty(), "{name}: the fixtures all have SSH");
        for kind in HostFirewall::ALL {
            let text = firewall::host(&plan, *kind);
            // iptables and ip6tables are separate firewalls: check each on its own.
            let scopes: &[Option<Scope>] = match kind {
                HostFirewall::Iptables => &[Some(Scope::V4), Some(Scope::V6)],
                _ => &[None],
            };
            for scope in scopes {
                let lines: Vec<firewall_extract::Line> = firewall_extract::host_lines(*kind, &text)
                    .into_iter()
                    .filter(|l| scope.is_none() || l.scope.is_none() || l.scope == *scope)
                    .collect();
                let ssh_at: Vec<usize> = (0..lines.len())
                    .filter(|i| lines[*i].opened.iter().any(|o| ssh.contains(o)))
                    .collect();
                // firewalld opens SSH and other ports open to everyone in one service, SSH first.
                let other_at = (0..lines.len()).find(|i| {
                    let opened = &lines[*i].opened;
                    opened.iter().any(|o| !ssh.contains(o))
                        && !opened.iter().any(|o| ssh.contains(o))
                });
                let deny_at = (0..lines.len()).find(|i| is_deny(*kind, &lines[*i].text));
                let last_ssh = ssh_at.last().copied();
                // An SSH source of one family leaves the other family's firewall without SSH.
                if last_ssh.is_none() {
                    assert!(scope.is_some(), "{name} {kind}: no SSH rule\n{text}");
                    continue;
                }
                for after in [deny_at, other_at].into_iter().flatten() {
                    assert!(
                        last_ssh < Some(after),
                        "{name} {kind} {scope:?}: SSH after line {after}\n{text}"
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
        let reachable: BTreeSet<(Proto, u16, u16)> = plan
            .ports
            .iter()
            .filter(|p| {
                matches!(p.exposure, Exposure::Public | Exposure::Vpn)
                    && p.service != selkie::role::Role::Ssh
            })
            .map(|p| (p.proto, p.port, p.end))
            .collect();
        let mut listed = BTreeSet::new();
        for line in text
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| Destination"))
        {
            let cell = line.split('|').nth(2).unwrap().trim();
            let mut words = cell.split_whitespace();
            let (p, ports) = (words.next().unwrap(), words.next().unwrap());
            let (a, b) = range(ports, '-');
            listed.insert((firewall_extract::proto(p), a, b));
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
