//! DigitalOcean: one `doctl compute firewall create` (or `update`) with inbound and outbound rules.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::{FirewallRule, Plan};

use super::super::{describe, span};
use super::{preamble, Var};

const NOTES: &str = "\
# DigitalOcean cloud firewalls block everything not expressly allowed, outbound included, so the\n\
# outbound rules below are required (without them the droplet cannot resolve names or pull images).\n\
# The firewall is created with its rules and the droplet in one call, so SSH is never shut out.\n\
# Running this again updates the firewall it created (update replaces the whole definition).\n";

/// The doctl script.
pub(super) fn script(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "DROPLET_ID",
            "the droplet id (on the droplet, as root: cat /sys/class/dmi/id/product_serial)",
        ),
        Var::optional("FW_NAME", "the firewall's name", "selkie-$DROPLET_ID"),
    ];
    let mut out = preamble(
        plan,
        Provider::DigitalOcean,
        NOTES,
        &vars,
        &[(
            "doctl",
            "see docs.digitalocean.com/reference/doctl/how-to/install/",
        )],
    );
    out.push_str(
        "\n# Everyone, IPv4 and IPv6 (a field splits at its first colon, so address:::/0 is valid).\n\
         W='address:0.0.0.0/0,address:::/0'\n\n\
         # Inbound, SSH first.\nINBOUND=(\n",
    );
    for rule in plan.firewall.all() {
        let _ = write!(
            out,
            "  # {}\n  \"{}\"\n",
            describe(rule, 100),
            inbound(rule)
        );
    }
    out.push_str(
        ")\n\
         # Outbound: everything, as a server without a cloud firewall has it.\n\
         OUTBOUND=(\"protocol:tcp,ports:all,$W\" \"protocol:udp,ports:all,$W\" \"protocol:icmp,$W\")\n\n\
         FW_ID=$(doctl compute firewall list --format ID,Name --no-header | awk -v n=\"$FW_NAME\" '$2 == n {print $1; exit}')\n\
         if [[ -z $FW_ID ]]; then\n  \
         doctl compute firewall create --name \"$FW_NAME\" --droplet-ids \"$DROPLET_ID\" \\\n    \
         --inbound-rules \"${INBOUND[*]}\" --outbound-rules \"${OUTBOUND[*]}\"\n\
         else\n  \
         doctl compute firewall update \"$FW_ID\" --name \"$FW_NAME\" --droplet-ids \"$DROPLET_ID\" \\\n    \
         --inbound-rules \"${INBOUND[*]}\" --outbound-rules \"${OUTBOUND[*]}\"\n\
         fi\n",
    );
    out
}

/// `protocol:tcp,ports:80,$W`, or the rule's own source.
fn inbound(rule: &FirewallRule) -> String {
    let from = match rule.source {
        Some(s) => format!("address:{s}"),
        None => "$W".to_string(),
    };
    format!(
        "protocol:{},ports:{},{from}",
        rule.proto.as_str(),
        span(rule, "-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn inbound_and_outbound_rules_with_both_families() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("W='address:0.0.0.0/0,address:::/0'"),
            "{text}"
        );
        assert!(
            text.contains("\"protocol:udp,ports:50000-50119,$W\""),
            "{text}"
        );
        assert!(
            text.contains("--outbound-rules \"${OUTBOUND[*]}\""),
            "{text}"
        );
        assert!(text.contains("\"protocol:icmp,$W\""), "{text}");
        let restricted = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        ));
        assert!(restricted.contains("\"protocol:tcp,ports:22,address:198.51.100.4/32\""));
    }
}
