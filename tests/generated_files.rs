//! Checks over every file selkie writes, for every preset x proxy mode x domain/IP.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use selkie::render;

/// Keys of the reference list that the pinned v1.13.5 server does not know yet.
fn newer_than_pinned(notes: &str) -> bool {
    [
        "added after v1.13.5",
        "master only",
        "newest mediatransportutil only",
        "newer key",
    ]
    .iter()
    .any(|n| notes.contains(n))
}

/// The reference list of livekit-server config keys, minus the ones newer than the pinned image.
fn known_keys() -> BTreeSet<String> {
    let text = include_str!("data/livekit-config-keys.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let key = cols.next()?;
            let notes = cols.nth(1).unwrap_or_default();
            (!newer_than_pinned(notes)).then(|| key.to_string())
        })
        .collect()
}

fn dotted_paths(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(path.clone());
                dotted_paths(v, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                dotted_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_livekit_yaml_uses_only_keys_the_pinned_server_knows() {
    let known = known_keys();
    assert!(known.contains("rtc.port_range_start") && known.contains("turn.external_tls"));
    assert!(
        !known.contains("rtc.enable_warp"),
        "keys newer than the pinned image are excluded"
    );
    for case in common::cases() {
        let yaml = render::livekit::yaml(&case.plan);
        let value: serde_json::Value = serde_saphyr::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{}: livekit.yaml does not parse: {e}\n{yaml}", case.name));
        let mut paths = Vec::new();
        dotted_paths(&value, "", &mut paths);
        assert!(paths.len() > 5, "{}: suspiciously few keys", case.name);
        for path in paths {
            // `keys` maps API keys to secrets; its children are data, not config keys.
            if path.starts_with("keys.") {
                continue;
            }
            assert!(
                known.contains(&path),
                "{}: livekit.yaml key `{path}` is not in the reference list",
                case.name
            );
        }
    }
}

#[test]
fn the_livekit_image_is_pinned_and_ip_deployments_advertise_their_address() {
    for case in common::cases() {
        let livekit = case
            .plan
            .service(&selkie::role::Role::from_name("livekit"))
            .expect("every plan runs LiveKit");
        assert!(
            !livekit.image.is_floating(),
            "{}: {}",
            case.name,
            livekit.image
        );
        let yaml = render::livekit::yaml(&case.plan);
        let config: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        let rtc = &config["rtc"];
        if case.answers.ip.is_some() {
            assert_eq!(rtc["node_ip"], common::IP, "{}:\n{yaml}", case.name);
            assert_eq!(rtc["use_external_ip"], false, "{}:\n{yaml}", case.name);
        } else {
            assert!(rtc.get("node_ip").is_none(), "{}:\n{yaml}", case.name);
            assert_eq!(rtc["use_external_ip"], true, "{}:\n{yaml}", case.name);
        }
        // Signalling is never public when a proxy (or the app) is in front.
        let public_signal = case.plan.public_ports().any(|p| {
            p.port == selkie::plan::SIGNAL_PORT && p.proto == selkie::transport::Proto::Tcp
        });
        assert_eq!(
            public_signal,
            case.answers.proxy == selkie::answers::ProxyMode::None
                && case.preset.livekit.signal.is_none(),
            "{}",
            case.name
        );
    }
}

#[test]
fn no_secret_reaches_a_file_that_is_not_marked_secret() {
    for case in common::cases() {
        let secrets = common::fake_secrets(&case.plan);
        let files = render::all(&case.plan, &secrets).unwrap();
        for file in files.iter().filter(|f| !f.secret) {
            for value in secrets.values() {
                assert!(
                    !file.contents.contains(value),
                    "{}: {} holds a secret",
                    case.name,
                    file.path
                );
            }
        }
        let keys = files
            .iter()
            .find(|f| f.path == "livekit/keys.yaml")
            .unwrap();
        assert!(keys.secret && keys.contents.contains(&secrets.livekit_api_secret));
    }
}

#[test]
fn the_compose_export_passes_docker_compose_config() {
    common::require_tool("docker-compose", "docker-compose");
    for case in common::cases() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = common::fake_secrets(&case.plan);
        for file in render::all(&case.plan, &secrets).unwrap() {
            let path = dir.path().join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.contents).unwrap();
        }
        let out = Command::new("docker-compose")
            .args(["-f", "docker-compose.yml", "config", "-q"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: docker-compose config failed:\n{}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let compose: serde_json::Value =
            serde_saphyr::from_str(&render::compose::compose(&case.plan)).unwrap();
        for service in &case.plan.services {
            let entry = &compose["services"][service.name.as_str()];
            assert_eq!(entry["image"], service.image.as_str(), "{}", case.name);
            for port in entry["ports"].as_array().into_iter().flatten() {
                let port = port.as_str().unwrap();
                let public = case.plan.ports.iter().any(|p| {
                    p.service == service.name
                        && p.exposure == selkie::plan::Exposure::Public
                        && port.contains(&format!(":{}", p.port))
                });
                assert!(
                    port.starts_with("127.0.0.1:") || public,
                    "{}: {} publishes {port} beyond loopback",
                    case.name,
                    service.name
                );
            }
        }
    }
}

#[test]
fn the_sysctl_drop_in_always_raises_udp_buffers() {
    for case in common::cases() {
        let text = render::public_files(&case.plan)
            .into_iter()
            .find(|f| f.path == "sysctl/99-selkie.conf")
            .unwrap()
            .contents;
        assert!(
            text.contains("net.core.rmem_max = 5000000"),
            "{}",
            case.name
        );
        let media = &case.plan.media;
        if media.start >= 32768 && media.end <= 60999 {
            assert!(
                text.contains("net.ipv4.ip_local_reserved_ports"),
                "{}:\n{text}",
                case.name
            );
        }
    }
}

#[test]
fn keys_yaml_holds_the_key_and_nothing_else() {
    // Every value that passes the secrets check is a plain YAML scalar: one key, one value.
    for _ in 0..50 {
        let s = selkie::secrets::Secrets::generate(&[]).unwrap();
        let text = render::livekit::keys(&s);
        let map: std::collections::BTreeMap<String, String> =
            serde_saphyr::from_str(&text).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map[&s.livekit_api_key], s.livekit_api_secret);
    }
}
