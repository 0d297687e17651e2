//! The terminal: raw mode and the alternate screen (restored on exit, on Ctrl-C and before a
//! panic message is printed), the tasks that feed keys, resizes and ticks into the event channel,
//! and the loop that applies events and redraws, generic over the backend so tests can drive it
//! with `TestBackend`.

use std::io::{self, BufWriter, Stdout};
use std::sync::Once;
use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures_util::StreamExt;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::task::JoinHandle;

use super::app::App;
use super::event::{Command, Event};
use super::theme::Theme;
use super::ui;

/// Events handled in one go before a redraw: a burst of keys costs one frame, not one each.
const BATCH: usize = 64;

/// Applies events and forwards commands until the operator quits or every event sender is gone.
/// Draws only when the state changed, so an idle dashboard writes next to nothing to an SSH link.
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    theme: &Theme,
    events: &mut Receiver<Event>,
    commands: &Sender<Command>,
) -> Result<(), B::Error> {
    loop {
        if app.take_dirty() {
            terminal.draw(|frame| ui::draw(frame, app, theme))?;
        }
        let Some(first) = events.recv().await else {
            return Ok(());
        };
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(event) = next.take() {
            for command in app.handle(event) {
                if command == Command::Quit {
                    // Best effort: the workers also stop when the command channel closes.
                    let _ = commands.try_send(Command::Quit);
                    // The last frame shows every event handled (tests read it; it costs little).
                    if app.take_dirty() {
                        terminal.draw(|frame| ui::draw(frame, app, theme))?;
                    }
                    return Ok(());
                }
                forward(app, commands, command);
            }
            handled += 1;
            if handled < BATCH {
                next = events.try_recv().ok();
            }
        }
    }
}

/// Hands a command to the workers without ever blocking the screen.
fn forward(app: &mut App, commands: &Sender<Command>, command: Command) {
    match commands.try_send(command) {
        Ok(()) => {}
        // Refreshes come often; one already queued does the same job.
        Err(TrySendError::Full(Command::Refresh)) => {}
        Err(TrySendError::Full(_)) => {
            app.note("busy: still working on the last request, try again")
        }
        Err(TrySendError::Closed(_)) => {
            app.note("background worker stopped: data is no longer updated")
        }
    }
}

/// The real terminal, restored when dropped (also on an early return with `?`).
pub struct TerminalGuard {
    restored: bool,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen; installs the panic hook first.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let guard = TerminalGuard { restored: false };
        crossterm::execute!(io::stdout(), EnterAlternateScreen)?;
        Ok(guard)
    }

    /// Leaves the alternate screen and raw mode, reporting errors (dropping ignores them).
    pub fn restore(mut self) -> io::Result<()> {
        self.restored = true;
        restore()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if !self.restored {
            let _ = restore();
        }
    }
}

/// A ratatui terminal on stdout; writes are buffered and flushed once per frame.
pub fn terminal() -> io::Result<Terminal<CrosstermBackend<BufWriter<Stdout>>>> {
    Terminal::new(CrosstermBackend::new(BufWriter::new(io::stdout())))
}

/// Puts the terminal back as the shell expects it. Safe to call more than once.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    crossterm::execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show)?;
    raw
}

/// Restores the terminal before the previous hook prints the panic, so the message is readable
/// and the shell is usable. Installed once per process.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}

/// The tasks that feed the event channel; they stop when this is dropped.
pub struct Feeders {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Feeders {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts feeding `events`: keys and resizes from the terminal, a `Tick` every `tick`, and a
/// Ctrl-C key when the process gets SIGINT (in raw mode Ctrl-C on the keyboard is a key already).
/// Needs a Tokio runtime.
pub fn start(events: Sender<Event>, tick: Duration) -> Feeders {
    let keys = tokio::spawn(read_terminal(events.clone()));
    let ticks = tokio::spawn(tick_every(events.clone(), tick));
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = events.send(Event::Key(ctrl_c())).await;
        }
    });
    Feeders {
        tasks: vec![keys, ticks, signal],
    }
}

async fn read_terminal(events: Sender<Event>) {
    let mut stream = EventStream::new();
    while let Some(Ok(event)) = stream.next().await {
        let event = match event {
            // Windows also reports releases; a key counts once.
            TermEvent::Key(key) if key.kind == KeyEventKind::Press => Event::Key(key),
            TermEvent::Resize(columns, rows) => Event::Resize(columns, rows),
            _ => continue,
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
    // The terminal is gone (the SSH session closed): nobody can press q any more.
    let _ = events.send(Event::Key(ctrl_c())).await;
}

async fn tick_every(events: Sender<Event>, tick: Duration) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    interval.tick().await;
    loop {
        interval.tick().await;
        // A tick dropped because the queue is full changes nothing: the next one comes.
        if let Err(TrySendError::Closed(_)) = events.try_send(Event::Tick) {
            return;
        }
    }
}

fn ctrl_c() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
}
