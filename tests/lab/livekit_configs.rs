//! Scenario 6 of the lab (tests/lab.rs): the real LiveKit server starts on every livekit.yaml
//! selkie writes.

use std::path::PathBuf;
use std::time::Duration;

use crate::lab::harness::{one_lab, LIVEKIT};
use crate::lab::tools;
use crate::run;

/// Scenario 6: the real LiveKit server accepts the livekit.yaml selkie writes for every preset
/// and proxy mode (its config loader refuses unknown keys), and starts on it.
#[test]
fn livekit_starts_on_every_generated_config() {
    let _one = one_lab();
    let work = tempfile::tempdir().unwrap();
    let mut configs: Vec<(String, PathBuf)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut refused = 0;
    // The operator's own images, which selkie asks for (never pulled here: --no-start).
    let images = |preset: &str| -> Vec<&'static str> {
        match preset {
            "reflector" => vec![
                "--image",
                "frontend=registry.example.com/f:1",
                "--image",
                "backend=registry.example.com/b:1",
            ],
            "hearth" => vec!["--image", "pocketbase=registry.example.com/p:1"],
            "xr-hub" => vec!["--image", "hub=registry.example.com/h:1"],
            _ => Vec::new(),
        }
    };
    for preset in ["livekit", "reflector", "xr-hub", "hearth", "private"] {
        for proxy in ["caddy", "caddy-l4", "external", "none"] {
            for (addr_flag, addr, udp) in [
                ("--domain", "meet.example.com", "range"),
                ("--ip", "203.0.113.7", "range"),
                ("--domain", "meet.example.com", "mux"),
            ] {
                let name = format!("{preset}-{proxy}-{addr_flag}-{udp}");
                let dir = work.path().join(&name);
                let mut args = vec![
                    "setup",
                    "--non-interactive",
                    "--no-start",
                    "--dir",
                    dir.to_str().unwrap(),
                    "--preset",
                    preset,
                    "--proxy",
                    proxy,
                    addr_flag,
                    addr,
                    "--udp",
                    udp,
                    "--provider",
                    "none",
                ];
                args.extend(images(preset));
                let out = run::output(&args, &["SELKIE_DIR"]);
                if out.status.code() == Some(2) && !(preset == "livekit" && proxy == "caddy") {
                    refused += 1;
                    continue; // a combination the preset refuses, with a hint
                }
                assert!(
                    out.status.success(),
                    "{name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let yaml = std::fs::read_to_string(dir.join("livekit/livekit.yaml")).unwrap();
                if seen.insert(yaml) {
                    configs.push((name, dir));
                }
            }
        }
    }
    eprintln!(
        "{} distinct livekit.yaml files; {refused} combinations refused",
        configs.len()
    );
    assert!(configs.len() >= 10, "distinct configs: {}", configs.len());
    // Each in a container of its own without a network: the loader, then the start.
    let mut started = Vec::new();
    for (name, dir) in &configs {
        let livekit = dir.join("livekit");
        let id = tools::ok(
            "docker",
            &[
                "run",
                "-d",
                "--network",
                "none",
                "-v",
                &format!("{}:/etc/livekit:ro", livekit.display()),
                LIVEKIT,
                "--config",
                "/etc/livekit/livekit.yaml",
            ],
        );
        started.push((name.clone(), id.trim().to_string()));
    }
    std::thread::sleep(Duration::from_secs(6));
    let mut failures = Vec::new();
    for (name, id) in &started {
        let running = tools::ok("docker", &["inspect", "-f", "{{.State.Running}}", id]);
        let logs = tools::run("docker", &["logs", id]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
        if running.trim() != "true" || !text.contains("starting LiveKit server") {
            failures.push(format!("{name}: running={}\n{text}", running.trim()));
        }
        let _ = tools::run("docker", &["rm", "-f", id]);
    }
    assert!(
        failures.is_empty(),
        "LiveKit refused selkie's config:\n{}",
        failures.join("\n\n")
    );
}
