//! firewalld for real in the lab's server namespace (tests/lab_apply.rs): a dbus-daemon of its
//! own as the system bus, and firewalld on it.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::lab::net::Lab;
use crate::lab::tools::{self, ok};
use crate::{bus, on_path, on_server};

/// dbus-daemon and firewalld in the server namespace; stopped on drop.
pub struct Firewalld(Vec<Child>);

impl Drop for Firewalld {
    fn drop(&mut self) {
        for c in self.0.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn start_firewalld(lab: &Lab, etc: &Path) -> Firewalld {
    for (tool, package) in [("firewalld", "firewalld"), ("dbus-daemon", "dbus-daemon")] {
        assert!(
            on_path(tool),
            "`{tool}` is needed: apt-get install {package}"
        );
    }
    ok("cp", &["-a", "/etc/firewalld", etc.to_str().unwrap()]);
    let conf = lab.run.join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            "<busconfig><type>system</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>\
             <policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\
             <allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy>\
             <includedir>/usr/share/dbus-1/system.d</includedir></busconfig>\n",
            lab.run.join("dbus.sock").display()
        ),
    )
    .unwrap();
    let mut children = Vec::new();
    children.push(
        lab.on_server("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile"])
            .spawn()
            .expect("dbus-daemon in the server namespace"),
    );
    let log = lab.run.join("firewalld.log");
    children.push(
        lab.on_server("firewalld")
            .args(["--nofork", "--nopid", "--log-file", log.to_str().unwrap()])
            .env("DBUS_SYSTEM_BUS_ADDRESS", bus(lab))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("firewalld in the server namespace"),
    );
    let started = Instant::now();
    while !on_server(lab, "firewall-cmd --state").status.success() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "firewalld did not start in the server namespace:\n{}",
            tools::tail(&log, 20)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    Firewalld(children)
}
