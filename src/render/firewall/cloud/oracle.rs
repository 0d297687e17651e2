//! Oracle Cloud: the subnet's security list, read, merged with the plan's rules, and written back
//! (`update` replaces the whole list).

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::{FirewallRule, Plan};
use crate::transport::Proto;

use super::super::{describe, families, source_in, ssh_restricted, Family};
use super::{preamble, Var};

const NOTES: &str = "\
# `oci network security-list update` REPLACES the list's ingress rules with the ones it is given, so\n\
# this script reads the current rules, keeps them, adds the plan's (dropping exact duplicates and\n\
# the rules an earlier plan added: their description starts with selkie:), and writes the result\n\
# back; the rules it read are saved to $BACKUP first.\n\
# Set WITH_IPV6=no if the VCN has no IPv6 prefix (the ::/0 rules would be refused).\n\
#\n\
# THE HOST FIREWALL MATTERS MORE HERE: Oracle's Ubuntu images reject everything but SSH in iptables\n\
# (INPUT ends with a REJECT rule). Run firewall/iptables.sh on the instance too; it inserts its rules\n\
# before that REJECT. ufw has no effect on those images. Oracle Linux images use firewalld instead.\n";

/// The oci script.
pub(super) fn script(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "SECURITY_LIST_ID",
            "the OCID of the security list of the subnet (oci network subnet get --subnet-id OCID lists it)",
        ),
        Var::optional("WITH_IPV6", "also add the ::/0 rules (yes or no)", "yes"),
        Var::optional("BACKUP", "where the current rules are saved", "oci-ingress-backup.json"),
    ];
    let mut out = preamble(
        plan,
        Provider::Oracle,
        NOTES,
        &vars,
        &[
            (
                "oci",
                "see docs.oracle.com/iaas/Content/API/SDKDocs/cliinstall.htm",
            ),
            ("jq", "apt-get install jq"),
        ],
    );
    out.push_str(
        "\nOURS_V4=$(mktemp)\nOURS_V6=$(mktemp)\nMERGED=$(mktemp)\n\
         trap 'rm -f \"$OURS_V4\" \"$OURS_V6\" \"$MERGED\"' EXIT\n\n\
         # The plan's rules in the input format (camelCase keys; protocol 6 is TCP, 17 is UDP), SSH first.\n",
    );
    for (family, file) in [(Family::V4, "$OURS_V4"), (Family::V6, "$OURS_V6")] {
        let rules: Vec<String> = plan
            .firewall
            .all()
            .filter(|r| families(r).contains(&family))
            .map(|r| rule_json(r, family))
            .collect();
        let _ = write!(
            out,
            "cat >\"{file}\" <<'JSON'\n[\n{}\n]\nJSON\n",
            rules.join(",\n")
        );
    }
    let drop_default = if ssh_restricted(plan) {
        "  # SSH is restricted, so the stock rule for 22 from 0.0.0.0/0 goes.\n  \
         | map(select((.protocol == \"6\" and .source == \"0.0.0.0/0\" and .tcpOptions.destinationPortRange == {\"min\":22,\"max\":22}) | not))\n"
    } else {
        ""
    };
    let _ = write!(
        out,
        "\n# get prints kebab-case keys (tcp-options) but update takes camelCase (tcpOptions): the backup is\n\
         # converted (nulls dropped), so it can be written back as it is.\n\
         oci network security-list get --security-list-id \"$SECURITY_LIST_ID\" --query 'data.\"ingress-security-rules\"' \\\n  \
         | jq '\n    \
         def camel: if type == \"object\" then with_entries(.key |= (split(\"-\") | .[0] + (.[1:] | map((.[:1] | ascii_upcase) + .[1:]) | join(\"\"))) | .value |= camel)\n      \
         elif type == \"array\" then map(camel) else . end;\n    \
         . // [] | camel | del(.. | nulls)' >\"$BACKUP\"\n\
         echo \"current ingress rules saved to $BACKUP; to restore them:\"\n\
         echo \"  oci network security-list update --security-list-id $SECURITY_LIST_ID --ingress-security-rules file://$BACKUP --force\"\n\n\
         if [[ $WITH_IPV6 == yes ]]; then V6=\"$OURS_V6\"; else V6=/dev/null; fi\n\
         # Keep the current rules except exact duplicates of ours and earlier plans' (selkie:), then append ours.\n\
         jq -n --slurpfile cur \"$BACKUP\" --slurpfile v4 \"$OURS_V4\" --slurpfile v6 \"$V6\" '\n  \
         def key: [.protocol, .source, (.tcpOptions.destinationPortRange // .udpOptions.destinationPortRange)];\n  \
         ($v4[0] + ($v6[0] // [])) as $ours\n  \
         | ($ours | map(key)) as $keys\n  \
         | $cur[0]\n\
         {drop_default}  \
         | map(select(key as $k | any($keys[]; . == $k) | not))\n  \
         | map(select((.description // \"\") | startswith(\"selkie:\") | not))\n  \
         | . + $ours' >\"$MERGED\"\n\n\
         # --force skips the \"this replaces the rules\" prompt: the merge above kept the existing ones.\n\
         oci network security-list update --security-list-id \"$SECURITY_LIST_ID\" --ingress-security-rules \"file://$MERGED\" --force >/dev/null\n\
         echo \"security list updated; now run firewall/iptables.sh on the instance\"\n"
    );
    out
}

/// A rule's description, marked as selkie's so a later plan can find and replace it.
fn describe_owned(rule: &FirewallRule) -> String {
    format!("selkie: {}", describe(rule, 92))
}

/// One ingress rule in the input format.
fn rule_json(rule: &FirewallRule, family: Family) -> String {
    let (protocol, options) = match rule.proto {
        Proto::Tcp => ("6", "tcpOptions"),
        Proto::Udp => ("17", "udpOptions"),
    };
    format!(
        "  {{\"protocol\":\"{protocol}\",\"source\":\"{}\",\"sourceType\":\"CIDR_BLOCK\",\"isStateless\":false,\"description\":\"{}\",\"{options}\":{{\"destinationPortRange\":{{\"min\":{},\"max\":{}}}}}}}",
        source_in(rule, family),
        describe_owned(rule),
        rule.port,
        rule.end
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn reads_merges_and_writes_back_with_both_families() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("\"protocol\":\"17\",\"source\":\"0.0.0.0/0\""),
            "{text}"
        );
        assert!(
            text.contains("\"protocol\":\"17\",\"source\":\"::/0\""),
            "{text}"
        );
        assert!(
            text.contains(
                "\"udpOptions\":{\"destinationPortRange\":{\"min\":50000,\"max\":50119}}"
            ),
            "{text}"
        );
        let get = text
            .find("oci network security-list get --security-list-id")
            .unwrap();
        let update = "oci network security-list update --security-list-id \"$SECURITY_LIST_ID\"";
        assert!(get < text.find(update).unwrap());
        assert!(text.contains("--force"));
        assert!(text.contains("firewall/iptables.sh"));
        assert!(
            !text.contains("tcpOptions.destinationPortRange == {\"min\":22"),
            "{text}"
        );
    }

    #[test]
    fn restricted_ssh_drops_the_stock_rule() {
        let text = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        ));
        assert!(
            text.contains("tcpOptions.destinationPortRange == {\"min\":22,\"max\":22}"),
            "{text}"
        );
    }
}
