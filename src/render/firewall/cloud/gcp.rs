//! Google Cloud: VPC firewall rules for a network tag, one per rule group and address family.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::Plan;

use super::super::{families, source_in, span, Family};
use super::{comment_lines, groups, joined, preamble, ssh_restricted, summary, Group, Var};

const NOTES: &str = "\
# A rule holds either IPv4 or IPv6 ranges, never both, so each group of ports gets a -v4 and a -v6\n\
# rule. Rules apply to VMs with the network tag $TAG only; the VM gets the tag last.\n\
# Running this again updates the rules it created, and deletes the ones it created for an earlier\n\
# plan under names this plan no longer uses (rules for $TAG whose description starts with selkie:).\n";

/// The default network's own SSH rule, which a restricted SSH rule cannot override.
fn ssh_note(plan: &Plan) -> &'static str {
    if ssh_restricted(plan) {
        "# SSH STAYS OPEN TO EVERYONE until you delete the default network's `default-allow-ssh` rule\n\
         # (tcp:22 from 0.0.0.0/0, priority 65534); it serves every VM on the network, so check none\n\
         # needs it first: gcloud compute firewall-rules delete default-allow-ssh\n"
    } else {
        "# The default network's `default-allow-ssh` rule (tcp:22 from 0.0.0.0/0) also allows SSH; it\n\
         # has to go once you restrict SSH to your own address.\n"
    }
}

/// The gcloud script.
pub(super) fn script(plan: &Plan) -> String {
    let mut out = header(plan);
    for group in groups(plan, false) {
        group_rules(&mut out, &group);
    }
    delete_others(&mut out, plan);
    out.push_str(
        "\n# Tag the VM last, once every rule exists.\n\
         gcloud compute instances add-tags \"$INSTANCE\" --zone=\"$ZONE\" --tags=\"$TAG\"\n",
    );
    out
}

/// The preamble and the `fw_rule` function that creates or updates one rule.
fn header(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "INSTANCE",
            "the name of the VM (gcloud compute instances list)",
        ),
        Var::required("ZONE", "the zone of the VM, e.g. europe-west1-b"),
        Var::optional("NETWORK", "the VPC network", "default"),
        Var::optional("TAG", "the network tag the rules target", "selkie"),
    ];
    let mut out = preamble(
        plan,
        Provider::Gcp,
        &format!("{NOTES}{}", ssh_note(plan)),
        &vars,
        &[("gcloud", "see cloud.google.com/sdk/docs/install")],
    );
    out.push_str(
        "\n# fw_rule NAME FLAGS...: create the rule, or update it when it exists, so re-running converges.\n\
         fw_rule() {\n  \
         local name=$1\n  \
         shift\n  \
         if gcloud compute firewall-rules describe \"$name\" >/dev/null 2>&1; then\n    \
         gcloud compute firewall-rules update \"$name\" --target-tags=\"$TAG\" \"$@\"\n  \
         else\n    \
         gcloud compute firewall-rules create \"$name\" --network=\"$NETWORK\" --direction=INGRESS --target-tags=\"$TAG\" \"$@\"\n  \
         fi\n\
         }\n",
    );
    out
}

/// One rule group: a `fw_rule` per address family its sources have.
fn group_rules(out: &mut String, group: &Group) {
    let allow: Vec<String> = group
        .rules
        .iter()
        .map(|r| format!("{}:{}", r.proto.as_str(), span(r, "-")))
        .collect();
    // SSH gets a higher priority (a lower number) than the default 1000, as a deny rule for
    // tcp:22 at 1000 would otherwise win over it.
    let priority = if group.name == "ssh" { 900 } else { 1000 };
    let _ = write!(out, "\n{}", comment_lines(&group.rules));
    let description = summary(&group.rules, 200);
    for family in [Family::V4, Family::V6] {
        let Some(first) = group.rules.first() else {
            continue;
        };
        if !families(first).contains(&family) {
            continue;
        }
        let _ = writeln!(
            out,
            "fw_rule \"{}\" --allow={} --source-ranges={} --priority={priority} --description='{description}'",
            joined(&["$TAG", &group.name, family.suffix()]),
            allow.join(","),
            source_in(first, family),
        );
    }
}

/// Delete the rules an earlier plan created under names this plan no longer uses.
fn delete_others(out: &mut String, plan: &Plan) {
    let keep: Vec<String> = groups(plan, false)
        .iter()
        .flat_map(|g| {
            let fams: &[Family] = g.rules.first().map(|r| families(r)).unwrap_or(&[]);
            fams.iter()
                .map(|f| joined(&["$TAG", &g.name, f.suffix()]))
                .collect::<Vec<_>>()
        })
        .collect();
    let _ = write!(
        out,
        "\n# Delete the rules an earlier plan created under names this plan no longer uses.\n\
         KEEP=\" {} \"\n\
         for name in $(gcloud compute firewall-rules list --filter=\"targetTags:($TAG) AND description ~ ^selkie:\" --format='value(name)'); do\n  \
         if [[ ($name == \"$TAG\" || $name == \"$TAG\"-*) && $KEEP != *\" $name \"* ]]; then\n    \
         echo \"deleting $name: no longer in the plan\"\n    \
         gcloud compute firewall-rules delete \"$name\" --quiet\n  \
         fi\n\
         done\n",
        keep.join(" ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn v4_and_v6_rules_are_separate() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("fw_rule \"$TAG-v4\" --allow=tcp:80,tcp:443,tcp:7881,udp:3478,udp:50000-50119 --source-ranges=0.0.0.0/0 --priority=1000"),
            "{text}"
        );
        assert!(
            text.contains("fw_rule \"$TAG-v6\" --allow=tcp:80"),
            "{text}"
        );
        assert!(
            text.contains(
                "fw_rule \"$TAG-ssh-v4\" --allow=tcp:22 --source-ranges=0.0.0.0/0 --priority=900"
            ),
            "{text}"
        );
        assert!(
            text.contains("`default-allow-ssh` rule (tcp:22 from 0.0.0.0/0) also allows"),
            "{text}"
        );
        assert!(text.find("fw_rule \"$TAG-ssh-v4\"").unwrap() < text.find("add-tags").unwrap());
    }

    #[test]
    fn a_restricted_ssh_source_gets_one_rule_in_its_family() {
        let text = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("2001:db8::/64"),
        ));
        assert!(
            text.contains("fw_rule \"$TAG-ssh-v6\" --allow=tcp:22 --source-ranges=2001:db8::/64"),
            "{text}"
        );
        assert!(!text.contains("fw_rule \"$TAG-ssh-v4\""), "{text}");
        assert!(text.contains("SSH STAYS OPEN TO EVERYONE"), "{text}");
    }
}
