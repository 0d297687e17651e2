//! The host firewall scripts run for real: the SSH session guard with fake sessions, and (as root)
//! whole iptables and ufw scripts in a network namespace, re-run with a changed plan.

use std::path::{Path, PathBuf};
use std::process::Command;

use selkie::answers::{Cidr, HostFirewall};
use selkie::host::HostFacts;
use selkie::plan::{self, Plan};
use selkie::render::firewall;

use crate::common;
use crate::firewall_extract::{
    expected, net, proto, range, token_after, uncommented, Opened, ANY_V4, ANY_V6,
};
use crate::netns::{require_root, Netns};

/// A fixture plan by name.
fn fixture(name: &str) -> common::Case {
    common::cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// The plan with its SSH rules limited to `source`.
fn ssh_from(plan: &Plan, source: &str) -> Plan {
    let mut plan = plan.clone();
    let source: Cidr = source.parse().unwrap();
    for rule in &mut plan.firewall.ssh {
        rule.source = Some(source);
    }
    plan
}

/// Write a host script for the plan into `dir`.
fn script(dir: &Path, name: &str, plan: &Plan, kind: HostFirewall) -> PathBuf {
    let path = dir.join(format!("{name}-{kind}.sh"));
    std::fs::write(&path, firewall::host(plan, kind)).unwrap();
    path
}

/// Run the script's guard alone, as `command` (`bash SCRIPT` by default) with `env`: its exit code
/// and output.
fn guard(script: &Path, env: &[(&str, &str)], command: Option<&str>) -> (i32, String) {
    let default = format!("bash {}", script.display());
    let out = Command::new("bash")
        .arg("-c")
        .arg(command.unwrap_or(&default))
        .env_remove("SSH_CONNECTION")
        .env_remove("SELKIE_FORCE")
        .env("SELKIE_GUARD_ONLY", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_session_guard_refuses_what_would_cut_the_session_off() {
    common::require_tool("bash", "bash");
    let dir = tempfile::tempdir().unwrap();
    let open = fixture("livekit-caddy-domain").plan;
    let v4 = ssh_from(&open, "198.51.100.0/24");
    let v6 = ssh_from(&open, "2001:db8:4::/64");
    let session = |client: &str, port: u16| format!("{client} 50000 203.0.113.7 {port}");
    // (plan, SSH_CONNECTION, SELKIE_FORCE, expected exit code)
    let cases: Vec<(&str, &Plan, String, &str, i32)> = vec![
        ("open", &open, session("203.0.113.9", 22), "0", 0),
        ("open", &open, session("203.0.113.9", 2222), "0", 1),
        ("open", &open, session("203.0.113.9", 2222), "1", 0),
        ("open", &open, "not a session".into(), "0", 1),
        ("v4", &v4, session("198.51.100.77", 22), "0", 0),
        ("v4", &v4, session("198.51.101.1", 22), "0", 1),
        ("v4", &v4, session("2001:db8:4::1", 22), "0", 1),
        ("v4", &v4, session("198.51.101.1", 22), "1", 0),
        ("v6", &v6, session("2001:db8:4:0:abcd::1", 22), "0", 0),
        ("v6", &v6, session("2001:db8:5::1", 22), "0", 1),
        ("v6", &v6, session("198.51.100.77", 22), "0", 1),
        ("v6", &v6, session("2001:db8:4::1", 2222), "0", 1),
    ];
    for kind in [
        HostFirewall::Ufw,
        HostFirewall::Iptables,
        HostFirewall::Firewalld,
    ] {
        for (name, plan, conn, force, want) in &cases {
            let path = script(dir.path(), name, plan, kind);
            let env = [("SSH_CONNECTION", conn.as_str()), ("SELKIE_FORCE", force)];
            let (code, text) = guard(&path, &env, None);
            assert_eq!(
                code, *want,
                "{kind} {name} SSH_CONNECTION={conn} SELKIE_FORCE={force}:\n{text}"
            );
        }
        // sudo drops SSH_CONNECTION: the guard finds it in a parent process.
        let path = script(dir.path(), "v4", &v4, kind);
        let sudo_like = format!("env -u SSH_CONNECTION bash {}; exit $?", path.display());
        for (conn, want) in [
            (session("198.51.100.77", 22), 0),
            (session("198.51.101.1", 22), 1),
        ] {
            let (code, text) = guard(&path, &[("SSH_CONNECTION", &conn)], Some(&sudo_like));
            assert_eq!(code, want, "{kind} from a parent, {conn}:\n{text}");
        }
    }
}

/// The plans of a re-run: A without a proxy (so 7880 is open to everyone); B with Caddy, the
/// media range moved and SSH limited to one address, as `selkie setup --resume` would plan them.
fn replan() -> (Plan, Plan) {
    let a = fixture("livekit-none-domain").plan;
    let case = fixture("livekit-caddy-domain");
    let mut answers = case.answers.clone();
    answers.udp_start = Some(40000u16.try_into().unwrap());
    answers.ssh.allow_from = Some(common::ADMIN.parse().unwrap());
    let b = plan::build(&answers, &case.preset, &HostFacts::default()).unwrap();
    assert_ne!(a.media.start, b.media.start);
    (a, b)
}

/// A session both plans keep: port 22 from the address B limits SSH to.
const SESSION: &str = "198.51.100.4 50000 203.0.113.7 22";

/// What `iptables -S SELKIE-INPUT` lists (`any` is the family's "anywhere").
fn chain_rules(listing: &str, any: &str) -> Opened {
    let mut out = Opened::new();
    for line in listing
        .lines()
        .filter(|l| l.starts_with("-A SELKIE-INPUT "))
    {
        let tokens: Vec<&str> = uncommented(line, " -m comment ")
            .split_whitespace()
            .collect();
        let (Some(p), Some(ports)) = (token_after(&tokens, "-p"), token_after(&tokens, "--dport"))
        else {
            continue;
        };
        let (a, b) = range(ports, ':');
        for source in token_after(&tokens, "-s").map_or_else(|| vec![any.to_string()], net) {
            out.insert((proto(p), a, b, source));
        }
    }
    out
}

/// The chain holds exactly the plan's ports; INPUT keeps the other rules and jumps once, before
/// the catch-all REJECT; the policy drops the rest.
fn check_iptables(ns: &Netns, plan: &Plan, what: &str) {
    let mut opened = chain_rules(&ns.ok("iptables -S SELKIE-INPUT", &[]), ANY_V4);
    opened.extend(chain_rules(
        &ns.ok("ip6tables -S SELKIE-INPUT", &[]),
        ANY_V6,
    ));
    assert_eq!(opened, expected(plan), "{what}");
    for tool in ["iptables", "ip6tables"] {
        let input = ns.ok(&format!("{tool} -S INPUT"), &[]);
        let lines: Vec<&str> = input.lines().collect();
        let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
        assert_eq!(
            lines.first(),
            Some(&"-P INPUT DROP"),
            "{what} {tool}:\n{input}"
        );
        let jumps = lines
            .iter()
            .filter(|l| **l == "-A INPUT -j SELKIE-INPUT")
            .count();
        assert_eq!(jumps, 1, "{what} {tool}:\n{input}");
        let mine =
            at("--dport 9999").unwrap_or_else(|| panic!("{what} {tool}: mine gone\n{input}"));
        let jump = at("-j SELKIE-INPUT").unwrap();
        let reject = at("-A INPUT -j REJECT").unwrap();
        assert!(mine < reject && jump < reject, "{what} {tool}:\n{input}");
    }
}

#[test]
fn iptables_reruns_leave_only_the_current_plan_open() {
    require_root("running iptables scripts in a network namespace");
    common::require_tool("iptables", "iptables");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = replan();
    let script_a = script(dir.path(), "a", &a, HostFirewall::Iptables);
    let script_b = script(dir.path(), "b", &b, HostFirewall::Iptables);
    let ns = Netns::new("ipt");
    // Rules of someone else: an ACCEPT, and a catch-all REJECT at the end as on Oracle's images.
    ns.ok(
        "for t in iptables ip6tables; do\n  \
         $t -A INPUT -p tcp --dport 9999 -m comment --comment mine -j ACCEPT\n  \
         $t -A INPUT -j REJECT\n\
         done",
        &[],
    );
    let env = [("SSH_CONNECTION", SESSION)];
    ns.ok(&format!("bash {}", script_a.display()), &env);
    check_iptables(&ns, &a, "after plan A");
    ns.ok(&format!("bash {}", script_b.display()), &env);
    check_iptables(&ns, &b, "after plan B");
    let state = "iptables -S; ip6tables -S";
    let before = ns.ok(state, &[]);
    ns.ok(&format!("bash {}", script_b.display()), &env);
    assert_eq!(before, ns.ok(state, &[]), "plan B run twice");
    // A session B would cut off stops the script before it changes anything.
    let outside = [("SSH_CONNECTION", "203.0.113.99 50000 203.0.113.7 22")];
    let (ok, text) = ns.bash(&format!("bash {}", script_a.display()), &outside);
    assert!(ok, "plan A keeps 22 open to everyone:\n{text}");
    let (ok, text) = ns.bash(&format!("bash {}", script_b.display()), &outside);
    assert!(
        !ok && text.contains("outside the networks SSH is limited to"),
        "{text}"
    );
    check_iptables(&ns, &a, "after the refused run");
}

/// `ufw show added`: selkie's rules read back, and the other lines.
fn ufw_added(ns: &Netns, bind: &str) -> (Opened, Vec<String>) {
    let added = ns.ok(&format!("{bind}ufw show added"), &[]);
    let (ours, others): (Vec<&str>, Vec<&str>) = added
        .lines()
        .filter(|l| l.starts_with("ufw "))
        .partition(|l| l.contains(" comment 'selkie:"));
    let opened = crate::firewall_extract::host(HostFirewall::Ufw, &ours.join("\n"));
    (opened, others.into_iter().map(String::from).collect())
}

#[test]
fn ufw_reruns_leave_only_the_current_plan_open() {
    require_root("running ufw scripts in a network namespace");
    common::require_tool("ufw", "ufw");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = replan();
    let script_a = script(dir.path(), "a", &a, HostFirewall::Ufw);
    let script_b = script(dir.path(), "b", &b, HostFirewall::Ufw);
    // ufw keeps its rules in /etc/ufw: each run sees a copy, with the package's empty rule files.
    let etc = dir.path().join("ufw");
    let copy = Command::new("cp")
        .arg("-a")
        .arg("/etc/ufw")
        .arg(&etc)
        .status()
        .unwrap();
    assert!(copy.success());
    for file in ["user.rules", "user6.rules", "ufw.conf"] {
        let pristine = Path::new("/usr/share/ufw").join(file);
        if pristine.is_file() {
            std::fs::copy(&pristine, etc.join(file)).unwrap();
        }
    }
    let bind = format!("mount --bind {} /etc/ufw\n", etc.display());
    let ns = Netns::new("ufw");
    ns.ok(
        &format!("{bind}ufw allow 9999/tcp comment 'mine'\nufw allow 8443/tcp"),
        &[],
    );
    let env = [("SSH_CONNECTION", SESSION)];
    let others = vec![
        "ufw allow 9999/tcp comment 'mine'".to_string(),
        "ufw allow 8443/tcp".to_string(),
    ];
    for (script, plan, what) in [
        (&script_a, &a, "plan A"),
        (&script_b, &b, "plan B"),
        (&script_b, &b, "plan B again"),
    ] {
        let text = ns.ok(&format!("{bind}bash {}", script.display()), &env);
        let (opened, kept) = ufw_added(&ns, &bind);
        assert_eq!(opened, expected(plan), "after {what}:\n{text}");
        assert_eq!(kept, others, "after {what}:\n{text}");
    }
    let status = ns.ok(&format!("{bind}ufw status"), &[]);
    assert!(status.contains("Status: active"), "{status}");
    assert!(!status.contains("7880"), "{status}");
}
