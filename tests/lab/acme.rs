//! A real ACME CA on the lab's internet side: Let's Encrypt's Pebble, with pebble-challtestsrv as
//! the DNS server it resolves names with (every name answers with the server's address), so
//! Caddy in the server namespace gets a certificate the way it would from Let's Encrypt: over
//! the link, validated on port 80/443 through selkie's firewall. Test scaffolding.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::net::{Lab, CLIENT_IP, SERVER_IP};
use super::tools::{built, ok, tail};

/// The profile Let's Encrypt issues IP-address certificates under, and its lifetime here (Pebble
/// makes a certificate last its profile's period less one second).
pub const SHORTLIVED: &str = "shortlived";
pub const SHORTLIVED_SECS: u64 = 6 * 86_400;

/// Pebble's ACME directory as Caddy reaches it.
pub fn directory() -> String {
    format!("https://{CLIENT_IP}:14000/dir")
}

/// A running Pebble and its DNS; both stop when dropped.
pub struct Pebble {
    children: Vec<Child>,
    /// The lab CA that signs Pebble's own HTTPS endpoint (what `--acme-ca-root` gets).
    pub endpoint_root: PathBuf,
    dir: PathBuf,
}

impl Pebble {
    /// Starts Pebble and its DNS in the client namespace.
    pub fn start(lab: &Lab) -> Pebble {
        Pebble::validating_on(lab, 80, 443)
    }

    /// Starts Pebble and its DNS, with Pebble's challenges sent to the server's ports `http`
    /// (http-01) and `tls` (tls-alpn-01): other ports than 80 and 443 make every validation
    /// fail, as when a firewall keeps the CA out.
    pub fn validating_on(lab: &Lab, http: u16, tls: u16) -> Pebble {
        let dir = lab.run.join("pebble");
        fs::create_dir_all(&dir).unwrap();
        let (root, cert, key) = endpoint_certificate(&dir);
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("{CLIENT_IP}:14000"),
                "managementListenAddress": format!("{CLIENT_IP}:15000"),
                "certificate": cert,
                "privateKey": key,
                "httpPort": http,
                "tlsPort": tls,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
                // Pebble's own default, and Let's Encrypt's six-day profile for IP addresses.
                "profiles": {
                    "default": { "description": "90 days", "validityPeriod": 7776000 },
                    SHORTLIVED: {
                        "description": "six days",
                        "validityPeriod": SHORTLIVED_SECS,
                    },
                },
            }
        });
        let config_path = dir.join("pebble-config.json");
        fs::write(&config_path, config.to_string()).unwrap();
        let dns = lab
            .on_client(built("SELKIE_LAB_PEBBLE_CHALLTESTSRV").to_str().unwrap())
            .args([
                "-defaultIPv4",
                SERVER_IP,
                "-defaultIPv6",
                "",
                "-dnsserver",
                &format!("{CLIENT_IP}:8053"),
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-doh",
                "",
                "-management",
                &format!("{CLIENT_IP}:8055"),
            ])
            .stdout(fs::File::create(dir.join("dns.log")).unwrap())
            .stderr(fs::File::create(dir.join("dns.err")).unwrap())
            .spawn()
            .expect("start pebble-challtestsrv");
        let pebble = lab
            .on_client(built("SELKIE_LAB_PEBBLE").to_str().unwrap())
            .args(["-config"])
            .arg(&config_path)
            .args(["-dnsserver", &format!("{CLIENT_IP}:8053")])
            // Deterministic: no random nonce rejections or validation delays.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(fs::File::create(dir.join("pebble.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pebble");
        let p = Pebble {
            children: vec![dns, pebble],
            endpoint_root: root,
            dir,
        };
        let started = Instant::now();
        loop {
            let out = lab
                .on_client("curl")
                .args(["-sf", "--cacert"])
                .arg(&p.endpoint_root)
                .arg(directory())
                .output()
                .unwrap();
            if out.status.success() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Pebble did not answer at {}:\n{}\n{}",
                directory(),
                tail(&p.dir.join("pebble.log"), 20),
                tail(&p.dir.join("dns.err"), 20)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        p
    }

    /// Pebble's issuing root (new at every start), which a client must trust: a PEM file.
    pub fn issuing_root(&self, lab: &Lab) -> PathBuf {
        let path = self.dir.join("issuing-root.pem");
        let out = lab
            .on_client("curl")
            .args(["-sf", "--cacert"])
            .arg(&self.endpoint_root)
            .arg(format!("https://{CLIENT_IP}:15000/roots/0"))
            .output()
            .unwrap();
        assert!(out.status.success(), "cannot fetch Pebble's root");
        fs::write(&path, &out.stdout).unwrap();
        path
    }

    /// Pebble's log, for a failure message.
    pub fn log(&self) -> String {
        tail(&self.dir.join("pebble.log"), 80)
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A lab CA and a certificate for Pebble's HTTPS endpoint at the client's address.
fn endpoint_certificate(dir: &std::path::Path) -> (PathBuf, String, String) {
    let d = dir.display();
    ok(
        "bash",
        &[
            "-c",
            &format!(
                "set -e; cd {d}
                 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                   -subj /CN=selkie-lab-ca -keyout ca.key -out ca.pem 2>/dev/null
                 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                   -subj /CN=pebble -keyout key.pem -out req.csr 2>/dev/null
                 printf 'subjectAltName=IP:{CLIENT_IP},DNS:pebble.lab\\n' > ext.cnf
                 openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                   -extfile ext.cnf -out cert.pem 2>/dev/null"
            ),
        ],
    );
    (
        dir.join("ca.pem"),
        dir.join("cert.pem").display().to_string(),
        dir.join("key.pem").display().to_string(),
    )
}
