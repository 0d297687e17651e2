//! Host firewalls: ufw, firewalld and iptables scripts, and an nftables ruleset.

mod firewalld;
mod guard;
mod iptables;
mod nftables;
mod ufw;

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::answers::{Cidr, HostFirewall, Provider};
use crate::plan::Plan;

use super::header;

/// The host firewall output of one kind.
pub(super) fn render(plan: &Plan, kind: HostFirewall) -> String {
    match kind {
        HostFirewall::Ufw => ufw::script(plan),
        HostFirewall::Firewalld => firewalld::script(plan),
        HostFirewall::Nftables => nftables::ruleset(plan),
        HostFirewall::Iptables => iptables::script(plan),
    }
}

/// Whether the plan targets Oracle Cloud, whose Ubuntu images end INPUT with a REJECT rule.
fn on_oracle(plan: &Plan) -> bool {
    plan.firewall.provider == Provider::Oracle
}

/// How to stay reachable: the order of the script, the SSH ports, and the dead-man switch.
/// `rollback` is the command that undoes this firewall.
fn lockout_notes(plan: &Plan, rollback: &str) -> String {
    let mut out = String::from("#\n# Not locking yourself out:\n");
    let ssh: Vec<String> = plan
        .firewall
        .ssh
        .iter()
        .map(|r| format!("{}/tcp from {}", r.label(), super::from_text(r)))
        .collect();
    if ssh.is_empty() {
        out.push_str("# - The plan allows NO SSH port. Run this from the provider's web console, or re-plan with --ssh-port.\n");
    } else {
        let _ = writeln!(
            out,
            "# - SSH ({}) is allowed before anything is denied.",
            ssh.join(", ")
        );
    }
    out.push_str(
        "# - Check that those are the ports sshd listens on: `sudo sshd -T | awk '$1==\"port\"{print $2}'`\n\
         #   and `sudo ss -Htlnp | grep sshd` (socket-activated ssh on Ubuntu 22.10+ shows only there).\n",
    );
    if plan.firewall.ssh.iter().any(|r| r.source.is_some()) {
        out.push_str(
            "# - SSH is restricted to the network above: `echo $SSH_CONNECTION` (before sudo, which drops\n\
             #   it) shows the address you connect from first. IPv6 clients need an IPv6 network there.\n",
        );
    }
    let _ = write!(
        out,
        "# - Optional dead-man switch: arm a rollback that fires in five minutes, apply this firewall,\n\
         #   then open a NEW ssh session; cancel the rollback only once that login works:\n\
         #     sudo systemd-run --on-active=300 --unit=selkie-fw-rollback {rollback}\n\
         #     sudo systemctl stop selkie-fw-rollback.timer\n"
    );
    out
}

/// The start of every bash script: shebang, strict mode, the header, and the checks that stop it
/// before it changes anything (the SSH session guard, root, and the tool). The guard comes first
/// so `SELKIE_GUARD_ONLY=1` can run it without root.
fn bash_preamble(
    plan: &Plan,
    what: &str,
    warning: &str,
    tool: &str,
    install: &str,
    rollback: &str,
) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(warning);
    out.push_str(&header(plan, what));
    out.push_str(&lockout_notes(plan, rollback));
    out.push_str(
        "# - Before it changes anything, this script finds the SSH session running it (through sudo,\n\
         #   which drops SSH_CONNECTION) and stops if the firewall would cut it off: its port not\n\
         #   opened, or its address outside the network SSH is limited to. SELKIE_FORCE=1 goes on\n\
         #   anyway; SELKIE_GUARD_ONLY=1 runs only that check.\n",
    );
    out.push_str(&docker_note(plan));
    out.push_str("\nset -euo pipefail\n");
    out.push_str(&guard::session_guard(plan));
    out.push_str(
        "\nif [[ $(id -u) -ne 0 ]]; then\n  echo \"run this as root: sudo bash $0\" >&2\n  exit 1\nfi\n",
    );
    let _ = write!(
        out,
        "if ! command -v {tool} >/dev/null 2>&1; then\n  echo \"{tool} is not installed: {install}\" >&2\n  exit 1\nfi\n\
         selkie_guard\n"
    );
    out
}

/// A port of a bridged container that Docker publishes on a non-loopback address: Docker's own
/// rules let it in (DNAT, then FORWARD), so no INPUT rule of a host firewall ever sees it.
struct Bypass {
    label: String,
    service: String,
    /// The source the plan restricts the port to, which the host firewall cannot enforce.
    source: Option<Cidr>,
}

/// Every port the plan publishes beyond loopback, with the source its port row asks for.
fn docker_bypass(plan: &Plan) -> Vec<Bypass> {
    let mut out = Vec::new();
    for service in &plan.services {
        for publish in &service.publish {
            let loopback = publish
                .host_ip
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                continue;
            }
            let row = plan.ports.iter().find(|p| {
                p.service == service.name && p.port == publish.port && p.proto == publish.proto
            });
            let span = if publish.end == publish.port {
                publish.port.to_string()
            } else {
                format!("{}-{}", publish.port, publish.end)
            };
            out.push(Bypass {
                label: format!("{span}/{}", publish.proto.as_str()),
                service: service.name.to_string(),
                source: row.and_then(|r| r.source),
            });
        }
    }
    out
}

/// Docker-published ports skip the INPUT chain: say which ports that leaves unfiltered here, or
/// why it does not matter for this plan.
fn docker_note(plan: &Plan) -> String {
    let bypass = docker_bypass(plan);
    if bypass.is_empty() {
        return "#\n# Docker: ports Docker publishes are DNAT'd before INPUT and would bypass these rules. selkie runs\n\
                # LiveKit and the proxy with host networking and publishes bridged containers on 127.0.0.1 only,\n\
                # so every port above is filtered here.\n"
            .to_string();
    }
    let mut out = String::from(
        "#\n# Docker: ports Docker publishes are DNAT'd before INPUT and reach their container through\n\
         # Docker's own rules, so this firewall never sees them. This plan publishes these ports of\n\
         # bridged containers on every address; they are reachable whatever this firewall says:\n",
    );
    for b in &bypass {
        let note = match b.source {
            Some(source) => format!(
                "open to everyone: the limit to {source} has no effect here, only a cloud firewall enforces it"
            ),
            None => "open to everyone".to_string(),
        };
        let _ = writeln!(out, "#   {:<17} {:<12} {note}", b.label, b.service);
    }
    out.push_str(
        "# Only a cloud firewall (or rules in Docker's DOCKER-USER chain) filters them. The other ports\n\
         # above are filtered here.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn every_bash_script_checks_session_root_and_tool_before_changing_anything() {
        let plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        for kind in [
            HostFirewall::Ufw,
            HostFirewall::Firewalld,
            HostFirewall::Iptables,
        ] {
            let text = render(&plan, kind);
            assert!(text.starts_with("#!/usr/bin/env bash\n"), "{kind}");
            let strict = text.find("set -euo pipefail").unwrap();
            let guard_only = text.find("SELKIE_GUARD_ONLY:-0} == 1").unwrap();
            let root = text.find("$(id -u) -ne 0").unwrap();
            let guard = text.find("\nselkie_guard\n").unwrap();
            assert!(
                strict < guard_only && guard_only < root && root < guard,
                "{kind}"
            );
            assert!(text.contains("if (( $1 >= 22 && $1 <= 22 ))"), "{kind}");
            assert!(text.contains("systemd-run --on-active=300"), "{kind}");
        }
    }

    #[test]
    fn the_docker_note_names_ports_docker_lets_in() {
        let lk = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(docker_note(&lk).contains("so every port above is filtered here"));
        // Without a proxy Reflector publishes its web ports on every address; one of them
        // restricted like SSH shows that the limit does not hold for Docker's ports.
        let mut reflector = plan("reflector", ProxyMode::None, "203.0.113.7", None);
        for row in reflector.ports.iter_mut().filter(|p| p.port == 1250) {
            row.source = Some("198.51.100.4/32".parse().unwrap());
        }
        for kind in HostFirewall::ALL {
            let text = render(&reflector, *kind);
            assert!(!text.contains("every port above is filtered"), "{text}");
            assert!(
                text.contains("#   1250/tcp          backend      open to everyone: the limit to 198.51.100.4/32 has no effect here"),
                "{text}"
            );
            assert!(
                text.contains("#   3000/tcp          frontend     open to everyone\n"),
                "{text}"
            );
        }
        // Behind Caddy nothing is published on every address, the Hatchet dashboard included.
        let caddy = plan(
            "reflector",
            ProxyMode::Caddy,
            "meet.example.com",
            Some("198.51.100.4"),
        );
        assert!(docker_note(&caddy).contains("so every port above is filtered here"));
    }

    #[test]
    fn the_nftables_output_is_a_ruleset_not_a_script() {
        let plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = render(&plan, HostFirewall::Nftables);
        assert!(text.starts_with("#!/usr/sbin/nft -f\n"), "{text}");
        assert!(!text.contains("set -euo"), "{text}");
    }
}
