//! The dashboard driven through tmux: following a kill, keys, logs, colours, and the terminal
//! given back on quit.

use std::time::Duration;

use super::tmux::Tmux;
use super::{common, d, run, text, Deployment, LIVEKIT};

/// The shell command a tmux session runs: `selkie status` with `env`, then `DONE-<exit code>`,
/// then an interactive shell with a known prompt (the terminal is usable after the dashboard).
fn dashboard_command(dir: &str, env: &str, interval: &str) -> String {
    format!(
        "unset NO_COLOR LC_ALL LC_CTYPE LANG SELKIE_DIR DOCKER_HOST; export {env}; \
         '{}' status --dir '{dir}' --interval {interval}; echo DONE-$?; \
         PS1='PROMPT> ' exec /bin/sh",
        run::BIN
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
    // Esc closes the view.
    tmux.keys(&["Escape"]);
    tmux.wait("the logs view closed", Duration::from_secs(3), |s| {
        !s.contains("Logs of livekit") && s.contains("Ports and checks")
    });
    // c: a media check, run by the dashboard's worker against the deployment's own URL. LiveKit
    // was killed above, so signalling fails, and the screen says so with the fix.
    tmux.keys(&["c"]);
    let (screen, took) = tmux.wait("the media check's result", Duration::from_secs(30), |s| {
        s.contains("media: signalling failed")
    });
    eprintln!("media check shown after {took:?}:\n{screen}");
    assert!(screen.contains("media check:"), "{screen}");
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

/// With no Docker at `DOCKER_HOST`, `--once`, `--json` and the dashboard say why and what to
/// do; `logs/status.log` gets one line for it, not one a round, and a link planted at the
/// log's place is never written through.
#[test]
fn with_docker_unreachable_status_says_why_and_logs_it_once_never_through_a_link() {
    common::require_tool("tmux", "tmux");
    let t = tempfile::tempdir().unwrap();
    let (plain, linked) = (t.path().join("plain"), t.path().join("linked"));
    for dir in [&plain, &linked] {
        run::fresh_setup(dir);
    }
    let outside = t.path().join("outside.txt");
    std::fs::write(&outside, "keep").unwrap();
    std::fs::create_dir_all(linked.join("logs")).unwrap();
    std::os::unix::fs::symlink(&outside, linked.join("logs/status.log")).unwrap();
    let socket = t.path().join("no-docker.sock");
    let nowhere = format!("DOCKER_HOST=unix://{}", socket.display());
    let why = format!(
        "no socket at {}: Docker is not running (`sudo systemctl start docker`) or not installed",
        socket.display()
    );
    let once = |format: &str| {
        let mut status = run::command(
            &["status", format, "--dir", plain.to_str().unwrap()],
            run::CALLER_ENV,
        );
        status.env("DOCKER_HOST", format!("unix://{}", socket.display()));
        status.output().unwrap()
    };
    let out = once("--once");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("Docker unreachable: {why}")),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("hint: each row above says why"),
        "{}",
        text(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&once("--json").stdout).unwrap();
    assert_eq!(json["docker"]["state"], "unreachable", "{json}");
    assert_eq!(json["docker"]["reason"], why.as_str(), "{json}");
    for dir in [&plain, &linked] {
        let tmux = Tmux::start(&dashboard_command(dir.to_str().unwrap(), &nowhere, "1"));
        tmux.wait("the Docker banner", Duration::from_secs(15), |s| {
            s.contains("Docker unreachable: no socket at")
        });
        // Some more rounds, one a second, each finding Docker unreachable again.
        std::thread::sleep(Duration::from_secs(4));
        quit_and_check_the_terminal(&tmux, "q");
    }
    let log = std::fs::read_to_string(plain.join("logs/status.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "one line while nothing changed:\n{log}");
    assert!(
        lines[0].ends_with(&format!("docker unreachable: {why}")),
        "{log}"
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    let link = std::fs::symlink_metadata(linked.join("logs/status.log")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "the planted link stays as it was"
    );
}
