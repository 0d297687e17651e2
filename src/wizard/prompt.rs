//! The prompts every step uses: text answers through the wizard's own line input (checked by the
//! same `FromStr` the flags use; a rejection shows its reason and asks again), menus and yes/no
//! questions through inquire. Everything is wrapped at spaces to the terminal's width. Esc goes
//! back one question; Ctrl-C stops and keeps a draft.

use std::fmt;
use std::io::Write as _;
use std::str::FromStr;

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::{cursor, terminal as term, QueueableCommand};
use inquire::{Confirm, InquireError, Select};

use super::line::{self, Key, Line};
use super::terminal::{height, width, wrap};
use super::terms;
use crate::error::Error;
use crate::wizard::WizardError;

/// Why the wizard left a question other than by answering it.
#[derive(Debug)]
pub enum Stop {
    /// Esc: back to the question before this one.
    Back,
    /// Ctrl-C (or a "stop" choice): end cleanly, keep a draft.
    Cancelled,
    /// Something failed; reported like any other error.
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

impl From<InquireError> for Stop {
    fn from(e: InquireError) -> Self {
        match e {
            InquireError::OperationCanceled => Stop::Back,
            InquireError::OperationInterrupted => Stop::Cancelled,
            InquireError::NotTTY => Stop::Failed(not_a_terminal()),
            other => Stop::Failed(
                WizardError::Terminal {
                    why: other.to_string(),
                }
                .into(),
            ),
        }
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Stop::Failed(WizardError::Terminal { why: e.to_string() }.into())
    }
}

fn not_a_terminal() -> Error {
    Error::invalid(
        "setup needs a terminal to ask its questions",
        "run `selkie setup --non-interactive` with flags; `selkie setup --help` lists them",
    )
}

/// A prompt's outcome.
pub type Asked<T> = Result<T, Stop>;

/// A rejected value as one sentence: the reason, then what to enter, in the wizard's terms.
pub fn reason(e: &Error) -> String {
    let text = match e.hint() {
        Some(hint) => format!("{e}: {hint}"),
        None => e.to_string(),
    };
    terms::speak(&text)
}

/// Ask for a value of `T`, defaulting to `default`; a value `T` refuses is explained and asked
/// again, so a typo never ends the wizard.
pub fn parsed<T>(message: &str, default: Option<&str>) -> Asked<T>
where
    T: FromStr<Err = Error>,
{
    text(message, default, |s| s.parse::<T>())
}

/// Ask for text that `parse` turns into a value; its errors are shown and the prompt asked again.
/// Enter on an empty line takes `default` (which is checked like anything typed).
pub fn text<T, F>(message: &str, default: Option<&str>, parse: F) -> Asked<T>
where
    F: Fn(&str) -> Result<T, Error>,
{
    let (question, help) = match default {
        Some(d) => (format!("{message} ({d})"), TEXT_HELP),
        None => (message.to_string(), TEXT_HELP_NO_DEFAULT),
    };
    let mut line = Line::default();
    let mut problem: Option<String> = None;
    let mut screen = Screen::start()?;
    loop {
        let f = line::frame(&question, &line, problem.as_deref(), help, width());
        screen.draw(&f)?;
        let key = match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => k,
            _ => continue,
        };
        match line.key(key) {
            Key::Edited => {}
            Key::Back => return Err(screen.end(None).map_or_else(Stop::from, |()| Stop::Back)),
            Key::Cancel => {
                return Err(screen
                    .end(None)
                    .map_or_else(Stop::from, |()| Stop::Cancelled))
            }
            Key::Submit => {
                let typed = line.text();
                let answer = match default {
                    Some(d) if typed.trim().is_empty() => d.to_string(),
                    _ => typed,
                };
                match parse(&answer) {
                    Ok(value) => {
                        screen.end(Some(&format!("? {message} {answer}")))?;
                        return Ok(value);
                    }
                    Err(e) => problem = Some(reason(&e)),
                }
            }
        }
    }
}

/// The rows of the prompt on screen, redrawn in place; the terminal is raw while it is shown.
struct Screen {
    /// The cursor's row within the frame drawn last.
    row: usize,
    raw: bool,
}

impl Screen {
    fn start() -> std::io::Result<Screen> {
        term::enable_raw_mode()?;
        Ok(Screen { row: 0, raw: true })
    }

    /// Go to the frame's first row and clear it and everything below.
    fn rewind(&mut self, out: &mut std::io::Stdout) -> std::io::Result<()> {
        out.queue(cursor::MoveToColumn(0))?;
        if self.row > 0 {
            out.queue(cursor::MoveUp(u16::try_from(self.row).unwrap_or(u16::MAX)))?;
        }
        out.queue(term::Clear(term::ClearType::FromCursorDown))?;
        self.row = 0;
        Ok(())
    }

    fn draw(&mut self, f: &line::Frame) -> std::io::Result<()> {
        let mut out = std::io::stdout();
        self.rewind(&mut out)?;
        write!(out, "{}", f.rows.join("\r\n"))?;
        let below = f.rows.len().saturating_sub(1 + f.cursor.0);
        if below > 0 {
            out.queue(cursor::MoveUp(u16::try_from(below).unwrap_or(u16::MAX)))?;
        }
        out.queue(cursor::MoveToColumn(
            u16::try_from(f.cursor.1).unwrap_or(u16::MAX),
        ))?;
        out.flush()?;
        self.row = f.cursor.0;
        Ok(())
    }

    /// Clear the prompt, leave `last` (the answer as given) in its place, and leave raw mode.
    fn end(&mut self, last: Option<&str>) -> std::io::Result<()> {
        let mut out = std::io::stdout();
        self.rewind(&mut out)?;
        if let Some(text) = last {
            write!(
                out,
                "{}\r\n",
                wrap(text, width(), "  ").replace('\n', "\r\n")
            )?;
        }
        out.flush()?;
        self.raw = false;
        term::disable_raw_mode()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if self.raw {
            let _ = term::disable_raw_mode();
        }
    }
}

/// One choice of a menu: what it shows, and the value it stands for.
pub struct Choice<T> {
    pub label: String,
    pub value: T,
    /// What is left on screen once chosen (set by [`choose`]).
    answer: String,
}

impl<T> fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// A label wrapped for a menu row (after inquire's two-column marker); a label laid out in
/// columns continues under its last column.
fn menu_label(label: &str, width: usize) -> String {
    let room = width.saturating_sub(2);
    let column = label
        .find("  ")
        .and_then(|gap| {
            let rest = &label[gap..];
            let spaces = rest.len() - rest.trim_start().len();
            Some(label[..gap + spaces].chars().count()).filter(|c| *c * 2 <= room)
        })
        .unwrap_or(2);
    wrap(label, room, &" ".repeat(column)).replace('\n', "\n  ")
}

/// A chosen label as it stays after the question: its first column when it has columns, else the
/// words that fit in `room` (at least one), so the line never runs past the screen.
fn answered(label: &str, room: usize) -> String {
    let first = label.split("  ").next().unwrap_or(label).trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let whole = words.join(" ");
    if whole.chars().count() <= room {
        return whole;
    }
    let mut out = String::new();
    for word in words {
        if !out.is_empty() && out.chars().count() + 1 + word.chars().count() + 4 > room {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push_str(" ...");
    out
}

/// `text` wrapped to fit after inquire's two-column prefix, its continuation lines indented too.
fn after_prefix(text: &str, width: usize) -> String {
    wrap(text, width.saturating_sub(2), "").replace('\n', "\n  ")
}

/// Pick one of `choices`, starting at the one whose value is `current`.
pub fn choose<T: PartialEq>(
    message: &str,
    choices: Vec<Choice<T>>,
    current: Option<&T>,
    help: &str,
) -> Asked<T> {
    let cols = width();
    let cursor = current
        .and_then(|c| choices.iter().position(|ch| &ch.value == c))
        .unwrap_or(0);
    // What is above the menu and its help stay on a short screen.
    let page = choices
        .len()
        .clamp(1, height().saturating_sub(10).clamp(5, 12));
    let room = cols.saturating_sub(message.chars().count() + 3);
    let choices: Vec<Choice<T>> = choices
        .into_iter()
        .map(|c| Choice {
            answer: answered(&c.label, room),
            label: menu_label(&c.label, cols),
            value: c.value,
        })
        .collect();
    let shown = |picked: inquire::list_option::ListOption<&Choice<T>>| picked.value.answer.clone();
    let message = after_prefix(message, cols);
    let help = after_prefix(&format!("{help}]"), cols)
        .trim_end_matches(']')
        .to_string();
    let picked = Select::new(&message, choices)
        .with_starting_cursor(cursor)
        .with_help_message(&help)
        .with_page_size(page)
        .without_filtering()
        .with_formatter(&shown)
        .prompt()?;
    Ok(picked.value)
}

/// A yes/no question, wrapped to the terminal; Esc goes back, Ctrl-C stops.
pub fn confirm(message: &str, default: bool, help: &str) -> Asked<bool> {
    let cols = width();
    // Room for inquire's " (Y/n) " after the question.
    let message = wrap(message, cols.saturating_sub(10), "").replace('\n', "\n  ");
    let help = after_prefix(&format!("{help}]"), cols)
        .trim_end_matches(']')
        .to_string();
    Ok(Confirm::new(&message)
        .with_default(default)
        .with_help_message(&help)
        .prompt()?)
}

/// A menu of labelled actions.
pub fn choice<T>(label: impl Into<String>, value: T) -> Choice<T> {
    Choice {
        label: label.into(),
        value,
        answer: String::new(),
    }
}

/// The help line of every menu.
pub const MENU_HELP: &str =
    "up/down, Enter to choose; Esc goes back; Ctrl-C stops (your answers are kept)";
/// The help line of a text prompt with a default.
const TEXT_HELP: &str =
    "Enter takes the default in (); Esc goes back; Ctrl-C stops (your answers are kept)";
/// The same without one.
const TEXT_HELP_NO_DEFAULT: &str =
    "type the answer, then Enter; Esc goes back; Ctrl-C stops (your answers are kept)";
/// The help line of a yes/no question.
pub const CONFIRM_HELP: &str = "y or n, Enter for the default; Esc goes back; Ctrl-C stops";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_rows_fit_and_continue_under_their_column() {
        let label = "hearth     Hearth voice rooms: PocketBase app, LiveKit and TURN/TLS behind \
                     Caddy layer-4 SNI routing";
        let shown = menu_label(label, 60);
        for (i, row) in shown.lines().enumerate() {
            // inquire draws two columns before each option's first row.
            let drawn = row.chars().count() + if i == 0 { 2 } else { 0 };
            assert!(drawn <= 60, "{row:?}");
        }
        assert!(shown.lines().nth(1).unwrap().starts_with(&" ".repeat(13)));
        let words: Vec<&str> = label.split_whitespace().collect();
        assert_eq!(shown.split_whitespace().collect::<Vec<_>>(), words);
        assert_eq!(answered(label, 40), "hearth");
        assert_eq!(
            answered("Continue with meet.example.com (I will fix DNS)", 34),
            "Continue with meet.example.com ..."
        );
    }
}
