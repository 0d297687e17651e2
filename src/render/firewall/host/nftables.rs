//! nftables: a ruleset file for `nft -f`, in a table of its own so Docker's tables stay untouched.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, header, span};
use super::{docker_note, lockout_notes, on_oracle};

/// The table every rule lives in; loading the file replaces it and nothing else.
const TABLE: &str = "inet selkie";

/// The nftables ruleset.
pub(super) fn ruleset(plan: &Plan) -> String {
    let mut out = String::from("#!/usr/sbin/nft -f\n");
    out.push_str(&header(plan, "Host firewall (nftables ruleset)"));
    out.push_str(
        "#\n# Load it: sudo nft -f nftables.nft (check first with sudo nft -c -f nftables.nft).\n\
         # Keep it across reboots: sudo install -D -m 0644 nftables.nft /etc/nftables.d/selkie.nft, add\n\
         # include \"/etc/nftables.d/selkie.nft\" to /etc/nftables.conf and sudo systemctl enable nftables.\n\
         # Debian's stock /etc/nftables.conf starts with `flush ruleset`: remove that line, or every\n\
         # restart of nftables.service wipes Docker's rules. This file never flushes the ruleset.\n\
         #\n\
         # Use one host firewall: a packet must be accepted by every base chain on the input hook, so\n\
         # rules from ufw or firewalld still drop what this table accepts.\n",
    );
    if on_oracle(plan) {
        out.push_str(
            "#\n# ORACLE CLOUD: the Ubuntu images' iptables INPUT chain ends with a REJECT rule, which still\n\
             # rejects what this table accepts. Use firewall/iptables.sh there; it inserts before the REJECT.\n",
        );
    }
    out.push_str(&lockout_notes(plan, &format!("nft delete table {TABLE}")));
    out.push_str(&docker_note(plan));

    let _ = write!(
        out,
        "\n# Create the table if it is missing, then delete it: loading this file again replaces the\n\
         # table instead of failing or adding duplicate rules.\n\
         table {TABLE}\n\
         delete table {TABLE}\n\n\
         table {TABLE} {{\n\
         \tchain input {{\n\
         \t\t# Drop whatever no rule accepts. The file loads as one transaction, so the SSH rules are\n\
         \t\t# in place the moment this policy is. Outbound traffic has no chain here: it stays open.\n\
         \t\ttype filter hook input priority 0; policy drop;\n\n\
         \t\tct state established,related accept comment \"replies to connections already allowed\"\n\
         \t\tct state invalid drop comment \"packets that belong to no connection\"\n\
         \t\tiif \"lo\" accept comment \"loopback: services talking to each other on this host\"\n\
         \t\t# ICMPv6 carries IPv6 neighbour discovery; without it IPv6 stops working altogether.\n\
         \t\tmeta l4proto {{ icmp, icmpv6 }} accept comment \"ICMP and ICMPv6\"\n"
    );
    if !plan.firewall.ssh.is_empty() {
        out.push_str("\n\t\t# SSH first.\n");
        for rule in &plan.firewall.ssh {
            out.push_str(&accept(rule));
        }
    }
    if !plan.firewall.rules.is_empty() {
        out.push_str("\n\t\t# The plan's public ports.\n");
        for rule in &plan.firewall.rules {
            out.push_str(&accept(rule));
        }
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        // iifname, not iif: the VPN interface may not exist yet when the ruleset loads at boot.
        let _ = write!(
            out,
            "\n\t\t# The VPN: the tailnet authenticates its peers.\n\
             \t\tiifname \"{iface}\" accept comment \"VPN: everything arriving on {iface}\"\n"
        );
    }
    out.push_str("\t}\n}\n");
    out
}

/// One accept rule, restricted to its source when it has one.
fn accept(rule: &FirewallRule) -> String {
    let from = match rule.source {
        Some(s) if s.is_ipv6() => format!("ip6 saddr {s} "),
        Some(s) => format!("ip saddr {s} "),
        None => String::new(),
    };
    format!(
        "\t\t{from}{} dport {} accept comment \"{}\"\n",
        rule.proto.as_str(),
        span(rule, "-"),
        describe(rule, 100)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn the_table_is_replaced_never_the_ruleset() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = ruleset(&p);
        assert!(
            text.contains("table inet selkie\ndelete table inet selkie\n"),
            "{text}"
        );
        let rules: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        assert!(rules.iter().all(|l| !l.contains("flush")), "{text}");
        assert!(text.contains("policy drop;"));
        assert!(text.contains("udp dport 50000-50119 accept comment \"livekit: WebRTC media"));
    }

    #[test]
    fn sources_pick_the_address_family() {
        let v4 = ruleset(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        ));
        assert!(
            v4.contains("ip saddr 198.51.100.4/32 tcp dport 22 accept"),
            "{v4}"
        );
        assert!(v4.contains("iifname \"tailscale0\" accept"), "{v4}");
        let v6 = ruleset(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("2001:db8::/48"),
        ));
        assert!(
            v6.contains("ip6 saddr 2001:db8::/48 tcp dport 22 accept"),
            "{v6}"
        );
    }
}
