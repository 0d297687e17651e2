//! A local image registry, to test pulls without the internet.

use std::fs;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::images::standin;
use super::{docker, docker_ok, http_get, require_daemon};

/// Debian's `docker-registry` (not a container) serving plain HTTP on 127.0.0.1 and a free
/// port, storing into a temporary directory; killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts the registry and waits until `/v2/` answers; panics (with its log) if it
    /// does not within 15 s.
    pub fn start() -> Registry {
        require_daemon();
        let dir = tempfile::tempdir().expect("a temporary directory for the registry");
        let mut last = String::new();
        // A port found free can be taken before the registry binds it: try a few.
        for _ in 0..3 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            fs::write(
                &config,
                format!(
                    "version: 0.1\n\
                     log:\n  level: warn\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                     http:\n  addr: 127.0.0.1:{port}\n",
                    dir.path().join("storage").display()
                ),
            )
            .unwrap();
            let log_path = dir.path().join("registry.log");
            let log = fs::File::create(&log_path).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run docker-registry: {e}; install Debian's registry with \
                         `apt-get install docker-registry`"
                    )
                });
            let host = format!("127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok((200, _)) = http_get(&host, "/v2/") {
                    return Registry { child, port, dir };
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!(
                        "docker-registry exited ({status}):\n{}",
                        fs::read_to_string(&log_path).unwrap_or_default()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "docker-registry did not answer http://{host}/v2/ within 15 s; its log:\n{}",
                        fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("docker-registry would not start: {last}");
    }

    /// `127.0.0.1:PORT`, the registry's host part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes the stand-in as `127.0.0.1:PORT/NAME` (`NAME` may carry a tag) and removes that
    /// local tag, so using the returned reference needs a pull from this registry.
    pub fn push_standin(&self, name: &str) -> String {
        let reference = format!("{}/{name}", self.host());
        docker_ok(&["tag", &standin().tag, &reference]);
        let out = docker(&["push", &reference]);
        if !out.status.success() {
            panic!(
                "`docker push {reference}` failed: {}{}\nThe daemon must allow plain HTTP to \
                 127.0.0.0/8 (its default; see `docker info` under Insecure Registries). \
                 Registry log:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
            );
        }
        docker_ok(&["image", "rm", &reference]);
        reference
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}
