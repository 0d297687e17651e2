//! The proxy configs of every fixture plan, checked by the real tools: `caddy adapt --validate`
//! for the Caddyfile, `caddy validate` for caddy.json (without its layer-4 app, see below),
//! `nginx -t` for the nginx snippet, and cross-references of the Traefik YAML. Caddy is the
//! version selkie pins (2.10.2, built by tests/images/build.sh: Debian's is too old for ACME
//! profiles). A missing tool fails the test rather than skipping it: CI installs nginx and
//! openssl, and runs build.sh.

#[path = "proxy_configs/caddy.rs"]
mod caddy;
mod common;
#[path = "proxy_configs/external.rs"]
mod external;

use std::process::Output;

use selkie::answers::ProxyMode;
use selkie::plan::{Plan, Route};
use selkie::render;

fn file(plan: &Plan, path: &str) -> String {
    render::public_files(plan)
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} for --proxy {}", plan.proxy))
        .contents
}

fn cases_for(proxy: ProxyMode) -> Vec<common::Case> {
    let cases: Vec<_> = common::cases()
        .into_iter()
        .filter(|c| c.plan.proxy == proxy)
        .collect();
    assert!(!cases.is_empty(), "no fixture uses --proxy {proxy}");
    cases
}

fn http_routes(plan: &Plan) -> impl Iterator<Item = &Route> {
    plan.routes.iter().filter(|r| !r.tcp)
}

fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The proxy files of a plan: whatever its mode writes.
fn proxy_files(plan: &Plan) -> Vec<render::RenderedFile> {
    render::public_files(plan)
        .into_iter()
        .filter(|f| f.path.starts_with("caddy/") || f.path.starts_with("proxy/"))
        .collect()
}

#[test]
fn every_route_appears_in_every_proxy_output() {
    let mut checked = 0;
    for case in common::cases() {
        for f in proxy_files(&case.plan) {
            checked += 1;
            let layer4 = f.path == "caddy/caddy.json";
            for route in case.plan.routes.iter().filter(|r| layer4 || !r.tcp) {
                let port = route.upstream.rsplit(':').next().unwrap();
                assert!(
                    f.contents.contains(&route.host),
                    "{} {}: no {}",
                    case.name,
                    f.path,
                    route.host
                );
                assert!(
                    f.contents.contains(&format!("127.0.0.1:{port}")),
                    "{} {}: no upstream {port}",
                    case.name,
                    f.path
                );
                if let Some(p) = &route.path {
                    assert!(
                        f.contents.contains(p.as_str()),
                        "{} {}: no {p}",
                        case.name,
                        f.path
                    );
                }
            }
            if !layer4 {
                let turn = format!("127.0.0.1:{}", selkie::plan::TURN_TLS_PORT);
                assert!(
                    !f.contents.contains(&turn),
                    "{} {}: TURN",
                    case.name,
                    f.path
                );
            }
        }
    }
    assert!(checked > 0, "no fixture has a proxy file");
}

#[test]
fn no_public_file_holds_a_secret() {
    for case in common::cases() {
        let secrets = common::fake_secrets(&case.plan);
        for f in render::public_files(&case.plan) {
            for value in secrets.values() {
                assert!(
                    !f.contents.contains(value),
                    "{}: {} holds a secret",
                    case.name,
                    f.path
                );
            }
        }
    }
}
