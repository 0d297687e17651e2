//! iptables and ip6tables: rules added one by one (skipped when present), then the policy, then saved.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, span, sq, ssh_restricted, Family};
use super::{bash_preamble, on_oracle};

/// The iptables script.
pub(super) fn script(plan: &Plan) -> String {
    let rollback = "bash -c 'iptables -P INPUT ACCEPT; ip6tables -P INPUT ACCEPT'";
    let warning = if on_oracle(plan) {
        "# ORACLE CLOUD: the Ubuntu images end INPUT with `-j REJECT --reject-with icmp-host-prohibited`.\n\
         # A rule appended after it never matches, so every rule here is INSERTED just before it. The\n\
         # script never flushes: the image's InstanceServices chain guards the boot volume (iSCSI to\n\
         # 169.254.0.2:3260) and Oracle says not to alter it. ufw has no effect on these images.\n"
    } else {
        ""
    };
    let mut out = bash_preamble(
        plan,
        "Host firewall (iptables and ip6tables)",
        warning,
        "iptables",
        "apt-get install iptables (or dnf install iptables-services)",
        rollback,
    );
    if on_oracle(plan) && ssh_restricted(plan) {
        out.push_str(
            "\n# The image also accepts 22/tcp from anywhere with its own rule, which this script leaves\n\
             # alone; to make the SSH restriction real, delete it once you are logged in through the\n\
             # rule below: iptables -D INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n",
        );
    }
    out.push_str(
        "\n# Rules already in INPUT stay: this script only adds. `iptables -S INPUT` at the end lists all.\n",
    );
    out.push_str(
        "\n# allow TOOL RULE...: add an INPUT rule unless the same rule is already there. It goes just\n\
         # before the first REJECT rule when INPUT has one (Oracle's Ubuntu images and RHEL's\n\
         # iptables-services end INPUT with a catch-all REJECT, and a rule after it never matches);\n\
         # otherwise at the end. Looking the line up again for each rule keeps the rules in order.\n\
         allow() {\n  \
         local tool=$1 line\n  \
         shift\n  \
         if \"$tool\" -C INPUT \"$@\" 2>/dev/null; then\n    \
         return 0\n  \
         fi\n  \
         line=$(\"$tool\" -L INPUT --line-numbers -n | awk '$2==\"REJECT\"{print $1; exit}')\n  \
         if [[ -n $line ]]; then\n    \
         \"$tool\" -I INPUT \"$line\" \"$@\"\n  \
         else\n    \
         \"$tool\" -A INPUT \"$@\"\n  \
         fi\n\
         }\n",
    );
    out.push_str(&family_block(plan, Family::V4));
    out.push_str(
        "\n# IPv6 gets the same rules; a kernel without IPv6 has nothing to filter.\n\
         if ip6tables -L INPUT -n >/dev/null 2>&1; then\n",
    );
    for line in family_block(plan, Family::V6).trim_start().lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push_str("else\n  echo \"ip6tables is unavailable: IPv6 left as it is\" >&2\nfi\n");
    out.push_str(
        "\n# Save, so the rules survive a reboot. Never `iptables -F`: that would also wipe Docker's rules\n\
         # (and Oracle's InstanceServices chain).\n\
         if command -v netfilter-persistent >/dev/null 2>&1; then\n  \
         netfilter-persistent save\n\
         elif [[ -d /etc/sysconfig ]]; then\n  \
         iptables-save >/etc/sysconfig/iptables\n  \
         if command -v ip6tables-save >/dev/null 2>&1; then\n    \
         ip6tables-save >/etc/sysconfig/ip6tables\n  \
         fi\n\
         else\n  \
         echo \"warning: nothing saves these rules across reboots: apt-get install iptables-persistent\" >&2\n\
         fi\n\
         iptables -S INPUT\n",
    );
    out
}

/// Every rule of one family, then that family's policy.
fn family_block(plan: &Plan, family: Family) -> String {
    let (tool, icmp, label) = match family {
        Family::V4 => ("iptables", "icmp", "IPv4"),
        Family::V6 => ("ip6tables", "ipv6-icmp", "IPv6"),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "\n# {label}: replies, loopback and ICMP first; ICMP carries path-MTU errors (and, for IPv6,\n\
         # neighbour discovery, without which IPv6 stops working).\n\
         allow {tool} -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment 'replies to allowed connections' -j ACCEPT\n\
         allow {tool} -i lo -m comment --comment 'loopback' -j ACCEPT\n\
         allow {tool} -p {icmp} -m comment --comment 'ICMP' -j ACCEPT\n"
    );
    let ssh: Vec<String> = rules_for(&plan.firewall.ssh, family, tool);
    if !ssh.is_empty() {
        let _ = write!(out, "# SSH before anything is denied.\n{}", ssh.concat());
    }
    let rules = rules_for(&plan.firewall.rules, family, tool);
    if !rules.is_empty() {
        let _ = write!(out, "# The plan's public ports.\n{}", rules.concat());
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = writeln!(
            out,
            "# The VPN: the tailnet authenticates its peers.\n\
             allow {tool} -i {iface} -m comment --comment {} -j ACCEPT",
            sq(&format!("VPN: everything arriving on {iface}"))
        );
    }
    let _ = write!(
        out,
        "# Only now drop the rest inbound; outbound stays open.\n\
         {tool} -P INPUT DROP\n\
         {tool} -P OUTPUT ACCEPT\n"
    );
    out
}

/// The `allow` lines of the rules that apply to one family (a rule limited to an IPv4 source has
/// no IPv6 counterpart, and the other way round).
fn rules_for(rules: &[FirewallRule], family: Family, tool: &str) -> Vec<String> {
    rules
        .iter()
        .filter(|r| super::super::families(r).contains(&family))
        .map(|r| {
            let from = r.source.map(|s| format!(" -s {s}")).unwrap_or_default();
            format!(
                "allow {tool} -p {proto}{from} --dport {ports} -m comment --comment {comment} -j ACCEPT\n",
                proto = r.proto.as_str(),
                ports = span(r, ":"),
                comment = sq(&describe(r, 100)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Provider, ProxyMode};
    use crate::render::firewall::tests::plan;

    #[test]
    fn both_families_get_rules_and_a_drop_policy() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = script(&p);
        assert!(
            text.contains("allow iptables -p udp --dport 50000:50119 -m comment"),
            "{text}"
        );
        assert!(
            text.contains("  allow ip6tables -p udp --dport 50000:50119 -m comment"),
            "{text}"
        );
        assert!(text.contains("allow ip6tables -p ipv6-icmp"), "{text}");
        assert!(text.contains("iptables -P INPUT DROP\n"));
        assert!(text.contains("  ip6tables -P INPUT DROP\n"));
        assert!(text.contains("netfilter-persistent save"));
        assert!(text.contains("iptables-save >/etc/sysconfig/iptables"));
    }

    #[test]
    fn a_v4_source_has_no_v6_rule() {
        let p = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        );
        let text = script(&p);
        assert!(
            text.contains("allow iptables -p tcp -s 198.51.100.4/32 --dport 22"),
            "{text}"
        );
        assert!(!text.contains("allow ip6tables -p tcp -s"), "{text}");
        assert!(!text.contains("ip6tables -p tcp --dport 22 "), "{text}");
    }

    #[test]
    fn oracle_inserts_before_the_reject_rule_and_never_flushes() {
        let mut p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        p.firewall.provider = Provider::Oracle;
        let text = script(&p);
        assert!(text.contains("ORACLE CLOUD"), "{text}");
        assert!(
            !text.contains("iptables -D INPUT"),
            "SSH is not restricted here:\n{text}"
        );
        assert!(
            text.contains("awk '$2==\"REJECT\"{print $1; exit}'"),
            "{text}"
        );
        assert!(
            text.contains("\"$tool\" -I INPUT \"$line\" \"$@\""),
            "{text}"
        );
        let commands = text.lines().filter(|l| !l.trim_start().starts_with('#'));
        assert!(commands.clone().all(|l| !l.contains(" -F")), "{text}");
        let mut restricted = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        );
        restricted.firewall.provider = Provider::Oracle;
        assert!(script(&restricted)
            .contains("iptables -D INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT"));
    }
}
