//! Prints what `selkie status` costs: the idle dashboard's CPU (target under 1% of one core), its
//! peak RSS (under 25 MB) and the bytes it writes to the terminal per minute when nothing changes
//! (SSH-friendly: under 20 KB), and the wall time of `status --once` with three dead ports (about
//! one timeout, not three). Figures only: shared machines are noisy, so nothing here passes or
//! fails on time (it does fail when a run does not do what is being measured).
//!
//! The issue asks for a six-service stack; there is no six-service preset, so this uses the
//! reflector preset (8 services) at 127.0.0.1, written with `--no-start`. Docker is pointed at a
//! socket that does not exist, so the figures do not depend on whatever containers the machine
//! runs: every service is unknown, a steady state where nothing changes.
//!
//! 1. The release binary runs `selkie status --interval 2` in a private tmux server (its own
//!    socket, no status line) at 80x24; `tmux pipe-pane` copies every byte written to the
//!    terminal into a file. After 10 s to settle, 60 s are measured: the bytes written, the CPU
//!    time of the selkie process (`/proc/PID/stat`) and its peak RSS (`VmHWM`). Where `unshare -n`
//!    is allowed, selkie gets its own network namespace (loopback only), so every port refuses:
//!    another deployment or test on the same machine would otherwise answer some probes and
//!    redraw the screen with their latencies. Without it, the ports that answered are named.
//! 2. `selkie status --once --timeout 2` against a deployment whose three SSH ports (each gets a
//!    TCP check) are blackholed by this process: a listener with backlog 1 whose accept queue is
//!    full, so Linux drops further SYNs and each connect waits for the whole timeout. Closed ports
//!    would refuse at once and time nothing.
//!
//! Needs tmux on PATH. Everything started here (tmux server, selkie) is ended when the bench ends,
//! panics included.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const SELKIE: &str = env!("CARGO_BIN_EXE_selkie");
const SERVICES: usize = 8;
const SETTLE: Duration = Duration::from_secs(10);
const MEASURE: Duration = Duration::from_secs(60);
/// Targets from the issue (decimal units).
const CPU_TARGET_PERCENT: f64 = 1.0;
const RSS_TARGET_BYTES: u64 = 25_000_000;
const BYTES_PER_MIN_TARGET: f64 = 20_000.0;
/// `status --once` probe timeout in seconds, and how many timed runs.
const ONCE_TIMEOUT_SECS: u64 = 2;
const ONCE_ROUNDS: usize = 5;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `selkie ARGS` with Docker pointed at `docker_host`: its output, whatever its exit code.
fn selkie(args: &[&str], docker_host: &str) -> Output {
    Command::new(SELKIE)
        .args(args)
        .env("DOCKER_HOST", docker_host)
        .stdin(Stdio::null())
        .output()
        .expect("the selkie binary runs")
}

/// A reflector deployment at 127.0.0.1 in `dir`, with these SSH ports if any.
fn setup(dir: &Path, ssh_ports: &[u16], docker_host: &str) {
    let d = dir.to_str().expect("temporary paths are UTF-8 here");
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--no-start",
        "--dir",
        d,
        "--preset",
        "reflector",
        "--ip",
        "127.0.0.1",
        "--image",
        "frontend=registry.example.com/f:1",
        "--image",
        "backend=registry.example.com/b:1",
    ];
    let ports: Vec<String> = ssh_ports.iter().map(u16::to_string).collect();
    for p in &ports {
        args.extend(["--ssh-port", p.as_str()]);
    }
    let out = selkie(&args, docker_host);
    assert!(out.status.success(), "setup failed:\n{}", text(&out));
}

// ------------------------------------------------------------------------------ the dashboard

/// A private tmux server, killed (with the selkie it runs) when dropped.
struct Tmux {
    socket: String,
    config: PathBuf,
    /// The server's socket file, removed after the server (tmux leaves it behind).
    socket_path: Option<PathBuf>,
    selkie: Option<u32>,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.config)
            .args(args)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs (install tmux to run this bench)")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        assert!(
            out.status.success(),
            "`tmux {}` failed:\n{}",
            args.join(" "),
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p"]).stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
        // The server's end hangs up the pane; make sure selkie went with it.
        if let Some(pid) = self.selkie {
            let deadline = Instant::now() + Duration::from_secs(2);
            while alive(pid) && Instant::now() < deadline {
                sleep(Duration::from_millis(50));
            }
            if alive(pid) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// A live selkie process with this id (not a zombie, not a reused id running something else).
fn alive(pid: u32) -> bool {
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
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("selkie is running");
    let f = stat_fields(&stat);
    // utime and stime are fields 14 and 15; the list starts at field 3.
    let tick = |i: usize| f[i].parse::<u64>().expect("a tick count");
    tick(14 - 3) + tick(15 - 3)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Peak resident set size (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("selkie is running");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/PID/status")
        * 1024
}

/// `pid` or its first descendant that is selkie (the pane may run a shell around it).
fn find_selkie(pid: u32) -> Option<u32> {
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

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

fn dashboard(base: &Path, docker_host: &str) {
    let dir = base.join("dashboard");
    setup(&dir, &[], docker_host);
    let config = base.join("tmux.conf");
    // No status line: the pane gets all 24 rows. A pane whose program died stays, to show why.
    std::fs::write(&config, "set -g status off\nset -g remain-on-exit on\n")
        .expect("writing the tmux config");
    let capture = base.join("terminal.bytes");
    let mut tmux = Tmux {
        socket: format!("selkiebench-{}", std::process::id()),
        config,
        socket_path: None,
        selkie: None,
    };
    let d = dir.to_str().expect("temporary paths are UTF-8 here");
    let docker_env = format!("DOCKER_HOST={docker_host}");
    let isolated = private_network();
    let mut command: Vec<&str> = vec!["new-session", "-d", "-x", "80", "-y", "24"];
    if let Some(unshare) = &isolated {
        command.extend(unshare.iter().copied());
        command.extend(["sh", "-c", "ip link set lo up && exec \"$@\"", "sh"]);
    }
    command.extend([
        "env",
        &docker_env,
        SELKIE,
        "status",
        "--dir",
        d,
        "--interval",
        "2",
    ]);
    // Several words: tmux runs them as they are, without a shell.
    tmux.ok(&command);
    tmux.socket_path = Some(PathBuf::from(
        tmux.ok(&["display-message", "-p", "#{socket_path}"]).trim(),
    ));
    let pipe = format!(
        "cat >> '{}'",
        capture.to_str().expect("temporary paths are UTF-8 here")
    );
    tmux.ok(&["pipe-pane", "-o", &pipe]);
    let pane: u32 = tmux
        .ok(&["list-panes", "-F", "#{pane_pid}"])
        .trim()
        .parse()
        .expect("a pane pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    let pid = loop {
        if let Some(pid) = find_selkie(pane) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "selkie status is not running in the pane; it shows:\n{}",
            tmux.screen()
        );
        sleep(Duration::from_millis(50));
    };
    tmux.selkie = Some(pid);

    sleep(SETTLE);
    assert!(
        alive(pid),
        "the dashboard exited while settling:\n{}",
        tmux.screen()
    );
    let ticks_per_second = clock_ticks_per_second();
    let (bytes0, ticks0, start) = (file_len(&capture), cpu_ticks(pid), Instant::now());
    // Sampled every second: how often the dashboard wrote, not only how much.
    let (mut seen, mut busy_seconds) = (bytes0, 0);
    while start.elapsed() < MEASURE {
        sleep(Duration::from_secs(1).min(MEASURE.saturating_sub(start.elapsed())));
        let now = file_len(&capture);
        if now > seen {
            busy_seconds += 1;
            seen = now;
        }
    }
    assert!(
        alive(pid),
        "the dashboard exited while measured:\n{}",
        tmux.screen()
    );
    let (bytes1, ticks1, elapsed) = (file_len(&capture), cpu_ticks(pid), start.elapsed());
    let hwm = peak_rss(pid);
    let screen = tmux.screen();

    // The capture works: one key press (j, select the next service) must show up in the file.
    tmux.ok(&["send-keys", "j"]);
    let deadline = Instant::now() + Duration::from_secs(3);
    while file_len(&capture) == bytes1 && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
    }
    sleep(Duration::from_millis(300));
    let key_bytes = file_len(&capture) - bytes1;
    tmux.ok(&["send-keys", "q"]);
    let quit = Instant::now();
    while alive(pid) && quit.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(10));
    }
    let quit_note = if alive(pid) {
        "did NOT quit on q within 5 s (killed)".to_string()
    } else {
        format!("quit on q in {} ms", quit.elapsed().as_millis())
    };
    drop(tmux);

    let secs = elapsed.as_secs_f64();
    let cpu = (ticks1 - ticks0) as f64 / ticks_per_second / secs * 100.0;
    let per_minute = (bytes1 - bytes0) as f64 * 60.0 / secs;
    println!(
        "selkie status dashboard: reflector preset ({SERVICES} services; there is no six-service preset) at 127.0.0.1,"
    );
    println!(
        "  no containers (Docker unreachable), tmux 80x24, --interval 2, settled {} s, measured over {secs:.1} s",
        SETTLE.as_secs()
    );
    match &isolated {
        Some(unshare) => println!(
            "  in its own network namespace (`{}`, loopback up): nothing else answers its probes",
            unshare.join(" ")
        ),
        None => {
            let answered = answering_ports(&dir);
            if answered.is_empty() {
                println!("  on the machine's network (no `unshare -n` here); none of the plan's ports answered");
            } else {
                println!(
                    "  on the machine's network (no `unshare -n` here); NOTE: 127.0.0.1 ports {} answered (something \
                     else listens there), so those checks and their latencies change between rounds",
                    answered.join(", ")
                );
            }
        }
    }
    println!(
        "  idle CPU          {cpu:>8.3} % of one core  ({} ticks at {ticks_per_second:.0} Hz)   (target < {CPU_TARGET_PERCENT} %: {})",
        ticks1 - ticks0,
        verdict(cpu < CPU_TARGET_PERCENT)
    );
    println!(
        "  peak RSS (VmHWM)  {:>8.1} MB                                (target < {} MB: {})",
        hwm as f64 / 1e6,
        RSS_TARGET_BYTES / 1_000_000,
        verdict(hwm < RSS_TARGET_BYTES)
    );
    println!(
        "  terminal output   {per_minute:>8.0} bytes/min  ({} bytes, written in {busy_seconds} of {} one-second samples)   (target < {} KB/min: {})",
        bytes1 - bytes0,
        MEASURE.as_secs(),
        BYTES_PER_MIN_TARGET / 1000.0,
        verdict(per_minute < BYTES_PER_MIN_TARGET)
    );
    println!(
        "  capture check: one key press (j) wrote {key_bytes} bytes{}; {quit_note}",
        if key_bytes == 0 {
            " - WARNING: the capture saw nothing, the byte count above means nothing"
        } else {
            ""
        }
    );
    if let Some(top) = screen.lines().next() {
        println!("  screen's top line: {}", top.trim());
    }
}

/// The `unshare` words that give a program its own network namespace with loopback up, so
/// nothing else on this machine answers the dashboard's probes: as root, else in a user namespace.
fn private_network() -> Option<Vec<&'static str>> {
    [vec!["unshare", "-n"], vec!["unshare", "-r", "-n"]]
        .into_iter()
        .find(|unshare| {
            Command::new(unshare[0])
                .args(&unshare[1..])
                .args(["sh", "-c", "ip link set lo up"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

/// The plan's TCP ports on the host that accept a connection on 127.0.0.1 right now.
fn answering_ports(dir: &Path) -> Vec<String> {
    let out = Command::new(SELKIE)
        .args(["plan", "--json", "--dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the selkie binary runs");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let ports = plan["ports"].as_array().cloned().unwrap_or_default();
    ports
        .iter()
        .filter(|p| p["proto"] == "tcp" && p["exposure"] != "internal")
        .filter_map(|p| p["port"].as_u64().and_then(|n| u16::try_from(n).ok()))
        .filter(|&port| {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        })
        .map(|port| port.to_string())
        .collect()
}

// ------------------------------------------------------------------------------ status --once

/// A loopback port where connecting hangs: a listener with backlog 1 whose accept queue is full
/// of connections it never accepts, so Linux drops further SYNs instead of answering them.
struct Blackhole {
    port: u16,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
}

impl Blackhole {
    /// Needs a Tokio runtime entered (the listener registers with its reactor; it never runs).
    fn new() -> Blackhole {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("binding a loopback port");
        let listener = socket.listen(1).expect("listening");
        let addr = listener.local_addr().expect("the listener's address");
        let mut queued = Vec::new();
        // Fill the queue until a connect hangs: that proves the port really blackholes.
        for _ in 0..16 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(250)) {
                Ok(s) => queued.push(s),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Blackhole {
                        port: addr.port(),
                        _listener: listener,
                        _queued: queued,
                    }
                }
                Err(e) => panic!("filling the accept queue of {addr}: {e}"),
            }
        }
        panic!("{addr} kept accepting connections: no blackhole on this kernel");
    }
}

fn once(base: &Path, docker_host: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a Tokio runtime");
    let _entered = runtime.enter();
    let holes: Vec<Blackhole> = (0..3).map(|_| Blackhole::new()).collect();
    let ports: Vec<u16> = holes.iter().map(|h| h.port).collect();
    let dir = base.join("once");
    setup(&dir, &ports, docker_host);
    let d = dir.to_str().expect("temporary paths are UTF-8 here");
    let timeout = ONCE_TIMEOUT_SECS.to_string();
    let args = ["status", "--once", "--dir", d, "--timeout", &timeout];
    let mut times = Vec::new();
    let mut last = String::new();
    for _ in 0..ONCE_ROUNDS {
        let start = Instant::now();
        let out = selkie(&args, docker_host);
        times.push(start.elapsed());
        // Exit 1 is the expected answer: the deployment is down.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "`selkie status --once` failed ({}):\n{}",
            out.status,
            text(&out)
        );
        last = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    times.sort();
    let s = |d: Duration| d.as_secs_f64();
    let median = times[times.len() / 2];
    let one = Duration::from_secs(ONCE_TIMEOUT_SECS);
    let ports_text: Vec<String> = ports.iter().map(u16::to_string).collect();
    println!(
        "selkie status --once --timeout {ONCE_TIMEOUT_SECS}: reflector, 3 blackholed TCP ports (--ssh-port {}), {ONCE_ROUNDS} runs",
        ports_text.join(", ")
    );
    println!(
        "  wall time   min {:.2} s  median {:.2} s  max {:.2} s   (target: about one timeout ({} s), not three ({} s): {})",
        s(times[0]),
        s(median),
        s(times[times.len() - 1]),
        ONCE_TIMEOUT_SECS,
        3 * ONCE_TIMEOUT_SECS,
        verdict(median < one + one / 2)
    );
    for port in &ports {
        let label = format!("{port}/tcp");
        let row = last
            .lines()
            .find(|l| l.split_whitespace().next() == Some(label.as_str()))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "));
        match row {
            Some(row) if row.contains("timed out") => println!("  check row: {row}"),
            Some(row) => println!("  check row: {row}   - WARNING: not a time-out"),
            None => println!("  WARNING: no {label} row in the table:\n{last}"),
        }
    }
}

fn main() {
    let base = tempfile::tempdir().expect("a temporary directory");
    // A socket that does not exist: Docker is unreachable at once, the same on every machine.
    let docker_host = format!("unix://{}", base.path().join("no-docker.sock").display());
    dashboard(base.path(), &docker_host);
    println!();
    once(base.path(), &docker_host);
}
