//! iptables and ip6tables: selkie's rules live in a chain of their own, `SELKIE-INPUT`, which every
//! run empties and refills in one step; INPUT jumps to it once, before any catch-all DROP/REJECT.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, families, span, ssh_restricted, Family};
use super::{bash_preamble, on_oracle};

/// The chain that holds every rule selkie adds.
const CHAIN: &str = "SELKIE-INPUT";

/// The iptables script.
pub(super) fn script(plan: &Plan) -> String {
    let mut out = header(plan);
    out.push_str(&jump_functions());
    out.push_str(&family_block(plan, Family::V4));
    ipv6(&mut out, plan);
    save(&mut out);
    out
}

/// The preamble, with Oracle's own INPUT rules explained on its images.
fn header(plan: &Plan) -> String {
    let rollback = "bash -c 'iptables -P INPUT ACCEPT; ip6tables -P INPUT ACCEPT'";
    let warning = if on_oracle(plan) {
        "# ORACLE CLOUD: the Ubuntu images end INPUT with `-j REJECT --reject-with icmp-host-prohibited`.\n\
         # A rule after it never matches, so the jump to selkie's chain is INSERTED just before it. The\n\
         # script flushes nothing but its own chain: the image's InstanceServices chain guards the boot\n\
         # volume (iSCSI to 169.254.0.2:3260) and Oracle says not to alter it. ufw has no effect on\n\
         # these images.\n"
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
    out
}

/// The shell functions that keep INPUT's jump to the chain single and ahead of any catch-all.
fn jump_functions() -> String {
    format!(
        "\n# Every rule of this plan lives in the chain {CHAIN}. Each run empties and refills it in one\n\
         # step (iptables-restore --noflush replaces the chains it names and nothing else), so ports an\n\
         # earlier plan opened are gone afterwards and no packet ever meets a half-built chain. INPUT\n\
         # jumps to the chain exactly once. Rules of others in INPUT stay as they are, including rules\n\
         # an older selkie script added to INPUT itself: `iptables -S INPUT` at the end lists them.\n\
         \n\
         # selkie_catch_all TOOL: the number of the first INPUT rule that drops or rejects every packet,\n\
         # or nothing. Oracle's Ubuntu images and RHEL's iptables-services end INPUT with one, and a\n\
         # rule after it never matches. A narrower DROP (one address, say) stays ahead of the jump.\n\
         selkie_catch_all() {{\n  \
         \"$1\" -S INPUT | awk 'NR > 1 && /^-A INPUT( -m comment --comment (\"[^\"]*\"|[^ ]+))? -j (DROP|REJECT)( --reject-with [^ ]+)?$/ {{ print NR - 1; exit }}'\n\
         }}\n\
         \n\
         # selkie_jumps TOOL: the numbers of INPUT's rules that jump to {CHAIN}.\n\
         selkie_jumps() {{\n  \
         \"$1\" -S INPUT | awk 'NR > 1 && $0 == \"-A INPUT -j {CHAIN}\" {{ print NR - 1 }}'\n\
         }}\n\
         \n\
         # selkie_jump TOOL: make INPUT jump to {CHAIN} exactly once, before any catch-all DROP or\n\
         # REJECT. A missing or misplaced jump is inserted first and extra ones deleted after, so the\n\
         # chain is never out of reach.\n\
         selkie_jump() {{\n  \
         local tool=$1 stop n\n  \
         local -a jumps=()\n  \
         mapfile -t jumps < <(selkie_jumps \"$tool\")\n  \
         stop=$(selkie_catch_all \"$tool\")\n  \
         if (( ${{#jumps[@]}} == 0 )) || {{ [[ -n $stop ]] && (( jumps[0] > stop )); }}; then\n    \
         if [[ -n $stop ]]; then\n      \
         \"$tool\" -I INPUT \"$stop\" -j {CHAIN}\n    \
         else\n      \
         \"$tool\" -A INPUT -j {CHAIN}\n    \
         fi\n    \
         mapfile -t jumps < <(selkie_jumps \"$tool\")\n  \
         fi\n  \
         for (( n = ${{#jumps[@]}} - 1; n >= 1; n-- )); do\n    \
         \"$tool\" -D INPUT \"${{jumps[n]}}\"\n  \
         done\n\
         }}\n"
    )
}

/// The IPv6 block, indented inside a test for ip6tables (the heredoc's lines stay as they are).
fn ipv6(out: &mut String, plan: &Plan) {
    out.push_str(
        "\n# IPv6 gets the same rules; a kernel without IPv6 has nothing to filter.\n\
         if ip6tables -L INPUT -n >/dev/null 2>&1; then\n",
    );
    let mut in_heredoc = false;
    for line in family_block(plan, Family::V6).trim_start().lines() {
        // The heredoc's lines stay unindented: iptables-restore reads them as they are.
        if line.is_empty() || in_heredoc {
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "  {line}");
        }
        if line.ends_with("<<'RULES'") {
            in_heredoc = true;
        } else if line == "RULES" {
            in_heredoc = false;
        }
    }
    out.push_str("else\n  echo \"ip6tables is unavailable: IPv6 left as it is\" >&2\nfi\n");
}

/// Save the rules so they survive a reboot, then list them.
fn save(out: &mut String) {
    let _ = write!(
        out,
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
         iptables -S INPUT\n\
         iptables -S {CHAIN}\n"
    );
}

/// One family: the chain rebuilt in one `iptables-restore`, the jump, then the policy.
fn family_block(plan: &Plan, family: Family) -> String {
    let (tool, icmp, label) = match family {
        Family::V4 => ("iptables", "icmp", "IPv4"),
        Family::V6 => ("ip6tables", "ipv6-icmp", "IPv6"),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "\n# {label}: {CHAIN} rebuilt from scratch. SSH first; then replies, loopback and ICMP (path-MTU\n\
         # errors and, for IPv6, neighbour discovery, without which IPv6 stops working); then the plan.\n\
         {tool}-restore --noflush <<'RULES'\n\
         *filter\n\
         :{CHAIN} - [0:0]\n"
    );
    let ssh = rules_for(&plan.firewall.ssh, family);
    if !ssh.is_empty() {
        let _ = write!(out, "# SSH before anything is denied.\n{}", ssh.concat());
    }
    let _ = write!(
        out,
        "-A {CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment \"replies to allowed connections\" -j ACCEPT\n\
         -A {CHAIN} -i lo -m comment --comment \"loopback\" -j ACCEPT\n\
         -A {CHAIN} -p {icmp} -m comment --comment \"ICMP\" -j ACCEPT\n"
    );
    let rules = rules_for(&plan.firewall.rules, family);
    if !rules.is_empty() {
        let _ = write!(out, "# The plan's public ports.\n{}", rules.concat());
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = writeln!(
            out,
            "# The VPN: the tailnet authenticates its peers.\n\
             -A {CHAIN} -i {iface} -m comment --comment \"VPN: everything arriving on {iface}\" -j ACCEPT"
        );
    }
    let _ = write!(
        out,
        "COMMIT\n\
         RULES\n\
         selkie_jump {tool}\n\
         # Only now drop the rest inbound; outbound stays open.\n\
         {tool} -P INPUT DROP\n\
         {tool} -P OUTPUT ACCEPT\n"
    );
    out
}

/// The chain's lines for the rules that apply to one family (a rule limited to an IPv4 source has
/// no IPv6 counterpart, and the other way round).
fn rules_for(rules: &[FirewallRule], family: Family) -> Vec<String> {
    rules
        .iter()
        .filter(|r| families(r).contains(&family))
        .map(|r| {
            let from = r.source.map(|s| format!(" -s {s}")).unwrap_or_default();
            format!(
                "-A {CHAIN} -p {proto}{from} --dport {ports} -m comment --comment \"{comment}\" -j ACCEPT\n",
                proto = r.proto.as_str(),
                ports = span(r, ":"),
                comment = describe(r, 100),
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
    fn both_families_rebuild_the_chain_then_jump_then_drop() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = script(&p);
        for tool in ["iptables", "ip6tables"] {
            let restore = text
                .find(&format!(
                    "{tool}-restore --noflush <<'RULES'\n*filter\n:SELKIE-INPUT - [0:0]\n"
                ))
                .unwrap();
            let first = text[restore..].find("\n-A SELKIE-INPUT ").unwrap() + restore;
            assert!(
                text[first..].starts_with("\n-A SELKIE-INPUT -p tcp --dport 22 "),
                "SSH first:\n{text}"
            );
            let jump = text.find(&format!("selkie_jump {tool}\n")).unwrap();
            let drop = text.find(&format!("{tool} -P INPUT DROP\n")).unwrap();
            assert!(restore < jump && jump < drop, "{tool}\n{text}");
        }
        assert!(
            text.contains("\n-A SELKIE-INPUT -p udp --dport 50000:50119 -m comment"),
            "{text}"
        );
        assert!(text.contains("-p ipv6-icmp -m comment"), "{text}");
        assert!(text.contains("netfilter-persistent save"));
        assert!(text.contains("iptables-save >/etc/sysconfig/iptables"));
        assert_eq!(text.matches("<<'RULES'").count(), 2, "{text}");
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
        let v6 = text.find("ip6tables-restore").unwrap();
        let rule = text
            .find("-A SELKIE-INPUT -p tcp -s 198.51.100.4/32 --dport 22")
            .unwrap();
        assert!(rule < v6, "{text}");
        assert!(!text[v6..].contains("--dport 22 "), "{text}");
        assert!(
            text.contains("-A SELKIE-INPUT -i tailscale0 -m comment"),
            "{text}"
        );
    }

    #[test]
    fn the_jump_goes_before_a_catch_all_reject_and_nothing_else_is_flushed() {
        let mut p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        p.firewall.provider = Provider::Oracle;
        let text = script(&p);
        assert!(text.contains("ORACLE CLOUD"), "{text}");
        assert!(
            !text.contains("iptables -D INPUT -p tcp"),
            "SSH is not restricted here:\n{text}"
        );
        assert!(text.contains("-j (DROP|REJECT)"), "{text}");
        assert!(
            text.contains("\"$tool\" -I INPUT \"$stop\" -j SELKIE-INPUT"),
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
