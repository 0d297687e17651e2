//! The prompts every step uses, built on inquire: each text answer is checked by the same
//! `FromStr` the flags use, and a rejection shows its reason and hint and asks again.

use std::fmt;
use std::str::FromStr;

use inquire::validator::Validation;
use inquire::{InquireError, Select, Text};

use super::terminal::{wrap, WIDTH};
use crate::error::Error;

/// Why the wizard stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// Ctrl-C or Esc: end cleanly, keep a draft.
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
            InquireError::OperationCanceled | InquireError::OperationInterrupted => Stop::Cancelled,
            InquireError::NotTTY => Stop::Failed(Error::invalid(
                "setup needs a terminal to ask its questions",
                "run `selkie setup --non-interactive` with flags; `selkie setup --help` lists them",
            )),
            other => Stop::Failed(Error::Other {
                message: format!("the terminal failed: {other}"),
                hint: None,
            }),
        }
    }
}

/// A prompt's outcome.
pub type Asked<T> = Result<T, Stop>;

/// A rejected value as one line: the reason, then what to enter.
pub fn reason(e: &Error) -> String {
    match e.hint() {
        Some(hint) => format!("{e}: {hint}"),
        None => e.to_string(),
    }
}

/// Ask for a value of `T`, defaulting to `default`; a value `T` refuses is explained and asked
/// again (inquire keeps the prompt open), so a typo never ends the wizard.
pub fn parsed<T>(message: &str, default: Option<&str>, help: &str) -> Asked<T>
where
    T: FromStr<Err = Error> + 'static,
{
    text(message, default, help, |s| s.parse::<T>())
}

/// Ask for text that `parse` turns into a value; its errors are shown and the prompt asked again.
pub fn text<T, F>(message: &str, default: Option<&str>, help: &str, parse: F) -> Asked<T>
where
    F: Fn(&str) -> Result<T, Error> + Clone + 'static,
{
    loop {
        let check = parse.clone();
        let mut prompt =
            Text::new(message)
                .with_help_message(help)
                .with_validator(move |s: &str| {
                    Ok(match check(s) {
                        Ok(_) => Validation::Valid,
                        Err(e) => Validation::Invalid(wrap(&reason(&e), WIDTH - 2, "  ").into()),
                    })
                });
        if let Some(d) = default {
            prompt = prompt.with_default(d);
        }
        let answer = prompt.prompt()?;
        // inquire returns the default without validating it; a saved value could be stale.
        match parse(&answer) {
            Ok(v) => return Ok(v),
            Err(e) => println!("{}", reason(&e)),
        }
    }
}

/// One choice of a menu: what it shows, and the value it stands for.
pub struct Choice<T> {
    pub label: String,
    pub value: T,
}

impl<T> fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// Pick one of `choices`, starting at the one whose value is `current`.
pub fn choose<T: PartialEq>(
    message: &str,
    choices: Vec<Choice<T>>,
    current: Option<&T>,
    help: &str,
) -> Asked<T> {
    let cursor = current
        .and_then(|c| choices.iter().position(|ch| &ch.value == c))
        .unwrap_or(0);
    let page = choices.len().clamp(1, 12);
    let picked = Select::new(message, choices)
        .with_starting_cursor(cursor)
        .with_help_message(help)
        .with_page_size(page)
        .without_filtering()
        .prompt()?;
    Ok(picked.value)
}

/// A menu of labelled actions.
pub fn choice<T>(label: impl Into<String>, value: T) -> Choice<T> {
    Choice {
        label: label.into(),
        value,
    }
}

/// The arrow-key help line of every menu.
pub const MENU_HELP: &str = "up/down to move, Enter to choose, Esc to stop (a draft is kept)";
/// The help line of every text prompt.
pub const TEXT_HELP: &str = "Enter accepts the default shown; Esc stops (a draft is kept)";
