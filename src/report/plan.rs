//! The plan in words and tables: what `selkie plan` prints and the review and setup show.

use super::table;
use crate::plan::Plan;

/// The plan in words and tables, as the review and `selkie plan` show it.
pub fn describe(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Plan: {} preset at {}, proxy {}\n",
        plan.preset, plan.address, plan.proxy
    ));
    if let Some(site) = &plan.urls.site {
        out.push_str(&format!("  Site:        {site}\n"));
    }
    out.push_str(&format!("  LiveKit URL: {}\n", plan.urls.livekit));
    out.push_str(&format!("  UDP media:   {}\n", plan.media.explanation));
    if let Some(certificate) = &plan.web.certificate {
        out.push_str(&format!("  Certificate: {certificate}\n"));
    }

    out.push_str("\nPorts\n");
    let rows: Vec<Vec<String>> = plan
        .ports
        .iter()
        .map(|p| {
            let mut exposure = p.exposure.as_str().to_string();
            if let Some(src) = p.source {
                exposure = format!("{exposure} ({src})");
            }
            vec![
                p.label(),
                p.proto.as_str().into(),
                exposure,
                p.service.to_string(),
                if p.required { "required" } else { "optional" }.into(),
                p.purpose.clone(),
            ]
        })
        .collect();
    out.push_str(&table::render(
        &["PORT", "PROTO", "EXPOSURE", "SERVICE", "NEED", "PURPOSE"],
        &rows,
    ));

    out.push_str("\nDNS records\n");
    if plan.dns.is_empty() {
        out.push_str(&format!(
            "  none: clients use the address {}\n",
            plan.address
        ));
    } else {
        let rows: Vec<Vec<String>> = plan
            .dns
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.kind.to_string(),
                    r.value.clone(),
                    r.purpose.clone(),
                ]
            })
            .collect();
        out.push_str(&table::render(&["NAME", "TYPE", "VALUE", "PURPOSE"], &rows));
    }

    out.push_str(&format!(
        "\nFirewall ({}): open only these, SSH first\n",
        plan.firewall.provider.title()
    ));
    for rule in plan.firewall.all() {
        let from = rule
            .source
            .map(|s| s.to_string())
            .unwrap_or_else(|| "anywhere".into());
        out.push_str(&format!(
            "  allow {}/{} from {} ({})\n",
            rule.label(),
            rule.proto.as_str(),
            from,
            rule.service
        ));
    }
    if let Some(iface) = &plan.firewall.trusted_interface {
        out.push_str(&format!(
            "  trust everything arriving on {iface} (the VPN)\n"
        ));
    }
    out.push_str("  everything else inbound: denied. Commands: `selkie firewall`.\n");

    if !plan.warnings.is_empty() {
        out.push_str("\nWarnings\n");
        for w in &plan.warnings {
            out.push_str(&format!("  ! {w}\n"));
        }
    }
    out
}
