//! Runs the lab's real WebRTC client (client.py, LiveKit's Python SDK) in the client namespace and
//! reads what it saw.

use std::ops::RangeBounds;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::net::Lab;
use super::tools::built;

/// What the client saw: frames received, and the candidate pairs that carried media.
#[derive(Debug)]
pub struct Joined {
    pub json: Value,
}

impl Joined {
    /// Audio and video frames the subscriber received.
    pub fn frames(&self) -> (u64, u64) {
        let r = &self.json["received"];
        (
            r["audio"].as_u64().unwrap_or(0),
            r["video"].as_u64().unwrap_or(0),
        )
    }

    /// Every selected pair, publisher's and subscriber's.
    pub fn pairs(&self) -> Vec<&Value> {
        ["publisher_pairs", "subscriber_pairs"]
            .iter()
            .flat_map(|k| self.json[*k].as_array().into_iter().flatten())
            .collect()
    }

    /// Asserts media flowed both ways through LiveKit, and returns the selected pairs.
    pub fn assert_media(&self) -> Vec<&Value> {
        assert!(
            self.json.get("error").is_none(),
            "the client failed: {}",
            self.json
        );
        let (audio, video) = self.frames();
        assert!(
            audio > 50 && video > 5,
            "media did not flow (audio {audio}, video {video} frames): {}",
            self.json
        );
        let pairs = self.pairs();
        assert!(
            !pairs.is_empty(),
            "no selected candidate pair: {}",
            self.json
        );
        pairs
    }

    /// [`Joined::assert_media`], and every selected pair's remote (the server's side) is on
    /// `proto` at a port in `ports`: the path `what` says the scenario expects.
    pub fn assert_media_via(&self, proto: &str, ports: impl RangeBounds<u64>, what: &str) {
        for pair in self.assert_media() {
            let (remote_proto, port, _) = remote(pair);
            assert!(
                remote_proto == proto && ports.contains(&port),
                "{what}: {pair}"
            );
        }
    }
}

/// Joins `url` with two participants (one publishes audio and video, one subscribes), trusting
/// `ca` (PEM) for TLS; `relay` allows only TURN candidates.
pub fn join(lab: &Lab, deployment: &Path, url: &str, ca: Option<&Path>, relay: bool) -> Joined {
    let mut args = vec!["--url", url, "--seconds", "6"];
    if relay {
        args.push("--relay");
    }
    Joined {
        json: client_script(lab, deployment, "client.py", &args, ca),
    }
}

/// `tests/lab/SCRIPT ARGS` with the lab's Python in the client namespace, the deployment's keys
/// in its environment (never in argv) and `ca` as SSL_CERT_FILE (none: the system's roots);
/// the last JSON object it printed.
fn client_script(
    lab: &Lab,
    deployment: &Path,
    script: &str,
    args: &[&str],
    ca: Option<&Path>,
) -> Value {
    let (key, secret) = keys(deployment);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lab")
        .join(script);
    let mut cmd = lab.on_client(built("SELKIE_LAB_PYTHON").to_str().unwrap());
    cmd.arg(&path)
        .args(args)
        .env("LAB_API_KEY", key)
        .env("LAB_API_SECRET", secret);
    match ca {
        Some(ca) => cmd.env("SSL_CERT_FILE", ca),
        None => cmd.env_remove("SSL_CERT_FILE"),
    };
    let out = cmd.output().unwrap_or_else(|e| panic!("run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "{script} printed no JSON ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// The deployment's LiveKit key and secret, from its secrets.toml.
pub fn keys(deployment: &Path) -> (String, String) {
    let text = std::fs::read_to_string(deployment.join("secrets.toml")).unwrap();
    let secrets: toml::Table = toml::from_str(&text).unwrap();
    let get = |k: &str| secrets[k].as_str().unwrap().to_string();
    (get("livekit_api_key"), get("livekit_api_secret"))
}

/// The remote (server) side of a pair: protocol, port, type.
pub fn remote(pair: &Value) -> (String, u64, String) {
    let r = &pair["remote"];
    (
        r["protocol"].as_str().unwrap_or("").to_lowercase(),
        r["port"].as_u64().unwrap_or(0),
        r["type"].to_string(),
    )
}

/// Runs turn_tls.py in the client namespace against `url` (LiveKit's signalling URL), relaying
/// to `peer`; returns what it printed.
pub fn turn_tls(lab: &Lab, deployment: &Path, url: &str, ca: &Path, peer: &str) -> Value {
    client_script(
        lab,
        deployment,
        "turn_tls.py",
        &["--url", url, "--peer", peer],
        Some(ca),
    )
}

/// One participant publishing audio and video from the server's own namespace (LiveKit at
/// `url`, e.g. ws://127.0.0.1:7880), until dropped: the far end of a test whose client network
/// leaves only one path. tests/lab/load.py with one participant, in room `load`.
pub struct ServerPublisher {
    child: std::process::Child,
}

impl ServerPublisher {
    pub fn start(lab: &Lab, deployment: &Path, url: &str) -> ServerPublisher {
        use std::io::BufRead;
        let (key, secret) = keys(deployment);
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/load.py");
        let mut child = lab
            .on_server(built("SELKIE_LAB_PYTHON").to_str().unwrap())
            .arg(&script)
            .args(["--url", url, "--participants", "1", "--seconds", "120"])
            .env("LAB_API_KEY", key)
            .env("LAB_API_SECRET", secret)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run the server-side publisher");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok);
        let joined = lines
            .by_ref()
            .find_map(|l| l.strip_prefix("joined ").map(str::to_string));
        // Keep reading, so its last line never meets a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        assert_eq!(
            joined.as_deref(),
            Some("1"),
            "the server-side publisher did not join {url}"
        );
        ServerPublisher { child }
    }
}

impl Drop for ServerPublisher {
    fn drop(&mut self) {
        // Closing stdin makes it leave; kill it if it does not.
        drop(self.child.stdin.take());
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs relay_subscriber.py (aiortc, relay candidates over `turns:` only) in the client
/// namespace, subscribed to room `load`; returns what it printed.
pub fn relay_subscriber(lab: &Lab, deployment: &Path, url: &str, ca: &Path) -> Value {
    client_script(
        lab,
        deployment,
        "relay_subscriber.py",
        &["--url", url, "--room", "load", "--seconds", "12"],
        Some(ca),
    )
}
