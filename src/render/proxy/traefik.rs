//! The Traefik dynamic configuration of `external` mode, as typed structs serialised to YAML:
//! Traefik parses it, so it is built rather than templated. Only the header is hand-written.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::{Plan, Route};

use super::{describe, http_sites};

/// The entry point the routers attach to: the name Traefik's documentation uses for HTTPS.
const ENTRY_POINT: &str = "websecure";

#[derive(Serialize)]
struct Dynamic {
    http: Http,
}

#[derive(Serialize)]
struct Http {
    routers: BTreeMap<String, Router>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    middlewares: BTreeMap<String, Middleware>,
    services: BTreeMap<String, Service>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Router {
    entry_points: Vec<&'static str>,
    rule: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    middlewares: Vec<String>,
    service: String,
    tls: RouterTls,
}

/// `tls: {}`: TLS with whatever certificate Traefik has for the host.
#[derive(Serialize)]
struct RouterTls {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Middleware {
    strip_prefix: StripPrefix,
}

#[derive(Serialize)]
struct StripPrefix {
    prefixes: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    load_balancer: LoadBalancer,
}

#[derive(Serialize)]
struct LoadBalancer {
    servers: Vec<Server>,
}

#[derive(Serialize)]
struct Server {
    url: String,
}

/// The Traefik dynamic configuration for the plan.
pub(super) fn render(plan: &Plan) -> String {
    let mut http = Http {
        routers: BTreeMap::new(),
        middlewares: BTreeMap::new(),
        services: BTreeMap::new(),
    };
    let mut index = Vec::new();
    for route in http_sites(plan).iter().flat_map(|s| s.routes.iter()) {
        let name = unique_name(&http.routers, &format!("selkie-{}", route.service));
        let mut middlewares = Vec::new();
        if let (Some(path), true) = (&route.path, route.strip_prefix) {
            let strip = format!("{name}-strip");
            http.middlewares.insert(
                strip.clone(),
                Middleware {
                    strip_prefix: StripPrefix {
                        prefixes: vec![path.clone()],
                    },
                },
            );
            middlewares.push(strip);
        }
        http.services.insert(
            name.clone(),
            Service {
                load_balancer: LoadBalancer {
                    servers: vec![Server {
                        url: format!("http://{}", route.upstream),
                    }],
                },
            },
        );
        http.routers.insert(
            name.clone(),
            Router {
                entry_points: vec![ENTRY_POINT],
                rule: rule(route),
                middlewares,
                service: name.clone(),
                tls: RouterTls {},
            },
        );
        index.push(format!("#   {name}: {}", describe(plan, route)));
    }
    let body = serde_saphyr::to_string(&Dynamic { http })
        // Plain structs of strings and string-keyed maps always serialise.
        .unwrap_or_else(|e| format!("# could not serialise the Traefik configuration: {e}\n"));
    format!("{}{}\n{body}", header(plan), index.join("\n"))
}

fn header(plan: &Plan) -> String {
    let port_note = plan
        .web
        .custom_port()
        .map(|port| format!(" (selkie's URLs expect it on port {port})"))
        .unwrap_or_default();
    let certs = if plan.web.bare_ip {
        "# Certificates are yours to provide: `tls: {}` serves the certificate Traefik holds for the\n\
         # address (a tls.certificates entry in a file of the file provider), signed by a CA your\n\
         # devices trust.\n"
    } else {
        "# Certificates are yours to provide: `tls: {}` serves the certificate Traefik already holds\n\
         # for the host (a tls.certificates entry in a file of the file provider). To have Traefik\n\
         # obtain one by ACME instead, add `certResolver: NAME` (your resolver) under each router's tls.\n"
    };
    format!(
        "# Traefik dynamic configuration (file provider), written by selkie for the {preset} preset\n\
         # (proxy mode `external`). Save it in the directory your file provider watches, e.g.\n\
         # /etc/traefik/dynamic/selkie.yml with this in Traefik's static configuration:\n\
         #   providers: {{ file: {{ directory: /etc/traefik/dynamic, watch: true }} }}\n\
         # The services listen on 127.0.0.1 only: Traefik must run on this host (in a container,\n\
         # with network_mode: host).\n\
         # The routers attach to the HTTPS entry point `{ENTRY_POINT}`{port_note}:\n\
         # rename it if yours has another name. The redirect from HTTP to HTTPS belongs to the\n\
         # static configuration (entryPoints.web.http.redirections.entryPoint.to: {ENTRY_POINT}).\n\
         {certs}\
         # Traefik passes WebSocket upgrades (LiveKit signalling) through without extra settings.\n\
         # Routers:\n",
        preset = plan.preset
    )
}

/// `Host(...)`, narrowed to the path and everything under it; a longer rule wins in Traefik, so
/// a path router always beats the site's fallback.
fn rule(route: &Route) -> String {
    let host = format!("Host(`{}`)", route.host);
    match &route.path {
        Some(path) => format!("{host} && (Path(`{path}`) || PathPrefix(`{path}/`))"),
        None => host,
    }
}

/// `base`, or `base-2`, `base-3`... when a service has several routes.
fn unique_name(taken: &BTreeMap<String, Router>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while taken.contains_key(&name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}
