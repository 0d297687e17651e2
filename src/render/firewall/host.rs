//! Host firewalls: ufw, firewalld and iptables scripts, and an nftables ruleset.

mod firewalld;
mod iptables;
mod nftables;
mod ufw;

use std::fmt::Write as _;

use crate::answers::{HostFirewall, Provider};
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
/// before it changes anything (root, the tool, and the SSH session's port).
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
    out.push_str(&docker_note());
    out.push_str("\nset -euo pipefail\n\n");
    out.push_str(
        "if [[ $(id -u) -ne 0 ]]; then\n  echo \"run this as root: sudo bash $0\" >&2\n  exit 1\nfi\n",
    );
    let _ = write!(
        out,
        "if ! command -v {tool} >/dev/null 2>&1; then\n  echo \"{tool} is not installed: {install}\" >&2\n  exit 1\nfi\n"
    );
    out.push_str(&session_guard(plan));
    out
}

/// Docker-published ports skip the INPUT chain; say why that does not matter for this stack.
fn docker_note() -> String {
    "#\n# Docker: ports Docker publishes are DNAT'd before INPUT and would bypass these rules. selkie runs\n\
     # LiveKit and the proxy with host networking and publishes bridged containers on 127.0.0.1 only,\n\
     # so every port above is filtered here.\n"
        .to_string()
}

/// Refuse to run from an SSH session whose port the plan would close. SSH_CONNECTION is
/// "client_ip client_port server_ip server_port"; sudo's env_reset drops it, so the check only runs
/// for root logins or `sudo --preserve-env=SSH_CONNECTION`.
fn session_guard(plan: &Plan) -> String {
    let mut out = String::from(
        "\n# The SSH session running this must stay reachable (set SELKIE_FORCE=1 to skip this check).\n\
         if [[ -n ${SSH_CONNECTION:-} && ${SELKIE_FORCE:-0} != 1 ]]; then\n  \
         read -r _ _ _ session_port <<<\"$SSH_CONNECTION\"\n  allowed=0\n",
    );
    for rule in &plan.firewall.ssh {
        let _ = writeln!(
            out,
            "  if (( session_port >= {} && session_port <= {} )); then allowed=1; fi",
            rule.port, rule.end
        );
    }
    out.push_str(
        "  if (( allowed == 0 )); then\n    \
         echo \"this SSH session uses port $session_port, which this firewall does not open:\" >&2\n    \
         echo \"re-plan with --ssh-port $session_port, or set SELKIE_FORCE=1 if you know better\" >&2\n    \
         exit 1\n  fi\nfi\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn every_bash_script_checks_root_tool_and_session_before_changing_anything() {
        let plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        for kind in [
            HostFirewall::Ufw,
            HostFirewall::Firewalld,
            HostFirewall::Iptables,
        ] {
            let text = render(&plan, kind);
            assert!(text.starts_with("#!/usr/bin/env bash\n"), "{kind}");
            let strict = text.find("set -euo pipefail").unwrap();
            let guard = text
                .find("session_port >= 22 && session_port <= 22")
                .unwrap();
            assert!(strict < guard, "{kind}");
            assert!(text.contains("systemd-run --on-active=300"), "{kind}");
        }
    }

    #[test]
    fn the_nftables_output_is_a_ruleset_not_a_script() {
        let plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = render(&plan, HostFirewall::Nftables);
        assert!(text.starts_with("#!/usr/sbin/nft -f\n"), "{text}");
        assert!(!text.contains("set -euo"), "{text}");
    }
}
