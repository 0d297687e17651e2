//! Every panel in every state, at 80x24 and 120x40, as text snapshots; colour and ASCII checks.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::fixtures::{gen_logs, gen_state, t0};
use super::{render, text};
use crate::dashboard::event::Event;
use crate::dashboard::theme::Theme;

const STATES: [&str; 9] = [
    "healthy",
    "service_down",
    "tls_expiring",
    "no_certificate",
    "docker_unreachable",
    "no_snapshot",
    "help",
    "confirm_restart",
    "logs_view",
];

fn colour() -> Theme {
    Theme::new(true, true)
}

#[test]
fn every_state_at_80x24_and_120x40() {
    for state in STATES {
        let app = gen_state(state);
        for (width, height) in [(80, 24), (120, 40)] {
            let screen = text(&render(&app, &colour(), width, height));
            insta::assert_snapshot!(format!("{state}_{width}x{height}"), screen);
        }
    }
}

#[test]
fn resizing_redraws_the_same_content_at_the_new_size() {
    let app = gen_state("service_down");
    let small = text(&render(&app, &colour(), 80, 24));
    let large = text(&render(&app, &colour(), 120, 40));
    for screen in [&small, &large] {
        assert!(screen.contains("livekit"));
        assert!(screen.contains("7880/tcp"));
        assert!(screen.contains("could not bind UDP port 3478"));
    }
    // The wide layout adds the purpose; the narrow one leaves it to the detail pane.
    assert!(large.contains("PURPOSE"));
    assert!(!small.contains("PURPOSE"));
}

#[test]
fn a_long_reason_grows_the_detail_pane_and_keeps_the_lines_below_it() {
    let screen = text(&render(&gen_state("no_certificate"), &colour(), 80, 24));
    for whole in [
        "once the cause is fixed",
        "tls probe of caddy at 203.0.113.7",
        "Purpose: HTTPS for the site",
    ] {
        assert!(screen.contains(whole), "{whole}:\n{screen}");
    }
    // The ports panel and then the services panel gave up their last rows for it, and each
    // says how to reach them.
    assert!(screen.contains("7 more, select to scroll"), "{screen}");
    assert!(
        screen.contains("Services — 2 more, Tab shows them"),
        "{screen}"
    );
    assert!(screen.contains("443/tcp"), "{screen}");
}

#[test]
fn no_color_draws_no_colour_at_all() {
    let plain = Theme::new(false, true);
    for state in STATES {
        let buffer = render(&gen_state(state), &plain, 80, 24);
        for cell in buffer.content() {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "{state}: {cell:?}"
            );
        }
    }
    // Status is still there, in symbols and words.
    let screen = text(&render(&gen_state("service_down"), &plain, 80, 24));
    assert!(screen.contains("✗ livekit") && screen.contains("down"));
}

#[test]
fn ascii_symbols_draw_only_ascii() {
    let ascii = Theme::new(true, false);
    for state in STATES {
        for (width, height) in [(80, 24), (120, 40)] {
            let screen = text(&render(&gen_state(state), &ascii, width, height));
            let odd: Vec<char> = screen.chars().filter(|c| !c.is_ascii()).collect();
            assert!(
                odd.is_empty(),
                "{state} {width}x{height}: {odd:?}\n{screen}"
            );
        }
    }
}

/// The cells of the first row whose text contains `needle`, with that text.
fn row_with(buffer: &Buffer, needle: &str) -> Option<(u16, String)> {
    let area = buffer.area;
    (area.top()..area.bottom()).find_map(|y| {
        let line: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        line.contains(needle).then_some((y, line))
    })
}

#[test]
fn a_down_row_is_red_and_a_degraded_one_yellow() {
    let buffer = render(&gen_state("service_down"), &colour(), 80, 24);
    let Some((y, line)) = row_with(&buffer, " exited ") else {
        panic!("no livekit row:\n{}", text(&buffer));
    };
    let x = line.chars().position(|c| c == '✗').unwrap_or(0) as u16;
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let state_x = line
        .find("exited")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(buffer[(state_x, y)].fg, Color::Red);
    // The selected row is also reversed, so it reads without colour too.
    assert!(buffer[(state_x, y)].modifier.contains(Modifier::REVERSED));

    let Some((y, line)) = row_with(&buffer, "7881/tcp") else {
        panic!("no 7881 row");
    };
    let x = line
        .find("down")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let Some((y, line)) = row_with(&buffer, " 80/tcp") else {
        panic!("no 80 row");
    };
    let x = line
        .find("healthy")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(buffer[(x, y)].fg, Color::Green);

    let buffer = render(&gen_state("tls_expiring"), &colour(), 80, 24);
    let Some((y, line)) = row_with(&buffer, "tls lk.hearth.example") else {
        panic!("no tls row");
    };
    let x = line
        .find("degraded")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(buffer[(x, y)].fg, Color::Yellow);
}

#[test]
fn docker_unreachable_greys_the_last_known_services_under_a_banner() {
    let buffer = render(&gen_state("docker_unreachable"), &colour(), 80, 24);
    let screen = text(&buffer);
    assert!(screen
        .lines()
        .nth(1)
        .is_some_and(|l| l.contains("Docker unreachable: error trying to connect")));
    let Some((y, line)) = row_with(&buffer, "pocketbase ") else {
        panic!("no pocketbase row:\n{screen}");
    };
    let x = line
        .find("running")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(buffer[(x, y)].fg, Color::DarkGray);
    assert_eq!(buffer[(0, 1)].bg, Color::Red);
}

#[test]
fn the_logs_view_wraps_long_lines_and_keeps_the_newest() {
    let mut app = gen_state("logs_view");
    let mut lines = gen_logs();
    lines.push(format!("{} END", "x".repeat(200)));
    let logs = Event::Logs {
        service: "livekit".into(),
        lines,
    };
    app.handle_at(logs, t0() + Duration::from_secs(4));
    let screen = text(&render(&app, &colour(), 80, 24));
    assert!(screen.contains("xxx END"), "{screen}");
    assert!(screen.contains("FATAL livekit exiting"), "{screen}");
}

#[test]
fn tiny_terminals_do_not_break_the_dashboard() {
    for state in STATES {
        for (width, height) in [(40, 10), (20, 5), (1, 1)] {
            render(&gen_state(state), &colour(), width, height);
        }
    }
}
