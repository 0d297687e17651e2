//! What the lab's scenarios share: selkie run in the server namespace against the lab's daemon,
//! a healthy setup or a clear failure with the containers' logs, a resumed setup, waiting for a
//! certificate the client trusts, `status --json` and `plan --json`, and a domain deployment
//! (behind Caddy or layer 4) with Pebble as its CA. Test scaffolding, used by every lab test
//! binary (each uses part of it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::acme;
use super::net::{Lab, SERVER_IP};
use super::tools;

pub const LIVEKIT: &str = "livekit/livekit-server:v1.13.5";
pub const CADDY: &str = "caddy:2.10.2";
pub const CADDY_L4: &str = "livekit/caddyl4:v2.11.4";

/// One lab at a time: the namespaces are cheap, the Docker daemon and its data root are not.
pub static ONE_LAB: Mutex<()> = Mutex::new(());

pub fn one_lab() -> std::sync::MutexGuard<'static, ()> {
    ONE_LAB.lock().unwrap_or_else(|p| p.into_inner())
}

/// `selkie ARGS` in the server namespace, against the lab's daemon.
pub fn selkie(lab: &Lab, args: &[&str]) -> Output {
    lab.on_server(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env("DOCKER_HOST", lab.docker_host())
        .env_remove("SELKIE_DIR")
        .output()
        .expect("run selkie")
}

/// `selkie setup --non-interactive --dir DIR --provider none ARGS`, which must succeed (the
/// stack healthy): what it printed.
pub fn setup(lab: &Lab, dir: &Path, args: &[&str]) -> String {
    let out = setup_ok(lab, dir, &[&["--provider", "none"], args].concat());
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `selkie setup --resume --non-interactive --dir DIR ARGS` on a deployment set up before, which
/// must succeed (the stack healthy): what it printed on stdout.
pub fn resume(lab: &Lab, dir: &Path, args: &[&str]) -> String {
    let out = setup_ok(lab, dir, &[&["--resume"], args].concat());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `selkie setup --non-interactive --dir DIR --health-timeout 90 ARGS`; a failure panics with
/// what it printed and the containers' logs.
fn setup_ok(lab: &Lab, dir: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "setup",
        "--non-interactive",
        "--dir",
        dir.to_str().unwrap(),
        "--health-timeout",
        "90",
    ];
    all.extend_from_slice(args);
    let out = selkie(lab, &all);
    if !out.status.success() {
        let logs = lab.docker(&["logs", "--tail", "40", "selkie-livekit"]);
        let caddy = lab.docker(&["logs", "--tail", "40", "selkie-caddy"]);
        panic!(
            "selkie {} failed:\n{}{}\nLiveKit:\n{}{}\nCaddy:\n{}{}",
            all.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr),
            String::from_utf8_lossy(&caddy.stdout),
            String::from_utf8_lossy(&caddy.stderr),
        );
    }
    out
}

/// Waits until the client can fetch `url` over HTTPS trusting only `ca` (the certificate was
/// issued), at most 90 s.
pub fn wait_for_certificate(lab: &Lab, url: &str, ca: &Path, pebble: Option<&acme::Pebble>) {
    let started = Instant::now();
    loop {
        let out = lab
            .on_client("curl")
            .args(["-s", "--max-time", "5", "-o", "/dev/null", "--cacert"])
            .arg(ca)
            .arg(url)
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let caddy = lab.docker(&["logs", "--tail", "60", "selkie-caddy"]);
            let ps = lab.docker(&["ps", "-a"]);
            panic!(
                "{url} never served a certificate the client trusts:\n{}\n{}\nCaddy:\n{}{}\nPebble:\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&ps.stdout),
                String::from_utf8_lossy(&caddy.stdout),
                String::from_utf8_lossy(&caddy.stderr),
                pebble.map(|p| p.log()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// `selkie status --json` in the server namespace, trusting `ca` as a browser given it would.
pub fn status_json(lab: &Lab, dir: &Path, ca: &Path) -> serde_json::Value {
    let out = lab
        .on_server(env!("CARGO_BIN_EXE_selkie"))
        .args(["status", "--json", "--dir", dir.to_str().unwrap()])
        .env("DOCKER_HOST", lab.docker_host())
        .env("SSL_CERT_FILE", ca)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "selkie status --json printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The labels of checks that are not healthy (a UDP range idle between calls is `unknown`, not a
/// failure).
pub fn failing_checks(status: &serde_json::Value) -> Vec<String> {
    status["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] != "healthy" && c["status"] != "unknown")
        .map(|c| c["label"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The deployment directory of a scenario, inside the lab's run directory.
pub fn deployment(lab: &Lab, name: &str) -> PathBuf {
    lab.run.join(format!("deploy-{name}"))
}

/// A lab whose daemon has LiveKit (and `proxy`'s image, for a proxy selkie runs), where selkie
/// has set up the livekit preset at the server's address behind `proxy`, with `extra` flags:
/// the lab and the deployment directory `name`.
pub fn at_ip(name: &str, proxy: &str, extra: &[&str]) -> (Lab, PathBuf) {
    let mut lab = Lab::new();
    match proxy {
        "caddy" => lab.start_docker(&[LIVEKIT, CADDY]),
        "caddy-l4" => lab.start_docker(&[LIVEKIT, CADDY_L4]),
        _ => lab.start_docker(&[LIVEKIT]),
    }
    let dir = deployment(&lab, name);
    let mut args = vec!["--ip", SERVER_IP, "--proxy", proxy];
    args.extend_from_slice(extra);
    setup(&lab, &dir, &args);
    (lab, dir)
}

/// LiveKit's own answer on its signalling port, from the server.
pub fn livekit_root(lab: &Lab) -> String {
    let out = lab
        .on_server("curl")
        .args(["-s", "http://127.0.0.1:7880/"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A domain deployment whose certificate comes from Pebble over the link: the lab, the
/// deployment directory, Pebble's issuing root (which the client trusts), the LiveKit URL of the
/// plan, and Pebble itself, last so that it is dropped before the lab (it runs in the lab's client
/// namespace).
pub type Domain = (Lab, PathBuf, PathBuf, String, acme::Pebble);

/// The livekit preset at meet.lab.test behind Caddy, its certificate from Pebble.
pub fn caddy_domain() -> Domain {
    domain_with_pebble("caddy", CADDY, &["meet.lab.test"])
}

/// The livekit preset at meet.lab.test behind Caddy's layer-4 routing on 443 (LiveKit, and
/// TURN/TLS at turn.meet.lab.test), its certificates from Pebble.
pub fn layer4_domain() -> Domain {
    domain_with_pebble(
        "caddy-l4",
        CADDY_L4,
        &["meet.lab.test", "turn.meet.lab.test"],
    )
}

/// selkie sets up the livekit preset at meet.lab.test behind `proxy` (image `proxy_image`),
/// with Pebble as its ACME CA; returns once the LiveKit URL serves a certificate the client
/// trusts. `names` resolve to the server on both sides.
fn domain_with_pebble(proxy: &str, proxy_image: &str, names: &[&str]) -> Domain {
    let mut lab = Lab::new();
    lab.start_docker(&[LIVEKIT, proxy_image]);
    lab.client_hosts(names);
    let pebble = acme::Pebble::start(&lab);
    let dir = deployment(&lab, proxy);
    setup(
        &lab,
        &dir,
        &[
            "--domain",
            "meet.lab.test",
            "--proxy",
            proxy,
            "--acme-ca",
            &acme::directory(),
            "--acme-ca-root",
            pebble.endpoint_root.to_str().unwrap(),
        ],
    );
    let root = pebble.issuing_root(&lab);
    let url = plan_json(&lab, &dir)["urls"]["livekit"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for_certificate(
        &lab,
        &url.replace("wss://", "https://"),
        &root,
        Some(&pebble),
    );
    // Caddy orders each name's certificate on its own: the other names (TURN's, behind the
    // layer-4 route) may come a little later than the LiveKit URL's.
    for name in names.iter().filter(|n| !url.contains(*n)) {
        wait_for_tls(&lab, name, &root);
    }
    (lab, dir, root, url, pebble)
}

/// Waits (at most 90 s) until `name` on port 443 completes a TLS handshake with a certificate
/// `ca` verifies, whatever protocol runs inside it.
fn wait_for_tls(lab: &Lab, name: &str, ca: &Path) {
    let started = Instant::now();
    loop {
        let out = lab
            .on_client("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("{name}:443"),
                "-servername",
                name,
            ])
            .args(["-verify_return_error", "-CAfile"])
            .arg(ca)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{name}:443 never served a certificate the client trusts:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// `selkie plan --json` of a deployment.
pub fn plan_json(lab: &Lab, dir: &Path) -> serde_json::Value {
    let out = selkie(lab, &["plan", "--json", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "selkie plan --json failed");
    serde_json::from_slice(&out.stdout).expect("plan JSON")
}

/// Starts nginx in the server namespace with the deployment's snippet, serving a certificate for
/// the server's address from a lab CA; returns that CA.
pub fn nginx_with_snippet(lab: &Lab, dir: &Path) -> PathBuf {
    assert!(
        Path::new("/usr/sbin/nginx").exists(),
        "the external-proxy scenario needs nginx: apt-get install nginx"
    );
    let run = lab.run.join("nginx");
    std::fs::create_dir_all(run.join("tmp")).unwrap();
    let r = run.display();
    tools::ok(
        "bash",
        &[
            "-c",
            &format!(
                "set -e; cd {r}
                 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                   -subj /CN=selkie-lab-nginx-ca -keyout ca.key -out ca.pem 2>/dev/null
                 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server \
                   -keyout privkey.pem -out req.csr 2>/dev/null
                 printf 'subjectAltName=IP:{SERVER_IP}\\n' > ext.cnf
                 openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                   -extfile ext.cnf -out fullchain.pem 2>/dev/null"
            ),
        ],
    );
    let snippet = std::fs::read_to_string(dir.join("proxy/nginx.conf"))
        .unwrap()
        .replace(&format!("/etc/ssl/selkie/{SERVER_IP}/"), &format!("{r}/"));
    std::fs::write(run.join("selkie.conf"), snippet).unwrap();
    std::fs::write(
        run.join("nginx.conf"),
        format!(
            "# selkie-lab-nginx\nworker_processes 1;\npid {r}/nginx.pid;\nerror_log {r}/error.log;\n\
             events {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {r}/tmp;\n  \
             proxy_temp_path {r}/tmp;\n  fastcgi_temp_path {r}/tmp;\n  uwsgi_temp_path {r}/tmp;\n  \
             scgi_temp_path {r}/tmp;\n  include {r}/selkie.conf;\n}}\n"
        ),
    )
    .unwrap();
    let conf = run.join("nginx.conf");
    let test = lab
        .on_server("/usr/sbin/nginx")
        .args(["-t", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "nginx -t refuses selkie's snippet: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let started = lab
        .on_server("/usr/sbin/nginx")
        .arg("-c")
        .arg(&conf)
        .status()
        .unwrap();
    assert!(
        started.success(),
        "nginx did not start: {}",
        tools::tail(&run.join("error.log"), 20)
    );
    run.join("ca.pem")
}

/// Stops the nginx [`nginx_with_snippet`] started.
pub fn stop_nginx(lab: &Lab) {
    let conf = lab.run.join("nginx/nginx.conf");
    let stopped = lab
        .on_server("/usr/sbin/nginx")
        .args(["-s", "stop", "-c"])
        .arg(&conf)
        .status()
        .unwrap();
    assert!(stopped.success(), "nginx -s stop");
}
