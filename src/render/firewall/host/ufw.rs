//! ufw: `ufw allow` per rule, each tagged with a `selkie:` comment that names the rule; then the
//! `selkie:` rules of earlier plans that this one lacks are deleted; then the defaults.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::{describe, from_text, span, sq};
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

/// The prefix of every comment selkie gives a ufw rule; rules without it are never touched.
const PREFIX: &str = "selkie:";

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
    let mut comments = Vec::new();
    out.push_str(
        "\n# Each rule's comment starts with `selkie:` and names the rule, so a later run can tell the\n\
         # rules of this plan from those of an earlier one (re-adding a rule only prints\n\
         # \"Skipping adding existing rule\").\n\
         \n# SSH first, so nothing below can cut off the session.\n",
    );
    for rule in &plan.firewall.ssh {
        out.push_str(&allow(rule, &mut comments));
    }
    if !plan.firewall.rules.is_empty() {
        out.push_str(
            "\n# The plan's public ports (a range needs its /proto, or ufw refuses it).\n",
        );
        for rule in &plan.firewall.rules {
            out.push_str(&allow(rule, &mut comments));
        }
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let comment = format!("{PREFIX} in on {iface} VPN: everything arriving on {iface}");
        let _ = write!(
            out,
            "\n# The VPN: everything arriving on {iface} comes from the tailnet, which authenticates its peers.\n\
             ufw allow in on {iface} comment {}\n",
            sq(&comment)
        );
        comments.push(comment);
    }
    out.push_str(&prune(&comments));
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

/// Delete every `selkie:` rule whose comment is not one of this plan's: what an earlier plan
/// opened and this one does not. `ufw show added` lists the rules whether or not ufw is enabled,
/// in the form `ufw delete` takes back.
fn prune(comments: &[String]) -> String {
    let mut out = String::from(
        "\n# Rules an earlier plan added and this one does not have go: every `selkie:` rule whose comment\n\
         # is not in this list. Rules without the prefix are never touched. (ufw keeps one comment per\n\
         # rule: a rule of yours identical to one above now carries selkie's comment, and goes if a\n\
         # later plan drops that port.)\n\
         keep=(\n",
    );
    for comment in comments {
        let _ = writeln!(out, "  {}", sq(comment));
    }
    let _ = write!(
        out,
        ")\n\
         mapfile -t added < <(ufw show added)\n\
         for line in \"${{added[@]}}\"; do\n  \
         if [[ $line != \"ufw \"*\" comment '{PREFIX}\"* ]]; then\n    \
         continue\n  \
         fi\n  \
         comment=${{line#* comment \\'}}\n  \
         comment=${{comment%\\'}}\n  \
         stale=1\n  \
         for k in \"${{keep[@]}}\"; do\n    \
         if [[ $k == \"$comment\" ]]; then\n      \
         stale=0\n    \
         fi\n  \
         done\n  \
         if (( stale == 1 )); then\n    \
         spec=${{line#ufw }}\n    \
         spec=${{spec% comment \\'*}}\n    \
         echo \"removing a rule of an earlier plan: ufw $spec\" >&2\n    \
         read -r -a args <<<\"$spec\"\n    \
         ufw --force delete \"${{args[@]}}\"\n  \
         fi\n\
         done\n"
    );
    out
}

/// One `ufw allow` line; a source needs the long form. Its comment (recorded in `comments`) names
/// the rule, so that a changed port or source makes a different comment.
fn allow(rule: &FirewallRule, comments: &mut Vec<String>) -> String {
    let proto = rule.proto.as_str();
    let ports = span(rule, ":");
    let comment = format!(
        "{PREFIX} {ports}/{proto} from {} {}",
        from_text(rule),
        describe(rule, 100)
    );
    let quoted = sq(&comment);
    comments.push(comment);
    match rule.source {
        Some(source) => {
            format!("ufw allow proto {proto} from {source} to any port {ports} comment {quoted}\n")
        }
        None => format!("ufw allow {ports}/{proto} comment {quoted}\n"),
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
            text.contains("ufw allow proto tcp from 2001:db8::/64 to any port 22 comment 'selkie: 22/tcp from 2001:db8::/64 sshd: "),
            "{text}"
        );
        assert!(
            text.contains("ufw allow 41641/udp comment 'selkie: 41641/udp from anywhere "),
            "{text}"
        );
        assert!(
            text.contains("ufw allow in on tailscale0 comment 'selkie: in on tailscale0 "),
            "{text}"
        );
        let lk = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(script(&lk).contains("ufw allow 50000:50119/udp comment 'selkie: 50000:50119/udp"));
    }

    #[test]
    fn every_comment_is_kept_and_stale_selkie_rules_go_before_enabling() {
        let lk = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = script(&lk);
        let allows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("ufw allow"))
            .collect();
        for line in &allows {
            let comment = line.split(" comment ").nth(1).unwrap();
            assert!(text.contains(&format!("\n  {comment}\n")), "{comment}");
        }
        let delete = text.find("ufw --force delete").unwrap();
        assert!(text.rfind("ufw allow").unwrap() < delete);
        assert!(delete < text.find("ufw default deny incoming").unwrap());
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
