//! The dashboard's state and how events change it. `App::handle` does no I/O: it updates the
//! state and returns the `Command`s the outside should carry out, so every key and every worker
//! result can be tested without a terminal or Docker.

use std::collections::HashMap;
use std::time::{Duration, Instant};

mod selection;
mod view;

use selection::Selection;

use super::event::{Command, Event};
use super::format;
use super::keys::{self, Action};
use crate::health::{DockerState, ServiceState, Snapshot, Status};

/// How many log lines are kept per service.
const LOG_LINES: usize = 200;
/// How long a status line message stays.
const MESSAGE_TTL: Duration = Duration::from_secs(10);

/// The panel that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// The containers.
    Services,
    /// The checks: ports, TLS names, DNS records.
    Ports,
}

/// What is drawn over the panels, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Just the panels.
    None,
    /// The key bindings.
    Help,
    /// "Restart this service?"
    Confirm(String),
    /// The logs of this service, full height.
    Logs(String),
}

/// A check's status as last seen, and when it last changed (unknown until a change is seen).
#[derive(Debug)]
struct Change {
    status: Status,
    at: Option<Instant>,
}

/// The service rows to show, and whether they are the last known ones (Docker unreachable).
#[derive(Debug, Clone, Copy)]
pub struct ServiceRows<'a> {
    /// The rows, in the plan's order.
    pub rows: &'a [ServiceState],
    /// True when these are the last known rows, not this round's.
    pub stale: bool,
}

/// Everything the dashboard shows and remembers.
#[derive(Debug)]
pub struct App {
    title: String,
    snapshot: Option<Snapshot>,
    /// Services from the last round in which Docker answered.
    last_known: Vec<ServiceState>,
    panel: Panel,
    services_sel: Selection,
    checks_sel: Selection,
    overlay: Overlay,
    changes: HashMap<String, Change>,
    logs: HashMap<String, Vec<String>>,
    message: Option<(String, Instant)>,
    /// The last media check, in one line (or that one is running).
    media_check: Option<String>,
    now: Instant,
    dirty: bool,
}

impl App {
    /// A dashboard for the deployment `title`, with no data yet ("probing…").
    pub fn new(title: impl Into<String>, now: Instant) -> Self {
        App {
            title: title.into(),
            snapshot: None,
            last_known: Vec::new(),
            panel: Panel::Services,
            services_sel: Selection::default(),
            checks_sel: Selection::default(),
            overlay: Overlay::None,
            changes: HashMap::new(),
            logs: HashMap::new(),
            message: None,
            media_check: None,
            now,
            dirty: true,
        }
    }

    /// Applies an event at the current time; returns what the outside should do.
    pub fn handle(&mut self, event: Event) -> Vec<Command> {
        self.handle_at(event, Instant::now())
    }

    /// Applies an event that happened at `now` (tests pass a fixed clock).
    pub fn handle_at(&mut self, event: Event, now: Instant) -> Vec<Command> {
        let ages_before = self.ages();
        self.now = now;
        if self
            .message
            .as_ref()
            .is_some_and(|(_, at)| now.duration_since(*at) >= MESSAGE_TTL)
        {
            self.message = None;
            self.dirty = true;
        }
        let commands = match event {
            Event::Key(key) => match keys::action_for(&key, self.context()) {
                Some(action) => self.act(action),
                None => Vec::new(),
            },
            Event::Resize(..) => {
                self.dirty = true;
                Vec::new()
            }
            // Follow the logs while they are open.
            Event::Tick => match &self.overlay {
                Overlay::Logs(service) => vec![Command::FetchLogs(service.clone())],
                _ => Vec::new(),
            },
            Event::Snapshot(snapshot) => {
                self.apply(*snapshot);
                Vec::new()
            }
            Event::DockerChanged => vec![Command::Refresh],
            Event::Checked(result) => {
                let (line, verdict) = check_line(&result);
                self.media_check = Some(line);
                self.say(verdict);
                Vec::new()
            }
            Event::Logs { service, lines } => {
                let skip = lines.len().saturating_sub(LOG_LINES);
                let lines: Vec<String> = lines[skip..].iter().map(|l| format::clean(l)).collect();
                if self.logs.get(&service) != Some(&lines) {
                    self.logs.insert(service, lines);
                    self.dirty = true;
                }
                Vec::new()
            }
            Event::Restarted {
                service,
                result: Ok(()),
            } => {
                self.say(format!("{service} restarted"));
                vec![Command::Refresh]
            }
            Event::Restarted {
                service,
                result: Err(e),
            } => {
                self.say(format!(
                    "restart of {service} failed: {}",
                    format::clean(&e)
                ));
                Vec::new()
            }
        };
        // Ages on screen are coarse ("12s ago", "3m ago"): redraw only when one of them changed.
        if self.ages() != ages_before {
            self.dirty = true;
        }
        commands
    }

    /// Whether the screen is out of date; clears the flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        self.dirty = true;
        match action {
            Action::Up | Action::Down => {
                let down = action == Action::Down;
                match self.panel {
                    Panel::Services => self.services_sel.step(&self.service_keys(), down),
                    Panel::Ports => self.checks_sel.step(&self.check_keys(), down),
                }
            }
            Action::NextPanel => {
                self.panel = match self.panel {
                    Panel::Services => Panel::Ports,
                    Panel::Ports => Panel::Services,
                }
            }
            Action::Logs => match self.target_service("fetch logs") {
                Ok(service) => {
                    self.overlay = Overlay::Logs(service.clone());
                    return vec![Command::FetchLogs(service)];
                }
                Err(why) => self.say(why),
            },
            Action::Restart => match self.target_service("restart") {
                Ok(service) => self.overlay = Overlay::Confirm(service),
                Err(why) => self.say(why),
            },
            Action::Confirm => {
                if let Overlay::Confirm(service) =
                    std::mem::replace(&mut self.overlay, Overlay::None)
                {
                    self.say(format!("restarting {service}"));
                    return vec![Command::Restart(service)];
                }
            }
            Action::Cancel => {
                if let Overlay::Confirm(service) =
                    std::mem::replace(&mut self.overlay, Overlay::None)
                {
                    self.say(format!("{service} left running"));
                }
            }
            Action::Help => {
                self.overlay = match self.overlay {
                    Overlay::Help => Overlay::None,
                    _ => Overlay::Help,
                }
            }
            Action::Quit => return vec![Command::Quit],
            Action::Check => {
                if self.media_check.as_deref() == Some(CHECK_RUNNING) {
                    self.say("a media check is already running".into());
                } else {
                    self.media_check = Some(CHECK_RUNNING.into());
                    return vec![Command::Check];
                }
            }
        }
        Vec::new()
    }

    fn apply(&mut self, snapshot: Snapshot) {
        for c in &snapshot.checks {
            let status = c.verdict.status;
            match self.changes.get_mut(&c.check.label) {
                Some(seen) if seen.status != status => {
                    *seen = Change {
                        status,
                        at: Some(self.now),
                    }
                }
                Some(_) => {}
                None => {
                    self.changes
                        .insert(c.check.label.clone(), Change { status, at: None });
                }
            }
        }
        if matches!(snapshot.docker, DockerState::Connected { .. }) {
            self.last_known = snapshot.services.clone();
        }
        if self.snapshot.as_ref() != Some(&snapshot) {
            self.snapshot = Some(snapshot);
            self.dirty = true;
        }
        self.services_sel.follow(&self.service_keys());
        self.checks_sel.follow(&self.check_keys());
    }

    /// The last media check in one line, or that one is running.
    pub fn media_check(&self) -> Option<&str> {
        self.media_check.as_deref()
    }

    /// Puts a message on the status line (it goes after a few seconds).
    pub fn note(&mut self, text: impl Into<String>) {
        self.say(text.into());
    }

    fn say(&mut self, text: String) {
        self.message = Some((text, self.now));
        self.dirty = true;
    }
}

/// What the ports panel says while a media check runs.
const CHECK_RUNNING: &str = "media check running…";

/// A check's result as one line per transport, and the verdict for the status line.
fn check_line(result: &Result<crate::check::CheckReport, String>) -> (String, String) {
    use crate::check::PathOutcome;
    let report = match result {
        Ok(r) => r,
        Err(e) => return ("media check failed".into(), format!("media check: {e}")),
    };
    if let Some(e) = &report.signalling_error {
        return (
            "media: signalling failed".into(),
            format!("media check: {} — {}", e.error, e.fix),
        );
    }
    let paths: Vec<String> = report
        .paths
        .iter()
        .map(|p| match &p.outcome {
            PathOutcome::Ok {
                rtt_ms: Some(rtt), ..
            } => format!("{} ok {rtt} ms", p.transport.label()),
            PathOutcome::Ok { .. } => format!("{} ok", p.transport.label()),
            PathOutcome::Failed { .. } => format!("{} FAILED", p.transport.label()),
            PathOutcome::NotChecked { .. } => format!("{} not checked", p.transport.label()),
        })
        .collect();
    let verdict = if report.passed() {
        "media check: every required path works".to_string()
    } else {
        "media check: a path failed; `selkie check` shows the fix".to_string()
    };
    (format!("media: {}", paths.join(", ")), verdict)
}
