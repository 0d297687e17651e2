//! The external proxy's files: the nginx snippet through `nginx -t`, and the Traefik YAML's
//! cross-references.

use std::fs;
use std::process::Command;

use selkie::answers::ProxyMode;
use serde_json::{Map, Value};

use super::{cases_for, common, file, http_routes, show};

/// The server block of the snippet that serves `host` on `port`.
fn server_block<'a>(snippet: &'a str, listen: &str, host: &str) -> Option<&'a str> {
    snippet.split("\nserver {").skip(1).find(|block| {
        block.contains(&format!("\n    listen {listen};"))
            && block.lines().any(|l| {
                l.trim()
                    .strip_prefix("server_name ")
                    .is_some_and(|names| names.trim_end_matches(';').split(' ').any(|n| n == host))
            })
    })
}

#[test]
fn nginx_snippets_pass_nginx_t_and_route_as_planned() {
    common::require_tool("nginx", "nginx");
    common::require_tool("openssl", "openssl");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=selkie-test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "{}", show(&out));

    for case in cases_for(ProxyMode::External) {
        let plan = &case.plan;
        let snippet = file(plan, "proxy/nginx.conf");
        let root = dir.path().join(&case.name);

        // nginx -t loads the certificates, so every path the snippet names gets a dummy pair
        // under the temporary directory.
        let mut testable = snippet.clone();
        for line in snippet.lines().map(str::trim) {
            let (named, source) = if let Some(p) = line.strip_prefix("ssl_certificate_key ") {
                (p, &key)
            } else if let Some(p) = line.strip_prefix("ssl_certificate ") {
                (p, &cert)
            } else {
                continue;
            };
            let named = named.trim().trim_end_matches(';');
            let local = root.join(named.trim_start_matches('/'));
            fs::create_dir_all(local.parent().unwrap()).unwrap();
            fs::copy(source, &local).unwrap();
            testable = testable.replace(&format!(" {named};"), &format!(" {};", local.display()));
        }
        let snippet_path = root.join("selkie.conf");
        fs::write(&snippet_path, &testable).unwrap();
        let conf = root.join("nginx.conf");
        fs::write(
            &conf,
            format!(
                "pid {root}/nginx.pid;\nevents {{}}\nhttp {{\n    access_log off;\n    \
                 client_body_temp_path {root}/body;\n    proxy_temp_path {root}/proxy;\n    \
                 include {snippet};\n}}\n",
                root = root.display(),
                snippet = snippet_path.display()
            ),
        )
        .unwrap();
        let out = Command::new("nginx")
            .args(["-t", "-e", "stderr", "-p"])
            .arg(&root)
            .arg("-c")
            .arg(&conf)
            .output()
            .expect("run nginx");
        assert!(
            out.status.success(),
            "{}: {}\n{snippet}",
            case.name,
            show(&out)
        );

        let listen = format!("{} ssl", plan.web.https_port);
        for route in http_routes(plan) {
            let block = server_block(&snippet, &listen, &route.host).unwrap_or_else(|| {
                panic!("{}: no server for {}\n{snippet}", case.name, route.host)
            });
            let up = &route.upstream;
            let wanted = match (&route.path, route.strip_prefix) {
                (Some(p), true) => format!("location {p}/ {{\n        proxy_pass http://{up}/;"),
                (Some(p), false) => format!("location {p}/ {{\n        proxy_pass http://{up};"),
                (None, _) => format!("location / {{\n        proxy_pass http://{up};"),
            };
            assert!(
                block.contains(&wanted),
                "{}: no `{wanted}`\n{snippet}",
                case.name
            );
            if let Some(p) = &route.path {
                assert!(
                    block.contains(&format!("location = {p} {{")),
                    "{}",
                    case.name
                );
            }
            if plan.web.redirect_http {
                assert!(
                    server_block(&snippet, "80", &route.host).is_some(),
                    "{}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn traefik_routers_services_and_middlewares_agree() {
    for case in cases_for(ProxyMode::External) {
        let plan = &case.plan;
        let yaml = file(plan, "proxy/traefik.yml");
        let value: Value =
            serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{}: {e}\n{yaml}", case.name));
        let http = &value["http"];
        let routers = http["routers"].as_object().unwrap();
        let services = http["services"].as_object().unwrap();
        let empty = Map::new();
        let middlewares = http["middlewares"].as_object().unwrap_or(&empty);

        let mut used_middlewares = Vec::new();
        for (name, router) in routers {
            let service = router["service"].as_str().unwrap();
            assert!(
                services.contains_key(service),
                "{}: {name} -> {service}",
                case.name
            );
            assert_eq!(
                router["tls"],
                serde_json::json!({}),
                "{}: {name}",
                case.name
            );
            assert_eq!(router["entryPoints"], serde_json::json!(["websecure"]));
            for m in router["middlewares"].as_array().into_iter().flatten() {
                let m = m.as_str().unwrap();
                assert!(
                    middlewares.contains_key(m),
                    "{}: {name} uses {m}",
                    case.name
                );
                used_middlewares.push(m);
            }
        }
        for name in middlewares.keys() {
            assert!(
                used_middlewares.contains(&name.as_str()),
                "{}: unused {name}",
                case.name
            );
        }
        for name in services.keys() {
            let used = routers.values().any(|r| r["service"] == name.as_str());
            assert!(used, "{}: unused service {name}", case.name);
        }

        for route in http_routes(plan) {
            let host = format!("Host(`{}`)", route.host);
            let router = routers
                .values()
                .find(|r| {
                    let rule = r["rule"].as_str().unwrap();
                    rule.starts_with(&host)
                        && match &route.path {
                            Some(p) => rule.contains(&format!("PathPrefix(`{p}/`)")),
                            None => rule == host,
                        }
                })
                .unwrap_or_else(|| panic!("{}: no router for {route:?}\n{yaml}", case.name));
            let service = &services[router["service"].as_str().unwrap()];
            assert_eq!(
                service["loadBalancer"]["servers"],
                serde_json::json!([{"url": format!("http://{}", route.upstream)}]),
                "{}",
                case.name
            );
            let strips: Vec<&Value> = router["middlewares"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| &middlewares[m.as_str().unwrap()]["stripPrefix"]["prefixes"])
                .collect();
            match (&route.path, route.strip_prefix) {
                (Some(p), true) => assert_eq!(strips, [&serde_json::json!([p])], "{}", case.name),
                _ => assert!(strips.is_empty(), "{}", case.name),
            }
        }
    }
}
