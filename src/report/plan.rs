//! The plan in words and tables: what `selkie plan` prints and the review and setup show.

use super::table;
use crate::plan::Plan;

/// The plan in words and tables, as the review and `selkie plan` show it.
pub fn describe(plan: &Plan) -> String {
    let mut out = headline(plan);
    out.push_str("\nPorts\n");
    out.push_str(&ports(plan));
    out.push_str("\nDNS records\n");
    out.push_str(&dns(plan));
    out.push_str(&firewall(plan));
    if !plan.warnings.is_empty() {
        out.push_str("\nWarnings\n");
        for w in &plan.warnings {
            out.push_str(&format!("  ! {w}\n"));
        }
    }
    out
}

/// Preset, address and proxy, then the URLs, the media sizing and the certificate.
fn headline(plan: &Plan) -> String {
    let mut out = format!(
        "Plan: {} preset at {}, proxy {}\n",
        plan.preset, plan.address, plan.proxy
    );
    if let Some(site) = &plan.urls.site {
        out.push_str(&format!("  Site:        {site}\n"));
    }
    out.push_str(&format!("  LiveKit URL: {}\n", plan.urls.livekit));
    out.push_str(&format!("  UDP media:   {}\n", plan.media.explanation));
    if let Some(certificate) = &plan.web.certificate {
        out.push_str(&format!("  Certificate: {certificate}\n"));
    }
    out
}

/// One row per port: where it is exposed, who holds it, whether clients need it, and why.
fn ports(plan: &Plan) -> String {
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
    table::render(
        &["PORT", "PROTO", "EXPOSURE", "SERVICE", "NEED", "PURPOSE"],
        &rows,
    )
}

/// The records to create, or the address clients use when there are none.
fn dns(plan: &Plan) -> String {
    if plan.dns.is_empty() {
        return format!("  none: clients use the address {}\n", plan.address);
    }
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
    table::render(&["NAME", "TYPE", "VALUE", "PURPOSE"], &rows)
}

/// The firewall's allow rules in order, SSH first, and what happens to everything else.
fn firewall(plan: &Plan) -> String {
    let mut out = format!(
        "\nFirewall ({}): open only these, SSH first\n",
        plan.firewall.provider.title()
    );
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
    out
}
