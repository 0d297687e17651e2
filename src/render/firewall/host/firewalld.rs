//! firewalld: permanent rules in the default zone, applied together by one reload.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, span};
use super::bash_preamble;

/// The firewalld script.
pub(super) fn script(plan: &Plan) -> String {
    let mut out = bash_preamble(
        plan,
        "Host firewall (firewalld)",
        "",
        "firewall-cmd",
        "dnf install firewalld",
        "systemctl stop firewalld",
    );
    out.push_str(
        "\n# firewall-cmd needs the daemon. Starting it applies the default zone, which allows only the\n\
         # `ssh` service (port 22): with SSH elsewhere, that start alone would cut you off, so it is left\n\
         # to you.\n\
         if ! firewall-cmd --state >/dev/null 2>&1; then\n  \
         echo \"firewalld is not running. Start it (sudo systemctl enable --now firewalld) once you are sure\" >&2\n  \
         echo \"your SSH port is allowed (the default zone allows only port 22), then run this again.\" >&2\n  \
         exit 1\n\
         fi\n\n\
         # Every change is --permanent and takes effect at the reload at the end, all at once; re-adding\n\
         # a rule that exists only prints ALREADY_ENABLED.\n\
         ZONE=$(firewall-cmd --get-default-zone)\n",
    );
    if !plan.firewall.ssh.is_empty() {
        out.push_str("\n# SSH first.\n");
        for rule in &plan.firewall.ssh {
            out.push_str(&allow(rule));
        }
    }
    if !plan.firewall.rules.is_empty() {
        out.push_str("\n# The plan's public ports.\n");
        for rule in &plan.firewall.rules {
            out.push_str(&allow(rule));
        }
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = write!(
            out,
            "\n# The VPN: {iface} joins the trusted zone (the tailnet authenticates its peers).\n\
             if [[ $(firewall-cmd --permanent --get-zone-of-interface={iface} 2>/dev/null || true) != trusted ]]; then\n  \
             firewall-cmd --permanent --zone=trusted --change-interface={iface}\n\
             fi\n"
        );
    }
    out.push_str(
        "\n# Only now deny the rest: the zone's `default` target rejects whatever nothing above allows,\n\
         # and the stock `ssh` service goes, because the SSH rules above replace it (it would keep port\n\
         # 22 open to everyone). Outbound is not filtered by zones: it stays open.\n\
         if [[ $(firewall-cmd --permanent --zone=\"$ZONE\" --get-target) != default ]]; then\n  \
         firewall-cmd --permanent --zone=\"$ZONE\" --set-target=default\n\
         fi\n\
         firewall-cmd --permanent --zone=\"$ZONE\" --remove-service=ssh\n\n\
         # Apply, and start at boot.\n\
         systemctl enable firewalld\n\
         firewall-cmd --reload\n\n\
         # Services this script did not add stay open; review them (dhcpv6-client is needed for DHCPv6;\n\
         # Docker's own `docker` zone is Docker's business).\n\
         others=$(firewall-cmd --permanent --zone=\"$ZONE\" --list-services)\n\
         if [[ -n $others ]]; then\n  \
         echo \"note: zone $ZONE still allows these services: $others (firewall-cmd --permanent --zone=$ZONE --remove-service=NAME)\" >&2\n\
         fi\n\
         firewall-cmd --zone=\"$ZONE\" --list-all\n",
    );
    out
}

/// A port for everyone, or a rich rule for a rule limited to a source (firewalld has no comments:
/// the purpose goes on the line above).
fn allow(rule: &FirewallRule) -> String {
    let proto = rule.proto.as_str();
    let ports = span(rule, "-");
    let what = describe(rule, 100);
    match rule.source {
        Some(source) => {
            let family = if source.is_ipv6() { "ipv6" } else { "ipv4" };
            format!(
                "# {what}\nfirewall-cmd --permanent --zone=\"$ZONE\" --add-rich-rule='rule family=\"{family}\" source address=\"{source}\" port port=\"{ports}\" protocol=\"{proto}\" accept'\n"
            )
        }
        None => format!(
            "# {what}\nfirewall-cmd --permanent --zone=\"$ZONE\" --add-port={ports}/{proto}\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn ports_ranges_and_rich_rules() {
        let p = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("2001:db8::/64"),
        );
        let text = script(&p);
        assert!(
            text.contains("--add-rich-rule='rule family=\"ipv6\" source address=\"2001:db8::/64\" port port=\"22\" protocol=\"tcp\" accept'"),
            "{text}"
        );
        assert!(text.contains("--add-port=41641/udp"), "{text}");
        assert!(
            text.contains("--zone=trusted --change-interface=tailscale0"),
            "{text}"
        );
        let lk = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(lk.contains("--add-port=50000-50119/udp"), "{lk}");
        let ssh = lk.find("--add-port=22/tcp").unwrap();
        assert!(ssh < lk.find("--remove-service=ssh").unwrap());
        assert!(
            lk.find("--remove-service=ssh").unwrap() < lk.find("firewall-cmd --reload").unwrap()
        );
    }
}
