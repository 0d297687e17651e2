//! The sockets that hold a port on this host, and which processes hold each one.
//!
//! The kernel's socket tables (`{proc}/net/{tcp,tcp6,udp,udp6}`) give the socket's inode; every
//! process's open files (`{proc}/[pid]/fd/*`, symlinks such as `socket:[12345]`) tell which
//! processes hold that inode; `{proc}/[pid]/comm` names them and `{proc}/[pid]/stat` gives their
//! parents, so a holder inside one of selkie's own containers can be recognised on `--resume`.
//! Only files are read. Without root the open files of other users' processes cannot be read:
//! the socket's owner (a uid) is all that is known then.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::socket_table::{parse_socket_row, SocketState};
use crate::transport::Proto;

/// A process that has a socket open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The command name from `/proc/[pid]/comm` (at most 15 characters), e.g. `nginx`.
    pub comm: String,
    /// The process itself, then its parent, its parent's parent … up to (not including) pid 0.
    pub lineage: Vec<u32>,
}

/// A socket that holds a port: TCP in state LISTEN, UDP in any state (a UDP socket in the table
/// is bound to its local port whether or not it is connected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    pub port: u16,
    pub proto: Proto,
    /// The uid owning the socket, from the socket table.
    pub uid: Option<u32>,
    /// Processes with the socket open, lowest pid first; empty when none could be seen
    /// (another user's process while not root).
    pub holders: Vec<Holder>,
}

/// One row of the socket tables, before its holders are known.
struct Row {
    port: u16,
    proto: Proto,
    uid: Option<u32>,
    inode: u64,
}

/// Every socket that holds a port on the host whose `/proc` is `proc_dir`, in table order
/// (TCP, TCP6, UDP, UDP6), each with the processes that hold it. Unreadable tables are skipped.
pub fn listening(proc_dir: &Path) -> Vec<Socket> {
    let rows = rows(proc_dir);
    let inodes: BTreeSet<u64> = rows.iter().map(|r| r.inode).filter(|&i| i != 0).collect();
    let owners = if inodes.is_empty() {
        BTreeMap::new()
    } else {
        owners(proc_dir, &inodes)
    };
    rows.into_iter()
        .map(|r| Socket {
            port: r.port,
            proto: r.proto,
            uid: r.uid,
            holders: owners
                .get(&r.inode)
                .into_iter()
                .flatten()
                .map(|&pid| holder(proc_dir, pid))
                .collect(),
        })
        .collect()
}

fn rows(proc_dir: &Path) -> Vec<Row> {
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
        out.extend(text.lines().skip(1).filter_map(|line| {
            let row = parse_socket_row(line)?;
            // A UDP socket in the table is bound whatever its state.
            (proto == Proto::Udp || row.state == SocketState::LISTEN).then_some(Row {
                port: row.local.port(),
                proto,
                uid: row.uid,
                inode: row.inode,
            })
        }));
    }
    out
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A /proc tree: a TCP listener on 443 (inode 777) and a UDP socket on 3478 (inode 888)
    /// held by nginx (pid 40, child of 30, child of 1) and coturn (pid 50); a connected TCP
    /// socket on port 80 that listens on nothing.
    pub(crate) fn fake_proc() -> tempfile::TempDir {
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
    fn listening_sockets_name_their_processes() {
        let proc_dir = fake_proc();
        let found = listening(proc_dir.path());
        // The connected TCP socket on port 80 is no listener.
        assert_eq!(
            found.iter().map(|s| (s.port, s.proto)).collect::<Vec<_>>(),
            [(443, Proto::Tcp), (3478, Proto::Udp)]
        );
        let https = &found[0];
        assert_eq!(https.uid, Some(33));
        assert_eq!(
            https.holders.iter().map(|h| h.pid).collect::<Vec<_>>(),
            [30, 40]
        );
        assert_eq!(https.holders[1].lineage, [40, 30, 1]);
        assert_eq!(https.holders[1].comm, "nginx");
        assert_eq!(found[1].holders[0].comm, "turnserver");
    }

    #[test]
    fn unseen_holders_leave_only_the_uid() {
        let proc_dir = fake_proc();
        std::fs::remove_dir_all(proc_dir.path().join("30")).unwrap();
        std::fs::remove_dir_all(proc_dir.path().join("40")).unwrap();
        let found = listening(proc_dir.path());
        assert!(found[0].holders.is_empty());
        assert_eq!(found[0].uid, Some(33));
    }
}
