//! What a running selkie process costs, as /proc tells it: CPU ticks and peak memory.

use std::process::Command;

/// A live selkie process with this id (not a zombie, not a reused id running something else).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.contains("(selkie)")
                && !matches!(stat_fields(&stat).first().copied(), Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

/// The fields of `/proc/PID/stat` after the command name: state, ppid, ... (field 3 onwards).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

/// utime + stime of the process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("selkie is running");
    let f = stat_fields(&stat);
    // utime and stime are fields 14 and 15; the list starts at field 3.
    let tick = |i: usize| f[i].parse::<u64>().expect("a tick count");
    tick(14 - 3) + tick(15 - 3)
}

pub fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Peak resident set size (`VmHWM`), in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("selkie is running");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/PID/status")
        * 1024
}

/// `pid` or its first descendant that is selkie (the pane may run a shell around it).
pub fn find_selkie(pid: u32) -> Option<u32> {
    if alive(pid) {
        return Some(pid);
    }
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .find_map(find_selkie)
}

/// Kills the selkie process when dropped, should it outlive its terminal.
pub struct Reaper(pub u32);

impl Drop for Reaper {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while alive(self.0) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if alive(self.0) {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
}
