//! Key bindings as data. The footer and the help overlay are generated from `BINDINGS`, so what
//! the screen says a key does is what it does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::theme::Symbols;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Select the row above.
    Up,
    /// Select the row below.
    Down,
    /// Move the keyboard to the other panel.
    NextPanel,
    /// Open the selected service's logs.
    Logs,
    /// Ask whether to restart the selected service.
    Restart,
    /// Run a media check (`selkie check`).
    Check,
    /// Yes to the restart question.
    Confirm,
    /// No to the restart question; close a view.
    Cancel,
    /// Show or hide the help.
    Help,
    /// Leave the dashboard.
    Quit,
}

/// Which keys apply: the main screen, a view over it (help, logs), or the restart question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The panels have the keyboard.
    Main,
    /// The help or the logs view is open.
    View,
    /// "Restart X?" is asked.
    Confirm,
}

/// A key as the bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The key alone (Shift allowed, since some terminals send `?` as Shift+/).
    Plain(KeyCode),
    /// The key with Ctrl held.
    Ctrl(char),
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Any of these keys.
    pub keys: &'static [Key],
    /// What they ask for.
    pub action: Action,
    /// Where they work.
    pub contexts: &'static [Context],
    /// One word for the footer; neighbouring bindings with the same hint share it.
    pub hint: &'static str,
    /// What the help overlay says.
    pub help: &'static str,
    /// Whether the footer shows it.
    pub footer: bool,
}

use Context::{Confirm as InConfirm, Main, View};

/// Every key binding, in the order the footer and the help show them.
pub const BINDINGS: &[Binding] = &[
    bind(
        &[Key::Plain(KeyCode::Up), Key::Plain(KeyCode::Char('k'))],
        Action::Up,
        &[Main],
        "move",
        "move the selection up",
    ),
    bind(
        &[Key::Plain(KeyCode::Down), Key::Plain(KeyCode::Char('j'))],
        Action::Down,
        &[Main],
        "move",
        "move the selection down",
    ),
    bind(
        &[Key::Plain(KeyCode::Tab)],
        Action::NextPanel,
        &[Main],
        "panel",
        "switch between services and ports",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('l'))],
        Action::Logs,
        &[Main],
        "logs",
        "show the selected service's recent logs",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('r'))],
        Action::Restart,
        &[Main],
        "restart",
        "restart the selected service (asks first)",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('c'))],
        Action::Check,
        &[Main],
        "check",
        "check the media paths as a browser would join (UDP, ICE/TCP, TURN)",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('y'))],
        Action::Confirm,
        &[InConfirm],
        "restart",
        "yes: restart it",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('n')), Key::Plain(KeyCode::Esc)],
        Action::Cancel,
        &[InConfirm],
        "keep running",
        "no: leave it running",
    ),
    bind(
        &[Key::Plain(KeyCode::Esc)],
        Action::Cancel,
        &[View],
        "close",
        "close the help or logs view",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('?'))],
        Action::Help,
        &[Main, View],
        "help",
        "show or hide this help",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('q')), Key::Plain(KeyCode::Esc)],
        Action::Quit,
        &[Main],
        "quit",
        "quit the dashboard",
    ),
    bind(
        &[Key::Plain(KeyCode::Char('q'))],
        Action::Quit,
        &[View],
        "quit",
        "quit the dashboard",
    ),
    Binding {
        footer: false,
        ..bind(
            &[Key::Ctrl('c')],
            Action::Quit,
            &[Main, View, InConfirm],
            "quit",
            "quit, from anywhere",
        )
    },
];

const fn bind(
    keys: &'static [Key],
    action: Action,
    contexts: &'static [Context],
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        contexts,
        hint,
        help,
        footer: true,
    }
}

impl Key {
    fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl_or_alt = event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match *self {
            Key::Plain(code) => !ctrl_or_alt && event.code == code,
            Key::Ctrl(c) => {
                event.modifiers.contains(KeyModifiers::CONTROL) && event.code == KeyCode::Char(c)
            }
        }
    }

    /// The key's name on screen.
    pub fn label(&self, symbols: &Symbols) -> String {
        match self {
            Key::Plain(KeyCode::Up) => symbols.arrow_up.to_string(),
            Key::Plain(KeyCode::Down) => symbols.arrow_down.to_string(),
            Key::Plain(KeyCode::Tab) => "Tab".to_string(),
            Key::Plain(KeyCode::Esc) => "Esc".to_string(),
            Key::Plain(KeyCode::Char(c)) => c.to_string(),
            Key::Plain(other) => other.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
        }
    }
}

impl Binding {
    /// The binding's keys on screen: `↑/k`.
    pub fn keys_label(&self, symbols: &Symbols) -> String {
        let names: Vec<String> = self.keys.iter().map(|k| k.label(symbols)).collect();
        names.join("/")
    }
}

/// The action a key asks for in this context, if any.
pub fn action_for(event: &KeyEvent, context: Context) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.contexts.contains(&context))
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// The keys bound to an action in a context, as shown on screen (`l`, `Esc`).
pub fn keys_for(action: Action, context: Context, symbols: &Symbols) -> String {
    let labels: Vec<String> = BINDINGS
        .iter()
        .filter(|b| b.action == action && b.contexts.contains(&context))
        .map(|b| b.keys_label(symbols))
        .collect();
    labels.join("/")
}

/// The footer's hints for a context: (keys, hint), neighbours with the same hint merged.
pub fn footer_hints(context: Context, symbols: &Symbols) -> Vec<(String, &'static str)> {
    let mut hints: Vec<(String, &'static str)> = Vec::new();
    for b in BINDINGS
        .iter()
        .filter(|b| b.footer && b.contexts.contains(&context))
    {
        let keys = b.keys_label(symbols);
        match hints.last_mut() {
            Some((prev, hint)) if *hint == b.hint => {
                prev.push(' ');
                prev.push_str(&keys);
            }
            _ => hints.push((keys, b.hint)),
        }
    }
    hints
}

/// The help overlay's sections: a heading per context, then the bindings the footer leaves out.
pub fn help_sections(symbols: &Symbols) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    let rows = |keep: &dyn Fn(&Binding) -> bool| -> Vec<(String, &'static str)> {
        BINDINGS
            .iter()
            .filter(|b| keep(b))
            .map(|b| (b.keys_label(symbols), b.help))
            .collect()
    };
    [
        ("On the dashboard", Main),
        ("In the help or logs view", View),
        ("When asked to restart", InConfirm),
    ]
    .into_iter()
    .map(|(heading, context)| {
        (
            heading,
            rows(&|b| b.footer && b.contexts.contains(&context)),
        )
    })
    .chain(std::iter::once(("Anywhere", rows(&|b| !b.footer))))
    .collect()
}
