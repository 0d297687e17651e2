//! The ports the deployment needs: which are free, which selkie's own containers hold, and what
//! holds the others, with what to do about each (judged from `HostFacts::sockets`).

use super::{Item, Mark};
use crate::host::{Holder, Socket};
use crate::plan::{HTTPS_PORT, HTTP_PORT, TCP_FALLBACK_PORT, TURN_UDP_PORT};
use crate::transport::Proto;

/// What holds one wanted port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PortUse {
    port: u16,
    proto: Proto,
    /// A socket holds the port (listening TCP, or bound UDP), on any address.
    busy: bool,
    /// The uid owning the socket, from the socket table.
    uid: Option<u32>,
    /// Processes with the socket open, lowest pid first, each once; empty when none could be
    /// seen (another user's process while not root).
    holders: Vec<Holder>,
}

/// What the `sockets` show on one wanted port.
fn port_use(sockets: &[Socket], (port, proto): (u16, Proto)) -> PortUse {
    let on_port: Vec<&Socket> = sockets
        .iter()
        .filter(|s| s.port == port && s.proto == proto)
        .collect();
    let mut holders: Vec<Holder> = on_port.iter().flat_map(|s| s.holders.clone()).collect();
    holders.sort_by_key(|h| h.pid);
    holders.dedup_by_key(|h| h.pid);
    PortUse {
        port,
        proto,
        busy: !on_port.is_empty(),
        uid: on_port.iter().find_map(|s| s.uid),
        holders,
    }
}

/// Whether every holder of a busy port runs inside one of the containers whose init pids are
/// `ours` (the holder or one of its ancestors is such an init).
fn held_by_us(u: &PortUse, ours: &[u32]) -> bool {
    !u.holders.is_empty()
        && u.holders
            .iter()
            .all(|h| h.lineage.iter().any(|p| ours.contains(p)))
}

/// `nginx (pid 123)`, `nginx (pid 123) and apache2 (pid 456)`: one entry per command, with its
/// lowest pid (a forking server's workers share the listening socket of their master).
fn holders_text(holders: &[Holder]) -> String {
    let mut seen: Vec<&Holder> = Vec::new();
    for h in holders {
        if !seen.iter().any(|s| s.comm == h.comm) {
            seen.push(h);
        }
    }
    let names: Vec<String> = seen
        .iter()
        .map(|h| format!("{} (pid {})", h.comm, h.pid))
        .collect();
    join_and(&names)
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What to do about a port someone else holds.
fn advice(port: u16, proto: Proto) -> &'static str {
    match (port, proto) {
        (HTTP_PORT | HTTPS_PORT, Proto::Tcp) => {
            "stop it, or choose --proxy external to put selkie behind it"
        }
        (TCP_FALLBACK_PORT, Proto::Tcp) => "stop it: LiveKit takes 7881/tcp for WebRTC over TCP",
        (TURN_UDP_PORT, Proto::Udp) => {
            "stop it: LiveKit's TURN server takes 3478/udp (for coturn: \
             `sudo systemctl disable --now coturn`)"
        }
        _ => "stop it, or the service that needs this port cannot start",
    }
}

fn conflict(u: &PortUse) -> Item {
    let title = format!("Port {}/{}", u.port, u.proto.as_str());
    let what = format!("port {}/{} is in use by", u.port, u.proto.as_str());
    if u.holders.is_empty() {
        let owner = match u.uid {
            Some(uid) => format!("a process of uid {uid}"),
            None => "a process".to_string(),
        };
        return Item::new(
            Mark::Warn,
            title,
            format!(
                "{what} {owner} that selkie may not inspect: run selkie with sudo to name it \
                 (or `sudo ss -lntup`), then {}",
                advice(u.port, u.proto)
            ),
        );
    }
    let who = holders_text(&u.holders);
    if u.holders.iter().any(|h| h.comm == "docker-proxy") {
        return Item::new(
            Mark::Warn,
            title,
            format!(
                "{what} {who}: a Docker container publishes it; `docker ps` shows which, \
                 stop that container or choose --proxy external"
            ),
        );
    }
    Item::new(
        Mark::Warn,
        title,
        format!("{what} {who}: {}", advice(u.port, u.proto)),
    )
}

/// The checklist lines for the ports: one `Ports` line for those that are free (and, on
/// `--resume`, those held by selkie's own containers, whose init pids are `ours`); on a first
/// run, one `Ports in use` warning for those selkie's own containers hold; then one warning per
/// port something else holds.
pub fn items(sockets: &[Socket], wanted: &[(u16, Proto)], ours: &[u32], resume: bool) -> Vec<Item> {
    let uses: Vec<PortUse> = wanted.iter().map(|&w| port_use(sockets, w)).collect();
    let name = |u: &PortUse| format!("{}/{}", u.port, u.proto.as_str());
    let free: Vec<String> = uses.iter().filter(|u| !u.busy).map(name).collect();
    let mine: Vec<&PortUse> = uses
        .iter()
        .filter(|u| u.busy && held_by_us(u, ours))
        .collect();
    let mine_names: Vec<String> = mine.iter().map(|u| name(u)).collect();
    let mut parts = Vec::new();
    if !free.is_empty() {
        let verb = if free.len() == 1 { "is" } else { "are" };
        parts.push(format!("{} {verb} free", join_and(&free)));
    }
    if resume && !mine.is_empty() {
        parts.push(format!(
            "{} held by selkie's own containers",
            join_and(&mine_names)
        ));
    }
    let mut out = Vec::new();
    if !parts.is_empty() {
        out.push(Item::new(Mark::Ok, "Ports", parts.join("; ")));
    }
    if !resume && !mine.is_empty() {
        let holders: Vec<Holder> = mine.iter().flat_map(|u| u.holders.clone()).collect();
        let verb = if mine.len() == 1 { "is" } else { "are" };
        out.push(Item::new(
            Mark::Warn,
            "Ports in use",
            format!(
                "{} {verb} in use by {} in selkie's own containers: a deployment already runs \
                 here; run `selkie setup --resume` to change it, or `selkie down` to start over",
                join_and(&mine_names),
                holders_text(&holders)
            ),
        ));
    }
    out.extend(
        uses.iter()
            .filter(|u| u.busy && !held_by_us(u, ours))
            .map(conflict),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32, comm: &str, lineage: &[u32]) -> Holder {
        Holder {
            pid,
            comm: comm.into(),
            lineage: lineage.to_vec(),
        }
    }

    /// nginx (master 30, worker 40) listening on 443/tcp over IPv4 and IPv6, coturn (50) on
    /// 3478/udp, and sshd on 22.
    fn sockets() -> Vec<Socket> {
        let nginx = vec![
            holder(30, "nginx", &[30, 1]),
            holder(40, "nginx", &[40, 30, 1]),
        ];
        let socket = |port, proto, uid, holders: Vec<Holder>| Socket {
            port,
            proto,
            uid: Some(uid),
            holders,
        };
        vec![
            socket(22, Proto::Tcp, 0, vec![holder(7, "sshd", &[7, 1])]),
            socket(443, Proto::Tcp, 33, nginx.clone()),
            socket(443, Proto::Tcp, 33, nginx),
            socket(
                3478,
                Proto::Udp,
                106,
                vec![holder(50, "turnserver", &[50, 1])],
            ),
        ]
    }

    #[test]
    fn busy_ports_name_their_processes() {
        let got = items(&sockets(), &crate::preflight::first_run_ports(), &[], false);
        assert_eq!(
            got[0],
            Item::new(Mark::Ok, "Ports", "80/tcp and 7881/tcp are free")
        );
        assert_eq!(got[1].title, "Port 443/tcp");
        assert_eq!(
            got[1].detail,
            "port 443/tcp is in use by nginx (pid 30): stop it, or choose --proxy external to \
             put selkie behind it"
        );
        assert!(got[2].detail.contains("turnserver (pid 50)") && got[2].detail.contains("coturn"));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn our_own_containers_are_skipped_on_resume_only() {
        let wanted = [(443, Proto::Tcp)];
        // The container's init is nginx's master (30); its worker 40 descends from it.
        let resumed = items(&sockets(), &wanted, &[30], true);
        assert_eq!(
            resumed,
            [Item::new(
                Mark::Ok,
                "Ports",
                "443/tcp held by selkie's own containers"
            )]
        );
        let fresh = items(&sockets(), &wanted, &[30], false);
        assert_eq!(fresh[0].mark, Mark::Warn);
        assert_eq!(fresh[0].title, "Ports in use");
        assert!(fresh[0].detail.contains("selkie setup --resume"));
        // Someone else's container init does not make the port ours.
        assert_eq!(items(&sockets(), &wanted, &[999], true)[0].mark, Mark::Warn);
    }

    #[test]
    fn unseen_holders_are_named_by_uid_and_docker_proxy_by_its_container() {
        let hidden = [Socket {
            port: 443,
            proto: Proto::Tcp,
            uid: Some(33),
            holders: Vec::new(),
        }];
        let got = items(&hidden, &[(443, Proto::Tcp)], &[], false);
        assert!(got[0].detail.contains("a process of uid 33"), "{got:?}");
        assert!(got[0].detail.contains("sudo"));
        let published = [Socket {
            port: 7881,
            proto: Proto::Tcp,
            uid: Some(0),
            holders: vec![holder(90, "docker-proxy", &[90, 1])],
        }];
        let got = items(&published, &[(7881, Proto::Tcp)], &[], false);
        assert!(
            got[0].detail.contains("a Docker container publishes it"),
            "{got:?}"
        );
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| join_and(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }
}
