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
//!    socket, no status line: tests/health/tmux.rs, shared with tests/status_e2e.rs) at 80x24;
//!    `tmux pipe-pane` copies every byte written to the terminal into a file. After 10 s to settle, 60 s are measured: the bytes written, the CPU
//!    time of the selkie process (`/proc/PID/stat`) and its peak RSS (`VmHWM`). Where `unshare -n`
//!    is allowed, selkie gets its own network namespace (loopback only), so every port refuses:
//!    another deployment or test on the same machine would otherwise answer some probes and
//!    redraw the screen with their latencies. Without it, the ports that answered are named.
//! 2. `selkie status --once --timeout 2` against a deployment whose three SSH ports (each gets a
//!    TCP check) are blackholed by this process (tests/health/blackhole.rs: a listener whose
//!    accept queue is full, so Linux drops further SYNs and each connect waits for the whole
//!    timeout). Closed ports would refuse at once and time nothing.
//!
//! Needs tmux on PATH. Everything started here (tmux server, selkie) is ended when the bench ends,
//! panics included.

#[path = "../tests/health/blackhole.rs"]
mod blackhole;
#[path = "support/process.rs"]
mod process;
#[path = "../tests/health/tmux.rs"]
mod tmux;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use blackhole::Blackhole;
use process::{alive, cpu_ticks, find_selkie, peak_rss, Reaper};
use tmux::Tmux;

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
    let mut args: Vec<String> = [
        "setup",
        "--non-interactive",
        "--no-start",
        "--preset",
        "reflector",
        "--ip",
        "127.0.0.1",
        "--image",
        "frontend=registry.example.com/f:1",
        "--image",
        "backend=registry.example.com/b:1",
        "--dir",
    ]
    .map(String::from)
    .to_vec();
    args.push(utf8(dir).to_string());
    for p in ssh_ports {
        args.extend(["--ssh-port".to_string(), p.to_string()]);
    }
    let out = selkie(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        docker_host,
    );
    assert!(out.status.success(), "setup failed:\n{}", text(&out));
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8 here")
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

// ------------------------------------------------------------------------------ the dashboard

/// What the idle dashboard cost over `MEASURE`.
struct Idle {
    secs: f64,
    ticks: u64,
    bytes: u64,
    /// One-second samples in which the dashboard wrote anything.
    busy_seconds: u64,
    peak_rss: u64,
    screen: String,
}

/// Settles, then measures the dashboard `pid` drawing into `capture`.
fn measure_idle(tmux: &Tmux, pid: u32, capture: &Path) -> Idle {
    sleep(SETTLE);
    assert!(
        alive(pid),
        "the dashboard exited while settling:\n{}",
        tmux.screen()
    );
    let (bytes0, ticks0, start) = (file_len(capture), cpu_ticks(pid), Instant::now());
    // Sampled every second: how often the dashboard wrote, not only how much.
    let (mut seen, mut busy_seconds) = (bytes0, 0);
    while start.elapsed() < MEASURE {
        sleep(Duration::from_secs(1).min(MEASURE.saturating_sub(start.elapsed())));
        let now = file_len(capture);
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
    Idle {
        secs: start.elapsed().as_secs_f64(),
        ticks: cpu_ticks(pid) - ticks0,
        bytes: file_len(capture) - bytes0,
        busy_seconds,
        peak_rss: peak_rss(pid),
        screen: tmux.screen(),
    }
}

/// The capture works: one key press (j, select the next service) must show up in the file.
/// Then q must quit. Returns the bytes the key press wrote, and how the quit went.
fn key_and_quit(tmux: &Tmux, pid: u32, capture: &Path) -> (u64, String) {
    let before = file_len(capture);
    tmux.keys(&["j"]);
    let deadline = Instant::now() + Duration::from_secs(3);
    while file_len(capture) == before && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
    }
    sleep(Duration::from_millis(300));
    let key_bytes = file_len(capture) - before;
    tmux.keys(&["q"]);
    let quit = Instant::now();
    while alive(pid) && quit.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(10));
    }
    let note = if alive(pid) {
        "did NOT quit on q within 5 s (killed)".to_string()
    } else {
        format!("quit on q in {} ms", quit.elapsed().as_millis())
    };
    (key_bytes, note)
}

fn dashboard(base: &Path, docker_host: &str) {
    let dir = base.join("dashboard");
    setup(&dir, &[], docker_host);
    let capture = base.join("terminal.bytes");
    let isolated = private_network();
    let wrap = match &isolated {
        Some(unshare) => format!(
            "{} sh -c 'ip link set lo up && exec \"$@\"' sh",
            unshare.join(" ")
        ),
        None => String::new(),
    };
    let tmux = Tmux::start(&format!(
        "exec {wrap} env DOCKER_HOST='{docker_host}' '{SELKIE}' status --dir '{}' --interval 2",
        utf8(&dir)
    ));
    tmux.copy_output_to(&capture);
    let deadline = Instant::now() + Duration::from_secs(5);
    let pid = loop {
        if let Some(pid) = find_selkie(tmux.pane_pid()) {
            break pid;
        }
        let screen = tmux.screen();
        assert!(
            Instant::now() < deadline,
            "selkie status is not running in the pane:\n{screen}"
        );
        sleep(Duration::from_millis(50));
    };
    let _reaper = Reaper(pid);
    let idle = measure_idle(&tmux, pid, &capture);
    let (key_bytes, quit_note) = key_and_quit(&tmux, pid, &capture);
    drop(tmux);

    let ticks_per_second = process::clock_ticks_per_second();
    let cpu = idle.ticks as f64 / ticks_per_second / idle.secs * 100.0;
    let per_minute = idle.bytes as f64 * 60.0 / idle.secs;
    println!("selkie status dashboard: reflector preset ({SERVICES} services; there is no six-service preset) at 127.0.0.1,");
    println!(
        "  no containers (Docker unreachable), tmux 80x24, --interval 2, settled {} s, measured over {:.1} s",
        SETTLE.as_secs(),
        idle.secs
    );
    match &isolated {
        Some(unshare) => println!(
            "  in its own network namespace (`{}`, loopback up): nothing else answers its probes",
            unshare.join(" ")
        ),
        None => match answering_ports(&dir) {
            answered if answered.is_empty() => println!(
                "  on the machine's network (no `unshare -n` here); none of the plan's ports answered"
            ),
            answered => println!(
                "  on the machine's network (no `unshare -n` here); NOTE: 127.0.0.1 ports {} answered (something \
                 else listens there), so those checks and their latencies change between rounds",
                answered.join(", ")
            ),
        },
    }
    println!(
        "  idle CPU          {cpu:>8.3} % of one core  ({} ticks at {ticks_per_second:.0} Hz)   (target < {CPU_TARGET_PERCENT} %: {})",
        idle.ticks,
        verdict(cpu < CPU_TARGET_PERCENT)
    );
    println!(
        "  peak RSS (VmHWM)  {:>8.1} MB                                (target < {} MB: {})",
        idle.peak_rss as f64 / 1e6,
        RSS_TARGET_BYTES / 1_000_000,
        verdict(idle.peak_rss < RSS_TARGET_BYTES)
    );
    println!(
        "  terminal output   {per_minute:>8.0} bytes/min  ({} bytes, written in {} of {} one-second samples)   (target < {} KB/min: {})",
        idle.bytes,
        idle.busy_seconds,
        MEASURE.as_secs(),
        BYTES_PER_MIN_TARGET / 1000.0,
        verdict(per_minute < BYTES_PER_MIN_TARGET)
    );
    let warning = if key_bytes == 0 {
        " - WARNING: the capture saw nothing, the byte count above means nothing"
    } else {
        ""
    };
    println!("  capture check: one key press (j) wrote {key_bytes} bytes{warning}; {quit_note}");
    if let Some(top) = idle.screen.lines().next() {
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
    let out = selkie(
        &["plan", "--json", "--dir", utf8(dir)],
        "unix:///nonexistent",
    );
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
    let timeout = ONCE_TIMEOUT_SECS.to_string();
    let args = [
        "status",
        "--once",
        "--dir",
        utf8(&dir),
        "--timeout",
        &timeout,
    ];
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
    for label in ports.iter().map(|p| format!("{p}/tcp")) {
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
