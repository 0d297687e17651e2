//! The server's public address from its cloud's metadata service, for real: selkie runs in a
//! network namespace of its own where a metadata responder listens at 169.254.169.254. The
//! responder is test scaffolding (a small Python HTTP server speaking each provider's protocol:
//! AWS IMDSv2's token PUT, Google's Metadata-Flavor header, Azure's Metadata header and
//! api-version, DigitalOcean's and Hetzner's plain paths, Linode's token PUT, Vultr's JSON),
//! not a stand-in for selkie's code. No interface of the namespace holds an internet address, so
//! selkie must ask; the plan's LiveKit `node_ip` must be the address the responder gave.
//!
//! Needs root, `ip` (iproute2) and python3; fails, never skips, without them. Nothing touches
//! the machine's own network: each namespace is made and removed by the test.

#[path = "common/run.rs"]
mod run;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RESPONDER: &str = r#"
import http.server, json, sys
flavour, address = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
    def do_PUT(self):
        h = self.headers
        if flavour == "aws" and self.path == "/latest/api/token" and h.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, "aws-token")
        if flavour == "linode" and self.path == "/v1/token" and h.get("Metadata-Token-Expiry-Seconds"):
            return self.reply(200, "linode-token")
        self.reply(404, "")
    def do_GET(self):
        h, p = self.headers, self.path
        if flavour == "aws" and p == "/latest/meta-data/public-ipv4":
            if h.get("X-aws-ec2-metadata-token") != "aws-token": return self.reply(401, "")
            return self.reply(200, address)
        if flavour == "gcp" and p == "/computeMetadata/v1/instance/network-interfaces/0/access-configs/0/external-ip":
            if h.get("Metadata-Flavor") != "Google": return self.reply(403, "")
            return self.reply(200, address, [("Metadata-Flavor", "Google")])
        if flavour == "azure" and p.startswith("/metadata/instance/network/interface/0/ipv4/ipAddress/0/publicIpAddress?"):
            if h.get("Metadata") != "true" or "api-version=" not in p: return self.reply(400, "")
            return self.reply(200, address)
        if flavour == "digitalocean" and p == "/metadata/v1/interfaces/public/0/ipv4/address":
            return self.reply(200, address + "\n")
        if flavour == "hetzner" and p == "/hetzner/v1/metadata/public-ipv4":
            return self.reply(200, address)
        if flavour == "linode" and p == "/v1/network":
            if h.get("Metadata-Token") != "linode-token": return self.reply(401, "")
            return self.reply(200, json.dumps({"ipv4": {"public": [address + "/32"], "private": []}}))
        if flavour == "vultr" and p == "/v1.json":
            return self.reply(200, json.dumps({"interfaces": [{"ipv4": {"address": address}, "network-type": "public"}]}))
        self.reply(404, "")
s = http.server.ThreadingHTTPServer(("169.254.169.254", 80), H)
print("ready", flush=True)
s.serve_forever()
"#;

/// A network namespace with only loopback, which also holds the metadata address; removed when
/// dropped.
struct Ns(String);

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?} failed (this test needs root and iproute2): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Ns {
    fn new(tag: &str) -> Ns {
        let name = format!("selkie-md-{}-{tag}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Ns(name);
        ip(&["-n", &ns.0, "link", "set", "lo", "up"]);
        ns
    }

    /// The metadata address on loopback, where the responder binds.
    fn with_metadata_address(self) -> Ns {
        ip(&[
            "-n",
            &self.0,
            "addr",
            "add",
            "169.254.169.254/32",
            "dev",
            "lo",
        ]);
        self
    }

    /// A default route out of a veth whose other end holds no address, with the gateway's
    /// link address fixed: packets to the metadata address leave and nothing ever answers (a
    /// dead service, as on a cloud whose metadata is switched off).
    fn with_black_hole(self) -> Ns {
        let n = &self.0;
        ip(&[
            "-n", n, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]);
        ip(&["-n", n, "addr", "add", "10.9.9.2/24", "dev", "v0"]);
        ip(&["-n", n, "link", "set", "v0", "up"]);
        ip(&["-n", n, "link", "set", "v1", "up"]);
        ip(&[
            "-n",
            n,
            "neigh",
            "add",
            "10.9.9.1",
            "lladdr",
            "02:00:00:00:00:01",
            "dev",
            "v0",
            "nud",
            "permanent",
        ]);
        ip(&["-n", n, "route", "add", "default", "via", "10.9.9.1"]);
        self
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0, program]);
        c
    }

    /// The responder for `flavour`, answering `address`; returns once it listens.
    fn responder(&self, flavour: &str, address: &str) -> Responder {
        let mut child = self
            .command("python3")
            .args(["-c", RESPONDER, flavour, address])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the metadata responder (python3)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the responder did not start");
        Responder(child)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

struct Responder(Child);

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A DMI tree naming the provider as its hypervisor would.
fn dmi(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, value) in files {
        std::fs::write(dir.join(name), format!("{value}\n")).unwrap();
    }
}

/// `selkie setup` (nothing started) then `selkie plan --json` in the namespace: LiveKit's
/// node_ip and use_external_ip from the plan, and how long the plan command took.
fn plan_in(ns: &Ns, dmi_dir: &Path) -> (Option<String>, bool, Duration) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("deploy");
    let selkie = |args: &[&str]| {
        let started = Instant::now();
        let mut cmd = ns.command(run::BIN);
        cmd.args(args)
            .arg("--dir")
            .arg(&dir)
            .env("SELKIE_DMI_DIR", dmi_dir)
            .env("DOCKER_HOST", "unix:///nonexistent.sock");
        let out = run::unset(&mut cmd, run::CALLER_ENV).output().unwrap();
        assert!(
            out.status.success(),
            "selkie {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.stdout, started.elapsed())
    };
    selkie(&[&run::FRESH[..], &["--ssh-port", "22"]].concat());
    let (json, took) = selkie(&["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json).expect("plan JSON");
    let lk = &plan["livekit"];
    (
        lk["node_ip"].as_str().map(str::to_string),
        lk["use_external_ip"].as_bool().unwrap_or(false),
        took,
    )
}

#[test]
fn each_clouds_metadata_service_gives_livekit_its_public_address() {
    type Dmi<'a> = &'a [(&'a str, &'a str)];
    let flavours: &[(&str, Dmi, &str)] = &[
        ("aws", &[("sys_vendor", "Amazon EC2")], "198.51.100.11"),
        (
            "gcp",
            &[("product_name", "Google Compute Engine")],
            "198.51.100.12",
        ),
        (
            "azure",
            &[("chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77")],
            "198.51.100.13",
        ),
        (
            "digitalocean",
            &[("sys_vendor", "DigitalOcean")],
            "198.51.100.14",
        ),
        ("hetzner", &[("sys_vendor", "Hetzner")], "198.51.100.15"),
        ("linode", &[("sys_vendor", "Akamai")], "198.51.100.16"),
        ("vultr", &[("sys_vendor", "Vultr")], "198.51.100.17"),
    ];
    let work = tempfile::tempdir().unwrap();
    for (flavour, files, address) in flavours {
        let ns = Ns::new(flavour).with_metadata_address();
        let _responder = ns.responder(flavour, address);
        let dmi_dir = work.path().join(flavour);
        dmi(&dmi_dir, files);
        let (node_ip, stun, _) = plan_in(&ns, &dmi_dir);
        assert_eq!(node_ip.as_deref(), Some(*address), "{flavour}");
        assert!(
            !stun,
            "{flavour}: with the address known LiveKit asks no STUN server"
        );
    }
}

#[test]
fn with_no_provider_in_dmi_every_flavour_is_asked_at_once() {
    let work = tempfile::tempdir().unwrap();
    let ns = Ns::new("any").with_metadata_address();
    let _responder = ns.responder("hetzner", "198.51.100.21");
    let (node_ip, _, _) = plan_in(&ns, work.path());
    assert_eq!(node_ip.as_deref(), Some("198.51.100.21"));
}

#[test]
fn a_dead_or_absent_metadata_service_costs_at_most_its_timeout() {
    let work = tempfile::tempdir().unwrap();
    let aws = work.path().join("aws");
    dmi(&aws, &[("sys_vendor", "Amazon EC2")]);
    // Against a namespace with no route at all (connecting fails at once): the dead service may
    // add selkie's metadata budget (1 s) and no more, with room for a loaded machine; a
    // blocking lookup would wait out TCP's own retries, minutes.
    let (_, _, base) = plan_in(&Ns::new("absent"), &aws);
    let bound = base + Duration::from_secs(4);
    let dead = Ns::new("dead").with_black_hole();
    let (node_ip, stun, took) = plan_in(&dead, &aws);
    assert_eq!(node_ip, None, "nothing answered, so nothing is assumed");
    assert!(stun, "LiveKit falls back to STUN");
    assert!(
        took < bound,
        "a dead metadata service took {took:?} (no route at all: {base:?})"
    );
    // A responder that refuses the flavour (404 everywhere) is no answer either.
    let wrong = Ns::new("wrong").with_metadata_address();
    let _responder = wrong.responder("gcp", "198.51.100.30");
    let (node_ip, _, took) = plan_in(&wrong, &aws);
    assert_eq!(node_ip, None);
    assert!(took < bound, "{took:?}");
}

#[test]
fn an_address_that_is_not_public_is_not_taken() {
    let work = tempfile::tempdir().unwrap();
    let do_dmi = work.path().join("do");
    dmi(&do_dmi, &[("sys_vendor", "DigitalOcean")]);
    let ns = Ns::new("private").with_metadata_address();
    let _responder = ns.responder("digitalocean", "10.0.0.5");
    let (node_ip, stun, _) = plan_in(&ns, &do_dmi);
    assert_eq!(node_ip, None);
    assert!(stun);
}
