//! Azure: network security group rules, one protocol and one source per rule, unique priorities.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::Plan;

use super::super::span;
use super::{comment_lines, groups, joined, preamble, ssh_restricted, summary, Var};

const NOTES: &str = "\
# Each NSG rule covers one protocol, and priorities (100-4096) must be unique within the NSG: these\n\
# rules take PRIORITY_BASE, +10, +20, ... Set PRIORITY_BASE if those numbers are taken.\n\
# Every flag is given on purpose: left out, the port defaults to 80, the protocol and source to *.\n\
# If both the subnet and the NIC have an NSG, both must allow the traffic.\n\
# Running this again updates the rules it created; rules named selkie* that this plan no longer\n\
# has (from an earlier plan) are deleted first, so their priorities are free again.\n";

/// The rule `az vm create` adds, which a restricted SSH rule cannot override.
fn ssh_note(plan: &Plan) -> &'static str {
    if ssh_restricted(plan) {
        "# SSH STAYS OPEN TO EVERYONE while the `default-allow-ssh` rule that `az vm create` adds\n\
         # (priority 1000, any source) exists. Delete it once the rule below is in place:\n\
         #   az network nsg rule delete -g \"$RG\" --nsg-name \"$NSG\" -n default-allow-ssh\n"
    } else {
        "# `az vm create` usually adds a `default-allow-ssh` rule (priority 1000, any source); it has to\n\
         # go once you restrict SSH to your own address.\n"
    }
}

/// The az script.
pub(super) fn script(plan: &Plan) -> String {
    let vars = [
        Var::required("RG", "the resource group of the VM"),
        Var::required(
            "NSG",
            "the network security group (az network nsg list -g RG -o table)",
        ),
        Var::optional("PRIORITY_BASE", "the first rule's priority", "100"),
    ];
    let mut out = preamble(
        plan,
        Provider::Azure,
        &format!("{NOTES}{}", ssh_note(plan)),
        &vars,
        &[("az", "see learn.microsoft.com/cli/azure/install-azure-cli")],
    );
    out.push_str(
        "\n# nsg_rule NAME FLAGS...: create the rule, or update it in place when it exists.\n\
         nsg_rule() {\n  \
         local name=$1\n  \
         shift\n  \
         if az network nsg rule show -g \"$RG\" --nsg-name \"$NSG\" -n \"$name\" >/dev/null 2>&1; then\n    \
         az network nsg rule update -g \"$RG\" --nsg-name \"$NSG\" -n \"$name\" \"$@\" >/dev/null\n  \
         else\n    \
         az network nsg rule create -g \"$RG\" --nsg-name \"$NSG\" -n \"$name\" \"$@\" >/dev/null\n  \
         fi\n\
         }\n",
    );
    let keep: Vec<String> = groups(plan, true)
        .iter()
        .map(|g| joined(&["selkie", &g.name]))
        .collect();
    let _ = write!(
        out,
        "\n# Delete the rules an earlier plan created that this one does not have.\n\
         KEEP=\" {} \"\n\
         for name in $(az network nsg rule list -g \"$RG\" --nsg-name \"$NSG\" --query \"[?starts_with(name, 'selkie')].name\" -o tsv); do\n  \
         if [[ $KEEP != *\" $name \"* ]]; then\n    \
         echo \"deleting $name: no longer in the plan\"\n    \
         az network nsg rule delete -g \"$RG\" --nsg-name \"$NSG\" -n \"$name\"\n  \
         fi\n\
         done\n",
        keep.join(" ")
    );
    for (i, group) in groups(plan, true).iter().enumerate() {
        let Some(first) = group.rules.first() else {
            continue;
        };
        let protocol = match first.proto {
            crate::transport::Proto::Tcp => "Tcp",
            crate::transport::Proto::Udp => "Udp",
        };
        // "Internet" is Azure's tag for every public address, IPv4 and IPv6.
        let source = group
            .source
            .map(|s| s.to_string())
            .unwrap_or_else(|| "Internet".to_string());
        let ports: Vec<String> = group.rules.iter().map(|r| span(r, "-")).collect();
        let _ = write!(
            out,
            "\n{}nsg_rule {} --priority \"$((PRIORITY_BASE + {}))\" --direction Inbound --access Allow --protocol {protocol} \\\n  \
             --source-address-prefixes {source} --source-port-ranges '*' --destination-address-prefixes '*' \\\n  \
             --destination-port-ranges {} --description '{}'\n",
            comment_lines(&group.rules),
            joined(&["selkie", &group.name]),
            i * 10,
            ports.join(" "),
            summary(&group.rules, 140),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn one_protocol_per_rule_and_unique_priorities() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("nsg_rule selkie-ssh --priority \"$((PRIORITY_BASE + 0))\""),
            "{text}"
        );
        assert!(text.contains("nsg_rule selkie-tcp --priority \"$((PRIORITY_BASE + 10))\" --direction Inbound --access Allow --protocol Tcp"), "{text}");
        assert!(
            text.contains("--destination-port-ranges 80 443 7881 "),
            "{text}"
        );
        assert!(
            text.contains("nsg_rule selkie-udp --priority \"$((PRIORITY_BASE + 20))\""),
            "{text}"
        );
        assert!(
            text.contains("--destination-port-ranges 3478 50000-50119 "),
            "{text}"
        );
        assert!(text.contains("default-allow-ssh"), "{text}");
        assert!(
            text.contains("--description 'selkie: 80/tcp caddy, 443/tcp caddy, 7881/tcp livekit'"),
            "{text}"
        );
    }
}
