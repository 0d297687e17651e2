//! `selkie status`'s live dashboard (ratatui + crossterm), built to be used over SSH on a small
//! VPS: it redraws only when something on screen changed, works from 80x24 up, says everything
//! in words and symbols as well as colour (`NO_COLOR` is honoured; a non-UTF-8 locale gets ASCII),
//! and shows a lost Docker connection as a state of its own over the last known data.
//!
//! # How it is wired
//!
//! The screen does no slow work. [`run_live`] (`worker.rs`) starts the workers and the screen:
//! the workers (a probe round every interval and on every Docker event, log tails, restarts,
//! `selkie check`) send [`Event`]s into one channel and carry out the [`Command`]s the screen
//! sends back (`event.rs` holds both; `error.rs` what can stop it). On the screen's side:
//!
//! - `app/`: the state and how each event changes it ([`App::handle`] does no I/O and returns
//!   the commands to carry out, so every key and worker result is testable without a terminal);
//! - `ui/`: drawing, one pure function per panel; `theme.rs` colours and symbols, `format.rs`
//!   numbers and ages, `keys.rs` the bindings the footer and help are made from;
//! - `tui.rs`: the terminal (raw mode, alternate screen), the key, resize and tick feeders, and
//!   the loop that applies events and redraws ([`run_terminal`] ties them together);
//! - `tests/`: the state machine, every panel on `TestBackend` (insta snapshots) and the loop,
//!   over fixtures of a deployment in a few named states; built for tests only.
//!
//! While it runs the terminal belongs to the dashboard: nothing else may write to stdout or
//! stderr (a worker logs to `logs/status.log` in the deployment, or sends an event). The terminal
//! is restored when `run_terminal` returns, on Ctrl-C, and before a panic message is printed.

mod app;
mod error;
mod event;
mod format;
mod keys;
mod theme;
mod tui;
mod ui;
mod worker;

#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use tokio::sync::mpsc::{Receiver, Sender};

pub use app::{App, Overlay, Panel, ServiceRows};
pub use error::DashboardError;
pub use event::{Command, Event};
pub use keys::{Action, BINDINGS};
pub use theme::{Symbols, Theme};
pub use tui::{run, start, Feeders};
pub use ui::draw;
pub use worker::run as run_live;

/// How often ages on screen ("12s ago") may change, and how often open logs are fetched again.
pub const TICK: Duration = Duration::from_secs(5);

/// Runs the dashboard on the terminal until the operator quits (q, Esc, Ctrl-C), the terminal
/// goes away, or every sender of `events` is dropped. `events_tx` is a sender of the same
/// channel, for the key, resize and tick feeders. `Command::Quit` is sent on `commands` when
/// the operator quits. Must run inside a Tokio runtime.
pub async fn run_terminal(
    title: String,
    mut events: Receiver<Event>,
    events_tx: Sender<Event>,
    commands: Sender<Command>,
) -> std::io::Result<()> {
    let theme = Theme::from_env();
    let mut app = App::new(title, Instant::now());
    let guard = tui::TerminalGuard::enter()?;
    let mut terminal = tui::terminal()?;
    let feeders = start(events_tx, TICK);
    let result = run(&mut terminal, &mut app, &theme, &mut events, &commands).await;
    drop(feeders);
    let restored = guard.restore();
    result.and(restored)
}
