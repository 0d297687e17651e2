//! `selkie status --once` and `--json`: a fresh setup, a killed LiveKit and its repair, mux mode.

use std::time::Instant;

use super::{assert_all_healthy, d, find, selkie, table, text, Deployment, LIVEKIT};

#[test]
fn a_fresh_setup_is_healthy_in_the_table_and_the_json() {
    let _serial = d::serial();
    let dep = Deployment::setup();
    let ssh = dep.ssh_label();
    healthy_tables(&dep, &ssh);
    healthy_json(&dep, &ssh);
}

/// The table setup ends with, and `status --once`'s: everything healthy.
fn healthy_tables(dep: &Deployment, ssh: &str) {
    // Setup ends with the status table (stdout is not a terminal here).
    let setup = &dep.setup_output;
    assert!(setup.contains("All 2 services are healthy"), "{setup}");
    let from = setup
        .find("selkie status: ")
        .unwrap_or_else(|| panic!("no status table after setup:\n{setup}"));
    assert_all_healthy(&setup[from..], ssh);

    let started = Instant::now();
    let out = dep.status(&["--once"]);
    let took = started.elapsed();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_all_healthy(&String::from_utf8_lossy(&out.stdout), ssh);
    eprintln!("status --once (healthy) took {took:?}");
    assert!(
        t.contains("Public ports judged at 127.0.0.1 (the plan's address)"),
        "{t}"
    );
    assert!(t.contains("cannot be seen from the server itself"), "{t}");
    let checks = table(&t, "CHECK");
    assert!(
        find(&checks, "CHECK", "3478/udp")
            .get("MESSAGE")
            .starts_with("binding answered"),
        "coturn answered the binding request:\n{t}"
    );
    assert_eq!(
        find(&checks, "CHECK", "7880/tcp").get("MESSAGE"),
        "OK",
        "{t}"
    );
}

/// `status --json`: the services and every check healthy.
fn healthy_json(dep: &Deployment, ssh: &str) {
    let out = dep.status(&["--json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json printed no JSON ({e}):\n{t}"));
    assert_eq!(json["overall"], "healthy", "{json:#}");
    assert_eq!(json["docker"]["state"], "connected", "{json:#}");
    let services = json["services"].as_array().expect("services");
    for name in ["livekit", "caddy"] {
        let s = services
            .iter()
            .find(|s| s["service"] == name)
            .unwrap_or_else(|| panic!("no service {name}: {json:#}"));
        assert_eq!(s["state"], "running", "{s:#}");
        assert_eq!(s["status"], "healthy", "{s:#}");
        assert_eq!(s["container"], format!("selkie-{name}"), "{s:#}");
    }
    json_checks(&json, ssh);
}

/// The checks of a healthy deployment's `status --json`, each as the probe left it.
fn json_checks(json: &serde_json::Value, ssh: &str) {
    let checks = json["checks"].as_array().expect("checks");
    let check = |label: &str| {
        checks
            .iter()
            .find(|c| c["label"] == label)
            .unwrap_or_else(|| panic!("no check {label}: {json:#}"))
    };
    let stun = check("3478/udp");
    assert_eq!(stun["kind"], "stun");
    assert_eq!(stun["status"], "healthy", "{stun:#}");
    assert!(
        stun["message"]
            .as_str()
            .unwrap()
            .starts_with("binding answered"),
        "{stun:#}"
    );
    assert!(stun["latency"].as_f64().is_some(), "{stun:#}");
    let tls = check("443/tcp");
    assert_eq!(tls["kind"], "tls");
    assert_eq!(
        tls["status"], "healthy",
        "Caddy's short-lived internal certificate: {tls:#}"
    );
    assert!(
        tls["message"]
            .as_str()
            .unwrap()
            .contains("Caddy Local Authority"),
        "{tls:#}"
    );
    // Trusted through Caddy's admin API as the deployment's own CA, not by the system.
    assert!(
        tls["message"]
            .as_str()
            .unwrap()
            .contains("this deployment's own CA"),
        "{tls:#}"
    );
    // The plan's address is this host's (127.0.0.1 here), so public ports are judged there,
    // and the JSON says so once, with what no probe from here can see.
    assert_eq!(json["judged_from"]["addresses"][0], "127.0.0.1", "{json:#}");
    assert_eq!(json["judged_from"]["how"], "the plan's address", "{json:#}");
    assert!(
        json["unseen"].as_str().unwrap().contains("selkie check"),
        "{json:#}"
    );
    let node_ip = check("node_ip");
    assert_eq!(node_ip["status"], "healthy", "{node_ip:#}");
    assert!(
        node_ip["message"]
            .as_str()
            .unwrap()
            .starts_with("node_ip is set to 127.0.0.1"),
        "{node_ip:#}"
    );
    assert_eq!(check("7880/tcp")["kind"], "http");
    assert_eq!(check("7881/tcp")["kind"], "tcp");
    assert_eq!(
        check("7881/tcp")["status"],
        "healthy",
        "the stand-in's rtc.tcp_port"
    );
    assert_eq!(check(ssh)["status"], "healthy");
    for c in checks.iter().filter(|c| c["required"] == true) {
        assert!(
            c["status"] == "healthy" || c["status"] == "unknown",
            "{c:#}"
        );
    }
    // Last, so that everything above is checked whatever this says: a check's `kind` in the
    // JSON is the word the table shows (`bound`, not serde's `udp-bound`).
    let range = check("50000-50119/udp");
    assert_eq!(
        range["kind"],
        selkie::health::ProbeKind::UdpBound.as_str(),
        "the table says `bound` for this check; the JSON must use the same word: {range:#}"
    );
    let mut kinds: Vec<&str> = checks.iter().filter_map(|c| c["kind"].as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["addr", "bound", "http", "stun", "tcp", "tls"],
        "{json:#}"
    );
}

#[test]
fn a_killed_livekit_is_down_until_setup_resume_restores_it() {
    let _serial = d::serial();
    let dep = Deployment::setup();
    let ssh = dep.ssh_label();
    assert_eq!(dep.status(&["--once"]).status.code(), Some(0));

    d::docker_ok(&["kill", LIVEKIT]);
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(" - DOWN"), "{t}");
    let services = table(&t, "SERVICE");
    let livekit = find(&services, "SERVICE", "livekit");
    assert_eq!(livekit.get("STATUS"), "down", "{t}");
    assert_eq!(livekit.get("STATE"), "exited", "{t}");
    let caddy = find(&services, "SERVICE", "caddy");
    assert_eq!(caddy.get("STATUS"), "healthy", "{t}");
    let checks = table(&t, "CHECK");
    for label in ["7880/tcp", "7881/tcp", "3478/udp"] {
        assert_eq!(
            find(&checks, "CHECK", label).get("RESULT"),
            "down",
            "{label}:\n{t}"
        );
    }
    for label in [ssh.as_str(), "80/tcp"] {
        assert_eq!(
            find(&checks, "CHECK", label).get("RESULT"),
            "healthy",
            "{label}:\n{t}"
        );
    }
    // The error names what failed and says what to do.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("livekit") && stderr.contains("7880/tcp"),
        "{stderr}"
    );
    assert!(stderr.contains("selkie setup --resume"), "{stderr}");

    let out = selkie(&["setup", "--resume", "--non-interactive", "--dir", dep.dir()]);
    assert!(out.status.success(), "setup --resume:\n{}", text(&out));
    // setup waited for LiveKit's health and the stand-in binds its UDP ports before it serves:
    // the first round after setup must be healthy.
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "after setup --resume:\n{t}");
    assert_all_healthy(&String::from_utf8_lossy(&out.stdout), &ssh);
}

#[test]
fn in_mux_mode_the_one_media_port_is_bound() {
    let _serial = d::serial();
    let dep = Deployment::setup_with(&["--udp", "mux"]);
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let checks = table(&t, "CHECK");
    let mux = find(&checks, "CHECK", "7882/udp");
    assert_eq!(mux.get("KIND"), "bound", "{t}");
    assert_eq!(mux.get("RESULT"), "healthy", "{t}");
    assert_eq!(
        find(&checks, "CHECK", "3478/udp").get("RESULT"),
        "healthy",
        "{t}"
    );
    assert!(
        !checks.iter().any(|c| c.get("CHECK").contains('-')),
        "no port range in mux mode:\n{t}"
    );
}
