//! ufw: `ufw allow` per rule (idempotent: ufw skips a rule it already has), then the defaults.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, span, sq};
use super::{bash_preamble, on_oracle};

/// On Oracle's Ubuntu images ufw's chains come after the image's own REJECT rule, so `ufw allow`
/// changes nothing: say so where nobody can miss it.
const ORACLE_WARNING: &str = "\
# !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
# !!  WARNING: ufw HAS NO EFFECT on Oracle Cloud's Ubuntu images.                            !!
# !!  Their iptables INPUT chain ends with a REJECT rule that sits BEFORE ufw's chains, so      !!
# !!  every `ufw allow` below would silently do nothing and the ports would stay closed.       !!
# !!  Use firewall/iptables.sh instead: it inserts its rules before that REJECT rule.         !!
# !!  This script refuses to run unless SELKIE_FORCE=1 (e.g. on an image without that rule).  !!
# !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
";

/// The ufw script.
pub(super) fn script(plan: &Plan) -> String {
    let warning = if on_oracle(plan) { ORACLE_WARNING } else { "" };
    let mut out = bash_preamble(
        plan,
        "Host firewall (ufw)",
        warning,
        "ufw",
        "apt-get install ufw",
        "ufw disable",
    );
    if on_oracle(plan) {
        out.push_str(
            "\nif [[ ${SELKIE_FORCE:-0} != 1 ]]; then\n  \
             echo \"ufw has no effect on Oracle Cloud's Ubuntu images: run firewall/iptables.sh instead\" >&2\n  \
             exit 1\nfi\n",
        );
    }
    out.push_str("\n# SSH first, so nothing below can cut off the session.\n");
    for rule in &plan.firewall.ssh {
        out.push_str(&allow(rule));
    }
    if !plan.firewall.rules.is_empty() {
        out.push_str(
            "\n# The plan's public ports (a range needs its /proto, or ufw refuses it).\n",
        );
        for rule in &plan.firewall.rules {
            out.push_str(&allow(rule));
        }
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = write!(
            out,
            "\n# The VPN: everything arriving on {iface} comes from the tailnet, which authenticates its peers.\n\
             ufw allow in on {iface} comment {}\n",
            sq(&format!("VPN: everything arriving on {iface}"))
        );
    }
    out.push_str(
        "\n# Only now deny the rest inbound, keep outbound open, and switch ufw on (--force skips the\n\
         # prompt; on a running ufw it reloads the rules).\n\
         ufw default deny incoming\n\
         ufw default allow outgoing\n\
         ufw --force enable\n\
         ufw status verbose\n",
    );
    out
}

/// One `ufw allow` line; a source needs the long form.
fn allow(rule: &FirewallRule) -> String {
    let proto = rule.proto.as_str();
    let ports = span(rule, ":");
    let comment = sq(&describe(rule, 100));
    match rule.source {
        Some(source) => {
            format!("ufw allow proto {proto} from {source} to any port {ports} comment {comment}\n")
        }
        None => format!("ufw allow {ports}/{proto} comment {comment}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Provider, ProxyMode};
    use crate::render::firewall::tests::plan;

    #[test]
    fn ranges_use_a_colon_and_a_protocol_and_sources_use_from() {
        let vpn = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("2001:db8::/64"),
        );
        let text = script(&vpn);
        assert!(
            text.contains("ufw allow proto tcp from 2001:db8::/64 to any port 22 comment 'sshd: "),
            "{text}"
        );
        assert!(text.contains("ufw allow 41641/udp comment"), "{text}");
        assert!(text.contains("ufw allow in on tailscale0"), "{text}");
        let lk = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(script(&lk).contains("ufw allow 50000:50119/udp comment"));
    }

    #[test]
    fn oracle_gets_a_loud_warning_at_the_top_and_a_refusal() {
        let mut plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(!script(&plan).contains("HAS NO EFFECT"));
        plan.firewall.provider = Provider::Oracle;
        let text = script(&plan);
        let warning = text.find("ufw HAS NO EFFECT").unwrap();
        assert!(warning < text.find("set -euo pipefail").unwrap());
        assert!(text.contains("run firewall/iptables.sh instead"));
    }
}
