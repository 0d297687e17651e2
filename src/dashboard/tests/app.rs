//! `App::handle`: keys to commands, selection across refreshes, the restart question, overlays.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures::*;
use crate::dashboard::app::{App, Overlay, Panel};
use crate::dashboard::event::{Command, Event};
use crate::health::{ProbeKind, Status};

fn at(app: &mut App, secs: u64, event: Event) -> Vec<Command> {
    app.handle_at(event, t0() + Duration::from_secs(secs))
}

fn healthy() -> App {
    gen_state("healthy")
}

fn selected_service(app: &App) -> &str {
    app.selected_service()
        .map_or("", |i| &app.services().rows[i].service)
}

fn selected_check(app: &App) -> &str {
    app.selected_check()
        .map_or("", |i| &app.checks()[i].check.label)
}

#[test]
fn keys_become_commands() {
    let mut app = healthy();
    assert_eq!(
        at(&mut app, 1, char_key('l')),
        vec![Command::FetchLogs("caddy".into())]
    );
    assert_eq!(app.overlay(), &Overlay::Logs("caddy".into()));
    // While the logs are open, every tick fetches them again.
    assert_eq!(
        at(&mut app, 6, Event::Tick),
        vec![Command::FetchLogs("caddy".into())]
    );
    at(&mut app, 7, key(KeyCode::Esc));
    at(&mut app, 8, key(KeyCode::Tab));
    assert_eq!(app.panel(), Panel::Ports);
    at(&mut app, 9, char_key('j'));
    at(&mut app, 9, char_key('j'));
    assert_eq!(selected_check(&app), "7880/tcp");
    assert_eq!(
        at(&mut app, 10, char_key('l')),
        vec![Command::FetchLogs("livekit".into())]
    );
    assert_eq!(
        at(&mut app, 11, Event::DockerChanged),
        vec![Command::Refresh]
    );
    assert_eq!(at(&mut app, 12, char_key('q')), vec![Command::Quit]);
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(at(&mut healthy(), 1, ctrl_c), vec![Command::Quit]);
}

#[test]
fn rows_that_are_not_containers_cannot_be_restarted() {
    let mut app = healthy();
    at(&mut app, 1, key(KeyCode::Tab));
    for _ in 0..20 {
        at(&mut app, 1, key(KeyCode::Down));
    }
    assert_eq!(selected_check(&app), "dns hearth.example");
    assert!(at(&mut app, 2, char_key('r')).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(
        app.message(),
        Some("cannot restart: dns is not a container")
    );
    // The message goes by itself.
    at(&mut app, 30, Event::Tick);
    assert_eq!(app.message(), None);
}

#[test]
fn the_selection_stays_on_its_row_when_rows_come_and_go() {
    let mut app = healthy();
    at(&mut app, 1, char_key('j'));
    at(&mut app, 1, char_key('j'));
    assert_eq!(selected_service(&app), "pocketbase");
    at(&mut app, 2, key(KeyCode::Tab));
    at(&mut app, 2, char_key('j'));
    at(&mut app, 2, char_key('j'));
    assert_eq!(selected_check(&app), "7880/tcp");

    let mut more = gen_snapshot(true);
    more.services.insert(0, gen_service("redis", true));
    let extra = gen_check("6379/tcp", ProbeKind::Tcp, "redis", None, "Redis");
    more.checks.insert(0, extra);
    at(&mut app, 5, Event::Snapshot(Box::new(more)));
    assert_eq!(selected_service(&app), "pocketbase");
    assert_eq!(selected_check(&app), "7880/tcp");
    assert_eq!(app.selected_check(), Some(3));

    // The selected row goes: the selection keeps its position, on the row now there.
    let mut fewer = gen_snapshot(true);
    fewer.checks.retain(|c| c.check.label != "7880/tcp");
    at(&mut app, 10, Event::Snapshot(Box::new(fewer)));
    assert_eq!(selected_check(&app), "3478/udp");
}

#[test]
fn a_restart_is_asked_first_and_only_yes_restarts() {
    let mut app = healthy();
    at(&mut app, 1, char_key('j'));
    assert!(at(&mut app, 2, char_key('r')).is_empty());
    assert_eq!(app.overlay(), &Overlay::Confirm("livekit".into()));
    // Nothing else works while the question is open, not even q.
    assert!(at(&mut app, 3, char_key('j')).is_empty());
    assert!(at(&mut app, 3, char_key('q')).is_empty());
    assert!(at(&mut app, 4, char_key('n')).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(app.message(), Some("livekit left running"));

    at(&mut app, 5, char_key('r'));
    assert!(at(&mut app, 6, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);

    at(&mut app, 7, char_key('r'));
    assert_eq!(
        at(&mut app, 8, char_key('y')),
        vec![Command::Restart("livekit".into())]
    );
    assert_eq!(app.overlay(), &Overlay::None);
    let done = Event::Restarted {
        service: "livekit".into(),
        result: Ok(()),
    };
    assert_eq!(at(&mut app, 9, done), vec![Command::Refresh]);
    assert_eq!(app.message(), Some("livekit restarted"));
    let failed = Event::Restarted {
        service: "livekit".into(),
        result: Err("no such container\u{1b}[2J".into()),
    };
    assert!(at(&mut app, 10, failed).is_empty());
    assert_eq!(
        app.message(),
        Some("restart of livekit failed: no such container")
    );
}

#[test]
fn esc_closes_a_view_before_it_quits() {
    let mut app = healthy();
    at(&mut app, 1, char_key('?'));
    assert_eq!(app.overlay(), &Overlay::Help);
    assert!(at(&mut app, 2, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);
    at(&mut app, 3, char_key('l'));
    assert!(at(&mut app, 4, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);
    assert_eq!(at(&mut app, 5, key(KeyCode::Esc)), vec![Command::Quit]);
    // ? also closes the help; q quits from a view.
    at(&mut app, 6, char_key('?'));
    at(&mut app, 7, char_key('?'));
    assert_eq!(app.overlay(), &Overlay::None);
    at(&mut app, 8, char_key('?'));
    assert_eq!(at(&mut app, 9, char_key('q')), vec![Command::Quit]);
}

#[test]
fn last_change_is_when_a_status_changed_not_when_first_seen() {
    let mut app = healthy();
    assert_eq!(app.last_change("7880/tcp"), None);
    at(&mut app, 30, Event::Snapshot(Box::new(gen_snapshot(false))));
    at(&mut app, 42, Event::Tick);
    assert_eq!(app.last_change("7880/tcp"), Some(Duration::from_secs(12)));
    assert_eq!(app.last_change("80/tcp"), None);
    // The same status again is no change.
    at(&mut app, 50, Event::Snapshot(Box::new(gen_snapshot(false))));
    assert_eq!(app.last_change("7880/tcp"), Some(Duration::from_secs(20)));
}

#[test]
fn only_visible_changes_ask_for_a_redraw() {
    let mut app = healthy();
    assert!(app.take_dirty());
    at(&mut app, 5, Event::Tick);
    assert!(
        !app.take_dirty(),
        "no ages on screen: a tick changes nothing"
    );
    at(&mut app, 6, Event::Snapshot(Box::new(gen_snapshot(true))));
    assert!(!app.take_dirty(), "the same snapshot again changes nothing");
    at(&mut app, 7, Event::DockerChanged);
    assert!(!app.take_dirty());
    at(&mut app, 10, Event::Snapshot(Box::new(gen_snapshot(false))));
    assert!(app.take_dirty());
    at(&mut app, 15, Event::Tick);
    assert!(app.take_dirty(), "\"0s ago\" became \"5s ago\"");
    at(&mut app, 200, Event::Tick);
    assert!(app.take_dirty());
    at(&mut app, 205, Event::Tick);
    assert!(!app.take_dirty(), "\"3m ago\" both times");
    let logs = || Event::Logs {
        service: "livekit".into(),
        lines: gen_logs(),
    };
    at(&mut app, 206, logs());
    assert!(app.take_dirty());
    at(&mut app, 207, logs());
    assert!(!app.take_dirty(), "the same log lines again");
}

#[test]
fn docker_unreachable_keeps_the_last_known_services_and_refuses_restarts() {
    let mut app = gen_state("docker_unreachable");
    let rows = app.services();
    assert!(rows.stale);
    assert_eq!(rows.rows[1].state, "running");
    assert_eq!(rows.rows[1].status, Status::Healthy);
    assert!(at(&mut app, 21, char_key('r')).is_empty());
    assert_eq!(app.overlay(), &Overlay::None);
    assert!(app
        .message()
        .is_some_and(|m| m.starts_with("cannot restart: Docker unreachable")));
    // Docker back: fresh rows again.
    at(&mut app, 30, Event::Snapshot(Box::new(gen_snapshot(true))));
    assert!(!app.services().stale);
}

#[test]
fn log_lines_are_cleaned_and_capped() {
    let mut app = healthy();
    let lines: Vec<String> = (0..500)
        .map(|i| format!("\u{1b}[1mline {i}\u{1b}[0m"))
        .collect();
    at(
        &mut app,
        1,
        Event::Logs {
            service: "caddy".into(),
            lines,
        },
    );
    let kept = app.logs("caddy").unwrap_or_default();
    assert_eq!(kept.len(), 200);
    assert_eq!(kept.last().map(String::as_str), Some("line 499"));
}

#[test]
fn c_runs_one_media_check_and_keeps_its_result() {
    use crate::check::{CheckReport, PathOutcome, PathResult, Transport};
    let mut app = healthy();
    assert_eq!(at(&mut app, 1, char_key('c')), vec![Command::Check]);
    assert_eq!(app.media_check(), Some("media check running…"));
    assert!(
        at(&mut app, 2, char_key('c')).is_empty(),
        "one check at a time"
    );
    let path = |transport, outcome| PathResult {
        transport,
        target: "x".into(),
        required: true,
        outcome,
        fix: None,
    };
    let report = CheckReport {
        url: "wss://meet.example.org".into(),
        from_server: true,
        signalling_error: None,
        server_version: "1.13.5".into(),
        paths: vec![
            path(
                Transport::Udp,
                PathOutcome::Ok {
                    rtt_ms: Some(0.3),
                    local: "l".into(),
                    remote: "r".into(),
                },
            ),
            path(Transport::Tcp, PathOutcome::failed("no answer")),
        ],
        elapsed_ms: 7000,
        outside_command: None,
    };
    at(&mut app, 9, Event::Checked(Box::new(Ok(report))));
    assert_eq!(
        app.media_check(),
        Some("media: UDP ok 0.3 ms, ICE/TCP FAILED")
    );
    assert_eq!(at(&mut app, 10, char_key('c')), vec![Command::Check]);
}
