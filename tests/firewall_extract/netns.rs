//! A throwaway network namespace to run host firewall scripts in for real. Needs root and `ip`
//! (iproute2); the tests that use it fail, never skip, without them.

use std::process::Command;

/// Fails the test unless this process runs as root, saying what needs it.
pub fn require_root(what: &str) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    assert!(root, "{what} needs root: run `sudo -E cargo test`");
}

/// A network namespace of its own, deleted when dropped.
pub struct Netns {
    name: String,
}

impl Netns {
    /// A new namespace named `selkie-fwtest-<pid>-<tag>`.
    pub fn new(tag: &str) -> Netns {
        crate::common::require_tool("ip", "iproute2");
        let name = format!("selkie-fwtest-{}-{tag}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .unwrap_or_else(|e| panic!("ip netns add {name}: {e}"));
        assert!(
            out.status.success(),
            "ip netns add {name} failed (the namespace tests need root and a kernel that allows\n\
             network namespaces): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Netns { name }
    }

    /// Run a bash snippet inside the namespace, with `env` set. `ip netns exec` gives every run a
    /// mount namespace of its own that propagates nothing back, and the snippet first hides the
    /// host's /run, /etc/iptables and /etc/sysconfig behind empty tmpfs mounts, so a script that
    /// saves its rules never writes the host's files. Returns success and stdout + stderr.
    pub fn bash(&self, snippet: &str, env: &[(&str, &str)]) -> (bool, String) {
        let script = format!(
            "set -euo pipefail\n\
             mount --make-rprivate /\n\
             mount -t tmpfs none /run\n\
             for d in /etc/iptables /etc/sysconfig; do\n  \
             if [[ -d $d ]]; then mount -t tmpfs none \"$d\"; fi\n\
             done\n\
             {snippet}"
        );
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, "bash", "-c", &script])
            .env_remove("SSH_CONNECTION")
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("ip netns exec {}: {e}", self.name));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Like `bash`, but the snippet must succeed; returns its output.
    pub fn ok(&self, snippet: &str, env: &[(&str, &str)]) -> String {
        let (ok, text) = self.bash(snippet, env);
        assert!(ok, "in {}: {snippet}\n{text}", self.name);
        text
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .status();
    }
}
