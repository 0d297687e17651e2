//! Firewall outputs: host firewalls, cloud providers' CLIs, and the egress rules clients need.
//!
//! Every output opens exactly `plan.firewall.all()` — the SSH rules first, then the plan's public
//! ports — and nothing else, so the integration tests can compare each output with the plan.

mod clients;
mod cloud;
mod host;

use std::fmt::Write as _;

use crate::answers::{HostFirewall, Provider};
use crate::plan::{Exposure, FirewallRule, Plan};

/// The host firewall script (or nftables ruleset) that opens exactly the plan's public ports.
pub fn host(plan: &Plan, kind: HostFirewall) -> String {
    host::render(plan, kind)
}

/// The cloud provider's CLI commands, or `None` when the provider has no cloud firewall.
pub fn cloud(plan: &Plan, provider: Provider) -> Option<String> {
    cloud::render(plan, provider)
}

/// What a client network must allow outbound to reach this deployment.
pub fn clients(plan: &Plan) -> String {
    clients::render(plan)
}

/// An IP address family; cloud CLIs and iptables take one per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    /// The network that means "anywhere" in this family.
    fn anywhere(self) -> &'static str {
        match self {
            Family::V4 => "0.0.0.0/0",
            Family::V6 => "::/0",
        }
    }

    /// `v4` or `v6`, for rule names.
    fn suffix(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
}

/// The families a rule applies to: its source's family, or both when it is open to anyone.
fn families(rule: &FirewallRule) -> &'static [Family] {
    match rule.source {
        Some(s) if s.is_ipv6() => &[Family::V6],
        Some(_) => &[Family::V4],
        None => &[Family::V4, Family::V6],
    }
}

/// The source network of a rule in one family: its own source, or "anywhere".
fn source_in(rule: &FirewallRule, family: Family) -> String {
    rule.source
        .map(|s| s.to_string())
        .unwrap_or_else(|| family.anywhere().to_string())
}

/// Whether every SSH rule is limited to a source network; a provider's or image's own rule that
/// allows SSH from anywhere then undoes the restriction, and the outputs say so.
fn ssh_restricted(plan: &Plan) -> bool {
    !plan.firewall.ssh.is_empty() && plan.firewall.ssh.iter().all(|r| r.source.is_some())
}

/// `80`, or `50000{sep}50119` for a range (each tool has its own separator).
fn span(rule: &FirewallRule, sep: &str) -> String {
    if rule.end == rule.port {
        rule.port.to_string()
    } else {
        format!("{}{sep}{}", rule.port, rule.end)
    }
}

/// `service: purpose`, reduced to characters every output can carry unquoted inside its own
/// quoting (AWS descriptions allow the narrowest set), and cut to `max` characters.
fn describe(rule: &FirewallRule, max: usize) -> String {
    clean(&format!("{}: {}", rule.service, rule.purpose), max)
}

/// Keep letters, digits, spaces and the punctuation every target accepts; drop the rest.
fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let kept = match c {
            c if c.is_ascii_alphanumeric() => c,
            ' ' | '.' | ',' | ':' | ';' | '(' | ')' | '/' | '+' | '-' | '_' | '=' | '@' | '#'
            | '&' | '[' | ']' | '!' | '*' => c,
            '\u{2013}' | '\u{2014}' => '-',
            // "client's" reads better as "clients" than as "client s".
            '\'' | '\u{2019}' => continue,
            _ => ' ',
        };
        if !(kept == ' ' && out.ends_with(' ')) {
            out.push(kept);
        }
    }
    let mut out = out.trim().to_string();
    if out.len() > max {
        out.truncate(max);
        out = out.trim_end().to_string();
    }
    out
}

/// Single-quote a string for bash.
fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `anywhere`, or the rule's source network.
fn from_text(rule: &FirewallRule) -> String {
    rule.source
        .map(|s| s.to_string())
        .unwrap_or_else(|| "anywhere".to_string())
}

/// The comment block every output starts with: what it is for, what it opens, what it leaves shut.
fn header(plan: &Plan, what: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {what} for the `{}` plan at {}, written by selkie.",
        plan.preset, plan.address
    );
    out.push_str("#\n# Opens exactly these ports, SSH first, and nothing else:\n");
    for rule in plan.firewall.all() {
        let _ = writeln!(
            out,
            "#   {:<17} from {:<18} {}",
            format!("{}/{}", rule.label(), rule.proto.as_str()),
            from_text(rule),
            describe(rule, 100)
        );
    }
    if plan.firewall.ssh.is_empty() {
        out.push_str(
            "#   (no SSH port: the plan knows of none, so a remote session WILL be cut off)\n",
        );
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = writeln!(
            out,
            "# and everything arriving on {iface}, the VPN: the ports below marked `vpn` are reached through it."
        );
    }
    let shut: Vec<_> = plan
        .ports
        .iter()
        .filter(|p| p.exposure != Exposure::Public)
        .collect();
    if !shut.is_empty() {
        out.push_str("#\n# Not opened to the internet (proxied: behind the proxy on this host; loopback: 127.0.0.1\n# only; internal: inside Docker only; vpn: over the VPN only):\n");
        for p in shut {
            let _ = writeln!(
                out,
                "#   {:<17} {:<9} {}",
                format!("{}/{}", p.label(), p.proto.as_str()),
                p.exposure.as_str(),
                clean(&format!("{}: {}", p.service, p.purpose), 100)
            );
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::host::HostFacts;
    use crate::preset;

    /// A plan for a preset, proxy mode and address, as the CLI would build it.
    pub(crate) fn plan(
        name: &str,
        proxy: ProxyMode,
        address: &str,
        ssh_from: Option<&str>,
    ) -> Plan {
        let preset = preset::find(name).unwrap();
        let mut answers = crate::testing::answers(&preset, proxy, address);
        answers.ssh.allow_from = ssh_from.map(|s| s.parse().unwrap());
        crate::plan::build(&answers, &preset, &HostFacts::default()).unwrap()
    }

    #[test]
    fn descriptions_keep_only_safe_characters_and_fit() {
        let text = clean("caddy: HTTPS — the site's \"wss://\" $HOME `x` \\ é", 200);
        assert_eq!(text, "caddy: HTTPS - the sites wss:// HOME x");
        assert_eq!(clean("abcdef", 3), "abc");
        assert_eq!(sq("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_header_lists_open_ports_and_what_stays_shut() {
        let plan = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = header(&plan, "Test");
        assert!(
            text.contains("`livekit` plan at meet.example.com"),
            "{text}"
        );
        assert!(text.contains("50000-50119/udp"), "{text}");
        assert!(text.contains("7880/tcp          proxied"), "{text}");
        assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
    }
}
