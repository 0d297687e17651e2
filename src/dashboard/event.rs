//! The two message types that join the dashboard to the outside: `Event`s come in on one channel
//! (keys, resizes, ticks and the workers' results), `Command`s go out for the workers to carry out.

use crossterm::event::KeyEvent;

use crate::health::Snapshot;

/// Everything the dashboard reacts to, on one channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal is now this many columns and rows.
    Resize(u16, u16),
    /// Time passed: ages on screen may need a refresh ("12s ago").
    Tick,
    /// A probe round finished.
    Snapshot(Box<Snapshot>),
    /// A Docker event arrived (a container started, stopped, died …): worth probing again now.
    DockerChanged,
    /// The tail of a service's logs, oldest line first.
    Logs {
        /// The service (as in `ServiceState::service`).
        service: String,
        /// The lines, oldest first; escape sequences are removed before drawing.
        lines: Vec<String>,
    },
    /// A media check asked for with `Command::Check` finished.
    Checked(Box<Result<crate::check::CheckReport, String>>),
    /// A restart asked for with `Command::Restart` finished.
    Restarted {
        /// The service that was restarted.
        service: String,
        /// Done, or why not.
        result: Result<(), String>,
    },
}

/// What the dashboard asks the outside to do; it never does slow work itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch the tail of this service's logs and answer with `Event::Logs`.
    FetchLogs(String),
    /// Restart this service's container and answer with `Event::Restarted`.
    Restart(String),
    /// Run `selkie check` (every media path) and answer with `Event::Checked`.
    Check,
    /// Probe again now rather than at the next interval.
    Refresh,
    /// The operator quit: stop the workers.
    Quit,
}
