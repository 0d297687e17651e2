//! AWS: a security group with one ingress permission per rule and family, added to the instance
//! next to the groups it already has.

use std::fmt::Write as _;

use crate::answers::Provider;
use crate::plan::{FirewallRule, Plan};

use super::super::{clean, describe, families, source_in, Family};
use super::{preamble, Var};

const NOTES: &str = "\
# Security groups only allow, and an instance's groups add up: a launch-wizard group that allows\n\
# 22 from 0.0.0.0/0 keeps SSH open to everyone until you revoke that rule yourself\n\
# (aws ec2 revoke-security-group-ingress). The script prints the groups the instance had.\n\
# Each permission is added on its own, so one that already exists (InvalidPermission.Duplicate)\n\
# counts as done and running the script again is harmless. The group is selkie's own: once the\n\
# plan's permissions are in, every other ingress rule in it (left by an earlier plan, such as SSH\n\
# from anywhere before --ssh-from) is revoked, so the group holds exactly this plan.\n";

/// The aws CLI script.
pub(super) fn script(plan: &Plan) -> String {
    let mut out = header(plan);
    group(&mut out, plan);
    allow_rules(&mut out, plan);
    revoke_others(&mut out, plan);
    attach(&mut out);
    out
}

/// The preamble: what the script needs and the variables it takes.
fn header(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "INSTANCE_ID",
            "the instance id, i-... (on Nitro instances: cat /sys/class/dmi/id/board_asset_tag)",
        ),
        Var::optional("SG_NAME", "the security group's name", "selkie"),
    ];
    preamble(
        plan,
        Provider::Aws,
        NOTES,
        &vars,
        &[(
            "aws",
            "see docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
        )],
    )
}

/// Find the instance's VPC and groups, find or create selkie's group, and define `allow`.
fn group(out: &mut String, plan: &Plan) {
    let description = clean(
        &format!("selkie: {} plan at {}", plan.preset, plan.address),
        200,
    );
    let _ = write!(
        out,
        "\nQ='Reservations[0].Instances[0]'\n\
         VPC=$(aws ec2 describe-instances --instance-ids \"$INSTANCE_ID\" --query \"$Q.VpcId\" --output text)\n\
         read -r -a OLD <<<\"$(aws ec2 describe-instances --instance-ids \"$INSTANCE_ID\" --query \"$Q.SecurityGroups[].GroupId\" --output text)\"\n\
         echo \"security groups on $INSTANCE_ID now: ${{OLD[*]}} (check them for rules that open more than this plan)\"\n\n\
         SG=$(aws ec2 describe-security-groups --filters \"Name=vpc-id,Values=$VPC\" \"Name=group-name,Values=$SG_NAME\" \\\n  \
         --query 'SecurityGroups[0].GroupId' --output text)\n\
         if [[ -z $SG || $SG == None ]]; then\n  \
         SG=$(aws ec2 create-security-group --group-name \"$SG_NAME\" --description {desc} --vpc-id \"$VPC\" --query GroupId --output text)\n\
         fi\n\n\
         # allow PERMISSIONS: add one ingress permission; an identical one already there counts as done.\n\
         allow() {{\n  \
         local out\n  \
         if out=$(aws ec2 authorize-security-group-ingress --group-id \"$SG\" --ip-permissions \"$1\" 2>&1); then\n    \
         return 0\n  \
         fi\n  \
         if [[ $out == *InvalidPermission.Duplicate* ]]; then\n    \
         return 0\n  \
         fi\n  \
         echo \"$out\" >&2\n  \
         return 1\n\
         }}\n\n\
         # SSH first, then the plan's public ports; IPv4 and IPv6 separately, so an existing IPv4 rule\n\
         # does not make the IPv6 one fail with it.\n",
        desc = super::super::sq(&description),
    );
}

/// One `allow` per rule and family, SSH first.
fn allow_rules(out: &mut String, plan: &Plan) {
    for rule in plan.firewall.all() {
        let _ = writeln!(out, "# {}", describe(rule, 100));
        for family in families(rule) {
            let _ = writeln!(out, "allow '{}'", permission(rule, *family));
        }
    }
}

/// Revoke every ingress rule of the group that the plan does not hold.
fn revoke_others(out: &mut String, plan: &Plan) {
    // What the group should hold, one `PROTO FROM TO CIDR` per line, as describe-security-group-rules
    // reports a rule; anything else in the group is revoked after the plan's rules are in.
    out.push_str("\n# Revoke what an earlier plan opened and this one does not (after adding, so SSH stays open).\nWANT=$(cat <<'RULES'\n");
    for rule in plan.firewall.all() {
        for family in families(rule) {
            let _ = writeln!(
                out,
                "{} {} {} {}",
                rule.proto.as_str(),
                rule.port,
                rule.end,
                source_in(rule, *family)
            );
        }
    }
    out.push_str(
        "RULES\n)\n\
         aws ec2 describe-security-group-rules --filters \"Name=group-id,Values=$SG\" \\\n  \
         --query 'SecurityGroupRules[?IsEgress==`false`].[SecurityGroupRuleId,IpProtocol,FromPort,ToPort,CidrIpv4||CidrIpv6]' --output text |\n\
         while read -r id proto from to cidr; do\n  \
         if ! grep -qxF \"$proto $from $to $cidr\" <<<\"$WANT\"; then\n    \
         echo \"revoking $proto $from-$to from $cidr: no longer in the plan\"\n    \
         aws ec2 revoke-security-group-ingress --group-id \"$SG\" --security-group-rule-ids \"$id\" >/dev/null\n  \
         fi\n\
         done\n",
    );
}

/// Attach the group, keeping the instance's other groups.
fn attach(out: &mut String) {
    out.push_str(
        "\n# Attach last, once SSH is allowed. --groups REPLACES the instance's groups: keep the old ones.\n\
         if [[ \" ${OLD[*]} \" != *\" $SG \"* ]]; then\n  \
         aws ec2 modify-instance-attribute --instance-id \"$INSTANCE_ID\" --groups \"${OLD[@]}\" \"$SG\"\n\
         fi\n",
    );
}

/// The JSON form of one permission (the shorthand would split a description at its commas).
fn permission(rule: &FirewallRule, family: Family) -> String {
    let (ranges, key) = match family {
        Family::V4 => ("IpRanges", "CidrIp"),
        Family::V6 => ("Ipv6Ranges", "CidrIpv6"),
    };
    format!(
        "[{{\"IpProtocol\":\"{}\",\"FromPort\":{},\"ToPort\":{},\"{ranges}\":[{{\"{key}\":\"{}\",\"Description\":\"{}\"}}]}}]",
        rule.proto.as_str(),
        rule.port,
        rule.end,
        source_in(rule, family),
        describe(rule, 200)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn both_families_duplicates_tolerated_and_old_groups_kept() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("\"IpProtocol\":\"udp\",\"FromPort\":50000,\"ToPort\":50119,\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\""),
            "{text}"
        );
        assert!(
            text.contains("\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\""),
            "{text}"
        );
        assert!(text.contains("InvalidPermission.Duplicate"), "{text}");
        assert!(text.contains("--groups \"${OLD[@]}\" \"$SG\""), "{text}");
        let allow = text.find("allow '[").unwrap();
        assert!(allow < text.find("modify-instance-attribute").unwrap());
    }

    #[test]
    fn a_restricted_ssh_source_is_used_alone() {
        let text = script(&plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.4"),
        ));
        assert!(text.contains(
            "\"FromPort\":22,\"ToPort\":22,\"IpRanges\":[{\"CidrIp\":\"198.51.100.4/32\""
        ));
        assert!(!text.contains("\"FromPort\":22,\"ToPort\":22,\"Ipv6Ranges\""));
    }
}
