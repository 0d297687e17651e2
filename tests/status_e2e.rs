//! `selkie status` against a real deployment: `selkie setup` of the livekit preset through the
//! real Docker daemon (the stand-in images of tests/common/docker.rs: real coturn answers STUN on
//! 3478/udp, Debian's Caddy serves 443 with `tls internal`), then `status --once`, `--json`, a
//! killed LiveKit, and the dashboard driven through tmux. sshd does not run here: a listener the
//! test holds on 127.0.0.1 stands in for it (`--ssh-port`).
//!
//! These tests fail, never skip, when Docker, tmux or coturn is missing.

mod common;
#[path = "health/tmux.rs"]
mod tmux;

use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::docker as d;
use tmux::Tmux;

const LIVEKIT: &str = "selkie-livekit";

/// The shared cleanup, after checking the tools these tests need.
struct Clean(#[allow(dead_code)] d::Clean);

impl Clean {
    fn new() -> Clean {
        common::require_tool("docker", "docker.io");
        common::require_tool("turnserver", "coturn");
        Clean(d::Clean::new())
    }
}

/// A TCP listener on 127.0.0.1 standing in for sshd: it accepts and closes every connection
/// (so the probes never fill its backlog) until dropped.
struct Sshd {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sshd {
    fn start() -> Sshd {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => drop(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Sshd {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A livekit-preset deployment at 127.0.0.1, set up and healthy; everything goes on drop.
struct Deployment {
    dir: tempfile::TempDir,
    sshd: Sshd,
    /// What setup printed.
    setup_output: String,
    _clean: Clean,
}

impl Deployment {
    /// `selkie setup --non-interactive --ip 127.0.0.1 --ssh-port P` from scratch; panics with
    /// its output unless it succeeds.
    fn setup() -> Deployment {
        Self::setup_with(&[])
    }

    /// [`Deployment::setup`] with more setup flags.
    fn setup_with(extra: &[&str]) -> Deployment {
        let clean = Clean::new();
        d::ensure_images(&[
            selkie::plan::LIVEKIT_IMAGE.to_string(),
            selkie::plan::CADDY_IMAGE.to_string(),
        ]);
        let sshd = Sshd::start();
        let dir = tempfile::tempdir().unwrap();
        let port = sshd.port.to_string();
        let started = Instant::now();
        let mut args = vec![
            "setup",
            "--non-interactive",
            "--dir",
            dir.path().to_str().unwrap(),
            "--ip",
            "127.0.0.1",
            "--ssh-port",
            &port,
            "--health-timeout",
            "60",
        ];
        args.extend_from_slice(extra);
        let out = selkie(&args);
        let t = text(&out);
        assert!(out.status.success(), "setup failed:\n{t}");
        eprintln!("setup took {:?}", started.elapsed());
        Deployment {
            dir,
            sshd,
            setup_output: t,
            _clean: clean,
        }
    }

    fn dir(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    fn ssh_label(&self) -> String {
        format!("{}/tcp", self.sshd.port)
    }

    /// `selkie status --dir D ARGS`.
    fn status(&self, args: &[&str]) -> Output {
        let mut all = vec!["status", "--dir", self.dir()];
        all.extend_from_slice(args);
        selkie(&all)
    }
}

fn selkie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env_remove("SELKIE_DIR")
        .env_remove("DOCKER_HOST")
        .env_remove("NO_COLOR")
        .output()
        .expect("the selkie binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One row of a `selkie status --once` table, by column name.
#[derive(Debug)]
struct Row {
    cells: Vec<(String, String)>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.cells
            .iter()
            .find(|(c, _)| c == column)
            .map_or_else(|| panic!("no column {column} in {self:?}"), |(_, v)| v)
    }
}

/// The rows of the table whose header starts with `first` (`SERVICE`, `CHECK`) in the `--once`
/// output: cells are cut at the header's column starts (the table pads with spaces).
fn table(out: &str, first: &str) -> Vec<Row> {
    let mut lines = out
        .lines()
        .skip_while(|l| l.split_whitespace().next() != Some(first));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no {first} table in:\n{out}"));
    let mut starts = Vec::new();
    let mut prev = ' ';
    for (i, c) in header.char_indices() {
        if c != ' ' && prev == ' ' {
            starts.push(i);
        }
        prev = c;
    }
    let names: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(names.len(), starts.len(), "{header}");
    lines
        .take_while(|l| !l.trim().is_empty())
        .map(|line| {
            let cells = names
                .iter()
                .enumerate()
                .map(|(n, name)| {
                    let from = starts[n].min(line.len());
                    let to = starts
                        .get(n + 1)
                        .copied()
                        .unwrap_or(line.len())
                        .min(line.len());
                    (name.to_string(), line[from..to].trim().to_string())
                })
                .collect();
            Row { cells }
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], column: &str, value: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.get(column) == value)
        .unwrap_or_else(|| panic!("no row with {column} = {value} in {rows:#?}"))
}

/// Every service and check of the `--once` output is healthy (the idle UDP range may be
/// `unknown`, which does not count against the verdict).
fn assert_all_healthy(out: &str, ssh: &str) {
    assert!(out.contains(" - HEALTHY"), "{out}");
    let services = table(out, "SERVICE");
    let names: Vec<&str> = services.iter().map(|r| r.get("SERVICE")).collect();
    assert_eq!(names, ["livekit", "caddy"], "{out}");
    for s in &services {
        assert_eq!(s.get("STATE"), "running", "{out}");
        assert_eq!(s.get("STATUS"), "healthy", "{out}");
    }
    let checks = table(out, "CHECK");
    let labels: Vec<&str> = checks.iter().map(|r| r.get("CHECK")).collect();
    assert_eq!(
        labels,
        [
            ssh,
            "80/tcp",
            "443/tcp",
            "7880/tcp",
            "7881/tcp",
            "3478/udp",
            "50000-50119/udp",
            "node_ip"
        ],
        "{out}"
    );
    for c in &checks {
        let result = c.get("RESULT");
        if c.get("KIND") == "bound" && c.get("CHECK").contains('-') {
            assert!(
                result == "healthy" || result == "unknown",
                "{}: {result}\n{out}",
                c.get("CHECK")
            );
        } else {
            assert_eq!(result, "healthy", "{}:\n{out}", c.get("CHECK"));
        }
    }
}

#[test]
fn a_fresh_setup_is_healthy_in_the_table_and_the_json() {
    let _serial = d::serial();
    let dep = Deployment::setup();
    let ssh = dep.ssh_label();

    // Setup ends with the status table (stdout is not a terminal here).
    let setup = &dep.setup_output;
    assert!(setup.contains("All 2 services are healthy"), "{setup}");
    let from = setup
        .find("selkie status: ")
        .unwrap_or_else(|| panic!("no status table after setup:\n{setup}"));
    assert_all_healthy(&setup[from..], &ssh);

    let started = Instant::now();
    let out = dep.status(&["--once"]);
    let took = started.elapsed();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_all_healthy(&String::from_utf8_lossy(&out.stdout), &ssh);
    eprintln!("status --once (healthy) took {took:?}");
    assert!(
        t.contains("Public ports judged at 127.0.0.1 (the plan's address)"),
        "{t}"
    );
    assert!(t.contains("cannot be seen from the server itself"), "{t}");
    let checks = table(&t, "CHECK");
    assert!(
        find(&checks, "CHECK", "3478/udp")
            .get("MESSAGE")
            .starts_with("binding answered"),
        "coturn answered the binding request:\n{t}"
    );
    assert_eq!(
        find(&checks, "CHECK", "7880/tcp").get("MESSAGE"),
        "OK",
        "{t}"
    );

    let out = dep.status(&["--json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json printed no JSON ({e}):\n{t}"));
    assert_eq!(json["overall"], "healthy", "{json:#}");
    assert_eq!(json["docker"]["state"], "connected", "{json:#}");
    let services = json["services"].as_array().expect("services");
    for name in ["livekit", "caddy"] {
        let s = services
            .iter()
            .find(|s| s["service"] == name)
            .unwrap_or_else(|| panic!("no service {name}: {json:#}"));
        assert_eq!(s["state"], "running", "{s:#}");
        assert_eq!(s["status"], "healthy", "{s:#}");
        assert_eq!(s["container"], format!("selkie-{name}"), "{s:#}");
    }
    let checks = json["checks"].as_array().expect("checks");
    let check = |label: &str| {
        checks
            .iter()
            .find(|c| c["label"] == label)
            .unwrap_or_else(|| panic!("no check {label}: {json:#}"))
    };
    let stun = check("3478/udp");
    assert_eq!(stun["kind"], "stun");
    assert_eq!(stun["status"], "healthy", "{stun:#}");
    assert!(
        stun["message"]
            .as_str()
            .unwrap()
            .starts_with("binding answered"),
        "{stun:#}"
    );
    assert!(stun["latency"].as_f64().is_some(), "{stun:#}");
    let tls = check("443/tcp");
    assert_eq!(tls["kind"], "tls");
    assert_eq!(
        tls["status"], "healthy",
        "Caddy's short-lived internal certificate: {tls:#}"
    );
    assert!(
        tls["message"]
            .as_str()
            .unwrap()
            .contains("Caddy Local Authority"),
        "{tls:#}"
    );
    // Trusted through Caddy's admin API as the deployment's own CA, not by the system.
    assert!(
        tls["message"]
            .as_str()
            .unwrap()
            .contains("this deployment's own CA"),
        "{tls:#}"
    );
    // The plan's address is this host's (127.0.0.1 here), so public ports are judged there,
    // and the JSON says so once, with what no probe from here can see.
    assert_eq!(json["judged_from"]["addresses"][0], "127.0.0.1", "{json:#}");
    assert_eq!(json["judged_from"]["how"], "the plan's address", "{json:#}");
    assert!(
        json["unseen"].as_str().unwrap().contains("selkie check"),
        "{json:#}"
    );
    let node_ip = check("node_ip");
    assert_eq!(node_ip["status"], "healthy", "{node_ip:#}");
    assert!(
        node_ip["message"]
            .as_str()
            .unwrap()
            .starts_with("node_ip is set to 127.0.0.1"),
        "{node_ip:#}"
    );
    assert_eq!(check("7880/tcp")["kind"], "http");
    assert_eq!(check("7881/tcp")["kind"], "tcp");
    assert_eq!(
        check("7881/tcp")["status"],
        "healthy",
        "the stand-in's rtc.tcp_port"
    );
    assert_eq!(check(&ssh)["status"], "healthy");
    for c in checks.iter().filter(|c| c["required"] == true) {
        assert!(
            c["status"] == "healthy" || c["status"] == "unknown",
            "{c:#}"
        );
    }
    // Last, so that everything above is checked whatever this says: a check's `kind` in the
    // JSON is the word the table shows (`bound`, not serde's `udp-bound`).
    let range = check("50000-50119/udp");
    assert_eq!(
        range["kind"],
        selkie::health::ProbeKind::UdpBound.as_str(),
        "the table says `bound` for this check; the JSON must use the same word: {range:#}"
    );
    let mut kinds: Vec<&str> = checks.iter().filter_map(|c| c["kind"].as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["addr", "bound", "http", "stun", "tcp", "tls"],
        "{json:#}"
    );
}

#[test]
fn a_killed_livekit_is_down_until_setup_resume_restores_it() {
    let _serial = d::serial();
    let dep = Deployment::setup();
    let ssh = dep.ssh_label();
    assert_eq!(dep.status(&["--once"]).status.code(), Some(0));

    d::docker_ok(&["kill", LIVEKIT]);
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(" - DOWN"), "{t}");
    let services = table(&t, "SERVICE");
    let livekit = find(&services, "SERVICE", "livekit");
    assert_eq!(livekit.get("STATUS"), "down", "{t}");
    assert_eq!(livekit.get("STATE"), "exited", "{t}");
    let caddy = find(&services, "SERVICE", "caddy");
    assert_eq!(caddy.get("STATUS"), "healthy", "{t}");
    let checks = table(&t, "CHECK");
    for label in ["7880/tcp", "7881/tcp", "3478/udp"] {
        assert_eq!(
            find(&checks, "CHECK", label).get("RESULT"),
            "down",
            "{label}:\n{t}"
        );
    }
    for label in [ssh.as_str(), "80/tcp"] {
        assert_eq!(
            find(&checks, "CHECK", label).get("RESULT"),
            "healthy",
            "{label}:\n{t}"
        );
    }
    // The error names what failed and says what to do.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("livekit") && stderr.contains("7880/tcp"),
        "{stderr}"
    );
    assert!(stderr.contains("selkie setup --resume"), "{stderr}");

    let out = selkie(&["setup", "--resume", "--non-interactive", "--dir", dep.dir()]);
    assert!(out.status.success(), "setup --resume:\n{}", text(&out));
    // setup waited for LiveKit's health and the stand-in binds its UDP ports before it serves:
    // the first round after setup must be healthy.
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "after setup --resume:\n{t}");
    assert_all_healthy(&String::from_utf8_lossy(&out.stdout), &ssh);
}

#[test]
fn in_mux_mode_the_one_media_port_is_bound() {
    let _serial = d::serial();
    let dep = Deployment::setup_with(&["--udp", "mux"]);
    let out = dep.status(&["--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let checks = table(&t, "CHECK");
    let mux = find(&checks, "CHECK", "7882/udp");
    assert_eq!(mux.get("KIND"), "bound", "{t}");
    assert_eq!(mux.get("RESULT"), "healthy", "{t}");
    assert_eq!(
        find(&checks, "CHECK", "3478/udp").get("RESULT"),
        "healthy",
        "{t}"
    );
    assert!(
        !checks.iter().any(|c| c.get("CHECK").contains('-')),
        "no port range in mux mode:\n{t}"
    );
}

/// The shell command a tmux session runs: `selkie status` with `env`, then `DONE-<exit code>`,
/// then an interactive shell with a known prompt (the terminal is usable after the dashboard).
fn dashboard_command(dir: &str, env: &str, interval: &str) -> String {
    format!(
        "unset NO_COLOR LC_ALL LC_CTYPE LANG SELKIE_DIR DOCKER_HOST; export {env}; \
         '{}' status --dir '{dir}' --interval {interval}; echo DONE-$?; \
         PS1='PROMPT> ' exec /bin/sh",
        env!("CARGO_BIN_EXE_selkie")
    )
}

/// The row of `name` on the screen: a line that has it as a word after the status symbol.
fn screen_line<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        let mut words = l.split_whitespace().skip_while(|w| *w == "▶" || *w == ">");
        words.next().is_some() && words.next() == Some(name)
    })
}

/// Whether a line is the selected row (the pointer in front).
fn selected(line: Option<&str>) -> bool {
    line.is_some_and(|l| l.starts_with('▶') || l.starts_with('>'))
}

/// SGR parameters that set a colour (foreground or background, 16, 256 or RGB colours);
/// 39 and 49 ("default colour") are not colours.
fn sets_colour(sgr: &str) -> bool {
    sgr.split([';', ':']).any(|p| {
        matches!(
            p.parse::<u32>(),
            Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
        )
    })
}

/// The SGR sequences (`ESC [ ... m`) of a capture, as their parameter strings.
fn sgr_sequences(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            out.push(rest[..end].to_string());
        }
        rest = &rest[end..];
    }
    out
}

fn quit_and_check_the_terminal(tmux: &Tmux, key: &str) {
    tmux.keys(&[key]);
    let (screen, took) = tmux.wait(
        "DONE-0 and the prompt after quitting",
        Duration::from_secs(10),
        |s| s.contains("DONE-0") && s.contains("PROMPT>"),
    );
    eprintln!("the dashboard quit within {took:?}; the pane then:\n{screen}");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(
        tmux.format("#{cursor_flag}"),
        "1",
        "the cursor is visible again"
    );
    for leftover in [
        "Services",
        "Ports and checks",
        "SERVICE",
        "CHECK",
        "─",
        "quit",
    ] {
        assert!(
            !screen.contains(leftover),
            "dashboard output ({leftover:?}) left on the shell's screen:\n{screen}"
        );
    }
    for line in screen.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.starts_with("DONE-0")
                || line.starts_with("PROMPT>")
                || line.starts_with("Deployment directory: "),
            "unexpected output after the dashboard:\n{screen}"
        );
    }
    let colours: Vec<String> = sgr_sequences(&tmux.screen_escapes())
        .into_iter()
        .filter(|s| sets_colour(s))
        .collect();
    assert!(colours.is_empty(), "colours left after exit: {colours:?}");
    // Cooked mode is back: Enter ends a line and the shell runs it.
    tmux.keys(&["echo typed-$((40+2))", "Enter"]);
    tmux.wait("the shell answering", Duration::from_secs(5), |s| {
        s.lines().any(|l| l.trim() == "typed-42")
    });
}

#[test]
fn the_dashboard_follows_a_kill_answers_keys_and_gives_the_terminal_back() {
    let _serial = d::serial();
    common::require_tool("tmux", "tmux");
    let dep = Deployment::setup();
    let interval = Duration::from_secs(1);
    let tmux = Tmux::start(&dashboard_command(dep.dir(), "LANG=C.UTF-8", "1"));

    let (screen, took) = tmux.wait(
        "the services panel with livekit running",
        Duration::from_secs(15),
        |s| {
            s.contains("Services")
                && screen_line(s, "livekit")
                    .is_some_and(|l| l.contains("running") && l.contains('✓'))
                && screen_line(s, "3478/udp").is_some_and(|l| l.contains("healthy"))
        },
    );
    eprintln!("first healthy screen after {took:?}:\n{screen}");
    assert!(screen.contains("● healthy"), "{screen}");
    assert!(selected(screen_line(&screen, "livekit")), "{screen}");
    let raw = tmux.screen_escapes();
    assert!(
        sgr_sequences(&raw).iter().any(|s| sets_colour(s)),
        "a colour terminal gets colours (else the NO_COLOR test proves nothing)"
    );

    // A crash shows within two refreshes.
    d::docker_ok(&["kill", LIVEKIT]);
    // Two refreshes, and one probe round of slack: a round takes about 2 s whatever --timeout
    // says (Docker's one-off container stats sample for that long).
    let limit = 2 * interval + Duration::from_secs(2);
    let (screen, took) = tmux.wait("livekit down", limit, |s| {
        screen_line(s, "livekit").is_some_and(|l| l.contains('✗') && l.contains("exited"))
    });
    eprintln!("livekit shown down {took:?} after docker kill (limit {limit:?})");
    assert!(screen.contains("● down"), "{screen}");

    // j: the next service.
    tmux.keys(&["j"]);
    let (screen, _) = tmux.wait("caddy selected", Duration::from_secs(3), |s| {
        selected(screen_line(s, "caddy"))
    });
    assert!(!selected(screen_line(&screen, "livekit")), "{screen}");
    // Tab: the checks panel; j three times from the sshd row to 7880/tcp (LiveKit's).
    tmux.keys(&["Tab"]);
    tmux.wait("the checks panel focused", Duration::from_secs(3), |s| {
        s.lines().any(|l| l.starts_with("▶ Ports and checks"))
    });
    tmux.keys(&["j", "j", "j"]);
    let (screen, _) = tmux.wait("7880/tcp selected", Duration::from_secs(3), |s| {
        selected(screen_line(s, "7880/tcp"))
    });
    assert!(
        screen_line(&screen, "7880/tcp").is_some_and(|l| l.contains("down")),
        "{screen}"
    );
    // l: the logs of the selected row's service, the stand-in's own lines.
    tmux.keys(&["l"]);
    let logs = d::container_logs(LIVEKIT);
    let (screen, took) = tmux.wait("livekit's logs", Duration::from_secs(5), |s| {
        s.contains("Logs of livekit")
            && s.lines()
                .map(|l| l.trim().trim_end_matches('…'))
                .filter(|l| l.len() >= 10 && logs.lines().any(|log| log.contains(l)))
                .count()
                >= 3
    });
    eprintln!("logs view after {took:?}:\n{screen}");
    // Esc closes the view, q quits.
    tmux.keys(&["Escape"]);
    tmux.wait("the logs view closed", Duration::from_secs(3), |s| {
        !s.contains("Logs of livekit") && s.contains("Ports and checks")
    });
    quit_and_check_the_terminal(&tmux, "q");
}

#[test]
fn without_colour_or_utf8_the_dashboard_is_plain_ascii() {
    let _serial = d::serial();
    common::require_tool("tmux", "tmux");
    let dep = Deployment::setup();
    let tmux = Tmux::start(&dashboard_command(dep.dir(), "NO_COLOR=1 LANG=C", "1"));
    let (screen, _) = tmux.wait(
        "the services panel with livekit running",
        Duration::from_secs(15),
        |s| {
            screen_line(s, "livekit").is_some_and(|l| l.contains("running"))
                && screen_line(s, "3478/udp").is_some_and(|l| l.contains("healthy"))
        },
    );
    let raw = tmux.screen_escapes();
    let colours: Vec<String> = sgr_sequences(&raw)
        .into_iter()
        .filter(|s| sets_colour(s))
        .collect();
    assert!(
        colours.is_empty(),
        "NO_COLOR=1, yet colours: {colours:?}\n{screen}"
    );
    let odd: Vec<char> = String::from_utf8_lossy(&raw)
        .chars()
        .filter(|c| !c.is_ascii())
        .collect();
    assert!(odd.is_empty(), "LANG=C, yet non-ASCII {odd:?}:\n{screen}");
    assert!(
        screen_line(&screen, "livekit").is_some_and(|l| l.contains("+ livekit")),
        "the ASCII healthy symbol:\n{screen}"
    );
    quit_and_check_the_terminal(&tmux, "q");
}
