//! Reflector's own checks for tests/lab_presets.rs: S3 through Garage at `s3.<domain>` with the
//! backend's credentials, and Hatchet (ready, loopback only, the workers' token from the next
//! step's command). Test scaffolding.

use std::path::Path;

use super::harness::plan_json;
use super::net::Lab;
use super::presets::{all_logs, client_curl, container_env, scratch, text};

/// Puts an object through Caddy at `s3` with the backend's own S3 settings (AWS SigV4, as
/// the backend signs), reads it back, and checks an unsigned read is refused.
pub fn s3_put_and_get(lab: &Lab, root: &Path, s3: &str) {
    let cacert = root.to_str().unwrap();
    // S3 with the backend's own settings, through Caddy at s3.<domain>, signed as AWS SigV4.
    assert_eq!(
        container_env(lab, "selkie-backend", "TRANSCRIPT_STORAGE_AWS_REGION"),
        "garage"
    );
    let bucket = container_env(lab, "selkie-backend", "TRANSCRIPT_STORAGE_AWS_BUCKET_NAME");
    let user = format!(
        "{}:{}",
        container_env(
            lab,
            "selkie-backend",
            "TRANSCRIPT_STORAGE_AWS_ACCESS_KEY_ID"
        ),
        container_env(
            lab,
            "selkie-backend",
            "TRANSCRIPT_STORAGE_AWS_SECRET_ACCESS_KEY"
        )
    );
    let body = format!("a recording, {}", std::process::id());
    let upload = scratch(lab, "object.txt", body.as_bytes());
    let object = format!("https://{s3}/{bucket}/lab/recording.txt");
    let sigv4 = [
        "--aws-sigv4",
        "aws:amz:garage:s3",
        "--user",
        &user,
        "--cacert",
        cacert,
    ];
    // S3 (and Garage) want the payload's SHA-256 in a signed header; curl signs what it is given.
    let put_hash = format!("x-amz-content-sha256: {}", sha256_hex(body.as_bytes()));
    let (ok, put) = client_curl(
        lab,
        &[
            &sigv4[..],
            &[
                "-f",
                "-H",
                &put_hash,
                "-T",
                upload.to_str().unwrap(),
                &object,
            ],
        ]
        .concat(),
    );
    assert!(ok, "S3 PUT {object}: {put}");
    let get_hash = format!("x-amz-content-sha256: {}", sha256_hex(b""));
    let (ok, got) = client_curl(
        lab,
        &[&sigv4[..], &["-f", "-H", &get_hash, &object]].concat(),
    );
    assert!(ok && got == body, "S3 GET {object} gave back {got:?}");
    let (ok, denied) = client_curl(lab, &["--cacert", cacert, "-f", &object]);
    assert!(!ok, "an unsigned GET must be refused: {denied}");
}

/// Hatchet: its API is up on the loopback dashboard port, which the client cannot reach, and
/// the next step's command prints a workers' token.
pub fn hatchet_works(lab: &Lab, dir: &Path) {
    // Its healthcheck passed before setup returned; the API behind 8888 may take a moment more.
    let started = std::time::Instant::now();
    let ready = loop {
        let ready = lab
            .on_server("curl")
            .args(["-sf", "--max-time", "10", "http://127.0.0.1:8888/api/ready"])
            .output()
            .unwrap();
        if ready.status.success() || started.elapsed().as_secs() > 120 {
            break ready;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    };
    assert!(
        ready.status.success(),
        "Hatchet's /api/ready: {}\n{}",
        text(&ready),
        all_logs(lab)
    );
    assert!(
        !lab.client_reaches_tcp(8888),
        "the Hatchet dashboard is not public"
    );
    let plan = plan_json(lab, dir);
    let token_step = plan_steps(&plan)
        .into_iter()
        .find(|s| s.contains("hatchet-admin token create"))
        .expect("a next step makes the workers' token");
    let command = token_step
        .split("docker exec ")
        .nth(1)
        .and_then(|s| s.split(" prints").next())
        .expect("the step names its command");
    let mut exec = vec!["exec"];
    exec.extend(command.split_whitespace());
    let token = lab.docker(&exec);
    let stdout = String::from_utf8_lossy(&token.stdout).into_owned();
    let jwt = stdout
        .lines()
        .any(|l| l.trim().starts_with("eyJ") && l.trim().split('.').count() == 3);
    assert!(
        token.status.success() && jwt,
        "`docker exec {command}` prints a token: {}",
        text(&token)
    );
}

/// SHA-256 of `data`, in hexadecimal.
fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The plan's next steps, as text.
fn plan_steps(plan: &serde_json::Value) -> Vec<String> {
    let mut steps = Vec::new();
    collect_strings(&plan["next_steps"], &mut steps);
    if steps.is_empty() {
        collect_strings(plan, &mut steps);
    }
    steps
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
