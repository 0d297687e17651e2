//! Providers without verified CLI syntax (Scaleway, OVHcloud): the rules to create by hand.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::Plan;

use super::super::{describe, families, header, source_in, span};

/// A script that prints the rules to create in the provider's console.
pub(super) fn script(plan: &Plan, provider: Provider) -> String {
    let place = match provider {
        Provider::Scaleway => "the Instance's security group (Instances > Security groups)",
        _ => "the Edge Network Firewall of the server's IP, or for a Public Cloud instance its security group",
    };
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(&header(
        plan,
        &format!("{} cloud firewall", provider.title()),
    ));
    let _ = write!(
        out,
        "#\n# No commands here, on purpose: selkie has no verified CLI syntax for {title}, and a guessed\n\
         # command that half-applies is worse than a list you apply by hand. Create the inbound rules\n\
         # below in the console, in {place} (menu names may differ), SSH first, and make the inbound\n\
         # default drop only once the SSH rule exists. Leave outbound open. Running this prints them.\n\
         # After a plan change, delete the inbound rules an earlier plan made that are not listed here.\n\
         # The host firewall script under firewall/ still applies either way.\n\n\
         set -euo pipefail\n\n\
         cat <<'RULES'\n\
         Inbound rules to create in the {title} console (action: allow), SSH first:\n\n  \
         {:<6} {:<13} {:<18} PURPOSE\n",
        "PROTO",
        "PORTS",
        "SOURCE",
        title = provider.title(),
    );
    for rule in plan.firewall.all() {
        for family in families(rule) {
            let _ = writeln!(
                out,
                "  {:<6} {:<13} {:<18} {}",
                rule.proto.as_str(),
                span(rule, "-"),
                source_in(rule, *family),
                describe(rule, 100)
            );
        }
    }
    out.push_str("RULES\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn lists_every_rule_and_says_why_there_are_no_commands() {
        let text = script(
            &plan("livekit", ProxyMode::Caddy, "meet.example.com", None),
            Provider::Ovh,
        );
        assert!(
            text.contains("no verified CLI syntax for OVHcloud"),
            "{text}"
        );
        assert!(text.contains("  udp    50000-50119   ::/0"), "{text}");
        assert!(text.contains("  tcp    22            0.0.0.0/0"), "{text}");
    }
}
