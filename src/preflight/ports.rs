//! Are the ports the stack needs free, and if not, which process holds each one?
//!
//! The kernel's socket tables (`{proc}/net/{tcp,tcp6,udp,udp6}`) give the socket's inode; every
//! process's open files (`{proc}/[pid]/fd/*`, symlinks such as `socket:[12345]`) tell which
//! processes hold that inode; `{proc}/[pid]/comm` names them and `{proc}/[pid]/stat` gives their
//! parents, so a holder inside one of selkie's own containers can be recognised on `--resume`.
//! Only files are read. Without root the open files of other users' processes cannot be read:
//! the socket's owner (a uid) is then named instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Item, Mark};
use crate::preset::Proto;

/// A process that has a socket on a wanted port open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The command name from `/proc/[pid]/comm` (at most 15 characters), e.g. `nginx`.
    pub comm: String,
    /// The process itself, then its parent, its parent's parent … up to (not including) pid 0.
    pub lineage: Vec<u32>,
}

/// What holds one wanted port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortUse {
    pub port: u16,
    pub proto: Proto,
    /// A socket holds the port (listening TCP, or bound UDP), on any address.
    pub busy: bool,
    /// The uid owning the socket, from the socket table.
    pub uid: Option<u32>,
    /// Processes with the socket open, lowest pid first; empty when none could be seen
    /// (another user's process while not root).
    pub holders: Vec<Holder>,
}

/// One row of `/proc/net/{tcp,udp}[6]` that holds a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Socket {
    port: u16,
    proto: Proto,
    uid: Option<u32>,
    inode: u64,
}

/// Sockets that hold a port: TCP in state LISTEN (`0A`), UDP in any state (a UDP socket in the
/// table is bound to its local port whether or not it is connected).
fn sockets(proc_dir: &Path) -> Vec<Socket> {
    let mut out = Vec::new();
    for (file, proto) in [
        ("net/tcp", Proto::Tcp),
        ("net/tcp6", Proto::Tcp),
        ("net/udp", Proto::Udp),
        ("net/udp6", Proto::Udp),
    ] {
        let Ok(text) = std::fs::read_to_string(proc_dir.join(file)) else {
            continue;
        };
        out.extend(
            text.lines()
                .skip(1)
                .filter_map(|line| parse_socket(line, proto)),
        );
    }
    out
}

/// `sl local_address rem_address st queues timer retrnsmt uid timeout inode …`.
fn parse_socket(line: &str, proto: Proto) -> Option<Socket> {
    let row = crate::host::parse_socket_row(line)?;
    if proto == Proto::Tcp && row.state != "0A" {
        return None;
    }
    Some(Socket {
        port: row.port,
        proto,
        uid: row.uid,
        inode: row.inode,
    })
}

/// Which processes have any of `inodes` open: inode -> pids, from every `{proc}/[pid]/fd`.
fn owners(proc_dir: &Path, inodes: &BTreeSet<u64>) -> BTreeMap<u64, BTreeSet<u32>> {
    let mut found: BTreeMap<u64, BTreeSet<u32>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(proc_dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Another user's process without root, or one that just exited: not ours to see.
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let inode = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok());
            if let Some(inode) = inode.filter(|i| inodes.contains(i)) {
                found.entry(inode).or_default().insert(pid);
            }
        }
    }
    found
}

/// The parent pid from `/proc/[pid]/stat` (the comm in parentheses may hold spaces and `)`).
fn parent(proc_dir: &Path, pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_dir.join(pid.to_string()).join("stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `pid`, its parent, and so on up to init (bounded, in case of a malformed tree).
fn lineage(proc_dir: &Path, pid: u32) -> Vec<u32> {
    let mut chain = vec![pid];
    let mut current = pid;
    while chain.len() < 64 {
        match parent(proc_dir, current) {
            Some(p) if p != 0 && !chain.contains(&p) => {
                chain.push(p);
                current = p;
            }
            _ => break,
        }
    }
    chain
}

fn holder(proc_dir: &Path, pid: u32) -> Holder {
    let comm = std::fs::read_to_string(proc_dir.join(pid.to_string()).join("comm"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "a process".to_string());
    Holder {
        pid,
        comm,
        lineage: lineage(proc_dir, pid),
    }
}

/// What holds each of `wanted`, in the order given. Reads the socket tables, and the processes'
/// open files only when a wanted port is busy.
pub fn scan(proc_dir: &Path, wanted: &[(u16, Proto)]) -> Vec<PortUse> {
    let all = sockets(proc_dir);
    let relevant: Vec<&Socket> = all
        .iter()
        .filter(|s| wanted.contains(&(s.port, s.proto)))
        .collect();
    let inodes: BTreeSet<u64> = relevant
        .iter()
        .map(|s| s.inode)
        .filter(|&i| i != 0)
        .collect();
    let owners = if inodes.is_empty() {
        BTreeMap::new()
    } else {
        owners(proc_dir, &inodes)
    };
    wanted
        .iter()
        .map(|&(port, proto)| {
            let on_port: Vec<&&Socket> = relevant
                .iter()
                .filter(|s| s.port == port && s.proto == proto)
                .collect();
            let pids: BTreeSet<u32> = on_port
                .iter()
                .filter_map(|s| owners.get(&s.inode))
                .flatten()
                .copied()
                .collect();
            PortUse {
                port,
                proto,
                busy: !on_port.is_empty(),
                uid: on_port.iter().find_map(|s| s.uid),
                holders: pids.into_iter().map(|pid| holder(proc_dir, pid)).collect(),
            }
        })
        .collect()
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
        (80 | 443, Proto::Tcp) => "stop it, or choose --proxy external to put selkie behind it",
        (7881, Proto::Tcp) => "stop it: LiveKit takes 7881/tcp for WebRTC over TCP",
        (3478, Proto::Udp) => {
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
pub fn items(uses: &[PortUse], ours: &[u32], resume: bool) -> Vec<Item> {
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

/// [`scan`] then [`items`]: the port lines for `wanted` on the host whose `/proc` is `proc_dir`.
pub fn check(proc_dir: &Path, wanted: &[(u16, Proto)], ours: &[u32], resume: bool) -> Vec<Item> {
    items(&scan(proc_dir, wanted), ours, resume)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A /proc tree: a TCP listener on 443 (inode 777) and a UDP socket on 3478 (inode 888)
    /// held by nginx (pid 40, child of 30, child of 1) and coturn (pid 50).
    fn fake_proc() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("net")).unwrap();
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
                   \x20  0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 777 1 0\n\
                   \x20  1: 0100007F:0050 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0\n";
        std::fs::write(p.join("net/tcp"), tcp).unwrap();
        let udp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                   \x20  0: 00000000:0D96 00000000:0000 07 00000000:00000000 00:00000000 00000000   106        0 888 2 0 0\n";
        std::fs::write(p.join("net/udp6"), udp).unwrap();
        for (pid, comm, ppid, inode) in [
            (1u32, "systemd", 0u32, None),
            (30, "nginx", 1, Some(777u64)),
            (40, "nginx", 30, Some(777)),
            (50, "turnserver", 1, Some(888)),
        ] {
            let d = p.join(pid.to_string());
            std::fs::create_dir_all(d.join("fd")).unwrap();
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
            std::fs::write(
                d.join("stat"),
                format!("{pid} ({comm} (x)) S {ppid} {pid} {pid} 0 -1\n"),
            )
            .unwrap();
            std::os::unix::fs::symlink("/dev/null", d.join("fd/0")).unwrap();
            if let Some(inode) = inode {
                std::os::unix::fs::symlink(format!("socket:[{inode}]"), d.join("fd/3")).unwrap();
            }
        }
        dir
    }

    #[test]
    fn busy_ports_name_their_processes() {
        let proc_dir = fake_proc();
        let uses = scan(proc_dir.path(), &crate::preflight::PORTS);
        let https = &uses[1];
        assert!(https.busy && https.uid == Some(33));
        assert_eq!(
            https.holders.iter().map(|h| h.pid).collect::<Vec<_>>(),
            [30, 40]
        );
        assert_eq!(https.holders[1].lineage, [40, 30, 1]);
        // A connected TCP socket on port 80 is not a listener.
        assert!(!uses[0].busy);
        let got = items(&uses, &[], false);
        assert_eq!(got[0].mark, Mark::Ok);
        assert_eq!(got[0].detail, "80/tcp and 7881/tcp are free");
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
        let proc_dir = fake_proc();
        let uses = scan(proc_dir.path(), &[(443, Proto::Tcp)]);
        // The container's init is nginx's master (30); its worker 40 descends from it.
        let resumed = items(&uses, &[30], true);
        assert_eq!(
            resumed,
            [Item::new(
                Mark::Ok,
                "Ports",
                "443/tcp held by selkie's own containers"
            )]
        );
        let fresh = items(&uses, &[30], false);
        assert_eq!(fresh[0].mark, Mark::Warn);
        assert!(fresh[0].detail.contains("selkie setup --resume"));
        // Someone else's container init does not make the port ours.
        assert_eq!(items(&uses, &[999], true)[0].mark, Mark::Warn);
    }

    #[test]
    fn unseen_holders_are_named_by_uid() {
        let proc_dir = fake_proc();
        std::fs::remove_dir_all(proc_dir.path().join("30")).unwrap();
        std::fs::remove_dir_all(proc_dir.path().join("40")).unwrap();
        let got = check(proc_dir.path(), &[(443, Proto::Tcp)], &[], false);
        assert!(got[0].detail.contains("a process of uid 33"), "{got:?}");
        assert!(got[0].detail.contains("sudo"));
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| join_and(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }
}
