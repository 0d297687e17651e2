//! Proxy configs: the Caddyfile (`caddy`), Caddy JSON with the layer-4 app (`caddy-l4`), and the
//! nginx and Traefik snippets for `external`.
//!
//! Every output is built from `plan.routes` alone, so the four proxies always agree on which
//! host and path reach which loopback port.
//!
//! # `caddy-l4` (caddy.json)
//!
//! JSON has no comments, so the layout is explained here. One layer-4 server listens on the HTTPS
//! port and picks a route by the server name (SNI) of the TLS handshake: one route per host of the
//! plan. Each route terminates TLS with a certificate from Caddy's `tls` app and forwards the
//! decrypted bytes as plain TCP:
//!
//! * the site and LiveKit signalling go to their HTTP ports; their TLS handler offers only
//!   `http/1.1` in ALPN, because the upstream receives the raw stream and speaks HTTP/1.1 only
//!   (had the browser negotiated HTTP/2, the upstream would get HTTP/2 frames it cannot read);
//! * TURN/TLS goes to LiveKit's TURN listener on 5349, which runs with `turn.external_tls: true`
//!   and so expects the stream already decrypted. Caddy keeps every certificate to itself: no
//!   certificate path is shared with the LiveKit container, and renewals need no restart.
//!
//! The `tls` app lists every host under `certificates.automate`, which is what makes Caddy obtain
//! and renew the certificates (the layer-4 TLS handler only uses them). The `http` app listens on
//! port 80 and redirects everything to HTTPS; Caddy answers ACME HTTP-01 challenges on any of its
//! HTTP servers before routing, so issuance works through that server. When the preset turns the
//! redirect off, no HTTP server is configured and Caddy binds port 80 only while it solves a
//! challenge. Certificates live in `/data` (the `caddy-data` volume), and logs are at INFO so that
//! issuance shows up in `docker logs selkie-caddy`.

mod caddyfile;
mod layer4;
mod nginx;
mod traefik;

use crate::plan::{Plan, Route};
use crate::role::Role;

/// The Caddyfile for `caddy` mode: one site per host, automatic HTTPS for a domain and
/// `tls internal` for an IP address.
pub fn caddyfile(plan: &Plan) -> String {
    caddyfile::render(plan)
}

/// Caddy's JSON config with the layer-4 app for `caddy-l4` mode: TLS routed by server name on
/// the HTTPS port, including TURN/TLS (see the module docs for the layout).
pub fn layer4_json(plan: &Plan) -> String {
    layer4::render(plan)
}

/// An nginx snippet for `external` mode, to paste into the operator's own nginx (`http` context).
pub fn nginx(plan: &Plan) -> String {
    nginx::render(plan)
}

/// A Traefik dynamic configuration (file provider) for `external` mode.
pub fn traefik(plan: &Plan) -> String {
    traefik::render(plan)
}

/// The HTTP routes of one host, in the plan's order: longest path first, the fallback last.
struct Site<'a> {
    host: &'a str,
    routes: Vec<&'a Route>,
}

impl Site<'_> {
    /// Whether a route without a path catches what the others leave.
    fn has_fallback(&self) -> bool {
        self.routes.iter().any(|r| r.path.is_none())
    }
}

/// The plan's HTTP routes grouped by host, hosts in the plan's order. TURN's raw TCP route is
/// left out: only the layer-4 proxy can carry it.
fn http_sites(plan: &Plan) -> Vec<Site<'_>> {
    let mut sites: Vec<Site<'_>> = Vec::new();
    for route in plan.routes.iter().filter(|r| !r.tcp) {
        match sites.iter_mut().find(|s| s.host == route.host) {
            Some(site) => site.routes.push(route),
            None => sites.push(Site {
                host: &route.host,
                routes: vec![route],
            }),
        }
    }
    sites
}

/// `https://HOST` (or `wss://`), with the port when it is not 443.
fn public_url(plan: &Plan, scheme: &str, host: &str, path: Option<&str>) -> String {
    format!("{}{}", plan.web.url(scheme, host), path.unwrap_or(""))
}

/// `service: what it carries`, for the comment above a route.
fn describe(plan: &Plan, route: &Route) -> String {
    if route.service == Role::Livekit {
        return if route.tcp {
            "livekit: TURN over TLS".to_string()
        } else {
            let url = public_url(plan, "wss", &route.host, route.path.as_deref());
            format!("livekit: signalling over HTTP and WebSocket, {url}")
        };
    }
    match plan.service(&route.service) {
        Some(service) => format!("{}: {}", service.name, service.purpose),
        None => route.service.to_string(),
    }
}

/// The address without URL brackets: `[2001:db8::7]` becomes `2001:db8::7`.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests;
