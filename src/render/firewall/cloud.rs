//! Cloud firewalls: each provider's CLI commands, as a bash script the operator fills in and runs.
//!
//! Every script creates the SSH rules before (or together with) the rest and attaches the firewall
//! last, because an attached firewall without the SSH rule cuts the session off.

mod aws;
mod azure;
mod console;
mod digitalocean;
mod gcp;
mod hetzner;
mod linode;
mod oracle;
mod vultr;

use std::fmt::Write as _;

use crate::answers::{Cidr, Provider};
use crate::plan::{FirewallRule, Plan};
use crate::transport::Proto;

use super::{clean, describe, header, ssh_restricted};
use crate::role::Role;

/// The provider's script, or `None` for a server without a cloud firewall.
pub(super) fn render(plan: &Plan, provider: Provider) -> Option<String> {
    Some(match provider {
        Provider::DigitalOcean => digitalocean::script(plan),
        Provider::Aws => aws::script(plan),
        Provider::Hetzner => hetzner::script(plan),
        Provider::Gcp => gcp::script(plan),
        Provider::Azure => azure::script(plan),
        Provider::Oracle => oracle::script(plan),
        Provider::Linode => linode::script(plan),
        Provider::Vultr => vultr::script(plan),
        Provider::Scaleway | Provider::Ovh => console::script(plan, provider),
        Provider::None => return None,
    })
}

/// A shell variable the script reads: `required` ones stop it with `hint` when unset, the others
/// fall back to `default`.
struct Var {
    name: &'static str,
    hint: &'static str,
    default: Option<String>,
}

impl Var {
    fn required(name: &'static str, hint: &'static str) -> Var {
        Var {
            name,
            hint,
            default: None,
        }
    }

    fn optional(name: &'static str, hint: &'static str, default: impl Into<String>) -> Var {
        Var {
            name,
            hint,
            default: Some(default.into()),
        }
    }
}

/// Shebang, header, provider notes, strict mode, the variables and the tools the script needs.
fn preamble(
    plan: &Plan,
    provider: Provider,
    notes: &str,
    vars: &[Var],
    tools: &[(&str, &str)],
) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(&header(
        plan,
        &format!("{} cloud firewall", provider.title()),
    ));
    out.push_str("#\n");
    out.push_str(notes);
    out.push_str("\nset -euo pipefail\n\n# Set these first (export NAME=value, or NAME=value bash this-script):\n");
    for var in vars {
        match &var.default {
            None => {
                let _ = writeln!(
                    out,
                    ": \"${{{n}:?set {n} to {h}}}\"",
                    n = var.name,
                    h = var.hint
                );
            }
            Some(default) => {
                let _ = writeln!(
                    out,
                    "{n}=\"${{{n}:-{default}}}\"  # {h}",
                    n = var.name,
                    h = var.hint
                );
            }
        }
    }
    for (tool, install) in tools {
        let _ = write!(
            out,
            "if ! command -v {tool} >/dev/null 2>&1; then\n  echo \"{tool} is not installed: {install}\" >&2\n  exit 1\nfi\n"
        );
    }
    out
}

/// Rules that share a firewall rule on providers where one rule covers several ports.
struct Group<'a> {
    /// `ssh`, `tcp`, `admin-udp`, … unique within the plan; empty for the open, mixed group.
    name: String,
    proto: Option<Proto>,
    source: Option<Cidr>,
    rules: Vec<&'a FirewallRule>,
}

/// Group the plan's rules by SSH or not, source, and (when `by_proto`) protocol, SSH first.
fn groups(plan: &Plan, by_proto: bool) -> Vec<Group<'_>> {
    let mut out: Vec<(bool, Group)> = Vec::new();
    for rule in plan.firewall.all() {
        let ssh = rule.service == Role::Ssh;
        let proto = by_proto.then_some(rule.proto);
        match out
            .iter_mut()
            .find(|(s, g)| *s == ssh && g.proto == proto && g.source == rule.source)
        {
            Some((_, group)) => group.rules.push(rule),
            None => out.push((
                ssh,
                Group {
                    name: String::new(),
                    proto,
                    source: rule.source,
                    rules: vec![rule],
                },
            )),
        }
    }
    let mut named: Vec<Group> = Vec::new();
    for (ssh, mut group) in out {
        let mut parts: Vec<&str> = Vec::new();
        if ssh {
            parts.push("ssh");
        } else {
            if group.source.is_some() {
                parts.push("admin");
            }
            if let Some(p) = group.proto {
                parts.push(p.as_str());
            }
        }
        let base = parts.join("-");
        let mut name = base.clone();
        let mut n = 2;
        while named.iter().any(|g| g.name == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        group.name = name;
        named.push(group);
    }
    named
}

/// `80/tcp caddy, 443/tcp caddy, ...` for a provider's description field: whole items only, as
/// many as fit in `max` characters.
fn summary(rules: &[&FirewallRule], max: usize) -> String {
    let mut out = String::from("selkie:");
    let mut sep = " ";
    for rule in rules {
        let item = format!(
            "{sep}{}/{} {}",
            rule.label(),
            rule.proto.as_str(),
            clean(rule.service.as_str(), 40)
        );
        if out.len() + item.len() > max {
            break;
        }
        out.push_str(&item);
        sep = ", ";
    }
    out
}

/// One comment line per rule, for the rules a grouped provider rule covers.
fn comment_lines(rules: &[&FirewallRule]) -> String {
    rules
        .iter()
        .map(|r| {
            format!(
                "#   {}/{}  {}\n",
                r.label(),
                r.proto.as_str(),
                describe(r, 100)
            )
        })
        .collect()
}

/// The non-empty parts joined with `-`: `selkie-ssh`, or `selkie` for the unnamed group.
fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("-")
}

/// A short, stable fingerprint of a text (FNV-1a), for names that change when the rules do.
fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn no_provider_means_no_script() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(render(&p, Provider::None).is_none());
        for provider in Provider::ALL.iter().filter(|p| **p != Provider::None) {
            let text = render(&p, *provider).unwrap();
            assert!(text.starts_with("#!/usr/bin/env bash\n"), "{provider}");
            assert!(text.contains("set -euo pipefail"), "{provider}");
        }
    }

    #[test]
    fn required_variable_hints_survive_bash_quoting() {
        // Inside "${VAR:?hint}" a quote or brace in the hint would end the expansion early.
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        for provider in Provider::ALL {
            let Some(text) = render(&p, *provider) else {
                continue;
            };
            for line in text.lines().filter(|l| l.starts_with(": \"${")) {
                let hint = &line[line.find(":?").unwrap()..line.len() - 2];
                assert!(
                    !hint.contains(['\'', '"', '}', '$', '`']),
                    "{provider}: {line}"
                );
            }
        }
    }

    #[test]
    fn groups_put_ssh_first_and_name_each_once() {
        let mut p = plan(
            "reflector",
            ProxyMode::Caddy,
            "meet.example.com",
            Some("198.51.100.4"),
        );
        // A public admin port restricted like SSH (no shipped preset has one any more: Hatchet's
        // dashboard is on 127.0.0.1).
        let at = p
            .firewall
            .rules
            .iter()
            .position(|r| r.proto == Proto::Udp)
            .unwrap_or(0);
        p.firewall.rules.insert(
            at,
            FirewallRule {
                port: 8888,
                end: 8888,
                proto: Proto::Tcp,
                source: Some("198.51.100.4/32".parse().unwrap()),
                service: Role::App("hatchet".into()),
                purpose: "an admin dashboard".into(),
            },
        );
        let names: Vec<String> = groups(&p, true).into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["ssh", "tcp", "admin-tcp", "udp"]);
        let names: Vec<String> = groups(&p, false).into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["ssh", "", "admin"]);
    }

    #[test]
    fn summaries_keep_whole_items() {
        let p = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let rules: Vec<&FirewallRule> = p.firewall.all().collect();
        assert_eq!(
            summary(&rules[..2], 100),
            "selkie: 22/tcp sshd, 80/tcp caddy"
        );
        assert_eq!(summary(&rules, 30), "selkie: 22/tcp sshd");
    }

    /// The same deployment before and after a change: SSH restricted with --ssh-from, and
    /// more participants (a longer UDP range).
    fn changed_plans() -> (Plan, Plan) {
        let before = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let preset = crate::preset::find("livekit").unwrap();
        let mut answers = crate::testing::answers(&preset, ProxyMode::Caddy, "meet.example.com");
        answers.ssh.allow_from = Some("198.51.100.4".parse().unwrap());
        answers.participants = 200.try_into().unwrap();
        answers.udp_end = None;
        let after =
            crate::plan::build(&answers, &preset, &crate::host::HostFacts::default()).unwrap();
        (before, after)
    }

    #[test]
    fn every_provider_removes_what_an_earlier_plan_opened() {
        let (before, after) = changed_plans();
        let old_range = before
            .firewall
            .all()
            .find(|r| r.end > r.port)
            .map(|r| format!("{}-{}", r.port, r.end))
            .unwrap();
        assert!(after
            .firewall
            .all()
            .all(|r| format!("{}-{}", r.port, r.end) != old_range));
        for provider in Provider::ALL.iter().filter(|p| **p != Provider::None) {
            let text = render(&after, *provider).unwrap();
            assert!(
                !text.contains(&old_range),
                "{provider} still names {old_range}"
            );
            // How each provider gets rid of rules the new plan does not have.
            let removes = match provider {
                Provider::Aws => vec![
                    "aws ec2 revoke-security-group-ingress --group-id \"$SG\" --security-group-rule-ids \"$id\"",
                    "grep -qxF \"$proto $from $to $cidr\" <<<\"$WANT\"",
                ],
                Provider::Gcp => vec![
                    "gcloud compute firewall-rules delete \"$name\" --quiet",
                    "KEEP=\" $TAG-ssh-v4 $TAG-v4 $TAG-v6 \"",
                ],
                Provider::Azure => vec![
                    "az network nsg rule delete -g \"$RG\" --nsg-name \"$NSG\" -n \"$name\"",
                    "KEEP=\" selkie-ssh selkie-tcp selkie-udp \"",
                ],
                Provider::Oracle => vec!["startswith(\"selkie:\") | not"],
                Provider::Vultr => vec!["vultr-cli firewall group delete \"$OLD_GID\""],
                // These replace the whole rule set in one call.
                Provider::DigitalOcean => vec!["doctl compute firewall update \"$FW_ID\""],
                Provider::Hetzner => vec!["hcloud firewall replace-rules \"$FW_NAME\""],
                Provider::Linode => vec!["linode-cli firewalls rules-update \"$FW_ID\" --inbound"],
                Provider::Scaleway | Provider::Ovh => {
                    vec!["delete the inbound rules an earlier plan made that are not listed here"]
                }
                Provider::None => unreachable!("filtered above"),
            };
            for needle in removes {
                assert!(
                    text.contains(needle),
                    "{provider}: no `{needle}` in\n{text}"
                );
            }
        }
        // AWS keeps exactly the new plan's permissions: SSH only from the operator's address.
        let aws = render(&after, Provider::Aws).unwrap();
        let want = &aws[aws.find("WANT=").unwrap()..aws.find("RULES\n)").unwrap()];
        assert!(want.contains("tcp 22 22 198.51.100.4/32"), "{want}");
        assert!(!want.contains("tcp 22 22 0.0.0.0/0"), "{want}");
        assert!(!want.contains("tcp 22 22 ::/0"), "{want}");
        let revoke = aws
            .find("revoke-security-group-ingress --group-id")
            .unwrap();
        assert!(
            aws.rfind("allow '[").unwrap() < revoke,
            "rules are added before any is revoked"
        );
        // GCP's and Azure's deletions spare the rules of the plan, and SSH comes first.
        let gcp = render(&after, Provider::Gcp).unwrap();
        assert!(
            gcp.find("fw_rule \"$TAG-ssh-v4\"").unwrap()
                < gcp.find("firewall-rules delete \"$name\"").unwrap()
        );
    }

    #[test]
    fn fingerprints_are_stable_and_short() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("rules").len(), 8);
    }
}
