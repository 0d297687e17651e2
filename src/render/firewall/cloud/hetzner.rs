//! Hetzner Cloud: a firewall created (or replaced) from a rules file, applied to the server last.

use crate::answers::Provider;
use crate::plan::{FirewallRule, Plan};

use super::super::{describe, families, source_in, span};
use super::{preamble, Var};

const NOTES: &str = "\
# A Hetzner firewall drops every inbound packet its rules do not allow, SSH included, so the rules\n\
# go in with the firewall (create --rules-file) and it is applied to the server only afterwards.\n\
# No outbound rules: with none, Hetzner allows all outbound traffic (adding one would deny the rest).\n\
# Running this again replaces the rules of the firewall it created (replace-rules).\n\
# Limits: 5 firewalls per server, 500 rules.\n";

/// The hcloud script.
pub(super) fn script(plan: &Plan) -> String {
    let vars = [
        Var::required(
            "SERVER_ID",
            "the server id or name (on the server, as root: cat /sys/class/dmi/id/product_serial)",
        ),
        Var::optional("FW_NAME", "the firewall's name", "selkie"),
    ];
    let mut out = preamble(
        plan,
        Provider::Hetzner,
        NOTES,
        &vars,
        &[("hcloud", "see github.com/hetznercloud/cli#installation")],
    );
    out.push_str(
        "\nRULES=$(mktemp)\n\
         trap 'rm -f \"$RULES\"' EXIT\n\
         # The API's rule format; SSH first.\n\
         cat >\"$RULES\" <<'JSON'\n[\n",
    );
    let rules: Vec<String> = plan.firewall.all().map(rule_json).collect();
    out.push_str(&rules.join(",\n"));
    out.push_str(
        "\n]\nJSON\n\n\
         if hcloud firewall describe \"$FW_NAME\" >/dev/null 2>&1; then\n  \
         hcloud firewall replace-rules \"$FW_NAME\" --rules-file \"$RULES\"\n\
         else\n  \
         hcloud firewall create --name \"$FW_NAME\" --rules-file \"$RULES\"\n\
         fi\n\n\
         # Apply last, now that the rules exist. Applying it twice is refused as already applied.\n\
         if ! out=$(hcloud firewall apply-to-resource \"$FW_NAME\" --type server --server \"$SERVER_ID\" 2>&1); then\n  \
         if [[ $out != *already* ]]; then\n    \
         echo \"$out\" >&2\n    \
         exit 1\n  \
         fi\n\
         fi\n",
    );
    out
}

/// One inbound rule in the API's JSON shape.
fn rule_json(rule: &FirewallRule) -> String {
    let sources: Vec<String> = families(rule)
        .iter()
        .map(|f| format!("\"{}\"", source_in(rule, *f)))
        .collect();
    format!(
        "  {{\"direction\":\"in\",\"protocol\":\"{}\",\"port\":\"{}\",\"source_ips\":[{}],\"description\":\"{}\"}}",
        rule.proto.as_str(),
        span(rule, "-"),
        sources.join(","),
        describe(rule, 100)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn rules_exist_before_the_firewall_is_applied() {
        let text = script(&plan("livekit", ProxyMode::Caddy, "meet.example.com", None));
        assert!(
            text.contains("{\"direction\":\"in\",\"protocol\":\"udp\",\"port\":\"50000-50119\",\"source_ips\":[\"0.0.0.0/0\",\"::/0\"]"),
            "{text}"
        );
        let create = text.find("hcloud firewall create --name").unwrap();
        assert!(create < text.find("apply-to-resource").unwrap());
    }
}
