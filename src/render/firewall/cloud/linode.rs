//! Linode (Akamai): a cloud firewall with a DROP inbound policy and JSON rules, attached last.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::Plan;

use super::super::{families, source_in, span, Family};
use super::{groups, joined, preamble, summary, Group, Var};

/// The most ports (or ranges) one Linode rule takes.
const PORTS_PER_RULE: usize = 15;

const NOTES: &str = "\
# The firewall drops inbound traffic its rules do not accept and lets all outbound traffic out.\n\
# It is created with its rules and attached to the Linode afterwards. Running this again replaces\n\
# the rules of the firewall it created (rules-update). Limits: 25 rules, one enabled firewall per\n\
# Linode. A Linode on the newer \"Linode interfaces\" needs the firewall on the interface instead.\n";

/// The linode-cli script.
pub(super) fn script(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "LINODE_ID",
            "the Linode id (on the Linode, as root: cat /sys/class/dmi/id/product_serial)",
        ),
        Var::optional("FW_LABEL", "the firewall's label", "selkie"),
    ];
    let mut out = preamble(
        plan,
        Provider::Linode,
        NOTES,
        &vars,
        &[
            ("linode-cli", "pip install linode-cli"),
            ("jq", "apt-get install jq"),
        ],
    );
    let rules: Vec<String> = groups(plan, true).iter().flat_map(rules_json).collect();
    let _ = write!(
        out,
        "\n# Inbound rules, SSH first.\nINBOUND='[\n{}\n]'\n\n\
         FW_ID=$(linode-cli firewalls list --json | jq -r --arg l \"$FW_LABEL\" 'first(.[] | select(.label == $l) | .id) // empty')\n\
         if [[ -z $FW_ID ]]; then\n  \
         FW_ID=$(linode-cli firewalls create --label \"$FW_LABEL\" --rules.inbound_policy DROP --rules.outbound_policy ACCEPT \\\n    \
         --rules.inbound \"$INBOUND\" --json | jq -r '.[0].id')\n\
         else\n  \
         linode-cli firewalls rules-update \"$FW_ID\" --inbound \"$INBOUND\" --inbound_policy DROP --outbound_policy ACCEPT >/dev/null\n\
         fi\n\n\
         # Attach last, once the rules (SSH included) exist.\n\
         if ! linode-cli firewalls devices-list \"$FW_ID\" --json | jq -e --arg id \"$LINODE_ID\" 'any(.[]; (.entity.id | tostring) == $id)' >/dev/null; then\n  \
         linode-cli firewalls device-create \"$FW_ID\" --id \"$LINODE_ID\" --type linode\n\
         fi\n",
        rules.join(",\n")
    );
    out
}

/// The JSON rules of one group, split when it has more ports than one rule takes.
fn rules_json(group: &Group) -> Vec<String> {
    let Some(first) = group.rules.first() else {
        return Vec::new();
    };
    let mut addresses = Vec::new();
    for family in families(first) {
        let key = match family {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        };
        addresses.push(format!("\"{key}\":[\"{}\"]", source_in(first, *family)));
    }
    let chunks: Vec<_> = group.rules.chunks(PORTS_PER_RULE).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let ports: Vec<String> = chunk.iter().map(|r| span(r, "-")).collect();
            let label = if chunks.len() == 1 {
                joined(&["selkie", &group.name])
            } else {
                format!("{}-{}", joined(&["selkie", &group.name]), i + 1)
            };
            format!(
                "  {{\"label\":\"{label}\",\"action\":\"ACCEPT\",\"protocol\":\"{}\",\"ports\":\"{}\",\"addresses\":{{{}}},\"description\":\"{}\"}}",
                first.proto.as_str().to_ascii_uppercase(),
                ports.join(","),
                addresses.join(","),
                summary(chunk, 100)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn rules_per_protocol_with_both_families() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("{\"label\":\"selkie-udp\",\"action\":\"ACCEPT\",\"protocol\":\"UDP\",\"ports\":\"3478,50000-50119\",\"addresses\":{\"ipv4\":[\"0.0.0.0/0\"],\"ipv6\":[\"::/0\"]}"),
            "{text}"
        );
        assert!(
            text.contains("--rules.inbound_policy DROP --rules.outbound_policy ACCEPT"),
            "{text}"
        );
        assert!(text.find("firewalls create").unwrap() < text.find("device-create").unwrap());
    }

    #[test]
    fn restricted_ssh_lists_only_its_source() {
        let text = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        ));
        assert!(text.contains("\"label\":\"selkie-ssh\",\"action\":\"ACCEPT\",\"protocol\":\"TCP\",\"ports\":\"22\",\"addresses\":{\"ipv4\":[\"198.51.100.4/32\"]}"), "{text}");
    }
}
