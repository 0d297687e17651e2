//! `kill -9` at random moments of `setup --resume --no-start`, 200 times: after the next run the
//! deployment is always consistent — every file holds what the manifest says, the secrets are
//! the ones made at the start, no temporary file or unfinished commit is left, and no file is
//! ever reported as an operator's edit.

#[path = "common/run.rs"]
mod run;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use run::CALLER_ENV;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const KILLS: usize = 200;

fn selkie(dir: &Path, extra: &[&str]) -> Command {
    let mut c = run::command(
        &["setup", "--non-interactive", "--no-start", "--dir"],
        CALLER_ENV,
    );
    c.arg(dir).args(extra).stdin(Stdio::null());
    c
}

/// A small xorshift generator: the seed is printed, so a failing run can be repeated.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every name under `dir` (backups included) that is a temporary file or an unfinished commit.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".selkie-tmp-") || name == ".selkie-txn.toml" {
                out.push(entry.path().display().to_string());
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out
}

/// What is wrong with the deployment, if anything.
fn inconsistencies(dir: &Path, secrets: &[u8]) -> Vec<String> {
    let mut bad = Vec::new();
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    let files = manifest["files"].as_table().unwrap();
    let listed: BTreeMap<&String, &str> = files
        .iter()
        .map(|(k, v)| (k, v["sha256"].as_str().unwrap()))
        .collect();
    for (rel, want) in &listed {
        match std::fs::read(dir.join(rel)) {
            Ok(bytes) if sha256_hex(&bytes) == *want => {}
            Ok(_) => bad.push(format!("{rel} does not hold what the manifest says")),
            Err(e) => bad.push(format!("{rel}: {e}")),
        }
    }
    if std::fs::read(dir.join("secrets.toml")).unwrap() != secrets {
        bad.push("secrets.toml changed".into());
    }
    // The answers and the files agree: livekit.yaml is rendered from the saved answers.
    let answers = std::fs::read_to_string(dir.join("selkie.toml")).unwrap();
    if selkie::state::parse_answers(&answers).is_err() {
        bad.push("selkie.toml does not parse".into());
    }
    bad.extend(leftovers(dir));
    bad
}

#[test]
fn kill_9_at_any_moment_then_one_run_leaves_a_consistent_deployment() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("deployment");
    run::fresh_setup(&dir);
    let secrets = std::fs::read(dir.join("secrets.toml")).unwrap();

    // How long a changing run takes, to spread the kills over all of it.
    let started = Instant::now();
    let run = selkie(&dir, &["--resume", "--participants", "90"])
        .output()
        .unwrap();
    assert!(run.status.success());
    let span = started.elapsed().max(Duration::from_millis(20));

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}, a changing run takes {span:?}");
    let mut rng = Rng(seed);
    let sizes = ["50", "80", "120", "300", "700"];
    let starts = ["40000", "50000", "52000"];
    let (mut unfinished, mut with_temp, mut finished) = (0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(150);
    for i in 0..KILLS {
        assert!(
            Instant::now() < deadline,
            "kill {i}: the test ran past its time budget"
        );
        let participants = sizes[(rng.next() % sizes.len() as u64) as usize];
        let start = starts[(rng.next() % starts.len() as u64) as usize];
        let mut child = selkie(
            &dir,
            &[
                "--resume",
                "--participants",
                participants,
                "--udp-start",
                start,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let delay = Duration::from_micros(rng.next() % (span.as_micros() as u64 + 1));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        }
        if dir.join(".selkie-txn.toml").exists() {
            unfinished += 1;
        }
        if !leftovers(&dir).is_empty() {
            with_temp += 1;
        }

        // The next run completes or rolls back whatever was left, and calls nothing an edit.
        let next = selkie(&dir, &["--resume"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&next.stdout);
        assert!(
            next.status.success(),
            "kill {i} (seed {seed}): the next run failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&next.stderr)
        );
        for word in ["edit", "by hand"] {
            assert!(
                !stdout.contains(word),
                "kill {i} (seed {seed}): a file was taken for a hand edit:\n{stdout}"
            );
        }
        let bad = inconsistencies(&dir, &secrets);
        assert!(bad.is_empty(), "kill {i} (seed {seed}): {bad:?}");
    }
    println!(
        "{KILLS} kills: {unfinished} left a recorded commit to complete, {with_temp} left temporary files, \
         {finished} had finished; 100% consistent after the next run"
    );
}
