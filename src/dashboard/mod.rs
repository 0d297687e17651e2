//! `selkie status`'s live dashboard (ratatui + crossterm), built to be used over SSH on a small
//! VPS: it redraws only when something on screen changed, works from 80x24 up, says everything
//! in words and symbols as well as colour (`NO_COLOR` is honoured; a non-UTF-8 locale gets ASCII),
//! and shows a lost Docker connection as a state of its own over the last known data.
//!
//! # How it is wired
//!
//! The screen does no slow work. The workers in `worker.rs` ([`run_live`]: probing, Docker events,
//! logs, restarts) send [`Event`]s into one channel and carry out the [`Command`]s the dashboard
//! sends back:
//!
//! ```ignore
//! let (events_tx, events_rx) = tokio::sync::mpsc::channel(64);
//! let (commands_tx, commands_rx) = tokio::sync::mpsc::channel(16);
//! // Workers: send Event::Snapshot after every probe round, Event::DockerChanged on Docker events,
//! // and answer Command::FetchLogs with Event::Logs, Command::Restart with Event::Restarted;
//! // Command::Refresh means "probe now"; Command::Quit (or commands_rx closing) means stop.
//! spawn_workers(events_tx.clone(), commands_rx);
//! dashboard::run_terminal(deployment_name, events_rx, events_tx, commands_tx).await?;
//! ```
//!
//! While it runs the terminal belongs to the dashboard: nothing else may write to stdout or
//! stderr (send a message as an event instead). The terminal is restored when `run_terminal`
//! returns, on Ctrl-C, and before a panic message is printed.

mod app;
mod event;
mod format;
mod keys;
mod theme;
mod tui;
mod ui;
mod worker;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use tokio::sync::mpsc::{Receiver, Sender};

pub use app::{App, Overlay, Panel, ServiceRows};
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
