//! firewalld: the plan's ports live in services of their own (`selkie` for the ports open to
//! everyone, `selkie-1`, `selkie-2`, … for each network a port is limited to, bound by a rich rule),
//! so each run can make them hold exactly this plan's ports; one reload applies everything.

use std::fmt::Write as _;

use crate::answers::Cidr;
use crate::plan::{FirewallRule, Plan};

use super::super::{describe, span, sq};
use super::bash_preamble;

/// The service for the ports open to everyone; limited ones get `-1`, `-2`, … appended.
const SERVICE: &str = "selkie";

/// Rules that share a source, and so a service.
struct Group<'a> {
    name: String,
    source: Option<Cidr>,
    rules: Vec<&'a FirewallRule>,
}

/// The plan's rules grouped by source, in order of first appearance (so SSH's group comes first).
fn groups(plan: &Plan) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    let mut limited = 0;
    for rule in plan.firewall.all() {
        match out.iter_mut().find(|g| g.source == rule.source) {
            Some(group) => group.rules.push(rule),
            None => {
                let name = match rule.source {
                    None => SERVICE.to_string(),
                    Some(_) => {
                        limited += 1;
                        format!("{SERVICE}-{limited}")
                    }
                };
                out.push(Group {
                    name,
                    source: rule.source,
                    rules: vec![rule],
                });
            }
        }
    }
    out
}

/// The rich rule that opens a limited group's service to its network.
fn rich_rule(service: &str, source: Cidr) -> String {
    let family = if source.is_ipv6() { "ipv6" } else { "ipv4" };
    format!(
        "rule family=\"{family}\" source address=\"{source}\" service name=\"{service}\" accept"
    )
}

/// Make a permanent service hold exactly the given ports.
const SERVICE_FN: &str = "
# selkie_service NAME PORT...: the permanent service NAME holds exactly these ports: created when
# missing, missing ports added, and ports an earlier plan put there removed.
selkie_service() {
  local name=$1 current have k keep
  shift
  if ! firewall-cmd --permanent --info-service=\"$name\" >/dev/null 2>&1; then
    firewall-cmd --permanent --new-service=\"$name\" >/dev/null
  fi
  current=$(firewall-cmd --permanent --service=\"$name\" --get-ports)
  for k in \"$@\"; do
    if [[ \" $current \" != *\" $k \"* ]]; then
      firewall-cmd --permanent --service=\"$name\" --add-port=\"$k\" >/dev/null
    fi
  done
  for have in $current; do
    keep=0
    for k in \"$@\"; do
      if [[ $k == \"$have\" ]]; then keep=1; fi
    done
    if (( keep == 0 )); then
      firewall-cmd --permanent --service=\"$name\" --remove-port=\"$have\" >/dev/null
    fi
  done
}
";

/// The firewalld script.
pub(super) fn script(plan: &Plan) -> String {
    let mut out = header(plan);
    let mut services = Vec::new();
    let mut rich = Vec::new();
    for (i, group) in groups(plan).iter().enumerate() {
        rich.extend(open_group(&mut out, i == 0, group));
        services.push(group.name.clone());
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = write!(
            out,
            "\n# The VPN: {iface} joins the trusted zone (the tailnet authenticates its peers).\n\
             if [[ $(firewall-cmd --permanent --get-zone-of-interface={iface} 2>/dev/null || true) != trusted ]]; then\n  \
             firewall-cmd --permanent --zone=trusted --change-interface={iface}\n\
             fi\n"
        );
    }
    out.push_str(&prune(&services, &rich));
    out.push_str(FINISH);
    out
}

/// The preamble, the check that the daemon runs, and the `selkie_service` function.
fn header(plan: &Plan) -> String {
    let mut out = bash_preamble(
        plan,
        "Host firewall (firewalld)",
        "",
        "firewall-cmd",
        "dnf install firewalld",
        "systemctl stop firewalld",
    );
    out.push_str(
        "\n# firewall-cmd needs the daemon. Starting it applies the default zone, which allows only the\n\
         # `ssh` service (port 22): with SSH elsewhere, that start alone would cut you off, so it is left\n\
         # to you.\n\
         if ! firewall-cmd --state >/dev/null 2>&1; then\n  \
         echo \"firewalld is not running. Start it (sudo systemctl enable --now firewalld) once you are sure\" >&2\n  \
         echo \"your SSH port is allowed (the default zone allows only port 22), then run this again.\" >&2\n  \
         exit 1\n\
         fi\n\n\
         # Every change is --permanent and takes effect at the reload at the end, all at once. The\n\
         # plan's ports live in selkie's own services, so ports of an earlier plan are removed from\n\
         # them and ports you opened in the zone yourself are left alone.\n\
         ZONE=$(firewall-cmd --get-default-zone)\n",
    );
    out.push_str(SERVICE_FN);
    out
}

/// One group's service with its ports, opened in the zone to everyone or, by a rich rule (which
/// is returned), to its network.
fn open_group(out: &mut String, ssh: bool, group: &Group) -> Option<String> {
    let heading = if ssh {
        "SSH first."
    } else {
        "The plan's public ports."
    };
    let from = group
        .source
        .map(|s| s.to_string())
        .unwrap_or_else(|| "anywhere".to_string());
    let _ = writeln!(out, "\n# {heading} Service {} (from {from}):", group.name);
    for rule in &group.rules {
        let _ = writeln!(
            out,
            "#   {}/{}  {}",
            rule.label(),
            rule.proto.as_str(),
            describe(rule, 100)
        );
    }
    let ports: Vec<String> = group
        .rules
        .iter()
        .map(|r| format!("{}/{}", span(r, "-"), r.proto.as_str()))
        .collect();
    let _ = writeln!(out, "selkie_service {} {}", group.name, ports.join(" "));
    match group.source {
        None => {
            let _ = writeln!(
                out,
                "if ! firewall-cmd --permanent --zone=\"$ZONE\" --query-service={name} >/dev/null 2>&1; then\n  \
                 firewall-cmd --permanent --zone=\"$ZONE\" --add-service={name} >/dev/null\n\
                 fi",
                name = group.name
            );
            None
        }
        Some(source) => {
            let rule = rich_rule(&group.name, source);
            let _ = writeln!(
                out,
                "if ! firewall-cmd --permanent --zone=\"$ZONE\" --query-rich-rule={q} >/dev/null 2>&1; then\n  \
                 firewall-cmd --permanent --zone=\"$ZONE\" --add-rich-rule={q} >/dev/null\n\
                 fi",
                q = sq(&rule)
            );
            Some(rule)
        }
    }
}

/// Deny the rest, apply, and name what the zone still allows that selkie did not add.
const FINISH: &str = "\n# Only now deny the rest: the zone's `default` target rejects whatever nothing above allows,\n\
         # and the stock `ssh` service goes, because the SSH rules above replace it (it would keep port\n\
         # 22 open to everyone). Outbound is not filtered by zones: it stays open.\n\
         if [[ $(firewall-cmd --permanent --zone=\"$ZONE\" --get-target) != default ]]; then\n  \
         firewall-cmd --permanent --zone=\"$ZONE\" --set-target=default\n\
         fi\n\
         if firewall-cmd --permanent --zone=\"$ZONE\" --query-service=ssh >/dev/null 2>&1; then\n  \
         firewall-cmd --permanent --zone=\"$ZONE\" --remove-service=ssh\n\
         fi\n\n\
         # Apply, and start at boot.\n\
         systemctl enable firewalld\n\
         firewall-cmd --reload\n\n\
         # What this script did not add stays open; review it (dhcpv6-client is needed for DHCPv6;\n\
         # Docker's own `docker` zone is Docker's business).\n\
         others=$(firewall-cmd --permanent --zone=\"$ZONE\" --list-services | tr ' ' '\\n' | grep -v '^selkie' | tr '\\n' ' ' || true)\n\
         if [[ -n ${others// /} ]]; then\n  \
         echo \"note: zone $ZONE still allows these services: $others(firewall-cmd --permanent --zone=$ZONE --remove-service=NAME)\" >&2\n\
         fi\n\
         ports=$(firewall-cmd --permanent --zone=\"$ZONE\" --list-ports)\n\
         if [[ -n $ports ]]; then\n  \
         echo \"note: zone $ZONE also opens these ports, which selkie did not add: $ports (firewall-cmd --permanent --zone=$ZONE --remove-port=PORT)\" >&2\n\
         fi\n\
         firewall-cmd --zone=\"$ZONE\" --list-all\n";

/// Remove what an earlier plan added and this one lacks: rich rules naming a selkie service that
/// are not this plan's, the `selkie` service from the zone when nothing is open to everyone, and
/// selkie services this plan does not use.
fn prune(services: &[String], rich: &[String]) -> String {
    let mut out = String::from(
        "\n# What an earlier plan added and this one lacks goes; rules that name no selkie service stay.\n\
         keep_rules=(\n",
    );
    for rule in rich {
        let _ = writeln!(out, "  {}", sq(rule));
    }
    out.push_str(")\nkeep_services=(");
    for service in services {
        let _ = write!(out, " {service}");
    }
    let _ = write!(
        out,
        " )\n\
         mapfile -t rules < <(firewall-cmd --permanent --zone=\"$ZONE\" --list-rich-rules)\n\
         for rule in \"${{rules[@]}}\"; do\n  \
         if [[ $rule != *'service name=\"{SERVICE}'* ]]; then\n    \
         continue\n  \
         fi\n  \
         stale=1\n  \
         for k in ${{keep_rules[@]+\"${{keep_rules[@]}}\"}}; do\n    \
         if [[ $k == \"$rule\" ]]; then stale=0; fi\n  \
         done\n  \
         if (( stale == 1 )); then\n    \
         echo \"removing a rule of an earlier plan: $rule\" >&2\n    \
         firewall-cmd --permanent --zone=\"$ZONE\" --remove-rich-rule=\"$rule\" >/dev/null\n  \
         fi\n\
         done\n\
         for service in $(firewall-cmd --permanent --get-services); do\n  \
         if [[ $service != {SERVICE} && $service != {SERVICE}-* ]]; then\n    \
         continue\n  \
         fi\n  \
         stale=1\n  \
         for k in \"${{keep_services[@]}}\"; do\n    \
         if [[ $k == \"$service\" ]]; then stale=0; fi\n  \
         done\n  \
         if (( stale == 1 )); then\n    \
         echo \"removing the service $service of an earlier plan\" >&2\n    \
         if firewall-cmd --permanent --zone=\"$ZONE\" --query-service=\"$service\" >/dev/null 2>&1; then\n      \
         firewall-cmd --permanent --zone=\"$ZONE\" --remove-service=\"$service\" >/dev/null\n    \
         fi\n    \
         firewall-cmd --permanent --delete-service=\"$service\" >/dev/null || true\n  \
         fi\n\
         done\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn services_per_source_and_rich_rules_for_limited_ones() {
        let p = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("2001:db8::/64"),
        );
        let text = script(&p);
        assert!(text.contains("selkie_service selkie-1 22/tcp"), "{text}");
        assert!(
            text.contains("--add-rich-rule='rule family=\"ipv6\" source address=\"2001:db8::/64\" service name=\"selkie-1\" accept'"),
            "{text}"
        );
        assert!(text.contains("keep_services=( selkie-1 selkie )"), "{text}");
        assert!(
            text.contains("--zone=trusted --change-interface=tailscale0"),
            "{text}"
        );
        let lk = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            lk.contains(
                "selkie_service selkie 22/tcp 80/tcp 443/tcp 7881/tcp 3478/udp 50000-50119/udp\n"
            ),
            "{lk}"
        );
        assert!(
            lk.contains(
                "  firewall-cmd --permanent --zone=\"$ZONE\" --add-service=selkie >/dev/null\n"
            ),
            "{lk}"
        );
        let ssh = lk.find("selkie_service selkie 22/tcp").unwrap();
        let prune = lk.find("--remove-rich-rule").unwrap();
        assert!(ssh < prune && prune < lk.find("--remove-service=ssh").unwrap());
        assert!(
            lk.find("--remove-service=ssh").unwrap() < lk.find("firewall-cmd --reload").unwrap()
        );
    }
}
