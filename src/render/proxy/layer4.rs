//! caddy.json for `caddy-l4` mode, as typed structs so that the key order reads top-down
//! (`handler` first) and never depends on serde_json's map feature. The layout is explained in
//! the parent module's docs, since JSON cannot carry comments.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plan::{Plan, Route};

/// Where Caddy keeps certificates and its ACME account: the `caddy-data` volume.
const STORAGE_ROOT: &str = "/data";

#[derive(Serialize)]
struct Config {
    logging: Logging,
    storage: Storage,
    apps: Apps,
}

#[derive(Serialize)]
struct Logging {
    logs: BTreeMap<&'static str, Log>,
}

#[derive(Serialize)]
struct Log {
    level: &'static str,
}

#[derive(Serialize)]
struct Storage {
    module: &'static str,
    root: &'static str,
}

#[derive(Serialize)]
struct Apps {
    layer4: Layer4,
    tls: Tls,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<Http>,
}

#[derive(Serialize)]
struct Layer4 {
    servers: BTreeMap<&'static str, Layer4Server>,
}

#[derive(Serialize)]
struct Layer4Server {
    listen: Vec<String>,
    routes: Vec<Layer4Route>,
}

#[derive(Serialize)]
struct Layer4Route {
    #[serde(rename = "match")]
    matchers: Vec<Matcher>,
    handle: Vec<Handler>,
}

#[derive(Serialize)]
struct Matcher {
    tls: SniMatch,
}

#[derive(Serialize)]
struct SniMatch {
    sni: Vec<String>,
}

#[derive(Serialize)]
#[serde(tag = "handler", rename_all = "lowercase")]
enum Handler {
    Tls {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        connection_policies: Vec<ConnectionPolicy>,
    },
    Proxy {
        upstreams: Vec<Upstream>,
    },
}

#[derive(Serialize)]
struct ConnectionPolicy {
    alpn: Vec<&'static str>,
}

#[derive(Serialize)]
struct Upstream {
    dial: Vec<String>,
}

#[derive(Serialize)]
struct Tls {
    certificates: Certificates,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation: Option<Automation>,
}

/// Only written with an e-mail address or another CA: the ACME issuer then carries them.
#[derive(Serialize)]
struct Automation {
    policies: Vec<Policy>,
}

#[derive(Serialize)]
struct Policy {
    subjects: Vec<String>,
    issuers: Vec<Issuer>,
}

#[derive(Serialize)]
struct Issuer {
    module: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trusted_roots_pem_files: Vec<String>,
}

#[derive(Serialize)]
struct Certificates {
    automate: Vec<String>,
}

#[derive(Serialize)]
struct Http {
    servers: BTreeMap<&'static str, HttpServer>,
}

#[derive(Serialize)]
struct HttpServer {
    listen: Vec<String>,
    routes: Vec<HttpRoute>,
}

#[derive(Serialize)]
struct HttpRoute {
    handle: Vec<StaticResponse>,
}

#[derive(Serialize)]
struct StaticResponse {
    handler: &'static str,
    status_code: u16,
    headers: BTreeMap<&'static str, Vec<String>>,
}

/// caddy.json for the plan, pretty-printed and ending in a newline.
pub(super) fn render(plan: &Plan) -> String {
    let config = Config {
        logging: Logging {
            logs: BTreeMap::from([("default", Log { level: "INFO" })]),
        },
        storage: Storage {
            module: "file_system",
            root: STORAGE_ROOT,
        },
        apps: Apps {
            layer4: Layer4 {
                servers: BTreeMap::from([(
                    "tls_by_server_name",
                    Layer4Server {
                        listen: vec![format!(":{}", plan.web.https_port)],
                        routes: plan.routes.iter().map(layer4_route).collect(),
                    },
                )]),
            },
            tls: tls(plan),
            http: plan.web.redirect_http.then(|| redirect(plan)),
        },
    };
    // Structs of strings, numbers and string-keyed maps always serialise; an empty file would
    // still make Caddy refuse to start rather than run with a wrong config.
    let mut json = serde_json::to_string_pretty(&config).unwrap_or_default();
    json.push('\n');
    json
}

/// One host: terminate TLS on its server name, then forward the plain stream to its upstream.
fn layer4_route(route: &Route) -> Layer4Route {
    Layer4Route {
        matchers: vec![Matcher {
            tls: SniMatch {
                sni: vec![route.host.clone()],
            },
        }],
        handle: vec![
            Handler::Tls {
                // TURN clients negotiate no ALPN; the HTTP upstreams read the stream as
                // HTTP/1.1, so HTTP/2 must never be negotiated for them.
                connection_policies: if route.tcp {
                    Vec::new()
                } else {
                    vec![ConnectionPolicy {
                        alpn: vec!["http/1.1"],
                    }]
                },
            },
            Handler::Proxy {
                upstreams: vec![Upstream {
                    dial: vec![route.upstream.clone()],
                }],
            },
        ],
    }
}

/// The `tls` app: a certificate for every host, with the ACME issuer's settings when the
/// operator gave an e-mail address or another CA.
fn tls(plan: &Plan) -> Tls {
    let mut hosts: Vec<String> = Vec::new();
    for route in &plan.routes {
        if !hosts.contains(&route.host) {
            hosts.push(route.host.clone());
        }
    }
    Tls {
        automation: (plan.web.email.is_some() || plan.web.acme_ca.is_some()).then(|| Automation {
            policies: vec![Policy {
                subjects: hosts.clone(),
                issuers: vec![Issuer {
                    module: "acme",
                    email: plan.web.email.clone(),
                    ca: plan.web.acme_ca.clone(),
                    trusted_roots_pem_files: plan.web.acme_ca_root_path().into_iter().collect(),
                }],
            }],
        }),
        certificates: Certificates { automate: hosts },
    }
}

/// The `http` app: port 80 redirects everything to HTTPS.
fn redirect(plan: &Plan) -> Http {
    let port = plan.web.port_suffix();
    Http {
        servers: BTreeMap::from([(
            "http_redirect",
            HttpServer {
                listen: vec![":80".into()],
                routes: vec![HttpRoute {
                    handle: vec![StaticResponse {
                        handler: "static_response",
                        // Permanent, and unlike 301 it keeps the method and body.
                        status_code: 308,
                        headers: BTreeMap::from([(
                            "Location",
                            vec![format!(
                                "https://{{http.request.host}}{port}{{http.request.uri}}"
                            )],
                        )]),
                    }],
                }],
            },
        )]),
    }
}
