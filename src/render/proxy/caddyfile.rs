//! The Caddyfile of `caddy` mode. A template rather than typed structs: people read and edit this
//! file, so its comments matter, and the tests check it with the real `caddy adapt`.

use crate::plan::{Plan, Route};

use super::{bare_host, describe, http_sites, public_url, Site};

/// The Caddyfile for the plan.
pub(super) fn render(plan: &Plan) -> String {
    let mut out = header(plan);
    let options = global_options(plan);
    if !options.is_empty() {
        out.push_str("\n# Global options, for every site below.\n{\n");
        for (why, option) in options {
            out.push_str(&format!("\t# {why}\n\t{option}\n"));
        }
        out.push_str("}\n");
    }
    for site in http_sites(plan) {
        out.push('\n');
        site_block(plan, &site, &mut out);
    }
    out
}

fn header(plan: &Plan) -> String {
    let mut out = format!(
        "# Caddyfile, written by selkie for the {} preset (proxy mode `caddy`).\n\
         # Caddy terminates HTTPS on port {} and forwards each request to a service that listens\n\
         # on 127.0.0.1 only. WebSockets (LiveKit signalling) pass through reverse_proxy as they are.\n",
        plan.preset, plan.web.https_port
    );
    if plan.web.bare_ip && !plan.web.internal_tls {
        out.push_str(
            "# Caddy obtains and renews the address's certificate by itself (from Let's Encrypt by\n\
             # default): the CA checks the address on port 80 or 443.\n",
        );
    } else if !plan.web.internal_tls {
        out.push_str(
            "# Caddy obtains and renews the certificates by itself (from Let's Encrypt by default)\n\
             # once the DNS records in dns.txt point at this server.\n",
        );
        if plan.web.https_port != 443 && !plan.web.redirect_http {
            // Public CAs validate on 80 or 443 only, and this front door opens neither.
            out.push_str(
                "# Warning: a public CA checks the domain on port 80 or 443, and this deployment opens\n\
                 # neither, so issuance fails unless you configure a DNS challenge (`tls { dns ... }`,\n\
                 # which needs a Caddy build with your DNS provider's module).\n",
            );
        }
    }
    out.push_str(
        "# Change selkie.toml (or run `selkie setup --resume`) rather than this file: selkie keeps\n\
         # hand edits, but refuses to overwrite them without --force. After a hand edit:\n\
         #   docker exec selkie-caddy caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile\n\
         #   docker exec selkie-caddy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile\n",
    );
    out
}

/// The global options the plan needs, each after the comment that says why it is there.
fn global_options(plan: &Plan) -> Vec<(&'static str, String)> {
    let mut options = Vec::new();
    if let (Some(email), false) = (&plan.web.email, plan.web.internal_tls) {
        options.push((
            "The certificate authority writes here before a certificate expires.",
            format!("email {email}"),
        ));
    }
    if let (Some(ca), false) = (&plan.web.acme_ca, plan.web.internal_tls) {
        options.push((
            "Certificates come from this ACME certificate authority instead of Let's Encrypt.",
            format!("acme_ca {ca}"),
        ));
        if let Some(root) = plan.web.acme_ca_root_path() {
            options.push((
                "The root certificate that CA's own HTTPS endpoint is served under.",
                format!("acme_ca_root {root}"),
            ));
        }
    }
    if plan.web.https_port != 443 {
        options.push((
            "Every site below is served on this port instead of 443.",
            format!("https_port {}", plan.web.https_port),
        ));
    }
    if !plan.web.redirect_http {
        options.push((
            "No HTTP-to-HTTPS redirect, so nothing listens on port 80\n\t# (the firewall keeps it closed).",
            "auto_https disable_redirects".to_string(),
        ));
    }
    if plan.web.internal_tls {
        options.push((
            "Devices get the root certificate by hand (see below); the container's own\n\t# trust store is of no use to them.",
            "skip_install_trust".to_string(),
        ));
    }
    if plan.web.bare_ip {
        // Every site of an IP deployment is that one address.
        if let Some(site) = http_sites(plan).first() {
            options.push((
                "Browsers send no server name (SNI) to an IP address: this picks the\n\t# certificate anyway, also behind a provider's NAT where connections arrive\n\t# on a private address.",
                format!("default_sni {}", bare_host(site.host)),
            ));
        }
    }
    options
}

fn site_block(plan: &Plan, site: &Site<'_>, out: &mut String) {
    let url = public_url(plan, "https", site.host, None);
    let address = if plan.web.bare_ip {
        // A bare IP gets HTTPS only when the scheme says so.
        url.clone()
    } else if plan.web.https_port != 443 {
        format!("{}:{}", site.host, plan.web.https_port)
    } else {
        site.host.to_string()
    };
    out.push_str(&format!("# {url}\n"));
    if plan.web.internal_tls {
        out.push_str(
            "# No public CA can check this site (a bare IP address, or a host reached only over the\n\
             # VPN), so Caddy's own certificate authority signs its certificate (`tls internal`).\n\
             # Browsers accept it once each device trusts Caddy's root certificate, and only then\n\
             # allow camera and microphone:\n\
             #   docker exec selkie-caddy cat /data/caddy/pki/authorities/local/root.crt > selkie-root.crt\n\
             # then import selkie-root.crt as a trusted root certificate authority (macOS: Keychain\n\
             # Access, System; Windows: certmgr, Trusted Root Certification Authorities; Android and\n\
             # iOS: install it as a CA certificate, and on iOS also enable full trust for it).\n",
        );
    }
    if let (Some(profile), true) = (&plan.web.acme_profile, plan.web.bare_ip) {
        out.push_str(&format!(
            "# A public CA issues certificates for an IP address under its `{profile}` ACME profile:\n\
             # six days, renewed by Caddy on its own well before they end, and trusted by every\n\
             # device as it is. The CA checks the address over HTTP on port 80 or TLS on 443.\n"
        ));
    }
    out.push_str(&format!("{address} {{\n"));
    if plan.web.internal_tls {
        out.push_str("\ttls internal\n");
    } else if let (Some(profile), true) = (&plan.web.acme_profile, plan.web.bare_ip) {
        out.push_str(&format!(
            "\ttls {{\n\t\tissuer acme {{\n\t\t\tprofile {profile}\n\t\t}}\n\t}}\n"
        ));
    }
    match site.routes.as_slice() {
        [only] if only.path.is_none() => {
            out.push_str(&format!(
                "\t# Everything -> {}.\n\treverse_proxy {}\n",
                describe(plan, only),
                only.upstream
            ));
        }
        routes => {
            for (i, route) in routes.iter().enumerate() {
                if i > 0 || plan.web.internal_tls || plan.web.acme_profile.is_some() {
                    out.push('\n');
                }
                route_block(plan, route, out);
            }
            if !site.has_fallback() {
                // Without this, Caddy answers unknown paths with an empty 200.
                out.push_str("\n\t# Nothing else is served on this site.\n\thandle {\n\t\trespond 404\n\t}\n");
            }
        }
    }
    out.push_str("}\n");
}

fn route_block(plan: &Plan, route: &Route, out: &mut String) {
    let what = describe(plan, route);
    let proxy = format!("reverse_proxy {}", route.upstream);
    match route.path.as_deref() {
        None => out.push_str(&format!(
            "\t# Everything else -> {what}.\n\thandle {{\n\t\t{proxy}\n\t}}\n"
        )),
        Some(path) if route.strip_prefix => out.push_str(&format!(
            "\t# {path} -> {what}.\n\
             \t# The prefix is removed: {path}/x reaches the service as /x.\n\
             \thandle_path {path}/* {{\n\t\t{proxy}\n\t}}\n\
             \thandle {path} {{\n\t\trewrite * /\n\t\t{proxy}\n\t}}\n"
        )),
        Some(path) => out.push_str(&format!(
            "\t# {path} -> {what}.\n\
             \t# The prefix is kept: the service serves its paths under {path}.\n\
             \t@{name} path {path} {path}/*\n\
             \thandle @{name} {{\n\t\t{proxy}\n\t}}\n",
            name = matcher_name(path)
        )),
    }
}

/// A Caddyfile matcher name from a path: `/v1` becomes `v1`, `/api/rooms` becomes `api_rooms`.
pub(super) fn matcher_name(path: &str) -> String {
    let name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() {
        "root".to_string()
    } else {
        name
    }
}
