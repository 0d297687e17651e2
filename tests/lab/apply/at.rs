//! The revert as an `at` job (tests/lab_apply.rs): atd runs in a mount namespace of its own next
//! to the server's network namespace, and puts the rules from before back by itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::checks::{check_reverted, log};
use crate::lab::harness::one_lab;
use crate::lab::net::{Lab, SERVER_IP};
use crate::lab::tools::ok;
use crate::{listen, on_path, own_rule, private_etc, reach, session, text};

/// A mount namespace that outlives its commands (pinned on a file), used with the server's
/// network namespace: its own /run (where atd's pid file tells selkie that atd runs) and its own
/// at spool, so atd's jobs and everything selkie arms stay in the lab.
struct AtLab {
    file: PathBuf,
    atd: Child,
}

impl AtLab {
    fn new(lab: &Lab) -> AtLab {
        assert!(
            on_path("atd") || Path::new("/usr/sbin/atd").exists(),
            "`atd` is needed: apt-get install at"
        );
        let dir = lab.run.join("mnt");
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        ok("mount", &["--bind", d, d]);
        ok("mount", &["--make-private", d]);
        let file = dir.join("ns");
        std::fs::write(&file, "").unwrap();
        let setup = "mount -t tmpfs tmpfs /run && for s in atjobs atspool; do \
                     mount -t tmpfs tmpfs /var/spool/cron/$s && chown daemon:daemon /var/spool/cron/$s && \
                     chmod 1770 /var/spool/cron/$s; done && echo 0 >/var/spool/cron/atjobs/.SEQ && \
                     chown daemon:daemon /var/spool/cron/atjobs/.SEQ && chmod 600 /var/spool/cron/atjobs/.SEQ";
        // Made from the machine's mount namespace (where the pin stays visible), all private.
        let out = Command::new("unshare")
            .arg(format!("--mount={}", file.display()))
            .args(["--propagation", "private", "sh", "-c", setup])
            .output()
            .unwrap();
        assert!(out.status.success(), "the mount namespace: {}", text(&out));
        let atd = enter(&file, lab, "atd").arg("-f").spawn().expect("atd");
        let at = AtLab { file, atd };
        let started = Instant::now();
        while !at
            .enter(lab, "test")
            .args(["-s", "/run/atd.pid"])
            .status()
            .unwrap()
            .success()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "atd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        at
    }

    fn enter(&self, lab: &Lab, program: &str) -> Command {
        enter(&self.file, lab, program)
    }
}

/// A command in the server's network namespace and the mount namespace pinned at `file`.
fn enter(file: &Path, lab: &Lab, program: &str) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--mount={}", file.display()))
        .arg(format!("--net=/run/netns/{}", lab.server))
        .arg(program)
        .stdin(std::process::Stdio::null());
    cmd
}

impl Drop for AtLab {
    fn drop(&mut self) {
        let _ = self.atd.kill();
        let _ = self.atd.wait();
        let _ = Command::new("umount").arg("-l").arg(&self.file).status();
        if let Some(dir) = self.file.parent() {
            let _ = Command::new("umount").arg("-l").arg(dir).status();
        }
    }
}

/// With atd running, the revert is an `at` job: applied and never confirmed, atd puts the rules
/// from before back by itself (within two minutes of the deadline), selkie long gone.
#[test]
fn an_at_job_reverts_unless_confirmed() {
    let _one = one_lab();
    let lab = Lab::new();
    private_etc(&lab);
    let _listeners = listen(&lab);
    let at = AtLab::new(&lab);
    own_rule(&lab, "nftables");
    let before = reach(&lab);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("deployment");
    let out = at
        .enter(&lab, env!("CARGO_BIN_EXE_selkie"))
        .args(["setup", "--non-interactive", "--no-start", "--dir"])
        .arg(&dir)
        .args([
            "--confirm-within",
            "10s",
            "--ip",
            SERVER_IP,
            "--provider",
            "none",
        ])
        .args([
            "--ssh-port",
            "22",
            "--apply-firewall",
            "--host-firewall",
            "nftables",
        ])
        .env("SSH_CONNECTION", session(50000))
        .env_remove("SELKIE_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("an at job runs up to 2 minutes later"),
        "{}",
        text(&out)
    );
    let state = dir.join("applied/firewall");
    let pending = std::fs::read_to_string(state.join("pending.toml")).unwrap();
    assert!(pending.contains("kind = \"at\""), "{pending}");
    let queued = at.enter(&lab, "atq").output().unwrap();
    assert!(!text(&queued).trim().is_empty(), "atq lists no job");
    assert!(!reach(&lab).other, "the firewall is not live");
    // Up to two minutes past the deadline (at fires at a minute's start); SSH answers throughout.
    let start = Instant::now();
    while !state.join("reverted").exists() && start.elapsed() < Duration::from_secs(200) {
        assert!(lab.client_reaches_tcp(22), "SSH stopped answering");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        state.join("reverted").exists(),
        "atd did not revert; log:\n{}",
        log(&state)
    );
    assert_eq!(reach(&lab), before, "log:\n{}", log(&state));
    check_reverted(&lab, "nftables");
}
