//! Caddy's two configs: the Caddyfile through `caddy adapt --validate`, and the layer-4
//! caddy.json through `caddy validate` (without its layer4 app where the binary lacks it).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use selkie::answers::ProxyMode;
use serde_json::{Map, Value};

use super::{bare, cases_for, common, file, http_routes, show};

/// Runs caddy with its data and config directories under `dir`: validating `tls internal`
/// creates a local CA, which must not land in the home directory of whoever runs the tests.
fn caddy(dir: &Path, args: &[&str]) -> Output {
    Command::new(pinned_caddy())
        .args(args)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .output()
        .expect("run caddy")
}

/// The Caddy binary of the pinned version, from tests/images/build.sh's `paths.env`.
fn pinned_caddy() -> std::path::PathBuf {
    let path = std::path::PathBuf::from(crate::common::docker::built::built_value(
        "SELKIE_LAB_CADDY",
    ));
    assert!(
        path.exists(),
        "{} is missing: rerun tests/images/build.sh",
        path.display()
    );
    path
}

/// Every JSON object in the tree, depth first.
fn objects(value: &Value) -> Vec<&Map<String, Value>> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                out.push(map);
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// Every upstream address a Caddy config dials, as a string or a list of strings.
fn dials(value: &Value) -> Vec<String> {
    objects(value)
        .into_iter()
        .filter_map(|o| o.get("dial"))
        .flat_map(|d| match d {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// The first route object whose matchers name `key` with `wanted` among its values.
fn route_matching<'a>(tree: &'a Value, key: &str, wanted: &str) -> Option<&'a Map<String, Value>> {
    objects(tree).into_iter().find(|o| {
        o.get("match")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get(key).and_then(Value::as_array))
            .flatten()
            .any(|v| v == wanted)
    })
}

#[test]
fn caddyfiles_pass_caddy_adapt_validate_and_route_as_planned() {
    common::require_tool("caddy", "caddy");
    let dir = tempfile::tempdir().unwrap();
    for case in cases_for(ProxyMode::Caddy) {
        let plan = &case.plan;
        let path = dir.path().join(format!("{}.Caddyfile", case.name));
        fs::write(&path, file(plan, "caddy/Caddyfile")).unwrap();
        // --validate provisions every module as `caddy run` would, without listening or
        // contacting a CA, so it needs no network.
        let out = caddy(
            dir.path(),
            &[
                "adapt",
                "--config",
                path.to_str().unwrap(),
                "--adapter",
                "caddyfile",
                "--validate",
            ],
        );
        assert!(out.status.success(), "{}: {}", case.name, show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("not formatted"),
            "{}: the Caddyfile is not in `caddy fmt` form: {stderr}",
            case.name
        );

        let adapted: Value = serde_json::from_slice(&out.stdout).unwrap();
        let listens: Vec<&Value> = objects(&adapted["apps"]["http"]["servers"])
            .into_iter()
            .filter_map(|o| o.get("listen"))
            .flat_map(|l| l.as_array().unwrap())
            .collect();
        let https = format!(":{}", plan.web.https_port);
        assert!(
            listens.iter().any(|l| *l == &https),
            "{}: {listens:?}",
            case.name
        );
        let no_redirects = objects(&adapted)
            .into_iter()
            .any(|o| o.get("disable_redirects") == Some(&Value::Bool(true)));
        assert_eq!(no_redirects, !plan.web.redirect_http, "{}", case.name);

        for route in http_routes(plan) {
            let host = bare(&route.host);
            let site = route_matching(&adapted, "host", host)
                .unwrap_or_else(|| panic!("{}: no site for {host}", case.name));
            let site = Value::Object(site.clone());
            match &route.path {
                Some(p) => {
                    let wanted = if route.strip_prefix {
                        format!("{p}/*")
                    } else {
                        p.clone()
                    };
                    let handler = route_matching(&site, "path", &wanted)
                        .unwrap_or_else(|| panic!("{}: no route for {wanted}", case.name));
                    let handler = Value::Object(handler.clone());
                    assert!(
                        dials(&handler).contains(&route.upstream),
                        "{}: {p}",
                        case.name
                    );
                    let strips = objects(&handler)
                        .iter()
                        .any(|o| o.get("strip_path_prefix") == Some(&Value::String(p.clone())));
                    assert_eq!(strips, route.strip_prefix, "{}: {p}", case.name);
                }
                None => assert!(dials(&site).contains(&route.upstream), "{}", case.name),
            }
            if plan.web.internal_tls {
                let internal = objects(&adapted["apps"]["tls"]).into_iter().any(|o| {
                    o.get("subjects")
                        .is_some_and(|s| s.to_string().contains(host))
                        && o.get("issuers")
                            .is_some_and(|i| i.to_string().contains("internal"))
                });
                assert!(internal, "{}: {host} is not on tls internal", case.name);
            }
            if let Some(profile) = &plan.web.acme_profile {
                let ordered = objects(&adapted["apps"]["tls"]).into_iter().any(|o| {
                    o.get("subjects")
                        .is_some_and(|s| s.to_string().contains(host))
                        && o.get("issuers").is_some_and(|i| {
                            i.to_string()
                                .contains(&format!("\"profile\":\"{profile}\""))
                        })
                });
                assert!(
                    ordered,
                    "{}: {host} is not ordered under {profile}",
                    case.name
                );
            }
        }
        let turn = format!("127.0.0.1:{}", selkie::plan::TURN_TLS_PORT);
        assert!(
            !dials(&adapted).contains(&turn),
            "{}: TURN in caddy mode",
            case.name
        );
    }
}

#[test]
fn layer4_json_routes_every_host_by_sni_and_caddy_accepts_it() {
    common::require_tool("caddy", "caddy");
    let dir = tempfile::tempdir().unwrap();
    let mut saw_turn = false;
    for case in cases_for(ProxyMode::CaddyL4) {
        let plan = &case.plan;
        let text = file(plan, "caddy/caddy.json");
        let mut json: Value = serde_json::from_str(&text).unwrap();

        let servers = json["apps"]["layer4"]["servers"].as_object().unwrap();
        assert_eq!(servers.len(), 1, "{}", case.name);
        let server = servers.values().next().unwrap();
        let listen = format!(":{}", plan.web.https_port);
        assert_eq!(
            server["listen"],
            serde_json::json!([listen]),
            "{}",
            case.name
        );
        let routes = server["routes"].as_array().unwrap();
        assert_eq!(routes.len(), plan.routes.len(), "{}", case.name);
        for route in &plan.routes {
            let l4 = routes
                .iter()
                .find(|r| r["match"] == serde_json::json!([{"tls": {"sni": [route.host]}}]))
                .unwrap_or_else(|| panic!("{}: no SNI route for {}", case.name, route.host));
            assert_eq!(l4["handle"][0]["handler"], "tls", "{}", case.name);
            assert_eq!(l4["handle"][1]["handler"], "proxy", "{}", case.name);
            assert_eq!(
                l4["handle"][1]["upstreams"],
                serde_json::json!([{"dial": [route.upstream]}]),
                "{}",
                case.name
            );
            let alpn = &l4["handle"][0]["connection_policies"];
            if route.tcp {
                assert!(
                    alpn.is_null(),
                    "{}: TURN must not offer http/1.1",
                    case.name
                );
            } else {
                assert_eq!(
                    *alpn,
                    serde_json::json!([{"alpn": ["http/1.1"]}]),
                    "{}",
                    case.name
                );
            }
            if route.tcp {
                saw_turn = true;
                // No host facts in these cases: the plan falls back to loopback.
                assert_eq!(route.upstream, "127.0.0.1:5349", "{}", case.name);
                assert_eq!(
                    plan.livekit.turn.as_ref().and_then(|t| t.tls_port),
                    Some(5349),
                    "{}",
                    case.name
                );
            }
        }
        let mut hosts: Vec<&str> = plan.routes.iter().map(|r| r.host.as_str()).collect();
        hosts.dedup();
        assert_eq!(
            json["apps"]["tls"]["certificates"]["automate"],
            serde_json::json!(hosts),
            "{}",
            case.name
        );
        assert!(
            !text.contains("\"path\""),
            "{}: layer 4 routes no paths",
            case.name
        );
        assert_eq!(
            json["storage"],
            serde_json::json!({"module": "file_system", "root": "/data"})
        );
        assert_eq!(json["logging"]["logs"]["default"]["level"], "INFO");
        assert_eq!(
            json["apps"]["http"]["servers"]["http_redirect"]["listen"],
            if plan.web.redirect_http {
                serde_json::json!([":80"])
            } else {
                Value::Null
            },
            "{}",
            case.name
        );

        // Debian's caddy lacks the layer4 module, so `caddy validate` cannot check the layer4 app
        // itself: only the JSON shape asserted above covers it. Everything else (tls, http,
        // storage, logging) goes through the real validation. Should the installed caddy ever
        // have the module, the whole file is validated as it is.
        let whole = dir.path().join(format!("{}.json", case.name));
        fs::write(&whole, &text).unwrap();
        let out = caddy(
            dir.path(),
            &["validate", "--config", whole.to_str().unwrap()],
        );
        if out.status.success() {
            continue;
        }
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unknown module: layer4"),
            "{}: {}",
            case.name,
            show(&out)
        );
        json["apps"].as_object_mut().unwrap().remove("layer4");
        // Provisioning may create the storage root; /data is the container's, not this host's.
        json["storage"]["root"] = Value::String(dir.path().join("storage").display().to_string());
        let rest = dir
            .path()
            .join(format!("{}-without-layer4.json", case.name));
        fs::write(&rest, serde_json::to_string_pretty(&json).unwrap()).unwrap();
        let out = caddy(
            dir.path(),
            &["validate", "--config", rest.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}: {}", case.name, show(&out));
    }
    assert!(saw_turn, "no caddy-l4 fixture routes TURN/TLS");
}
