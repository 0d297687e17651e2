//! Vultr: a firewall group with one rule per port and family (colon ranges), attached last.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::{FirewallRule, Plan};

use super::super::{describe, families, source_in, span, Family};
use super::{fingerprint, preamble, Var};

const NOTES: &str = "\
# Each rule covers one IP family, so every port gets a v4 and a v6 rule. The group is named after\n\
# its rules: running this again finds the same group and only attaches it; after a plan change a\n\
# new group replaces the old one on the instance, and the old selkie group is then deleted.\n\
# Vultr groups filter inbound traffic only. Vultr's Ubuntu images may ship with ufw enabled:\n\
# check `ufw status` on the instance; a host firewall still has to allow these ports.\n";

/// The vultr-cli script.
pub(super) fn script(plan: &Plan) -> String {
    let lines: Vec<(String, String)> = plan
        .firewall
        .all()
        .flat_map(|r| {
            families(r)
                .iter()
                .map(move |f| (describe(r, 100), rule_line(r, *f)))
        })
        .collect();
    let all: String = lines.iter().map(|(_, l)| l.as_str()).collect();
    let vars = [
        Var::required("INSTANCE_ID", "the instance id (vultr-cli instance list)"),
        Var::optional(
            "GROUP_DESC",
            "the group's description, derived from its rules",
            format!("selkie-{}", fingerprint(&all)),
        ),
    ];
    let mut out = preamble(
        plan,
        Provider::Vultr,
        NOTES,
        &vars,
        &[
            ("vultr-cli", "see github.com/vultr/vultr-cli#installation"),
            ("jq", "apt-get install jq"),
        ],
    );
    out.push_str(
        "\nOLD_GID=$(vultr-cli instance get \"$INSTANCE_ID\" -o json | jq -r '.instance.firewall_group_id // empty')\n\
         GID=$(vultr-cli firewall group list -o json | jq -r --arg d \"$GROUP_DESC\" 'first(.firewall_groups[]? | select(.description == $d) | .id) // empty')\n\
         if [[ -z $GID ]]; then\n  \
         GID=$(vultr-cli firewall group create --description \"$GROUP_DESC\" -o json | jq -r .firewall_group.id)\n  \
         # A half-filled group must not be found and attached by the next run: remove it if a rule fails.\n  \
         trap 'vultr-cli firewall group delete \"$GID\" >/dev/null 2>&1 || true' ERR\n  \
         # SSH first. The group id is positional; ranges take a colon.\n",
    );
    for (what, line) in &lines {
        let _ = write!(out, "  # {what}\n  {line}");
    }
    out.push_str(
        "  trap - ERR\n\
         fi\n\n\
         # Attach last, once every rule exists.\n\
         vultr-cli instance update-firewall-group \"$INSTANCE_ID\" --firewall-group-id \"$GID\"\n\n\
         # The group an earlier plan attached goes, when it is selkie's and nothing else uses it.\n\
         if [[ -n $OLD_GID && $OLD_GID != \"$GID\" ]]; then\n  \
         OLD_DESC=$(vultr-cli firewall group get \"$OLD_GID\" -o json | jq -r '.firewall_group.description // empty')\n  \
         if [[ $OLD_DESC == selkie-* ]]; then\n    \
         vultr-cli firewall group delete \"$OLD_GID\" ||\n      \
         echo \"the previous group $OLD_GID ($OLD_DESC) is still in use elsewhere: delete it once it is not\" >&2\n  \
         fi\n\
         fi\n",
    );
    out
}

/// One `vultr-cli firewall rule create` line.
fn rule_line(rule: &FirewallRule, family: Family) -> String {
    let source = source_in(rule, family);
    let (subnet, size) = source.split_once('/').unwrap_or((source.as_str(), "0"));
    format!(
        "vultr-cli firewall rule create \"$GID\" --ip-type {} --protocol {} --subnet {subnet} --size {size} --port {}\n",
        family.suffix(),
        rule.proto.as_str(),
        span(rule, ":")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn colon_ranges_and_both_families() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("vultr-cli firewall rule create \"$GID\" --ip-type v4 --protocol udp --subnet 0.0.0.0 --size 0 --port 50000:50119\n"),
            "{text}"
        );
        assert!(
            text.contains("--ip-type v6 --protocol udp --subnet :: --size 0 --port 50000:50119\n"),
            "{text}"
        );
        assert!(text.find("rule create").unwrap() < text.find("update-firewall-group").unwrap());
    }

    #[test]
    fn a_restricted_source_keeps_its_prefix() {
        let text = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.0/24"),
        ));
        assert!(
            text.contains(
                "--ip-type v4 --protocol tcp --subnet 198.51.100.0 --size 24 --port 22\n"
            ),
            "{text}"
        );
        assert!(
            !text.contains("--ip-type v6 --protocol tcp --subnet :: --size 0 --port 22\n"),
            "{text}"
        );
    }
}
