//! `selkie check` from outside (tests/lab_check.rs): the client namespace's view with
//! `--url/--token`, a link rule the server cannot see, and bad inputs (wrong and expired tokens, a
//! URL that is not LiveKit, an untrusted certificate).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::lab::net::{Lab, SERVER_IP};
use crate::{assert_ok, check, on_server, path, token};

/// From the client namespace with `--url/--token`: all good, then UDP dropped on the link (the
/// stand-in for a cloud firewall) fails the outside view while the server still sees it working;
/// then 443 dropped: signalling unreachable, nothing else tried.
pub fn outside_view(lab: &Lab, dir: &Path, root: &Path, url: &str) {
    let t = token(lab, dir);
    let outside = |lab: &Lab| check(lab, false, &["--url", url, "--token", &t], Some(root));
    let (code, report, _) = outside(lab);
    assert_eq!(code, 0, "outside view: {report:#}");
    assert_ok(&report, "udp");
    assert_ok(&report, "tcp");
    assert_ok(&report, "turn_udp");
    // Only TURN's own candidate was offered: the pair's local side is the relay on the server,
    // while plain UDP goes from the client's own address.
    let local_ip = |t: &str| {
        let local = path(&report, t)["local"].as_str().unwrap().to_string();
        local
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_string())
            .unwrap()
    };
    assert_eq!(local_ip("turn_udp"), SERVER_IP, "{report:#}");
    assert_ne!(local_ip("udp"), SERVER_IP, "{report:#}");
    assert_eq!(report["from_server"], false);

    lab.block_on_link(&["meta l4proto udp"]);
    let (code, report, _) = outside(lab);
    assert_eq!(code, 1, "the outside view sees the link rule: {report:#}");
    assert_eq!(path(&report, "udp")["status"], "failed", "{report:#}");
    assert_ok(&report, "tcp");
    let (code, inside, _) = on_server(lab, dir, Some(root));
    assert_eq!(code, 0, "the server cannot see the link rule: {inside:#}");

    lab.block_on_link(&["tcp dport 443"]);
    let (code, report, took) = outside(lab);
    assert_eq!(code, 1, "{report:#}");
    let err = report["signalling_error"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        err.contains("unreachable") || err.contains("no join response"),
        "{report:#}"
    );
    assert!(
        report["paths"].as_array().unwrap().is_empty(),
        "stops at signalling: {report:#}"
    );
    assert!(
        took < Duration::from_secs(30),
        "never hangs on unreachable signalling: {took:?}"
    );
    lab.block_on_link(&[]);
}

/// A wrong token, an expired one, a URL that is not LiveKit and an untrusted certificate.
pub fn bad_inputs(lab: &Lab, dir: &Path, root: &Path, url: &str) {
    let error = |report: &Value| {
        report["signalling_error"]["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let (code, report, _) = check(
        lab,
        false,
        &["--url", url, "--token", "not-a-token"],
        Some(root),
    );
    assert_eq!(code, 1);
    assert!(error(&report).contains("token was rejected"), "{report:#}");

    let expired = expired_token(dir);
    let (code, report, _) = check(lab, false, &["--url", url, "--token", &expired], Some(root));
    assert_eq!(code, 1);
    assert!(error(&report).contains("token was rejected"), "{report:#}");
    assert!(
        error(&report).contains("exp"),
        "says the token expired: {report:#}"
    );

    let t = token(lab, dir);
    let (code, report, _) = check(lab, false, &["--url", url, "--token", &t], None);
    assert_eq!(code, 1);
    assert!(
        error(&report).contains("TLS failed"),
        "untrusted certificate: {report:#}"
    );

    // Caddy's HTTP port answers, but not as LiveKit's signalling.
    let plain = format!("ws://{SERVER_IP}:80");
    let (code, report, _) = check(lab, false, &["--url", &plain, "--token", &t], Some(root));
    assert_eq!(code, 1);
    assert!(
        error(&report).contains("does not answer as LiveKit"),
        "{report:#}"
    );
}

/// A token signed with the deployment's keys that expired ten minutes ago (past LiveKit's
/// leeway), made with openssl as any JWT library would.
fn expired_token(dir: &Path) -> String {
    let (key, secret) = crate::lab::client::keys(dir);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": key, "sub": "expired", "nbf": now - 1200, "exp": now - 600,
        "video": {"roomJoin": true, "room": "selkie-check"}
    });
    let body = b64url(claims.to_string().as_bytes());
    let signing = format!("{header}.{body}");
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-binary", "-hmac", &secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(signing.as_bytes())
        .unwrap();
    let mac = child.wait_with_output().unwrap().stdout;
    assert_eq!(mac.len(), 32, "an HMAC-SHA256");
    format!("{signing}.{}", b64url(&mac))
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
